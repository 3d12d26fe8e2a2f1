#include "crypto/crypto.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace gotrue::crypto {

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kInvalidSextet = -1;

// RAND_bytes takes an int length; large requests are filled in chunks.
constexpr std::size_t kRandChunk = 1 << 20;

unsigned char* MutableBytes(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());  // NOLINT: OpenSSL writes bytes
}

bool IsStandardBase64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

constexpr std::array<int, 256> MakeDecodeTable() {
    std::array<int, 256> table{};
    table.fill(kInvalidSextet);
    for (std::size_t i = 0; i < kBase64UrlAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kBase64UrlAlphabet[i])] = static_cast<int>(i);
    }
    return table;
}

constexpr std::array<int, 256> kDecodeTable = MakeDecodeTable();

int Sextet(char c) {
    return kDecodeTable[static_cast<unsigned char>(c)];
}

std::string Digest(const EVP_MD* md, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int out_len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &out_len, md, nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    return std::string(reinterpret_cast<const char*>(out.data()), out_len);
}

}  // namespace

std::string RandomBytes(std::size_t n) {
    std::string out(n, '\0');
    auto* data = reinterpret_cast<unsigned char*>(out.data());
    for (std::size_t done = 0; done < n;) {
        const std::size_t chunk = std::min(n - done, kRandChunk);
        if (RAND_bytes(data + done, static_cast<int>(chunk)) != 1) {
            throw std::runtime_error("RAND_bytes failed");
        }
        done += chunk;
    }
    return out;
}

std::string RandomString(std::size_t n, std::string_view alphabet) {
    if (alphabet.empty() || alphabet.size() > 256) {
        throw std::invalid_argument("RandomString: alphabet must have 1 to 256 characters");
    }
    // Accept only bytes below the largest multiple of the alphabet size so that byte % size is
    // uniform; the rest are redrawn (less than half of them in the worst case).
    const std::size_t size = alphabet.size();
    const std::size_t limit = 256 - (256 % size);
    std::string out;
    out.reserve(n);
    while (out.size() < n) {
        // Over-draw a little so most strings need a single RAND_bytes call.
        const std::string pool = RandomBytes((n - out.size()) * 2 + 8);
        for (const char c : pool) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < limit) {
                out.push_back(alphabet[byte % size]);
                if (out.size() == n) {
                    break;
                }
            }
        }
    }
    return out;
}

std::string GenerateOtp(std::size_t length) {
    if (length == 0) {
        throw std::invalid_argument("GenerateOtp: length must be positive");
    }
    // Independent uniform digits are exactly a uniform integer in [0, 10^length) written with
    // leading zeros, which is what GoTrue's rand.Int + "%0Nv" produces.
    return RandomString(length, kDigitAlphabet);
}

std::string GenerateRefreshToken() {
    return RandomString(kRefreshTokenLength, kBase32LowerAlphabet);
}

std::string GenerateTokenHash(std::string_view address, std::string_view otp) {
    std::string input;
    input.reserve(address.size() + otp.size());
    input.append(address);
    input.append(otp);
    return Sha224Hex(input);
}

std::string GenerateLinkToken() {
    return Sha224Hex(RandomBytes(32));
}

std::string RandomPassword(std::size_t length) {
    return RandomString(length, kAlphanumericAlphabet);
}

std::string Sha256(std::string_view data) {
    return Digest(EVP_sha256(), data);
}

std::string Sha256Hex(std::string_view data) {
    return HexEncode(Sha256(data));
}

std::string Sha224Hex(std::string_view data) {
    return HexEncode(Digest(EVP_sha224(), data));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
    // HMAC() treats a null key pointer as "reuse the previous key"; give it a real (empty) buffer.
    static constexpr unsigned char kEmptyKey[1] = {0};
    const unsigned char* key_ptr = key.empty() ? kEmptyKey : Bytes(key);
    if (key.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("HmacSha256: key too long");
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    if (HMAC(
            EVP_sha256(),
            key_ptr,
            static_cast<int>(key.size()),
            Bytes(data),
            data.size(),
            mac.data(),
            &mac_len
        ) == nullptr) {
        throw std::runtime_error("HMAC failed");
    }
    return std::string(reinterpret_cast<const char*>(mac.data()), mac_len);
}

std::string HexEncode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(kHexDigits[byte >> 4]);
        out.push_back(kHexDigits[byte & 0x0f]);
    }
    return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned value = static_cast<unsigned char>(bytes[i]) << 16 |
                               static_cast<unsigned char>(bytes[i + 1]) << 8 |
                               static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kBase64UrlAlphabet[(value >> 18) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[(value >> 12) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[(value >> 6) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[value & 0x3f]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const unsigned value = static_cast<unsigned char>(bytes[i]) << 16;
        out.push_back(kBase64UrlAlphabet[(value >> 18) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[(value >> 12) & 0x3f]);
    } else if (rest == 2) {
        const unsigned value = static_cast<unsigned char>(bytes[i]) << 16 |
                               static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(kBase64UrlAlphabet[(value >> 18) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[(value >> 12) & 0x3f]);
        out.push_back(kBase64UrlAlphabet[(value >> 6) & 0x3f]);
    }
    return out;
}

std::optional<std::size_t> Base64UrlErrorOffset(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (Sextet(text[i]) == kInvalidSextet) {
            return i;
        }
    }
    const std::size_t rest = text.size() % 4;
    if (rest == 1) {
        return text.size() - 1;
    }
    // The last character of a 2- or 3-character tail carries 4 or 2 unused bits; they must be
    // zero, otherwise several strings would decode to the same bytes.
    if (rest == 2 && (Sextet(text.back()) & 0x0f) != 0) {
        return text.size() - 1;
    }
    if (rest == 3 && (Sextet(text.back()) & 0x03) != 0) {
        return text.size() - 1;
    }
    return std::nullopt;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    if (Base64UrlErrorOffset(text).has_value()) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        buffer = (buffer << 6) | static_cast<unsigned>(Sextet(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    // CRYPTO_memcmp's running time depends only on the length, not on where the bytes differ.
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written =
        EVP_EncodeBlock(MutableBytes(out), Bytes(bytes), static_cast<int>(bytes.size()));
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
        if (!IsStandardBase64Char(text[i])) {
            return std::nullopt;
        }
    }
    std::string out(3 * (text.size() / 4), '\0');
    const int written =
        EVP_DecodeBlock(MutableBytes(out), Bytes(text), static_cast<int>(text.size()));
    if (written < 0) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

}  // namespace gotrue::crypto
