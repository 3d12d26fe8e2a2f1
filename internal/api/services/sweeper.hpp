#pragma once

// Bounded housekeeping that requests start but never wait for: deleting full rate-limit buckets,
// anonymous users past their lifetime (supabase/auth internal/models/cleanup.go deletes stale
// rows piecemeal too).

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "apitask/worker_pool.hpp"
#include "storage/database.hpp"

namespace gotrue::api {

// Runs `sweep` at most once per `interval`, started by the requests that create what it deletes
// and run on the apitask worker pool: a request pays one atomic load and never waits for the
// sweep (and never holds its database connection). The first request after start sweeps.
class Sweeper final {
public:
    Sweeper(
        std::string name,
        apitask::WorkerPool& pool,
        std::function<void()> sweep,
        std::chrono::milliseconds interval
    );

    // Queues a sweep when one is due; skipped (until the next interval) while the pool is full
    // or draining.
    void MaybeSweep();

private:
    using Clock = std::chrono::steady_clock;

    std::string name_;  // task name in logs and metrics
    apitask::WorkerPool& pool_;
    std::function<void()> sweep_;
    std::chrono::milliseconds interval_;
    std::atomic<Clock::rep> next_due_{0};  // time_since_epoch of the next sweep, in Clock ticks
};

// Anonymous users are deleted 30 days after their creation unless they became permanent, as
// upstream's cleanup does; each sweep deletes at most 100 of them.
inline constexpr std::chrono::hours kAnonymousUserLifetime{24 * 30};
inline constexpr long long kAnonymousUsersPerSweep = 100;
inline constexpr std::chrono::minutes kAnonymousSweepInterval{1};

// The sweep that deletes them, in its own transaction.
[[nodiscard]] std::function<void()> StaleAnonymousUserSweep(storage::Database& database);

}  // namespace gotrue::api
