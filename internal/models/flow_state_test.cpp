#include "models/flow_state.hpp"

#include <doctest/doctest.h>

using gotrue::models::AuthenticationMethod;
using gotrue::models::CodeChallengeMethod;
using gotrue::models::FlowState;
using gotrue::models::FlowType;
using gotrue::models::PkceCheck;
using gotrue::models::Time;
using gotrue::models::VerifyPkceChallenge;

namespace {

// RFC 7636 Appendix B.
constexpr const char* kRfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

FlowState Flow(AuthenticationMethod method, Time created_at) {
    FlowState flow;
    flow.authentication_method = std::string(gotrue::models::String(method));
    flow.created_at = created_at;
    return flow;
}

}  // namespace

TEST_SUITE("flow state") {
    TEST_CASE("S256 is BASE64URL(SHA256(verifier)) without padding, the RFC 7636 vector") {
        CHECK(gotrue::models::S256Challenge(kRfcVerifier) == kRfcChallenge);
        CHECK(VerifyPkceChallenge(kRfcChallenge, "s256", kRfcVerifier) == PkceCheck::kMatch);
        CHECK(VerifyPkceChallenge(kRfcChallenge, "S256", kRfcVerifier) == PkceCheck::kMatch);
        // One character off, and the challenge itself used as verifier.
        CHECK(
            VerifyPkceChallenge(
                kRfcChallenge, "s256", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
            ) == PkceCheck::kMismatch
        );
        CHECK(VerifyPkceChallenge(kRfcChallenge, "s256", kRfcChallenge) == PkceCheck::kMismatch);
        CHECK(VerifyPkceChallenge(kRfcChallenge, "s256", "") == PkceCheck::kMismatch);
    }

    TEST_CASE("plain compares the verifier itself") {
        CHECK(VerifyPkceChallenge(kRfcVerifier, "plain", kRfcVerifier) == PkceCheck::kMatch);
        CHECK(VerifyPkceChallenge(kRfcVerifier, "PLAIN", kRfcVerifier) == PkceCheck::kMatch);
        CHECK(VerifyPkceChallenge(kRfcVerifier, "plain", kRfcChallenge) == PkceCheck::kMismatch);
        // A plain challenge is not matched by a verifier hashing to it.
        CHECK(VerifyPkceChallenge(kRfcChallenge, "plain", kRfcVerifier) == PkceCheck::kMismatch);
    }

    TEST_CASE("other methods are unsupported") {
        CHECK(
            VerifyPkceChallenge(kRfcChallenge, "", kRfcVerifier) == PkceCheck::kUnsupportedMethod
        );
        CHECK(
            VerifyPkceChallenge(kRfcChallenge, "sha256", kRfcVerifier) ==
            PkceCheck::kUnsupportedMethod
        );
        CHECK_FALSE(gotrue::models::ParseCodeChallengeMethod("s512").has_value());
        CHECK(gotrue::models::ParseCodeChallengeMethod("S256") == CodeChallengeMethod::kS256);
        CHECK(gotrue::models::ParseCodeChallengeMethod("Plain") == CodeChallengeMethod::kPlain);
        CHECK(gotrue::models::String(CodeChallengeMethod::kS256) == "s256");
        CHECK(gotrue::models::String(CodeChallengeMethod::kPlain) == "plain");
    }

    TEST_CASE("a flow expires its lifetime after creation") {
        const Time created{std::chrono::seconds(1'000'000)};
        const auto lifetime = std::chrono::seconds(300);
        const auto flow = Flow(AuthenticationMethod::kRecovery, created);
        CHECK_FALSE(gotrue::models::IsExpired(flow, lifetime, created + std::chrono::seconds(300)));
        CHECK(gotrue::models::IsExpired(flow, lifetime, created + std::chrono::seconds(301)));
        // Only magic-link flows count from the issued code.
        auto issued = flow;
        issued.auth_code_issued_at = created + std::chrono::seconds(200);
        CHECK(gotrue::models::IsExpired(issued, lifetime, created + std::chrono::seconds(301)));
    }

    TEST_CASE("a magic-link flow with an issued code expires its lifetime after the issue") {
        const Time created{std::chrono::seconds(1'000'000)};
        const auto lifetime = std::chrono::seconds(300);
        auto flow = Flow(AuthenticationMethod::kMagicLink, created);
        CHECK(gotrue::models::IsExpired(flow, lifetime, created + std::chrono::seconds(301)));
        flow.auth_code_issued_at = created + std::chrono::seconds(200);
        CHECK_FALSE(gotrue::models::IsExpired(flow, lifetime, created + std::chrono::seconds(500)));
        CHECK(gotrue::models::IsExpired(flow, lifetime, created + std::chrono::seconds(501)));
    }

    TEST_CASE("the pkce_ prefix marks PKCE tokens only") {
        CHECK(gotrue::models::WithFlowPrefix("abc", FlowType::kPkce) == "pkce_abc");
        CHECK(gotrue::models::WithFlowPrefix("abc", FlowType::kImplicit) == "abc");
        CHECK(gotrue::models::IsPkceToken("pkce_abc"));
        CHECK_FALSE(gotrue::models::IsPkceToken("abc"));
        CHECK_FALSE(gotrue::models::IsPkceToken("pkce"));
    }
}
