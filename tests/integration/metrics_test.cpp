// GET /metrics through the real binary (README "Metrics"): a scrape parsed by Python's
// prometheus_client (tests/support/scrape_metrics.py), its values checked against what the
// test did; the listener's configuration and startup errors.

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "support/auth_server.hpp"
#include "support/fault_relay.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::EnvMap;
using gotrue::testing::FreePort;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

namespace {

struct Row {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

// One scrape, as the Python parser read it.
class Scrape final {
public:
    explicit Scrape(int port) {
        const std::string command =
            "/usr/bin/python3 " + std::string(GOTRUE_SOURCE_DIR) +
            "/tests/support/scrape_metrics.py http://127.0.0.1:" + std::to_string(port) +
            "/metrics";
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
        REQUIRE(pipe != nullptr);
        std::string line;
        for (int c = 0; (c = std::fgetc(pipe.get())) != EOF;) {
            if (c != '\n') {
                line += static_cast<char>(c);
                continue;
            }
            rapidjson::Document sample;
            sample.Parse<rapidjson::kParseNanAndInfFlag>(line.c_str());  // the exposer's summary
            REQUIRE_MESSAGE(!sample.HasParseError(), line);
            Row row{sample["name"].GetString(), {}, sample["value"].GetDouble()};
            for (const auto& label : sample["labels"].GetObject()) {
                row.labels[label.name.GetString()] = label.value.GetString();
            }
            rows_.push_back(std::move(row));
            line.clear();
        }
        REQUIRE_MESSAGE(pclose(pipe.release()) == 0, "the scrape did not parse");
        REQUIRE_FALSE(rows_.empty());
    }

    // The sum over the samples named `name` whose labels include `labels`.
    [[nodiscard]] double Value(
        const std::string& name, const std::map<std::string, std::string>& labels = {}
    ) const {
        double sum = 0;
        for (const auto& row : rows_) {
            bool match = row.name == name;
            for (const auto& [key, value] : labels) {
                const auto found = row.labels.find(key);
                match = match && found != row.labels.end() && found->second == value;
            }
            sum += match ? row.value : 0;
        }
        return sum;
    }

