#include "api/services/rate_limit.hpp"

#include <chrono>
#include <string>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using gotrue::api::NormalizeClientKey;
using gotrue::api::RequestLimit;

TEST_SUITE("rate limit keys") {
    TEST_CASE("one client, one key: ports, brackets and IPv4-mapped IPv6 are dropped") {
        for (const char* spelling :
             {"9.9.9.9",
              "9.9.9.9:1",
              "9.9.9.9:65535",
              "::ffff:9.9.9.9",
              "[::ffff:9.9.9.9]:443",
              "::FFFF:9.9.9.9",
              "[::ffff:909:909]"}) {
            CAPTURE(spelling);
            CHECK(NormalizeClientKey(spelling) == "9.9.9.9");
        }
        for (const char* spelling :
             {"2001:db8::1",
              "2001:DB8:0:0:0:0:0:1",
              "[2001:db8::1]",
              "[2001:db8::1]:8080",
              "2001:0db8:0000::0001"}) {
            CAPTURE(spelling);
            CHECK(NormalizeClientKey(spelling) == "2001:db8::1");
        }
        CHECK(NormalizeClientKey("::1") == "::1");
    }

    TEST_CASE("values that are not addresses are kept, long or unprintable ones hashed") {
        CHECK(NormalizeClientKey("client-42") == "client-42");
        CHECK(NormalizeClientKey("9.9.9.9:port") == "9.9.9.9:port");
        CHECK(NormalizeClientKey("[2001:db8::1]:x") == "[2001:db8::1]:x");
        CHECK(NormalizeClientKey("09.9.9.9") == "09.9.9.9");  // not an address in inet_pton's eyes
        const std::string long_value(5000, 'a');
        const std::string hashed = NormalizeClientKey(long_value);
        CHECK(hashed.rfind("sha256:", 0) == 0);
        CHECK(hashed.size() == 7 + 64);
        CHECK(NormalizeClientKey(long_value) == hashed);
        CHECK(NormalizeClientKey(long_value + "b") != hashed);
        CHECK(NormalizeClientKey(std::string(64, 'a')) == std::string(64, 'a'));
        // Not valid UTF-8 or with control bytes: PostgreSQL would refuse it as text.
        CHECK(NormalizeClientKey("\xff\xfe").rfind("sha256:", 0) == 0);
        CHECK(NormalizeClientKey("a b").rfind("sha256:", 0) == 0);
    }
}

TEST_SUITE("rate limit buckets") {
    TEST_CASE("endpoint limits: burst 30, N per 5 minutes") {
        const auto limit = RequestLimit::PerFiveMinutes(150);
        CHECK(limit.burst == 30);
        CHECK(limit.refill_per_second == doctest::Approx(0.5));
        // One token short: back in 2 s.
        CHECK(limit.RetryAfterSeconds(-1) == 2);
        // Nearly refilled: never less than a second.
        CHECK(limit.RetryAfterSeconds(-0.01) == 1);
    }

    TEST_CASE("anonymous sign-ins: burst N, N per hour") {
        const auto limit = RequestLimit::PerHour(3);
        CHECK(limit.burst == 3);
        CHECK(limit.refill_per_second == doctest::Approx(3.0 / 3600));
        CHECK(limit.RetryAfterSeconds(-1) == 1200);
        CHECK(limit.RetryAfterSeconds(-0.5) == 600);
        CHECK(RequestLimit::PerHour(30).RetryAfterSeconds(-1) == 120);
    }

    TEST_CASE("a limit of 0 refuses everything and asks to come back after the whole window") {
        const auto hourly = RequestLimit::PerHour(0);
        CHECK(hourly.burst == 0);
        CHECK(hourly.RetryAfterSeconds(-1) == 3600);
        CHECK(RequestLimit::PerFiveMinutes(0).RetryAfterSeconds(-1) == 300);
    }
}
