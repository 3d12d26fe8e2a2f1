#include "api/router.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <pqxx/except>

#include "api/errors.hpp"
#include "apitask/apitask.hpp"
#include "crypto/password_hasher.hpp"
#include "logs/logs.hpp"
#include "storage/database.hpp"

namespace gotrue::api {

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

void Router::Add(
    std::string method, const std::string& pattern, Handler handler, HashesPredicate hashes
) {
    routes_.push_back(Route{
        std::move(method), SplitPath(pattern), std::move(handler), std::move(hashes)});
}

bool Router::Hashes(const Request& request) const {
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;
    const Route* route = Match(request, params, allowed);
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
    } catch (const apitask::WorkerClosedError& error) {
        kLog.Error(error.what(), {{"request_id", request.request_id}});
        return RenderError(
            HttpError(500, kUnexpectedFailure, "failed to run task", error.what()), request
        );
    } catch (const apitask::QueueFullError& error) {
        // Back-pressure: the task pool stayed full until the request's deadline.
        kLog.Warn("task queue full", {{"error", error.what()}, {"request_id", request.request_id}});
        HttpError busy(
            503, kOverRequestRateLimit, "Server is busy, please retry after a moment", error.what()
        );
        busy.WithHeader("Retry-After", "1");
        return RenderError(busy, request);
    } catch (const crypto::HasherBusy& error) {
        // Admission control of bcrypt (crypto/password_hasher.hpp): refused at once, retryable.
        kLog.Warn("password hashing at capacity", {{"request_id", request.request_id}});
        HttpError busy(
            503, kOverRequestRateLimit, "Server is busy, please retry after a moment", error.what()
        );
        busy.WithHeader("Retry-After", "1");
        return RenderError(busy, request);
    } catch (const storage::PoolTimeoutError& error) {
        // Every connection is busy: a retryable 503 rather than a request that hangs.
        kLog.Warn(
            "database pool exhausted", {{"error", error.what()}, {"request_id", request.request_id}}
        );
        return RenderError(
            ServiceUnavailable("Service temporarily unavailable, please retry", error.what()),
            request
        );
    } catch (const pqxx::sql_error& error) {
        // Class 22 (data exception: a value out of range, too long, badly encoded) and 54001
        // (input nested beyond PostgreSQL's stack limit) are the client's input, not our
        // failure: 400 instead of a 500 that clients retry and operators get paged for.
        const std::string& state = error.sqlstate();
        if (state.rfind("22", 0) == 0 || state == "54001") {
            kLog.Info(
                "database refused input", {{"sqlstate", state}, {"request_id", request.request_id}}
            );
            return RenderError(
                BadRequest(kValidationFailed, "Invalid input: a value is malformed or too large"),
                request
            );
        }
        kLog.Error(
            "database error",
            {{"sqlstate", state}, {"error", error.what()}, {"request_id", request.request_id}}
        );
        return RenderError(UnexpectedFailure(), request);
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

const Router::Route* Router::Match(
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
                captured[expected.substr(1)] = ToSafeText(UrlDecode(segments[i], false));
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
    if (const Route* route = Match(request, params, allowed)) {
        request.params = std::move(params);
        return CallHandler(route->handler, request);
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

}  // namespace gotrue::api
