#pragma once

// Per-client request limits: how a client is named, and how buckets of quiet clients are
// forgotten (auth.rate_limit_buckets would otherwise keep one row per client key ever seen).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "apitask/worker_pool.hpp"
#include "storage/database.hpp"

namespace gotrue::api {

// Non-IP client keys longer than this are replaced by their SHA-256.
inline constexpr std::size_t kMaxPlainClientKey = 64;

// The bucket name of a client (the GOTRUE_RATE_LIMIT_HEADER value or the remote address), so that
// one client has one bucket however it spells its address: "9.9.9.9:1", "::ffff:9.9.9.9" and
// "9.9.9.9" are "9.9.9.9"; "[v6]:port" and "[v6]" are the v6 address; IPv6 is in canonical form
// (inet_ntop: lower case, zeros compressed). Anything else is kept when it is printable ASCII of
// at most 64 characters, else replaced by "sha256:" and its hex digest (bounded size, and always
// a valid text key for PostgreSQL).
[[nodiscard]] std::string NormalizeClientKey(std::string_view value);

// The token bucket each client gets on a limited route (GoTrue's tollbooth limiters,
// internal/api/apilimiter): `burst` requests at once, refilled continuously.
struct RequestLimit {
    double burst = 0;
    double refill_per_second = 0;
    double window_seconds = 0;  // the period the configured number is given for

    // The endpoint limiters: burst 30, `n` requests per 5 minutes.
    [[nodiscard]] static RequestLimit PerFiveMinutes(double n);
    // The anonymous sign-in limiter: burst `n`, `n` requests per hour.
    [[nodiscard]] static RequestLimit PerHour(double n);

    // Retry-After of a refused take that left `left` (< 0) in the bucket: the seconds until one
    // token is back, at least 1; a bucket that never refills says the whole window.
    [[nodiscard]] long long RetryAfterSeconds(double left) const;
};

// How often full buckets are deleted.
inline constexpr std::chrono::minutes kBucketSweepInterval{1};

// Deletes full rate-limit buckets at most once per `interval`, started by the limited requests
// themselves and run on the apitask worker pool: a request pays one atomic load and never waits
// for the sweep (and never holds its database connection). Without limited requests no bucket
// is written, so no sweep is needed either. The first request after start sweeps.
class BucketSweeper final {
public:
    BucketSweeper(
        apitask::WorkerPool& pool, std::function<void()> sweep, std::chrono::milliseconds interval
    );

    // Queues a sweep when one is due; skipped (until the next interval) while the pool is full
    // or draining.
    void MaybeSweep();

private:
    using Clock = std::chrono::steady_clock;

    apitask::WorkerPool& pool_;
    std::function<void()> sweep_;
    std::chrono::milliseconds interval_;
    std::atomic<Clock::rep> next_due_{0};  // time_since_epoch of the next sweep, in Clock ticks
};

// The sweep BucketSweeper runs in production: one DELETE of the full buckets in its own
// transaction.
[[nodiscard]] std::function<void()> FullBucketSweep(storage::Database& database);

}  // namespace gotrue::api
