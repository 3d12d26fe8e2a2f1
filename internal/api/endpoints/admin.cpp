// The admin API (GoTrue's internal/api/admin.go and invite.go): /admin/users, /invite,
// /admin/generate_link. Callers need a JWT whose role is in GOTRUE_JWT_ADMIN_ROLES; no user row
// is involved.

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <string_view>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/pagination.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/transaction.hpp"
#include "api/services/users.hpp"
#include "api/services/validation.hpp"
#include "api/services/views.hpp"
#include "conf/value_parsers.hpp"
#include "crypto/crypto.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "models/identity.hpp"
#include "models/session.hpp"
#include "models/vocabulary.hpp"
#include "text/ascii.hpp"
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
    auto user =
        models::FindUserByEmailAndAudience(tx, spec.email, spec.aud, models::Lock::kForUpdate);
    if (user && user->IsConfirmed()) {
        throw UnprocessableEntity(kEmailExists, kEmailTaken);
    }
    return user ? *user : CreateEmailUser(tx, spec);
}

// A positive integer query parameter, `fallback` when absent (400 otherwise).
long long PositiveQueryNumber(const Request& request, const char* key, long long fallback) {
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
}

// `sort`: only created_at, ascending or descending (the default).
bool OldestFirst(const Request& request) {
    const auto sort = request.query.find("sort");
    if (sort == request.query.end() || sort->second.empty()) {
        return false;
    }
    const std::string text = text::ToLower(sort->second);
    if (text != "created_at" && text != "created_at desc" && text != "created_at asc") {
        throw BadRequest(
            kValidationFailed, "Bad Sort Parameters: only created_at [asc|desc] is supported"
        );
    }
    return text == "created_at asc";
}

// The body of POST /admin/users.
struct AdminCreateParams {
    std::string id;
    std::string email;
    std::optional<std::string> password;
    std::optional<std::string> password_hash;
    bool email_confirm = false;
    std::string user_metadata;
    std::string app_metadata;
    models::OptionalTime banned_until;
    std::optional<std::string> role;
    std::optional<std::string> aud;
};

AdminCreateParams ParseAdminCreate(const std::string& body) {
    const auto document = ParseJsonBody(body);
    AdminCreateParams params;
    params.id = StringField(document, "id").value_or("");
    const std::string raw_email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    params.password = StringField(document, "password");
    params.password_hash = StringField(document, "password_hash");
    params.email_confirm = BoolField(document, "email_confirm").value_or(false);
    static_cast<void>(BoolField(document, "phone_confirm"));
    params.user_metadata = ObjectField(document, "user_metadata").value_or("{}");
    params.app_metadata = ObjectField(document, "app_metadata").value_or("{}");
    const auto ban_duration = StringField(document, "ban_duration");
    params.role = StringField(document, "role");
    params.aud = StringField(document, "aud");
    if (raw_email.empty() && phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Cannot create a user without either an email or phone"
        );
    }
    if (!phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone users are not supported by this server");
    }
    params.email = ValidateEmail(raw_email);
    if (params.password && params.password_hash) {
        throw BadRequest(
            kValidationFailed, "Only a password or a password hash should be provided"
        );
    }
    if (!params.id.empty() && (!IsUuid(params.id) || params.id == kNilUuid)) {
        throw BadRequest(kValidationFailed, "Invalid user id, must be a UUID");
    }
    if (params.password_hash && !crypto::IsBcryptHash(*params.password_hash)) {
        throw BadRequest(kValidationFailed, "Invalid password hash format (bcrypt hashes only)");
    }
    if (params.password && crypto::PasswordTooLong(*params.password)) {
        throw BadRequest(kValidationFailed, "Password cannot be longer than 72 characters");
    }
    params.banned_until = ban_duration ? BannedUntil(*ban_duration) : std::nullopt;
    return params;
}

// The body of PUT /admin/users/{id}; `password` is checked, not yet hashed.
struct AdminUpdateParams {
    std::optional<std::string> email;
    std::optional<std::string> password;
    std::optional<std::string> password_hash;
    std::optional<bool> email_confirm;
    std::optional<std::string> user_metadata;
    std::optional<std::string> app_metadata;
    std::optional<std::string> ban_duration;
    std::optional<std::string> role;
};

