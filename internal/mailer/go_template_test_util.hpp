#pragma once

// Helpers shared by the go_template_*_test.cpp files.

#include <string>
#include <string_view>
#include <utility>

#include "mailer/go_template.hpp"

namespace gotrue::mailer::go_template_test {

inline TemplateValue S(std::string value) {
    return TemplateValue::String(std::move(value));
}

inline TemplateValue N(double value) {
    return TemplateValue::Number(value);
}

inline std::string Render(
    std::string_view source, const TemplateData& data = {}, bool escape = true
) {
    return GoTemplate::Parse(source).Render(data, escape);
}

// what() of the TemplateError that Parse throws, or a marker when it does not throw.
inline std::string ParseError(std::string_view source) {
    try {
        (void)GoTemplate::Parse(source, "mail");
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "<parsed>";
}

// what() of the TemplateError that Render throws (the template must parse).
inline std::string RenderError(std::string_view source, const TemplateData& data) {
    const GoTemplate parsed = GoTemplate::Parse(source, "mail");
    try {
        (void)parsed.Render(data);
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "<rendered>";
}

inline TemplateData UserData(TemplateValue::Map fields) {
    return {{"Data", TemplateValue::Object(std::move(fields))}};
}

}  // namespace gotrue::mailer::go_template_test
