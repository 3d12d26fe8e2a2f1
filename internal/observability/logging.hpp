#pragma once

// observability: log setup. Every module logs through spdlog with logfmt-style fields at the
// end of the message ("request completed method=GET status=200 request_id=..."); the
// formatter installed here turns each line into one JSON object ({"time","level",
// "component","msg", fields...}) or a human-readable line. The component is the spdlog
// logger's name (see Component()).

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace gotrue::observability {

enum class LogFormat { kJson, kText };

struct LogOptions {
    std::string level = "info";  // GOTRUE_LOG_LEVEL spelling
    LogFormat format = LogFormat::kJson;
    std::string file;  // empty: stderr
};

// Installs the formatter, level and sink on the default logger. Call once, first thing.
void SetupLogging(const LogOptions& options);

// The logger for one component ("api", "storage", ...), sharing the default logger's sink.
[[nodiscard]] std::shared_ptr<spdlog::logger> Component(const std::string& name);

// A field value for a log message that the formatter reads back as exactly one value, whatever
// the value contains: kept as is when it is only printable ASCII without `"`, `=` or `\`, else
// quoted, with `"` and `\` escaped and every control character (C0, DEL, C1, U+2028/U+2029) and
// invalid UTF-8 byte written as an escape, so it can neither end the field nor the line:
// Quote("a b") == "\"a b\"", Quote("a\rb") == "\"a\\rb\"". Use it for every value a client can
// influence (paths, headers, addresses, error texts).
[[nodiscard]] std::string Quote(std::string_view value);

// Renders one log line. Exposed for tests of the formatter.
[[nodiscard]] std::string FormatLine(
    LogFormat format,
    std::string_view time,
    std::string_view level,
    std::string_view component,
    std::string_view message
);

}  // namespace gotrue::observability
