#pragma once

// Sessions and access tokens (docs/database.md): a sign-in creates a session, records the
// authentication method (amr), and returns an HS256 access token plus a refresh token.

#include <string>

#include <pqxx/pqxx>

#include "api/http_types.hpp"
#include "api/services/views.hpp"
#include "conf/config.hpp"
#include "models/user.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::api {

// New session for `user` signed in with `method`; updates last_sign_in_at.
[[nodiscard]] IssuedSession IssueSession(
    pqxx::work& tx,
    models::User& user,
    models::AuthenticationMethod method,
    const Request& request,
    const conf::Config& config
);

// An access token for an existing session, with `refresh_token` as the session's current one.
// `method` is how this token came about (the hook's authentication_method: token_refresh on a
// refresh). With the custom access-token hook on, its claims are the hook's
// (access_token_hook.hpp).
[[nodiscard]] IssuedSession TokensForSession(
    pqxx::work& tx,
    const models::User& user,
    const std::string& session_id,
    const std::string& refresh_token,
    const Request& request,
    models::AuthenticationMethod method,
    const conf::Config& config
);

}  // namespace gotrue::api
