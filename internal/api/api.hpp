#pragma once

// api: the HTTP surface of the server. Api holds the route table and the middleware order;
// Server (server.hpp) feeds it requests from Pistache. Handlers live one per file
// (health.cpp, settings.cpp, ...).

#include <string>

#include "api/http.hpp"
#include "api/router.hpp"
#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"

namespace gotrue::api {

struct ApiDeps {
    const conf::Config& config;
    std::string version;         // build version, reported by /health
    apitask::WorkerPool& tasks;  // executes the requests' side work (apitask)
};

class Api final {
public:
    explicit Api(ApiDeps deps);

    // Runs the whole pipeline (middleware, routing, handler) for one request. Never throws.
    [[nodiscard]] Response Handle(Request& request) const;

private:
    void AddRoutes();

    [[nodiscard]] Response Health(Request& request) const;
    [[nodiscard]] Response Settings(Request& request) const;

    ApiDeps deps_;
    Router router_;
    Handler pipeline_;
};

}  // namespace gotrue::api
