#include "crypto/column_encryption.hpp"

#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"

namespace gotrue::crypto {
namespace {

constexpr std::string_view kAlgorithm = "aes-gcm-hkdf";
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());  // NOLINT: OpenSSL takes bytes
}

unsigned char* Bytes(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());  // NOLINT: OpenSSL writes bytes
}

// The row's AES key: HKDF-SHA256 (no salt, info = the row id) of the configured key.
std::string DeriveKey(std::string_view row_id, std::string_view key_id, std::string_view key) {
    const auto master = Base64UrlDecode(key);
    if (!master || master->size() != kKeyBytes) {
        throw std::runtime_error(
            "crypto: key with ID \"" + std::string(key_id) + "\" is not 256 bits"
        );
    }
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
        EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free
    );
    std::string derived(kKeyBytes, '\0');
    std::size_t length = derived.size();
    if (!context || EVP_PKEY_derive_init(context.get()) <= 0 ||
        EVP_PKEY_CTX_set_hkdf_md(context.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_key(
            context.get(), Bytes(*master), static_cast<int>(master->size())
        ) <= 0 ||
        EVP_PKEY_CTX_add1_hkdf_info(
            context.get(), Bytes(row_id), static_cast<int>(row_id.size())
        ) <= 0 ||
        EVP_PKEY_derive(context.get(), Bytes(derived), &length) <= 0 || length != kKeyBytes) {
        throw std::runtime_error("crypto: HKDF failed");
    }
    return derived;
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext NewCipherContext() {
    CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!context) {
        throw std::runtime_error("crypto: EVP_CIPHER_CTX_new failed");
    }
    return context;
}

// Ciphertext followed by the 16-byte tag, as Go's cipher.AEAD Seal returns it.
std::string Seal(std::string_view key, std::string_view nonce, std::string_view plain) {
    auto context = NewCipherContext();
    std::string out(plain.size() + kTagBytes, '\0');
    int length = 0;
    int final_length = 0;
    if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) !=
            1 ||
        EVP_EncryptUpdate(
            context.get(), Bytes(out), &length, Bytes(plain), static_cast<int>(plain.size())
        ) != 1 ||
        EVP_EncryptFinal_ex(context.get(), Bytes(out) + length, &final_length) != 1 ||
        EVP_CIPHER_CTX_ctrl(
            context.get(),
            EVP_CTRL_GCM_GET_TAG,
            static_cast<int>(kTagBytes),
            Bytes(out) + plain.size()
        ) != 1) {
        throw std::runtime_error("crypto: AES-GCM encryption failed");
    }
    return out;
}

std::string Open(std::string_view key, std::string_view nonce, std::string_view sealed) {
    if (sealed.size() < kTagBytes) {
        throw std::runtime_error("crypto: encrypted value too short");
    }
    const std::size_t plain_size = sealed.size() - kTagBytes;
    std::string tag(sealed.substr(plain_size));
    auto context = NewCipherContext();
    std::string out(plain_size, '\0');
    int length = 0;
    int final_length = 0;
    if (EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) !=
            1 ||
        EVP_DecryptUpdate(
            context.get(), Bytes(out), &length, Bytes(sealed), static_cast<int>(plain_size)
        ) != 1 ||
        EVP_CIPHER_CTX_ctrl(
            context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), Bytes(tag)
        ) != 1 ||
        EVP_DecryptFinal_ex(context.get(), Bytes(out) + length, &final_length) != 1) {
        throw std::runtime_error("crypto: message authentication failed");
    }
    return out;
}

struct EncryptedValue {
    std::string key_id;
    std::string data;
    std::string nonce;
};

std::string Member(const rapidjson::Document& document, const char* name) {
    const auto it = document.FindMember(name);
    return it != document.MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
}

// As GoTrue's ParseEncryptedString: a JSON object with a key id, the algorithm, data and a
// 12-byte nonce; anything else is a plain value.
std::optional<EncryptedValue> ParseEncrypted(std::string_view stored) {
    if (stored.empty() || stored.front() != '{') {
        return std::nullopt;
    }
    rapidjson::Document document;
    document.Parse(stored.data(), stored.size());
    if (document.HasParseError() || !document.IsObject()) {
        return std::nullopt;
    }
    EncryptedValue value{Member(document, "key_id"), {}, {}};
    auto data = Base64Decode(Member(document, "data"));
    auto nonce = Base64Decode(Member(document, "nonce"));
    if (value.key_id.empty() || Member(document, "alg") != kAlgorithm || !data || data->empty() ||
        !nonce || nonce->size() != kNonceBytes) {
        return std::nullopt;
    }
    value.data = std::move(*data);
    value.nonce = std::move(*nonce);
    return value;
}

}  // namespace

std::optional<std::string> ColumnKeysProblem(const ColumnKeys& keys) {
    const auto is_key = [](const std::string& key) {
        const auto decoded = Base64UrlDecode(key);
        return decoded && decoded->size() == kKeyBytes;
    };
    if (keys.encrypt) {
        if (keys.encryption_key_id.empty()) {
            return "encryption key ID must be specified";
        }
        if (!is_key(keys.encryption_key)) {
            return "encryption key is not 256 bits of base64url";
        }
        const auto it = keys.decryption_keys.find(keys.encryption_key_id);
        if (it == keys.decryption_keys.end() || it->second.empty()) {
            return "encryption key must also be present in decryption keys";
        }
    }
    for (const auto& [id, key] : keys.decryption_keys) {
        if (!is_key(key)) {
            return "decryption key with ID \"" + id + "\" must be 256 bits of base64url";
        }
    }
    return std::nullopt;
}

std::string SealColumn(std::string_view row_id, std::string_view value, const ColumnKeys& keys) {
    if (!keys.encrypt) {
        return std::string(value);
    }
    const std::string key = DeriveKey(row_id, keys.encryption_key_id, keys.encryption_key);
    const std::string nonce = RandomBytes(kNonceBytes);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("key_id");
    writer.String(
        keys.encryption_key_id.c_str(),
        static_cast<rapidjson::SizeType>(keys.encryption_key_id.size())
    );
    writer.Key("alg");
    writer.String(kAlgorithm.data(), static_cast<rapidjson::SizeType>(kAlgorithm.size()));
    writer.Key("data");
    writer.String(Base64Encode(Seal(key, nonce, value)).c_str());
    writer.Key("nonce");
    writer.String(Base64Encode(nonce).c_str());
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

OpenedColumn OpenColumn(std::string_view row_id, std::string_view stored, const ColumnKeys& keys) {
    const auto encrypted = ParseEncrypted(stored);
    if (!encrypted) {
        return {std::string(stored), keys.encrypt};
    }
    const auto it = keys.decryption_keys.find(encrypted->key_id);
    if (it == keys.decryption_keys.end() || it->second.empty()) {
        throw std::runtime_error(
            "crypto: decryption key with name \"" + encrypted->key_id + "\" does not exist"
        );
    }
    const std::string key = DeriveKey(row_id, encrypted->key_id, it->second);
    return {
        Open(key, encrypted->nonce, encrypted->data),
        keys.encrypt && encrypted->key_id != keys.encryption_key_id,
    };
}

}  // namespace gotrue::crypto
