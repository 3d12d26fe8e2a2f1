#include "crypto/column_encryption.hpp"

#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace crypto = gotrue::crypto;

namespace {

// Bytes 0..31, base64url without padding.
constexpr const char* kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
constexpr const char* kRowId = "3f4c1a8e-0b6d-4c1e-9a57-2d8f0e6b9c11";

crypto::ColumnKeys Keys(bool encrypt) {
    crypto::ColumnKeys keys;
    keys.encrypt = encrypt;
    keys.encryption_key_id = "k1";
    keys.encryption_key = kKey;
    keys.decryption_keys = {{"k1", kKey}};
    return keys;
}

}  // namespace

TEST_SUITE("column encryption") {
    TEST_CASE("opens a value GoTrue encrypted (made with Go's crypto/aes, cipher.NewGCM, HKDF)") {
        const std::string stored =
            R"({"key_id":"k1","alg":"aes-gcm-hkdf","data":"iupEeG4ftBTVqTp/Sm/VD+dtBk3Gra4m6LwehNyoCiw=","nonce":"MDEyMzQ1Njc4OWFi"})";
        const auto opened = crypto::OpenColumn(kRowId, stored, Keys(true));
        CHECK(opened.value == "JBSWY3DPEHPK3PXP");
        CHECK_FALSE(opened.reseal);
        // Bound to its row: another id derives another key and the tag does not verify.
        CHECK_THROWS_AS(
            static_cast<void>(crypto::OpenColumn("another-row", stored, Keys(true))),
            std::runtime_error
        );
        // A key id without a decryption key.
        auto other = Keys(true);
        other.decryption_keys = {{"k2", kKey}};
        CHECK_THROWS_AS(
            static_cast<void>(crypto::OpenColumn(kRowId, stored, other)), std::runtime_error
        );
    }

    TEST_CASE("seals in GoTrue's format with a fresh nonce, and opens it again") {
        const std::string sealed = crypto::SealColumn(kRowId, "secret", Keys(true));
        CHECK(sealed.rfind(R"({"key_id":"k1","alg":"aes-gcm-hkdf","data":")", 0) == 0);
        CHECK(sealed.find(R"("nonce":")") != std::string::npos);
        CHECK(sealed.find("secret") == std::string::npos);
        CHECK(crypto::SealColumn(kRowId, "secret", Keys(true)) != sealed);
        CHECK(crypto::OpenColumn(kRowId, sealed, Keys(true)).value == "secret");
        // A flipped ciphertext bit fails authentication.
        std::string tampered = sealed;
        const auto at = tampered.find("\"data\":\"") + 9;
        tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
        CHECK_THROWS_AS(
            static_cast<void>(crypto::OpenColumn(kRowId, tampered, Keys(true))), std::runtime_error
        );
    }

    TEST_CASE("plain values pass through, and reseal says when encryption wants them encrypted") {
        CHECK(crypto::SealColumn(kRowId, "plain", Keys(false)) == "plain");
        const auto off = crypto::OpenColumn(kRowId, "JBSWY3DPEHPK3PXP", Keys(false));
        CHECK(off.value == "JBSWY3DPEHPK3PXP");
        CHECK_FALSE(off.reseal);
        CHECK(crypto::OpenColumn(kRowId, "JBSWY3DPEHPK3PXP", Keys(true)).reseal);
        // A value under an older key opens and asks to be sealed with the current one.
        auto rotated = Keys(true);
        rotated.encryption_key_id = "k2";
        rotated.decryption_keys["k2"] = kKey;
        const auto old =
            crypto::OpenColumn(kRowId, crypto::SealColumn(kRowId, "s", Keys(true)), rotated);
        CHECK(old.value == "s");
        CHECK(old.reseal);
        // JSON that is not an encrypted value is a plain value, as upstream reads it.
        CHECK(
            crypto::OpenColumn(kRowId, R"({"key_id":"k1"})", Keys(true)).value ==
            R"({"key_id":"k1"})"
        );
    }

    TEST_CASE("ColumnKeysProblem follows GoTrue's validation") {
        CHECK_FALSE(crypto::ColumnKeysProblem(Keys(true)));
        CHECK_FALSE(crypto::ColumnKeysProblem(crypto::ColumnKeys{}));
        auto keys = Keys(true);
        keys.encryption_key_id.clear();
        CHECK(crypto::ColumnKeysProblem(keys));
        keys = Keys(true);
        keys.encryption_key = "short";
        CHECK(crypto::ColumnKeysProblem(keys));
        keys = Keys(true);
        keys.decryption_keys.clear();
        CHECK(crypto::ColumnKeysProblem(keys));
        keys = Keys(false);
        keys.decryption_keys["bad"] = "AAAA";
        CHECK(crypto::ColumnKeysProblem(keys));
    }
}
