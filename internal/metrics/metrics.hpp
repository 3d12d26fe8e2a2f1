#pragma once

// metrics: the process's Prometheus metrics (README "Metrics"). Owns the registry, the families
// and the listener that serves `GET /metrics` (prometheus-cpp, its own threads, never the API's);
// no other module sees a prometheus-cpp header. Modules report through the Observe* calls or are
// read at scrape time through callbacks (AddGauge, AddCounter, AddHistogram), so the modules
// measured (apitask, http, storage, mailer) do not depend on this one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gotrue::metrics {

using Labels = std::map<std::string, std::string>;

// One value of a family read at scrape time, with the labels that tell it from its siblings.
struct Sample {
    Labels labels;
    double value = 0;
};

// Samples read at scrape time, on the listener's thread: must be quick, thread-safe and must
// not throw (a reader that throws is logged and contributes nothing to that scrape).
using SampleReader = std::function<std::vector<Sample>()>;

// A histogram read at scrape time: `counts` per bucket, not cumulative, one more than `bounds`
// (the last catches everything above the last bound).
struct HistogramSample {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;
    double sum = 0;
};

using HistogramReader = std::function<HistogramSample()>;

// The metrics listener could not bind its address (port in use, bad host).
class ListenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The label value of requests no route matched (404, 405): the raw path never becomes a label.
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

// The route label for `route_pattern` ("" when no route matched).
[[nodiscard]] std::string RouteLabel(std::string_view route_pattern);

// The method label: the standard methods as they are, anything else "_OTHER" (as the
// OpenTelemetry HTTP semantic conventions bound it).
[[nodiscard]] std::string MethodLabel(std::string_view method);

// Whether `name` is a valid Prometheus metric name.
[[nodiscard]] bool IsValidMetricName(std::string_view name);

class Metrics final {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // One answered request: counted by route pattern (RouteLabel) and status, timed in the
    // latency histogram. Thread-safe.
    void ObserveRequest(
        std::string_view method,
        std::string_view route_pattern,
        int status,
        std::chrono::steady_clock::duration took
    );

    // One mail handed to the transport (SMTP or noop), by kind ("confirmation", ...) and
    // outcome ("sent", "transient_failure", "permanent_failure"). Thread-safe.
    void ObserveMailSend(std::string_view kind, std::string_view outcome);

    // Families whose samples `read` returns at each scrape. `name` must be a valid metric name
    // (std::invalid_argument otherwise); a counter's name ends in `_total`.
    void AddGauge(const std::string& name, const std::string& help, SampleReader read);
    void AddCounter(const std::string& name, const std::string& help, SampleReader read);
    void AddHistogram(const std::string& name, const std::string& help, HistogramReader read);

    // Everything in the Prometheus text format, as a scrape would see it.
    [[nodiscard]] std::string Text() const;

    // Serves `GET /metrics` on host:port from threads of its own until the Listener is
    // destroyed (before the objects the callbacks read). Throws ListenError when the address
    // cannot be bound.
    class Listener;
    [[nodiscard]] std::unique_ptr<Listener> Listen(const std::string& host, int port);

private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

// The /metrics listener; closing it (destruction) joins its threads.
class Metrics::Listener final {
public:
    explicit Listener(std::shared_ptr<void> exposer, int port)
        : exposer_(std::move(exposer)), port_(port) {}

    // The port bound (useful with port 0).
    [[nodiscard]] int Port() const { return port_; }

private:
    std::shared_ptr<void> exposer_;  // prometheus::Exposer, kept out of this header
    int port_;
};

}  // namespace gotrue::metrics
