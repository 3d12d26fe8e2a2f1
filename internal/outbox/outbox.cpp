#include "outbox/outbox.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "logs/logs.hpp"
#include "storage/transaction.hpp"

namespace gotrue::outbox {
namespace {

constexpr logs::Logger kLog{"outbox"};

// $6: the lease in milliseconds; the row is not swept before it runs out. $7: the Message-ID
// host.
constexpr std::string_view kInsertMail = R"sql(
INSERT INTO mail_outbox (mail_type, recipient, subject, html, request_id, next_attempt_at,
                         lease_token, message_id)
VALUES ($1, $2, $3, $4, $5, now() + ($6 || ' milliseconds')::interval,
        gen_random_uuid(), '<outbox.' || gen_random_uuid() || '@' || $7 || '>')
RETURNING id, lease_token, message_id
)sql";

constexpr std::string_view kDeleteMail = R"sql(
DELETE FROM mail_outbox WHERE id = $1 AND lease_token = $2
)sql";

// $3 retry_backoff and $4 max_age in milliseconds: the next attempt after retry_backoff doubled
// per attempt (at most an hour); expired when the mail is older than max_age. Releases the lease.
constexpr std::string_view kRescheduleMail = R"sql(
UPDATE mail_outbox
   SET attempts = attempts + 1, last_error = $2, lease_token = NULL,
       next_attempt_at = now() + (LEAST(3600000, $3::bigint * power(2, LEAST(attempts, 20)))
                                  || ' milliseconds')::interval
 WHERE id = $1 AND lease_token = $5
RETURNING attempts, created_at < now() - ($4 || ' milliseconds')::interval AS expired,
          mail_type, recipient,
          (extract(epoch from next_attempt_at - now()) * 1000)::bigint AS retry_in_ms
)sql";

// Given up after a reschedule found it expired; the lease was released by that reschedule.
constexpr std::string_view kDeleteExpiredMail = R"sql(DELETE FROM mail_outbox WHERE id = $1)sql";

// Claims up to 100 due mails for one lease ($1 milliseconds), each with a fresh lease token;
// rows other sweepers hold are skipped.
constexpr std::string_view kClaimDueMails = R"sql(
UPDATE mail_outbox
   SET next_attempt_at = now() + ($1 || ' milliseconds')::interval,
       lease_token = gen_random_uuid()
 WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= now() ORDER BY id LIMIT 100
              FOR UPDATE SKIP LOCKED)
RETURNING id, lease_token, message_id, mail_type, recipient, subject, html, request_id
)sql";

// Extends the leases this instance holds ($2, an array of tokens) by one lease ($1
// milliseconds). A row another claim took over carries another token and is left alone.
constexpr std::string_view kRenewLeases = R"sql(
UPDATE mail_outbox
   SET next_attempt_at = now() + ($1 || ' milliseconds')::interval
 WHERE lease_token = ANY($2::uuid[])
)sql";

std::string DomainOf(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : address.substr(at + 1);
}

bool IsHostName(std::string_view host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-';
    });
}

// The host of an absolute URL ("https://host:port/path" -> "host"); "" when there is none.
std::string_view UrlHost(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    return rest.substr(0, rest.find(':'));
}

// Keeps the claim's lease registered for renewal until released or destroyed.
class LeaseHold final {
public:
    LeaseHold(std::shared_ptr<HeldLeases> held, std::string token)
        : held_(std::move(held)), token_(std::move(token)) {
        held_->Add(token_);
    }

    ~LeaseHold() { Release(); }

    LeaseHold(const LeaseHold&) = delete;
    LeaseHold& operator=(const LeaseHold&) = delete;

    void Release() {
        if (!released_) {
            released_ = true;
            held_->Remove(token_);
        }
    }

private:
    std::shared_ptr<HeldLeases> held_;
    std::string token_;
    bool released_ = false;
};

}  // namespace

void HeldLeases::Add(const std::string& token) {
    const std::lock_guard lock(mutex_);
    tokens_.push_back(token);
}

