#include "hooks/webhook_signature.hpp"

#include <stdexcept>

#include "crypto/crypto.hpp"

namespace gotrue::hooks {
namespace {

constexpr std::string_view kSymmetricPrefix = "v1,whsec_";

}  // namespace

std::optional<std::string> SymmetricKey(std::string_view secret) {
    if (!secret.starts_with(kSymmetricPrefix)) {
        return std::nullopt;
    }
    auto key = crypto::Base64Decode(secret.substr(kSymmetricPrefix.size()));
    if (!key || key->empty()) {
        return std::nullopt;
    }
    return key;
}

std::string SignWebhook(
    std::string_view key, std::string_view id, std::int64_t timestamp, std::string_view body
) {
    std::string message;
    message.reserve(id.size() + body.size() + 24);
    message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    return "v1," + crypto::Base64Encode(crypto::HmacSha256(key, message));
}

std::string SignatureHeader(
    const std::vector<std::string>& secrets,
    std::string_view id,
    std::int64_t timestamp,
    std::string_view body
) {
    std::string header;
    for (const auto& secret : secrets) {
        const auto key = SymmetricKey(secret);
        if (!key) {
            throw std::invalid_argument("invalid signature format");
        }
        if (!header.empty()) {
            header += ", ";
        }
        header += SignWebhook(*key, id, timestamp, body);
    }
    return header;
}

}  // namespace gotrue::hooks
