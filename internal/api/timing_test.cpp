#include "api/timing.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using gotrue::api::TimingEqualizer;

TEST_SUITE("timing equalizer") {
    TEST_CASE("no padding until both outcomes have enough samples") {
        TimingEqualizer equalizer;
        for (int i = 0; i < 20; ++i) {
            CHECK(equalizer.Record("recover", "existing", 10ms) == 0us);
        }
        for (int i = 0; i < 7; ++i) {
            CHECK(equalizer.Record("recover", "unknown", 1ms) == 0us);
        }
    }

    TEST_CASE("the faster outcome is padded to the slower one's median, the slower is not") {
        TimingEqualizer equalizer;
        for (int i = 0; i < 10; ++i) {
            static_cast<void>(
                equalizer.Record("recover", "existing", std::chrono::milliseconds(9 + i % 3))
            );
            static_cast<void>(equalizer.Record("recover", "unknown", 2ms));
        }
        CHECK(equalizer.Record("recover", "unknown", 2ms) == 8ms);  // median of existing is 10 ms
        CHECK(equalizer.Record("recover", "existing", 10ms) == 0us);
        CHECK(equalizer.Record("recover", "existing", 4ms) == 6ms);
        // Endpoints are independent.
        CHECK(equalizer.Record("magiclink", "unknown", 2ms) == 0us);
    }

    TEST_CASE("padding is bounded") {
        TimingEqualizer equalizer;
        for (int i = 0; i < 10; ++i) {
            static_cast<void>(equalizer.Record("recover", "existing", 60s));
            static_cast<void>(equalizer.Record("recover", "unknown", 1ms));
        }
        CHECK(equalizer.Record("recover", "unknown", 1ms) == 5s);
    }
}
