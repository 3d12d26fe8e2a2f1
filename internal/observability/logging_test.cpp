#include "observability/logging.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "logs/logs.hpp"
#include "observability/request_id.hpp"

using gotrue::logs::Field;
using gotrue::logs::Record;
using gotrue::observability::FormatLine;
using gotrue::observability::LogFormat;
using gotrue::observability::SafeRequestId;

namespace logs = gotrue::logs;

namespace {

constexpr std::string_view kTime = "2026-01-01T00:00:00.123456Z";

// Values an attacker might put in a header, path or address to forge fields or lines.
const std::vector<std::string> kHostileValues{
    "abc status=200 user_id=admin",
    "abc status=200 component=evil",
    "a\"b\\\" c=d",
    "line\nlevel=error msg=forged",
    "cr\rlevel=error",
    "\", \"user_id\":\"admin",
    "x\" user_id=\"admin",
    std::string("nul\0byte", 8),
    "bell\a esc\x1b[2J del\x7f",
    "next\xC2\x85line sep\xE2\x80\xA8para\xE2\x80\xA9",
    "tab\there",
    "trailing backslash \\",
    "\\u0041 and \\x41 stay literal",
    "caf\xC3\xA9 \xF0\x9F\x94\x91",
    "bad\xff\xC0\xAF utf-8",
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

std::string Json(std::string_view component, std::string_view message, std::span<const Field> f) {
    return FormatLine(LogFormat::kJson, "t", "info", Record{component, message, f});
}

std::string Text(std::string_view component, std::string_view message, std::span<const Field> f) {
    return FormatLine(LogFormat::kText, kTime, "info", Record{component, message, f});
}

rapidjson::Document Parsed(const std::string& line) {
    rapidjson::Document document;
    document.Parse(line.c_str(), line.size() - 1);
    REQUIRE_MESSAGE(!document.HasParseError(), line);
    return document;
}

std::string StringMember(const rapidjson::Document& document, const char* key) {
    REQUIRE(document.HasMember(key));
    REQUIRE(document[key].IsString());
    return {document[key].GetString(), document[key].GetStringLength()};
}

// The process's logger, writing to a string with the formatter SetupLogging installs, for the
// duration of a test.
class CapturedLog {
public:
    explicit CapturedLog(LogFormat format, spdlog::level::level_enum level = spdlog::level::info)
        : previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>(
            "", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)
        );
        logger->set_formatter(gotrue::observability::MakeFormatter(format));
        logger->set_level(level);
        spdlog::set_default_logger(logger);
    }

    ~CapturedLog() { spdlog::set_default_logger(previous_); }

    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    [[nodiscard]] std::vector<std::string> Lines() const {
        std::vector<std::string> lines;
        std::istringstream in(out_.str());
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line + "\n");
        }
        return lines;
    }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

// Field names are literals checked when compiling; characters are not numbers.
static_assert(logs::IsFieldName("request_id") && logs::IsFieldName("mail.send"));
static_assert(!logs::IsFieldName("") && !logs::IsFieldName("Status") && !logs::IsFieldName("a=b"));
static_assert(!logs::IsFieldName("a b") && !logs::IsFieldName("1st") && !logs::IsFieldName("k\n"));
static_assert(!logs::IsFieldName("component") && !logs::IsFieldName("msg"));
static_assert(!logs::IsFieldName("time") && !logs::IsFieldName("level"));
static_assert(!std::is_constructible_v<logs::Value, char>);
static_assert(!std::is_constructible_v<logs::Key, std::string>);
static_assert(!std::is_constructible_v<logs::Key, const char*>);

