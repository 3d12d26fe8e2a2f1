// Background mail survives a relay that is down and a server that crashes (auth.mail_outbox),
// and a send slower than its lease is not started twice.

#include "outbox/outbox.hpp"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/worker_pool.hpp"
#include "mailer/mail_client.hpp"
#include "mailer/mail_intent.hpp"
#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "support/auth_server.hpp"
#include "support/fault_relay.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::FaultRelay;
using gotrue::testing::MailMode;
using gotrue::testing::ModeName;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

std::string Signup(const std::string& email) {
    return R"({"email":")" + email + R"(","password":"secret-123"})";
}

// How many lines of the fault relay's attempts.log start with `prefix`.
std::size_t CountLines(const std::string& log, const std::string& prefix) {
    std::size_t count = 0;
    for (std::size_t start = 0; start < log.size();) {
        const auto end = log.find('\n', start);
        if (log.compare(start, prefix.size(), prefix) == 0) {
            ++count;
        }
        start = end == std::string::npos ? log.size() : end + 1;
    }
    return count;
}

// A transport that records what it is given and, while closed, holds every send (a relay that
// takes as long as the test wants); `fail` makes the sends that follow fail transiently.
class GatedTransport final : public gotrue::mailer::MailClient,
                             public gotrue::mailer::IntentSender {
public:
    explicit GatedTransport(bool open) : open_(open) {}

    // An intent is "rendered" to its recipient, type and Message-ID.
    void Send(
        const gotrue::apitask::Context& context,
        const gotrue::mailer::MailIntent& intent,
        std::string_view message_id
    ) override {
        Send(
            context,
            gotrue::mailer::Message{
                intent.input.email,
                "",
                "",
                std::string(gotrue::mailer::InfoOf(intent.kind).type),
                std::string(message_id)}
        );
    }

    void Send(const gotrue::apitask::Context& /*context*/, const gotrue::mailer::Message& message)
        override {
        std::unique_lock lock(mutex_);
        ++started_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
        sent_.push_back(message);
        if (fail_) {
            throw gotrue::mailer::SendError(gotrue::mailer::FailureKind::kTransient, "451 later");
        }
    }

    void Open(bool fail = false) {
        const std::lock_guard lock(mutex_);
        open_ = true;
        fail_ = fail;
        changed_.notify_all();
    }

    void FailFromNowOn() { Open(true); }

    bool WaitStarted(int count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return started_ >= count; });
    }

    std::vector<gotrue::mailer::Message> Sent() {
        const std::lock_guard lock(mutex_);
        return sent_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_;
    bool fail_ = false;
    int started_ = 0;
    std::vector<gotrue::mailer::Message> sent_;
};

// Opens a transport when the scope ends, before a thread sending through it is joined.
struct OpenOnExit {
    explicit OpenOnExit(GatedTransport& transport) : transport_(transport) {}

    ~OpenOnExit() { transport_.Open(); }

    OpenOnExit(const OpenOnExit&) = delete;
    OpenOnExit& operator=(const OpenOnExit&) = delete;

private:
    GatedTransport& transport_;
};

// One server instance's outbox, in process, on a database `gotrue migrate` prepared. Nothing runs
// on its own unless Start() is called: the tests drive sweeps and renewals. Its transport is
// opened when it goes, so a failed check cannot leave the pool waiting on a held send.
struct Instance {
    Instance(const std::string& url, bool open, std::chrono::milliseconds lease)
        : transport(open),
          database(Config(url)),
          pool(gotrue::apitask::PoolOptions{2, 16}),
          outbox(
              database,
              transport,
              transport,
              pool,
              gotrue::outbox::OutboxOptions{
                  std::chrono::hours(1),
                  std::chrono::hours(1),
                  lease,
                  std::chrono::hours(24),
                  "example.com",
                  std::chrono::milliseconds(0)}
          ) {
        database.Connect();
    }

    ~Instance() { transport.Open(); }

    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    static gotrue::conf::DbConfig Config(const std::string& url) {
        gotrue::conf::DbConfig config;
        config.url = url;
        config.max_pool_size = 2;
        return config;
    }

    GatedTransport transport;
    gotrue::storage::Database database;
    gotrue::apitask::WorkerPool pool;
    gotrue::outbox::Outbox outbox;
};

struct MigratedScratch {
    MigratedScratch() {
        using gotrue::testing::BaseEnvironment;
        REQUIRE(
            gotrue::testing::RunGotrue(
                {"migrate"}, BaseEnvironment(scratch.Url(), gotrue::testing::FreePort())
            )
                .exit_code == 0
        );
    }

