#include "apitask/commit_gate.hpp"

#include <utility>

namespace gotrue::apitask {

bool CommitGate::Close() {
    const std::scoped_lock lock(mutex_);
    if (state_ == State::kPassed) {
        return false;
    }
    state_ = State::kClosed;
    return true;
}

void CommitGate::CancelRunning() {
    // The lock is held while cancelling: Leave waits for it, so a cancel request can never
    // reach the connection after it went back to the pool.
    const std::scoped_lock lock(mutex_);
    if (state_ != State::kClosed || !cancel_ || cancelled_) {
        return;
    }
    cancelled_ = true;
    cancel_();
}

bool CommitGate::Pass() {
    const std::scoped_lock lock(mutex_);
    if (state_ == State::kClosed) {
        return false;
    }
    state_ = State::kPassed;
    return true;
}

bool CommitGate::IsClosed() const {
    const std::scoped_lock lock(mutex_);
    return state_ == State::kClosed;
}

bool CommitGate::Enter(std::function<void()> cancel) {
    const std::scoped_lock lock(mutex_);
    if (state_ == State::kClosed || cancel_) {
        return false;
    }
    cancel_ = std::move(cancel);
    cancelled_ = false;
    return true;
}

bool CommitGate::Leave() {
    const std::scoped_lock lock(mutex_);
    cancel_ = nullptr;
    return std::exchange(cancelled_, false);
}

}  // namespace gotrue::apitask
