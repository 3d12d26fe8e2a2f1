#include "conf/load.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "conf/value_parsers.hpp"
#include "text/ascii.hpp"

namespace gotrue::conf {
namespace {

using Setter = std::function<void(Config&, std::string_view)>;

struct Variable {
    VariableDoc doc;
    Setter apply;
};

// Settings whose absence stops startup (GoTrue's `required:"true"`).
constexpr std::string_view kRequired = "required";

int ToInt(std::string_view text) {
    const long long value = ParseInteger(text);
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
        throw std::invalid_argument("integer out of range \"" + std::string(text) + "\"");
    }
    return static_cast<int>(value);
}

std::string AsString(std::string_view text) {
    return std::string(text);
}

// A setter that parses the value with `parse` and stores it in the member `field` selects.
template <typename Field, typename Parse>
Setter Assign(Field field, Parse parse) {
    return [field, parse](Config& config, std::string_view value) {
        field(config) = parse(value);
    };
}

// Setters by value type; `field` maps a Config to the member it writes.
template <typename Field>
Setter String(Field field) {
    return Assign(field, AsString);
}

template <typename Field>
Setter Bool(Field field) {
    return Assign(field, ParseBool);
}

template <typename Field>
Setter Int(Field field) {
    return Assign(field, ToInt);
}

template <typename Field>
Setter Number(Field field) {
    return Assign(field, ParseNumber);
}

template <typename Field>
Setter DurationOf(Field field) {
    return Assign(field, ParseDuration);
}

template <typename Field>
Setter List(Field field) {
    return Assign(field, SplitList);
}

// Integers with a lower bound.
template <typename Field>
Setter IntAtLeast(Field field, int minimum) {
    return [field, minimum](Config& config, std::string_view value) {
        const int parsed = ToInt(value);
        if (parsed < minimum) {
            const std::string bound =
                minimum == 0 ? "0 or more" : "at least " + std::to_string(minimum);
            throw std::invalid_argument(
                "must be " + bound + ", got \"" + std::string(value) + "\""
            );
        }
        field(config) = parsed;
    };
}

// TCP ports, 0..65535.
template <typename Field>
Setter Port(Field field) {
    return [field](Config& config, std::string_view value) {
        const int port = ToInt(value);
        if (port < 0 || port > 65535) {
            throw std::invalid_argument("port out of range \"" + std::string(value) + "\"");
        }
        field(config) = port;
    };
}

// Pool sizes, thread counts, queue sizes.
template <typename Field>
Setter PositiveInt(Field field) {
    return IntAtLeast(field, 1);
}

// Integers where 0 has a meaning of its own ("one per CPU", "off").
template <typename Field>
Setter NonNegativeInt(Field field) {
    return IntAtLeast(field, 0);
}

template <typename Field>
Setter PositiveDuration(Field field) {
    return [field](Config& config, std::string_view value) {
        const auto parsed = ParseDuration(value);
        if (parsed.count() < 0) {
            throw std::invalid_argument("must not be negative, got \"" + std::string(value) + "\"");
        }
        field(config) = parsed;
    };
}

// NOLINTBEGIN(bugprone-macro-parentheses): `path` is a member path, not an expression
#define GOTRUE_FIELD(path)    \
    [](Config & c) -> auto& { \
        return c.path;        \
    }
// NOLINTEND(bugprone-macro-parentheses)

// OAuth providers in the order /settings lists them (GoTrue's internal/api/settings.go); email,
// phone and anonymous_users have their own switches.
constexpr std::array<std::string_view, 23> kOAuthProviders{
    "apple",      "azure",    "bitbucket",     "discord", "facebook", "snapchat",
    "figma",      "fly",      "github",        "gitlab",  "google",   "keycloak",
    "kakao",      "linkedin", "linkedin_oidc", "notion",  "spotify",  "slack",
    "slack_oidc", "workos",   "twitch",        "twitter", "zoom",
};

constexpr std::array<std::string_view, 13> kMailKinds{
    "INVITE",
    "CONFIRMATION",
    "RECOVERY",
    "EMAIL_CHANGE",
    "MAGIC_LINK",
    "REAUTHENTICATION",
    "PASSWORD_CHANGED_NOTIFICATION",
    "EMAIL_CHANGED_NOTIFICATION",
    "PHONE_CHANGED_NOTIFICATION",
    "IDENTITY_LINKED_NOTIFICATION",
    "IDENTITY_UNLINKED_NOTIFICATION",
    "MFA_FACTOR_ENROLLED_NOTIFICATION",
    "MFA_FACTOR_UNENROLLED_NOTIFICATION",
};

constexpr std::array<std::string_view, 4> kUrlPathKinds{
    "INVITE", "CONFIRMATION", "RECOVERY", "EMAIL_CHANGE"};

constexpr std::array<std::string_view, 7> kNotifications{
    "PASSWORD_CHANGED",
    "EMAIL_CHANGED",
    "PHONE_CHANGED",
    "IDENTITY_LINKED",
    "IDENTITY_UNLINKED",
    "MFA_FACTOR_ENROLLED",
    "MFA_FACTOR_UNENROLLED",
};

Variable Var(
    std::string name,
    std::string default_text,
    std::string description,
    Setter apply,
    std::vector<std::string> fallbacks = {}
) {
    return Variable{
        VariableDoc{
            std::move(name),
            std::move(fallbacks),
            std::move(default_text),
            std::move(description),
            false,
        },
        std::move(apply),
    };
}

Variable Ours(Variable variable) {
    variable.doc.ours = true;
    return variable;
}

// A variable that sets one key of a map setting (GOTRUE_MAILER_SUBJECTS_INVITE sets
// mailer.subjects["INVITE"]); `parse` turns the text into the map's value type.
template <typename Field, typename Parse>
Variable MapEntry(
    std::string name,
    std::string default_text,
    std::string description,
    std::string key,
    Field field,
    Parse parse
) {
    return Var(
        std::move(name),
        std::move(default_text),
        std::move(description),
        [key = std::move(key), field, parse](Config& config, std::string_view value) {
            field(config)[key] = parse(value);
        }
    );
}

// Where the site and this server live, and request handling as GoTrue has it.
void AddSiteAndApi(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_SITE_URL",
            std::string(kRequired),
            "Default redirect target; {{ .SiteURL }} in mails.",
            String(GOTRUE_FIELD(site_url)))
    );
    v.push_back(
        Var("GOTRUE_URI_ALLOW_LIST",
            "",
            "Comma-separated globs accepted as redirect_to.",
            List(GOTRUE_FIELD(uri_allow_list)))
    );
    v.push_back(
        Var("GOTRUE_API_HOST",
            "",
            "Listen address (empty: all interfaces).",
            String(GOTRUE_FIELD(api.host)))
    );
    v.push_back(
        Var("GOTRUE_API_PORT", "9999", "Listen port.", Port(GOTRUE_FIELD(api.port)), {"PORT"})
    );
    v.push_back(
        Var("GOTRUE_API_API_EXTERNAL_URL",
            std::string(kRequired),
            "Public base URL of this server, used in mail links.",
            String(GOTRUE_FIELD(api.external_url)),
            {"API_EXTERNAL_URL"})
    );
    v.push_back(
        Var("GOTRUE_API_MAX_REQUEST_DURATION",
            "10s",
            "Request deadline: 504 request_timeout when nothing was committed by then (a request "
            "that committed gets its real answer, late); 0 disables.",
            PositiveDuration(GOTRUE_FIELD(api.max_request_duration)))
    );
    v.push_back(
        Var("GOTRUE_API_REQUEST_ID_HEADER",
            "",
            "Take the request id from this header instead of generating one.",
            String(GOTRUE_FIELD(api.request_id_header)),
            {"REQUEST_ID_HEADER"})
    );
}

