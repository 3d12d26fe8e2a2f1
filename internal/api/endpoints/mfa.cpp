// Multi-factor authentication with TOTP factors (GoTrue's internal/api/mfa.go, and the factor
// routes of internal/api/admin.go): enroll, challenge, verify, unenroll; the admin's list and
// delete. Phone and WebAuthn factors are answered as upstream answers them when they are
// switched off.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/qr_code.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "api/services/validation.hpp"
#include "api/services/views.hpp"
#include "crypto/column_encryption.hpp"
#include "crypto/crypto.hpp"
#include "crypto/totp.hpp"
#include "models/amr_claim.hpp"
#include "models/audit_log.hpp"
#include "models/challenge.hpp"
#include "models/factor.hpp"
#include "models/refresh_token.hpp"
#include "models/session.hpp"

namespace gotrue::api {
namespace {

constexpr std::string_view kAal2 = "aal2";

HttpError Internal(const std::string& message, std::string internal = {}) {
    return HttpError(500, kUnexpectedFailure, message, std::move(internal));
}

// As upstream's requireNotAnonymous on the /factors routes.
void RequireNotAnonymous(const Caller& caller) {
    if (caller.user.is_anonymous) {
        throw Forbidden(kNoAuthorization, "Anonymous user not allowed to perform these actions");
    }
}

// The :factor_id path parameter (upstream's loadFactor).
std::string FactorIdParam(const Request& request) {
    const auto it = request.params.find("factor_id");
    std::string id = it == request.params.end() ? std::string() : it->second;
    if (!IsUuid(id)) {
        throw NotFound(kValidationFailed, "factor_id must be an UUID");
    }
    return id;
}

models::Factor LoadFactor(
    pqxx::transaction_base& tx,
    const std::string& user_id,
    const std::string& factor_id,
    models::Lock lock = models::Lock::kNone
) {
    auto factor = models::FindUserFactor(tx, user_id, factor_id, lock);
    if (!factor) {
        throw NotFound(kMfaFactorNotFound, "Factor not found");
    }
    return std::move(*factor);
}

// Factor types this server does not serve are refused as upstream refuses them switched off
// (their switches default to off there); unknown types are a 400.
void RequireTotp(const std::string& factor_type, bool enroll, const conf::MfaConfig& config) {
    if (factor_type == models::kFactorTypeTotp) {
        if (enroll && !config.totp_enroll_enabled) {
            throw UnprocessableEntity(kMfaTotpEnrollNotEnabled, "MFA enroll is disabled for TOTP");
        }
        if (!enroll && !config.totp_verify_enabled) {
            throw UnprocessableEntity(
                kMfaTotpVerifyNotEnabled, "MFA verification is disabled for TOTP"
            );
        }
        return;
    }
    if (factor_type == "phone") {
        throw UnprocessableEntity(
            enroll ? kMfaPhoneEnrollNotEnabled : kMfaPhoneVerifyNotEnabled,
            enroll ? "MFA enroll is disabled for Phone" : "MFA verification is disabled for Phone"
        );
    }
    if (factor_type == "webauthn") {
        throw UnprocessableEntity(
            enroll ? kMfaWebAuthnEnrollNotEnabled : kMfaWebAuthnVerifyNotEnabled,
            enroll ? "MFA enroll is disabled for WebAuthn"
                   : "MFA verification is disabled for WebAuthn"
        );
    }
    throw BadRequest(kValidationFailed, "factor_type needs to be totp, phone, or webauthn");
}

// Upstream's answer to a challenge verified before or made from another address.
HttpError IpAddressMismatch() {
    return UnprocessableEntity(
        kMfaIpAddressMismatch, "Challenge and verify IP addresses mismatch."
    );
}

// The amr method a factor's verification records (upstream's amrMethodForFactorType).
std::string AmrMethodOf(const std::string& factor_type) {
    if (factor_type == models::kFactorTypeTotp) {
        return std::string(models::String(models::AuthenticationMethod::kTotp));
    }
    return "mfa/" + factor_type;
}

std::string FactorTraits(
    const models::Factor& factor,
    const std::string& extra_key = {},
    const std::string& extra_value = {}
) {
    rapidjson::Document traits(rapidjson::kObjectType);
    auto& allocator = traits.GetAllocator();
    traits.AddMember("factor_id", rapidjson::Value(factor.id.c_str(), allocator), allocator);
    if (!extra_key.empty()) {
        traits.AddMember(
            rapidjson::Value(extra_key.c_str(), allocator),
            rapidjson::Value(extra_value.c_str(), allocator),
            allocator
        );
    }
    return ToJson(traits);
}

// Go's url.PathEscape (`segment`) or the escaping of url.URL's path: unreserved characters and a
// few sub-delimiters stay, every other byte becomes %XX.
std::string GoEscape(std::string_view text, bool segment) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    const std::string_view kept = segment ? "$&+:=@" : "$&+,/:;=@";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
            kept.find(c) != std::string_view::npos) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4U]);
            out.push_back(kHex[byte & 15U]);
        }
    }
    return out;
}

