#include "observability/logging.hpp"

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
                    field.value += tail[i++];
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
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += kHex[(c >> 4) & 0xF];
                    out += kHex[c & 0xF];
                } else {
                    out += c;
                }
        }
    }
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
    std::string upper(level);
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    upper.resize(5, ' ');
    out += upper;
    out += ' ';
    if (!component.empty()) {
        out += '[';
        out.append(component);
        out += "] ";
    }
    // The component is already in brackets; the other fields follow the text.
    out.append(text);
    for (const auto& field : fields) {
        if (field.key != "component") {
            out += (out.back() == ' ' ? "" : " ") + field.key + "=" + Quote(field.value);
        }
    }
    out += '\n';
    return out;
}

std::string Quote(std::string_view value) {
    const bool plain =
        !value.empty() && value.find_first_of(" \"=\\\n\t") == std::string_view::npos;
    if (plain) {
        return std::string(value);
    }
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c == '\n' ? ' ' : c;
    }
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
