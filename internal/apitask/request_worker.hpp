#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "apitask/context.hpp"
#include "apitask/task.hpp"

namespace gotrue::apitask {

// A task held back until the request's transaction commits.
struct HeldTask {
    std::unique_ptr<Task> task;
    Context context;
};

// One per request (GoTrue's requestWorker): counts the request's running tasks, is closed by
// Wait(), and holds the tasks started inside an open database transaction.
class RequestWorker final {
public:
    // Counts one more task; false once the worker is closed.
    [[nodiscard]] bool TryAdd();

    // A counted task finished (or could not be queued).
    void Done();

    [[nodiscard]] bool Closed() const;

    // Closes the worker, then waits until every counted task finished or `deadline` passed.
    // Returns how many were still unfinished.
    std::size_t CloseAndWait(std::optional<Context::Clock::time_point> deadline);

    // Called with how many counted tasks were still unfinished (0: all done).
    using OnIdle = std::function<void(std::size_t unfinished)>;

    // The asynchronous CloseAndWait: closes the worker and calls `on_idle` exactly once: at
    // once on this thread when no task is counted, else on the thread whose Done() ends the
    // last one, or on the thread of the first Expire(), whichever comes first. A second
    // CloseThen (or one after CloseAndWait) calls its `on_idle` at once with the count.
    void CloseThen(OnIdle on_idle);

    // The waiter's deadline passed: calls the pending `on_idle` now, with the unfinished count.
    // False when there is none (not set, or already called).
    bool Expire();

    // Transactions may nest; tasks are held until the outermost one commits.
    void BeginTransaction();

    // Holds `task` when a transaction is open; gives it back otherwise.
    [[nodiscard]] std::optional<HeldTask> HoldIfInTransaction(HeldTask task);

    // Ends the innermost transaction. Returns the tasks to start now (outermost commit) or
    // nothing (they move to the enclosing transaction).
    [[nodiscard]] std::vector<HeldTask> Commit();

    // Ends the innermost transaction, dropping what it held. Returns how many were dropped.
    std::size_t Rollback();

private:
    mutable std::mutex mutex_;
    std::condition_variable finished_;
    std::size_t outstanding_ = 0;              // Guarded by mutex_.
    bool closed_ = false;                      // Guarded by mutex_.
    OnIdle on_idle_;                           // Guarded by mutex_; taken by whoever calls it.
    std::vector<std::vector<HeldTask>> held_;  // Guarded by mutex_; one level per transaction.
};

}  // namespace gotrue::apitask
