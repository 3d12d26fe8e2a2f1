#include "observability/logging.hpp"

#include <set>
#include <string>

#include <doctest/doctest.h>

#include "observability/request_id.hpp"

using gotrue::observability::FormatLine;
using gotrue::observability::LogFormat;
using gotrue::observability::Quote;

TEST_SUITE("logging") {
    TEST_CASE("JSON lines carry time, level, component, msg and the message's fields") {
        const std::string line = FormatLine(
            LogFormat::kJson,
            "2026-01-01T00:00:00.000000Z",
            "info",
            "api",
            "request completed method=GET path=/health status=200 request_id=abc "
            "error=\"a \\\"quoted\\\" text\""
        );
        CHECK(
            line ==
            "{\"time\":\"2026-01-01T00:00:00.000000Z\",\"level\":\"info\",\"component\":\"api\","
            "\"msg\":\"request completed\",\"method\":\"GET\",\"path\":\"/health\",\"status\":200,"
            "\"request_id\":\"abc\",\"error\":\"a \\\"quoted\\\" text\"}\n"
        );
    }

    TEST_CASE("a message without fields is kept whole and escaped") {
        const std::string line =
            FormatLine(LogFormat::kJson, "t", "warning", "", "plain \"text\"\nwith = sign");
        CHECK(
            line ==
            "{\"time\":\"t\",\"level\":\"warn\",\"msg\":\"plain \\\"text\\\"\\nwith = sign\"}\n"
        );
    }

    TEST_CASE("a component field names the component of a bare logger") {
        const std::string line =
            FormatLine(LogFormat::kJson, "t", "error", "", "task failed component=apitask");
        CHECK(
            line ==
            "{\"time\":\"t\",\"level\":\"error\",\"component\":\"apitask\",\"msg\":\"task "
            "failed\"}\n"
        );
    }

    TEST_CASE("text lines are readable") {
        const std::string line = FormatLine(
            LogFormat::kText, "2026-01-01T00:00:00.123456Z", "info", "api", "started port=9999"
        );
        CHECK(line == "2026-01-01T00:00:00.123 INFO  [api] started port=9999\n");
        const std::string bare = FormatLine(
            LogFormat::kText,
            "2026-01-01T00:00:00.123456Z",
            "info",
            "",
            "applied component=migrate n=2 name=\"a b\""
        );
        CHECK(bare == "2026-01-01T00:00:00.123 INFO  [migrate] applied n=2 name=\"a b\"\n");
    }

    TEST_CASE("Quote makes values with spaces one field") {
        CHECK(Quote("simple") == "simple");
        CHECK(Quote("two words") == "\"two words\"");
        CHECK(Quote("") == "\"\"");
        CHECK(Quote("a\"b") == "\"a\\\"b\"");
        const std::string line =
            FormatLine(LogFormat::kJson, "t", "info", "c", "m v=" + Quote("x y=z"));
        CHECK(line.find("\"v\":\"x y=z\"") != std::string::npos);
    }

    TEST_CASE("request ids are distinct version 4 UUIDs") {
        std::set<std::string> ids;
        for (int i = 0; i < 100; ++i) {
            const std::string id = gotrue::observability::NewUuid();
            CHECK(id.size() == 36);
            CHECK(id[14] == '4');
            ids.insert(id);
        }
        CHECK(ids.size() == 100);
    }
}
