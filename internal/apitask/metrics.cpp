#include "apitask/metrics.hpp"

namespace gotrue::apitask {

void Metrics::TaskStarted() noexcept {
    ++started_;
    ++running_;
}

void Metrics::TaskFinished(int outcome, std::chrono::steady_clock::duration took) noexcept {
    --running_;
    switch (outcome) {
        case 0:
            ++succeeded_;
            break;
        case 1:
            ++failed_;
            break;
        default:
            ++threw_;
    }
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    duration_sum_us_ += micros;
    std::size_t bucket = 0;
    while (bucket < kBucketsMs.size() && micros > kBucketsMs[bucket] * 1000) {
        ++bucket;
    }
    ++buckets_[bucket];
}

Metrics::Snapshot Metrics::Read() const noexcept {
    Snapshot snapshot;
    snapshot.started = started_.load();
    snapshot.succeeded = succeeded_.load();
    snapshot.failed = failed_.load();
    snapshot.threw = threw_.load();
    snapshot.dropped_on_rollback = dropped_on_rollback_.load();
    snapshot.detached_on_deadline = detached_on_deadline_.load();
    snapshot.rejected = rejected_.load();
    snapshot.unfinished_at_shutdown = unfinished_at_shutdown_.load();
    snapshot.queue_depth = queue_depth_.load();
    snapshot.running = running_.load();
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        snapshot.duration_buckets[i] = buckets_[i].load();
    }
    snapshot.duration_sum_ms = static_cast<double>(duration_sum_us_.load()) / 1000.0;
    return snapshot;
}

}  // namespace gotrue::apitask
