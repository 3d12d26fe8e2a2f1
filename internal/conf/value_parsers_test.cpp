#include "conf/value_parsers.hpp"

#include <chrono>
#include <stdexcept>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using gotrue::conf::ParseBool;
using gotrue::conf::ParseDuration;
using gotrue::conf::ParseInteger;
using gotrue::conf::SplitList;

TEST_SUITE("value parsers") {
    TEST_CASE("booleans accept Go's spellings and nothing else") {
        for (const char* word : {"1", "t", "T", "TRUE", "true", "True"}) {
            CHECK(ParseBool(word));
        }
        for (const char* word : {"0", "f", "F", "FALSE", "false", "False"}) {
            CHECK_FALSE(ParseBool(word));
        }
        for (const char* word : {"", "yes", "on", "tRUE", "2", " true"}) {
            CHECK_THROWS_AS(static_cast<void>(ParseBool(word)), std::invalid_argument);
        }
    }

    TEST_CASE("durations use Go syntax") {
        CHECK(ParseDuration("60s") == 60s);
        CHECK(ParseDuration("1m") == 1min);
        CHECK(ParseDuration("1h30m") == 90min);
        CHECK(ParseDuration("1.5h") == 90min);
        CHECK(ParseDuration("300ms") == 300ms);
        CHECK(ParseDuration("0") == 0ms);
        CHECK(ParseDuration("-1s") == -1000ms);
        CHECK(ParseDuration("2h45m30.5s") == 2h + 45min + 30500ms);
    }

    TEST_CASE("malformed durations are rejected with the reason") {
        for (const char* text : {"", "60", "1x", "s", "1..5s", "m1", "1 m", "--1s"}) {
            CAPTURE(text);
            CHECK_THROWS_AS(static_cast<void>(ParseDuration(text)), std::invalid_argument);
        }
        CHECK_THROWS_WITH(
            static_cast<void>(ParseDuration("60")), doctest::Contains("missing unit")
        );
    }

    TEST_CASE("durations beyond int64 nanoseconds are refused as Go refuses them") {
        // Go's largest duration: 2562047h47m16.854775807s.
        CHECK(ParseDuration("2562047h") == 2562047h);
        CHECK(ParseDuration("9223372036854775807ns") == 9223372036855ms);
        CHECK(ParseDuration("-9223372036854775808ns") == -9223372036855ms);
        CHECK(ParseDuration(".5s") == 500ms);
        CHECK(ParseDuration("5.s") == 5s);
        for (const char* text :
             {"2562048h",
              "9999999999h",
              "9223372036854775808ns",
              "-9223372036854775809ns",
              "2562047h48m",
              "99999999999999999999s",
              "1000000000000000000000000ns",
              "2562047h47m16.854775808s",
              "."}) {
            CAPTURE(text);
            CHECK_THROWS_AS(static_cast<void>(ParseDuration(text)), std::invalid_argument);
        }
        CHECK_THROWS_WITH(
            static_cast<void>(ParseDuration("9999999999h")), doctest::Contains("out of range")
        );
    }

    TEST_CASE("integers must be whole numbers") {
        CHECK(ParseInteger("42") == 42);
        CHECK(ParseInteger("-7") == -7);
        for (const char* text : {"", "4.2", "12abc", "abc", "99999999999999999999"}) {
            CHECK_THROWS_AS(static_cast<void>(ParseInteger(text)), std::invalid_argument);
        }
    }

    TEST_CASE("lists are comma-separated and trimmed") {
        CHECK(SplitList("a, b,,c ") == std::vector<std::string>{"a", "b", "c"});
        CHECK(SplitList("").empty());
    }
}
