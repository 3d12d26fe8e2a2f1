// GOTRUE_API_MAX_REQUEST_DURATION through the real binary: a 504 means nothing was committed
// (no user, no mail), and a request whose commit happened gets its real answer, late
// (docs/http.md "Request deadline", apitask/commit_gate.hpp). Triggers created by the test slow the
// insert (pg_sleep) or the COMMIT itself (a deferred constraint trigger).

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

using namespace std::chrono_literals;

namespace {

std::string SignupBody(const std::string& email) {
    return R"({"email":")" + email + R"(","password":"secret-123"})";
}

std::string UserCount(const AuthServer& server, const std::string& email) {
    return server.Database().Scalar(
        "SELECT count(*) FROM auth.users WHERE email = '" + email + "'"
    );
}

// Backends of the server's database sleeping in pg_sleep (the slowed statements still running).
std::string SleepingStatements(const AuthServer& server) {
    return server.Database().Scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()"
    );
}

// Inserts of users whose address starts with "slow-" sleep for `seconds` before the row is
// written: past the deadline, unless the deadline cancels the statement.
void SlowDownInserts(const AuthServer& server, int seconds) {
    server.Database().Execute(
        R"sql(
        CREATE FUNCTION auth.test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.email LIKE 'slow-%' THEN
                PERFORM pg_sleep()sql" +
        std::to_string(seconds) + R"sql();
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER test_slow_insert BEFORE INSERT ON auth.users
            FOR EACH ROW EXECUTE FUNCTION auth.test_slow_insert();
    )sql"
    );
}

// True when no statement of the server sleeps any more (polls for up to 5 s).
bool SleepsEnd(const AuthServer& server) {
    for (int i = 0; i < 50; ++i) {
        if (SleepingStatements(server) == "0") {
            return true;
        }
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

// Mail that reached the shared SMTP server for `email` (waits as WaitForMail does).
std::vector<gotrue::testing::Mail> MailTo(
    const std::string& email,
    std::size_t count = 1,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)
) {
    return gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), email, count, timeout);
}

struct Outcome {
    std::string email;
    bool slow = false;
    long status = 0;
};

// Signs up every address at once; the answers in the same order.
std::vector<Outcome> SignUpAtOnce(const AuthServer& server, std::vector<Outcome> signups) {
    std::vector<std::future<long>> statuses;
    statuses.reserve(signups.size());
    for (const auto& signup : signups) {
        statuses.push_back(std::async(std::launch::async, [&server, email = signup.email] {
            return server.Post("/signup", SignupBody(email)).status;
        }));
    }
    for (std::size_t i = 0; i < signups.size(); ++i) {
        signups[i].status = statuses[i].get();
    }
    return signups;
}

// Every address with the given answer.
std::vector<std::string> Answered(const std::vector<Outcome>& outcomes, long status) {
    std::vector<std::string> emails;
    for (const auto& outcome : outcomes) {
        if (outcome.status == status) {
            emails.push_back(outcome.email);
        }
    }
    return emails;
}

}  // namespace

TEST_SUITE("request deadline") {
    TEST_CASE(
        "parallel signups past the deadline: every 504 left no user and no mail, every 200 "
        "did"
    ) {
        for (const MailMode mode : gotrue::testing::kAllMailModes) {
            const std::string mode_name = gotrue::testing::ModeName(mode);
            CAPTURE(mode_name);
            // 16 threads on the hashing lane (4 per hash): every signup starts at once, so a
            // fast one never waits for a slow one's thread past its own deadline.
            AuthServer server(
                mode,
                {{"GOTRUE_API_MAX_REQUEST_DURATION", "300ms"},
                 {"GOTRUE_PASSWORD_HASH_CONCURRENCY", "4"}}
            );
            SlowDownInserts(server, 20);
            std::vector<Outcome> signups;
            for (int i = 0; i < 16; ++i) {
                const bool slow = i % 3 == 0;
                signups.push_back({UniqueEmail(slow ? "slow" : "fast"), slow, 0});
            }
            const auto started = std::chrono::steady_clock::now();
            const auto outcomes = SignUpAtOnce(server, signups);
            CHECK(std::chrono::steady_clock::now() - started < 10s);

            for (const auto& outcome : outcomes) {
                CAPTURE(outcome.email);
                CHECK((outcome.status == 200 || outcome.status == 504));
                if (outcome.slow) {
                    CHECK(outcome.status == 504);
                }
            }
            const auto timed_out = Answered(outcomes, 504);
            const auto succeeded = Answered(outcomes, 200);
            CHECK(timed_out.size() >= 6);
            CHECK_FALSE(succeeded.empty());  // else the test shows nothing about commits

            CHECK(SleepsEnd(server));  // the deadline cancelled the 20 s inserts

            for (const auto& email : succeeded) {
                CAPTURE(email);
                CHECK(UserCount(server, email) == "1");
                CHECK(MailTo(email).size() == 1);
            }
            // Mail of a committed signup has arrived by now (above); give the others as long.
            std::this_thread::sleep_for(1s);
            for (const auto& email : timed_out) {
                CAPTURE(email);
                CHECK(UserCount(server, email) == "0");
                CHECK(MailTo(email, 1, 0ms).empty());
            }
            CHECK(
                server.Output().find("request deadline passed before commit") != std::string::npos
            );
        }
    }

    TEST_CASE("a commit that ends after the deadline: the client gets 200, late, not 504") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_API_MAX_REQUEST_DURATION", "300ms"}});
        // A deferred constraint trigger runs inside COMMIT: the request passes its commit gate
        // at once and the deadline fires while PostgreSQL is still committing.
        server.Database().Execute(R"sql(
            CREATE FUNCTION auth.test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_sleep(0.8);
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON auth.users
                DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION auth.test_slow_commit();
        )sql");
        const std::string email = UniqueEmail("late-commit");
        const auto started = std::chrono::steady_clock::now();
        const auto response = server.Post("/signup", SignupBody(email));
        const auto took = std::chrono::steady_clock::now() - started;
        CHECK(response.status == 200);
        CHECK(gotrue::testing::JsonString(response.body, "email") == email);
        CHECK(took >= 750ms);
        CHECK(UserCount(server, email) == "1");
        CHECK(MailTo(email).size() == 1);
        CHECK(server.Output().find("past its deadline after its commit") != std::string::npos);
    }

    TEST_CASE("a cancelled signup is answered 504 at once and the server keeps signing up") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_API_MAX_REQUEST_DURATION", "300ms"}});
        SlowDownInserts(server, 20);
        const std::string email = UniqueEmail("slow");
        const auto started = std::chrono::steady_clock::now();
        const auto response = server.Post("/signup", SignupBody(email));
        CHECK(response.status == 504);
        CHECK(gotrue::testing::JsonString(response.body, "error_code") == "request_timeout");
        CHECK(std::chrono::steady_clock::now() - started < 2s);
        CHECK(SleepsEnd(server));
        // The cancelled connection was closed, not reused: the next signups get working ones.
        for (int i = 0; i < 3; ++i) {
            const std::string other = UniqueEmail("fast");
            CHECK(server.Post("/signup", SignupBody(other)).status == 200);
            CHECK(UserCount(server, other) == "1");
        }
        CHECK(UserCount(server, email) == "0");
    }
}
