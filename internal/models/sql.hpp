#pragma once

// SQL statements are named raw-string constants (R"sql(...)sql") so the formatter never splits
// them; a statement that shares a part with others (the users column list) is joined from named
// parts at compile time with Join.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace gotrue::models::sql {

template <const std::string_view&... Parts>
struct Joined {
    static constexpr auto kChars = [] {
        std::array<char, (Parts.size() + ... + 0) + 1> chars{};
        std::size_t at = 0;
        ((std::copy(Parts.begin(), Parts.end(), chars.begin() + at), at += Parts.size()), ...);
        return chars;
    }();
    static constexpr std::string_view kValue{kChars.data(), kChars.size() - 1};
};

// The statement made of `Parts`, in order. Named like a function: it reads as one at call sites.
template <const std::string_view&... Parts>
// NOLINTNEXTLINE(readability-identifier-naming)
inline constexpr std::string_view Join = Joined<Parts...>::kValue;

}  // namespace gotrue::models::sql
