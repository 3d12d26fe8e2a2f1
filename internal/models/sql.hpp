#pragma once

// SQL statements are named raw-string constants (R"sql(...)sql") so the formatter never splits
// them; a statement that shares a part with others (the users column list) is joined from named
// parts at compile time with Join.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

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

// Runs a housekeeping DELETE whose $1 is an age in seconds and $2 a row limit (upstream's
// piecemeal cleanup, internal/models/cleanup.go); returns how many rows went.
inline long long DeleteOlderThan(
    pqxx::transaction_base& tx,
    std::string_view statement,
    std::chrono::seconds age,
    long long limit
) {
    const auto result =
        tx.exec_params0(std::string(statement), static_cast<long long>(age.count()), limit);
    return static_cast<long long>(result.affected_rows());
}

}  // namespace gotrue::models::sql
