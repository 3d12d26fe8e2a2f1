#include "tokens/keys.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json/parser.hpp"
#include "tokens/key.hpp"

namespace gotrue::tokens {
namespace detail {

struct KeySetState {
    KeySetOptions options;
    std::vector<Key> keys;         // GOTRUE_JWT_KEYS, or the secret's key when there are none
    Key secret;                    // GOTRUE_JWT_SECRET as HS256 key, kid GOTRUE_JWT_KEY_ID
    const Key* signing = nullptr;  // into keys
    std::vector<Algorithm> valid_methods;
    std::string public_jwks;
};

}  // namespace detail

namespace {

using detail::Algorithm;
using detail::Key;
using detail::KeySetState;

std::vector<Key> ParseKeys(std::string_view text) {
    // Configuration is not network input, but it is parsed by the one bounded parser all the same.
    const json::ParseResult parsed = json::Parse(text);
    if (!parsed.Ok()) {
        throw KeyError("not valid JSON: " + parsed.Describe());
    }
    if (!parsed.document.IsArray()) {
        throw KeyError("must be a JSON array of JWKs");
    }
    std::vector<Key> keys;
    for (rapidjson::SizeType i = 0; i < parsed.document.Size(); ++i) {
        const rapidjson::Value& jwk = parsed.document[i];
        std::string where = "keys[" + std::to_string(i) + "]";
        if (jwk.IsObject() && jwk.HasMember("kid") && jwk["kid"].IsString()) {
            where += std::string(" (kid \"") + jwk["kid"].GetString() + "\")";
        }
        try {
            keys.push_back(detail::ParseJwk(jwk));
        } catch (const KeyError& error) {
            throw KeyError(where + ": " + error.what());
        }
        for (std::size_t j = 0; j + 1 < keys.size(); ++j) {
            if (keys[j].kid == keys.back().kid) {
                throw KeyError(where + ": kid is used twice");
            }
        }
    }
    return keys;
}

const Key* FindSigningKey(const std::vector<Key>& keys) {
    const auto count =
        std::count_if(keys.begin(), keys.end(), [](const Key& key) { return key.signs; });
    if (count == 0) {
        throw KeyError("no signing key detected (one key needs \"sign\" in its key_ops)");
    }
    if (count > 1) {
        // internal/conf/jwk.go's wording.
        throw KeyError("multiple signing keys detected, only 1 signing key is supported");
    }
    return &*std::find_if(keys.begin(), keys.end(), [](const Key& key) { return key.signs; });
}

std::vector<Algorithm> ValidMethods(const KeySetOptions& options, const std::vector<Key>& keys) {
    std::vector<Algorithm> methods;
    const auto add = [&methods](Algorithm algorithm) {
        if (std::find(methods.begin(), methods.end(), algorithm) == methods.end()) {
            methods.push_back(algorithm);
        }
    };
    for (const std::string& name : options.valid_methods) {
        const auto algorithm = detail::AlgorithmFromName(name);
        if (!algorithm) {
            throw KeyError(
                "valid method \"" + name + "\" is not supported (" +
                std::string(kSupportedAlgorithms) + ")"
            );
        }
        add(*algorithm);
    }
    if (options.valid_methods.empty()) {
        for (const Key& key : keys) {
            add(key.algorithm);
        }
    }
    return methods;
}

std::string JwksOf(const std::vector<Key>& keys) {
    std::string jwks = R"({"keys":[)";
    bool first = true;
    for (const Key& key : keys) {
        if (key.public_jwk.empty()) {
            continue;  // oct keys and the secret: symmetric, never published
        }
        jwks += first ? "" : ",";
        jwks += key.public_jwk;
        first = false;
    }
    return jwks + "]}";
}

// GoTrue's keyfunc (internal/api/auth.go, internal/conf/jwk.go FindPublicKeyByKid), except
// that an unknown string kid is refused even for HS256, as GoTrue did before it fell back to the
// secret for those: a kid this server never issued names no key it holds.
detail::KeyChoice ChooseKey(
    const KeySetState& state, const rapidjson::Value& header, std::string_view alg
) {
    const Key* key = nullptr;
    const auto kid = header.FindMember("kid");
    if (kid != header.MemberEnd() && kid->value.IsString()) {
        const std::string_view name(kid->value.GetString(), kid->value.GetStringLength());
        const auto found = std::find_if(state.keys.begin(), state.keys.end(), [&](const Key& k) {
            return k.kid == name;
        });
        if (found != state.keys.end()) {
            key = &*found;
        } else if (name == state.secret.kid) {
            key = &state.secret;
        } else {
            return {nullptr, "invalid kid: " + std::string(name)};
        }
    } else if (alg == "HS256") {
        key = &state.secret;  // tokens without kid, such as the anon and service_role keys
    } else {
        std::string shown = "<nil>";
        if (kid != header.MemberEnd()) {
            rapidjson::StringBuffer buffer;
            rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
            kid->value.Accept(writer);
            shown = buffer.GetString();
        }
        return {nullptr, "unrecognized JWT kid " + shown + " for algorithm " + std::string(alg)};
    }
    if (key->algorithm == Algorithm::kHs256 && key->secret.empty()) {
        // An empty HMAC key is public knowledge; never accept signatures made with it.
        return {nullptr, "no secret configured"};
    }
    return {key, ""};
}

}  // namespace

bool IsSupportedAlgorithm(std::string_view name) {
    return detail::AlgorithmFromName(name).has_value();
}

KeySet::KeySet() : state_(std::make_shared<const KeySetState>()) {}

KeySet KeySet::Load(const KeySetOptions& options) {
    auto state = std::make_shared<KeySetState>();
    state->options = options;
    state->secret.kid = options.key_id;
    state->secret.secret = options.secret;
    state->secret.signs = true;
    state->keys = options.keys.empty() ? std::vector<Key>{} : ParseKeys(options.keys);
    if (state->keys.empty()) {
        // As GoTrue: without keys the secret is the one key, signing and verifying.
        state->keys.push_back(state->secret);
    }
    state->signing = FindSigningKey(state->keys);
    state->valid_methods = ValidMethods(options, state->keys);
    state->public_jwks = JwksOf(state->keys);
    KeySet set;
    set.state_ = std::move(state);
    return set;
}

std::string KeySet::Sign(const rapidjson::Value& claims_object) const {
    if (state_->signing == nullptr) {
        throw std::logic_error("KeySet::Sign: no signing key loaded");
    }
    if (state_->signing->algorithm == Algorithm::kHs256 && state_->signing->secret.empty()) {
        throw std::invalid_argument("KeySet::Sign: empty secret");
    }
    return detail::SignToken(claims_object, *state_->signing);
}

VerifyResult KeySet::Verify(
    std::string_view token, std::int64_t now_unix, const VerifyOptions& options
) const {
    const KeySetState& state = *state_;
    return detail::VerifyToken(
        token,
        now_unix,
        options,
        state.valid_methods,
        [&state](const rapidjson::Value& header, std::string_view alg) {
            return ChooseKey(state, header, alg);
        }
    );
}

std::string KeySet::PublicJwks() const {
    return state_->public_jwks.empty() ? R"({"keys":[]})" : state_->public_jwks;
}

std::string_view KeySet::SigningAlgorithm() const {
    return state_->signing == nullptr ? std::string_view()
                                      : detail::AlgorithmName(state_->signing->algorithm);
}

bool KeySet::operator==(const KeySet& other) const {
    return state_->options == other.state_->options;
}

}  // namespace gotrue::tokens
