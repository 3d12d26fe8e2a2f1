#include "metrics/metrics.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

using gotrue::metrics::HistogramSample;
using gotrue::metrics::Metrics;
using gotrue::metrics::Sample;

namespace {

bool Has(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_SUITE("metrics") {
    TEST_CASE("route labels are the pattern, and one value for everything unmatched") {
        CHECK(gotrue::metrics::RouteLabel("/admin/users/:user_id") == "/admin/users/:user_id");
        CHECK(gotrue::metrics::RouteLabel("") == "unmatched");
        Metrics metrics;
        for (int i = 0; i < 50; ++i) {
            metrics.ObserveRequest("GET", "", 404, std::chrono::milliseconds(1));
        }
        const auto text = metrics.Text();
        CHECK(Has(text, R"(http_status_codes_total{code="404",http_route="unmatched"} 50)"));
        CHECK(text.find("/nothing") == std::string::npos);
    }

    TEST_CASE("methods outside the standard ones share one label value") {
        CHECK(gotrue::metrics::MethodLabel("POST") == "POST");
        CHECK(gotrue::metrics::MethodLabel("post") == "_OTHER");
        CHECK(gotrue::metrics::MethodLabel("BREW") == "_OTHER");
        CHECK(gotrue::metrics::MethodLabel("") == "_OTHER");
    }

    TEST_CASE("requests are counted by route and status and timed in seconds") {
        Metrics metrics;
        metrics.ObserveRequest("POST", "/signup", 200, std::chrono::milliseconds(20));
        metrics.ObserveRequest("POST", "/signup", 200, std::chrono::milliseconds(300));
        metrics.ObserveRequest("POST", "/token", 400, std::chrono::seconds(20));
        const auto text = metrics.Text();
        CHECK(Has(text, R"(http_status_codes_total{code="200",http_route="/signup"} 2)"));
        CHECK(Has(text, R"(http_status_codes_total{code="400",http_route="/token"} 1)"));
        const std::string signup =
            R"(http_request_method="POST",http_response_status_code="200",http_route="/signup")";
        CHECK(Has(text, "http_server_request_duration_seconds_count{" + signup + "} 2"));
        CHECK(Has(text, "http_server_request_duration_seconds_sum{" + signup + "} 0.32"));
        CHECK(
            Has(text, "http_server_request_duration_seconds_bucket{" + signup + ",le=\"0.025\"} 1")
        );
        CHECK(Has(text, "http_server_request_duration_seconds_bucket{" + signup + ",le=\"0.25\"} 1")
        );
        CHECK(Has(text, "http_server_request_duration_seconds_bucket{" + signup + ",le=\"0.5\"} 2")
        );
        const std::string token =
            R"(http_request_method="POST",http_response_status_code="400",http_route="/token")";
        CHECK(Has(text, "http_server_request_duration_seconds_bucket{" + token + ",le=\"10\"} 0"));
        CHECK(Has(text, "http_server_request_duration_seconds_bucket{" + token + ",le=\"+Inf\"} 1")
        );
        CHECK(Has(text, "gotrue_running 1"));
    }

    TEST_CASE("mail sends by kind and outcome, and upstream's operation and error counters") {
        Metrics metrics;
        metrics.ObserveMailSend("confirmation", "sent");
        metrics.ObserveMailSend("confirmation", "sent");
        metrics.ObserveMailSend("confirmation", "transient_failure");
        metrics.ObserveMailSend("recovery", "permanent_failure");
        const auto text = metrics.Text();
        CHECK(Has(text, R"(gotrue_mail_sends_total{kind="confirmation",outcome="sent"} 2)"));
        CHECK(Has(
            text, R"(gotrue_mail_sends_total{kind="confirmation",outcome="transient_failure"} 1)"
        ));
        CHECK(Has(text, R"(gotrue_mail_sends_total{kind="recovery",outcome="permanent_failure"} 1)")
        );
        CHECK(Has(text, R"(global_auth_email_send_operations_total{type="confirmation"} 3)"));
        CHECK(Has(text, R"(global_auth_email_send_errors_total{type="confirmation"} 1)"));
        CHECK(Has(text, R"(global_auth_email_send_errors_total{type="recovery"} 1)"));
    }

    TEST_CASE("callbacks are read at every scrape") {
        Metrics metrics;
        int depth = 3;
        metrics.AddGauge("gotrue_test_depth", "a depth", [&depth] {
            return std::vector<Sample>{{{{"state", "queued"}}, static_cast<double>(depth)}};
        });
        metrics.AddCounter("gotrue_test_done_total", "done", [] {
            return std::vector<Sample>{{{{"outcome", "ok"}}, 7}};
        });
        metrics.AddHistogram("gotrue_test_seconds", "durations", [] {
            return HistogramSample{{0.1, 1}, {2, 1, 1}, 3.5};
        });
        CHECK(Has(metrics.Text(), R"(gotrue_test_depth{state="queued"} 3)"));
        depth = 5;
        const auto text = metrics.Text();
        CHECK(Has(text, R"(gotrue_test_depth{state="queued"} 5)"));
        CHECK(Has(text, "# TYPE gotrue_test_done_total counter"));
        CHECK(Has(text, R"(gotrue_test_done_total{outcome="ok"} 7)"));
        CHECK(Has(text, R"(gotrue_test_seconds_bucket{le="0.1"} 2)"));
        CHECK(Has(text, R"(gotrue_test_seconds_bucket{le="1"} 3)"));
        CHECK(Has(text, R"(gotrue_test_seconds_bucket{le="+Inf"} 4)"));
        CHECK(Has(text, "gotrue_test_seconds_count 4"));
        CHECK(Has(text, "gotrue_test_seconds_sum 3.5"));
    }

    TEST_CASE("a reader that throws costs its family, not the scrape") {
        Metrics metrics;
        metrics.AddGauge("gotrue_test_broken", "throws", []() -> std::vector<Sample> {
            throw std::runtime_error("database gone");
        });
        metrics.AddGauge("gotrue_test_fine", "fine", [] { return std::vector<Sample>{{{}, 1}}; });
        const auto text = metrics.Text();
        CHECK(text.find("gotrue_test_broken") == std::string::npos);
        CHECK(Has(text, "gotrue_test_fine 1"));
    }

    TEST_CASE("bad names are refused when registered") {
        Metrics metrics;
        const auto none = [] {
            return std::vector<Sample>{};
        };
        CHECK_THROWS_AS(metrics.AddGauge("1bad", "", none), std::invalid_argument);
        CHECK_THROWS_AS(metrics.AddGauge("has space", "", none), std::invalid_argument);
        CHECK_THROWS_AS(metrics.AddCounter("gotrue_done", "", none), std::invalid_argument);
        CHECK(gotrue::metrics::IsValidMetricName("gotrue_db_pool_waiting"));
        CHECK_FALSE(gotrue::metrics::IsValidMetricName("gotrue-db"));
    }

    TEST_CASE("a port in use is a ListenError naming the address") {
        Metrics first;
        const auto listener = first.Listen("127.0.0.1", 0);
        REQUIRE(listener->Port() > 0);
        Metrics second;
        const std::string address = "127.0.0.1:" + std::to_string(listener->Port());
        CHECK_THROWS_WITH_AS(
            static_cast<void>(second.Listen("127.0.0.1", listener->Port())),
            doctest::Contains(address.c_str()),
            gotrue::metrics::ListenError
        );
    }
}