// The otpauth:// URI pquerna/otp's Key.URL() gives: the query keys sorted, values path-escaped.
std::string TotpUri(
    const std::string& issuer, const std::string& account, const std::string& secret
) {
    return "otpauth://totp" + GoEscape("/" + issuer + ":" + account, false) +
           "?algorithm=SHA1&digits=6&issuer=" + GoEscape(issuer, true) +
           "&period=30&secret=" + GoEscape(secret, true);
}

// The host of GOTRUE_SITE_URL, upstream's default issuer.
std::string SiteHost(const std::string& site_url) {
    auto rest = std::string_view(site_url);
    if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
        rest.remove_prefix(scheme + 3);
    }
    return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

// The admin as audit actor: the token's subject, the nil UUID for service_role keys.
models::User AdminActor(const Caller& admin) {
    models::User actor = admin.user;
    if (actor.id.empty()) {
        actor.id = "00000000-0000-0000-0000-000000000000";
    }
    return actor;
}

long long UnixSeconds(models::Time time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

// The checks of upstream's validateFactors, on the user's factors read under the user's lock.
void ValidateNewFactor(
    const std::vector<models::Factor>& factors,
    const std::string& friendly_name,
    const models::Session& session,
    const conf::MfaConfig& config
) {
    int verified = 0;
    for (const auto& factor : factors) {
        if (factor.friendly_name == friendly_name) {
            throw UnprocessableEntity(
                kMfaFactorNameConflict,
                "A factor with the friendly name \"" + friendly_name +
                    "\" for this user already exists"
            );
        }
        verified += factor.IsVerified() ? 1 : 0;
    }
    if (static_cast<double>(factors.size()) >= config.max_enrolled_factors ||
        verified >= config.max_verified_factors) {
        throw UnprocessableEntity(
            kTooManyEnrolledMfaFactors,
            "Maximum number of verified factors reached, unenroll to continue"
        );
    }
    if (verified > 0 && session.aal != kAal2) {
        throw Forbidden(kInsufficientAal, "AAL2 required to enroll a new factor");
    }
}

// The caller's session row; upstream answers 500 when the token names none.
models::Session CallerSession(pqxx::transaction_base& tx, const Caller& caller, const char* what) {
    auto session =
        caller.session_id.empty() ? std::nullopt : models::FindSession(tx, caller.session_id);
    if (!session) {
        throw Internal(
            std::string("A valid session and a registered user are required to ") + what
        );
    }
    return std::move(*session);
}

struct Verified {
    models::User user;
    std::vector<models::Identity> identities;
    std::vector<models::Factor> factors;
    IssuedSession session;
};

// What a verification that fails returns after its transaction committed (a deleted expired
// challenge, a re-encrypted secret).
struct VerifyOutcome {
    std::optional<Verified> verified;
    std::optional<HttpError> refusal;
};

// The refresh token the session continues with. The current one is revoked and the new one is
// not its child, so a token from before the verification can never be exchanged for the aal2
// session: presenting it is reuse (GoTrue gets there for its v2 tokens by moving the session's
// counter by two; for legacy tokens it hands out the child).
std::string NextRefreshToken(pqxx::work& tx, const Caller& caller) {
    if (const auto active = models::FindActiveRefreshToken(tx, caller.session_id)) {
        models::RevokeRefreshToken(tx, active->id);
    }
    return models::CreateRefreshToken(tx, caller.user.id, caller.session_id, "").token;
}

}  // namespace

