// The admin API (contract §2.15-2.16): /admin/users, /invite, /admin/generate_link. Callers need a
// JWT whose role is in GOTRUE_JWT_ADMIN_ROLES; no user row is involved.

#include <algorithm>
#include <cctype>
#include <chrono>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/pagination.hpp"
#include "api/redirect.hpp"
#include "api/request_info.hpp"
#include "api/transaction.hpp"
#include "api/users.hpp"
#include "api/validation.hpp"
#include "api/views.hpp"
#include "conf/value_parsers.hpp"
#include "crypto/crypto.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "models/one_time_token.hpp"
#include "tokens/jwt.hpp"

namespace gotrue::api {
namespace {

constexpr const char* kNilUuid = "00000000-0000-0000-0000-000000000000";

// The admin as audit actor: the token's subject (often none for service_role keys).
models::User AuditActor(const Caller& admin) {
    models::User actor;
    actor.id = admin.user.id.empty() ? kNilUuid : admin.user.id;
    actor.email = admin.user.email;
    return actor;
}

// "none" clears the ban, a Go duration sets banned_until = now + duration.
models::OptionalTime BannedUntil(const std::string& ban_duration) {
    if (ban_duration == "none") {
        return std::nullopt;
    }
    try {
        const auto duration = conf::ParseDuration(ban_duration);
        if (duration.count() < 0) {
            throw std::invalid_argument("negative");
        }
        return models::Now() + std::chrono::duration_cast<std::chrono::microseconds>(duration);
    } catch (const std::invalid_argument&) {
        throw BadRequest(kValidationFailed, "invalid format for ban duration: " + ban_duration);
    }
}

// Merges `patch` into `base`; for app_metadata the email provider facts stay.
std::string MergedAppMetadata(const std::string& base, const std::string& patch) {
    return MergeJsonObjects(MergeJsonObjects(base, patch), R"({"provider":"email"})");
}

void WriteUserWithLink(
    JsonWriter& writer,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::map<std::string, std::string>& extra
) {
    // The user's fields and the link's, in one object (GoTrue embeds the User).
    rapidjson::StringBuffer user_buffer;
    JsonWriter user_writer(user_buffer);
    WriteUser(user_writer, user, identities);
    rapidjson::Document document = ParseStoredObject(user_buffer.GetString());
    auto& allocator = document.GetAllocator();
    for (const auto& [key, value] : extra) {
        document.AddMember(
            rapidjson::Value(key.c_str(), allocator),
            rapidjson::Value(value.c_str(), allocator),
            allocator
        );
    }
    document.Accept(writer);
}

constexpr const char* kEmailTaken = "A user with this email address has already been registered";

// The unconfirmed user with `email` (created when missing) for an invitation or a signup link;
// 422 email_exists when the address is already confirmed.
models::User UnconfirmedUser(pqxx::work& tx, const NewEmailUser& spec) {
    auto user = models::FindUserByEmailAndAudience(tx, spec.email, spec.aud, true);
    if (user && user->IsConfirmed()) {
        throw UnprocessableEntity(kEmailExists, kEmailTaken);
    }
    return user ? *user : CreateEmailUser(tx, spec);
}

}  // namespace

Caller Api::RequireAdmin(const Request& request) {
    const auto verified = VerifyBearer(request);
    const auto& claims = verified.Claims();
    const auto claim = [&claims](const char* name) {
        return StringClaim(claims, name);
    };
    Caller admin;
    admin.role = claim("role");
    admin.user.id = claim("sub");
    admin.user.email = claim("email");
    admin.session_id = claim("session_id");
    const auto& roles = deps_.config.jwt.admin_roles;
    if (std::find(roles.begin(), roles.end(), admin.role) == roles.end()) {
        throw Forbidden(kNotAdmin, "User not allowed");
    }
    if (!admin.session_id.empty() && admin.session_id != kNilUuid) {
        auto lease = deps_.database.Acquire();
        pqxx::read_transaction tx(lease.Connection());
        if (!IsUuid(admin.session_id) || !models::FindSession(tx, admin.session_id)) {
            throw Forbidden(kSessionExpired, "Session is no longer valid");
        }
    }
    return admin;
}

models::User Api::LoadAdminTarget(Request& request) {
    const auto it = request.params.find("user_id");
    const std::string id = it == request.params.end() ? std::string() : it->second;
    if (!IsUuid(id)) {
        throw NotFound(kValidationFailed, "user_id must be an UUID");
    }
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    auto user = models::FindUserById(tx, id);
    if (!user) {
        throw NotFound(kUserNotFound, "User not found");
    }
    return *user;
}

Response Api::AdminListUsers(Request& request) {
    const auto number = [&](const char* key, long long fallback) {
        const auto it = request.query.find(key);
        if (it == request.query.end() || it->second.empty()) {
            return fallback;
        }
        try {
            const long long value = conf::ParseInteger(it->second);
            if (value < 1) {
                throw std::invalid_argument("must be positive");
            }
            return value;
        } catch (const std::invalid_argument&) {
            throw BadRequest(
                kValidationFailed,
                std::string("Bad Pagination Parameters: ") + key + " must be a positive integer"
            );
        }
    };
    const long long page = number("page", 1);
    const long long per_page = std::min(number("per_page", 50), 1000LL);
    const std::string filter =
        request.query.count("filter") != 0 ? request.query.at("filter") : std::string();
    std::string order = "DESC";
    if (const auto sort = request.query.find("sort");
        sort != request.query.end() && !sort->second.empty()) {
        std::string text = sort->second;
        std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        if (text != "created_at" && text != "created_at desc" && text != "created_at asc") {
            throw BadRequest(
                kValidationFailed, "Bad Sort Parameters: only created_at [asc|desc] is supported"
            );
        }
        order = text == "created_at asc" ? "ASC" : "DESC";
    }
    const std::string aud = RequestAudience(request, deps_.config);
    const std::string pattern = "%" + filter + "%";
    std::vector<models::User> users;
    std::vector<std::vector<models::Identity>> identities;
    long long total = 0;
    {
        auto lease = deps_.database.Acquire();
        pqxx::read_transaction tx(lease.Connection());
        const std::string where =
            " FROM users WHERE instance_id = $1 AND aud = $2 AND ($3 = '' OR email ILIKE $4 "
            "OR raw_user_meta_data->>'full_name' ILIKE $4)";
        total = tx.exec_params1(
                      "SELECT count(*)" + where,
                      std::string(models::kNilInstanceId),
                      aud,
                      filter,
                      pattern
        )[0]
                    .as<long long>();
        const auto rows = tx.exec_params(
            "SELECT id::text" + where + " ORDER BY created_at " + order + ", id LIMIT $5 OFFSET $6",
            std::string(models::kNilInstanceId),
            aud,
            filter,
            pattern,
            per_page,
            PageOffset(page, per_page)
        );
        for (const auto& row : rows) {
            const std::string id = row[0].as<std::string>();
            users.push_back(*models::FindUserById(tx, id));
            identities.push_back(models::FindIdentitiesByUser(tx, id));
        }
    }
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    writer.Key("users");
    writer.StartArray();
    for (std::size_t i = 0; i < users.size(); ++i) {
        WriteUser(writer, users[i], identities[i]);
    }
    writer.EndArray();
    writer.Key("aud");
    writer.String(aud.c_str());
    writer.EndObject();
    Response response = JsonResponse(200, buffer.GetString());
    response.headers.Set("X-Total-Count", std::to_string(total));
    response.headers.Set("Link", PaginationLinks("/admin/users", page, per_page, total));
    return response;
}

Response Api::AdminCreateUser(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const auto document = ParseJsonBody(request.body);
    const std::string id = StringField(document, "id").value_or("");
    const std::string raw_email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    const auto password = StringField(document, "password");
    const auto password_hash = StringField(document, "password_hash");
    const bool email_confirm = BoolField(document, "email_confirm").value_or(false);
    static_cast<void>(BoolField(document, "phone_confirm"));
    const std::string user_metadata = ObjectField(document, "user_metadata").value_or("{}");
    const std::string app_metadata = ObjectField(document, "app_metadata").value_or("{}");
    const auto ban_duration = StringField(document, "ban_duration");
    const auto role = StringField(document, "role");
    const auto aud_field = StringField(document, "aud");
    const auto& config = deps_.config;
    if (raw_email.empty() && phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Cannot create a user without either an email or phone"
        );
    }
    if (!phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone users are not supported by this server");
    }
    const std::string email = ValidateEmail(raw_email);
    if (password && password_hash) {
        throw BadRequest(
            kValidationFailed, "Only a password or a password hash should be provided"
        );
    }
    if (!id.empty() && (!IsUuid(id) || id == kNilUuid)) {
        throw BadRequest(kValidationFailed, "Invalid user id, must be a UUID");
    }
    if (password_hash && !crypto::IsBcryptHash(*password_hash)) {
        throw BadRequest(kValidationFailed, "Invalid password hash format (bcrypt hashes only)");
    }
    if (password && crypto::PasswordTooLong(*password)) {
        throw BadRequest(kValidationFailed, "Password cannot be longer than 72 characters");
    }
    const models::OptionalTime banned_until =
        ban_duration ? BannedUntil(*ban_duration) : std::nullopt;
    const std::string hash =
        password_hash
            ? *password_hash
            : hasher_.Hash(
                  password ? *password : crypto::RandomPassword(crypto::kOtpPasswordLength)
              );
    const std::string aud =
        aud_field && !aud_field->empty() ? *aud_field : RequestAudience(request, config);
    std::vector<models::Identity> identities;
    const models::User user = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        if (models::FindUserByEmailAndAudience(tx, email, aud)) {
            throw UnprocessableEntity(kEmailExists, kEmailTaken);
        }
        if (!id.empty() && models::FindUserById(tx, id)) {
            throw UnprocessableEntity(kEmailExists, "A user with this ID already exists");
        }
        NewEmailUser spec;
        spec.id = id;
        spec.email = email;
        spec.aud = aud;
        spec.role = role && !role->empty() ? *role : config.jwt.default_group_name;
        spec.password_hash = hash;
        spec.data = user_metadata;
        spec.app_metadata = MergedAppMetadata(kEmailAppMetadata, app_metadata);
        spec.confirmed = email_confirm;
        models::User created = CreateEmailUser(tx, spec);
        if (banned_until) {
            created.banned_until = banned_until;
            models::SaveUser(tx, created);
        }
        models::RecordAudit(
            tx, AuditActor(admin), "user_signedup", ClientIp(request), R"({"provider":"email"})"
        );
        identities = models::FindIdentitiesByUser(tx, created.id);
        return *models::FindUserById(tx, created.id);
    });
    return JsonResponse(200, UserJson(user, identities));
}

