#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// auth.refresh_tokens.
struct RefreshToken {
    long long id = 0;
    std::string token;
    std::string user_id;
    bool revoked = false;
    std::string parent;
    std::string session_id;
    Time created_at{};
    Time updated_at{};
};

// A new random token of the session; `parent` "" for the first of a session.
[[nodiscard]] RefreshToken CreateRefreshToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view session_id,
    std::string_view parent
);

// Locks the row (FOR UPDATE) so concurrent refreshes of one token serialise.
[[nodiscard]] std::optional<RefreshToken> FindRefreshToken(
    pqxx::transaction_base& tx, std::string_view token
);

// The newest non-revoked token of the session, if any.
[[nodiscard]] std::optional<RefreshToken> FindActiveRefreshToken(
    pqxx::transaction_base& tx, std::string_view session_id
);

void RevokeRefreshToken(pqxx::transaction_base& tx, long long id);

void RevokeSessionRefreshTokens(pqxx::transaction_base& tx, std::string_view session_id);

}  // namespace gotrue::models
