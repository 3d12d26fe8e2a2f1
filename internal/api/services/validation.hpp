#pragma once

// Input checks several endpoints share: email addresses, passwords, UUIDs.

#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace gotrue::api {

// A well-formed email (as GoTrue's validateEmail), lower-cased; throws 400 validation_failed
// ("An email address is required", "... is too long", "Unable to validate email address: ...").
[[nodiscard]] std::string ValidateEmail(const std::string& email);

// Password rules of GoTrue's internal/api/password.go: over 72 bytes is 400 validation_failed;
// too short or missing a required character set is 422 weak_password with the reasons.
void CheckPassword(const std::string& password, const conf::PasswordConfig& config);

// 8-4-4-4-12 hexadecimal digits.
[[nodiscard]] bool IsUuid(std::string_view text);

}  // namespace gotrue::api
