#include "apitask/worker_pool.hpp"

#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>
#include <utility>

#include <cxxabi.h>

#include "apitask/apitask.hpp"
#include "apitask/request_worker.hpp"
#include "logs/logs.hpp"

namespace gotrue::apitask {
namespace {

constexpr logs::Logger kLog{"apitask"};

// "St13runtime_error" -> "std::runtime_error".
std::string Demangle(const char* name) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> readable(
        abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free
    );
    return status == 0 && readable ? std::string(readable.get()) : std::string(name);
}

}  // namespace

TaskResult Execute(Task& task, const Context& context, Metrics* metrics) noexcept {
    const auto started = Context::Clock::now();
    if (metrics != nullptr) {
        metrics->TaskStarted();
    }
    int outcome = 2;
    TaskResult result = TaskResult::Failure("task threw an exception");
    try {
        result = task.Run(context);
        outcome = result.IsOk() ? 0 : 1;
        if (!result.IsOk()) {
            kLog.Error(
                "apitask: error running task",
                {{"action", "apitask"},
                 {"task_type", task.Type()},
                 {"request_id", context.RequestId()},
                 {"error", result.Error()}}
            );
        }
    } catch (const std::exception& error) {
        result = TaskResult::Failure(std::string("task threw: ") + error.what());
        kLog.Error(
            "apitask: task threw",
            {{"action", "apitask"},
             {"task_type", task.Type()},
             {"request_id", context.RequestId()},
             {"exception_type", Demangle(typeid(error).name())},
             {"error", error.what()}}
        );
    } catch (...) {
        result = TaskResult::Failure("task threw a non-standard exception");
        kLog.Error(
            "apitask: task threw",
            {{"action", "apitask"},
             {"task_type", task.Type()},
             {"request_id", context.RequestId()},
             {"exception_type", "unknown"}}
        );
    }
    if (metrics != nullptr) {
        metrics->TaskFinished(outcome, Context::Clock::now() - started);
    }
    return result;
}

WorkerPool::WorkerPool(PoolOptions options)
    : capacity_(std::max<std::size_t>(options.queue_size, 1)) {
    logs::PrepareForThreads();  // before the threads that log (see logs.hpp)
    const std::size_t count = std::max<std::size_t>(options.threads, 1);
    threads_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        threads_.emplace_back([this] { Work(); });
    }
}

WorkerPool::~WorkerPool() {
    {
        const std::scoped_lock lock(mutex_);
        draining_ = true;
        stopping_ = true;
    }
    has_work_.notify_all();
    has_room_.notify_all();
    for (auto& thread : threads_) {
        thread.join();
    }
}

bool WorkerPool::Submit(
    std::unique_ptr<Task>& task,
    const Context& context,
    std::shared_ptr<RequestWorker> tracker,
    std::optional<Context::Clock::time_point> deadline
) {
    bool wake = false;
    {
        std::unique_lock lock(mutex_);
        const auto has_room = [this] {
            return draining_ || queue_.size() < capacity_;
        };
        if (deadline) {
            has_room_.wait_until(lock, *deadline, has_room);
        } else {
            has_room_.wait(lock, has_room);
        }
        if (draining_ || queue_.size() >= capacity_) {
            metrics_.Rejected();
            return false;
        }
        queue_.push_back(Job{std::move(task), context.WithoutWorker(), std::move(tracker)});
        queued_.store(queue_.size(), std::memory_order_relaxed);
        metrics_.QueueDepthChanged(1);
        wake = ShouldWakeWorker();
    }
    if (wake) {
        has_work_.notify_one();
    }
    return true;
}

bool WorkerPool::ShouldWakeWorker() {
    // One wake-up in flight at a time: the worker it wakes passes the baton on if more work is
    // queued. This avoids waking every sleeping thread for a burst of short tasks (each wake
    // is a context switch) while keeping queued work moving. Workers that are busy check the
    // queue before they sleep, so no task waits while a worker is awake.
    if (spinning_ || idle_workers_ == 0 || waking_ > 0) {
        return false;
    }
    ++waking_;
    return true;
}

