#pragma once

// The HTTP vocabulary handlers use. Only server.cpp knows Pistache; handlers take a Request and
// return a Response, so tests call them in process (GoTrue's httptest style).

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apitask/context.hpp"

namespace gotrue::http {

// Header names compare case-insensitively; one value per name (Set replaces).
class Headers final {
public:
    [[nodiscard]] std::optional<std::string> Get(std::string_view name) const;

    [[nodiscard]] bool Has(std::string_view name) const { return Get(name).has_value(); }

    void Set(std::string name, std::string value);
    // Appends without looking for an existing entry (the caller knows the name is new).
    void Add(std::string name, std::string value);
    void Remove(std::string_view name);

    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& All() const {
        return entries_;
    }

private:
    std::vector<std::pair<std::string, std::string>> entries_;
};

struct Response;

struct Request {
    std::string method;                         // upper case: GET, POST, ...
    std::string path;                           // without the query string
    std::map<std::string, std::string> query;   // decoded
    std::map<std::string, std::string> params;  // path parameters, e.g. {"user_id", "..."}
    // The pattern of the route that matched ("/admin/users/:user_id"), set by Router::Dispatch;
    // empty when none did. Bounded, unlike `path`: what metrics label requests with.
    std::string route;
    Headers headers;
    std::string body;
    std::string remote_address;
    std::string request_id;
    std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();
    // Side work of this request (apitask). Set by the AttachTasks middleware; carries a
    // request worker when background tasks are enabled.
    apitask::Context tasks;
    // Set by handlers whose timing must not reveal whether an address exists (timing.hpp).
    std::string timing_endpoint;
    std::string timing_variant;
    // Who is calling, as the guard of the route's group established it (Router::Group), for
    // the handler to read; of a type the application defines, never read here.
    std::any principal;
    // Steps for a response the handler has not built yet, e.g. one that depends on the outcome
    // of a mail sent after the handler returned; Chain hands them to WhenComplete (middleware.hpp)
    // on the handler's response, so they run first among its completion steps.
    std::vector<std::function<void(Response&)>> response_steps;
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;
    // Not written before this time (timing equalisation, timing.hpp). The server waits on a
    // timer, not on a thread; in-process callers may ignore it.
    std::optional<std::chrono::steady_clock::time_point> not_before;
    // Released once the response is written or dropped: lets a middleware count the responses
    // still waiting to go out.
    std::shared_ptr<void> hold;
    // Steps that need the whole request's duration (request log, timing equalisation), added
    // with WhenComplete (middleware.hpp) and run, innermost middleware's first, once the
    // request's tasks are done, right before the response is written.
    std::vector<std::function<void(Response&)>> on_complete;
};

using Handler = std::function<Response(Request&)>;
// Wraps the next step; code after `next(request)` runs after the handler.
using Middleware = std::function<Response(Request&, const Handler& next)>;

// 200 application/json with `body`.
[[nodiscard]] Response JsonResponse(int status, std::string body);

// The token of `Authorization: Bearer <token>` ("bearer" in any case); 401 no_authorization when
// the header is missing or malformed (GoTrue's internal/api/auth.go).
[[nodiscard]] std::string BearerToken(const Request& request);

// How percent-decoding reads '+': a space in query strings, itself in path segments.
enum class Plus { kSpace, kLiteral };

// Percent-decoding for query strings and path segments.
[[nodiscard]] std::string UrlDecode(std::string_view text, Plus plus = Plus::kSpace);

// `text` as valid UTF-8 without NUL: every byte sequence that is not valid UTF-8, and U+0000, is
// replaced by U+FFFD. Everything a handler reads off a request (header values, query and path
// parameters) goes through it, so no client byte can make PostgreSQL refuse a text parameter.
[[nodiscard]] std::string ToSafeText(std::string_view text);

// The parameters of a query string ("a=1&b=x%20y"), decoded and made safe; of repeated names the
// first is kept, as Go's url.Values.Get reads them.
[[nodiscard]] std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace gotrue::http
