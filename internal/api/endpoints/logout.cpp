// POST /logout (GoTrue's internal/api/logout.go).

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/request_info.hpp"
#include "api/services/transaction.hpp"
#include "models/audit_log.hpp"
#include "models/session.hpp"

namespace gotrue::api {

Response Api::Logout(Request& request) {
    const Caller& caller = GuardedCaller(request);
    const auto it = request.query.find("scope");
    const std::string scope =
        it == request.query.end() || it->second.empty() ? "global" : it->second;
    if (scope != "global" && scope != "local" && scope != "others") {
        throw BadRequest(kValidationFailed, "Unsupported logout scope \"" + scope + "\"");
    }
    RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        if (scope == "global") {
            models::DeleteSessionsOfUser(tx, caller.user.id);
        } else if (!caller.session_id.empty()) {
            if (scope == "local") {
                models::DeleteSession(tx, caller.session_id);
            } else {
                models::DeleteSessionsOfUser(tx, caller.user.id, caller.session_id);
            }
        }
        models::RecordAudit(tx, caller.user, "logout", ClientIp(request));
    });
    Response response;
    response.status = 204;  // refresh tokens go with their sessions (ON DELETE CASCADE)
    return response;
}

}  // namespace gotrue::api