TEST_SUITE("logging") {
    TEST_CASE("JSON lines carry time, level, component, msg and the fields, typed") {
        const std::string path = "/health";
        const Field fields[] = {
            {"method", "GET"},
            {"path", path},
            {"status", 200},
            {"duration_ms", std::int64_t{-3}},
            {"size", std::uint64_t{18446744073709551615U}},
            {"ratio", 0.25},
            {"retry", true},
            {"request_id", std::string_view("abc")},
            {"error", "a \"quoted\" text"}};
        CHECK(
            FormatLine(
                LogFormat::kJson, kTime, "info", Record{"api", "request completed", fields}
            ) ==
            "{\"time\":\"2026-01-01T00:00:00.123456Z\",\"level\":\"info\",\"component\":\"api\","
            "\"msg\":\"request completed\",\"method\":\"GET\",\"path\":\"/health\",\"status\":200,"
            "\"duration_ms\":-3,\"size\":18446744073709551615,\"ratio\":0.25,\"retry\":true,"
            "\"request_id\":\"abc\",\"error\":\"a \\\"quoted\\\" text\"}\n"
        );
    }

    TEST_CASE("text that looks like a number stays text, and JSON has no NaN") {
        const Field fields[] = {
            {"sqlstate", "23505"},
            {"flag", "true"},
            {"nan", std::numeric_limits<double>::quiet_NaN()},
            {"min", std::numeric_limits<std::int64_t>::min()}};
        CHECK(
            Json("", "m", fields) ==
            "{\"time\":\"t\",\"level\":\"info\",\"msg\":\"m\",\"sqlstate\":\"23505\","
            "\"flag\":\"true\",\"nan\":null,\"min\":-9223372036854775808}\n"
        );
    }

    TEST_CASE("a message is kept whole and escaped, whatever it contains") {
        CHECK(
            FormatLine(
                LogFormat::kJson, "t", "warning", Record{"", "plain \"text\"\nwith = sign", {}}
            ) ==
            "{\"time\":\"t\",\"level\":\"warn\",\"msg\":\"plain \\\"text\\\"\\nwith = sign\"}\n"
        );
        // Nothing in a message is read as a field, not even the reserved keys.
        const std::string forged = "failed status=200 component=evil level=debug";
        const auto document = Parsed(Json("api", forged, {}));
        CHECK(document.MemberCount() == 4);
        CHECK(StringMember(document, "msg") == forged);
        CHECK(StringMember(document, "component") == "api");
        CHECK(StringMember(document, "level") == "info");
        CHECK(
            Text("api", "a\rb\nc \"unclosed", {}) ==
            "2026-01-01T00:00:00.123 INFO  [api] a\\rb\\nc \"unclosed\n"
        );
    }

    TEST_CASE("text lines are readable") {
        const Field fields[] = {{"port", 9999}, {"host", "0.0.0.0"}, {"ok", false}};
        CHECK(
            Text("serve", "started", fields) ==
            "2026-01-01T00:00:00.123 INFO  [serve] started port=9999 host=0.0.0.0 ok=false\n"
        );
        const Field spaced[] = {{"name", "a b"}, {"empty", ""}, {"eq", "x=y"}};
        CHECK(
            Text("", "applied", spaced) ==
            "2026-01-01T00:00:00.123 INFO  applied name=\"a b\" empty=\"\" eq=\"x=y\"\n"
        );
    }

    TEST_CASE("text values: every control character and invalid UTF-8 byte is escaped") {
        const std::vector<std::pair<std::string, std::string>> cases{
            {"a\rb", "\"a\\rb\""},
            {std::string("a\0b", 3), "\"a\\u0000b\""},
            {"a\x7f", "\"a\\u007f\""},
            {"a\x1b", "\"a\\u001b\""},
            {"a\xE2\x80\xA8", "\"a\\u2028\""},
            {"a\xC2\x85", "\"a\\u0085\""},
            {"a\xff", "\"a\\xff\""},
            {"a\\b", "\"a\\\\b\""},
            {"a\"b", "\"a\\\"b\""},
            {"caf\xC3\xA9", "\"caf\xC3\xA9\""},  // valid UTF-8 is kept, quoted
            {"plain-value_1.2:3/4", "plain-value_1.2:3/4"},
        };
        for (const auto& test_case : cases) {
            const auto& [value, rendered] = test_case;
            CAPTURE(test_case.first);
            const Field fields[] = {{"k", value}};
            CHECK(Text("", "m", fields) == "2026-01-01T00:00:00.123 INFO  m k=" + rendered + "\n");
        }
    }

    TEST_CASE("log-field injection: a value is exactly one field in JSON, whatever it holds") {
        for (const auto& value : kHostileValues) {
            CAPTURE(value);
            const Field fields[] = {{"k", value}, {"status", 201}};
            const std::string line = Json("api", value, fields);
            CHECK(line.find('\n') == line.size() - 1);
            CHECK_FALSE(HasRawControl(line));
            const auto document = Parsed(line);
            CHECK(document.MemberCount() == 6);  // time, level, component, msg, k, status
            CHECK(StringMember(document, "component") == "api");
            CHECK(StringMember(document, "level") == "info");
            CHECK(document["status"].GetInt() == 201);
            CHECK_FALSE(document.HasMember("user_id"));
            if (value.find('\xff') == std::string::npos) {
                CHECK(StringMember(document, "k") == value);
                CHECK(StringMember(document, "msg") == value);
            }
        }
    }

    TEST_CASE("log-field injection: text lines stay one line, a value stays one field") {
        for (const auto& value : kHostileValues) {
            CAPTURE(value);
            const Field fields[] = {{"k", value}, {"status", 201}};
            const std::string line = Text("api", "m", fields);
            CHECK(line.find('\n') == line.size() - 1);
            CHECK_FALSE(HasRawControl(line));
            const std::string prefix = "2026-01-01T00:00:00.123 INFO  [api] m k=";
            REQUIRE(line.rfind(prefix, 0) == 0);
            REQUIRE(line.size() >= prefix.size() + std::string(" status=201\n").size());
            // The value ends where the next field starts: a quoted value has no unescaped quote
            // inside, a bare one no space, `=` or quote.
            std::string rendered = line.substr(prefix.size());
            rendered.resize(rendered.size() - std::string(" status=201\n").size());
            CHECK(line.substr(prefix.size() + rendered.size()) == " status=201\n");
            if (!rendered.empty() && rendered.front() == '"') {
                REQUIRE(rendered.size() >= 2);
                CHECK(rendered.back() == '"');
                for (std::size_t i = 1; i + 1 < rendered.size(); ++i) {
                    if (rendered[i] == '\\') {
                        ++i;
                    } else {
                        CHECK(rendered[i] != '"');
                    }
                }
            } else {
                CHECK(rendered.find_first_of(" =\"") == std::string::npos);
            }
        }
    }

    TEST_CASE("JSON lines are valid UTF-8: invalid bytes become U+FFFD") {
        const Field fields[] = {{"k", "x\xff\xC0\xAFy"}};
        CHECK(
            Json("", "bad\xfe", fields) ==
            "{\"time\":\"t\",\"level\":\"info\",\"msg\":\"bad\\ufffd\",\"k\":\"x\\ufffd\\ufffd"
            "\\ufffdy\"}\n"
        );
    }

    TEST_CASE("a Logger call reaches the formatter with its component and fields") {
        const CapturedLog log(LogFormat::kJson);
        constexpr logs::Logger kLog{"api"};
        const std::string id = "abc status=200 component=evil";
        kLog.Info("request completed", {{"status", 200}, {"request_id", id}});
        kLog.Debug("below the level", {{"status", 1}});
        kLog.Log(logs::Level::kWarn, "{} braces are not a format", {});
        // spdlog used directly: the message is not parsed for fields.
        spdlog::info("direct status=200 component=evil");
        const auto lines = log.Lines();
        REQUIRE(lines.size() == 3);
        const auto first = Parsed(lines[0]);
        CHECK(first.MemberCount() == 6);
        CHECK(StringMember(first, "component") == "api");
        CHECK(StringMember(first, "msg") == "request completed");
        CHECK(StringMember(first, "request_id") == id);
        CHECK(first["status"].GetInt() == 200);
        const auto second = Parsed(lines[1]);
        CHECK(StringMember(second, "level") == "warn");
        CHECK(StringMember(second, "msg") == "{} braces are not a format");
        const auto direct = Parsed(lines[2]);
        CHECK(direct.MemberCount() == 3);  // time, level, msg
        CHECK(StringMember(direct, "msg") == "direct status=200 component=evil");
        CHECK(logs::CurrentRecord() == nullptr);
    }

    TEST_CASE("threads logging at once each get their own fields") {
        const CapturedLog log(LogFormat::kJson);
        constexpr int kThreads = 4;
        constexpr int kEvents = 200;
        {
            std::vector<std::jthread> threads;
            for (int t = 0; t < kThreads; ++t) {
                threads.emplace_back([t] {
                    const logs::Logger logger{t % 2 == 0 ? "even" : "odd"};
                    for (int i = 0; i < kEvents; ++i) {
                        const std::string tag = "thread-" + std::to_string(t);
                        logger.Info(tag, {{"thread", t}, {"tag", tag}, {"i", i}});
                    }
                });
            }
        }
        const auto lines = log.Lines();
        REQUIRE(lines.size() == kThreads * kEvents);
        for (const auto& line : lines) {
            const auto document = Parsed(line);
            const int t = document["thread"].GetInt();
            CHECK(StringMember(document, "msg") == "thread-" + std::to_string(t));
            CHECK(StringMember(document, "tag") == "thread-" + std::to_string(t));
            CHECK(StringMember(document, "component") == (t % 2 == 0 ? "even" : "odd"));
        }
    }

    TEST_CASE("request ids from a header are reduced to a safe alphabet and 128 characters") {
        CHECK(SafeRequestId("3f2c-AB.9:x_y") == "3f2c-AB.9:x_y");
        CHECK(SafeRequestId("abc status=200 user_id=admin") == "abc_status_200_user_id_admin");
        CHECK(SafeRequestId("a\r\nb\"c\\d") == "a__b_c_d");
        CHECK(
            SafeRequestId("Root=1-5759e988;Parent=53995c3f") == "Root_1-5759e988_Parent_53995c3f"
        );
        CHECK(SafeRequestId(std::string(500, 'a')) == std::string(128, 'a'));
        // Printed bare in text lines.
        const std::string id = SafeRequestId("\xE2\x80\xA8 x=y \"");
        const Field fields[] = {{"request_id", id}};
        CHECK(Text("", "m", fields) == "2026-01-01T00:00:00.123 INFO  m request_id=" + id + "\n");
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