// Threads, queues and connection limits of our server (GoTrue has none of these).
void AddServerCapacity(std::vector<Variable>& v) {
    v.push_back(Ours(
        Var("GOTRUE_API_HANDLER_THREADS",
            "0",
            "Threads that run request handlers (database work), separate from the HTTP I/O "
            "threads and the hashing lane. 0: 4 per CPU, at least 8; at least 16 with synchronous "
            "mail (neither GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING nor GOTRUE_WORKER_ENABLED), "
            "where each send holds a thread.",
            NonNegativeInt(GOTRUE_FIELD(api.handler_threads)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_API_REACTOR_THREADS",
            "2",
            "HTTP I/O (Pistache reactor) threads; they only parse and hand requests off.",
            PositiveInt(GOTRUE_FIELD(api.reactor_threads)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_API_HANDLER_QUEUE_SIZE",
            "1024",
            "Requests that may wait for a handler thread; beyond it the server answers 503.",
            PositiveInt(GOTRUE_FIELD(api.handler_queue_size)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_API_MAX_CONNECTIONS",
            "1024",
            "Open client connections; a connection beyond it is answered 503 and closed.",
            PositiveInt(GOTRUE_FIELD(api.max_connections)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_API_MAX_BUFFERED_BYTES",
            "67108864",
            "Bytes of requests being received or waiting for a handler thread (64 MiB; each "
            "counts twice its size); a request over 64 KiB that would exceed it is answered 503.",
            PositiveInt(GOTRUE_FIELD(api.max_buffered_bytes)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_API_SHUTDOWN_TIMEOUT",
            "60s",
            "How long SIGTERM waits for in-flight requests before exiting anyway.",
            PositiveDuration(GOTRUE_FIELD(api.shutdown_timeout)))
    ));
}

// The database and its connection pool.
void AddDatabase(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_DB_DRIVER",
            "postgres",
            "Database driver; only postgres is supported.",
            [](Config& c, std::string_view value) {
                if (value != "postgres" && value != "postgresql") {
                    throw std::invalid_argument(
                        "unsupported driver \"" + std::string(value) + "\" (only postgres)"
                    );
                }
                c.db.driver = "postgres";
            })
    );
    v.push_back(
        Var("GOTRUE_DB_DATABASE_URL",
            std::string(kRequired),
            "libpq connection URL.",
            String(GOTRUE_FIELD(db.url)),
            {"DATABASE_URL"})
    );
    v.push_back(
        Var("GOTRUE_DB_NAMESPACE",
            "auth",
            "Schema holding the auth tables.",
            [](Config& c, std::string_view value) {
                const bool valid = !value.empty() && value.size() <= 63 &&
                                   (std::islower(static_cast<unsigned char>(value.front())) != 0 ||
                                    value.front() == '_') &&
                                   std::all_of(value.begin(), value.end(), [](char ch) {
                                       return std::islower(static_cast<unsigned char>(ch)) != 0 ||
                                              std::isdigit(static_cast<unsigned char>(ch)) != 0 ||
                                              ch == '_';
                                   });
                if (!valid) {
                    throw std::invalid_argument(
                        "invalid schema name \"" + std::string(value) + "\" (use [a-z_][a-z0-9_]*)"
                    );
                }
                c.db.name_space = std::string(value);
            },
            {"GOTRUE_DB_DB_NAMESPACE", "DB_NAMESPACE"})
    );
    v.push_back(
        Var("GOTRUE_DB_MAX_POOL_SIZE",
            "10",
            "Database connections in the pool.",
            PositiveInt(GOTRUE_FIELD(db.max_pool_size)))
    );
    v.push_back(Ours(
        Var("GOTRUE_DB_ACQUIRE_TIMEOUT",
            "5s",
            "How long a request waits for a free connection before 503.",
            PositiveDuration(GOTRUE_FIELD(db.acquire_timeout)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_DB_CONNECT_RETRY_DURATION",
            "30s",
            "How long startup retries an unreachable database (with backoff) before exiting.",
            PositiveDuration(GOTRUE_FIELD(db.connect_retry_duration)))
    ));
}

void AddLogging(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_LOG_LEVEL",
            "info",
            "trace, debug, info, warn, error.",
            [](Config& c, std::string_view value) {
                static constexpr std::array<std::string_view, 8> kLevels{
                    "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"};
                const std::string level = text::ToLower(value);
                if (std::find(kLevels.begin(), kLevels.end(), level) == kLevels.end()) {
                    throw std::invalid_argument("unknown level \"" + std::string(value) + "\"");
                }
                c.logging.level = level;
            })
    );
    v.push_back(Ours(
        Var("GOTRUE_LOG_FORMAT",
            "json",
            "json (one object per line) or text (human-readable).",
            [](Config& c, std::string_view value) {
                if (value != "json" && value != "text") {
                    throw std::invalid_argument(
                        "expected json or text, got \"" + std::string(value) + "\""
                    );
                }
                c.logging.format = std::string(value);
            })
    ));
    v.push_back(
        Var("GOTRUE_LOG_FILE",
            "",
            "Write logs to this file instead of stderr.",
            String(GOTRUE_FIELD(logging.file)))
    );
}

// Access tokens.
void AddJwt(std::vector<Variable>& v) {
    v.push_back(Var(
        "GOTRUE_JWT_SECRET",
        std::string(kRequired),
        "HS256 signing key; with GOTRUE_JWT_KEYS it only verifies HS256 tokens (when HS256 is a "
        "valid method).",
        String(GOTRUE_FIELD(jwt.secret))
    ));
    v.push_back(
        Var("GOTRUE_JWT_EXP",
            "3600",
            "Access-token lifetime in seconds (0: 3600).",
            [](Config& c, std::string_view value) {
                const int exp = ToInt(value);
                c.jwt.exp = exp <= 0 ? 3600 : exp;
            })
    );
    v.push_back(Var("GOTRUE_JWT_AUD", "", "Default audience.", String(GOTRUE_FIELD(jwt.aud))));
    v.push_back(
        Var("GOTRUE_JWT_DEFAULT_GROUP_NAME",
            "",
            "Role given to new users.",
            String(GOTRUE_FIELD(jwt.default_group_name)))
    );
    v.push_back(
        Var("GOTRUE_JWT_ADMIN_ROLES",
            "service_role,supabase_admin",
            "JWT roles allowed on admin endpoints.",
            List(GOTRUE_FIELD(jwt.admin_roles)))
    );
    v.push_back(
        Var("GOTRUE_JWT_ADMIN_GROUP_NAME",
            "admin",
            "User role allowed to set app_metadata via PUT /user.",
            String(GOTRUE_FIELD(jwt.admin_group_name)))
    );
    v.push_back(Var("GOTRUE_JWT_ISSUER", "", "iss claim.", String(GOTRUE_FIELD(jwt.issuer))));
    v.push_back(
        Var("GOTRUE_JWT_KEY_ID",
            "",
            "kid header of tokens signed with GOTRUE_JWT_SECRET.",
            String(GOTRUE_FIELD(jwt.key_id)))
    );
    v.push_back(Var(
        "GOTRUE_JWT_KEYS",
        "",
        "JSON array of JWKs (RSA: RS256, EC P-256: ES256, oct: HS256); the one with \"sign\" in "
        "key_ops signs, the others only verify (see \"Signing keys\").",
        String(GOTRUE_FIELD(jwt.keys))
    ));
    v.push_back(
        Var("GOTRUE_JWT_VALID_METHODS",
            "",
            "Algorithms accepted in bearer tokens (HS256, RS256, ES256); empty: those of the keys.",
            [](Config& c, std::string_view value) {
                c.jwt.valid_methods = SplitList(value);
                for (const auto& method : c.jwt.valid_methods) {
                    if (!tokens::IsSupportedAlgorithm(method)) {
                        throw std::invalid_argument(
                            "\"" + method + "\" is not supported (" +
                            std::string(tokens::kSupportedAlgorithms) + ")"
                        );
                    }
                }
            })
    );
}

void AddSignupAndProviders(std::vector<Variable>& v) {
    v.push_back(Var(
        "GOTRUE_DISABLE_SIGNUP", "false", "Refuse new signups.", Bool(GOTRUE_FIELD(disable_signup))
    ));
    v.push_back(
        Var("GOTRUE_EXTERNAL_EMAIL_ENABLED",
            "true",
            "Email provider on/off.",
            Bool(GOTRUE_FIELD(external.email_enabled)))
    );
    v.push_back(
        Var("GOTRUE_EXTERNAL_EMAIL_MAGIC_LINK_ENABLED",
            "true",
            "Magic links on/off.",
            Bool(GOTRUE_FIELD(external.email_magic_link_enabled)))
    );
    v.push_back(
        Var("GOTRUE_EXTERNAL_EMAIL_AUTHORIZED_ADDRESSES",
            "",
            "If set, mail only these addresses.",
            List(GOTRUE_FIELD(external.email_authorized_addresses)))
    );
    v.push_back(
        Var("GOTRUE_EXTERNAL_PHONE_ENABLED",
            "false",
            "Phone provider on/off (SMS is not implemented).",
            Bool(GOTRUE_FIELD(external.phone_enabled)))
    );
    v.push_back(
        Var("GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED",
            "false",
            "Anonymous sign-ins (POST /signup without email and phone) on/off.",
            Bool(GOTRUE_FIELD(external.anonymous_users_enabled)))
    );
    v.push_back(
        Var("GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION",
            "300s",
            "PKCE flow-state lifetime (values below 300s become 300s).",
            [](Config& c, std::string_view value) {
                c.external.flow_state_expiry =
                    std::max<Duration>(ParseDuration(value), std::chrono::seconds(300));
            })
    );
    for (const auto provider : kOAuthProviders) {
        const std::string upper = text::ToUpper(provider);
        v.push_back(MapEntry(
            "GOTRUE_EXTERNAL_" + upper + "_ENABLED",
            "false",
            "Reported by /settings only (OAuth is not implemented).",
            std::string(provider),
            GOTRUE_FIELD(external.oauth_enabled),
            ParseBool
        ));
    }
    v.push_back(
        Var("GOTRUE_SAML_ENABLED",
            "false",
            "Reported by /settings only.",
            Bool(GOTRUE_FIELD(saml_enabled)))
    );
    v.push_back(
        Var("GOTRUE_SMS_AUTOCONFIRM",
            "false",
            "Reported by /settings only.",
            Bool(GOTRUE_FIELD(sms.autoconfirm)))
    );
    v.push_back(Var(
        "GOTRUE_SMS_PROVIDER", "", "Reported by /settings only.", String(GOTRUE_FIELD(sms.provider))
    ));
}

// Password rules and hashing.
void AddPasswords(std::vector<Variable>& v) {
    v.push_back(Var(
        "GOTRUE_PASSWORD_MIN_LENGTH",
        "6",
        "Minimum password length (values below 6 become 6).",
        [](Config& c, std::string_view value) { c.password.min_length = std::max(6, ToInt(value)); }
    ));
    v.push_back(Ours(
        Var("GOTRUE_PASSWORD_HASH_COST",
            "10",
            "bcrypt cost of new password hashes (4..31; GoTrue uses 10).",
            [](Config& c, std::string_view value) {
                const int cost = ToInt(value);
                if (cost < 4 || cost > 31) {
                    throw std::invalid_argument(
                        "bcrypt cost must be 4..31, got \"" + std::string(value) + "\""
                    );
                }
                c.password.hash_cost = cost;
            })
    ));
    v.push_back(Ours(
        Var("GOTRUE_PASSWORD_HASH_CONCURRENCY",
            "0",
            "bcrypt hashes run at once (0: one per CPU). Requests that hash run on 4 threads per "
            "hash with a queue of 32 per hash; beyond it they are answered 503 with Retry-After.",
            NonNegativeInt(GOTRUE_FIELD(password.hash_concurrency)))
    ));
    v.push_back(
        Var("GOTRUE_PASSWORD_REQUIRED_CHARACTERS",
            "",
            "':'-separated character sets a password must draw from.",
            String(GOTRUE_FIELD(password.required_characters)))
    );
}

// Refresh tokens and password changes.
void AddSessionSecurity(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED",
            "true",
            "Revoke a token family when a used refresh token is replayed.",
            Bool(GOTRUE_FIELD(security.refresh_token_rotation_enabled)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL",
            "0",
            "Seconds a revoked refresh token may still be replayed.",
            Int(GOTRUE_FIELD(security.refresh_token_reuse_interval)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION",
            "false",
            "PUT /user password needs a nonce on old sessions.",
            Bool(GOTRUE_FIELD(security.update_password_require_reauthentication)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_CURRENT_PASSWORD",
            "false",
            "PUT /user password needs current_password.",
            Bool(GOTRUE_FIELD(security.update_password_require_current_password)))
    );
}

// Encrypted columns (GoTrue's DatabaseEncryptionConfiguration); here the MFA factor secrets.
void AddDbEncryption(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT",
            "false",
            "Encrypt new MFA factor secrets (AES-256-GCM, GoTrue's stored format).",
            Bool(GOTRUE_FIELD(security.db_encryption.encrypt)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY_ID",
            "",
            "Id of the key new values are encrypted with.",
            String(GOTRUE_FIELD(security.db_encryption.encryption_key_id)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY",
            "",
            "That key: 32 bytes, base64url without padding.",
            String(GOTRUE_FIELD(security.db_encryption.encryption_key)))
    );
    v.push_back(
        Var("GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS",
            "",
            "id:key,id:key pairs that decrypt stored values (must include the encryption key).",
            [](Config& c, std::string_view value) {
                auto& keys = c.security.db_encryption.decryption_keys;
                keys.clear();
                for (const auto& pair : SplitList(value)) {
                    const auto colon = pair.find(':');
                    if (colon == std::string::npos) {
                        throw std::invalid_argument("invalid map item: \"" + pair + "\"");
                    }
                    keys[pair.substr(0, colon)] = pair.substr(colon + 1);
                }
            })
    );
}

// Multi-factor authentication (GoTrue's MFAConfiguration; TOTP only).
void AddMfa(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_MFA_MAX_ENROLLED_FACTORS",
            "10",
            "Factors (verified or not) a user may have.",
            Number(GOTRUE_FIELD(mfa.max_enrolled_factors)))
    );
    v.push_back(
        Var("GOTRUE_MFA_MAX_VERIFIED_FACTORS",
            "10",
            "Verified factors a user may have.",
            Int(GOTRUE_FIELD(mfa.max_verified_factors)))
    );
    v.push_back(
        Var("GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION",
            "300",
            "Seconds a challenge can be verified (values below 300 become 300).",
            [](Config& c, std::string_view value) {
                c.mfa.challenge_expiry_duration = std::max(
                    std::chrono::seconds(300),
                    std::chrono::seconds(static_cast<long long>(ParseNumber(value)))
                );
            })
    );
    v.push_back(
        Var("GOTRUE_MFA_FACTOR_EXPIRY_DURATION",
            "300s",
            "Age after which unverified, never challenged factors are deleted (at least 300s).",
            [](Config& c, std::string_view value) {
                c.mfa.factor_expiry_duration = std::max(
                    std::chrono::seconds(300),
                    std::chrono::duration_cast<std::chrono::seconds>(ParseDuration(value))
                );
            })
    );
    v.push_back(
        Var("GOTRUE_MFA_RATE_LIMIT_CHALLENGE_AND_VERIFY",
            "15",
            "Challenge and verify requests per client per minute, each (with "
            "GOTRUE_RATE_LIMIT_HEADER).",
            Number(GOTRUE_FIELD(mfa.rate_limit_challenge_and_verify)))
    );
    v.push_back(
        Var("GOTRUE_MFA_TOTP_ENROLL_ENABLED",
            "true",
            "TOTP factors can be enrolled.",
            Bool(GOTRUE_FIELD(mfa.totp_enroll_enabled)))
    );
    v.push_back(
        Var("GOTRUE_MFA_TOTP_VERIFY_ENABLED",
            "true",
            "TOTP factors can be challenged and verified.",
            Bool(GOTRUE_FIELD(mfa.totp_verify_enabled)))
    );
}

// When mail is sent and how long its tokens last.
void AddMailerFlows(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_MAILER_AUTOCONFIRM",
            "false",
            "Confirm signups immediately and return a session; no mail.",
            Bool(GOTRUE_FIELD(mailer.autoconfirm)))
    );
    v.push_back(
        Var("GOTRUE_MAILER_ALLOW_UNVERIFIED_EMAIL_SIGN_INS",
            "false",
            "Allow password sign-in before confirmation.",
            Bool(GOTRUE_FIELD(mailer.allow_unverified_email_sign_ins)))
    );
    v.push_back(
        Var("GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED",
            "true",
            "Email change needs both addresses confirmed.",
            Bool(GOTRUE_FIELD(mailer.secure_email_change_enabled)))
    );
    v.push_back(
        Var("GOTRUE_MAILER_OTP_EXP",
            "86400",
            "Mail token lifetime in seconds (0: 86400).",
            [](Config& c, std::string_view value) {
                const int exp = ToInt(value);
                c.mailer.otp_exp = exp <= 0 ? 86400 : exp;
            })
    );
    v.push_back(
        Var("GOTRUE_MAILER_OTP_LENGTH",
            "6",
            "OTP digits (outside 6..10: 6).",
            [](Config& c, std::string_view value) {
                const int length = ToInt(value);
                c.mailer.otp_length = (length < 6 || length > 10) ? 6 : length;
            })
    );
    v.push_back(
        Var("GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING",
            "false",
            "Send mail as request-scoped background tasks.",
            Bool(GOTRUE_FIELD(mailer.email_background_sending)))
    );
    v.push_back(
        Var("GOTRUE_MAILER_EXTERNAL_HOSTS",
            "",
            "Hosts (X-Forwarded-Host/Host) allowed to build mail links.",
            List(GOTRUE_FIELD(mailer.external_hosts)))
    );
}

