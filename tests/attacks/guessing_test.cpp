// Attack replays through the real binary: guessing.
//
// A 6-digit code has 10^6 values: without a bound an attacker who triggers the code mail (/otp,
// /recover) tries them all in minutes. Each user gets 5 wrong codes per hour, then the codes are
// cleared and refused until the hour is over; the link of the same mail carries a random token of
// its own, so it cannot be computed from the address and a code.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::ServiceRoleToken;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

constexpr const char* kCodeInvalid = "Token has expired or is invalid";

// A mail sent right before is within GOTRUE_SMTP_MAX_FREQUENCY (1s in the tests).
void WaitOutMaxFrequency() {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
}

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

// The `n`-th 6-digit code that is not `right`.
std::string WrongCode(const std::string& right, int n) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%06d", (std::stoi(right) + 1 + n) % 1000000);
    return buffer;
}

HttpResponse VerifyCode(
    const std::string& url,
    const std::string& email,
    const std::string& code,
    const std::string& type = "magiclink"
) {
    return gotrue::testing::Post(
        url + "/verify",
        R"({"type":")" + type + R"(","email":")" + email + R"(","token":")" + code + "\"}"
    );
}

// The failures the database holds for the user ("" when it holds none).
std::string Failures(const AuthServer& server, const std::string& user_id) {
    return server.Database().Scalar(
        "SELECT failures FROM auth.verification_attempts WHERE user_id = '" + user_id + "'"
    );
}

std::string UserColumn(
    const AuthServer& server, const std::string& user_id, const std::string& column
) {
    return server.Database().Scalar(
        "SELECT coalesce(" + column + ", '') FROM auth.users WHERE id = '" + user_id + "'"
    );
}

// A 429 of the failed-attempt bound, with Retry-After within the hour.
void CheckLockedOut(const HttpResponse& response) {
    CHECK(response.status == 429);
    CHECK(JsonString(response.body, "error_code") == "over_request_rate_limit");
    CHECK(
        JsonString(response.body, "msg").find("Too many failed verification attempts") !=
        std::string::npos
    );
    REQUIRE(response.headers.count("retry-after") == 1);
    const int retry_after = std::stoi(response.headers.at("retry-after"));
    CHECK(retry_after > 0);
    CHECK(retry_after <= 3600);
}

bool IsSessionRedirect(const HttpResponse& response) {
    const auto location = response.headers.find("location");
    return response.status == 303 && location != response.headers.end() &&
           !UrlParam(location->second, "access_token").empty();
}

// Sends 4 wrong codes (each a 403) and a 5th (the lockout's 429).
void ReachTheBound(const std::string& url, const std::string& email, const std::string& right) {
    for (int i = 0; i < 4; ++i) {
        const auto wrong = VerifyCode(url, email, WrongCode(right, i));
        CHECK(wrong.status == 403);
        CHECK(JsonString(wrong.body, "msg") == kCodeInvalid);
    }
    CheckLockedOut(VerifyCode(url, email, WrongCode(right, 4)));
}

}  // namespace

