// Attack replays through the real binary: hygiene.

#include <string>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

namespace {

std::string Credentials(const std::string& email, const std::string& password) {
    return R"({"email":")" + email + R"(","password":")" + password + "\"}";
}

}  // namespace

TEST_SUITE("hygiene") {
    TEST_CASE("bcrypt truncation: a 72-byte password does not accept any suffix") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}});
        const std::string email = UniqueEmail("bcrypt72");
        const std::string password(72, 'p');
        REQUIRE(server.Post("/signup", Credentials(email, password)).status == 200);

        for (const std::string& suffix : {std::string("x"), std::string(100, 'z')}) {
            const auto attempt =
                server.Post("/token?grant_type=password", Credentials(email, password + suffix));
            CHECK(attempt.status == 400);
            CHECK(JsonString(attempt.body, "error_code") == "invalid_credentials");
        }
        const auto exact = server.Post("/token?grant_type=password", Credentials(email, password));
        CHECK(exact.status == 200);
        CHECK_FALSE(JsonString(exact.body, "access_token").empty());
        // Signing up with the longer password is refused outright.
        const auto longer =
            server.Post("/signup", Credentials(UniqueEmail("bcrypt73"), password + "x"));
        CHECK(longer.status == 400);
        CHECK(JsonString(longer.body, "error_code") == "validation_failed");
    }
}
