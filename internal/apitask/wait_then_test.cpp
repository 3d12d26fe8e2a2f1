// WaitThen / ExpireWait: waiting for a request's tasks without parking a thread. The HTTP
// server writes the response from the continuation (README "Architecture", completion path).

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "apitask/test_support.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::Context;
using gotrue::apitask::ExpireWait;
using gotrue::apitask::MakeTask;
using gotrue::apitask::PoolOptions;
using gotrue::apitask::Run;
using gotrue::apitask::TaskResult;
using gotrue::apitask::WaitThen;
using gotrue::apitask::WorkerClosedError;
using gotrue::apitask::WorkerPool;

namespace {

// What a continuation saw: how often it ran, on which thread, and what had finished by then.
struct Seen {
    std::atomic<int> calls{0};
    std::atomic<int> tasks_done_at_call{-1};
    std::mutex mutex;
    std::thread::id thread;  // Guarded by mutex.

    [[nodiscard]] std::thread::id Thread() {
        const std::scoped_lock lock(mutex);
        return thread;
    }
};

std::function<void()> Record(Seen& seen, const std::atomic<int>& tasks_done) {
    return [&seen, &tasks_done] {
        {
            const std::scoped_lock lock(seen.mutex);
            seen.thread = std::this_thread::get_id();
        }
        seen.tasks_done_at_call = tasks_done.load();
        ++seen.calls;
    };
}

void WaitForCalls(const Seen& seen, int calls) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (seen.calls.load() < calls && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(1ms);
    }
}

// A task that sleeps `time`, then records its thread and counts itself done.
std::unique_ptr<gotrue::apitask::Task> Slow(
    std::chrono::milliseconds time,
    std::atomic<int>& done,
    std::mutex* mutex = nullptr,
    std::thread::id* thread = nullptr
) {
    return MakeTask("test.slow", [time, &done, mutex, thread](const Context&) {
        std::this_thread::sleep_for(time);
        if (mutex != nullptr) {
            const std::scoped_lock lock(*mutex);
            *thread = std::this_thread::get_id();
        }
        ++done;
        return TaskResult::Ok();
    });
}

}  // namespace

