// Request-scoped and fire-and-forget tasks through the real HTTP server (sockets, handler
// threads, middleware), with handlers that start slow tasks.

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "http/errors.hpp"
#include "http/middleware.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::Context;
using gotrue::apitask::MakeTask;
using gotrue::apitask::TaskResult;
using gotrue::apitask::WorkerPool;
using gotrue::http::Chain;
using gotrue::http::Request;
using gotrue::http::Server;
using gotrue::testing::Get;

namespace {

enum class Mode { kRequestScoped, kFireAndForget };

// A server whose handler starts `tasks` tasks of `task_time` each, in the given mode.
struct TaskServer {
    gotrue::conf::ApiConfig config;
    WorkerPool pool{gotrue::apitask::PoolOptions{16, 256}};
    std::atomic<int> finished{0};
    std::unique_ptr<Server> server;

    TaskServer(
        Mode mode,
        int tasks,
        std::chrono::milliseconds task_time,
        std::chrono::milliseconds deadline = 10s,
        int handler_threads = 32
    ) {
        config.host = "127.0.0.1";
        config.port = 0;
        config.handler_threads = handler_threads;
        config.max_request_duration = deadline;
        std::vector<gotrue::http::Middleware> middlewares{
            gotrue::http::AttachTasks(pool, deadline)};
        if (mode == Mode::kRequestScoped) {
            middlewares.push_back(gotrue::http::WithBackgroundTasks());
        }
        auto handler = Chain(middlewares, [this, mode, tasks, task_time](Request& request) {
            const int count = request.path == "/quick" ? 0 : tasks;
            for (int i = 0; i < count; ++i) {
                auto task = MakeTask("test.slow", [this, task_time](const Context&) {
                    std::this_thread::sleep_for(task_time);
                    ++finished;
                    return TaskResult::Ok();
                });
                if (mode == Mode::kRequestScoped) {
                    REQUIRE(gotrue::apitask::Run(request.tasks, std::move(task)).IsOk());
                } else {
                    pool.Enqueue(request.tasks, std::move(task));
                }
            }
            if (request.path == "/throw") {
                throw std::runtime_error("handler failed after starting tasks");
            }
            return gotrue::http::JsonResponse(200, "{}");
        });
        server = std::make_unique<Server>(config, std::move(handler));
        server->Start();
    }

    [[nodiscard]] std::string Url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server->Port()) + path;
    }
};

}  // namespace

