// The real binary over a socket: /health, /settings, error formats, limits, malformed input.

#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using gotrue::testing::BaseEnvironment;
using gotrue::testing::FreePort;
using gotrue::testing::Get;
using gotrue::testing::GotrueProcess;
using gotrue::testing::Post;
using gotrue::testing::RawExchange;
using gotrue::testing::RunGotrue;
using gotrue::testing::ScratchDatabase;

namespace {

// A migrated scratch database and a server on it.
struct RunningServer {
    ScratchDatabase database;
    gotrue::testing::EnvMap env;
    std::unique_ptr<GotrueProcess> process;

    explicit RunningServer(const gotrue::testing::EnvMap& extra = {}) {
        env = BaseEnvironment(database.Url(), FreePort());
        for (const auto& [key, value] : extra) {
            env[key] = value;
        }
        const auto migrated = RunGotrue({"migrate"}, env);
        REQUIRE_MESSAGE(migrated.exit_code == 0, migrated.output);
        process = std::make_unique<GotrueProcess>(std::vector<std::string>{"serve"}, env);
        REQUIRE_MESSAGE(process->WaitReady(), process->Output());
    }
};

}  // namespace

TEST_SUITE("http") {
    TEST_CASE("GET /health answers GoTrue's JSON") {
        RunningServer server;
        const auto response = Get(server.process->Url() + "/health");
        CHECK(response.status == 200);
        CHECK(response.headers.at("content-type") == "application/json");
        CHECK(
            response.body ==
            R"({"version":"0.1.0","name":"GoTrue","description":"GoTrue is a user registration and authentication API"})"
        );
    }

    TEST_CASE("GET /settings reflects the configuration") {
        RunningServer server(
            {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}, {"GOTRUE_EXTERNAL_GOOGLE_ENABLED", "true"}}
        );
        const auto response = Get(server.process->Url() + "/settings");
        REQUIRE(response.status == 200);
        rapidjson::Document document;
        document.Parse(response.body.c_str());
        REQUIRE(document.IsObject());
        CHECK(document["mailer_autoconfirm"].GetBool());
        CHECK(document["external"]["google"].GetBool());
        CHECK(document["external"]["email"].GetBool());
        CHECK_FALSE(document["disable_signup"].GetBool());
    }

    TEST_CASE("a 1 MiB + 1 byte body is 413 request_entity_too_large in both error formats") {
        RunningServer server;
        const std::string body((1 << 20) + 1, 'x');
        const auto legacy = Post(server.process->Url() + "/signup", body);
        CHECK(legacy.status == 413);
        CHECK(
            legacy.body ==
            R"json({"code":413,"error_code":"request_entity_too_large","msg":"Request body too large (max 1048576 bytes)"})json"
        );
        CHECK(legacy.headers.at("x-sb-error-code") == "request_entity_too_large");
        const auto v2024 =
            Post(server.process->Url() + "/signup", body, {"X-Supabase-Api-Version: 2024-01-01"});
        CHECK(v2024.status == 413);
        CHECK(
            v2024.body ==
            R"json({"code":"request_entity_too_large","message":"Request body too large (max 1048576 bytes)"})json"
        );
        CHECK(v2024.headers.at("x-supabase-api-version") == "2024-01-01");
    }

    TEST_CASE("unknown routes are 404 JSON errors") {
        RunningServer server;
        const auto response = Get(server.process->Url() + "/no/such/route");
        CHECK(response.status == 404);
        CHECK(response.headers.at("x-sb-error-code") == "not_found");
    }

    TEST_CASE("every request is logged once with status, duration and request id") {
        RunningServer server(gotrue::testing::EnvMap{
            {"GOTRUE_API_REQUEST_ID_HEADER", "X-Request-Id"}});
        REQUIRE(
            Get(server.process->Url() + "/settings", {"X-Request-Id: trace-me-123"}).status == 200
        );
        const std::string output = server.process->Output();
        const auto line_start = output.rfind('\n', output.find("trace-me-123"));
        const std::string line =
            output.substr(line_start + 1, output.find('\n', line_start + 1) - line_start - 1);
        CHECK(line.find(R"("msg":"request completed")") != std::string::npos);
        CHECK(line.find(R"("component":"api")") != std::string::npos);
        CHECK(line.find(R"("status":200)") != std::string::npos);
        CHECK(line.find(R"("path":"/settings")") != std::string::npos);
        CHECK(line.find(R"("duration_ms":)") != std::string::npos);
        CHECK(line.find(R"("request_id":"trace-me-123")") != std::string::npos);
    }

    TEST_CASE("malformed HTTP never takes the server down") {
        RunningServer server;
        const int port = server.process->Port();
        CHECK(
            RawExchange(port, "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(2))
                .find("HTTP/1.1 405") == 0
        );
        static_cast<void>(RawExchange(port, "GARBAGE\r\n\r\n", std::chrono::milliseconds(200)));
        static_cast<void>(RawExchange(
            port,
            "POST /signup HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            std::chrono::milliseconds(500)
        ));
        CHECK(
            RawExchange(
                port,
                "POST /signup HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
                std::chrono::milliseconds(500)
            )
                .find("HTTP/1.1 413") == 0
        );
        static_cast<void>(RawExchange(
            port,
            "POST /signup HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
            std::chrono::milliseconds(500)
        ));
        static_cast<void>(RawExchange(
            port, std::string(64 * 1024, 'A') + "\r\n\r\n", std::chrono::milliseconds(500)
        ));
        CHECK_MESSAGE(
            Get(server.process->Url() + "/health").status == 200, server.process->Output()
        );
    }
}
