#include "observability/logging.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "observability/utf8.hpp"
#include "text/ascii.hpp"

namespace gotrue::observability {
namespace {

struct Field {
    std::string key;
    std::string value;
};

bool IsKeyStart(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
}

bool IsKeyChar(char c) {
    return IsKeyStart(c) || (c >= '0' && c <= '9') || c == '.';
}

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

// The value of `digits` hex digits at the start of `text`, or -1.
long HexNumber(std::string_view text, std::size_t digits) {
    if (text.size() < digits) {
        return -1;
    }
    long value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const int digit = text::HexValue(text[i]);
        if (digit < 0) {
            return -1;
        }
        value = value * 16 + digit;
    }
    return value;
}

void AppendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// Reads one escape of a quoted value (what AppendEscaped writes), `text` starting after the
// backslash; returns the characters consumed. Unknown escapes stand for the character itself.
std::size_t ReadEscape(std::string_view text, std::string& out) {
    switch (text.front()) {
        case 'n':
            out += '\n';
            return 1;
        case 'r':
            out += '\r';
            return 1;
        case 't':
            out += '\t';
            return 1;
        case 'x':
            if (const long byte = HexNumber(text.substr(1), 2); byte >= 0) {
                out += static_cast<char>(byte);
                return 3;
            }
            break;
        case 'u':
            if (const long c = HexNumber(text.substr(1), 4); c >= 0) {
                AppendUtf8(out, static_cast<char32_t>(c));
                return 5;
            }
            break;
        default:
            break;
    }
    out += text.front();
    return 1;
}

// Parses `key=value key="quoted value" ...` covering the whole of `tail`.
std::optional<std::vector<Field>> ParseFields(std::string_view tail) {
    std::vector<Field> fields;
    std::size_t i = 0;
    while (i < tail.size()) {
        if (tail[i] == ' ') {
            ++i;
            continue;
        }
        const std::size_t key_start = i;
        if (!IsKeyStart(tail[i])) {
            return std::nullopt;
        }
        while (i < tail.size() && IsKeyChar(tail[i])) {
            ++i;
        }
        if (i >= tail.size() || tail[i] != '=') {
            return std::nullopt;
        }
        Field field{std::string(tail.substr(key_start, i - key_start)), {}};
        ++i;
        if (i < tail.size() && tail[i] == '"') {
            ++i;
            bool closed = false;
            while (i < tail.size()) {
                const char c = tail[i++];
                if (c == '\\' && i < tail.size()) {
                    i += ReadEscape(tail.substr(i), field.value);
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    field.value += c;
                }
            }
            if (!closed || (i < tail.size() && tail[i] != ' ')) {
                return std::nullopt;
            }
        } else {
            while (i < tail.size() && tail[i] != ' ') {
                field.value += tail[i++];
            }
        }
        fields.push_back(std::move(field));
    }
    return fields;
}

// Splits "text key=v ..." into the text and its fields: the fields start at the first
// " key=" from which the rest of the message parses completely.
std::pair<std::string_view, std::vector<Field>> SplitMessage(std::string_view message) {
    for (std::size_t pos = message.find(' '); pos != std::string_view::npos;
         pos = message.find(' ', pos + 1)) {
        if (pos + 1 < message.size() && IsKeyStart(message[pos + 1])) {
            const auto equals = message.find('=', pos + 1);
            const auto space = message.find(' ', pos + 1);
            if (equals == std::string_view::npos ||
                (space != std::string_view::npos && space < equals)) {
                continue;
            }
            if (auto fields = ParseFields(message.substr(pos + 1))) {
                return {message.substr(0, pos), std::move(*fields)};
            }
        }
    }
    // A message made only of fields ("key=value ...").
    if (!message.empty() && IsKeyStart(message.front())) {
        if (auto fields = ParseFields(message)) {
            return {std::string_view{}, std::move(*fields)};
        }
    }
    return {message, {}};
}

void AppendJsonString(std::string& out, std::string_view text) {
    out += '"';
    AppendEscaped(out, text, Escaping::kJson);
    out += '"';
}

// Integers and booleans become JSON numbers/booleans so they can be queried as such.
bool IsJsonScalar(std::string_view value) {
    if (value == "true" || value == "false") {
        return true;
    }
    if (value.empty() || value.size() > 15) {
        return false;
    }
    std::size_t start = value.front() == '-' ? 1 : 0;
    if (start == value.size() || (value[start] == '0' && value.size() > start + 1)) {
        return false;
    }
    for (std::size_t i = start; i < value.size(); ++i) {
        if (value[i] < '0' || value[i] > '9') {
            return false;
        }
    }
    return true;
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
            format_,
            time_text,
            std::string_view(level.data(), level.size()),
            std::string_view(msg.logger_name.data(), msg.logger_name.size()),
            std::string_view(msg.payload.data(), msg.payload.size())
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

std::mutex& ComponentMutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace

std::string FormatLine(
    LogFormat format,
    std::string_view time,
    std::string_view level,
    std::string_view component,
    std::string_view message
) {
    const auto [text, fields] = SplitMessage(message);
    // Modules that log through a bare spdlog logger name their component as a field.
    for (const auto& field : fields) {
        if (component.empty() && field.key == "component") {
            component = field.value;
        }
    }
    std::string out;
    if (format == LogFormat::kJson) {
        out += "{\"time\":";
        AppendJsonString(out, time);
        out += ",\"level\":";
        AppendJsonString(out, level == "warning" ? "warn" : level);
        if (!component.empty()) {
            out += ",\"component\":";
            AppendJsonString(out, component);
        }
        out += ",\"msg\":";
        AppendJsonString(out, text);
        for (const auto& field : fields) {
            if (field.key == "time" || field.key == "level" || field.key == "msg" ||
                field.key == "component") {
                continue;  // reserved keys are never overwritten by a field
            }
            out += ',';
            AppendJsonString(out, field.key);
            out += ':';
            if (IsJsonScalar(field.value)) {
                out += field.value;
            } else {
                AppendJsonString(out, field.value);
            }
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
    if (!component.empty()) {
        out += '[';
        out.append(component);
        out += "] ";
    }
    // The component is already in brackets; the other fields follow the text.
    AppendEscaped(out, text, Escaping::kLogText);
    for (const auto& field : fields) {
        if (field.key != "component") {
            out += (out.back() == ' ' ? "" : " ") + field.key + "=" + Quote(field.value);
        }
    }
    out += '\n';
    return out;
}

std::string Quote(std::string_view value) {
    const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return c > ' ' && c < 0x7F && c != '"' && c != '=' && c != '\\';
    });
    if (plain) {
        return std::string(value);
    }
    std::string out = "\"";
    AppendEscaped(out, value, Escaping::kLogQuoted);
    out += '"';
    return out;
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
    logger->set_formatter(std::make_unique<LineFormatter>(options.format));
    logger->set_level(ToLevel(options.level));
    logger->flush_on(spdlog::level::trace);
    const std::scoped_lock lock(ComponentMutex());
    spdlog::drop_all();
    spdlog::set_default_logger(logger);
}

std::shared_ptr<spdlog::logger> Component(const std::string& name) {
    const std::scoped_lock lock(ComponentMutex());
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    auto logger = spdlog::default_logger()->clone(name);
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace gotrue::observability
