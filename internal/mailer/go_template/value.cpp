// TemplateValue: the values a template sees (declared in mailer/go_template.hpp).

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "mailer/go_template.hpp"

namespace gotrue::mailer {

TemplateValue TemplateValue::Bool(bool value) {
    TemplateValue result;
    result.value_ = value;
    return result;
}

TemplateValue TemplateValue::Number(double value) {
    TemplateValue result;
    result.value_ = value;
    return result;
}

TemplateValue TemplateValue::String(std::string value) {
    TemplateValue result;
    result.value_ = std::make_shared<const std::string>(std::move(value));
    return result;
}

TemplateValue TemplateValue::Object(Map fields) {
    TemplateValue result;
    result.value_ = std::make_shared<const Map>(std::move(fields));
    return result;
}

TemplateValue TemplateValue::List(Array items) {
    TemplateValue result;
    result.value_ = std::make_shared<const Array>(std::move(items));
    return result;
}

TemplateValue TemplateValue::Int(std::int64_t value) {
    TemplateValue result;
    result.value_ = value;
    return result;
}

TemplateValue TemplateValue::Missing() {
    TemplateValue result;
    result.value_ = MissingTag{};
    return result;
}

std::int64_t TemplateValue::AsInt() const {
    if (Kind() != ValueKind::kInt) {
        throw std::logic_error("TemplateValue is not an int");
    }
    return std::get<std::int64_t>(value_);
}

bool TemplateValue::AsBool() const {
    if (Kind() != ValueKind::kBool) {
        throw std::logic_error("TemplateValue is not a bool");
    }
    return std::get<bool>(value_);
}

double TemplateValue::AsNumber() const {
    if (Kind() != ValueKind::kNumber) {
        throw std::logic_error("TemplateValue is not a number");
    }
    return std::get<double>(value_);
}

const std::string& TemplateValue::AsString() const {
    if (Kind() != ValueKind::kString) {
        throw std::logic_error("TemplateValue is not a string");
    }
    return *std::get<std::shared_ptr<const std::string>>(value_);
}

const TemplateValue::Map& TemplateValue::AsObject() const {
    if (Kind() != ValueKind::kObject) {
        throw std::logic_error("TemplateValue is not an object");
    }
    return *std::get<std::shared_ptr<const Map>>(value_);
}

const TemplateValue::Array& TemplateValue::AsList() const {
    if (Kind() != ValueKind::kList) {
        throw std::logic_error("TemplateValue is not a list");
    }
    return *std::get<std::shared_ptr<const Array>>(value_);
}

const TemplateValue* TemplateValue::Find(const std::string& key) const {
    if (Kind() != ValueKind::kObject) {
        return nullptr;
    }
    const Map& fields = AsObject();
    const auto found = fields.find(key);
    return found == fields.end() ? nullptr : &found->second;
}

bool TemplateValue::IsTruthy() const {
    switch (Kind()) {
        case ValueKind::kNull:
        case ValueKind::kMissing:
            return false;
        case ValueKind::kInt:
            return AsInt() != 0;
        case ValueKind::kBool:
            return AsBool();
        case ValueKind::kNumber:
            return AsNumber() != 0;
        case ValueKind::kString:
            return !AsString().empty();
        case ValueKind::kObject:
            return !AsObject().empty();
        case ValueKind::kList:
            return !AsList().empty();
    }
    return false;
}

}  // namespace gotrue::mailer
