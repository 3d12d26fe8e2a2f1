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
//   - Render(data, true) HTML-escapes every action's output like html/template in text context
//     (& < > " ' + and NUL as &amp; &lt; &gt; &#34; &#39; &#43; U+FFFD), except when the
//     pipeline ends in html (already escaped, as Go merges the two). There is no contextual
//     escaping: a value inside href="..." is HTML-escaped too, which browsers decode. Literal text
//     is never escaped. Render(data, false) prints values verbatim (subjects). As in Go, html and
//     urlquery may only be the last command of an action's pipeline.
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

    // escape_html: HTML-escape action output (bodies); false prints it verbatim (subjects).
    // Throws TemplateError for the evaluation errors listed above.
    [[nodiscard]] std::string Render(const TemplateData& data, bool escape_html = true) const;

    [[nodiscard]] const std::string& Name() const;

private:
    struct Impl;  // the parsed tree, defined in go_template.cpp

    explicit GoTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

    std::shared_ptr<const Impl> impl_;
};

}  // namespace gotrue::mailer
