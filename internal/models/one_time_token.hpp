#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/vocabulary.hpp"

namespace gotrue::models {

// auth.one_time_tokens (docs/database.md): at most one live token per (user, type). For email
// links token_hash is the link's own random token (crypto::GenerateLinkToken); rows written by
// older versions hold the code's hash instead, and the reauthentication row always does.
struct OneTimeToken {
    std::string user_id;
    OneTimeTokenType token_type{};
    std::string token_hash;
    std::string relates_to;  // the lower-cased address the token was sent to
};

// Replaces the user's token of that type.
void SetOneTimeToken(pqxx::transaction_base& tx, const OneTimeToken& token);

void DeleteOneTimeToken(
    pqxx::transaction_base& tx, std::string_view user_id, OneTimeTokenType token_type
);

void DeleteOneTimeTokensOfUser(pqxx::transaction_base& tx, std::string_view user_id);

// The user's token of that type, if any.
[[nodiscard]] std::optional<OneTimeToken> FindOneTimeTokenOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, OneTimeTokenType token_type
);

// Whose token this is, among `types`: the user row to lock before ClaimOneTimeToken. A plain
// read, so it proves nothing about the token still being there once the lock is held.
[[nodiscard]] std::optional<std::string> FindOneTimeTokenOwner(
    pqxx::transaction_base& tx, std::string_view token_hash, std::span<const OneTimeTokenType> types
);

// Uses the token up: deletes the user's row with this hash among `types` and returns it. Of
// concurrent transactions claiming one token, only the first to delete it gets it; the others
// (which wait for its commit) get std::nullopt. Lock the user row first (FindUserById with
// Lock::kForUpdate), the one lock order every handler keeps.
[[nodiscard]] std::optional<OneTimeToken> ClaimOneTimeToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view token_hash,
    std::span<const OneTimeTokenType> types
);

// Deletes the user's rows whose token_hash still equals one of the user's code columns (the
// reauthentication row, and links written by older versions, which anyone knowing the address
// can compute from the code): burning the codes burns those too.
void DeleteOneTimeTokensHoldingCodes(pqxx::transaction_base& tx, std::string_view user_id);

}  // namespace gotrue::models
