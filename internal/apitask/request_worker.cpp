#include "apitask/request_worker.hpp"

#include <thread>
#include <utility>

namespace gotrue::apitask {

bool RequestWorker::TryAdd() {
    const std::scoped_lock lock(mutex_);
    if (closed_) {
        return false;
    }
    ++outstanding_;
    return true;
}

void RequestWorker::Done() {
    bool last = false;
    OnIdle on_idle;
    {
        const std::scoped_lock lock(mutex_);
        last = --outstanding_ == 0;
        if (last) {
            on_idle = std::exchange(on_idle_, nullptr);  // claimed: nobody else can call it
        }
    }
    if (last) {
        finished_.notify_all();  // only Wait() listens, and only for zero
    }
    if (on_idle) {
        on_idle(0);
    }
}

void RequestWorker::CloseThen(OnIdle on_idle) {
    std::size_t unfinished = 0;
    {
        const std::scoped_lock lock(mutex_);
        closed_ = true;
        unfinished = outstanding_;
        if (unfinished > 0 && !on_idle_) {
            on_idle_ = std::move(on_idle);
            return;
        }
    }
    on_idle(unfinished);
}

bool RequestWorker::Expire() {
    OnIdle on_idle;
    std::size_t unfinished = 0;
    {
        const std::scoped_lock lock(mutex_);
        on_idle = std::exchange(on_idle_, nullptr);
        unfinished = outstanding_;
    }
    if (!on_idle) {
        return false;
    }
    on_idle(unfinished);
    return true;
}

bool RequestWorker::Closed() const {
    const std::scoped_lock lock(mutex_);
    return closed_;
}

std::size_t RequestWorker::CloseAndWait(std::optional<Context::Clock::time_point> deadline) {
    {
        const std::scoped_lock lock(mutex_);
        closed_ = true;
    }
    // Short tasks often finish within microseconds: look a few times before sleeping, which
    // saves the waiter a sleep and wake-up (a context switch each).
    for (int spin = 0; spin < 64; ++spin) {
        {
            const std::scoped_lock lock(mutex_);
            if (outstanding_ == 0) {
                return 0;
            }
        }
        std::this_thread::yield();
    }
    std::unique_lock lock(mutex_);
    const auto all_done = [this] {
        return outstanding_ == 0;
    };
    if (deadline) {
        finished_.wait_until(lock, *deadline, all_done);
    } else {
        finished_.wait(lock, all_done);
    }
    return outstanding_;
}

void RequestWorker::BeginTransaction() {
    const std::scoped_lock lock(mutex_);
    held_.emplace_back();
}

std::optional<HeldTask> RequestWorker::HoldIfInTransaction(HeldTask task) {
    const std::scoped_lock lock(mutex_);
    if (held_.empty()) {
        return task;
    }
    held_.back().push_back(std::move(task));
    return std::nullopt;
}

std::vector<HeldTask> RequestWorker::Commit() {
    const std::scoped_lock lock(mutex_);
    if (held_.empty()) {
        return {};
    }
    std::vector<HeldTask> committed = std::move(held_.back());
    held_.pop_back();
    if (held_.empty()) {
        return committed;
    }
    for (auto& task : committed) {
        held_.back().push_back(std::move(task));  // wait for the enclosing transaction
    }
    return {};
}

std::size_t RequestWorker::Rollback() {
    std::vector<HeldTask> dropped;
    {
        const std::scoped_lock lock(mutex_);
        if (held_.empty()) {
            return 0;
        }
        dropped = std::move(held_.back());
        held_.pop_back();
    }
    return dropped.size();  // destroyed outside the lock
}

}  // namespace gotrue::apitask
