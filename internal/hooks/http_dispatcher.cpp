// HTTP hooks (upstream's hookshttp.go): a signed JSON POST with one deadline over all attempts,
// a retry after a failed connection (with a backoff) or a 429/503 carrying Retry-After, a cap on
// the answer's size and a JSON content type required.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include <curl/curl.h>

#include "crypto/crypto.hpp"
#include "hooks/hook.hpp"
#include "hooks/webhook_signature.hpp"

namespace gotrue::hooks {
namespace {

using Clock = std::chrono::steady_clock;

struct Answer {
    long status = 0;
    std::string body;
    std::string content_type;
    bool has_content_type = false;
    bool has_retry_after = false;
    bool over_limit = false;
    std::size_t limit = 0;
};

std::string LowerTrimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
    auto& answer = *static_cast<Answer*>(user);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): forget the last
        answer.has_content_type = false;
        answer.has_retry_after = false;
        answer.content_type.clear();
        return size * count;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return size * count;
    }
    const std::string name = LowerTrimmed(line.substr(0, colon));
    if (name == "content-type" && !answer.has_content_type) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.remove_suffix(1);
        }
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
            value.remove_prefix(1);
        }
        answer.content_type = value;
        answer.has_content_type = !value.empty();
    } else if (name == "retry-after" && !LowerTrimmed(line.substr(colon + 1)).empty()) {
        answer.has_retry_after = true;
    }
    return size * count;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto& answer = *static_cast<Answer*>(user);
    const std::size_t n = size * count;
    if (answer.body.size() + n > answer.limit) {
        answer.over_limit = true;
        return 0;  // stops the transfer: the rest is never read
    }
    answer.body.append(data, n);
    return n;
}

std::string MessageId() {
    std::string bytes = crypto::RandomBytes(16);
    bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0fU) | 0x40U);
    bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3fU) | 0x80U);
    const std::string hex = crypto::HexEncode(bytes);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

bool IsToken(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f &&
               std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) ==
                   std::string_view::npos;
    });
}

// The answer's media type must be application/json (upstream reads it with mime.ParseMediaType).
void CheckContentType(const Answer& answer) {
    if (!answer.has_content_type) {
        throw HookError(
            400, kHookPayloadInvalidContentType, "Invalid Content-Type: Missing Content-Type header"
        );
    }
    const std::string media =
        LowerTrimmed(std::string_view(answer.content_type).substr(0, answer.content_type.find(';'))
        );
    const auto slash = media.find('/');
    if (slash == std::string::npos || !IsToken(std::string_view(media).substr(0, slash)) ||
        !IsToken(std::string_view(media).substr(slash + 1))) {
        throw HookError(
            400,
            kHookPayloadInvalidContentType,
            "Invalid Content-Type header: mime: invalid media type"
        );
    }
    if (media != "application/json") {
        throw HookError(
            400,
            kHookPayloadInvalidContentType,
            "Invalid JSON response. Received content-type: " + answer.content_type
        );
    }
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// One POST; returns curl's result with the answer filled in.
CURLcode Post(
    const Hook& hook,
    std::string_view input,
    const DispatchOptions& options,
    std::chrono::milliseconds budget,
    Answer& answer
) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    const std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
        return CURLE_FAILED_INIT;
    }
    const std::string id = options.webhook_id.empty() ? MessageId() : options.webhook_id;
    const auto timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()
    )
                               .count();
    std::string signature;
    try {
        signature = SignatureHeader(hook.secrets, id, timestamp, input);
    } catch (const std::invalid_argument& error) {
        throw HookError(
            500, "", std::string("Error generating signatures: ") + error.what(), error.what()
        );
    }
    curl_slist* raw = nullptr;
    for (const std::string& header :
         {std::string("Content-Type: application/json"),
          "webhook-id: " + id,
          "webhook-timestamp: " + std::to_string(timestamp),
          "webhook-signature: " + signature,
          std::string("Accept-Encoding: identity"),
          std::string("Expect:")}) {
        raw = curl_slist_append(raw, header.c_str());
    }
    const std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
    CURL* handle = curl.get();
    const long budget_ms = std::max<long>(1, static_cast<long>(budget.count()));
    curl_easy_setopt(handle, CURLOPT_URL, hook.uri.c_str());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, input.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(input.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, budget_ms);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &answer);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer);
    const CURLcode result = curl_easy_perform(handle);
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &answer.status);
    return result;
}

HookError Timeout(const DispatchOptions& options) {
    char seconds[32];
    std::snprintf(
        seconds, sizeof seconds, "%f", std::chrono::duration<double>(options.http_timeout).count()
    );
    return {
        422,
        kHookTimeout,
        std::string("Failed to reach hook within maximum time of ") + seconds + " seconds",
        {},
        Retry::kLater,
    };
}

// The output of a 200/202 answer, after the content-type and size checks.
std::string Accepted(const Answer& answer, const DispatchOptions& options) {
    CheckContentType(answer);
    if (answer.over_limit) {
        throw HookError(
            422,
            kHookPayloadOverSizeLimit,
            "Payload size exceeded size limit of " + std::to_string(options.response_limit) +
                " bytes"
        );
    }
    if (answer.body.empty()) {  // upstream: decoding nothing fails
        throw HookError(500, "", "Error unmarshaling JSON output.", "empty response body");
    }
    return answer.body;
}

}  // namespace

std::string InvokeHttp(const Hook& hook, std::string_view input, const DispatchOptions& options) {
    const auto deadline = Clock::now() + options.http_timeout;
    for (int attempt = 0; attempt < options.http_attempts; ++attempt) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            throw Timeout(options);
        }
        Answer answer;
        answer.limit = options.response_limit;
        const CURLcode result = Post(hook, input, options, left, answer);
        if (result == CURLE_OPERATION_TIMEDOUT) {
            throw Timeout(options);
        }
        if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && answer.over_limit)) {
            if (attempt == options.http_attempts - 1) {
                throw HookError(
                    422,
                    kHookTimeoutAfterRetry,
                    "Failed to reach hook after maximum retries",
                    curl_easy_strerror(result),
                    Retry::kLater
                );
            }
            if (Clock::now() + options.http_backoff >= deadline) {
                throw Timeout(options);  // the deadline passes during the backoff
            }
            std::this_thread::sleep_for(options.http_backoff);
            continue;
        }
        switch (answer.status) {
            case 204:
                return {};
            case 200:
            case 202:
                return Accepted(answer, options);
            case 429:
            case 503:
                if (answer.has_retry_after) {
                    continue;  // upstream retries at once, whatever the header says
                }
                throw HookError(
                    500, "", "Service currently unavailable due to hook", {}, Retry::kLater
                );
            case 400:
                throw HookError(500, "", "Invalid payload sent to hook");
            case 401:
                throw HookError(500, "", "Hook requires authorization token");
            default:  // a 5xx is the hook's own trouble: worth another try later
                throw HookError(
                    500,
                    "",
                    "Unexpected status code returned from hook: " + std::to_string(answer.status),
                    {},
                    answer.status >= 500 ? Retry::kLater : Retry::kNever
                );
        }
    }
    throw HookError(500, "", "Service currently unavailable due to hook", {}, Retry::kLater);
}

}  // namespace gotrue::hooks
