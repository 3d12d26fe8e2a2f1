#include "mailer/connection_pool.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <thread>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using Pool = gotrue::mailer::ConnectionPool<int>;
using Clock = Pool::Clock;

namespace {

// A clock the test moves by hand.
struct FakeClock {
    Clock::time_point now{};

    std::function<Clock::time_point()> Function() {
        return [this] {
            return now;
        };
    }
};

Clock::time_point Soon() {
    return Clock::now() + 2s;
}

// Takes `count` leases that each open a new handle.
void OpenNew(Pool& pool, int count) {
    for (int i = 0; i < count; ++i) {
        const auto lease = pool.Acquire(Soon());
        REQUIRE(lease.granted);
        REQUIRE_FALSE(lease.idle.has_value());
    }
}

}  // namespace

TEST_SUITE("smtp connection pool") {
    TEST_CASE("sequential senders reuse one handle: the first opens, the rest get it back") {
        Pool pool(4, 60s);
        auto lease = pool.Acquire(Soon());
        REQUIRE(lease.granted);
        CHECK_FALSE(lease.idle.has_value());  // open a new one
        CHECK_FALSE(pool.Release(7).has_value());
        for (int i = 0; i < 3; ++i) {
            lease = pool.Acquire(Soon());
            REQUIRE(lease.granted);
            REQUIRE(lease.idle.has_value());
            CHECK(*lease.idle == 7);
            CHECK(pool.Open() == 1);
            CHECK(pool.Idle() == 0);
            CHECK_FALSE(pool.Release(7).has_value());
        }
        CHECK(pool.Idle() == 1);
    }

    TEST_CASE("the most recently released handle is reused first, so surplus ones age out") {
        Pool pool(4, 60s);
        OpenNew(pool, 2);
        CHECK_FALSE(pool.Release(1).has_value());
        CHECK_FALSE(pool.Release(2).has_value());
        CHECK(pool.Acquire(Soon()).idle == 2);
        CHECK(pool.Acquire(Soon()).idle == 1);
        CHECK(pool.Open() == 2);
    }

    TEST_CASE("at the bound a sender waits: refused at its deadline, served by a release") {
        Pool pool(2, 60s);
        OpenNew(pool, 2);
        const auto started = Clock::now();
        const auto refused = pool.Acquire(Clock::now() + 100ms);
        CHECK_FALSE(refused.granted);
        CHECK(Clock::now() - started >= 100ms);
        CHECK(pool.Open() == 2);

        std::thread releaser([&pool] {
            std::this_thread::sleep_for(50ms);
            static_cast<void>(pool.Release(5));
        });
        const auto served = pool.Acquire(Soon());
        releaser.join();
        REQUIRE(served.granted);
        CHECK(served.idle == 5);
        CHECK(pool.Open() == 2);

        // A closed connection frees its slot for a new one.
        std::thread forgetter([&pool] {
            std::this_thread::sleep_for(50ms);
            pool.Forget();
        });
        const auto fresh = pool.Acquire(Soon());
        forgetter.join();
        REQUIRE(fresh.granted);
        CHECK_FALSE(fresh.idle.has_value());
        CHECK(pool.Open() == 2);
    }

    TEST_CASE("handles idle for the idle timeout are handed back to close, and free their slots") {
        FakeClock clock;
        Pool pool(2, 60s, clock.Function());
        OpenNew(pool, 2);
        CHECK_FALSE(pool.Release(1).has_value());
        clock.now += 30s;
        CHECK_FALSE(pool.Release(2).has_value());
        clock.now += 30s;  // 1 has been idle 60 s, 2 only 30 s
        auto lease = pool.Acquire(Soon());
        REQUIRE(lease.granted);
        CHECK(lease.expired == std::vector<int>{1});
        CHECK(lease.idle == 2);
        CHECK(pool.Open() == 1);
        CHECK_FALSE(pool.Release(2).has_value());
        clock.now += 61s;
        lease = pool.Acquire(Soon());
        REQUIRE(lease.granted);
        CHECK(lease.expired == std::vector<int>{2});
        CHECK_FALSE(lease.idle.has_value());  // open a new one
        CHECK(pool.Open() == 1);
    }

    TEST_CASE("size 0: no reuse and no bound, every handle is handed back to close") {
        Pool pool(0, 60s);
        OpenNew(pool, 5);
        CHECK(pool.Open() == 5);
        CHECK(pool.Release(3) == 3);
        CHECK(pool.Open() == 4);
        CHECK(pool.Idle() == 0);
    }

    TEST_CASE("closing hands back the idle handles, and a handle in use is closed when released") {
        Pool pool(4, 60s);
        OpenNew(pool, 2);
        CHECK_FALSE(pool.Release(1).has_value());
        CHECK(pool.Close() == std::vector<int>{1});
        CHECK(pool.Open() == 1);
        CHECK(pool.Release(2) == 2);
        CHECK(pool.Open() == 0);
        CHECK(pool.Close().empty());
    }

    TEST_CASE("concurrent senders never hold more than the bound nor share a handle") {
        Pool pool(3, 60s);
        std::atomic<int> in_use{0};
        std::atomic<int> most{0};
        std::atomic<int> next_handle{100};
        std::array<std::atomic<int>, 256> holders{};
        std::atomic<int> refused{0};
        std::atomic<int> shared{0};
        std::atomic<int> handed_back{0};
        std::vector<std::thread> senders;
        for (int s = 0; s < 8; ++s) {
            senders.emplace_back([&] {
                for (int i = 0; i < 50; ++i) {
                    auto lease = pool.Acquire(Clock::now() + 10s);
                    if (!lease.granted) {
                        ++refused;
                        continue;
                    }
                    const int handle = lease.idle ? *lease.idle : next_handle++;
                    if (holders.at(static_cast<std::size_t>(handle)).fetch_add(1) != 0) {
                        ++shared;
                    }
                    const int now_in_use = ++in_use;
                    int seen = most.load();
                    while (now_in_use > seen && !most.compare_exchange_weak(seen, now_in_use)) {
                    }
                    std::this_thread::sleep_for(100us);
                    --in_use;
                    holders.at(static_cast<std::size_t>(handle)).fetch_sub(1);
                    if (pool.Release(handle).has_value()) {
                        ++handed_back;
                    }
                }
            });
        }
        for (auto& sender : senders) {
            sender.join();
        }
        CHECK(refused.load() == 0);
        CHECK(shared.load() == 0);
        CHECK(handed_back.load() == 0);
        CHECK(most.load() <= 3);
        CHECK(pool.Open() <= 3);
        CHECK(next_handle.load() - 100 <= 3);
    }
}
