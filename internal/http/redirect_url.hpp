#pragma once

// The redirect policy (docs/http.md#redirects), decided on the URL as a browser will
// read it. A validator that parses a URL differently from the browser is an open redirect: with
// `http://evil.example\@localhost:3000` a naive parser sees host localhost, the browser (WHATWG
// URL Standard: '\' is '/' in special schemes) goes to evil.example, with the session's tokens in
// the fragment. So this parser accepts only URLs on whose origin every reader agrees, and
// refuses the rest rather than guessing:
//   - printable ASCII only: no controls, spaces, tabs or NUL (browsers strip tabs and newlines
//     anywhere), no backslash, no raw non-ASCII (an IDN host must be written in punycode);
//   - for http, https, ws, wss and ftp (the URL Standard's special schemes, the ones a browser
//     navigates to a web origin): `scheme://authority` with exactly two slashes (browsers skip
//     extra ones); other schemes (app deep links such as `myapp://callback`) are left to the
//     allow list, matched against the text as written;
//   - no userinfo (`user@host`), no percent-encoded host (browsers decode it);
//   - a port of 1 to 5 digits, at most 65535;
//   - a host that ends in a number (as the URL Standard reads it: digits, or 0x...) must be a
//     canonical dotted-quad IPv4 address (`2130706433`, `0x7f.1` and `127.1` are all 127.0.0.1
//     to a browser); IPv6 only in brackets;
//   - never javascript:, data:, vbscript: or file:, even if an allow-list glob matches.
// No I/O, no configuration object: unit-tested and fuzzed on its own.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gotrue::http {

struct WebUrl {
    std::string scheme;    // lower case
    bool special = false;  // a web scheme; host and port are only read for these
    std::string host;      // lower case; IPv6 without brackets
    int port = -1;         // -1: the scheme's default (80 for http, 443 for https, else none)
    bool ip_literal = false;
};

// The URL's origin when it is unambiguous (see above), else nullopt.
[[nodiscard]] std::optional<WebUrl> ParseWebUrl(std::string_view url);

// Accepted as a redirect target: same scheme, host and port as `site_url` (any port for a
// loopback host); a loopback IP address; or, unless the host is an IP address, a match of one of
// `allow_list`'s globs against the URL without its fragment.
[[nodiscard]] bool IsRedirectAllowed(
    std::string_view url, std::string_view site_url, const std::vector<std::string>& allow_list
);

// Glob match with GoTrue's separators: `*` stays within a segment ('.' and '/' separate), `**`
// crosses them, `?` is one non-separator character. Linear in practice (no backtracking blow-up
// for realistic patterns; pattern and text are bounded by the caller).
[[nodiscard]] bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace gotrue::http
