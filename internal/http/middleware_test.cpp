#include "http/middleware.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using gotrue::http::Chain;
using gotrue::http::Handler;
using gotrue::http::Middleware;
using gotrue::http::Request;
using gotrue::http::Response;

TEST_SUITE("middleware") {
    TEST_CASE("Chain runs middleware outermost first and unwinds in reverse") {
        std::vector<std::string> trace;
        const auto step = [&trace](const std::string& name) -> Middleware {
            return [&trace, name](Request& request, const Handler& next) {
                trace.push_back(name + ">");
                Response response = next(request);
                trace.push_back("<" + name);
                return response;
            };
        };
        const Handler handler = Chain({step("a"), step("b")}, [&trace](Request&) {
            trace.emplace_back("handler");
            return Response{};
        });
        Request request;
        static_cast<void>(handler(request));
        CHECK(trace == std::vector<std::string>{"a>", "b>", "handler", "<b", "<a"});
    }

    TEST_CASE("StripPathPrefix serves /auth/v1/x as /x, and only a whole path segment") {
        const auto routed = [](const std::string& path) {
            std::string seen;
            const Handler handler =
                Chain({gotrue::http::StripPathPrefix("/auth/v1")}, [&seen](Request& request) {
                    seen = request.path;
                    return Response{};
                });
            Request request;
            request.path = path;
            static_cast<void>(handler(request));
            return seen;
        };
        CHECK(routed("/auth/v1/signup") == "/signup");
        CHECK(routed("/auth/v1/.well-known/jwks.json") == "/.well-known/jwks.json");
        CHECK(routed("/auth/v1") == "/");
        CHECK(routed("/auth/v1/") == "/");
        CHECK(routed("/signup") == "/signup");
        CHECK(routed("/auth/v10/signup") == "/auth/v10/signup");
        CHECK(routed("/x/auth/v1/signup") == "/x/auth/v1/signup");
        CHECK(routed("/auth/v1/auth/v1/user") == "/auth/v1/user");  // stripped once
    }

    TEST_CASE("log-field injection: a request id from the header is reduced to a safe alphabet") {
        Request request;
        request.headers.Set("X-Request-Id", "abc status=200 user_id=admin\r\nlevel=error");
        CHECK(
            gotrue::http::RequestIdFor(request, "X-Request-Id") ==
            "abc_status_200_user_id_admin__level_error"
        );
        request.headers.Set("X-Request-Id", std::string(300, 'x'));
        CHECK(gotrue::http::RequestIdFor(request, "X-Request-Id") == std::string(128, 'x'));
        // Without the header configured the client's value is ignored.
        CHECK(gotrue::http::RequestIdFor(request, "").size() == 36);
    }

    TEST_CASE("the recoverer turns an escaping exception into a 500") {
        const Handler handler = Chain({gotrue::http::Recoverer()}, [](Request&) -> Response {
            throw std::logic_error("boom");
        });
        Request request;
        CHECK(handler(request).status == 500);
    }
}
