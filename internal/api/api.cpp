#include "api/api.hpp"

#include <any>
#include <utility>
#include <vector>

#include "api/module_errors.hpp"
#include "http/middleware.hpp"

namespace gotrue::api {

using http::Router;

const Caller& GuardedCaller(const Request& request) {
    const auto* caller = std::any_cast<Caller>(&request.principal);
    if (caller == nullptr) {
        throw UnexpectedFailure("route without a guard that authenticates its caller");
    }
    return *caller;
}

Api::Api(ApiDeps deps)
    : deps_(std::move(deps)),
      hasher_(
          deps_.config.password.hash_cost,
          crypto::HasherLimits::ForCpus(deps_.config.password.hash_concurrency)
      ),
      mail_(deps_.config, deps_.mailer, deps_.database, deps_.outbox),
      bucket_sweeper_(
          "ratelimit.sweep", deps_.tasks, FullBucketSweep(deps_.database), kBucketSweepInterval
      ),
      anonymous_sweeper_(
          "anonymous.sweep",
          deps_.tasks,
          StaleAnonymousUserSweep(deps_.database),
          kAnonymousSweepInterval
      ) {
    AddRoutes();
    // Outermost first, in the order of GoTrue's NewAPIWithVersion (internal/api/api.go).
    std::vector<Middleware> middlewares{
        http::Recoverer(),
        RenderModuleErrors(),  // what escapes the middlewares below (handlers': see AddRoutes)
        http::AssignRequestId(deps_.config.api.request_id_header),
        http::StripPathPrefix(std::string(kSupabaseGatewayPrefix)),
        http::LogRequests(),
        http::ObserveRequests(deps_.request_observer),  // metrics; passes through when null
        http::Cors(),
        http::LimitBody(http::kMaxBodyBytes),
        http::AttachTasks(deps_.tasks, deps_.config.api.max_request_duration),
        EqualizeTiming(timing_),  // outside the task wait, so request-scoped mail counts
    };
    // As upstream, the request waits for its tasks only in background-sending mode.
    if (deps_.config.mailer.email_background_sending) {
        middlewares.push_back(http::WithBackgroundTasks());
    }
    pipeline_ =
        http::Chain(middlewares, [this](Request& request) { return router_.Dispatch(request); });
}

void Api::AddRoutes() {
    const auto bind = [this](Response (Api::*method)(Request&)) {
        return [this, method](Request& request) {
            return (this->*method)(request);
        };
    };
    // Which requests hash a password (bcrypt): they run on the server's hashing lane.
    const Router::HashesPredicate always = [](const Request&) {
        return true;
    };
    const Router::HashesPredicate password_grant = [](const Request& request) {
        const auto grant = request.query.find("grant_type");
        return grant != request.query.end() && grant->second == "password";
    };
    router_.Use(RenderModuleErrors());
    router_.Add("GET", "/health", bind(&Api::Health));
    router_.Add("GET", "/settings", bind(&Api::Settings));
    router_.Add("GET", "/.well-known/jwks.json", bind(&Api::Jwks));
    const auto& limits = deps_.config.rate_limit;
    router_.Add("POST", "/signup", bind(&Api::SignupRoute), always);  // limits: anonymous.cpp
    router_.Add("GET", "/verify", Limited("verify", limits.verify, bind(&Api::VerifyGet)));
    router_.Add("POST", "/verify", Limited("verify", limits.verify, bind(&Api::VerifyPost)));
    router_.Add(
        "POST", "/token", Limited("token", limits.token_refresh, bind(&Api::Token)), password_grant
    );
    // As upstream (requireAuthentication): these take a signed-in user; the guard hands the
    // caller to the handler in Request::principal.
    const Router::Guard require_user = [this](Request& request) {
        request.principal = RequireUser(request);
    };
    auto signed_in = router_.Route("", require_user);
    signed_in.Add("GET", "/user", bind(&Api::UserGet));
    signed_in.Add("PUT", "/user", Limited("user", limits.otp, bind(&Api::UserPut)), always);
    signed_in.Add("POST", "/logout", bind(&Api::Logout));
    signed_in.Add("GET", "/reauthenticate", bind(&Api::Reauthenticate));
    // As upstream: challenge and verify each behind a per-client limit of N per minute.
    const double mfa_per_five_minutes = 5 * deps_.config.mfa.rate_limit_challenge_and_verify;
    signed_in.Add("POST", "/factors", bind(&Api::EnrollFactor));
    signed_in.Add(
        "POST",
        "/factors/:factor_id/challenge",
        Limited("factor_challenge", mfa_per_five_minutes, bind(&Api::ChallengeFactor))
    );
    signed_in.Add(
        "POST",
        "/factors/:factor_id/verify",
        Limited("factor_verify", mfa_per_five_minutes, bind(&Api::VerifyFactor))
    );
    signed_in.Add("DELETE", "/factors/:factor_id", bind(&Api::UnenrollFactor));
    router_.Add("POST", "/recover", Limited("recover", limits.otp, bind(&Api::Recover)));
    router_.Add("POST", "/resend", Limited("resend", limits.otp, bind(&Api::Resend)));
    router_.Add(
        "POST", "/magiclink", Limited("magiclink", limits.otp, bind(&Api::MagicLink)), always
    );
    router_.Add("POST", "/otp", Limited("otp", limits.otp, bind(&Api::Otp)), always);
    // As upstream: the /admin group and /invite take only admins; the guard hands the admin
    // (audit actor) to the handler in Request::principal.
    const Router::Guard require_admin = [this](Request& request) {
        request.principal = RequireAdmin(request);
    };
    auto admin = router_.Route("/admin", require_admin);
    admin.Add("GET", "/users", bind(&Api::AdminListUsers));
    admin.Add("POST", "/users", bind(&Api::AdminCreateUser), always);
    admin.Add("GET", "/users/:user_id", bind(&Api::AdminGetUser));
    admin.Add("PUT", "/users/:user_id", bind(&Api::AdminUpdateUser), always);
    admin.Add("DELETE", "/users/:user_id", bind(&Api::AdminDeleteUser));
    admin.Add("GET", "/users/:user_id/factors", bind(&Api::AdminListFactors));
    admin.Add("PUT", "/users/:user_id/factors/:factor_id", bind(&Api::AdminUpdateFactor));
    admin.Add("DELETE", "/users/:user_id/factors/:factor_id", bind(&Api::AdminDeleteFactor));
    admin.Add("POST", "/generate_link", bind(&Api::GenerateLink), always);
    admin.Add("GET", "/mail/outbox", bind(&Api::AdminMailOutbox));
    admin.Add("POST", "/mail/outbox/:id/retry", bind(&Api::AdminRetryMail));
    router_.Route("", require_admin).Add("POST", "/invite", bind(&Api::Invite), always);
}

bool Api::Hashes(const Request& request) const {
    return router_.Hashes(request);
}

http::HashingLane Api::Lane() const {
    return http::HashingLane::For(
        [this](const Request& request) { return Hashes(request); },
        crypto::HasherLimits::ForCpus(deps_.config.password.hash_concurrency).concurrency
    );
}

Response Api::Handle(Request& request) const {
    return pipeline_(request);
}

bool Api::UserExists(const std::string& email, const std::string& aud) {
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    return models::FindUserByEmailAndAudience(tx, email, aud).has_value();
}

std::vector<models::Identity> Api::LoadIdentities(const std::string& user_id) {
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    return models::FindIdentitiesByUser(tx, user_id);
}

Response Api::SessionResponse(
    const IssuedSession& session,
    const models::User& user,
    const std::vector<models::Identity>& identities,
    const std::vector<models::Factor>& factors
) {
    Response response = JsonResponse(200, SessionJson(session, user, identities, factors));
    response.headers.Set("sb-auth-user-id", user.id);
    response.headers.Set("sb-auth-session-id", session.session_id);
    response.headers.Set("sb-auth-refresh-token-prefix", session.refresh_token.substr(0, 5));
    return response;
}

}  // namespace gotrue::api
