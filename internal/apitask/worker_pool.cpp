#include "apitask/worker_pool.hpp"

#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>
#include <utility>

#include <cxxabi.h>
#include <spdlog/spdlog.h>

#include "apitask/apitask.hpp"
#include "apitask/request_worker.hpp"

namespace gotrue::apitask {
namespace {

// Log values are quoted so the log formatter keeps them as one field.
std::string Quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c == '\n' ? ' ' : c;
    }
    return out + "\"";
}

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
            spdlog::error(
                "apitask: error running task component=apitask action=apitask task_type={} "
                "request_id={} error={}",
                task.Type(),
                context.RequestId(),
                Quoted(result.Error())
            );
        }
    } catch (const std::exception& error) {
        result = TaskResult::Failure(std::string("task threw: ") + error.what());
        spdlog::error(
            "apitask: task threw component=apitask action=apitask task_type={} request_id={} "
            "exception_type={} error={}",
            task.Type(),
            context.RequestId(),
            Quoted(Demangle(typeid(error).name())),
            Quoted(error.what())
        );
    } catch (...) {
        result = TaskResult::Failure("task threw a non-standard exception");
        spdlog::error(
            "apitask: task threw component=apitask action=apitask task_type={} request_id={} "
            "exception_type=unknown",
            task.Type(),
            context.RequestId()
        );
    }
    if (metrics != nullptr) {
        metrics->TaskFinished(outcome, Context::Clock::now() - started);
    }
    return result;
}

WorkerPool::WorkerPool(PoolOptions options)
    : capacity_(std::max<std::size_t>(options.queue_size, 1)) {
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
        metrics_.QueueDepthChanged(1);
    }
    has_work_.notify_one();
    return true;
}

void WorkerPool::Enqueue(const Context& context, std::unique_ptr<Task> task) {
    const std::string type(task->Type());
    if (!Submit(task, context, nullptr, context.Deadline())) {
        throw QueueFullError("apitask: worker pool queue is full, task " + type + " not accepted");
    }
}

void WorkerPool::Work() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            has_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, nothing left
            }
            job = std::move(queue_.front());
            queue_.pop_front();
            metrics_.QueueDepthChanged(-1);
            ++running_[std::string(job.task->Type())];
            ++running_count_;
        }
        has_room_.notify_one();
        static_cast<void>(Execute(*job.task, job.context, &metrics_));
        {
            const std::scoped_lock lock(mutex_);
            const std::string type(job.task->Type());
            if (--running_[type] == 0) {
                running_.erase(type);
            }
            --running_count_;
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
            report.running = running_;
            for (auto& job : queue_) {
                ++report.queued[std::string(job.task->Type())];
                dropped.push_back(std::move(job));
            }
            metrics_.QueueDepthChanged(-static_cast<std::int64_t>(queue_.size()));
            queue_.clear();
        }
    }
    std::size_t unfinished = 0;
    for (const auto& [type, count] : report.running) {
        unfinished += count;
        spdlog::error(
            "apitask: task still running at shutdown component=apitask action=apitask "
            "task_type={} count={} state=running",
            type,
            count
        );
    }
    for (const auto& [type, count] : report.queued) {
        unfinished += count;
        spdlog::error(
            "apitask: task dropped at shutdown component=apitask action=apitask task_type={} "
            "count={} state=queued",
            type,
            count
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
