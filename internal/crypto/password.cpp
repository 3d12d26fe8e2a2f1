#include "crypto/password.hpp"

#include <memory>
#include <new>
#include <stdexcept>

#include <crypt.h>
#include <string.h>  // NOLINT(modernize-deprecated-headers): explicit_bzero is POSIX

#include "crypto/crypto.hpp"

namespace gotrue::crypto {

namespace {

// "$2a$10$" + 22 characters of salt + 31 characters of hash.
constexpr std::size_t kBcryptHashLength = 60;
constexpr std::size_t kBcryptPrefixLength = 7;
constexpr std::string_view kHashPrefix = "$2a$";

bool IsBcryptBase64(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
}

// Owns a zeroed crypt_data on the heap and wipes it afterwards: it holds the expanded key
// schedule, which is password-derived.
class CryptData {
public:
    CryptData() : data_(std::make_unique<crypt_data>()) {}

    ~CryptData() { explicit_bzero(data_.get(), sizeof(crypt_data)); }

    CryptData(const CryptData&) = delete;
    CryptData& operator=(const CryptData&) = delete;

    [[nodiscard]] crypt_data* Get() { return data_.get(); }

private:
    std::unique_ptr<crypt_data> data_;
};

// crypt_r wants C strings; the copy of the password is wiped when done.
class SecretString {
public:
    explicit SecretString(std::string_view text) : text_(text) {}

    ~SecretString() { explicit_bzero(text_.data(), text_.size()); }

    SecretString(const SecretString&) = delete;
    SecretString& operator=(const SecretString&) = delete;

    [[nodiscard]] const char* CStr() const { return text_.c_str(); }

private:
    std::string text_;
};

bool Failed(const char* output) {
    // libxcrypt reports failure with a "*0"/"*1" token (or NULL on some paths).
    return output == nullptr || output[0] == '*';
}

}  // namespace

bool IsBcryptHash(std::string_view hash) noexcept {
    if (hash.size() != kBcryptHashLength || hash.substr(0, 2) != "$2" || hash[3] != '$' ||
        hash[6] != '$') {
        return false;
    }
    // $2x$ (the buggy-sign-extension variant) is deliberately not accepted.
    if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') {
        return false;
    }
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') {
        return false;
    }
    const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
        return false;
    }
    for (const char c : hash.substr(kBcryptPrefixLength)) {
        if (!IsBcryptBase64(c)) {
            return false;
        }
    }
    return true;
}

std::optional<int> BcryptCost(std::string_view hash) noexcept {
    if (!IsBcryptHash(hash)) {
        return std::nullopt;
    }
    return (hash[4] - '0') * 10 + (hash[5] - '0');
}

bool PasswordTooLong(std::string_view password) noexcept {
    return password.size() > kMaxPasswordBytes;
}

std::string HashPassword(std::string_view password, int cost) {
    if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
        throw std::invalid_argument("HashPassword: bcrypt cost must be between 4 and 31");
    }
    if (PasswordTooLong(password)) {
        throw std::invalid_argument("HashPassword: password longer than 72 bytes");
    }
    if (password.find('\0') != std::string_view::npos) {
        throw std::invalid_argument("HashPassword: password contains a NUL byte");
    }
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    // rbytes == nullptr: libxcrypt draws the salt from the OS RNG (getrandom).
    if (crypt_gensalt_rn(
            kHashPrefix.data(), static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt
        ) == nullptr) {
        throw std::runtime_error("crypt_gensalt_rn failed");
    }
    const SecretString phrase(password);
    CryptData data;
    const char* output = crypt_r(phrase.CStr(), salt, data.Get());
    if (Failed(output)) {
        throw std::runtime_error("crypt_r failed");
    }
    return std::string(output);
}

bool VerifyPassword(std::string_view password, std::string_view hash) noexcept {
    // Only bcrypt is accepted: crypt_r would otherwise happily verify DES, MD5 or SHA-crypt
    // settings found in a tampered or imported row.
    if (!IsBcryptHash(hash) || PasswordTooLong(password) ||
        password.find('\0') != std::string_view::npos) {
        return false;
    }
    try {
        const SecretString phrase(password);
        const std::string setting(hash);
        CryptData data;
        const char* output = crypt_r(phrase.CStr(), setting.c_str(), data.Get());
        if (Failed(output)) {
            return false;
        }
        // Constant-time: the comparison must not reveal how many leading hash bytes matched.
        return ConstantTimeEquals(output, hash);
    } catch (const std::bad_alloc&) {
        return false;
    }
}

}  // namespace gotrue::crypto
