#include "api/api.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "mailer/mailer.hpp"
#include "storage/database.hpp"
#include "tokens/keys.hpp"

using gotrue::api::Api;
using gotrue::api::Request;
using gotrue::api::Response;

namespace {

gotrue::conf::Config TestConfig() {
    gotrue::conf::Config config;
    config.site_url = "http://localhost:3000";
    config.api.external_url = "http://localhost:9999";
    config.jwt.secret = "secret";
    return config;
}

// What an Api needs besides configuration; the database is never connected in these tests.
struct ApiFixture {
    explicit ApiFixture(const gotrue::conf::Config& config)
        : database(config.db), mail(config, pool) {}

    gotrue::apitask::WorkerPool pool{gotrue::apitask::PoolOptions{}};
    gotrue::storage::Database database;
    gotrue::mailer::Mailer mail;
};

Request Get(std::string path) {
    Request request;
    request.method = "GET";
    request.path = std::move(path);
    return request;
}

// GET `path` from an Api built for this one request.
Response HandleOnce(const gotrue::conf::Config& config, std::string path) {
    ApiFixture fixture(config);
    const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
    Request request = Get(std::move(path));
    return api.Handle(request);
}

rapidjson::Document Parse(const std::string& body) {
    rapidjson::Document document;
    document.Parse(body.c_str());
    REQUIRE_FALSE(document.HasParseError());
    return document;
}

}  // namespace

