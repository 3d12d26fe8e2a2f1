#include "cmd/metrics.hpp"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "models/mail_outbox.hpp"

namespace gotrue::cmd {
namespace {

using metrics::Sample;

// A family of one unlabelled value.
void Gauge(
    metrics::Metrics& metrics,
    const std::string& name,
    const std::string& help,
    std::function<double()> read
) {
    metrics.AddGauge(name, help, [read = std::move(read)] {
        return std::vector<Sample>{{{}, read()}};
    });
}

void Counter(
    metrics::Metrics& metrics,
    const std::string& name,
    const std::string& help,
    std::function<double()> read
) {
    metrics.AddCounter(name, help, [read = std::move(read)] {
        return std::vector<Sample>{{{}, read()}};
    });
}

template <typename Number>
double Value(Number count) {
    return static_cast<double>(count);
}

void RegisterTasks(metrics::Metrics& metrics, apitask::WorkerPool& pool) {
    auto* tasks = &pool;
    const auto read = [tasks] {
        return tasks->GetMetrics().Read();
    };
    Gauge(metrics, "gotrue_apitask_tasks_queued", "Tasks waiting for a worker pool thread", [read] {
        return Value(read().queue_depth);
    });
    Gauge(metrics, "gotrue_apitask_tasks_running", "Tasks running on the worker pool", [read] {
        return Value(read().running);
    });
    Counter(metrics, "gotrue_apitask_tasks_started_total", "Tasks that began running", [read] {
        return Value(read().started);
    });
    metrics.AddCounter(
        "gotrue_apitask_tasks_finished_total",
        "Tasks that finished, by outcome",
        [read] {
            const auto snapshot = read();
            return std::vector<Sample>{
                {{{"outcome", "succeeded"}}, Value(snapshot.succeeded)},
                {{{"outcome", "failed"}}, Value(snapshot.failed)},
                {{{"outcome", "threw"}}, Value(snapshot.threw)},
            };
        }
    );
    metrics.AddCounter(
        "gotrue_apitask_tasks_dropped_total",
        "Tasks that never ran, by reason",
        [read] {
            const auto snapshot = read();
            return std::vector<Sample>{
                {{{"reason", "rollback"}}, Value(snapshot.dropped_on_rollback)},
                {{{"reason", "queue_full"}}, Value(snapshot.rejected)},
                {{{"reason", "shutdown"}}, Value(snapshot.unfinished_at_shutdown)},
            };
        }
    );
    Counter(
        metrics,
        "gotrue_apitask_tasks_detached_total",
        "Request-scoped tasks a response stopped waiting for at its deadline (they still run)",
        [read] { return Value(read().detached_on_deadline); }
    );
    metrics.AddHistogram("gotrue_apitask_task_duration_seconds", "How long tasks ran", [read] {
        const auto snapshot = read();
        metrics::HistogramSample sample;
        for (const auto bound : apitask::Metrics::kBucketsMs) {
            sample.bounds.push_back(static_cast<double>(bound) / 1000.0);
        }
        sample.counts.assign(snapshot.duration_buckets.begin(), snapshot.duration_buckets.end());
        sample.sum = snapshot.duration_sum_ms / 1000.0;
        return sample;
    });
    Gauge(metrics, "gotrue_apitask_pool_threads", "Worker pool threads", [tasks] {
        return Value(tasks->Threads());
    });
    Gauge(
        metrics,
        "gotrue_apitask_pool_queue_capacity",
        "Tasks that may wait for a worker pool thread",
        [tasks] { return Value(tasks->Capacity()); }
    );
}

void RegisterServer(metrics::Metrics& metrics, const http::Server& server, const api::Api& api) {
    const auto* http = &server;
    Gauge(metrics, "gotrue_http_handler_threads", "Threads running request handlers", [http] {
        return Value(http->Stats().handler_threads);
    });
    Gauge(
        metrics,
        "gotrue_http_hashing_threads",
        "Handler threads of the password hashing lane (0: no lane)",
        [http] { return Value(http->Stats().hashing_threads); }
    );
    Gauge(
        metrics,
        "gotrue_http_hashing_queue_capacity",
        "Requests that may wait for a hashing lane thread",
        [http] { return Value(http->Stats().hashing_queue); }
    );
    Gauge(
        metrics,
        "gotrue_http_requests_in_flight",
        "Requests accepted and not yet answered",
        [http] { return Value(http->Stats().in_flight); }
    );
    Gauge(
        metrics,
        "gotrue_http_requests_waiting_for_tasks",
        "Responses waiting for their request-scoped tasks",
        [http] { return Value(http->Stats().waiting_for_tasks); }
    );
    const auto* hasher = &api;
    Gauge(metrics, "gotrue_password_hashes_running", "bcrypt hashes running now", [hasher] {
        return Value(hasher->HasherCounters().running);
    });
    Gauge(
        metrics,
        "gotrue_password_hashes_waiting",
        "Requests waiting for a bcrypt slot",
        [hasher] { return Value(hasher->HasherCounters().waiting); }
    );
    Counter(metrics, "gotrue_password_hashes_admitted_total", "bcrypt hashes admitted", [hasher] {
        return Value(hasher->HasherCounters().admitted);
    });
    Counter(
        metrics,
        "gotrue_password_hashes_refused_total",
        "bcrypt hashes refused as busy (answered 503)",
        [hasher] { return Value(hasher->HasherCounters().refused); }
    );
}

void RegisterDatabase(metrics::Metrics& metrics, storage::Database& database) {
    const auto* pool = &database;
    metrics.AddGauge("gotrue_db_pool_connections", "Database pool connections, by state", [pool] {
        const auto stats = pool->Stats();
        return std::vector<Sample>{
            {{{"state", "in_use"}}, Value(stats.in_use)},
            {{{"state", "idle"}}, Value(stats.open - stats.in_use)},
        };
    });
    Gauge(metrics, "gotrue_db_pool_waiting", "Callers waiting for a database connection", [pool] {
        return Value(pool->Stats().waiting);
    });
    Gauge(
        metrics,
        "gotrue_db_pool_max_connections",
        "Database pool size (GOTRUE_DB_MAX_POOL_SIZE)",
        [pool] { return Value(pool->Stats().max); }
    );
}

// One connection for the outbox queries, opened on first use and again after a failure.
class OutboxReader final {
public:
    explicit OutboxReader(storage::Database& database) : database_(database) {}

