// Lexing and parsing: trim markers, comments, literals, syntax errors and parse limits.

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "mailer/go_template_test_util.hpp"

namespace gotrue::mailer::go_template_test {

TEST_CASE("trim markers") {
    const TemplateData data{{"X", S("x")}};
    CHECK(Render("a  {{- .X }}  b", data) == "ax  b");
    CHECK(Render("a  {{ .X -}}  b", data) == "a  xb");
    CHECK(Render("a \n\t {{- .X -}} \r\n b", data) == "axb");
    CHECK(Render("<p>\n  {{- if .X }}\n  yes\n  {{- end }}\n</p>", data) == "<p>\n  yes\n</p>");
    CHECK(Render("{{ if .X -}}\n   {{ .X }}\n{{- end }}", data) == "x");
    CHECK(Render("a {{- \"\" -}} b", data) == "ab");
    CHECK(Render("  {{- .X -}}  ", data) == "x");
    // The space is part of the marker: "{{-3}}" is the number -3, "3-}}" is not a marker.
    CHECK(Render("a {{-3}} b", data) == "a -3 b");
    CHECK(Render("a {{ -3 }} b", data) == "a -3 b");
    // Only spaces, tabs, CR and LF are trimmed; the trim stops at other text.
    CHECK(Render("a\u00a0 {{- .X }}", data) == "a\u00a0x");
    CHECK(Render("{{ .X -}} \n {{- .X }}", data) == "xx");
}

TEST_CASE("comments") {
    const TemplateData data{{"X", S("x")}};
    CHECK(Render("a{{/* note */}}b", data) == "ab");
    CHECK(Render("a{{/* multi\nline {{ .X }} */}}b", data) == "ab");
    CHECK(Render("a {{- /* trimmed */ -}} b", data) == "ab");
    CHECK(Render("a {{- /* left */}} b", data) == "a b");
    CHECK(Render("a {{/* right */ -}} b", data) == "a b");
    CHECK(Render("{{/**/}}{{ .X }}", data) == "x");
}

TEST_CASE("literals") {
    CHECK(Render(R"({{ "a\"b\\c\td\ne" }})", {}, false) == "a\"b\\c\td\ne");
    CHECK(Render(R"({{ "\x41\101\u00e9\U0001F600\a" }})", {}, false) == "AA\u00e9\U0001F600\a");
    CHECK(Render("{{ `raw \\n }} \"q\"` }}", {}, false) == "raw \\n }} \"q\"");
    CHECK(Render("{{ `two\r\nlines` }}", {}, false) == "two\nlines");
    CHECK(Render("{{ \"}}\" }}", {}, false) == "}}");
    CHECK(
        Render("{{ 42 }} {{ -7 }} {{ +3 }} {{ 1.5 }} {{ .25 }} {{ 2. }} {{ 1e3 }} {{ 2.5E-1 }}") ==
        "42 -7 3 1.5 0.25 2 1000 0.25"
    );
    CHECK(Render("{{ 0x1F }} {{ 0XfF }} {{ 017 }} {{ 0 }} {{ -0x10 }}") == "31 255 15 0 -16");
    CHECK(Render("{{ true }} {{ false }}") == "true false");
    CHECK(Render("{{ if eq nil nil }}nil equals nil{{ end }}") == "nil equals nil");
}

