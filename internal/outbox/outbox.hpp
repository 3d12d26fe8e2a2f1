#pragma once

// outbox: background mail that survives a failing relay and a crash. Before a background send the
// rendered mail is written to auth.mail_outbox; it is deleted once the relay accepted it. A send
// that fails is retried later (backoff doubling from GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF); a send
// that was in progress when the server died is retried once its lease (GOTRUE_MAILER_OUTBOX_LEASE)
// runs out, by this or any other instance (rows are claimed with FOR UPDATE SKIP LOCKED). Only
// mails older than GOTRUE_MAILER_OUTBOX_MAX_AGE, or refused permanently by the relay (5xx), are
// given up, each with an error log line. Synchronous sending does not use it: its failure is the
// request's 500.
//
// Never twice in the normal case: every claim writes a fresh lease token; while a send is queued
// or running, a renewal thread extends the leases this instance holds every lease/3, and the
// final delete or reschedule, like each renewal, applies only while the row still carries the
// sender's token. A send slower than the lease is therefore not started again by a sweep, and a
// sender that stalled past its lease cannot touch a row another instance took over. Every row has
// a Message-ID of its own, sent on every attempt, so the duplicate a crash can cause (after the
// relay accepted the mail, before the row's delete committed) is recognisable (docs/mail.md).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apitask/apitask.hpp"
#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "mailer/mail_client.hpp"
#include "storage/database.hpp"

namespace gotrue::outbox {

struct OutboxOptions {
    std::chrono::milliseconds sweep_interval{std::chrono::seconds(5)};
    std::chrono::milliseconds retry_backoff{std::chrono::seconds(30)};
    std::chrono::milliseconds lease{std::chrono::minutes(5)};
    std::chrono::milliseconds max_age{std::chrono::hours(24)};
    // The host part of every row's Message-ID (see MessageIdDomain).
    std::string message_id_domain = "localhost";
    // The longest one send can take, relay timeouts and retries included (LongestSmtpSend); a
    // lease not longer than it is logged at Start, as the renewal is then the only protection.
    std::chrono::milliseconds longest_send{0};
};

// A row claimed for one send: its id, the lease token the claim wrote, its Message-ID.
struct Claim {
    long long id = 0;
    std::string lease_token;
    std::string message_id;
};

// The leases of the sends this instance has queued or running, renewed together. Shared with the
// tasks that hold them, so a task outliving its Outbox cannot touch freed memory.
class HeldLeases final {
public:
    void Add(const std::string& token);
    void Remove(const std::string& token);
    [[nodiscard]] std::vector<std::string> Tokens() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> tokens_;
};

// How often held leases are renewed: a third of the lease, so two renewals in a row may fail or
// be late before a lease runs out; at least 10 ms.
[[nodiscard]] std::chrono::milliseconds RenewInterval(std::chrono::milliseconds lease);

// A PostgreSQL array literal of lease tokens ("{a,b}"); tokens are UUIDs, nothing to quote.
[[nodiscard]] std::string TokenArray(const std::vector<std::string>& tokens);

// The Message-ID host: the domain of GOTRUE_SMTP_ADMIN_EMAIL, else the host of GOTRUE_SITE_URL,
// else "localhost"; anything but letters, digits, '.' and '-' makes a candidate unusable.
[[nodiscard]] std::string MessageIdDomain(std::string_view admin_email, std::string_view site_url);

// The longest a send through the SMTP client can take: every attempt (1 + GOTRUE_SMTP_MAX_RETRIES)
// up to GOTRUE_SMTP_TIMEOUT (libcurl's total per transfer, connecting included), plus the backoff
// between attempts at its largest (250 ms doubling, capped at 5 s, +20 % jitter). Zero without
// a relay (GOTRUE_SMTP_HOST empty: nothing is sent).
[[nodiscard]] std::chrono::milliseconds LongestSmtpSend(const conf::SmtpConfig& smtp);

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

    // Writes `message` durably (its own small transaction) with a Message-ID of its own and
    // returns the claim. The row is leased to the caller, who is about to send it.
    [[nodiscard]] Claim Store(const mailer::Message& message, const std::string& request_id);

    // Sends the claimed row through the transport, with the row's Message-ID: deleted on
    // success, rescheduled on a transient failure, dropped (with an error line) on a permanent
    // one; each only while the row still carries the claim's lease token.
    apitask::TaskResult Deliver(
        const Claim& claim, const mailer::Message& message, const apitask::Context& context
    );

    // Claims due rows (failed earlier, or orphaned by a crash) and queues their sends on the pool.
    // Returns how many were queued.
    std::size_t Sweep();

    // Extends the lease of every send this instance holds (queued or running), where the row
    // still carries the token. Returns how many rows it extended.
    std::size_t RenewHeldLeases();

    // Starts the sweeper (now and then every sweep_interval) and the lease renewal (every
    // RenewInterval(lease)), each on a thread of its own. Stop() ends the sweeper only: sends
    // still draining at shutdown keep their leases until the Outbox is destroyed.
    void Start();
    void Stop();

    // A task that delivers the claimed row; it holds the claim's lease (renewed) from now until
    // it has run or is dropped unrun.
    [[nodiscard]] std::unique_ptr<apitask::Task> DeliveryTask(
        const Claim& claim, mailer::Message message
    );

    // Lease tokens held right now (for tests).
    [[nodiscard]] std::size_t HeldLeaseCount() const { return held_->Tokens().size(); }

private:
    void Reschedule(const Claim& claim, const std::string& error);
    // False when the row no longer carries the claim's token (another sender took it over).
    bool Remove(const Claim& claim);

    storage::Database& database_;
    mailer::MailClient& transport_;
    apitask::WorkerPool& pool_;
    OutboxOptions options_;
    std::shared_ptr<HeldLeases> held_ = std::make_shared<HeldLeases>();
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread sweeper_;
    std::jthread renewer_;
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
