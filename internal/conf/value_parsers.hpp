#pragma once

// Parsers for the value syntaxes GoTrue's configuration uses (Go's strconv.ParseBool,
// time.ParseDuration, comma lists). Each throws std::invalid_argument with a short reason;
// load.cpp adds the variable name.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gotrue::conf {

// 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False (Go's ParseBool).
[[nodiscard]] bool ParseBool(std::string_view text);

// Go duration syntax: "300ms", "60s", "1m", "1h30m", "1.5h", "0". A bare "60" is an error.
[[nodiscard]] std::chrono::milliseconds ParseDuration(std::string_view text);

[[nodiscard]] long long ParseInteger(std::string_view text);

[[nodiscard]] double ParseNumber(std::string_view text);

// "a, b,,c" -> {"a", "b", "c"}: items trimmed, empty items dropped.
[[nodiscard]] std::vector<std::string> SplitList(std::string_view text);

[[nodiscard]] std::string_view Trim(std::string_view text);

}  // namespace gotrue::conf
