#pragma once

#include <string>
#include <string_view>

namespace gotrue::mailer {

// The link of a mail, built as GoTrue does (docs/mail.md): `path` (the kind's
// GOTRUE_MAILER_URLPATHS_* value, default /verify) with its query replaced by
// token=<token>&type=<type>&redirect_to=<redirect_to>, resolved against `external_url`
// (RFC 3986: an absolute path replaces the base path, a relative one is merged, a full URL
// wins). The token is query-escaped; redirect_to is inserted verbatim unless it contains '&',
// '=' or '#', in which case it is query-escaped.
[[nodiscard]] std::string ConfirmationUrl(
    std::string_view external_url,
    std::string_view path,
    std::string_view token,
    std::string_view type,
    std::string_view redirect_to
);

// Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] percent-encoded, space as '+'.
[[nodiscard]] std::string QueryEscape(std::string_view text);

}  // namespace gotrue::mailer
