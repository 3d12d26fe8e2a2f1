#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apitask/context.hpp"
#include "apitask/metrics.hpp"
#include "apitask/task.hpp"

namespace gotrue::apitask {

class RequestWorker;

struct PoolOptions {
    std::size_t threads = 4;
    std::size_t queue_size = 1024;
};

// What Drain found unfinished when its time ran out, by task type.
struct DrainReport {
    bool complete = true;
    std::map<std::string, std::size_t> running;  // still executing (they may yet finish)
    std::map<std::string, std::size_t> queued;   // never started; dropped
};

// The process-wide executor of tasks: a fixed number of threads (not a thread per task) with a
// bounded queue, separate from the threads that run HTTP handlers, so a handler waiting for its
// tasks can never starve them. Request-scoped tasks (Run with a worker) and fire-and-forget
// tasks (Enqueue) both run here, so both are drained at shutdown.
class WorkerPool final {
public:
    explicit WorkerPool(PoolOptions options);
    // Finishes everything queued, then joins the threads (Drain first to bound the wait).
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Fire-and-forget (GOTRUE_WORKER_ENABLED): queues the task and returns; the caller never
    // waits for it. Back-pressure: while the queue is full this blocks until there is room or
    // the context's deadline passes, then throws QueueFullError (also while draining).
    void Enqueue(const Context& context, std::unique_ptr<Task> task);

    // Stops taking tasks, then waits up to `timeout` for the queue to empty and every running
    // task to finish. On timeout, queued tasks are dropped and everything unfinished is logged
    // by type and count (nothing is lost silently).
    DrainReport Drain(std::chrono::milliseconds timeout);

    [[nodiscard]] Metrics& GetMetrics() noexcept { return metrics_; }

    [[nodiscard]] std::size_t Threads() const noexcept { return threads_.size(); }

    // How many tasks may wait for a thread (PoolOptions::queue_size).
    [[nodiscard]] std::size_t Capacity() const noexcept { return capacity_; }

    // For Run(): queues a task counted by `tracker`. Blocks while full until `deadline`;
    // false when it could not be queued (then `task` is left untouched).
    [[nodiscard]] bool Submit(
        std::unique_ptr<Task>& task,
        const Context& context,
        std::shared_ptr<RequestWorker> tracker,
        std::optional<Context::Clock::time_point> deadline
    );

private:
    struct Job {
        std::unique_ptr<Task> task;
        Context context;
        std::shared_ptr<RequestWorker> tracker;  // null for fire-and-forget
    };

    void Work();
    void CountRunning(std::string_view type, int delta);  // needs mutex_
    [[nodiscard]] bool ShouldWakeWorker();                // needs mutex_

    std::size_t capacity_;
    Metrics metrics_;
    std::mutex mutex_;
    std::condition_variable has_work_;
    std::condition_variable has_room_;
    std::condition_variable idle_;
    std::deque<Job> queue_;  // Guarded by mutex_.
    // Running tasks by type (entries stay at zero: types are few). Guarded by mutex_.
    std::map<std::string, std::size_t, std::less<>> running_;
    std::size_t running_count_ = 0;
    std::size_t idle_workers_ = 0;  // Guarded by mutex_; workers blocked in has_work_.
    std::size_t waking_ = 0;        // Guarded by mutex_; notified workers not yet awake.
    bool spinning_ = false;         // Guarded by mutex_; an idle worker is polling queued_.
    std::atomic<std::size_t> queued_{
        0};  // queue_.size(), readable without the lock               // Guarded by mutex_.
    bool draining_ = false;              // Guarded by mutex_.
    bool stopping_ = false;              // Guarded by mutex_.
    std::vector<std::jthread> threads_;  // Written only in the constructor.
};

// Runs `task` on the calling thread: catches every exception, logs failures with the request
// id and task type, and records metrics when `metrics` is given.
TaskResult Execute(Task& task, const Context& context, Metrics* metrics) noexcept;

}  // namespace gotrue::apitask
