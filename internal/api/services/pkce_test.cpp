#include "api/services/pkce.hpp"

#include <string>

#include <doctest/doctest.h>

#include "api/http_types.hpp"

using gotrue::api::PkceParams;
using gotrue::api::ValidatePkceParams;
using gotrue::models::AuthenticationMethod;
using gotrue::models::FlowType;
using gotrue::models::OneTimeTokenType;
using gotrue::models::VerificationType;

namespace {

constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";  // 43 characters

// The message of the 400 validation_failed ValidatePkceParams throws; "" when it accepts.
std::string Refusal(const PkceParams& params) {
    try {
        ValidatePkceParams(params);
        return "";
    } catch (const gotrue::api::HttpError& error) {
        CHECK(error.Status() == 400);
        CHECK(std::string(error.Code()) == "validation_failed");
        return error.what();
    }
}

}  // namespace

TEST_SUITE("pkce params") {
    TEST_CASE("neither parameter is the implicit flow") {
        CHECK(Refusal({}).empty());
        CHECK(PkceParams{}.Flow() == FlowType::kImplicit);
        CHECK(PkceParams{kChallenge, "s256"}.Flow() == FlowType::kPkce);
    }

    TEST_CASE("one without the other is refused with GoTrue's message") {
        const std::string message = "PKCE flow requires code_challenge_method and code_challenge";
        CHECK(Refusal({kChallenge, ""}) == message);
        CHECK(Refusal({"", "s256"}) == message);
    }

    TEST_CASE("a challenge has 43 to 128 characters") {
        const std::string message = "code challenge has to be between 43 and 128 characters";
        CHECK(Refusal({std::string(42, 'a'), "plain"}) == message);
        CHECK(Refusal({std::string(43, 'a'), "plain"}).empty());
        CHECK(Refusal({std::string(128, 'a'), "plain"}).empty());
        CHECK(Refusal({std::string(129, 'a'), "plain"}) == message);
    }

    TEST_CASE("a challenge uses the unreserved characters of RFC 7636 only") {
        const std::string message =
            "code challenge can only contain alphanumeric characters, hyphens, periods, "
            "underscores and tildes";
        CHECK(Refusal({std::string(40, 'a') + "-._~", "s256"}).empty());
        CHECK(Refusal({std::string(42, 'a') + "=", "s256"}) == message);
        CHECK(Refusal({std::string(42, 'a') + "+", "s256"}) == message);
        CHECK(Refusal({std::string(42, 'a') + "/", "s256"}) == message);
        CHECK(Refusal({std::string(42, 'a') + " ", "s256"}) == message);
        CHECK(Refusal({std::string(41, 'a') + "\xc3\xa9", "s256"}) == message);
    }

    TEST_CASE("the method is s256 or plain in any case") {
        CHECK(Refusal({kChallenge, "S256"}).empty());
        CHECK(Refusal({kChallenge, "Plain"}).empty());
        CHECK(Refusal({kChallenge, "sha256"}) == "unsupported code_challenge method \"sha256\"");
    }

    TEST_CASE("a verified link's type names the flow it belongs to") {
        struct Row {
            VerificationType type;
            OneTimeTokenType redeemed;
            AuthenticationMethod method;
        };

        const Row rows[]{
            {VerificationType::kSignup,
             OneTimeTokenType::kConfirmation,
             AuthenticationMethod::kEmailSignup},
            {VerificationType::kRecovery,
             OneTimeTokenType::kRecovery,
             AuthenticationMethod::kRecovery},
            {VerificationType::kMagicLink,
             OneTimeTokenType::kRecovery,
             AuthenticationMethod::kMagicLink},
            {VerificationType::kEmailChange,
             OneTimeTokenType::kEmailChangeNew,
             AuthenticationMethod::kEmailChange},
            {VerificationType::kInvite,
             OneTimeTokenType::kConfirmation,
             AuthenticationMethod::kInvite},
            // type=email follows the token it redeemed.
            {VerificationType::kEmail,
             OneTimeTokenType::kConfirmation,
             AuthenticationMethod::kEmailSignup},
            {VerificationType::kEmail,
             OneTimeTokenType::kRecovery,
             AuthenticationMethod::kMagicLink},
        };
        for (const auto& row : rows) {
            CAPTURE(gotrue::models::String(row.type));
            CHECK(gotrue::api::PkceFlowMethod(row.type, row.redeemed) == row.method);
        }
    }

    TEST_CASE("stale flow states are kept a day, or the configured lifetime when longer") {
        gotrue::conf::Config config;
        CHECK(gotrue::api::StaleFlowStateAge(config) == std::chrono::hours(24));
        config.external.flow_state_expiry = std::chrono::hours(48);
        CHECK(gotrue::api::StaleFlowStateAge(config) == std::chrono::hours(48));
    }
}
