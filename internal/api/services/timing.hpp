#pragma once

// Anti-enumeration by timing (docs/http.md): /recover, /resend, /magiclink and /otp answer the
// same for existing and unknown addresses, and should also take the same time. Durations of both
// outcomes are measured on live traffic (the last 64 requests of each, including the wait for
// request-scoped mail tasks). A request of the faster outcome is held until a duration drawn at
// random from the slower outcome's recent durations has passed, so the faster outcome reproduces
// the slower one's whole distribution, tail included (padding to a median would leave the slow
// tail of existing addresses visible). The wait happens on the server's timer (Response::
// not_before), never on a thread, and the number of POST requests in flight (the equalized
// endpoints are POSTs) is bounded: beyond it every POST, whatever its outcome, is answered 503
// before any work is done.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "api/http_types.hpp"

namespace gotrue::api {

class TimingEqualizer final : public std::enable_shared_from_this<TimingEqualizer> {
public:
    using Duration = std::chrono::microseconds;

    static constexpr std::size_t kMaxInFlight = 1024;  // requests admitted and not yet written

    explicit TimingEqualizer(std::uint64_t seed = std::random_device{}());

    // Records that `endpoint` answered outcome `variant` ("existing" or "unknown") in `took`, and
    // returns how much longer to wait before responding.
    [[nodiscard]] Duration Record(
        const std::string& endpoint, const std::string& variant, Duration took
    );

    // A place among the requests in flight, held until the returned handle is released; null
    // when kMaxInFlight are already in flight.
    [[nodiscard]] std::shared_ptr<void> TryAdmit();

    [[nodiscard]] std::size_t InFlight() const;

private:
    static constexpr std::size_t kWindow = 64;
    static constexpr std::size_t kMinSamples = 8;  // no padding until both outcomes are known
    static constexpr Duration kMaxPadding = std::chrono::seconds(5);

    struct Samples {
        std::array<Duration, kWindow> values{};
        std::size_t count = 0;  // total recorded

        [[nodiscard]] std::size_t Size() const { return std::min(count, kWindow); }

        [[nodiscard]] Duration Median() const;
    };

    mutable std::mutex mutex_;
    std::map<std::string, std::map<std::string, Samples>> samples_;  // Guarded by mutex_.
    std::mt19937_64 random_;                                         // Guarded by mutex_.
    std::size_t in_flight_ = 0;                                      // Guarded by mutex_.
};

// Times the requests whose handler set Request::timing_endpoint and sets Response::not_before on
// the faster outcome's successful responses; refuses with 503 when the equalizer is full.
[[nodiscard]] Middleware EqualizeTiming(std::shared_ptr<TimingEqualizer> equalizer);

}  // namespace gotrue::api
