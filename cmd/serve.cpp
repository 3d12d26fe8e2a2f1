// The composition root: builds every object in order, serves, drains on SIGTERM.

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "api/api.hpp"
#include "api/services/send_email_hook.hpp"
#include "apitask/worker_pool.hpp"
#include "cmd/commands.hpp"
#include "cmd/metrics.hpp"
#include "crypto/password_hasher.hpp"
#include "http/server.hpp"
#include "logs/logs.hpp"
#include "mailer/mailer.hpp"
#include "mailer/observed_client.hpp"
#include "mailer/rendering_sender.hpp"
#include "metrics/metrics.hpp"
#include "outbox/outbox.hpp"
#include "storage/database.hpp"
#include "storage/migration.hpp"
#include "storage/migrator.hpp"

namespace gotrue::cmd {
namespace {

constexpr logs::Logger kLog{"serve"};

sigset_t TerminationSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    return signals;
}

const char* SignalName(int signal) {
    switch (signal) {
        case SIGTERM:
            return "SIGTERM";
        case SIGINT:
            return "SIGINT";
        case SIGHUP:
            return "SIGHUP";
        default:
            return "signal";
    }
}

// Waits up to `timeout` for a termination signal; 0 when none came.
int WaitForSignal(std::chrono::milliseconds timeout) {
    const sigset_t signals = TerminationSignals();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec wait{
        static_cast<time_t>(seconds.count()),
        static_cast<long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(timeout - seconds).count()
        ),
    };
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    return signal > 0 ? signal : 0;
}

// Exits without running destructors: threads may still hold the objects they would destroy.
[[noreturn]] void ForceExit(int status) {
    logs::Flush();
    std::_Exit(status);
}

// Connects (retrying as configured) and refuses a schema with pending migrations.
bool ConnectMigrated(storage::Database& database, const conf::Config& config) {
    try {
        database.Connect();
        auto lease = database.Acquire();
        storage::Migrator migrator(
            lease.Connection(), config.db.name_space, storage::EmbeddedMigrations()
        );
        const auto pending = migrator.Pending();
        if (!pending.empty()) {
            kLog.Error(
                "database is not migrated: run `gotrue migrate` first",
                {{"pending", pending.size()},
                 {"first_pending", pending.front().name},
                 {"namespace", config.db.name_space}}
            );
            return false;
        }
    } catch (const std::exception& error) {
        kLog.Error("cannot start", {{"error", error.what()}});
        return false;
    }
    return true;
}

// The pool that executes the side work of requests (apitask): request-scoped tasks and, with
// GOTRUE_WORKER_ENABLED, fire-and-forget ones. Separate from the HTTP handler threads.
apitask::PoolOptions TaskPoolOptions(const conf::Config& config) {
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    return apitask::PoolOptions{
        static_cast<std::size_t>(cpus) * static_cast<std::size_t>(config.worker.count_per_cpu),
        static_cast<std::size_t>(config.worker.queue_size),
    };
}

// In a background mode the outbox (auth.mail_outbox) stores every mail in its request's
// transaction and delivers it through `sender`, so a failing relay or a crash delays a mail
// instead of losing it. Null in synchronous mode.
std::unique_ptr<outbox::Outbox> MakeOutbox(
    const conf::Config& config,
    storage::Database& database,
    apitask::WorkerPool& tasks,
    mailer::IntentSender& sender,
    mailer::MailClient& transport
) {
    if (!config.worker.enabled && !config.mailer.email_background_sending) {
        return nullptr;
    }
    return std::make_unique<outbox::Outbox>(
        database,
        sender,
        transport,
        tasks,
        outbox::OutboxOptions{
            config.mailer.outbox_sweep_interval,
            config.mailer.outbox_retry_backoff,
            config.mailer.outbox_lease,
            config.mailer.outbox_max_age,
            outbox::MessageIdDomain(config.smtp.admin_email, config.site_url),
            outbox::LongestSmtpSend(config.smtp),
            config.mailer.outbox_max_attempts,
            config.mailer.outbox_retention,
            config.worker.enabled ? outbox::HandOff::kPool : outbox::HandOff::kRequestScoped,
        }
    );
}