Response Api::EnrollFactor(Request& request) {
    const Caller& caller = GuardedCaller(request);
    RequireNotAnonymous(caller);
    const auto& config = deps_.config;
    const auto document = ParseJsonBody(request.body);
    const std::string friendly_name = StringField(document, "friendly_name").value_or("");
    const std::string factor_type = StringField(document, "factor_type").value_or("");
    std::string issuer = StringField(document, "issuer").value_or("");
    static_cast<void>(StringField(document, "phone"));
    RequireTotp(factor_type, true, config.mfa);
    if (issuer.empty()) {
        issuer = SiteHost(config.site_url);
    }
    // As pquerna/otp refuses to make a key without them (upstream's 500).
    if (issuer.empty() || caller.user.email.empty()) {
        throw Internal("Error generating QR Code", "issuer and account name are required");
    }
    const std::string secret = crypto::Base32Encode(crypto::RandomBytes(crypto::kTotpSecretBytes));
    const std::string uri = TotpUri(issuer, caller.user.email, secret);
    const std::string qr_code = QrCodeSvg(uri);
    const models::Factor factor = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        const auto session = CallerSession(tx, caller, "enroll a factor");
        // The user's lock serialises enrollments, so the limits hold under parallel requests.
        static_cast<void>(models::FindUserById(tx, caller.user.id, models::Lock::kForUpdate));
        models::DeleteExpiredFactors(tx, config.mfa.factor_expiry_duration);
        ValidateNewFactor(
            models::FindFactorsByUser(tx, caller.user.id), friendly_name, session, config.mfa
        );
        models::Factor created;
        created.id = models::NewFactorId(tx);
        created.user_id = caller.user.id;
        created.friendly_name = friendly_name;
        created.factor_type = factor_type;
        created.secret = crypto::SealColumn(created.id, secret, config.security.db_encryption);
        models::CreateFactor(tx, created);
        models::RecordAudit(
            tx, caller.user, "factor_in_progress", ClientIp(request), FactorTraits(created)
        );
        return created;
    });
    return JsonResponse(200, JsonText([&](JsonWriter& writer) {
                            writer.StartObject();
                            writer.Key("id");
                            writer.String(factor.id.c_str());
                            writer.Key("type");
                            writer.String(factor.factor_type.c_str());
                            writer.Key("friendly_name");
                            writer.String(factor.friendly_name.c_str());
                            writer.Key("totp");
                            writer.StartObject();
                            writer.Key("qr_code");
                            writer.String(qr_code.c_str());
                            writer.Key("secret");
                            writer.String(secret.c_str());
                            writer.Key("uri");
                            writer.String(uri.c_str());
                            writer.EndObject();
                            writer.EndObject();
                        }));
}

Response Api::ChallengeFactor(Request& request) {
    const Caller& caller = GuardedCaller(request);
    RequireNotAnonymous(caller);
    const std::string factor_id = FactorIdParam(request);
    const auto& config = deps_.config;
    std::pair<models::Factor, models::Challenge> made =
        RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
            auto factor = LoadFactor(tx, caller.user.id, factor_id);
            RequireTotp(factor.factor_type, false, config.mfa);
            auto challenge = models::CreateChallenge(tx, factor.id, ClientIp(request));
            models::RecordAudit(
                tx,
                caller.user,
                "challenge_created",
                ClientIp(request),
                FactorTraits(factor, "factor_status", factor.status)
            );
            return std::make_pair(std::move(factor), std::move(challenge));
        });
    const models::Factor& factor = made.first;
    const models::Challenge& challenge = made.second;
    const long long expires_at =
        UnixSeconds(challenge.created_at) + config.mfa.challenge_expiry_duration.count();
    return JsonResponse(200, JsonText([&](JsonWriter& writer) {
                            writer.StartObject();
                            writer.Key("id");
                            writer.String(challenge.id.c_str());
                            writer.Key("type");
                            writer.String(factor.factor_type.c_str());
                            writer.Key("expires_at");
                            writer.Int64(expires_at);
                            writer.EndObject();
                        }));
}