Response Api::AdminGetUser(Request& request) {
    const models::User user = LoadAdminTarget(request);
    return JsonResponse(200, UserJson(user, LoadIdentities(user.id)));
}

Response Api::AdminUpdateUser(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const models::User target = LoadAdminTarget(request);
    const auto document = ParseJsonBody(request.body);
    const auto raw_email = StringField(document, "email");
    const auto phone = StringField(document, "phone");
    const auto password = StringField(document, "password");
    const auto password_hash = StringField(document, "password_hash");
    const auto email_confirm = BoolField(document, "email_confirm");
    const auto user_metadata = ObjectField(document, "user_metadata");
    const auto app_metadata = ObjectField(document, "app_metadata");
    const auto ban_duration = StringField(document, "ban_duration");
    const auto role = StringField(document, "role");
    const auto& config = deps_.config;
    if (phone && !phone->empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone users are not supported by this server");
    }
    std::optional<std::string> email;
    if (raw_email && !raw_email->empty()) {
        email = ValidateEmail(*raw_email);
    }
    std::optional<std::string> hash;
    if (password) {
        CheckPassword(*password, config.password);
        hash = hasher_.Hash(*password);
    } else if (password_hash) {
        if (!crypto::IsBcryptHash(*password_hash)) {
            throw BadRequest(
                kValidationFailed, "Invalid password hash format (bcrypt hashes only)"
            );
        }
        hash = *password_hash;
    }
    const models::OptionalTime banned_until =
        ban_duration ? BannedUntil(*ban_duration) : target.banned_until;
    std::vector<models::Identity> identities;
    const models::User updated = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::User user = *models::FindUserById(tx, target.id, true);
        if (email && *email != user.email) {
            if (models::FindUserByEmailAndAudience(tx, *email, user.aud)) {
                throw UnprocessableEntity(kEmailExists, kEmailTaken);
            }
            user.email = *email;
            user.raw_user_meta_data =
                MergeJsonObjects(user.raw_user_meta_data, R"({"email":")" + *email + "\"}");
            for (const auto& identity : models::FindIdentitiesByUser(tx, user.id)) {
                if (identity.provider == "email") {
                    models::UpdateIdentityData(
                        tx,
                        identity.id,
                        MergeJsonObjects(identity.identity_data, R"({"email":")" + *email + "\"}")
                    );
                }
            }
        }
        if (hash) {
            user.encrypted_password = *hash;
            models::DeleteSessionsOfUser(
                tx, user.id
            );  // a new password signs the user out everywhere
        }
        if (email_confirm && *email_confirm && !user.email_confirmed_at) {
            user.email_confirmed_at = models::Now();
        }
        if (user_metadata) {
            user.raw_user_meta_data = MergeJsonObjects(user.raw_user_meta_data, *user_metadata);
        }
        if (app_metadata) {
            user.raw_app_meta_data = MergeJsonObjects(user.raw_app_meta_data, *app_metadata);
        }
        if (role) {
            user.role = *role;
        }
        user.banned_until = banned_until;
        models::SaveUser(tx, user);
        models::RecordAudit(tx, AuditActor(admin), "user_modified", ClientIp(request));
        identities = models::FindIdentitiesByUser(tx, user.id);
        return *models::FindUserById(tx, user.id);
    });
    return JsonResponse(200, UserJson(updated, identities));
}

