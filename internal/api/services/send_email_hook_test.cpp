#include "api/services/send_email_hook.hpp"

#include <chrono>
#include <set>
#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "mailer/mail_kind.hpp"
#include "support/hook_receiver.hpp"
#include "support/process.hpp"

using gotrue::api::EmailActionType;
using gotrue::api::FailureKindOf;
using gotrue::api::HookCarries;
using gotrue::api::kHookTokenCurrent;
using gotrue::api::kHookTokenHashCurrent;
using gotrue::api::SendEmailHook;
using gotrue::api::SendEmailInput;
using gotrue::hooks::HookError;
using gotrue::mailer::FailureKind;
using gotrue::mailer::MailIntent;
using gotrue::mailer::MailKind;
using gotrue::mailer::SendError;

namespace {

gotrue::conf::Config TestConfig() {
    gotrue::conf::Config config;
    config.site_url = "https://app.example.com";
    config.api.external_url = "https://auth.example.com";
    return config;
}

rapidjson::Document Parse(const std::string& text) {
    rapidjson::Document document;
    document.Parse(text.c_str());
    REQUIRE_MESSAGE(!document.HasParseError(), text);
    return document;
}

std::string Field(const rapidjson::Value& object, const char* name) {
    REQUIRE_MESSAGE(object.HasMember(name), name);
    REQUIRE(object[name].IsString());
    return object[name].GetString();
}

MailIntent Intent(MailKind kind) {
    MailIntent intent;
    intent.kind = kind;
    intent.input.email = "old@example.com";
    intent.input.token = "123456";
    intent.input.token_hash = "link-token";
    intent.user_json = R"({"id":"u1","email":"old@example.com","user_metadata":{"n":1}})";
    return intent;
}

// The email_data of the hook's input for `intent`.
rapidjson::Document EmailData(const MailIntent& intent) {
    auto input = Parse(SendEmailInput(intent, TestConfig()));
    rapidjson::Document data;
    data.CopyFrom(input["email_data"], data.GetAllocator());
    return data;
}

// An email change to new@example.com: the new address's mail (and with secure change the
// current address's codes on it, as MailService prepares it for the hook).
MailIntent EmailChange(bool secure) {
    MailIntent intent = Intent(MailKind::kEmailChange);
    intent.input.to = "new@example.com";
    intent.input.new_email = "new@example.com";
    intent.input.token = "111111";         // the new address's code
    intent.input.token_hash = "link-new";  // the new address's link token
    if (secure) {
        intent.input.extra[std::string(kHookTokenCurrent)] = "222222";
        intent.input.extra[std::string(kHookTokenHashCurrent)] = "link-current";
    }
    return intent;
}

SendError SendFailure(SendEmailHook& hook, const MailIntent& intent) {
    const gotrue::apitask::Context context;
    try {
        hook.Send(context, intent, "<m1@auth.example.com>");
    } catch (const SendError& error) {
        return error;
    }
    FAIL("no error thrown");
    return {FailureKind::kPermanent, ""};
}

}  // namespace

