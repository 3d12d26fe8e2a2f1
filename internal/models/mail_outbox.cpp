#include "models/mail_outbox.hpp"

#include <array>

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::array<std::string_view, 5> kStateNames{
    "queued", "sending", "sent", "failed", "dead"};

std::string Milliseconds(std::chrono::milliseconds duration) {
    return std::to_string(duration.count());
}

// $1 mail_type, $2 recipient, $3 intent, $4 request_id, $5 the lease in milliseconds (no sweep
// takes the row before it runs out), $6 the Message-ID host.
constexpr std::string_view kInsertMail = R"sql(
INSERT INTO mail_outbox (mail_type, recipient, intent, request_id, state, next_attempt_at,
                         lease_token, message_id)
VALUES ($1, $2, $3::jsonb, $4, 'sending', now() + ($5 || ' milliseconds')::interval,
        gen_random_uuid(), '<outbox.' || gen_random_uuid() || '@' || $6 || '>')
RETURNING id, lease_token, message_id
)sql";

// Due: queued and past its backoff, or sending with a lease nobody renewed (a crash).
constexpr std::string_view kClaimDueMails = R"sql(
UPDATE mail_outbox
   SET state = 'sending', updated_at = now(),
       next_attempt_at = now() + ($1 || ' milliseconds')::interval,
       lease_token = gen_random_uuid()
 WHERE id IN (SELECT id FROM mail_outbox
               WHERE state IN ('queued', 'sending') AND next_attempt_at <= now()
               ORDER BY id LIMIT $2
                 FOR UPDATE SKIP LOCKED)
RETURNING id, lease_token, message_id, mail_type, recipient, subject, html,
          coalesce(intent::text, '') AS intent, request_id
)sql";

constexpr std::string_view kRenewLeases = R"sql(
UPDATE mail_outbox
   SET next_attempt_at = now() + ($1 || ' milliseconds')::interval
 WHERE lease_token = ANY($2::uuid[]) AND state = 'sending'
)sql";

// The one-time code goes with the intent (and an earlier version's rendered body).
constexpr std::string_view kMarkSent = R"sql(
UPDATE mail_outbox
   SET state = 'sent', sent_at = now(), updated_at = now(), attempts = attempts + 1,
       intent = NULL, subject = '', html = '', lease_token = NULL, next_attempt_at = 'infinity'
 WHERE id = $1 AND lease_token = $2
)sql";

constexpr std::string_view kMarkFailed = R"sql(
UPDATE mail_outbox
   SET state = 'failed', updated_at = now(), attempts = attempts + 1, last_error = $3,
       lease_token = NULL, next_attempt_at = 'infinity'
 WHERE id = $1 AND lease_token = $2
)sql";

// $3 error, $4 backoff and $5 max age in milliseconds, $6 max attempts. The next attempt after
// the backoff doubled per attempt (at most an hour); dead at max attempts or max age.
constexpr std::string_view kReschedule = R"sql(
WITH decided AS (
  SELECT id,
         attempts + 1 >= $6::int
           OR created_at < now() - ($5 || ' milliseconds')::interval AS dead,
         now() + (LEAST(3600000, $4::bigint * power(2, LEAST(attempts, 20)))
                  || ' milliseconds')::interval AS retry_at
    FROM mail_outbox WHERE id = $1 AND lease_token = $2
)
UPDATE mail_outbox AS m
   SET attempts = m.attempts + 1, last_error = $3, lease_token = NULL, updated_at = now(),
       state = CASE WHEN d.dead THEN 'dead' ELSE 'queued' END,
       next_attempt_at = CASE WHEN d.dead THEN 'infinity' ELSE d.retry_at END
  FROM decided d
 WHERE m.id = d.id
RETURNING m.attempts, d.dead, m.mail_type, m.recipient,
          (extract(epoch from d.retry_at - now()) * 1000)::bigint AS retry_in_ms
)sql";

constexpr std::string_view kNotify = R"sql(SELECT pg_notify($1, '')
)sql";

constexpr std::string_view kReleaseLease = R"sql(
UPDATE mail_outbox
   SET state = 'queued', lease_token = NULL, next_attempt_at = now(), updated_at = now()
 WHERE id = $1 AND lease_token = $2
)sql";

constexpr std::string_view kDeleteFinished = R"sql(
DELETE FROM mail_outbox
 WHERE state IN ('sent', 'failed', 'dead')
   AND updated_at < now() - ($1 || ' milliseconds')::interval
)sql";

constexpr std::string_view kLockState = R"sql(
SELECT state FROM mail_outbox WHERE id = $1 FOR UPDATE
)sql";

constexpr std::string_view kRetry = R"sql(
UPDATE mail_outbox
   SET state = 'queued', attempts = 0, next_attempt_at = now(), updated_at = now(),
       lease_token = NULL
 WHERE id = $1
)sql";

constexpr std::string_view kCounts = R"sql(
SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
       count(*) FILTER (WHERE state = 'sending') AS sending,
       count(*) FILTER (WHERE state = 'sent') AS sent,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) FILTER (WHERE state = 'dead') AS dead,
       coalesce(extract(epoch from now() - min(created_at)
                                    FILTER (WHERE state IN ('queued', 'sending'))), 0)::float8
         AS oldest_queued_seconds
  FROM mail_outbox
)sql";

constexpr std::string_view kProblems = R"sql(
SELECT id, mail_type, recipient, state, attempts, last_error,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at
  FROM mail_outbox
 WHERE state IN ('failed', 'dead')
 ORDER BY id
 LIMIT $1
)sql";

OutboxClaim ClaimOf(const pqxx::row& row) {
    return {
        row["id"].as<long long>(),
        row["lease_token"].as<std::string>(),
        row["message_id"].as<std::string>()};
}

