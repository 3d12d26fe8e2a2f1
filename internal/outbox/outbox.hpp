#pragma once

// outbox: background mail that survives a failing relay and a crash. Before a background send the
// rendered mail is written to auth.mail_outbox; it is deleted once the relay accepted it. A send
// that fails is retried later (backoff doubling from GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF); a send
// that was in progress when the server died is retried once its lease (GOTRUE_MAILER_OUTBOX_LEASE)
// runs out, by this or any other instance (rows are claimed with FOR UPDATE SKIP LOCKED). Only
// mails older than GOTRUE_MAILER_OUTBOX_MAX_AGE, or refused permanently by the relay (5xx), are
// given up, each with an error log line. Synchronous sending does not use it: its failure is the
// request's 500.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "apitask/apitask.hpp"
#include "apitask/worker_pool.hpp"
#include "mailer/mail_client.hpp"
#include "storage/database.hpp"

namespace gotrue::outbox {

struct OutboxOptions {
    std::chrono::milliseconds sweep_interval{std::chrono::seconds(5)};
    std::chrono::milliseconds retry_backoff{std::chrono::seconds(30)};
    std::chrono::milliseconds lease{std::chrono::minutes(5)};
    std::chrono::milliseconds max_age{std::chrono::hours(24)};
};

class Outbox final {
public:
    Outbox(
        storage::Database& database,
        mailer::MailClient& transport,
        apitask::WorkerPool& pool,
        OutboxOptions options
    );
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Writes `message` durably (its own small transaction) and returns the row id. The row is
    // leased to the caller, who is about to send it.
    [[nodiscard]] long long Store(const mailer::Message& message, const std::string& request_id);

    // Sends row `id` through the transport: deleted on success, rescheduled on a transient
    // failure, dropped (with an error line) on a permanent one.
    apitask::TaskResult Deliver(
        long long id, const mailer::Message& message, const apitask::Context& context
    );

    // Claims due rows (failed earlier, or orphaned by a crash) and queues their sends on the pool.
    // Returns how many were queued.
    std::size_t Sweep();

    // Sweeps now and then every sweep_interval on a thread of its own, until Stop().
    void Start();
    void Stop();

    // A task that delivers row `id`.
    [[nodiscard]] std::unique_ptr<apitask::Task> DeliveryTask(
        long long id, mailer::Message message
    );

private:
    void Reschedule(long long id, const std::string& error);
    void Remove(long long id);

    storage::Database& database_;
    mailer::MailClient& transport_;
    apitask::WorkerPool& pool_;
    OutboxOptions options_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread sweeper_;
};

// The background link of the mail chain when a database is available: every send is stored in
// the outbox first, then delivered as a request-scoped apitask (kRequestScoped) or on the pool
// without the request waiting (kPool).
class OutboxClient final : public mailer::MailClient {
public:
    enum class Mode { kRequestScoped, kPool };

    OutboxClient(Outbox& outbox, Mode mode, apitask::WorkerPool& pool)
        : outbox_(outbox), mode_(mode), pool_(pool) {}

    void Send(const apitask::Context& context, const mailer::Message& message) override;

private:
    Outbox& outbox_;
    Mode mode_;
    apitask::WorkerPool& pool_;
};

}  // namespace gotrue::outbox
