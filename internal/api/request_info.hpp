#pragma once

// What handlers read off a request besides its body: audience, client address, redirect target,
// and the input checks several endpoints share.

#include <string>
#include <string_view>

#include "api/http.hpp"
#include "conf/config.hpp"

namespace gotrue::api {

// X-JWT-AUD when present, else GOTRUE_JWT_AUD (contract §2.1).
[[nodiscard]] std::string RequestAudience(const Request& request, const conf::Config& config);

[[nodiscard]] std::string ClientIp(const Request& request);

[[nodiscard]] std::string UserAgent(const Request& request);

// Contract §2.1 "Redirect validation" against GOTRUE_SITE_URL and GOTRUE_URI_ALLOW_LIST, as a
// browser will read the URL (redirect_url.hpp).
[[nodiscard]] bool IsRedirectAllowed(std::string_view url, const conf::Config& config);

// The redirect_to header, else query parameter, when allowed; else the Referer when allowed;
// else GOTRUE_SITE_URL.
[[nodiscard]] std::string RedirectTarget(const Request& request, const conf::Config& config);

// A well-formed email (contract §2.6 row 8), lower-cased; throws 400 validation_failed
// ("An email address is required", "... is too long", "Unable to validate email address: ...").
[[nodiscard]] std::string ValidateEmail(const std::string& email);

// Password rules (contract §2.1): over 72 bytes is 400 validation_failed; too short or missing a
// required character set is 422 weak_password with the reasons.
void CheckPassword(const std::string& password, const conf::PasswordConfig& config);

// The token of `Authorization: Bearer <token>` ("bearer" in any case); 401 no_authorization when
// the header is missing or malformed (contract §2.1).
[[nodiscard]] std::string BearerToken(const Request& request);

// 8-4-4-4-12 hexadecimal digits.
[[nodiscard]] bool IsUuid(std::string_view text);

}  // namespace gotrue::api
