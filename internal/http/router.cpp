#include "http/router.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "http/errors.hpp"
#include "logs/logs.hpp"

namespace gotrue::http {

constexpr logs::Logger kLog{"api"};

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string::npos ? path.size() : slash;
        if (end > start) {
            segments.push_back(path.substr(start, end - start));
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return segments;
}

namespace {

// A pattern as a label: its segments joined by single slashes ("/admin//users/" -> "/admin/users").
std::string Pattern(const std::string& pattern) {
    std::string joined;
    for (const auto& segment : SplitPath(pattern)) {
        joined += "/" + segment;
    }
    return joined.empty() ? "/" : joined;
}

}  // namespace

void Router::Add(
    std::string method, const std::string& pattern, Handler handler, HashesPredicate hashes
) {
    routes_.push_back(Entry{
        std::move(method),
        Pattern(pattern),
        SplitPath(pattern),
        std::move(handler),
        std::move(hashes),
        nullptr});
}

Router::Group::Group(Router& router, std::string prefix, Guard guard)
    : router_(router), prefix_(std::move(prefix)), guard_(std::move(guard)) {}

void Router::Group::Add(
    std::string method, const std::string& pattern, Handler handler, HashesPredicate hashes
) {
    router_.routes_.push_back(Entry{
        std::move(method),
        Pattern(prefix_ + "/" + pattern),
        SplitPath(prefix_ + "/" + pattern),
        std::move(handler),
        std::move(hashes),
        guard_});
}

Router::Group Router::Route(std::string prefix, Guard guard) {
    return Group(*this, std::move(prefix), std::move(guard));
}

void Router::Use(Middleware middleware) {
    middlewares_.push_back(std::move(middleware));
}

Response Router::Run(const Entry& route, Request& request, std::size_t layer) const {
    if (layer < middlewares_.size()) {
        return middlewares_[layer](request, [this, &route, layer](Request& next) {
            return Run(route, next, layer + 1);
        });
    }
    if (route.guard) {
        route.guard(request);
    }
    return route.handler(request);
}

bool Router::Hashes(const Request& request) const {
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;
    const Entry* route = Match(request, params, allowed);
    return route != nullptr && route->hashes && route->hashes(request);
}

Response CallHandler(const Handler& handler, Request& request) {
    try {
        return handler(request);
    } catch (const HttpError& error) {
        if (!error.Internal().empty() || error.Status() >= 500) {
            kLog.Log(
                error.Status() >= 500 ? logs::Level::kError : logs::Level::kInfo,
                "request failed",
                {{"status", error.Status()},
                 {"error_code", error.Code()},
                 {"error", error.Internal().empty() ? error.what() : error.Internal()},
                 {"request_id", request.request_id}}
            );
        }
        return RenderError(error, request);
    } catch (const std::exception& error) {
        kLog.Error(
            "unhandled exception", {{"error", error.what()}, {"request_id", request.request_id}}
        );
        return RenderError(UnexpectedFailure(), request);
    } catch (...) {
        kLog.Error("unhandled non-standard exception", {{"request_id", request.request_id}});
        return RenderError(UnexpectedFailure(), request);
    }
}

const Router::Entry* Router::Match(
    const Request& request,
    std::map<std::string, std::string>& params,
    std::vector<std::string>& allowed
) const {
    const auto segments = SplitPath(request.path);
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) {
            continue;
        }
        std::map<std::string, std::string> captured;
        bool match = true;
        for (std::size_t i = 0; i < segments.size() && match; ++i) {
            const auto& expected = route.segments[i];
            if (!expected.empty() && expected.front() == ':') {
                captured[expected.substr(1)] = ToSafeText(UrlDecode(segments[i], Plus::kLiteral));
            } else {
                match = expected == segments[i];
            }
        }
        if (!match) {
            continue;
        }
        if (route.method != request.method) {
            allowed.push_back(route.method);
            continue;
        }
        params = std::move(captured);
        return &route;
    }
    return nullptr;
}

Response Router::Dispatch(Request& request) const {
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;
    if (const Entry* route = Match(request, params, allowed)) {
        request.params = std::move(params);
        request.route = route->pattern;
        return CallHandler(
            [this, route](Request& matched) { return Run(*route, matched, 0); }, request
        );
    }
    if (allowed.empty()) {
        return RenderError(NotFound(kNotFound, "Not Found"), request);
    }
    std::string allow;
    for (const auto& method : allowed) {
        allow += (allow.empty() ? "" : ", ") + method;
    }
    Response response =
        RenderError(HttpError(405, kMethodNotAllowed, "Method Not Allowed"), request);
    response.headers.Set("Allow", allow);
    return response;
}

}  // namespace gotrue::http
