#include <atomic>
#include <chrono>
#include <thread>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "apitask/test_support.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::Context;
using gotrue::apitask::MakeTask;
using gotrue::apitask::PoolOptions;
using gotrue::apitask::Run;
using gotrue::apitask::TaskResult;
using gotrue::apitask::TransactionHook;
using gotrue::apitask::Wait;
using gotrue::apitask::WorkerPool;

namespace {

std::unique_ptr<gotrue::apitask::Task> Flag(std::atomic<int>& counter) {
    return MakeTask("test.flag", [&counter](const Context&) {
        ++counter;
        return TaskResult::Ok();
    });
}

}  // namespace

TEST_SUITE("apitask after commit") {
    TEST_CASE("a task started inside a transaction waits for the commit") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<int> ran{0};
        const Context context = Context("req", std::nullopt, &pool).WithWorker();
        {
            TransactionHook transaction(context);
            CHECK(Run(context, Flag(ran)).IsOk());
            std::this_thread::sleep_for(50ms);
            CHECK(ran.load() == 0);  // held while the transaction is open
            transaction.Committed();
        }
        Wait(context);
        CHECK(ran.load() == 1);
    }

    TEST_CASE("a rollback drops the held tasks") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<int> ran{0};
        const Context context = Context("req", std::nullopt, &pool).WithWorker();
        {
            const TransactionHook transaction(context);
            CHECK(Run(context, Flag(ran)).IsOk());
            CHECK(Run(context, Flag(ran)).IsOk());
        }                                       // destroyed without Committed(): rolled back
        CHECK(Run(context, Flag(ran)).IsOk());  // outside any transaction: runs
        Wait(context);
        CHECK(ran.load() == 1);
        CHECK(pool.GetMetrics().Read().dropped_on_rollback == 2);
    }

    TEST_CASE("nested transactions release tasks only with the outermost commit") {
        WorkerPool pool(PoolOptions{2, 64});
        std::atomic<int> ran{0};
        const Context context = Context("req", std::nullopt, &pool).WithWorker();
        {
            const TransactionHook outer(context);
            {
                TransactionHook inner(context);
                CHECK(Run(context, Flag(ran)).IsOk());
                inner.Committed();
            }
            std::this_thread::sleep_for(20ms);
            CHECK(ran.load() == 0);
        }  // outer rolled back
        Wait(context);
        CHECK(ran.load() == 0);
    }

    TEST_CASE("without a worker the hook changes nothing: Run stays synchronous") {
        WorkerPool pool(PoolOptions{});
        std::atomic<int> ran{0};
        const Context context("req", std::nullopt, &pool);
        const TransactionHook transaction(context);
        CHECK(Run(context, Flag(ran)).IsOk());
        CHECK(ran.load() == 1);
    }

    TEST_CASE("when the pool is full at commit, the task runs on the committing thread") {
        WorkerPool pool(PoolOptions{1, 1});
        gotrue::apitask::testing::Gate gate;
        const Context context = Context("req", Context::Clock::now() + 100ms, &pool).WithWorker();
        gotrue::apitask::testing::FillPool(pool, context, gate);
        std::thread::id ran_on;
        {
            TransactionHook transaction(context);
            CHECK(Run(context,
                      MakeTask(
                          "test.mail",
                          [&ran_on](const Context&) {
                              ran_on = std::this_thread::get_id();
                              return TaskResult::Ok();
                          }
                      )
            ).IsOk());
            transaction.Committed();
        }
        CHECK(ran_on == std::this_thread::get_id());
        gate.Open();
        Wait(context);
    }
}
