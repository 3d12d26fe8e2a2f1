#include "api/request_info.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "api/errors.hpp"
#include "api/redirect_url.hpp"
#include "mailer/clients.hpp"

namespace gotrue::api {

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
    return IsRedirectAllowed(url, config.site_url, config.uri_allow_list);
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
