#pragma once

// apitask: side work started by a request (sending mail, ...), GoTrue's
// internal/api/apitask (docs/apitask.md) made safe:
//   - With a request worker attached to the Context, Run() queues the task on the
//     process-wide WorkerPool and returns at once; without one it runs inline and returns the
//     task's result. Run() after Wait() throws WorkerClosedError (GoTrue: 500 "failed to run
//     task").
//   - Wait() closes the worker and blocks until the request's tasks finished, or until the
//     request's deadline: then the tasks are left to the pool (which drains them at shutdown)
//     and counted as detached. WaitThen() is the same wait without a thread: a continuation
//     runs on whichever thread ends it (the last task's pool thread, or the caller's deadline
//     timer through ExpireWait()).
//   - A task that fails or throws (anything) is logged with the request id and task type and
//     counted; it never changes the response and never crashes the process.
//   - Tasks started while the request holds a database transaction wait for its commit and
//     are dropped on rollback (TransactionHook).
// Depends on the standard library and the logs module only: no HTTP, no database.

#include <functional>
#include <memory>
#include <stdexcept>

#include "apitask/context.hpp"
#include "apitask/task.hpp"
#include "apitask/worker_pool.hpp"

namespace gotrue::apitask {

// Run() on a worker that Wait() already closed: a programming error (workers are single-use).
class WorkerClosedError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// The pool's queue stayed full until the request's deadline (or the pool is draining): the
// caller should answer 503 so the client retries later.
class QueueFullError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// See the module comment. Back-pressure: with a worker and a full queue, Run waits for room
// until the request's deadline, then throws QueueFullError.
TaskResult Run(const Context& context, std::unique_ptr<Task> task);

// See the module comment. No-op without a worker. Never throws.
void Wait(const Context& context) noexcept;

// Wait without parking a thread: closes the worker like Wait (a later Run throws
// WorkerClosedError) and calls `then` exactly once, when the request's last task finished: at
// once on this thread when none is running, else on the pool thread that finishes the last one.
// The caller arms the deadline: ExpireWait(context) at context.Deadline() calls `then` on the
// caller's thread if it was not called yet, leaving the unfinished tasks to the pool, counted as
// detached and logged as Wait does. What `then` throws is caught and logged. Without a worker,
// `then` runs at once.
void WaitThen(const Context& context, std::function<void()> then) noexcept;

// The deadline of a WaitThen passed (see there). No-op when `then` already ran or without a
// worker. Never throws.
void ExpireWait(const Context& context) noexcept;

// Calls Wait(context) when it goes out of scope, also during exception unwinding: the "after
// the handler" half of the middleware.
class WaitOnExit final {
public:
    explicit WaitOnExit(Context context) : context_(std::move(context)) {}

    ~WaitOnExit() { Wait(context_); }

    WaitOnExit(const WaitOnExit&) = delete;
    WaitOnExit& operator=(const WaitOnExit&) = delete;

private:
    Context context_;
};

// The hook the storage layer's caller wraps around one database transaction of a request.
// While it is open, tasks Run() with this context's worker are held; Committed() starts them
// (or hands them to an enclosing transaction); destroying the hook without Committed() means
// the transaction rolled back: the held tasks are dropped and logged at debug level. Without a
// worker it does nothing (synchronous tasks are the caller's to order).
class TransactionHook final {
public:
    explicit TransactionHook(Context context);
    ~TransactionHook();
    TransactionHook(const TransactionHook&) = delete;
    TransactionHook& operator=(const TransactionHook&) = delete;

    // The transaction committed. When the pool is full past the deadline, a held task runs on
    // the calling thread instead: the data is committed, so its side work must not be lost.
    void Committed();

private:
    Context context_;
    bool done_ = false;
};

}  // namespace gotrue::apitask
