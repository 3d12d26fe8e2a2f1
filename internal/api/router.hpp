#pragma once

#include <string>
#include <vector>

#include "api/http.hpp"

namespace gotrue::api {

// Maps METHOD + path pattern ("/admin/users/:user_id") to a handler. Trailing and duplicate
// slashes are ignored. A handler's HttpError (and any other exception) becomes the error
// response here, the one place errors are rendered.
class Router final {
public:
    void Add(std::string method, const std::string& pattern, Handler handler);

    // 404 for an unknown path, 405 (with Allow) when only the method is wrong.
    [[nodiscard]] Response Dispatch(Request& request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // ":name" segments capture
        Handler handler;
    };

    std::vector<Route> routes_;
};

// Runs `handler`, turning HttpError into its response and anything else into a logged 500.
[[nodiscard]] Response CallHandler(const Handler& handler, Request& request);

[[nodiscard]] std::vector<std::string> SplitPath(const std::string& path);

}  // namespace gotrue::api
