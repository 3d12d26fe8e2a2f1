#pragma once

// SQL statements are named raw-string constants (R"sql(...)sql") so the formatter never splits
// them; a statement that shares a part with others (the users column list) is joined from named
// parts at compile time with Join. They run through Exec/Exec0/Exec1 as prepared statements of
// the connection, as upstream's pgx does with its statement cache: PostgreSQL parses and plans
// each once per connection instead of at every call, which was half of its CPU time in a signup
// (README "Benchmarks").

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

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

// The name under which `statement` is prepared on tx's connection, defining it there the first
// time (libpqxx sends the definition to the server at its first execution, and again on a new
// connection). The name is a hash of the text, so the same text is one statement wherever it is
// used; libpqxx refuses a name defined twice with different texts, so a collision is an error,
// never a wrong statement.
inline std::string Prepared(pqxx::transaction_base& tx, std::string_view statement) {
    std::array<char, 24> name{};
    std::snprintf(
        name.data(), name.size(), "gotrue_%016zx", std::hash<std::string_view>{}(statement)
    );
    tx.conn().prepare(name.data(), std::string(statement));
    return name.data();
}

// tx.exec_params(statement, args...) as a prepared statement.
template <typename... Args>
pqxx::result Exec(pqxx::transaction_base& tx, std::string_view statement, Args&&... args) {
    return tx.exec_prepared(Prepared(tx, statement), std::forward<Args>(args)...);
}

// Exec expecting no rows (pqxx::unexpected_rows otherwise), as tx.exec_params0.
template <typename... Args>
pqxx::result Exec0(pqxx::transaction_base& tx, std::string_view statement, Args&&... args) {
    return tx.exec_prepared0(Prepared(tx, statement), std::forward<Args>(args)...);
}

// Exec expecting exactly one row, as tx.exec_params1.
template <typename... Args>
pqxx::row Exec1(pqxx::transaction_base& tx, std::string_view statement, Args&&... args) {
    return tx.exec_prepared1(Prepared(tx, statement), std::forward<Args>(args)...);
}

// Runs a housekeeping DELETE whose $1 is an age in seconds and $2 a row limit (upstream's
// piecemeal cleanup, internal/models/cleanup.go); returns how many rows went.
inline long long DeleteOlderThan(
    pqxx::transaction_base& tx,
    std::string_view statement,
    std::chrono::seconds age,
    long long limit
) {
    const auto result = Exec0(tx, statement, static_cast<long long>(age.count()), limit);
    return static_cast<long long>(result.affected_rows());
}

}  // namespace gotrue::models::sql
