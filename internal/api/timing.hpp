#pragma once

// Anti-enumeration by timing (contract §2.17): /recover, /resend, /magiclink and /otp answer the
// same for existing and unknown addresses, and should also take the same time. The faster of the
// two outcomes is padded to the median duration of the slower one, measured on live traffic
// (the last 64 requests of each), so neither the mail work nor the database work of an existing
// user gives it away. Durations include waiting for request-scoped mail tasks.

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "api/http.hpp"

namespace gotrue::api {

class TimingEqualizer final {
public:
    using Duration = std::chrono::microseconds;

    // Records that `endpoint` answered outcome `variant` ("existing" or "unknown") in `took`, and
    // returns how much longer to wait before responding.
    [[nodiscard]] Duration Record(
        const std::string& endpoint, const std::string& variant, Duration took
    );

private:
    static constexpr std::size_t kWindow = 64;
    static constexpr std::size_t kMinSamples = 8;  // no padding until both outcomes are known

    struct Samples {
        std::array<Duration, kWindow> values{};
        std::size_t count = 0;  // total recorded
        [[nodiscard]] Duration Median() const;
    };

    std::mutex mutex_;
    std::map<std::string, std::map<std::string, Samples>> samples_;  // Guarded by mutex_.
};

// Pads successful responses of requests whose handler set Request::timing_endpoint (see above).
[[nodiscard]] Middleware EqualizeTiming(TimingEqualizer& equalizer);

}  // namespace gotrue::api
