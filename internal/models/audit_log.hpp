#pragma once

#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/user.hpp"

namespace gotrue::models {

// One row of auth.audit_log_entries (docs/database.md): actor, action and its log type.
// `traits` is a JSON object text or empty.
void RecordAudit(
    pqxx::transaction_base& tx,
    const User& actor,
    const std::string& action,
    const std::string& ip_address,
    const std::string& traits = {}
);

// Deletes the entries `actor_id` is the actor of (the undo of a signup whose mail failed).
void DeleteAuditEntriesOfActor(pqxx::transaction_base& tx, std::string_view actor_id);

// The log type GoTrue files `action` under (account, team, token, user).
[[nodiscard]] std::string AuditLogType(const std::string& action);

}  // namespace gotrue::models
