#pragma once

// bcrypt on a budget. One hash costs tens of milliseconds of a core (cost 10: 50-75 ms here),
// and the endpoints that hash are unauthenticated: about 9 wrong-password sign-ins per second kept
// both cores of a 2-core machine busy, and /health waited seconds behind them. PasswordHasher
// admits at most `concurrency` hashes at a time and lets at most `max_waiting` callers wait, each
// for at most `max_wait`; anyone beyond is refused at once with HasherBusy (the API answers 503
// with Retry-After). The server also bounds who may call it (http::HashingLane), so waiting here
// never holds the threads other requests need.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gotrue::crypto {

class HasherBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct HasherLimits {
    int concurrency = 2;  // hashes running at once (default: the CPUs; see ForCpus)
    std::size_t max_waiting = 4;
    std::chrono::milliseconds max_wait{1000};

    // `concurrency` hashes at once (0: one per CPU) and four times as many waiting: the hashing
    // lane's threads (http::HashingLane) never find it full.
    [[nodiscard]] static HasherLimits ForCpus(int concurrency = 0);
};

class PasswordHasher final {
public:
    PasswordHasher(int cost, HasherLimits limits);

    // HashPassword (password.hpp) at the configured cost, once admitted. Throws HasherBusy, and
    // what HashPassword throws.
    [[nodiscard]] std::string Hash(std::string_view password);

    // VerifyPassword (password.hpp), once admitted. Throws HasherBusy.
    [[nodiscard]] bool Verify(std::string_view password, std::string_view hash);

    // What an unknown user's password is checked against, so "no such user" costs the same
    // bcrypt time as "wrong password" (docs/http.md). Admitted like any verification.
    void VerifyAgainstDummy(std::string_view password);

    struct Counters {
        std::uint64_t admitted = 0;
        std::uint64_t refused = 0;  // busy at once, or waited max_wait in vain
        int running = 0;
        std::size_t waiting = 0;
    };

    [[nodiscard]] Counters Snapshot() const;

private:
    class Slot;  // RAII: one admitted hash

    void Acquire();
    void Release();

    const int cost_;
    const HasherLimits limits_;
    std::string dummy_hash_;

    mutable std::mutex mutex_;
    std::condition_variable freed_;
    Counters counters_;  // Guarded by mutex_.
};

}  // namespace gotrue::crypto
