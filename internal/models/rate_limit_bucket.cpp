#include "models/rate_limit_bucket.hpp"

namespace gotrue::models {
namespace {

// Longest wait recorded until a bucket is full (about 95 years): refilling slower than that, or
// not at all, must still give a valid timestamp.
constexpr const char* kMaxRefillSeconds = "3e9";

// SQL for when a bucket holding `tokens` (SQL, double precision) is full again, with $2 the
// capacity and $3 the refill per second.
std::string FullAgainAt(const std::string& tokens) {
    std::string sql = "now() + LEAST(($2::float8 - (";
    sql += tokens;
    sql += ")) / GREATEST($3::float8, 1e-12), ";
    sql += kMaxRefillSeconds;
    sql += ") * interval '1 second'";
    return sql;
}

// The bucket's tokens after refilling since its last take, at most the capacity.
constexpr const char* kRefilled =
    "LEAST($2::float8, b.tokens + extract(epoch from now() - b.updated_at)::float8 * $3::float8)";

}  // namespace

double TakeToken(
    pqxx::transaction_base& tx, const std::string& key, double capacity, double refill_per_second
) {
    std::string sql =
        "INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, full_at) "
        "VALUES ($1, $2::float8 - 1, now(), ";
    sql += FullAgainAt("$2::float8 - 1");
    sql += ") ON CONFLICT (key) DO UPDATE SET tokens = ";
    sql += kRefilled;
    sql += " - 1, updated_at = now(), full_at = ";
    sql += FullAgainAt(std::string(kRefilled) + " - 1");
    sql += " RETURNING tokens";
    return tx.exec_params1(sql, key, capacity, refill_per_second)[0].as<double>();
}

long long DeleteFullBuckets(pqxx::transaction_base& tx) {
    return static_cast<long long>(
        tx.exec0("DELETE FROM rate_limit_buckets WHERE full_at <= now()").affected_rows()
    );
}

}  // namespace gotrue::models
