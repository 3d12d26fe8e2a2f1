#include "tokens/jwt.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"

namespace gotrue::tokens {

namespace {

constexpr std::string_view kAlgorithm = "HS256";

// Algorithms golang-jwt knows. A known but disallowed alg gets "signing method X is invalid";
// an unknown one "signing method (alg) is unavailable".
constexpr std::array<std::string_view, 14> kKnownAlgorithms = {
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "none",
};

// Iterative parsing keeps stack use constant for deeply nested (attacker-supplied) JSON;
// invalid UTF-8 is rejected so claims can be re-serialised safely. Not kParseFullPrecisionFlag:
// RapidJSON 1.1.0's full-precision path calls __builtin_clzll(0) for a zero with a large
// exponent ("0e-23", "0e300"), undefined behaviour that turns the zero into an arbitrary number
// (1.66e35 for "exp":0e-23 with clang); the claims are parsed before the signature is checked.
// The default precision is what every other JSON reader of this server uses.
constexpr unsigned kParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

std::string_view KindText(VerifyErrorKind kind) {
    switch (kind) {
        case VerifyErrorKind::kMalformed:
            return "token is malformed";
        case VerifyErrorKind::kUnverifiable:
            return "token is unverifiable";
        case VerifyErrorKind::kSignatureInvalid:
            return "token signature is invalid";
        case VerifyErrorKind::kInvalidClaims:
            return "token has invalid claims";
    }
    return "token is invalid";
}

// golang-jwt's newError: "<sentinel>: <message>".
VerifyResult Fail(VerifyErrorKind kind, std::string_view message) {
    std::string detail(KindText(kind));
    if (!message.empty()) {
        detail += ": ";
        detail += message;
    }
    return VerifyResult(VerifyError{kind, std::move(detail)});
}

std::optional<std::string> DecodeSegment(std::string_view segment, std::string& error) {
    if (const auto offset = crypto::Base64UrlErrorOffset(segment)) {
        // Go's base64.CorruptInputError wording.
        error = "illegal base64 data at input byte " + std::to_string(*offset);
        return std::nullopt;
    }
    return crypto::Base64UrlDecode(segment);
}

// RFC 3629 UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        unsigned char low = 0x80;  // bounds of the second byte
        unsigned char high = 0xBF;
        if (byte < 0x80) {
            length = 1;
        } else if (byte >= 0xC2 && byte <= 0xDF) {
            length = 2;
        } else if (byte >= 0xE0 && byte <= 0xEF) {
            length = 3;
            low = byte == 0xE0 ? 0xA0 : 0x80;
            high = byte == 0xED ? 0x9F : 0xBF;
        } else if (byte >= 0xF0 && byte <= 0xF4) {
            length = 4;
            low = byte == 0xF0 ? 0x90 : 0x80;
            high = byte == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (text.size() - i < length) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) {
                return false;
            }
        }
        i += length;
    }
    return true;
}

// What RapidJSON 1.1.0 lets through although the JSON cannot be read back: a lone low surrogate
// escape ("\udc00") decodes into the invalid UTF-8 bytes ED B0 80 despite
// kParseValidateEncodingFlag, and a number such as 17672292001e300 overflows to infinity (its
// exponent check ignores the significand). Go's decoder refuses the number (golang-jwt: token is
// malformed); refusing both keeps invalid UTF-8 and non-finite numbers out of claims that are
// logged, compared and re-serialised. Walks the tree with an explicit stack: the nesting is
// attacker-chosen. Returns an error message, or nullopt.
std::optional<std::string> FindUnreadableValue(const rapidjson::Value& root) {
    const auto valid = [](const rapidjson::Value& string) {
        return IsValidUtf8(std::string_view(string.GetString(), string.GetStringLength()));
    };
    const std::string bad_string = "the surrogate pair in string is invalid";
    std::vector<const rapidjson::Value*> pending{&root};
    while (!pending.empty()) {
        const rapidjson::Value& value = *pending.back();
        pending.pop_back();
        if (value.IsString() && !valid(value)) {
            return bad_string;
        }
        if (value.IsDouble() && !std::isfinite(value.GetDouble())) {
            return std::string("number too big to be stored in double");
        }
        if (value.IsObject()) {
            for (const auto& member : value.GetObject()) {
                if (!valid(member.name)) {
                    return bad_string;
                }
                pending.push_back(&member.value);
            }
        } else if (value.IsArray()) {
            for (const auto& item : value.GetArray()) {
                pending.push_back(&item);
            }
        }
    }
    return std::nullopt;
}