// Fetches custom templates now (a bad one is reported at startup) and starts the outbox
// sweeper, which also resends what a previous run left behind.
void StartMail(mailer::Mailer& mail, outbox::Outbox* mail_outbox) {
    mail.Preload();
    if (mail_outbox != nullptr) {
        mail_outbox->Start();
    }
}

http::Server MakeServer(const conf::Config& config, const api::Api& api) {
    return http::Server(
        config.api, [&api](http::Request& request) { return api.Handle(request); }, api.Lane()
    );
}

// Binds the port; false (logged) when it cannot. The startup line names the capacity the
// server runs with (README "Threading model": how the defaults follow the CPUs).
bool Listen(http::Server& server, const conf::Config& config, const apitask::WorkerPool& tasks) {
    try {
        server.Start();
    } catch (const std::exception& error) {
        kLog.Error(
            "cannot listen",
            {{"host", config.api.host}, {"port", config.api.port}, {"error", error.what()}}
        );
        return false;
    }
    kLog.Info(
        "GoTrue API started",
        {{"version", GOTRUE_VERSION},
         {"host", config.api.host.empty() ? "0.0.0.0" : config.api.host},
         {"port", server.Port()},
         {"url",
          "http://" + (config.api.host.empty() ? "localhost" : config.api.host) + ":" +
              std::to_string(server.Port())},
         {"cpus", std::max(1U, std::thread::hardware_concurrency())},
         {"handler_threads", server.Stats().handler_threads},
         {"hashing_threads", server.Stats().hashing_threads},
         {"hash_concurrency",
          crypto::HasherLimits::ForCpus(config.password.hash_concurrency).concurrency},
         {"task_threads", tasks.Threads()},
         {"smtp_max_connections", config.smtp.max_connections}}
    );
    return true;
}

// Blocks until SIGTERM, SIGINT or SIGHUP; returns it.
int WaitForTermination() {
    int signal = 0;
    while (signal == 0) {
        signal = WaitForSignal(std::chrono::hours(1));
    }
    return signal;
}

// Waits for in-flight requests, in steps so a second signal can cut it short; exits the
// process when the deadline passes or a second signal comes.
void DrainRequests(http::Server& server, const conf::Config& config, int signal) {
    kLog.Info(
        "shutting down: draining in-flight requests",
        {{"signal", SignalName(signal)},
         {"in_flight", server.InFlight()},
         {"timeout_ms", config.api.shutdown_timeout.count()}}
    );
    const auto deadline = std::chrono::steady_clock::now() + config.api.shutdown_timeout;
    bool drained = false;
    while (!drained) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        if (left.count() <= 0) {
            kLog.Error(
                "shutdown deadline passed, exiting with requests in flight",
                {{"in_flight", server.InFlight()}}
            );
            ForceExit(1);
        }
        drained = server.Drain(std::min(left, std::chrono::milliseconds(100)));
        if (!drained) {
            if (const int again = WaitForSignal(std::chrono::milliseconds(0)); again != 0) {
                kLog.Warn(
                    "second signal, exiting now",
                    {{"signal", SignalName(again)}, {"in_flight", server.InFlight()}}
                );
                ForceExit(1);
            }
        }
    }
}

// Stops the outbox sweeper (no new retries) and gives what is queued or still running
// (detached at a request deadline, fire-and-forget mail) GOTRUE_WORKER_SHUTDOWN_DURATION to
// finish, before the objects it uses go away. Drain logs anything unfinished; false then.
bool StopBackgroundWork(
    outbox::Outbox* mail_outbox, apitask::WorkerPool& tasks, const conf::Config& config
) {
    if (mail_outbox != nullptr) {
        mail_outbox->Stop();
    }
    return tasks.Drain(config.worker.shutdown_duration).complete;
}

// The registry when GOTRUE_METRICS_ENABLED, else null (nothing is measured or served).
std::unique_ptr<metrics::Metrics> MakeMetrics(const conf::Config& config) {
    return config.metrics.enabled ? std::make_unique<metrics::Metrics>() : nullptr;
}

