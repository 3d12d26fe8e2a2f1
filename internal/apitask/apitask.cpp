#include "apitask/apitask.hpp"

#include <string>
#include <utility>

#include "apitask/request_worker.hpp"
#include "logs/logs.hpp"

namespace gotrue::apitask {
namespace {

constexpr logs::Logger kLog{"apitask"};

class FunctionTask final : public Task {
public:
    FunctionTask(std::string type, std::function<TaskResult(const Context&)> run)
        : type_(std::move(type)), run_(std::move(run)) {}

    [[nodiscard]] std::string_view Type() const override { return type_; }

    [[nodiscard]] TaskResult Run(const Context& context) override { return run_(context); }

private:
    std::string type_;
    std::function<TaskResult(const Context&)> run_;
};

Metrics* MetricsOf(const Context& context) {
    return context.Pool() != nullptr ? &context.Pool()->GetMetrics() : nullptr;
}

enum class WhenFull { kThrow, kRunInline };

// Queues `task` on the pool, counted by the context's worker.
void Start(const Context& context, std::unique_ptr<Task> task, WhenFull when_full) {
    const auto& worker = context.Worker();
    if (!worker->TryAdd()) {
        if (when_full == WhenFull::kRunInline) {
            static_cast<void>(Execute(*task, context.WithoutWorker(), MetricsOf(context)));
            return;
        }
        throw WorkerClosedError("apitask: unable to run tasks after a call to Wait");
    }
    if (context.Pool()->Submit(task, context, worker, context.Deadline())) {
        return;
    }
    worker->Done();
    if (when_full == WhenFull::kRunInline) {
        kLog.Warn(
            "apitask: pool full, running task on the request thread",
            {{"task_type", task->Type()}, {"request_id", context.RequestId()}}
        );
        static_cast<void>(Execute(*task, context.WithoutWorker(), MetricsOf(context)));
        return;
    }
    throw QueueFullError(
        "apitask: worker pool queue is full, task " + std::string(task->Type()) + " not accepted"
    );
}

// The tasks a request stopped waiting for at its deadline: they go on in the pool.
void CountDetached(const Context& context, std::size_t left) {
    if (left == 0) {
        return;
    }
    if (auto* metrics = MetricsOf(context)) {
        metrics->DetachedOnDeadline(left);
    }
    kLog.Warn(
        "apitask: request deadline reached, tasks continue in the worker pool",
        {{"action", "apitask"}, {"request_id", context.RequestId()}, {"detached", left}}
    );
}

}  // namespace

std::unique_ptr<Task> MakeTask(std::string type, std::function<TaskResult(const Context&)> run) {
    return std::make_unique<FunctionTask>(std::move(type), std::move(run));
}

TaskResult Run(const Context& context, std::unique_ptr<Task> task) {
    if (!context.HasWorker()) {
        return Execute(*task, context, MetricsOf(context));
    }
    if (context.Worker()->Closed()) {
        throw WorkerClosedError("apitask: unable to run tasks after a call to Wait");
    }
    auto held = context.Worker()->HoldIfInTransaction(HeldTask{std::move(task), context});
    if (held) {
        Start(context, std::move(held->task), WhenFull::kThrow);
    }
    return TaskResult::Ok();
}

void Wait(const Context& context) noexcept {
    if (!context.HasWorker()) {
        return;
    }
    CountDetached(context, context.Worker()->CloseAndWait(context.Deadline()));
}

void WaitThen(const Context& context, std::function<void()> then) noexcept {
    auto finish = [pool = context.Pool(),
                   request_id = context.RequestId(),
                   then = std::move(then)](std::size_t unfinished) {
        // A copy without the worker: the worker holds this callback, which must not hold it.
        CountDetached(Context(request_id, std::nullopt, pool), unfinished);
        try {
            then();
        } catch (...) {
            kLog.Error(
                "apitask: continuation after the request's tasks threw",
                {{"action", "apitask"}, {"request_id", request_id}}
            );
        }
    };
    if (!context.HasWorker()) {
        finish(0);
        return;
    }
    context.Worker()->CloseThen(std::move(finish));  // out of memory here ends the process
}

void ExpireWait(const Context& context) noexcept {
    if (context.HasWorker()) {
        static_cast<void>(context.Worker()->Expire());
    }
}

TransactionHook::TransactionHook(Context context) : context_(std::move(context)) {
    if (context_.HasWorker()) {
        context_.Worker()->BeginTransaction();
    }
}

TransactionHook::~TransactionHook() {
    if (done_ || !context_.HasWorker()) {
        return;
    }
    const std::size_t dropped = context_.Worker()->Rollback();
    if (dropped > 0) {
        if (auto* metrics = MetricsOf(context_)) {
            metrics->DroppedOnRollback(dropped);
        }
        kLog.Debug(
            "apitask: transaction rolled back, held tasks dropped",
            {{"request_id", context_.RequestId()}, {"dropped", dropped}}
        );
    }
}

void TransactionHook::Committed() {
    done_ = true;
    if (!context_.HasWorker()) {
        return;
    }
    for (auto& held : context_.Worker()->Commit()) {
        Start(held.context, std::move(held.task), WhenFull::kRunInline);
    }
}

}  // namespace gotrue::apitask
