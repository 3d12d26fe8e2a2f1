#pragma once

// Helpers shared by the go_template_*_test.cpp files and tests/template_goldens/render.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>

#include "mailer/go_template.hpp"
#include "mailer/template_json.hpp"

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

// A golden case's data (tests/template_goldens/README.md): its "data" fields over an empty "Data"
// object, as the mailer passes user_metadata.
inline TemplateData CaseData(const rapidjson::Value& test_case) {
    TemplateData data{{"Data", TemplateValue::Object({})}};
    if (test_case.HasMember("data")) {
        for (const auto& member : test_case["data"].GetObject()) {
            data.insert_or_assign(
                std::string(member.name.GetString(), member.name.GetStringLength()),
                TemplateValueFromJson(member.value)
            );
        }
    }
    return data;
}

// How a golden case comes out here: {"output": text} or {"error": "parse"|"exec", "message"},
// the golden files' shape. Subjects render as TemplateMailer renders them (escaped, as bodies).
struct CaseResult {
    std::optional<std::string> output;
    std::string error;  // "parse" or "exec" when output is empty
    std::string message;
};

inline CaseResult RunCase(const rapidjson::Value& test_case) {
    const std::string source(
        test_case["template"].GetString(), test_case["template"].GetStringLength()
    );
    const bool subject = test_case.HasMember("subject") && test_case["subject"].GetBool();
    std::optional<GoTemplate> parsed;
    try {
        parsed = GoTemplate::Parse(source, subject ? "Subject" : "template");
    } catch (const TemplateError& error) {
        return {std::nullopt, "parse", error.what()};
    }
    try {
        // As TemplateMailer::Render calls it: subjects are escaped like bodies, as GoTrue's are.
        return {parsed->Render(CaseData(test_case)), "", ""};
    } catch (const TemplateError& error) {
        return {std::nullopt, "exec", error.what()};
    }
}

}  // namespace gotrue::mailer::go_template_test
