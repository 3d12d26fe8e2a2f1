#pragma once

#include <string>

#include <pqxx/pqxx>

namespace gotrue::models {

// auth.rate_limit_buckets (this server's own table): token buckets shared by every server instance
// on the database. Takes one token from bucket `key` (capacity `capacity`, refilled continuously
// at `refill_per_second`) inside `tx` and returns what is left; negative means the bucket was
// empty, and the caller refuses the request (its rollback undoes the take). The row lock orders
// concurrent takers. The row also records when the bucket will be full again (full_at).
[[nodiscard]] double TakeToken(
    pqxx::transaction_base& tx, const std::string& key, double capacity, double refill_per_second
);

// Deletes the buckets that have refilled completely: a full bucket behaves exactly like a missing
// row, so this only forgets clients that have been quiet long enough. Returns the rows deleted.
long long DeleteFullBuckets(pqxx::transaction_base& tx);

}  // namespace gotrue::models
