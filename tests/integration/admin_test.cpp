// The admin API through the real binary (GoTrue's internal/api/admin.go and invite.go).

#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::JsonString;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

std::string RoleToken(const AuthServer& server, const std::string& role) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()
    )
                              .count();
    rapidjson::Document claims;
    claims.Parse((R"({"role":")" + role + R"(","exp":)" + std::to_string(now + 600) + "}").c_str());
    return gotrue::tokens::SignHs256(claims, server.Env().at("GOTRUE_JWT_SECRET"));
}

std::string Admin(const AuthServer& server) {
    return Bearer(RoleToken(server, "service_role"));
}

}  // namespace

TEST_SUITE("admin") {
    TEST_CASE("only admin roles get in") {
        AuthServer server;
        CHECK(server.Get("/admin/users").status == 401);
        const auto user_role =
            server.Get("/admin/users", {Bearer(RoleToken(server, "authenticated"))});
        CHECK(user_role.status == 403);
        CHECK(JsonString(user_role.body, "error_code") == "not_admin");
        CHECK(JsonString(user_role.body, "msg") == "User not allowed");
        CHECK(
            server.Get("/admin/users", {Bearer(RoleToken(server, "supabase_admin"))}).status == 200
        );
    }

    TEST_CASE("create, read, update, list and delete users") {
        AuthServer server;
        const std::string email = UniqueEmail("admin-create");
        const auto created = server.Post(
            "/admin/users",
            R"({"email":")" + email +
                R"(","password":"secret-123","email_confirm":true,"user_metadata":{"name":"Ada"},"app_metadata":{"plan":"gold"}})",
            {Admin(server)}
        );
        REQUIRE_MESSAGE(created.status == 200, created.body);
        const std::string id = JsonString(created.body, "id");
        CHECK(created.body.find("\"email_confirmed_at\"") != std::string::npos);
        CHECK(created.body.find(R"("plan":"gold")") != std::string::npos);
        CHECK(created.body.find(R"("provider":"email")") != std::string::npos);
        CHECK(server.SignIn(email).status == 200);  // no mail was needed

        const auto duplicate =
            server.Post("/admin/users", R"({"email":")" + email + "\"}", {Admin(server)});
        CHECK(duplicate.status == 422);
        CHECK(JsonString(duplicate.body, "error_code") == "email_exists");
        CHECK(
            JsonString(server.Post("/admin/users", "{}", {Admin(server)}).body, "msg") ==
            "Cannot create a user without either an email or phone"
        );
        CHECK(
            server
                .Post(
                    "/admin/users",
                    R"({"email":"x@example.com","password":"a","password_hash":"b"})",
                    {Admin(server)}
                )
                .status == 400
        );

        const auto fetched = server.Get("/admin/users/" + id, {Admin(server)});
        CHECK(fetched.status == 200);
        CHECK(JsonString(fetched.body, "email") == email);
        const auto bad_id = server.Get("/admin/users/not-a-uuid", {Admin(server)});
        CHECK(bad_id.status == 404);
        CHECK(JsonString(bad_id.body, "msg") == "user_id must be an UUID");
        const auto missing =
            server.Get("/admin/users/11111111-2222-3333-4444-555555555555", {Admin(server)});
        CHECK(missing.status == 404);
        CHECK(JsonString(missing.body, "error_code") == "user_not_found");

        const auto updated = server.Put(
            "/admin/users/" + id,
            R"({"user_metadata":{"name":"Grace"},"ban_duration":"1h"})",
            {Admin(server)}
        );
        REQUIRE(updated.status == 200);
        CHECK(updated.body.find(R"("name":"Grace")") != std::string::npos);
        CHECK(updated.body.find("\"banned_until\"") != std::string::npos);
        CHECK(
            server
                .Post(
                    "/token?grant_type=password",
                    R"({"email":")" + email + R"(","password":"secret-123"})"
                )
                .status == 400
        );
        REQUIRE(
            server
                .Put(
                    "/admin/users/" + id,
                    R"({"ban_duration":"none","password":"changed-456"})",
                    {Admin(server)}
                )
                .status == 200
        );
        CHECK(server.SignIn(email, "changed-456").status == 200);
        CHECK(
            server.Put("/admin/users/" + id, R"({"password":"abc"})", {Admin(server)}).status == 422
        );

        for (int i = 0; i < 3; ++i) {
            REQUIRE(
                server
                    .Post(
                        "/admin/users",
                        R"({"email":")" + UniqueEmail("admin-list") + "\"}",
                        {Admin(server)}
                    )
                    .status == 200
            );
        }
        const auto page = server.Get("/admin/users?page=1&per_page=2", {Admin(server)});
        REQUIRE(page.status == 200);
        CHECK(page.headers.at("x-total-count") == "4");
        CHECK(
            page.headers.at("link") ==
            "</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page=2&per_page=2>; "
            "rel=\"last\""
        );
        rapidjson::Document list;
        list.Parse(page.body.c_str());
        CHECK(list["users"].Size() == 2);
        CHECK(std::string(list["aud"].GetString()) == "authenticated");
        CHECK(server.Get("/admin/users?page=0", {Admin(server)}).status == 400);
        const auto filtered = server.Get("/admin/users?filter=admin-create", {Admin(server)});
        CHECK(filtered.headers.at("x-total-count") == "1");

        REQUIRE(
            server
                .Request(
                    "DELETE",
                    "/admin/users/" + id,
                    R"({"should_soft_delete":true})",
                    {Admin(server)}
                )
                .status == 200
        );
        CHECK(
            server.Database().Scalar(
                "SELECT deleted_at IS NOT NULL FROM auth.users WHERE id = '" + id + "'"
            ) == "t"
        );
        CHECK(
            server.Database()
                .Scalar("SELECT email FROM auth.users WHERE id = '" + id + "'")
                .find("@deleted.invalid") != std::string::npos
        );
        CHECK(
            server
                .Post(
                    "/token?grant_type=password",
                    R"({"email":")" + email + R"(","password":"changed-456"})"
                )
                .status == 400
        );
        REQUIRE(server.Request("DELETE", "/admin/users/" + id, "", {Admin(server)}).status == 200);
        CHECK(
            server.Database().Scalar("SELECT count(*) FROM auth.users WHERE id = '" + id + "'") ==
            "0"
        );
    }

    TEST_CASE("invite: mail with an invite link that signs the user in, confirmed users refused") {
        AuthServer server;
        const std::string email = UniqueEmail("invite");
        const auto invited = server.Post(
            "/invite", R"({"email":")" + email + R"(","data":{"team":"blue"}})", {Admin(server)}
        );
        REQUIRE_MESSAGE(invited.status == 200, invited.body);
        CHECK(invited.body.find("\"invited_at\"") != std::string::npos);
        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        CHECK(mails.front().Header("Subject") == "You've been invited");
        const std::string link = gotrue::testing::LinkIn(mails.front());
        CHECK(link.find("type=invite") != std::string::npos);
        const auto verified = gotrue::testing::Send({"GET", link, "", {}});
        REQUIRE(verified.status == 303);
        CHECK(gotrue::testing::UrlParam(verified.headers.at("location"), "type") == "invite");
        const auto again = server.Post("/invite", R"({"email":")" + email + "\"}", {Admin(server)});
        CHECK(again.status == 422);
        CHECK(JsonString(again.body, "error_code") == "email_exists");
    }

    TEST_CASE("generate_link returns the link and sends nothing") {
        AuthServer server;
        const std::string email = UniqueEmail("generate");
        const auto signup = server.Post(
            "/admin/generate_link",
            R"({"type":"signup","email":")" + email + R"(","password":"secret-123"})",
            {Admin(server)}
        );
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        const std::string link = JsonString(signup.body, "action_link");
        CHECK(
            link.find(
                "/verify?token=" + JsonString(signup.body, "hashed_token") + "&type=signup"
            ) != std::string::npos
        );
        CHECK(JsonString(signup.body, "email_otp").size() == 6);
        CHECK(JsonString(signup.body, "verification_type") == "signup");
        CHECK(JsonString(signup.body, "email") == email);
        CHECK(WaitForMail(SharedMaildir(), email, 1, std::chrono::milliseconds(500)).empty());
        REQUIRE(gotrue::testing::Send({"GET", link, "", {}}).status == 303);

        const auto recovery = server.Post(
            "/admin/generate_link",
            R"({"type":"recovery","email":")" + email + "\"}",
            {Admin(server)}
        );
        REQUIRE(recovery.status == 200);
        CHECK(JsonString(recovery.body, "verification_type") == "recovery");
        const auto code = server.Post(
            "/verify",
            R"({"type":"recovery","email":")" + email + R"(","token":")" +
                JsonString(recovery.body, "email_otp") + "\"}"
        );
        CHECK(code.status == 200);
        const auto unknown = server.Post(
            "/admin/generate_link",
            R"({"type":"magiclink","email":")" + UniqueEmail("nobody") + "\"}",
            {Admin(server)}
        );
        CHECK(unknown.status == 404);
        CHECK(
            server
                .Post(
                    "/admin/generate_link",
                    R"({"type":"bogus","email":"a@example.com"})",
                    {Admin(server)}
                )
                .status == 400
        );
    }

    TEST_CASE("anonymous users are listed, and an address with email_confirm makes them permanent"
    ) {
        AuthServer server(
            gotrue::testing::MailMode::kSync, {{"GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED", "true"}}
        );
        const std::string email = UniqueEmail("admin-listed");
        server.SignUpConfirmed(email);
        std::vector<std::string> anonymous_ids;
        for (int i = 0; i < 2; ++i) {
            const auto session = server.Post("/signup", "{}");
            REQUIRE_MESSAGE(session.status == 200, session.body);
            rapidjson::Document document;
            document.Parse(session.body.c_str());
            anonymous_ids.emplace_back(document["user"]["id"].GetString());
        }
        // As upstream, the list has no anonymous filter: every user of the audience.
        const auto listed = server.Get("/admin/users", {Admin(server)});
        REQUIRE(listed.status == 200);
        CHECK(listed.headers.at("x-total-count") == "3");
        rapidjson::Document list;
        list.Parse(listed.body.c_str());
        int anonymous = 0;
        for (const auto& user : list["users"].GetArray()) {
            anonymous += user["is_anonymous"].GetBool() ? 1 : 0;
            CHECK(user["is_anonymous"].GetBool() == std::string(user["email"].GetString()).empty());
        }
        CHECK(anonymous == 2);
        // A filter matches addresses, which anonymous users do not have.
        const auto filtered = server.Get("/admin/users?filter=admin-listed", {Admin(server)});
        CHECK(filtered.headers.at("x-total-count") == "1");

        // upstream's TestAdminUpdateAnonymousUser: an email identity either way; only a
        // confirmed address ends the anonymity.
        const auto set_email = [&](const std::string& id, const std::string& address, bool confirm
                               ) {
            const auto updated = server.Put(
                "/admin/users/" + id,
                R"({"email":")" + address + R"(","email_confirm":)" + (confirm ? "true" : "false") +
                    "}",
                {Admin(server)}
            );
            REQUIRE_MESSAGE(updated.status == 200, updated.body);
            CHECK(JsonString(updated.body, "email") == address);
            return updated.body;
        };
        const std::string confirmed =
            set_email(anonymous_ids[0], UniqueEmail("admin-anon-confirmed"), true);
        CHECK(confirmed.find(R"("is_anonymous":false)") != std::string::npos);
        CHECK(confirmed.find(R"("provider":"email","providers":["email"])") != std::string::npos);
        CHECK(confirmed.find(R"("email_verified":true)") != std::string::npos);
        const std::string unconfirmed =
            set_email(anonymous_ids[1], UniqueEmail("admin-anon-unconfirmed"), false);
        CHECK(unconfirmed.find(R"("is_anonymous":true)") != std::string::npos);
        CHECK(unconfirmed.find(R"("email_verified":false)") != std::string::npos);
        const auto& db = server.Database();
        CHECK(
            db.Scalar(
                "SELECT count(*) FROM auth.identities WHERE user_id IN ('" + anonymous_ids[0] +
                "', '" + anonymous_ids[1] + "') AND provider = 'email'"
            ) == "2"
        );
        CHECK(db.Scalar("SELECT count(*) FROM auth.users WHERE is_anonymous") == "1");
    }
}
