// Per-client rate limits (docs/http.md) and the shared email budget across server instances.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "conf/config.hpp"
#include "models/rate_limit_bucket.hpp"
#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

namespace {

// A pool on a database that `gotrue migrate` prepared.
struct MigratedDatabase {
    MigratedDatabase() {
        const auto migrated = gotrue::testing::RunGotrue(
            {"migrate"},
            gotrue::testing::BaseEnvironment(scratch.Url(), gotrue::testing::FreePort())
        );
        REQUIRE_MESSAGE(migrated.exit_code == 0, migrated.output);
        gotrue::conf::DbConfig config;
        config.url = scratch.Url();
        config.max_pool_size = 2;
        database = std::make_unique<gotrue::storage::Database>(config);
        database->Connect();
    }

    double Take(const std::string& key, double capacity, double refill_per_second) const {
        return gotrue::storage::WithTransaction(*database, [&](pqxx::work& tx) {
            return gotrue::models::TakeToken(tx, key, capacity, refill_per_second);
        });
    }

    // Seconds until the bucket is full again, as stored.
    double SecondsUntilFull(const std::string& key) const {
        return std::stod(scratch.Scalar(
            "SELECT extract(epoch from full_at - now()) FROM auth.rate_limit_buckets WHERE key = "
            "'" +
            key + "'"
        ));
    }

    gotrue::testing::ScratchDatabase scratch;
    std::unique_ptr<gotrue::storage::Database> database;
};

}  // namespace

TEST_SUITE("rate limits") {
    TEST_CASE("every take records when the bucket is full again") {
        const MigratedDatabase db;
        CHECK(db.Take("k", 30, 1) == doctest::Approx(29).epsilon(0.01));
        CHECK(db.SecondsUntilFull("k") == doctest::Approx(1).epsilon(0.1));
        for (int i = 0; i < 9; ++i) {
            static_cast<void>(db.Take("k", 30, 1));
        }
        CHECK(db.SecondsUntilFull("k") == doctest::Approx(10).epsilon(0.1));
        // A bucket that never refills still gets a valid time (about 95 years away).
        CHECK(db.Take("never", 5, 0) == doctest::Approx(4));
        CHECK(db.SecondsUntilFull("never") > 2e9);
    }

    TEST_CASE("deleting full buckets keeps the others and changes no outcome") {
        const MigratedDatabase db;
        static_cast<void>(db.Take("quiet", 30, 1000));  // full again after a millisecond
        static_cast<void>(db.Take("busy", 30, 0.001));  // full again only after hours
        for (int i = 0; i < 5; ++i) {
            static_cast<void>(db.Take("busy", 30, 0.001));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const auto deleted = gotrue::storage::WithTransaction(*db.database, [](pqxx::work& tx) {
            return gotrue::models::DeleteFullBuckets(tx);
        });
        CHECK(deleted == 1);
        CHECK(
            db.scratch.Scalar("SELECT string_agg(key, ',') FROM auth.rate_limit_buckets") == "busy"
        );
        // The forgotten bucket starts full, as it would have been.
        CHECK(db.Take("quiet", 30, 1000) == doctest::Approx(29).epsilon(0.01));
        CHECK(db.Take("busy", 30, 0.001) == doctest::Approx(23).epsilon(0.01));
    }

    TEST_CASE("30 requests per client key pass, the 31st is 429, another key is not affected") {
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_RATE_LIMIT_HEADER", "My-Custom-Header"},
             {"GOTRUE_RATE_LIMIT_TOKEN_REFRESH", "30"}}
        );
        const std::string body = R"({"refresh_token":"abcdefghijkl"})";
        for (int i = 0; i < 30; ++i) {
            const auto response = server.Post(
                "/token?grant_type=refresh_token",
                body,
                {"My-Custom-Header: 1.2.3.4", "X-Forwarded-For: 10.0.0." + std::to_string(i)}
            );
            REQUIRE(response.status == 400);  // an unknown token, but counted
        }
        const auto limited =
            server.Post("/token?grant_type=refresh_token", body, {"My-Custom-Header: 1.2.3.4"});
        CHECK(limited.status == 429);
        CHECK(JsonString(limited.body, "error_code") == "over_request_rate_limit");
        CHECK(JsonString(limited.body, "msg") == "Request rate limit reached");
        CHECK(limited.headers.count("retry-after") == 1);
        CHECK(
            server.Post("/token?grant_type=refresh_token", body, {"My-Custom-Header: 5.6.7.8"})
                .status == 400
        );
        // Without a client header configured there is no limit.
        AuthServer unlimited;
        for (int i = 0; i < 40; ++i) {
            REQUIRE(
                unlimited
                    .Post("/token?grant_type=refresh_token", body, {"My-Custom-Header: 1.2.3.4"})
                    .status == 400
            );
        }
    }

    TEST_CASE("two server instances on one database enforce one limit") {
        AuthServer first(
            MailMode::kSync,
            {{"GOTRUE_RATE_LIMIT_HEADER", "X-Client"}, {"GOTRUE_RATE_LIMIT_OTP", "30"}}
        );
        // A second server on the same database and configuration.
        auto env = first.Env();
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        gotrue::testing::GotrueProcess second({"serve"}, env);
        REQUIRE(second.WaitReady());
        int accepted = 0;
        for (int i = 0; i < 31; ++i) {
            const std::string url = (i % 2 == 0 ? first.Url() : second.Url()) + "/recover";
            const auto response = gotrue::testing::Post(
                url, R"({"email":")" + UniqueEmail("limit") + "\"}", {"X-Client: shared"}
            );
            accepted += response.status == 200 ? 1 : 0;
            if (i == 30) {
                CHECK(response.status == 429);
            }
        }
        CHECK(accepted == 30);
    }

    TEST_CASE("the email budget is shared by server instances") {
        AuthServer first(MailMode::kSync, {{"GOTRUE_RATE_LIMIT_EMAIL_SENT", "2"}});
        auto env = first.Env();
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        gotrue::testing::GotrueProcess second({"serve"}, env);
        REQUIRE(second.WaitReady());
        const auto signup = [](const std::string& url) {
            return gotrue::testing::Post(
                url + "/signup",
                R"({"email":")" + UniqueEmail("budget") + R"(","password":"secret-123"})"
            );
        };
        CHECK(signup(first.Url()).status == 200);
        CHECK(signup(second.Url()).status == 200);
        const auto third = signup(first.Url());
        CHECK(third.status == 429);
        CHECK(JsonString(third.body, "msg") == "email rate limit exceeded");
        CHECK(signup(second.Url()).status == 429);
    }
}