void HeldLeases::Remove(const std::string& token) {
    const std::lock_guard lock(mutex_);
    if (const auto it = std::find(tokens_.begin(), tokens_.end(), token); it != tokens_.end()) {
        tokens_.erase(it);
    }
}

std::vector<std::string> HeldLeases::Tokens() const {
    const std::lock_guard lock(mutex_);
    return tokens_;
}

std::chrono::milliseconds RenewInterval(std::chrono::milliseconds lease) {
    return std::max(lease / 3, std::chrono::milliseconds(10));
}

std::string TokenArray(const std::vector<std::string>& tokens) {
    std::string array = "{";
    for (const auto& token : tokens) {
        if (array.size() > 1) {
            array += ',';
        }
        array += token;
    }
    return array + "}";
}

std::string MessageIdDomain(std::string_view admin_email, std::string_view site_url) {
    const auto at = admin_email.rfind('@');
    if (at != std::string_view::npos && IsHostName(admin_email.substr(at + 1))) {
        return std::string(admin_email.substr(at + 1));
    }
    if (const auto host = UrlHost(site_url); IsHostName(host)) {
        return std::string(host);
    }
    return "localhost";
}

std::chrono::milliseconds LongestSmtpSend(const conf::SmtpConfig& smtp) {
    if (smtp.host.empty()) {
        return std::chrono::milliseconds(0);
    }
    const int attempts = 1 + std::max(0, smtp.max_retries);
    auto longest = std::chrono::duration_cast<std::chrono::milliseconds>(smtp.timeout) * attempts;
    for (int retry = 1; retry < attempts; ++retry) {
        const long long base = std::min(250LL << std::min(retry - 1, 8), 5000LL);
        longest += std::chrono::milliseconds(base * 6 / 5);
    }
    return longest;
}

Outbox::Outbox(
    storage::Database& database,
    mailer::MailClient& transport,
    apitask::WorkerPool& pool,
    OutboxOptions options
)
    : database_(database), transport_(transport), pool_(pool), options_(std::move(options)) {}

Outbox::~Outbox() {
    Stop();
    if (renewer_.joinable()) {
        renewer_.request_stop();
        renewer_.join();
    }
}

Claim Outbox::Store(const mailer::Message& message, const std::string& request_id) {
    return storage::WithTransaction(database_, [&](pqxx::work& tx) {
        const auto row = tx.exec_params1(
            std::string(kInsertMail),
            message.type,
            message.to,
            message.subject,
            message.html,
            request_id,
            std::to_string(options_.lease.count()),
            options_.message_id_domain
        );
        return Claim{
            row["id"].as<long long>(),
            row["lease_token"].as<std::string>(),
            row["message_id"].as<std::string>()};
    });
}

bool Outbox::Remove(const Claim& claim) {
    return storage::WithTransaction(database_, [&claim](pqxx::work& tx) {
        return tx.exec_params(std::string(kDeleteMail), claim.id, claim.lease_token)
                   .affected_rows() == 1;
    });
}

void Outbox::Reschedule(const Claim& claim, const std::string& error) {
    // Doubling from retry_backoff, at most an hour; a mail past max_age is given up.
    const auto rows = storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return tx.exec_params(
            std::string(kRescheduleMail),
            claim.id,
            error.substr(0, 1000),
            static_cast<long long>(options_.retry_backoff.count()),
            std::to_string(options_.max_age.count()),
            claim.lease_token
        );
    });
    if (rows.empty()) {
        kLog.Warn(
            "mail failed after its lease was taken over, the new holder retries it",
            {{"id", claim.id}, {"error", error}}
        );
        return;
    }
    const auto row = rows[0];
    const int attempts = row["attempts"].as<int>();
    const bool expired = row["expired"].as<bool>();
    const std::string type = row["mail_type"].as<std::string>();
    const std::string domain = DomainOf(row["recipient"].as<std::string>());
    if (expired) {
        storage::WithTransaction(database_, [&claim](pqxx::work& tx) {
            tx.exec_params0(std::string(kDeleteExpiredMail), claim.id);
        });
        kLog.Error(
            "mail given up after retrying until GOTRUE_MAILER_OUTBOX_MAX_AGE",
            {{"mail_type", type}, {"to_domain", domain}, {"attempts", attempts}, {"error", error}}
        );
        return;
    }
    kLog.Warn(
        "mail kept in the outbox for a later retry",
        {{"mail_type", type},
         {"to_domain", domain},
         {"attempts", attempts},
         {"retry_in_ms", row["retry_in_ms"].as<long long>()},
         {"error", error}}
    );
}

