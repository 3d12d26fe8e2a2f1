#include "outbox/outbox.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "logs/logs.hpp"
#include "storage/transaction.hpp"

namespace gotrue::outbox {
namespace {

constexpr logs::Logger kLog{"outbox"};

// $6: the lease in milliseconds; the row is not swept before it runs out.
constexpr std::string_view kInsertMail = R"sql(
INSERT INTO mail_outbox (mail_type, recipient, subject, html, request_id, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, now() + ($6 || ' milliseconds')::interval)
RETURNING id
)sql";

constexpr std::string_view kDeleteMail = R"sql(DELETE FROM mail_outbox WHERE id = $1)sql";

// $3 retry_backoff and $4 max_age in milliseconds: the next attempt after retry_backoff doubled
// per attempt (at most an hour); expired when the mail is older than max_age.
constexpr std::string_view kRescheduleMail = R"sql(
UPDATE mail_outbox
   SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + (LEAST(3600000, $3::bigint * power(2, LEAST(attempts, 20)))
                                  || ' milliseconds')::interval
 WHERE id = $1
RETURNING attempts, created_at < now() - ($4 || ' milliseconds')::interval AS expired,
          mail_type, recipient,
          (extract(epoch from next_attempt_at - now()) * 1000)::bigint AS retry_in_ms
)sql";

// Claims up to 100 due mails for one lease ($1 milliseconds); rows other sweepers hold are
// skipped.
constexpr std::string_view kClaimDueMails = R"sql(
UPDATE mail_outbox
   SET next_attempt_at = now() + ($1 || ' milliseconds')::interval
 WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= now() ORDER BY id LIMIT 100
              FOR UPDATE SKIP LOCKED)
RETURNING id, mail_type, recipient, subject, html, request_id
)sql";

std::string DomainOf(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : address.substr(at + 1);
}

}  // namespace

Outbox::Outbox(
    storage::Database& database,
    mailer::MailClient& transport,
    apitask::WorkerPool& pool,
    OutboxOptions options
)
    : database_(database), transport_(transport), pool_(pool), options_(options) {}

Outbox::~Outbox() {
    Stop();
}

long long Outbox::Store(const mailer::Message& message, const std::string& request_id) {
    return storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return tx
            .exec_params1(
                std::string(kInsertMail),
                message.type,
                message.to,
                message.subject,
                message.html,
                request_id,
                std::to_string(options_.lease.count())
            )["id"]
            .as<long long>();
    });
}

void Outbox::Remove(long long id) {
    storage::WithTransaction(database_, [id](pqxx::work& tx) {
        tx.exec_params0(std::string(kDeleteMail), id);
    });
}

void Outbox::Reschedule(long long id, const std::string& error) {
    // Doubling from retry_backoff, at most an hour; a mail past max_age is given up.
    const auto row = storage::WithTransaction(database_, [&](pqxx::work& tx) {
        return tx.exec_params1(
            std::string(kRescheduleMail),
            id,
            error.substr(0, 1000),
            static_cast<long long>(options_.retry_backoff.count()),
            std::to_string(options_.max_age.count())
        );
    });
    const int attempts = row["attempts"].as<int>();
    const bool expired = row["expired"].as<bool>();
    const std::string type = row["mail_type"].as<std::string>();
    const std::string domain = DomainOf(row["recipient"].as<std::string>());
    if (expired) {
        Remove(id);
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
    long long id, const mailer::Message& message, const apitask::Context& context
) {
    try {
        transport_.Send(context, message);
    } catch (const mailer::SendError& error) {
        try {
            if (error.Kind() == mailer::FailureKind::kPermanent) {
                Remove(id);
                kLog.Error(
                    "mail dropped: the relay refused it permanently",
                    {{"mail_type", message.type},
                     {"to_domain", DomainOf(message.to)},
                     {"request_id", context.RequestId()},
                     {"error", error.what()}}
                );
            } else {
                Reschedule(id, error.what());
            }
        } catch (const std::exception& database_error) {
            // The row stays leased; a sweep retries it when the lease runs out.
            kLog.Error(
                "outbox update failed, mail retried after its lease",
                {{"id", id}, {"error", database_error.what()}}
            );
        }
        return apitask::TaskResult::Failure(error.what());
    }
    try {
        Remove(id);
    } catch (const std::exception& database_error) {
        // Delivered, but the row stays: a later retry would send it twice. Logged for operators.
        kLog.Error(
            "mail sent but not removed from the outbox, it may be sent again",
            {{"id", id}, {"error", database_error.what()}}
        );
    }
    return apitask::TaskResult::Ok();
}

std::unique_ptr<apitask::Task> Outbox::DeliveryTask(long long id, mailer::Message message) {
    const std::string type = "mailer." + message.type;
    return apitask::MakeTask(
        type,
        [this, id, message = std::move(message)](const apitask::Context& context) {
            return Deliver(id, message, context);
        }
    );
}

std::size_t Outbox::Sweep() {
    struct Due {
        long long id;
        mailer::Message message;
        std::string request_id;
    };

    std::vector<Due> due;
    storage::WithTransaction(database_, [&](pqxx::work& tx) {
        const auto rows =
            tx.exec_params(std::string(kClaimDueMails), std::to_string(options_.lease.count()));
        for (const auto& row : rows) {
            due.push_back(Due{
                row["id"].as<long long>(),
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
            pool_.Enqueue(context, DeliveryTask(item.id, std::move(item.message)));
            ++queued;
        } catch (const apitask::QueueFullError&) {
            kLog.Warn("worker pool full, outbox mail retried later", {{"id", item.id}});
        }
    }
    if (queued > 0) {
        kLog.Info("outbox: retrying mails", {{"queued", queued}});
    }
    return queued;
}

void Outbox::Start() {
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
    long long id = 0;
    try {
        id = outbox_.Store(message, context.RequestId());
    } catch (const std::exception& error) {
        // Without the outbox row the mail cannot be promised: the request fails like a sync send.
        throw mailer::SendError(
            mailer::FailureKind::kTransient, std::string("outbox: ") + error.what()
        );
    }
    auto task = outbox_.DeliveryTask(id, message);
    if (mode_ == Mode::kPool) {
        try {
            pool_.Enqueue(context, std::move(task));
        } catch (const apitask::QueueFullError&) {
            // Stored: a sweep sends it when the lease runs out. The request need not fail.
            kLog.Warn(
                "worker pool full, mail left to the outbox",
                {{"id", id}, {"request_id", context.RequestId()}}
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
            {{"id", id}, {"request_id", context.RequestId()}}
        );
    }
}

}  // namespace gotrue::outbox
