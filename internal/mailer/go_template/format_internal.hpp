#pragma once

// How values print (Go's fmt) and the escapers: html/template's text context, text/template's
// html and urlquery.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"

namespace gotrue::mailer::go_template_internal {

// Go's fmt %v for the values a template sees.
std::string Format(const TemplateValue& value);

// Appends `items` to out, each through append(out, item), `separator` between them.
template <typename Items, typename Append>
void AppendJoined(std::string& out, const Items& items, char separator, Append append) {
    bool first = true;
    for (const auto& item : items) {
        if (!first) {
            out += separator;
        }
        first = false;
        append(out, item);
    }
}

// fmt.Sprint: a space between operands when neither is a string. Stops appending operands once
// the result is longer than max_bytes (the caller then fails the render).
std::string Sprint(const std::vector<TemplateValue>& values, std::size_t max_bytes);

// fmt.Sprintln: always a space between operands, and a final newline. max_bytes as Sprint.
std::string Sprintln(const std::vector<TemplateValue>& values, std::size_t max_bytes);

// html/template's evalArgs (_eval_args_): a lone string as is, anything else through Sprint.
std::string EvalArgs(const std::vector<TemplateValue>& values, std::size_t max_bytes);

// text/template's evalArgs (its html, urlquery and js builtins): as EvalArgs, but a nil argument
// reads "<no value>" (text/template exec.go printableValue), not fmt's "<nil>".
std::string BuiltinEvalArgs(std::vector<TemplateValue> values, std::size_t max_bytes);

// html/template's text-context escaper (escape_plus) or, without '+', text/template's html.
std::string HtmlEscape(std::string_view text, bool escape_plus);

// url.QueryEscape.
std::string QueryEscape(std::string_view text);

// The Go type name (%T, error messages): float64, int, string, map[string]interface {}, ...
std::string_view TypeName(const TemplateValue& value);

// fmt's %v of a float64: strconv's shortest %g, which switches to the exponent form below 1e-4
// and from 1e+06 on: 123456, 1e+06, 1.717171717e+09, 1e-05.
std::string FormatNumber(double value);

// fmt.Sprintf. Stops once the result is longer than max_bytes (the caller then fails the
// render). Throws UnsupportedFormat for the few verbs not implemented (%x of a float64, %#v of a
// number, map or list, %p), so that a template never prints something Go would not.
std::string Sprintf(
    std::string_view format, const std::vector<TemplateValue>& args, std::size_t max_bytes
);

class UnsupportedFormat : public std::runtime_error {
public:
    explicit UnsupportedFormat(const std::string& what);
};

// text/template's JSEscapeString.
std::string JsEscape(std::string_view text);

// Go's backslash escape of a control character ("\\n") when `letters` names it ("nrt": JSON's,
// "abfnrtv": strconv.Quote's); false otherwise.
bool AppendBackslashEscape(std::string& out, char32_t r, std::string_view letters);

// unicode.IsPrint (approximated: see printf.cpp).
bool IsPrintRune(char32_t r);

}  // namespace gotrue::mailer::go_template_internal