apitask::TaskResult Outbox::Deliver(
    const Claim& claim, const mailer::Message& message, const apitask::Context& context
) {
    mailer::Message stamped = message;
    if (!claim.message_id.empty()) {
        stamped.message_id = claim.message_id;
    }
    try {
        transport_.Send(context, stamped);
    } catch (const mailer::SendError& error) {
        try {
            if (error.Kind() == mailer::FailureKind::kPermanent) {
                static_cast<void>(Remove(claim));
                kLog.Error(
                    "mail dropped: the relay refused it permanently",
                    {{"mail_type", message.type},
                     {"to_domain", DomainOf(message.to)},
                     {"request_id", context.RequestId()},
                     {"error", error.what()}}
                );
            } else {
                Reschedule(claim, error.what());
            }
        } catch (const std::exception& database_error) {
            // The row stays leased; a sweep retries it when the lease runs out.
            kLog.Error(
                "outbox update failed, mail retried after its lease",
                {{"id", claim.id}, {"error", database_error.what()}}
            );
        }
        return apitask::TaskResult::Failure(error.what());
    }
    try {
        if (!Remove(claim)) {
            // This send outlived its lease (a stalled process) and another claim took the row
            // over: that holder sends it too and deletes the row.
            kLog.Error(
                "mail sent after its lease was taken over, it may be sent twice",
                {{"id", claim.id}, {"message_id", claim.message_id}}
            );
        }
    } catch (const std::exception& database_error) {
        // Delivered, but the row stays: a later retry would send it twice. Logged for operators.
        kLog.Error(
            "mail sent but not removed from the outbox, it may be sent again",
            {{"id", claim.id}, {"message_id", claim.message_id}, {"error", database_error.what()}}
        );
    }
    return apitask::TaskResult::Ok();
}

std::unique_ptr<apitask::Task> Outbox::DeliveryTask(const Claim& claim, mailer::Message message) {
    const std::string type = "mailer." + message.type;
    // Held (and renewed) while the task waits and runs; released once the row is deleted or
    // rescheduled, or when a full pool drops the task unrun.
    auto hold = std::make_shared<LeaseHold>(held_, claim.lease_token);
    return apitask::MakeTask(
        type,
        [this, claim, hold, message = std::move(message)](const apitask::Context& context) {
            auto result = Deliver(claim, message, context);
            hold->Release();
            return result;
        }
    );
}

std::size_t Outbox::RenewHeldLeases() {
    const auto tokens = held_->Tokens();
    if (tokens.empty()) {
        return 0;
    }
    return storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return static_cast<std::size_t>(tx.exec_params(
                                              std::string(kRenewLeases),
                                              std::to_string(options_.lease.count()),
                                              TokenArray(tokens)
        )
                                            .affected_rows());
    });
}

