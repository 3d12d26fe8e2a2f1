#pragma once

// One auth hook (an "extensibility point" in supabase/auth internal/conf/configuration.go) and
// how to run it. A hook is a URI, either
//   pg-functions://postgres/<schema>/<function>   called as <schema>.<function>($1::jsonb) in
//                                                 the caller's transaction, or
//   https://...  (http:// for localhost only)     POSTed the input, signed with Standard
//                                                 Webhooks headers (webhook_signature.hpp),
// plus, for HTTP hooks, the secrets "v1,whsec_<base64>" ('|'-separated in the variable).
// Invoke sends a JSON input and returns the JSON output, or throws HookError carrying the
// status, error_code and message the client gets (upstream's hookshttp / hookspgfunc /
// hookserrors). It never depends on the API layer, so every hook type (custom access token,
// send email, ...) builds its input and reads its output on top of it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "hooks/hook_config.hpp"

namespace gotrue::hooks {

// The error codes of hook failures (supabase/auth internal/api/apierrors/errorcode.go).
inline constexpr std::string_view kHookTimeout = "hook_timeout";
inline constexpr std::string_view kHookTimeoutAfterRetry = "hook_timeout_after_retry";
inline constexpr std::string_view kHookPayloadOverSizeLimit = "hook_payload_over_size_limit";
inline constexpr std::string_view kHookPayloadInvalidContentType =
    "hook_payload_invalid_content_type";

// Whether a failed hook may succeed when tried again later (the hook was unreachable, slow,
// overloaded or answered 5xx) or refused this input; a mail sender retries only kLater.
enum class Retry { kNever, kLater };

// A failed hook: what the client is answered. An empty code renders as unexpected_failure (500)
// or unknown, as upstream renders an HTTPError without one. `internal` is only logged.
class HookError : public std::runtime_error {  // what() is the public message
public:
    HookError(
        int status,
        std::string_view code,
        const std::string& message,
        std::string internal = {},
        Retry retry = Retry::kNever
    );

    [[nodiscard]] int Status() const noexcept { return status_; }

    [[nodiscard]] const std::string& Code() const noexcept { return code_; }

    [[nodiscard]] const std::string& Internal() const noexcept { return internal_; }

    [[nodiscard]] bool Transient() const noexcept { return retry_ == Retry::kLater; }

private:
    int status_;
    std::string code_;
    std::string internal_;
    Retry retry_;
};

// Upstream's dispatcher constants (hookshttp.go, hookspgfunc.go); tests shorten them.
struct DispatchOptions {
    std::chrono::milliseconds http_timeout{std::chrono::seconds(5)};  // all attempts together
    int http_attempts = 3;
    std::chrono::milliseconds http_backoff{std::chrono::seconds(2)};  // after a failed connection
    std::size_t response_limit = 200 * 1024;                          // bytes of the answer
    std::chrono::milliseconds pg_timeout{std::chrono::seconds(2)};    // statement_timeout
    // The webhook-id of every attempt (Standard Webhooks' idempotency key); empty: a random
    // UUID per attempt. A stored mail passes its own id, so a receiver can drop a repeat.
    std::string webhook_id;
};

// An `{"error": {"http_code", "message"}}` output as the error it asks for (upstream's
// hookserrors.Check): nothing when there is no error object or its message is empty; a missing
// or 0 http_code is a 500. Codes outside 400-599 become 500 too (upstream passes them through).
void ThrowIfErrorObject(const rapidjson::Value& output);

// Runs `hook` with `input` (a JSON text) and returns its output: a JSON document, or Null when
// the hook answered nothing (HTTP 204, SQL null). A Postgres function runs inside `tx`, so its
// effects commit or roll back with the request. Throws HookError.
[[nodiscard]] rapidjson::Document Invoke(
    const Hook& hook, std::string_view input, pqxx::work& tx, const DispatchOptions& options = {}
);

// The same for a caller outside any transaction: `postgres` runs a Postgres-function hook
// (typically InvokePostgres in a transaction of its own) and is not called for HTTP hooks, so
// no connection is held while an HTTP hook runs.
using PostgresRunner = std::function<std::string(std::string_view input)>;
[[nodiscard]] rapidjson::Document Invoke(
    const Hook& hook,
    std::string_view input,
    const PostgresRunner& postgres,
    const DispatchOptions& options = {}
);

// The transports Invoke picks from, each returning the raw output text ("" for none).
[[nodiscard]] std::string InvokeHttp(
    const Hook& hook, std::string_view input, const DispatchOptions& options
);
[[nodiscard]] std::string InvokePostgres(
    const Hook& hook, std::string_view input, pqxx::work& tx, const DispatchOptions& options
);

}  // namespace gotrue::hooks
