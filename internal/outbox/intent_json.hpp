#pragma once

// How the outbox stores a mailer::MailIntent (auth.mail_outbox.intent): one JSON object,
//   {"kind": "confirmation", "input": {"email", "to", "new_email", "token", "token_hash",
//    "redirect_to", "external_url", "data": {...}, "extra": {...}}, "user": {...}}
// with `kind` the mail type (mailer::InfoOf(kind).type) and `user` the user JSON as it was
// given. Rendering happens only at delivery, from what this restores.

#include <stdexcept>
#include <string>
#include <string_view>

#include "mailer/mail_intent.hpp"

namespace gotrue::outbox {

// A stored intent that cannot be read back (an unknown kind, not an object, ...).
class BadIntentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[nodiscard]] std::string IntentToJson(const mailer::MailIntent& intent);

// Throws BadIntentError.
[[nodiscard]] mailer::MailIntent IntentFromJson(std::string_view json);

}  // namespace gotrue::outbox
