// The outbox row of a mail is written in the request's own transaction, has a state an operator
// can see (GET /admin/mail/outbox) and retry (POST /admin/mail/outbox/{id}/retry), loses its
// one-time code once sent, and a row that becomes due is announced to every instance (NOTIFY).

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/fault_relay.hpp"
#include "support/http_client.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::FaultRelay;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::ModeName;
using gotrue::testing::ParseJson;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

std::string Signup(const std::string& email) {
    return R"({"email":")" + email + R"(","password":"secret-123"})";
}

std::string Admin(const AuthServer& server) {
    return gotrue::testing::Bearer(gotrue::testing::ServiceRoleToken(server));
}

std::string OutboxOf(const std::string& email, const std::string& columns) {
    return "SELECT " + columns + " FROM auth.mail_outbox WHERE recipient = '" + email + "'";
}

// An outbox row as the previous version of this server wrote it (the rendered mail, no intent).
std::string OldFormatRow(
    const std::string& email,
    const std::string& extra_columns = "",
    const std::string& extra_values = ""
) {
    return "INSERT INTO auth.mail_outbox (mail_type, recipient, subject, html, request_id" +
           extra_columns + ") VALUES ('confirmation', '" + email +
           "', 'Written by the old version', '<p>old body</p>', 'old-request'" + extra_values +
           ") RETURNING id";
}

}  // namespace

