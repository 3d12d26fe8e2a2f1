#pragma once

// The custom access-token hook (supabase/auth internal/tokens/service.go GenerateAccessToken,
// internal/hooks/v0hooks): before an access token is signed, the configured hook gets
// {metadata, user_id, claims, authentication_method} and answers {"claims": {...}}; those
// claims, checked against upstream's minimum token schema, are what gets signed. A failing hook
// throws the HttpError the client gets; the caller's transaction then rolls back, so no session
// or token it was issuing survives (docs/hooks.md).

#include <string>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "api/http_types.hpp"
#include "conf/config.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::api {

// The claims to sign: `claims` itself when the hook is off, else the hook's output claims.
[[nodiscard]] rapidjson::Document CustomizeAccessToken(
    pqxx::work& tx,
    const conf::Config& config,
    const Request& request,
    const std::string& user_id,
    rapidjson::Document claims,
    models::AuthenticationMethod method
);

// The "claims" of a hook's output (Null: the hook answered nothing), validated; throws upstream's
// 500s: "output claims field is missing", "Error unmarshaling JSON output." and the schema's.
[[nodiscard]] rapidjson::Document OutputClaims(const rapidjson::Value& output);

// upstream's MinimumViableTokenSchema: the required claims and the types of the known ones.
// Empty when `claims` conforms, else one "- <where>: <what>\n" line per violation.
[[nodiscard]] std::string ClaimsSchemaViolations(const rapidjson::Value& claims);

}  // namespace gotrue::api
