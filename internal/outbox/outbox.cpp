#include "outbox/outbox.hpp"

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>

#include "logs/logs.hpp"
#include "mailer/smtp_client.hpp"
#include "outbox/intent_json.hpp"
#include "storage/transaction.hpp"

namespace gotrue::outbox {
namespace {

constexpr logs::Logger kLog{"outbox"};

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

std::chrono::milliseconds ListenBackoff(int failures) {
    const int doublings = std::clamp(failures - 1, 0, 6);
    return std::min(std::chrono::milliseconds(100LL << doublings), std::chrono::milliseconds(5000));
}

OutboxSummary Summary(storage::Database& database) {
    return storage::WithTransaction(database, [](pqxx::work& tx) {
        return models::CountOutboxMails(tx);
    });
}

Outbox::Outbox(
    storage::Database& database,
    mailer::IntentSender& sender,
    mailer::MailClient& transport,
    apitask::WorkerPool& pool,
    OutboxOptions options
)
    : database_(database),
      sender_(sender),
      transport_(transport),
      pool_(pool),
      options_(std::move(options)) {}

Outbox::~Outbox() {
    Stop();
    if (renewer_.joinable()) {
        renewer_.request_stop();
        renewer_.join();
    }
}

Claim Outbox::Enqueue(
    pqxx::transaction_base& tx, const mailer::MailIntent& intent, const std::string& request_id
) const {
    const std::string to = intent.input.to.empty() ? intent.input.email : intent.input.to;
    return models::InsertOutboxMail(
        tx,
        {std::string(mailer::InfoOf(intent.kind).type), to, IntentToJson(intent), request_id},
        options_.lease,
        options_.message_id_domain
    );
}

void Outbox::Dispatch(const apitask::Context& context, const Claim& claim, Payload payload) {
    auto task = DeliveryTask(claim, std::move(payload));
    try {
        if (options_.hand_off == HandOff::kPool) {
            pool_.Enqueue(context, std::move(task));
        } else {
            // On the request's worker (inline when the context has none); the response waits. A
            // failure is already recorded in the outbox and retried: the request does not fail.
            static_cast<void>(apitask::Run(context, std::move(task)));
        }
    } catch (const apitask::QueueFullError&) {
        // Stored and committed: any instance may send it now.
        kLog.Warn(
            "worker pool full, mail left to the outbox",
            {{"id", claim.id}, {"request_id", context.RequestId()}}
        );
        try {
            storage::WithTransaction(database_, [&claim](pqxx::work& tx) {
                models::ReleaseOutboxLease(tx, claim);
            });
        } catch (const std::exception& error) {
            kLog.Warn(
                "outbox lease not released, mail retried after its lease",
                {{"id", claim.id}, {"error", error.what()}}
            );
        }
    }
}

void Outbox::Fail(const Claim& claim, const std::string& type, const std::string& error) {
    const bool held = storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return models::MarkOutboxFailed(tx, claim, error);
    });
    if (held) {
        kLog.Error(
            "mail failed: refused permanently, kept in the outbox as failed",
            {{"id", claim.id}, {"mail_type", type}, {"error", error}}
        );
    }
}

void Outbox::Reschedule(const Claim& claim, const std::string& error) {
    const auto outcome = storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return models::RescheduleOutboxMail(
            tx, claim, error, {options_.retry_backoff, options_.max_age, options_.max_attempts}
        );
    });
    if (!outcome) {
        kLog.Warn(
            "mail failed after its lease was taken over, the new holder retries it",
            {{"id", claim.id}, {"error", error}}
        );
        return;
    }
    const std::string domain = mailer::DomainOf(outcome->recipient);
    if (outcome->dead) {
        kLog.Error(
            "mail given up (dead) after GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS or _MAX_AGE",
            {{"id", claim.id},
             {"mail_type", outcome->mail_type},
             {"to_domain", domain},
             {"attempts", outcome->attempts},
             {"error", error}}
        );
        return;
    }
    kLog.Warn(
        "mail kept in the outbox for a later retry",
        {{"mail_type", outcome->mail_type},
         {"to_domain", domain},
         {"attempts", outcome->attempts},
         {"retry_in_ms", outcome->retry_in_ms},
         {"error", error}}
    );
}