Response Api::AdminDeleteUser(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const models::User target = LoadAdminTarget(request);
    bool soft = false;
    if (!request.body.empty()) {
        soft = BoolField(ParseJsonBody(request.body), "should_soft_delete").value_or(false);
    }
    RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::RecordAudit(
            tx,
            AuditActor(admin),
            "user_deleted",
            ClientIp(request),
            R"({"user_id":")" + target.id + "\"}"
        );
        if (!soft) {
            models::DeleteUser(tx, target.id);  // identities, sessions, tokens go with it
            return;
        }
        // Soft delete: the row stays for references, everything identifying is replaced.
        models::User user = *models::FindUserById(tx, target.id, true);
        const std::string obfuscated = crypto::Sha256Hex(user.id + user.email).substr(0, 32);
        user.email = obfuscated + "@deleted.invalid";
        user.encrypted_password.clear();
        user.confirmation_token.clear();
        user.recovery_token.clear();
        user.email_change_token_new.clear();
        user.email_change_token_current.clear();
        user.email_change.clear();
        user.reauthentication_token.clear();
        user.raw_user_meta_data = "{}";
        user.deleted_at = models::Now();
        models::SaveUser(tx, user);
        tx.exec_params0("UPDATE users SET phone = NULL WHERE id = $1::uuid", user.id);
        tx.exec_params0(
            "UPDATE identities SET identity_data = jsonb_build_object('sub', user_id::text), "
            "provider_id = "
            "encode(sha256((provider_id || id::text)::bytea), 'hex') WHERE user_id = $1::uuid",
            user.id
        );
        models::DeleteOneTimeTokensOfUser(tx, user.id);
        models::DeleteSessionsOfUser(tx, user.id);
    });
    return JsonResponse(200, "{}");
}

