#include "http/middleware.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "apitask/apitask.hpp"
#include "http/errors.hpp"
#include "http/router.hpp"
#include "logs/logs.hpp"
#include "observability/request_id.hpp"
#include "text/ascii.hpp"

namespace gotrue::http {
namespace {

constexpr logs::Logger kLog{"api"};

std::string Trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

Handler Chain(const std::vector<Middleware>& middlewares, Handler last) {
    Handler next = [last = std::move(last)](Request& request) {
        Response response = last(request);
        for (auto& step : request.response_steps) {
            WhenComplete(request, response, std::move(step));
        }
        request.response_steps.clear();
        return response;
    };
    for (auto it = middlewares.rbegin(); it != middlewares.rend(); ++it) {
        next = [middleware = *it, inner = std::move(next)](Request& request) {
            return middleware(request, inner);
        };
    }
    return next;
}

Middleware Recoverer() {
    return [](Request& request, const Handler& next) {
        return CallHandler(next, request);
    };
}

std::string RequestIdFor(const Request& request, const std::string& header_name) {
    if (!header_name.empty()) {
        if (auto given = request.headers.Get(header_name); given && !given->empty()) {
            // Logged unquoted on every line of the request: reduce it to a safe alphabet.
            return observability::SafeRequestId(*given);
        }
    }
    return observability::NewUuid();
}

Middleware AssignRequestId(std::string header_name) {
    return [header_name = std::move(header_name)](Request& request, const Handler& next) {
        if (request.request_id.empty()) {
            request.request_id = RequestIdFor(request, header_name);
        }
        return next(request);
    };
}

Middleware LogRequests() {
    return [](Request& request, const Handler& next) {
        Response response = next(request);
        if (request.path == "/health") {
            return response;
        }
        // Logged once the request's tasks are done, so the duration is what the client waits.
        WhenComplete(
            request,
            response,
            [method = request.method,
             path = request.path,
             received_at = request.received_at,
             remote = request.remote_address,
             referer = request.headers.Get("Referer").value_or(""),
             request_id = request.request_id](const Response& done) {
                const auto elapsed = std::chrono::steady_clock::now() - received_at;
                kLog.Info(
                    "request completed",
                    {{"method", method},
                     {"path", path},
                     {"status", done.status},
                     {"duration_ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()},
                     {"remote_addr", remote},
                     {"referer", referer},
                     {"request_id", request_id}}
                );
            }
        );
        return response;
    };
}

Middleware ObserveRequests(RequestObserver observer) {
    if (!observer) {
        return [](Request& request, const Handler& next) {
            return next(request);
        };
    }
    // Shared, not borrowed: a completion step may run on a task thread after a deadline.
    auto shared = std::make_shared<const RequestObserver>(std::move(observer));
    return [shared](Request& request, const Handler& next) {
        Response response = next(request);
        // The route is known only now: the router sets it while `next` runs.
        WhenComplete(
            request,
            response,
            [observer = shared,
             method = request.method,
             route = request.route,
             received_at = request.received_at](const Response& done) {
                (*observer)(RequestRecord{
                    method, route, done.status, std::chrono::steady_clock::now() - received_at});
            }
        );
        return response;
    };
}

Middleware Cors(const std::vector<std::string>& extra_allowed_headers) {
    std::vector<std::string> allowed{
        "accept",
        "authorization",
        "content-type",
        "x-client-ip",
        "x-client-info",
        "x-jwt-aud",
        "x-use-cookie",
        "x-supabase-api-version",
    };
    for (const auto& header : extra_allowed_headers) {
        allowed.push_back(text::ToLower(Trimmed(header)));
    }
    return [allowed = std::move(allowed)](Request& request, const Handler& next) {
        const auto origin = request.headers.Get("Origin");
        if (!origin) {
            return next(request);
        }
        const auto requested_method = request.headers.Get("Access-Control-Request-Method");
        if (request.method == "OPTIONS" && requested_method) {
            Response preflight;
            preflight.status = 204;
            preflight.headers.Set(
                "Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            );
            static const std::vector<std::string> kMethods{"GET", "POST", "PUT", "PATCH", "DELETE"};
            const bool method_ok =
                std::find(kMethods.begin(), kMethods.end(), *requested_method) != kMethods.end();
            // Every requested header must be allowed, or the preflight fails (no CORS headers).
            std::string requested =
                request.headers.Get("Access-Control-Request-Headers").value_or("");
            bool headers_ok = true;
            std::size_t start = 0;
            while (start <= requested.size()) {
                const auto comma = requested.find(',', start);
                const std::string name = text::ToLower(Trimmed(requested.substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start
                )));
                if (!name.empty() &&
                    std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                    headers_ok = false;
                }
                if (comma == std::string::npos) {
                    break;
                }
                start = comma + 1;
            }
            if (method_ok && headers_ok) {
                preflight.headers.Set("Access-Control-Allow-Origin", *origin);
                preflight.headers.Set("Access-Control-Allow-Credentials", "true");
                preflight.headers.Set("Access-Control-Allow-Methods", *requested_method);
                if (!Trimmed(requested).empty()) {
                    preflight.headers.Set("Access-Control-Allow-Headers", Trimmed(requested));
                }
            }
            return preflight;
        }
        Response response = next(request);
        response.headers.Set("Access-Control-Allow-Origin", *origin);
        response.headers.Set("Access-Control-Allow-Credentials", "true");
        response.headers.Set(
            "Access-Control-Expose-Headers", "X-Total-Count, Link, X-Supabase-Api-Version"
        );
        response.headers.Set("Vary", "Origin");
        return response;
    };
}

Middleware AttachTasks(apitask::WorkerPool& pool, std::chrono::milliseconds max_request_duration) {
    return [&pool, max_request_duration](Request& request, const Handler& next) {
        std::optional<apitask::Context::Clock::time_point> deadline;
        if (max_request_duration.count() > 0) {
            // Leave time to write the response before the server's 504 watchdog fires.
            const auto margin = std::min<std::chrono::milliseconds>(
                max_request_duration / 10, std::chrono::milliseconds(500)
            );
            deadline = request.received_at + max_request_duration - margin;
        }
        request.tasks = apitask::Context(request.request_id, deadline, &pool)
                            .WithCommitGate(request.tasks.Gate());  // the server's, if any
        return next(request);
    };
}

Middleware WithBackgroundTasks() {
    return [](Request& request, const Handler& next) {
        // The server sees the worker on the request after the handler (also after an exception
        // became a response further out) and waits for it without a thread (server.cpp).
        request.tasks = request.tasks.WithWorker();
        return next(request);
    };
}

bool WaitsForTasks(const Request& request) {
    return request.tasks.HasWorker();
}

void WhenComplete(const Request& request, Response& response, std::function<void(Response&)> step) {
    if (WaitsForTasks(request)) {
        response.on_complete.push_back(std::move(step));
        return;
    }
    step(response);
}

void RunCompletionSteps(Response& response) {
    auto steps = std::move(response.on_complete);
    response.on_complete.clear();
    for (auto& step : steps) {
        step(response);
    }
}

void Complete(const Request& request, Response& response) {
    apitask::Wait(request.tasks);
    RunCompletionSteps(response);
}

Middleware LimitBody(std::size_t max_bytes) {
    return [max_bytes](Request& request, const Handler& next) {
        if (request.body.size() > max_bytes) {
            return RenderError(
                HttpError(
                    413,
                    kRequestEntityTooLarge,
                    "Request body too large (max " + std::to_string(max_bytes) + " bytes)"
                ),
                request
            );
        }
        return next(request);
    };
}

Middleware StripPathPrefix(std::string prefix) {
    return [prefix = std::move(prefix)](Request& request, const Handler& next) {
        const std::string_view path = request.path;
        if (path.starts_with(prefix) &&
            (path.size() == prefix.size() || path[prefix.size()] == '/')) {
            request.path = path.size() == prefix.size() ? "/" : request.path.substr(prefix.size());
        }
        return next(request);
    };
}

}  // namespace gotrue::http
