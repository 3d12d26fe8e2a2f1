#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/http.hpp"

namespace gotrue::http {

// Maps METHOD + path pattern ("/admin/users/:user_id") to a handler. Trailing and duplicate
// slashes are ignored. A handler's HttpError (and any other exception) becomes the error
// response here, the one place errors are rendered.
class Router final {
public:
    // Runs before the handler of every route of its group; refuses the request by throwing
    // (HttpError) and may record who is calling in Request::principal for the handler.
    using Guard = std::function<void(Request&)>;

    // Whether a request to a route hashes a password (bcrypt), judged before it runs: such
    // requests run on the server's hashing lane (server.hpp) so a flood of them cannot take the
    // threads everything else needs.
    using HashesPredicate = std::function<bool(const Request&)>;

    // Routes under a path prefix ("" for none) that share a guard: chi's
    // r.Route("/admin", ...) with r.Use(api.requireAdminCredentials) in supabase/auth
    // internal/api/api.go. The guard runs once a route of the group matched, so an unknown path
    // stays 404 and a wrong method 405 without it.
    class Group final {
    public:
        void Add(
            std::string method,
            const std::string& pattern,
            Handler handler,
            HashesPredicate hashes = nullptr
        );

    private:
        friend class Router;
        Group(Router& router, std::string prefix, Guard guard);

        Router& router_;
        std::string prefix_;
        Guard guard_;
    };

    void Add(
        std::string method,
        const std::string& pattern,
        Handler handler,
        HashesPredicate hashes = nullptr
    );

    [[nodiscard]] Group Route(std::string prefix, Guard guard);

    // Wraps the guard and handler of every route, outermost first (as chi's r.Use on the root).
    void Use(Middleware middleware);

    // True when the route `request` would reach hashes a password for it.
    [[nodiscard]] bool Hashes(const Request& request) const;

    // 404 for an unknown path, 405 (with Allow) when only the method is wrong.
    [[nodiscard]] Response Dispatch(Request& request) const;

private:
    struct Entry {
        std::string method;
        std::string pattern;                // as registered, group prefix included
        std::vector<std::string> segments;  // ":name" segments capture
        Handler handler;
        HashesPredicate hashes;
        Guard guard;  // null outside a guarded group
    };

    // The route for the method and path, nullptr when none; fills `params` and `allowed`.
    [[nodiscard]] const Entry* Match(
        const Request& request,
        std::map<std::string, std::string>& params,
        std::vector<std::string>& allowed
    ) const;

    // The middlewares from `layer` on, then the guard and the handler of `route`.
    [[nodiscard]] Response Run(const Entry& route, Request& request, std::size_t layer) const;

    std::vector<Entry> routes_;
    std::vector<Middleware> middlewares_;
};

// Runs `handler`, turning HttpError into its response and anything else into a logged 500.
[[nodiscard]] Response CallHandler(const Handler& handler, Request& request);

[[nodiscard]] std::vector<std::string> SplitPath(const std::string& path);

}  // namespace gotrue::http