void Notify(pqxx::transaction_base& tx) {
    sql::Exec(tx, kNotify, std::string(kMailOutboxChannel));
}

}  // namespace

std::string LeaseTokenArray(const std::vector<std::string>& tokens) {
    std::string array = "{";
    for (const auto& token : tokens) {
        if (array.size() > 1) {
            array += ',';
        }
        array += token;  // UUIDs: nothing to quote
    }
    return array + "}";
}

std::string_view OutboxStateName(OutboxState state) {
    return kStateNames.at(static_cast<std::size_t>(state));
}

std::optional<OutboxState> ParseOutboxState(std::string_view name) {
    for (std::size_t i = 0; i < kStateNames.size(); ++i) {
        if (kStateNames.at(i) == name) {
            return static_cast<OutboxState>(i);
        }
    }
    return std::nullopt;
}

OutboxClaim InsertOutboxMail(
    pqxx::transaction_base& tx,
    const NewOutboxMail& mail,
    std::chrono::milliseconds lease,
    const std::string& message_id_domain
) {
    const auto row = sql::Exec1(
        tx,
        kInsertMail,
        mail.mail_type,
        mail.recipient,
        mail.intent_json,
        mail.request_id,
        Milliseconds(lease),
        message_id_domain
    );
    return ClaimOf(row);
}

std::vector<ClaimedOutboxMail> ClaimDueOutboxMails(
    pqxx::transaction_base& tx, std::chrono::milliseconds lease, int limit
) {
    std::vector<ClaimedOutboxMail> claimed;
    for (const auto& row : sql::Exec(tx, kClaimDueMails, Milliseconds(lease), limit)) {
        claimed.push_back(ClaimedOutboxMail{
            ClaimOf(row),
            row["mail_type"].as<std::string>(),
            row["recipient"].as<std::string>(),
            row["subject"].as<std::string>(),
            row["html"].as<std::string>(),
            row["intent"].as<std::string>(),
            row["request_id"].as<std::string>(),
        });
    }
    return claimed;
}

long long RenewOutboxLeases(
    pqxx::transaction_base& tx,
    std::chrono::milliseconds lease,
    const std::vector<std::string>& tokens
) {
    return static_cast<long long>(
        sql::Exec(tx, kRenewLeases, Milliseconds(lease), LeaseTokenArray(tokens)).affected_rows()
    );
}

bool MarkOutboxSent(pqxx::transaction_base& tx, const OutboxClaim& claim) {
    return sql::Exec(tx, kMarkSent, claim.id, claim.lease_token).affected_rows() == 1;
}

bool MarkOutboxFailed(
    pqxx::transaction_base& tx, const OutboxClaim& claim, const std::string& error
) {
    return sql::Exec(tx, kMarkFailed, claim.id, claim.lease_token, error.substr(0, 1000))
               .affected_rows() == 1;
}

std::optional<OutboxReschedule> RescheduleOutboxMail(
    pqxx::transaction_base& tx,
    const OutboxClaim& claim,
    const std::string& error,
    const ReschedulePolicy& policy
) {
    const auto rows = sql::Exec(
        tx,
        kReschedule,
        claim.id,
        claim.lease_token,
        error.substr(0, 1000),
        static_cast<long long>(policy.backoff.count()),
        Milliseconds(policy.max_age),
        policy.max_attempts
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto row = rows[0];
    return OutboxReschedule{
        row["attempts"].as<int>(),
        row["dead"].as<bool>(),
        row["retry_in_ms"].as<long long>(),
        row["mail_type"].as<std::string>(),
        row["recipient"].as<std::string>(),
    };
}

void ReleaseOutboxLease(pqxx::transaction_base& tx, const OutboxClaim& claim) {
    if (sql::Exec(tx, kReleaseLease, claim.id, claim.lease_token).affected_rows() > 0) {
        Notify(tx);
    }
}

long long DeleteFinishedOutboxMails(
    pqxx::transaction_base& tx, std::chrono::milliseconds retention
) {
    return static_cast<long long>(
        sql::Exec(tx, kDeleteFinished, Milliseconds(retention)).affected_rows()
    );
}

OutboxRetry RetryOutboxMail(pqxx::transaction_base& tx, long long id) {
    const auto rows = sql::Exec(tx, kLockState, id);
    if (rows.empty()) {
        return OutboxRetry::kNotFound;
    }
    const auto state = rows[0]["state"].as<std::string>();
    if (state != "failed" && state != "dead") {
        return OutboxRetry::kNotRetriable;
    }
    sql::Exec0(tx, kRetry, id);
    Notify(tx);
    return OutboxRetry::kRetried;
}

OutboxCounts CountOutboxMails(pqxx::transaction_base& tx) {
    const auto row = sql::Exec1(tx, kCounts);
    return {
        row["queued"].as<long long>(),
        row["sending"].as<long long>(),
        row["sent"].as<long long>(),
        row["failed"].as<long long>(),
        row["dead"].as<long long>(),
        row["oldest_queued_seconds"].as<double>(),
    };
}

std::vector<OutboxProblem> ListOutboxProblems(pqxx::transaction_base& tx, int limit) {
    std::vector<OutboxProblem> problems;
    for (const auto& row : sql::Exec(tx, kProblems, limit)) {
        problems.push_back(OutboxProblem{
            row["id"].as<long long>(),
            row["mail_type"].as<std::string>(),
            row["recipient"].as<std::string>(),
            row["state"].as<std::string>(),
            row["attempts"].as<int>(),
            row["last_error"].as<std::string>(),
            ReadTime(row["created_at"]).value_or(Time{}),
            ReadTime(row["updated_at"]).value_or(Time{}),
        });
    }
    return problems;
}

}  // namespace gotrue::models