// Per-kind subjects, body templates, link paths and notification switches.
void AddMailContent(std::vector<Variable>& v) {
    for (const auto kind : kMailKinds) {
        const std::string key(kind);
        v.push_back(MapEntry(
            "GOTRUE_MAILER_SUBJECTS_" + key,
            "",
            "Subject of the " + text::ToLower(key) + " mail (empty: built-in).",
            key,
            GOTRUE_FIELD(mailer.subjects),
            AsString
        ));
        v.push_back(MapEntry(
            "GOTRUE_MAILER_TEMPLATES_" + key,
            "",
            "URL of the " + text::ToLower(key) + " mail body template (empty: built-in).",
            key,
            GOTRUE_FIELD(mailer.templates),
            AsString
        ));
    }
    for (const auto kind : kUrlPathKinds) {
        const std::string key(kind);
        v.push_back(MapEntry(
            "GOTRUE_MAILER_URLPATHS_" + key,
            "/verify",
            "Path of the " + text::ToLower(key) + " link.",
            key,
            GOTRUE_FIELD(mailer.url_paths),
            AsString
        ));
    }
    for (const auto kind : kNotifications) {
        const std::string key(kind);
        v.push_back(MapEntry(
            "GOTRUE_MAILER_NOTIFICATIONS_" + key + "_ENABLED",
            "false",
            "Send the " + text::ToLower(key) + " notification mail.",
            key,
            GOTRUE_FIELD(mailer.notifications),
            ParseBool
        ));
    }
}

