#pragma once

// api: the endpoints of the server. Api holds the route table and the middleware order;
// http::Server (http/server.hpp) feeds it requests from Pistache. Handlers are methods of Api, one
// endpoint per file (signup.cpp, verify.cpp, token.cpp, user.cpp, logout.cpp, ...), each shaped
// parse -> validate -> slow work (bcrypt) -> one transaction -> mail after commit -> respond.

#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"
#include "api/services/mail.hpp"
#include "api/services/pkce.hpp"
#include "api/services/rate_limit.hpp"
#include "api/services/sweeper.hpp"
#include "api/services/timing.hpp"
#include "api/services/views.hpp"
#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "crypto/password_hasher.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "mailer/template_mailer.hpp"
#include "models/identity.hpp"
#include "models/user.hpp"
#include "storage/database.hpp"
#include "tokens/jwt.hpp"

namespace gotrue::api {

// The path Supabase's gateway serves GoTrue under; requests under it are routed as without it.
inline constexpr std::string_view kSupabaseGatewayPrefix = "/auth/v1";

struct ApiDeps {
    const conf::Config& config;
    std::string version;         // build version, reported by /health
    apitask::WorkerPool& tasks;  // executes the requests' side work (apitask)
    storage::Database& database;
    mailer::TemplateMailer& mailer;  // the configured mail chain
    // Told of every answered request (route pattern, status, duration); null: nobody listens.
    http::RequestObserver request_observer = nullptr;
    // Where background modes store mail in the request's transaction; null: synchronous sending.
    outbox::Outbox* outbox = nullptr;
};

struct UserUpdateParams;  // user.cpp

// The caller of an authenticated endpoint (Authorization: Bearer <access token>).
struct Caller {
    models::User user;
    std::string session_id;  // empty when the token has none
    std::string aud;
    std::string role;
    std::vector<std::string> amr;  // authentication methods of the session
};

// The caller the guard of the route's group authenticated (Api::RequireAdmin for /admin and
// /invite, Api::RequireUser for /user, /logout and /reauthenticate); 500 when the route has no such
// guard, a mistake in the route table.
[[nodiscard]] const Caller& GuardedCaller(const Request& request);

// What /magiclink and email /otp do for an address without a user (`create_user` of /otp).
enum class UnknownAddress { kCreateUser, kRefuse };

// A string claim of a verified token ("" when absent or not a string).
[[nodiscard]] std::string StringClaim(const rapidjson::Value& claims, const char* name);

class Api final {
public:
    explicit Api(ApiDeps deps);

    // Runs the whole pipeline (middleware, routing, handler) for one request. Never throws.
    [[nodiscard]] Response Handle(Request& request) const;

    // Whether the request will hash a password (the server runs it on its hashing lane).
    [[nodiscard]] bool Hashes(const Request& request) const;

    // The server's hashing lane for these requests, sized as the password hasher admits hashes.
    [[nodiscard]] http::HashingLane Lane() const;

    // The password hasher's admission counters (running, waiting, admitted, refused), for metrics.
    [[nodiscard]] crypto::PasswordHasher::Counters HasherCounters() const {
        return hasher_.Snapshot();
    }

private:
    void AddRoutes();

    [[nodiscard]] Response Health(Request& request);
    [[nodiscard]] Response Settings(Request& request);
    [[nodiscard]] Response Jwks(Request& request);
    // POST /signup: an anonymous sign-in without email and phone (anonymous.cpp), else Signup;
    // each behind its own per-client limit.
    [[nodiscard]] Response SignupRoute(Request& request);
    [[nodiscard]] Response Signup(Request& request);
    [[nodiscard]] Response SignupAnonymously(Request& request, const std::string& data);
    [[nodiscard]] Response VerifyGet(Request& request);
    [[nodiscard]] Response VerifyPost(Request& request);
    [[nodiscard]] Response Token(Request& request);
    [[nodiscard]] Response PasswordGrant(Request& request, const rapidjson::Document& document);
    [[nodiscard]] Response RefreshTokenGrant(Request& request, const rapidjson::Document& document);
    // grant_type=pkce: an auth code from a PKCE link and its code_verifier (token.cpp).
    [[nodiscard]] Response PkceGrant(Request& request, const rapidjson::Document& document);
    [[nodiscard]] Response UserGet(Request& request);
    [[nodiscard]] Response UserPut(Request& request);
    // PUT /user's new password, checked (current password, same password) and hashed.
    [[nodiscard]] std::string NewPasswordHash(const Caller& caller, const UserUpdateParams& params);
    [[nodiscard]] Response Logout(Request& request);
    [[nodiscard]] Response Reauthenticate(Request& request);
    [[nodiscard]] Response Recover(Request& request);
    [[nodiscard]] Response Resend(Request& request);
    [[nodiscard]] Response MagicLink(Request& request);
    [[nodiscard]] Response Otp(Request& request);
    [[nodiscard]] Response AdminListUsers(Request& request);
    [[nodiscard]] Response AdminCreateUser(Request& request);
    [[nodiscard]] Response AdminGetUser(Request& request);
    [[nodiscard]] Response AdminUpdateUser(Request& request);
    [[nodiscard]] Response AdminDeleteUser(Request& request);
    [[nodiscard]] Response Invite(Request& request);
    [[nodiscard]] Response GenerateLink(Request& request);
    // MFA (mfa.cpp): POST /factors, POST /factors/{id}/challenge, POST /factors/{id}/verify,
    // DELETE /factors/{id}; GET /admin/users/{id}/factors, PUT and DELETE .../factors/{factor_id}.
    [[nodiscard]] Response EnrollFactor(Request& request);
    [[nodiscard]] Response ChallengeFactor(Request& request);
    [[nodiscard]] Response VerifyFactor(Request& request);
    [[nodiscard]] Response UnenrollFactor(Request& request);
    [[nodiscard]] Response AdminListFactors(Request& request);
    [[nodiscard]] Response AdminUpdateFactor(Request& request);
    [[nodiscard]] Response AdminDeleteFactor(Request& request);
    // /admin/mail/outbox (mail_outbox.cpp): the outbox's states, and a retry of a failed mail.
    [[nodiscard]] Response AdminMailOutbox(Request& request);
    [[nodiscard]] Response AdminRetryMail(Request& request);

