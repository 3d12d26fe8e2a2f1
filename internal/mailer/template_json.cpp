#include "mailer/template_json.hpp"

#include <string>
#include <utility>

namespace gotrue::mailer {
namespace {

std::string StringOf(const rapidjson::Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

}  // namespace

TemplateValue TemplateValueFromJson(const rapidjson::Value& value) {
    switch (value.GetType()) {
        case rapidjson::kNullType:
            return TemplateValue::Null();
        case rapidjson::kFalseType:
        case rapidjson::kTrueType:
            return TemplateValue::Bool(value.GetBool());
        case rapidjson::kNumberType:
            return TemplateValue::Number(value.GetDouble());
        case rapidjson::kStringType:
            return TemplateValue::String(StringOf(value));
        case rapidjson::kArrayType: {
            TemplateValue::Array items;
            items.reserve(value.Size());
            for (const auto& item : value.GetArray()) {
                items.push_back(TemplateValueFromJson(item));
            }
            return TemplateValue::List(std::move(items));
        }
        case rapidjson::kObjectType: {
            TemplateValue::Map fields;
            for (const auto& member : value.GetObject()) {
                fields.insert_or_assign(StringOf(member.name), TemplateValueFromJson(member.value));
            }
            return TemplateValue::Object(std::move(fields));
        }
    }
    return TemplateValue::Null();
}

}  // namespace gotrue::mailer
