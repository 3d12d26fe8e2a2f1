// Attack replays through the real binary: replay.
//
// One email link, code, PKCE auth code, reauthentication nonce or TOTP code redeemed by many
// parallel requests must give exactly one session (or one password change, or one aal2 upgrade):
// the handlers lock the user row and then claim the token atomically (DELETE ... RETURNING / a
// conditional UPDATE / the flow state row locked and deleted), so the losers of the race find
// nothing left to claim.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "crypto/totp.hpp"
#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

constexpr int kParallel = 50;

// Enough room for 50 requests that queue on one user row: none of them may fail for lack of a
// database connection, only because the token was already used.
const gotrue::testing::EnvMap kRoomyPool{
    {"GOTRUE_DB_MAX_POOL_SIZE", "20"},
    {"GOTRUE_DB_ACQUIRE_TIMEOUT", "60s"},
};

// Runs `request` from `count` threads released together, so the requests overlap.
std::vector<HttpResponse> InParallel(int count, const std::function<HttpResponse()>& request) {
    std::vector<HttpResponse> responses(static_cast<std::size_t>(count));
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (auto& response : responses) {
        threads.emplace_back([&go, &request, &response] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            response = request();
        });
    }
    go.store(true);
    for (auto& thread : threads) {
        thread.join();
    }
    return responses;
}

int CountStatus(const std::vector<HttpResponse>& responses, long status) {
    int count = 0;
    for (const auto& response : responses) {
        count += response.status == status ? 1 : 0;
    }
    return count;
}

std::string Location(const HttpResponse& response) {
    const auto it = response.headers.find("location");
    return it == response.headers.end() ? std::string() : it->second;
}

// GET /verify answers 303 either way: a session or an error in the fragment.
int CountSessionRedirects(const std::vector<HttpResponse>& responses) {
    int count = 0;
    for (const auto& response : responses) {
        count += response.status == 303 && !UrlParam(Location(response), "access_token").empty();
    }
    return count;
}

int CountErrorRedirects(const std::vector<HttpResponse>& responses, const std::string& code) {
    int count = 0;
    for (const auto& response : responses) {
        count += response.status == 303 && UrlParam(Location(response), "error_code") == code;
    }
    return count;
}

int CountErrorCode(
    const std::vector<HttpResponse>& responses, long status, const std::string& code
) {
    int count = 0;
    for (const auto& response : responses) {
        count += response.status == status && JsonString(response.body, "error_code") == code;
    }
    return count;
}

// A used code is a wrong code: replays of it count against the failed-attempt bound and, after
// five, are refused with 429 (tests/attacks/guessing_test.cpp).
int CountCodeRefusals(
    const std::vector<HttpResponse>& responses, long status, const std::string& code
) {
    return CountErrorCode(responses, status, code) +
           CountErrorCode(responses, 429, "over_request_rate_limit");
}

int SessionsOf(const AuthServer& server, const std::string& user_id) {
    return std::stoi(server.Database().Scalar(
        "SELECT count(*) FROM auth.sessions WHERE user_id = '" + user_id + "'"
    ));
}

// The newest mail to `email`, once `count` mails arrived there.
gotrue::testing::Mail NthMail(const std::string& email, std::size_t count) {
    const auto mails = WaitForMail(SharedMaildir(), email, count);
    REQUIRE(mails.size() == count);
    return mails.back();
}

// The reauthentication mail carries its code first in the subject ("123456 is your ...").
std::string NonceIn(const gotrue::testing::Mail& mail) {
    return gotrue::testing::DecodeHeaderWords(mail.Header("Subject")).substr(0, 6);
}

}  // namespace

