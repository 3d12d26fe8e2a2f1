#include "api/request_info.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "api/errors.hpp"
#include "mailer/clients.hpp"

namespace gotrue::api {
namespace {

struct ParsedUrl {
    std::string scheme;  // lower case
    std::string host;    // lower case, without brackets
    std::string port;
    std::string without_fragment;
    bool ok = false;
};

ParsedUrl ParseUrl(std::string_view url) {
    ParsedUrl parsed;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0 ||
        url.find_first_of(" \t\r\n") != std::string_view::npos) {
        return parsed;
    }
    parsed.scheme = std::string(url.substr(0, scheme_end));
    std::transform(
        parsed.scheme.begin(),
        parsed.scheme.end(),
        parsed.scheme.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); }
    );
    for (const char c : parsed.scheme) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
            return parsed;
        }
    }
    std::string_view rest = url.substr(scheme_end + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return parsed;
        }
        parsed.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
            parsed.port = std::string(authority.substr(close + 2));
        }
    } else {
        const auto colon = authority.rfind(':');
        parsed.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            parsed.port = std::string(authority.substr(colon + 1));
        }
    }
    std::transform(
        parsed.host.begin(),
        parsed.host.end(),
        parsed.host.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); }
    );
    parsed.without_fragment = std::string(url.substr(0, url.find('#')));
    parsed.ok = true;
    return parsed;
}

bool IsDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

bool IsIpLiteral(const std::string& host) {
    if (host.find(':') != std::string::npos) {
        return true;  // IPv6
    }
    int parts = 0;
    std::size_t start = 0;
    while (start <= host.size()) {
        const auto dot = host.find('.', start);
        if (!IsDigits(std::string_view(host).substr(
                start, dot == std::string::npos ? std::string::npos : dot - start
            ))) {
            return false;
        }
        ++parts;
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts == 4;
}

bool IsLoopbackHost(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool IsSeparator(char c) {
    return c == '.' || c == '/';
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) {
        return text.empty();
    }
    if (pattern.substr(0, 2) == "**") {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (GlobMatch(pattern.substr(2), text.substr(i))) {
                return true;
            }
        }
        return false;
    }
    if (pattern.front() == '*') {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (GlobMatch(pattern.substr(1), text.substr(i))) {
                return true;
            }
            if (i < text.size() && IsSeparator(text[i])) {
                break;
            }
        }
        return false;
    }
    if (text.empty()) {
        return false;
    }
    if (pattern.front() == '?') {
        return !IsSeparator(text.front()) && GlobMatch(pattern.substr(1), text.substr(1));
    }
    return pattern.front() == text.front() && GlobMatch(pattern.substr(1), text.substr(1));
}

std::string BearerToken(const Request& request) {
    const std::string header = request.headers.Get("Authorization").value_or("");
    std::string scheme = header.substr(0, std::min<std::size_t>(header.size(), 7));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    std::string token = header.size() > 7 ? header.substr(7) : std::string();
    if (scheme != "bearer " || token.empty() || token.find(' ') != std::string::npos) {
        throw Unauthorized(kNoAuthorization, "This endpoint requires a valid Bearer token");
    }
    return token;
}

bool IsUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

std::string RequestAudience(const Request& request, const conf::Config& config) {
    if (auto aud = request.headers.Get("X-JWT-AUD"); aud && !aud->empty()) {
        return *aud;
    }
    return config.jwt.aud;
}

std::string ClientIp(const Request& request) {
    return request.remote_address;
}

std::string UserAgent(const Request& request) {
    return request.headers.Get("User-Agent").value_or("");
}

bool IsRedirectAllowed(std::string_view url, const conf::Config& config) {
    if (url.empty() || url.size() > 2048) {
        return false;
    }
    const ParsedUrl target = ParseUrl(url);
    if (!target.ok) {
        return false;
    }
    const ParsedUrl site = ParseUrl(config.site_url);
    if (site.ok && target.scheme == site.scheme && target.host == site.host &&
        (target.port == site.port || IsLoopbackHost(target.host))) {
        return true;
    }
    if (IsDigits(target.host)) {
        return false;  // a decimal IP in disguise
    }
    if (IsIpLiteral(target.host)) {
        return IsLoopbackHost(target.host);
    }
    if (target.scheme == "http" || target.scheme == "https") {
        const bool clean =
            !target.host.empty() && std::all_of(target.host.begin(), target.host.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
            });
        if (!clean) {
            return false;
        }
    }
    for (const auto& pattern : config.uri_allow_list) {
        if (GlobMatch(pattern, target.without_fragment)) {
            return true;
        }
    }
    return false;
}

std::string RedirectTarget(const Request& request, const conf::Config& config) {
    std::string candidate = request.headers.Get("redirect_to").value_or("");
    if (candidate.empty()) {
        if (const auto it = request.query.find("redirect_to"); it != request.query.end()) {
            candidate = it->second;
        }
    }
    if (IsRedirectAllowed(candidate, config)) {
        return candidate;
    }
    const std::string referer = request.headers.Get("Referer").value_or("");
    if (IsRedirectAllowed(referer, config)) {
        return referer;
    }
    return config.site_url;
}

std::string ValidateEmail(const std::string& email) {
    if (email.empty()) {
        throw BadRequest(kValidationFailed, "An email address is required");
    }
    if (email.size() > 255) {
        throw BadRequest(kValidationFailed, "An email address is too long");
    }
    if (!mailer::IsValidEmail(email)) {
        throw BadRequest(kValidationFailed, "Unable to validate email address: invalid format");
    }
    std::string lower = email;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return lower;
}

void CheckPassword(const std::string& password, const conf::PasswordConfig& config) {
    if (password.size() > 72) {
        throw BadRequest(kValidationFailed, "Password cannot be longer than 72 characters");
    }
    std::vector<std::string> reasons;
    std::vector<std::string> messages;
    // Length in characters (UTF-8 code points), as Go's utf8.RuneCountInString.
    const auto characters = std::count_if(password.begin(), password.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
    if (characters < config.min_length) {
        reasons.emplace_back("length");
        messages.push_back(
            "Password should be at least " + std::to_string(config.min_length) + " characters."
        );
    }
    if (!config.required_characters.empty()) {
        std::vector<std::string> sets(1);
        for (std::size_t i = 0; i < config.required_characters.size(); ++i) {
            const char c = config.required_characters[i];
            if (c == '\\' && i + 1 < config.required_characters.size() &&
                config.required_characters[i + 1] == ':') {
                sets.back() += ':';
                ++i;
            } else if (c == ':') {
                sets.emplace_back();
            } else {
                sets.back() += c;
            }
        }
        bool missing = false;
        std::string listed;
        for (const auto& set : sets) {
            if (set.empty()) {
                continue;
            }
            listed += (listed.empty() ? "" : ", ") + set;
            if (password.find_first_of(set) == std::string::npos) {
                missing = true;
            }
        }
        if (missing) {
            reasons.emplace_back("characters");
            messages.push_back(
                "Password should contain at least one character of each: " + listed + "."
            );
        }
    }
    if (!reasons.empty()) {
        std::string message;
        for (const auto& part : messages) {
            message += (message.empty() ? "" : " ") + part;
        }
        throw UnprocessableEntity(kWeakPassword, message).WithWeakPasswordReasons(reasons);
    }
}

}  // namespace gotrue::api
