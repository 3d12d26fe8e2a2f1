#pragma once

// auth.mail_outbox (this server's own table, docs/mail.md "The outbox"): background mail from the
// request's transaction until the relay accepted it, then kept for a retention period. A row is
// queued -> sending -> sent | failed | dead. Whoever sends a row holds a lease on it: a random
// lease_token written by the claim, and next_attempt_at in the future. Every statement that
// finishes or extends a send requires the sender's token.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// The channel a row that became due is announced on (NOTIFY, delivered at commit).
inline constexpr std::string_view kMailOutboxChannel = "gotrue_mail_outbox";

enum class OutboxState { kQueued, kSending, kSent, kFailed, kDead };

[[nodiscard]] std::string_view OutboxStateName(OutboxState state);
[[nodiscard]] std::optional<OutboxState> ParseOutboxState(std::string_view name);

// A PostgreSQL array literal of lease tokens ("{a,b}"); tokens are UUIDs, nothing to quote.
[[nodiscard]] std::string LeaseTokenArray(const std::vector<std::string>& tokens);

// A row claimed for one send: its id, the lease token the claim wrote, its Message-ID.
struct OutboxClaim {
    long long id = 0;
    std::string lease_token;
    std::string message_id;
};

struct NewOutboxMail {
    std::string mail_type;  // the kind, e.g. "confirmation"
    std::string recipient;
    std::string intent_json;  // the unrendered mail (outbox/intent_json.hpp)
    std::string request_id;
};

// Inserts `mail` as `sending`, leased to the caller for `lease`, with a Message-ID
// <outbox.UUID@domain>. Run in the request's transaction: the row exists iff it commits.
[[nodiscard]] OutboxClaim InsertOutboxMail(
    pqxx::transaction_base& tx,
    const NewOutboxMail& mail,
    std::chrono::milliseconds lease,
    const std::string& message_id_domain
);

// A claimed row as a sweep read it. `intent_json` empty: a row of an earlier version, whose
// rendered subject and html are sent as they are.
struct ClaimedOutboxMail {
    OutboxClaim claim;
    std::string mail_type;
    std::string recipient;
    std::string subject;
    std::string html;
    std::string intent_json;
    std::string request_id;
};

// Claims up to `limit` due rows (queued, or sending with a lease that ran out) for `lease`, each
// with a fresh lease token; rows other sweepers hold are skipped (FOR UPDATE SKIP LOCKED).
[[nodiscard]] std::vector<ClaimedOutboxMail> ClaimDueOutboxMails(
    pqxx::transaction_base& tx, std::chrono::milliseconds lease, int limit
);

// Extends by `lease` every row that still carries one of `tokens`; returns how many.
long long RenewOutboxLeases(
    pqxx::transaction_base& tx,
    std::chrono::milliseconds lease,
    const std::vector<std::string>& tokens
);

// The relay accepted it: `sent`, its intent (the one-time code) cleared. False when the row no
// longer carries the claim's token.
[[nodiscard]] bool MarkOutboxSent(pqxx::transaction_base& tx, const OutboxClaim& claim);

// The relay refused it permanently: `failed` after this attempt, intent kept for a retry.
[[nodiscard]] bool MarkOutboxFailed(
    pqxx::transaction_base& tx, const OutboxClaim& claim, const std::string& error
);

struct OutboxReschedule {
    int attempts = 0;
    bool dead = false;  // max attempts or max age reached
    long long retry_in_ms = 0;
    std::string mail_type;
    std::string recipient;
};

struct ReschedulePolicy {
    std::chrono::milliseconds backoff;  // doubled per attempt, at most an hour
    std::chrono::milliseconds max_age;
    int max_attempts = 10;
};

// A transient failure: `queued` for a later attempt, or `dead` when the policy says so; releases
// the lease. Empty when the row no longer carries the claim's token.
[[nodiscard]] std::optional<OutboxReschedule> RescheduleOutboxMail(
    pqxx::transaction_base& tx,
    const OutboxClaim& claim,
    const std::string& error,
    const ReschedulePolicy& policy
);

// Gives up the caller's lease (it cannot send now): the row is due at once and announced.
void ReleaseOutboxLease(pqxx::transaction_base& tx, const OutboxClaim& claim);

// Deletes sent, failed and dead rows whose last change is older than `retention`.
long long DeleteFinishedOutboxMails(
    pqxx::transaction_base& tx, std::chrono::milliseconds retention
);

enum class OutboxRetry { kRetried, kNotFound, kNotRetriable };

// A failed or dead row back to `queued`, due now, attempts reset, announced to every instance.
[[nodiscard]] OutboxRetry RetryOutboxMail(pqxx::transaction_base& tx, long long id);

// What an operator sees of the outbox: counts per state and the age of the oldest undelivered
// (queued or sending) row.
struct OutboxCounts {
    long long queued = 0;
    long long sending = 0;
    long long sent = 0;
    long long failed = 0;
    long long dead = 0;
    double oldest_queued_seconds = 0;  // 0 when nothing waits
};

[[nodiscard]] OutboxCounts CountOutboxMails(pqxx::transaction_base& tx);

// A failed or dead row without its secrets (no intent, no body).
struct OutboxProblem {
    long long id = 0;
    std::string mail_type;
    std::string recipient;
    std::string state;
    int attempts = 0;
    std::string last_error;
    Time created_at;
    Time updated_at;  // when it became failed or dead
};

// Failed and dead rows, oldest first, at most `limit`.
[[nodiscard]] std::vector<OutboxProblem> ListOutboxProblems(pqxx::transaction_base& tx, int limit);

}  // namespace gotrue::models
