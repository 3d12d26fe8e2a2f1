#include "http/errors.hpp"

#include <doctest/doctest.h>

#include "http/router.hpp"

using gotrue::http::BadRequest;
using gotrue::http::HttpError;
using gotrue::http::RenderError;
using gotrue::http::Request;
using gotrue::http::UnprocessableEntity;
using gotrue::http::WantsApiVersion2024;

namespace {

Request WithVersion(const char* version) {
    Request request;
    request.request_id = "req-1";
    if (version != nullptr) {
        request.headers.Set("X-Supabase-Api-Version", version);
    }
    return request;
}

}  // namespace

TEST_SUITE("error formats") {
    TEST_CASE("legacy format without the version header") {
        const auto response = RenderError(
            UnprocessableEntity("user_already_exists", "User already registered"),
            WithVersion(nullptr)
        );
        CHECK(response.status == 422);
        CHECK(
            response.body ==
            R"({"code":422,"error_code":"user_already_exists","msg":"User already registered"})"
        );
        CHECK(response.headers.Get("x-sb-error-code") == "user_already_exists");
        CHECK_FALSE(response.headers.Has("X-Supabase-Api-Version"));
    }

    TEST_CASE("2024 format when the header is a date on or after 2024-01-01") {
        const auto response = RenderError(
            UnprocessableEntity("user_already_exists", "User already registered"),
            WithVersion("2024-01-01")
        );
        CHECK(
            response.body == R"({"code":"user_already_exists","message":"User already registered"})"
        );
        CHECK(response.headers.Get("X-Supabase-Api-Version") == "2024-01-01");
        CHECK(response.headers.Get("x-sb-error-code") == "user_already_exists");
    }

    TEST_CASE("the version header must be a real date on or after 2024-01-01") {
        CHECK(WantsApiVersion2024(WithVersion("2025-06-30")));
        CHECK_FALSE(WantsApiVersion2024(WithVersion("2023-12-31")));
        CHECK_FALSE(WantsApiVersion2024(WithVersion("2024-13-01")));
        CHECK_FALSE(WantsApiVersion2024(WithVersion("yesterday")));
        CHECK_FALSE(WantsApiVersion2024(WithVersion("2024-1-1")));
        CHECK_FALSE(WantsApiVersion2024(WithVersion("")));
    }

    TEST_CASE("5xx errors carry the request id as error_id in the legacy format") {
        const auto response =
            RenderError(gotrue::http::UnexpectedFailure("db down"), WithVersion(nullptr));
        CHECK(
            response.body ==
            R"({"code":500,"error_code":"unexpected_failure","msg":"Unexpected failure, please check server logs for more information","error_id":"req-1"})"
        );
        CHECK(response.body.find("db down") == std::string::npos);
    }

    TEST_CASE("an empty code defaults to unexpected_failure on 500 and unknown otherwise") {
        CHECK(
            RenderError(HttpError(500, "", "x"), WithVersion("2024-01-01")).body ==
            R"({"code":"unexpected_failure","message":"x"})"
        );
        CHECK(
            RenderError(HttpError(418, "", "x"), WithVersion("2024-01-01")).body ==
            R"({"code":"unknown","message":"x"})"
        );
    }

    TEST_CASE("weak_password carries its reasons in both formats") {
        auto error =
            UnprocessableEntity("weak_password", "Password should be at least 6 characters.");
        error.WithWeakPasswordReasons({"length"});
        CHECK(
            RenderError(error, WithVersion(nullptr)).body ==
            R"({"code":422,"error_code":"weak_password","msg":"Password should be at least 6 characters.","weak_password":{"reasons":["length"]}})"
        );
        CHECK(
            RenderError(error, WithVersion("2024-01-01")).body ==
            R"({"code":"weak_password","message":"Password should be at least 6 characters.","weak_password":{"reasons":["length"]}})"
        );
    }

    TEST_CASE("messages are JSON-escaped") {
        const auto response = RenderError(
            BadRequest("bad_json", "quote \" and \\ and \n"), WithVersion("2024-01-01")
        );
        CHECK(response.body == R"({"code":"bad_json","message":"quote \" and \\ and \n"})");
    }

    TEST_CASE("handler exceptions become responses, internal details stay out") {
        Request request = WithVersion(nullptr);
        const auto from_http_error = gotrue::http::CallHandler(
            [](Request&) -> gotrue::http::Response {
                throw BadRequest("validation_failed", "nope");
            },
            request
        );
        CHECK(from_http_error.status == 400);
        const auto from_std = gotrue::http::CallHandler(
            [](Request&) -> gotrue::http::Response { throw std::runtime_error("secret detail"); },
            request
        );
        CHECK(from_std.status == 500);
        CHECK(from_std.body.find("secret detail") == std::string::npos);
        const auto from_anything = gotrue::http::CallHandler(
            [](Request&) -> gotrue::http::Response { throw 42; }, request
        );
        CHECK(from_anything.status == 500);
    }
}
