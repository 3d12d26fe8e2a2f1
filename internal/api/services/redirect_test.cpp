#include "api/services/redirect.hpp"

#include <doctest/doctest.h>

using gotrue::api::ErrorRedirect;
using gotrue::api::MessageRedirect;
using gotrue::api::PkceCodeRedirect;
using gotrue::models::FlowType;

TEST_SUITE("verify redirects") {
    TEST_CASE("a PKCE success sets code in the query and keeps the fragment") {
        CHECK(
            PkceCodeRedirect("http://localhost:3000/cb", "c0de") ==
            "http://localhost:3000/cb?code=c0de"
        );
        // The query is re-encoded as Go's url.Values: names sorted, values escaped.
        CHECK(
            PkceCodeRedirect("http://localhost:3000/cb?next=/a%20b&a=1", "c0de") ==
            "http://localhost:3000/cb?a=1&code=c0de&next=%2Fa+b"
        );
        // An existing code is replaced, not repeated.
        CHECK(
            PkceCodeRedirect("http://localhost:3000/cb?code=old#frag", "new") ==
            "http://localhost:3000/cb?code=new#frag"
        );
    }

    TEST_CASE("errors go to the fragment, and for PKCE also to the query") {
        const auto expired = [](FlowType flow) {
            return ErrorRedirect(
                "http://localhost:3000/cb?x=1",
                403,
                "otp_expired",
                "Email link is invalid or has expired",
                flow
            );
        };
        const std::string fragment =
            "#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+"
            "or+"
            "has+expired&sb=";
        CHECK(expired(FlowType::kImplicit) == "http://localhost:3000/cb?x=1" + fragment);
        CHECK(
            expired(FlowType::kPkce) ==
            "http://localhost:3000/cb?error=access_denied&error_code=otp_expired&error_description="
            "Email+link+is+invalid+or+has+expired&x=1" +
                fragment
        );
        // The fragment is replaced, as url.URL.Fragment is.
        CHECK(
            ErrorRedirect("http://localhost:3000/#old", 400, "c", "d", FlowType::kImplicit) ==
            "http://localhost:3000/#error=invalid_request&error_code=c&error_description=d&sb="
        );
    }

    TEST_CASE("the first email-change link's message, for PKCE also in the query") {
        CHECK(
            MessageRedirect("http://localhost:3000/", "a b", FlowType::kImplicit) ==
            "http://localhost:3000/#message=a+b&sb="
        );
        CHECK(
            MessageRedirect("http://localhost:3000/?z=1", "a b", FlowType::kPkce) ==
            "http://localhost:3000/?message=a+b&z=1#message=a+b&sb="
        );
    }

    TEST_CASE("pairs holding a semicolon are dropped, as Go's url.ParseQuery drops them") {
        CHECK(
            PkceCodeRedirect("http://localhost:3000/?a=1;b=2&c=3", "x") ==
            "http://localhost:3000/?c=3&code=x"
        );
    }
}
