#pragma once

// What `serve` measures for GET /metrics (README "Metrics"): the composition root reads each
// module's own counters at scrape time, so none of them depends on the metrics module.

#include <memory>

#include "api/api.hpp"
#include "apitask/worker_pool.hpp"
#include "http/server.hpp"
#include "metrics/metrics.hpp"
#include "storage/database.hpp"

namespace gotrue::cmd {

// The objects read at scrape time; they must outlive the listener.
struct Measured {
    apitask::WorkerPool& tasks;
    storage::Database& database;
    const api::Api& api;
    const http::Server& server;
};

// Registers the scrape-time families of `measured` on `metrics`.
void RegisterCollectors(metrics::Metrics& metrics, const Measured& measured);

// The outbox's rows per state and its oldest queued age (models::CountOutboxMails, the counts of
// GET /admin/mail/outbox), queried on a connection of its own: a scrape never takes a pooled
// connection from requests.
void RegisterOutboxDepth(metrics::Metrics& metrics, storage::Database& database);

}  // namespace gotrue::cmd
