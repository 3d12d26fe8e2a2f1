#include "api/module_errors.hpp"

#include <pqxx/except>
#include <spdlog/spdlog.h>

#include "apitask/apitask.hpp"
#include "crypto/password_hasher.hpp"
#include "observability/logging.hpp"
#include "storage/database.hpp"

namespace gotrue::api {
namespace {

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
            spdlog::error("{} component=api request_id={}", error.what(), request.request_id);
            return RenderError(
                HttpError(500, kUnexpectedFailure, "failed to run task", error.what()), request
            );
        } catch (const apitask::QueueFullError& error) {
            // Back-pressure: the task pool stayed full until the request's deadline.
            spdlog::warn(
                "task queue full component=api error={} request_id={}",
                observability::Quote(error.what()),
                request.request_id
            );
            return Busy(request, error.what());
        } catch (const crypto::HasherBusy& error) {
            // Admission control of bcrypt (crypto/password_hasher.hpp): refused at once, retryable.
            spdlog::warn(
                "password hashing at capacity component=api request_id={}", request.request_id
            );
            return Busy(request, error.what());
        } catch (const storage::PoolTimeoutError& error) {
            // Every connection is busy: a retryable 503 rather than a request that hangs.
            spdlog::warn(
                "database pool exhausted component=api error={} request_id={}",
                observability::Quote(error.what()),
                request.request_id
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
                spdlog::info(
                    "database refused input component=api sqlstate={} request_id={}",
                    state,
                    request.request_id
                );
                return RenderError(
                    BadRequest(
                        kValidationFailed, "Invalid input: a value is malformed or too large"
                    ),
                    request
                );
            }
            spdlog::error(
                "database error component=api sqlstate={} error={} request_id={}",
                state,
                observability::Quote(error.what()),
                request.request_id
            );
            return RenderError(UnexpectedFailure(), request);
        }
    };
}

}  // namespace gotrue::api
