#pragma once

// auth.mfa_factors: a user's second factors (supabase/auth internal/models/factor.go). Only TOTP
// factors are created here; rows of other types (phone, webauthn) written by upstream are listed
// and can be deleted.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"
#include "models/user.hpp"

namespace gotrue::models {

inline constexpr std::string_view kFactorTypeTotp = "totp";
inline constexpr std::string_view kFactorVerified = "verified";
inline constexpr std::string_view kFactorUnverified = "unverified";

struct Factor {
    std::string id;
    std::string user_id;
    std::string friendly_name;
    std::string factor_type;
    std::string status;  // "unverified" or "verified"
    std::string secret;  // as stored: plain base32, or GoTrue's encrypted JSON
    std::string phone;
    Time created_at{};
    Time updated_at{};
    OptionalTime last_challenged_at;
    // The TOTP time step last accepted (this server's column): a code is never accepted twice.
    std::optional<std::int64_t> last_totp_step;

    [[nodiscard]] bool IsVerified() const { return status == kFactorVerified; }
};

// A fresh id for a factor about to be created (its secret is encrypted under it).
[[nodiscard]] std::string NewFactorId(pqxx::transaction_base& tx);

// Inserts an unverified factor with `factor.id`; fills the timestamps.
void CreateFactor(pqxx::transaction_base& tx, Factor& factor);

// The user's factors, oldest first.
[[nodiscard]] std::vector<Factor> FindFactorsByUser(
    pqxx::transaction_base& tx, std::string_view user_id
);

// The user's factor `factor_id`, nullopt when it is another user's or gone.
[[nodiscard]] std::optional<Factor> FindUserFactor(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view factor_id,
    Lock lock = Lock::kNone
);

// Unverified factors never challenged and older than `expiry`, of every user (upstream's
// DeleteExpiredFactors, run before each enrollment).
void DeleteExpiredFactors(pqxx::transaction_base& tx, std::chrono::seconds expiry);

// The user's other unverified factors of `factor_type` (after one was verified).
void DeleteUnverifiedFactors(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view factor_type
);

// Verified, with `step` as the last accepted TOTP step; `secret` replaces the stored one
// (re-encrypted under the current key) when given.
void RecordTotpVerification(
    pqxx::transaction_base& tx,
    std::string_view factor_id,
    std::int64_t step,
    const std::optional<std::string>& secret
);

void UpdateFactorSecret(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& secret
);

void UpdateFactorFriendlyName(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& friendly_name
);

// false when it was gone already. Its challenges go with it (ON DELETE CASCADE).
bool DeleteFactor(pqxx::transaction_base& tx, std::string_view factor_id);

}  // namespace gotrue::models