    // `handler` behind the per-client limit `bucket` (N per 5 minutes, burst 30); unchanged when
    // GOTRUE_RATE_LIMIT_HEADER is not set.
    [[nodiscard]] Handler Limited(std::string bucket, double per_five_minutes, Handler handler);
    // Takes one token of the client's bucket `bucket`: 429 over_request_rate_limit when it is
    // empty; nothing when GOTRUE_RATE_LIMIT_HEADER is not set.
    void TakeClientToken(
        const Request& request, const std::string& bucket, const RequestLimit& limit
    );

    // 401/403 unless the bearer token's role is in GOTRUE_JWT_ADMIN_ROLES (docs/http.md). The
    // guard of the admin routes (AddRoutes): their handlers read the admin with GuardedCaller.
    [[nodiscard]] Caller RequireAdmin(const Request& request);

    // The user named by the :user_id path parameter: 404 when it is not a UUID or unknown.
    [[nodiscard]] models::User LoadAdminTarget(Request& request);

    // /magiclink and email /otp: a magic link for confirmed users, a confirmation mail (and a
    // new user with a random password, unless UnknownAddress::kRefuse) for the others; either
    // in the PKCE flow when `pkce` has a challenge.
    [[nodiscard]] Response SendMagicLink(
        Request& request,
        const std::string& email,
        const std::string& data,
        const PkceParams& pkce,
        UnknownAddress unknown_address
    );

    // The bearer token's verified claims: 401 without one, 403 bad_jwt when it does not verify.
    [[nodiscard]] tokens::VerifyResult VerifyBearer(const Request& request) const;

    // 401/403 (docs/http.md) unless the bearer token names a live user and session. The
    // guard of /user, /logout and /reauthenticate (AddRoutes).
    [[nodiscard]] Caller RequireUser(const Request& request);

    // Whether a user with this address exists in the audience (a read outside any transaction).
    [[nodiscard]] bool UserExists(const std::string& email, const std::string& aud);

    // For handlers without a transaction of their own; the others read identities in theirs.
    [[nodiscard]] std::vector<models::Identity> LoadIdentities(const std::string& user_id);
    [[nodiscard]] std::vector<models::Factor> LoadFactors(const std::string& user_id);  // mfa.cpp

    // Whether the caller has a verified factor but its session is not aal2 (mfa.cpp): then the
    // password and the address stay as they are (upstream's UserUpdate).
    [[nodiscard]] bool LacksSecondFactor(const Caller& caller);

    // 200 with the session JSON and GoTrue's sb-auth-* headers.
    [[nodiscard]] static Response SessionResponse(
        const IssuedSession& session,
        const models::User& user,
        const std::vector<models::Identity>& identities,
        const std::vector<models::Factor>& factors = {}
    );

    ApiDeps deps_;
    crypto::PasswordHasher hasher_;  // every bcrypt of a request goes through it (admission)
    MailService mail_;
    Sweeper bucket_sweeper_;     // forgets full rate-limit buckets (see Limited)
    Sweeper anonymous_sweeper_;  // deletes old anonymous users (see SignupAnonymously)
    std::shared_ptr<TimingEqualizer> timing_ = std::make_shared<TimingEqualizer>();
    http::Router router_;
    Handler pipeline_;
};

}  // namespace gotrue::api