// Retrying background sends that failed.
void AddMailOutbox(std::vector<Variable>& v) {
    v.push_back(Ours(
        Var("GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL",
            "5s",
            "How often the outbox is polled for due mails (failed earlier, or left by a crash); "
            "a row made due elsewhere wakes every instance at once (LISTEN/NOTIFY).",
            PositiveDuration(GOTRUE_FIELD(mailer.outbox_sweep_interval)))
    ));
    v.push_back(Ours(Var(
        "GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF",
        "30s",
        "First delay before a failed background send is retried (doubles per attempt, at most 1h).",
        PositiveDuration(GOTRUE_FIELD(mailer.outbox_retry_backoff))
    )));
    v.push_back(Ours(
        Var("GOTRUE_MAILER_OUTBOX_LEASE",
            "5m",
            "How long a claim on an outbox row lasts; renewed every third of it while its send is "
            "queued or running, so a sweep retries the mail only after a crash.",
            PositiveDuration(GOTRUE_FIELD(mailer.outbox_lease)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_MAILER_OUTBOX_MAX_AGE",
            "24h",
            "Undelivered background mails older than this are given up (logged at error level).",
            PositiveDuration(GOTRUE_FIELD(mailer.outbox_max_age)))
    ));
    v.push_back(Ours(Var(
        "GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS",
        "10",
        "Attempts after which a background mail that keeps failing transiently is given up (dead).",
        PositiveInt(GOTRUE_FIELD(mailer.outbox_max_attempts))
    )));
    v.push_back(Ours(Var(
        "GOTRUE_MAILER_OUTBOX_RETENTION",
        "24h",
        "How long sent, failed and dead outbox rows are kept (for GET /admin/mail/outbox) before "
        "they are deleted.",
        PositiveDuration(GOTRUE_FIELD(mailer.outbox_retention))
    )));
}

// Fetching and caching custom body templates.
void AddTemplateFetch(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_MAILER_TEMPLATE_MAX_SIZE",
            "1000000",
            "Bytes read from a template URL.",
            [](Config& c, std::string_view value) {
                const int size = ToInt(value);
                if (size < 1) {
                    throw std::invalid_argument(
                        "must be at least 1, got \"" + std::string(value) + "\""
                    );
                }
                c.mailer.template_max_size = static_cast<std::size_t>(size);
            })
    );
    v.push_back(
        Var("GOTRUE_MAILER_TEMPLATE_MAX_AGE",
            "10m",
            "Template cache lifetime.",
            PositiveDuration(GOTRUE_FIELD(mailer.template_max_age)))
    );
    v.push_back(
        Var("GOTRUE_MAILER_TEMPLATE_RETRY_INTERVAL",
            "10s",
            "Back-off after a failed template fetch.",
            PositiveDuration(GOTRUE_FIELD(mailer.template_retry_interval)))
    );
}

