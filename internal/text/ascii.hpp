#pragma once

// ASCII character helpers, independent of the C locale (std::tolower and friends consult it and
// take int). HTTP header names, URL schemes and hosts, hex escapes, configuration keys and
// template literals are ASCII by definition; bytes >= 0x80 pass through unchanged.

#include <string>
#include <string_view>

namespace gotrue::text {

[[nodiscard]] constexpr char AsciiLower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] constexpr char AsciiUpper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

[[nodiscard]] constexpr bool IsDigit(char c) noexcept {
    return c >= '0' && c <= '9';
}

[[nodiscard]] constexpr bool IsAlpha(char c) noexcept {
    return AsciiLower(c) >= 'a' && AsciiLower(c) <= 'z';
}

// 0-15 for a hexadecimal digit (either case), -1 for anything else.
[[nodiscard]] constexpr int HexValue(char c) noexcept {
    if (IsDigit(c)) {
        return c - '0';
    }
    const char lower = AsciiLower(c);
    return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

[[nodiscard]] constexpr bool IsHexDigit(char c) noexcept {
    return HexValue(c) >= 0;
}

[[nodiscard]] std::string ToLower(std::string_view text);
[[nodiscard]] std::string ToUpper(std::string_view text);

[[nodiscard]] bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) noexcept;

}  // namespace gotrue::text
