#include "api/services/rate_limit.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/worker_pool.hpp"

using namespace std::chrono_literals;
using gotrue::api::BucketSweeper;
using gotrue::api::NormalizeClientKey;
using gotrue::api::RequestLimit;

namespace {

// Waits up to a second for `counter` to reach `value`.
bool Reaches(const std::atomic<int>& counter, int value) {
    for (int i = 0; i < 200 && counter.load() < value; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    return counter.load() == value;
}

}  // namespace

TEST_SUITE("rate limit keys") {
    TEST_CASE("one client, one key: ports, brackets and IPv4-mapped IPv6 are dropped") {
        for (const char* spelling :
             {"9.9.9.9",
              "9.9.9.9:1",
              "9.9.9.9:65535",
              "::ffff:9.9.9.9",
              "[::ffff:9.9.9.9]:443",
              "::FFFF:9.9.9.9",
              "[::ffff:909:909]"}) {
            CAPTURE(spelling);
            CHECK(NormalizeClientKey(spelling) == "9.9.9.9");
        }
        for (const char* spelling :
             {"2001:db8::1",
              "2001:DB8:0:0:0:0:0:1",
              "[2001:db8::1]",
              "[2001:db8::1]:8080",
              "2001:0db8:0000::0001"}) {
            CAPTURE(spelling);
            CHECK(NormalizeClientKey(spelling) == "2001:db8::1");
        }
        CHECK(NormalizeClientKey("::1") == "::1");
    }

    TEST_CASE("values that are not addresses are kept, long or unprintable ones hashed") {
        CHECK(NormalizeClientKey("client-42") == "client-42");
        CHECK(NormalizeClientKey("9.9.9.9:port") == "9.9.9.9:port");
        CHECK(NormalizeClientKey("[2001:db8::1]:x") == "[2001:db8::1]:x");
        CHECK(NormalizeClientKey("09.9.9.9") == "09.9.9.9");  // not an address in inet_pton's eyes
        const std::string long_value(5000, 'a');
        const std::string hashed = NormalizeClientKey(long_value);
        CHECK(hashed.rfind("sha256:", 0) == 0);
        CHECK(hashed.size() == 7 + 64);
        CHECK(NormalizeClientKey(long_value) == hashed);
        CHECK(NormalizeClientKey(long_value + "b") != hashed);
        CHECK(NormalizeClientKey(std::string(64, 'a')) == std::string(64, 'a'));
        // Not valid UTF-8 or with control bytes: PostgreSQL would refuse it as text.
        CHECK(NormalizeClientKey("\xff\xfe").rfind("sha256:", 0) == 0);
        CHECK(NormalizeClientKey("a b").rfind("sha256:", 0) == 0);
    }
}

TEST_SUITE("rate limit sweeps") {
    TEST_CASE("many requests within the interval queue one sweep, the next interval another") {
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        std::atomic<int> sweeps{0};
        BucketSweeper sweeper(
            pool, [&sweeps] { ++sweeps; }, 300ms
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
        BucketSweeper slow(
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

TEST_SUITE("rate limit buckets") {
    TEST_CASE("endpoint limits: burst 30, N per 5 minutes") {
        const auto limit = RequestLimit::PerFiveMinutes(150);
        CHECK(limit.burst == 30);
        CHECK(limit.refill_per_second == doctest::Approx(0.5));
        // One token short: back in 2 s.
        CHECK(limit.RetryAfterSeconds(-1) == 2);
        // Nearly refilled: never less than a second.
        CHECK(limit.RetryAfterSeconds(-0.01) == 1);
    }

    TEST_CASE("anonymous sign-ins: burst N, N per hour") {
        const auto limit = RequestLimit::PerHour(3);
        CHECK(limit.burst == 3);
        CHECK(limit.refill_per_second == doctest::Approx(3.0 / 3600));
        CHECK(limit.RetryAfterSeconds(-1) == 1200);
        CHECK(limit.RetryAfterSeconds(-0.5) == 600);
        CHECK(RequestLimit::PerHour(30).RetryAfterSeconds(-1) == 120);
    }

    TEST_CASE("a limit of 0 refuses everything and asks to come back after the whole window") {
        const auto hourly = RequestLimit::PerHour(0);
        CHECK(hourly.burst == 0);
        CHECK(hourly.RetryAfterSeconds(-1) == 3600);
        CHECK(RequestLimit::PerFiveMinutes(0).RetryAfterSeconds(-1) == 300);
    }
}