TEST_SUITE("api in process") {
    TEST_CASE("GET /health reports name, version and description") {
        const auto config = TestConfig();
        ApiFixture fixture(config);
        const Api api({config, "1.2.3", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request request = Get("/health");
        const Response response = api.Handle(request);
        CHECK(response.status == 200);
        CHECK(response.headers.Get("Content-Type") == "application/json");
        CHECK(
            response.body ==
            R"({"version":"1.2.3","name":"GoTrue","description":"GoTrue is a user registration and authentication API"})"
        );
    }

    TEST_CASE("GET /settings lists providers in GoTrue's order with the configured switches") {
        auto config = TestConfig();
        config.external.oauth_enabled["github"] = true;
        config.mailer.autoconfirm = true;
        config.disable_signup = true;
        ApiFixture fixture(config);
        const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request request = Get("/settings/");  // trailing slash is ignored
        const Response response = api.Handle(request);
        REQUIRE(response.status == 200);
        const auto document = Parse(response.body);
        const auto& external = document["external"];
        std::string order;
        for (const auto& member : external.GetObject()) {
            order += std::string(member.name.GetString()) + ",";
        }
        CHECK(
            order ==
            "anonymous_users,apple,azure,bitbucket,discord,facebook,snapchat,figma,fly,github,"
            "gitlab,google,keycloak,kakao,linkedin,linkedin_oidc,notion,spotify,slack,slack_oidc,"
            "workos,twitch,twitter,email,phone,zoom,"
        );
        CHECK(external["github"].GetBool());
        CHECK(external["email"].GetBool());
        CHECK_FALSE(external["phone"].GetBool());
        CHECK(document["disable_signup"].GetBool());
        CHECK(document["mailer_autoconfirm"].GetBool());
        CHECK_FALSE(document["phone_autoconfirm"].GetBool());
        CHECK(std::string(document["sms_provider"].GetString()).empty());
        CHECK_FALSE(document["saml_enabled"].GetBool());
        CHECK_FALSE(document["saml_private_key_next_configured"].GetBool());
        CHECK_FALSE(document["passkeys_enabled"].GetBool());
    }

    TEST_CASE("GET /.well-known/jwks.json lists the public keys, cacheable for 10 minutes") {
        auto config = TestConfig();
        std::ifstream in(std::string(GOTRUE_SOURCE_DIR) + "/tests/fixtures/jwt_keys/ec-a.jwk.json");
        gotrue::tokens::KeySetOptions keys;
        keys.keys = "[" + std::string(std::istreambuf_iterator<char>(in), {}) + "]";
        keys.secret = config.jwt.secret;
        config.jwt.key_set = gotrue::tokens::KeySet::Load(keys);
        const Response response = HandleOnce(config, "/.well-known/jwks.json");
        REQUIRE(response.status == 200);
        CHECK(response.headers.Get("Cache-Control") == "public, max-age=600");
        CHECK(response.headers.Get("Content-Type") == "application/json");
        CHECK(response.body == config.jwt.key_set.PublicJwks());
        const auto document = Parse(response.body);
        REQUIRE(document["keys"].Size() == 1);
        CHECK(document["keys"][0]["kid"] == "ec-a");
        CHECK_FALSE(document["keys"][0].HasMember("d"));

        // Only the HS256 secret: nothing to publish.
        auto plain = TestConfig();
        keys.keys.clear();
        plain.jwt.key_set = gotrue::tokens::KeySet::Load(keys);
        CHECK(HandleOnce(plain, "/.well-known/jwks.json").body == R"({"keys":[]})");
    }

    TEST_CASE("POST /signup without email and phone: the anonymous switch, then disabled sign-ups"
    ) {
        // The database is never connected: each answer comes before any database work (with the
        // switch off, even before the per-client limit, which would need the database).
        const auto post_signup = [](const gotrue::conf::Config& config, const std::string& body) {
            ApiFixture fixture(config);
            const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
            Request request = Get("/signup");
            request.method = "POST";
            request.body = body;
            const Response response = api.Handle(request);
            return std::pair(response.status, Parse(response.body));
        };
        auto config = TestConfig();
        config.rate_limit.header = "X-Client";
        for (const char* body : {"{}", R"({"email":"","phone":"","data":{"a":1}})"}) {
            CAPTURE(body);
            const auto [status, error] = post_signup(config, body);
            CHECK(status == 422);
            CHECK(std::string(error["error_code"].GetString()) == "anonymous_provider_disabled");
            CHECK(std::string(error["msg"].GetString()) == "Anonymous sign-ins are disabled");
        }
        const auto [bad_status, bad] = post_signup(config, R"({"data":[]})");
        CHECK(bad_status == 400);
        CHECK(std::string(bad["error_code"].GetString()) == "bad_json");

        config.rate_limit.header.clear();
        config.external.anonymous_users_enabled = true;
        config.disable_signup = true;
        const auto [status, error] = post_signup(config, "{}");
        CHECK(status == 422);
        CHECK(std::string(error["error_code"].GetString()) == "signup_disabled");
    }

    TEST_CASE("unknown paths are 404 and wrong methods 405 with Allow") {
        const auto config = TestConfig();
        ApiFixture fixture(config);
        const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request missing = Get("/nope");
        CHECK(api.Handle(missing).status == 404);
        Request post = Get("/health");
        post.method = "POST";
        const Response response = api.Handle(post);
        CHECK(response.status == 405);
        CHECK(response.headers.Get("Allow") == "GET");
    }

    TEST_CASE("a body over 1 MiB is 413 request_entity_too_large") {
        const auto config = TestConfig();
        ApiFixture fixture(config);
        const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request request = Get("/settings");
        request.method = "POST";
        request.body.assign((1 << 20) + 1, 'x');
        const Response response = api.Handle(request);
        CHECK(response.status == 413);
        const auto document = Parse(response.body);
        CHECK(std::string(document["error_code"].GetString()) == "request_entity_too_large");
        CHECK(
            std::string(document["msg"].GetString()) == "Request body too large (max 1048576 bytes)"
        );
        CHECK(response.headers.Get("x-sb-error-code") == "request_entity_too_large");
    }

    TEST_CASE("the request id comes from the configured header when present") {
        auto config = TestConfig();
        config.api.request_id_header = "X-Request-Id";
        ApiFixture fixture(config);
        const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request request = Get("/health");
        request.headers.Set("x-request-id", "given-id");
        static_cast<void>(api.Handle(request));
        CHECK(request.request_id == "given-id");
        Request other = Get("/health");
        static_cast<void>(api.Handle(other));
        CHECK(other.request_id.size() == 36);
    }

    TEST_CASE("CORS reflects the origin and answers preflight requests") {
        const auto config = TestConfig();
        ApiFixture fixture(config);
        const Api api({config, "v", fixture.pool, fixture.database, fixture.mail.Templates()});
        Request request = Get("/settings");
        request.headers.Set("Origin", "http://app.example");
        const Response response = api.Handle(request);
        CHECK(response.headers.Get("Access-Control-Allow-Origin") == "http://app.example");
        CHECK(response.headers.Get("Access-Control-Allow-Credentials") == "true");
        CHECK(
            response.headers.Get("Access-Control-Expose-Headers") ==
            "X-Total-Count, Link, X-Supabase-Api-Version"
        );

        Request preflight = Get("/signup");
        preflight.method = "OPTIONS";
        preflight.headers.Set("Origin", "http://app.example");
        preflight.headers.Set("Access-Control-Request-Method", "POST");
        preflight.headers.Set(
            "Access-Control-Request-Headers", "authorization, x-client-info, content-type"
        );
        const Response allowed = api.Handle(preflight);
        CHECK(allowed.status == 204);
        CHECK(allowed.headers.Get("Access-Control-Allow-Methods") == "POST");
        CHECK(allowed.headers.Get("Access-Control-Allow-Origin") == "http://app.example");

        preflight.headers.Set("Access-Control-Request-Headers", "x-not-allowed");
        const Response refused = api.Handle(preflight);
        CHECK(refused.status == 204);
        CHECK_FALSE(refused.headers.Has("Access-Control-Allow-Origin"));
    }
}
