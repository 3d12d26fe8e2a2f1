#include "api/module_errors.hpp"

#include <pqxx/except>

#include "apitask/apitask.hpp"
#include "apitask/commit_gate.hpp"
#include "crypto/password_hasher.hpp"
#include "logs/logs.hpp"
#include "storage/database.hpp"

namespace gotrue::api {
namespace {

constexpr logs::Logger kLog{"api"};

// 503 over_request_rate_limit with Retry-After: refused for now, worth retrying in a moment.
Response Busy(const Request& request, const char* detail) {
    HttpError busy(
        503, kOverRequestRateLimit, "Server is busy, please retry after a moment", detail
    );
    busy.WithHeader("Retry-After", "1");
    return RenderError(busy, request);
}

}  // namespace

Middleware RenderModuleErrors() {
    return [](Request& request, const Handler& next) -> Response {
        try {
            return next(request);
        } catch (const apitask::WorkerClosedError& error) {
            kLog.Error(error.what(), {{"request_id", request.request_id}});
            return RenderError(
                HttpError(500, kUnexpectedFailure, "failed to run task", error.what()), request
            );
        } catch (const apitask::QueueFullError& error) {
            // Back-pressure: the task pool stayed full until the request's deadline.
            kLog.Warn(
                "task queue full", {{"error", error.what()}, {"request_id", request.request_id}}
            );
            return Busy(request, error.what());
        } catch (const crypto::HasherBusy& error) {
            // Admission control of bcrypt (crypto/password_hasher.hpp): refused at once, retryable.
            kLog.Warn("password hashing at capacity", {{"request_id", request.request_id}});
            return Busy(request, error.what());
        } catch (const apitask::CommitRefused& error) {
            // The deadline answered 504 first (http/server.cpp); this response is dropped.
            kLog.Info(error.what(), {{"request_id", request.request_id}});
            return RenderError(RequestTimeout(), request);
        } catch (const storage::PoolTimeoutError& error) {
            // Every connection is busy: a retryable 503 rather than a request that hangs.
            kLog.Warn(
                "database pool exhausted",
                {{"error", error.what()}, {"request_id", request.request_id}}
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
                    "database refused input",
                    {{"sqlstate", state}, {"request_id", request.request_id}}
                );
                return RenderError(
                    BadRequest(
                        kValidationFailed, "Invalid input: a value is malformed or too large"
                    ),
                    request
                );
            }
            kLog.Error(
                "database error",
                {{"sqlstate", state}, {"error", error.what()}, {"request_id", request.request_id}}
            );
            return RenderError(UnexpectedFailure(), request);
        }
    };
}

}  // namespace gotrue::api
