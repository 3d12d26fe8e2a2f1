#include "http/json.hpp"

#include "http/errors.hpp"
#include "json/parser.hpp"

namespace gotrue::http {
namespace {

HttpError BadJson(const std::string& detail) {
    return BadRequest(kBadJson, "Could not parse request body as JSON: " + detail);
}

const char* TypeName(const rapidjson::Value& value) {
    if (value.IsString()) {
        return "string";
    }
    if (value.IsNumber()) {
        return "number";
    }
    if (value.IsBool()) {
        return "bool";
    }
    if (value.IsArray()) {
        return "array";
    }
    if (value.IsObject()) {
        return "object";
    }
    return "null";
}

HttpError WrongType(const char* name, const rapidjson::Value& value, const char* expected) {
    return BadJson(
        std::string("json: cannot unmarshal ") + TypeName(value) + " into field \"" + name +
        "\" of type " + expected
    );
}

}  // namespace

rapidjson::Document ParseJsonBody(const std::string& body) {
    json::ParseResult parsed = json::Parse(body);
    if (!parsed.Ok()) {
        throw BadJson(parsed.Describe());
    }
    if (!parsed.document.IsObject()) {
        throw BadJson("expected a JSON object");
    }
    return std::move(parsed.document);
}

std::optional<std::string> StringField(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) {
        return std::nullopt;
    }
    if (!it->value.IsString()) {
        throw WrongType(name, it->value, "string");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<bool> BoolField(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) {
        return std::nullopt;
    }
    if (!it->value.IsBool()) {
        throw WrongType(name, it->value, "bool");
    }
    return it->value.GetBool();
}

std::optional<std::string> ObjectField(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) {
        return std::nullopt;
    }
    if (!it->value.IsObject()) {
        throw WrongType(name, it->value, "map[string]interface {}");
    }
    return ToJson(it->value);
}

rapidjson::Document ParseStoredObject(const std::string& text) {
    rapidjson::Document document = std::move(json::Parse(text).document);
    if (!document.IsObject()) {
        document.SetObject();
    }
    return document;
}

std::string ToJson(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

void WriteRaw(JsonWriter& writer, const std::string& json) {
    // Re-serialised rather than copied: jsonb text has spaces, and a stored value that is not
    // valid JSON must not corrupt the response.
    const json::ParseResult parsed = json::Parse(json);
    if (!parsed.Ok()) {
        writer.StartObject();
        writer.EndObject();
        return;
    }
    parsed.document.Accept(writer);
}

std::string MergeJsonObjects(const std::string& base, const std::string& patch) {
    rapidjson::Document merged = ParseStoredObject(base);
    json::ParseResult update = json::Parse(patch);
    if (!update.Ok() || !update.document.IsObject()) {
        return ToJson(merged);
    }
    auto& allocator = merged.GetAllocator();
    for (auto& member : update.document.GetObject()) {
        if (merged.HasMember(member.name)) {
            merged.RemoveMember(member.name);
        }
        if (!member.value.IsNull()) {
            merged.AddMember(
                rapidjson::Value(member.name, allocator),
                rapidjson::Value(member.value, allocator),
                allocator
            );
        }
    }
    return ToJson(merged);
}

}  // namespace gotrue::http
