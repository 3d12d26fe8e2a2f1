// SmtpClient against real SMTP servers: the shared aiosmtpd of scripts/test.sh, and
// tests/support/smtp_fault_server.py for the faults a well-behaved relay never produces.

#include "mailer/smtp_client.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
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
    static std::mt19937_64 random{std::random_device{}()};
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

int CountLines(const std::string& text, const std::string& prefix) {
    int count = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        count += line.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    return count;
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
        CHECK(CountLines(relay.Attempts(), "data ") == 3);
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
        CHECK(CountLines(relay.Attempts(), "rcpt ") == 1);
    }

    TEST_CASE("a relay that is down: retried up to GOTRUE_SMTP_MAX_RETRIES, then transient failure"
    ) {
        gotrue::conf::SmtpConfig config;
        config.host = "127.0.0.1";
        config.port = gotrue::testing::FreePort();  // nothing listens
        config.admin_email = "admin@example.com";
        config.max_retries = 2;
        int backoffs = 0;
        SmtpClient client(config);
        client.backoff = [&backoffs](int) {
            ++backoffs;
            return 10ms;
        };
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
