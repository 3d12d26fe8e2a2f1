#include "api/services/request_info.hpp"

namespace gotrue::api {

std::string RequestAudience(const Request& request, const conf::Config& config) {
    if (auto aud = request.headers.Get("X-JWT-AUD"); aud && !aud->empty()) {
        return *aud;
    }
    return config.jwt.aud;
}

std::string ClientIp(const Request& request) {
    return request.remote_address;
}

std::string UserAgent(const Request& request) {
    return request.headers.Get("User-Agent").value_or("");
}

}  // namespace gotrue::api
