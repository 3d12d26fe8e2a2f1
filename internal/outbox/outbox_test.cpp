// The outbox's pure parts: lease renewal cadence, the token array, the LISTEN backoff, the state
// names, the Message-ID host and the longest SMTP send. The parts that need PostgreSQL are in
// tests/integration/outbox_test.cpp.

#include "outbox/outbox.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
namespace outbox = gotrue::outbox;

TEST_SUITE("outbox") {
    TEST_CASE("leases are renewed three times per lease, never more often than every 10 ms") {
        CHECK(outbox::RenewInterval(5min) == 100s);
        CHECK(outbox::RenewInterval(1s) == 333ms);
        CHECK(outbox::RenewInterval(15ms) == 10ms);
        CHECK(outbox::RenewInterval(0ms) == 10ms);
    }

    TEST_CASE("lease tokens become one PostgreSQL array literal") {
        CHECK(gotrue::models::LeaseTokenArray({}) == "{}");
        CHECK(gotrue::models::LeaseTokenArray({"a"}) == "{a}");
        CHECK(
            gotrue::models::LeaseTokenArray(
                {"7c9e6679-7425-40de-944b-e07fc1f90ae7", "0b0f0c1e-0000-4000-8000-000000000001"}
            ) == "{7c9e6679-7425-40de-944b-e07fc1f90ae7,0b0f0c1e-0000-4000-8000-000000000001}"
        );
    }

    TEST_CASE("the LISTEN connection is reopened after 100 ms doubling, at most every 5 s") {
        CHECK(outbox::ListenBackoff(1) == 100ms);
        CHECK(outbox::ListenBackoff(2) == 200ms);
        CHECK(outbox::ListenBackoff(6) == 3200ms);
        CHECK(outbox::ListenBackoff(7) == 5000ms);
        CHECK(outbox::ListenBackoff(1000) == 5000ms);
        CHECK(outbox::ListenBackoff(0) == 100ms);
    }

    TEST_CASE("outbox states have one name each, and nothing else parses") {
        using gotrue::models::OutboxState;
        for (const auto state :
             {OutboxState::kQueued,
              OutboxState::kSending,
              OutboxState::kSent,
              OutboxState::kFailed,
              OutboxState::kDead}) {
            CHECK(
                gotrue::models::ParseOutboxState(gotrue::models::OutboxStateName(state)) == state
            );
        }
        CHECK(gotrue::models::OutboxStateName(OutboxState::kDead) == "dead");
        CHECK_FALSE(gotrue::models::ParseOutboxState("Sent").has_value());
        CHECK_FALSE(gotrue::models::ParseOutboxState("").has_value());
    }

    TEST_CASE("the Message-ID host comes from the admin address, else the site URL") {
        CHECK(
            outbox::MessageIdDomain("admin@example.com", "https://site.example") == "example.com"
        );
        CHECK(outbox::MessageIdDomain("", "https://site.example:8443/app?x=1") == "site.example");
        CHECK(outbox::MessageIdDomain("", "http://user:pw@site.example/") == "site.example");
        CHECK(outbox::MessageIdDomain("no-at-sign", "https://site.example") == "site.example");
        CHECK(outbox::MessageIdDomain("", "") == "localhost");
        CHECK(outbox::MessageIdDomain("", "not a url") == "localhost");
    }

    TEST_CASE("a host that could break the header is not used for the Message-ID") {
        CHECK(outbox::MessageIdDomain("a@evil>\r\nBcc: x", "https://ok.example") == "ok.example");
        CHECK(outbox::MessageIdDomain("a@", "https://bad host/") == "localhost");
        CHECK(outbox::MessageIdDomain("a@ex ample.com", "") == "localhost");
    }

    TEST_CASE("the longest SMTP send counts every attempt at its timeout and the largest backoff") {
        gotrue::conf::SmtpConfig smtp;
        smtp.host = "relay.example";
        smtp.timeout = 30s;
        smtp.max_retries = 0;
        CHECK(outbox::LongestSmtpSend(smtp) == 30s);
        smtp.max_retries = 3;  // 4 attempts, backoffs of at most 300, 600 and 1200 ms
        CHECK(outbox::LongestSmtpSend(smtp) == 120s + 2100ms);
        smtp.max_retries = 10;  // backoff capped at 5 s (6 s with jitter)
        CHECK(outbox::LongestSmtpSend(smtp) == 330s + 39300ms);
        smtp.max_retries = -1;
        CHECK(outbox::LongestSmtpSend(smtp) == 30s);
        smtp.host.clear();
        CHECK(outbox::LongestSmtpSend(smtp) == 0ms);
    }

    TEST_CASE("the default lease outlasts the longest send with the default SMTP settings") {
        gotrue::conf::SmtpConfig smtp;
        smtp.host = "relay.example";
        CHECK(outbox::LongestSmtpSend(smtp) < outbox::OutboxOptions{}.lease);
    }
}
