// The HTTP server over a real socket, with handlers made for the test (slow, blocking).

#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/commit_gate.hpp"
#include "http/errors.hpp"
#include "support/http_client.hpp"

using namespace std::chrono_literals;
using gotrue::http::Request;
using gotrue::http::Response;
using gotrue::http::Server;
using gotrue::testing::Get;
using gotrue::testing::Post;
using gotrue::testing::RawExchange;

namespace {

gotrue::conf::ApiConfig LoopbackConfig() {
    gotrue::conf::ApiConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.handler_threads = 4;
    return config;
}

std::string BaseUrl(const Server& server) {
    return "http://127.0.0.1:" + std::to_string(server.Port());
}

Response Ok(std::string body = "{}") {
    return gotrue::http::JsonResponse(200, std::move(body));
}

}  // namespace

TEST_SUITE("http server") {
    TEST_CASE("serves handler responses with their status, headers and body") {
        const auto config = LoopbackConfig();
        Server server(config, [](Request& request) {
            Response response =
                gotrue::http::JsonResponse(201, R"({"path":")" + request.path + "\"}");
            response.headers.Set("X-Custom", "yes");
            return response;
        });
        server.Start();
        const auto response = Get(BaseUrl(server) + "/some/path?x=a%20b");
        CHECK(response.status == 201);
        CHECK(response.body == R"({"path":"/some/path"})");
        CHECK(response.headers.at("x-custom") == "yes");
        CHECK(response.headers.at("content-type") == "application/json");
        server.Stop();
    }

    TEST_CASE("query values and headers reach the handler decoded") {
        const auto config = LoopbackConfig();
        std::promise<Request> seen;
        Server server(config, [&seen](Request& request) {
            seen.set_value(request);
            return Ok();
        });
        server.Start();
        static_cast<void>(
            Get(BaseUrl(server) + "/q?redirect_to=http%3A%2F%2Fx%2Fy&a=b+c",
                {"apikey: k1", "Authorization: Bearer t"})
        );
        const Request request = seen.get_future().get();
        CHECK(request.query.at("redirect_to") == "http://x/y");
        CHECK(request.query.at("a") == "b c");
        CHECK(request.headers.Get("APIKEY") == "k1");
        CHECK(request.headers.Get("authorization") == "Bearer t");
        CHECK(request.method == "GET");
        server.Stop();
    }

    TEST_CASE("a slow handler does not stall other requests") {
        auto config = LoopbackConfig();
        config.reactor_threads = 1;  // even with a single I/O thread
        std::promise<void> release;
        auto released = release.get_future().share();
        Server server(config, [released](Request& request) {
            if (request.path == "/slow") {
                released.wait();
            }
            return Ok();
        });
        server.Start();
        auto slow = std::async(std::launch::async, [&] { return Get(BaseUrl(server) + "/slow"); });
        std::this_thread::sleep_for(100ms);
        const auto start = std::chrono::steady_clock::now();
        CHECK(Get(BaseUrl(server) + "/fast").status == 200);
        CHECK(std::chrono::steady_clock::now() - start < 2s);
        release.set_value();
        CHECK(slow.get().status == 200);
        server.Stop();
    }

    TEST_CASE("a request past the deadline gets 504 request_timeout while the handler finishes") {
        auto config = LoopbackConfig();
        config.max_request_duration = 200ms;
        std::atomic<bool> finished{false};
        Server server(config, [&finished](Request&) {
            std::this_thread::sleep_for(600ms);
            finished = true;
            return Ok();
        });
        server.Start();
        const auto response =
            Get(BaseUrl(server) + "/slow", {"X-Supabase-Api-Version: 2024-01-01"});
        CHECK(response.status == 504);
        CHECK(
            response.body ==
            R"({"code":"request_timeout","message":"Processing this request timed out, please retry after a moment."})"
        );
        CHECK(server.Drain(5s));
        CHECK(finished.load());
        server.Stop();
    }

    TEST_CASE("a request whose transaction committed before the deadline gets its real answer") {
        auto config = LoopbackConfig();
        config.max_request_duration = 200ms;
        Server server(config, [](Request& request) {
            const auto& gate = request.tasks.Gate();
            REQUIRE(gate != nullptr);
            CHECK(gate->Pass());  // the commit, then slow work after it
            std::this_thread::sleep_for(600ms);
            return Ok(R"({"late":true})");
        });
        server.Start();
        const auto start = std::chrono::steady_clock::now();
        const auto response = Get(BaseUrl(server) + "/committed");
        CHECK(response.status == 200);
        CHECK(response.body == R"({"late":true})");
        CHECK(std::chrono::steady_clock::now() - start >= 550ms);
        server.Stop();
    }

    TEST_CASE("past the deadline before its commit: 504, and the commit is refused") {
        auto config = LoopbackConfig();
        config.max_request_duration = 200ms;
        std::promise<bool> passed;
        Server server(config, [&passed](Request& request) {
            std::this_thread::sleep_for(600ms);
            passed.set_value(request.tasks.Gate()->Pass());
            return Ok();
        });
        server.Start();
        const auto response = Get(BaseUrl(server) + "/late-commit");
        CHECK(response.status == 504);
        auto result = passed.get_future();
        REQUIRE(result.wait_for(5s) == std::future_status::ready);
        CHECK_FALSE(result.get());
        CHECK(server.Drain(5s));
        server.Stop();
    }

    TEST_CASE("the deadline cancels the statement of the transaction in flight") {
        auto config = LoopbackConfig();
        config.max_request_duration = 200ms;
        std::promise<void> cancel;
        std::promise<bool> outcome;
        Server server(config, [&](Request& request) {
            const auto& gate = request.tasks.Gate();
            REQUIRE(gate->Enter([&cancel] { cancel.set_value(); }));
            // A statement that only ends when cancelled (or after 5 s).
            const bool cancelled = cancel.get_future().wait_for(5s) == std::future_status::ready;
            const bool left_cancelled = gate->Leave();
            outcome.set_value(cancelled && left_cancelled && !gate->Pass());
            return Ok();
        });
        server.Start();
        const auto start = std::chrono::steady_clock::now();
        const auto response = Get(BaseUrl(server) + "/statement");
        CHECK(response.status == 504);
        auto result = outcome.get_future();
        REQUIRE(result.wait_for(3s) == std::future_status::ready);
        CHECK(result.get());
        CHECK(std::chrono::steady_clock::now() - start < 3s);
        CHECK(server.Drain(5s));
        server.Stop();
    }

    TEST_CASE("a request answered 504 while queued never runs its handler") {
        auto config = LoopbackConfig();
        config.max_request_duration = 200ms;
        config.handler_threads = 1;
        std::atomic<int> calls{0};
        std::promise<void> first_started;
        Server server(config, [&](Request& request) {
            if (++calls == 1) {
                first_started.set_value();
            }
            if (request.path == "/busy") {
                std::this_thread::sleep_for(600ms);
            }
            return Ok();
        });
        server.Start();
        auto busy =
            std::async(std::launch::async, [&server] { return Get(BaseUrl(server) + "/busy"); });
        first_started.get_future().wait();
        const auto queued = Get(BaseUrl(server) + "/queued");
        CHECK(queued.status == 504);
        CHECK(busy.get().status == 504);
        CHECK(server.Drain(5s));
        CHECK(calls.load() == 1);
        server.Stop();
    }

    TEST_CASE("Drain lets in-flight requests finish and refuses new ones with 503") {
        const auto config = LoopbackConfig();
        std::atomic<int> started{0};
        Server server(config, [&started](Request&) {
            ++started;
            std::this_thread::sleep_for(300ms);
            return Ok(R"({"done":true})");
        });
        server.Start();
        std::vector<std::future<gotrue::testing::HttpResponse>> in_flight;
        for (int i = 0; i < 4; ++i) {
            in_flight.push_back(std::async(std::launch::async, [&] {
                return Get(BaseUrl(server) + "/work");
            }));
        }
        while (started.load() < 4) {
            std::this_thread::sleep_for(5ms);
        }
        auto drained = std::async(std::launch::async, [&] { return server.Drain(10s); });
        std::this_thread::sleep_for(50ms);
        const auto refused = Get(BaseUrl(server) + "/late");
        CHECK(refused.status == 503);
        CHECK(drained.get());
        for (auto& request : in_flight) {
            const auto response = request.get();
            CHECK(response.status == 200);
            CHECK(response.body == R"({"done":true})");
        }
        CHECK(server.InFlight() == 0);
        server.Stop();
    }

    TEST_CASE("a full handler queue answers 503 instead of queueing forever") {
        auto config = LoopbackConfig();
        config.handler_threads = 1;
        config.handler_queue_size = 1;
        std::promise<void> release;
        auto released = release.get_future().share();
        std::atomic<int> started{0};
        Server server(config, [released, &started](Request&) {
            ++started;
            released.wait();
            return Ok();
        });
        server.Start();
        auto first = std::async(std::launch::async, [&] { return Get(BaseUrl(server) + "/a"); });
        while (started.load() < 1) {
            std::this_thread::sleep_for(5ms);
        }
        auto second =
            std::async(std::launch::async, [&] { return Get(BaseUrl(server) + "/b"); });  // queued
        std::this_thread::sleep_for(100ms);
        const auto third = Get(BaseUrl(server) + "/c");
        CHECK(third.status == 503);
        CHECK(third.headers.at("retry-after") == "1");
        release.set_value();
        CHECK(first.get().status == 200);
        CHECK(second.get().status == 200);
        server.Stop();
    }

    TEST_CASE("keep-alive: HTTP/1.1 responses do not ask the client to close") {
        const auto config = LoopbackConfig();
        Server server(config, [](Request&) { return Ok(); });
        server.Start();
        const std::string raw =
            RawExchange(server.Port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 300ms);
        CHECK(raw.find("HTTP/1.1 200") == 0);
        CHECK(raw.find("Connection: Close") == std::string::npos);
        server.Stop();
    }

    TEST_CASE("malformed HTTP gets a JSON error, and the server keeps serving") {
        const auto config = LoopbackConfig();
        Server server(config, [](Request&) { return Ok(); });
        server.Start();
        const std::string unknown_method =
            RawExchange(server.Port(), "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 1s);
        CHECK(unknown_method.find("HTTP/1.1 405") == 0);
        CHECK(unknown_method.find("Connection: close\r\n") != std::string::npos);
        CHECK(unknown_method.find(R"("error_code":"method_not_allowed")") != std::string::npos);
        const std::string negative_length =
            RawExchange(server.Port(), "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 1s);
        CHECK(negative_length.find("HTTP/1.1 400") == 0);
        CHECK(negative_length.find(R"("error_code":"validation_failed")") != std::string::npos);
        static_cast<void>(RawExchange(server.Port(), "GARBAGE\r\n\r\n", 200ms));
        static_cast<void>(RawExchange(
            server.Port(), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 500ms
        ));
        static_cast<void>(
            RawExchange(server.Port(), "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 500ms)
        );
        static_cast<void>(RawExchange(server.Port(), std::string("\0\0\0\xff\xfe", 5), 200ms));
        CHECK(Get(BaseUrl(server) + "/still-up").status == 200);
        server.Stop();
    }

    TEST_CASE("a body over 1 MiB is answered GoTrue's 413 before the handler is called") {
        const auto config = LoopbackConfig();
        std::atomic<int> calls{0};
        Server server(config, [&calls](Request&) -> Response {
            ++calls;
            return Ok();
        });
        server.Start();
        const auto response = Post(BaseUrl(server) + "/signup", std::string((1 << 20) + 1, 'x'));
        CHECK(response.status == 413);
        CHECK(response.headers.at("x-sb-error-code") == "request_entity_too_large");
        CHECK(calls.load() == 0);
        CHECK(Post(BaseUrl(server) + "/signup", std::string(1 << 20, 'x')).status == 200);
        CHECK(calls.load() == 1);
        server.Stop();
    }

    TEST_CASE("a response held back by not_before waits on a timer, not on a handler thread") {
        auto config = LoopbackConfig();
        config.handler_threads = 2;
        std::atomic<int> released{0};
        Server server(config, [&released](Request& request) {
            Response response = Ok();
            if (request.path == "/padded") {
                response.not_before = std::chrono::steady_clock::now() + 1500ms;
                response.hold = std::shared_ptr<void>(
                    static_cast<void*>(&released), [&released](void*) { ++released; }
                );
            }
            return response;
        });
        server.Start();
        const auto started = std::chrono::steady_clock::now();
        std::vector<std::future<gotrue::testing::HttpResponse>> padded;
        for (int i = 0; i < 20; ++i) {
            padded.push_back(std::async(std::launch::async, [&server] {
                return Get(BaseUrl(server) + "/padded");
            }));
        }
        std::this_thread::sleep_for(300ms);
        // 20 held responses and only 2 handler threads: /health still gets one at once.
        CHECK(Get(BaseUrl(server) + "/health").status == 200);
        CHECK(std::chrono::steady_clock::now() - started < 1500ms);
        CHECK(released.load() == 0);
        for (auto& response : padded) {
            CHECK(response.get().status == 200);
        }
        CHECK(std::chrono::steady_clock::now() - started >= 1500ms);
        // Each hold goes when the watcher drops the sent response, just after the write.
        for (int i = 0; i < 100 && released.load() < 20; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        CHECK(released.load() == 20);
        server.Stop();
    }

    TEST_CASE("connections beyond the cap are answered 503 and closed, the rest keep working") {
        auto config = LoopbackConfig();
        config.max_connections = 4;
        Server server(config, [](Request&) { return Ok(); });
        server.Start();
        std::vector<std::unique_ptr<gotrue::testing::RawConnection>> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(std::make_unique<gotrue::testing::RawConnection>(server.Port()));
        }
        std::this_thread::sleep_for(200ms);
        const std::string refused = RawExchange(server.Port(), "GET / HTTP/1.1\r\n\r\n", 1s);
        CHECK(refused.find("HTTP/1.1 503") == 0);
        CHECK(refused.find("Retry-After: 1") != std::string::npos);
        REQUIRE(held[0]->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
        CHECK(held[0]->Receive(500ms).find("HTTP/1.1 200") == 0);
        held.pop_back();
        std::this_thread::sleep_for(200ms);
        CHECK(Get(BaseUrl(server) + "/after").status == 200);
        server.Stop();
    }

    TEST_CASE("bodies being received share a byte budget: beyond it, 503 before the body is read") {
        auto config = LoopbackConfig();
        config.max_buffered_bytes = 5 * 1000 * 1000;  // a 1 MB body counts twice (server.cpp)
        Server server(config, [](Request&) { return Ok(); });
        server.Start();
        const std::string head = "POST /upload HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n";
        std::vector<std::unique_ptr<gotrue::testing::RawConnection>> uploads;
        int refused = 0;
        for (int i = 0; i < 6; ++i) {
            uploads.push_back(std::make_unique<gotrue::testing::RawConnection>(server.Port()));
            REQUIRE(uploads.back()->Send(head + std::string(1000, 'x')));
            if (uploads.back()->Receive(300ms).find("HTTP/1.1 503") == 0) {
                ++refused;
            }
        }
        CHECK(refused == 4);  // 2 x ~2 MB fit in 5 MB; a third would not
        // Small requests are always admitted, and finishing an upload gives its bytes back.
        CHECK(Get(BaseUrl(server) + "/small").status == 200);
        REQUIRE(uploads[0]->Send(std::string(999000, 'x')));
        CHECK(uploads[0]->Receive(1s).find("HTTP/1.1 200") == 0);
        gotrue::testing::RawConnection another(server.Port());
        REQUIRE(another.Send(head + std::string(1000000, 'y')));
        CHECK(another.Receive(1s).find("HTTP/1.1 200") == 0);
        server.Stop();
    }
}
