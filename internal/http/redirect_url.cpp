#include "http/redirect_url.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "text/ascii.hpp"

namespace gotrue::http {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

// Schemes whose URLs run code or read local files when navigated to.
constexpr std::array<std::string_view, 4> kForbiddenSchemes{
    "javascript", "data", "vbscript", "file"};

constexpr std::array<std::string_view, 5> kSpecialSchemes{"http", "https", "ws", "wss", "ftp"};

bool IsDigits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Visible ASCII except the backslash (see redirect_url.hpp).
bool IsUnambiguousText(std::string_view url) {
    return std::all_of(url.begin(), url.end(), [](char c) {
        return c > 0x20 && c < 0x7F && c != '\\';
    });
}

bool IsSchemeName(std::string_view scheme) {
    return !scheme.empty() && text::IsAlpha(scheme.front()) &&
           std::all_of(scheme.begin(), scheme.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' ||
                      c == '.';
           });
}

// A dotted-quad written the one way every reader parses alike: four decimal parts of 0..255
// without leading zeros.
bool IsCanonicalIpv4(std::string_view host) {
    int parts = 0;
    std::size_t start = 0;
    while (true) {
        const auto dot = host.find('.', start);
        const auto part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (!IsDigits(part) || part.size() > 3 || (part.size() > 1 && part.front() == '0') ||
            std::stoi(std::string(part)) > 255) {
            return false;
        }
        ++parts;
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts == 4;
}

// The URL Standard parses a host as IPv4 when its last label (ignoring one trailing dot) is a
// decimal or 0x-hexadecimal number.
bool EndsInNumber(std::string_view host) {
    if (!host.empty() && host.back() == '.') {
        host.remove_suffix(1);
    }
    const auto dot = host.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (IsDigits(last)) {
        return true;
    }
    return last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') &&
           std::all_of(last.begin() + 2, last.end(), text::IsHexDigit);
}

bool IsIpv6Text(std::string_view host) {
    return host.find(':') != std::string_view::npos &&
           std::all_of(host.begin(), host.end(), [](char c) {
               return text::IsHexDigit(c) || c == ':' || c == '.';
           });
}

bool IsLoopback(const WebUrl& url) {
    if (url.ip_literal) {
        return url.host == "::1" || url.host.rfind("127.", 0) == 0 ||
               url.host.rfind("::ffff:127.", 0) == 0;
    }
    return url.host == "localhost";
}

int DefaultPort(const std::string& scheme) {
    if (scheme == "http") {
        return 80;
    }
    if (scheme == "https") {
        return 443;
    }
    return -1;
}

int EffectivePort(const WebUrl& url) {
    return url.port == -1 ? DefaultPort(url.scheme) : url.port;
}

bool SameOrigin(const WebUrl& a, const WebUrl& b) {
    return a.scheme == b.scheme && a.host == b.host &&
           (EffectivePort(a) == EffectivePort(b) || IsLoopback(a));
}

// Host and port out of `authority`; false when either is not acceptable.
bool ParseAuthority(std::string_view authority, WebUrl& url) {
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        url.host = text::ToLower(authority.substr(1, close - 1));
        url.ip_literal = true;
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return false;
            }
            port = rest.substr(1);
        }
        if (!IsIpv6Text(url.host)) {
            return false;
        }
    } else {
        const auto colon = authority.find(':');
        url.host = text::ToLower(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
        const bool host_chars = std::all_of(url.host.begin(), url.host.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
        });
        if (url.host.empty() || !host_chars) {
            return false;
        }
        if (EndsInNumber(url.host)) {
            if (!IsCanonicalIpv4(url.host)) {
                return false;
            }
            url.ip_literal = true;
        }
    }
    if (!port.empty()) {
        if (!IsDigits(port) || port.size() > 5 || std::stoi(std::string(port)) > 65535 ||
            std::stoi(std::string(port)) == 0) {
            return false;
        }
        url.port = std::stoi(std::string(port));
    }
    return !url.host.empty();
}

}  // namespace

std::optional<WebUrl> ParseWebUrl(std::string_view url) {
    if (url.empty() || url.size() > kMaxUrlBytes || !IsUnambiguousText(url)) {
        return std::nullopt;
    }
    const auto colon = url.find(':');
    if (colon == std::string_view::npos || !IsSchemeName(url.substr(0, colon))) {
        return std::nullopt;
    }
    WebUrl parsed;
    parsed.scheme = text::ToLower(url.substr(0, colon));
    if (std::find(kForbiddenSchemes.begin(), kForbiddenSchemes.end(), parsed.scheme) !=
        kForbiddenSchemes.end()) {
        return std::nullopt;
    }
    parsed.special = std::find(kSpecialSchemes.begin(), kSpecialSchemes.end(), parsed.scheme) !=
                     kSpecialSchemes.end();
    if (!parsed.special) {
        return parsed;
    }
    if (url.substr(colon, 3) != "://" || (url.size() > colon + 3 && url[colon + 3] == '/')) {
        return std::nullopt;
    }
    const std::string_view rest = url.substr(colon + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos ||
        authority.find('%') != std::string_view::npos || !ParseAuthority(authority, parsed)) {
        return std::nullopt;
    }
    return parsed;
}

bool IsRedirectAllowed(
    std::string_view url, std::string_view site_url, const std::vector<std::string>& allow_list
) {
    const auto target = ParseWebUrl(url);
    if (!target) {
        return false;
    }
    if (const auto site = ParseWebUrl(site_url);
        target->special && site && site->special && SameOrigin(*target, *site)) {
        return true;
    }
    if (target->ip_literal) {
        return IsLoopback(*target);  // the allow list is not consulted for IP addresses
    }
    const std::string_view without_fragment = url.substr(0, url.find('#'));
    return std::any_of(allow_list.begin(), allow_list.end(), [without_fragment](const auto& glob) {
        return GlobMatch(glob, without_fragment);
    });
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
    enum class Kind { kLiteral, kOne, kSegment, kAny };

    struct Token {
        Kind kind;
        char literal;
    };

    std::vector<Token> tokens;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern.substr(i, 2) == "**") {
            tokens.push_back({Kind::kAny, 0});
            ++i;
        } else if (pattern[i] == '*') {
            tokens.push_back({Kind::kSegment, 0});
        } else if (pattern[i] == '?') {
            tokens.push_back({Kind::kOne, 0});
        } else {
            tokens.push_back({Kind::kLiteral, pattern[i]});
        }
    }
    const auto separator = [](char c) {
        return c == '.' || c == '/';
    };
    // matches[j]: tokens[k..] match text[j..], computed for k from the end (two rows).
    const std::size_t n = text.size();
    std::vector<char> next(n + 1, 0);
    next[n] = 1;
    std::vector<char> row(n + 1, 0);
    for (std::size_t k = tokens.size(); k-- > 0;) {
        const Token token = tokens[k];
        for (std::size_t j = n + 1; j-- > 0;) {
            const bool more = j < n;
            switch (token.kind) {
                case Kind::kLiteral:
                    row[j] = static_cast<char>(more && text[j] == token.literal && next[j + 1]);
                    break;
                case Kind::kOne:
                    row[j] = static_cast<char>(more && !separator(text[j]) && next[j + 1]);
                    break;
                case Kind::kSegment:
                    row[j] =
                        static_cast<char>(next[j] || (more && !separator(text[j]) && row[j + 1]));
                    break;
                case Kind::kAny:
                    row[j] = static_cast<char>(next[j] || (more && row[j + 1]));
                    break;
            }
        }
        next.swap(row);
    }
    return next[0] != 0;
}

}  // namespace gotrue::http
