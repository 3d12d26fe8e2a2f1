// The other modules' exceptions as the client sees them (module_errors.hpp), through the
// router's error rendering as a handler's exception reaches it.

#include "api/module_errors.hpp"

#include <doctest/doctest.h>
#include <pqxx/except>

#include "apitask/apitask.hpp"
#include "http/router.hpp"
#include "storage/database.hpp"

using gotrue::api::Request;
using gotrue::api::Response;

namespace {

// Errors are rendered in the legacy format (no X-Supabase-Api-Version).
Request LegacyRequest() {
    Request request;
    request.request_id = "req-1";
    return request;
}

// The handler behind RenderModuleErrors, called as the router calls a route.
template <typename Throwing>
Response CallHandler(Throwing handler, Request& request) {
    const auto render = gotrue::api::RenderModuleErrors();
    return gotrue::http::CallHandler(
        [&](Request& inner) { return render(inner, handler); }, request
    );
}

}  // namespace

TEST_SUITE("module errors") {
    TEST_CASE(
        "module errors map to GoTrue's statuses: pool timeout 503, closed worker 500, full queue "
        "503"
    ) {
        Request request = LegacyRequest();
        const auto pool_timeout = CallHandler(
            [](Request&) -> Response { throw gotrue::storage::PoolTimeoutError("no connection"); },
            request
        );
        CHECK(pool_timeout.status == 503);
        CHECK(pool_timeout.headers.Get("Retry-After") == "1");
        const auto closed = CallHandler(
            [](Request&) -> Response {
                throw gotrue::apitask::WorkerClosedError(
                    "apitask: unable to run tasks after a call to Wait"
                );
            },
            request
        );
        CHECK(closed.status == 500);
        CHECK(closed.body.find(R"("msg":"failed to run task")") != std::string::npos);
        CHECK(closed.body.find("unable to run") == std::string::npos);
        const auto full = CallHandler(
            [](Request&) -> Response { throw gotrue::apitask::QueueFullError("full"); }, request
        );
        CHECK(full.status == 503);
        CHECK(full.headers.Get("x-sb-error-code") == "over_request_rate_limit");
    }

    TEST_CASE("PostgreSQL data exceptions (SQLSTATE class 22, 54001) are the client's 400") {
        Request request = LegacyRequest();
        for (const char* state : {"22001", "22P02", "22021", "54001"}) {
            CAPTURE(state);
            const auto response = CallHandler(
                [state](Request&) -> Response {
                    throw pqxx::data_exception("value too long", "SELECT 1", state);
                },
                request
            );
            CHECK(response.status == 400);
            CHECK(response.headers.Get("x-sb-error-code") == "validation_failed");
            CHECK(response.body.find("SELECT") == std::string::npos);
        }
        const auto other = CallHandler(
            [](Request&) -> Response {
                throw pqxx::sql_error("relation missing", "SELECT 1", "42P01");
            },
            request
        );
        CHECK(other.status == 500);
    }
}
