#pragma once

// Where a flow sends the browser: the redirect policy (http/redirect_url.hpp) applied with the
// configured GOTRUE_SITE_URL and GOTRUE_URI_ALLOW_LIST.

#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "conf/config.hpp"

namespace gotrue::api {

// Redirect validation (docs/http.md#redirects) against GOTRUE_SITE_URL and GOTRUE_URI_ALLOW_LIST,
// as a browser will read the URL (http/redirect_url.hpp).
[[nodiscard]] bool IsRedirectAllowed(std::string_view url, const conf::Config& config);

// The redirect_to header, else query parameter, when allowed; else the Referer when allowed;
// else GOTRUE_SITE_URL.
[[nodiscard]] std::string RedirectTarget(const Request& request, const conf::Config& config);

}  // namespace gotrue::api
