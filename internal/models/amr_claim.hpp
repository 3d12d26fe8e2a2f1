#pragma once

#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::models {

// auth.mfa_amr_claims: one row per authentication method used on a session; the source of the
// JWT amr claim (supabase/auth internal/models/amr.go).
struct AmrClaim {
    std::string method;  // as stored (rows written by upstream may name methods we do not use)
    Time updated_at{};
};

// Records `method` on the session, or refreshes its time when it is there already.
void AddClaimToSession(
    pqxx::transaction_base& tx, std::string_view session_id, AuthenticationMethod method
);

// The session's claims, most recent first (as GoTrue orders the amr claim).
[[nodiscard]] std::vector<AmrClaim> FindAmrClaims(
    pqxx::transaction_base& tx, std::string_view session_id
);

}  // namespace gotrue::models
