#include "mailer/mail_kind.hpp"

#include <array>

namespace gotrue::mailer {
namespace {

// Built-in subjects are GoTrue's; the bodies say the same things in our own words.
constexpr std::array<MailKindInfo, 13> kKinds{{
    {MailKind::kConfirmation,
     "CONFIRMATION",
     "confirmation",
     "signup",
     "CONFIRMATION",
     "Confirm your email address",
     "<h2>Confirm your email address</h2>\n"
     "<p>Follow this link to confirm the email address of your account:</p>\n"
     "<p><a href=\"{{ .ConfirmationURL }}\">Confirm email address</a></p>\n"
     "<p>Or enter this code: {{ .Token }}</p>\n"},
    {MailKind::kInvite,
     "INVITE",
     "invite",
     "invite",
     "INVITE",
     "You've been invited",
     "<h2>You have been invited</h2>\n"
     "<p>You have been invited to create an account on {{ .SiteURL }}. Follow this link to "
     "accept the invitation:</p>\n"
     "<p><a href=\"{{ .ConfirmationURL }}\">Accept invitation</a></p>\n"
     "<p>Or enter this code: {{ .Token }}</p>\n"},
    {MailKind::kRecovery,
     "RECOVERY",
     "recovery",
     "recovery",
     "RECOVERY",
     "Reset your password",
     "<h2>Reset your password</h2>\n"
     "<p>Follow this link to choose a new password:</p>\n"
     "<p><a href=\"{{ .ConfirmationURL }}\">Reset password</a></p>\n"
     "<p>Or enter this code: {{ .Token }}</p>\n"
     "<p>If you did not ask to reset your password, you can ignore this email.</p>\n"},
    {MailKind::kMagicLink,
     "MAGIC_LINK",
     "magic_link",
     "magiclink",
     "RECOVERY",
     "Your sign-in link",
     "<h2>Your sign-in link</h2>\n"
     "<p>Follow this link to sign in:</p>\n"
     "<p><a href=\"{{ .ConfirmationURL }}\">Sign in</a></p>\n"
     "<p>Or enter this code: {{ .Token }}</p>\n"},
    {MailKind::kEmailChange,
     "EMAIL_CHANGE",
     "email_change",
     "email_change",
     "EMAIL_CHANGE",
     "Confirm your new email address",
     "<h2>Confirm your new email address</h2>\n"
     "<p>Follow this link to confirm the change of your email address from {{ .Email }} to "
     "{{ .NewEmail }}:</p>\n"
     "<p><a href=\"{{ .ConfirmationURL }}\">Confirm new email address</a></p>\n"
     "<p>Or enter this code: {{ .Token }}</p>\n"
     "<p>If you did not ask for this change, you can ignore this email.</p>\n"},
    {MailKind::kReauthentication,
     "REAUTHENTICATION",
     "reauthenticate",
     "",
     "",
     "{{ .Token }} is your verification code",
     "<h2>Confirm it is you</h2>\n<p>Enter this code to continue: {{ .Token }}</p>\n"},
    {MailKind::kPasswordChangedNotification,
     "PASSWORD_CHANGED_NOTIFICATION",
     "password_changed_notification",
     "",
     "",
     "Your password was changed",
     "<h2>Your password was changed</h2>\n<p>The password of your account {{ .Email }} was "
     "just changed. If this was not you, contact us right away.</p>\n"},
    {MailKind::kEmailChangedNotification,
     "EMAIL_CHANGED_NOTIFICATION",
     "email_changed_notification",
     "",
     "",
     "Your email address was changed",
     "<h2>Your email address was changed</h2>\n<p>The email address of your account was changed "
     "from {{ .OldEmail }} to {{ .Email }}. If this was not you, contact us right away.</p>\n"},
    {MailKind::kPhoneChangedNotification,
     "PHONE_CHANGED_NOTIFICATION",
     "phone_changed_notification",
     "",
     "",
     "Your phone number was changed",
     "<h2>Your phone number was changed</h2>\n<p>The phone number of your account {{ .Email }} "
     "was changed to {{ .Phone }}. If this was not you, contact us right away.</p>\n"},
    {MailKind::kIdentityLinkedNotification,
     "IDENTITY_LINKED_NOTIFICATION",
     "identity_linked_notification",
     "",
     "",
     "A new sign-in method was linked to your account",
     "<h2>A new sign-in method was linked</h2>\n<p>{{ .Provider }} can now be used to sign in to "
     "your account {{ .Email }}. If this was not you, contact us right away.</p>\n"},
    {MailKind::kIdentityUnlinkedNotification,
     "IDENTITY_UNLINKED_NOTIFICATION",
     "identity_unlinked_notification",
     "",
     "",
     "A sign-in method was removed from your account",
     "<h2>A sign-in method was removed</h2>\n<p>{{ .Provider }} can no longer be used to sign in "
     "to your account {{ .Email }}. If this was not you, contact us right away.</p>\n"},
    {MailKind::kMfaFactorEnrolledNotification,
     "MFA_FACTOR_ENROLLED_NOTIFICATION",
     "mfa_factor_enrolled_notification",
     "",
     "",
     "A new verification method was added to your account",
     "<h2>A verification method was added</h2>\n<p>A new {{ .FactorType }} verification method "
     "was added to your account {{ .Email }}. If this was not you, contact us right away.</p>\n"},
    {MailKind::kMfaFactorUnenrolledNotification,
     "MFA_FACTOR_UNENROLLED_NOTIFICATION",
     "mfa_factor_unenrolled_notification",
     "",
     "",
     "A verification method was removed from your account",
     "<h2>A verification method was removed</h2>\n<p>A {{ .FactorType }} verification method was "
     "removed from your account {{ .Email }}. If this was not you, contact us right away.</p>\n"},
}};

}  // namespace

const MailKindInfo& InfoOf(MailKind kind) {
    return kKinds.at(static_cast<std::size_t>(kind));
}

std::span<const MailKindInfo> AllMailKinds() {
    return kKinds;
}

}  // namespace gotrue::mailer
