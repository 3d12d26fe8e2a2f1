#pragma once

// observability: log setup. Modules log through logs::Logger (internal/logs), which hands the
// message and its fields to the formatter installed here as data; the formatter turns each
// event into one JSON object per line ({"time","level","component","msg", fields...}) or a
// human-readable line, escaping every value.

#include <memory>
#include <string>
#include <string_view>

#include "logs/logs.hpp"

namespace spdlog {
class formatter;
}  // namespace spdlog

namespace gotrue::observability {

enum class LogFormat { kJson, kText };

struct LogOptions {
    std::string level = "info";  // GOTRUE_LOG_LEVEL spelling
    LogFormat format = LogFormat::kJson;
    std::string file;  // empty: stderr
};

// Installs the formatter, level and sink on the default logger. Call once, first thing.
void SetupLogging(const LogOptions& options);

// The formatter SetupLogging installs, for a logger of one's own (tests).
[[nodiscard]] std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format);

// Renders one event. JSON: strings escaped as JSON (invalid UTF-8 becomes U+FFFD), numbers and
// booleans as such. Text: `time LEVEL [component] message key=value ...`, a text value quoted
// unless it is printable ASCII without space, `"`, `=` or `\`. In both, control characters (C0,
// DEL, C1, U+2028/U+2029) are escaped, so an event is always exactly one line.
[[nodiscard]] std::string FormatLine(
    LogFormat format, std::string_view time, std::string_view level, const logs::Record& record
);

}  // namespace gotrue::observability
