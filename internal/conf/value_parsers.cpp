#include "conf/value_parsers.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
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

// Nanoseconds per unit, as in Go's time package.
double UnitNanoseconds(std::string_view unit) {
    static constexpr std::array<std::pair<std::string_view, double>, 8> kUnits{{
        {"ns", 1.0},
        {"us", 1e3},
        {"\xC2\xB5s", 1e3},  // µs (micro sign)
        {"\xCE\xBCs", 1e3},  // μs (Greek mu)
        {"ms", 1e6},
        {"s", 1e9},
        {"m", 60e9},
        {"h", 3600e9},
    }};
    for (const auto& [name, nanoseconds] : kUnits) {
        if (unit == name) {
            return nanoseconds;
        }
    }
    return 0;
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
    double total_nanoseconds = 0;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (digits < text.size() &&
               ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
            ++digits;
        }
        if (digits == 0) {
            throw invalid("expected a number");
        }
        const std::string number(text.substr(0, digits));
        text.remove_prefix(digits);
        std::size_t unit_length = 0;
        while (unit_length < text.size() &&
               !((text[unit_length] >= '0' && text[unit_length] <= '9') || text[unit_length] == '.')
        ) {
            ++unit_length;
        }
        if (unit_length == 0) {
            throw invalid("missing unit");
        }
        const double unit = UnitNanoseconds(text.substr(0, unit_length));
        if (unit == 0) {
            throw invalid("unknown unit \"" + std::string(text.substr(0, unit_length)) + "\"");
        }
        text.remove_prefix(unit_length);
        if (number == "." || number.find('.') != number.rfind('.')) {
            throw invalid("bad number");
        }
        total_nanoseconds += std::stod(number) * unit;
    }
    if (total_nanoseconds / 1e6 > static_cast<double>(std::numeric_limits<long long>::max() / 2)) {
        throw invalid("out of range");
    }
    const auto milliseconds = static_cast<long long>(std::llround(total_nanoseconds / 1e6));
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