void AddSmtp(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_SMTP_HOST",
            "",
            "SMTP relay; empty: mail is logged and dropped.",
            String(GOTRUE_FIELD(smtp.host)))
    );
    v.push_back(
        Var("GOTRUE_SMTP_PORT",
            "587",
            "465: implicit TLS; otherwise STARTTLS when offered.",
            Int(GOTRUE_FIELD(smtp.port)))
    );
    v.push_back(Var("GOTRUE_SMTP_USER", "", "SMTP AUTH user.", String(GOTRUE_FIELD(smtp.user))));
    v.push_back(Var("GOTRUE_SMTP_PASS", "", "SMTP AUTH password.", String(GOTRUE_FIELD(smtp.pass)))
    );
    v.push_back(
        Var("GOTRUE_SMTP_ADMIN_EMAIL", "", "From address.", String(GOTRUE_FIELD(smtp.admin_email)))
    );
    v.push_back(Var(
        "GOTRUE_SMTP_SENDER_NAME", "", "From display name.", String(GOTRUE_FIELD(smtp.sender_name))
    ));
    v.push_back(
        Var("GOTRUE_SMTP_MAX_FREQUENCY",
            "1m",
            "Minimum gap between two mails of one kind to one user (0: 1m).",
            [](Config& c, std::string_view value) {
                const auto frequency = ParseDuration(value);
                c.smtp.max_frequency = frequency.count() <= 0 ? std::chrono::minutes(1) : frequency;
            })
    );
    v.push_back(
        Var("GOTRUE_SMTP_HEADERS",
            "",
            "Extra headers as JSON {\"Name\":[\"value\"]}; $messageType is replaced.",
            String(GOTRUE_FIELD(smtp.headers)))
    );
    v.push_back(
        Var("GOTRUE_SMTP_LOGGING_ENABLED",
            "false",
            "Log a mail.send event per mail.",
            Bool(GOTRUE_FIELD(smtp.logging_enabled)))
    );
    v.push_back(Ours(
        Var("GOTRUE_SMTP_MAX_RETRIES",
            "3",
            "Retries of a transient SMTP failure.",
            Int(GOTRUE_FIELD(smtp.max_retries)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_SMTP_CONNECT_TIMEOUT",
            "10s",
            "SMTP connect timeout.",
            PositiveDuration(GOTRUE_FIELD(smtp.connect_timeout)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_SMTP_TIMEOUT",
            "30s",
            "SMTP total timeout per attempt.",
            PositiveDuration(GOTRUE_FIELD(smtp.timeout)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_SMTP_MAX_CONNECTIONS",
            "",
            "Open connections kept to the relay and reused, at most; a send waits for a free one "
            "up to GOTRUE_SMTP_CONNECT_TIMEOUT. 0: a new connection per mail, no bound. Unset: 16 "
            "per CPU, at most 48, which covers the bcrypt-bound sign-up rate on a relay taking 1 s "
            "per mail and stays below Postfix's 50 connections per client.",
            NonNegativeInt(GOTRUE_FIELD(smtp.max_connections)))
    ));
    v.push_back(Ours(
        Var("GOTRUE_SMTP_IDLE_TIMEOUT",
            "60s",
            "An SMTP connection unused this long is closed (QUIT) instead of reused.",
            PositiveDuration(GOTRUE_FIELD(smtp.idle_timeout)))
    ));
}

void AddRateLimits(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_EMAIL_SENT",
            "30",
            "Mails per hour (N) or a bucket (N/<duration>).",
            String(GOTRUE_FIELD(rate_limit.email_sent)))
    );
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_HEADER",
            "",
            "Header keying per-IP limits; empty: IP limits off.",
            String(GOTRUE_FIELD(rate_limit.header)))
    );
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_VERIFY",
            "30",
            "/verify requests per key per 5 min.",
            Number(GOTRUE_FIELD(rate_limit.verify)))
    );
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_TOKEN_REFRESH",
            "150",
            "/token requests per key per 5 min.",
            Number(GOTRUE_FIELD(rate_limit.token_refresh)))
    );
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_OTP",
            "30",
            "signup/recover/resend/otp requests per key per 5 min.",
            Number(GOTRUE_FIELD(rate_limit.otp)))
    );
    v.push_back(
        Var("GOTRUE_RATE_LIMIT_ANONYMOUS_USERS",
            "30",
            "Anonymous sign-ins per client per hour (with GOTRUE_RATE_LIMIT_HEADER).",
            Number(GOTRUE_FIELD(rate_limit.anonymous_users)))
    );
}