Response Api::Invite(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const auto document = ParseJsonBody(request.body);
    const std::string email = ValidateEmail(StringField(document, "email").value_or(""));
    const std::string data = ObjectField(document, "data").value_or("{}");
    const auto& config = deps_.config;
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = RedirectTarget(request, config);
    const std::string random_hash =
        hasher_.Hash(crypto::RandomPassword(crypto::kOtpPasswordLength));

    struct Outcome {
        models::User user;
        std::vector<models::Identity> identities;
        OutgoingMail mail;
    };

    Outcome outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        Outcome result;
        NewEmailUser spec;
        spec.email = email;
        spec.aud = aud;
        spec.role = config.jwt.default_group_name;
        spec.password_hash = random_hash;
        spec.data = data;
        std::optional<models::User> user = UnconfirmedUser(tx, spec);
        user->invited_at = models::Now();
        models::SaveUser(tx, *user);
        result.mail = mail_.PrepareInvite(tx, *user, redirect_to);
        models::RecordAudit(
            tx,
            AuditActor(admin),
            "user_invited",
            ClientIp(request),
            R"({"user_email":")" + email + "\"}"
        );
        result.user = *models::FindUserById(tx, user->id);
        result.identities = models::FindIdentitiesByUser(tx, user->id);
        return result;
    });
    mail_.Deliver(request, outcome.mail);
    return JsonResponse(200, UserJson(outcome.user, outcome.identities));
}

