#include "api/middleware.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using gotrue::api::Chain;
using gotrue::api::Handler;
using gotrue::api::Middleware;
using gotrue::api::Request;
using gotrue::api::Response;

TEST_SUITE("middleware") {
    TEST_CASE("Chain runs middleware outermost first and unwinds in reverse") {
        std::vector<std::string> trace;
        const auto step = [&trace](std::string name) -> Middleware {
            return [&trace, name](Request& request, const Handler& next) {
                trace.push_back(name + ">");
                Response response = next(request);
                trace.push_back("<" + name);
                return response;
            };
        };
        const Handler handler = Chain({step("a"), step("b")}, [&trace](Request&) {
            trace.push_back("handler");
            return Response{};
        });
        Request request;
        static_cast<void>(handler(request));
        CHECK(trace == std::vector<std::string>{"a>", "b>", "handler", "<b", "<a"});
    }

    TEST_CASE("the recoverer turns an escaping exception into a 500") {
        const Handler handler = Chain({gotrue::api::Recoverer()}, [](Request&) -> Response {
            throw std::logic_error("boom");
        });
        Request request;
        CHECK(handler(request).status == 500);
    }
}