TEST_CASE("malformed templates throw TemplateError with position and reason") {
    struct Case {
        std::string_view source;
        std::string_view message;
    };

    const Case cases[] = {
        // Delimiters and comments.
        {"a {{ .X", "template: mail:1:3: unclosed action"},
        {"a\nb\n  {{ .X ", "template: mail:3:3: unclosed action"},
        {"{{/* never closed }}", "template: mail:1:1: unclosed comment"},
        {"{{/* c */ }}", "template: mail:1:8: comment ends before closing delimiter"},
        {"{{ /* c */ }}", "template: mail:1:4: unrecognized character in action: '/'"},
        // Named templates, break and continue in the wrong place, stray or missing keywords.
        {"{{ template \"x\" }}", "template: mail:1:13: no such template \"x\""},
        {"{{ template .X }}", "template: mail:1:13: unexpected \".X\" in template clause"},
        {"{{ define \"x\" }}1{{ end }}{{ define \"x\" }}2{{ end }}",
         "template: mail:1:37: template: multiple definition of template \"x\""},
        {"{{ if .X }}{{ define \"x\" }}{{ end }}{{ end }}",
         "template: mail:1:15: unexpected <define> in command"},
        {"{{ define \"x\" }}x", "template: mail:1:11: unexpected EOF: the template has no {{end}}"},
        {"{{ $x := 1 }}{{ define \"x\" }}{{ $x }}{{ end }}",
         "template: mail:1:33: undefined variable \"$x\""},
        {"{{ break }}", "template: mail:1:4: {{break}} outside {{range}}"},
        {"{{ range .L }}{{ else }}{{ continue }}{{ end }}",
         "template: mail:1:28: {{continue}} outside {{range}}"},
        {"{{ range .L }}{{ define \"d\" }}{{ break }}{{ end }}{{ end }}",
         "template: mail:1:18: unexpected <define> in command"},
        {"{{ range .L }}{{ break 1 }}{{ end }}",
         "template: mail:1:24: unexpected \"1\" in {{break}}"},
        {"{{ if .X }}x", "template: mail:1:4: unexpected EOF: {{if}} has no {{end}}"},
        {"{{ if .X }}{{ else }}x", "template: mail:1:4: unexpected EOF: {{if}} has no {{end}}"},
        {"{{ with .X }}{{ if .Y }}{{ end }}",
         "template: mail:1:4: unexpected EOF: {{with}} has no {{end}}"},
        {"{{ range .X }}", "template: mail:1:4: unexpected EOF: {{range}} has no {{end}}"},
        {"a {{ end }}", "template: mail:1:6: unexpected {{end}}"},
        {"{{ if .X }}{{ end }}{{ end }}", "template: mail:1:24: unexpected {{end}}"},
        {"{{ else }}", "template: mail:1:4: unexpected {{else}}"},
        {"{{ if .X }}{{ else }}{{ else }}{{ end }}",
         "template: mail:1:25: expected {{end}}; found a second {{else}}"},
        {"{{ range .X }}{{ else if .Y }}{{ end }}",
         "template: mail:1:23: {{else if}} is not allowed in {{range}}"},
        {"{{ if .X }}{{ else with .Y }}{{ end }}",
         "template: mail:1:20: {{else with}} is not allowed in {{if}}"},
        {"{{ if .X }}{{ else .Y }}{{ end }}", "template: mail:1:20: unexpected \".Y\" in else"},
        {"{{ if .X }}{{ end .Y }}", "template: mail:1:19: unexpected \".Y\" in end"},
        // Missing values.
        {"{{ }}", "template: mail:1:4: missing value for command"},
        {"{{ if }}{{ end }}", "template: mail:1:7: missing value for if"},
        {"{{ with }}{{ end }}", "template: mail:1:9: missing value for with"},
        {"{{ $x := }}", "template: mail:1:10: missing value for command"},
        {"{{ .X | }}", "template: mail:1:9: missing command after \"|\""},
        {"{{ ( ) }}", "template: mail:1:6: missing value for parenthesized pipeline"},
        // Bad field paths and characters.
        {"{{ .Data..x }}", "template: mail:1:9: unexpected \".\" in operand"},
        {"{{ .Data. }}", "template: mail:1:9: unexpected \".\" in operand"},
        {"{{ .Data.first-name }}", "template: mail:1:15: bad character '-'"},
        {"{{ .Data.1x }}", "template: mail:1:9: bad number syntax: .1x"},
        {"{{ . .X }}", "template: mail:1:6: can't give argument to non-function ."},
        {"{{ ..X }}", "template: mail:1:5: unexpected . after term \".\""},
        {"{{ \"s\".x }}", "template: mail:1:7: unexpected . after term \"\"s\"\""},
        {"{{ .X\"s\" }}", "template: mail:1:6: bad character '\"'"},
        {"{{ \"a\"\"b\" }}", "template: mail:1:7: unexpected \"\"b\"\" in operand"},
        {"{{ .X # }}", "template: mail:1:7: unrecognized character in action: '#'"},
        {"{{ .X \x01 }}", "template: mail:1:7: unrecognized character in action: byte 0x01"},
        // Literals.
        {"{{ \"abc }}", "template: mail:1:4: unterminated quoted string"},
        {"{{ \"ab\nc\" }}", "template: mail:1:4: unterminated quoted string"},
        {"{{ `abc }}", "template: mail:1:4: unterminated raw quoted string"},
        {R"({{ "a\qb" }})", "template: mail:1:6: invalid escape sequence \\q"},
        {R"({{ "\xZZ" }})", "template: mail:1:5: invalid escape sequence in string"},
        {R"({{ "\uD800" }})", "template: mail:1:5: invalid Unicode code point in string escape"},
        {"{{ 'ab' }}", "template: mail:1:4: malformed character constant: 'ab'"},
        {"{{ 1__0 }}", "template: mail:1:4: bad number syntax: 1__0 "},
        {"{{ 12ab }}", "template: mail:1:4: bad number syntax: 12a"},
        {"{{ 1e }}", "template: mail:1:4: bad number syntax: 1e "},
        {"{{ 0x }}", "template: mail:1:4: bad number syntax: 0x "},
        {"{{ 09 }}", "template: mail:1:4: bad number syntax: 09 "},
        {"{{ 99999999999999999999 }}",
         "template: mail:1:4: integer overflow: 99999999999999999999"},
        // Parentheses.
        {"{{ (eq .A \"x\" }}", "template: mail:1:15: unclosed left paren"},
        {"{{ .A) }}", "template: mail:1:6: unexpected right paren"},
        // Functions.
        {"{{ foo .X }}", "template: mail:1:4: function \"foo\" not defined"},
        {"{{ .X | upper }}", "template: mail:1:9: function \"upper\" not defined"},
        {"{{ printf }}",
         "template: mail:1:4: wrong number of args for printf: want at least 1 got 0"},
        {"{{ call }}", "template: mail:1:4: wrong number of args for call: want at least 1 got 0"},
        {"{{ not }}", "template: mail:1:4: wrong number of args for not: want 1 got 0"},
        {"{{ not .A .B }}", "template: mail:1:4: wrong number of args for not: want 1 got 2"},
        {"{{ .A | not .B }}", "template: mail:1:9: wrong number of args for not: want 1 got 2"},
        {"{{ eq .A }}", "template: mail:1:4: wrong number of args for eq: want at least 2 got 1"},
        {"{{ ne .A .B .C }}", "template: mail:1:4: wrong number of args for ne: want 2 got 3"},
        {"{{ len }}", "template: mail:1:4: wrong number of args for len: want 1 got 0"},
        {"{{ print not }}", "template: mail:1:10: wrong number of args for not: want 1 got 0"},
        {"{{ .X .Y }}", "template: mail:1:7: can't give argument to non-function .X"},
        {"{{ \"a\" 1 }}", "template: mail:1:8: can't give argument to non-function literal"},
        {"{{ .X | .Y }}",
         "template: mail:1:9: non executable command in pipeline stage 2 (only a function can "
         "receive a piped value)"},
        {"{{ .X | \"s\" }}",
         "template: mail:1:9: non executable command in pipeline stage 2 (only a function can "
         "receive a piped value)"},
        {"{{ nil }}", "template: mail:1:4: nil is not a command"},
        {"{{ nil | print }}", "template: mail:1:4: nil is not a command"},
        {"{{ if nil }}{{ end }}", "template: mail:1:7: nil is not a command"},
        {"{{ print if }}", "template: mail:1:10: unexpected keyword \"if\" in command"},
        {"{{ .X | html | print }}",
         "template: mail:1:9: predefined escaper \"html\" disallowed in template (only as the last "
         "command of a pipeline)"},
        {"{{ urlquery .X | print }}",
         "template: mail:1:4: predefined escaper \"urlquery\" disallowed in template (only as the "
         "last command of a pipeline)"},
        // Variables.
        {"{{ $x }}", "template: mail:1:4: undefined variable \"$x\""},
        {"{{ $x = 1 }}", "template: mail:1:4: undefined variable \"$x\""},
        {"{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}",
         "template: mail:1:39: undefined variable \"$x\""},
        {"{{ if true }}{{ $x := 1 }}{{ else }}{{ $x }}{{ end }}",
         "template: mail:1:40: undefined variable \"$x\""},
        {"{{ range $e := .L }}{{ else }}{{ $e }}{{ end }}",
         "template: mail:1:34: undefined variable \"$e\""},
        {"{{ $x := 1 }}{{ range $x = .L }}{{ end }}",
         "template: mail:1:23: range can only declare variables with :="},
        {"{{ $a := 1 }}{{ $b := 2 }}{{ if $a, $b := .L }}{{ end }}",
         "template: mail:1:35: unexpected \",\" in operand"},
        {"{{ $x := 1 := 2 }}", "template: mail:1:12: unexpected \":=\" in operand"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.source);
        CHECK(ParseError(c.source) == c.message);
    }
}

