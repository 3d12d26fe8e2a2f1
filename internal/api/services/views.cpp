#include "api/services/views.hpp"

namespace gotrue::api {
namespace {

void WriteTime(JsonWriter& writer, const char* key, const models::OptionalTime& time) {
    if (time) {
        writer.Key(key);
        writer.String(models::FormatTime(*time).c_str());
    }
}

void WriteString(JsonWriter& writer, const char* key, const std::string& value) {
    writer.Key(key);
    writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void WriteIdentity(JsonWriter& writer, const models::Identity& identity) {
    writer.StartObject();
    WriteString(writer, "identity_id", identity.id);
    WriteString(writer, "id", identity.provider_id);
    WriteString(writer, "user_id", identity.user_id);
    if (identity.identity_data != "{}" && !identity.identity_data.empty()) {
        writer.Key("identity_data");
        WriteRaw(writer, identity.identity_data);
    }
    WriteString(writer, "provider", identity.provider);
    WriteTime(writer, "last_sign_in_at", identity.last_sign_in_at);
    WriteTime(writer, "created_at", identity.created_at);
    WriteTime(writer, "updated_at", identity.updated_at);
    if (!identity.email.empty()) {
        WriteString(writer, "email", identity.email);
    }
    writer.EndObject();
}

}  // namespace

void WriteFactor(JsonWriter& writer, const models::Factor& factor) {
    writer.StartObject();
    WriteString(writer, "id", factor.id);
    WriteTime(writer, "created_at", factor.created_at);
    WriteTime(writer, "updated_at", factor.updated_at);
    WriteString(writer, "status", factor.status);
    if (!factor.friendly_name.empty()) {
        WriteString(writer, "friendly_name", factor.friendly_name);
    }
    WriteString(writer, "factor_type", factor.factor_type);
    WriteString(writer, "phone", factor.phone);
    writer.Key("last_challenged_at");
    if (factor.last_challenged_at) {
        writer.String(models::FormatTime(*factor.last_challenged_at).c_str());
    } else {
        writer.Null();
    }
    writer.EndObject();
}

std::string FactorJson(const models::Factor& factor) {
    return JsonText([&](JsonWriter& writer) { WriteFactor(writer, factor); });
}

std::string FactorsJson(const std::vector<models::Factor>& factors) {
    return JsonText([&](JsonWriter& writer) {
        writer.StartArray();
        for (const auto& factor : factors) {
            WriteFactor(writer, factor);
        }
        writer.EndArray();
    });
}

void WriteUser(
    JsonWriter& writer,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors
) {
    writer.StartObject();
    WriteString(writer, "id", user.id);
    WriteString(writer, "aud", user.aud);
    WriteString(writer, "role", user.role);
    WriteString(writer, "email", user.email);
    WriteTime(writer, "email_confirmed_at", user.email_confirmed_at);
    WriteTime(writer, "invited_at", user.invited_at);
    WriteString(writer, "phone", user.phone);
    WriteTime(writer, "phone_confirmed_at", user.phone_confirmed_at);
    WriteTime(writer, "confirmation_sent_at", user.confirmation_sent_at);
    WriteTime(
        writer, "confirmed_at", user.confirmed_at ? user.confirmed_at : user.email_confirmed_at
    );
    WriteTime(writer, "recovery_sent_at", user.recovery_sent_at);
    if (!user.email_change.empty()) {
        WriteString(writer, "new_email", user.email_change);
    }
    WriteTime(writer, "email_change_sent_at", user.email_change_sent_at);
    if (!user.phone_change.empty()) {
        WriteString(writer, "new_phone", user.phone_change);
    }
    WriteTime(writer, "phone_change_sent_at", user.phone_change_sent_at);
    WriteTime(writer, "reauthentication_sent_at", user.reauthentication_sent_at);
    WriteTime(writer, "last_sign_in_at", user.last_sign_in_at);
    writer.Key("app_metadata");
    WriteRaw(writer, user.raw_app_meta_data.empty() ? "{}" : user.raw_app_meta_data);
    writer.Key("user_metadata");
    WriteRaw(writer, user.raw_user_meta_data.empty() ? "{}" : user.raw_user_meta_data);
    writer.Key("identities");
    writer.StartArray();
    for (const auto& identity : identities) {
        WriteIdentity(writer, identity);
    }
    writer.EndArray();
    if (!factors.empty()) {
        writer.Key("factors");
        WriteRaw(writer, FactorsJson(factors));
    }
    WriteTime(writer, "created_at", user.created_at);
    WriteTime(writer, "updated_at", user.updated_at);
    WriteTime(writer, "banned_until", user.banned_until);
    WriteTime(writer, "deleted_at", user.deleted_at);
    writer.Key("is_anonymous");
    writer.Bool(user.is_anonymous);
    writer.EndObject();
}

std::string UserJson(
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors
) {
    return JsonText([&](JsonWriter& writer) { WriteUser(writer, user, identities, factors); });
}

std::string SessionJson(
    const IssuedSession& session,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors
) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    WriteString(writer, "access_token", session.access_token);
    WriteString(writer, "token_type", "bearer");
    writer.Key("expires_in");
    writer.Int(session.expires_in);
    writer.Key("expires_at");
    writer.Int64(session.expires_at);
    WriteString(writer, "refresh_token", session.refresh_token);
    writer.Key("user");
    WriteUser(writer, user, identities, factors);
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace gotrue::api