// The configured transport, its sends counted when metrics are on.
std::unique_ptr<mailer::MailClient> MailTransport(
    const conf::Config& config, metrics::Metrics* measured
) {
    auto transport = mailer::ConfiguredTransport(config);
    if (measured == nullptr) {
        return transport;
    }
    return std::make_unique<mailer::ObservedClient>(
        std::move(transport),
        [measured](const mailer::Message& message, mailer::SendOutcome outcome) {
            measured->ObserveMailSend(message.type, mailer::OutcomeName(outcome));
        }
    );
}

http::RequestObserver ObserveRequests(metrics::Metrics* measured) {
    if (measured == nullptr) {
        return nullptr;
    }
    return [measured](const http::RequestRecord& record) {
        measured->ObserveRequest(record.method, record.route, record.status, record.duration);
    };
}

// Registers what is read at scrape time and binds the metrics listener; null when metrics are
// off. Throws metrics::ListenError (logged by the caller) when the port cannot be bound.
std::unique_ptr<metrics::Metrics::Listener> ServeMetrics(
    const conf::Config& config, metrics::Metrics* measured, const Measured& objects
) {
    if (measured == nullptr) {
        return nullptr;
    }
    RegisterCollectors(*measured, objects);
    RegisterOutboxDepth(*measured, objects.database);
    auto listener =
        measured->Listen(config.metrics.prometheus_host, config.metrics.prometheus_port);
    kLog.Info(
        "prometheus metrics listening",
        {{"host", config.metrics.prometheus_host}, {"port", listener->Port()}, {"path", "/metrics"}}
    );
    return listener;
}

}  // namespace

void BlockTerminationSignals() {
    const sigset_t signals = TerminationSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server
}

// The objects are declared in dependency order, so they are destroyed in reverse: the outbox
// before the sender and mailer it sends through, the pool after all (it is drained before any
// goes).
int Serve(const conf::Config& config) {
    storage::Database database(config.db);
    if (!ConnectMigrated(database, config)) {
        return 1;
    }
    const auto measured = MakeMetrics(config);
    apitask::WorkerPool tasks(TaskPoolOptions(config));
    mailer::Mailer mail(config, tasks, MailTransport(config, measured.get()));
    // How the outbox delivers a stored mail: to the send-email hook when it is enabled, else
    // rendered from the templates and sent over SMTP.
    mailer::RenderingSender smtp_sender(mail.Templates(), mail.Transport());
    std::unique_ptr<api::SendEmailHook> send_email_hook;
    if (config.hook.send_email.enabled) {
        send_email_hook = std::make_unique<api::SendEmailHook>(config, database);
    }
    mailer::IntentSender& sender = send_email_hook
                                       ? static_cast<mailer::IntentSender&>(*send_email_hook)
                                       : static_cast<mailer::IntentSender&>(smtp_sender);
    const std::unique_ptr<outbox::Outbox> mail_outbox =
        MakeOutbox(config, database, tasks, sender, mail.Transport());
    StartMail(mail, mail_outbox.get());
    const api::Api api(
        {config,
         GOTRUE_VERSION,
         tasks,
         database,
         mail.Templates(),
         ObserveRequests(measured.get()),
         mail_outbox.get()}
    );
    http::Server server = MakeServer(config, api);
    std::unique_ptr<metrics::Metrics::Listener> metrics_listener;
    try {
        metrics_listener = ServeMetrics(config, measured.get(), {tasks, database, api, server});
    } catch (const std::exception& error) {
        kLog.Error("cannot serve metrics", {{"error", error.what()}});
        static_cast<void>(StopBackgroundWork(mail_outbox.get(), tasks, config));
        return 1;
    }
    if (!Listen(server, config, tasks)) {
        static_cast<void>(StopBackgroundWork(mail_outbox.get(), tasks, config));
        return 1;
    }

    DrainRequests(server, config, WaitForTermination());
    metrics_listener.reset();  // no scrape reads what shutdown stops next
    server.Stop();
    if (!StopBackgroundWork(mail_outbox.get(), tasks, config)) {
        kLog.Error("shutdown: background tasks unfinished, exiting");
        ForceExit(1);
    }
    kLog.Info("shutdown complete");
    return 0;
}

}  // namespace gotrue::cmd
