#include "api/services/validation.hpp"

#include <algorithm>
#include <vector>

#include "api/http_types.hpp"
#include "mailer/clients.hpp"
#include "text/ascii.hpp"

namespace gotrue::api {

bool IsUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !text::IsHexDigit(text[i])) {
            return false;
        }
    }
    return true;
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
    return text::ToLower(email);
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
