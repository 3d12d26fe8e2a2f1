#pragma once

#include <span>
#include <string_view>

namespace gotrue::mailer {

// The mail kinds GoTrue sends (docs/mail.md).
enum class MailKind {
    kConfirmation,
    kInvite,
    kRecovery,
    kMagicLink,
    kEmailChange,
    kReauthentication,
    kPasswordChangedNotification,
    kEmailChangedNotification,
    kPhoneChangedNotification,
    kIdentityLinkedNotification,
    kIdentityUnlinkedNotification,
    kMfaFactorEnrolledNotification,
    kMfaFactorUnenrolledNotification,
};

struct MailKindInfo {
    MailKind kind;
    std::string_view config_key;    // GOTRUE_MAILER_SUBJECTS_<key> / _TEMPLATES_<key>
    std::string_view type;          // log type and $messageType, e.g. "confirmation"
    std::string_view link_type;     // `type` in the link; empty: no link
    std::string_view url_path_key;  // GOTRUE_MAILER_URLPATHS_<key>; empty: no link
    std::string_view default_subject;
    std::string_view default_body;  // Go-template HTML
};

[[nodiscard]] const MailKindInfo& InfoOf(MailKind kind);

[[nodiscard]] std::span<const MailKindInfo> AllMailKinds();

}  // namespace gotrue::mailer