// Checks in upstream's order (verifyTOTPFactor, validateChallenge): the challenge exists for
// this factor, was not verified and comes from this address, has not expired; the code matches.
// Beyond upstream, a code whose time step was accepted before is refused (RFC 6238 §5.2).
Response Api::VerifyFactor(Request& request) {
    const Caller& caller = GuardedCaller(request);
    RequireNotAnonymous(caller);
    const std::string factor_id = FactorIdParam(request);
    const auto& config = deps_.config;
    const auto document = ParseJsonBody(request.body);
    // Absent: the nil UUID, which names no challenge (as Go decodes it); not a UUID: bad JSON.
    const std::string challenge_id =
        StringField(document, "challenge_id").value_or("00000000-0000-0000-0000-000000000000");
    const std::string code = StringField(document, "code").value_or("");
    if (!IsUuid(challenge_id)) {
        throw BadRequest(
            kBadJson, "Could not parse request body as JSON: uuid: incorrect UUID in challenge_id"
        );
    }
    const std::string ip = ClientIp(request);
    VerifyOutcome outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        // The factor's lock serialises verifications: one code, one session upgrade.
        auto factor = LoadFactor(tx, caller.user.id, factor_id, models::Lock::kForUpdate);
        if (code.empty()) {
            throw BadRequest(kValidationFailed, "Code needs to be non-empty");
        }
        RequireTotp(factor.factor_type, false, config.mfa);
        const auto challenge = models::FindChallenge(tx, factor.id, challenge_id, ip);
        if (!challenge) {
            throw UnprocessableEntity(
                kMfaFactorNotFound, "MFA factor with the provided challenge ID not found"
            );
        }
        if (challenge->verified_at || !challenge->same_address) {
            throw IpAddressMismatch();
        }
        VerifyOutcome result;
        if (challenge->created_at + config.mfa.challenge_expiry_duration < models::Now()) {
            models::DeleteChallenge(tx, challenge->id);  // committed, then 422
            result.refusal = UnprocessableEntity(
                kMfaChallengeExpired,
                "MFA challenge " + challenge->id +
                    " has expired, verify against another challenge or create a new challenge."
            );
            return result;
        }
        crypto::OpenedColumn secret;
        try {
            secret = crypto::OpenColumn(factor.id, factor.secret, config.security.db_encryption);
        } catch (const std::runtime_error& error) {
            throw Internal("Database error verifying MFA TOTP secret", error.what());
        }
        const std::optional<std::string> resealed =
            secret.reseal ? std::optional<std::string>(crypto::SealColumn(
                                factor.id, secret.value, config.security.db_encryption
                            ))
                          : std::nullopt;
        const auto key = crypto::Base32Decode(secret.value);
        const auto step =
            key ? crypto::MatchTotp(code, *key, UnixSeconds(models::Now())) : std::nullopt;
        const bool replayed = step && factor.last_totp_step &&
                              static_cast<std::int64_t>(*step) <= *factor.last_totp_step;
        if (!step || replayed) {
            if (resealed) {
                models::UpdateFactorSecret(tx, factor.id, *resealed);  // committed, then 422
            }
            result.refusal =
                UnprocessableEntity(kMfaVerificationFailed, "Invalid TOTP code entered");
            return result;
        }
        if (!models::ClaimChallenge(tx, challenge->id)) {  // cannot happen under the factor lock
            throw IpAddressMismatch();
        }
        models::RecordAudit(
            tx,
            caller.user,
            "verification_attempted",
            ip,
            FactorTraits(factor, "challenge_id", challenge->id)
        );
        models::RecordTotpVerification(tx, factor.id, static_cast<std::int64_t>(*step), resealed);
        const auto session = CallerSession(tx, caller, "verify a factor");
        models::AddClaimToSession(tx, session.id, models::AuthenticationMethod::kTotp);
        models::SetSessionAal(tx, session.id, kAal2, factor.id);
        const std::string refresh_token = NextRefreshToken(tx, caller);
        models::DeleteSessionsBelowAal(tx, caller.user.id, kAal2);
        models::DeleteUnverifiedFactors(tx, caller.user.id, factor.factor_type);
        Verified verified;
        verified.user = models::FindUserById(tx, caller.user.id).value_or(caller.user);
        verified.identities = models::FindIdentitiesByUser(tx, caller.user.id);
        verified.factors = models::FindFactorsByUser(tx, caller.user.id);
        verified.session = TokensForSession(
            tx,
            verified.user,
            session.id,
            refresh_token,
            request,
            models::AuthenticationMethod::kTotp,
            config
        );
        result.verified = std::move(verified);
        return result;
    });
    if (outcome.refusal) {
        throw HttpError(*outcome.refusal);
    }
    return SessionResponse(
        outcome.verified->session,
        outcome.verified->user,
        outcome.verified->identities,
        outcome.verified->factors
    );
}

