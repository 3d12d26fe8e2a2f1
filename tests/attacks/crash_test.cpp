// Attack replays through the real binary: input that used to kill or wedge the process.
// Finding 1 (stack overflow in the JSON parser), and Pistache's own edge cases (finding 9's
// Content-Length rows), which the request framer now answers before Pistache parses anything.

#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "support/http_client.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::RawConnection;
using gotrue::testing::RawExchange;

namespace {

using namespace std::chrono_literals;

void RequireAlive(const AuthServer& server) {
    REQUIRE_MESSAGE(server.Get("/health").status == 200, server.Output());
}

// The status line's code of a raw response ("HTTP/1.1 413 ..." -> 413), 0 when there is none.
int StatusOf(const std::string& raw) {
    if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) {
        return 0;
    }
    return std::stoi(raw.substr(9, 3));
}

std::string BodyOf(const std::string& raw) {
    const auto end = raw.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

}  // namespace

TEST_SUITE("crash") {
    TEST_CASE("stack exhaustion: 200000 opening brackets are 400 bad_json on every JSON endpoint") {
        AuthServer server;
        const std::string flood(200000, '[');
        const std::vector<std::string> endpoints{
            "/signup",
            "/token?grant_type=password",
            "/token?grant_type=refresh_token",
            "/verify",
            "/recover",
            "/resend",
            "/magiclink",
            "/otp",
        };
        for (const auto& path : endpoints) {
            CAPTURE(path);
            const auto response = server.Post(path, flood);
            CHECK(response.status == 400);
            CHECK(JsonString(response.body, "error_code") == "bad_json");
            CHECK(JsonString(response.body, "msg").find("exceeded max depth") != std::string::npos);
        }
        RequireAlive(server);
        // Nesting inside an otherwise valid body, and just under the limit.
        const std::string deep =
            R"({"email":"deep@example.com","password":"secret-123","data":{"k":)" +
            std::string(20000, '[') + std::string(20000, ']') + "}}";
        CHECK(server.Post("/signup", deep).status == 400);
        const std::string fine =
            R"({"email":"fine@example.com","password":"secret-123","data":{"k":)" +
            std::string(390, '[') + std::string(390, ']') + "}}";
        CHECK(server.Post("/signup", fine).status == 200);
        RequireAlive(server);
    }

    TEST_CASE("stack exhaustion: a JWT whose header nests 5000 arrays is 403 bad_jwt") {
        AuthServer server;
        const std::string header = gotrue::crypto::Base64UrlEncode(
            R"({"alg":"HS256","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}"
        );
        const std::string token = header + "." + gotrue::crypto::Base64UrlEncode("{}") + ".sig";
        const auto response = server.Get("/user", {"Authorization: Bearer " + token});
        CHECK(response.status == 403);
        CHECK(JsonString(response.body, "error_code") == "bad_jwt");
        RequireAlive(server);
    }

    TEST_CASE("framing: bad Content-Length, Transfer-Encoding and methods get JSON 4xx at once") {
        AuthServer server;
        const int port = server.Process().Port();

        struct Row {
            std::string raw;
            int status;
            std::string error_code;
        };

        const std::vector<Row> rows{
            {"POST /signup HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400, "validation_failed"},
            {"POST /signup HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
             413,
             "request_entity_too_large"},
            {"POST /signup HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
             400,
             "validation_failed"},
            {"POST /signup HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
             400,
             "validation_failed"},
            {"POST /signup HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
             400,
             "validation_failed"},
            {"POST /signup HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "validation_failed"},
            {"FOO /health HTTP/1.1\r\n\r\n", 405, "method_not_allowed"},
            {"GET /health HTTP/1.1\nHost: x\n\n", 400, "validation_failed"},
            {std::string("GET /health HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 34),
             400,
             "validation_failed"},
            {"GET /health HTTP/3.0\r\n\r\n", 505, "validation_failed"},
        };
        for (const auto& row : rows) {
            CAPTURE(row.raw);
            // Answered immediately, not after Pistache's 10 s header timeout.
            const auto started = std::chrono::steady_clock::now();
            const std::string raw = RawExchange(port, row.raw, 5s);
            CHECK(std::chrono::steady_clock::now() - started < 4s);
            CHECK(StatusOf(raw) == row.status);
            CHECK(JsonString(BodyOf(raw), "error_code") == row.error_code);
            CHECK(raw.find("Connection: close") != std::string::npos);
        }
        RequireAlive(server);
    }

    TEST_CASE("framing: a chunked body and two requests in one packet are both served") {
        AuthServer server;
        const int port = server.Process().Port();
        const std::string chunked = RawExchange(
            port,
            "POST /signup HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "5\r\n{\"ema\r\n0\r\n\r\n",
            1s  // Pistache keeps the socket open after Connection: close
        );
        CHECK(StatusOf(chunked) == 400);
        CHECK(JsonString(BodyOf(chunked), "error_code") == "bad_json");

        RawConnection connection(port);
        REQUIRE(connection.Send(
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /settings HTTP/1.1\r\nHost: x\r\n\r\n"
        ));
        std::string both;
        for (int i = 0; i < 30 && both.find("\"external\"") == std::string::npos; ++i) {
            both += connection.Receive(100ms);
        }
        CHECK(both.find("GoTrue is a user registration") != std::string::npos);
        CHECK(both.find("\"external\"") != std::string::npos);
    }
}
