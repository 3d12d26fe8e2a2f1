#include "apitask/apitask.hpp"

#include <atomic>
#include <chrono>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/test_support.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::Context;
using gotrue::apitask::MakeTask;
using gotrue::apitask::PoolOptions;
using gotrue::apitask::Run;
using gotrue::apitask::TaskResult;
using gotrue::apitask::Wait;
using gotrue::apitask::WaitOnExit;
using gotrue::apitask::WorkerClosedError;
using gotrue::apitask::WorkerPool;

namespace {

Context RequestContext(
    WorkerPool& pool, std::optional<Context::Clock::time_point> deadline = std::nullopt
) {
    return Context("req-test", deadline, &pool);
}

std::unique_ptr<gotrue::apitask::Task> Counting(std::atomic<int>& counter, bool fail = false) {
    return MakeTask("test.count", [&counter, fail](const Context&) {
        ++counter;
        return fail ? TaskResult::Failure("failed on purpose") : TaskResult::Ok();
    });
}

struct NotAnException {
    int code = 7;
};

}  // namespace

TEST_SUITE("apitask (GoTrue's own tests, apitask_test.go)") {
    TEST_CASE("a bare context has no worker, WithWorker attaches one and reuses it") {
        WorkerPool pool(PoolOptions{});
        const Context bare = RequestContext(pool);
        CHECK_FALSE(bare.HasWorker());
        CHECK(bare.Worker() == nullptr);
        const Context with = bare.WithWorker();
        REQUIRE(with.HasWorker());
        const Context again = with.WithWorker();
        CHECK(again.Worker() == with.Worker());
        CHECK_FALSE(with.WithoutWorker().HasWorker());
    }

    TEST_CASE("16 asynchronous successes: Run returns success at once, Wait sees all 16") {
        WorkerPool pool(PoolOptions{4, 64});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool).WithWorker();
        for (int i = 0; i < 16; ++i) {
            CHECK(Run(context, Counting(counter)).IsOk());
        }
        Wait(context);
        CHECK(counter.load() == 16);
        CHECK(pool.GetMetrics().Read().succeeded == 16);
    }

    TEST_CASE("16 asynchronous failures all return success to the caller") {
        WorkerPool pool(PoolOptions{4, 64});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool).WithWorker();
        for (int i = 0; i < 16; ++i) {
            CHECK(Run(context, Counting(counter, true)).IsOk());
        }
        Wait(context);
        CHECK(counter.load() == 16);
        CHECK(pool.GetMetrics().Read().failed == 16);
    }

    TEST_CASE("16 synchronous failures return their errors, Wait is a no-op") {
        WorkerPool pool(PoolOptions{});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool);
        for (int i = 0; i < 16; ++i) {
            const TaskResult result = Run(context, Counting(counter, true));
            CHECK_FALSE(result.IsOk());
            CHECK(result.Error() == "failed on purpose");
        }
        Wait(context);
        CHECK(counter.load() == 16);
    }

    TEST_CASE("middleware over 10 requests x 10 tasks: 100 successes, 10 more per request") {
        WorkerPool pool(PoolOptions{4, 64});
        std::atomic<int> counter{0};
        int results_ok = 0;
        for (int request = 1; request <= 10; ++request) {
            {
                const Context context = RequestContext(pool).WithWorker();
                const WaitOnExit join(context);
                for (int i = 0; i < 10; ++i) {
                    results_ok += Run(context, Counting(counter)).IsOk() ? 1 : 0;
                }
            }
            CHECK(counter.load() == request * 10);
        }
        CHECK(results_ok == 100);
    }

    TEST_CASE("a reused, already-waited worker makes Run fail") {
        WorkerPool pool(PoolOptions{});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool).WithWorker();
        {
            const WaitOnExit join(context.WithWorker());  // the middleware reuses the worker
            for (int i = 0; i < 10; ++i) {
                CHECK(Run(context, Counting(counter)).IsOk());
            }
        }
        for (int i = 0; i < 10; ++i) {
            CHECK_THROWS_WITH_AS(
                static_cast<void>(Run(context.WithWorker(), Counting(counter))),
                "apitask: unable to run tasks after a call to Wait",
                WorkerClosedError
            );
        }
        CHECK(counter.load() == 10);
    }
}