TEST_SUITE("guessing") {
    TEST_CASE(
        "6-digit codes have a failed-attempt bound: after 5 wrong codes the right one is "
        "refused with Retry-After and the link still works"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-bound");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);

        ReachTheBound(server.Url(), email, mail.code);

        CheckLockedOut(VerifyCode(server.Url(), email, mail.code));
        CHECK(Failures(server, user_id) == "5");
        CHECK(UserColumn(server, user_id, "recovery_token").empty());  // the code is burned
        // The link is not guessable, so it stays valid, and it resets the count.
        CHECK(IsSessionRedirect(gotrue::testing::Send({"GET", mail.link, "", {}})));
        CHECK(Failures(server, user_id).empty());
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: a burned code stays burned after the "
        "window, a new code works"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-window");
        server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);
        ReachTheBound(server.Url(), email, mail.code);

        server.Database().Execute(
            "UPDATE auth.verification_attempts SET window_started_at = now() - interval '61 "
            "minutes'"
        );
        const auto burned = VerifyCode(server.Url(), email, mail.code);
        CHECK(burned.status == 403);
        CHECK(JsonString(burned.body, "error_code") == "otp_expired");

        WaitOutMaxFrequency();
        const CodeMail fresh = RequestCode(server.Url(), email, 3);
        const auto ok = VerifyCode(server.Url(), email, fresh.code);
        CHECK_MESSAGE(ok.status == 200, ok.body);
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: the count is in the database and "
        "survives a restart"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-restart");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);
        ReachTheBound(server.Url(), email, mail.code);

        server.Process().Signal(SIGTERM);
        REQUIRE(server.Process().WaitExit(std::chrono::seconds(30)) == 0);
        gotrue::testing::GotrueProcess restarted({"serve"}, server.Env());
        REQUIRE_MESSAGE(restarted.WaitReady(), restarted.Output());

        // Even a code mailed after the restart is refused until the window ends.
        WaitOutMaxFrequency();
        const CodeMail fresh = RequestCode(restarted.Url(), email, 3);
        CheckLockedOut(VerifyCode(restarted.Url(), email, fresh.code));
        CHECK(Failures(server, user_id) == "5");
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: 50 parallel wrong codes are counted one "
        "after the other"
    ) {
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_DB_MAX_POOL_SIZE", "20"}, {"GOTRUE_DB_ACQUIRE_TIMEOUT", "60s"}}
        );
        const std::string email = UniqueEmail("guess-parallel");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail mail = RequestCode(server.Url(), email, 2);
        std::vector<HttpResponse> responses(50);
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int i = 0; i < 50; ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) {
                    std::this_thread::yield();
                }
                responses[static_cast<std::size_t>(i)] =
                    VerifyCode(server.Url(), email, WrongCode(mail.code, i));
            });
        }
        go.store(true);
        for (auto& thread : threads) {
            thread.join();
        }
        int wrong = 0;
        int locked = 0;
        for (const auto& response : responses) {
            wrong += response.status == 403 && JsonString(response.body, "msg") == kCodeInvalid;
            locked += response.status == 429;
        }
        CHECK(wrong == 4);
        CHECK(locked == 46);
        CHECK(Failures(server, user_id) == "5");
        CheckLockedOut(VerifyCode(server.Url(), email, mail.code));
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: codes for an unknown address are "
        "refused as before and count nothing"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-nobody");
        for (int i = 0; i < 7; ++i) {
            const auto response = VerifyCode(server.Url(), email, WrongCode("000000", i));
            CHECK(response.status == 403);
            CHECK(JsonString(response.body, "error_code") == "otp_expired");
            CHECK(JsonString(response.body, "msg") == kCodeInvalid);
            CHECK(response.headers.count("retry-after") == 0);
        }
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.verification_attempts") == "0");
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: a right code signs in and resets the "
        "count"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-reset");
        const std::string user_id = server.SignUpConfirmed(email);
        const CodeMail first = RequestCode(server.Url(), email, 2);
        for (int i = 0; i < 3; ++i) {
            CHECK(VerifyCode(server.Url(), email, WrongCode(first.code, i)).status == 403);
        }
        CHECK(Failures(server, user_id) == "3");
        const auto ok = VerifyCode(server.Url(), email, first.code);
        REQUIRE_MESSAGE(ok.status == 200, ok.body);
        CHECK_FALSE(JsonString(ok.body, "access_token").empty());
        CHECK(Failures(server, user_id).empty());

        // 3 + 4 would pass the bound had the success not reset the count.
        WaitOutMaxFrequency();
        const CodeMail second = RequestCode(server.Url(), email, 3);
        for (int i = 0; i < 4; ++i) {
            CHECK(VerifyCode(server.Url(), email, WrongCode(second.code, i)).status == 403);
        }
        CHECK(VerifyCode(server.Url(), email, second.code).status == 200);
    }

    TEST_CASE(
        "6-digit codes have a failed-attempt bound: wrong email-change codes count, and the "
        "two links still confirm the change"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("guess-change-old");
        const std::string new_email = UniqueEmail("guess-change-new");
        const std::string user_id = server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        REQUIRE(
            server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)}).status == 200
        );
        const auto to_new = NthMail(new_email, 1);
        const std::string code = gotrue::testing::CodeIn(to_new);
        for (int i = 0; i < 4; ++i) {
            CHECK(
                VerifyCode(server.Url(), new_email, WrongCode(code, i), "email_change").status ==
                403
            );
        }
        CheckLockedOut(VerifyCode(server.Url(), new_email, WrongCode(code, 4), "email_change"));
        CheckLockedOut(VerifyCode(server.Url(), new_email, code, "email_change"));

        // Both codes are burned, yet the change still needs both links.
        const auto first = gotrue::testing::Send({"GET", gotrue::testing::LinkIn(to_new), "", {}});
        REQUIRE(first.status == 303);
        CHECK_FALSE(UrlParam(first.headers.at("location"), "message").empty());
        CHECK(UserColumn(server, user_id, "email") == email);
        const auto second =
            gotrue::testing::Send({"GET", gotrue::testing::LinkIn(NthMail(email, 2)), "", {}});
        CHECK(IsSessionRedirect(second));
        CHECK(UserColumn(server, user_id, "email") == new_email);
    }

    TEST_CASE("reauthentication nonces have the failed-attempt bound too") {
        AuthServer server(
            MailMode::kSync, {{"GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION", "true"}}
        );
        const std::string email = UniqueEmail("guess-nonce");
        const std::string user_id = server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        server.Database().Execute("UPDATE auth.sessions SET created_at = now() - interval '2 days'"
        );
        REQUIRE(server.Get("/reauthenticate", {Bearer(token)}).status == 200);
        const std::string nonce =
            gotrue::testing::DecodeHeaderWords(NthMail(email, 2).Header("Subject")).substr(0, 6);
        const auto change_password = [&](const std::string& guess) {
            return server.Put(
                "/user",
                R"({"password":"new-secret-456","nonce":")" + guess + "\"}",
                {Bearer(token)}
            );
        };
        for (int i = 0; i < 4; ++i) {
            const auto wrong = change_password(WrongCode(nonce, i));
            CHECK(wrong.status == 422);
            CHECK(JsonString(wrong.body, "error_code") == "reauthentication_not_valid");
        }
        CheckLockedOut(change_password(WrongCode(nonce, 4)));
        const auto refused = change_password(nonce);
        CheckLockedOut(refused);
        CHECK(JsonString(refused.body, "msg").find("link") == std::string::npos);  // it has none
        CHECK(UserColumn(server, user_id, "reauthentication_token").empty());
        CHECK(server.SignIn(email, "secret-123").status == 200);  // the password did not change
    }

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
