#include "api/services/timing.hpp"

#include <algorithm>
#include <vector>

#include "api/http_types.hpp"
#include "http/middleware.hpp"

namespace gotrue::api {

TimingEqualizer::TimingEqualizer(std::uint64_t seed) : random_(seed) {}

TimingEqualizer::Duration TimingEqualizer::Samples::Median() const {
    std::vector<Duration> sorted(
        values.begin(), values.begin() + static_cast<std::ptrdiff_t>(Size())
    );
    std::sort(sorted.begin(), sorted.end());
    return sorted.empty() ? Duration(0) : sorted[sorted.size() / 2];
}

TimingEqualizer::Duration TimingEqualizer::Record(
    const std::string& endpoint, const std::string& variant, Duration took
) {
    const std::scoped_lock lock(mutex_);
    auto& outcomes = samples_[endpoint];
    Samples& own = outcomes[variant];
    own.values[own.count % kWindow] = took;
    ++own.count;
    const Samples* slowest = nullptr;
    for (const auto& [name, samples] : outcomes) {
        if (samples.count < kMinSamples) {
            return Duration(0);
        }
        if (slowest == nullptr || samples.Median() > slowest->Median()) {
            slowest = &samples;
        }
    }
    if (outcomes.size() < 2 || slowest == &own) {
        return Duration(0);
    }
    std::uniform_int_distribution<std::size_t> pick(0, slowest->Size() - 1);
    const Duration target = slowest->values[pick(random_)];
    return target > took ? std::min(target - took, kMaxPadding) : Duration(0);
}

std::shared_ptr<void> TimingEqualizer::TryAdmit() {
    {
        const std::scoped_lock lock(mutex_);
        if (in_flight_ >= kMaxInFlight) {
            return nullptr;
        }
        ++in_flight_;
    }
    return std::shared_ptr<void>(static_cast<void*>(this), [self = shared_from_this()](void*) {
        const std::scoped_lock lock(self->mutex_);
        --self->in_flight_;
    });
}

std::size_t TimingEqualizer::InFlight() const {
    const std::scoped_lock lock(mutex_);
    return in_flight_;
}

Middleware EqualizeTiming(std::shared_ptr<TimingEqualizer> equalizer) {
    return [equalizer = std::move(equalizer)](Request& request, const Handler& next) {
        // The equalized endpoints are all POSTs; GET /health must answer whatever is pending.
        if (request.method != "POST") {
            return next(request);
        }
        std::shared_ptr<void> place = equalizer->TryAdmit();
        if (!place) {
            // Refused before any work, whatever the address: a 503 tells nothing about it.
            return RenderError(ServiceUnavailable("Server is busy, please retry"), request);
        }
        const auto started = std::chrono::steady_clock::now();
        Response response = next(request);
        if (response.status == 200 && !request.timing_endpoint.empty()) {
            // Measured once the request's tasks are done: request-scoped mail counts.
            http::WhenComplete(
                request,
                response,
                [equalizer,
                 started,
                 endpoint = request.timing_endpoint,
                 variant = request.timing_variant](Response& done) {
                    const auto now = std::chrono::steady_clock::now();
                    const auto took =
                        std::chrono::duration_cast<TimingEqualizer::Duration>(now - started);
                    const auto wait = equalizer->Record(endpoint, variant, took);
                    if (wait.count() > 0) {
                        done.not_before = now + wait;
                    }
                }
            );
        }
        // The place is given back once the response is written: the server drops the
        // response, and this handle with it, after the send.
        response.hold = std::move(place);
        return response;
    };
}

}  // namespace gotrue::api
