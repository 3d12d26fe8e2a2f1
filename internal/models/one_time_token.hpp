#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace gotrue::models {

// auth.one_time_tokens (contract §4.5-4.6): at most one live token per (user, type).
struct OneTimeToken {
    std::string user_id;
    std::string token_type;  // confirmation_token, recovery_token, email_change_token_new, ...
    std::string token_hash;
    std::string relates_to;  // the lower-cased address the token was sent to
};

// Replaces the user's token of that type.
void SetOneTimeToken(pqxx::transaction_base& tx, const OneTimeToken& token);

void DeleteOneTimeToken(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view token_type
);

void DeleteOneTimeTokensOfUser(pqxx::transaction_base& tx, std::string_view user_id);

// The token with this hash among `types`.
[[nodiscard]] std::optional<OneTimeToken> FindOneTimeToken(
    pqxx::transaction_base& tx, std::string_view token_hash, const std::vector<std::string>& types
);

}  // namespace gotrue::models
