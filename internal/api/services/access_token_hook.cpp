#include "api/services/access_token_hook.hpp"

#include <array>
#include <cmath>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/services/request_info.hpp"
#include "hooks/hook.hpp"
#include "models/time.hpp"
#include "observability/request_id.hpp"

namespace gotrue::api {
namespace {

bool IsInteger(const rapidjson::Value& value) {
    if (value.IsInt64() || value.IsUint64()) {
        return true;
    }
    // JSON Schema's integer is any number without a fraction (1.0 is one).
    return value.IsDouble() && std::isfinite(value.GetDouble()) &&
           std::floor(value.GetDouble()) == value.GetDouble();
}

std::string TypeName(const rapidjson::Value& value) {
    if (value.IsNull()) {
        return "null";
    }
    if (value.IsBool()) {
        return "boolean";
    }
    if (value.IsString()) {
        return "string";
    }
    if (value.IsObject()) {
        return "object";
    }
    if (value.IsArray()) {
        return "array";
    }
    return IsInteger(value) ? "integer" : "number";
}

enum class Type { kString, kInteger, kObject, kStringOrArray, kAmr };

struct Property {
    std::string_view name;
    Type type;
};

// The schema's properties in its order (internal/tokens/service.go).
constexpr std::array<Property, 16> kProperties{{
    {"aud", Type::kStringOrArray},
    {"exp", Type::kInteger},
    {"jti", Type::kString},
    {"iat", Type::kInteger},
    {"iss", Type::kString},
    {"nbf", Type::kInteger},
    {"sub", Type::kString},
    {"email", Type::kString},
    {"phone", Type::kString},
    {"app_metadata", Type::kObject},
    {"user_metadata", Type::kObject},
    {"role", Type::kString},
    {"aal", Type::kString},
    {"amr", Type::kAmr},
    {"session_id", Type::kString},
    {"client_id", Type::kString},
}};

constexpr std::array<std::string_view, 10> kRequired{
    "aud", "exp", "iat", "sub", "email", "phone", "role", "aal", "session_id", "is_anonymous"};

std::string InvalidType(
    std::string_view where, std::string_view expected, const rapidjson::Value& given
) {
    return "- " + std::string(where) + ": Invalid type. Expected: " + std::string(expected) +
           ", given: " + TypeName(given) + "\n";
}

std::string CheckProperty(const Property& property, const rapidjson::Value& value) {
    switch (property.type) {
        case Type::kString:
            return value.IsString() ? "" : InvalidType(property.name, "string", value);
        case Type::kInteger:
            return IsInteger(value) ? "" : InvalidType(property.name, "integer", value);
        case Type::kObject:
            return value.IsObject() ? "" : InvalidType(property.name, "object", value);
        case Type::kStringOrArray:
            return value.IsString() || value.IsArray()
                       ? ""
                       : InvalidType(property.name, "string,array", value);
        case Type::kAmr: {
            if (!value.IsArray()) {
                return InvalidType(property.name, "array", value);
            }
            std::string violations;
            for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
                if (!value[i].IsString() && !value[i].IsObject()) {
                    violations += "- amr." + std::to_string(i) +
                                  ": Must validate at least one schema (anyOf)\n";
                }
            }
            return violations;
        }
    }
    return "";
}

std::string HookInput(
    const Request& request,
    const std::string& user_id,
    const rapidjson::Value& claims,
    models::AuthenticationMethod method
) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    const auto text = [&writer](std::string_view value) {
        writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    writer.StartObject();
    writer.Key("metadata");
    writer.StartObject();
    writer.Key("uuid");
    text(observability::NewUuid());
    writer.Key("time");
    text(models::FormatTime(models::Now()));
    writer.Key("name");
    text("customize-access-token");
    if (const std::string ip = ClientIp(request); !ip.empty()) {
        writer.Key("ip_address");
        text(ip);
    }
    writer.EndObject();
    writer.Key("user_id");
    text(user_id);
    writer.Key("claims");
    claims.Accept(writer);
    writer.Key("authentication_method");
    text(models::String(method));
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string ClaimsSchemaViolations(const rapidjson::Value& claims) {
    if (!claims.IsObject()) {
        return InvalidType("(root)", "object", claims);
    }
    std::string violations;
    for (const auto name : kRequired) {
        if (!claims.HasMember(rapidjson::StringRef(name.data(), name.size()))) {
            violations += "- (root): " + std::string(name) + " is required\n";
        }
    }
    for (const auto& property : kProperties) {
        const auto member =
            claims.FindMember(rapidjson::StringRef(property.name.data(), property.name.size()));
        if (member != claims.MemberEnd()) {
            violations += CheckProperty(property, member->value);
        }
    }
    return violations;
}

rapidjson::Document OutputClaims(const rapidjson::Value& output) {
    const rapidjson::Value null_value;
    const rapidjson::Value* claims = &null_value;  // nothing answered: upstream's nil claims
    if (!output.IsNull()) {
        if (!output.IsObject()) {
            throw HttpError(500, "", "Error unmarshaling JSON output.");
        }
        const auto member = output.FindMember("claims");
        if (member == output.MemberEnd()) {
            throw HttpError(500, "", "output claims field is missing");
        }
        if (!member->value.IsObject() && !member->value.IsNull()) {
            throw HttpError(500, "", "Error unmarshaling JSON output.");
        }
        claims = &member->value;
    }
    if (const std::string violations = ClaimsSchemaViolations(*claims); !violations.empty()) {
        throw HttpError(
            500, "", "output claims do not conform to the expected schema: \n" + violations
        );
    }
    rapidjson::Document copy;
    copy.CopyFrom(*claims, copy.GetAllocator());
    return copy;
}

rapidjson::Document CustomizeAccessToken(
    pqxx::work& tx,
    const conf::Config& config,
    const Request& request,
    const std::string& user_id,
    rapidjson::Document claims,
    models::AuthenticationMethod method
) {
    const auto& hook = config.hook.custom_access_token;
    if (!hook.enabled) {
        return claims;
    }
    rapidjson::Document output;
    try {
        output = hooks::Invoke(hook, HookInput(request, user_id, claims, method), tx);
    } catch (const hooks::HookError& error) {
        throw HttpError(error.Status(), error.Code(), error.what(), error.Internal());
    }
    return OutputClaims(output);
}

}  // namespace gotrue::api