    models::OutboxCounts Read() {
        const std::scoped_lock lock(mutex_);
        try {
            if (!connection_ || !connection_->is_open()) {
                connection_ = database_.OpenConnection();
                pqxx::nontransaction(*connection_).exec0("SET statement_timeout = 2000");
            }
            pqxx::read_transaction tx(*connection_);
            return models::CountOutboxMails(tx);
        } catch (...) {
            connection_.reset();
            throw;
        }
    }

private:
    storage::Database& database_;
    std::mutex mutex_;
    std::unique_ptr<pqxx::connection> connection_;  // Guarded by mutex_.
};

}  // namespace

void RegisterCollectors(metrics::Metrics& metrics, const Measured& measured) {
    RegisterTasks(metrics, measured.tasks);
    RegisterServer(metrics, measured.server, measured.api);
    RegisterDatabase(metrics, measured.database);
}

void RegisterOutboxDepth(metrics::Metrics& metrics, storage::Database& database) {
    auto reader = std::make_shared<OutboxReader>(database);
    metrics.AddGauge("gotrue_mail_outbox_rows", "Mails in the outbox, by state", [reader] {
        const models::OutboxCounts counts = reader->Read();
        std::vector<Sample> samples;
        for (const auto& [state, count] : {
                 std::pair{"queued", counts.queued},
                 std::pair{"sending", counts.sending},
                 std::pair{"sent", counts.sent},
                 std::pair{"failed", counts.failed},
                 std::pair{"dead", counts.dead},
             }) {
            samples.push_back({{{"state", state}}, static_cast<double>(count)});
        }
        return samples;
    });
    Gauge(
        metrics,
        "gotrue_mail_outbox_oldest_queued_age_seconds",
        "Age of the oldest queued mail (0: none)",
        [reader] { return reader->Read().oldest_queued_seconds; }
    );
}

}  // namespace gotrue::cmd
