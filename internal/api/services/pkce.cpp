#include "api/services/pkce.hpp"

#include <algorithm>

#include "api/http_types.hpp"

namespace gotrue::api {
namespace {

bool IsChallengeCharacter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == '-';
}

// Upstream's issueAuthCode wraps its own 422 in verifyGet's 400; the message keeps both.
HttpError NoFlowState(const std::string& reason) {
    return BadRequest(kFlowStateNotFound, "No associated flow state found. 422: " + reason);
}

}  // namespace

PkceParams ReadPkceParams(const rapidjson::Value& body) {
    return {
        StringField(body, "code_challenge").value_or(""),
        StringField(body, "code_challenge_method").value_or(""),
    };
}

void ValidatePkceParams(const PkceParams& params) {
    if (params.challenge.empty() != params.method.empty()) {
        throw BadRequest(
            kValidationFailed, "PKCE flow requires code_challenge_method and code_challenge"
        );
    }
    if (params.challenge.empty()) {
        return;
    }
    if (params.challenge.size() < kMinCodeChallengeLength ||
        params.challenge.size() > kMaxCodeChallengeLength) {
        throw BadRequest(
            kValidationFailed,
            "code challenge has to be between " + std::to_string(kMinCodeChallengeLength) +
                " and " + std::to_string(kMaxCodeChallengeLength) + " characters"
        );
    }
    if (!std::all_of(params.challenge.begin(), params.challenge.end(), IsChallengeCharacter)) {
        throw BadRequest(
            kValidationFailed,
            "code challenge can only contain alphanumeric characters, hyphens, periods, "
            "underscores and tildes"
        );
    }
    if (!models::ParseCodeChallengeMethod(params.method)) {
        throw BadRequest(
            kValidationFailed, "unsupported code_challenge method \"" + params.method + "\""
        );
    }
}

std::chrono::seconds StaleFlowStateAge(const conf::Config& config) {
    return std::max<std::chrono::seconds>(
        std::chrono::hours(24),
        std::chrono::ceil<std::chrono::seconds>(config.external.flow_state_expiry)
    );
}

models::FlowType StartFlow(
    pqxx::work& tx,
    const PkceParams& params,
    std::string_view provider_type,
    models::AuthenticationMethod method,
    const std::string& user_id,
    const conf::Config& config
) {
    if (params.Flow() == models::FlowType::kImplicit) {
        return models::FlowType::kImplicit;
    }
    models::DeleteStaleFlowStates(tx, StaleFlowStateAge(config), kStaleFlowStatesPerFlow);
    static_cast<void>(models::CreatePkceFlowState(
        tx,
        {
            .user_id = user_id,
            .provider_type = std::string(provider_type),
            .method = method,
            .code_challenge = params.challenge,
            .challenge_method = *models::ParseCodeChallengeMethod(params.method),
        }
    ));
    return models::FlowType::kPkce;
}

OutgoingMail PrepareSignupConfirmation(
    pqxx::work& tx,
    const MailService& mail,
    models::User& user,
    const std::string& redirect_to,
    const PkceParams& params,
    const conf::Config& config
) {
    const auto flow =
        StartFlow(tx, params, "email", models::AuthenticationMethod::kEmailSignup, user.id, config);
    return mail.PrepareConfirmation(tx, user, redirect_to, Throttle::kApply, flow);
}

models::AuthenticationMethod PkceFlowMethod(
    models::VerificationType type, models::OneTimeTokenType redeemed
) {
    using models::AuthenticationMethod;
    using models::VerificationType;
    switch (type) {
        case VerificationType::kSignup:
            return AuthenticationMethod::kEmailSignup;
        case VerificationType::kInvite:
            return AuthenticationMethod::kInvite;
        case VerificationType::kRecovery:
            return AuthenticationMethod::kRecovery;
        case VerificationType::kEmailChange:
            return AuthenticationMethod::kEmailChange;
        case VerificationType::kEmail:
            return redeemed == models::OneTimeTokenType::kConfirmation
                       ? AuthenticationMethod::kEmailSignup
                       : AuthenticationMethod::kMagicLink;
        default:
            return AuthenticationMethod::kMagicLink;
    }
}

std::string IssueAuthCode(
    pqxx::work& tx, const std::string& user_id, models::AuthenticationMethod method
) {
    auto flow = models::FindLatestFlowStateOfUser(tx, user_id, method);
    if (!flow) {
        throw NoFlowState("No valid flow state found for user.");
    }
    if (!flow->IsPkce()) {
        throw NoFlowState("Flow state does not have an auth code (not a PKCE flow).");
    }
    models::RecordAuthCodeIssuedAt(tx, *flow);
    return flow->auth_code;
}

}  // namespace gotrue::api
