#include <chrono>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/crypto.hpp"
#include "hooks/hook.hpp"
#include "hooks/webhook_signature.hpp"
#include "json/parser.hpp"

using namespace gotrue::hooks;

namespace {

Hook Parsed(std::string uri, std::vector<std::string> secrets = {}) {
    Hook hook;
    hook.uri = std::move(uri);
    hook.secrets = std::move(secrets);
    Validate(hook);
    return hook;
}

std::string Refusal(std::string uri, std::vector<std::string> secrets = {}) {
    try {
        (void)Parsed(std::move(uri), std::move(secrets));
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

void CheckHookError(const rapidjson::Document& output, int status, const std::string& message) {
    try {
        ThrowIfErrorObject(output);
        FAIL("no error thrown");
    } catch (const HookError& error) {
        CHECK(error.Status() == status);
        CHECK(std::string(error.what()) == message);
        CHECK(error.Code().empty());
        CHECK_FALSE(error.Transient());  // the hook refused: asking again changes nothing
    }
}

rapidjson::Document Json(const char* text) {
    auto parsed = gotrue::json::Parse(text);
    REQUIRE(parsed.Ok());
    return std::move(parsed.document);
}

// A port on 127.0.0.1 that accepts connections into the backlog and never answers.
class SilentListener {
public:
    SilentListener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);  // NOLINT
        REQUIRE(listen(fd_, 8) == 0);
        socklen_t length = sizeof address;
        REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);  // NOLINT
        port_ = ntohs(address.sin_port);
    }

    ~SilentListener() { close(fd_); }

    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;

    [[nodiscard]] int Port() const { return port_; }

private:
    int fd_;
    int port_ = 0;
};

const std::string kSecret = "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// The HookError InvokeHttp throws (a test failure when it returns).
HookError HttpFailure(const Hook& hook, const DispatchOptions& options) {
    try {
        (void)InvokeHttp(hook, "{}", options);
    } catch (const HookError& error) {
        return error;
    }
    FAIL("no error thrown");
    return {0, "", ""};
}

}  // namespace

