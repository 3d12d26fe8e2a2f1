#include "api/services/sweeper.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/worker_pool.hpp"

using namespace std::chrono_literals;
using gotrue::api::Sweeper;

namespace {

// Waits up to a second for `counter` to reach `value`.
bool Reaches(const std::atomic<int>& counter, int value) {
    for (int i = 0; i < 200 && counter.load() < value; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    return counter.load() == value;
}

}  // namespace

TEST_SUITE("sweeps") {
    TEST_CASE("many requests within the interval queue one sweep, the next interval another") {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        std::atomic<int> sweeps{0};
        Sweeper sweeper(
            "test.sweep", pool, [&sweeps] { ++sweeps; }, 300ms
        );
        std::vector<std::thread> requests;
        for (int t = 0; t < 4; ++t) {
            requests.emplace_back([&sweeper] {
                for (int i = 0; i < 100; ++i) {
                    sweeper.MaybeSweep();
                }
            });
        }
        for (auto& request : requests) {
            request.join();
        }
        CHECK(Reaches(sweeps, 1));
        std::this_thread::sleep_for(350ms);
        sweeper.MaybeSweep();
        sweeper.MaybeSweep();
        CHECK(Reaches(sweeps, 2));
        std::this_thread::sleep_for(50ms);
        CHECK(sweeps.load() == 2);
    }

    TEST_CASE("a request never waits for the sweep, nor for a pool that takes no work") {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{1, 4});
        std::atomic<bool> release{false};
        std::atomic<int> sweeps{0};
        Sweeper slow(
            "test.sweep",
            pool,
            [&] {
                while (!release.load()) {
                    std::this_thread::sleep_for(1ms);
                }
                ++sweeps;
            },
            1ms
        );
        const auto started = std::chrono::steady_clock::now();
        slow.MaybeSweep();
        CHECK(std::chrono::steady_clock::now() - started < 100ms);
        release = true;
        CHECK(Reaches(sweeps, 1));
        static_cast<void>(pool.Drain(1s));
        const auto draining = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(5ms);
        CHECK_NOTHROW(slow.MaybeSweep());  // refused by the draining pool: skipped, not thrown
        CHECK(std::chrono::steady_clock::now() - draining < 200ms);
        CHECK(sweeps.load() == 1);
    }
}
