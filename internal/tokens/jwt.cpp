#include "tokens/jwt.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "json/parser.hpp"
#include "tokens/key.hpp"
#include "tokens/keys.hpp"

namespace gotrue::tokens {

namespace {

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
VerifyError Fail(VerifyErrorKind kind, std::string_view message) {
    std::string detail(KindText(kind));
    if (!message.empty()) {
        detail += ": ";
        detail += message;
    }
    return VerifyError{kind, std::move(detail)};
}

// A verification step: the error that stops verification, or nullopt to go on.
using Check = std::optional<VerifyError>;

std::optional<std::string> DecodeSegment(std::string_view segment, std::string& error) {
    if (const auto offset = crypto::Base64UrlErrorOffset(segment)) {
        // Go's base64.CorruptInputError wording.
        error = "illegal base64 data at input byte " + std::to_string(*offset);
        return std::nullopt;
    }
    return crypto::Base64UrlDecode(segment);
}

// Parses a JSON object; returns an error message or nullopt on success. The header is parsed
// before the signature is checked, so this reads attacker-controlled text: json::Parse bounds it.
std::optional<std::string> ParseObject(const std::string& text, rapidjson::Document& document) {
    // RapidJSON would keep both of two "alg" or "sub" keys and Go would read the last: refuse
    // them so every reader of a token agrees on what it says.
    json::ParseResult parsed = json::Parse(text, {.duplicate_keys = json::DuplicateKeys::kRefuse});
    if (!parsed.Ok()) {
        // "Invalid value." -> "invalid value at offset 1"
        std::string message = parsed.error;
        if (!message.empty() && message.back() == '.') {
            message.pop_back();
        }
        if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') {
            message[0] = static_cast<char>(message[0] - 'A' + 'a');
        }
        return parsed.offset ? message + " at offset " + std::to_string(*parsed.offset) : message;
    }
    document = std::move(parsed.document);
    if (!document.IsObject()) {
        return std::string("not a JSON object");
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

// The three dot-separated parts of a token, and the part the signature covers.
struct Segments {
    std::string_view header;
    std::string_view claims;
    std::string_view signature;
    std::string_view signing_input;
};

// nullopt unless the token has exactly three segments.
std::optional<Segments> SplitSegments(std::string_view token) {
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot =
        first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return Segments{
        token.substr(0, first_dot),
        token.substr(first_dot + 1, second_dot - first_dot - 1),
        token.substr(second_dot + 1),
        token.substr(0, second_dot),
    };
}

// The registered time claims the validator checks after the signature.
struct ClaimDates {
    std::int64_t exp = 0;
    std::int64_t nbf = 0;
    DateStatus exp_status = DateStatus::kAbsent;
    DateStatus nbf_status = DateStatus::kAbsent;
};

// Decodes header and claims into `parsed` and reads their exp, nbf and iat into `dates`.
Check DecodeToken(
    std::string_view token, const Segments& segments, VerifiedToken& parsed, ClaimDates& dates
) {
    using Kind = VerifyErrorKind;
    std::string error;
    const auto header_json = DecodeSegment(segments.header, error);
    if (!header_json) {
        if (StartsWithBearer(token)) {
            return Fail(Kind::kMalformed, "tokenstring should not contain 'bearer '");
        }
        return Fail(Kind::kMalformed, "could not base64 decode header: " + error);
    }
    if (const auto json_error = ParseObject(*header_json, parsed.header)) {
        return Fail(Kind::kMalformed, "could not JSON decode header: " + *json_error);
    }
    const auto claims_json = DecodeSegment(segments.claims, error);
    if (!claims_json) {
        return Fail(Kind::kMalformed, "could not base64 decode claim: " + error);
    }
    if (const auto json_error = ParseObject(*claims_json, parsed.claims)) {
        return Fail(Kind::kMalformed, "could not JSON decode claim: " + *json_error);
    }
    std::int64_t iat = 0;
    dates.exp_status = ReadNumericDate(parsed.claims, "exp", dates.exp);
    dates.nbf_status = ReadNumericDate(parsed.claims, "nbf", dates.nbf);
    for (const auto& [status, name] :
         {std::pair{dates.exp_status, "exp"},
          std::pair{dates.nbf_status, "nbf"},
          std::pair{ReadNumericDate(parsed.claims, "iat", iat), "iat"}}) {
        if (status == DateStatus::kInvalid) {
            return Fail(
                Kind::kMalformed,
                std::string("could not JSON decode claim: ") + name + " is invalid"
            );
        }
    }
    return std::nullopt;
}

// The token's alg, if it is one of valid_methods.
std::variant<detail::Algorithm, VerifyError> CheckAlgorithm(
    const rapidjson::Document& header, const std::vector<detail::Algorithm>& valid_methods
) {
    using Kind = VerifyErrorKind;
    const auto alg = header.FindMember("alg");
    if (alg == header.MemberEnd() || !alg->value.IsString()) {
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
    // The one line that matters most: the server decides the algorithms, never the token.
    const auto algorithm = detail::AlgorithmFromName(alg_name);
    if (!algorithm ||
        std::find(valid_methods.begin(), valid_methods.end(), *algorithm) == valid_methods.end()) {
        return Fail(
            Kind::kSignatureInvalid, "signing method " + std::string(alg_name) + " is invalid"
        );
    }
    return *algorithm;
}

Check CheckSignature(
    const Segments& segments,
    const rapidjson::Document& header,
    detail::Algorithm algorithm,
    const detail::KeyFunc& key_for
) {
    using Kind = VerifyErrorKind;
    std::string error;
    const auto signature = DecodeSegment(segments.signature, error);
    if (!signature) {
        return Fail(Kind::kMalformed, "could not base64 decode signature: " + error);
    }
    const detail::KeyChoice choice = key_for(header, detail::AlgorithmName(algorithm));
    if (choice.key == nullptr) {
        return Fail(Kind::kUnverifiable, "error while executing keyfunc: " + choice.error);
    }
    if (const auto refused =
            detail::VerifyBytes(algorithm, *choice.key, segments.signing_input, *signature)) {
        return Fail(Kind::kSignatureInvalid, *refused);
    }
    return std::nullopt;
}

// golang-jwt's validator collects every claim error and joins them with ", ".
Check CheckDates(const ClaimDates& dates, std::int64_t now_unix, const VerifyOptions& options) {
    std::string claim_errors;
    const auto add_error = [&claim_errors](std::string_view message) {
        if (!claim_errors.empty()) {
            claim_errors += ", ";
        }
        claim_errors += message;
    };
    if (dates.exp_status == DateStatus::kAbsent) {
        if (options.require_exp) {
            add_error("token is missing required claim: exp claim is required");
        }
    } else if (now_unix >= dates.exp) {
        add_error("token is expired");
    }
    if (dates.nbf_status == DateStatus::kPresent && now_unix < dates.nbf) {
        add_error("token is not valid yet");
    }
    if (!claim_errors.empty()) {
        return Fail(VerifyErrorKind::kInvalidClaims, claim_errors);
    }
    return std::nullopt;
}

std::string Serialize(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    if (!value.Accept(writer)) {
        throw std::invalid_argument("SignToken: claims cannot be serialised (NaN or Inf?)");
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

namespace detail {

std::string SignToken(const rapidjson::Value& claims_object, const Key& key) {
    if (!claims_object.IsObject()) {
        throw std::invalid_argument("SignToken: claims must be a JSON object");
    }
    const std::string_view alg = AlgorithmName(key.algorithm);
    rapidjson::StringBuffer header;
    rapidjson::Writer<rapidjson::StringBuffer> writer(header);
    writer.StartObject();
    writer.Key("alg");
    writer.String(alg.data(), static_cast<rapidjson::SizeType>(alg.size()));
    if (!key.kid.empty()) {
        writer.Key("kid");
        writer.String(key.kid.data(), static_cast<rapidjson::SizeType>(key.kid.size()));
    }
    writer.Key("typ");
    writer.String("JWT");
    writer.EndObject();

    std::string token =
        crypto::Base64UrlEncode(std::string_view(header.GetString(), header.GetSize()));
    token += '.';
    token += crypto::Base64UrlEncode(Serialize(claims_object));
    const std::string signature = SignBytes(key, token);
    token += '.';
    token += crypto::Base64UrlEncode(signature);
    return token;
}

VerifyResult VerifyToken(
    std::string_view token,
    std::int64_t now_unix,
    const VerifyOptions& options,
    const std::vector<Algorithm>& valid_methods,
    const KeyFunc& key_for
) {
    if (token.size() > kMaxTokenBytes) {
        return VerifyResult(Fail(VerifyErrorKind::kMalformed, "token is too large"));
    }
    const auto segments = SplitSegments(token);
    if (!segments) {
        return VerifyResult(
            Fail(VerifyErrorKind::kMalformed, "token contains an invalid number of segments")
        );
    }
    VerifiedToken parsed;
    ClaimDates dates;
    Check error = DecodeToken(token, *segments, parsed, dates);
    if (!error) {
        auto algorithm = CheckAlgorithm(parsed.header, valid_methods);
        if (auto* refused = std::get_if<VerifyError>(&algorithm)) {
            error = std::move(*refused);
        } else {
            error =
                CheckSignature(*segments, parsed.header, std::get<Algorithm>(algorithm), key_for);
        }
    }
    if (!error) {
        error = CheckDates(dates, now_unix, options);
    }
    return error ? VerifyResult(std::move(*error)) : VerifyResult(std::move(parsed));
}

}  // namespace detail

std::string SignHs256(
    const rapidjson::Value& claims_object, std::string_view secret, std::string_view key_id
) {
    if (secret.empty()) {
        throw std::invalid_argument("SignHs256: empty secret");
    }
    detail::Key key;
    key.kid = std::string(key_id);
    key.secret = std::string(secret);
    return detail::SignToken(claims_object, key);
}

VerifyResult VerifyHs256(
    std::string_view token,
    std::string_view secret,
    std::int64_t now_unix,
    const VerifyOptions& options
) {
    KeySetOptions keys;
    keys.secret = std::string(secret);
    keys.key_id = options.key_id;
    return KeySet::Load(keys).Verify(token, now_unix, options);
}

}  // namespace gotrue::tokens
