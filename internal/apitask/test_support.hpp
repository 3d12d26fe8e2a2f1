#pragma once

// Helpers shared by the apitask tests.

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "apitask/apitask.hpp"

namespace gotrue::apitask::testing {

// Tasks that block until the gate opens.
class Gate final {
public:
    [[nodiscard]] std::unique_ptr<Task> BlockedTask() {
        return MakeTask("test.block", [this](const Context&) {
            while (!open_.load()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            return TaskResult::Ok();
        });
    }

    void Open() { open_ = true; }

private:
    std::atomic<bool> open_{false};
};

// Fills a pool of one thread and a queue of one through `context` (which has a worker): one
// blocked task running, one queued.
inline void FillPool(WorkerPool& pool, const Context& context, Gate& gate) {
    static_cast<void>(Run(context, gate.BlockedTask()));
    while (pool.GetMetrics().Read().running == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    static_cast<void>(Run(context, gate.BlockedTask()));
}

}  // namespace gotrue::apitask::testing