TEST_SUITE("apitask (beyond GoTrue)") {
    TEST_CASE("tasks that throw anything are caught, logged and counted, the process lives") {
        WorkerPool pool(PoolOptions{2, 64});
        const Context context = RequestContext(pool).WithWorker();
        CHECK(Run(context,
                  MakeTask(
                      "test.std",
                      [](const Context&) -> TaskResult { throw std::runtime_error("boom"); }
                  )
        ).IsOk());
        CHECK(Run(context, MakeTask("test.int", [](const Context&) -> TaskResult { throw 42; })
        ).IsOk());
        CHECK(Run(context,
                  MakeTask(
                      "test.struct", [](const Context&) -> TaskResult { throw NotAnException{}; }
                  )
        ).IsOk());
        CHECK(Run(context,
                  MakeTask(
                      "test.bad_alloc", [](const Context&) -> TaskResult { throw std::bad_alloc(); }
                  )
        ).IsOk());
        Wait(context);
        CHECK(pool.GetMetrics().Read().threw == 4);

        // Synchronously, the exception becomes the task's failure.
        const TaskResult sync =
            Run(RequestContext(pool), MakeTask("test.sync", [](const Context&) -> TaskResult {
                    throw std::logic_error("sync boom");
                }));
        CHECK_FALSE(sync.IsOk());
        CHECK(sync.Error() == "task threw: sync boom");
        CHECK(pool.GetMetrics().Read().threw == 5);
    }

    TEST_CASE("Run from many threads at once on one worker") {
        WorkerPool pool(PoolOptions{4, 4096});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool).WithWorker();
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 100; ++i) {
                    CHECK(Run(context, Counting(counter)).IsOk());
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        Wait(context);
        CHECK(counter.load() == 800);
    }

    TEST_CASE("a task that starts tasks runs them inside its own lifetime, so Wait covers them") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<int> counter{0};
        const Context context = RequestContext(pool).WithWorker();
        CHECK(Run(context,
                  MakeTask(
                      "test.parent",
                      [&counter](const Context& inner) {
                          CHECK_FALSE(inner.HasWorker());
                          CHECK(inner.RequestId() == "req-test");
                          for (int i = 0; i < 5; ++i) {
                              std::this_thread::sleep_for(10ms);  // Wait is already waiting by now
                              CHECK(Run(inner, Counting(counter)).IsOk());
                          }
                          return TaskResult::Ok();
                      }
                  )
        ).IsOk());
        Wait(context);
        CHECK(counter.load() == 5);
    }

    TEST_CASE("WaitOnExit joins the tasks when the handler throws") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<int> counter{0};
        const auto handler = [&] {
            const Context context = RequestContext(pool).WithWorker();
            const WaitOnExit join(context);
            CHECK(Run(context,
                      MakeTask(
                          "test.slow",
                          [&counter](const Context&) {
                              std::this_thread::sleep_for(50ms);
                              ++counter;
                              return TaskResult::Ok();
                          }
                      )
            ).IsOk());
            throw std::runtime_error("handler failed");
        };
        CHECK_THROWS_AS(handler(), std::runtime_error);
        CHECK(counter.load() == 1);
    }

    TEST_CASE("Wait stops at the request deadline and leaves the task to the pool") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<bool> finished{false};
        const auto deadline = Context::Clock::now() + 100ms;
        const Context context = RequestContext(pool, deadline).WithWorker();
        CHECK(Run(context,
                  MakeTask(
                      "test.slow",
                      [&finished](const Context&) {
                          std::this_thread::sleep_for(600ms);
                          finished = true;
                          return TaskResult::Ok();
                      }
                  )
        ).IsOk());
        Wait(context);
        CHECK(Context::Clock::now() < deadline + 400ms);
        CHECK_FALSE(finished.load());
        CHECK(pool.GetMetrics().Read().detached_on_deadline == 1);
        const auto report = pool.Drain(5s);  // still drained at shutdown
        CHECK(report.complete);
        CHECK(finished.load());
    }

    TEST_CASE("a full queue makes Run wait until the deadline, then fail with QueueFullError") {
        WorkerPool pool(PoolOptions{1, 1});
        gotrue::apitask::testing::Gate gate;
        const Context context = RequestContext(pool, Context::Clock::now() + 150ms).WithWorker();
        gotrue::apitask::testing::FillPool(pool, context, gate);
        const auto started = Context::Clock::now();
        CHECK_THROWS_AS(
            static_cast<void>(Run(context, gate.BlockedTask())), gotrue::apitask::QueueFullError
        );
        CHECK(Context::Clock::now() - started >= 100ms);
        CHECK(pool.GetMetrics().Read().rejected == 1);
        gate.Open();
        Wait(context);
    }
}
