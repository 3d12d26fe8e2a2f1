// Attack replays through the real binary: guessing.
//
// The link of a mail carries a random token of its own: were it sha224(address + code), anyone
// knowing the address could compute the 10^6 candidate links offline and try them on /verify.

#include <chrono>
#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

// The newest mail to `email`, once `count` mails arrived there.
gotrue::testing::Mail NthMail(const std::string& email, std::size_t count) {
    const auto mails = WaitForMail(SharedMaildir(), email, count);
    REQUIRE(mails.size() == count);
    return mails.back();
}

struct CodeMail {
    std::string code;
    std::string link;
};

// POST /otp for a confirmed user: the sign-in mail (number `count` to that address).
CodeMail RequestCode(const std::string& url, const std::string& email, std::size_t count) {
    const auto response =
        gotrue::testing::Post(url + "/otp", R"({"email":")" + email + R"(","create_user":false})");
    REQUIRE_MESSAGE(response.status == 200, response.body);
    const auto mail = NthMail(email, count);
    CodeMail result{gotrue::testing::CodeIn(mail), gotrue::testing::LinkIn(mail)};
    REQUIRE(result.code.size() == 6);
    REQUIRE_FALSE(result.link.empty());
    return result;
}

std::string UserColumn(
    const AuthServer& server, const std::string& user_id, const std::string& column
) {
    return server.Database().Scalar(
        "SELECT coalesce(" + column + ", '') FROM auth.users WHERE id = '" + user_id + "'"
    );
}

bool IsSessionRedirect(const HttpResponse& response) {
    const auto location = response.headers.find("location");
    return response.status == 303 && location != response.headers.end() &&
           !UrlParam(location->second, "access_token").empty();
}

std::string ServiceRoleToken(const AuthServer& server) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()
    )
                              .count();
    rapidjson::Document claims;
    claims.Parse((R"({"role":"service_role","exp":)" + std::to_string(now + 600) + "}").c_str());
    return gotrue::tokens::SignHs256(claims, server.Env().at("GOTRUE_JWT_SECRET"));
}

}  // namespace

TEST_SUITE("guessing") {
    TEST_CASE(
        "link tokens are not derived from the code: the mail's link token is not "
        "sha224(email + code)"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-link");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);
        const std::string link_token = UrlParam(mail.link, "token");
        const std::string code_hash = gotrue::crypto::GenerateTokenHash(email, mail.code);

        CHECK(link_token.size() == 56);
        CHECK(link_token.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(link_token != code_hash);
        // Upstream GoTrue on this database: codes are compared with the users column, links
        // looked up in one_time_tokens; both hold what it expects.
        CHECK(UserColumn(server, user_id, "recovery_token") == code_hash);
        CHECK(
            server.Database().Scalar(
                "SELECT token_hash FROM auth.one_time_tokens WHERE user_id = '" + user_id +
                "' AND token_type = 'recovery_token'"
            ) == link_token
        );
        // The code's hash is no link.
        const auto computed =
            server.Post("/verify", R"({"type":"magiclink","token_hash":")" + code_hash + "\"}");
        CHECK(computed.status == 403);
        CHECK(JsonString(computed.body, "msg") == "Email link is invalid or has expired");

        // Admin generate_link returns the link token as hashed_token.
        const auto generated = server.Post(
            "/admin/generate_link",
            R"({"type":"magiclink","email":")" + email + "\"}",
            {Bearer(ServiceRoleToken(server))}
        );
        REQUIRE_MESSAGE(generated.status == 200, generated.body);
        const std::string hashed_token = JsonString(generated.body, "hashed_token");
        CHECK(
            hashed_token !=
            gotrue::crypto::GenerateTokenHash(email, JsonString(generated.body, "email_otp"))
        );
        CHECK(UrlParam(JsonString(generated.body, "action_link"), "token") == hashed_token);
        CHECK(IsSessionRedirect(
            gotrue::testing::Send({"GET", JsonString(generated.body, "action_link"), "", {}})
        ));
    }

    TEST_CASE("link tokens written by older versions (the code's hash) still verify") {
        AuthServer server;
        const std::string email = UniqueEmail("guess-legacy");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);
        const std::string code_hash = gotrue::crypto::GenerateTokenHash(email, mail.code);
        server.Database().Execute(
            "UPDATE auth.one_time_tokens SET token_hash = '" + code_hash + "' WHERE user_id = '" +
            user_id + "' AND token_type = 'recovery_token'"
        );
        const auto legacy = gotrue::testing::Send(
            {"GET", server.Url() + "/verify?type=magiclink&token=" + code_hash, "", {}}
        );
        CHECK(IsSessionRedirect(legacy));
    }
}
