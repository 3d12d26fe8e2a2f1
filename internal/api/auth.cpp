// Bearer-token authentication (GoTrue's internal/api/auth.go).

#include <algorithm>
#include <cctype>
#include <chrono>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/request_info.hpp"
#include "api/services/validation.hpp"
#include "models/session.hpp"
#include "tokens/keys.hpp"

namespace gotrue::api {
std::string StringClaim(const rapidjson::Value& claims, const char* name) {
    const auto it = claims.FindMember(name);
    return it != claims.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                            : std::string();
}

tokens::VerifyResult Api::VerifyBearer(const Request& request) const {
    const std::string token = BearerToken(request);
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()
    )
                              .count();
    // The key set decides key and algorithm (GOTRUE_JWT_KEYS, or the HS256 secret).
    auto verified = deps_.config.jwt.key_set.Verify(token, now);
    if (!verified.Ok()) {
        throw Forbidden(kBadJwt, verified.Error().Message());
    }
    return verified;
}

Caller Api::RequireUser(const Request& request) {
    const auto verified = VerifyBearer(request);
    const rapidjson::Value& claims = verified.Claims();
    const std::string sub = StringClaim(claims, "sub");
    if (sub.empty()) {
        throw Forbidden(kBadJwt, "invalid claim: missing sub claim");
    }
    if (!IsUuid(sub)) {
        throw BadRequest(kBadJwt, "invalid claim: sub claim must be a UUID");
    }
    Caller caller;
    caller.aud = StringClaim(claims, "aud");
    caller.role = StringClaim(claims, "role");
    caller.session_id = StringClaim(claims, "session_id");
    if (const auto amr = claims.FindMember("amr");
        amr != claims.MemberEnd() && amr->value.IsArray()) {
        for (const auto& entry : amr->value.GetArray()) {
            if (entry.IsObject() && entry.HasMember("method") && entry["method"].IsString()) {
                caller.amr.emplace_back(entry["method"].GetString());
            } else if (entry.IsString()) {
                caller.amr.emplace_back(entry.GetString());
            }
        }
    }
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    auto user = models::FindUserById(tx, sub);
    if (!user) {
        throw Forbidden(kUserNotFound, "User from sub claim in JWT does not exist");
    }
    if (!caller.session_id.empty() && caller.session_id != "00000000-0000-0000-0000-000000000000") {
        if (!IsUuid(caller.session_id) || !models::FindSession(tx, caller.session_id)) {
            throw Forbidden(
                kSessionNotFound, "Session from session_id claim in JWT does not exist"
            );
        }
    } else {
        caller.session_id.clear();
    }
    if (user->IsBanned(models::Now())) {
        throw Forbidden(kUserBanned, "User is banned");
    }
    caller.user = std::move(*user);
    return caller;
}

}  // namespace gotrue::api
