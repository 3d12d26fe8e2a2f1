#include "models/rate_limit_bucket.hpp"

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

// $1 key, $2 capacity, $3 refill per second. A new bucket starts full and gives one token; an
// existing one first refills for the time since its last take (at most to the capacity).
// full_at is when the bucket is full again; waits are capped at 3e9 seconds (about 95 years) so
// that refilling slower than that, or not at all, still gives a valid timestamp.
constexpr std::string_view kTakeToken = R"sql(
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, full_at)
VALUES ($1, $2::float8 - 1, now(),
        now() + LEAST(($2::float8 - ($2::float8 - 1)) / GREATEST($3::float8, 1e-12), 3e9)
                * interval '1 second')
ON CONFLICT (key) DO UPDATE
   SET tokens = LEAST($2::float8,
                      b.tokens + extract(epoch from now() - b.updated_at)::float8 * $3::float8) - 1,
       updated_at = now(),
       full_at = now() + LEAST(($2::float8 - (LEAST($2::float8,
                                                    b.tokens + extract(epoch from now() - b.updated_at)::float8
                                                               * $3::float8) - 1))
                               / GREATEST($3::float8, 1e-12), 3e9)
                         * interval '1 second'
RETURNING tokens
)sql";

constexpr std::string_view kDeleteFullBuckets = R"sql(
DELETE FROM rate_limit_buckets WHERE full_at <= now()
)sql";

}  // namespace

double TakeToken(
    pqxx::transaction_base& tx, const std::string& key, double capacity, double refill_per_second
) {
    return sql::Exec1(tx, kTakeToken, key, capacity, refill_per_second)["tokens"].as<double>();
}

long long DeleteFullBuckets(pqxx::transaction_base& tx) {
    return static_cast<long long>(sql::Exec0(tx, kDeleteFullBuckets).affected_rows());
}

}  // namespace gotrue::models
