#pragma once

// go_template: the subset of Go's html/template that GoTrue mail templates use, so operators
// keep their custom templates after migrating. Templates are parsed once (GoTemplate::Parse) and
// rendered many times; anything outside the subset is a parse error, never a silent misrender.
//
// Supported syntax (Go semantics unless noted):
//   - Text with actions {{ ... }}. Trim markers "{{- " and " -}}" (the space is required, as in
//     Go) drop the adjacent run of spaces, tabs, CR and LF. Comments {{/* ... */}}, also
//     {{- /* ... */ -}}; the comment must touch the delimiters exactly as in Go.
//   - Operands: fields .Name, .Data.key, .Data.a.b (identifiers [A-Za-z_][A-Za-z0-9_]*); dot "."
//     (the current value: top-level data, or the value of an enclosing with/range); variables
//     $x, $x.field and $ (the top-level data); parenthesised pipelines (...), optionally followed
//     by fields: (index .Data "k").sub; literals "..." (Go escapes \a \b \f \n \r \t \v \\ \"
//     \xHH \ooo \uHHHH \UHHHHHHHH), `raw`, decimal integers and floats, 0x hex, 0-prefixed octal,
//     true, false, nil.
//   - Pipelines: commands separated by |, the previous value passed as the last argument.
//     Declarations {{ $x := PIPELINE }} and assignments {{ $x = PIPELINE }} (output nothing);
//     variables are scoped like Go's (to the end of the enclosing if/with/range).
//   - {{ if P }} {{ else if P }} {{ else }} {{ end }}; {{ with P }} {{ else with P }} {{ else }}
//     {{ end }} (dot = the value inside); {{ range P }} {{ else }} {{ end }} over lists (dot = the
//     element) and objects (values in key order), with optional $e := or $i, $e :=; range over
//     null runs the else branch.
//   - Functions: and, or (short-circuit; return the deciding argument), not, eq (true if the first
//     argument equals any other), ne, lt, le, gt, ge, len, index, html, urlquery, print, println.
//     Arity is checked at parse time.
//
// Limits. Custom templates are fetched from an operator-configured URL, so a compromised or
// broken template host must not be able to hang or exhaust the server; every limit below is a
// TemplateError (the mailer then keeps the previous or built-in template, or renders the
// built-in body), never a crash:
//   - Parse: at most kTemplateMaxBytes (1 MiB) of source; blocks and parentheses nest at most
//     kTemplateMaxNesting (200) deep. Parsing is linear in the source size.
//   - Render: at most kTemplateMaxSteps (1,000,000) evaluation steps (text nodes, actions,
//     commands, range iterations), so nested ranges cannot loop for hours; at most
//     kTemplateMaxTextBytes (4 MiB) of text handled in one render: the output plus the strings
//     built by print, println, html and urlquery plus the strings compared by eq, ne, lt, le,
//     gt and ge, so "{{ $x = print $x $x }}" cannot double a string until memory runs out.
// Not supported (parse error): define, template, block, break, continue, printf and the other Go
// builtins, character constants, method calls, arguments given to a field.
//
// Values and output:
//   - Truthiness as Go: false, 0, "", null, empty object and empty list are false.
//   - An action's value prints as Go's fmt does: strings verbatim, true/false, numbers in integer
//     form when integral below 1e21 (3, not 3.000000), otherwise the shortest round-trip form
//     (1.5, 1e-05, 1e+21); objects as map[k1:v1 k2:v2] (sorted keys), lists as [a b], null
//     nested in those as <nil>. A null (missing) action value prints nothing, as html/template
//     does; print/html/urlquery format a null argument as "<nil>", as Go does.
//   - Render(data) escapes like html/template (contextual autoescaping; go_template/escape.cpp
//     walks the parsed tree with Go's HTML/JS/CSS tokenizer, escape_context.cpp, and gives each
//     action the escapers of where it lands, escapers.cpp): text and quoted attributes
//     HTML-escape (& < > " ' + NUL); unquoted attributes also escape white space, = and `;
//     <title>/<textarea> HTML-escape; an action in a tag is an attribute name (only plain names,
//     else ZgotmplZ); URL attributes (href, src, action, data-*url..., as Go's attr.go) filter the
//     scheme (not http/https/mailto: #ZgotmplZ) and percent-normalise, or query-escape after ? or
//     #; srcset per candidate; <script>, on* handlers and JS MIME types take values as JSON
//     (" 42 ", " null ", "\u003c"), JS strings and regexps escape for them; <style> and style=
//     values pass a CSS filter (ZgotmplZ), CSS strings CSS-escape; HTML comments take nothing.
//     A pipeline ending in html or urlquery merges with an equivalent escaper as Go's
//     ensurePipelineContains does ({{ .X | html }} in text keeps '+'). Template text loses its
//     HTML comments (and JS/CSS comments inside <script>/<style>) and a '<' that starts no tag
//     becomes &lt;, as Go rewrites it. Values are plain strings, numbers, ... never typed safe
//     content, so Go's template.HTML branches do not arise. A null prints nothing, JS " null ".
//     Subjects render the same way (GoTrue uses html/template for them too).
//   - Templates html/template refuses fail at Render with TemplateError, as Go fails at the first
//     Execute (Parse succeeds): a template ending inside a tag, attribute or comment; if/with
//     branches or a range body (run twice) ending in different contexts; an action in an
//     ambiguous URL part, a JS template literal; html in an unquoted attribute; a quote or '<' in
//     an attribute name; "=<'`\"" in an unquoted value; an unfinished JS escape or regexp
//     charset; a '/' that may divide or start a regexp. The escaping pass refuses node kinds it
//     does not know rather than print them unescaped, and its work is bounded (range bodies are
//     re-walked only when their end context differs, at most kTemplateMaxSteps node visits).
//   - Render(data, false) is text/template's output (values printed as they are, text as
//     written, no refusals); the mailer does not use it.
//   - As in Go, html and urlquery may only be the last command of an action's pipeline.
//   - Deviations from Go, to keep user-controlled data from breaking mail: a field of null (or a
//     missing key) is null, len of null is 0, index of null is null, eq/ne of values of different
//     kinds are unequal instead of an error.
//   - Render throws TemplateError (with the action's position) where Go's exec fails: a field of a
//     string/number/bool/list, range over a scalar, len of a bool/number, comparing objects or
//     lists, ordering values of different or unordered kinds, index out of range.

