#pragma once

// The bookkeeping of SmtpClient's open connections to its relay (docs/mail.md, "Connections"),
// kept apart from libcurl so it can be tested on its own. A Handle owns one connection (a libcurl
// easy handle keeps its connection open between transfers); dropping a Handle closes it. The pool
// never opens or closes anything itself: it tells a sender whether to reuse an idle handle, open a
// new one or wait, and hands back the handles the sender must drop, so connections are closed
// outside its lock.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace gotrue::mailer {

template <typename Handle>
class ConnectionPool final {
public:
    using Clock = std::chrono::steady_clock;

    struct Lease {
        bool granted = false;         // false: every connection stayed busy until the deadline
        std::optional<Handle> idle;   // a handle to reuse; empty but granted: open a new one
        std::vector<Handle> expired;  // idle longer than the idle timeout: drop them (closes)
    };

    // At most `max_open` handles exist at once, idle or in use; 0: no reuse and no bound (every
    // Acquire is granted a new handle, every Release hands it back to be closed). `now` is the
    // clock idle time is measured with (replaceable in tests).
    ConnectionPool(
        std::size_t max_open,
        Clock::duration idle_timeout,
        std::function<Clock::time_point()> now = Clock::now
    )
        : max_open_(max_open), idle_timeout_(idle_timeout), now_(std::move(now)) {}

    // A connection for one transaction: the most recently released idle handle (so that surplus
    // connections age out when the load drops), or leave to open a new one, waiting until
    // `deadline` while `max_open` are busy. A granted lease holds its slot until Release or Forget.
    Lease Acquire(Clock::time_point deadline) {
        Lease lease;
        std::unique_lock lock(mutex_);
        available_.wait_until(lock, deadline, [this] {
            return !Reusing() || !idle_.empty() || open_ < max_open_;
        });
        const auto now = now_();
        while (!idle_.empty() && now - idle_.front().since >= idle_timeout_) {
            lease.expired.push_back(std::move(idle_.front().handle));
            idle_.erase(idle_.begin());
            --open_;
        }
        if (!idle_.empty()) {
            lease.idle = std::move(idle_.back().handle);
            idle_.pop_back();
        } else if (Reusing() && open_ >= max_open_) {
            return lease;
        } else {
            ++open_;
        }
        lease.granted = true;
        return lease;
    }

    // The lease's transaction succeeded and `handle`'s connection is ready for the next one:
    // kept for reuse, or handed back (to drop) when the pool does not reuse or was closed.
    std::optional<Handle> Release(Handle handle) {
        std::optional<Handle> unused;
        {
            const std::scoped_lock lock(mutex_);
            if (Reusing()) {
                idle_.push_back(Parked{std::move(handle), now_()});
            } else {
                --open_;
                unused = std::move(handle);
            }
        }
        available_.notify_one();
        return unused;
    }

    // The lease's connection was closed (or never opened): its slot is free.
    void Forget() {
        {
            const std::scoped_lock lock(mutex_);
            --open_;
        }
        available_.notify_one();
    }

    // Shutdown: the idle handles, to drop; the pool keeps nothing from now on.
    std::vector<Handle> Close() {
        std::vector<Handle> handles;
        {
            const std::scoped_lock lock(mutex_);
            closed_ = true;
            for (auto& idle : idle_) {
                handles.push_back(std::move(idle.handle));
            }
            open_ -= idle_.size();
            idle_.clear();
        }
        available_.notify_all();
        return handles;
    }

    // Handles that exist (idle or in use), and the idle ones.
    [[nodiscard]] std::size_t Open() const {
        const std::scoped_lock lock(mutex_);
        return open_;
    }

    [[nodiscard]] std::size_t Idle() const {
        const std::scoped_lock lock(mutex_);
        return idle_.size();
    }

private:
    struct Parked {
        Handle handle;
        Clock::time_point since;
    };

    // Callers hold mutex_.
    [[nodiscard]] bool Reusing() const { return max_open_ > 0 && !closed_; }

    const std::size_t max_open_;
    const Clock::duration idle_timeout_;
    const std::function<Clock::time_point()> now_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::vector<Parked> idle_;  // oldest first; guarded by mutex_
    std::size_t open_ = 0;      // guarded by mutex_
    bool closed_ = false;       // guarded by mutex_
};

}  // namespace gotrue::mailer
