#pragma once

// The request pipeline's cross-cutting steps, composed in Api (api.cpp) in GoTrue's order
// (docs/http.md): recoverer -> request id -> /auth/v1 prefix -> request log -> CORS -> body limit
// -> tasks -> timing equalizer -> [request-scoped task wait] -> routes.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "apitask/worker_pool.hpp"
#include "http/http.hpp"

namespace gotrue::http {

// Request bodies above this size get 413 request_entity_too_large (GoTrue: 1 << 20).
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;

// Last line of defence: any exception escaping the pipeline becomes a logged 500.
[[nodiscard]] Middleware Recoverer();

// The request id GoTrue would use: the value of `header_name` (GOTRUE_API_REQUEST_ID_HEADER)
// when the request carries it, reduced by observability::SafeRequestId, else a new UUID.
[[nodiscard]] std::string RequestIdFor(const Request& request, const std::string& header_name);

// Sets Request::request_id (unless the server already did) with RequestIdFor.
[[nodiscard]] Middleware AssignRequestId(std::string header_name);

// One log line per request: method, path, status, duration, remote address, request id.
// /health is not logged (as upstream).
[[nodiscard]] Middleware LogRequests();

// A finished request as metrics see it: the route pattern Router::Dispatch matched (empty when
// none did), never the raw path.
struct RequestRecord {
    std::string method;
    std::string route;
    int status = 0;
    std::chrono::steady_clock::duration duration{};
};

using RequestObserver = std::function<void(const RequestRecord&)>;

// Reports every request to `observer` once its response is complete (after the request's
// tasks, as the request log), on the thread that completes it. A null observer: passes through.
[[nodiscard]] Middleware ObserveRequests(RequestObserver observer);

// CORS as GoTrue configures it: any origin (reflected, with credentials), GoTrue's allowed
// and exposed headers plus `extra_allowed_headers`; answers preflight requests itself.
[[nodiscard]] Middleware Cors(const std::vector<std::string>& extra_allowed_headers = {});

// 413 request_entity_too_large for bodies over `max_bytes`.
[[nodiscard]] Middleware LimitBody(std::size_t max_bytes = kMaxBodyBytes);

// Gives the request its apitask context: request id, the task deadline and the pool. Tasks
// stop being waited for a little before the request deadline (`max_request_duration`; 0: no
// deadline) so the response still goes out normally instead of a 504.
[[nodiscard]] Middleware AttachTasks(
    apitask::WorkerPool& pool, std::chrono::milliseconds max_request_duration
);

// GoTrue's apitask.Middleware: attaches a request worker and runs the handler. The response
// still leaves only after the request's tasks are done (also when the handler throws), but no
// thread waits for them: the server writes it from the thread that finishes the last task, or
// at the task deadline from its deadline watcher (README "Architecture", completion path).
// In-process callers finish it with Complete().
[[nodiscard]] Middleware WithBackgroundTasks();

// Whether `request`'s response waits for request-scoped tasks (WithBackgroundTasks ran).
[[nodiscard]] bool WaitsForTasks(const Request& request);

// Runs `step` on `response` once it is complete: at once, or, when the request waits for its
// tasks, after they are done (Response::on_complete). For middleware whose work after the
// handler must see the request's whole duration.
void WhenComplete(const Request& request, Response& response, std::function<void(Response&)> step);

// Runs what Response::on_complete holds, in order, and clears it.
void RunCompletionSteps(Response& response);

// For in-process callers of a pipeline (tests): blocks until the request's tasks are done (or
// their deadline), then runs the completion steps. The server never calls it.
void Complete(const Request& request, Response& response);

// Requests under `prefix` (a path such as "/auth/v1") are served as the same path without it:
// what Supabase's gateway does in front of GoTrue, so that supabase-js, which appends
// "/auth/v1" to the project URL, can be pointed at this server directly.
[[nodiscard]] Middleware StripPathPrefix(std::string prefix);

// Composes `middlewares` (outermost first) around `last`.
[[nodiscard]] Handler Chain(const std::vector<Middleware>& middlewares, Handler last);

}  // namespace gotrue::http
