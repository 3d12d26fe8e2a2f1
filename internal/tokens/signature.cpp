// Signing and verifying bytes with a Key: HMAC-SHA256, RSASSA-PKCS1-v1_5 with SHA-256 and ECDSA
// P-256 with SHA-256, all through OpenSSL's EVP interface (RFC 7518 §3.2-3.4).

#include <array>
#include <memory>
#include <stdexcept>
#include <utility>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/crypto.hpp"
#include "tokens/key.hpp"

namespace gotrue::tokens::detail {
namespace {

constexpr std::array<std::pair<Algorithm, std::string_view>, 3> kAlgorithmNames{{
    {Algorithm::kHs256, "HS256"},
    {Algorithm::kRs256, "RS256"},
    {Algorithm::kEs256, "ES256"},
}};

// P-256: r and s are 32 bytes each in the JOSE signature (RFC 7518 §3.4).
constexpr std::size_t kEs256Half = 32;

using MdContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using EcdsaSignature = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;

const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

std::string DigestSign(EVP_PKEY* pkey, std::string_view input) {
    MdContext context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, Bytes(input), input.size()) != 1) {
        ERR_clear_error();
        throw std::runtime_error("EVP_DigestSign failed");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(
            context.get(),
            reinterpret_cast<unsigned char*>(signature.data()),
            &length,
            Bytes(input),
            input.size()
        ) != 1) {
        ERR_clear_error();
        throw std::runtime_error("EVP_DigestSign failed");
    }
    signature.resize(length);
    return signature;
}

bool DigestVerify(EVP_PKEY* pkey, std::string_view input, std::string_view signature) {
    MdContext context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const bool ok =
        context && EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
        EVP_DigestVerify(
            context.get(), Bytes(signature), signature.size(), Bytes(input), input.size()
        ) == 1;
    // A refused signature leaves reasons in the thread's error queue; nobody reads them.
    ERR_clear_error();
    return ok;
}

// OpenSSL's DER ECDSA-Sig-Value -> JOSE r||s.
std::string DerToJose(std::string_view der) {
    const unsigned char* cursor = Bytes(der);
    const EcdsaSignature signature(
        d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())), ECDSA_SIG_free
    );
    if (!signature) {
        ERR_clear_error();
        throw std::runtime_error("d2i_ECDSA_SIG failed");
    }
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(signature.get(), &r, &s);
    std::string jose(2 * kEs256Half, '\0');
    auto* out = reinterpret_cast<unsigned char*>(jose.data());
    if (BN_bn2binpad(r, out, kEs256Half) < 0 || BN_bn2binpad(s, out + kEs256Half, kEs256Half) < 0) {
        throw std::runtime_error("BN_bn2binpad failed");
    }
    return jose;
}

// JOSE r||s (exactly 64 bytes, checked by the caller) -> DER, for EVP_DigestVerify.
std::string JoseToDer(std::string_view jose) {
    EcdsaSignature signature(ECDSA_SIG_new(), ECDSA_SIG_free);
    BIGNUM* r = BN_bin2bn(Bytes(jose), kEs256Half, nullptr);
    BIGNUM* s = BN_bin2bn(Bytes(jose) + kEs256Half, kEs256Half, nullptr);
    if (!signature || r == nullptr || s == nullptr || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        throw std::runtime_error("ECDSA_SIG_set0 failed");
    }
    const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
    if (length <= 0) {
        throw std::runtime_error("i2d_ECDSA_SIG failed");
    }
    std::string der(static_cast<std::size_t>(length), '\0');
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    i2d_ECDSA_SIG(signature.get(), &out);
    return der;
}

}  // namespace

std::string_view AlgorithmName(Algorithm algorithm) {
    for (const auto& [known, name] : kAlgorithmNames) {
        if (known == algorithm) {
            return name;
        }
    }
    return "HS256";
}

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
    for (const auto& [algorithm, known] : kAlgorithmNames) {
        if (known == name) {
            return algorithm;
        }
    }
    return std::nullopt;
}

std::string SignBytes(const Key& key, std::string_view input) {
    if (key.algorithm == Algorithm::kHs256) {
        return crypto::HmacSha256(key.secret, input);
    }
    if (!key.has_private) {
        throw std::logic_error("SignBytes: key " + key.kid + " has no private part");
    }
    const std::string signature = DigestSign(key.pkey.get(), input);
    return key.algorithm == Algorithm::kEs256 ? DerToJose(signature) : signature;
}

std::optional<std::string> VerifyBytes(
    Algorithm algorithm, const Key& key, std::string_view input, std::string_view signature
) {
    // golang-jwt's signing methods check the key's type first (ErrInvalidKeyType).
    switch (algorithm) {
        case Algorithm::kHs256:
            if (key.algorithm != Algorithm::kHs256) {
                return "key is of invalid type: HMAC verify expects []byte";
            }
            // Constant-time: a timing difference would let an attacker forge the MAC bytewise.
            if (!crypto::ConstantTimeEquals(crypto::HmacSha256(key.secret, input), signature)) {
                return "signature is invalid";
            }
            return std::nullopt;
        case Algorithm::kRs256:
            if (key.algorithm != Algorithm::kRs256) {
                return "key is of invalid type: RSA verify expects *rsa.PublicKey";
            }
            if (!DigestVerify(key.pkey.get(), input, signature)) {
                return "crypto/rsa: verification error";
            }
            return std::nullopt;
        case Algorithm::kEs256:
            if (key.algorithm != Algorithm::kEs256) {
                return "key is of invalid type: ECDSA verify expects *ecdsa.PublicKey";
            }
            // Only the JOSE form is a signature here; DER (what OpenSSL itself emits) is not.
            if (signature.size() != 2 * kEs256Half ||
                !DigestVerify(key.pkey.get(), input, JoseToDer(signature))) {
                return "crypto/ecdsa: verification error";
            }
            return std::nullopt;
    }
    return "signature is invalid";
}

}  // namespace gotrue::tokens::detail