AdminUpdateParams ParseAdminUpdate(const std::string& body, const conf::Config& config) {
    const auto document = ParseJsonBody(body);
    AdminUpdateParams params;
    const auto raw_email = StringField(document, "email");
    const auto phone = StringField(document, "phone");
    params.password = StringField(document, "password");
    params.password_hash = StringField(document, "password_hash");
    params.email_confirm = BoolField(document, "email_confirm");
    params.user_metadata = ObjectField(document, "user_metadata");
    params.app_metadata = ObjectField(document, "app_metadata");
    params.ban_duration = StringField(document, "ban_duration");
    params.role = StringField(document, "role");
    if (phone && !phone->empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone users are not supported by this server");
    }
    if (raw_email && !raw_email->empty()) {
        params.email = ValidateEmail(*raw_email);
    }
    if (params.password) {
        CheckPassword(*params.password, config.password);
    } else if (params.password_hash && !crypto::IsBcryptHash(*params.password_hash)) {
        throw BadRequest(kValidationFailed, "Invalid password hash format (bcrypt hashes only)");
    }
    return params;
}

// The plain fields of an admin update (the address and password have their own transitions).
void ApplyAdminUpdate(
    models::User& user, const AdminUpdateParams& params, const models::OptionalTime& banned_until
) {
    if (params.email_confirm && *params.email_confirm && !user.email_confirmed_at) {
        user.email_confirmed_at = models::Now();
    }
    if (params.user_metadata) {
        user.raw_user_meta_data = MergeJsonObjects(user.raw_user_meta_data, *params.user_metadata);
    }
    if (params.app_metadata) {
        user.raw_app_meta_data = MergeJsonObjects(user.raw_app_meta_data, *params.app_metadata);
    }
    if (params.role) {
        user.role = *params.role;
    }
    user.banned_until = banned_until;
}

// The link types of POST /admin/generate_link: what each verifies and which mail it is.
struct LinkType {
    std::string_view name;
    models::VerificationType verification;
    mailer::MailKind kind;
};

constexpr std::array<LinkType, 6> kLinkTypes{{
    {"signup", models::VerificationType::kSignup, mailer::MailKind::kConfirmation},
    {"invite", models::VerificationType::kInvite, mailer::MailKind::kInvite},
    {"magiclink", models::VerificationType::kMagicLink, mailer::MailKind::kMagicLink},
    {"recovery", models::VerificationType::kRecovery, mailer::MailKind::kRecovery},
    {"email_change_current",
     models::VerificationType::kEmailChange,
     mailer::MailKind::kEmailChange},
    {"email_change_new", models::VerificationType::kEmailChange, mailer::MailKind::kEmailChange},
}};

const LinkType& ParseLinkType(const std::string& text) {
    for (const auto& type : kLinkTypes) {
        if (type.name == text) {
            return type;
        }
    }
    throw BadRequest(kValidationFailed, "Invalid link type");
}

// The body of POST /admin/generate_link.
struct GenerateLinkParams {
    const LinkType* type = nullptr;
    std::string email;
    std::optional<std::string> password;   // signup links: checked
    std::optional<std::string> new_email;  // email change links
    std::string data;
    std::optional<std::string> redirect_to;
};

GenerateLinkParams ParseGenerateLink(const std::string& body, const conf::Config& config) {
    const auto document = ParseJsonBody(body);
    GenerateLinkParams params;
    const std::string type = StringField(document, "type").value_or("");
    params.email = ValidateEmail(StringField(document, "email").value_or(""));
    params.password = StringField(document, "password");
    const auto new_email = StringField(document, "new_email");
    params.data = ObjectField(document, "data").value_or("{}");
    params.redirect_to = StringField(document, "redirect_to");
    params.type = &ParseLinkType(type);
    const auto verification = params.type->verification;
    if (verification == models::VerificationType::kEmailChange) {
        if (!new_email || new_email->empty()) {
            throw BadRequest(
                kValidationFailed, "The new_email address is required for email change links"
            );
        }
        params.new_email = ValidateEmail(*new_email);
    }
    if (verification == models::VerificationType::kSignup) {
        if (!params.password || params.password->empty()) {
            throw BadRequest(kValidationFailed, "Signup requires a valid password");
        }
        CheckPassword(*params.password, config.password);
    }
    return params;
}

// A user with its identities and the mail prepared for them, read inside the transaction.
struct UserWithMail {
    models::User user;
    std::vector<models::Identity> identities;
    OutgoingMail mail;
};

// The user as stored now, with identities.
void ReadBack(pqxx::work& tx, const std::string& user_id, UserWithMail& result) {
    result.user = *models::FindUserById(tx, user_id);
    result.identities = models::FindIdentitiesByUser(tx, user_id);
}

