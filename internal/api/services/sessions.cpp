#include "api/services/sessions.hpp"

#include <chrono>
#include <cstdint>

#include <rapidjson/document.h>

#include "api/http_types.hpp"
#include "api/services/access_token_hook.hpp"
#include "api/services/request_info.hpp"
#include "models/amr_claim.hpp"
#include "models/refresh_token.hpp"
#include "models/session.hpp"
#include "tokens/keys.hpp"

namespace gotrue::api {
namespace {

void AddString(rapidjson::Document& claims, const char* key, const std::string& value) {
    auto& allocator = claims.GetAllocator();
    claims.AddMember(
        rapidjson::StringRef(key),
        rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), allocator),
        allocator
    );
}

void AddJson(rapidjson::Document& claims, const char* key, const std::string& json) {
    auto& allocator = claims.GetAllocator();
    const rapidjson::Document value = ParseStoredObject(json);
    claims.AddMember(rapidjson::StringRef(key), rapidjson::Value(value, allocator), allocator);
}

}  // namespace

IssuedSession TokensForSession(
    pqxx::work& tx,
    const models::User& user,
    const std::string& session_id,
    const std::string& refresh_token,
    const Request& request,
    models::AuthenticationMethod method,
    const conf::Config& config
) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()
    )
                              .count();
    const long long expires_at = now + config.jwt.exp;
    // Claims in the order of GoTrue's AccessTokenClaims (internal/tokens/service.go).
    rapidjson::Document claims;
    claims.SetObject();
    auto& allocator = claims.GetAllocator();
    AddString(claims, "aud", user.aud);
    claims.AddMember("exp", rapidjson::Value(static_cast<std::int64_t>(expires_at)), allocator);
    claims.AddMember("iat", rapidjson::Value(static_cast<std::int64_t>(now)), allocator);
    if (!config.jwt.issuer.empty()) {
        AddString(claims, "iss", config.jwt.issuer);
    }
    AddString(claims, "sub", user.id);
    AddString(claims, "email", user.email);
    AddString(claims, "phone", user.phone);
    AddJson(claims, "app_metadata", user.raw_app_meta_data);
    AddJson(claims, "user_metadata", user.raw_user_meta_data);
    AddString(claims, "role", user.role);
    const auto session = models::FindSession(tx, session_id);
    AddString(claims, "aal", session ? session->aal : std::string("aal1"));
    rapidjson::Value amr(rapidjson::kArrayType);
    for (const auto& claim : models::FindAmrClaims(tx, session_id)) {
        rapidjson::Value entry(rapidjson::kObjectType);
        entry.AddMember("method", rapidjson::Value(claim.method.c_str(), allocator), allocator);
        entry.AddMember(
            "timestamp",
            rapidjson::Value(static_cast<std::int64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(claim.updated_at.time_since_epoch()
                )
                    .count()
            )),
            allocator
        );
        amr.PushBack(entry, allocator);
    }
    claims.AddMember("amr", amr, allocator);
    AddString(claims, "session_id", session_id);
    claims.AddMember("is_anonymous", user.is_anonymous, allocator);
    // The hook runs inside `tx`: when it fails, nothing this sign-in wrote is committed.
    claims = CustomizeAccessToken(tx, config, request, user.id, std::move(claims), method);

    IssuedSession issued;
    issued.access_token = config.jwt.key_set.Sign(claims);  // RS256/ES256/HS256, with kid
    issued.refresh_token = refresh_token;
    issued.session_id = session_id;
    issued.expires_at = expires_at;
    issued.expires_in = config.jwt.exp;
    return issued;
}

IssuedSession IssueSession(
    pqxx::work& tx,
    models::User& user,
    models::AuthenticationMethod method,
    const Request& request,
    const conf::Config& config
) {
    const models::Session session =
        models::CreateSession(tx, user.id, UserAgent(request), ClientIp(request));
    models::AddClaimToSession(tx, session.id, method);
    const models::RefreshToken refresh = models::CreateRefreshToken(tx, user.id, session.id, "");
    models::UpdateLastSignInAt(tx, user);
    return TokensForSession(tx, user, session.id, refresh.token, request, method, config);
}

}  // namespace gotrue::api
