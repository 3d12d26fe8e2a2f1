#pragma once

// Where a flow sends the browser: the redirect policy (http/redirect_url.hpp) applied with the
// configured GOTRUE_SITE_URL and GOTRUE_URI_ALLOW_LIST.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"
#include "conf/config.hpp"
#include "models/flow_state.hpp"

namespace gotrue::api {

// Redirect validation (docs/http.md#redirects) against GOTRUE_SITE_URL and GOTRUE_URI_ALLOW_LIST,
// as a browser will read the URL (http/redirect_url.hpp).
[[nodiscard]] bool IsRedirectAllowed(std::string_view url, const conf::Config& config);

// The redirect_to header, else query parameter, when allowed; else the Referer when allowed;
// else GOTRUE_SITE_URL.
[[nodiscard]] std::string RedirectTarget(const Request& request, const conf::Config& config);

// --- Where GET /verify sends the browser (upstream's verifyGet, prepRedirectURL,
// prepErrorRedirectURL, prepPKCERedirectURL in internal/api/verify.go) ---------------------------

// Go's url.Values: each name with its values in order.
using QueryValues = std::map<std::string, std::vector<std::string>>;

// url.Values.Encode(): names sorted, names and values query-escaped, joined with '&'.
[[nodiscard]] std::string EncodeQueryValues(const QueryValues& values);

// One value per name, for the fragments GoTrue writes.
[[nodiscard]] std::string EncodeQueryValues(const std::map<std::string, std::string>& values);

// The OAuth 2 error name of an HTTP status in an error redirect ("invalid_request" for 400,
// "access_denied" for 403, ...).
[[nodiscard]] std::string OAuthErrorName(int status);

// A verified PKCE link: `redirect` with code=<auth code> set in its query (the query re-encoded
// as url.Values, the fragment kept).
[[nodiscard]] std::string PkceCodeRedirect(const std::string& redirect, const std::string& code);

// A failed verification: the fragment becomes error, error_code, error_description and sb; a PKCE
// flow also gets the three error fields in the query, where its client looks for the code.
[[nodiscard]] std::string ErrorRedirect(
    const std::string& redirect,
    int status,
    const std::string& error_code,
    const std::string& description,
    models::FlowType flow
);

// An informational message (the first link of a secure email change): in the fragment with sb,
// for a PKCE flow also in the query.
[[nodiscard]] std::string MessageRedirect(
    const std::string& redirect, const std::string& message, models::FlowType flow
);

}  // namespace gotrue::api
