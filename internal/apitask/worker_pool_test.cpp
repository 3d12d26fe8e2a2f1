#include "apitask/worker_pool.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::Context;
using gotrue::apitask::MakeTask;
using gotrue::apitask::PoolOptions;
using gotrue::apitask::QueueFullError;
using gotrue::apitask::TaskResult;
using gotrue::apitask::WorkerPool;

namespace {

std::unique_ptr<gotrue::apitask::Task> Sleeping(
    std::atomic<int>& done, std::chrono::milliseconds duration
) {
    return MakeTask("mailer.confirmation", [&done, duration](const Context&) {
        std::this_thread::sleep_for(duration);
        ++done;
        return TaskResult::Ok();
    });
}

}  // namespace

TEST_SUITE("worker pool") {
    TEST_CASE("Enqueue is fire-and-forget: the caller does not wait for the task") {
        WorkerPool pool(PoolOptions{2, 16});
        std::atomic<int> done{0};
        const auto started = Context::Clock::now();
        pool.Enqueue(Context("req", std::nullopt, &pool), Sleeping(done, 200ms));
        CHECK(Context::Clock::now() - started < 100ms);
        CHECK(done.load() == 0);
        CHECK(pool.Drain(5s).complete);
        CHECK(done.load() == 1);
    }

    TEST_CASE("back-pressure: a full queue blocks Enqueue until the deadline, then refuses") {
        WorkerPool pool(PoolOptions{1, 2});
        std::atomic<int> done{0};
        const Context context("req", Context::Clock::now() + 150ms, &pool);
        pool.Enqueue(context, Sleeping(done, 400ms));  // running
        while (pool.GetMetrics().Read().running == 0) {
            std::this_thread::sleep_for(1ms);
        }
        pool.Enqueue(context, Sleeping(done, 1ms));  // queued
        pool.Enqueue(context, Sleeping(done, 1ms));  // queued: full now
        CHECK(pool.GetMetrics().Read().queue_depth == 2);
        const auto started = Context::Clock::now();
        CHECK_THROWS_AS(pool.Enqueue(context, Sleeping(done, 1ms)), QueueFullError);
        CHECK(Context::Clock::now() - started >= 100ms);
        CHECK(pool.Drain(5s).complete);
        CHECK(done.load() == 3);
    }

    TEST_CASE("a waiting Enqueue gets in as soon as a slot frees up") {
        WorkerPool pool(PoolOptions{1, 1});
        std::atomic<int> done{0};
        const Context context("req", Context::Clock::now() + 5s, &pool);
        pool.Enqueue(context, Sleeping(done, 100ms));
        pool.Enqueue(context, Sleeping(done, 1ms));
        pool.Enqueue(context, Sleeping(done, 1ms));  // waits ~100 ms, then queued
        CHECK(pool.Drain(5s).complete);
        CHECK(done.load() == 3);
    }

    TEST_CASE("drain on shutdown with 100 slow tasks in flight: all finish") {
        WorkerPool pool(PoolOptions{16, 128});
        std::atomic<int> done{0};
        const Context context("req", std::nullopt, &pool);
        for (int i = 0; i < 100; ++i) {
            pool.Enqueue(context, Sleeping(done, 50ms));
        }
        const auto report = pool.Drain(10s);
        CHECK(report.complete);
        CHECK(report.running.empty());
        CHECK(report.queued.empty());
        CHECK(done.load() == 100);
        CHECK(pool.GetMetrics().Read().succeeded == 100);
    }

    TEST_CASE("a too-short drain reports the unfinished tasks by type and count") {
        WorkerPool pool(PoolOptions{4, 64});
        std::atomic<int> done{0};
        const Context context("req", std::nullopt, &pool);
        for (int i = 0; i < 20; ++i) {
            pool.Enqueue(context, Sleeping(done, 300ms));
        }
        pool.Enqueue(context, MakeTask("mailer.recovery", [](const Context&) {
                         return TaskResult::Ok();
                     }));
        while (pool.GetMetrics().Read().running < 4) {
            std::this_thread::sleep_for(1ms);
        }
        const auto report = pool.Drain(50ms);
        CHECK_FALSE(report.complete);
        CHECK(report.running.at("mailer.confirmation") == 4);
        CHECK(report.queued.at("mailer.confirmation") == 16);
        CHECK(report.queued.at("mailer.recovery") == 1);
        CHECK(pool.GetMetrics().Read().unfinished_at_shutdown == 21);
        CHECK_THROWS_AS(pool.Enqueue(context, Sleeping(done, 1ms)), QueueFullError);  // draining
    }

    TEST_CASE("metrics count outcomes and durations") {
        WorkerPool pool(PoolOptions{2, 16});
        const Context context("req", std::nullopt, &pool);
        pool.Enqueue(context, MakeTask("t", [](const Context&) { return TaskResult::Ok(); }));
        pool.Enqueue(context, MakeTask("t", [](const Context&) {
                         return TaskResult::Failure("no");
                     }));
        pool.Enqueue(context, MakeTask("t", [](const Context&) -> TaskResult { throw 1; }));
        CHECK(pool.Drain(5s).complete);
        const auto metrics = pool.GetMetrics().Read();
        CHECK(metrics.started == 3);
        CHECK(metrics.succeeded == 1);
        CHECK(metrics.failed == 1);
        CHECK(metrics.threw == 1);
        CHECK(metrics.running == 0);
        CHECK(metrics.queue_depth == 0);
        std::uint64_t in_buckets = 0;
        for (const auto count : metrics.duration_buckets) {
            in_buckets += count;
        }
        CHECK(in_buckets == 3);
    }
}
