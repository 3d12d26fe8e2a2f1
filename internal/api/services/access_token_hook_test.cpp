#include "api/services/access_token_hook.hpp"

#include <string>

#include <doctest/doctest.h>

#include "json/parser.hpp"

using gotrue::api::ClaimsSchemaViolations;
using gotrue::api::OutputClaims;

namespace {

rapidjson::Document Json(const std::string& text) {
    auto parsed = gotrue::json::Parse(text);
    REQUIRE_MESSAGE(parsed.Ok(), parsed.error);
    return std::move(parsed.document);
}

const std::string kValidClaims =
    R"({"aud":"authenticated","exp":1700003600,"iat":1700000000,"sub":"u1","email":"a@b.c",)"
    R"("phone":"","role":"authenticated","aal":"aal1","session_id":"s1","is_anonymous":false,)"
    R"("app_metadata":{},"user_metadata":{},"amr":[{"method":"password","timestamp":1}]})";

// The claims with `member` set to `json` (the parser keeps the last of duplicate keys), or
// without it when `json` is empty.
std::string With(const std::string& member, const std::string& json) {
    std::string text = kValidClaims;
    if (!json.empty()) {
        return text.substr(0, text.size() - 1) + R"(,")" + member + R"(":)" + json + "}";
    }
    const auto start = text.find("\"" + member + "\":");
    const auto next = text.find(",\"", start + 1);
    REQUIRE(start != std::string::npos);
    REQUIRE(next != std::string::npos);
    text.erase(start, next - start + 1);
    return text;
}

std::string Failure(const std::string& output) {
    try {
        (void)OutputClaims(Json(output));
    } catch (const gotrue::http::HttpError& error) {
        CHECK(error.Status() == 500);
        return error.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("access-token hook: the minimum token schema") {
    CHECK(ClaimsSchemaViolations(Json(kValidClaims)).empty());
    // Extra claims of any type are allowed; integers may be written as 1.0.
    CHECK(ClaimsSchemaViolations(Json(With("user_role", R"("admin")"))).empty());
    CHECK(ClaimsSchemaViolations(Json(With("exp", "1700003600.0"))).empty());
    CHECK(ClaimsSchemaViolations(Json(With("aud", R"(["a","b"])"))).empty());
    CHECK(ClaimsSchemaViolations(Json(With("amr", R"(["password"])"))).empty());

    for (const char* required :
         {"aud",
          "exp",
          "iat",
          "sub",
          "email",
          "phone",
          "role",
          "aal",
          "session_id",
          "is_anonymous"}) {
        CAPTURE(required);
        CHECK(
            ClaimsSchemaViolations(Json(With(required, ""))) ==
            "- (root): " + std::string(required) + " is required\n"
        );
    }

    struct Case {
        const char* member;
        const char* value;
        const char* violations;
    };

    for (const Case& wrong : {
             Case{"exp", R"("soon")", "- exp: Invalid type. Expected: integer, given: string\n"},
             Case{"iat", "1.5", "- iat: Invalid type. Expected: integer, given: number\n"},
             Case{"role", "7", "- role: Invalid type. Expected: string, given: integer\n"},
             Case{"aud", "{}", "- aud: Invalid type. Expected: string,array, given: object\n"},
             Case{
                 "app_metadata",
                 "[]",
                 "- app_metadata: Invalid type. Expected: object, given: array\n"},
             Case{
                 "amr",
                 R"(["ok",1,null])",
                 "- amr.1: Must validate at least one schema (anyOf)\n"
                 "- amr.2: Must validate at least one schema (anyOf)\n",
             },
         }) {
        CAPTURE(wrong.member);
        CHECK(ClaimsSchemaViolations(Json(With(wrong.member, wrong.value))) == wrong.violations);
    }
    CHECK(
        ClaimsSchemaViolations(Json("null")) ==
        "- (root): Invalid type. Expected: object, given: null\n"
    );
}

TEST_CASE("access-token hook: reading the output") {
    const auto claims = OutputClaims(Json(R"({"claims":)" + With("user_role", R"("admin")") + "}"));
    REQUIRE(claims.IsObject());
    CHECK(std::string(claims["user_role"].GetString()) == "admin");
    CHECK(std::string(claims["sub"].GetString()) == "u1");

    CHECK(Failure(R"({"other":1})") == "output claims field is missing");
    CHECK(Failure(R"([1])") == "Error unmarshaling JSON output.");
    CHECK(Failure(R"({"claims":"text"})") == "Error unmarshaling JSON output.");
    CHECK(
        Failure(R"({"claims":null})") ==
        "output claims do not conform to the expected schema: \n"
        "- (root): Invalid type. Expected: object, given: null\n"
    );
    CHECK(
        Failure(R"({"claims":)" + With("aal", "") + "}") ==
        "output claims do not conform to the expected schema: \n- (root): aal is required\n"
    );
    // Nothing answered (HTTP 204, SQL null): upstream validates nil claims.
    CHECK_THROWS_AS((void)OutputClaims(rapidjson::Value()), gotrue::http::HttpError);
}