std::size_t Outbox::Sweep() {
    struct Due {
        Claim claim;
        mailer::Message message;
        std::string request_id;
    };

    std::vector<Due> due;
    storage::WithTransaction(database_, [&](pqxx::work& tx) {
        const auto rows =
            tx.exec_params(std::string(kClaimDueMails), std::to_string(options_.lease.count()));
        for (const auto& row : rows) {
            due.push_back(Due{
                Claim{
                    row["id"].as<long long>(),
                    row["lease_token"].as<std::string>(),
                    row["message_id"].as<std::string>()},
                mailer::Message{
                    row["recipient"].as<std::string>(),
                    row["subject"].as<std::string>(),
                    row["html"].as<std::string>(),
                    row["mail_type"].as<std::string>()},
                row["request_id"].as<std::string>(),
            });
        }
    });
    std::size_t queued = 0;
    for (auto& item : due) {
        // A short deadline: a full pool leaves the row claimed, and its lease brings it back.
        const apitask::Context context(
            item.request_id,
            std::chrono::steady_clock::now() + std::chrono::milliseconds(100),
            &pool_
        );
        try {
            pool_.Enqueue(context, DeliveryTask(item.claim, std::move(item.message)));
            ++queued;
        } catch (const apitask::QueueFullError&) {
            kLog.Warn("worker pool full, outbox mail retried later", {{"id", item.claim.id}});
        }
    }
    if (queued > 0) {
        kLog.Info("outbox: retrying mails", {{"queued", queued}});
    }
    return queued;
}

void Outbox::Start() {
    if (options_.longest_send >= options_.lease) {
        kLog.Warn(
            "GOTRUE_MAILER_OUTBOX_LEASE is not longer than the longest SMTP send; leases are "
            "renewed while a send runs, but a renewal that fails (database unreachable) can let a "
            "sweep send that mail twice",
            {{"lease_ms", static_cast<long long>(options_.lease.count())},
             {"longest_send_ms", static_cast<long long>(options_.longest_send.count())}}
        );
    }
    renewer_ = std::jthread([this](const std::stop_token& stop) {
        const auto interval = RenewInterval(options_.lease);
        std::mutex renew_mutex;
        std::condition_variable_any renew_wake;
        while (!stop.stop_requested()) {
            std::unique_lock lock(renew_mutex);
            renew_wake.wait_for(lock, stop, interval, [] { return false; });
            lock.unlock();
            if (stop.stop_requested()) {
                break;
            }
            try {
                static_cast<void>(RenewHeldLeases());
            } catch (const std::exception& error) {
                kLog.Warn("outbox lease renewal failed", {{"error", error.what()}});
            }
        }
    });
    sweeper_ = std::jthread([this](const std::stop_token& stop) {
        while (!stop.stop_requested()) {
            try {
                static_cast<void>(Sweep());
            } catch (const std::exception& error) {
                kLog.Warn("outbox sweep failed", {{"error", error.what()}});
            }
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, options_.sweep_interval, [] { return false; });
        }
    });
}

void Outbox::Stop() {
    if (sweeper_.joinable()) {
        sweeper_.request_stop();
        wake_.notify_all();
        sweeper_.join();
    }
}

void OutboxClient::Send(const apitask::Context& context, const mailer::Message& message) {
    Claim claim;
    try {
        claim = outbox_.Store(message, context.RequestId());
    } catch (const std::exception& error) {
        // Without the outbox row the mail cannot be promised: the request fails like a sync send.
        throw mailer::SendError(
            mailer::FailureKind::kTransient, std::string("outbox: ") + error.what()
        );
    }
    auto task = outbox_.DeliveryTask(claim, message);
    if (mode_ == Mode::kPool) {
        try {
            pool_.Enqueue(context, std::move(task));
        } catch (const apitask::QueueFullError&) {
            // Stored: a sweep sends it when the lease runs out. The request need not fail.
            kLog.Warn(
                "worker pool full, mail left to the outbox",
                {{"id", claim.id}, {"request_id", context.RequestId()}}
            );
        }
        return;
    }
    // Request-scoped: an apitask on the request's worker (inline when the context has none). A
    // failure is already recorded in the outbox and retried; the request does not fail for it.
    try {
        static_cast<void>(apitask::Run(context, std::move(task)));
    } catch (const apitask::QueueFullError&) {
        kLog.Warn(
            "worker pool full, mail left to the outbox",
            {{"id", claim.id}, {"request_id", context.RequestId()}}
        );
    }
}

}  // namespace gotrue::outbox
