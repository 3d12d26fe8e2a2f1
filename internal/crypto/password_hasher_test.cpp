#include "crypto/password_hasher.hpp"

#include <atomic>
#include <future>
#include <vector>

#include <doctest/doctest.h>

#include "crypto/password.hpp"

using gotrue::crypto::HasherBusy;
using gotrue::crypto::HasherLimits;
using gotrue::crypto::PasswordHasher;

TEST_SUITE("password hasher") {
    TEST_CASE("hashes and verifies like HashPassword and VerifyPassword") {
        PasswordHasher hasher(4, HasherLimits::ForCpus(1));
        const std::string hash = hasher.Hash("secret-123");
        CHECK(gotrue::crypto::BcryptCost(hash) == 4);
        CHECK(hasher.Verify("secret-123", hash));
        CHECK_FALSE(hasher.Verify("secret-124", hash));
        CHECK_NOTHROW(hasher.VerifyAgainstDummy("anything"));
        CHECK(hasher.Snapshot().admitted == 4);
    }

    TEST_CASE("a flood is admitted up to the limits and the rest refused at once") {
        HasherLimits limits;
        limits.concurrency = 1;
        limits.max_waiting = 2;
        limits.max_wait = std::chrono::seconds(30);
        PasswordHasher hasher(12, limits);  // ~250 ms per hash: the flood overlaps
        std::atomic<int> busy{0};
        std::atomic<int> done{0};
        std::vector<std::future<void>> flood;
        for (int i = 0; i < 12; ++i) {
            flood.push_back(std::async(std::launch::async, [&] {
                try {
                    hasher.VerifyAgainstDummy("guess");
                    ++done;
                } catch (const HasherBusy&) {
                    ++busy;
                }
            }));
        }
        for (auto& call : flood) {
            call.get();
        }
        // One running and two waiting at any time: of 12 simultaneous calls about 3 get in.
        CHECK(done.load() >= 3);
        CHECK(busy.load() >= 6);
        CHECK(done.load() + busy.load() == 12);
        const auto counters = hasher.Snapshot();
        CHECK(counters.refused == static_cast<std::uint64_t>(busy.load()));
        CHECK(counters.running == 0);
        CHECK(counters.waiting == 0);
    }

    TEST_CASE("a caller that waits longer than max_wait is refused") {
        HasherLimits limits;
        limits.concurrency = 1;
        limits.max_waiting = 1;
        limits.max_wait = std::chrono::milliseconds(1);
        PasswordHasher hasher(12, limits);
        auto slow = std::async(std::launch::async, [&] { hasher.VerifyAgainstDummy("a"); });
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        CHECK_THROWS_AS(hasher.VerifyAgainstDummy("b"), HasherBusy);
        slow.get();
        CHECK_NOTHROW(hasher.VerifyAgainstDummy("c"));
    }
}