TEST_CASE("TemplateError reports line and column") {
    try {
        (void)GoTemplate::Parse("<p>\n  hello\n  {{ if .X }}\n", "confirmation");
        FAIL("expected a TemplateError");
    } catch (const TemplateError& error) {
        CHECK(error.Line() == 3);
        CHECK(error.Column() == 6);
        CHECK(
            std::string(error.what()) ==
            "template: confirmation:3:6: unexpected EOF: {{if}} has no {{end}}"
        );
    }
}

TEST_CASE("nesting limits turn deep input into an error, not a crash") {
    std::string nested;
    for (int i = 0; i < 150; ++i) {
        nested += "{{ if .X }}";
    }
    nested += "deep";
    for (int i = 0; i < 150; ++i) {
        nested += "{{ end }}";
    }
    CHECK(Render(nested, {{"X", N(1)}}) == "deep");

    std::string too_deep;
    for (int i = 0; i < 1000; ++i) {
        too_deep += "{{ with .X }}";
    }
    CHECK(ParseError(too_deep).find("actions nested too deeply") != std::string::npos);

    const std::string parens =
        "{{ " + std::string(1000, '(') + "1" + std::string(1000, ')') + " }}";
    CHECK(ParseError(parens).find("parentheses nested too deeply") != std::string::npos);
    const std::string ok_parens = "{{ " + std::string(50, '(') + "1" + std::string(50, ')') + " }}";
    CHECK(Render(ok_parens) == "1");
}

TEST_CASE("a template larger than 1 MiB is refused when parsed") {
    const std::string at_limit(gotrue::mailer::kTemplateMaxBytes, 'x');
    CHECK(Render(at_limit) == at_limit);
    CHECK(
        ParseError(at_limit + "x") ==
        "template: mail:1:1: template is 1048577 bytes, more than the 1048576 allowed"
    );
}

}  // namespace gotrue::mailer::go_template_test
