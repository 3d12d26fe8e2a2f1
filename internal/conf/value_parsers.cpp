#include "conf/value_parsers.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace gotrue::conf {

bool ParseBool(std::string_view text) {
    static constexpr std::array<std::string_view, 6> kTrue{"1", "t", "T", "TRUE", "true", "True"};
    static constexpr std::array<std::string_view, 6> kFalse{
        "0", "f", "F", "FALSE", "false", "False"};
    for (const auto word : kTrue) {
        if (text == word) {
            return true;
        }
    }
    for (const auto word : kFalse) {
        if (text == word) {
            return false;
        }
    }
    throw std::invalid_argument(
        "invalid boolean \"" + std::string(text) + "\" (use true or false)"
    );
}

namespace {

// Go's time.Duration is int64 nanoseconds; it accumulates the magnitude in a uint64 that may reach
// 2^63 (the magnitude of the most negative duration).
constexpr std::uint64_t kMaxMagnitude = std::uint64_t{1} << 63;

// Nanoseconds per unit, as in Go's time package; 0 for an unknown unit.
std::uint64_t UnitNanoseconds(std::string_view unit) {
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits{{
        {"ns", 1},
        {"us", 1'000},
        {"\xC2\xB5s", 1'000},  // µs (micro sign)
        {"\xCE\xBCs", 1'000},  // μs (Greek mu)
        {"ms", 1'000'000},
        {"s", 1'000'000'000},
        {"m", 60'000'000'000},
        {"h", 3'600'000'000'000},
    }};
    for (const auto& [name, nanoseconds] : kUnits) {
        if (unit == name) {
            return nanoseconds;
        }
    }
    return 0;
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

// Consumes leading digits; nullopt when the number exceeds 2^63 (Go refuses it as well).
std::optional<std::uint64_t> TakeInteger(std::string_view& text) {
    std::uint64_t value = 0;
    while (!text.empty() && IsDigit(text.front())) {
        if (value > kMaxMagnitude / 10) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(text.front() - '0');
        if (value > kMaxMagnitude) {
            return std::nullopt;
        }
        text.remove_prefix(1);
    }
    return value;
}

// Consumes the digits after a '.': value / scale is the fraction. Digits beyond what 63 bits
// hold only lose precision, as in Go.
std::pair<std::uint64_t, double> TakeFraction(std::string_view& text) {
    std::uint64_t value = 0;
    double scale = 1;
    bool saturated = false;
    while (!text.empty() && IsDigit(text.front())) {
        const auto digit = static_cast<std::uint64_t>(text.front() - '0');
        text.remove_prefix(1);
        if (saturated || value > (kMaxMagnitude - 1) / 10 || value * 10 + digit > kMaxMagnitude) {
            saturated = true;
            continue;
        }
        value = value * 10 + digit;
        scale *= 10;
    }
    return {value, scale};
}

std::string_view TakeUnit(std::string_view& text) {
    std::size_t length = 0;
    while (length < text.size() && !IsDigit(text[length]) && text[length] != '.') {
        ++length;
    }
    const std::string_view unit = text.substr(0, length);
    text.remove_prefix(length);
    return unit;
}

}  // namespace

std::chrono::milliseconds ParseDuration(std::string_view text) {
    const std::string original(text);
    const auto invalid = [&original](const std::string& why) {
        return std::invalid_argument(
            "invalid duration \"" + original + "\" (" + why + "; use e.g. 60s, 1m, 1h30m)"
        );
    };
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text == "0") {
        return std::chrono::milliseconds(0);
    }
    if (text.empty()) {
        throw invalid("empty");
    }
    std::uint64_t total = 0;  // nanoseconds, at most 2^63 as in Go
    while (!text.empty()) {
        const std::size_t before = text.size();
        const auto whole = TakeInteger(text);
        if (!whole) {
            throw invalid("out of range");
        }
        const bool has_whole = text.size() != before;
        std::pair<std::uint64_t, double> fraction{0, 1};
        bool has_fraction = false;
        if (!text.empty() && text.front() == '.') {
            text.remove_prefix(1);
            const std::size_t digits_before = text.size();
            fraction = TakeFraction(text);
            has_fraction = text.size() != digits_before;
        }
        if (!has_whole && !has_fraction) {
            throw invalid("expected a number");
        }
        const std::string_view unit_name = TakeUnit(text);
        if (unit_name.empty()) {
            throw invalid("missing unit");
        }
        const std::uint64_t unit = UnitNanoseconds(unit_name);
        if (unit == 0) {
            throw invalid("unknown unit \"" + std::string(unit_name) + "\"");
        }
        if (*whole > kMaxMagnitude / unit) {
            throw invalid("out of range");
        }
        std::uint64_t part = *whole * unit;
        // At most 3.6e12 (an hour in nanoseconds): exact enough in a double, as Go computes it.
        part += static_cast<std::uint64_t>(
            static_cast<double>(fraction.first) * (static_cast<double>(unit) / fraction.second)
        );
        total += part;
        if (part > kMaxMagnitude || total > kMaxMagnitude) {
            throw invalid("out of range");
        }
    }
    if (!negative && total > kMaxMagnitude - 1) {
        throw invalid("out of range");
    }
    // Nanoseconds to milliseconds, rounding half away from zero.
    const auto milliseconds = static_cast<long long>((total + 500'000) / 1'000'000);
    return std::chrono::milliseconds(negative ? -milliseconds : milliseconds);
}

long long ParseInteger(std::string_view text) {
    long long value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || ptr != end) {
        throw std::invalid_argument("invalid integer \"" + std::string(text) + "\"");
    }
    return value;
}

double ParseNumber(std::string_view text) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || ptr != end || !std::isfinite(value)) {
        throw std::invalid_argument("invalid number \"" + std::string(text) + "\"");
    }
    return value;
}

std::string_view Trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(kSpace);
    return text.substr(first, last - first + 1);
}

std::vector<std::string> SplitList(std::string_view text) {
    std::vector<std::string> items;
    while (true) {
        const auto comma = text.find(',');
        const auto item = Trim(text.substr(0, comma));
        if (!item.empty()) {
            items.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return items;
}

}  // namespace gotrue::conf
