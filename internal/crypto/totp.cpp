#include "crypto/totp.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/crypto.hpp"

namespace gotrue::crypto {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int Base32Value(char c) {
    if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
    }
    const auto at = kBase32Alphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::string HmacSha1(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    if (HMAC(
            EVP_sha1(),
            key.data(),
            static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()),  // NOLINT: OpenSSL takes bytes
            data.size(),
            out.data(),
            &length
        ) == nullptr) {
        throw std::runtime_error("HMAC-SHA1 failed");
    }
    return {reinterpret_cast<const char*>(out.data()), length};  // NOLINT: bytes as chars
}

}  // namespace

std::string Base32Encode(std::string_view bytes) {
    std::string out;
    unsigned int buffer = 0;
    int bits = 0;
    for (const char byte : bytes) {
        buffer = (buffer << 8U) | static_cast<unsigned char>(byte);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(kBase32Alphabet[(buffer >> static_cast<unsigned>(bits)) & 31U]);
        }
    }
    if (bits > 0) {
        out.push_back(kBase32Alphabet[(buffer << static_cast<unsigned>(5 - bits)) & 31U]);
    }
    return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    // Lengths 1, 3 and 6 (mod 8) leave bits no byte can use.
    const std::size_t rest = text.size() % 8;
    if (rest == 1 || rest == 3 || rest == 6) {
        return std::nullopt;
    }
    std::string out;
    unsigned int buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = Base32Value(c);
        if (value < 0) {
            return std::nullopt;
        }
        buffer = (buffer << 5U) | static_cast<unsigned>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xffU));
        }
    }
    return out;
}

std::string HotpCode(std::string_view key, std::uint64_t counter, int digits) {
    if (digits < 1 || digits > 9) {
        throw std::invalid_argument("HOTP digits must be 1..9");
    }
    std::array<char, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message.at(static_cast<std::size_t>(i)) = static_cast<char>(counter & 0xffU);
        counter >>= 8U;
    }
    const std::string mac = HmacSha1(key, std::string_view(message.data(), message.size()));
    const auto byte = [&mac](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(mac.at(i)));
    };
    const std::size_t offset = byte(mac.size() - 1) & 0x0fU;
    const std::uint32_t binary = ((byte(offset) & 0x7fU) << 24U) | (byte(offset + 1) << 16U) |
                                 (byte(offset + 2) << 8U) | byte(offset + 3);
    std::uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) {
        modulus *= 10;
    }
    std::string code = std::to_string(binary % modulus);
    return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::uint64_t TotpStep(std::int64_t unix_seconds) {
    return unix_seconds < 0 ? 0 : static_cast<std::uint64_t>(unix_seconds / kTotpPeriodSeconds);
}

std::optional<std::uint64_t> MatchTotp(
    std::string_view code, std::string_view key, std::int64_t unix_seconds
) {
    const std::uint64_t now = TotpStep(unix_seconds);
    std::optional<std::uint64_t> matched;
    // Every candidate is computed and compared, so the time taken does not tell which matched.
    for (const std::uint64_t step : {now == 0 ? now : now - 1, now, now + 1}) {
        if (ConstantTimeEquals(HotpCode(key, step, kTotpDigits), code) && !matched) {
            matched = step;
        }
    }
    return matched;
}

}  // namespace gotrue::crypto
