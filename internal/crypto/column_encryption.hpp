#pragma once

// Encrypted database columns in GoTrue's format (internal/crypto/crypto.go EncryptedString), so
// a factor secret written here opens in GoTrue and the other way round: the column holds
// {"key_id":…,"alg":"aes-gcm-hkdf","data":…,"nonce":…} (standard base64), AES-256-GCM under a key
// derived with HKDF-SHA256 from the configured 256-bit key and the row's id, so a value cannot be
// moved to another row. Plain values (no '{') are read as they are.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::crypto {

// GOTRUE_SECURITY_DB_ENCRYPTION_*: keys are base64url (no padding) of 32 bytes.
struct ColumnKeys {
    bool encrypt = false;
    std::string encryption_key_id;
    std::string encryption_key;
    std::map<std::string, std::string> decryption_keys;  // key id -> key
    bool operator==(const ColumnKeys&) const = default;
};

// Why ColumnKeys cannot be used (GoTrue's DatabaseEncryptionConfiguration.Validate), or nullopt.
[[nodiscard]] std::optional<std::string> ColumnKeysProblem(const ColumnKeys& keys);

// `value` as stored for row `row_id`: encrypted with the encryption key when `keys.encrypt`,
// else unchanged.
[[nodiscard]] std::string SealColumn(
    std::string_view row_id, std::string_view value, const ColumnKeys& keys
);

struct OpenedColumn {
    std::string value;
    bool reseal = false;  // stored plain or under another key while encryption is on
};

// The plain value of a stored column. Throws std::runtime_error when it is encrypted under a key
// that is not among the decryption keys, or does not authenticate.
[[nodiscard]] OpenedColumn OpenColumn(
    std::string_view row_id, std::string_view stored, const ColumnKeys& keys
);

}  // namespace gotrue::crypto
