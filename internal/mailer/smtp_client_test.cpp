// SmtpClient against real SMTP servers: the shared aiosmtpd of scripts/test.sh, and
// tests/support/smtp_fault_server.py for the faults a well-behaved relay never produces.

#include "mailer/smtp_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "logs/logs.hpp"
#include "mailer/clients.hpp"
#include "support/fault_relay.hpp"
#include "support/mailbox.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using gotrue::mailer::FailureKind;
using gotrue::mailer::Message;
using gotrue::mailer::SendError;
using gotrue::mailer::SmtpClient;

namespace {

std::string UniqueAddress(const std::string& tag) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    return tag + "-" + std::to_string(random() % 1000000000) + "@example.com";
}

gotrue::conf::SmtpConfig SharedRelay() {
    gotrue::conf::SmtpConfig config;
    const char* port = std::getenv("GOTRUE_TEST_SMTP_PORT");
    REQUIRE_MESSAGE(
        port != nullptr, "GOTRUE_TEST_SMTP_PORT is not set: run the tests with make test"
    );
    config.host = "127.0.0.1";
    config.port = std::stoi(port);
    config.admin_email = "admin@example.com";
    config.sender_name = "Gö True";
    return config;
}

Message ConfirmationMessage(const std::string& to) {
    return Message{
        to,
        "Bestätige deine E-Mail-Adresse ✓",
        "<h2>Confirm</h2><p><a "
        "href=\"http://localhost:9999/verify?token=abc&amp;type=signup\">Confirm "
        "email address</a></p>",
        "confirmation",
    };
}

using gotrue::testing::FaultRelay;

gotrue::conf::SmtpConfig ConfigFor(const FaultRelay& relay) {
    gotrue::conf::SmtpConfig config;
    config.host = "127.0.0.1";
    config.port = relay.Port();
    config.admin_email = "admin@example.com";
    return config;
}

// The most connections the relay had open at once ("connect <n> open <k>" lines).
int MostOpen(const std::string& attempts) {
    int most = 0;
    std::istringstream lines(attempts);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("connect ", 0) == 0) {
            most = std::max(most, std::stoi(line.substr(line.rfind(' ') + 1)));
        }
    }
    return most;
}

// Waits until the relay's log has `count` lines starting with `prefix`.
bool WaitForLines(const FaultRelay& relay, const std::string& prefix, int count) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (relay.Count(prefix) < count) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// Logs once from the calling thread before a test starts threads that log: spdlog creates its
// registry on first use inside the uninstrumented libspdlog, whose static-initialization guard
// TSan cannot see, so two threads logging first would be reported as a race.
void CreateLogRegistry() {
    constexpr gotrue::logs::Logger kLog{"test"};
    kLog.Debug("smtp connection test starts threads");
}

// A client limited to one connection (no retries), which a send on another thread holds while
// the relay takes `delay` seconds to accept it.
struct HeldConnection {
    HeldConnection(
        const std::string& delay, const std::function<void(gotrue::conf::SmtpConfig&)>& adjust
    )
        : relay({"--delay", delay}), client(Limited(relay, adjust)) {
        CreateLogRegistry();
        holder = std::thread([this] {
            client.Send(gotrue::apitask::Context(), ConfirmationMessage(UniqueAddress("holder")));
        });
        REQUIRE(WaitForLines(relay, "connect ", 1));
    }

    ~HeldConnection() {
        if (holder.joinable()) {
            holder.join();
        }
    }

    HeldConnection(const HeldConnection&) = delete;
    HeldConnection& operator=(const HeldConnection&) = delete;

    static gotrue::conf::SmtpConfig Limited(
        const FaultRelay& relay, const std::function<void(gotrue::conf::SmtpConfig&)>& adjust
    ) {
        auto config = ConfigFor(relay);
        config.max_connections = 1;
        config.max_retries = 0;
        adjust(config);
        return config;
    }

    FaultRelay relay;
    SmtpClient client;
    std::thread holder;
};

// A client whose retries wait 10 ms and are counted in `backoffs`.
SmtpClient CountingRetries(gotrue::conf::SmtpConfig config, int& backoffs) {
    SmtpClient client(std::move(config));
    client.backoff = [&backoffs](int) {
        ++backoffs;
        return 10ms;
    };
    return client;
}

SmtpClient FastRetrying(gotrue::conf::SmtpConfig config) {
    SmtpClient client(std::move(config));
    client.backoff = [](int) {
        return 20ms;
    };
    return client;
}

}  // namespace

