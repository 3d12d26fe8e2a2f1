#pragma once

// Standard Webhooks signatures (https://www.standardwebhooks.com/, symmetric "v1" scheme, as
// upstream signs HTTP hooks with the standard-webhooks Go library):
//   webhook-id: <message id>, webhook-timestamp: <unix seconds>,
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), one per
//   secret, separated by ", "; a secret is "v1,whsec_" + base64(key).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gotrue::hooks {

// The key bytes of a "v1,whsec_<base64>" secret; nullopt when it is not one.
[[nodiscard]] std::optional<std::string> SymmetricKey(std::string_view secret);

// "v1,<base64 signature>" of one message under one key.
[[nodiscard]] std::string SignWebhook(
    std::string_view key, std::string_view id, std::int64_t timestamp, std::string_view body
);

// The webhook-signature header value for every secret. Throws std::invalid_argument for a
// secret that is not "v1,whsec_..." (config validation refuses those first).
[[nodiscard]] std::string SignatureHeader(
    const std::vector<std::string>& secrets,
    std::string_view id,
    std::int64_t timestamp,
    std::string_view body
);

}  // namespace gotrue::hooks
