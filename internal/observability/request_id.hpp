#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gotrue::observability {

// A random (version 4) UUID in lower-case text form, used as request id and row id.
[[nodiscard]] std::string NewUuid();

inline constexpr std::size_t kMaxRequestIdLength = 128;

// A request id taken from a client's header (GOTRUE_API_REQUEST_ID_HEADER), made safe to log as
// one field: characters outside [A-Za-z0-9._:-] become '_', and it is cut at 128 characters.
// Replaced rather than discarded, so ids from proxies that use other characters (base64 '+/=',
// AWS's "Root=...;Parent=...") still correlate, and an injection attempt stays visible.
[[nodiscard]] std::string SafeRequestId(std::string_view given);

}  // namespace gotrue::observability
