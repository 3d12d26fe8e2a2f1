#pragma once

// Where configuration values come from: the process environment, ./.env (never overrides
// the real environment) or a --config file (overrides it), as GoTrue's confload does
// (internal/conf/confload/confload.go).

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::conf {

using Environment = std::map<std::string, std::string, std::less<>>;

// Parses dotenv text: KEY=value, optional `export `, # comments, 'single' (literal) and
// "double" quotes (\n, \t, \", \\ escapes), ${VAR} expansion in unquoted and double-quoted
// values, resolved against keys defined earlier in the text and then `outer`.
// Throws ConfigError("<source>:<line>: ...") on a malformed line, or on a value longer than
// 128 KiB after expansion (Linux's limit for one environment variable).
[[nodiscard]] Environment ParseDotenv(
    std::string_view text, const Environment& outer, std::string_view source = ".env"
);

// A flat JSON object of string (or number/bool) values keyed by variable name. Throws
// ConfigError("<source>: ...") for anything else, including deeply nested JSON.
[[nodiscard]] Environment ParseJsonConfig(std::string_view text, std::string_view source);

// The variables of this process (environ).
[[nodiscard]] Environment ProcessEnvironment();

// Merges the sources: with `config_file`, its keys override `process` (a missing file is an
// error); without, `dotenv` is read if it exists and only fills keys `process` lacks.
[[nodiscard]] Environment LoadEnvironment(
    Environment process,
    const std::optional<std::filesystem::path>& config_file,
    const std::filesystem::path& dotenv = ".env"
);

}  // namespace gotrue::conf
