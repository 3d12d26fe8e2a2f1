#include "api/api.hpp"

namespace gotrue::api {

// GET /.well-known/jwks.json (GoTrue's WellKnownJwks, internal/api/jwks.go): the public part of
// every asymmetric key of GOTRUE_JWT_KEYS, so clients (auth-js getClaims) verify access tokens
// without asking this server; never a symmetric key. Built once at startup (tokens/keys.hpp).
// NOLINTNEXTLINE(readability-make-member-function-const): every route handler has one signature
Response Api::Jwks(Request& /*request*/) {
    Response response = JsonResponse(200, deps_.config.jwt.key_set.PublicJwks());
    response.headers.Set("Cache-Control", "public, max-age=600");
    return response;
}

}  // namespace gotrue::api
