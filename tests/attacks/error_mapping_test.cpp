// Attack replays through the real binary: input that got a 500 where a 4xx is due (finding 9).
// auth-js retries 5xx and operators get paged for them, so every input class a client controls
// must answer 4xx in GoTrue's shape. The classes: JSON text the database cannot store (U+0000,
// lone surrogates), bytes that are not UTF-8 in headers and query strings, values PostgreSQL
// refuses (SQLSTATE class 22).

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/database.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::UniqueEmail;

namespace {

void CheckClientError(const gotrue::testing::HttpResponse& response, const std::string& code) {
    CHECK_MESSAGE(response.status >= 400, response.body);
    CHECK_MESSAGE(response.status < 500, response.body);
    CHECK(JsonString(response.body, "error_code") == code);
}

}  // namespace

TEST_SUITE("error mapping") {
    TEST_CASE("U+0000 anywhere in a JSON body is 400 bad_json, never stored") {
        AuthServer server;
        const std::string email = UniqueEmail("nul");
        CheckClientError(
            server.Post("/signup", R"({"email":")" + email + R"(","password":"secret\u0000123"})"),
            "bad_json"
        );
        CheckClientError(
            server.Post(
                "/signup",
                R"({"email":")" + email + R"(","password":"secret-123","data":{"a\u0000":1}})"
            ),
            "bad_json"
        );
        CheckClientError(
            server.Post(
                "/signup",
                R"({"email":")" + email +
                    R"(","password":"secret-123","data":{"nested":[{"x":"\u0000"}]}})"
            ),
            "bad_json"
        );
        CheckClientError(
            server.Post("/token?grant_type=password", R"({"email":"a@b.co","password":"\u0000"})"),
            "bad_json"
        );
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + email + "'"
            ) == "0"
        );
    }

    TEST_CASE("lone surrogates in tokens and metadata are read as U+FFFD, as Go does") {
        AuthServer server;
        const auto hash = server.Post("/verify", R"({"type":"signup","token_hash":"\udc00abc"})");
        CHECK(hash.status == 403);
        CHECK(JsonString(hash.body, "error_code") == "otp_expired");
        const auto refresh = server.Post(
            "/token?grant_type=refresh_token", R"({"refresh_token":"\udc00aaaaaaaaaaaa"})"
        );
        CHECK(refresh.status == 400);
        const std::string email = UniqueEmail("surrogate");
        const auto signup = server.Post(
            "/signup",
            R"({"email":")" + email + R"(","password":"secret-123","data":{"name":"a\udc00b"}})"
        );
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        CHECK(
            server.Database().Scalar(
                "SELECT raw_user_meta_data->>'name' FROM auth.users WHERE email = '" + email + "'"
            ) ==
            "a\xEF\xBF\xBD"
            "b"
        );
        // A lone high surrogate is not valid JSON text for RapidJSON: 400, not 500.
        CheckClientError(
            server.Post("/verify", R"({"type":"signup","token_hash":"\ud800"})"), "bad_json"
        );
    }

    TEST_CASE("bytes that are not UTF-8 in headers and the query string are never a 500") {
        AuthServer server;
        const std::string email = UniqueEmail("latin1");
        const auto signup = server.Post(
            "/signup",
            R"({"email":")" + email + R"(","password":"secret-123"})",
            {"X-JWT-AUD: caf\xE9", "User-Agent: Mozilla \xFF\xFE"}
        );
        CHECK_MESSAGE(signup.status == 200, signup.body);
        CHECK(
            server.Database().Scalar("SELECT aud FROM auth.users WHERE email = '" + email + "'") ==
            "caf\xEF\xBF\xBD"
        );
        const auto token = server.Post(
            "/token?grant_type=password",
            R"({"email":")" + email + R"(","password":"secret-123"})",
            {"User-Agent: \xC0\xAF"}
        );
        CHECK(token.status < 500);
        const auto verify = server.Get("/verify?type=signup&token=%FF%FE%00&redirect_to=%C0%AF");
        CHECK(verify.status == 303);
        const auto admin_path = server.Get("/admin/users/%FF%00");
        CHECK(admin_path.status < 500);
    }

    TEST_CASE("values PostgreSQL refuses (SQLSTATE class 22) are 400 validation_failed") {
        AuthServer server;
        // auth.users.aud is varchar(255): a longer audience used to be "value too long", 500.
        const auto long_audience = server.Post(
            "/signup",
            R"({"email":")" + UniqueEmail("aud") + R"(","password":"secret-123"})",
            {"X-JWT-AUD: " + std::string(300, 'a')}
        );
        CheckClientError(long_audience, "validation_failed");
        CHECK(server.Get("/health").status == 200);
    }

    TEST_CASE("parser differentials: of duplicate keys the last wins as in Go, a BOM is 400") {
        AuthServer server;
        const std::string first = UniqueEmail("dup-first");
        const std::string last = UniqueEmail("dup-last");
        const auto signup = server.Post(
            "/signup",
            R"({"email":")" + first + R"(","password":"secret-123","email":")" + last + R"("})"
        );
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        CHECK(JsonString(signup.body, "email") == last);
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + first + "'"
            ) == "0"
        );
        const auto bom = server.Post(
            "/signup", "\xEF\xBB\xBF{\"email\":\"" + UniqueEmail("bom") + "\",\"password\":\"x\"}"
        );
        CheckClientError(bom, "bad_json");
        CHECK(
            JsonString(bom.body, "msg").find("looking for beginning of value") != std::string::npos
        );
    }
}