    // Whether any label value of any sample contains `text`.
    [[nodiscard]] bool AnyLabelContains(const std::string& text) const {
        for (const auto& row : rows_) {
            for (const auto& [key, value] : row.labels) {
                if (value.find(text) != std::string::npos) {
                    return true;
                }
            }
        }
        return false;
    }

private:
    std::vector<Row> rows_;
};

// A scrape once no task is queued or running (a fire-and-forget sweep may still be finishing).
Scrape Settled(int port) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (true) {
        Scrape scrape(port);
        const bool idle = scrape.Value("gotrue_apitask_tasks_queued") == 0 &&
                          scrape.Value("gotrue_apitask_tasks_running") == 0;
        if (idle || std::chrono::steady_clock::now() > deadline) {
            return scrape;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

EnvMap MetricsOn(int port) {
    return {
        {"GOTRUE_METRICS_ENABLED", "true"},
        {"GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
        {"GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(port)},
    };
}

std::string SignupBody(const std::string& email) {
    return R"({"email":")" + email + R"(","password":"secret-123"})";
}

// Another `serve` on the same database as `server`, with `changes`; its exit code and output.
gotrue::testing::CommandResult ServeAlongside(const AuthServer& server, const EnvMap& changes) {
    EnvMap env = server.Env();
    env["GOTRUE_API_PORT"] = std::to_string(FreePort());
    for (const auto& [key, value] : changes) {
        env[key] = value;
    }
    return gotrue::testing::RunGotrue({"serve"}, env, std::chrono::seconds(30));
}

}  // namespace

TEST_SUITE("metrics") {
    TEST_CASE(
        "a scrape counts requests by route and status with latency, and the tasks and mails they "
        "made"
    ) {
        const int port = FreePort();
        AuthServer server(MailMode::kRequestScoped, MetricsOn(port));
        // Warm-up: the rate-limit sweep queues itself on the first limited request.
        REQUIRE(server.Post("/signup", SignupBody(UniqueEmail("metrics-warm"))).status == 200);
        const Scrape before = Settled(port);

        for (int i = 0; i < 3; ++i) {
            REQUIRE(server.Post("/signup", SignupBody(UniqueEmail("metrics"))).status == 200);
        }
        const std::string wrong =
            R"({"email":")" + UniqueEmail("metrics-nobody") + R"(","password":"wrong-pass"})";
        for (int i = 0; i < 2; ++i) {
            REQUIRE(server.Post("/token?grant_type=password", wrong).status == 400);
        }
        REQUIRE(server.Get("/no-such-route/8d1f0c3a").status == 404);
        REQUIRE(server.Post("/auth/v1/signup", "{not json").status == 400);
        const Scrape after = Settled(port);

        CHECK(
            after.Value("http_status_codes_total", {{"http_route", "/signup"}, {"code", "200"}}) ==
            4
        );
        CHECK(
            after.Value("http_status_codes_total", {{"http_route", "/signup"}, {"code", "400"}}) ==
            1
        );
        CHECK(
            after.Value("http_status_codes_total", {{"http_route", "/token"}, {"code", "400"}}) == 2
        );
        CHECK(
            after.Value(
                "http_status_codes_total", {{"http_route", "unmatched"}, {"code", "404"}}
            ) == 1
        );
        CHECK_FALSE(after.AnyLabelContains("8d1f0c3a"));
        CHECK_FALSE(after.AnyLabelContains("/auth/v1"));
        // The histogram counts every request its counter counts, series by series.
        const std::map<std::string, std::string> signups{
            {"http_route", "/signup"},
            {"http_response_status_code", "200"},
            {"http_request_method", "POST"}};
        CHECK(after.Value("http_server_request_duration_seconds_count", signups) == 4);
        CHECK(
            after.Value(
                "http_server_request_duration_seconds_bucket",
                {{"le", "+Inf"}, {"http_route", "/signup"}, {"http_response_status_code", "200"}}
            ) == 4
        );
        CHECK(after.Value("http_server_request_duration_seconds_sum", signups) > 0);
        CHECK(
            after.Value("http_server_request_duration_seconds_count", {{"http_route", "/token"}}) ==
            2
        );
        CHECK(
            after.Value("http_server_request_duration_seconds_count") ==
            after.Value("http_status_codes_total")
        );

        // Request-scoped mail: one task per signup, finished before its response.
        const auto delta = [&](const std::string& name,
                               const std::map<std::string, std::string>& labels) {
            return after.Value(name, labels) - before.Value(name, labels);
        };
        CHECK(delta("gotrue_apitask_tasks_finished_total", {{"outcome", "succeeded"}}) == 3);
        CHECK(delta("gotrue_apitask_tasks_finished_total", {{"outcome", "failed"}}) == 0);
        CHECK(delta("gotrue_apitask_tasks_started_total", {}) == 3);
        CHECK(delta("gotrue_apitask_task_duration_seconds_count", {}) == 3);
        CHECK(after.Value("gotrue_apitask_tasks_queued") == 0);
        CHECK(after.Value("gotrue_apitask_tasks_running") == 0);
        CHECK(after.Value("gotrue_apitask_pool_queue_capacity") == 1024);
        CHECK(after.Value("gotrue_apitask_pool_threads") > 0);
        CHECK(
            delta("gotrue_mail_sends_total", {{"kind", "confirmation"}, {"outcome", "sent"}}) == 3
        );
        CHECK(after.Value("gotrue_mail_sends_total", {{"outcome", "transient_failure"}}) == 0);
        CHECK(delta("global_auth_email_send_operations_total", {{"type", "confirmation"}}) == 3);
        CHECK(after.Value("gotrue_mail_outbox_rows", {{"state", "queued"}}) == 0);
        CHECK(delta("gotrue_mail_outbox_rows", {{"state", "sent"}}) == 3);  // kept for retention
        CHECK(after.Value("gotrue_mail_outbox_rows", {{"state", "failed"}}) == 0);
        CHECK(after.Value("gotrue_mail_outbox_oldest_queued_age_seconds") == 0);

        // The capacity the server runs with.
        CHECK(after.Value("gotrue_db_pool_max_connections") == 10);
        CHECK(after.Value("gotrue_db_pool_connections", {{"state", "in_use"}}) == 0);
        CHECK(after.Value("gotrue_db_pool_waiting") == 0);
        CHECK(after.Value("gotrue_http_handler_threads") > 0);
        CHECK(after.Value("gotrue_http_requests_in_flight") == 0);
        CHECK(delta("gotrue_password_hashes_admitted_total", {}) >= 5);  // 3 hashes, 2 checks
        CHECK(after.Value("gotrue_password_hashes_running") == 0);
        CHECK(after.Value("gotrue_running") == 1);
    }

    TEST_CASE(
        "mail a relay fails is counted by outcome: a relay down is transient and a rejection "
        "permanent"
    ) {
        gotrue::testing::FaultRelay relay({"--reject-rcpt"});
        for (const auto& failure : std::vector<std::pair<int, std::string>>{
                 {FreePort(), "transient_failure"}, {relay.Port(), "permanent_failure"}}) {
            const int smtp_port = failure.first;
            const std::string& outcome = failure.second;
            CAPTURE(outcome);
            const int port = FreePort();
            EnvMap env = MetricsOn(port);
            env["GOTRUE_SMTP_PORT"] = std::to_string(smtp_port);
            env["GOTRUE_SMTP_MAX_RETRIES"] = "0";
            AuthServer server(MailMode::kSync, env);
            CHECK(server.Post("/signup", SignupBody(UniqueEmail("metrics-fail"))).status == 500);
            const Scrape scrape(port);
            CHECK(
                scrape.Value(
                    "gotrue_mail_sends_total", {{"kind", "confirmation"}, {"outcome", outcome}}
                ) == 1
            );
            CHECK(scrape.Value("gotrue_mail_sends_total", {{"outcome", "sent"}}) == 0);
            CHECK(
                scrape.Value("global_auth_email_send_errors_total", {{"type", "confirmation"}}) == 1
            );
            CHECK(
                scrape.Value(
                    "http_status_codes_total", {{"http_route", "/signup"}, {"code", "500"}}
                ) == 1
            );
        }
    }

    TEST_CASE("disabled, nothing listens on the metrics port") {
        const int port = FreePort();
        EnvMap env = MetricsOn(port);
        env["GOTRUE_METRICS_ENABLED"] = "false";
        const AuthServer server(MailMode::kSync, env);
        gotrue::testing::HttpRequest request;
        request.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
        const auto response = gotrue::testing::Send(request);
        CHECK(response.status == 0);
        CHECK(server.Get("/metrics").status == 404);  // and the API does not serve them
    }

    TEST_CASE("startup fails clearly when the metrics port is taken or the exporter unsupported") {
        const int port = FreePort();
        const AuthServer server(MailMode::kSync, MetricsOn(port));
        const auto taken = ServeAlongside(server, {});
        CHECK(taken.exit_code == 1);
        CHECK(taken.output.find("cannot serve metrics") != std::string::npos);
        CHECK(taken.output.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);

        const auto otel = ServeAlongside(
            server,
            {{"GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(FreePort())},
             {"GOTRUE_METRICS_EXPORTER", "opentelemetry"}}
        );
        CHECK(otel.exit_code != 0);
        CHECK(
            otel.output.find("GOTRUE_METRICS_EXPORTER: only \"prometheus\" is supported") !=
            std::string::npos
        );
    }
}
