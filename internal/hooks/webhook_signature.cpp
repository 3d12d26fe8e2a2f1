#include "hooks/webhook_signature.hpp"

#include <stdexcept>

#include <openssl/evp.h>

#include "crypto/crypto.hpp"

namespace gotrue::hooks {
namespace {

constexpr std::string_view kSymmetricPrefix = "v1,whsec_";

bool IsBase64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// OpenSSL's block functions take unsigned char buffers.
const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());  // NOLINT: byte view of text
}

unsigned char* Bytes(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());  // NOLINT: byte view of text
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written = EVP_EncodeBlock(Bytes(out), Bytes(bytes), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
    // Strict, like Go's base64.StdEncoding: padded to a multiple of 4, '=' only at the end.
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        if (!IsBase64Char(text[i])) {
            return std::nullopt;
        }
    }
    std::string out(3 * (text.size() / 4), '\0');
    const int written = EVP_DecodeBlock(Bytes(out), Bytes(text), static_cast<int>(text.size()));
    if (written < 0) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

std::optional<std::string> SymmetricKey(std::string_view secret) {
    if (!secret.starts_with(kSymmetricPrefix)) {
        return std::nullopt;
    }
    auto key = Base64Decode(secret.substr(kSymmetricPrefix.size()));
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
    return "v1," + Base64Encode(crypto::HmacSha256(key, message));
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
