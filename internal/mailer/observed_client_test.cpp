#include "mailer/observed_client.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/context.hpp"

using gotrue::mailer::FailureKind;
using gotrue::mailer::Message;
using gotrue::mailer::ObservedClient;
using gotrue::mailer::SendError;
using gotrue::mailer::SendOutcome;

namespace {

// Fails as told, or accepts.
class ScriptedClient final : public gotrue::mailer::MailClient {
public:
    std::function<void()> next = [] {
    };

    void Send(const gotrue::apitask::Context& /*context*/, const Message& /*message*/) override {
        next();
    }
};

}  // namespace

TEST_SUITE("observed client") {
    TEST_CASE("every send is reported with its kind and outcome, and the result passes on") {
        auto scripted = std::make_unique<ScriptedClient>();
        ScriptedClient& inner = *scripted;
        std::vector<std::pair<std::string, SendOutcome>> seen;
        ObservedClient client(
            std::move(scripted),
            [&seen](const Message& message, SendOutcome outcome) {
                seen.emplace_back(message.type, outcome);
            }
        );
        const gotrue::apitask::Context context;
        Message message{"a@example.com", "Confirm", "<p>hi</p>", "confirmation"};
        client.Send(context, message);

        inner.next = [] {
            throw SendError(FailureKind::kTransient, "451 try later");
        };
        CHECK_THROWS_WITH_AS(client.Send(context, message), "451 try later", SendError);

        message.type = "recovery";
        inner.next = [] {
            throw SendError(FailureKind::kPermanent, "550 no such user");
        };
        CHECK_THROWS_AS(client.Send(context, message), SendError);

        inner.next = [] {
            throw std::runtime_error("unexpected");
        };
        CHECK_THROWS_AS(client.Send(context, message), std::runtime_error);

        REQUIRE(seen.size() == 4);
        CHECK(seen[0] == std::pair<std::string, SendOutcome>{"confirmation", SendOutcome::kSent});
        CHECK(seen[1].second == SendOutcome::kTransientFailure);
        CHECK(
            seen[2] ==
            std::pair<std::string, SendOutcome>{"recovery", SendOutcome::kPermanentFailure}
        );
        CHECK(seen[3].second == SendOutcome::kPermanentFailure);
    }

    TEST_CASE("outcome names are the metric's label values") {
        CHECK(gotrue::mailer::OutcomeName(SendOutcome::kSent) == "sent");
        CHECK(gotrue::mailer::OutcomeName(SendOutcome::kTransientFailure) == "transient_failure");
        CHECK(gotrue::mailer::OutcomeName(SendOutcome::kPermanentFailure) == "permanent_failure");
    }
}
