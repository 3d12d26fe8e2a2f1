#include "api/timing.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace gotrue::api {

TimingEqualizer::Duration TimingEqualizer::Samples::Median() const {
    const std::size_t size = std::min(count, kWindow);
    std::vector<Duration> sorted(
        values.begin(), values.begin() + static_cast<std::ptrdiff_t>(size)
    );
    std::sort(sorted.begin(), sorted.end());
    return sorted.empty() ? Duration(0) : sorted[size / 2];
}

TimingEqualizer::Duration TimingEqualizer::Record(
    const std::string& endpoint, const std::string& variant, Duration took
) {
    const std::scoped_lock lock(mutex_);
    auto& outcomes = samples_[endpoint];
    Samples& own = outcomes[variant];
    own.values[own.count % kWindow] = took;
    ++own.count;
    Duration target(0);
    for (const auto& [name, samples] : outcomes) {
        if (samples.count < kMinSamples) {
            return Duration(0);
        }
        target = std::max(target, samples.Median());
    }
    if (outcomes.size() < 2 || took >= target) {
        return Duration(0);
    }
    // Bounded: a slow relay must not make unknown addresses hold a thread for long.
    return std::min<Duration>(target - took, std::chrono::seconds(5));
}

Middleware EqualizeTiming(TimingEqualizer& equalizer) {
    return [&equalizer](Request& request, const Handler& next) {
        const auto started = std::chrono::steady_clock::now();
        Response response = next(request);
        if (response.status == 200 && !request.timing_endpoint.empty()) {
            const auto took = std::chrono::duration_cast<TimingEqualizer::Duration>(
                std::chrono::steady_clock::now() - started
            );
            std::this_thread::sleep_for(
                equalizer.Record(request.timing_endpoint, request.timing_variant, took)
            );
        }
        return response;
    };
}

}  // namespace gotrue::api
