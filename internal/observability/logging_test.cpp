#include "observability/logging.hpp"

#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "observability/request_id.hpp"

using gotrue::observability::FormatLine;
using gotrue::observability::LogFormat;
using gotrue::observability::Quote;
using gotrue::observability::SafeRequestId;

namespace {

// Values an attacker might put in a header, path or address to forge fields or lines.
const std::vector<std::string> kHostileValues{
    "abc status=200 user_id=admin",
    "a\"b\\\" c=d",
    "line\nlevel=error msg=forged",
    "cr\rlevel=error",
    std::string("nul\0byte", 8),
    "bell\a esc\x1b[2J del\x7f",
    "next\xC2\x85line sep\xE2\x80\xA8para\xE2\x80\xA9",
    "tab\there",
    "trailing backslash \\",
    "\\u0041 and \\x41 stay literal",
    "caf\xC3\xA9 \xF0\x9F\x94\x91",
    "=",
    "\"",
    "",
};

// Bytes that end or rewrite a line on a terminal.
bool HasRawControl(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool last_newline = i + 1 == text.size() && c == '\n';
        if ((c < 0x20 && !last_newline) || c == 0x7F) {
            return true;
        }
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
            static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            return true;  // a C1 control
        }
        if (text.compare(i, 3, "\xE2\x80\xA8") == 0 || text.compare(i, 3, "\xE2\x80\xA9") == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

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

    TEST_CASE("log-field injection: a quoted value is exactly one field in JSON, whatever it holds"
    ) {
        for (const auto& value : kHostileValues) {
            CAPTURE(value);
            const std::string line = FormatLine(
                LogFormat::kJson, "t", "info", "api", "m k=" + Quote(value) + " status=201"
            );
            CHECK(line.find('\n') == line.size() - 1);
            CHECK_FALSE(HasRawControl(line));
            rapidjson::Document document;
            document.Parse(line.c_str(), line.size() - 1);
            REQUIRE_FALSE(document.HasParseError());
            CHECK(document.MemberCount() == 6);  // time, level, component, msg, k, status
            CHECK(std::string(document["msg"].GetString()) == "m");
            REQUIRE(document["k"].IsString());
            CHECK(std::string(document["k"].GetString(), document["k"].GetStringLength()) == value);
            CHECK(document["status"].GetInt() == 201);
            CHECK_FALSE(document.HasMember("user_id"));
        }
    }

    TEST_CASE("log-field injection: text lines stay one line with the same fields") {
        for (const auto& value : kHostileValues) {
            CAPTURE(value);
            const std::string quoted = Quote(value);
            CHECK_FALSE(HasRawControl(quoted));
            const std::string line = FormatLine(
                LogFormat::kText, "2026-01-01T00:00:00.000000Z", "info", "api", "m k=" + quoted
            );
            CHECK(line == "2026-01-01T00:00:00.000 INFO  [api] m k=" + quoted + "\n");
        }
        // A message whose fields do not parse is printed whole, its control characters escaped.
        const std::string whole = FormatLine(
            LogFormat::kText, "2026-01-01T00:00:00.000000Z", "info", "", "a\rb\nc \"unclosed"
        );
        CHECK(whole == "2026-01-01T00:00:00.000 INFO  a\\rb\\nc \"unclosed\n");
    }

    TEST_CASE("Quote escapes every control character and invalid UTF-8") {
        CHECK(Quote("a\rb") == "\"a\\rb\"");
        CHECK(Quote(std::string("a\0b", 3)) == "\"a\\u0000b\"");
        CHECK(Quote("a\x7f") == "\"a\\u007f\"");
        CHECK(Quote("a\x1b") == "\"a\\u001b\"");
        CHECK(Quote("a\xE2\x80\xA8") == "\"a\\u2028\"");
        CHECK(Quote("a\xC2\x85") == "\"a\\u0085\"");
        CHECK(Quote("a\xff") == "\"a\\xff\"");
        CHECK(Quote("a\\b") == "\"a\\\\b\"");
        CHECK(Quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");  // valid UTF-8 is kept, quoted
        CHECK(Quote("plain-value_1.2:3/4") == "plain-value_1.2:3/4");
    }

    TEST_CASE("JSON lines are valid UTF-8: invalid bytes become U+FFFD") {
        const std::string line =
            FormatLine(LogFormat::kJson, "t", "info", "", "bad k=" + Quote("x\xff\xC0\xAFy"));
        CHECK(line.find("\"k\":\"x\\ufffd\\ufffd\\ufffdy\"") != std::string::npos);
    }

    TEST_CASE("request ids from a header are reduced to a safe alphabet and 128 characters") {
        CHECK(SafeRequestId("3f2c-AB.9:x_y") == "3f2c-AB.9:x_y");
        CHECK(SafeRequestId("abc status=200 user_id=admin") == "abc_status_200_user_id_admin");
        CHECK(SafeRequestId("a\r\nb\"c\\d") == "a__b_c_d");
        CHECK(
            SafeRequestId("Root=1-5759e988;Parent=53995c3f") == "Root_1-5759e988_Parent_53995c3f"
        );
        CHECK(SafeRequestId(std::string(500, 'a')) == std::string(128, 'a'));
        CHECK(Quote(SafeRequestId("\xE2\x80\xA8 x=y \"")) == SafeRequestId("\xE2\x80\xA8 x=y \""));
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