TEST_SUITE("smtp client") {
    TEST_CASE("a mail arrives with the right headers and both MIME parts") {
        auto config = SharedRelay();
        config.headers = R"({"X-Mail-Kind":["$messageType"],"X-Test":["a","b"]})";
        SmtpClient client(config);
        const std::string to = UniqueAddress("headers");
        client.Send(
            gotrue::apitask::Context("req-1", std::nullopt, nullptr), ConfirmationMessage(to)
        );
        const auto mails = gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), to);
        REQUIRE(mails.size() == 1);
        const auto& mail = mails.front();
        CHECK(
            gotrue::testing::DecodeHeaderWords(mail.Header("Subject")) ==
            "Bestätige deine E-Mail-Adresse ✓"
        );
        CHECK(
            gotrue::testing::DecodeHeaderWords(mail.Header("From")) == "Gö True <admin@example.com>"
        );
        CHECK(mail.Header("To") == to);
        CHECK_FALSE(mail.Header("Date").empty());
        CHECK(mail.Header("Message-ID").find("@example.com>") != std::string::npos);
        // A message that brings its own Message-ID (an outbox row's) is sent with it, on one line.
        auto own = ConfirmationMessage(UniqueAddress("own-id"));
        own.message_id = "<outbox.1234@example.com>\r\nBcc: x@example.com";
        client.Send(gotrue::apitask::Context("req-2", std::nullopt, nullptr), own);
        const auto own_mails =
            gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), own.to);
        REQUIRE(own_mails.size() == 1);
        CHECK(own_mails.front().Header("Message-ID").rfind("<outbox.1234@example.com>", 0) == 0);
        CHECK(own_mails.front().Header("Bcc").empty());
        CHECK(mail.Header("MIME-Version") == "1.0");
        CHECK(mail.Header("X-Mail-Kind") == "confirmation");
        CHECK(mail.Header("X-Test") == "a, b");
        CHECK(mail.Header("Content-Type").rfind("multipart/alternative", 0) == 0);
        REQUIRE(mail.parts.size() == 2);
        CHECK(mail.parts[0].content_type.rfind("text/plain", 0) == 0);
        CHECK(mail.parts[1].content_type.rfind("text/html", 0) == 0);
        CHECK(
            mail.Part("text/html")
                .find("href=\"http://localhost:9999/verify?token=abc&amp;type=signup\"") !=
            std::string::npos
        );
        CHECK(
            mail.Part("text/plain")
                .find("Confirm email address (http://localhost:9999/verify?token=abc&type=signup)"
                ) != std::string::npos
        );
    }

    TEST_CASE("header injection through the subject or recipient is neutralised") {
        SmtpClient client(SharedRelay());
        const std::string to = UniqueAddress("inject");
        Message message = ConfirmationMessage(to);
        message.subject = "Hello\r\nBcc: victim@example.com";
        client.Send(gotrue::apitask::Context(), message);
        const auto mails = gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), to);
        REQUIRE(mails.size() == 1);
        CHECK(mails.front().Header("Bcc").empty());
        CHECK(mails.front().Header("Subject") == "Hello  Bcc: victim@example.com");
    }

    TEST_CASE("long subjects: a 600-character subject and a long sender name arrive folded") {
        auto config = SharedRelay();
        config.sender_name = std::string(300, 'N') + " é";
        config.headers =
            R"({"X-Long":[")" + std::string(200, 'v') + " " + std::string(200, 'w') + R"("]})";
        SmtpClient client(config);
        const std::string to = UniqueAddress("long-subject");
        Message message = ConfirmationMessage(to);
        message.subject.clear();
        while (message.subject.size() < 600) {
            message.subject += "Bestätige ✓ deine Adresse ";
        }
        client.Send(gotrue::apitask::Context(), message);
        const auto mails = gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), to);
        REQUIRE(mails.size() == 1);
        const auto& mail = mails.front();
        CHECK(gotrue::testing::DecodeHeaderWords(mail.Header("Subject")) == message.subject);
        CHECK(
            gotrue::testing::DecodeHeaderWords(mail.Header("From")) ==
            config.sender_name + " <admin@example.com>"
        );
        CHECK(mail.Header("X-Long") == std::string(200, 'v') + " " + std::string(200, 'w'));
        // Every header line we wrote is within 78 characters, except X-Long's unbreakable words
        // (each on a line of its own), and none exceeds 998. curl writes Content-Type.
        const std::string head = mail.raw.substr(0, mail.raw.find("\n\n"));
        std::istringstream lines(head);
        for (std::string line; std::getline(lines, line);) {
            CAPTURE(line);
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            CHECK(line.size() <= 998);
            const bool long_word = line.find(std::string(200, 'v')) != std::string::npos ||
                                   line.find(std::string(200, 'w')) != std::string::npos;
            if (!long_word && line.rfind("Content-Type:", 0) != 0) {
                CHECK(line.size() <= 78);
            }
        }
    }

    TEST_CASE("a relay that refuses with 4xx twice then accepts: delivered once, 3 attempts") {
        FaultRelay relay({"--fail-first", "2"});
        auto client = FastRetrying(ConfigFor(relay));
        const std::string to = UniqueAddress("retry");
        CHECK_NOTHROW(client.Send(gotrue::apitask::Context(), ConfirmationMessage(to)));
        CHECK(relay.Count("data ") == 3);
        CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);
    }

    TEST_CASE("a relay that rejects the recipient with 550: not retried, permanent failure") {
        FaultRelay relay({"--reject-rcpt"});
        auto client = FastRetrying(ConfigFor(relay));
        try {
            client.Send(gotrue::apitask::Context(), ConfirmationMessage(UniqueAddress("rejected")));
            FAIL("expected SendError");
        } catch (const SendError& error) {
            CHECK(error.Kind() == FailureKind::kPermanent);
            CHECK(std::string(error.what()).find("550") != std::string::npos);
        }
        CHECK(relay.Count("rcpt ") == 1);
    }

    TEST_CASE("a relay that is down: retried up to GOTRUE_SMTP_MAX_RETRIES, then transient failure"
    ) {
        gotrue::conf::SmtpConfig config;
        config.host = "127.0.0.1";
        config.port = gotrue::testing::FreePort();  // nothing listens
        config.admin_email = "admin@example.com";
        config.max_retries = 2;
        int backoffs = 0;
        SmtpClient client = CountingRetries(config, backoffs);
        try {
            client.Send(gotrue::apitask::Context(), ConfirmationMessage("down@example.com"));
            FAIL("expected SendError");
        } catch (const SendError& error) {
            CHECK(error.Kind() == FailureKind::kTransient);
        }
        CHECK(backoffs == 2);  // 3 attempts
    }

    TEST_CASE("backoff doubles with jitter and is capped") {
        const SmtpClient client(gotrue::conf::SmtpConfig{});
        for (int retry = 1; retry <= 10; ++retry) {
            const auto delay = client.backoff(retry);
            const double base = std::min(250.0 * (1 << (retry - 1)), 5000.0);
            CHECK(static_cast<double>(delay.count()) >= base * 0.8 - 1);
            CHECK(static_cast<double>(delay.count()) <= base * 1.2 + 1);
        }
    }

    TEST_CASE("a slow relay: a synchronous send waits, background sends do not block the caller") {
        FaultRelay relay({"--delay", "2"});
        SmtpClient smtp(ConfigFor(relay));
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{4, 16});

        const auto sync_started = std::chrono::steady_clock::now();
        smtp.Send(gotrue::apitask::Context(), ConfirmationMessage(UniqueAddress("slow-sync")));
        CHECK(std::chrono::steady_clock::now() - sync_started >= 1900ms);

        // Request-scoped: Send returns at once, the request's Wait takes the 2 s.
        gotrue::mailer::TaskClient tasks(smtp);
        const auto context = gotrue::apitask::Context("req", std::nullopt, &pool).WithWorker();
        const auto started = std::chrono::steady_clock::now();
        tasks.Send(context, ConfirmationMessage(UniqueAddress("slow-task")));
        CHECK(std::chrono::steady_clock::now() - started < 500ms);
        gotrue::apitask::Wait(context);
        CHECK(std::chrono::steady_clock::now() - started >= 1900ms);

        // Fire-and-forget: neither Send nor the request waits.
        gotrue::mailer::PoolClient pooled(smtp, pool);
        const std::string to = UniqueAddress("slow-pool");
        const auto pool_started = std::chrono::steady_clock::now();
        pooled.Send(gotrue::apitask::Context("req", std::nullopt, &pool), ConfirmationMessage(to));
        CHECK(std::chrono::steady_clock::now() - pool_started < 500ms);
        CHECK(pool.Drain(10s).complete);
        CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);
    }

    TEST_CASE("a failing background send is logged, not thrown, and counted") {
        gotrue::conf::SmtpConfig config;
        config.host = "127.0.0.1";
        config.port = gotrue::testing::FreePort();
        config.admin_email = "admin@example.com";
        config.max_retries = 0;
        SmtpClient smtp(config);
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        gotrue::mailer::TaskClient tasks(smtp);
        const auto context = gotrue::apitask::Context("req", std::nullopt, &pool).WithWorker();
        CHECK_NOTHROW(tasks.Send(context, ConfirmationMessage("x@example.com")));
        gotrue::apitask::Wait(context);
        CHECK(pool.GetMetrics().Read().failed == 1);
        // Without a worker the same client is synchronous and the failure reaches the caller.
        CHECK_THROWS_AS(
            tasks.Send(
                gotrue::apitask::Context("req", std::nullopt, &pool),
                ConfirmationMessage("x@example.com")
            ),
            SendError
        );
    }
}

