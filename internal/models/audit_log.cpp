#include "models/audit_log.hpp"

#include <array>
#include <string_view>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kInsertAuditLogEntry = R"sql(
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address)
VALUES ($1, gen_random_uuid(), $2::json, now(), $3)
)sql";

constexpr std::string_view kDeleteAuditEntriesOfActor = R"sql(
DELETE FROM audit_log_entries WHERE payload->>'actor_id' = $1
)sql";

}  // namespace

std::string AuditLogType(const std::string& action) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kTypes{{
        {"login", "account"},
        {"logout", "account"},
        {"invite_accepted", "account"},
        {"user_signedup", "team"},
        {"user_invited", "team"},
        {"user_deleted", "team"},
        {"token_revoked", "token"},
        {"token_refreshed", "token"},
        {"user_modified", "user"},
        {"factor_in_progress", "factor"},
        {"factor_unenrolled", "factor"},
        {"challenge_created", "factor"},
        {"verification_attempted", "factor"},
        {"factor_deleted", "factor"},
        {"factor_updated", "factor"},
    }};
    for (const auto& [name, type] : kTypes) {
        if (action == name) {
            return std::string(type);
        }
    }
    return "user";  // user_recovery_requested, user_confirmation_requested, ...
}

void RecordAudit(
    pqxx::transaction_base& tx,
    const User& actor,
    const std::string& action,
    const std::string& ip_address,
    const std::string& traits
) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("actor_id");
    writer.String(actor.id.c_str());
    writer.Key("actor_username");
    writer.String((actor.phone.empty() ? actor.email : actor.phone).c_str());
    writer.Key("actor_via_sso");
    writer.Bool(actor.is_sso_user);
    writer.Key("action");
    writer.String(action.c_str());
    writer.Key("log_type");
    writer.String(AuditLogType(action).c_str());
    writer.EndObject();
    std::string payload = buffer.GetString();
    if (!traits.empty()) {
        payload.pop_back();
        payload += ",\"traits\":" + traits + "}";
    }
    sql::Exec0(
        tx, kInsertAuditLogEntry, std::string(kNilInstanceId), payload, ip_address.substr(0, 64)
    );
}

void DeleteAuditEntriesOfActor(pqxx::transaction_base& tx, std::string_view actor_id) {
    sql::Exec0(tx, kDeleteAuditEntriesOfActor, std::string(actor_id));
}

}  // namespace gotrue::models
