#pragma once

// conf: the server's configuration as plain data. Defaults live here, in the structs;
// load.cpp fills them from GOTRUE_* variables (GoTrue's conf/configuration.go). Only cmd/ sees the
// whole Config; every module takes its own section.

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/column_encryption.hpp"
#include "hooks/hook_config.hpp"
#include "tokens/keys.hpp"

namespace gotrue::conf {

using Duration = std::chrono::milliseconds;

// A missing or malformed setting. what() names the variable, e.g.
// "GOTRUE_JWT_SECRET: required key missing value".
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ApiConfig {
    std::string host;  // empty: all interfaces
    int port = 9999;
    std::string external_url;                                 // API_EXTERNAL_URL, required
    Duration max_request_duration{std::chrono::seconds(10)};  // 0 disables the deadline
    std::string request_id_header;
    int handler_threads = 16;       // threads that run handlers (blocking DB work), not reactors
    int reactor_threads = 2;        // Pistache I/O threads: parse and hand off only
    int handler_queue_size = 1024;  // requests waiting for a handler thread; full: 503
    int max_connections = 1024;     // open client connections; beyond: 503 and close
    int max_buffered_bytes = 64 << 20;  // request bytes held before a handler answers; beyond: 503
    Duration shutdown_timeout{std::chrono::seconds(60)};  // drain deadline after SIGTERM
    bool operator==(const ApiConfig&) const = default;
};

struct DbConfig {
    std::string driver = "postgres";
    std::string url;                  // DATABASE_URL / GOTRUE_DB_DATABASE_URL, required
    std::string name_space = "auth";  // DB_NAMESPACE
    int max_pool_size = 10;
    Duration acquire_timeout{std::chrono::seconds(5)};  // waiting for a free connection: 503
    Duration connect_retry_duration{std::chrono::seconds(30)};  // startup retries
    bool operator==(const DbConfig&) const = default;
};

struct JwtConfig {
    std::string secret;  // required
    int exp = 3600;
    std::string aud;
    std::string default_group_name;
    std::vector<std::string> admin_roles{"service_role", "supabase_admin"};
    std::string admin_group_name = "admin";
    std::string issuer;
    std::string key_id;
    std::string keys;                        // GOTRUE_JWT_KEYS: a JSON array of JWKs
    std::vector<std::string> valid_methods;  // GOTRUE_JWT_VALID_METHODS
    // Built by LoadConfig from secret, key_id, keys and valid_methods: signs every access token
    // and verifies every bearer token (tokens/keys.hpp).
    tokens::KeySet key_set;
    bool operator==(const JwtConfig&) const = default;
};

struct LoggingConfig {
    std::string level = "info";   // trace, debug, info, warn(ing), error, fatal, panic
    std::string format = "json";  // json | text
    std::string file;             // empty: stderr
    bool operator==(const LoggingConfig&) const = default;
};

struct ExternalConfig {
    bool email_enabled = true;
    bool email_magic_link_enabled = true;
    bool phone_enabled = false;
    bool anonymous_users_enabled = false;
    std::vector<std::string> email_authorized_addresses;
    Duration flow_state_expiry{std::chrono::seconds(300)};
    // GOTRUE_EXTERNAL_<PROVIDER>_ENABLED for the OAuth providers /settings lists.
    std::map<std::string, bool> oauth_enabled;
    bool operator==(const ExternalConfig&) const = default;
};

struct SmtpConfig {
    std::string host;  // empty: mail is accepted and dropped (noop client)
    int port = 587;
    std::string user;
    std::string pass;
    std::string admin_email;
    std::string sender_name;
    Duration max_frequency{std::chrono::minutes(1)};
    std::string headers;  // JSON {"Header":["v"]}
    bool logging_enabled = false;
    int max_retries = 3;
    Duration connect_timeout{std::chrono::seconds(10)};
    Duration timeout{std::chrono::seconds(30)};
    // Open connections kept to the relay (0: a new connection per mail) and how long an unused
    // one stays open (this server; docs/mail.md "Connections").
    int max_connections = 16;
    Duration idle_timeout{std::chrono::seconds(60)};
    bool operator==(const SmtpConfig&) const = default;
};

struct MailerConfig {
    bool autoconfirm = false;
    bool allow_unverified_email_sign_ins = false;
    bool secure_email_change_enabled = true;
    int otp_exp = 86400;  // seconds
    int otp_length = 6;
    bool email_background_sending = false;
    std::vector<std::string> external_hosts;
    // Keyed by the upper-case kind: INVITE, CONFIRMATION, RECOVERY, EMAIL_CHANGE, MAGIC_LINK, ...
    std::map<std::string, std::string> subjects;
    std::map<std::string, std::string> templates;
    std::map<std::string, std::string> url_paths;  // INVITE, CONFIRMATION, RECOVERY, EMAIL_CHANGE
    std::map<std::string, bool> notifications;     // PASSWORD_CHANGED, EMAIL_CHANGED, ...
    // The durable outbox of background sends (this server): how often due mails are retried,
    // the first retry delay (doubling), how long an in-flight send owns its row before another
    // instance may retry it, and when a mail is given up.
    Duration outbox_sweep_interval{std::chrono::seconds(5)};
    Duration outbox_retry_backoff{std::chrono::seconds(30)};
    Duration outbox_lease{std::chrono::minutes(5)};
    Duration outbox_max_age{std::chrono::hours(24)};
    // Attempts after which a mail that keeps failing transiently is `dead`; how long sent (and
    // failed or dead) rows stay visible before the sweeper deletes them.
    int outbox_max_attempts = 10;
    Duration outbox_retention{std::chrono::hours(24)};
    std::size_t template_max_size = 1000000;
    Duration template_max_age{std::chrono::minutes(10)};
    Duration template_retry_interval{std::chrono::seconds(10)};
    bool operator==(const MailerConfig&) const = default;
};

struct PasswordConfig {
    int min_length = 6;
    int hash_cost = 10;        // bcrypt cost (GoTrue: 10; tests use 4)
    int hash_concurrency = 0;  // bcrypt hashes at once; 0: one per CPU (4x as many may wait)
    std::string required_characters;
    bool operator==(const PasswordConfig&) const = default;
};

struct SecurityConfig {
    bool refresh_token_rotation_enabled = true;
    int refresh_token_reuse_interval = 0;  // seconds
    bool update_password_require_reauthentication = false;
    bool update_password_require_current_password = false;
    crypto::ColumnKeys db_encryption;  // GOTRUE_SECURITY_DB_ENCRYPTION_*: MFA factor secrets
    bool operator==(const SecurityConfig&) const = default;
};

// Multi-factor authentication (GoTrue's MFAConfiguration); only TOTP factors exist here.
struct MfaConfig {
    double max_enrolled_factors = 10;
    int max_verified_factors = 10;
    std::chrono::seconds challenge_expiry_duration{300};  // at least 300s, as upstream
    std::chrono::seconds factor_expiry_duration{300};     // unverified factors; at least 300s
    double rate_limit_challenge_and_verify = 15;          // per client per minute
    bool totp_enroll_enabled = true;
    bool totp_verify_enabled = true;
    bool operator==(const MfaConfig&) const = default;
};

struct RateLimitConfig {
    std::string email_sent = "30";  // N per hour, or N/<duration>
    std::string header;             // empty: IP limits off
    double verify = 30;
    double token_refresh = 150;
    double otp = 30;
    double anonymous_users = 30;
    bool operator==(const RateLimitConfig&) const = default;
};

struct SmsConfig {
    bool autoconfirm = false;
    std::string provider;
    bool operator==(const SmsConfig&) const = default;
};

// The process-wide worker pool for fire-and-forget tasks (the design GoTrue drafted and
// dropped, docs/apitask.md), plus the request-scoped task executor's bounds.
struct WorkerConfig {
    bool enabled = false;
    int count_per_cpu = 32;  // clamped to 1..128
    Duration shutdown_duration{std::chrono::seconds(10)};
    int queue_size = 1024;
    bool operator==(const WorkerConfig&) const = default;
};

// Auth hooks (GOTRUE_HOOK_*; supabase/auth HookConfiguration). Validated by LoadConfig.
struct HookConfig {
    hooks::Hook custom_access_token;
    hooks::Hook send_email;  // replaces SMTP for every mail (docs/hooks.md)
    bool operator==(const HookConfig&) const = default;
};

// Metrics (GOTRUE_METRICS_*; supabase/auth internal/conf/metrics.go): Prometheus text served by a
// listener of its own, never on the API port.
struct MetricsConfig {
    bool enabled = false;
    std::string exporter = "prometheus";  // the only one; LoadConfig refuses others when enabled
    std::string prometheus_host = "0.0.0.0";
    int prometheus_port = 9100;
    bool operator==(const MetricsConfig&) const = default;
};

struct Config {
    std::string site_url;  // required
    std::vector<std::string> uri_allow_list;
    bool disable_signup = false;
    bool saml_enabled = false;
    ApiConfig api;
    DbConfig db;
    JwtConfig jwt;
    LoggingConfig logging;
    ExternalConfig external;
    SmtpConfig smtp;
    MailerConfig mailer;
    PasswordConfig password;
    SecurityConfig security;
    MfaConfig mfa;
    RateLimitConfig rate_limit;
    SmsConfig sms;
    WorkerConfig worker;
    HookConfig hook;
    MetricsConfig metrics;
    bool operator==(const Config&) const = default;
};

}  // namespace gotrue::conf