// Parses a JSON object; returns an error message or nullopt on success.
std::optional<std::string> ParseObject(const std::string& json, rapidjson::Document& document) {
    document.Parse<kParseFlags>(json.data(), json.size());
    if (document.HasParseError()) {
        // "Invalid value." -> "invalid value at offset 1"
        std::string message = rapidjson::GetParseError_En(document.GetParseError());
        if (!message.empty() && message.back() == '.') {
            message.pop_back();
        }
        if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') {
            message[0] = static_cast<char>(message[0] - 'A' + 'a');
        }
        return message + " at offset " + std::to_string(document.GetErrorOffset());
    }
    if (!document.IsObject()) {
        return std::string("not a JSON object");
    }
    if (auto unreadable = FindUnreadableValue(document)) {
        return unreadable;
    }
    // RapidJSON keeps duplicate keys and returns the first, Go's decoder the last; refuse them
    // so every reader agrees on what "alg", "exp" or "sub" says.
    std::set<std::string_view> keys;
    for (const auto& member : document.GetObject()) {
        const std::string_view key(member.name.GetString(), member.name.GetStringLength());
        if (!keys.insert(key).second) {
            return "duplicate key \"" + std::string(key) + "\"";
        }
    }
    return std::nullopt;
}

// golang-jwt's hint for callers that pass the whole Authorization header value.
bool StartsWithBearer(std::string_view token) {
    constexpr std::string_view kPrefix = "bearer ";
    if (token.size() < kPrefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kPrefix.size(); ++i) {
        const char c = token[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != kPrefix[i]) {
            return false;
        }
    }
    return true;
}

enum class DateStatus { kAbsent, kPresent, kInvalid };

// golang-jwt's NumericDate: a JSON number of seconds, fractions truncated; null means absent.
DateStatus ReadNumericDate(const rapidjson::Value& claims, const char* name, std::int64_t& out) {
    const auto it = claims.FindMember(name);
    if (it == claims.MemberEnd() || it->value.IsNull()) {
        return DateStatus::kAbsent;
    }
    const rapidjson::Value& value = it->value;
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    if (value.IsInt64()) {
        out = value.GetInt64();
    } else if (value.IsUint64()) {
        out = kMax;
    } else if (value.IsNumber()) {
        const double seconds = std::floor(value.GetDouble());
        if (seconds >= 9.2e18) {
            out = kMax;
        } else if (seconds <= -9.2e18) {
            out = kMin;
        } else {
            out = static_cast<std::int64_t>(seconds);
        }
    } else {
        return DateStatus::kInvalid;
    }
    return DateStatus::kPresent;
}