apitask::TaskResult Outbox::Deliver(
    const Claim& claim, const Payload& payload, const apitask::Context& context
) {
    const auto* intent = std::get_if<mailer::MailIntent>(&payload);
    const std::string type = intent != nullptr ? std::string(mailer::InfoOf(intent->kind).type)
                                               : std::get<mailer::Message>(payload).type;
    try {
        if (intent != nullptr) {
            sender_.Send(context, *intent, claim.message_id);
        } else {
            mailer::Message stamped = std::get<mailer::Message>(payload);
            if (!claim.message_id.empty()) {
                stamped.message_id = claim.message_id;
            }
            transport_.Send(context, stamped);
        }
    } catch (const mailer::SendError& error) {
        try {
            if (error.Kind() == mailer::FailureKind::kPermanent) {
                Fail(claim, type, error.what());
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
        const bool held = storage::WithTransaction(database_, [&claim](pqxx::work& tx) {
            return models::MarkOutboxSent(tx, claim);
        });
        if (!held) {
            // This send outlived its lease (a stalled process) and another claim took the row
            // over: that holder sends it too and marks the row.
            kLog.Error(
                "mail sent after its lease was taken over, it may be sent twice",
                {{"id", claim.id}, {"message_id", claim.message_id}}
            );
        }
    } catch (const std::exception& database_error) {
        // Delivered, but the row stays `sending`: a later retry would send it twice.
        kLog.Error(
            "mail sent but not marked sent in the outbox, it may be sent again",
            {{"id", claim.id}, {"message_id", claim.message_id}, {"error", database_error.what()}}
        );
    }
    return apitask::TaskResult::Ok();
}

std::unique_ptr<apitask::Task> Outbox::DeliveryTask(const Claim& claim, Payload payload) {
    const auto* intent = std::get_if<mailer::MailIntent>(&payload);
    const std::string type =
        "mailer." + (intent != nullptr ? std::string(mailer::InfoOf(intent->kind).type)
                                       : std::get<mailer::Message>(payload).type);
    // Held (and renewed) while the task waits and runs; released once the row is finished or
    // rescheduled, or when a full pool drops the task unrun.
    auto hold = std::make_shared<LeaseHold>(held_, claim.lease_token);
    return apitask::MakeTask(
        type,
        [this, claim, hold, payload = std::move(payload)](const apitask::Context& context) {
            auto result = Deliver(claim, payload, context);
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
        return static_cast<std::size_t>(models::RenewOutboxLeases(tx, options_.lease, tokens));
    });
}

std::size_t Outbox::Sweep() {
    struct Due {
        Claim claim;
        Payload payload;
        std::string request_id;
    };

    std::vector<Due> due;
    std::vector<std::pair<Claim, std::string>> unreadable;
    storage::WithTransaction(database_, [&](pqxx::work& tx) {
        static_cast<void>(models::DeleteFinishedOutboxMails(tx, options_.retention));
        for (auto& row : models::ClaimDueOutboxMails(tx, options_.lease, 100)) {
            if (row.intent_json.empty()) {  // a row of an earlier version: its rendered message
                due.push_back(Due{
                    row.claim,
                    mailer::Message{row.recipient, row.subject, row.html, row.mail_type},
                    row.request_id});
                continue;
            }
            try {
                due.push_back(Due{row.claim, IntentFromJson(row.intent_json), row.request_id});
            } catch (const BadIntentError& error) {
                unreadable.emplace_back(row.claim, error.what());
            }
        }
    });
    for (const auto& [claim, error] : unreadable) {
        Fail(claim, "unknown", error);
    }
    std::size_t queued = 0;
    for (auto& item : due) {
        // A short deadline: a full pool leaves the row claimed, and its lease brings it back.
        const apitask::Context context(
            item.request_id,
            std::chrono::steady_clock::now() + std::chrono::milliseconds(100),
            &pool_
        );
        try {
            pool_.Enqueue(context, DeliveryTask(item.claim, std::move(item.payload)));
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

void Outbox::WakeSweeper() {
    {
        const std::lock_guard lock(mutex_);
        wake_requested_ = true;
    }
    wake_.notify_all();
}

namespace {

// Calls `on_notify` for every NOTIFY on the outbox channel of its connection.
class Receiver final : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection_base& connection, std::function<void()> on_notify)
        : pqxx::notification_receiver(connection, std::string(models::kMailOutboxChannel)),
          on_notify_(std::move(on_notify)) {}

    void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { on_notify_(); }

private:
    std::function<void()> on_notify_;
};

}  // namespace

// A connection of its own (LISTEN holds it for good); a broken one is reopened with backoff, and
// the first sweep after a reconnect catches up on what was announced meanwhile.
void Outbox::Listen(const std::stop_token& stop) {
    int failures = 0;
    std::mutex sleep_mutex;
    std::condition_variable_any sleep;
    while (!stop.stop_requested()) {
        try {
            auto connection = database_.OpenConnection();
            const Receiver receiver(*connection, [this] { WakeSweeper(); });
            if (failures > 0) {
                kLog.Info("outbox LISTEN connection restored", {{"failures", failures}});
                WakeSweeper();
            }
            failures = 0;
            while (!stop.stop_requested()) {
                static_cast<void>(connection->await_notification(0, 200000));
            }
        } catch (const std::exception& error) {
            ++failures;
            const auto backoff = ListenBackoff(failures);
            kLog.Warn(
                "outbox LISTEN connection lost, polling only until it is back",
                {{"error", error.what()}, {"retry_in_ms", static_cast<long long>(backoff.count())}}
            );
            std::unique_lock lock(sleep_mutex);
            sleep.wait_for(lock, stop, backoff, [] { return false; });
        }
    }
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
    listener_ = std::jthread([this](const std::stop_token& stop) { Listen(stop); });
    sweeper_ = std::jthread([this](const std::stop_token& stop) {
        while (!stop.stop_requested()) {
            try {
                static_cast<void>(Sweep());
            } catch (const std::exception& error) {
                kLog.Warn("outbox sweep failed", {{"error", error.what()}});
            }
            // Until the interval passed or a NOTIFY asked for a sweep now.
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, options_.sweep_interval, [this] { return wake_requested_; });
            wake_requested_ = false;
        }
    });
}

void Outbox::Stop() {
    if (sweeper_.joinable()) {
        sweeper_.request_stop();
        wake_.notify_all();
        sweeper_.join();
    }
    if (listener_.joinable()) {
        listener_.request_stop();
        listener_.join();
    }
}

}  // namespace gotrue::outbox