#include <cstddef>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gotrue::mailer {

// The limits described above.
inline constexpr std::size_t kTemplateMaxBytes = std::size_t{1024} * 1024;
inline constexpr int kTemplateMaxNesting = 200;
inline constexpr std::size_t kTemplateMaxSteps = std::size_t{1000} * 1000;
inline constexpr std::size_t kTemplateMaxTextBytes = std::size_t{4} * 1024 * 1024;

enum class ValueKind { kNull, kBool, kNumber, kString, kObject, kList };

// A value a template can see. Cheap to copy: strings, objects and lists are shared, immutable.
class TemplateValue {
public:
    using Map = std::map<std::string, TemplateValue>;
    using Array = std::vector<TemplateValue>;

    TemplateValue() = default;  // null

    [[nodiscard]] static TemplateValue Null() { return {}; }

    [[nodiscard]] static TemplateValue Bool(bool value);

    [[nodiscard]] static TemplateValue Number(double value);

    [[nodiscard]] static TemplateValue String(std::string value);

    [[nodiscard]] static TemplateValue Object(Map fields);

    [[nodiscard]] static TemplateValue List(Array items);

    [[nodiscard]] ValueKind Kind() const { return static_cast<ValueKind>(value_.index()); }

    [[nodiscard]] bool IsNull() const { return Kind() == ValueKind::kNull; }

    // The As* accessors throw std::logic_error when the kind does not match.
    [[nodiscard]] bool AsBool() const;
    [[nodiscard]] double AsNumber() const;
    [[nodiscard]] const std::string& AsString() const;
    [[nodiscard]] const Map& AsObject() const;
    [[nodiscard]] const Array& AsList() const;

    // The field `key` of an object; nullptr for other kinds or a missing key.
    [[nodiscard]] const TemplateValue* Find(const std::string& key) const;

    // Go's truth: false, 0, "", null, {} and [] are false.
    [[nodiscard]] bool IsTruthy() const;

private:
    // Alternative order matches ValueKind.
    std::variant<
        std::monostate,
        bool,
        double,
        std::shared_ptr<const std::string>,
        std::shared_ptr<const Map>,
        std::shared_ptr<const Array>>
        value_;
};

// Top-level data: {{ .SiteURL }}, {{ .ConfirmationURL }}, {{ .Data.key }}, ...
using TemplateData = TemplateValue::Map;

// A malformed template (from Parse) or a failed evaluation (from Render). what() reads
// "template: NAME:LINE:COLUMN: MESSAGE"; line and column are 1-based, columns count bytes.
class TemplateError : public std::runtime_error {
public:
    TemplateError(std::string_view template_name, int line, int column, std::string_view message);

    [[nodiscard]] int Line() const { return line_; }

    [[nodiscard]] int Column() const { return column_; }

private:
    int line_;
    int column_;
};

// A parsed template; immutable, cheap to copy and safe to render from several threads.
class GoTemplate {
public:
    // Throws TemplateError for a malformed template or syntax outside the subset above.
    [[nodiscard]] static GoTemplate Parse(
        std::string_view source, std::string_view name = "template"
    );

    // escape_html: html/template's contextual escaping (what the mailer uses for subjects and
    // bodies); false: text/template's verbatim output. Throws TemplateError for the evaluation
    // errors listed above and, when escaping, for templates html/template refuses.
    [[nodiscard]] std::string Render(const TemplateData& data, bool escape_html = true) const;

    [[nodiscard]] const std::string& Name() const;

private:
    struct Impl;  // the parsed tree, defined in go_template.cpp

    explicit GoTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

    std::shared_ptr<const Impl> impl_;
};

}  // namespace gotrue::mailer
