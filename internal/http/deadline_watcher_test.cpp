#include "http/deadline_watcher.hpp"

#include <atomic>
#include <chrono>
#include <future>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using gotrue::http::DeadlineWatcher;

TEST_SUITE("deadline watcher") {
    TEST_CASE("fires after the deadline, in deadline order") {
        DeadlineWatcher watcher;
        std::promise<int> first;
        std::promise<int> second;
        const auto now = DeadlineWatcher::Clock::now();
        watcher.Watch(now + 60ms, [&] { second.set_value(2); });
        watcher.Watch(now + 20ms, [&] { first.set_value(1); });
        auto first_done = first.get_future();
        auto second_done = second.get_future();
        REQUIRE(first_done.wait_for(5s) == std::future_status::ready);
        CHECK(second_done.wait_for(0ms) != std::future_status::ready);
        REQUIRE(second_done.wait_for(5s) == std::future_status::ready);
        CHECK(DeadlineWatcher::Clock::now() >= now + 60ms);
    }

    TEST_CASE("a cancelled deadline never fires") {
        std::atomic<int> fired{0};
        std::promise<void> later;
        {
            DeadlineWatcher watcher;
            const auto id = watcher.Watch(DeadlineWatcher::Clock::now() + 30ms, [&] { ++fired; });
            watcher.Cancel(id);
            watcher.Watch(DeadlineWatcher::Clock::now() + 60ms, [&] { later.set_value(); });
            REQUIRE(later.get_future().wait_for(5s) == std::future_status::ready);
        }
        CHECK(fired.load() == 0);
    }
}
