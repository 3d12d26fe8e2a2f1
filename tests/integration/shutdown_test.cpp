// Graceful shutdown of the real binary.

#include <csignal>
#include <string>

#include <doctest/doctest.h>

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using gotrue::testing::BaseEnvironment;
using gotrue::testing::FreePort;
using gotrue::testing::GotrueProcess;
using gotrue::testing::RunGotrue;
using gotrue::testing::ScratchDatabase;

TEST_SUITE("shutdown") {
    TEST_CASE("SIGTERM and SIGINT stop the server with exit code 0") {
        for (const int signal : {SIGTERM, SIGINT}) {
            CAPTURE(signal);
            const ScratchDatabase database;
            const auto env = BaseEnvironment(database.Url(), FreePort());
            REQUIRE(RunGotrue({"migrate"}, env).exit_code == 0);
            GotrueProcess server({"serve"}, env);
            REQUIRE_MESSAGE(server.WaitReady(), server.Output());
            CHECK(gotrue::testing::Get(server.Url() + "/health").status == 200);
            server.Signal(signal);
            const auto exit_code = server.WaitExit(std::chrono::seconds(20));
            REQUIRE_MESSAGE(exit_code.has_value(), server.Output());
            CHECK(*exit_code == 0);
            const std::string output = server.Output();
            CHECK(output.find("shutting down: draining in-flight requests") != std::string::npos);
            CHECK(output.find("shutdown complete") != std::string::npos);
        }
    }
}
