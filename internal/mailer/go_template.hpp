#pragma once

// go_template: Go's text/template language as GoTrue's html/template runs it, so operators keep
// their custom templates after migrating. Templates are parsed once (GoTemplate::Parse) and
// rendered many times; tests/template_goldens holds cases rendered by Go itself, and
// go_template_golden_test.cpp holds this renderer to them byte for byte.
//
// Syntax (Go semantics):
//   - Text with actions {{ ... }}. Trim markers "{{- " and " -}}" (the space is required, as in
//     Go) drop the adjacent run of spaces, tabs, CR and LF. Comments {{/* ... */}}, also
//     {{- /* ... */ -}}; the comment must touch the delimiters exactly as in Go.
//   - Operands: fields .Name, .Data.key, .Data.a.b; dot "."; variables $x, $x.field and $;
//     parenthesised pipelines (...), optionally followed by fields; literals "..." (Go's
//     escapes), `raw`, integers (decimal, 0x, 0o, 0b, 0-prefixed octal, '_' separators) and
//     character constants 'a' (both Go's int), floats (1.5, 1e6: float64), true, false, nil.
//   - Pipelines: commands separated by |, the previous value passed as the last argument.
//     Declarations {{ $x := P }} and assignments {{ $x = P }}; variables are scoped like Go's.
//   - {{ if }} / {{ else if }} / {{ else }} / {{ end }}; {{ with }} (with {{ else with }});
//     {{ range }} over lists and objects (values in key order), with $e := or $i, $e :=, and
//     {{ break }} / {{ continue }} inside its body (Go 1.18).
//   - {{ define "name" }}...{{ end }} (top level only), {{ template "name" [P] }} (dot and $ are
//     P's value; no caller variables) and {{ block "name" P }}...{{ end }}. Go's rule for
//     redefinitions: an empty definition may be replaced, two non-empty ones are an error. An
//     invocation of an undefined template fails at Parse (html/template fails at the first
//     Execute, before any output).
//   - Functions: and, or (short-circuit; return the deciding argument), not, eq (true if the first
//     argument equals any other), ne, lt, le, gt, ge, len, index, slice, print, println, printf,
//     html, urlquery, js, call (always an error: GoTrue's data holds no functions). Arity is
//     checked at parse time.
//
// Values, as Go sees GoTrue's map[string]any: strings, float64 for every JSON number, bool,
// map[string]any, []any, nil; int only from literals, len, index of a string and range indexes.
//   - Truthiness as Go: false, 0, "", nil, missing, empty object and empty list are false.
//   - A missing key ({{ .Data.nope }}) is Go's invalid value: a field of it is missing too, it
//     prints nothing in an action, <nil> through print/printf. A field of a JSON null held in the
//     data (.Data.null.x) is an error, as in Go; after a pipeline null and missing are alike.
//   - An action's value prints as fmt's %v: floats as the shortest %g (123456, 1e+06,
//     1.717171717e+09, 1e-05), ints in full, objects as map[k1:v1 k2:v2] (sorted keys), lists as
//     [a b], nil inside those as <nil>; nil or missing as the whole action prints nothing.
//   - printf follows fmt: verbs %v %s %d %q %x %X %o %O %b %c %U %e %E %f %F %g %G %t %T %%,
//     flags + - # space 0, width and precision (also * and [n]), and Go's %!v(type=value),
//     %!d(MISSING), %!(EXTRA ...), %!(BADINDEX), %!(NOVERB) forms. Not implemented, and a render
//     error instead of a different output: %x/%X/%b of a float64, %#v of a number/map/list/nil,
//     %# with a float verb, %p. unicode.IsPrint (for %q and js) is approximated (printf.cpp).
//   - eq/ne/lt/le/gt/ge as Go: both operands of the same basic kind (bool, int, float64,
//     string), or an error ("incompatible types for comparison": .Data.age is a float64, so
//     {{ eq .Data.age 36 }} fails and {{ eq .Data.age 36.0 }} works); eq/ne with nil are false
//     (true for two nils); objects and lists are not comparable; lt on bools or nil fails.
//   - len, index and slice fail on nil/missing as Go does; index of a missing key is nil.
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
//     Only html and urlquery are predefined escapers: a pipeline ending in one merges with an
//     equivalent escaper as Go's ensurePipelineContains does ({{ .X | html }} in text keeps
//     '+'); printf, js, slice and the rest are ordinary functions, escaped after. Template text
//     loses its HTML comments (and JS/CSS comments inside <script>/<style>) and a '<' that starts
//     no tag becomes &lt;, as Go rewrites it. Values are plain strings, numbers, ... never typed
//     safe content, so Go's template.HTML branches do not arise. nil or missing prints nothing
//     (JS: " null "). Subjects render the same way (GoTrue uses html/template for them too).
//   - {{ template "name" P }} and {{ block }} are escaped in the caller's context, as Go's
//     escapeTemplate: a call from a context other than text renders its own copy of the template
//     ("name$htmltemplate_<context>") escaped for that context, and the context after the call is
//     where that copy ends. A recursive template is assumed to end where it starts, then checked
//     (Go's computeOutCtx). {{ break }} / {{ continue }} make the rest of the body unreachable and
//     their contexts join the range's end context (Go 1.19's joinRange, including its quirk that
//     only the last continue of a body is joined).
//   - Templates html/template refuses fail at Render with TemplateError, as Go fails at the first
//     Execute (Parse succeeds): a template ending inside a tag, attribute or comment; if/with
//     branches, a range body (run twice) or its break/continue points ending in different
//     contexts; a called template whose end context cannot be computed; an action in an
//     ambiguous URL part, a JS template literal; html in an unquoted attribute; a quote or '<' in
//     an attribute name; "=<'`\"" in an unquoted value; an unfinished JS escape or regexp
//     charset; a '/' that may divide or start a regexp. The escaping pass refuses node kinds it
//     does not know rather than print them unescaped, and its work is bounded (range bodies are
//     re-walked only when their end context differs, each template is escaped once per start
//     context, at most kTemplateMaxSteps node visits in all).
//   - Render(data, false) is text/template's output (values printed as they are, text as
//     written, no refusals); the mailer does not use it. As in Go, html and urlquery may only be
//     the last command of an action's pipeline.
//   - Render throws TemplateError (with the action's position) where Go's exec fails.
//
// Limits. Custom templates are fetched from an operator-configured URL, so a compromised or
// broken template host must not be able to hang or exhaust the server; every limit below is a
// TemplateError (the mailer then keeps the previous or built-in template, or renders the
// built-in body), never a crash:
//   - Parse: at most kTemplateMaxBytes (1 MiB) of source; blocks and parentheses nest at most
//     kTemplateMaxNesting (200) deep. Parsing is linear in the source size.
//   - Render: at most kTemplateMaxSteps (1,000,000) evaluation steps (text nodes, actions,
//     commands, range iterations), so nested ranges cannot loop for hours; {{ template }}
//     invocations nest at most kTemplateMaxNesting deep (Go: 100000), so recursion cannot
//     exhaust the stack; at most kTemplateMaxTextBytes (4 MiB) of text handled in one render:
//     the output plus the strings built by print, println, printf, html, urlquery and js plus
//     the strings compared by eq, ne, lt, le, gt and ge, so "{{ $x = print $x $x }}" cannot
//     double a string until memory runs out.
// Not supported (parse error): method calls, arguments given to a field, hex floats (0x1p4),
// imaginary numbers.

