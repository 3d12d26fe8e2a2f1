#pragma once

// auth.flow_state: the server side of a PKCE flow (supabase/auth internal/models/flow_state.go
// and internal/api/pkce.go). A request carrying code_challenge creates a row for the user and
// the flow's authentication method; the link of its mail carries a "pkce_" token, and using it
// issues the row's auth_code to the browser; POST /token?grant_type=pkce exchanges that code
// and the code_verifier for a session, once. Rows of OAuth flows written by upstream share the
// table; this server only writes and reads email flows.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "models/time.hpp"
#include "models/user.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::models {

// Where a verified email link sends the session: in the redirect's fragment (implicit) or, as a
// one-time auth code in its query, to the client that holds the verifier (PKCE).
enum class FlowType { kImplicit, kPkce };

// Stored tokens of a PKCE flow start with this (the users column and the one_time_tokens row),
// so that GET /verify knows to answer with a code.
inline constexpr std::string_view kPkcePrefix = "pkce_";

[[nodiscard]] inline bool IsPkceToken(std::string_view token) {
    return token.starts_with(kPkcePrefix);
}

// `token` as stored for `flow`: with the pkce_ prefix for a PKCE flow.
[[nodiscard]] std::string WithFlowPrefix(std::string token, FlowType flow);

struct FlowState {
    std::string id;
    std::optional<std::string> user_id;
    std::string auth_code;              // "" for rows without one (implicit OAuth flows)
    std::string authentication_method;  // e.g. "email/signup", "magiclink"
    std::string code_challenge;
    std::string code_challenge_method;  // "s256" | "plain" | ""
    std::string provider_type;
    OptionalTime auth_code_issued_at;
    Time created_at{};

    [[nodiscard]] bool IsPkce() const { return !code_challenge.empty(); }
};

struct NewPkceFlow {
    std::string user_id;
    std::string provider_type;  // upstream's value per flow, e.g. "email", "recovery"
    AuthenticationMethod method{};
    std::string code_challenge;
    CodeChallengeMethod challenge_method{};
};

// Inserts a flow with a fresh auth code (a random UUID, as upstream) and returns it.
FlowState CreatePkceFlowState(pqxx::transaction_base& tx, const NewPkceFlow& flow);

// The flow holding `auth_code`. With Lock::kForUpdate concurrent exchanges of one code queue on
// the row; once the first has deleted it the others find nothing.
[[nodiscard]] std::optional<FlowState> FindFlowStateByAuthCode(
    pqxx::transaction_base& tx, std::string_view auth_code, Lock lock = Lock::kNone
);

// The user's most recently created flow of `method`: the one a verified link belongs to.
[[nodiscard]] std::optional<FlowState> FindLatestFlowStateOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, AuthenticationMethod method
);

// The auth code went out to the browser now (a magic-link flow's lifetime counts from here).
void RecordAuthCodeIssuedAt(pqxx::transaction_base& tx, FlowState& flow);

// Deletes the flow; false when it was already gone.
bool DeleteFlowState(pqxx::transaction_base& tx, std::string_view id);

// Upstream's rule (FlowState.IsExpired): a magic-link flow whose code was issued lives `expiry`
// from then, every other flow `expiry` from its creation.
[[nodiscard]] bool IsExpired(const FlowState& flow, std::chrono::milliseconds expiry, Time now);

// Deletes at most `limit` flows, of any kind, created more than `age` ago (and whose code, if
// issued, is as old), skipping rows other transactions hold. Returns how many went.
long long DeleteStaleFlowStates(
    pqxx::transaction_base& tx, std::chrono::seconds age, long long limit
);

// RFC 7636 section 4.6: whether `verifier` matches `challenge` under `method` ("s256" or
// "plain", any case). S256 compares BASE64URL(SHA256(verifier)) without padding; both compare in
// constant time.
enum class PkceCheck { kMatch, kMismatch, kUnsupportedMethod };

[[nodiscard]] PkceCheck VerifyPkceChallenge(
    std::string_view challenge, std::string_view method, std::string_view verifier
);

// BASE64URL(SHA256(verifier)) without padding: the S256 challenge of `verifier`.
[[nodiscard]] std::string S256Challenge(std::string_view verifier);

}  // namespace gotrue::models
