#pragma once

// The error_code strings GoTrue sends (internal/api/apierrors/errorcode.go).

#include <string_view>

namespace gotrue::http {

using ErrorCode = std::string_view;

// An inline namespace, so a module can import every code with one using-directive
// (api/http_types.hpp) while http code names them directly.
inline namespace error_codes {

inline constexpr ErrorCode kUnknown = "unknown";
inline constexpr ErrorCode kUnexpectedFailure = "unexpected_failure";
inline constexpr ErrorCode kValidationFailed = "validation_failed";
inline constexpr ErrorCode kBadJson = "bad_json";
inline constexpr ErrorCode kRequestEntityTooLarge = "request_entity_too_large";
inline constexpr ErrorCode kRequestTimeout = "request_timeout";
inline constexpr ErrorCode kOverRequestRateLimit = "over_request_rate_limit";
inline constexpr ErrorCode kOverEmailSendRateLimit = "over_email_send_rate_limit";
inline constexpr ErrorCode kNoAuthorization = "no_authorization";
inline constexpr ErrorCode kBadJwt = "bad_jwt";
inline constexpr ErrorCode kNotAdmin = "not_admin";
inline constexpr ErrorCode kUserNotFound = "user_not_found";
inline constexpr ErrorCode kSessionNotFound = "session_not_found";
inline constexpr ErrorCode kSessionExpired = "session_expired";
inline constexpr ErrorCode kUserBanned = "user_banned";
inline constexpr ErrorCode kWeakPassword = "weak_password";
inline constexpr ErrorCode kUserAlreadyExists = "user_already_exists";
inline constexpr ErrorCode kEmailExists = "email_exists";
inline constexpr ErrorCode kPhoneExists = "phone_exists";
inline constexpr ErrorCode kInvalidCredentials = "invalid_credentials";
inline constexpr ErrorCode kEmailNotConfirmed = "email_not_confirmed";
inline constexpr ErrorCode kSignupDisabled = "signup_disabled";
inline constexpr ErrorCode kEmailProviderDisabled = "email_provider_disabled";
inline constexpr ErrorCode kAnonymousProviderDisabled = "anonymous_provider_disabled";
inline constexpr ErrorCode kOtpExpired = "otp_expired";
inline constexpr ErrorCode kOtpDisabled = "otp_disabled";
inline constexpr ErrorCode kEmailAddressInvalid = "email_address_invalid";
inline constexpr ErrorCode kEmailAddressNotAuthorized = "email_address_not_authorized";
inline constexpr ErrorCode kRefreshTokenNotFound = "refresh_token_not_found";
inline constexpr ErrorCode kRefreshTokenAlreadyUsed = "refresh_token_already_used";
inline constexpr ErrorCode kSamePassword = "same_password";
inline constexpr ErrorCode kReauthenticationNeeded = "reauthentication_needed";
inline constexpr ErrorCode kReauthenticationNotValid = "reauthentication_not_valid";
inline constexpr ErrorCode kCurrentPasswordRequired = "current_password_required";
inline constexpr ErrorCode kCurrentPasswordInvalid = "current_password_invalid";
inline constexpr ErrorCode kFlowStateNotFound = "flow_state_not_found";
inline constexpr ErrorCode kFlowStateExpired = "flow_state_expired";
inline constexpr ErrorCode kBadCodeVerifier = "bad_code_verifier";
inline constexpr ErrorCode kNotFound = "not_found";
inline constexpr ErrorCode kPhoneProviderDisabled = "phone_provider_disabled";
inline constexpr ErrorCode kUserSsoManaged = "user_sso_managed";
inline constexpr ErrorCode kMethodNotAllowed = "method_not_allowed";
inline constexpr ErrorCode kMfaFactorNotFound = "mfa_factor_not_found";
inline constexpr ErrorCode kMfaFactorNameConflict = "mfa_factor_name_conflict";
inline constexpr ErrorCode kMfaVerificationFailed = "mfa_verification_failed";
inline constexpr ErrorCode kMfaChallengeExpired = "mfa_challenge_expired";
inline constexpr ErrorCode kMfaIpAddressMismatch = "mfa_ip_address_mismatch";
inline constexpr ErrorCode kMfaTotpEnrollNotEnabled = "mfa_totp_enroll_not_enabled";
inline constexpr ErrorCode kMfaTotpVerifyNotEnabled = "mfa_totp_verify_not_enabled";
inline constexpr ErrorCode kMfaPhoneEnrollNotEnabled = "mfa_phone_enroll_not_enabled";
inline constexpr ErrorCode kMfaPhoneVerifyNotEnabled = "mfa_phone_verify_not_enabled";
inline constexpr ErrorCode kMfaWebAuthnEnrollNotEnabled = "mfa_webauthn_enroll_not_enabled";
inline constexpr ErrorCode kMfaWebAuthnVerifyNotEnabled = "mfa_webauthn_verify_not_enabled";
inline constexpr ErrorCode kTooManyEnrolledMfaFactors = "too_many_enrolled_mfa_factors";
inline constexpr ErrorCode kInsufficientAal = "insufficient_aal";

}  // namespace error_codes
}  // namespace gotrue::http
