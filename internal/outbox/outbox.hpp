#pragma once

// outbox: background mail that survives a failing relay, a crash and a rollback
// (auth.mail_outbox, docs/mail.md "The outbox"). In a background mode the handler stores the
// mail's intent (mailer::MailIntent: kind, template input, the user) in its own transaction
// (Enqueue), so the row exists iff the request committed; after the commit the row is handed to
// a request-scoped apitask or the pool (Dispatch), which renders and sends it through an
// IntentSender with the row's Message-ID. Rows are queued -> sending -> sent | failed (refused
// permanently, after one attempt) | dead (GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS or _MAX_AGE); a sent
// row's intent (the one-time code) is cleared at once, finished rows are deleted after
// GOTRUE_MAILER_OUTBOX_RETENTION.
//
// Never twice in the normal case: every claim writes a fresh lease token; while a send is queued
// or running, a renewal thread extends the leases this instance holds every lease/3, and the
// final update, like each renewal, applies only while the row still carries the sender's token.
// Any instance claims due rows (FOR UPDATE SKIP LOCKED): by polling every sweep interval, and at
// once when a row becomes due elsewhere (a retry, a full pool), announced with NOTIFY and heard
// on a LISTEN connection of its own.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include <pqxx/pqxx>

#include "apitask/apitask.hpp"
#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "mailer/mail_client.hpp"
#include "mailer/mail_intent.hpp"
#include "models/mail_outbox.hpp"
#include "storage/database.hpp"

namespace gotrue::outbox {

// After the commit, who delivers a stored mail: an apitask the response waits for
// (GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING) or the pool, without waiting (GOTRUE_WORKER_ENABLED).
enum class HandOff { kRequestScoped, kPool };

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
    int max_attempts = 10;
    std::chrono::milliseconds retention{std::chrono::hours(24)};
    HandOff hand_off = HandOff::kRequestScoped;
};

using Claim = models::OutboxClaim;

// What one delivery sends: an intent, rendered at delivery, or the rendered message of a row an
// earlier version of this server wrote.
using Payload = std::variant<mailer::MailIntent, mailer::Message>;

// Counts per state and the oldest undelivered row's age (what GET /admin/mail/outbox shows).
using OutboxSummary = models::OutboxCounts;

// The outbox's state right now, read in a transaction of its own (for metrics).
[[nodiscard]] OutboxSummary Summary(storage::Database& database);

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

// How long the LISTEN connection waits before reconnecting after failure number `failures`
// (1, 2, ...): 100 ms doubling, at most 5 s.
[[nodiscard]] std::chrono::milliseconds ListenBackoff(int failures);

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
    // `sender` delivers intents (the composition root chooses: SMTP through the templates, or the
    // send-email hook); `transport` sends the rendered rows of an earlier version.
    Outbox(
        storage::Database& database,
        mailer::IntentSender& sender,
        mailer::MailClient& transport,
        apitask::WorkerPool& pool,
        OutboxOptions options
    );
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Inside the request's transaction: stores `intent` as a row leased to this instance, with a
    // Message-ID of its own. The row exists iff `tx` commits.
    [[nodiscard]] Claim Enqueue(
        pqxx::transaction_base& tx, const mailer::MailIntent& intent, const std::string& request_id
    ) const;

    // After the commit: delivers the claimed row as the hand-off says. A pool that is full gives
    // the row up to any instance (due now, announced); a failed send is already recorded and
    // retried, so this never throws for it.
    void Dispatch(const apitask::Context& context, const Claim& claim, Payload payload);

    // Sends the claimed row: `sent` on success, rescheduled (or dead) on a transient failure,
    // `failed` on a permanent one; each only while the row still carries the claim's token.
    apitask::TaskResult Deliver(
        const Claim& claim, const Payload& payload, const apitask::Context& context
    );

    // Claims due rows (failed earlier, given up by a full pool, or orphaned by a crash) and queues
    // their sends on the pool; deletes finished rows past the retention. Returns how many were
    // queued.
    std::size_t Sweep();

    // Extends the lease of every send this instance holds (queued or running), where the row
    // still carries the token. Returns how many rows it extended.
    std::size_t RenewHeldLeases();

    // Starts the sweeper (now, every sweep_interval, and whenever a NOTIFY arrives), the LISTEN
    // connection and the lease renewal, each on a thread of its own. Stop() ends the sweeper and
    // the listener: sends still draining at shutdown keep their leases until the Outbox is
    // destroyed.
    void Start();
    void Stop();

    // A task that delivers the claimed row; it holds the claim's lease (renewed) from now until
    // it has run or is dropped unrun.
    [[nodiscard]] std::unique_ptr<apitask::Task> DeliveryTask(const Claim& claim, Payload payload);

    // Lease tokens held right now (for tests).
    [[nodiscard]] std::size_t HeldLeaseCount() const { return held_->Tokens().size(); }

private:
    void Reschedule(const Claim& claim, const std::string& error);
    void Fail(const Claim& claim, const std::string& type, const std::string& error);
    void Listen(const std::stop_token& stop);
    void WakeSweeper();

    storage::Database& database_;
    mailer::IntentSender& sender_;
    mailer::MailClient& transport_;
    apitask::WorkerPool& pool_;
    OutboxOptions options_;
    std::shared_ptr<HeldLeases> held_ = std::make_shared<HeldLeases>();
    std::mutex mutex_;
    std::condition_variable_any wake_;
    bool wake_requested_ = false;  // Guarded by mutex_.
    std::jthread sweeper_;
    std::jthread listener_;
    std::jthread renewer_;
};

}  // namespace gotrue::outbox
