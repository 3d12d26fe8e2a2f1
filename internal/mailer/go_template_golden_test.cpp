// GoTemplate against Go's own html/template: every case of tests/template_goldens/cases/*.json is
// rendered here and compared with what Go rendered (tests/template_goldens/golden/, written by
// `make template-goldens`, see tests/template_goldens/gen/main.go). Output must match byte for
// byte; where Go refuses the template we refuse too (a TemplateError; messages may differ). A Go
// parse error must be ours at Parse; Go reports html/template's escaping errors at the first
// Execute, so for a Go exec error either stage counts.

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "mailer/go_template.hpp"

#ifndef GOTRUE_TEMPLATE_GOLDENS_DIR
#error "GOTRUE_TEMPLATE_GOLDENS_DIR must name tests/template_goldens"
#endif

namespace gotrue::mailer {
namespace {

namespace fs = std::filesystem;

rapidjson::Document ReadJson(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    rapidjson::Document document;
    document.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
    REQUIRE_MESSAGE(!document.HasParseError(), path.string() << " is not valid JSON");
    REQUIRE_MESSAGE(document.IsArray(), path.string() << " is not a JSON array");
    return document;
}

std::string StringOf(const rapidjson::Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

// encoding/json's view of a JSON value, as GoTrue hands it to the template.
TemplateValue FromJson(const rapidjson::Value& value) {
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
            for (const auto& item : value.GetArray()) {
                items.push_back(FromJson(item));
            }
            return TemplateValue::List(std::move(items));
        }
        case rapidjson::kObjectType: {
            TemplateValue::Map fields;
            for (const auto& member : value.GetObject()) {
                fields.insert_or_assign(StringOf(member.name), FromJson(member.value));
            }
            return TemplateValue::Object(std::move(fields));
        }
    }
    return TemplateValue::Null();
}

// The case's data as the mailer passes it: "Data" is always an object (an empty one by default).
TemplateData CaseData(const rapidjson::Value& test_case) {
    TemplateData data{{"Data", TemplateValue::Object({})}};
    if (test_case.HasMember("data")) {
        for (const auto& member : test_case["data"].GetObject()) {
            data.insert_or_assign(StringOf(member.name), FromJson(member.value));
        }
    }
    return data;
}

// "output:<text>", "error:parse" or "error:exec", for ours and Go's alike.
std::string Outcome(const rapidjson::Value& test_case) {
    const std::string source = StringOf(test_case["template"]);
    const bool subject = test_case.HasMember("subject") && test_case["subject"].GetBool();
    std::optional<GoTemplate> parsed;
    try {
        parsed = GoTemplate::Parse(source, subject ? "Subject" : "template");
    } catch (const TemplateError&) {
        return "error:parse";
    }
    try {
        // As TemplateMailer::Render calls it: subjects are escaped like bodies, as GoTrue's are.
        return "output:" + parsed->Render(CaseData(test_case));
    } catch (const TemplateError&) {
        return "error:exec";
    }
}

std::string GoOutcome(const rapidjson::Value& golden) {
    if (golden.HasMember("error")) {
        return "error:" + StringOf(golden["error"]);
    }
    return "output:" + StringOf(golden["output"]);
}

std::vector<fs::path> CaseFiles() {
    std::vector<fs::path> files;
    for (const auto& entry :
         fs::directory_iterator(fs::path(GOTRUE_TEMPLATE_GOLDENS_DIR) / "cases")) {
        if (entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

TEST_CASE("go_template goldens: output and refusals match Go's html/template") {
    const std::vector<fs::path> files = CaseFiles();
    REQUIRE(!files.empty());
    std::size_t total = 0;
    for (const fs::path& cases_path : files) {
        const fs::path golden_path =
            fs::path(GOTRUE_TEMPLATE_GOLDENS_DIR) / "golden" / cases_path.filename();
        const rapidjson::Document cases = ReadJson(cases_path);
        const rapidjson::Document goldens = ReadJson(golden_path);
        REQUIRE_MESSAGE(
            cases.Size() == goldens.Size(),
            golden_path.string() << " is stale: run make template-goldens"
        );
        for (rapidjson::SizeType i = 0; i < cases.Size(); ++i) {
            const std::string name = StringOf(cases[i]["name"]);
            INFO(cases_path.filename().string() << " case " << name);
            REQUIRE_MESSAGE(
                name == StringOf(goldens[i]["name"]),
                golden_path.string() << " is stale: run make template-goldens"
            );
            std::string ours = Outcome(cases[i]);
            const std::string go = GoOutcome(goldens[i]);
            if (go == "error:exec" && ours == "error:parse") {
                ours = go;  // html/template escaping errors surface at Go's first Execute
            }
            CHECK(ours == go);
            ++total;
        }
    }
    MESSAGE(total << " golden cases from " << files.size() << " files");
}

}  // namespace
}  // namespace gotrue::mailer