Response Api::GenerateLink(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const auto document = ParseJsonBody(request.body);
    const std::string type = StringField(document, "type").value_or("");
    const std::string email = ValidateEmail(StringField(document, "email").value_or(""));
    const auto password = StringField(document, "password");
    const auto new_email_field = StringField(document, "new_email");
    const std::string data = ObjectField(document, "data").value_or("{}");
    const auto redirect_field = StringField(document, "redirect_to");
    const auto& config = deps_.config;
    static const std::vector<std::string> kTypes{
        "signup", "invite", "magiclink", "recovery", "email_change_current", "email_change_new"};
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        throw BadRequest(kValidationFailed, "Invalid link type");
    }
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = redirect_field && IsRedirectAllowed(*redirect_field, config)
                                        ? *redirect_field
                                        : RedirectTarget(request, config);
    std::optional<std::string> new_email;
    if (type.rfind("email_change", 0) == 0) {
        if (!new_email_field || new_email_field->empty()) {
            throw BadRequest(
                kValidationFailed, "The new_email address is required for email change links"
            );
        }
        new_email = ValidateEmail(*new_email_field);
    }
    if (type == "signup") {
        if (!password || password->empty()) {
            throw BadRequest(kValidationFailed, "Signup requires a valid password");
        }
        CheckPassword(*password, config.password);
    }
    const std::string hash = hasher_.Hash(
        type == "signup" ? *password : crypto::RandomPassword(crypto::kOtpPasswordLength)
    );

    struct Outcome {
        models::User user;
        std::vector<models::Identity> identities;
        OutgoingMail mail;
    };

    Outcome outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        Outcome result;
        auto user = models::FindUserByEmailAndAudience(tx, email, aud, true);
        if (type == "signup" || type == "invite") {
            NewEmailUser spec;
            spec.email = email;
            spec.aud = aud;
            spec.role = config.jwt.default_group_name;
            spec.password_hash = hash;
            spec.data = data;
            user = UnconfirmedUser(tx, spec);
            if (type == "invite") {
                user->invited_at = models::Now();
                models::SaveUser(tx, *user);
            }
            result.mail = mail_.PrepareConfirmation(tx, *user, redirect_to, false);
            result.mail.kind =
                type == "invite" ? mailer::MailKind::kInvite : mailer::MailKind::kConfirmation;
        } else {
            if (!user) {
                throw NotFound(kUserNotFound, "User with this email not found");
            }
            if (type == "magiclink" || type == "recovery") {
                result.mail = mail_.PrepareRecovery(
                    tx,
                    *user,
                    redirect_to,
                    type == "magiclink" ? mailer::MailKind::kMagicLink
                                        : mailer::MailKind::kRecovery,
                    false
                );
            } else {
                if (models::FindUserByEmailAndAudience(tx, *new_email, aud)) {
                    throw UnprocessableEntity(kEmailExists, kEmailTaken);
                }
                auto mails = mail_.PrepareEmailChange(tx, *user, *new_email, redirect_to, false);
                result.mail =
                    type == "email_change_current" && mails.size() > 1 ? mails[1] : mails[0];
            }
        }
        models::RecordAudit(
            tx,
            AuditActor(admin),
            "user_modified",
            ClientIp(request),
            R"({"action":"generate_link"})"
        );
        result.user = *models::FindUserById(tx, user->id);
        result.identities = models::FindIdentitiesByUser(tx, user->id);
        return result;
    });
    const auto& input = outcome.mail.input;
    const std::string verification_type =
        type.rfind("email_change", 0) == 0 ? std::string("email_change") : type;
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    WriteUserWithLink(
        writer,
        outcome.user,
        outcome.identities,
        {
            {"action_link", deps_.mailer.ActionLink(outcome.mail.kind, input)},
            {"email_otp", input.token},
            {"hashed_token", input.token_hash},
            {"verification_type", verification_type},
            {"redirect_to", redirect_to},
        }
    );
    return JsonResponse(200, buffer.GetString());
}

}  // namespace gotrue::api