// Connection reuse (docs/mail.md "Connections"): counted on the relay's side, where every client
// connection logs "connect", "quit" and "close".
TEST_SUITE("smtp connections") {
    const gotrue::apitask::Context kNoRequest;

    TEST_CASE("sequential mails share one connection, closed with QUIT when the client goes") {
        FaultRelay relay({});
        std::vector<std::string> recipients;
        {
            SmtpClient client(ConfigFor(relay));
            for (int i = 0; i < 5; ++i) {
                recipients.push_back(UniqueAddress("reuse"));
                client.Send(kNoRequest, ConfirmationMessage(recipients.back()));
            }
            CHECK(relay.Count("connect ") == 1);
            CHECK(relay.Count("quit ") == 0);
        }
        CHECK(relay.Count("quit 1") == 1);
        CHECK(relay.Count("data ") == 5);
        for (const auto& to : recipients) {
            CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);
        }
    }

    TEST_CASE("GOTRUE_SMTP_MAX_CONNECTIONS=0: a new connection per mail, each closed with QUIT") {
        FaultRelay relay({});
        auto config = ConfigFor(relay);
        config.max_connections = 0;
        SmtpClient client(config);
        for (int i = 0; i < 3; ++i) {
            client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("fresh")));
        }
        CHECK(relay.Count("connect ") == 3);
        CHECK(WaitForLines(relay, "quit ", 3));
    }

    TEST_CASE("concurrent sends never hold more connections than the bound") {
        FaultRelay relay({"--delay", "0.3"});
        auto config = ConfigFor(relay);
        config.max_connections = 2;
        SmtpClient client(config);
        CreateLogRegistry();
        std::atomic<int> failures{0};
        std::vector<std::thread> senders;
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < 6; ++i) {
            senders.emplace_back([&client, &failures] {
                try {
                    client.Send(
                        gotrue::apitask::Context(), ConfirmationMessage(UniqueAddress("bound"))
                    );
                } catch (const SendError&) {
                    ++failures;
                }
            });
        }
        for (auto& sender : senders) {
            sender.join();
        }
        CHECK(failures.load() == 0);
        CHECK(relay.Count("data ") == 6);
        CHECK(relay.Count("connect ") == 2);
        CHECK(MostOpen(relay.Attempts()) <= 2);
        CHECK(std::chrono::steady_clock::now() - started >= 850ms);  // 3 rounds of 2
    }

    TEST_CASE("every connection busy past the connect timeout: a transient failure") {
        HeldConnection held("1", [](gotrue::conf::SmtpConfig& config) {
            config.connect_timeout = 200ms;
        });
        try {
            held.client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("waiting")));
            FAIL("expected SendError");
        } catch (const SendError& error) {
            CHECK(error.Kind() == FailureKind::kTransient);
            CHECK(std::string(error.what()).find("busy") != std::string::npos);
        }
        held.holder.join();
        CHECK(held.relay.Count("connect ") == 1);
        CHECK(held.relay.Count("data ") == 1);
    }

    TEST_CASE("waiting for a busy connection counts against the attempt's GOTRUE_SMTP_TIMEOUT") {
        // The outbox sizes its lease by (1 + retries) x GOTRUE_SMTP_TIMEOUT: no part of an
        // attempt may run past it.
        HeldConnection held("0.4", [](gotrue::conf::SmtpConfig& config) {
            config.timeout = 600ms;
        });
        const auto started = std::chrono::steady_clock::now();
        // Waits about 0.4 s for the connection, then has about 0.2 s left for a 0.4 s relay.
        CHECK_THROWS_AS(
            held.client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("late"))), SendError
        );
        CHECK(std::chrono::steady_clock::now() - started < 900ms);
    }

    TEST_CASE("a connection idle past GOTRUE_SMTP_IDLE_TIMEOUT is closed with QUIT and replaced") {
        FaultRelay relay({});
        auto config = ConfigFor(relay);
        config.idle_timeout = 200ms;
        SmtpClient client(config);
        client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("idle-1")));
        std::this_thread::sleep_for(400ms);
        client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("idle-2")));
        CHECK(relay.Count("connect ") == 2);
        CHECK(relay.Count("quit 1") == 1);
        CHECK(relay.Count("quit 2") == 0);
    }

    TEST_CASE("a relay that closed the idle connection: the next mail goes once, on a new one") {
        FaultRelay relay({"--idle-timeout", "0.3"});
        int backoffs = 0;
        SmtpClient client = CountingRetries(ConfigFor(relay), backoffs);
        client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("closed-1")));
        REQUIRE(WaitForLines(relay, "close 1", 1));
        const std::string to = UniqueAddress("closed-2");
        CHECK_NOTHROW(client.Send(kNoRequest, ConfirmationMessage(to)));
        CHECK(backoffs == 0);
        CHECK(relay.Count("connect ") == 2);
        CHECK(relay.Count("data ") == 2);
        CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);
    }

    TEST_CASE("a relay restarted between two mails: the second goes once, on a new connection") {
        const int port = gotrue::testing::FreePort();
        int backoffs = 0;
        std::optional<SmtpClient> client;
        {
            FaultRelay before({}, port);
            client.emplace(CountingRetries(ConfigFor(before), backoffs));
            client->Send(kNoRequest, ConfirmationMessage(UniqueAddress("restart-1")));
        }
        FaultRelay after({}, port);
        const std::string to = UniqueAddress("restart-2");
        CHECK_NOTHROW(client->Send(kNoRequest, ConfirmationMessage(to)));
        CHECK(backoffs == 0);
        CHECK(after.Count("connect ") == 1);
        CHECK(after.Count("data ") == 1);
        CHECK(gotrue::testing::WaitForMail(after.Maildir(), to).size() == 1);
    }

    TEST_CASE("421 to MAIL FROM on a reused connection: the mail goes on a new one, no attempt lost"
    ) {
        FaultRelay relay({"--reuse-fault", "mail421"});
        int backoffs = 0;
        auto config = ConfigFor(relay);
        config.max_retries = 0;  // a counted failure would throw
        SmtpClient client = CountingRetries(config, backoffs);
        std::vector<std::string> recipients;
        for (int i = 0; i < 3; ++i) {
            recipients.push_back(UniqueAddress("421"));
            CHECK_NOTHROW(client.Send(kNoRequest, ConfirmationMessage(recipients.back())));
        }
        CHECK(backoffs == 0);
        // Each reuse met a 421 and went on a new connection; each mail was sent once.
        CHECK(relay.Count("connect ") == 3);
        CHECK(relay.Count("data ") == 3);
        for (const auto& to : recipients) {
            CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);
        }
    }

    TEST_CASE("a reused connection lost after the message went out: an ordinary counted retry") {
        // The relay may have taken the message before the connection broke, so no silent resend:
        // the attempt counts as a transient failure, as on a fresh connection.
        FaultRelay relay({"--reuse-fault", "data-drop"});
        int backoffs = 0;
        SmtpClient client = CountingRetries(ConfigFor(relay), backoffs);
        client.Send(kNoRequest, ConfirmationMessage(UniqueAddress("drop-1")));
        const std::string to = UniqueAddress("drop-2");
        CHECK_NOTHROW(client.Send(kNoRequest, ConfirmationMessage(to)));
        CHECK(backoffs == 1);
        CHECK(relay.Count("data ") == 3);
        CHECK(relay.Count("connect ") == 2);
        CHECK(gotrue::testing::WaitForMail(relay.Maildir(), to).size() == 1);

        // Without retries the same failure reaches the caller as transient.
        auto config = ConfigFor(relay);
        config.max_retries = 0;
        SmtpClient once(config);
        once.Send(kNoRequest, ConfirmationMessage(UniqueAddress("drop-3")));
        try {
            once.Send(kNoRequest, ConfirmationMessage(UniqueAddress("drop-4")));
            FAIL("expected SendError");
        } catch (const SendError& error) {
            CHECK(error.Kind() == FailureKind::kTransient);
        }
    }
}