TEST_CASE("webhook signature: the Standard Webhooks reference vector") {
    // The example of the Standard Webhooks specification, also computed with Python's hmac:
    // base64(HMAC-SHA256(base64decode(secret), "msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.<body>")).
    const auto key = SymmetricKey(kSecret);
    REQUIRE(key.has_value());
    CHECK(
        SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    // Every secret signs; the header separates them with ", ".
    const std::string one = SignatureHeader({kSecret}, "id", 1, "{}");
    CHECK(SignatureHeader({kSecret, kSecret}, "id", 1, "{}") == one + ", " + one);
    CHECK(SignatureHeader({}, "id", 1, "{}").empty());
    CHECK_THROWS_AS((void)SignatureHeader({"v1a,whpk_x"}, "id", 1, "{}"), std::invalid_argument);
    // A different body, id or timestamp gives a different signature.
    CHECK(SignatureHeader({kSecret}, "id", 1, "{ }") != one);
    CHECK(SignatureHeader({kSecret}, "id", 2, "{}") != one);
    CHECK(SignatureHeader({kSecret}, "ie", 1, "{}") != one);
}

TEST_CASE("webhook signature: strict standard base64") {
    using gotrue::crypto::Base64Decode;
    using gotrue::crypto::Base64Encode;
    CHECK(Base64Encode("") == "");
    CHECK(Base64Encode("f") == "Zg==");
    CHECK(Base64Encode("fo") == "Zm8=");
    CHECK(Base64Encode("foo") == "Zm9v");
    CHECK(Base64Decode("Zg==") == std::optional<std::string>("f"));
    CHECK(Base64Decode("Zm8=") == std::optional<std::string>("fo"));
    CHECK(Base64Decode("Zm9v") == std::optional<std::string>("foo"));
    CHECK_FALSE(Base64Decode("Zg").has_value());          // unpadded
    CHECK_FALSE(Base64Decode("Z-8=").has_value());        // url alphabet
    CHECK_FALSE(Base64Decode("Z=8=").has_value());        // '=' inside
    CHECK_FALSE(SymmetricKey("whsec_Zm9v").has_value());  // no v1,
    CHECK_FALSE(SymmetricKey("v1,whsec_").has_value());   // no key
}

TEST_CASE("hook config: URIs and secrets are checked as upstream does") {
    const Hook pg = Parsed("pg-functions://postgres/public/custom_access_token_hook");
    CHECK(pg.kind == HookKind::kPostgresFunction);
    CHECK(pg.schema == "public");
    CHECK(pg.function == "custom_access_token_hook");
    CHECK(Parsed("").kind == HookKind::kNone);
    CHECK(Parsed("https://hooks.example.com/token", {kSecret}).kind == HookKind::kHttp);
    CHECK(Parsed("http://localhost:8080/hook", {kSecret}).kind == HookKind::kHttp);
    CHECK(Parsed("http://127.0.0.1/hook").kind == HookKind::kHttp);
    CHECK(Parsed("http://[::1]:9000/hook").kind == HookKind::kHttp);
    CHECK(Parsed("HTTP://user@localhost:1/").kind == HookKind::kHttp);

    CHECK(
        Refusal("http://example.com/hook") ==
        "only localhost, 127.0.0.1, and ::1 are supported with http"
    );
    CHECK(
        Refusal("http://localhost.evil.com/hook") ==
        "only localhost, 127.0.0.1, and ::1 are supported with http"
    );
    CHECK(
        Refusal("http://localhost@evil.com/") ==
        "only localhost, 127.0.0.1, and ::1 are supported with http"
    );
    CHECK(
        Refusal("ftp://localhost/x") ==
        "only postgres hooks and HTTPS functions are supported at the moment"
    );
    CHECK(
        Refusal("localhost/x") ==
        "only postgres hooks and HTTPS functions are supported at the moment"
    );
    CHECK(Refusal("pg-functions://postgres/public") == "URI path does not contain enough parts");
    CHECK(Refusal("pg-functions://postgres/pub-lic/f") == "invalid schema name: pub-lic");
    CHECK(Refusal("pg-functions://postgres/public/f();drop") == "invalid table name: f();drop");
    CHECK(
        Refusal("pg-functions://postgres/public/" + std::string(64, 'f')) ==
        "invalid table name: " + std::string(64, 'f')
    );
    CHECK(Refusal("https://h.example/", {"v1,whsec_short"}) == "invalid secret format");
    CHECK(
        Refusal(
            "https://h.example/",
            {"v1a,whpk_" + std::string(44, 'A') + ":whsk_" + std::string(44, 'A')}
        ) == "invalid secret format"
    );
    CHECK(
        Refusal("https://h.example/", {"v1,whsec_" + std::string(33, 'A')}) ==
        "invalid secret format"
    );

    CHECK(SplitSecrets("a|b||c|") == std::vector<std::string>{"a", "b", "c"});
    CHECK(SplitSecrets("").empty());
}

TEST_CASE("hook errors: the error object of an output") {
    CheckHookError(
        Json(R"({"error":{"http_code":403,"message":"not allowed"}})"), 403, "not allowed"
    );
    CheckHookError(Json(R"({"error":{"message":"no code"}})"), 500, "no code");
    CheckHookError(Json(R"({"error":{"http_code":0,"message":"zero"}})"), 500, "zero");
    CheckHookError(
        Json(R"({"error":{"http_code":200,"message":"not an error status"}})"),
        500,
        "not an error status"
    );
    // No error: no object, no message, an empty message, not an object.
    CHECK_NOTHROW(ThrowIfErrorObject(Json(R"({"claims":{}})")));
    CHECK_NOTHROW(ThrowIfErrorObject(Json(R"({"error":{"http_code":400}})")));
    CHECK_NOTHROW(ThrowIfErrorObject(Json(R"({"error":{"http_code":400,"message":""}})")));
    CHECK_NOTHROW(ThrowIfErrorObject(Json(R"({"error":"text"})")));
    CHECK_NOTHROW(ThrowIfErrorObject(Json(R"([1])")));
}

TEST_CASE("http hook: an unreachable hook is retried, then hook_timeout_after_retry") {
    int port = 0;
    {
        const SilentListener listener;  // a port that was free a moment ago: now refused
        port = listener.Port();
    }
    const Hook hook = Parsed("http://127.0.0.1:" + std::to_string(port) + "/hook", {kSecret});
    DispatchOptions options;
    options.http_backoff = std::chrono::milliseconds(50);
    const auto start = std::chrono::steady_clock::now();
    const HookError unreachable = HttpFailure(hook, options);
    CHECK(unreachable.Status() == 422);
    CHECK(unreachable.Code() == kHookTimeoutAfterRetry);
    CHECK(std::string(unreachable.what()) == "Failed to reach hook after maximum retries");
    CHECK(unreachable.Transient());
    // Three attempts, two backoffs between them.
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));

    // A backoff that would outlast the deadline ends in hook_timeout instead.
    options.http_backoff = std::chrono::seconds(10);
    options.http_timeout = std::chrono::milliseconds(200);
    const HookError backoff = HttpFailure(hook, options);
    CHECK(backoff.Status() == 422);
    CHECK(backoff.Code() == kHookTimeout);
    CHECK(backoff.Transient());
}

TEST_CASE("http hook: a hook that never answers is a hook_timeout at the deadline") {
    const SilentListener listener;
    const Hook hook =
        Parsed("http://127.0.0.1:" + std::to_string(listener.Port()) + "/", {kSecret});
    DispatchOptions options;
    options.http_timeout = std::chrono::milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    const HookError silent = HttpFailure(hook, options);
    CHECK(silent.Status() == 422);
    CHECK(silent.Code() == kHookTimeout);
    CHECK(silent.Transient());
    CHECK(
        std::string(silent.what()) == "Failed to reach hook within maximum time of 0.300000 seconds"
    );
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= std::chrono::milliseconds(290));
    CHECK(took < std::chrono::seconds(3));
}
