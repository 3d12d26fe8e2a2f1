#include "observability/logging.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <type_traits>
#include <variant>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "observability/utf8.hpp"
#include "text/ascii.hpp"

namespace gotrue::observability {
namespace {

// Characters that break or rewrite a line on a terminal or in a log viewer: C0 controls, DEL,
// C1 controls, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.
bool IsControl(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

void AppendHex(std::string& out, unsigned value, int digits) {
    constexpr std::string_view kHex = "0123456789abcdef";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += kHex[(value >> shift) & 0xF];
    }
}

enum class Escaping {
    kLogText,    // the text of a text-format line
    kLogQuoted,  // inside a quoted field value: also `"`
    kJson,       // inside a JSON string: also `"`, invalid UTF-8 becomes U+FFFD
};

// Appends `text` so that it stays on one line and cannot end a field early: control characters
// become \n, \r, \t or \u00XX, backslashes are doubled, invalid UTF-8 bytes become \xHH (JSON:
// U+FFFD, as JSON must be valid UTF-8).
void AppendEscaped(std::string& out, std::string_view text, Escaping style) {
    for (std::size_t i = 0; i < text.size();) {
        const CodePoint c = DecodeUtf8(text.substr(i));
        if (c.length == 0) {
            if (style == Escaping::kJson) {
                out += "\\ufffd";
            } else {
                out += "\\x";
                AppendHex(out, static_cast<unsigned char>(text[i]), 2);
            }
            ++i;
            continue;
        }
        if (c.value == '\\' || (c.value == '"' && style != Escaping::kLogText)) {
            out += '\\';
            out += static_cast<char>(c.value);
        } else if (c.value == '\n') {
            out += "\\n";
        } else if (c.value == '\r') {
            out += "\\r";
        } else if (c.value == '\t') {
            out += "\\t";
        } else if (IsControl(c.value)) {
            out += "\\u";
            AppendHex(out, static_cast<unsigned>(c.value), 4);
        } else {
            out.append(text.substr(i, c.length));
        }
        i += c.length;
    }
}

void AppendJsonString(std::string& out, std::string_view text) {
    out += '"';
    AppendEscaped(out, text, Escaping::kJson);
    out += '"';
}

// A number as JSON and text write it (shortest form that reads back the same).
template <typename T>
void AppendNumber(std::string& out, T number) {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
    out.append(buffer.data(), result.ptr);
}

// Text values are kept as is when a reader cannot mistake where they end, else quoted.
bool IsPlainText(std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return c > ' ' && c < 0x7F && c != '"' && c != '=' && c != '\\';
    });
}

void AppendValue(std::string& out, const logs::Value& value, LogFormat format) {
    std::visit(
        [&out, format](const auto& data) {
            using T = std::decay_t<decltype(data)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                if (format == LogFormat::kJson) {
                    AppendJsonString(out, data);
                } else if (IsPlainText(data)) {
                    out.append(data);
                } else {
                    out += '"';
                    AppendEscaped(out, data, Escaping::kLogQuoted);
                    out += '"';
                }
            } else if constexpr (std::is_same_v<T, bool>) {
                out += data ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                if (format == LogFormat::kJson && !std::isfinite(data)) {
                    out += "null";  // JSON has no NaN or infinity
                } else {
                    AppendNumber(out, data);
                }
            } else {
                AppendNumber(out, data);
            }
        },
        value.Get()
    );
}

// The record of the event being written: the one the logs::Logger call on this thread handed
// over, recognised by the message's address; anything else logged through spdlog directly is
// a message without fields.
logs::Record RecordOf(const spdlog::details::log_msg& msg) {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (const logs::Record* record = logs::CurrentRecord();
        record != nullptr && record->message.data() == payload.data() &&
        record->message.size() == payload.size()) {
        return *record;
    }
    return {std::string_view(msg.logger_name.data(), msg.logger_name.size()), payload, {}};
}

class LineFormatter final : public spdlog::formatter {
public:
    explicit LineFormatter(LogFormat format) : format_(format) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto time = std::chrono::system_clock::to_time_t(msg.time);
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch())
                .count() %
            1000000;
        std::tm utc{};
        gmtime_r(&time, &utc);
        char stamp[40];
        const auto length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
        const std::string time_text = std::string(stamp, length) + fraction;
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string line = FormatLine(
            format_, time_text, std::string_view(level.data(), level.size()), RecordOf(msg)
        );
        dest.append(line.data(), line.data() + line.size());
    }

    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<LineFormatter>(format_);
    }

private:
    LogFormat format_;
};

spdlog::level::level_enum ToLevel(const std::string& level) {
    if (level == "trace") {
        return spdlog::level::trace;
    }
    if (level == "debug") {
        return spdlog::level::debug;
    }
    if (level == "warn" || level == "warning") {
        return spdlog::level::warn;
    }
    if (level == "error") {
        return spdlog::level::err;
    }
    if (level == "fatal" || level == "panic") {
        return spdlog::level::critical;
    }
    return spdlog::level::info;
}

}  // namespace

std::string FormatLine(
    LogFormat format, std::string_view time, std::string_view level, const logs::Record& record
) {
    std::string out;
    if (format == LogFormat::kJson) {
        out += "{\"time\":";
        AppendJsonString(out, time);
        out += ",\"level\":";
        AppendJsonString(out, level == "warning" ? "warn" : level);
        if (!record.component.empty()) {
            out += ",\"component\":";
            AppendJsonString(out, record.component);
        }
        out += ",\"msg\":";
        AppendJsonString(out, record.message);
        for (const auto& field : record.fields) {
            out += ',';
            AppendJsonString(out, field.key.View());
            out += ':';
            AppendValue(out, field.value, format);
        }
        out += "}\n";
        return out;
    }
    out.append(time.substr(0, std::min<std::size_t>(time.size(), 23)));  // millisecond precision
    out += ' ';
    std::string upper = text::ToUpper(level);
    upper.resize(5, ' ');
    out += upper;
    out += ' ';
    if (!record.component.empty()) {
        out += '[';
        AppendEscaped(out, record.component, Escaping::kLogText);
        out += "] ";
    }
    AppendEscaped(out, record.message, Escaping::kLogText);
    for (const auto& field : record.fields) {
        out += ' ';
        out.append(field.key.View());
        out += '=';
        AppendValue(out, field.value, format);
    }
    out += '\n';
    return out;
}

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
    return std::make_unique<LineFormatter>(format);
}

void SetupLogging(const LogOptions& options) {
    std::shared_ptr<spdlog::logger> logger;
    if (options.file.empty()) {
        logger =
            std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
        logger = std::make_shared<spdlog::logger>(
            "", std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file)
        );
    }
    logger->set_formatter(MakeFormatter(options.format));
    logger->set_level(ToLevel(options.level));
    logger->flush_on(spdlog::level::trace);
    spdlog::drop_all();
    spdlog::set_default_logger(logger);
}

}  // namespace gotrue::observability
