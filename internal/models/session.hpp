#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// auth.sessions (GoTrue's internal/models/sessions.go).
struct Session {
    std::string id;
    std::string user_id;
    std::string aal = "aal1";
    OptionalTime not_after;
    Time created_at{};
    Time updated_at{};
};

// `ip` "" stores NULL.
[[nodiscard]] Session CreateSession(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    const std::string& user_agent,
    const std::string& ip
);

[[nodiscard]] std::optional<Session> FindSession(pqxx::transaction_base& tx, std::string_view id);

// A refresh of the session: refreshed_at, and the client it came from.
void UpdateSessionRefreshInfo(
    pqxx::transaction_base& tx,
    std::string_view id,
    const std::string& user_agent,
    const std::string& ip
);

void DeleteSession(pqxx::transaction_base& tx, std::string_view id);

// The session's assurance level and the factor that raised it (GoTrue's
// UpdateAALAndAssociatedFactor); `factor_id` "" stores NULL.
void SetSessionAal(
    pqxx::transaction_base& tx,
    std::string_view id,
    std::string_view aal,
    std::string_view factor_id
);

// The user's sessions below `aal` (GoTrue's InvalidateSessionsWithAALLessThan: after a factor
// was verified, sessions that never passed it are signed out).
void DeleteSessionsBelowAal(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view aal
);

// The sessions a deleted factor raised go back to aal1 and lose its amr claim `method` (GoTrue's
// DowngradeSessionsToAAL1).
void DowngradeSessionsOfFactor(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view factor_id,
    std::string_view method
);

// Every session of the user but `keep` ("" keeps none). Refresh tokens and amr claims go with
// their sessions (ON DELETE CASCADE).
void DeleteSessionsOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view keep = {}
);

}  // namespace gotrue::models
