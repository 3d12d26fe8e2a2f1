#include "metrics/metrics.hpp"

#include <array>
#include <exception>
#include <limits>
#include <mutex>
#include <sstream>
#include <utility>

#include <prometheus/check_names.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "logs/logs.hpp"

namespace gotrue::metrics {
namespace {

constexpr logs::Logger kLog{"metrics"};

// The OpenTelemetry HTTP semantic conventions' advice for http.server.request.duration (what
// upstream's otelhttp exports), in seconds.
const std::vector<double> kRequestBuckets{
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

prometheus::ClientMetric WithLabels(const Labels& labels) {
    prometheus::ClientMetric metric;
    for (const auto& [name, value] : labels) {
        metric.label.push_back({name, value});
    }
    return metric;
}

prometheus::ClientMetric HistogramMetric(const HistogramSample& sample) {
    prometheus::ClientMetric metric;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < sample.counts.size(); ++i) {
        cumulative += sample.counts[i];
        const double bound =
            i < sample.bounds.size() ? sample.bounds[i] : std::numeric_limits<double>::infinity();
        metric.histogram.bucket.push_back({cumulative, bound});
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum = sample.sum;
    return metric;
}

// Families read from callbacks at scrape time (the collector the exposer calls on its thread).
class ScrapeCallbacks final : public prometheus::Collectable {
public:
    struct Entry {
        std::string name;
        std::string help;
        prometheus::MetricType type;
        SampleReader samples;       // counters and gauges
        HistogramReader histogram;  // histograms
    };

    void Add(Entry entry) {
        if (!prometheus::CheckMetricName(entry.name)) {
            throw std::invalid_argument("invalid metric name \"" + entry.name + "\"");
        }
        const std::scoped_lock lock(mutex_);
        entries_.push_back(std::move(entry));
    }

    std::vector<prometheus::MetricFamily> Collect() const override {
        const std::scoped_lock lock(mutex_);
        std::vector<prometheus::MetricFamily> families;
        for (const auto& entry : entries_) {
            try {
                families.push_back(Read(entry));
            } catch (const std::exception& error) {
                kLog.Error(
                    "metrics reader failed", {{"metric", entry.name}, {"error", error.what()}}
                );
            }
        }
        return families;
    }

private:
    static prometheus::MetricFamily Read(const Entry& entry) {
        prometheus::MetricFamily family{entry.name, entry.help, entry.type, {}};
        if (entry.type == prometheus::MetricType::Histogram) {
            family.metric.push_back(HistogramMetric(entry.histogram()));
            return family;
        }
        for (const auto& sample : entry.samples()) {
            auto metric = WithLabels(sample.labels);
            if (entry.type == prometheus::MetricType::Counter) {
                metric.counter.value = sample.value;
            } else {
                metric.gauge.value = sample.value;
            }
            family.metric.push_back(std::move(metric));
        }
        return family;
    }

    mutable std::mutex mutex_;  // Add after Listen races with a scrape otherwise
    std::vector<Entry> entries_;
};

}  // namespace

std::string RouteLabel(std::string_view route_pattern) {
    return route_pattern.empty() ? std::string(kUnmatchedRoute) : std::string(route_pattern);
}

std::string MethodLabel(std::string_view method) {
    static constexpr std::array<std::string_view, 9> kMethods{
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"};
    for (const auto known : kMethods) {
        if (method == known) {
            return std::string(known);
        }
    }
    return "_OTHER";
}

bool IsValidMetricName(std::string_view name) {
    return prometheus::CheckMetricName(std::string(name));
}

class Metrics::Impl {
public:
    Impl()
        : registry(std::make_shared<prometheus::Registry>()),
          callbacks(std::make_shared<ScrapeCallbacks>()),
          status_codes(prometheus::BuildCounter()
                           .Name("http_status_codes_total")
                           .Help("Number of returned HTTP status codes, by route pattern")
                           .Register(*registry)),
          request_duration(prometheus::BuildHistogram()
                               .Name("http_server_request_duration_seconds")
                               .Help("Duration of HTTP server requests, until the response is "
                                     "complete")
                               .Register(*registry)),
          mail_sends(prometheus::BuildCounter()
                         .Name("gotrue_mail_sends_total")
                         .Help("Mails handed to the transport, by kind and outcome")
                         .Register(*registry)),
          email_operations(prometheus::BuildCounter()
                               .Name("global_auth_email_send_operations_total")
                               .Help("Number of email send operations")
                               .Register(*registry)),
          email_errors(prometheus::BuildCounter()
                           .Name("global_auth_email_send_errors_total")
                           .Help("Number of email send errors")
                           .Register(*registry)) {
        prometheus::BuildGauge()
            .Name("gotrue_running")
            .Help("Whether GoTrue is running (always 1)")
            .Register(*registry)
            .Add({})
            .Set(1);
    }

    std::shared_ptr<prometheus::Registry> registry;
    std::shared_ptr<ScrapeCallbacks> callbacks;
    prometheus::Family<prometheus::Counter>& status_codes;
    prometheus::Family<prometheus::Histogram>& request_duration;
    prometheus::Family<prometheus::Counter>& mail_sends;
    prometheus::Family<prometheus::Counter>& email_operations;
    prometheus::Family<prometheus::Counter>& email_errors;
};

Metrics::Metrics() : impl_(std::make_shared<Impl>()) {}

Metrics::~Metrics() = default;

void Metrics::ObserveRequest(
    std::string_view method,
    std::string_view route_pattern,
    int status,
    std::chrono::steady_clock::duration took
) {
    const std::string route = RouteLabel(route_pattern);
    const std::string code = std::to_string(status);
    impl_->status_codes.Add({{"code", code}, {"http_route", route}}).Increment();
    impl_->request_duration
        .Add(
            {{"http_request_method", MethodLabel(method)},
             {"http_route", route},
             {"http_response_status_code", code}},
            kRequestBuckets
        )
        .Observe(std::chrono::duration<double>(took).count());
}

void Metrics::ObserveMailSend(std::string_view kind, std::string_view outcome) {
    const std::string type(kind);
    impl_->mail_sends.Add({{"kind", type}, {"outcome", std::string(outcome)}}).Increment();
    // upstream's pair (internal/api/mail.go): every send, and those that failed.
    impl_->email_operations.Add({{"type", type}}).Increment();
    if (outcome != "sent") {
        impl_->email_errors.Add({{"type", type}}).Increment();
    }
}

void Metrics::AddGauge(const std::string& name, const std::string& help, SampleReader read) {
    impl_->callbacks->Add({name, help, prometheus::MetricType::Gauge, std::move(read), nullptr});
}

void Metrics::AddCounter(const std::string& name, const std::string& help, SampleReader read) {
    if (!name.ends_with("_total")) {
        throw std::invalid_argument("counter name \"" + name + "\" must end in _total");
    }
    impl_->callbacks->Add({name, help, prometheus::MetricType::Counter, std::move(read), nullptr});
}

void Metrics::AddHistogram(const std::string& name, const std::string& help, HistogramReader read) {
    impl_->callbacks->Add({name, help, prometheus::MetricType::Histogram, nullptr, std::move(read)}
    );
}

std::string Metrics::Text() const {
    auto families = impl_->registry->Collect();
    auto scraped = impl_->callbacks->Collect();
    families.insert(families.end(), scraped.begin(), scraped.end());
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

std::unique_ptr<Metrics::Listener> Metrics::Listen(const std::string& host, int port) {
    // civetweb's listening_ports syntax; an IPv6 address goes in brackets.
    const std::string address = (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                                ":" + std::to_string(port);
    std::shared_ptr<prometheus::Exposer> exposer;
    try {
        exposer = std::make_shared<prometheus::Exposer>(address, 2);
    } catch (const std::exception& error) {
        throw ListenError("cannot listen on " + address + ": " + error.what());
    }
    exposer->RegisterCollectable(impl_->registry);
    exposer->RegisterCollectable(impl_->callbacks);
    const auto ports = exposer->GetListeningPorts();
    const int bound = ports.empty() ? port : ports.front();
    return std::make_unique<Listener>(std::move(exposer), bound);
}

}  // namespace gotrue::metrics