TEST_SUITE("send-email hook") {
    TEST_CASE("send-email hook: email_action_type: upstream's name of every mail kind") {
        CHECK(EmailActionType(MailKind::kConfirmation) == "signup");
        CHECK(EmailActionType(MailKind::kInvite) == "invite");
        CHECK(EmailActionType(MailKind::kRecovery) == "recovery");
        CHECK(EmailActionType(MailKind::kMagicLink) == "magiclink");
        CHECK(EmailActionType(MailKind::kEmailChange) == "email_change");
        CHECK(EmailActionType(MailKind::kReauthentication) == "reauthentication");
        CHECK(
            EmailActionType(MailKind::kMfaFactorUnenrolledNotification) ==
            "mfa_factor_unenrolled_notification"
        );
        std::set<std::string_view> names;
        for (const auto& info : gotrue::mailer::AllMailKinds()) {
            CHECK_FALSE(EmailActionType(info.kind).empty());
            names.insert(EmailActionType(info.kind));
        }
        CHECK(names.size() == gotrue::mailer::AllMailKinds().size());
    }

    TEST_CASE(
        "send-email hook: the input of a signup: metadata, the user as given, upstream's email_data"
    ) {
        const auto input = Parse(SendEmailInput(Intent(MailKind::kConfirmation), TestConfig()));
        CHECK(Field(input["metadata"], "name") == "send-email");
        CHECK(Field(input["metadata"], "uuid").size() == 36);
        CHECK_FALSE(Field(input["metadata"], "time").empty());
        CHECK(Field(input["user"], "id") == "u1");
        CHECK(input["user"]["user_metadata"]["n"].GetInt() == 1);
        const auto& data = input["email_data"];
        CHECK(Field(data, "token") == "123456");
        CHECK(Field(data, "token_hash") == "link-token");
        CHECK(Field(data, "email_action_type") == "signup");
        // No redirect asked for: the site URL; the link base: API_EXTERNAL_URL.
        CHECK(Field(data, "redirect_to") == "https://app.example.com");
        CHECK(Field(data, "site_url") == "https://auth.example.com");
        // Every EmailData field is present, empty when the kind has no use for it.
        for (const char* name :
             {"token_new", "token_hash_new", "old_email", "old_phone", "provider", "factor_type"}) {
            CHECK(Field(data, name).empty());
        }
        CHECK(data.MemberCount() == 11);
    }

    TEST_CASE("send-email hook: redirect_to and the mail's own external host are passed on") {
        MailIntent intent = Intent(MailKind::kRecovery);
        intent.input.redirect_to = "https://app.example.com/reset";
        intent.input.external_url = "https://other.example.com";
        const auto data = EmailData(intent);
        CHECK(Field(data, "email_action_type") == "recovery");
        CHECK(Field(data, "redirect_to") == "https://app.example.com/reset");
        CHECK(Field(data, "site_url") == "https://other.example.com");
        intent.kind = MailKind::kMagicLink;
        CHECK(Field(EmailData(intent), "email_action_type") == "magiclink");
    }

    TEST_CASE("send-email hook: reauthentication: a code, no link token") {
        MailIntent intent = Intent(MailKind::kReauthentication);
        intent.input.token_hash.clear();
        const auto data = EmailData(intent);
        CHECK(Field(data, "email_action_type") == "reauthentication");
        CHECK(Field(data, "token") == "123456");
        CHECK(Field(data, "token_hash").empty());
    }

    TEST_CASE("send-email hook: email change: upstream's pairing with and without secure change") {
        const auto secure = EmailData(EmailChange(true));
        CHECK(Field(secure, "email_action_type") == "email_change");
        CHECK(Field(secure, "token") == "222222");         // current address's code
        CHECK(Field(secure, "token_hash") == "link-new");  // new address's link token
        CHECK(Field(secure, "token_new") == "111111");     // new address's code
        CHECK(Field(secure, "token_hash_new") == "link-current");
        const auto plain = EmailData(EmailChange(false));
        CHECK(Field(plain, "token") == "111111");
        CHECK(Field(plain, "token_hash") == "link-new");
        CHECK(Field(plain, "token_new").empty());
        CHECK(Field(plain, "token_hash_new").empty());
        // The helper keys never reach the hook under their own names.
        const auto input = SendEmailInput(EmailChange(true), TestConfig());
        CHECK(input.find("HookToken") == std::string::npos);
    }

    TEST_CASE(
        "send-email hook: one hook call per email change: the current-address mail is not carried"
    ) {
        CHECK(HookCarries(EmailChange(true)));
        CHECK(HookCarries(EmailChange(false)));
        MailIntent current = EmailChange(false);
        current.input.to = "old@example.com";
        CHECK_FALSE(HookCarries(current));
        CHECK(HookCarries(Intent(MailKind::kConfirmation)));
        MailIntent invite = Intent(MailKind::kInvite);
        invite.input.to = "someone@example.com";  // only email changes are paired
        CHECK(HookCarries(invite));
    }

    TEST_CASE("send-email hook: notifications carry their own fields") {
        MailIntent intent = Intent(MailKind::kEmailChangedNotification);
        intent.input.extra = {
            {"OldEmail", "was@example.com"},
            {"OldPhone", "+100"},
            {"Provider", "github"},
            {"FactorType", "totp"},
        };
        const auto data = EmailData(intent);
        CHECK(Field(data, "email_action_type") == "email_changed_notification");
        CHECK(Field(data, "old_email") == "was@example.com");
        CHECK(Field(data, "old_phone") == "+100");
        CHECK(Field(data, "provider") == "github");
        CHECK(Field(data, "factor_type") == "totp");
    }

    TEST_CASE("send-email hook: a user that is not known is null") {
        MailIntent intent = Intent(MailKind::kConfirmation);
        intent.user_json.clear();
        CHECK(Parse(SendEmailInput(intent, TestConfig()))["user"].IsNull());
    }

    TEST_CASE("send-email hook: failure kinds: only what may pass is transient") {
        CHECK(FailureKindOf(HookError(403, "", "Denied")) == FailureKind::kPermanent);
        CHECK(
            FailureKindOf(HookError(500, "", "x", {}, gotrue::hooks::Retry::kLater)) ==
            FailureKind::kTransient
        );
    }

    TEST_CASE(
        "send-email hook: over HTTP: signed, webhook-id from the message id, failures classified"
    ) {
        const gotrue::testing::HookReceiver receiver(5);
        gotrue::conf::Config config = TestConfig();
        config.hook.send_email.enabled = true;
        config.hook.send_email.uri = receiver.Url("/send-email");
        config.hook.send_email.secrets = {std::string("v1,whsec_") + gotrue::testing::kWebhookKey};
        gotrue::hooks::Validate(config.hook.send_email);
        gotrue::storage::Database database(config.db);  // never connected: HTTP needs none
        gotrue::hooks::DispatchOptions options;
        options.http_timeout = std::chrono::milliseconds(1500);
        options.http_backoff = std::chrono::milliseconds(50);
        SendEmailHook hook(config, database, options);
        const gotrue::apitask::Context context;

        SUBCASE("accepted: the receiver verified the signature and recorded the input") {
            hook.Send(context, Intent(MailKind::kConfirmation), "<m1@auth.example.com>");
            const auto emails = receiver.Emails();
            REQUIRE(emails.Size() == 1);
            CHECK(Field(emails[0], "webhook_id") == "m1@auth.example.com");
            CHECK(Field(emails[0]["payload"]["email_data"], "token") == "123456");
            CHECK(Field(emails[0]["payload"]["user"], "id") == "u1");
            // Without a message id each attempt gets a random UUID.
            hook.Invoke(Intent(MailKind::kConfirmation));
            REQUIRE(receiver.Emails().Size() == 2);
            CHECK(Field(receiver.Emails()[1], "webhook_id").size() == 36);
        }
        SUBCASE("the current-address mail of an email change is not sent") {
            MailIntent current = EmailChange(true);
            current.input.to = "old@example.com";
            hook.Send(context, current, "");
            CHECK(receiver.Count() == 0);
        }
        SUBCASE("a wrong secret: the receiver's 401 is permanent") {
            config.hook.send_email.secrets = {
                "v1,whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
            const auto error = SendFailure(hook, Intent(MailKind::kConfirmation));
            CHECK(error.Kind() == FailureKind::kPermanent);
            CHECK(
                std::string(error.what()).find("Hook requires authorization token") !=
                std::string::npos
            );
            CHECK(receiver.Emails().Size() == 0);
        }
        SUBCASE("an error object is permanent, and what the client would see") {
            receiver.Mode("error");
            CHECK(
                SendFailure(hook, Intent(MailKind::kConfirmation)).Kind() == FailureKind::kPermanent
            );
            try {
                hook.Invoke(Intent(MailKind::kConfirmation));
                FAIL("no error thrown");
            } catch (const HookError& error) {
                CHECK(error.Status() == 403);
                CHECK(std::string(error.what()) == "Denied by the HTTP hook");
            }
        }
        SUBCASE("an answer that is not JSON is permanent") {
            receiver.Mode("text");
            CHECK(
                SendFailure(hook, Intent(MailKind::kConfirmation)).Kind() == FailureKind::kPermanent
            );
        }
        SUBCASE("a 500 is transient") {
            receiver.Mode("status500");
            const auto error = SendFailure(hook, Intent(MailKind::kConfirmation));
            CHECK(error.Kind() == FailureKind::kTransient);
            CHECK(std::string(error.what()).find("500") != std::string::npos);
        }
        SUBCASE("a hook slower than the deadline is transient") {
            receiver.Mode("slow");
            CHECK(
                SendFailure(hook, Intent(MailKind::kConfirmation)).Kind() == FailureKind::kTransient
            );
        }
        SUBCASE("a hook that is down is transient") {
            const int port = gotrue::testing::FreePort();  // nothing listens there
            config.hook.send_email.uri = "http://127.0.0.1:" + std::to_string(port) + "/send-email";
            gotrue::hooks::Validate(config.hook.send_email);
            const auto error = SendFailure(hook, Intent(MailKind::kConfirmation));
            CHECK(error.Kind() == FailureKind::kTransient);
            CHECK(std::string(error.what()).find("Failed to reach hook") != std::string::npos);
        }
    }
}
