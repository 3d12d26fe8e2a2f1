#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http.hpp"

namespace gotrue::api {

// Maps METHOD + path pattern ("/admin/users/:user_id") to a handler. Trailing and duplicate
// slashes are ignored. A handler's HttpError (and any other exception) becomes the error
// response here, the one place errors are rendered.
class Router final {
public:
    // Whether a request to a route hashes a password (bcrypt), judged before it runs: such
    // requests run on the server's hashing lane (server.hpp) so a flood of them cannot take the
    // threads everything else needs.
    using HashesPredicate = std::function<bool(const Request&)>;

    void Add(
        std::string method,
        const std::string& pattern,
        Handler handler,
        HashesPredicate hashes = nullptr
    );

    // True when the route `request` would reach hashes a password for it.
    [[nodiscard]] bool Hashes(const Request& request) const;

    // 404 for an unknown path, 405 (with Allow) when only the method is wrong.
    [[nodiscard]] Response Dispatch(Request& request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // ":name" segments capture
        Handler handler;
        HashesPredicate hashes;
    };

    // The route for the method and path, nullptr when none; fills `params` and `allowed`.
    [[nodiscard]] const Route* Match(
        const Request& request,
        std::map<std::string, std::string>& params,
        std::vector<std::string>& allowed
    ) const;

    std::vector<Route> routes_;
};

// Runs `handler`, turning HttpError into its response and anything else into a logged 500.
[[nodiscard]] Response CallHandler(const Handler& handler, Request& request);

[[nodiscard]] std::vector<std::string> SplitPath(const std::string& path);

}  // namespace gotrue::api
