#include "mailer/confirmation_url.hpp"

#include <cctype>

namespace gotrue::mailer {
namespace {

struct UrlParts {
    std::string scheme;     // without ':'
    std::string authority;  // without '//'
    bool has_authority = false;
    std::string path;
};

// Splits scheme://authority/path, dropping query and fragment (they are replaced anyway).
UrlParts Split(std::string_view url) {
    UrlParts parts;
    const auto end = url.find_first_of("?#");
    url = url.substr(0, end);
    const auto colon = url.find(':');
    const auto first_slash = url.find('/');
    if (colon != std::string_view::npos && colon > 0 &&
        (first_slash == std::string_view::npos || colon < first_slash)) {
        bool scheme_ok = std::isalpha(static_cast<unsigned char>(url[0])) != 0;
        for (std::size_t i = 1; i < colon; ++i) {
            const char c = url[i];
            scheme_ok = scheme_ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                                      c == '+' || c == '-' || c == '.');
        }
        if (scheme_ok) {
            parts.scheme = std::string(url.substr(0, colon));
            url.remove_prefix(colon + 1);
        }
    }
    if (url.substr(0, 2) == "//") {
        url.remove_prefix(2);
        const auto slash = url.find('/');
        parts.authority = std::string(url.substr(0, slash));
        parts.has_authority = true;
        url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    }
    parts.path = std::string(url);
    return parts;
}

// RFC 3986 5.2.4 remove_dot_segments.
std::string RemoveDots(const std::string& path) {
    std::string input = path;
    std::string output;
    while (!input.empty()) {
        if (input.rfind("../", 0) == 0) {
            input.erase(0, 3);
        } else if (input.rfind("./", 0) == 0 || input.rfind("/./", 0) == 0) {
            input.erase(0, 2);  // "./" goes; "/./" becomes "/"
        } else if (input == "/.") {
            input = "/";
        } else if (input.rfind("/../", 0) == 0 || input == "/..") {
            input = input == "/.." ? "/" : input.substr(3);
            const auto last = output.rfind('/');
            output.erase(last == std::string::npos ? 0 : last);
        } else if (input == "." || input == "..") {
            input.clear();
        } else {
            const auto next = input.find('/', input.front() == '/' ? 1 : 0);
            output += input.substr(0, next);
            input.erase(0, next == std::string::npos ? input.size() : next);
        }
    }
    return output;
}

}  // namespace

std::string QueryEscape(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        }
    }
    return out;
}

std::string ConfirmationUrl(
    std::string_view external_url,
    std::string_view path,
    std::string_view token,
    std::string_view type,
    std::string_view redirect_to
) {
    const bool escape_redirect = redirect_to.find_first_of("&=#") != std::string_view::npos;
    const std::string query =
        "token=" + QueryEscape(token) + "&type=" + std::string(type) +
        "&redirect_to=" + (escape_redirect ? QueryEscape(redirect_to) : std::string(redirect_to));
    const UrlParts base = Split(external_url);
    const UrlParts reference = Split(path);
    UrlParts target;
    if (!reference.scheme.empty()) {
        target = reference;
        target.path = RemoveDots(reference.path);
    } else {
        target.scheme = base.scheme;
        if (reference.has_authority) {
            target.authority = reference.authority;
            target.has_authority = true;
            target.path = RemoveDots(reference.path);
        } else {
            target.authority = base.authority;
            target.has_authority = base.has_authority;
            if (reference.path.empty()) {
                target.path = base.path;
            } else if (reference.path.front() == '/') {
                target.path = RemoveDots(reference.path);
            } else {
                std::string merged;
                if (base.has_authority && base.path.empty()) {
                    merged = "/" + reference.path;
                } else {
                    const auto last = base.path.rfind('/');
                    merged = (last == std::string::npos ? "" : base.path.substr(0, last + 1)) +
                             reference.path;
                }
                target.path = RemoveDots(merged);
            }
        }
    }
    std::string url;
    if (!target.scheme.empty()) {
        url += target.scheme + ":";
    }
    if (target.has_authority) {
        url += "//" + target.authority;
    }
    return url + target.path + "?" + query;
}

}  // namespace gotrue::mailer
