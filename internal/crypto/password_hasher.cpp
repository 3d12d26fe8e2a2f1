#include "crypto/password_hasher.hpp"

#include <algorithm>
#include <thread>

#include "crypto/password.hpp"

namespace gotrue::crypto {

HasherLimits HasherLimits::ForCpus(int concurrency) {
    if (concurrency <= 0) {
        concurrency = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    }
    HasherLimits limits;
    limits.concurrency = concurrency;
    limits.max_waiting = 4 * static_cast<std::size_t>(concurrency);
    return limits;
}

class PasswordHasher::Slot final {
public:
    explicit Slot(PasswordHasher& hasher) : hasher_(hasher) { hasher_.Acquire(); }

    ~Slot() { hasher_.Release(); }

    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

private:
    PasswordHasher& hasher_;
};

PasswordHasher::PasswordHasher(int cost, HasherLimits limits)
    : cost_(cost),
      limits_(limits),
      // Not admitted: made once at startup, before any request.
      dummy_hash_(HashPassword("not-a-real-password", cost)) {}

void PasswordHasher::Acquire() {
    std::unique_lock lock(mutex_);
    if (counters_.running < limits_.concurrency) {
        ++counters_.running;
        ++counters_.admitted;
        return;
    }
    if (counters_.waiting >= limits_.max_waiting) {
        ++counters_.refused;
        throw HasherBusy("password hashing is at capacity");
    }
    ++counters_.waiting;
    const bool admitted = freed_.wait_for(lock, limits_.max_wait, [this] {
        return counters_.running < limits_.concurrency;
    });
    --counters_.waiting;
    if (!admitted) {
        ++counters_.refused;
        throw HasherBusy("password hashing stayed at capacity");
    }
    ++counters_.running;
    ++counters_.admitted;
}

void PasswordHasher::Release() {
    {
        const std::scoped_lock lock(mutex_);
        --counters_.running;
    }
    freed_.notify_one();
}

std::string PasswordHasher::Hash(std::string_view password) {
    const Slot slot(*this);
    return HashPassword(password, cost_);
}

bool PasswordHasher::Verify(std::string_view password, std::string_view hash) {
    const Slot slot(*this);
    return VerifyPassword(password, hash);
}

void PasswordHasher::VerifyAgainstDummy(std::string_view password) {
    const Slot slot(*this);
    static_cast<void>(VerifyPassword(password, dummy_hash_));
}

PasswordHasher::Counters PasswordHasher::Snapshot() const {
    const std::scoped_lock lock(mutex_);
    return counters_;
}

}  // namespace gotrue::crypto
