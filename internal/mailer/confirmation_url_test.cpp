#include "mailer/confirmation_url.hpp"

#include <doctest/doctest.h>

using gotrue::mailer::ConfirmationUrl;
using gotrue::mailer::QueryEscape;

TEST_SUITE("confirmation url") {
    TEST_CASE("the default link") {
        CHECK(
            ConfirmationUrl(
                "http://localhost:9999",
                "/verify",
                "abc123",
                "signup",
                "https://example.netlify.com"
            ) ==
            "http://localhost:9999/verify?token=abc123&type=signup&redirect_to=https://"
            "example.netlify.com"
        );
    }

    TEST_CASE("an absolute path replaces the base path, a relative one is merged") {
        CHECK(
            ConfirmationUrl("http://h:9999/auth/v1", "/verify", "t", "recovery", "http://r") ==
            "http://h:9999/verify?token=t&type=recovery&redirect_to=http://r"
        );
        CHECK(
            ConfirmationUrl(
                "http://h:9999/auth/v1", "/auth/v1/verify", "t", "recovery", "http://r"
            ) == "http://h:9999/auth/v1/verify?token=t&type=recovery&redirect_to=http://r"
        );
        CHECK(
            ConfirmationUrl("http://h:9999/auth/v1", "verify", "t", "invite", "http://r") ==
            "http://h:9999/auth/verify?token=t&type=invite&redirect_to=http://r"
        );
        CHECK(
            ConfirmationUrl("http://h:9999/auth/v1/", "verify", "t", "invite", "http://r") ==
            "http://h:9999/auth/v1/verify?token=t&type=invite&redirect_to=http://r"
        );
        CHECK(
            ConfirmationUrl("http://h:9999", "../x/./verify", "t", "invite", "http://r") ==
            "http://h:9999/x/verify?token=t&type=invite&redirect_to=http://r"
        );
    }

    TEST_CASE("a full URL as path wins and its own query is replaced") {
        CHECK(
            ConfirmationUrl(
                "http://h:9999",
                "https://app.example.com/confirm?x=1#frag",
                "t",
                "signup",
                "http://r"
            ) == "https://app.example.com/confirm?token=t&type=signup&redirect_to=http://r"
        );
        CHECK(
            ConfirmationUrl("http://h:9999", "/verify?keep=no", "t", "signup", "http://r") ==
            "http://h:9999/verify?token=t&type=signup&redirect_to=http://r"
        );
    }

    TEST_CASE("redirect_to is verbatim unless it holds & = or #") {
        CHECK(
            ConfirmationUrl("http://h", "/verify", "t", "signup", "http://app/path?") ==
            "http://h/verify?token=t&type=signup&redirect_to=http://app/path?"
        );
        CHECK(
            ConfirmationUrl("http://h", "/verify", "t", "signup", "http://app/cb?a=1&b=2") ==
            "http://h/verify?token=t&type=signup&redirect_to=http%3A%2F%2Fapp%2Fcb%3Fa%3D1%26b%3D2"
        );
        CHECK(
            ConfirmationUrl("http://h", "/verify", "t", "signup", "http://app/#/home") ==
            "http://h/verify?token=t&type=signup&redirect_to=http%3A%2F%2Fapp%2F%23%2Fhome"
        );
    }

    TEST_CASE("the token is query-escaped like Go's url.QueryEscape") {
        CHECK(QueryEscape("pkce_ab12") == "pkce_ab12");
        CHECK(QueryEscape("a b+c/d?e&f=g~h") == "a+b%2Bc%2Fd%3Fe%26f%3Dg~h");
        CHECK(
            ConfirmationUrl("http://h", "/verify", "a&b", "signup", "http://r") ==
            "http://h/verify?token=a%26b&type=signup&redirect_to=http://r"
        );
    }
}
