#include "http/middleware.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "http/router.hpp"

using gotrue::http::Chain;
using gotrue::http::Handler;
using gotrue::http::Middleware;
using gotrue::http::Request;
using gotrue::http::Response;

namespace {

// A middleware whose completion step records "<name>:<status>" in `trace`.
Middleware TraceStatus(std::vector<std::string>& trace, std::string name) {
    return [&trace, name = std::move(name)](Request& request, const Handler& next) {
        Response response = next(request);
        gotrue::http::WhenComplete(request, response, [&trace, name](Response& done) {
            trace.push_back(name + ":" + std::to_string(done.status));
        });
        return response;
    };
}

}  // namespace

TEST_SUITE("middleware") {
    TEST_CASE("Chain runs middleware outermost first and unwinds in reverse") {
        std::vector<std::string> trace;
        const auto step = [&trace](const std::string& name) -> Middleware {
            return [&trace, name](Request& request, const Handler& next) {
                trace.push_back(name + ">");
                Response response = next(request);
                trace.push_back("<" + name);
                return response;
            };
        };
        const Handler handler = Chain({step("a"), step("b")}, [&trace](Request&) {
            trace.emplace_back("handler");
            return Response{};
        });
        Request request;
        static_cast<void>(handler(request));
        CHECK(trace == std::vector<std::string>{"a>", "b>", "handler", "<b", "<a"});
    }

    TEST_CASE("StripPathPrefix serves /auth/v1/x as /x, and only a whole path segment") {
        const auto routed = [](const std::string& path) {
            std::string seen;
            const Handler handler =
                Chain({gotrue::http::StripPathPrefix("/auth/v1")}, [&seen](Request& request) {
                    seen = request.path;
                    return Response{};
                });
            Request request;
            request.path = path;
            static_cast<void>(handler(request));
            return seen;
        };
        CHECK(routed("/auth/v1/signup") == "/signup");
        CHECK(routed("/auth/v1/.well-known/jwks.json") == "/.well-known/jwks.json");
        CHECK(routed("/auth/v1") == "/");
        CHECK(routed("/auth/v1/") == "/");
        CHECK(routed("/signup") == "/signup");
        CHECK(routed("/auth/v10/signup") == "/auth/v10/signup");
        CHECK(routed("/x/auth/v1/signup") == "/x/auth/v1/signup");
        CHECK(routed("/auth/v1/auth/v1/user") == "/auth/v1/user");  // stripped once
    }

    TEST_CASE("log-field injection: a request id from the header is reduced to a safe alphabet") {
        Request request;
        request.headers.Set("X-Request-Id", "abc status=200 user_id=admin\r\nlevel=error");
        CHECK(
            gotrue::http::RequestIdFor(request, "X-Request-Id") ==
            "abc_status_200_user_id_admin__level_error"
        );
        request.headers.Set("X-Request-Id", std::string(300, 'x'));
        CHECK(gotrue::http::RequestIdFor(request, "X-Request-Id") == std::string(128, 'x'));
        // Without the header configured the client's value is ignored.
        CHECK(gotrue::http::RequestIdFor(request, "").size() == 36);
    }

    TEST_CASE("WhenComplete runs at once without tasks, after the tasks with a request worker") {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        std::atomic<int> task_done{0};
        std::vector<std::string> trace;
        const Middleware outer = TraceStatus(trace, "outer");
        const auto inner = [&trace](Request& request, const Handler& next) {
            Response response = next(request);
            gotrue::http::WhenComplete(request, response, [&trace](Response& done) {
                trace.emplace_back("inner");
                done.status = 201;  // the outer step sees what the inner one did
            });
            return response;
        };
        const auto handler = [&task_done](Request& request) {
            static_cast<void>(gotrue::apitask::Run(
                request.tasks,
                gotrue::apitask::MakeTask(
                    "test.slow",
                    [&task_done](const gotrue::apitask::Context&) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        ++task_done;
                        return gotrue::apitask::TaskResult::Ok();
                    }
                )
            ));
            return Response{};
        };
        const auto attach = gotrue::http::AttachTasks(pool, std::chrono::seconds(10));

        // Synchronous: the task ran inline, the steps ran on the way out.
        Request plain;
        Response sync = Chain({attach, outer, inner}, handler)(plain);
        CHECK_FALSE(gotrue::http::WaitsForTasks(plain));
        CHECK(trace == std::vector<std::string>{"inner", "outer:201"});
        CHECK(sync.on_complete.empty());

        // Request-scoped: the steps wait for the task, in order, once.
        trace.clear();
        task_done = 0;
        Request scoped;
        Response pending =
            Chain({attach, outer, inner, gotrue::http::WithBackgroundTasks()}, handler)(scoped);
        CHECK(gotrue::http::WaitsForTasks(scoped));
        CHECK(trace.empty());
        CHECK(pending.on_complete.size() == 2);
        gotrue::http::Complete(scoped, pending);
        CHECK(task_done.load() == 1);
        CHECK(trace == std::vector<std::string>{"inner", "outer:201"});
        CHECK(pending.on_complete.empty());
        gotrue::http::RunCompletionSteps(pending);  // nothing left to run twice
        CHECK(trace.size() == 2);
    }

    TEST_CASE(
        "a handler's response steps run first among the completion steps, after a worker it "
        "attached itself has finished its task"
    ) {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        std::vector<std::string> trace;
        const Middleware outer = TraceStatus(trace, "outer");
        std::atomic<bool> sent{false};
        // As the synchronous mail mode does: a worker without a deadline, attached in the
        // handler, and a step that turns the response into the task's outcome.
        const auto handler = [&pool, &sent, &trace](Request& request) {
            const auto waited =
                gotrue::apitask::Context(request.request_id, std::nullopt, &pool).WithWorker();
            static_cast<void>(gotrue::apitask::Run(
                waited.WithDeadline(gotrue::apitask::Context::Clock::now()),
                gotrue::apitask::MakeTask(
                    "test.send",
                    [&sent](const gotrue::apitask::Context&) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        sent = true;
                        return gotrue::apitask::TaskResult::Ok();
                    }
                )
            ));
            request.tasks = waited;
            request.response_steps.emplace_back([&sent, &trace](Response& response) {
                trace.emplace_back(sent ? "sent" : "not sent");
                response.status = 500;
            });
            return Response{};
        };
        Request request;
        Response response = Chain({outer}, handler)(request);
        CHECK(gotrue::http::WaitsForTasks(request));
        CHECK(request.response_steps.empty());
        CHECK(trace.empty());
        gotrue::http::Complete(request, response);
        CHECK(trace == std::vector<std::string>{"sent", "outer:500"});
        CHECK(response.status == 500);
    }

    TEST_CASE("the recoverer turns an escaping exception into a 500") {
        const Handler handler = Chain({gotrue::http::Recoverer()}, [](Request&) -> Response {
            throw std::logic_error("boom");
        });
        Request request;
        CHECK(handler(request).status == 500);
    }

    TEST_CASE("ObserveRequests reports the matched route pattern, never the raw path") {
        gotrue::http::Router router;
        router.Add("GET", "/admin//users/:user_id/", [](Request&) { return Response{}; });
        router.Route("/factors", nullptr).Add("DELETE", ":factor_id", [](Request&) {
            Response response;
            response.status = 204;
            return response;
        });
        std::vector<gotrue::http::RequestRecord> seen;
        const Handler handler = Chain(
            {gotrue::http::ObserveRequests([&seen](const gotrue::http::RequestRecord& record) {
                seen.push_back(record);
            })},
            [&router](Request& request) { return router.Dispatch(request); }
        );
        const auto run = [&handler](const std::string& method, const std::string& path) {
            Request request;
            request.method = method;
            request.path = path;
            return handler(request).status;
        };
        CHECK(run("GET", "/admin/users/0d6c1c9e-secret") == 200);
        CHECK(run("DELETE", "/factors/abc") == 204);
        CHECK(run("GET", "/no/such/path/12345") == 404);
        CHECK(run("POST", "/admin/users/x") == 405);
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].method == "GET");
        CHECK(seen[0].route == "/admin/users/:user_id");
        CHECK(seen[0].status == 200);
        CHECK(seen[1].route == "/factors/:factor_id");
        CHECK(seen[1].status == 204);
        CHECK(seen[2].route.empty());
        CHECK(seen[2].status == 404);
        CHECK(seen[3].route.empty());
        CHECK(seen[3].status == 405);
        CHECK(seen[0].duration.count() >= 0);
    }

    TEST_CASE("ObserveRequests reports a request with tasks once they are done") {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{1, 8});
        std::vector<gotrue::http::RequestRecord> seen;
        const auto slow = [](Request& request) {
            static_cast<void>(gotrue::apitask::Run(
                request.tasks,
                gotrue::apitask::MakeTask(
                    "test.slow",
                    [](const gotrue::apitask::Context&) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        return gotrue::apitask::TaskResult::Ok();
                    }
                )
            ));
            return gotrue::http::JsonResponse(201, "{}");
        };
        const auto observe =
            gotrue::http::ObserveRequests([&seen](const gotrue::http::RequestRecord& record) {
                seen.push_back(record);
            });
        const auto attach = gotrue::http::AttachTasks(pool, std::chrono::seconds(5));
        Request request;
        request.method = "POST";
        Response response =
            Chain({observe, attach, gotrue::http::WithBackgroundTasks()}, slow)(request);
        CHECK(seen.empty());  // not before the response is complete
        gotrue::http::Complete(request, response);
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].status == 201);
        CHECK(seen[0].duration >= std::chrono::milliseconds(50));
    }
}