    [[nodiscard]] std::string Row(const std::string& columns) const {
        return scratch.Scalar("SELECT " + columns + " FROM auth.mail_outbox");
    }

    gotrue::testing::ScratchDatabase scratch;
};

// Two instances on one migrated database, each sending through a transport of its own, which
// starts open (sends at once) or closed (holds every send until opened).
struct TwoInstances {
    TwoInstances(bool first_open, bool second_open, std::chrono::milliseconds lease)
        : first(db.scratch.Url(), first_open, lease),
          second(db.scratch.Url(), second_open, lease) {}

    MigratedScratch db;
    Instance first;
    Instance second;
};

gotrue::mailer::MailIntent Intent() {
    gotrue::mailer::MailIntent intent;
    intent.kind = gotrue::mailer::MailKind::kConfirmation;
    intent.input.email = "someone@example.org";
    intent.input.token = "123456";
    return intent;
}

// Stores Intent() as a request's transaction would.
gotrue::outbox::Claim Store(Instance& instance) {
    return gotrue::storage::WithTransaction(instance.database, [&](pqxx::work& tx) {
        return instance.outbox.Enqueue(tx, Intent(), "request-1");
    });
}

// Rows not (yet) sent: 0 once every mail went out.
const std::string kUnsent = "SELECT count(*) FROM auth.mail_outbox WHERE state <> 'sent'";

}  // namespace

