// The composition root: builds every object in order, serves, drains on SIGTERM.

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/api.hpp"
#include "apitask/worker_pool.hpp"
#include "cmd/commands.hpp"
#include "http/server.hpp"
#include "mailer/mailer.hpp"
#include "observability/logging.hpp"
#include "outbox/outbox.hpp"
#include "storage/database.hpp"
#include "storage/migration.hpp"
#include "storage/migrator.hpp"

namespace gotrue::cmd {
namespace {

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
    spdlog::default_logger()->flush();
    std::_Exit(status);
}

}  // namespace

void BlockTerminationSignals() {
    const sigset_t signals = TerminationSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server
}

int Serve(const conf::Config& config) {
    storage::Database database(config.db);
    try {
        database.Connect();
        auto lease = database.Acquire();
        storage::Migrator migrator(
            lease.Connection(), config.db.name_space, storage::EmbeddedMigrations()
        );
        const auto pending = migrator.Pending();
        if (!pending.empty()) {
            spdlog::error(
                "database is not migrated: run `gotrue migrate` first component=serve pending={} "
                "first_pending={} namespace={}",
                pending.size(),
                pending.front().name,
                config.db.name_space
            );
            return 1;
        }
    } catch (const std::exception& error) {
        spdlog::error("cannot start component=serve error={}", observability::Quote(error.what()));
        return 1;
    }

    // Executes the side work of requests (apitask): request-scoped tasks and, with
    // GOTRUE_WORKER_ENABLED, fire-and-forget ones. Separate from the HTTP handler threads.
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    apitask::WorkerPool tasks(apitask::PoolOptions{
        static_cast<std::size_t>(cpus) * static_cast<std::size_t>(config.worker.count_per_cpu),
        static_cast<std::size_t>(config.worker.queue_size),
    });
    // The mail chain (templating -> validation -> [background] -> SMTP or noop); it is built
    // after the pool it may hand sends to, and the pool is drained before either goes away.
    // Background sends go through the durable outbox (auth.mail_outbox): a failing relay or a
    // crash delays a mail instead of losing it.
    std::unique_ptr<outbox::Outbox> mail_outbox;
    const auto durable = [&](mailer::MailClient& transport) -> std::unique_ptr<mailer::MailClient> {
        mail_outbox = std::make_unique<outbox::Outbox>(
            database,
            transport,
            tasks,
            outbox::OutboxOptions{
                config.mailer.outbox_sweep_interval,
                config.mailer.outbox_retry_backoff,
                config.mailer.outbox_lease,
                config.mailer.outbox_max_age,
            }
        );
        return std::make_unique<outbox::OutboxClient>(
            *mail_outbox,
            config.worker.enabled ? outbox::OutboxClient::Mode::kPool
                                  : outbox::OutboxClient::Mode::kRequestScoped,
            tasks
        );
    };
    mailer::Mailer mail(config, tasks, nullptr, durable);
    mail.Preload();
    if (mail_outbox) {
        mail_outbox->Start();  // also resends what a previous run left behind
    }
    const api::Api api({config, GOTRUE_VERSION, tasks, database, mail.Templates()});
    http::Server server(
        config.api, [&api](http::Request& request) { return api.Handle(request); }, api.Lane()
    );
    try {
        server.Start();
    } catch (const std::exception& error) {
        spdlog::error(
            "cannot listen component=serve host={} port={} error={}",
            observability::Quote(config.api.host),
            config.api.port,
            observability::Quote(error.what())
        );
        // The sweeper may already have queued resends that use the outbox: finish them before
        // the objects they use go away.
        if (mail_outbox) {
            mail_outbox->Stop();
        }
        static_cast<void>(tasks.Drain(config.worker.shutdown_duration));
        return 1;
    }
    spdlog::info(
        "GoTrue API started component=serve version={} host={} port={} url=http://{}:{}",
        GOTRUE_VERSION,
        observability::Quote(config.api.host.empty() ? "0.0.0.0" : config.api.host),
        server.Port(),
        config.api.host.empty() ? "localhost" : config.api.host,
        server.Port()
    );

    int signal = 0;
    while (signal == 0) {
        signal = WaitForSignal(std::chrono::hours(1));
    }
    spdlog::info(
        "shutting down: draining in-flight requests component=serve signal={} in_flight={} "
        "timeout_ms={}",
        SignalName(signal),
        server.InFlight(),
        config.api.shutdown_timeout.count()
    );

    // Drain in steps so a second signal can cut it short.
    const auto deadline = std::chrono::steady_clock::now() + config.api.shutdown_timeout;
    bool drained = false;
    while (!drained) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        if (left.count() <= 0) {
            spdlog::error(
                "shutdown deadline passed, exiting with requests in flight component=serve "
                "in_flight={}",
                server.InFlight()
            );
            ForceExit(1);
        }
        drained = server.Drain(std::min(left, std::chrono::milliseconds(100)));
        if (!drained) {
            if (const int again = WaitForSignal(std::chrono::milliseconds(0)); again != 0) {
                spdlog::warn(
                    "second signal, exiting now component=serve signal={} in_flight={}",
                    SignalName(again),
                    server.InFlight()
                );
                ForceExit(1);
            }
        }
    }
    server.Stop();
    if (mail_outbox) {
        mail_outbox->Stop();  // no new retries; what is queued is drained below
    }
    // Requests are done; what they left running (detached at their deadline, fire-and-forget
    // mail) gets GOTRUE_WORKER_SHUTDOWN_DURATION to finish. Drain logs anything unfinished.
    const auto report = tasks.Drain(config.worker.shutdown_duration);
    if (!report.complete) {
        spdlog::error("shutdown: background tasks unfinished, exiting component=serve");
        ForceExit(1);
    }
    spdlog::info("shutdown complete component=serve");
    return 0;
}

}  // namespace gotrue::cmd
