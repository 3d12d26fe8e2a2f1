#include "api/services/timing.hpp"

#include <set>
#include <vector>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using gotrue::api::TimingEqualizer;

TEST_SUITE("timing equalizer") {
    TEST_CASE("no padding until both outcomes have enough samples") {
        TimingEqualizer equalizer(1);
        for (int i = 0; i < 20; ++i) {
            CHECK(equalizer.Record("recover", "existing", 10ms) == 0us);
        }
        for (int i = 0; i < 7; ++i) {
            CHECK(equalizer.Record("recover", "unknown", 1ms) == 0us);
        }
    }

    TEST_CASE("the faster outcome reproduces the slower one's durations, tail included") {
        TimingEqualizer equalizer(42);
        std::set<TimingEqualizer::Duration> existing;
        for (int i = 0; i < 64; ++i) {
            const TimingEqualizer::Duration took = std::chrono::milliseconds(10 + i);
            existing.insert(took);
            CHECK(equalizer.Record("recover", "existing", took) == 0us);
        }
        for (int i = 0; i < 8; ++i) {
            static_cast<void>(equalizer.Record("recover", "unknown", 1ms));
        }
        std::set<TimingEqualizer::Duration> seen;
        for (int i = 0; i < 5000; ++i) {
            const auto total = 1ms + equalizer.Record("recover", "unknown", 1ms);
            CHECK(existing.count(total) == 1);
            seen.insert(total);
        }
        CHECK(seen.count(10ms) == 1);  // the fastest existing duration occurs...
        CHECK(seen.count(73ms) == 1);  // ...and so does the slowest
        CHECK(seen.size() > 60);
        // The slower outcome is never padded; endpoints are independent.
        CHECK(equalizer.Record("recover", "existing", 1ms) == 0us);
        CHECK(equalizer.Record("magiclink", "unknown", 2ms) == 0us);
    }

    TEST_CASE("padding is bounded") {
        TimingEqualizer equalizer(7);
        for (int i = 0; i < 10; ++i) {
            static_cast<void>(equalizer.Record("recover", "existing", 60s));
            static_cast<void>(equalizer.Record("recover", "unknown", 1ms));
        }
        CHECK(equalizer.Record("recover", "unknown", 1ms) == 5s);
    }

    TEST_CASE("the requests in flight are bounded and their places come back") {
        auto equalizer = std::make_shared<TimingEqualizer>(3);
        std::vector<std::shared_ptr<void>> places;
        for (std::size_t i = 0; i < TimingEqualizer::kMaxInFlight; ++i) {
            places.push_back(equalizer->TryAdmit());
            REQUIRE(places.back() != nullptr);
        }
        CHECK(equalizer->TryAdmit() == nullptr);
        places.pop_back();
        CHECK(equalizer->InFlight() == TimingEqualizer::kMaxInFlight - 1);
        CHECK(equalizer->TryAdmit() != nullptr);
        places.clear();
        CHECK(equalizer->InFlight() == 0);
    }
}
