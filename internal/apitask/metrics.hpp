#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace gotrue::apitask {

// Task counters and gauges, served on /metrics (cmd/metrics.cpp). Lock-free; read with Read().
class Metrics final {
public:
    // Upper bounds (ms) of the duration histogram buckets; a last bucket catches the rest.
    static constexpr std::array<std::int64_t, 10> kBucketsMs{
        1, 5, 10, 25, 50, 100, 250, 1000, 5000, 30000};

    struct Snapshot {
        std::uint64_t started = 0;  // tasks that began running
        std::uint64_t succeeded = 0;
        std::uint64_t failed = 0;  // returned TaskResult::Failure
        std::uint64_t threw = 0;   // threw an exception
        std::uint64_t dropped_on_rollback = 0;
        std::uint64_t detached_on_deadline = 0;  // a request stopped waiting for them
        std::uint64_t rejected = 0;  // could not be queued (queue full past the deadline)
        std::uint64_t unfinished_at_shutdown = 0;
        std::int64_t queue_depth = 0;
        std::int64_t running = 0;
        std::array<std::uint64_t, kBucketsMs.size() + 1> duration_buckets{};  // non-cumulative
        double duration_sum_ms = 0;
    };

    void TaskStarted() noexcept;
    // `outcome`: 0 succeeded, 1 failed, 2 threw.
    void TaskFinished(int outcome, std::chrono::steady_clock::duration took) noexcept;

    void DroppedOnRollback(std::uint64_t count) noexcept { dropped_on_rollback_ += count; }

    void DetachedOnDeadline(std::uint64_t count) noexcept { detached_on_deadline_ += count; }

    void Rejected() noexcept { ++rejected_; }

    void UnfinishedAtShutdown(std::uint64_t count) noexcept { unfinished_at_shutdown_ += count; }

    void QueueDepthChanged(std::int64_t delta) noexcept { queue_depth_ += delta; }

    [[nodiscard]] Snapshot Read() const noexcept;

private:
    std::atomic<std::uint64_t> started_{0};
    std::atomic<std::uint64_t> succeeded_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> threw_{0};
    std::atomic<std::uint64_t> dropped_on_rollback_{0};
    std::atomic<std::uint64_t> detached_on_deadline_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> unfinished_at_shutdown_{0};
    std::atomic<std::int64_t> queue_depth_{0};
    std::atomic<std::int64_t> running_{0};
    std::array<std::atomic<std::uint64_t>, kBucketsMs.size() + 1> buckets_{};
    std::atomic<std::int64_t> duration_sum_us_{0};
};

}  // namespace gotrue::apitask
