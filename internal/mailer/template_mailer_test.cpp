#include "mailer/template_mailer.hpp"

#include <vector>

#include <doctest/doctest.h>

#include "mailer/recording_client.hpp"

using gotrue::mailer::MailInput;
using gotrue::mailer::MailKind;
using gotrue::mailer::Message;
using gotrue::mailer::TemplateValue;

namespace {

using RecordingClient = gotrue::mailer::testing::RecordingClient;

struct Fixture {
    gotrue::mailer::TemplateCache cache{gotrue::mailer::TemplateCacheOptions{}};
    RecordingClient client;
    gotrue::mailer::MailerSettings settings{
        "https://example.netlify.com",
        "http://localhost:9999",
        {{"CONFIRMATION", "Welcome {{ .Data.name }} <3"}},
        {{"RECOVERY", "/auth/v1/verify"}},
    };
    gotrue::mailer::TemplateMailer mailer{settings, cache, client};
};

MailInput Input() {
    MailInput input;
    input.email = "user@example.com";
    input.token = "123456";
    input.token_hash = "5f2c0a";
    input.data = TemplateValue::Object({{"name", TemplateValue::String("Ada")}});
    return input;
}

}  // namespace

TEST_SUITE("template mailer") {
    TEST_CASE("the confirmation mail carries GoTrue's link, the code and the custom subject") {
        Fixture fixture;
        const Message message = fixture.mailer.Render(MailKind::kConfirmation, Input());
        CHECK(message.to == "user@example.com");
        CHECK(message.type == "confirmation");
        // Subjects render with html/template as GoTrue's do: a '<' that starts no tag is &lt;.
        CHECK(message.subject == "Welcome Ada &lt;3");
        CHECK(
            message.html.find(
                "href=\"http://localhost:9999/verify?token=5f2c0a&amp;type=signup&amp;redirect_to="
                "https://example.netlify.com\""
            ) != std::string::npos
        );
        CHECK(message.html.find("Or enter this code: 123456") != std::string::npos);
    }

    TEST_CASE("default subjects and URL paths per kind") {
        Fixture fixture;
        auto input = Input();
        input.redirect_to = "http://localhost:3000/welcome";
        const Message recovery = fixture.mailer.Render(MailKind::kRecovery, input);
        CHECK(recovery.subject == "Reset your password");
        CHECK(
            recovery.html.find("http://localhost:9999/auth/v1/"
                               "verify?token=5f2c0a&amp;type=recovery&amp;redirect_to=http://"
                               "localhost:3000/welcome") != std::string::npos
        );
        const Message magic = fixture.mailer.Render(MailKind::kMagicLink, input);
        CHECK(magic.subject == "Your sign-in link");
        CHECK(magic.html.find("type=magiclink") != std::string::npos);
        CHECK(
            magic.html.find("/auth/v1/verify") != std::string::npos
        );  // magic links use the recovery path
        CHECK(fixture.mailer.Render(MailKind::kInvite, input).subject == "You've been invited");
        CHECK(
            fixture.mailer.Render(MailKind::kReauthentication, input).subject ==
            "123456 is your verification code"
        );
    }

    TEST_CASE("substituted values are HTML-escaped in bodies") {
        Fixture fixture;
        auto input = Input();
        const Message message = fixture.mailer.Render(MailKind::kEmailChange, [&] {
            auto change = input;
            change.new_email = "new+<b>@example.com";
            change.to = "new+<b>@example.com";
            return change;
        }());
        CHECK(message.html.find("<b>") == std::string::npos);
        CHECK(message.html.find("new&#43;&lt;b&gt;@example.com") != std::string::npos);
        CHECK(message.to == "new+<b>@example.com");
    }

    TEST_CASE("Send renders and hands the message to the chain") {
        Fixture fixture;
        fixture.mailer.Send(gotrue::apitask::Context(), MailKind::kRecovery, Input());
        REQUIRE(fixture.client.sent.size() == 1);
        CHECK(fixture.client.sent.front().type == "recovery");
    }

    TEST_CASE("a custom subject html/template refuses is replaced by the built-in one") {
        gotrue::mailer::TemplateCache cache{gotrue::mailer::TemplateCacheOptions{}};
        RecordingClient client;
        gotrue::mailer::MailerSettings settings{
            "https://example.netlify.com", "http://localhost:9999", {}, {}};
        settings.subjects["RECOVERY"] = "Reset <a href=\"{{ .SiteURL }}";  // unclosed quote
        settings.subjects["INVITE"] = "Join {{ .Data.name }} & co";
        gotrue::mailer::TemplateMailer mailer{settings, cache, client};
        auto input = Input();
        input.data = TemplateValue::Object({{"name", TemplateValue::String("Smith & Sons")}});
        CHECK(mailer.Render(MailKind::kRecovery, input).subject == "Reset your password");
        // Values are HTML-escaped as GoTrue's html/template does; the literal text is not.
        CHECK(mailer.Render(MailKind::kInvite, input).subject == "Join Smith &amp; Sons & co");
    }

    TEST_CASE("every mail with a link exposes {{ .TokenHash }}, the link's token, pkce_ included") {
        gotrue::mailer::TemplateCache cache{gotrue::mailer::TemplateCacheOptions{}};
        RecordingClient client;
        gotrue::mailer::MailerSettings settings{
            "https://example.netlify.com", "http://localhost:9999", {}, {}};
        for (const auto& info : gotrue::mailer::AllMailKinds()) {
            if (!info.link_type.empty()) {
                settings.subjects[std::string(info.config_key)] = "hash={{ .TokenHash }}";
            }
        }
        gotrue::mailer::TemplateMailer mailer{settings, cache, client};
        auto input = Input();
        input.token_hash = "pkce_5f2c0a";
        int with_link = 0;
        for (const auto& info : gotrue::mailer::AllMailKinds()) {
            if (info.link_type.empty()) {
                continue;
            }
            CAPTURE(info.type);
            ++with_link;
            const Message message = mailer.Render(info.kind, input);
            CHECK(message.subject == "hash=pkce_5f2c0a");
            CHECK(message.html.find("token=pkce_5f2c0a&amp;type=") != std::string::npos);
        }
        CHECK(with_link == 5);  // confirmation, invite, recovery, magic link, email change
    }

    TEST_CASE("every built-in template parses and renders") {
        for (const auto& info : gotrue::mailer::AllMailKinds()) {
            CAPTURE(info.type);
            const auto body = gotrue::mailer::TemplateCache::BuiltIn(info.kind);
            REQUIRE(body != nullptr);
            CHECK_FALSE(body->Render({}, true).empty());
        }
    }
}
