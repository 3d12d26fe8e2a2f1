#pragma once

// The commit gate of one request: what makes a 504 truthful. The HTTP server closes it when
// the request's deadline passes and answers 504 only if closing won; a database transaction
// passes it right before COMMIT. So exactly one of two things happens: the deadline closes the
// gate first (504, and every transaction of the request is refused and rolled back), or a
// transaction passes it first (the request counts as committed: no 504, the client gets the
// handler's real answer when it is done). docs/http.md "Request deadline".

#include <functional>
#include <mutex>
#include <stdexcept>

namespace gotrue::apitask {

// The request's deadline closed its commit gate before this transaction could commit: it was
// rolled back (or never started), and the client has been answered 504.
class CommitRefused : public std::runtime_error {
public:
    CommitRefused()
        : std::runtime_error("request deadline passed before commit: transaction rolled back") {}
};

class CommitGate final {
public:
    CommitGate() = default;
    ~CommitGate() = default;
    CommitGate(const CommitGate&) = delete;
    CommitGate& operator=(const CommitGate&) = delete;
    CommitGate(CommitGate&&) = delete;
    CommitGate& operator=(CommitGate&&) = delete;

    // The deadline's side. True when nothing has passed the gate: from now on nothing will, and
    // the caller answers 504. False when a transaction already passed (the request is
    // committed, or committing) and the real answer must be awaited. Idempotent.
    [[nodiscard]] bool Close();

    // Runs the canceller of the transaction in flight, if any (its running statement is
    // cancelled so the handler stops early). Blocks for a round trip to the database: call it
    // off the deadline watcher's thread, after a Close that returned true. No-op otherwise.
    void CancelRunning();

    // The transaction's side, right before COMMIT: true when the transaction may commit (the
    // gate is open, or an earlier transaction of the request already passed), after which
    // Close returns false; false when the deadline closed it (roll back).
    [[nodiscard]] bool Pass();

    [[nodiscard]] bool IsClosed() const;

    // A transaction of this request is running: `cancel` stops its current statement (called by
    // CancelRunning with the gate's lock held). False, and nothing registered, when the gate is
    // already closed (do not start) or another transaction is registered (nested: the outer one
    // is cancelled).
    [[nodiscard]] bool Enter(std::function<void()> cancel);

    // Ends what Enter registered, waiting for a cancellation in progress, so `cancel` never runs
    // after Leave returns. True when `cancel` was called (the connection got a cancel request
    // that may still arrive: it must not be reused).
    bool Leave();

private:
    enum class State { kOpen, kPassed, kClosed };

    mutable std::mutex mutex_;
    State state_ = State::kOpen;    // Guarded by mutex_.
    std::function<void()> cancel_;  // Guarded by mutex_; set between Enter and Leave.
    bool cancelled_ = false;        // Guarded by mutex_; cancel_ was called.
};

}  // namespace gotrue::apitask