TEST_SUITE("outbox") {
    TEST_CASE(
        "a relay that is down: the mail waits in the outbox and goes out when the relay is back"
    ) {
        for (const MailMode mode : {MailMode::kRequestScoped, MailMode::kPool}) {
            CAPTURE(ModeName(mode));
            const int relay_port = gotrue::testing::FreePort();
            AuthServer server(
                mode,
                {{"GOTRUE_SMTP_PORT", std::to_string(relay_port)},
                 {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"},
                 {"GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF", "200ms"}}
            );
            const std::string email = UniqueEmail("outbox-down");
            REQUIRE(server.Post("/signup", Signup(email)).status == 200);
            REQUIRE(
                server.Database().WaitForScalar("SELECT attempts >= 1 FROM auth.mail_outbox", "t")
            );
            CHECK(
                server.Database().Scalar("SELECT mail_type FROM auth.mail_outbox") == "confirmation"
            );
            CHECK_FALSE(server.Database().Scalar("SELECT last_error FROM auth.mail_outbox").empty()
            );

            const FaultRelay relay({}, relay_port);  // the relay comes back
            const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(15));
            REQUIRE_MESSAGE(mails.size() == 1, server.Output());
            CHECK(mails.front().Header("Subject") == "Confirm your email address");
            CHECK(server.Database().WaitForScalar(kUnsent, "0"));
            CHECK(
                server.Output().find("mail kept in the outbox for a later retry") !=
                std::string::npos
            );
        }
    }

    TEST_CASE("a crash with mail still in the outbox: the next start delivers it, once") {
        const int relay_port = gotrue::testing::FreePort();
        AuthServer server(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay_port)},
             {"GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF", "1s"},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
        );
        const std::string email = UniqueEmail("outbox-crash");
        REQUIRE(server.Post("/signup", Signup(email)).status == 200);
        REQUIRE(server.Database().WaitForScalar("SELECT attempts >= 1 FROM auth.mail_outbox", "t"));
        server.Process().Signal(SIGKILL);  // the relay is down and the server dies
        static_cast<void>(server.Process().WaitExit(std::chrono::seconds(5)));
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.mail_outbox") == "1");

        const FaultRelay relay({}, relay_port);
        gotrue::testing::GotrueProcess restarted({"serve"}, server.Env());
        REQUIRE(restarted.WaitReady());
        const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(20));
        REQUIRE_MESSAGE(mails.size() == 1, restarted.Output());
        CHECK(server.Database().WaitForScalar(kUnsent, "0"));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        CHECK(WaitForMail(relay.Maildir(), email, 2, std::chrono::milliseconds(0)).size() == 1);
    }

    TEST_CASE("a permanent refusal makes the mail failed with an error line, not retried") {
        FaultRelay relay({"--reject-rcpt"});
        AuthServer server(
            MailMode::kRequestScoped,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
        );
        REQUIRE(server.Post("/signup", Signup(UniqueEmail("outbox-550"))).status == 200);
        CHECK(server.Database().WaitForScalar("SELECT state FROM auth.mail_outbox", "failed"));
        CHECK(
            server.Output().find("mail failed: refused permanently, kept in the outbox as failed"
            ) != std::string::npos
        );
        std::this_thread::sleep_for(std::chrono::milliseconds(600));  // three sweeps
        CHECK(server.Database().Scalar("SELECT attempts FROM auth.mail_outbox") == "1");
        CHECK(relay.Count("rcpt ") == 1);
    }

    TEST_CASE("synchronous sending does not use the outbox") {
        AuthServer server(MailMode::kSync);
        REQUIRE(server.Post("/signup", Signup(UniqueEmail("outbox-sync"))).status == 200);
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.mail_outbox") == "0");
        CHECK(WaitForMail(gotrue::testing::SharedMaildir(), "outbox-sync", 1).size() >= 1);
    }

    TEST_CASE("a relay slower than the lease: every signup is mailed exactly once") {
        for (const MailMode mode : {MailMode::kPool, MailMode::kRequestScoped}) {
            CAPTURE(ModeName(mode));
            const FaultRelay relay({"--delay", "1.5"});
            // Pool mode: 10 workers for 20 mails, so half of them also wait in the queue longer
            // than a lease. Request-scoped: each response waits for its 1.5 s send.
            AuthServer server(
                mode,
                {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
                 {"GOTRUE_MAILER_OUTBOX_LEASE", "1s"},
                 {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "100ms"},
                 {"GOTRUE_WORKER_COUNT_PER_CPU", "5"}}
            );
            const int signups = mode == MailMode::kPool ? 20 : 3;
            std::vector<std::string> emails;
            for (int i = 0; i < signups; ++i) {
                emails.push_back(UniqueEmail("outbox-slow"));
                REQUIRE(server.Post("/signup", Signup(emails.back())).status == 200);
            }
            REQUIRE_MESSAGE(server.Database().WaitForScalar(kUnsent, "0"), server.Output());
            // A second send the sweeper started would still be at the relay: give it time.
            std::this_thread::sleep_for(std::chrono::milliseconds(1700));
            for (const auto& email : emails) {
                CAPTURE(email);
                CHECK(
                    WaitForMail(relay.Maildir(), email, 2, std::chrono::milliseconds(0)).size() == 1
                );
            }
            CHECK(CountLines(relay.Attempts(), "data ") == emails.size());
            CHECK(server.Output().find("outbox: retrying mails") == std::string::npos);
        }
    }

    TEST_CASE("a crash while the relay holds a send: delivered after the restart, from one row") {
        const FaultRelay relay({"--delay", "2"});
        AuthServer server(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_LEASE", "1s"},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "100ms"}}
        );
        const std::string email = UniqueEmail("outbox-midsend");
        REQUIRE(server.Post("/signup", Signup(email)).status == 200);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (CountLines(relay.Attempts(), "data ") == 0 &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        REQUIRE(CountLines(relay.Attempts(), "data ") == 1);  // the relay sits on the DATA
        const std::string row = "SELECT message_id || ' ' || lease_token FROM auth.mail_outbox";
        const std::string before = server.Database().Scalar(row);
        const std::string message_id = before.substr(0, before.find(' '));
        CHECK(message_id.rfind("<outbox.", 0) == 0);
        CHECK(message_id.size() == std::string("<outbox.@example.com>").size() + 36);
        CHECK(message_id.substr(message_id.size() - 13) == "@example.com>");
        server.Process().Signal(SIGKILL);
        static_cast<void>(server.Process().WaitExit(std::chrono::seconds(5)));
        REQUIRE(server.Database().Scalar("SELECT count(*) FROM auth.mail_outbox") == "1");

        gotrue::testing::GotrueProcess restarted({"serve"}, server.Env());
        REQUIRE(restarted.WaitReady());
        // The new start claims the row once the dead holder's lease ran out: a new lease token,
        // the same Message-ID.
        CHECK(server.Database().WaitForScalar(
            "SELECT lease_token::text <> '" + before.substr(before.find(' ') + 1) +
                "' AND message_id = '" + message_id + "' FROM auth.mail_outbox",
            "t"
        ));
        const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(15));
        REQUIRE_MESSAGE(!mails.empty(), restarted.Output());
        CHECK(server.Database().WaitForScalar(kUnsent, "0"));
        // At most the killed send, if the relay still accepted it, and the one after the restart.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const auto delivered = WaitForMail(relay.Maildir(), email, 3, std::chrono::milliseconds(0));
        CHECK(delivered.size() <= 2);
        for (const auto& mail : delivered) {  // a duplicate is recognisable as one
            CHECK(mail.Header("Message-ID") == message_id);
        }
    }

    TEST_CASE("a sender whose lease another instance took over leaves the row to that instance") {
        TwoInstances setup(true, false, std::chrono::seconds(5));
        const MigratedScratch& db = setup.db;
        Instance& stale = setup.first;
        Instance& taker = setup.second;

        const auto claim = Store(stale);
        auto task = stale.outbox.DeliveryTask(claim, Intent());
        CHECK(stale.outbox.HeldLeaseCount() == 1);
        CHECK(stale.outbox.RenewHeldLeases() == 1);
        CHECK(db.Row("lease_token::text") == claim.lease_token);

        // The stale instance stalls past its lease; the other one claims and starts sending.
        db.scratch.Execute("UPDATE auth.mail_outbox SET next_attempt_at = now() - interval '1s'");
        CHECK(taker.outbox.Sweep() == 1);
        REQUIRE(taker.transport.WaitStarted(1));
        const std::string taker_token = db.Row("lease_token::text");
        CHECK(taker_token != claim.lease_token);

        // Its renewal does not extend the taker's lease.
        db.scratch.Execute("UPDATE auth.mail_outbox SET next_attempt_at = '2100-01-01T00:00:00Z'");
        CHECK(stale.outbox.RenewHeldLeases() == 0);
        CHECK(db.Row("next_attempt_at = '2100-01-01T00:00:00Z'") == "t");

        SUBCASE("its send succeeds: the row is not deleted") {}
        SUBCASE("its send fails: the row is not rescheduled") {
            stale.transport.FailFromNowOn();
        }
        static_cast<void>(task->Run(gotrue::apitask::Context{}));
        CHECK(stale.outbox.HeldLeaseCount() == 0);
        CHECK(db.Row("count(*)") == "1");
        CHECK(db.Row("lease_token::text") == taker_token);
        CHECK(db.Row("attempts || ' ' || last_error") == "0 ");
        CHECK(db.Row("next_attempt_at = '2100-01-01T00:00:00Z'") == "t");

        // The taker finishes and deletes it; both copies carry the row's one Message-ID.
        taker.transport.Open();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (db.Row("state") != "sent" && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        CHECK(db.Row("state") == "sent");
        REQUIRE(stale.transport.Sent().size() == 1);
        REQUIRE(taker.transport.Sent().size() == 1);
        CHECK(stale.transport.Sent().front().message_id == claim.message_id);
        CHECK(taker.transport.Sent().front().message_id == claim.message_id);
        CHECK(claim.message_id.substr(claim.message_id.size() - 13) == "@example.com>");
    }

    TEST_CASE("a lease is renewed while its send runs and released when the send ends") {
        TwoInstances setup(false, true, std::chrono::milliseconds(300));
        const MigratedScratch& db = setup.db;
        Instance& instance = setup.first;
        Instance& other = setup.second;
        instance.outbox.Start();

        const auto claim = Store(instance);
        auto task = instance.outbox.DeliveryTask(claim, Intent());
        std::jthread sender([&task] { static_cast<void>(task->Run(gotrue::apitask::Context{})); });
        const OpenOnExit release(instance.transport);
        REQUIRE(instance.transport.WaitStarted(1));
        // Four leases long: without renewal the row would be due and another instance would
        // take it.
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        CHECK(db.Row("next_attempt_at > now()") == "t");
        CHECK(other.outbox.Sweep() == 0);
        CHECK(db.Row("lease_token::text") == claim.lease_token);

        SUBCASE("the send succeeds: the row is sent, its intent gone") {
            instance.transport.Open();
            sender.join();
            CHECK(db.Row("state || ' ' || (intent IS NULL)") == "sent true");
        }
        SUBCASE("the send fails: the retry an hour later is not pulled forward by a renewal") {
            instance.transport.FailFromNowOn();
            sender.join();
            std::this_thread::sleep_for(std::chrono::milliseconds(400));  // > one renew interval
            CHECK(db.Row("lease_token IS NULL") == "t");
            CHECK(db.Row("next_attempt_at > now() + interval '50 minutes'") == "t");
        }
        CHECK(instance.outbox.HeldLeaseCount() == 0);
        CHECK(instance.transport.Sent().size() == 1);
        CHECK(other.transport.Sent().empty());
    }

    TEST_CASE("a delivery task dropped unrun releases its lease to the sweep") {
        const MigratedScratch db;
        Instance instance(db.scratch.Url(), true, std::chrono::seconds(5));
        const auto claim = Store(instance);
        {
            const auto task = instance.outbox.DeliveryTask(claim, Intent());
            CHECK(instance.outbox.HeldLeaseCount() == 1);
        }
        CHECK(instance.outbox.HeldLeaseCount() == 0);
        CHECK(instance.outbox.RenewHeldLeases() == 0);
        CHECK(instance.transport.Sent().empty());
    }
}