// The user a link is for (created for signup and invite links) and its link, prepared as a
// mail that is never sent.
models::User PrepareLink(
    pqxx::work& tx,
    MailService& mail_service,
    const GenerateLinkParams& params,
    const NewEmailUser& spec,
    const std::string& redirect_to,
    OutgoingMail& mail
) {
    const auto verification = params.type->verification;
    auto user =
        models::FindUserByEmailAndAudience(tx, spec.email, spec.aud, models::Lock::kForUpdate);
    if (verification == models::VerificationType::kSignup ||
        verification == models::VerificationType::kInvite) {
        user = UnconfirmedUser(tx, spec);
        if (verification == models::VerificationType::kInvite) {
            user->invited_at = models::Now();
            models::SaveUser(tx, *user);
        }
        mail = mail_service.PrepareConfirmation(tx, *user, redirect_to, Throttle::kNone);
    } else if (!user) {
        throw NotFound(kUserNotFound, "User with this email not found");
    } else if (verification == models::VerificationType::kEmailChange) {
        if (models::FindUserByEmailAndAudience(tx, *params.new_email, spec.aud)) {
            throw UnprocessableEntity(kEmailExists, kEmailTaken);
        }
        auto mails = mail_service.PrepareEmailChange(
            tx, *user, *params.new_email, redirect_to, Throttle::kNone
        );
        const bool to_current = params.type->name == "email_change_current" && mails.size() > 1;
        mail = to_current ? mails[1] : mails[0];
    } else {
        mail = mail_service.PrepareRecovery(
            tx, *user, redirect_to, params.type->kind, Throttle::kNone
        );
    }
    mail.kind = params.type->kind;
    return *user;
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
    const long long page = PositiveQueryNumber(request, "page", 1);
    models::UserPage query;
    query.limit = std::min(PositiveQueryNumber(request, "per_page", 50), 1000LL);
    query.offset = PageOffset(page, query.limit);
    query.filter = request.query.contains("filter") ? request.query.at("filter") : std::string();
    query.oldest_first = OldestFirst(request);
    query.aud = RequestAudience(request, deps_.config);
    std::vector<models::User> users;
    std::vector<std::vector<models::Identity>> identities;
    long long total = 0;
    {
        auto lease = deps_.database.Acquire();
        pqxx::read_transaction tx(lease.Connection());
        total = models::CountUsersInAudience(tx, query);
        users = models::FindUsersInAudience(tx, query);
        for (const auto& user : users) {
            identities.push_back(models::FindIdentitiesByUser(tx, user.id));
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
    writer.String(query.aud.c_str());
    writer.EndObject();
    Response response = JsonResponse(200, buffer.GetString());
    response.headers.Set("X-Total-Count", std::to_string(total));
    response.headers.Set("Link", PaginationLinks("/admin/users", page, query.limit, total));
    return response;
}

Response Api::AdminCreateUser(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const AdminCreateParams params = ParseAdminCreate(request.body);
    const auto& config = deps_.config;
    const std::string hash =
        params.password_hash
            ? *params.password_hash
            : hasher_.Hash(
                  params.password ? *params.password
                                  : crypto::RandomPassword(crypto::kOtpPasswordLength)
              );
    NewEmailUser spec;
    spec.id = params.id;
    spec.email = params.email;
    spec.aud = params.aud && !params.aud->empty() ? *params.aud : RequestAudience(request, config);
    spec.role = params.role && !params.role->empty() ? *params.role : config.jwt.default_group_name;
    spec.password_hash = hash;
    spec.data = params.user_metadata;
    spec.app_metadata = MergedAppMetadata(kEmailAppMetadata, params.app_metadata);
    spec.confirmed = params.email_confirm;
    UserWithMail created = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        if (models::FindUserByEmailAndAudience(tx, spec.email, spec.aud)) {
            throw UnprocessableEntity(kEmailExists, kEmailTaken);
        }
        if (!spec.id.empty() && models::FindUserById(tx, spec.id)) {
            throw UnprocessableEntity(kEmailExists, "A user with this ID already exists");
        }
        models::User user = CreateEmailUser(tx, spec);
        if (params.banned_until) {
            user.banned_until = params.banned_until;
            models::SaveUser(tx, user);
        }
        models::RecordAudit(
            tx, AuditActor(admin), "user_signedup", ClientIp(request), R"({"provider":"email"})"
        );
        UserWithMail result;
        ReadBack(tx, user.id, result);
        return result;
    });
    return JsonResponse(200, UserJson(created.user, created.identities));
}

Response Api::AdminGetUser(Request& request) {
    const models::User user = LoadAdminTarget(request);
    return JsonResponse(200, UserJson(user, LoadIdentities(user.id), LoadFactors(user.id)));
}

