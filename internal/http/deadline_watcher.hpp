#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

namespace gotrue::http {

// Calls a function when a deadline passes unless it was cancelled first. One thread serves
// every request; the server uses it to answer 504 for requests past
// GOTRUE_API_MAX_REQUEST_DURATION that have not committed (server.cpp, OnDeadline).
class DeadlineWatcher final {
public:
    using Clock = std::chrono::steady_clock;
    using Id = std::uint64_t;

    DeadlineWatcher();
    ~DeadlineWatcher();
    DeadlineWatcher(const DeadlineWatcher&) = delete;
    DeadlineWatcher& operator=(const DeadlineWatcher&) = delete;

    // `on_expiry` runs on the watcher's thread; it must not block.
    Id Watch(Clock::time_point deadline, std::function<void()> on_expiry);

    // No-op when the deadline already fired.
    void Cancel(Id id);

    void Stop();

private:
    void Loop(const std::stop_token& stop);

    struct Entry {
        Clock::time_point deadline;
        std::function<void()> on_expiry;
    };

    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::set<std::pair<Clock::time_point, Id>> order_;  // Guarded by mutex_.
    std::unordered_map<Id, Entry> entries_;             // Guarded by mutex_.
    Id next_id_ = 1;                                    // Guarded by mutex_.
    std::jthread thread_;
};

}  // namespace gotrue::http
