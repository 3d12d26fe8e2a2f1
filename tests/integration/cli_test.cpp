// The gotrue command line: subcommands, help, configuration errors, startup failures.

#include <string>

#include <doctest/doctest.h>

#include "support/database.hpp"
#include "support/process.hpp"

using gotrue::testing::BaseEnvironment;
using gotrue::testing::FreePort;
using gotrue::testing::RunGotrue;
using gotrue::testing::ScratchDatabase;

TEST_SUITE("cli") {
    TEST_CASE("version prints the build version") {
        const auto result = RunGotrue({"version"}, {});
        CHECK(result.exit_code == 0);
        CHECK(result.output == "0.1.0\n");
    }

    TEST_CASE("--help lists the commands") {
        const auto result = RunGotrue({"--help"}, {});
        CHECK(result.exit_code == 0);
        for (const char* word : {"serve", "migrate", "version", "--config"}) {
            CHECK(result.output.find(word) != std::string::npos);
        }
    }

    TEST_CASE("an unknown command or flag is a usage error") {
        CHECK(RunGotrue({"frobnicate"}, {}).exit_code == 2);
        CHECK(RunGotrue({"serve", "--nope"}, {}).exit_code == 2);
        CHECK(RunGotrue({"serve", "-c"}, {}).exit_code == 2);
    }

    TEST_CASE("a missing required variable stops startup with one line naming it") {
        auto env = BaseEnvironment("postgres://unused", FreePort());
        env.erase("GOTRUE_JWT_SECRET");
        const auto result = RunGotrue({"serve"}, env);
        CHECK(result.exit_code == 1);
        CHECK(
            result.output ==
            "gotrue: configuration error: required key GOTRUE_JWT_SECRET missing value\n"
        );
    }

    TEST_CASE("a malformed value stops startup naming the variable") {
        auto env = BaseEnvironment("postgres://unused", FreePort());
        env["GOTRUE_API_MAX_REQUEST_DURATION"] = "10";
        const auto result = RunGotrue({"serve"}, env);
        CHECK(result.exit_code == 1);
        CHECK(
            result.output.find("GOTRUE_API_MAX_REQUEST_DURATION: invalid duration \"10\"") !=
            std::string::npos
        );
        CHECK(result.output.find('\n') == result.output.size() - 1);  // one line
    }

    TEST_CASE("--config FILE overrides the environment, a missing file is an error") {
        const auto missing = RunGotrue({"serve", "--config", "/nonexistent/gotrue.env"}, {});
        CHECK(missing.exit_code == 1);
        CHECK(
            missing.output.find("/nonexistent/gotrue.env: configuration file not found") !=
            std::string::npos
        );
    }

    TEST_CASE("an unreachable database is retried with backoff, then startup fails with one line") {
        auto env = BaseEnvironment(
            "postgres://postgres@127.0.0.1:" + std::to_string(FreePort()) + "/postgres", FreePort()
        );
        env["GOTRUE_DB_CONNECT_RETRY_DURATION"] = "1s";
        const auto started = std::chrono::steady_clock::now();
        const auto result = RunGotrue({"serve"}, env);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        CHECK(result.exit_code == 1);
        CHECK(result.output.find("database not reachable, retrying") != std::string::npos);
        CHECK(result.output.find("cannot connect to the database after") != std::string::npos);
        CHECK(elapsed < std::chrono::seconds(20));
    }

    TEST_CASE("a wrong password is reported the same way") {
        const ScratchDatabase database;
        // The test cluster trusts local connections, so authentication fails through a role
        // that does not exist; libpq reports both the same way.
        std::string url = database.Url();
        url.replace(url.find("postgres@"), 9, "no_such_role@");
        auto env = BaseEnvironment(url, FreePort());
        env["GOTRUE_DB_CONNECT_RETRY_DURATION"] = "500ms";
        const auto result = RunGotrue({"migrate"}, env);
        CHECK(result.exit_code == 1);
        CHECK(result.output.find("no_such_role") != std::string::npos);
    }

    TEST_CASE("serve refuses an unmigrated database and names the command to run") {
        const ScratchDatabase database;
        const auto result = RunGotrue({"serve"}, BaseEnvironment(database.Url(), FreePort()));
        CHECK(result.exit_code == 1);
        CHECK(result.output.find("run `gotrue migrate` first") != std::string::npos);
    }
}