Response Api::AdminUpdateUser(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const models::User target = LoadAdminTarget(request);
    const AdminUpdateParams params = ParseAdminUpdate(request.body, deps_.config);
    std::optional<std::string> hash = params.password_hash;
    if (params.password) {
        hash = hasher_.Hash(*params.password);
    }
    const models::OptionalTime banned_until =
        params.ban_duration ? BannedUntil(*params.ban_duration) : target.banned_until;
    UserWithMail updated = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::User user = *models::FindUserById(tx, target.id, models::Lock::kForUpdate);
        if (params.email && *params.email != user.email) {
            if (models::FindUserByEmailAndAudience(tx, *params.email, user.aud)) {
                throw UnprocessableEntity(kEmailExists, kEmailTaken);
            }
            models::SetEmail(tx, user, *params.email);
            // As upstream: a user without an email identity (an anonymous one) gets one, and a
            // confirmed address makes it permanent.
            const bool confirmed = params.email_confirm.value_or(false);
            models::EnsureEmailIdentity(tx, user, confirmed);
            user.is_anonymous = user.is_anonymous && !confirmed;
        }
        if (hash) {  // a new password signs the user out everywhere
            models::UpdatePassword(tx, user, *hash, models::PendingCodes::kKeep);
        }
        ApplyAdminUpdate(user, params, banned_until);
        models::SaveUser(tx, user);
        models::RecordAudit(tx, AuditActor(admin), "user_modified", ClientIp(request));
        UserWithMail result;
        ReadBack(tx, user.id, result);
        return result;
    });
    return JsonResponse(200, UserJson(updated.user, updated.identities));
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
        models::User user = *models::FindUserById(tx, target.id, models::Lock::kForUpdate);
        models::SoftDeleteUser(tx, user);
    });
    return JsonResponse(200, "{}");
}

Response Api::Invite(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const auto document = ParseJsonBody(request.body);
    const std::string email = ValidateEmail(StringField(document, "email").value_or(""));
    const std::string data = ObjectField(document, "data").value_or("{}");
    const auto& config = deps_.config;
    const std::string redirect_to = RedirectTarget(request, config);
    NewEmailUser spec;
    spec.email = email;
    spec.aud = RequestAudience(request, config);
    spec.role = config.jwt.default_group_name;
    spec.password_hash = hasher_.Hash(crypto::RandomPassword(crypto::kOtpPasswordLength));
    spec.data = data;
    UserWithMail outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        UserWithMail result;
        models::User user = UnconfirmedUser(tx, spec);
        user.invited_at = models::Now();
        models::SaveUser(tx, user);
        result.mail = mail_.PrepareInvite(tx, user, redirect_to);
        mail_.Enqueue(tx, request, result.mail);
        models::RecordAudit(
            tx,
            AuditActor(admin),
            "user_invited",
            ClientIp(request),
            R"({"user_email":")" + email + "\"}"
        );
        ReadBack(tx, user.id, result);
        return result;
    });
    mail_.Deliver(request, outcome.mail);
    return JsonResponse(200, UserJson(outcome.user, outcome.identities));
}

Response Api::GenerateLink(Request& request) {
    const Caller& admin = GuardedCaller(request);
    const auto& config = deps_.config;
    const GenerateLinkParams params = ParseGenerateLink(request.body, config);
    const std::string redirect_to =
        params.redirect_to && IsRedirectAllowed(*params.redirect_to, config)
            ? *params.redirect_to
            : RedirectTarget(request, config);
    const bool signup = params.type->verification == models::VerificationType::kSignup;
    NewEmailUser spec;  // for signup and invite links
    spec.email = params.email;
    spec.aud = RequestAudience(request, config);
    spec.role = config.jwt.default_group_name;
    spec.password_hash = hasher_.Hash(
        signup ? *params.password : crypto::RandomPassword(crypto::kOtpPasswordLength)
    );
    spec.data = params.data;
    UserWithMail outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        UserWithMail result;
        models::User user = PrepareLink(tx, mail_, params, spec, redirect_to, result.mail);
        models::RecordAudit(
            tx,
            AuditActor(admin),
            "user_modified",
            ClientIp(request),
            R"({"action":"generate_link"})"
        );
        ReadBack(tx, user.id, result);
        return result;
    });
    const auto& input = outcome.mail.input;
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
            {"verification_type", std::string(models::String(params.type->verification))},
            {"redirect_to", redirect_to},
        }
    );
    return JsonResponse(200, buffer.GetString());
}

}  // namespace gotrue::api
