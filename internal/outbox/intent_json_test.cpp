// The stored form of a mail intent: everything the renderer and the send-email hook need comes
// back unchanged, and what cannot be read back is refused rather than sent half-empty.

#include "outbox/intent_json.hpp"

#include <string>

#include <doctest/doctest.h>

namespace outbox = gotrue::outbox;
namespace mailer = gotrue::mailer;

namespace {

mailer::MailIntent Sample() {
    mailer::MailIntent intent;
    intent.kind = mailer::MailKind::kEmailChange;
    intent.input.email = "old@example.com";
    intent.input.to = "new@example.com";
    intent.input.new_email = "new@example.com";
    intent.input.token = "123456";
    intent.input.token_hash = "pkce_abc\"def";
    intent.input.redirect_to = "https://app.example/cb?a=1&b=2";
    intent.input.external_url = "https://auth.example";
    intent.input.data = mailer::TemplateValue::Object(
        {{"name", mailer::TemplateValue::String("Zoë")},
         {"age", mailer::TemplateValue::Number(42)},
         {"tags",
          mailer::TemplateValue::List(
              {mailer::TemplateValue::Bool(true), mailer::TemplateValue::Null()}
          )}}
    );
    intent.input.extra = {{"OldEmail", "old@example.com"}};
    intent.user_json = R"({"id":"u1","email":"old@example.com","user_metadata":{"name":"Zoë"}})";
    return intent;
}

}  // namespace

TEST_SUITE("outbox") {
    TEST_CASE("an intent survives the round trip through its stored JSON") {
        const auto intent = Sample();
        const auto back = outbox::IntentFromJson(outbox::IntentToJson(intent));
        CHECK(back.kind == mailer::MailKind::kEmailChange);
        CHECK(back.input.email == intent.input.email);
        CHECK(back.input.to == intent.input.to);
        CHECK(back.input.new_email == intent.input.new_email);
        CHECK(back.input.token == "123456");
        CHECK(back.input.token_hash == "pkce_abc\"def");
        CHECK(back.input.redirect_to == intent.input.redirect_to);
        CHECK(back.input.external_url == intent.input.external_url);
        CHECK(back.input.extra == intent.input.extra);
        CHECK(back.user_json == intent.user_json);
        REQUIRE(back.input.data.Find("name") != nullptr);
        CHECK(back.input.data.Find("name")->AsString() == "Zoë");
        CHECK(back.input.data.Find("age")->AsNumber() == 42);
        REQUIRE(back.input.data.Find("tags") != nullptr);
        REQUIRE(back.input.data.Find("tags")->AsList().size() == 2);
        CHECK(back.input.data.Find("tags")->AsList()[0].AsBool());
        CHECK(back.input.data.Find("tags")->AsList()[1].IsNull());
    }

    TEST_CASE("every mail kind is stored under its type and read back as itself") {
        for (const auto& info : mailer::AllMailKinds()) {
            mailer::MailIntent intent;
            intent.kind = info.kind;
            const std::string json = outbox::IntentToJson(intent);
            CHECK(json.find("\"kind\":\"" + std::string(info.type) + "\"") != std::string::npos);
            CHECK(outbox::IntentFromJson(json).kind == info.kind);
            CHECK(outbox::IntentFromJson(json).user_json.empty());
        }
    }

    TEST_CASE("a stored intent that cannot be read back is refused") {
        CHECK_THROWS_AS(static_cast<void>(outbox::IntentFromJson("")), outbox::BadIntentError);
        CHECK_THROWS_AS(static_cast<void>(outbox::IntentFromJson("[]")), outbox::BadIntentError);
        CHECK_THROWS_AS(
            static_cast<void>(outbox::IntentFromJson(R"({"kind":"postcard","input":{"extra":{}}})")
            ),
            outbox::BadIntentError
        );
        CHECK_THROWS_AS(
            static_cast<void>(outbox::IntentFromJson(R"({"kind":"confirmation"})")),
            outbox::BadIntentError
        );
        CHECK_THROWS_AS(
            static_cast<void>(outbox::IntentFromJson(R"({"kind":"confirmation","input":{}})")),
            outbox::BadIntentError
        );
        CHECK_NOTHROW(static_cast<void>(
            outbox::IntentFromJson(R"({"kind":"confirmation","input":{"extra":{}}})")
        ));
    }
}
