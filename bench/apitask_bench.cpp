// Cost of starting and joining N trivial side tasks of one request: apitask (Run + Wait on
// the bounded pool) side by side with a thread per task and std::async, in one run.

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "apitask/apitask.hpp"

namespace {

using gotrue::apitask::Context;
using gotrue::apitask::TaskResult;

std::atomic<long> sink{0};

void Trivial() {
    sink.fetch_add(1, std::memory_order_relaxed);
}

void ApitaskRunWait(benchmark::State& state) {
    gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{8, 4096});
    const auto tasks = state.range(0);
    for (auto _ : state) {
        const Context context = Context("bench", std::nullopt, &pool).WithWorker();
        for (long i = 0; i < tasks; ++i) {
            static_cast<void>(gotrue::apitask::Run(
                context,
                gotrue::apitask::MakeTask(
                    "bench",
                    [](const Context&) {
                        Trivial();
                        return TaskResult::Ok();
                    }
                )
            ));
        }
        gotrue::apitask::Wait(context);
    }
    state.SetItemsProcessed(state.iterations() * tasks);
}

void ThreadPerTask(benchmark::State& state) {
    const auto tasks = state.range(0);
    for (auto _ : state) {
        std::vector<std::thread> threads;
        threads.reserve(static_cast<std::size_t>(tasks));
        for (long i = 0; i < tasks; ++i) {
            threads.emplace_back(Trivial);
        }
        for (auto& thread : threads) {
            thread.join();
        }
    }
    state.SetItemsProcessed(state.iterations() * tasks);
}

void StdAsync(benchmark::State& state) {
    const auto tasks = state.range(0);
    for (auto _ : state) {
        std::vector<std::future<void>> futures;
        futures.reserve(static_cast<std::size_t>(tasks));
        for (long i = 0; i < tasks; ++i) {
            futures.push_back(std::async(std::launch::async, Trivial));
        }
        for (auto& future : futures) {
            future.get();
        }
    }
    state.SetItemsProcessed(state.iterations() * tasks);
}

}  // namespace

BENCHMARK(ApitaskRunWait)->Arg(1)->Arg(4)->Arg(16)->UseRealTime();
BENCHMARK(ThreadPerTask)->Arg(1)->Arg(4)->Arg(16)->UseRealTime();
BENCHMARK(StdAsync)->Arg(1)->Arg(4)->Arg(16)->UseRealTime();

BENCHMARK_MAIN();