void WorkerPool::Enqueue(const Context& context, std::unique_ptr<Task> task) {
    const std::string type(task->Type());
    if (!Submit(task, context, nullptr, context.Deadline())) {
        throw QueueFullError("apitask: worker pool queue is full, task " + type + " not accepted");
    }
}

void WorkerPool::CountRunning(std::string_view type, int delta) {
    auto it = running_.find(type);
    if (it == running_.end()) {
        it = running_.emplace(std::string(type), 0).first;  // allocates once per task type
    }
    it->second = static_cast<std::size_t>(static_cast<long long>(it->second) + delta);
    running_count_ = static_cast<std::size_t>(static_cast<long long>(running_count_) + delta);
}

void WorkerPool::Work() {
    while (true) {
        Job job;
        bool wake_another = false;
        {
            std::unique_lock lock(mutex_);
            while (!stopping_ && queue_.empty()) {
                if (!spinning_) {
                    // One idle worker at a time looks for new work for a few microseconds
                    // before sleeping, so a request's next task does not pay for a wake-up.
                    spinning_ = true;
                    lock.unlock();
                    for (int i = 0; i < 200 && queued_.load(std::memory_order_relaxed) == 0; ++i) {
                        std::this_thread::yield();
                    }
                    lock.lock();
                    spinning_ = false;
                    if (!queue_.empty() || stopping_) {
                        break;
                    }
                }
                ++idle_workers_;
                has_work_.wait(lock);
                --idle_workers_;
                if (waking_ > 0) {
                    --waking_;  // this wake-up (or a spurious one standing in for it) arrived
                }
            }
            if (queue_.empty()) {
                return;  // stopping, nothing left
            }
            job = std::move(queue_.front());
            queue_.pop_front();
            queued_.store(queue_.size(), std::memory_order_relaxed);
            metrics_.QueueDepthChanged(-1);
            CountRunning(job.task->Type(), +1);
            wake_another = !queue_.empty() && ShouldWakeWorker();
        }
        if (wake_another) {
            has_work_.notify_one();
        }
        has_room_.notify_one();
        static_cast<void>(Execute(*job.task, job.context, &metrics_));
        {
            const std::scoped_lock lock(mutex_);
            CountRunning(job.task->Type(), -1);
        }
        if (job.tracker) {
            job.tracker->Done();
        }
        idle_.notify_all();
    }
}

DrainReport WorkerPool::Drain(std::chrono::milliseconds timeout) {
    DrainReport report;
    std::vector<Job> dropped;
    {
        std::unique_lock lock(mutex_);
        draining_ = true;
        has_room_.notify_all();
        report.complete =
            idle_.wait_for(lock, timeout, [this] { return queue_.empty() && running_count_ == 0; });
        if (!report.complete) {
            for (const auto& [type, count] : running_) {
                if (count > 0) {
                    report.running.emplace(type, count);
                }
            }
            for (auto& job : queue_) {
                ++report.queued[std::string(job.task->Type())];
                dropped.push_back(std::move(job));
            }
            metrics_.QueueDepthChanged(-static_cast<std::int64_t>(queue_.size()));
            queue_.clear();
            queued_.store(0, std::memory_order_relaxed);
        }
    }
    std::size_t unfinished = 0;
    for (const auto& [type, count] : report.running) {
        unfinished += count;
        kLog.Error(
            "apitask: task still running at shutdown",
            {{"action", "apitask"}, {"task_type", type}, {"count", count}, {"state", "running"}}
        );
    }
    for (const auto& [type, count] : report.queued) {
        unfinished += count;
        kLog.Error(
            "apitask: task dropped at shutdown",
            {{"action", "apitask"}, {"task_type", type}, {"count", count}, {"state", "queued"}}
        );
    }
    for (auto& job : dropped) {
        if (job.tracker) {
            job.tracker->Done();
        }
    }
    metrics_.UnfinishedAtShutdown(unfinished);
    return report;
}

}  // namespace gotrue::apitask