TEST_SUITE("outbox") {
    TEST_CASE("the outbox row is written in the request's transaction: a rollback leaves none") {
        for (const MailMode mode : {MailMode::kRequestScoped, MailMode::kPool}) {
            CAPTURE(ModeName(mode));
            const FaultRelay relay({});
            AuthServer server(mode, {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())}});
            const std::string email = UniqueEmail("outbox-tx");
            REQUIRE(server.Post("/signup", Signup(email)).status == 200);
            REQUIRE(WaitForMail(relay.Maildir(), email, 1).size() == 1);
            CHECK(server.Database().WaitForScalar(OutboxOf(email, "string_agg(state, ',')"), "sent")
            );
            const std::string sent_at =
                server.Database().Scalar("SELECT confirmation_sent_at FROM auth.users");

            // Throttled (GOTRUE_SMTP_MAX_FREQUENCY is 1 s): 429, no second row.
            CHECK(server.Post("/signup", Signup(email)).status == 429);
            CHECK(server.Database().Scalar(OutboxOf(email, "count(*)")) == "1");

            // A signup that fails after its mail was enqueued (the audit insert that follows
            // raises): the whole transaction rolls back, outbox row included.
            server.Database().Execute(R"sql(
CREATE FUNCTION auth.refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit refused for the test'; END $$;
CREATE TRIGGER refuse_audit BEFORE INSERT ON auth.audit_log_entries
  FOR EACH ROW EXECUTE FUNCTION auth.refuse_audit();
)sql");
            std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past MaxFrequency
            CHECK(server.Post("/signup", Signup(email)).status == 500);
            CHECK(server.Database().Scalar(OutboxOf(email, "count(*)")) == "1");
            CHECK(
                server.Database().Scalar("SELECT confirmation_sent_at FROM auth.users") == sent_at
            );
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            CHECK(WaitForMail(relay.Maildir(), email, 2, std::chrono::milliseconds(0)).size() == 1);

            // Without the trigger the same request commits its row, and its mail goes out.
            server.Database().Execute("DROP TRIGGER refuse_audit ON auth.audit_log_entries");
            CHECK(server.Post("/signup", Signup(email)).status == 200);
            CHECK(WaitForMail(relay.Maildir(), email, 2).size() == 2);
            CHECK(server.Database().WaitForScalar(
                OutboxOf(email, "string_agg(state, ',')"), "sent,sent"
            ));
        }
    }

    TEST_CASE("a sent row keeps its metadata and loses its one-time code, and retention deletes it"
    ) {
        const FaultRelay relay({});
        AuthServer server(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_RETENTION", "2s"},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
        );
        const std::string email = UniqueEmail("outbox-retention");
        REQUIRE(server.Post("/signup", Signup(email)).status == 200);
        const auto mails = WaitForMail(relay.Maildir(), email, 1);
        REQUIRE(mails.size() == 1);
        REQUIRE(server.Database().WaitForScalar(OutboxOf(email, "state"), "sent"));
        CHECK(
            server.Database().Scalar(OutboxOf(
                email,
                "(intent IS NULL) || ' ' || (sent_at IS NOT NULL) || ' ' || attempts || ' ' || "
                "mail_type || ' ' || message_id"
            )) == "true true 1 confirmation " + mails.front().Header("Message-ID")
        );
        CHECK(server.Database().WaitForScalar(
            OutboxOf(email, "count(*)"), "0", std::chrono::seconds(10)
        ));
    }

    TEST_CASE("a permanent refusal: failed after one attempt, visible to admins, retried by them") {
        const int relay_port = gotrue::testing::FreePort();
        auto refusing =
            std::make_unique<FaultRelay>(std::vector<std::string>{"--reject-rcpt"}, relay_port);
        // A sweep only every minute: what the retry starts is the NOTIFY's doing.
        AuthServer server(
            MailMode::kRequestScoped,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay_port)},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "60s"}}
        );
        const std::string email = UniqueEmail("outbox-failed");
        REQUIRE(server.Post("/signup", Signup(email)).status == 200);
        REQUIRE(server.Database().WaitForScalar(OutboxOf(email, "state"), "failed"));
        CHECK(server.Database().Scalar(OutboxOf(email, "attempts")) == "1");
        CHECK(refusing->Count("rcpt ") == 1);
        const std::string id = server.Database().Scalar(OutboxOf(email, "id"));
        const std::string token_hash =
            server.Database().Scalar(OutboxOf(email, "intent->'input'->>'token_hash'"));
        CHECK(token_hash.size() > 20);  // kept for the retry
        // The intent, not the rendered mail. Without a send-email hook it holds no user: only
        // the hook reads it (send_email_hook_test checks the user the hook receives).
        CHECK(
            server.Database().Scalar(OutboxOf(
                email,
                "intent->>'kind' || ' ' || coalesce(intent->'user'->>'email', 'no user') || ' ' "
                "|| html"
            )) == "confirmation no user "
        );

        const auto view = server.Get("/admin/mail/outbox", {Admin(server)});
        REQUIRE(view.status == 200);
        const auto json = ParseJson(view.body);
        CHECK(json["counts"]["failed"].GetInt64() == 1);
        CHECK(json["counts"]["sent"].GetInt64() == 0);
        REQUIRE(json["failed"].Size() == 1);
        CHECK(std::to_string(json["failed"][0]["id"].GetInt64()) == id);
        CHECK(std::string(json["failed"][0]["recipient"].GetString()) == email);
        CHECK(std::string(json["failed"][0]["type"].GetString()) == "confirmation");
        CHECK(json["failed"][0]["attempts"].GetInt() == 1);
        CHECK(
            std::string(json["failed"][0]["last_error"].GetString()).find("550") !=
            std::string::npos
        );
        CHECK(json["dead"].Size() == 0);
        CHECK(view.body.find(token_hash) == std::string::npos);
        CHECK(view.body.find("token") == std::string::npos);
        CHECK(view.body.find("http") == std::string::npos);

        // Only admins see or retry it.
        CHECK(server.Get("/admin/mail/outbox").status == 401);
        CHECK(server.Post("/admin/mail/outbox/" + id + "/retry", "").status == 401);

        refusing.reset();
        const FaultRelay accepting({}, relay_port);
        const auto retried =
            server.Post("/admin/mail/outbox/" + id + "/retry", "", {Admin(server)});
        CHECK(retried.status == 200);
        CHECK(JsonString(retried.body, "state") == "queued");
        const auto mails = WaitForMail(accepting.Maildir(), email, 1, std::chrono::seconds(10));
        REQUIRE_MESSAGE(mails.size() == 1, server.Output());
        CHECK(server.Database().WaitForScalar(
            OutboxOf(email, "state || ' ' || (intent IS NULL)"), "sent true"
        ));
        CHECK(
            ParseJson(server.Get("/admin/mail/outbox", {Admin(server)}).body)["counts"]["failed"]
                .GetInt64() == 0
        );

        // A sent row is not retried again.
        const auto again = server.Post("/admin/mail/outbox/" + id + "/retry", "", {Admin(server)});
        CHECK(again.status == 422);
        CHECK(JsonString(again.body, "error_code") == "validation_failed");
    }

    TEST_CASE("retrying an unknown or malformed outbox id is a 404, never a 500") {
        AuthServer server(MailMode::kPool);
        for (const std::string id :
             {"999999", "0", "-1", "abc", "1x", "99999999999999999999999", "1.5", "%20"}) {
            CAPTURE(id);
            const auto response =
                server.Post("/admin/mail/outbox/" + id + "/retry", "", {Admin(server)});
            CHECK(response.status == 404);
            CHECK(!JsonString(response.body, "msg").empty());
        }
        // In synchronous mode the view works too (and shows an empty outbox).
        AuthServer sync(MailMode::kSync);
        const auto view = sync.Get("/admin/mail/outbox", {Admin(sync)});
        CHECK(view.status == 200);
        CHECK(ParseJson(view.body)["counts"]["queued"].GetInt64() == 0);
    }

    TEST_CASE("transient failures up to GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS make a row dead") {
        AuthServer server(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(gotrue::testing::FreePort())},  // refused
             {"GOTRUE_SMTP_MAX_RETRIES", "0"},
             {"GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS", "2"},
             {"GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF", "100ms"},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "100ms"}}
        );
        const std::string email = UniqueEmail("outbox-dead");
        REQUIRE(server.Post("/signup", Signup(email)).status == 200);
        REQUIRE_MESSAGE(
            server.Database().WaitForScalar(OutboxOf(email, "state || ' ' || attempts"), "dead 2"),
            server.Output()
        );
        const auto json = ParseJson(server.Get("/admin/mail/outbox", {Admin(server)}).body);
        CHECK(json["counts"]["dead"].GetInt64() == 1);
        REQUIRE(json["dead"].Size() == 1);
        CHECK(std::string(json["dead"][0]["state"].GetString()) == "dead");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // not tried again
        CHECK(server.Database().Scalar(OutboxOf(email, "state || ' ' || attempts")) == "dead 2");
    }

    TEST_CASE("a row written by the previous version is still delivered, as it was rendered") {
        const FaultRelay relay({});
        AuthServer server(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
        );
        const std::string email = UniqueEmail("outbox-old-row");
        server.Database().Execute(OldFormatRow(email));
        const auto mails = WaitForMail(relay.Maildir(), email, 1);
        REQUIRE_MESSAGE(mails.size() == 1, server.Output());
        CHECK(mails.front().Header("Subject") == "Written by the old version");
        CHECK(server.Database().WaitForScalar(OutboxOf(email, "state || ' ' || html"), "sent "));
    }

    TEST_CASE("a row that becomes due on one instance is sent by another at once (NOTIFY)") {
        const FaultRelay relay({});
        // The sender: pool mode, sweeping only every minute.
        AuthServer sender(
            MailMode::kPool,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "60s"}}
        );
        // The other instance, on the same database, sends synchronously: it has no outbox of its
        // own, so what it makes due can only be sent by the first.
        auto env = sender.Env();
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        env.erase("GOTRUE_WORKER_ENABLED");
        env.erase("GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING");
        gotrue::testing::GotrueProcess other({"serve"}, env);
        REQUIRE(other.WaitReady());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first sweep is done

        // Each retry, made on the other instance, is sent by the first within a few seconds,
        // not at its next sweep a minute later.
        const auto retry_elsewhere = [&](const std::string& tag) {
            CAPTURE(tag);
            const std::string email = UniqueEmail(tag);
            const std::string id = sender.Database().Scalar(OldFormatRow(
                email, ", state, next_attempt_at, last_error", ", 'failed', 'infinity', '550 no'"
            ));
            const auto started = std::chrono::steady_clock::now();
            const auto retried = gotrue::testing::Post(
                other.Url() + "/admin/mail/outbox/" + id + "/retry", "", {Admin(sender)}
            );
            REQUIRE(retried.status == 200);
            const auto mails = WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(10));
            REQUIRE_MESSAGE(mails.size() == 1, sender.Output());
            CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
            CHECK(sender.Database().WaitForScalar(OutboxOf(email, "state"), "sent"));
        };
        retry_elsewhere("outbox-notify");

        // The LISTEN connection breaks: it is reopened and the wake-up works again.
        REQUIRE(
            sender.Database().Scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            ) == "1"
        );
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (sender.Output().find("outbox LISTEN connection restored") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        REQUIRE_MESSAGE(
            sender.Output().find("outbox LISTEN connection restored") != std::string::npos,
            sender.Output()
        );
        retry_elsewhere("outbox-notify-again");
    }
}