// The process-wide worker pool.
void AddBackgroundWork(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_WORKER_ENABLED",
            "false",
            "Send mail through the process-wide worker pool (requests do not wait).",
            Bool(GOTRUE_FIELD(worker.enabled)))
    );
    v.push_back(
        Var("GOTRUE_WORKER_COUNT_PER_CPU",
            "32",
            "Pool threads per CPU (values <= 0: 1, > 128: 128).",
            [](Config& c, std::string_view value) {
                c.worker.count_per_cpu = std::clamp(ToInt(value), 1, 128);
            })
    );
    v.push_back(
        Var("GOTRUE_WORKER_SHUTDOWN_DURATION",
            "10s",
            "How long shutdown drains the pool.",
            PositiveDuration(GOTRUE_FIELD(worker.shutdown_duration)))
    );
    v.push_back(Ours(
        Var("GOTRUE_WORKER_QUEUE_SIZE",
            "1024",
            "Tasks that may wait for a pool thread.",
            PositiveInt(GOTRUE_FIELD(worker.queue_size)))
    ));
}

// One auth hook's GOTRUE_HOOK_<prefix>_ENABLED, _URI and _SECRETS; the URI is checked (and the
// secrets, for HTTP hooks) once every variable is read.
void AddHook(
    std::vector<Variable>& v,
    const std::string& prefix,
    hooks::Hook HookConfig::*member,
    std::string enabled_description
) {
    const auto hook = [member](Config& c) -> hooks::Hook& {
        return c.hook.*member;
    };
    v.push_back(
        Var(prefix + "_ENABLED",
            "false",
            std::move(enabled_description),
            [hook](Config& c, std::string_view value) { hook(c).enabled = ParseBool(value); })
    );
    v.push_back(
        Var(prefix + "_URI",
            "",
            "`pg-functions://postgres/<schema>/<function>`, `https://...`, or `http://` for "
            "localhost only.",
            [hook](Config& c, std::string_view value) { hook(c).uri = value; })
    );
    v.push_back(Var(
        prefix + "_SECRETS",
        "",
        "HTTP hooks: Standard Webhooks secrets `v1,whsec_<base64 key>`, several joined by a "
        "vertical bar.",
        [hook](Config& c, std::string_view value) { hook(c).secrets = hooks::SplitSecrets(value); }
    ));
}

