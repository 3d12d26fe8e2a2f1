// TOTP multi-factor authentication through the real binary, as GoTrue's internal/api/mfa.go and
// the factor routes of internal/api/admin.go answer: enroll, challenge, verify, unenroll, the
// session's aal and amr, and the admin's factor list and delete.

#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/totp.hpp"
#include "support/auth_server.hpp"

using gotrue::testing::AccessTokenClaims;
using gotrue::testing::AmrMethods;
using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::EnvMap;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::ParseJson;
using gotrue::testing::UniqueEmail;

namespace {

EnvMap Config(EnvMap extra = {}) {
    extra.emplace("GOTRUE_MAILER_AUTOCONFIRM", "true");
    return extra;
}

std::string ErrorCode(const HttpResponse& response) {
    return JsonString(response.body, "error_code");
}

// A signed-in user: its session (access and refresh token) and id.
struct Account {
    std::string email;
    std::string id;
    std::string access_token;
    std::string refresh_token;
};

Account SignUp(const AuthServer& server, const std::string& tag) {
    Account account;
    account.email = UniqueEmail(tag);
    const auto response =
        server.Post("/signup", R"({"email":")" + account.email + R"(","password":"secret-123"})");
    REQUIRE_MESSAGE(response.status == 200, response.body);
    const auto session = ParseJson(response.body);
    account.access_token = session["access_token"].GetString();
    account.refresh_token = session["refresh_token"].GetString();
    account.id = session["user"]["id"].GetString();
    return account;
}

// Another password sign-in of the account: a new aal1 session.
Account SignInAgain(const AuthServer& server, const Account& account) {
    const auto response = server.SignIn(account.email);
    Account again = account;
    again.access_token = JsonString(response.body, "access_token");
    again.refresh_token = JsonString(response.body, "refresh_token");
    return again;
}

HttpResponse Call(
    const AuthServer& server,
    const std::string& method,
    const std::string& path,
    const Account& account,
    const std::string& body = "{}"
) {
    return server.Request(method, path, body, {Bearer(account.access_token)});
}

struct Enrolled {
    std::string id;
    std::string secret;  // base32
    rapidjson::Document response;
};

// POST /factors of a TOTP factor named `name`.
HttpResponse TryEnroll(const AuthServer& server, const Account& account, const std::string& name) {
    return Call(
        server,
        "POST",
        "/factors",
        account,
        R"({"factor_type":"totp","friendly_name":")" + name + R"("})"
    );
}

Enrolled Enroll(const AuthServer& server, const Account& account, const std::string& name = "") {
    const auto response = TryEnroll(server, account, name);
    REQUIRE_MESSAGE(response.status == 200, response.body);
    Enrolled enrolled;
    enrolled.response = ParseJson(response.body);
    enrolled.id = enrolled.response["id"].GetString();
    enrolled.secret = enrolled.response["totp"]["secret"].GetString();
    return enrolled;
}

std::string Challenge(const AuthServer& server, const Account& account, const std::string& factor) {
    const auto response = Call(server, "POST", "/factors/" + factor + "/challenge", account);
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return JsonString(response.body, "id");
}

std::int64_t UnixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

// The code of the factor's secret for the current time step, or for `step`.
std::string Code(const std::string& secret, std::optional<std::uint64_t> step = std::nullopt) {
    const auto key = gotrue::crypto::Base32Decode(secret);
    REQUIRE(key.has_value());
    return gotrue::crypto::HotpCode(*key, step.value_or(gotrue::crypto::TotpStep(UnixNow())), 6);
}

HttpResponse Verify(
    const AuthServer& server,
    const Account& account,
    const std::string& factor,
    const std::string& challenge,
    const std::string& code
) {
    return Call(
        server,
        "POST",
        "/factors/" + factor + "/verify",
        account,
        R"({"challenge_id":")" + challenge + R"(","code":")" + code + R"("})"
    );
}

// Enrolls and verifies a factor: the account continues with the aal2 session.
Enrolled EnrollVerified(const AuthServer& server, Account& account, const std::string& name = "") {
    Enrolled enrolled = Enroll(server, account, name);
    const auto response = Verify(
        server, account, enrolled.id, Challenge(server, account, enrolled.id), Code(enrolled.secret)
    );
    REQUIRE_MESSAGE(response.status == 200, response.body);
    account.access_token = JsonString(response.body, "access_token");
    account.refresh_token = JsonString(response.body, "refresh_token");
    return enrolled;
}

HttpResponse Refresh(const AuthServer& server, const std::string& refresh_token) {
    return server.Post(
        "/token?grant_type=refresh_token", R"({"refresh_token":")" + refresh_token + "\"}"
    );
}

}  // namespace