std::string Serialize(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    if (!value.Accept(writer)) {
        throw std::invalid_argument("SignHs256: claims cannot be serialised (NaN or Inf?)");
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string VerifyError::Message() const {
    return std::string(kBadJwtMessagePrefix) + detail;
}

const VerifiedToken& VerifyResult::Token() const {
    if (!Ok()) {
        throw std::logic_error("VerifyResult::Token on a failed verification");
    }
    return std::get<VerifiedToken>(value_);
}

VerifiedToken& VerifyResult::Token() {
    if (!Ok()) {
        throw std::logic_error("VerifyResult::Token on a failed verification");
    }
    return std::get<VerifiedToken>(value_);
}

const VerifyError& VerifyResult::Error() const {
    if (Ok()) {
        throw std::logic_error("VerifyResult::Error on a successful verification");
    }
    return std::get<VerifyError>(value_);
}

std::string SignHs256(
    const rapidjson::Value& claims_object, std::string_view secret, std::string_view key_id
) {
    if (!claims_object.IsObject()) {
        throw std::invalid_argument("SignHs256: claims must be a JSON object");
    }
    if (secret.empty()) {
        throw std::invalid_argument("SignHs256: empty secret");
    }
    rapidjson::StringBuffer header;
    rapidjson::Writer<rapidjson::StringBuffer> writer(header);
    writer.StartObject();
    writer.Key("alg");
    writer.String(kAlgorithm.data(), static_cast<rapidjson::SizeType>(kAlgorithm.size()));
    if (!key_id.empty()) {
        writer.Key("kid");
        writer.String(key_id.data(), static_cast<rapidjson::SizeType>(key_id.size()));
    }
    writer.Key("typ");
    writer.String("JWT");
    writer.EndObject();

    std::string token =
        crypto::Base64UrlEncode(std::string_view(header.GetString(), header.GetSize()));
    token += '.';
    token += crypto::Base64UrlEncode(Serialize(claims_object));
    const std::string signature = crypto::HmacSha256(secret, token);
    token += '.';
    token += crypto::Base64UrlEncode(signature);
    return token;
}

VerifyResult VerifyHs256(
    std::string_view token,
    std::string_view secret,
    std::int64_t now_unix,
    const VerifyOptions& options
) {
    using Kind = VerifyErrorKind;
    if (token.size() > kMaxTokenBytes) {
        return Fail(Kind::kMalformed, "token is too large");
    }

    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot =
        first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        return Fail(Kind::kMalformed, "token contains an invalid number of segments");
    }
    const std::string_view header_part = token.substr(0, first_dot);
    const std::string_view claims_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
    const std::string_view signature_part = token.substr(second_dot + 1);
    const std::string_view signing_input = token.substr(0, second_dot);

    std::string error;
    const auto header_json = DecodeSegment(header_part, error);
    if (!header_json) {
        if (StartsWithBearer(token)) {
            return Fail(Kind::kMalformed, "tokenstring should not contain 'bearer '");
        }
        return Fail(Kind::kMalformed, "could not base64 decode header: " + error);
    }
    VerifiedToken parsed;
    if (const auto json_error = ParseObject(*header_json, parsed.header)) {
        return Fail(Kind::kMalformed, "could not JSON decode header: " + *json_error);
    }
    const auto claims_json = DecodeSegment(claims_part, error);
    if (!claims_json) {
        return Fail(Kind::kMalformed, "could not base64 decode claim: " + error);
    }
    if (const auto json_error = ParseObject(*claims_json, parsed.claims)) {
        return Fail(Kind::kMalformed, "could not JSON decode claim: " + *json_error);
    }
    std::int64_t exp = 0;
    std::int64_t nbf = 0;
    std::int64_t iat = 0;
    const DateStatus exp_status = ReadNumericDate(parsed.claims, "exp", exp);
    const DateStatus nbf_status = ReadNumericDate(parsed.claims, "nbf", nbf);
    for (const auto& [status, name] :
         {std::pair{exp_status, "exp"},
          std::pair{nbf_status, "nbf"},
          std::pair{ReadNumericDate(parsed.claims, "iat", iat), "iat"}}) {
        if (status == DateStatus::kInvalid) {
            return Fail(
                Kind::kMalformed,
                std::string("could not JSON decode claim: ") + name + " is invalid"
            );
        }
    }

    const auto alg = parsed.header.FindMember("alg");
    if (alg == parsed.header.MemberEnd() || !alg->value.IsString()) {
        return Fail(Kind::kUnverifiable, "signing method (alg) is unspecified");
    }
    const std::string_view alg_name(alg->value.GetString(), alg->value.GetStringLength());
    bool known = false;
    for (const std::string_view candidate : kKnownAlgorithms) {
        known = known || candidate == alg_name;
    }
    if (!known) {
        return Fail(Kind::kUnverifiable, "signing method (alg) is unavailable");
    }
    // The one line that matters most: the server decides the algorithm, never the token.
    if (alg_name != kAlgorithm) {
        return Fail(
            Kind::kSignatureInvalid, "signing method " + std::string(alg_name) + " is invalid"
        );
    }

    const auto signature = DecodeSegment(signature_part, error);
    if (!signature) {
        return Fail(Kind::kMalformed, "could not base64 decode signature: " + error);
    }

    // GoTrue's keyfunc: a string kid must name a configured key.
    const auto kid = parsed.header.FindMember("kid");
    if (kid != parsed.header.MemberEnd() && kid->value.IsString()) {
        const std::string_view kid_value(kid->value.GetString(), kid->value.GetStringLength());
        if (kid_value != options.key_id) {
            return Fail(
                Kind::kUnverifiable,
                "error while executing keyfunc: invalid kid: " + std::string(kid_value)
            );
        }
    }
    if (secret.empty()) {
        // An empty HMAC key is public knowledge; never accept signatures made with it.
        return Fail(Kind::kUnverifiable, "error while executing keyfunc: no secret configured");
    }

    // Constant-time: a timing difference here would let an attacker forge the MAC byte by byte.
    if (!crypto::ConstantTimeEquals(crypto::HmacSha256(secret, signing_input), *signature)) {
        return Fail(Kind::kSignatureInvalid, "signature is invalid");
    }

    // golang-jwt's validator collects every claim error and joins them with ", ".
    std::string claim_errors;
    const auto add_error = [&claim_errors](std::string_view message) {
        if (!claim_errors.empty()) {
            claim_errors += ", ";
        }
        claim_errors += message;
    };
    if (exp_status == DateStatus::kAbsent) {
        if (options.require_exp) {
            add_error("token is missing required claim: exp claim is required");
        }
    } else if (now_unix >= exp) {
        add_error("token is expired");
    }
    if (nbf_status == DateStatus::kPresent && now_unix < nbf) {
        add_error("token is not valid yet");
    }
    if (!claim_errors.empty()) {
        return Fail(Kind::kInvalidClaims, claim_errors);
    }
    return VerifyResult(std::move(parsed));
}

}  // namespace gotrue::tokens
