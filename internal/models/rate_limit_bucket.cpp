#include "models/rate_limit_bucket.hpp"

namespace gotrue::models {

double TakeToken(
    pqxx::transaction_base& tx, const std::string& key, double capacity, double refill_per_second
) {
    return tx
        .exec_params1(
            "INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at) VALUES ($1, $2 - 1, "
            "now()) "
            "ON CONFLICT (key) DO UPDATE SET tokens = LEAST($2, b.tokens + extract(epoch from "
            "now() - "
            "b.updated_at) * $3) - 1, updated_at = now() RETURNING tokens",
            key,
            capacity,
            refill_per_second
        )[0]
        .as<double>();
}

}  // namespace gotrue::models
