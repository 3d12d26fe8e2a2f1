// Background mail survives a relay that is down and a server that crashes (auth.mail_outbox).

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <doctest/doctest.h>

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

// Waits until `sql` returns `expected` (polling the database).
bool Eventually(const AuthServer& server, const std::string& sql, const std::string& expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (server.Database().Scalar(sql) == expected) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

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
            REQUIRE(Eventually(server, "SELECT attempts >= 1 FROM auth.mail_outbox", "t"));
            CHECK(
                server.Database().Scalar("SELECT mail_type FROM auth.mail_outbox") == "confirmation"
            );
            CHECK_FALSE(server.Database().Scalar("SELECT last_error FROM auth.mail_outbox").empty()
            );

            const FaultRelay relay({}, relay_port);  // the relay comes back
            const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(15));
            REQUIRE_MESSAGE(mails.size() == 1, server.Output());
            CHECK(mails.front().Header("Subject") == "Confirm your email address");
            CHECK(Eventually(server, "SELECT count(*) FROM auth.mail_outbox", "0"));
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
        REQUIRE(Eventually(server, "SELECT attempts >= 1 FROM auth.mail_outbox", "t"));
        server.Process().Signal(SIGKILL);  // the relay is down and the server dies
        static_cast<void>(server.Process().WaitExit(std::chrono::seconds(5)));
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.mail_outbox") == "1");

        const FaultRelay relay({}, relay_port);
        gotrue::testing::GotrueProcess restarted({"serve"}, server.Env());
        REQUIRE(restarted.WaitReady());
        const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(20));
        REQUIRE_MESSAGE(mails.size() == 1, restarted.Output());
        CHECK(Eventually(server, "SELECT count(*) FROM auth.mail_outbox", "0"));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        CHECK(WaitForMail(relay.Maildir(), email, 2, std::chrono::milliseconds(0)).size() == 1);
    }

    TEST_CASE("a permanent refusal drops the mail with an error line instead of retrying forever") {
        FaultRelay relay({"--reject-rcpt"});
        AuthServer server(
            MailMode::kRequestScoped,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
        );
        REQUIRE(server.Post("/signup", Signup(UniqueEmail("outbox-550"))).status == 200);
        CHECK(Eventually(server, "SELECT count(*) FROM auth.mail_outbox", "0"));
        CHECK(
            server.Output().find("mail dropped: the relay refused it permanently") !=
            std::string::npos
        );
    }

    TEST_CASE("synchronous sending does not use the outbox") {
        AuthServer server(MailMode::kSync);
        REQUIRE(server.Post("/signup", Signup(UniqueEmail("outbox-sync"))).status == 200);
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.mail_outbox") == "0");
        CHECK(WaitForMail(gotrue::testing::SharedMaildir(), "outbox-sync", 1).size() >= 1);
    }
}
