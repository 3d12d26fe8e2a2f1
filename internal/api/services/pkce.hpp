#pragma once

// PKCE for the email flows (supabase/auth internal/api/pkce.go): the code_challenge parameters
// of /signup, /recover, /resend, /magiclink, /otp and PUT /user, the flow state a request with
// a challenge starts, and the auth code GET /verify hands out for it. The exchange of that code
// is POST /token?grant_type=pkce (endpoints/token.cpp); the model is models/flow_state.hpp.

#include <chrono>
#include <string>
#include <string_view>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "api/services/mail.hpp"
#include "conf/config.hpp"
#include "models/flow_state.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::api {

inline constexpr std::size_t kMinCodeChallengeLength = 43;
inline constexpr std::size_t kMaxCodeChallengeLength = 128;

// code_challenge and code_challenge_method of a request body.
struct PkceParams {
    std::string challenge;
    std::string method;

    // A challenge makes the flow PKCE (upstream's getFlowFromChallenge).
    [[nodiscard]] models::FlowType Flow() const {
        return challenge.empty() ? models::FlowType::kImplicit : models::FlowType::kPkce;
    }
};

// Reads the two fields (400 bad_json when one is not a string).
[[nodiscard]] PkceParams ReadPkceParams(const rapidjson::Value& body);

// Upstream's validatePKCEParams, 400 validation_failed: both or neither ("PKCE flow requires
// code_challenge_method and code_challenge"), 43 to 128 characters of [A-Za-z0-9._~-] (RFC 7636
// section 4.2). Also refuses a method other than s256 or plain, which upstream only notices when
// it stores the flow (a 500 there, and only for addresses that have a user).
void ValidatePkceParams(const PkceParams& params);

// How old a flow state gets before the cleanup deletes it: upstream's 24 hours
// (internal/models/cleanup.go), or the configured lifetime when that is longer.
[[nodiscard]] std::chrono::seconds StaleFlowStateAge(const conf::Config& config);

// Stale flow states each new flow deletes (bounded work per request; SKIP LOCKED).
inline constexpr long long kStaleFlowStatesPerFlow = 10;

// The flow a mail of `user_id` belongs to: kImplicit without a challenge; with one, a flow state
// (upstream's provider_type and authentication method for the endpoint) is stored first, and
// up to kStaleFlowStatesPerFlow stale ones deleted. Call inside the request's transaction.
models::FlowType StartFlow(
    pqxx::work& tx,
    const PkceParams& params,
    std::string_view provider_type,
    models::AuthenticationMethod method,
    const std::string& user_id,
    const conf::Config& config
);

// The confirmation mail of a sign-up (/signup, and /magiclink and /otp for a new or unconfirmed
// address) in the flow `params` asks for: upstream's flow state for it is provider "email",
// method email/signup (internal/api/signup.go).
[[nodiscard]] OutgoingMail PrepareSignupConfirmation(
    pqxx::work& tx,
    const MailService& mail,
    models::User& user,
    const std::string& redirect_to,
    const PkceParams& params,
    const conf::Config& config
);

// The flow method a verified PKCE link of `type` belongs to (upstream parses the link's type;
// type "email", which upstream cannot parse, follows the token it redeemed).
[[nodiscard]] models::AuthenticationMethod PkceFlowMethod(
    models::VerificationType type, models::OneTimeTokenType redeemed
);

// The auth code of the user's latest flow of `method`, recorded as issued now. 400
// flow_state_not_found (as upstream's verifyGet words it) when there is none.
[[nodiscard]] std::string IssueAuthCode(
    pqxx::work& tx, const std::string& user_id, models::AuthenticationMethod method
);

}  // namespace gotrue::api