// Auth hooks: the custom access-token and send-email hooks are implemented.
void AddHooks(std::vector<Variable>& v) {
    AddHook(
        v,
        "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN",
        &HookConfig::custom_access_token,
        "Run the custom access-token hook before every access token is signed (docs/hooks.md)."
    );
    AddHook(
        v,
        "GOTRUE_HOOK_SEND_EMAIL",
        &HookConfig::send_email,
        "Hand every mail to the send-email hook instead of SMTP (docs/hooks.md)."
    );
}

// Metrics. upstream reads the listen address as OTEL_EXPORTER_PROMETHEUS_HOST/_PORT (envconfig
// tags in internal/conf/metrics.go, also under the GOTRUE_METRICS_ prefix).
void AddMetrics(std::vector<Variable>& v) {
    v.push_back(
        Var("GOTRUE_METRICS_ENABLED",
            "false",
            "Serve Prometheus metrics on a listener of their own (README \"Metrics\").",
            Bool(GOTRUE_FIELD(metrics.enabled)))
    );
    v.push_back(
        Var("GOTRUE_METRICS_EXPORTER",
            "prometheus",
            "Only `prometheus` (upstream's default `opentelemetry` is refused when enabled).",
            String(GOTRUE_FIELD(metrics.exporter)))
    );
    v.push_back(
        Var("GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_HOST",
            "0.0.0.0",
            "Listen address of the metrics endpoint (`GET /metrics`).",
            String(GOTRUE_FIELD(metrics.prometheus_host)),
            {"OTEL_EXPORTER_PROMETHEUS_HOST", "GOTRUE_METRICS_PROMETHEUS_LISTEN_HOST"})
    );
    v.push_back(
        Var("GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT",
            "9100",
            "Listen port of the metrics endpoint.",
            Port(GOTRUE_FIELD(metrics.prometheus_port)),
            {"OTEL_EXPORTER_PROMETHEUS_PORT", "GOTRUE_METRICS_PROMETHEUS_LISTEN_PORT"})
    );
}

// The variables in documentation order (the README table lists them as added here).
std::vector<Variable> BuildVariables() {
    std::vector<Variable> v;
    AddSiteAndApi(v);
    AddServerCapacity(v);
    AddDatabase(v);
    AddLogging(v);
    AddJwt(v);
    AddSignupAndProviders(v);
    AddPasswords(v);
    AddSessionSecurity(v);
    AddDbEncryption(v);
    AddMfa(v);
    AddMailerFlows(v);
    AddMailContent(v);
    AddMailOutbox(v);
    AddTemplateFetch(v);
    AddSmtp(v);
    AddRateLimits(v);
    AddBackgroundWork(v);
    AddHooks(v);
    AddMetrics(v);
    return v;
}

#undef GOTRUE_FIELD

const std::vector<Variable>& Variables() {
    static const std::vector<Variable> kVariables = BuildVariables();
    return kVariables;
}

// The first of the variable's spellings present in the environment.
const std::string* Find(const Environment& environment, const VariableDoc& doc, std::string& used) {
    if (const auto it = environment.find(doc.name); it != environment.end()) {
        used = doc.name;
        return &it->second;
    }
    for (const auto& fallback : doc.fallbacks) {
        if (const auto it = environment.find(fallback); it != environment.end()) {
            used = fallback;
            return &it->second;
        }
    }
    return nullptr;
}