TEST_SUITE("background tasks over HTTP") {
    TEST_CASE("request-scoped: the response arrives only after the request's tasks finished") {
        TaskServer server(Mode::kRequestScoped, 3, 200ms);
        const auto started = std::chrono::steady_clock::now();
        const auto response = Get(server.Url("/work"));
        CHECK(response.status == 200);
        CHECK(std::chrono::steady_clock::now() - started >= 200ms);
        CHECK(server.finished.load() == 3);
    }

    TEST_CASE("request-scoped: tasks are joined before the error response when the handler throws"
    ) {
        TaskServer server(Mode::kRequestScoped, 2, 150ms);
        const auto response = Get(server.Url("/throw"));
        CHECK(response.status == 500);
        CHECK(server.finished.load() == 2);
    }

    TEST_CASE("fire-and-forget: the response arrives at once, the tasks finish later") {
        TaskServer server(Mode::kFireAndForget, 3, 300ms);
        const auto started = std::chrono::steady_clock::now();
        const auto response = Get(server.Url("/work"));
        CHECK(response.status == 200);
        CHECK(std::chrono::steady_clock::now() - started < 250ms);
        CHECK(server.finished.load() == 0);
        CHECK(server.pool.Drain(5s).complete);
        CHECK(server.finished.load() == 3);
    }

    TEST_CASE("past the request deadline the response is sent normally and the task detaches") {
        TaskServer server(Mode::kRequestScoped, 1, 1500ms, 600ms);
        const auto started = std::chrono::steady_clock::now();
        const auto response = Get(server.Url("/work"));
        CHECK(response.status == 200);  // not a 504: the data work was done
        CHECK(std::chrono::steady_clock::now() - started < 1200ms);
        CHECK(server.finished.load() == 0);
        CHECK(server.pool.GetMetrics().Read().detached_on_deadline == 1);
        CHECK(server.pool.Drain(5s).complete);  // still drained at shutdown
        CHECK(server.finished.load() == 1);
    }

    TEST_CASE("the handler thread is free while a response waits: one thread serves another") {
        TaskServer server(Mode::kRequestScoped, 1, 800ms, 10s, 1);
        const auto started = std::chrono::steady_clock::now();
        auto waiting =
            std::async(std::launch::async, [&server] { return Get(server.Url("/work")); });
        while (server.pool.GetMetrics().Read().started < 1) {
            std::this_thread::sleep_for(1ms);
        }
        CHECK(server.server->Stats().handler_threads == 1);
        const auto quick = Get(server.Url("/quick"));  // the only handler thread serves it
        CHECK(quick.status == 200);
        CHECK(std::chrono::steady_clock::now() - started < 600ms);
        CHECK(server.finished.load() == 0);
        CHECK(waiting.wait_for(0s) == std::future_status::timeout);  // still waits for its task
        CHECK(waiting.get().status == 200);
        CHECK(std::chrono::steady_clock::now() - started >= 800ms);
        CHECK(server.finished.load() == 1);
    }

    TEST_CASE("16 waiting responses on 2 handler threads are not serialised by the threads") {
        TaskServer server(Mode::kRequestScoped, 1, 400ms, 10s, 2);
        const auto started = std::chrono::steady_clock::now();
        std::vector<std::future<gotrue::testing::HttpResponse>> requests;
        for (int i = 0; i < 16; ++i) {
            requests.push_back(std::async(std::launch::async, [&server] {
                return Get(server.Url("/work"));
            }));
        }
        for (auto& request : requests) {
            CHECK(request.get().status == 200);
        }
        // Parked threads would take 16 x 400 ms / 2 = 3.2 s.
        CHECK(std::chrono::steady_clock::now() - started < 2s);
        CHECK(server.finished.load() == 16);
        // The count drops just after each send, which the client may see first.
        CHECK(server.server->Drain(1s));
    }

    TEST_CASE("a waiting response counts as in flight: Drain waits for it") {
        TaskServer server(Mode::kRequestScoped, 1, 500ms);
        auto waiting =
            std::async(std::launch::async, [&server] { return Get(server.Url("/work")); });
        while (server.pool.GetMetrics().Read().started < 1) {
            std::this_thread::sleep_for(1ms);
        }
        std::this_thread::sleep_for(50ms);  // the handler has returned by now
        CHECK(server.server->InFlight() == 1);
        CHECK(server.server->Stats().waiting_for_tasks == 1);
        CHECK_FALSE(server.server->Drain(100ms));
        CHECK(server.server->Drain(5s));
        CHECK(server.finished.load() == 1);
        CHECK(waiting.get().status == 200);
        CHECK(server.server->Stats().waiting_for_tasks == 0);
    }

    TEST_CASE("Stop without a drain writes the waiting responses and leaves their tasks") {
        TaskServer server(Mode::kRequestScoped, 1, 1500ms);
        const auto started = std::chrono::steady_clock::now();
        auto waiting =
            std::async(std::launch::async, [&server] { return Get(server.Url("/work")); });
        while (server.pool.GetMetrics().Read().started < 1) {
            std::this_thread::sleep_for(1ms);
        }
        std::this_thread::sleep_for(50ms);
        server.server->Stop();
        CHECK(waiting.get().status == 200);
        CHECK(std::chrono::steady_clock::now() - started < 1200ms);
        CHECK(server.pool.GetMetrics().Read().detached_on_deadline == 1);
        CHECK(server.pool.Drain(5s).complete);
        CHECK(server.finished.load() == 1);
    }

    TEST_CASE("shutdown during 20 requests loses no task, in both modes") {
        for (const Mode mode : {Mode::kRequestScoped, Mode::kFireAndForget}) {
            CAPTURE(static_cast<int>(mode));
            TaskServer server(mode, 1, 400ms);
            std::vector<std::future<gotrue::testing::HttpResponse>> requests;
            for (int i = 0; i < 20; ++i) {
                requests.push_back(std::async(std::launch::async, [&server] {
                    return Get(server.Url("/work"));
                }));
            }
            // Shut down while the tasks run: what SIGTERM does in cmd/serve.cpp.
            while (server.pool.GetMetrics().Read().started < 20) {
                std::this_thread::sleep_for(2ms);
            }
            CHECK(server.finished.load() < 20);
            CHECK(server.server->Drain(10s));
            server.server->Stop();
            CHECK(server.pool.Drain(10s).complete);
            CHECK(server.finished.load() == 20);
            for (auto& request : requests) {
                CHECK(request.get().status == 200);
            }
        }
    }
}
