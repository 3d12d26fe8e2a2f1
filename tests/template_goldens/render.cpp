// go_template_render CASES.json: renders every case of a golden cases file with our renderer and
// prints the results in the golden files' shape (tests/template_goldens/README.md), so that a
// script can compare them with what Go rendered (scripts/template_corpus.sh).

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "mailer/go_template_test_util.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: go_template_render CASES.json\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    rapidjson::Document cases;
    cases.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
    if (!in || cases.HasParseError() || !cases.IsArray()) {
        std::cerr << "go_template_render: " << argv[1] << " is not a JSON array of cases\n";
        return 1;
    }
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.StartArray();
    for (const auto& test_case : cases.GetArray()) {
        const auto result = gotrue::mailer::go_template_test::RunCase(test_case);
        writer.StartObject();
        writer.Key("name");
        writer.String(test_case["name"].GetString(), test_case["name"].GetStringLength());
        if (result.output) {
            writer.Key("output");
            writer.String(
                result.output->data(), static_cast<rapidjson::SizeType>(result.output->size())
            );
        } else {
            writer.Key("error");
            writer.String(result.error.c_str());
            writer.Key("message");
            writer.String(result.message.c_str());
        }
        writer.EndObject();
    }
    writer.EndArray();
    std::cout << buffer.GetString() << '\n';
    return 0;
}