TEST_SUITE("mfa") {
    TEST_CASE("mfa: enrolling a TOTP factor returns its secret, otpauth URI and QR code") {
        const AuthServer server(MailMode::kSync, Config());
        const Account account = SignUp(server, "mfa-enroll");
        const Enrolled enrolled = Enroll(server, account, "phone app");
        const auto& response = enrolled.response;
        CHECK(std::string(response["type"].GetString()) == "totp");
        CHECK(std::string(response["friendly_name"].GetString()) == "phone app");
        CHECK(enrolled.secret.size() == 32);
        CHECK(gotrue::crypto::Base32Decode(enrolled.secret)->size() == 20);
        const std::string uri = response["totp"]["uri"].GetString();
        // The issuer defaults to GOTRUE_SITE_URL's host; keys sorted as pquerna/otp writes them.
        CHECK(
            uri ==
            "otpauth://totp/localhost:3000:" + account.email +
                "?algorithm=SHA1&digits=6&issuer=localhost:3000&period=30&secret=" + enrolled.secret
        );
        const std::string qr = response["totp"]["qr_code"].GetString();
        CHECK(qr.rfind("<svg", 0) == 0);
        CHECK(qr.find("h1v1h-1z") != std::string::npos);
        // Stored unverified, the secret in clear (no encryption configured), as upstream.
        const auto& db = server.Database();
        CHECK(
            db.Scalar(
                "SELECT status || ' ' || factor_type || ' ' || secret FROM auth.mfa_factors WHERE "
                "id = '" +
                enrolled.id + "'"
            ) == "unverified totp " + enrolled.secret
        );
        CHECK(
            db.Scalar(
                "SELECT payload->>'action' FROM auth.audit_log_entries WHERE "
                "payload->'traits'->>'factor_id' = '" +
                enrolled.id + "'"
            ) == "factor_in_progress"
        );
        // GET /user lists it.
        const auto user = ParseJson(Call(server, "GET", "/user", account).body);
        REQUIRE(user["factors"].IsArray());
        REQUIRE(user["factors"].Size() == 1);
        const auto& factor = user["factors"][0];
        CHECK(std::string(factor["id"].GetString()) == enrolled.id);
        CHECK(std::string(factor["status"].GetString()) == "unverified");
        CHECK(std::string(factor["factor_type"].GetString()) == "totp");
        CHECK(std::string(factor["friendly_name"].GetString()) == "phone app");
        CHECK(factor["last_challenged_at"].IsNull());
        CHECK_FALSE(factor.HasMember("secret"));
        // An issuer of the caller's choosing.
        const auto custom = Call(
            server,
            "POST",
            "/factors",
            account,
            R"({"factor_type":"totp","friendly_name":"second","issuer":"My App"})"
        );
        REQUIRE(custom.status == 200);
        CHECK(JsonString(custom.body, "id").size() == 36);
        const auto custom_json = ParseJson(custom.body);
        const std::string custom_uri = custom_json["totp"]["uri"].GetString();
        CHECK(custom_uri.rfind("otpauth://totp/My%20App:" + account.email + "?", 0) == 0);
        CHECK(custom_uri.find("&issuer=My%20App&") != std::string::npos);
    }

    TEST_CASE("mfa: enroll refuses bad input, other factor types and callers without a session") {
        const AuthServer server(
            MailMode::kSync, Config({{"GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED", "true"}})
        );
        const Account account = SignUp(server, "mfa-enroll-bad");
        const auto bad_type = Call(server, "POST", "/factors", account, R"({"factor_type":"sms"})");
        CHECK(bad_type.status == 400);
        CHECK(ErrorCode(bad_type) == "validation_failed");
        CHECK(
            JsonString(bad_type.body, "msg") == "factor_type needs to be totp, phone, or webauthn"
        );
        const auto phone = Call(
            server, "POST", "/factors", account, R"({"factor_type":"phone","phone":"+15555550100"})"
        );
        CHECK(phone.status == 422);
        CHECK(ErrorCode(phone) == "mfa_phone_enroll_not_enabled");
        const auto webauthn =
            Call(server, "POST", "/factors", account, R"({"factor_type":"webauthn"})");
        CHECK(webauthn.status == 422);
        CHECK(ErrorCode(webauthn) == "mfa_webauthn_enroll_not_enabled");
        const auto not_json = Call(server, "POST", "/factors", account, "{");
        CHECK(not_json.status == 400);
        CHECK(ErrorCode(not_json) == "bad_json");
        const auto wrong_type =
            Call(server, "POST", "/factors", account, R"({"factor_type":"totp","issuer":5})");
        CHECK(wrong_type.status == 400);
        const auto no_token = server.Post("/factors", R"({"factor_type":"totp"})");
        CHECK(no_token.status == 401);
        CHECK(ErrorCode(no_token) == "no_authorization");
        // Anonymous users have no factors (upstream's requireNotAnonymous).
        const auto anonymous = server.Post("/signup", "{}");
        REQUIRE(anonymous.status == 200);
        const auto refused = server.Post(
            "/factors",
            R"({"factor_type":"totp"})",
            {Bearer(JsonString(anonymous.body, "access_token"))}
        );
        CHECK(refused.status == 403);
        CHECK(ErrorCode(refused) == "no_authorization");
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.mfa_factors") == "0");
    }

    TEST_CASE("mfa: challenge and verify raise the session to aal2 with a totp amr claim") {
        const AuthServer server(MailMode::kSync, Config());
        Account account = SignUp(server, "mfa-verify");
        const Account other_session = SignInAgain(server, account);
        const Enrolled enrolled = Enroll(server, account);
        const auto challenged =
            Call(server, "POST", "/factors/" + enrolled.id + "/challenge", account);
        REQUIRE_MESSAGE(challenged.status == 200, challenged.body);
        const auto challenge = ParseJson(challenged.body);
        CHECK(std::string(challenge["type"].GetString()) == "totp");
        const std::int64_t expires_at = challenge["expires_at"].GetInt64();
        CHECK(expires_at >= UnixNow() + 295);
        CHECK(expires_at <= UnixNow() + 305);
        const std::string challenge_id = challenge["id"].GetString();
        const auto& db = server.Database();
        CHECK(
            db.Scalar(
                "SELECT last_challenged_at IS NOT NULL FROM auth.mfa_factors WHERE id = '" +
                enrolled.id + "'"
            ) == "t"
        );

        const auto verified =
            Verify(server, account, enrolled.id, challenge_id, Code(enrolled.secret));
        REQUIRE_MESSAGE(verified.status == 200, verified.body);
        const auto session = ParseJson(verified.body);
        CHECK(std::string(session["token_type"].GetString()) == "bearer");
        CHECK(std::string(session["refresh_token"].GetString()) != account.refresh_token);
        const auto claims = AccessTokenClaims(session["access_token"].GetString());
        CHECK(std::string(claims["aal"].GetString()) == "aal2");
        CHECK(AmrMethods(claims) == "totp,password");  // most recent first, as upstream
        for (const auto& entry : claims["amr"].GetArray()) {
            CHECK(entry["timestamp"].IsInt64());
        }
        CHECK(
            std::string(claims["session_id"].GetString()) ==
            std::string(AccessTokenClaims(account.access_token)["session_id"].GetString())
        );
        REQUIRE(session["user"]["factors"].Size() == 1);
        CHECK(std::string(session["user"]["factors"][0]["status"].GetString()) == "verified");
        CHECK(
            db.Scalar(
                "SELECT aal::text || ' ' || factor_id::text FROM auth.sessions WHERE id = '" +
                std::string(claims["session_id"].GetString()) + "'"
            ) == "aal2 " + enrolled.id
        );
        CHECK(
            db.Scalar(
                "SELECT verified_at IS NOT NULL FROM auth.mfa_challenges WHERE id = '" +
                challenge_id + "'"
            ) == "t"
        );
        // The user's aal1 sessions are signed out (upstream's InvalidateSessionsWithAALLessThan).
        const auto signed_out = Refresh(server, other_session.refresh_token);
        CHECK(signed_out.status == 400);
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.sessions WHERE user_id = '" + account.id + "'") ==
            "1"
        );

        // A refresh keeps aal2 and the amr claims.
        const auto refreshed = Refresh(server, session["refresh_token"].GetString());
        REQUIRE_MESSAGE(refreshed.status == 200, refreshed.body);
        const auto refreshed_claims = AccessTokenClaims(JsonString(refreshed.body, "access_token"));
        CHECK(std::string(refreshed_claims["aal"].GetString()) == "aal2");
        CHECK(AmrMethods(refreshed_claims) == "totp,password");
        CHECK(ParseJson(refreshed.body)["user"]["factors"].Size() == 1);
        // The refresh token from before the verification never gives the aal2 session: presenting
        // it is reuse, which revokes the session's tokens.
        const auto before = Refresh(server, account.refresh_token);
        CHECK(before.status == 400);
        CHECK(ErrorCode(before) == "refresh_token_already_used");
        CHECK(Refresh(server, JsonString(refreshed.body, "refresh_token")).status == 400);
        // A password sign-in starts at aal1 and its response lists the verified factor.
        const auto again = server.SignIn(account.email);
        const auto again_json = ParseJson(again.body);
        CHECK(
            std::string(AccessTokenClaims(again_json["access_token"].GetString())["aal"].GetString()
            ) == "aal1"
        );
        CHECK(std::string(again_json["user"]["factors"][0]["status"].GetString()) == "verified");
    }

    TEST_CASE("mfa: wrong codes, replayed codes and reused challenges are refused") {
        const AuthServer server(MailMode::kSync, Config());
        Account account = SignUp(server, "mfa-replay");
        const Enrolled enrolled = Enroll(server, account);
        const std::string challenge = Challenge(server, account, enrolled.id);
        const std::string right = Code(enrolled.secret);
        const std::string wrong = right == "000000" ? "111111" : "000000";
        const auto refused = Verify(server, account, enrolled.id, challenge, wrong);
        CHECK(refused.status == 422);
        CHECK(ErrorCode(refused) == "mfa_verification_failed");
        CHECK(JsonString(refused.body, "msg") == "Invalid TOTP code entered");
        // A code two steps away is outside the window.
        const auto step = gotrue::crypto::TotpStep(UnixNow());
        const auto stale =
            Verify(server, account, enrolled.id, challenge, Code(enrolled.secret, step - 3));
        CHECK(ErrorCode(stale) == "mfa_verification_failed");
        // A wrong code leaves the challenge usable.
        const auto accepted = Verify(server, account, enrolled.id, challenge, right);
        REQUIRE_MESSAGE(accepted.status == 200, accepted.body);
        account.access_token = JsonString(accepted.body, "access_token");
        // The same challenge cannot be verified twice (upstream's message).
        const auto again = Verify(server, account, enrolled.id, challenge, right);
        CHECK(again.status == 422);
        CHECK(ErrorCode(again) == "mfa_ip_address_mismatch");
        // Nor the same code with a new challenge (RFC 6238 §5.2; upstream accepts this).
        const std::string second = Challenge(server, account, enrolled.id);
        const auto replayed = Verify(server, account, enrolled.id, second, right);
        CHECK(replayed.status == 422);
        CHECK(ErrorCode(replayed) == "mfa_verification_failed");
        // The code of a later step is accepted.
        const auto last = std::stoull(server.Database().Scalar(
            "SELECT last_totp_step FROM auth.mfa_factors WHERE id = '" + enrolled.id + "'"
        ));
        const auto later =
            Verify(server, account, enrolled.id, second, Code(enrolled.secret, last + 1));
        CHECK_MESSAGE(later.status == 200, later.body);
    }

    TEST_CASE("mfa: challenge ids: unknown, malformed, expired, another factor's, another address"
    ) {
        const AuthServer server(MailMode::kSync, Config());
        const Account account = SignUp(server, "mfa-challenge");
        const Enrolled enrolled = Enroll(server, account, "a");
        const Enrolled other = Enroll(server, account, "b");
        const std::string code = Code(enrolled.secret);
        const auto unknown =
            Verify(server, account, enrolled.id, "5a1b2c3d-0000-4000-8000-000000000000", code);
        CHECK(unknown.status == 422);
        CHECK(ErrorCode(unknown) == "mfa_factor_not_found");
        const auto missing = Call(
            server, "POST", "/factors/" + enrolled.id + "/verify", account, R"({"code":"123456"})"
        );
        CHECK(ErrorCode(missing) == "mfa_factor_not_found");
        const auto malformed = Verify(server, account, enrolled.id, "not-a-uuid", code);
        CHECK(malformed.status == 400);
        CHECK(ErrorCode(malformed) == "bad_json");
        const std::string challenge = Challenge(server, account, enrolled.id);
        const auto empty_code = Verify(server, account, enrolled.id, challenge, "");
        CHECK(empty_code.status == 400);
        CHECK(ErrorCode(empty_code) == "validation_failed");
        CHECK(JsonString(empty_code.body, "msg") == "Code needs to be non-empty");
        // A challenge of another factor does not verify this one.
        const auto crossed = Verify(server, account, other.id, challenge, Code(other.secret));
        CHECK(ErrorCode(crossed) == "mfa_factor_not_found");
        // A challenge made from another address.
        const auto& db = server.Database();
        db.Execute(
            "UPDATE auth.mfa_challenges SET ip_address = '192.0.2.7' WHERE id = '" + challenge + "'"
        );
        const auto moved = Verify(server, account, enrolled.id, challenge, code);
        CHECK(moved.status == 422);
        CHECK(ErrorCode(moved) == "mfa_ip_address_mismatch");
        // Expired (GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION, 300 s): refused and deleted.
        const std::string old = Challenge(server, account, enrolled.id);
        db.Execute(
            "UPDATE auth.mfa_challenges SET created_at = now() - interval '301 seconds' WHERE id = "
            "'" +
            old + "'"
        );
        const auto expired = Verify(server, account, enrolled.id, old, code);
        CHECK(expired.status == 422);
        CHECK(ErrorCode(expired) == "mfa_challenge_expired");
        CHECK(JsonString(expired.body, "msg").find("MFA challenge " + old + " has expired") == 0);
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_challenges WHERE id = '" + old + "'") == "0"
        );
        // Factor ids: malformed, unknown, another user's.
        const auto bad_id = Call(server, "POST", "/factors/xyz/challenge", account);
        CHECK(bad_id.status == 404);
        CHECK(ErrorCode(bad_id) == "validation_failed");
        const auto no_factor = Call(
            server, "POST", "/factors/5a1b2c3d-0000-4000-8000-000000000000/challenge", account
        );
        CHECK(no_factor.status == 404);
        CHECK(ErrorCode(no_factor) == "mfa_factor_not_found");
        const Account stranger = SignUp(server, "mfa-stranger");
        const auto foreign =
            Call(server, "POST", "/factors/" + enrolled.id + "/challenge", stranger);
        CHECK(foreign.status == 404);
        CHECK(ErrorCode(foreign) == "mfa_factor_not_found");
        const auto foreign_delete = Call(server, "DELETE", "/factors/" + enrolled.id, stranger);
        CHECK(ErrorCode(foreign_delete) == "mfa_factor_not_found");
    }

    TEST_CASE("mfa: factor limits and friendly names") {
        const AuthServer server(
            MailMode::kSync, Config({{"GOTRUE_MFA_MAX_ENROLLED_FACTORS", "2"}})
        );
        const Account account = SignUp(server, "mfa-limits");
        static_cast<void>(Enroll(server, account, "one"));
        const auto conflict = TryEnroll(server, account, "one");
        CHECK(conflict.status == 422);
        CHECK(ErrorCode(conflict) == "mfa_factor_name_conflict");
        CHECK(
            JsonString(conflict.body, "msg") ==
            "A factor with the friendly name \"one\" for this user already exists"
        );
        static_cast<void>(Enroll(server, account, "two"));
        const auto third = TryEnroll(server, account, "three");
        CHECK(third.status == 422);
        CHECK(ErrorCode(third) == "too_many_enrolled_mfa_factors");
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.mfa_factors WHERE user_id = '" + account.id + "'"
            ) == "2"
        );
    }

    TEST_CASE("mfa: GOTRUE_MFA_TOTP_ENROLL_ENABLED and _VERIFY_ENABLED switch the steps off") {
        SUBCASE("enroll off") {
            const AuthServer server(
                MailMode::kSync, Config({{"GOTRUE_MFA_TOTP_ENROLL_ENABLED", "false"}})
            );
            const Account account = SignUp(server, "mfa-enroll-off");
            const auto refused =
                Call(server, "POST", "/factors", account, R"({"factor_type":"totp"})");
            CHECK(refused.status == 422);
            CHECK(ErrorCode(refused) == "mfa_totp_enroll_not_enabled");
            CHECK(JsonString(refused.body, "msg") == "MFA enroll is disabled for TOTP");
        }
        SUBCASE("verify off") {
            const AuthServer server(
                MailMode::kSync, Config({{"GOTRUE_MFA_TOTP_VERIFY_ENABLED", "false"}})
            );
            const Account account = SignUp(server, "mfa-verify-off");
            const Enrolled enrolled = Enroll(server, account);
            const auto challenge =
                Call(server, "POST", "/factors/" + enrolled.id + "/challenge", account);
            CHECK(challenge.status == 422);
            CHECK(ErrorCode(challenge) == "mfa_totp_verify_not_enabled");
            const auto verify = Verify(
                server, account, enrolled.id, "5a1b2c3d-0000-4000-8000-000000000000", "123456"
            );
            CHECK(verify.status == 422);
            CHECK(ErrorCode(verify) == "mfa_totp_verify_not_enabled");
        }
    }

    TEST_CASE(
        "mfa: with a verified factor, aal1 sessions cannot unenroll, enroll or change credentials"
    ) {
        const AuthServer server(MailMode::kSync, Config());
        Account account = SignUp(server, "mfa-aal");
        const Enrolled enrolled = EnrollVerified(server, account);
        const Account aal1 = SignInAgain(server, account);
        const auto unenroll = Call(server, "DELETE", "/factors/" + enrolled.id, aal1);
        CHECK(unenroll.status == 422);
        CHECK(ErrorCode(unenroll) == "insufficient_aal");
        CHECK(JsonString(unenroll.body, "msg") == "AAL2 required to unenroll verified factor");
        const auto enroll = TryEnroll(server, aal1, "x");
        CHECK(enroll.status == 403);
        CHECK(ErrorCode(enroll) == "insufficient_aal");
        const auto password = Call(server, "PUT", "/user", aal1, R"({"password":"another-456"})");
        CHECK(password.status == 401);
        CHECK(ErrorCode(password) == "insufficient_aal");
        const auto email =
            Call(server, "PUT", "/user", aal1, R"({"email":"x-)" + account.email + "\"}");
        CHECK(email.status == 401);
        // Metadata needs no second factor.
        CHECK(Call(server, "PUT", "/user", aal1, R"({"data":{"a":1}})").status == 200);
        // The aal2 session may do all of it; unenrolling downgrades the sessions it raised.
        const auto changed = Call(server, "PUT", "/user", account, R"({"password":"another-456"})");
        CHECK_MESSAGE(changed.status == 200, changed.body);
        const auto deleted = Call(server, "DELETE", "/factors/" + enrolled.id, account);
        REQUIRE_MESSAGE(deleted.status == 200, deleted.body);
        CHECK(deleted.body == R"({"id":")" + enrolled.id + "\"}");
        const auto& db = server.Database();
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_factors WHERE id = '" + enrolled.id + "'") ==
            "0"
        );
        const std::string session_id =
            AccessTokenClaims(account.access_token)["session_id"].GetString();
        CHECK(
            db.Scalar(
                "SELECT aal::text || coalesce(factor_id::text, '-') FROM auth.sessions WHERE id = "
                "'" +
                session_id + "'"
            ) == "aal1-"
        );
        const auto refreshed = Refresh(server, account.refresh_token);
        REQUIRE_MESSAGE(refreshed.status == 200, refreshed.body);
        const auto claims = AccessTokenClaims(JsonString(refreshed.body, "access_token"));
        CHECK(std::string(claims["aal"].GetString()) == "aal1");
        CHECK(AmrMethods(claims) == "password");
        CHECK_FALSE(ParseJson(Call(server, "GET", "/user", account).body).HasMember("factors"));
    }

    TEST_CASE(
        "mfa: unverified factors: unenrolled at aal1, cleaned up after verification and expiry"
    ) {
        const AuthServer server(MailMode::kSync, Config());
        Account account = SignUp(server, "mfa-cleanup");
        const Enrolled first = Enroll(server, account, "first");
        const auto removed = Call(server, "DELETE", "/factors/" + first.id, account);
        CHECK_MESSAGE(removed.status == 200, removed.body);
        const Enrolled spare = Enroll(server, account, "spare");
        const Enrolled used = EnrollVerified(server, account, "used");
        const auto& db = server.Database();
        // Verifying one factor deletes the user's other unverified TOTP factors.
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_factors WHERE id = '" + spare.id + "'") == "0"
        );
        // Unverified factors never challenged go after GOTRUE_MFA_FACTOR_EXPIRY_DURATION (300 s)
        // when anyone enrolls; challenged or recent ones stay.
        const Account other = SignUp(server, "mfa-cleanup-other");
        const Enrolled stale = Enroll(server, other, "stale");
        const Enrolled challenged = Enroll(server, other, "challenged");
        static_cast<void>(Challenge(server, other, challenged.id));
        db.Execute(
            "UPDATE auth.mfa_factors SET created_at = now() - interval '301 seconds' WHERE id IN "
            "('" +
            stale.id + "','" + challenged.id + "')"
        );
        static_cast<void>(Enroll(server, account, "trigger"));
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_factors WHERE id = '" + stale.id + "'") == "0"
        );
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_factors WHERE id = '" + challenged.id + "'") ==
            "1"
        );
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.mfa_factors WHERE id = '" + used.id + "'") == "1"
        );
    }

    TEST_CASE("mfa: admin: list a user's factors and delete one") {
        const AuthServer server(MailMode::kSync, Config());
        Account account = SignUp(server, "mfa-admin");
        const Enrolled enrolled = EnrollVerified(server, account, "mine");
        const std::string admin = Bearer(gotrue::testing::ServiceRoleToken(server));
        const auto listed = server.Get("/admin/users/" + account.id + "/factors", {admin});
        REQUIRE_MESSAGE(listed.status == 200, listed.body);
        const auto factors = ParseJson(listed.body);
        REQUIRE(factors.IsArray());
        REQUIRE(factors.Size() == 1);
        CHECK(std::string(factors[0]["id"].GetString()) == enrolled.id);
        CHECK(std::string(factors[0]["status"].GetString()) == "verified");
        CHECK(std::string(factors[0]["friendly_name"].GetString()) == "mine");
        const auto user = ParseJson(server.Get("/admin/users/" + account.id, {admin}).body);
        CHECK(user["factors"].Size() == 1);
        // Not for users: the admin routes need an admin role.
        CHECK(
            server.Get("/admin/users/" + account.id + "/factors", {Bearer(account.access_token)})
                .status == 403
        );
        // PUT renames it (upstream's adminUserUpdateFactor); an empty name changes nothing.
        const auto renamed = server.Put(
            "/admin/users/" + account.id + "/factors/" + enrolled.id,
            R"({"friendly_name":"renamed"})",
            {admin}
        );
        REQUIRE_MESSAGE(renamed.status == 200, renamed.body);
        CHECK(JsonString(renamed.body, "friendly_name") == "renamed");
        const auto unchanged = server.Put(
            "/admin/users/" + account.id + "/factors/" + enrolled.id,
            R"({"friendly_name":""})",
            {admin}
        );
        CHECK(JsonString(unchanged.body, "friendly_name") == "renamed");
        const auto bad =
            server.Request("DELETE", "/admin/users/" + account.id + "/factors/nope", "", {admin});
        CHECK(bad.status == 404);
        CHECK(ErrorCode(bad) == "validation_failed");
        const auto unknown = server.Request(
            "DELETE",
            "/admin/users/" + account.id + "/factors/5a1b2c3d-0000-4000-8000-000000000000",
            "",
            {admin}
        );
        CHECK(unknown.status == 404);
        CHECK(ErrorCode(unknown) == "mfa_factor_not_found");
        const auto deleted = server.Request(
            "DELETE", "/admin/users/" + account.id + "/factors/" + enrolled.id, "", {admin}
        );
        REQUIRE_MESSAGE(deleted.status == 200, deleted.body);
        CHECK(JsonString(deleted.body, "id") == enrolled.id);
        CHECK(JsonString(deleted.body, "factor_type") == "totp");
        CHECK(
            ParseJson(server.Get("/admin/users/" + account.id + "/factors", {admin}).body).Size() ==
            0
        );
        // The user's session went back to aal1.
        const auto refreshed = Refresh(server, account.refresh_token);
        REQUIRE(refreshed.status == 200);
        CHECK(
            std::string(
                AccessTokenClaims(JsonString(refreshed.body, "access_token"))["aal"].GetString()
            ) == "aal1"
        );
        const auto no_user =
            server.Get("/admin/users/5a1b2c3d-0000-4000-8000-000000000000/factors", {admin});
        CHECK(no_user.status == 404);
        CHECK(ErrorCode(no_user) == "user_not_found");
    }

    TEST_CASE(
        "mfa: factor secrets are encrypted in GoTrue's format when GOTRUE_SECURITY_DB_ENCRYPTION "
        "is on"
    ) {
        const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        AuthServer server(
            MailMode::kSync,
            Config({
                {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT", "true"},
                {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY_ID", "k1"},
                {"GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPTION_KEY", key},
                {"GOTRUE_SECURITY_DB_ENCRYPTION_DECRYPTION_KEYS", "k1:" + key},
            })
        );
        Account account = SignUp(server, "mfa-encrypted");
        const Enrolled enrolled = Enroll(server, account, "sealed");
        const auto& db = server.Database();
        const std::string stored =
            db.Scalar("SELECT secret FROM auth.mfa_factors WHERE id = '" + enrolled.id + "'");
        CHECK(stored.rfind(R"({"key_id":"k1","alg":"aes-gcm-hkdf","data":")", 0) == 0);
        CHECK(stored.find(enrolled.secret) == std::string::npos);
        const auto sealed = Verify(
            server,
            account,
            enrolled.id,
            Challenge(server, account, enrolled.id),
            Code(enrolled.secret)
        );
        CHECK_MESSAGE(sealed.status == 200, sealed.body);
        // A factor stored in clear (before encryption was turned on) still verifies, and is
        // encrypted then.
        Account other = SignUp(server, "mfa-encrypted-later");
        const Enrolled plain = Enroll(server, other, "plain");
        db.Execute(
            "UPDATE auth.mfa_factors SET secret = '" + plain.secret + "' WHERE id = '" + plain.id +
            "'"
        );
        const auto verified =
            Verify(server, other, plain.id, Challenge(server, other, plain.id), Code(plain.secret));
        REQUIRE_MESSAGE(verified.status == 200, verified.body);
        CHECK(
            db.Scalar("SELECT secret FROM auth.mfa_factors WHERE id = '" + plain.id + "'")
                .rfind(R"({"key_id":"k1")", 0) == 0
        );
        // A secret under a key the server does not have cannot be read: 500, nothing verified.
        const Enrolled lost = Enroll(server, other, "lost");
        db.Execute(
            "UPDATE auth.mfa_factors SET secret = replace(secret, '\"k1\"', '\"k9\"') WHERE id = "
            "'" +
            lost.id + "'"
        );
        const auto unreadable =
            Verify(server, other, lost.id, Challenge(server, other, lost.id), Code(lost.secret));
        CHECK(unreadable.status == 500);
        CHECK(
            db.Scalar("SELECT status FROM auth.mfa_factors WHERE id = '" + lost.id + "'") ==
            "unverified"
        );
    }

    TEST_CASE("mfa: challenge and verify are limited per client with GOTRUE_RATE_LIMIT_HEADER") {
        const AuthServer server(
            MailMode::kSync,
            Config({
                {"GOTRUE_RATE_LIMIT_HEADER", "X-Client-IP"},
                {"GOTRUE_MFA_RATE_LIMIT_CHALLENGE_AND_VERIFY", "1"},
            })
        );
        const Account account = SignUp(server, "mfa-limited");
        const Enrolled enrolled = Enroll(server, account);
        const std::vector<std::string> headers{
            Bearer(account.access_token), "X-Client-IP: 198.51.100.4"};
        long last = 0;
        for (int i = 0; i < 31; ++i) {  // the bucket holds a burst of 30
            last = server.Post("/factors/" + enrolled.id + "/challenge", "{}", headers).status;
        }
        CHECK(last == 429);
        // Another client is not affected.
        CHECK(
            server
                .Post(
                    "/factors/" + enrolled.id + "/challenge",
                    "{}",
                    {Bearer(account.access_token), "X-Client-IP: 198.51.100.5"}
                )
                .status == 200
        );
    }
}
