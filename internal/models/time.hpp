#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace gotrue::models {

// Timestamps as the database stores them (timestamptz, microseconds).
using Time = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;
using OptionalTime = std::optional<Time>;

// A timestamp column selected as microseconds since the epoch,
// `(extract(epoch from column) * 1000000)::bigint`; std::nullopt for NULL.
[[nodiscard]] OptionalTime ReadTime(const pqxx::field& field);

[[nodiscard]] Time Now();

// A timestamp as a query parameter: microseconds since the epoch in decimal, NULL when unset.
// The statement turns it back with `to_timestamp($n::bigint / 1000000.0)`.
[[nodiscard]] std::optional<std::string> TimeParam(const OptionalTime& time);

// RFC 3339 in UTC with the fractional seconds Go's RFC3339Nano prints (trailing zeros dropped),
// e.g. "2026-11-25T16:27:13.12345Z".
[[nodiscard]] std::string FormatTime(Time time);

}  // namespace gotrue::models
