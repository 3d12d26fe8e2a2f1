// Migrations against a real PostgreSQL: idempotent, GoTrue-compatible, namespace-aware.

#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "storage/migration.hpp"
#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using gotrue::testing::BaseEnvironment;
using gotrue::testing::FreePort;
using gotrue::testing::GotrueProcess;
using gotrue::testing::RunGotrue;
using gotrue::testing::ScratchDatabase;

namespace {

std::string ReadFixture(const std::string& name) {
    std::ifstream in(std::string(GOTRUE_SOURCE_DIR) + "/tests/fixtures/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int GotrueVersionCount() {
    return 70;
}  // GoTrue's migrations/: "00" plus 69 timestamps (docs/database.md)

}  // namespace

TEST_SUITE("migrations") {
    TEST_CASE("migrate creates GoTrue's schema and running it twice changes nothing") {
        const ScratchDatabase database;
        const auto env = BaseEnvironment(database.Url(), FreePort());
        const auto first = RunGotrue({"migrate"}, env);
        REQUIRE_MESSAGE(first.exit_code == 0, first.output);
        CHECK(first.output.find("GoTrue migrations applied successfully") != std::string::npos);
        const int total = static_cast<int>(gotrue::storage::EmbeddedMigrations().size());
        const int own = total - 1;  // every migration but the GoTrue baseline
        CHECK(first.output.find("\"applied\":" + std::to_string(total)) != std::string::npos);
        CHECK(
            database.Scalar("SELECT count(*) FROM auth.schema_migrations") ==
            std::to_string(GotrueVersionCount() + own)
        );
        for (const char* table :
             {"users",
              "identities",
              "sessions",
              "refresh_tokens",
              "one_time_tokens",
              "flow_state",
              "audit_log_entries",
              "schema_migrations",
              "mfa_amr_claims",
              "rate_limit_buckets"}) {
            CAPTURE(table);
            CHECK(
                database.Scalar(
                    std::string("SELECT to_regclass('auth.") + table + "') IS NOT NULL"
                ) == "t"
            );
        }
        const std::string schema_before = database.Scalar(
            "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY "
            "table_name, column_name) "
            "FROM information_schema.columns WHERE table_schema = 'auth'"
        );
        const auto second = RunGotrue({"migrate"}, env);
        REQUIRE_MESSAGE(second.exit_code == 0, second.output);
        CHECK(second.output.find("\"applied\":0") != std::string::npos);
        CHECK(
            database.Scalar("SELECT string_agg(table_name || '.' || column_name || ':' || "
                            "data_type, ',' ORDER BY table_name, column_name) "
                            "FROM information_schema.columns WHERE table_schema = 'auth'"
            ) == schema_before
        );
    }

    TEST_CASE("the users table has GoTrue's final shape") {
        const ScratchDatabase database;
        REQUIRE(RunGotrue({"migrate"}, BaseEnvironment(database.Url(), FreePort())).exit_code == 0);
        CHECK(
            database.Scalar(
                "SELECT is_generated || ':' || generation_expression FROM "
                "information_schema.columns "
                "WHERE table_schema='auth' AND table_name='users' AND column_name='confirmed_at'"
            ) == "ALWAYS:LEAST(email_confirmed_at, phone_confirmed_at)"
        );
        CHECK(
            database.Scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                            "e JOIN pg_type t "
                            "ON t.oid = e.enumtypid WHERE t.typname = 'one_time_token_type'") ==
            "confirmation_token,reauthentication_token,recovery_token,email_change_token_new,"
            "email_change_token_current,phone_change_token"
        );
        CHECK(
            database.Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname='auth' AND "
                            "indexname='users_email_partial_key'") == "1"
        );
        // The generated column works and the unique email index is partial on SSO users.
        database.Execute(
            "INSERT INTO auth.users (id, aud, email, email_confirmed_at, created_at, updated_at) "
            "VALUES "
            "('22222222-2222-2222-2222-222222222222', 'authenticated', 'a@example.com', now(), "
            "now(), now())"
        );
        CHECK_FALSE(database.Scalar("SELECT confirmed_at FROM auth.users").empty());
    }

    TEST_CASE("a database migrated by GoTrue gets only this server's own additions") {
        const ScratchDatabase database;
        database.Execute(ReadFixture("gotrue_migrated.sql"));
        REQUIRE(
            database.Scalar("SELECT count(*) FROM auth.schema_migrations") ==
            std::to_string(GotrueVersionCount())
        );
        const auto result = RunGotrue({"migrate"}, BaseEnvironment(database.Url(), FreePort()));
        REQUIRE_MESSAGE(result.exit_code == 0, result.output);
        const int own = static_cast<int>(gotrue::storage::EmbeddedMigrations().size()) - 1;
        CHECK(result.output.find("\"applied\":" + std::to_string(own)) != std::string::npos);
        CHECK(result.output.find("rate_limit_buckets") != std::string::npos);
        CHECK(result.output.find("gotrue_baseline") == std::string::npos);
        CHECK(
            database.Scalar(
                "SELECT email FROM auth.users WHERE id = '11111111-1111-1111-1111-111111111111'"
            ) == "legacy@example.com"
        );
        CHECK(database.Scalar("SELECT to_regclass('auth.rate_limit_buckets') IS NOT NULL") == "t");
    }

    TEST_CASE("row-level security is on for every table, fresh or migrated by GoTrue first") {
        const ScratchDatabase fresh;
        const ScratchDatabase from_gotrue;
        from_gotrue.Execute(ReadFixture("gotrue_migrated.sql"));
        for (const ScratchDatabase* database : {&fresh, &from_gotrue}) {
            const auto result =
                RunGotrue({"migrate"}, BaseEnvironment(database->Url(), FreePort()));
            REQUIRE_MESSAGE(result.exit_code == 0, result.output);
            CHECK(
                database->Scalar(
                    "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN "
                    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'auth' AND "
                    "c.relkind IN ('r', 'p') AND NOT c.relrowsecurity"
                ) == ""  // NULL: none
            );
        }
        // GoTrue's 23 tables and our three; the GoTrue fixture holds 13 of them (one without
        // RLS).
        CHECK(
            fresh.Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'auth' AND rowsecurity"
            ) == "26"
        );
        CHECK(
            from_gotrue.Scalar(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'auth' AND rowsecurity"
            ) == "16"
        );
    }

    TEST_CASE("a user GoTrue created signs in with its bcrypt hash after the switch") {
        const ScratchDatabase database;
        database.Execute(ReadFixture("gotrue_migrated.sql"));
        auto env = BaseEnvironment(database.Url(), FreePort());
        env["GOTRUE_JWT_AUD"] = "authenticated";
        REQUIRE(RunGotrue({"migrate"}, env).exit_code == 0);
        GotrueProcess server({"serve"}, env);
        REQUIRE_MESSAGE(server.WaitReady(), server.Output());
        const auto login = gotrue::testing::Post(
            server.Url() + "/token?grant_type=password",
            R"({"email":"legacy@example.com","password":"legacy-password"})"
        );
        CHECK_MESSAGE(login.status == 200, login.body);
        CHECK(login.body.find("\"access_token\"") != std::string::npos);
        CHECK(login.body.find("11111111-1111-1111-1111-111111111111") != std::string::npos);
    }

    TEST_CASE("a schema from an older GoTrue release is refused with a clear message") {
        const ScratchDatabase database;
        database.Execute(ReadFixture("gotrue_migrated.sql"));
        database.Execute("DELETE FROM auth.schema_migrations WHERE version >= '20250000000000'");
        const auto result = RunGotrue({"migrate"}, BaseEnvironment(database.Url(), FreePort()));
        CHECK(result.exit_code == 1);
        CHECK(
            result.output.find("already holds GoTrue tables migrated only up to 20241009103726") !=
            std::string::npos
        );
        CHECK(database.Scalar("SELECT to_regclass('auth.rate_limit_buckets') IS NULL") == "t");
    }

    TEST_CASE("GOTRUE_DB_NAMESPACE puts every object in that schema") {
        const ScratchDatabase database;
        auto env = BaseEnvironment(database.Url(), FreePort());
        env["GOTRUE_DB_NAMESPACE"] = "custom_auth";
        const auto result = RunGotrue({"migrate"}, env);
        REQUIRE_MESSAGE(result.exit_code == 0, result.output);
        CHECK(database.Scalar("SELECT to_regclass('custom_auth.users') IS NOT NULL") == "t");
        CHECK(database.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'auth'") == "0");
    }

    TEST_CASE("bare gotrue migrates, then serves") {
        const ScratchDatabase database;
        const int port = FreePort();
        GotrueProcess server({}, BaseEnvironment(database.Url(), port));
        REQUIRE_MESSAGE(server.WaitReady(), server.Output());
        CHECK(database.Scalar("SELECT count(*) > 0 FROM auth.schema_migrations") == "t");
        CHECK(gotrue::testing::Get(server.Url() + "/health").status == 200);
    }

    TEST_CASE("concurrent migrate runs serialise and apply each migration once") {
        const ScratchDatabase database;
        const auto env = BaseEnvironment(database.Url(), FreePort());
        GotrueProcess first({"migrate"}, env);
        GotrueProcess second({"migrate"}, env);
        CHECK(first.WaitExit(std::chrono::seconds(60)) == 0);
        CHECK(second.WaitExit(std::chrono::seconds(60)) == 0);
        const int own = static_cast<int>(gotrue::storage::EmbeddedMigrations().size()) - 1;
        CHECK(
            database.Scalar("SELECT count(*) FROM auth.schema_migrations") ==
            std::to_string(GotrueVersionCount() + own)
        );
    }
}
