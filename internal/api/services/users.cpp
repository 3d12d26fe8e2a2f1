#include "api/services/users.hpp"

#include <utility>

#include <rapidjson/document.h>

#include "api/http_types.hpp"
#include "models/audit_log.hpp"
#include "models/identity.hpp"
#include "observability/request_id.hpp"

namespace gotrue::api {
namespace {

std::string EmailIdentityData(
    const std::string& user_id, const std::string& email, const std::string& data, bool verified
) {
    rapidjson::Document extra = ParseStoredObject(data);
    rapidjson::Document identity;
    identity.SetObject();
    auto& allocator = identity.GetAllocator();
    identity.AddMember("sub", rapidjson::Value(user_id.c_str(), allocator), allocator);
    identity.AddMember("email", rapidjson::Value(email.c_str(), allocator), allocator);
    identity.AddMember("email_verified", verified, allocator);
    identity.AddMember("phone_verified", false, allocator);
    for (auto& member : extra.GetObject()) {
        const std::string name = member.name.GetString();
        if (name == "sub" || name == "email" || name == "email_verified" ||
            name == "phone_verified") {
            continue;  // the identity's own facts win
        }
        identity.AddMember(
            rapidjson::Value(member.name, allocator),
            rapidjson::Value(member.value, allocator),
            allocator
        );
    }
    return ToJson(identity);
}

}  // namespace

std::function<void(pqxx::work&)> UndoNewUser(std::string user_id) {
    return [user_id = std::move(user_id)](pqxx::work& tx) {
        models::DeleteAuditEntriesOfActor(tx, user_id);
        models::DeleteUser(tx, user_id);
    };
}

models::User CreateEmailUser(pqxx::work& tx, const NewEmailUser& spec) {
    models::User user;
    user.id = spec.id.empty() ? observability::NewUuid() : spec.id;
    user.aud = spec.aud;
    user.role = spec.role;
    user.email = spec.email;
    user.encrypted_password = spec.password_hash;
    user.raw_app_meta_data = spec.app_metadata;
    user.raw_user_meta_data = EmailIdentityData(user.id, spec.email, spec.data, spec.confirmed);
    if (spec.confirmed) {
        user.email_confirmed_at = models::Now();
    }
    if (spec.invited) {
        user.invited_at = models::Now();
    }
    models::InsertUser(tx, user);
    models::Identity identity;
    identity.id = observability::NewUuid();
    identity.provider_id = user.id;
    identity.user_id = user.id;
    identity.provider = "email";
    identity.identity_data = user.raw_user_meta_data;
    models::InsertIdentity(tx, identity);
    return *models::FindUserById(tx, user.id);
}

models::User FakeUser(const std::string& email, const std::string& aud, const std::string& data) {
    models::User fake;
    fake.id = observability::NewUuid();
    fake.aud = aud;
    fake.email = email;
    fake.raw_app_meta_data = kEmailAppMetadata;
    fake.raw_user_meta_data = data;
    fake.created_at = fake.updated_at = models::Now();
    fake.confirmation_sent_at = fake.created_at;
    return fake;
}

}  // namespace gotrue::api