Response Api::UnenrollFactor(Request& request) {
    const Caller& caller = GuardedCaller(request);
    RequireNotAnonymous(caller);
    const std::string factor_id = FactorIdParam(request);
    RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        const auto factor = LoadFactor(tx, caller.user.id, factor_id, models::Lock::kForUpdate);
        const auto session = CallerSession(tx, caller, "unenroll a factor");
        if (factor.IsVerified() && session.aal != kAal2) {
            throw UnprocessableEntity(
                kInsufficientAal, "AAL2 required to unenroll verified factor"
            );
        }
        models::DeleteFactor(tx, factor.id);
        models::RecordAudit(
            tx,
            caller.user,
            "factor_unenrolled",
            ClientIp(request),
            FactorTraits(factor, "session_id", session.id)
        );
        models::DowngradeSessionsOfFactor(
            tx, caller.user.id, factor.id, AmrMethodOf(factor.factor_type)
        );
    });
    return JsonResponse(200, JsonText([&](JsonWriter& writer) {
                            writer.StartObject();
                            writer.Key("id");
                            writer.String(factor_id.c_str());
                            writer.EndObject();
                        }));
}

std::vector<models::Factor> Api::LoadFactors(const std::string& user_id) {
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    return models::FindFactorsByUser(tx, user_id);
}

bool Api::LacksSecondFactor(const Caller& caller) {
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    const auto factors = models::FindFactorsByUser(tx, caller.user.id);
    const bool has_verified = std::any_of(factors.begin(), factors.end(), [](const auto& factor) {
        return factor.IsVerified();
    });
    const auto session =
        caller.session_id.empty() ? std::nullopt : models::FindSession(tx, caller.session_id);
    return has_verified && (!session || session->aal != kAal2);
}

Response Api::AdminListFactors(Request& request) {
    const models::User user = LoadAdminTarget(request);
    return JsonResponse(200, FactorsJson(LoadFactors(user.id)));
}

// Upstream's adminUserUpdateFactor: a non-empty friendly_name renames the factor (phone numbers
// of phone factors are not served here).
Response Api::AdminUpdateFactor(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const models::User user = LoadAdminTarget(request);
    const std::string factor_id = FactorIdParam(request);
    const auto document = ParseJsonBody(request.body);
    const std::string friendly_name = StringField(document, "friendly_name").value_or("");
    static_cast<void>(StringField(document, "phone"));
    const models::Factor updated = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        const auto factor = LoadFactor(tx, user.id, factor_id, models::Lock::kForUpdate);
        if (!friendly_name.empty()) {
            models::UpdateFactorFriendlyName(tx, factor.id, friendly_name);
        }
        models::RecordAudit(
            tx, AdminActor(admin), "factor_updated", "", FactorTraits(factor, "user_id", user.id)
        );
        return LoadFactor(tx, user.id, factor_id);
    });
    return JsonResponse(200, FactorJson(updated));
}

Response Api::AdminDeleteFactor(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const models::User user = LoadAdminTarget(request);
    const std::string factor_id = FactorIdParam(request);
    const models::Factor deleted = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        auto factor = LoadFactor(tx, user.id, factor_id, models::Lock::kForUpdate);
        models::RecordAudit(
            tx,
            AdminActor(admin),
            "factor_deleted",
            ClientIp(request),
            FactorTraits(factor, "user_id", user.id)
        );
        models::DeleteFactor(tx, factor.id);
        models::DowngradeSessionsOfFactor(tx, user.id, factor.id, AmrMethodOf(factor.factor_type));
        return factor;
    });
    return JsonResponse(200, FactorJson(deleted));
}

}  // namespace gotrue::api
