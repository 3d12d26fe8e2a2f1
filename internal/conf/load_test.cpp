#include "conf/load.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "conf/environment.hpp"
#include "tokens/jwt.hpp"

using namespace std::chrono_literals;
using gotrue::conf::Config;
using gotrue::conf::ConfigError;
using gotrue::conf::Environment;
using gotrue::conf::LoadConfig;

namespace {

Environment Minimal() {
    return {
        {"GOTRUE_SITE_URL", "http://localhost:3000"},
        {"GOTRUE_JWT_SECRET", "secret"},
        {"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"},
        {"API_EXTERNAL_URL", "http://localhost:9999"},
    };
}

Environment With(std::initializer_list<std::pair<const std::string, std::string>> extra) {
    Environment env = Minimal();
    for (const auto& [key, value] : extra) {
        env[key] = value;
    }
    return env;
}

std::string ReadSourceFile(const std::string& name) {
    std::ifstream in(std::string(GOTRUE_SOURCE_DIR) + "/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_SUITE("configuration") {
    TEST_CASE("the minimal environment loads with GoTrue's defaults") {
        const Config config = LoadConfig(Minimal());
        CHECK(config.api.port == 9999);
        CHECK(config.api.max_request_duration == 10s);
        CHECK(config.db.name_space == "auth");
        CHECK(config.db.max_pool_size == 10);
        CHECK(config.jwt.exp == 3600);
        CHECK(config.jwt.admin_roles == std::vector<std::string>{"service_role", "supabase_admin"});
        CHECK(config.external.email_enabled);
        CHECK(config.mailer.secure_email_change_enabled);
        CHECK(config.mailer.otp_exp == 86400);
        CHECK(config.smtp.max_frequency == 1min);
        CHECK_FALSE(config.mailer.email_background_sending);
        CHECK_FALSE(config.worker.enabled);
        CHECK(config.worker.count_per_cpu == 32);
        CHECK(config.worker.shutdown_duration == 10s);
        CHECK(config.logging.format == "json");
    }

    TEST_CASE("each missing required value names its variable") {
        const std::pair<const char*, const char*> cases[] = {
            {"GOTRUE_SITE_URL", "required key GOTRUE_SITE_URL missing value"},
            {"GOTRUE_JWT_SECRET", "required key GOTRUE_JWT_SECRET missing value"},
            {"DATABASE_URL", "required key DATABASE_URL (or GOTRUE_DB_DATABASE_URL) missing value"},
            {"API_EXTERNAL_URL",
             "required key API_EXTERNAL_URL (or GOTRUE_API_API_EXTERNAL_URL) missing value"},
        };
        for (const auto& item : cases) {  // CAPTURE cannot take a structured binding (clang 14)
            const auto& [name, message] = item;
            CAPTURE(item.first);
            Environment env = Minimal();
            env.erase(name);
            CHECK_THROWS_WITH_AS(static_cast<void>(LoadConfig(env)), message, ConfigError);
            env[name] = "   ";
            CHECK_THROWS_WITH_AS(static_cast<void>(LoadConfig(env)), message, ConfigError);
        }
    }

    TEST_CASE("prefixed names win over the bare fallbacks") {
        const Config config = LoadConfig(With({
            {"PORT", "1111"},
            {"GOTRUE_API_PORT", "2222"},
            {"GOTRUE_DB_DATABASE_URL", "postgres://prefixed"},
            {"DB_NAMESPACE", "bare_ns"},
        }));
        CHECK(config.api.port == 2222);
        CHECK(config.db.url == "postgres://prefixed");
        CHECK(config.db.name_space == "bare_ns");
        CHECK(LoadConfig(With({{"PORT", "1111"}})).api.port == 1111);
        CHECK(
            LoadConfig(With({{"GOTRUE_API_API_EXTERNAL_URL", "https://x.example"}})
            ).api.external_url == "https://x.example"
        );
    }

    TEST_CASE("metrics: off by default, upstream's listen variables, only the prometheus exporter"
    ) {
        const Config defaults = LoadConfig(Minimal());
        CHECK_FALSE(defaults.metrics.enabled);
        CHECK(defaults.metrics.exporter == "prometheus");
        CHECK(defaults.metrics.prometheus_host == "0.0.0.0");
        CHECK(defaults.metrics.prometheus_port == 9100);
        const Config bare = LoadConfig(With({
            {"GOTRUE_METRICS_ENABLED", "true"},
            {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
            {"OTEL_EXPORTER_PROMETHEUS_PORT", "9464"},
        }));
        CHECK(bare.metrics.enabled);
        CHECK(bare.metrics.prometheus_host == "127.0.0.1");
        CHECK(bare.metrics.prometheus_port == 9464);
        const Config prefixed = LoadConfig(With({
            {"OTEL_EXPORTER_PROMETHEUS_PORT", "9464"},
            {"GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT", "9465"},
        }));
        CHECK(prefixed.metrics.prometheus_port == 9465);
        CHECK_THROWS_WITH_AS(
            static_cast<void>(
                LoadConfig(With({{"GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT", "70000"}}))
            ),
            doctest::Contains("GOTRUE_METRICS_OTEL_EXPORTER_PROMETHEUS_PORT: port out of range"),
            ConfigError
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({
                {"GOTRUE_METRICS_ENABLED", "true"},
                {"GOTRUE_METRICS_EXPORTER", "opentelemetry"},
            }))),
            doctest::Contains("GOTRUE_METRICS_EXPORTER: only \"prometheus\" is supported"),
            ConfigError
        );
        // Disabled, the exporter is not looked at (an upstream configuration still starts).
        CHECK_NOTHROW(
            static_cast<void>(LoadConfig(With({{"GOTRUE_METRICS_EXPORTER", "opentelemetry"}})))
        );
    }

    TEST_CASE("malformed values stop loading and name the variable") {
        const std::pair<std::pair<const char*, const char*>, const char*> cases[] = {
            {{"GOTRUE_JWT_EXP", "abc"}, "GOTRUE_JWT_EXP: invalid integer \"abc\""},
            {{"PORT", "70000"}, "PORT: port out of range \"70000\""},
            {{"GOTRUE_MAILER_AUTOCONFIRM", "yes"}, "GOTRUE_MAILER_AUTOCONFIRM: invalid boolean"},
            {{"GOTRUE_API_MAX_REQUEST_DURATION", "10"},
             "GOTRUE_API_MAX_REQUEST_DURATION: invalid duration"},
            {{"GOTRUE_SMTP_MAX_FREQUENCY", "soon"}, "GOTRUE_SMTP_MAX_FREQUENCY: invalid duration"},
            {{"GOTRUE_DB_MAX_POOL_SIZE", "0"}, "GOTRUE_DB_MAX_POOL_SIZE: must be at least 1"},
            {{"GOTRUE_DB_NAMESPACE", "auth; drop"}, "GOTRUE_DB_NAMESPACE: invalid schema name"},
            {{"GOTRUE_DB_DRIVER", "mysql"}, "GOTRUE_DB_DRIVER: unsupported driver"},
            {{"GOTRUE_LOG_LEVEL", "loud"}, "GOTRUE_LOG_LEVEL: unknown level"},
            {{"GOTRUE_LOG_FORMAT", "xml"}, "GOTRUE_LOG_FORMAT: expected json or text"},
            {{"API_EXTERNAL_URL", "localhost:9999"}, "API_EXTERNAL_URL: must be an absolute URL"},
            {{"GOTRUE_SITE_URL", "/relative"}, "GOTRUE_SITE_URL: must be an absolute URL"},
            {{"GOTRUE_RATE_LIMIT_VERIFY", "many"}, "GOTRUE_RATE_LIMIT_VERIFY: invalid number"},
            {{"GOTRUE_WORKER_SHUTDOWN_DURATION", "-5s"},
             "GOTRUE_WORKER_SHUTDOWN_DURATION: must not be negative"},
            {{"GOTRUE_SMTP_MAX_CONNECTIONS", "-1"},
             "GOTRUE_SMTP_MAX_CONNECTIONS: must be 0 or more, got \"-1\""},
            {{"GOTRUE_SMTP_MAX_CONNECTIONS", "many"},
             "GOTRUE_SMTP_MAX_CONNECTIONS: invalid integer"},
            {{"GOTRUE_SMTP_IDLE_TIMEOUT", "-1s"}, "GOTRUE_SMTP_IDLE_TIMEOUT: must not be negative"},
            {{"GOTRUE_PASSWORD_HASH_CONCURRENCY", "-2"},
             "GOTRUE_PASSWORD_HASH_CONCURRENCY: must be 0 or more"},
        };
        for (const auto& item : cases) {  // CAPTURE cannot take a structured binding (clang 14)
            const auto& [entry, message] = item;
            CAPTURE(item.first.first);
            CHECK_THROWS_WITH_AS(
                static_cast<void>(LoadConfig(With({{entry.first, entry.second}}))),
                doctest::Contains(message),
                ConfigError
            );
        }
    }

    TEST_CASE("a duration beyond Go's range is a ConfigError naming the variable (fuzz: dotenv)") {
        // ParseDuration's std::stod threw std::out_of_range, which escaped LoadConfig: gotrue
        // died in std::terminate ("what(): stod") instead of printing the variable. Durations are
        // now read in integer nanoseconds like Go's time.ParseDuration.
        const std::string huge = "1" + std::string(400, '0') + "s";
        for (const std::string& value : {huge, "1h" + huge}) {
            CAPTURE(value);
            CHECK_THROWS_WITH_AS(
                static_cast<void>(LoadConfig(With({{"GOTRUE_SMTP_MAX_FREQUENCY", value}}))),
                doctest::Contains("GOTRUE_SMTP_MAX_FREQUENCY: invalid duration"),
                ConfigError
            );
        }
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({{"GOTRUE_API_SHUTDOWN_TIMEOUT", huge}}))),
            doctest::Contains("out of range"),
            ConfigError
        );
        // A fraction finer than a nanosecond is what Go reads it as: zero (here: the default).
        const std::string tiny = "0." + std::string(400, '0') + "1s";
        CHECK_NOTHROW(static_cast<void>(LoadConfig(With({{"GOTRUE_SMTP_MAX_FREQUENCY", tiny}}))));
    }

    TEST_CASE("autoconfirm and unverified sign-ins cannot be combined") {
        CHECK_THROWS_AS(
            static_cast<void>(LoadConfig(With({
                {"GOTRUE_MAILER_AUTOCONFIRM", "true"},
                {"GOTRUE_MAILER_ALLOW_UNVERIFIED_EMAIL_SIGN_INS", "true"},
            }))),
            ConfigError
        );
    }

    TEST_CASE("the custom access-token hook: URI checked at load, errors name the variable") {
        const Config pg = LoadConfig(With({
            {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED", "true"},
            {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI", "pg-functions://postgres/public/add_role"},
        }));
        CHECK(pg.hook.custom_access_token.enabled);
        CHECK(pg.hook.custom_access_token.kind == gotrue::hooks::HookKind::kPostgresFunction);
        CHECK(pg.hook.custom_access_token.function == "add_role");
        const Config http = LoadConfig(With({
            {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI", "https://hooks.example.com/token"},
            {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_SECRETS",
             "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw||v1,whsec_"
             "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
        }));
        CHECK_FALSE(http.hook.custom_access_token.enabled);
        CHECK(http.hook.custom_access_token.kind == gotrue::hooks::HookKind::kHttp);
        CHECK(http.hook.custom_access_token.secrets.size() == 2);
        CHECK(
            LoadConfig(Minimal()).hook.custom_access_token.kind == gotrue::hooks::HookKind::kNone
        );

        const auto refusal = [](const char* uri, const char* secrets = "") {
            try {
                static_cast<void>(LoadConfig(With({
                    {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI", uri},
                    {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_SECRETS", secrets},
                })));
            } catch (const ConfigError& error) {
                return std::string(error.what());
            }
            return std::string("accepted");
        };
        // Validated even when the hook is off, as upstream does.
        CHECK(
            refusal("http://hooks.example.com/token") ==
            "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: only localhost, 127.0.0.1, and ::1 are "
            "supported with http"
        );
        CHECK(
            refusal("https://hooks.example.com/token", "v1,whsec_bad") ==
            "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: invalid secret format"
        );
        CHECK(
            refusal("pg-functions://postgres/public") ==
            "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: URI path does not contain enough parts"
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({{"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED", "true"}})
            )),
            "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: required when "
            "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED is true",
            ConfigError
        );
    }

    TEST_CASE("the send-email hook: its own variables, checked at load like the others") {
        const Config pg = LoadConfig(With({
            {"GOTRUE_HOOK_SEND_EMAIL_ENABLED", "true"},
            {"GOTRUE_HOOK_SEND_EMAIL_URI", "pg-functions://postgres/public/send_email"},
        }));
        CHECK(pg.hook.send_email.enabled);
        CHECK(pg.hook.send_email.kind == gotrue::hooks::HookKind::kPostgresFunction);
        CHECK(pg.hook.send_email.schema == "public");
        CHECK(pg.hook.send_email.function == "send_email");
        CHECK_FALSE(pg.hook.custom_access_token.enabled);  // independent of the other hook
        const Config http = LoadConfig(With({
            {"GOTRUE_HOOK_SEND_EMAIL_ENABLED", "true"},
            {"GOTRUE_HOOK_SEND_EMAIL_URI", "http://localhost:9999/send"},
            {"GOTRUE_HOOK_SEND_EMAIL_SECRETS", "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
        }));
        CHECK(http.hook.send_email.kind == gotrue::hooks::HookKind::kHttp);
        CHECK(http.hook.send_email.secrets.size() == 1);
        CHECK(LoadConfig(Minimal()).hook.send_email.kind == gotrue::hooks::HookKind::kNone);

        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({{"GOTRUE_HOOK_SEND_EMAIL_ENABLED", "true"}}))),
            "GOTRUE_HOOK_SEND_EMAIL_URI: required when GOTRUE_HOOK_SEND_EMAIL_ENABLED is true",
            ConfigError
        );
        // Refused whether enabled or not, as upstream's ValidateExtensibilityPoint.
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({
                {"GOTRUE_HOOK_SEND_EMAIL_URI", "http://mail.example.com/send"},
            }))),
            "GOTRUE_HOOK_SEND_EMAIL_URI: only localhost, 127.0.0.1, and ::1 are supported with "
            "http",
            ConfigError
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({
                {"GOTRUE_HOOK_SEND_EMAIL_ENABLED", "true"},
                {"GOTRUE_HOOK_SEND_EMAIL_URI", "https://mail.example.com/send"},
                {"GOTRUE_HOOK_SEND_EMAIL_SECRETS", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
            }))),
            "GOTRUE_HOOK_SEND_EMAIL_URI: invalid secret format",
            ConfigError
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadConfig(With({
                {"GOTRUE_HOOK_SEND_EMAIL_URI", "ftp://localhost/send"},
            }))),
            "GOTRUE_HOOK_SEND_EMAIL_URI: only postgres hooks and HTTPS functions are supported at "
            "the moment",
            ConfigError
        );
    }

    TEST_CASE("GOTRUE_JWT_KEYS is loaded into the key set that signs and verifies") {
        rapidjson::Document claims;
        claims.Parse(R"({"sub":"x","exp":4102444800})");
        const Config plain = LoadConfig(With({{"GOTRUE_JWT_KEY_ID", "legacy"}}));
        CHECK(plain.jwt.key_set.SigningAlgorithm() == "HS256");
        CHECK(
            plain.jwt.key_set.Sign(claims) == gotrue::tokens::SignHs256(claims, "secret", "legacy")
        );

        const std::string jwk = ReadSourceFile("tests/fixtures/jwt_keys/ec-a.jwk.json");
        const Config keyed = LoadConfig(With({
            {"GOTRUE_JWT_KEYS", "[" + jwk + "]"},
            {"GOTRUE_JWT_VALID_METHODS", "ES256,HS256"},
        }));
        CHECK(keyed.jwt.valid_methods == std::vector<std::string>{"ES256", "HS256"});
        CHECK(keyed.jwt.key_set.SigningAlgorithm() == "ES256");
        const std::string token = keyed.jwt.key_set.Sign(claims);
        CHECK(keyed.jwt.key_set.Verify(token, 1767225600).Ok());
        CHECK(keyed.jwt.key_set.Verify(gotrue::tokens::SignHs256(claims, "secret"), 1767225600).Ok()
        );
        CHECK_FALSE(plain.jwt.key_set.Verify(token, 1767225600).Ok());
    }

    TEST_CASE("a key that does not load stops loading, naming GOTRUE_JWT_KEYS and the reason") {
        const auto error_of = [](const Environment& env) {
            try {
                static_cast<void>(LoadConfig(env));
            } catch (const ConfigError& error) {
                return std::string(error.what());
            }
            return std::string("<loaded>");
        };
        CHECK(
            error_of(With({{"GOTRUE_JWT_KEYS", R"([{"kty":"EC","kid":"k","alg":"ES256"}])"}})) ==
            "GOTRUE_JWT_KEYS: keys[0] (kid \"k\"): missing crv"
        );
        CHECK(
            error_of(With({{"GOTRUE_JWT_KEYS", "not json"}})
            ).find("GOTRUE_JWT_KEYS: not valid JSON") == 0
        );
        CHECK(
            error_of(With({{"GOTRUE_JWT_VALID_METHODS", "HS256,PS256"}})) ==
            "GOTRUE_JWT_VALID_METHODS: \"PS256\" is not supported (HS256, RS256, ES256)"
        );
        CHECK(error_of(With({{"GOTRUE_JWT_KEYS", " [] "}})) == "<loaded>");
    }

    TEST_CASE("SMTP connection reuse: 16 per CPU (at most 48) idle 60 s by default, 0 turns it off"
    ) {
        const Config defaults = LoadConfig(Minimal());
        CHECK(
            defaults.smtp.max_connections ==
            gotrue::conf::DefaultSmtpConnections(std::max(1U, std::thread::hardware_concurrency()))
        );
        CHECK(gotrue::conf::DefaultSmtpConnections(1) == 16);
        CHECK(gotrue::conf::DefaultSmtpConnections(2) == 32);
        CHECK(gotrue::conf::DefaultSmtpConnections(3) == 48);
        CHECK(gotrue::conf::DefaultSmtpConnections(64) == 48);
        CHECK(gotrue::conf::DefaultSmtpConnections(0) == 16);
        CHECK(defaults.smtp.idle_timeout == 60s);
        const Config parsed = LoadConfig(
            With({{"GOTRUE_SMTP_MAX_CONNECTIONS", "0"}, {"GOTRUE_SMTP_IDLE_TIMEOUT", "5m"}})
        );
        CHECK(parsed.smtp.max_connections == 0);
        CHECK(parsed.smtp.idle_timeout == 5min);
        CHECK(LoadConfig(With({{"GOTRUE_SMTP_MAX_CONNECTIONS", "7"}})).smtp.max_connections == 7);
    }

    TEST_CASE("handler threads: from the CPUs unless set, more when synchronous mail holds them") {
        using gotrue::conf::DefaultHandlerThreads;
        CHECK(DefaultHandlerThreads(1, false) == 8);
        CHECK(DefaultHandlerThreads(2, false) == 8);
        CHECK(DefaultHandlerThreads(8, false) == 32);
        CHECK(DefaultHandlerThreads(2, true) == 16);
        CHECK(DefaultHandlerThreads(8, true) == 32);
        CHECK(DefaultHandlerThreads(0, false) == 8);
        const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
        CHECK(LoadConfig(Minimal()).api.handler_threads == DefaultHandlerThreads(cpus, true));
        CHECK(
            LoadConfig(With({{"GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING", "true"}})
            ).api.handler_threads == DefaultHandlerThreads(cpus, false)
        );
        CHECK(
            LoadConfig(With({{"GOTRUE_WORKER_ENABLED", "true"}})).api.handler_threads ==
            DefaultHandlerThreads(cpus, false)
        );
        CHECK(
            LoadConfig(With({{"GOTRUE_API_HANDLER_THREADS", "0"}})).api.handler_threads ==
            DefaultHandlerThreads(cpus, true)
        );
        CHECK(LoadConfig(With({{"GOTRUE_API_HANDLER_THREADS", "3"}})).api.handler_threads == 3);
        CHECK_THROWS_WITH(
            static_cast<void>(LoadConfig(With({{"GOTRUE_API_HANDLER_THREADS", "-2"}}))),
            "GOTRUE_API_HANDLER_THREADS: must be 0 or more, got \"-2\""
        );
    }

    TEST_CASE("worker settings follow the pool draft's clamps") {
        const Config parsed = LoadConfig(With({
            {"GOTRUE_WORKER_ENABLED", "true"},
            {"GOTRUE_WORKER_COUNT_PER_CPU", "8"},
            {"GOTRUE_WORKER_SHUTDOWN_DURATION", "30s"},
        }));
        CHECK(parsed.worker.enabled);
        CHECK(parsed.worker.count_per_cpu == 8);
        CHECK(parsed.worker.shutdown_duration == 30s);
        CHECK(LoadConfig(With({{"GOTRUE_WORKER_COUNT_PER_CPU", "-1"}})).worker.count_per_cpu == 1);
        CHECK(
            LoadConfig(With({{"GOTRUE_WORKER_COUNT_PER_CPU", "256"}})).worker.count_per_cpu == 128
        );
    }

    TEST_CASE("GoTrue's normalisations apply") {
        const Config config = LoadConfig(With({
            {"GOTRUE_JWT_EXP", "0"},
            {"GOTRUE_MAILER_OTP_EXP", "0"},
            {"GOTRUE_MAILER_OTP_LENGTH", "12"},
            {"GOTRUE_PASSWORD_MIN_LENGTH", "3"},
            {"GOTRUE_SMTP_MAX_FREQUENCY", "0"},
            {"GOTRUE_JWT_ADMIN_ROLES", "a, b"},
            {"GOTRUE_MAILER_SUBJECTS_CONFIRMATION", "Welcome"},
            {"GOTRUE_EXTERNAL_GITHUB_ENABLED", "true"},
            {"GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION", "10s"},
        }));
        CHECK(config.jwt.exp == 3600);
        CHECK(config.mailer.otp_exp == 86400);
        CHECK(config.mailer.otp_length == 6);
        CHECK(config.password.min_length == 6);
        CHECK(config.smtp.max_frequency == 1min);
        CHECK(config.jwt.admin_roles == std::vector<std::string>{"a", "b"});
        CHECK(config.mailer.subjects.at("CONFIRMATION") == "Welcome");
        CHECK(config.external.oauth_enabled.at("github"));
        CHECK(config.external.flow_state_expiry == 300s);
        CHECK(
            LoadConfig(With({{"GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION", "-1s"}})
            ).external.flow_state_expiry == 300s
        );
        CHECK(
            LoadConfig(With({{"GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION", "10m"}})
            ).external.flow_state_expiry == 10min
        );
    }

    TEST_CASE("documented defaults are the defaults the code uses") {
        const Config defaults = LoadConfig(Minimal());
        for (const auto& doc : gotrue::conf::DocumentedVariables()) {
            if (doc.default_text == "required" || doc.default_text.empty()) {
                continue;
            }
            CAPTURE(doc.name);
            Environment env = Minimal();
            env[doc.name] = doc.default_text;
            Config with_default = LoadConfig(env);
            // Map-valued settings gain an explicit entry; compare the rest.
            with_default.mailer.url_paths = defaults.mailer.url_paths;
            with_default.mailer.notifications = defaults.mailer.notifications;
            with_default.external.oauth_enabled = defaults.external.oauth_enabled;
            CHECK(with_default == defaults);
        }
    }

    TEST_CASE("the README configuration table is generated from the code") {
        const std::string readme = ReadSourceFile("README.md");
        CHECK_MESSAGE(
            readme.find(gotrue::conf::ConfigurationMarkdown()) != std::string::npos,
            "README.md is out of date: run `make docs`"
        );
    }

    TEST_CASE("example.env loads and documents every required variable") {
        const std::string text = ReadSourceFile("example.env");
        const Environment env = gotrue::conf::ParseDotenv(text, {});
        CHECK_NOTHROW(static_cast<void>(LoadConfig(env)));
        for (const char* name :
             {"GOTRUE_SITE_URL", "GOTRUE_JWT_SECRET", "DATABASE_URL", "API_EXTERNAL_URL"}) {
            CHECK(text.find(name) != std::string::npos);
        }
    }

    TEST_CASE("MFA settings: GoTrue's defaults, floors and switches") {
        const Config defaults = LoadConfig(Minimal());
        CHECK(defaults.mfa.max_enrolled_factors == 10);
        CHECK(defaults.mfa.max_verified_factors == 10);
        CHECK(defaults.mfa.challenge_expiry_duration == 300s);
        CHECK(defaults.mfa.factor_expiry_duration == 300s);
        CHECK(defaults.mfa.rate_limit_challenge_and_verify == 15);
        CHECK(defaults.mfa.totp_enroll_enabled);
        CHECK(defaults.mfa.totp_verify_enabled);
        CHECK_FALSE(defaults.security.db_encryption.encrypt);
        const Config set = LoadConfig(With({
            {"GOTRUE_MFA_MAX_ENROLLED_FACTORS", "3"},
            {"GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION", "600"},
            {"GOTRUE_MFA_FACTOR_EXPIRY_DURATION", "1h"},
            {"GOTRUE_MFA_RATE_LIMIT_CHALLENGE_AND_VERIFY", "2.5"},
            {"GOTRUE_MFA_TOTP_ENROLL_ENABLED", "false"},
            {"GOTRUE_MFA_TOTP_VERIFY_ENABLED", "0"},
        }));
        CHECK(set.mfa.max_enrolled_factors == 3);
        CHECK(set.mfa.challenge_expiry_duration == 600s);
        CHECK(set.mfa.factor_expiry_duration == 1h);
        CHECK(set.mfa.rate_limit_challenge_and_verify == 2.5);
        CHECK_FALSE(set.mfa.totp_enroll_enabled);
        CHECK_FALSE(set.mfa.totp_verify_enabled);
        // As upstream, lifetimes below 300 s become 300 s.
        const Config short_lived = LoadConfig(With({
            {"GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION", "10"},
            {"GOTRUE_MFA_FACTOR_EXPIRY_DURATION", "5s"},
        }));
        CHECK(short_lived.mfa.challenge_expiry_duration == 300s);
        CHECK(short_lived.mfa.factor_expiry_duration == 300s);
        CHECK_THROWS_AS(
            static_cast<void>(LoadConfig(With({{"GOTRUE_MFA_MAX_ENROLLED_FACTORS", "many"}}))),
            ConfigError
        );
    }

    TEST_CASE("GOTRUE_SECURITY_DB_ENCRYPTION_* is read and checked as GoTrue checks it") {
        const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        const Config config = LoadConfig(With({
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT", "true"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY_ID", "k2"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY", key},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS", "k1:" + key + ",k2:" + key},
        }));
        CHECK(config.security.db_encryption.encrypt);
        CHECK(config.security.db_encryption.encryption_key_id == "k2");
        CHECK(config.security.db_encryption.decryption_keys.size() == 2);
        CHECK(config.security.db_encryption.decryption_keys.at("k1") == key);
        const auto refused =
            [&](std::initializer_list<std::pair<const std::string, std::string>> env) {
                CHECK_THROWS_AS(static_cast<void>(LoadConfig(With(env))), ConfigError);
            };
        // The encryption key must be among the decryption keys, and every key 256 bits.
        refused({
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT", "true"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY_ID", "k2"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY", key},
        });
        refused({
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT", "true"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY_ID", "k2"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY", "AAAA"},
            {"GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS", "k2:AAAA"},
        });
        refused({{"GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS", "no-colon"}});
        refused({{"GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS", "k1:short"}});
    }
}
