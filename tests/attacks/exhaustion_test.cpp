// Attack replays through the real binary: resource exhaustion (findings 5, 6, 7, 8). A request
// may cost the server only what it admitted in advance: a header flood is refused before it is
// converted, connections and buffered bytes are capped, expensive work is admitted or refused at
// once, and a padded response waits on a timer instead of a thread.

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/http_client.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::RawConnection;

namespace {

using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers' shadow memory and ASan's quarantine of freed blocks add to every allocation.
constexpr long kRssSlackKib = 160 * 1024;
#else
constexpr long kRssSlackKib = 48 * 1024;
#endif

std::string HeaderFlood(int headers) {
    std::string raw = "GET /health HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < headers; ++i) {
        raw += "X-Flood-" + std::to_string(i) + ": v\r\n";
    }
    return raw + "\r\n";
}

}  // namespace

TEST_SUITE("exhaustion") {
    TEST_CASE("header flood: 40000 headers are refused with 431 before any conversion") {
        AuthServer server;
        const int port = server.Process().Port();
        auto flood = std::async(std::launch::async, [port] {
            RawConnection connection(port);
            static_cast<void>(connection.Send(HeaderFlood(40000)));
            return connection.Receive(5s);
        });
        // Another connection on the same reactor threads is served meanwhile.
        for (int i = 0; i < 5; ++i) {
            CHECK(server.Get("/health").status == 200);
        }
        const std::string refused = flood.get();
        CHECK(refused.rfind("HTTP/1.1 431", 0) == 0);
        CHECK(refused.find(R"("error_code":"validation_failed")") != std::string::npos);
        // A realistic head (cookies of an SSR app, a JWT) is well within the limits.
        const auto normal = server.Get(
            "/health",
            {"Cookie: sb-access-token=" + std::string(12000, 'c'),
             "Authorization: Bearer " + std::string(2000, 'j')}
        );
        CHECK(normal.status == 200);
    }

    TEST_CASE("memory: 150 half-sent 1 MB bodies hold at most the buffered-bytes budget") {
        AuthServer server(
            gotrue::testing::MailMode::kSync, {{"GOTRUE_API_MAX_BUFFERED_BYTES", "8000000"}}
        );
        const int port = server.Process().Port();
        const long before = server.Process().ResidentKib();
        const std::string head = "POST /signup HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n";
        std::vector<std::unique_ptr<RawConnection>> stalled;
        int refused = 0;
        for (int i = 0; i < 150; ++i) {
            stalled.push_back(std::make_unique<RawConnection>(port));
            REQUIRE(stalled.back()->Connected());
            static_cast<void>(stalled.back()->Send(head + std::string(900000, 'x')));
            if (stalled.back()->Receive(20ms).rfind("HTTP/1.1 503", 0) == 0) {
                ++refused;
            }
        }
        std::this_thread::sleep_for(300ms);
        const long after = server.Process().ResidentKib();
        MESSAGE("RSS before " << before << " KiB, with 150 stalled bodies " << after << " KiB");
        CHECK(refused >= 140);                 // about 8 of 150 fit in 8 MB
        CHECK(after - before < kRssSlackKib);  // unbounded, this was over 300 MB
        CHECK(server.Get("/health").status == 200);
        CHECK(server.Post("/signup", "{}").status == 422);  // small requests still admitted
    }

    TEST_CASE("connections: beyond GOTRUE_API_MAX_CONNECTIONS a client gets 503 and a close") {
        AuthServer server(gotrue::testing::MailMode::kSync, {{"GOTRUE_API_MAX_CONNECTIONS", "8"}});
        const int port = server.Process().Port();
        // Nine connections for eight places. Which one is refused depends on the order the two
        // reactor threads take them in, so any one of them may be. (First let the connection of
        // the readiness check be closed and given back.)
        std::this_thread::sleep_for(300ms);
        std::vector<std::unique_ptr<RawConnection>> idle;
        for (int i = 0; i < 9; ++i) {
            idle.push_back(std::make_unique<RawConnection>(port));
        }
        int refused = 0;
        for (auto& connection : idle) {
            const std::string answer = connection->Receive(500ms);
            if (answer.rfind("HTTP/1.1 503", 0) == 0) {
                ++refused;
                CHECK(
                    JsonString(answer.substr(answer.find("\r\n\r\n") + 4), "msg")
                        .find("connections") != std::string::npos
                );
            }
        }
        CHECK(refused == 1);
        idle.clear();
        std::this_thread::sleep_for(200ms);
        CHECK(server.Get("/health").status == 200);
    }

    TEST_CASE(
        "bcrypt flood: 100 concurrent sign-ins are admitted or refused at once, /health stays up"
    ) {
        AuthServer server(
            gotrue::testing::MailMode::kSync,
            {{"GOTRUE_PASSWORD_HASH_COST", "10"}, {"GOTRUE_PASSWORD_HASH_CONCURRENCY", "1"}}
        );
        const std::string email = gotrue::testing::UniqueEmail("bcrypt-flood");
        server.SignUpConfirmed(email);
        std::string refresh_token = JsonString(server.SignIn(email).body, "refresh_token");
        std::vector<std::future<gotrue::testing::HttpResponse>> flood;
        for (int i = 0; i < 100; ++i) {
            flood.push_back(std::async(std::launch::async, [&server, &email, i] {
                return server.Post(
                    "/token?grant_type=password",
                    R"({"email":")" + (i % 2 == 0 ? email : "nobody@example.com") +
                        R"(","password":"wrong-guess"})"
                );
            }));
        }
        // Requests that do not hash run on the other handler threads: /health and refreshes.
        int health_ok = 0;
        int refreshed = 0;
        for (int i = 0; i < 10; ++i) {
            health_ok += server.Get("/health").status == 200 ? 1 : 0;
            const auto refresh = server.Post(
                "/token?grant_type=refresh_token", R"({"refresh_token":")" + refresh_token + R"("})"
            );
            if (refresh.status == 200) {
                ++refreshed;
                refresh_token = JsonString(refresh.body, "refresh_token");
            }
        }
        int refused = 0;
        int wrong = 0;
        for (auto& call : flood) {
            const auto response = call.get();
            if (response.status == 503) {  // the lane's queue was full, or the hasher's
                ++refused;
                CHECK(response.headers.count("retry-after") == 1);
                CHECK(JsonString(response.body, "error_code") == "over_request_rate_limit");
            } else {
                CHECK(response.status == 400);
                CHECK(JsonString(response.body, "error_code") == "invalid_credentials");
                ++wrong;
            }
        }
        MESSAGE(wrong << " sign-ins checked, " << refused << " refused at once");
        CHECK(health_ok == 10);
        CHECK(refreshed == 10);
        CHECK(refused > 0);
        CHECK(wrong >= 5);  // the hashing lane: 4 threads and a queue of 32 for 1 hash at a time
        // Once the flood is over, sign-in works again.
        CHECK(server.SignIn(email).status == 200);
    }
}
