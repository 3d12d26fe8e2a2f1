#pragma once

// What handlers read off a request besides its body: audience, client address, user agent.

#include <string>

#include "api/http_types.hpp"
#include "conf/config.hpp"

namespace gotrue::api {

// X-JWT-AUD when present, else GOTRUE_JWT_AUD (GoTrue's requestAud, internal/api/helpers.go).
[[nodiscard]] std::string RequestAudience(const Request& request, const conf::Config& config);

[[nodiscard]] std::string ClientIp(const Request& request);

[[nodiscard]] std::string UserAgent(const Request& request);

}  // namespace gotrue::api
