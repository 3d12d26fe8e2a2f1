// Fuzzes mailer::GoTemplate (internal/mailer/go_template.hpp): the input is parsed as a mail
// template and, if it parses, rendered as a body (HTML-escaped) and as a subject (verbatim) with
// a fixed data set shaped like TemplateMailer's: the GoTrue fields plus user metadata (.Data)
// with nested objects, lists, numbers, booleans and nulls.
//
// A template comes from an operator-configured URL, so a compromised template host controls the
// input: every failure must be a TemplateError, never a crash, a hang or unbounded memory.
// Checked besides "no crash, leak, UB or exception other than TemplateError": errors name the
// template, and the output respects GoTemplate's documented size limit (kTemplateMaxTextBytes).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "mailer/go_template.hpp"

namespace {

using gotrue::mailer::GoTemplate;
using gotrue::mailer::TemplateData;
using gotrue::mailer::TemplateError;
using gotrue::mailer::TemplateValue;

TemplateValue S(std::string value) {
    return TemplateValue::String(std::move(value));
}

TemplateValue N(double value) {
    return TemplateValue::Number(value);
}

const TemplateData& Data() {
    static const TemplateData data = [] {
        const TemplateValue nested = TemplateValue::Object({
            {"deep",
             TemplateValue::Object({
                 {"list",
                  TemplateValue::List(
                      {N(1), S("two"), TemplateValue::Object({{"x", S("y")}}), {}, N(-0.5)}
                  )},
                 {"flag", TemplateValue::Bool(false)},
             })},
            {"empty", TemplateValue::Object({})},
            {"none", TemplateValue::List({})},
        });
        const TemplateValue data = TemplateValue::Object({
            {"name", S("J\xC3\xB6rg <b>&amp;</b> \"quoted\" 'single' +1")},
            {"age", N(42)},
            {"ratio", N(0.1)},
            {"big", N(1e21)},
            {"admin", TemplateValue::Bool(true)},
            {"nothing", {}},
            {"tags", TemplateValue::List({S("a"), S("b"), S("c")})},
            {"numbers", TemplateValue::List({N(3), N(1), N(2)})},
            {"nested", nested},
            {"nul", S(std::string("a\0b", 3))},
        });
        return TemplateData{
            {"SiteURL", S("https://example.com")},
            {"Email", S("user+tag@example.com")},
            {"SendingTo", S("user+tag@example.com")},
            {"NewEmail", S("new@example.com")},
            {"ConfirmationURL",
             S("https://auth.example.com/verify?token=pkce_abc&type=signup&redirect_to=https%3A%2F%"
               "2Fexample.com%2Fwelcome")},
            {"Token", S("123456")},
            {"TokenHash", S("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3a94a8fe5ccb19ba6")},
            {"RedirectTo", S("https://example.com/welcome?a=1&b=<2>")},
            {"Data", data},
        };
    }();
    return data;
}

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    static_cast<void>(std::fprintf(
        stderr, "go_template_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data()
    ));
    std::abort();
}

void CheckError(const TemplateError& error) {
    if (!std::string_view(error.what()).starts_with("template: fuzz:") || error.Line() < 1 ||
        error.Column() < 1) {
        Fail("badly formed TemplateError", error.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer passes bytes
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    try {
        const GoTemplate parsed = GoTemplate::Parse(source, "fuzz");
        for (const bool escape : {true, false}) {
            try {
                const std::string out = parsed.Render(Data(), escape);
                if (out.size() > gotrue::mailer::kTemplateMaxTextBytes) {
                    Fail("output larger than kTemplateMaxTextBytes", out.substr(0, 200));
                }
            } catch (const TemplateError& error) {
                CheckError(error);
            }
        }
    } catch (const TemplateError& error) {
        CheckError(error);
    }
    return 0;
}
