#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// auth.identities (GoTrue's internal/models/identity.go).
struct Identity {
    std::string id;           // row uuid ("identity_id" in JSON)
    std::string provider_id;  // user id for email
    std::string user_id;
    std::string identity_data = "{}";  // JSON text
    std::string provider;
    OptionalTime last_sign_in_at;
    Time created_at{};
    Time updated_at{};
    std::string email;  // generated column
};

void InsertIdentity(pqxx::transaction_base& tx, const Identity& identity);

// Inserts the user's email identity with `identity_data` unless it has one; true if it did.
bool InsertEmailIdentityIfMissing(
    pqxx::transaction_base& tx, std::string_view user_id, const std::string& identity_data
);

[[nodiscard]] std::vector<Identity> FindIdentitiesByUser(
    pqxx::transaction_base& tx, std::string_view user_id
);

// Keys of `patch` (a JSON object) replace those of the user's email identity data.
void MergeEmailIdentityData(
    pqxx::transaction_base& tx, std::string_view user_id, const std::string& patch
);

void UpdateEmailIdentityLastSignInAt(pqxx::transaction_base& tx, std::string_view user_id);

// Soft delete: identity data reduced to the subject, provider ids replaced by a hash.
void SoftDeleteIdentitiesOfUser(pqxx::transaction_base& tx, std::string_view user_id);

}  // namespace gotrue::models
