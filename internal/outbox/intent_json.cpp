#include "outbox/intent_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json/parser.hpp"
#include "mailer/template_json.hpp"

namespace gotrue::outbox {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteString(Writer& writer, std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteValue(Writer& writer, const mailer::TemplateValue& value) {
    using mailer::ValueKind;
    switch (value.Kind()) {
        case ValueKind::kBool:
            writer.Bool(value.AsBool());
            return;
        case ValueKind::kNumber:
            writer.Double(value.AsNumber());
            return;
        case ValueKind::kInt:
            writer.Int64(value.AsInt());
            return;
        case ValueKind::kString:
            WriteString(writer, value.AsString());
            return;
        case ValueKind::kObject:
            writer.StartObject();
            for (const auto& [key, field] : value.AsObject()) {
                WriteString(writer, key);
                WriteValue(writer, field);
            }
            writer.EndObject();
            return;
        case ValueKind::kList:
            writer.StartArray();
            for (const auto& item : value.AsList()) {
                WriteValue(writer, item);
            }
            writer.EndArray();
            return;
        default:  // null, missing
            writer.Null();
            return;
    }
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
    const auto member = object.FindMember(name);
    if (member == object.MemberEnd() || !member->value.IsString()) {
        return {};
    }
    return {member->value.GetString(), member->value.GetStringLength()};
}

const rapidjson::Value& ObjectMember(const rapidjson::Value& object, const char* name) {
    const auto member = object.FindMember(name);
    if (member == object.MemberEnd() || !member->value.IsObject()) {
        throw BadIntentError(std::string("stored mail intent: `") + name + "` is not an object");
    }
    return member->value;
}

std::string Serialize(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

// The named string fields of MailInput, in one place for both directions.
struct Field {
    const char* name;
    std::string mailer::MailInput::*member;
};

constexpr Field kFields[] = {
    {"email", &mailer::MailInput::email},
    {"to", &mailer::MailInput::to},
    {"new_email", &mailer::MailInput::new_email},
    {"token", &mailer::MailInput::token},
    {"token_hash", &mailer::MailInput::token_hash},
    {"redirect_to", &mailer::MailInput::redirect_to},
    {"external_url", &mailer::MailInput::external_url},
};

}  // namespace

std::string IntentToJson(const mailer::MailIntent& intent) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    writer.StartObject();
    writer.Key("kind");
    WriteString(writer, mailer::InfoOf(intent.kind).type);
    writer.Key("input");
    writer.StartObject();
    for (const auto& field : kFields) {
        writer.Key(field.name);
        WriteString(writer, intent.input.*field.member);
    }
    writer.Key("data");
    WriteValue(writer, intent.input.data);
    writer.Key("extra");
    writer.StartObject();
    for (const auto& [key, value] : intent.input.extra) {
        WriteString(writer, key);
        WriteString(writer, value);
    }
    writer.EndObject();
    writer.EndObject();
    writer.Key("user");
    if (intent.user_json.empty()) {
        writer.Null();
    } else {
        writer.RawValue(intent.user_json.data(), intent.user_json.size(), rapidjson::kObjectType);
    }
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

mailer::MailIntent IntentFromJson(std::string_view json) {
    const auto parsed = json::Parse(json);
    if (!parsed.Ok() || !parsed.document.IsObject()) {
        throw BadIntentError("stored mail intent is not a JSON object: " + parsed.Describe());
    }
    const auto& root = parsed.document;
    mailer::MailIntent intent;
    const std::string kind = StringMember(root, "kind");
    bool known = false;
    for (const auto& info : mailer::AllMailKinds()) {
        if (info.type == kind) {
            intent.kind = info.kind;
            known = true;
        }
    }
    if (!known) {
        throw BadIntentError("stored mail intent has an unknown kind \"" + kind + "\"");
    }
    const auto& input = ObjectMember(root, "input");
    for (const auto& field : kFields) {
        intent.input.*field.member = StringMember(input, field.name);
    }
    if (const auto data = input.FindMember("data"); data != input.MemberEnd()) {
        intent.input.data = mailer::TemplateValueFromJson(data->value);
    }
    for (const auto& member : ObjectMember(input, "extra").GetObject()) {
        if (member.value.IsString()) {
            intent.input.extra.insert_or_assign(
                std::string(member.name.GetString(), member.name.GetStringLength()),
                std::string(member.value.GetString(), member.value.GetStringLength())
            );
        }
    }
    if (const auto user = root.FindMember("user");
        user != root.MemberEnd() && user->value.IsObject()) {
        intent.user_json = Serialize(user->value);
    }
    return intent;
}

}  // namespace gotrue::outbox
