#include "api/api.hpp"

#include <utility>
#include <vector>

#include "api/middleware.hpp"

namespace gotrue::api {

Api::Api(ApiDeps deps) : deps_(std::move(deps)) {
    AddRoutes();
    // Outermost first, in GoTrue's order (contract §1.4).
    std::vector<Middleware> middlewares{
        Recoverer(),
        AssignRequestId(deps_.config.api.request_id_header),
        LogRequests(),
        Cors(),
        LimitBody(kMaxBodyBytes),
        AttachTasks(deps_.tasks, deps_.config.api.max_request_duration),
    };
    // As upstream, the request waits for its tasks only in background-sending mode.
    if (deps_.config.mailer.email_background_sending) {
        middlewares.push_back(WithBackgroundTasks());
    }
    pipeline_ = Chain(middlewares, [this](Request& request) { return router_.Dispatch(request); });
}

void Api::AddRoutes() {
    const auto bind = [this](Response (Api::*method)(Request&) const) {
        return [this, method](Request& request) {
            return (this->*method)(request);
        };
    };
    router_.Add("GET", "/health", bind(&Api::Health));
    router_.Add("GET", "/settings", bind(&Api::Settings));
}

Response Api::Handle(Request& request) const {
    return pipeline_(request);
}

}  // namespace gotrue::api