TEST_SUITE("replay") {
    TEST_CASE(
        "one-time tokens are claimed atomically: 50 parallel redemptions of one magic link "
        "give one session"
    ) {
        AuthServer server(MailMode::kSync, kRoomyPool);
        const std::string email = UniqueEmail("replay-magiclink");
        const std::string user_id = server.SignUpConfirmed(email);
        REQUIRE(server.Post("/magiclink", R"({"email":")" + email + "\"}").status == 200);
        const std::string link = gotrue::testing::LinkIn(NthMail(email, 2));
        REQUIRE(link.find("type=magiclink") != std::string::npos);
        const int sessions_before = SessionsOf(server, user_id);

        const auto responses = InParallel(kParallel, [&] {
            return gotrue::testing::Send({"GET", link, "", {}});
        });

        CHECK(CountSessionRedirects(responses) == 1);
        CHECK(CountErrorRedirects(responses, "otp_expired") == kParallel - 1);
        CHECK(SessionsOf(server, user_id) == sessions_before + 1);
    }

    TEST_CASE(
        "one-time tokens are claimed atomically: 50 parallel POST /verify of one recovery "
        "token_hash give one session"
    ) {
        AuthServer server(MailMode::kSync, kRoomyPool);
        const std::string email = UniqueEmail("replay-recovery");
        const std::string user_id = server.SignUpConfirmed(email);
        REQUIRE(server.Post("/recover", R"({"email":")" + email + "\"}").status == 200);
        const std::string token_hash =
            UrlParam(gotrue::testing::LinkIn(NthMail(email, 2)), "token");
        REQUIRE_FALSE(token_hash.empty());
        const int sessions_before = SessionsOf(server, user_id);

        const auto responses = InParallel(kParallel, [&] {
            return server.Post(
                "/verify", R"({"type":"recovery","token_hash":")" + token_hash + "\"}"
            );
        });

        CHECK(CountStatus(responses, 200) == 1);
        CHECK(CountErrorCode(responses, 403, "otp_expired") == kParallel - 1);
        CHECK(SessionsOf(server, user_id) == sessions_before + 1);
    }

    TEST_CASE(
        "PKCE auth codes are exchanged once: 50 parallel POST /token?grant_type=pkce of one code "
        "give one session"
    ) {
        AuthServer server(MailMode::kSync, kRoomyPool);
        const std::string email = UniqueEmail("replay-pkce");
        const std::string user_id = server.SignUpConfirmed(email);
        // RFC 7636 Appendix B's verifier and its S256 challenge.
        const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        REQUIRE(
            server
                .Post(
                    "/magiclink",
                    R"({"email":")" + email +
                        R"(","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",)"
                        R"("code_challenge_method":"s256"})"
                )
                .status == 200
        );
        const auto verified =
            gotrue::testing::Send({"GET", gotrue::testing::LinkIn(NthMail(email, 2)), "", {}});
        REQUIRE(verified.status == 303);
        const std::string code = UrlParam(Location(verified), "code");
        REQUIRE_FALSE(code.empty());
        const int sessions_before = SessionsOf(server, user_id);

        const auto responses = InParallel(kParallel, [&] {
            return server.Post(
                "/token?grant_type=pkce",
                R"({"auth_code":")" + code + R"(","code_verifier":")" + verifier + "\"}"
            );
        });

        CHECK(CountStatus(responses, 200) == 1);
        CHECK(CountErrorCode(responses, 404, "flow_state_not_found") == kParallel - 1);
        CHECK(SessionsOf(server, user_id) == sessions_before + 1);
    }

    TEST_CASE(
        "one-time codes are claimed atomically: 50 parallel POST /verify of the right "
        "6-digit code give one session"
    ) {
        AuthServer server(MailMode::kSync, kRoomyPool);
        const std::string email = UniqueEmail("replay-code");
        const std::string user_id = server.SignUpConfirmed(email);
        REQUIRE(server.Post("/otp", R"({"email":")" + email + "\"}").status == 200);
        const std::string code = gotrue::testing::CodeIn(NthMail(email, 2));
        REQUIRE(code.size() == 6);
        const int sessions_before = SessionsOf(server, user_id);

        const auto responses = InParallel(kParallel, [&] {
            return server.Post(
                "/verify", R"({"type":"email","email":")" + email + R"(","token":")" + code + "\"}"
            );
        });

        CHECK(CountStatus(responses, 200) == 1);
        CHECK(CountCodeRefusals(responses, 403, "otp_expired") == kParallel - 1);
        CHECK(SessionsOf(server, user_id) == sessions_before + 1);
    }

    TEST_CASE(
        "email-change links are claimed atomically: 50 parallel redemptions of each link "
        "of a secure change confirm each side once"
    ) {
        AuthServer server(MailMode::kSync, kRoomyPool);
        const std::string email = UniqueEmail("replay-change-old");
        const std::string new_email = UniqueEmail("replay-change-new");
        const std::string user_id = server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        const auto changed =
            server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)});
        REQUIRE_MESSAGE(changed.status == 200, changed.body);
        const std::string to_new = gotrue::testing::LinkIn(NthMail(new_email, 1));
        const std::string to_current = gotrue::testing::LinkIn(NthMail(email, 2));
        const int sessions_before = SessionsOf(server, user_id);

        // The first link only records one confirmation: one "accepted" message, no session.
        const auto first = InParallel(kParallel, [&] {
            return gotrue::testing::Send({"GET", to_new, "", {}});
        });
        int accepted = 0;
        for (const auto& response : first) {
            accepted += !UrlParam(Location(response), "message").empty();
        }
        CHECK(accepted == 1);
        CHECK(CountSessionRedirects(first) == 0);
        CHECK(CountErrorRedirects(first, "otp_expired") == kParallel - 1);
        CHECK(
            server.Database().Scalar("SELECT email FROM auth.users WHERE id = '" + user_id + "'") ==
            email
        );

        // The second link completes the change exactly once.
        const auto second = InParallel(kParallel, [&] {
            return gotrue::testing::Send({"GET", to_current, "", {}});
        });
        CHECK(CountSessionRedirects(second) == 1);
        CHECK(CountErrorRedirects(second, "otp_expired") == kParallel - 1);
        CHECK(
            server.Database().Scalar("SELECT email FROM auth.users WHERE id = '" + user_id + "'") ==
            new_email
        );
        CHECK(SessionsOf(server, user_id) == sessions_before + 1);
    }

    TEST_CASE(
        "reauthentication nonces are claimed atomically: 50 parallel PUT /user with one "
        "nonce change the password once"
    ) {
        gotrue::testing::EnvMap env = kRoomyPool;
        env["GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION"] = "true";
        AuthServer server(MailMode::kSync, env);
        const std::string email = UniqueEmail("replay-nonce");
        const std::string user_id = server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        // Sessions younger than 24 hours need no nonce.
        server.Database().Execute("UPDATE auth.sessions SET created_at = now() - interval '2 days'"
        );
        REQUIRE(server.Get("/reauthenticate", {Bearer(token)}).status == 200);
        const std::string nonce = NonceIn(NthMail(email, 2));
        REQUIRE(nonce.size() == 6);
        std::atomic<int> next{0};

        const auto responses = InParallel(kParallel, [&] {
            const std::string password = "new-secret-" + std::to_string(next++);
            return server.Put(
                "/user",
                R"({"password":")" + password + R"(","nonce":")" + nonce + "\"}",
                {Bearer(token)}
            );
        });

        CHECK(CountStatus(responses, 200) == 1);
        CHECK(CountCodeRefusals(responses, 422, "reauthentication_not_valid") == kParallel - 1);
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.audit_log_entries WHERE payload->>'action' = "
                "'user_updated_password' AND payload->>'actor_id' = '" +
                user_id + "'"
            ) == "1"
        );
    }

    TEST_CASE("one TOTP code verified by 50 parallel requests upgrades the session once") {
        gotrue::testing::EnvMap env = kRoomyPool;
        env.emplace("GOTRUE_MAILER_AUTOCONFIRM", "true");
        const AuthServer server(MailMode::kSync, env);
        const std::string email = UniqueEmail("replay-totp");
        const auto signed_up =
            server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})");
        REQUIRE(signed_up.status == 200);
        const std::string token = Bearer(JsonString(signed_up.body, "access_token"));
        const auto enrolled = server.Post("/factors", R"({"factor_type":"totp"})", {token});
        REQUIRE_MESSAGE(enrolled.status == 200, enrolled.body);
        const std::string factor = JsonString(enrolled.body, "id");
        const auto secret = gotrue::crypto::Base32Decode(
            gotrue::testing::ParseJson(enrolled.body)["totp"]["secret"].GetString()
        );
        REQUIRE(secret.has_value());
        // Each request with its own challenge: only the code's one use may succeed.
        std::vector<std::string> challenges;
        for (int i = 0; i < kParallel; ++i) {
            const auto made = server.Post("/factors/" + factor + "/challenge", "{}", {token});
            REQUIRE(made.status == 200);
            challenges.push_back(JsonString(made.body, "id"));
        }
        const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch()
        )
                                  .count();
        const std::string code =
            gotrue::crypto::HotpCode(*secret, gotrue::crypto::TotpStep(now), 6);
        std::atomic<int> next{0};

        const auto responses = InParallel(kParallel, [&] {
            const std::string& challenge = challenges.at(static_cast<std::size_t>(next++));
            return server.Post(
                "/factors/" + factor + "/verify",
                R"({"challenge_id":")" + challenge + R"(","code":")" + code + "\"}",
                {token}
            );
        });

        CHECK(CountStatus(responses, 200) == 1);
        CHECK(CountCodeRefusals(responses, 422, "mfa_verification_failed") == kParallel - 1);
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.refresh_tokens WHERE revoked = false"
            ) == "1"
        );
    }
}