#include <cstddef>
#include <cstdint>
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

// kNumber is a float64 (every JSON number, as encoding/json decodes it); kInt is Go's int, which
// only templates make: integer literals ({{ 3 }}, 'a', 0x10), len, and range indexes. kMissing is
// Go's invalid reflect.Value: a key the data lacks ({{ .Data.nope }}); data never holds it.
enum class ValueKind { kNull, kBool, kNumber, kString, kObject, kList, kInt, kMissing };

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

    [[nodiscard]] static TemplateValue Int(std::int64_t value);

    [[nodiscard]] static TemplateValue Missing();

    [[nodiscard]] ValueKind Kind() const { return static_cast<ValueKind>(value_.index()); }

    [[nodiscard]] bool IsNull() const { return Kind() == ValueKind::kNull; }

    // Null or missing: what html/template prints as nothing and fmt as <nil>.
    [[nodiscard]] bool IsNil() const { return IsNull() || Kind() == ValueKind::kMissing; }

    // The As* accessors throw std::logic_error when the kind does not match.
    [[nodiscard]] bool AsBool() const;
    [[nodiscard]] double AsNumber() const;
    [[nodiscard]] const std::string& AsString() const;
    [[nodiscard]] const Map& AsObject() const;
    [[nodiscard]] const Array& AsList() const;
    [[nodiscard]] std::int64_t AsInt() const;

    // The field `key` of an object; nullptr for other kinds or a missing key.
    [[nodiscard]] const TemplateValue* Find(const std::string& key) const;

    // Go's truth: false, 0, "", null, {} and [] are false.
    [[nodiscard]] bool IsTruthy() const;

private:
    struct MissingTag {};

    // Alternative order matches ValueKind.
    std::variant<
        std::monostate,
        bool,
        double,
        std::shared_ptr<const std::string>,
        std::shared_ptr<const Map>,
        std::shared_ptr<const Array>,
        std::int64_t,
        MissingTag>
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
