// One JWK of GOTRUE_JWT_KEYS -> Key. The RSA and EC members go to OpenSSL as they are
// (OSSL_PARAM_BLD, EVP_PKEY_fromdata), then OpenSSL checks the key (EVP_PKEY_check: for a private
// key that d matches the public part, for a public one that the point is on the curve).

#include <algorithm>
#include <array>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "tokens/key.hpp"
#include "tokens/keys.hpp"

namespace gotrue::tokens::detail {
namespace {

// NIST SP 800-131A: RSA below 2048 bits is not acceptable for signatures.
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kP256Bytes = 32;

using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using Params = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_clear_free)>;

[[noreturn]] void Refuse(const std::string& reason) {
    throw KeyError(reason);
}

// The last OpenSSL error as text (and an empty queue afterwards).
std::string OpenSslReason() {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    const char* reason = ERR_reason_error_string(code);
    return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
}

std::optional<std::string> StringMember(const rapidjson::Value& jwk, const char* name) {
    const auto it = jwk.FindMember(name);
    if (it == jwk.MemberEnd()) {
        return std::nullopt;
    }
    if (!it->value.IsString()) {
        Refuse(std::string(name) + " must be a string");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string RequiredString(const rapidjson::Value& jwk, const char* name) {
    auto value = StringMember(jwk, name);
    if (!value || value->empty()) {
        Refuse(std::string("missing ") + name);
    }
    return std::move(*value);
}

// A base64url member (RFC 7518 §6: no padding), decoded; nullopt when absent.
std::optional<std::string> BytesMember(const rapidjson::Value& jwk, const char* name) {
    const auto text = StringMember(jwk, name);
    if (!text) {
        return std::nullopt;
    }
    auto bytes = crypto::Base64UrlDecode(*text);
    if (!bytes || bytes->empty()) {
        Refuse(std::string(name) + " is not base64url (RFC 7518: unpadded, URL alphabet)");
    }
    return bytes;
}

std::string RequiredBytes(const rapidjson::Value& jwk, const char* name) {
    auto bytes = BytesMember(jwk, name);
    if (!bytes) {
        Refuse(std::string("missing ") + name);
    }
    return std::move(*bytes);
}

bool HasSignOperation(const rapidjson::Value& jwk) {
    const auto it = jwk.FindMember("key_ops");
    if (it == jwk.MemberEnd()) {
        return false;
    }
    if (!it->value.IsArray()) {
        Refuse("key_ops must be an array of strings");
    }
    bool signs = false;
    for (const auto& operation : it->value.GetArray()) {
        if (!operation.IsString()) {
            Refuse("key_ops must be an array of strings");
        }
        signs = signs || std::string_view(operation.GetString()) == "sign";
    }
    return signs;
}

class Builder {
public:
    Builder() : builder_(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free) {
        if (!builder_) {
            Refuse("OSSL_PARAM_BLD_new: " + OpenSslReason());
        }
    }

    // An unsigned big-endian integer (RFC 7518 §2 Base64urlUInt).
    void Integer(const char* name, const std::string& bytes) {
        Bignum number(
            BN_bin2bn(
                reinterpret_cast<const unsigned char*>(bytes.data()),
                static_cast<int>(bytes.size()),
                nullptr
            ),
            BN_clear_free  // d, p, q, ... are secrets
        );
        if (!number || OSSL_PARAM_BLD_push_BN(builder_.get(), name, number.get()) != 1) {
            Refuse(std::string("parameter ") + name + ": " + OpenSslReason());
        }
        // OSSL_PARAM_BLD copies the value only in ToParams; keep it alive until then.
        numbers_.push_back(std::move(number));
    }

    void Utf8(const char* name, const char* value) {
        if (OSSL_PARAM_BLD_push_utf8_string(builder_.get(), name, value, 0) != 1) {
            Refuse(std::string("parameter ") + name + ": " + OpenSslReason());
        }
    }

    void Octets(const char* name, std::string value) {
        // Held by reference until ToParams, like the numbers.
        const std::string& held = octets_.emplace_back(std::move(value));
        if (OSSL_PARAM_BLD_push_octet_string(builder_.get(), name, held.data(), held.size()) != 1) {
            Refuse(std::string("parameter ") + name + ": " + OpenSslReason());
        }
    }

    // EVP_PKEY_fromdata for key type `type` ("RSA", "EC"), then EVP_PKEY_check.
    std::shared_ptr<EVP_PKEY> Build(const char* type, bool with_private) {
        const Params params(OSSL_PARAM_BLD_to_param(builder_.get()), OSSL_PARAM_free);
        const PkeyContext context(
            EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free
        );
        EVP_PKEY* raw = nullptr;
        if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
            EVP_PKEY_fromdata(
                context.get(),
                &raw,
                with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                params.get()
            ) != 1) {
            Refuse(std::string("OpenSSL refuses the ") + type + " key: " + OpenSslReason());
        }
        std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
        const PkeyContext check(
            EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr), EVP_PKEY_CTX_free
        );
        const int checked = !check         ? 0
                            : with_private ? EVP_PKEY_check(check.get())
                                           : EVP_PKEY_public_check(check.get());
        if (checked != 1) {
            Refuse(
                std::string("the ") + type + " key does not check out (" + OpenSslReason() + ")"
            );
        }
        return pkey;
    }

private:
    ParamBuilder builder_;
    std::vector<Bignum> numbers_;
    std::deque<std::string> octets_;  // a deque: growing it never moves the strings
};

// The public JWK /.well-known/jwks.json lists: the standard members only, sorted by name as
// GoTrue's JWK library writes them, with use "sig" and key_ops ["verify"] (internal/conf/jwk.go).
std::string PublicJwk(const rapidjson::Value& jwk, std::initializer_list<const char*> members) {
    std::map<std::string, std::string> fields{{"use", "sig"}, {"key_ops", ""}};
    for (const char* name : {"alg", "kid", "kty"}) {
        fields.emplace(name, jwk[name].GetString());
    }
    for (const char* name : members) {
        fields.emplace(name, jwk[name].GetString());
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    for (const auto& [name, value] : fields) {
        writer.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        if (name == "key_ops") {
            writer.StartArray();
            writer.String("verify");
            writer.EndArray();
        } else {
            writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
        }
    }
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

void ReadRsa(const rapidjson::Value& jwk, Key& key) {
    if (jwk.HasMember("oth")) {
        Refuse("multi-prime RSA keys (oth) are not supported");
    }
    Builder builder;
    builder.Integer(OSSL_PKEY_PARAM_RSA_N, RequiredBytes(jwk, "n"));
    builder.Integer(OSSL_PKEY_PARAM_RSA_E, RequiredBytes(jwk, "e"));
    if (const auto d = BytesMember(jwk, "d")) {
        // RFC 7518 §6.3.2: the CRT members come together; OpenSSL checks a private key with them.
        builder.Integer(OSSL_PKEY_PARAM_RSA_D, *d);
        const std::array<std::pair<const char*, const char*>, 5> crt_members{{
            {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
            {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
            {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
            {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
            {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
        }};
        for (const auto& [member, param] : crt_members) {
            const auto value = BytesMember(jwk, member);
            if (!value) {
                Refuse(
                    std::string("missing ") + member + " (a private RSA key needs p, q, dp, dq, qi)"
                );
            }
            builder.Integer(param, *value);
        }
        key.has_private = true;
    }
    key.pkey = builder.Build("RSA", key.has_private);
    if (EVP_PKEY_get_bits(key.pkey.get()) < kMinRsaBits) {
        Refuse(
            "the RSA key has " + std::to_string(EVP_PKEY_get_bits(key.pkey.get())) +
            " bits, at least " + std::to_string(kMinRsaBits) + " are needed"
        );
    }
}

std::string Coordinate(const rapidjson::Value& jwk, const char* name) {
    std::string bytes = RequiredBytes(jwk, name);
    // RFC 7518 §6.2.1.2: the full coordinate size, leading zeros included.
    if (bytes.size() != kP256Bytes) {
        Refuse(std::string(name) + " must be 32 bytes for P-256");
    }
    return bytes;
}

void ReadEc(const rapidjson::Value& jwk, Key& key) {
    const std::string crv = RequiredString(jwk, "crv");
    if (crv != "P-256") {
        Refuse("crv \"" + crv + "\" is not supported (P-256)");
    }
    Builder builder;
    builder.Utf8(OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1);
    // SEC 1 uncompressed point: 0x04 || x || y.
    std::string point = "\x04" + Coordinate(jwk, "x");  // x is checked before y
    point += Coordinate(jwk, "y");
    builder.Octets(OSSL_PKEY_PARAM_PUB_KEY, std::move(point));
    if (const auto d = BytesMember(jwk, "d")) {
        if (d->size() != kP256Bytes) {
            Refuse("d must be 32 bytes for P-256");
        }
        builder.Integer(OSSL_PKEY_PARAM_PRIV_KEY, *d);
        key.has_private = true;
    }
    key.pkey = builder.Build("EC", key.has_private);
}

}  // namespace

Key ParseJwk(const rapidjson::Value& jwk) {
    if (!jwk.IsObject()) {
        Refuse("not a JSON object");
    }
    Key key;
    key.kid = RequiredString(jwk, "kid");
    const std::string kty = RequiredString(jwk, "kty");
    const std::string alg = RequiredString(jwk, "alg");
    key.signs = HasSignOperation(jwk);
    const auto expect = [&](std::string_view wanted) {
        if (alg != wanted) {
            Refuse(
                "alg \"" + alg + "\" is not supported for kty " + kty + " (" + std::string(wanted) +
                ")"
            );
        }
    };
    if (kty == "RSA") {
        expect("RS256");
        key.algorithm = Algorithm::kRs256;
        ReadRsa(jwk, key);
        key.public_jwk = PublicJwk(jwk, {"e", "n"});
    } else if (kty == "EC") {
        expect("ES256");
        key.algorithm = Algorithm::kEs256;
        ReadEc(jwk, key);
        key.public_jwk = PublicJwk(jwk, {"crv", "x", "y"});
    } else if (kty == "oct") {
        expect("HS256");
        key.algorithm = Algorithm::kHs256;
        key.secret = RequiredBytes(jwk, "k");
        key.has_private = true;
    } else {
        Refuse("kty \"" + kty + "\" is not supported (RSA, EC, oct)");
    }
    if (key.signs && !key.has_private) {
        Refuse("key_ops has \"sign\" but the key has no private part (d)");
    }
    return key;
}

}  // namespace gotrue::tokens::detail
