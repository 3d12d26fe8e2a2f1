#pragma once

// Errors a client sees. Handlers throw HttpError; the router renders it in GoTrue's legacy or
// 2024 format (docs/http.md) and logs the internal detail, which never reaches the client.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/error_codes.hpp"
#include "http/http.hpp"

namespace gotrue::http {

class HttpError : public std::runtime_error {  // what() is the public message
public:
    HttpError(int status, ErrorCode code, const std::string& message, std::string internal = {});

    [[nodiscard]] int Status() const noexcept { return status_; }

    [[nodiscard]] const std::string& Code() const noexcept { return code_; }

    [[nodiscard]] const std::string& Internal() const noexcept { return internal_; }

    // Extra response headers, e.g. Retry-After on 429/503. On a temporary it returns the error
    // itself, so `throw TooManyRequests(...).WithHeader(...)` throws a temporary.
    HttpError& WithHeader(std::string name, std::string value) &;
    [[nodiscard]] HttpError WithHeader(std::string name, std::string value) &&;

    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& ExtraHeaders() const {
        return headers_;
    }

    // weak_password payload: {"reasons": [...]} (legacy and 2024 formats both carry it).
    HttpError& WithWeakPasswordReasons(std::vector<std::string> reasons) &;
    [[nodiscard]] HttpError WithWeakPasswordReasons(std::vector<std::string> reasons) &&;

    [[nodiscard]] const std::vector<std::string>& WeakPasswordReasons() const { return reasons_; }

private:
    int status_;
    std::string code_;
    std::string internal_;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::vector<std::string> reasons_;
};

[[nodiscard]] HttpError BadRequest(ErrorCode code, const std::string& message);
[[nodiscard]] HttpError Unauthorized(ErrorCode code, const std::string& message);
[[nodiscard]] HttpError Forbidden(ErrorCode code, const std::string& message);
[[nodiscard]] HttpError NotFound(ErrorCode code, const std::string& message);
[[nodiscard]] HttpError UnprocessableEntity(ErrorCode code, const std::string& message);
[[nodiscard]] HttpError TooManyRequests(ErrorCode code, const std::string& message);
// 500 unexpected_failure with GoTrue's public message; `internal` is only logged.
[[nodiscard]] HttpError UnexpectedFailure(std::string internal = {});
[[nodiscard]] HttpError ServiceUnavailable(const std::string& message, std::string internal = {});
// 504 request_timeout: the request's deadline passed before anything was committed.
[[nodiscard]] HttpError RequestTimeout();

// True when the request asked for the 2024-01-01 error format (X-Supabase-Api-Version is a
// YYYY-MM-DD date on or after 2024-01-01).
[[nodiscard]] bool WantsApiVersion2024(const Request& request);

// The error response for `request`, in the format it asked for, with x-sb-error-code.
[[nodiscard]] Response RenderError(const HttpError& error, const Request& request);

}  // namespace gotrue::http
