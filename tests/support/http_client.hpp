#pragma once

// A small libcurl HTTP client for tests: one request, full response.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gotrue::testing {

struct HttpResponse {
    long status = 0;                             // 0: the request failed (see error)
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string error;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::string body;
    std::vector<std::string> headers;  // "Name: value"
    std::chrono::milliseconds timeout{std::chrono::seconds(20)};
};

[[nodiscard]] HttpResponse Send(const HttpRequest& request);
[[nodiscard]] HttpResponse Get(const std::string& url, std::vector<std::string> headers = {});
[[nodiscard]] HttpResponse Post(
    const std::string& url, std::string body, std::vector<std::string> headers = {}
);

// Writes `raw` to 127.0.0.1:port and returns whatever comes back until the server closes the
// connection or `timeout` passes (for malformed-HTTP tests).
[[nodiscard]] std::string RawExchange(
    int port, const std::string& raw, std::chrono::milliseconds timeout
);

// A client socket driven by hand: connections held open, requests sent in pieces.
class RawConnection final {
public:
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    [[nodiscard]] bool Connected() const { return fd_ >= 0; }

    // False when the peer no longer accepts data.
    bool Send(const std::string& bytes) const;

    // What arrives until the peer closes or `timeout` passes.
    [[nodiscard]] std::string Receive(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

}  // namespace gotrue::testing