TEST_SUITE("apitask: waiting without a thread") {
    TEST_CASE("the continuation runs once, after the last task, on the thread that finished it") {
        WorkerPool pool(PoolOptions{4, 64});
        const Context context = Context("req-then", std::nullopt, &pool).WithWorker();
        std::atomic<int> done{0};
        std::mutex mutex;
        std::thread::id last_task_thread;
        CHECK(Run(context, Slow(20ms, done)).IsOk());
        CHECK(Run(context, Slow(40ms, done)).IsOk());
        CHECK(Run(context, Slow(150ms, done, &mutex, &last_task_thread)).IsOk());
        Seen seen;
        const auto started = std::chrono::steady_clock::now();
        WaitThen(context, Record(seen, done));
        // The caller is not held: WaitThen returned before the tasks finished.
        CHECK(std::chrono::steady_clock::now() - started < 100ms);
        CHECK(seen.calls.load() == 0);
        WaitForCalls(seen, 1);
        std::this_thread::sleep_for(50ms);  // a second call would show up here
        CHECK(seen.calls.load() == 1);
        CHECK(seen.tasks_done_at_call.load() == 3);
        const std::scoped_lock lock(mutex);
        CHECK(seen.Thread() == last_task_thread);
        CHECK(seen.Thread() != std::this_thread::get_id());
        CHECK(pool.GetMetrics().Read().detached_on_deadline == 0);
    }

    TEST_CASE("with no task running, or no worker, the continuation runs at once on the caller") {
        WorkerPool pool(PoolOptions{2, 16});
        const std::atomic<int> none{0};
        Seen idle;
        WaitThen(Context("req-idle", std::nullopt, &pool).WithWorker(), Record(idle, none));
        CHECK(idle.calls.load() == 1);
        CHECK(idle.Thread() == std::this_thread::get_id());
        Seen bare;
        WaitThen(Context("req-bare", std::nullopt, &pool), Record(bare, none));
        CHECK(bare.calls.load() == 1);
        CHECK(bare.Thread() == std::this_thread::get_id());
        ExpireWait(Context("req-bare", std::nullopt, &pool));  // no worker: nothing to do
        CHECK(bare.calls.load() == 1);
    }

    TEST_CASE("Run after WaitThen throws WorkerClosedError, also while the tasks still run") {
        WorkerPool pool(PoolOptions{2, 16});
        const Context context = Context("req-closed", std::nullopt, &pool).WithWorker();
        std::atomic<int> done{0};
        CHECK(Run(context, Slow(100ms, done)).IsOk());
        Seen seen;
        WaitThen(context, Record(seen, done));
        CHECK_THROWS_WITH_AS(
            static_cast<void>(Run(context, Slow(1ms, done))),
            "apitask: unable to run tasks after a call to Wait",
            WorkerClosedError
        );
        WaitForCalls(seen, 1);
        CHECK(seen.calls.load() == 1);
        CHECK(done.load() == 1);
        CHECK_THROWS_AS(static_cast<void>(Run(context, Slow(1ms, done))), WorkerClosedError);
    }

    TEST_CASE("a task that throws still ends the wait once, the exception is counted") {
        WorkerPool pool(PoolOptions{2, 16});
        const Context context = Context("req-throw", std::nullopt, &pool).WithWorker();
        CHECK(Run(context,
                  MakeTask(
                      "test.throws",
                      [](const Context&) -> TaskResult {
                          std::this_thread::sleep_for(30ms);
                          throw std::runtime_error("task failed");
                      }
                  )
        ).IsOk());
        const std::atomic<int> none{0};
        Seen seen;
        WaitThen(context, Record(seen, none));
        WaitForCalls(seen, 1);
        std::this_thread::sleep_for(20ms);
        CHECK(seen.calls.load() == 1);
        CHECK(pool.GetMetrics().Read().threw == 1);
    }

    TEST_CASE("a continuation that throws is caught: the pool thread lives and runs the next") {
        WorkerPool pool(PoolOptions{1, 16});
        std::atomic<int> done{0};
        const Context first = Context("req-a", std::nullopt, &pool).WithWorker();
        CHECK(Run(first, Slow(10ms, done)).IsOk());
        WaitThen(first, [] { throw std::runtime_error("continuation failed"); });
        const Context second = Context("req-b", std::nullopt, &pool).WithWorker();
        CHECK(Run(second, Slow(10ms, done)).IsOk());
        Seen seen;
        WaitThen(second, Record(seen, done));
        WaitForCalls(seen, 1);
        CHECK(seen.calls.load() == 1);
        CHECK(done.load() == 2);
    }

    TEST_CASE("the deadline ends the wait at once: the task detaches, is counted and finishes") {
        WorkerPool pool(PoolOptions{2, 16});
        const Context context =
            Context("req-late", Context::Clock::now() + 50ms, &pool).WithWorker();
        std::atomic<int> done{0};
        CHECK(Run(context, Slow(300ms, done)).IsOk());
        Seen seen;
        WaitThen(context, Record(seen, done));
        CHECK(seen.calls.load() == 0);
        ExpireWait(context);  // what the server's deadline watcher calls
        CHECK(seen.calls.load() == 1);
        CHECK(seen.Thread() == std::this_thread::get_id());
        CHECK(seen.tasks_done_at_call.load() == 0);
        CHECK(pool.GetMetrics().Read().detached_on_deadline == 1);
        ExpireWait(context);             // a second expiry does nothing
        CHECK(pool.Drain(5s).complete);  // the detached task still runs to its end
        CHECK(done.load() == 1);
        CHECK(seen.calls.load() == 1);  // its completion calls nothing any more
    }

    TEST_CASE("race of the last task and the deadline: exactly one of them calls, 300 times") {
        WorkerPool pool(PoolOptions{4, 64});
        int expired_first = 0;
        for (int round = 0; round < 300; ++round) {
            CAPTURE(round);
            const Context context =
                Context("req-race", Context::Clock::now() + 1s, &pool).WithWorker();
            std::atomic<bool> go{false};
            std::atomic<int> done{0};
            CHECK(Run(context,
                      MakeTask(
                          "test.race",
                          [&go, &done](const Context&) {
                              while (!go.load()) {
                                  std::this_thread::yield();
                              }
                              ++done;
                              return TaskResult::Ok();
                          }
                      )
            ).IsOk());
            Seen seen;
            WaitThen(context, Record(seen, done));
            // The task ends while the deadline fires, microseconds apart either way (spread
            // wide enough that both sides win some rounds, also under ThreadSanitizer).
            const auto lag = std::chrono::microseconds(round % 2 == 0 ? round % 20 : round % 500);
            std::thread deadline([&go, context, lag] {
                go = true;
                const auto until = std::chrono::steady_clock::now() + lag;
                while (std::chrono::steady_clock::now() < until) {
                }
                ExpireWait(context);
            });
            const std::thread::id deadline_thread = deadline.get_id();
            deadline.join();
            WaitForCalls(seen, 1);
            while (done.load() == 0) {
                std::this_thread::yield();
            }
            std::this_thread::sleep_for(1ms);
            REQUIRE(seen.calls.load() == 1);
            if (seen.Thread() == deadline_thread) {
                ++expired_first;
            }
        }
        // A task is counted as detached exactly when the deadline's thread made the call.
        CHECK(
            pool.GetMetrics().Read().detached_on_deadline ==
            static_cast<std::uint64_t>(expired_first)
        );
        MESSAGE("deadline first in ", expired_first, " of 300 rounds");
    }
}