std::string RequiredName(const VariableDoc& doc) {
    // Name the spelling operators use most (DATABASE_URL, API_EXTERNAL_URL) first.
    if (doc.name == "GOTRUE_DB_DATABASE_URL") {
        return "DATABASE_URL (or GOTRUE_DB_DATABASE_URL)";
    }
    if (doc.name == "GOTRUE_API_API_EXTERNAL_URL") {
        return "API_EXTERNAL_URL (or GOTRUE_API_API_EXTERNAL_URL)";
    }
    return doc.name;
}

// upstream validates every configured hook URI, enabled or not. An enabled hook without a URI
// is refused too (upstream fails every token request instead).
void ValidateHook(hooks::Hook& hook, const std::string& prefix) {
    if (hook.enabled && hook.uri.empty()) {
        throw ConfigError(prefix + "_URI: required when " + prefix + "_ENABLED is true");
    }
    try {
        hooks::Validate(hook);
    } catch (const std::invalid_argument& error) {
        throw ConfigError(prefix + "_URI: " + error.what());
    }
}

bool IsAbsoluteHttpUrl(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
        return false;
    }
    const auto scheme = url.substr(0, scheme_end);
    const bool scheme_ok = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
    });
    const auto rest = url.substr(scheme_end + 3);
    return scheme_ok && !rest.empty() && rest.front() != '/' &&
           rest.find_first_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

int DefaultHandlerThreads(unsigned cpus, bool mail_holds_handlers) {
    const int per_cpu = 4 * static_cast<int>(std::clamp(cpus, 1U, 256U));
    return std::max(per_cpu, mail_holds_handlers ? 16 : 8);
}

int DefaultSmtpConnections(unsigned cpus) {
    return std::min(16 * static_cast<int>(std::clamp(cpus, 1U, 256U)), 48);
}

Config LoadConfig(const Environment& environment) {
    Config config;
    // Unset capacity is decided from the CPUs once the mail mode is known (below).
    config.api.handler_threads = 0;
    config.smtp.max_connections = -1;
    for (const auto& variable : Variables()) {
        std::string used;
        const std::string* value = Find(environment, variable.doc, used);
        const bool required = variable.doc.default_text == kRequired;
        if (value == nullptr || (required && Trim(*value).empty())) {
            if (required) {
                throw ConfigError("required key " + RequiredName(variable.doc) + " missing value");
            }
            continue;
        }
        try {
            variable.apply(config, Trim(*value));
        } catch (const std::invalid_argument& error) {
            throw ConfigError(used + ": " + error.what());
        } catch (const std::out_of_range&) {
            // A number beyond double's range inside a parser (std::stod in ParseDuration for
            // "1000...0s" or "0.000...1s"): still one line naming the variable, not
            // std::terminate with "what(): stod".
            throw ConfigError(used + ": value out of range \"" + std::string(Trim(*value)) + "\"");
        }
    }
    if (!IsAbsoluteHttpUrl(config.api.external_url)) {
        throw ConfigError(
            "API_EXTERNAL_URL: must be an absolute URL such as http://localhost:9999, got \"" +
            config.api.external_url + "\""
        );
    }
    if (!IsAbsoluteHttpUrl(config.site_url)) {
        throw ConfigError(
            "GOTRUE_SITE_URL: must be an absolute URL such as http://localhost:3000, got \"" +
            config.site_url + "\""
        );
    }
    try {
        config.jwt.key_set = tokens::KeySet::Load({
            config.jwt.keys,
            config.jwt.secret,
            config.jwt.key_id,
            config.jwt.valid_methods,
        });
    } catch (const tokens::KeyError& error) {
        throw ConfigError(std::string("GOTRUE_JWT_KEYS: ") + error.what());
    }
    if (const auto problem = crypto::ColumnKeysProblem(config.security.db_encryption)) {
        throw ConfigError("GOTRUE_SECURITY_DB_ENCRYPTION: " + *problem);
    }
    ValidateHook(config.hook.custom_access_token, "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN");
    ValidateHook(config.hook.send_email, "GOTRUE_HOOK_SEND_EMAIL");
    if (config.metrics.enabled && config.metrics.exporter != "prometheus") {
        throw ConfigError(
            "GOTRUE_METRICS_EXPORTER: only \"prometheus\" is supported, got \"" +
            config.metrics.exporter + "\""
        );
    }
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    if (config.api.handler_threads == 0) {
        const bool mail_holds_handlers =
            !config.mailer.email_background_sending && !config.worker.enabled;
        config.api.handler_threads = DefaultHandlerThreads(cpus, mail_holds_handlers);
    }
    if (config.smtp.max_connections < 0) {
        config.smtp.max_connections = DefaultSmtpConnections(cpus);
    }
    if (config.mailer.autoconfirm && config.mailer.allow_unverified_email_sign_ins) {
        throw ConfigError(
            "GOTRUE_MAILER_ALLOW_UNVERIFIED_EMAIL_SIGN_INS: cannot be combined with "
            "GOTRUE_MAILER_AUTOCONFIRM"
        );
    }
    return config;
}

const std::vector<VariableDoc>& DocumentedVariables() {
    static const std::vector<VariableDoc> kDocs = [] {
        std::vector<VariableDoc> docs;
        for (const auto& variable : Variables()) {
            docs.push_back(variable.doc);
        }
        return docs;
    }();
    return kDocs;
}

std::string ConfigurationMarkdown() {
    std::ostringstream out;
    out << "| variable | default | meaning |\n|---|---|---|\n";
    for (const auto& doc : DocumentedVariables()) {
        out << "| `" << doc.name << "`";
        for (const auto& fallback : doc.fallbacks) {
            out << " / `" << fallback << "`";
        }
        out << " | " << (doc.default_text.empty() ? "" : "`" + doc.default_text + "`") << " | "
            << doc.description << (doc.ours ? " *(this server)*" : "") << " |\n";
    }
    return out.str();
}

}  // namespace gotrue::conf
