#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace gotrue::apitask {

class CommitGate;
class RequestWorker;
class WorkerPool;

// What side work knows about the request that started it: the request id (for logs), the
// request's deadline, the process-wide pool that executes tasks, when attached, the request's
// worker, and the request's commit gate (commit_gate.hpp) when the HTTP server gave it one. A
// cheap value; copies share the worker and the gate.
class Context final {
public:
    using Clock = std::chrono::steady_clock;

    // A background context: no request, no deadline, no pool; Run() executes inline.
    Context() = default;

    Context(std::string request_id, std::optional<Clock::time_point> deadline, WorkerPool* pool);

    // GoTrue's apitask.With: a copy with a request worker attached, so Run() becomes
    // asynchronous. Idempotent: an attached worker is reused. Needs a pool (logic_error).
    [[nodiscard]] Context WithWorker() const;

    // The context a task runs with: same request id and deadline, no worker. A task that calls
    // Run() therefore runs the nested task inline, inside its own lifetime, so Wait() still
    // covers it and a worker can never be kept alive by its own tasks.
    [[nodiscard]] Context WithoutWorker() const;

    // A copy with another deadline that shares this one's worker: e.g. one copy to queue a task
    // without waiting for room, another for how long the request waits for it.
    [[nodiscard]] Context WithDeadline(std::optional<Clock::time_point> deadline) const;

    // A copy whose transactions go through `gate` (null: ungated, as in-process callers).
    [[nodiscard]] Context WithCommitGate(std::shared_ptr<CommitGate> gate) const;

    [[nodiscard]] bool HasWorker() const noexcept { return worker_ != nullptr; }

    [[nodiscard]] const std::string& RequestId() const noexcept { return request_id_; }

    [[nodiscard]] std::optional<Clock::time_point> Deadline() const noexcept { return deadline_; }

    [[nodiscard]] WorkerPool* Pool() const noexcept { return pool_; }

    // The attached worker (for identity checks in tests); null without one.
    [[nodiscard]] const std::shared_ptr<RequestWorker>& Worker() const noexcept { return worker_; }

    // The request's commit gate; null when nothing closes it (no deadline, background work).
    [[nodiscard]] const std::shared_ptr<CommitGate>& Gate() const noexcept { return gate_; }

private:
    std::string request_id_;
    std::optional<Clock::time_point> deadline_;
    WorkerPool* pool_ = nullptr;
    std::shared_ptr<RequestWorker> worker_;
    std::shared_ptr<CommitGate> gate_;
};

}  // namespace gotrue::apitask
