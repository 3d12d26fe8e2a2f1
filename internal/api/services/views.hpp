#pragma once

// Response shapes (docs/http.md): the User, Identity and session JSON GoTrue sends.

#include <string>
#include <utility>
#include <vector>

#include "api/http_types.hpp"
#include "models/factor.hpp"
#include "models/identity.hpp"
#include "models/user.hpp"

namespace gotrue::api {

// The JSON text `write(JsonWriter&)` writes.
template <typename Write>
[[nodiscard]] std::string JsonText(Write&& write) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    std::forward<Write>(write)(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

// A user with its identities and MFA factors (omitted when there are none), in GoTrue's field
// order; absent timestamps are omitted.
void WriteUser(
    JsonWriter& writer,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors = {}
);

[[nodiscard]] std::string UserJson(
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors = {}
);

// A factor as GoTrue's models.Factor marshals it (never its secret).
void WriteFactor(JsonWriter& writer, const models::Factor& factor);
[[nodiscard]] std::string FactorJson(const models::Factor& factor);
[[nodiscard]] std::string FactorsJson(const std::vector<models::Factor>& factors);

// What a sign-in returns.
struct IssuedSession {
    std::string access_token;
    std::string refresh_token;
    std::string session_id;
    long long expires_at = 0;  // unix seconds
    int expires_in = 0;
};

[[nodiscard]] std::string SessionJson(
    const IssuedSession& session,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors = {}
);

}  // namespace gotrue::api
