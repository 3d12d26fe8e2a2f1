#pragma once

// auth.mfa_challenges: one challenge per attempt to verify a factor (supabase/auth
// internal/models/challenge.go). A challenge is verified once, from the address that made it.

#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

struct Challenge {
    std::string id;
    std::string factor_id;
    Time created_at{};
    OptionalTime verified_at;
    bool same_address = false;  // made from the address FindChallenge was given
};

// A new challenge for the factor from `ip`; stamps the factor's last_challenged_at.
[[nodiscard]] Challenge CreateChallenge(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& ip
);

// The factor's challenge `challenge_id` (nullopt when it is another factor's or gone), with
// whether it was made from `ip`.
[[nodiscard]] std::optional<Challenge> FindChallenge(
    pqxx::transaction_base& tx,
    std::string_view factor_id,
    std::string_view challenge_id,
    const std::string& ip
);

// Marks it verified unless it already is; false when another request verified it first.
[[nodiscard]] bool ClaimChallenge(pqxx::transaction_base& tx, std::string_view challenge_id);

void DeleteChallenge(pqxx::transaction_base& tx, std::string_view challenge_id);

}  // namespace gotrue::models
