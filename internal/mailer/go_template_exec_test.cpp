// Execution: control structures, functions, variables, field errors and render limits.

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "mailer/go_template_test_util.hpp"

namespace gotrue::mailer::go_template_test {

TEST_CASE("if / else if / else") {
    const std::string greeting =
        "{{ if .Data.name }}Hi {{ .Data.name }}{{ else }}Hi there{{ end }}";
    CHECK(Render(greeting, UserData({{"name", S("Ada")}})) == "Hi Ada");
    CHECK(Render(greeting, UserData({})) == "Hi there");
    CHECK(Render(greeting, UserData({{"name", S("")}})) == "Hi there");
    CHECK(Render(greeting, {}) == "Hi there");  // no .Data at all

    const std::string chain =
        "{{ if eq .Data.plan \"pro\" }}P{{ else if eq .Data.plan \"team\" }}T"
        "{{ else if .Data.plan }}other:{{ .Data.plan }}{{ else }}none{{ end }}";
    CHECK(Render(chain, UserData({{"plan", S("pro")}})) == "P");
    CHECK(Render(chain, UserData({{"plan", S("team")}})) == "T");
    CHECK(Render(chain, UserData({{"plan", S("free")}})) == "other:free");
    CHECK(Render(chain, UserData({})) == "none");
    CHECK(Render("{{ if .A }}a{{ else if .B }}b{{ end }}", {{"B", N(1)}}) == "b");
    CHECK(Render("{{ if .A }}a{{ else if .B }}b{{ end }}", {}) == "");

    const std::string nested =
        "{{ if .A }}A{{ if .B }}B{{ else }}!B{{ end }}{{ else }}!A{{ if .B }}B{{ end }}{{ end }}";
    CHECK(Render(nested, {{"A", N(1)}, {"B", N(1)}}) == "AB");
    CHECK(Render(nested, {{"A", N(1)}}) == "A!B");
    CHECK(Render(nested, {{"B", TemplateValue::Bool(true)}}) == "!AB");
    CHECK(Render(nested, {}) == "!A");

    // Truthiness of every kind.
    const std::string truth = "{{ if .V }}T{{ else }}F{{ end }}";
    CHECK(Render(truth, {{"V", N(0)}}) == "F");
    CHECK(Render(truth, {{"V", N(0.1)}}) == "T");
    CHECK(Render(truth, {{"V", TemplateValue::Bool(false)}}) == "F");
    CHECK(Render(truth, {{"V", TemplateValue::List({})}}) == "F");
    CHECK(Render(truth, {{"V", TemplateValue::List({N(0)})}}) == "T");
    CHECK(Render(truth, {{"V", TemplateValue::Object({})}}) == "F");
    CHECK(Render(truth, {{"V", TemplateValue::Null()}}) == "F");
}

TEST_CASE("with sets dot, else and else with") {
    const TemplateData data = UserData({
        {"name", S("Ada")},
        {"address", TemplateValue::Object({{"city", S("Paris")}})},
    });
    CHECK(Render("{{ with .Data.name }}Hi {{ . }}!{{ end }}", data) == "Hi Ada!");
    CHECK(Render("{{ with .Data.address }}{{ .city }}{{ end }}", data) == "Paris");
    CHECK(Render("{{ with .Data }}{{ .address.city }}{{ end }}", data) == "Paris");
    CHECK(Render("{{ with .Data.nick }}{{ . }}{{ else }}no nick{{ end }}", data) == "no nick");
    // Outside with (and in its else branch) dot is the top-level data again.
    CHECK(
        Render(
            "{{ with .Data.nick }}x{{ else }}{{ .Data.name }}{{ end }} {{ .Data.name }}", data
        ) == "Ada Ada"
    );
    CHECK(
        Render(
            "{{ with .Data.nick }}n={{ . }}{{ else with .Data.name }}m={{ . }}{{ end }}", data
        ) == "m=Ada"
    );
    CHECK(
        Render("{{ with .Data }}{{ with .address }}{{ .city }}{{ end }}{{ end }}", data) == "Paris"
    );
    CHECK(Render("{{ with $ }}{{ .Data.name }}{{ end }}", data) == "Ada");
    CHECK(Render("{{ with .Data.name }}{{ $.Data.address.city }}{{ end }}", data) == "Paris");
    // Escaping applies to values reached through dot too.
    CHECK(Render("{{ with .V }}{{ . }}{{ end }}", {{"V", S("<i>")}}) == "&lt;i&gt;");
}

TEST_CASE("range over lists and objects") {
    const TemplateData data{
        {"Items", TemplateValue::List({S("a"), S("<b>"), S("c")})},
        {"People",
         TemplateValue::List({
             TemplateValue::Object({{"name", S("Ada")}}),
             TemplateValue::Object({{"name", S("Bob")}}),
         })},
        {"Empty", TemplateValue::List({})},
        {"Scores", TemplateValue::Object({{"b", N(2)}, {"a", N(1)}})},
        {"Title", S("T")},
    };
    CHECK(Render("{{ range .Items }}[{{ . }}]{{ end }}", data) == "[a][&lt;b&gt;][c]");
    CHECK(Render("{{ range .People }}{{ .name }},{{ end }}", data) == "Ada,Bob,");
    CHECK(Render("{{ range .Empty }}x{{ else }}empty{{ end }}", data) == "empty");
    CHECK(Render("{{ range .Missing }}x{{ else }}none{{ end }}", data) == "none");
    CHECK(Render("{{ range .Items }}x{{ else }}none{{ end }}", data) == "xxx");
    CHECK(Render("{{ range .Scores }}{{ . }}{{ end }}", data) == "12");  // key order
    CHECK(Render("{{ range $k, $v := .Scores }}{{ $k }}={{ $v }};{{ end }}", data) == "a=1;b=2;");
    CHECK(
        Render("{{ range $i, $e := .Items }}{{ $i }}:{{ $e }} {{ end }}", data) ==
        "0:a 1:&lt;b&gt; 2:c "
    );
    CHECK(Render("{{ range $e := .People }}{{ $e.name }}{{ end }}", data) == "AdaBob");
    CHECK(Render("{{ range .Items }}{{ $.Title }}{{ end }}", data) == "TTT");
    CHECK(
        Render("{{ range .People }}{{ if eq .name \"Bob\" }}found{{ end }}{{ end }}", data) ==
        "found"
    );
    CHECK(Render("{{ range .Items }}{{ end }}{{ .Title }}", data) == "T");  // dot restored
    CHECK(
        RenderError("{{ range .Title }}x{{ end }}", data) ==
        "template: mail:1:10: range can't iterate over T"
    );
}

TEST_CASE("functions: not, and, or, eq, ne, comparisons, len, index") {
    const TemplateData data = UserData({
        {"name", S("Ada")},
        {"nick", S("")},
        {"age", N(36)},
        {"admin", TemplateValue::Bool(true)},
        {"tags", TemplateValue::List({S("x"), S("y")})},
        {"first-name", S("Ada L")},
    });

    SUBCASE("not") {
        CHECK(Render("{{ not .Data.nick }}", data) == "true");
        CHECK(Render("{{ not .Data.name }}", data) == "false");
        CHECK(Render("{{ if not .Data.missing }}absent{{ end }}", data) == "absent");
    }

    SUBCASE("and / or return the deciding argument and short-circuit") {
        CHECK(Render("{{ or .Data.nick .Data.name \"friend\" }}", data) == "Ada");
        CHECK(Render("{{ or .Data.nick .Data.missing }}", data) == "");  // last: null
        CHECK(Render("{{ or .Data.nick 0 }}", data) == "0");
        CHECK(Render("{{ and .Data.name .Data.age }}", data) == "36");
        CHECK(Render("{{ and .Data.name .Data.nick .Data.age }}", data) == "");
        CHECK(Render("{{ and 1 0 2 }}", data) == "0");
        CHECK(
            Render("{{ if and .Data.admin (eq .Data.name \"Ada\") }}yes{{ end }}", data) == "yes"
        );
        CHECK(Render("{{ if or .Data.nick .Data.admin }}yes{{ end }}", data) == "yes");
        // The second argument would fail (index out of range) if evaluated.
        CHECK(Render("{{ and false (index .Data.tags 9) }}", data) == "false");
        CHECK(Render("{{ or true (index .Data.tags 9) }}", data) == "true");
        CHECK(Render("{{ and 1 }}", data) == "1");
    }

    SUBCASE("eq / ne") {
        CHECK(Render("{{ eq .Data.name \"Ada\" }}", data) == "true");
        CHECK(Render("{{ eq .Data.name \"ada\" }}", data) == "false");
        // JSON numbers are float64 and integer literals int: Go refuses to compare the two.
        CHECK(
            RenderError("{{ eq .Data.age 36 }}", data) ==
            "template: mail:1:4: error calling eq: incompatible types for comparison"
        );
        CHECK(Render("{{ eq .Data.age 36.0 }}", data) == "true");
        CHECK(Render("{{ eq (len .Data.tags) 2 }}", data) == "true");  // len is an int
        CHECK(Render("{{ eq .Data.admin true }}", data) == "true");
        CHECK(Render("{{ eq .Data.name \"Bob\" \"Cy\" \"Ada\" }}", data) == "true");
        CHECK(Render("{{ eq .Data.name \"Bob\" \"Cy\" }}", data) == "false");
        CHECK(
            RenderError("{{ eq .Data.age \"36\" }}", data) ==
            "template: mail:1:4: error calling eq: incompatible types for comparison"
        );
        CHECK(Render("{{ eq .Data.missing nil }}", data) == "true");
        CHECK(Render("{{ eq .Data.missing \"\" }}", data) == "false");
        CHECK(Render("{{ ne .Data.name \"Bob\" }}", data) == "true");
        CHECK(Render("{{ ne .Data.age 36.0 }}", data) == "false");
        CHECK(Render("{{ eq 1 .Data.missing }}", data) == "false");  // nil: unequal, no error
        CHECK(Render("{{ if (eq .Data.name \"Ada\") }}A{{ end }}", data) == "A");
        CHECK(
            RenderError("{{ eq .Data.tags \"x\" }}", data) ==
            "template: mail:1:4: error calling eq: incompatible types for comparison"
        );
        CHECK(
            RenderError("{{ eq .Data.tags .Data.tags }}", data) ==
            "template: mail:1:4: error calling eq: non-comparable type [x y]: []interface {}"
        );
    }

    SUBCASE("lt le gt ge") {
        CHECK(
            Render(
                "{{ lt .Data.age 40.0 }} {{ le 36.0 .Data.age }} {{ gt 1.5 2.0 }} {{ ge 2 2 }}",
                data
            ) == "true true false true"
        );
        CHECK(Render("{{ lt \"a\" \"b\" }}", data) == "true");
        CHECK(
            RenderError("{{ lt .Data.age \"x\" }}", data) ==
            "template: mail:1:4: error calling lt: incompatible types for comparison"
        );
        CHECK(
            RenderError("{{ lt 1 1.5 }}", data) ==
            "template: mail:1:4: error calling lt: incompatible types for comparison"
        );
        CHECK(
            RenderError("{{ gt .Data.missing 1 }}", data) ==
            "template: mail:1:4: error calling gt: invalid type for comparison"
        );
    }

    SUBCASE("len and index") {
        CHECK(Render("{{ len .Data.name }} {{ len .Data.tags }} {{ len .Data }}", data) == "3 2 6");
        CHECK(Render("{{ len \"héllo\" }}", data) == "6");  // bytes, as Go
        CHECK(
            RenderError("{{ len .Data.missing }}", data) ==
            "template: mail:1:4: error calling len: len of nil pointer"
        );
        CHECK(Render("{{ index .Data \"first-name\" }}", data) == "Ada L");
        CHECK(Render("{{ index .Data.tags 1 }}", data) == "y");
        CHECK(Render("{{ index .Data \"nope\" }}", data) == "");
        CHECK(Render("{{ index . \"Data\" \"name\" }}", data) == "Ada");
        CHECK(
            Render(
                "{{ (index .Data.tags 0) }}{{ with index .Data \"name\" }}{{ . }}{{ end }}", data
            ) == "xAda"
        );
        CHECK(
            RenderError("{{ len .Data.age }}", data) ==
            "template: mail:1:4: error calling len: len of type float64"
        );
        CHECK(
            RenderError("{{ index .Data.tags 2 }}", data) ==
            "template: mail:1:4: error calling index: index out of range: 2"
        );
        CHECK(
            RenderError("{{ index .Data.tags .Data.age }}", data) ==
            "template: mail:1:4: error calling index: cannot index slice/array with type float64"
        );
        CHECK(Render("{{ index .Data.name 0 }}", data) == "65");  // a byte, as Go
        CHECK(
            RenderError("{{ index .Data.age 0 }}", data) ==
            "template: mail:1:4: error calling index: can't index item of type float64"
        );
    }
}

TEST_CASE("print, html, urlquery and pipes") {
    const TemplateData data{
        {"Name", S("Ada <Lovelace>")},
        {"Query", S("a b&c=d/é")},
        {"N", N(7)},
    };
    CHECK(Render("{{ print \"a\" \"b\" }}", data) == "ab");
    CHECK(Render("{{ print 1 2 \"x\" 3 true }}", data) == "1 2x3 true");  // fmt.Sprint spacing
    CHECK(Render("{{ print .Name }}", data) == "Ada &lt;Lovelace&gt;");
    CHECK(Render("{{ println \"a\" 1 }}", data) == "a 1\n");
    CHECK(Render("{{ print .Missing }}", data) == "&lt;nil&gt;");  // fmt prints <nil>, as Go

    // html: escaped once, whether called or piped, and also without escape_html.
    CHECK(Render("{{ .Name | html }}", data) == "Ada &lt;Lovelace&gt;");
    CHECK(Render("{{ html .Name }}", data) == "Ada &lt;Lovelace&gt;");
    CHECK(Render("{{ .Name | html }}", data, false) == "Ada &lt;Lovelace&gt;");
    CHECK(Render("{{ html \"a+b\" }}", data) == "a+b");  // text/template's html keeps '+'
    CHECK(Render("{{ \"a+b\" }}", data) == "a&#43;b");   // html/template's escaper does not

    // urlquery: query-escaped, then HTML-escaped like any other action output.
    CHECK(Render("{{ .Query | urlquery }}", data) == "a&#43;b%26c%3Dd%2F%C3%A9");
    CHECK(Render("{{ urlquery .Query }}", data, false) == "a+b%26c%3Dd%2F%C3%A9");
    CHECK(
        Render("<a href=\"https://x.io/?q={{ .Query | urlquery }}\">", data, false) ==
        "<a href=\"https://x.io/?q=a+b%26c%3Dd%2F%C3%A9\">"
    );
    CHECK(Render("{{ urlquery \"-_.~AZaz09\" }}", data) == "-_.~AZaz09");

    // The piped value is the last argument.
    CHECK(Render("{{ .Name | print \"Hi \" }}", data) == "Hi Ada &lt;Lovelace&gt;");
    CHECK(Render("{{ .N | eq 7.0 }}", data) == "true");
    CHECK(Render("{{ \"x\" | print \"a\" | print \"b\" }}", data) == "bax");
    CHECK(Render("{{ .Missing | not }}", data) == "true");
    CHECK(Render("{{ .Name | len }}", data) == "14");
    CHECK(Render("{{ (print .N 1) | urlquery }}", data) == "7&#43;1");  // Sprint(7, 1) = "7 1"
}

TEST_CASE("missing fields and field errors") {
    const TemplateData data = UserData({{"name", S("Ada")}, {"n", TemplateValue::Null()}});
    CHECK(Render("[{{ .Nope }}]", data) == "[]");
    CHECK(Render("[{{ .Data.nope }}]", data) == "[]");
    CHECK(Render("[{{ .Data.nope.deeper.still }}]", data) == "[]");
    CHECK(Render("[{{ .Data.n }}]", data) == "[]");
    CHECK(Render("[{{ .Nope.x }}]", {}) == "[]");
    CHECK(Render("[{{ .Data.name }}]", data, false) == "[Ada]");
    CHECK(
        RenderError("{{ .Data.name.first }}", data) ==
        "template: mail:1:4: can't evaluate field first in type string"
    );
    CHECK(
        RenderError("\n  {{ with .Data.name }}{{ .x }}{{ end }}", data) ==
        "template: mail:2:27: can't evaluate field x in type string"
    );
}

TEST_CASE("variables") {
    const TemplateData data = UserData({{"name", S("Ada")}, {"city", S("Paris")}});
    CHECK(Render("{{ $n := .Data.name }}[{{ $n }}]", data) == "[Ada]");
    CHECK(Render("{{ $n := .Data.name }}{{ $n = \"Bob\" }}{{ $n }}", data) == "Bob");
    CHECK(Render("{{ $d := .Data }}{{ $d.city }}", data) == "Paris");
    CHECK(Render("{{ $.Data.name }}", data) == "Ada");
    CHECK(Render("{{ if $n := .Data.name }}{{ $n }}{{ end }}", data) == "Ada");
    CHECK(Render("{{ with $c := .Data.city }}{{ $c }}/{{ . }}{{ end }}", data) == "Paris/Paris");
    CHECK(
        Render(
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ $y }}{{ end }}{{ $x }}", data
        ) == "32"
    );
    CHECK(Render("{{ if .Nope }}{{ else if $v := .Data.city }}{{ $v }}{{ end }}", data) == "Paris");
    CHECK(Render("{{ $n := .Data.name }}{{ $n | print \"-\" }}", data) == "-Ada");
}

TEST_CASE("variables: shadowing and block scopes resolve to the right declaration") {
    const TemplateData data = UserData({{"tags", TemplateValue::List({S("a"), S("b")})}});
    // Shadowing inside blocks, reads of the outer variable after the block ends.
    CHECK(
        Render(
            "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ with $x := 3 }}{{ $x }}{{ end }}"
            "{{ $x }}{{ end }}{{ $x }}",
            data
        ) == "2321"
    );
    // Range variables per iteration, the outer ones visible inside, gone in else and after.
    CHECK(
        Render(
            "{{ $i := \"outer\" }}{{ range $i, $e := .Data.tags }}{{ $k := $e }}{{ $i }}{{ $k }}"
            "{{ else }}{{ $i }}{{ end }}{{ $i }}",
            data
        ) == "0a1bouter"
    );
    CHECK(
        Render(
            "{{ $i := \"outer\" }}{{ range $i, $e := .Data.none }}{{ $i }}{{ else }}{{ $i }}"
            "{{ end }}",
            data
        ) == "outer"
    );
    // Variables declared by earlier conditions of an if/with chain are visible in later arms
    // and in else; an assignment inside a block changes the outer variable.
    CHECK(
        Render(
            "{{ $r := 0 }}{{ if $a := .Data.none }}A{{ else if $b := 2 }}{{ $a }}{{ $b }}"
            "{{ $r = $b }}{{ end }}{{ $r }}",
            data
        ) == "22"
    );
    CHECK(
        Render(
            "{{ with $a := .Data.none }}A{{ else with $b := .Data.none }}B{{ else }}"
            "[{{ $a }}{{ $b }}]{{ end }}",
            data
        ) == "[]"
    );
    // A variable declared in one arm is not visible in the next: a parse error, as in Go.
    CHECK(
        ParseError("{{ if true }}{{ $x := 1 }}{{ else }}{{ $x }}{{ end }}")
            .find("undefined variable \"$x\"") != std::string::npos
    );
}

TEST_CASE("thousands of variables parse and render in linear time (fuzz: go_template)") {
    // Variable lookups used to scan every variable in scope, at parse and at render time:
    // quadratic for a template that declares many.
    std::string source;
    std::string expected;
    for (int i = 0; i < 20000; ++i) {
        source += "{{ $v" + std::to_string(i) + " := " + std::to_string(i) + " }}";
    }
    for (int i = 0; i < 20000; ++i) {
        source += "{{ $v" + std::to_string(i) + " }},";
        expected += std::to_string(i) + ",";
    }
    CHECK(Render(source) == expected);
}

TEST_CASE("rendering is bounded: steps and text (fuzz: go_template)") {
    const TemplateData data = UserData({{"tags", TemplateValue::List({S("a"), S("b"), S("c")})}});
    const auto nested = [](int depth, std::string_view body) {
        std::string source;
        for (int i = 0; i < depth; ++i) {
            source += "{{ range $.Data.tags }}";
        }
        source += body;
        for (int i = 0; i < depth; ++i) {
            source += "{{ end }}";
        }
        return source;
    };
    // 3^30 iterations of an empty body: would run for days.
    CHECK(
        RenderError(nested(30, ""), data)
            .find("rendering stopped: more than 1000000 evaluation steps") != std::string::npos
    );
    // 3^20 copies of a kilobyte: terabytes of output.
    CHECK(
        RenderError(nested(20, "{{ $.Data.tags }}" + std::string(1000, '.')), data)
            .find("rendering stopped: more than 4194304 bytes of text") != std::string::npos
    );
    // A string doubled 40 times without printing it: 16 TiB of memory.
    std::string doubling = "{{ $x := \"0123456789abcdef\" }}";
    for (int i = 0; i < 40; ++i) {
        doubling += "{{ $x = print $x $x }}";
    }
    CHECK(
        RenderError(doubling, data).find("rendering stopped: more than 4194304 bytes of text") !=
        std::string::npos
    );
    // Comparing long strings over and over, also without output.
    std::string comparing = "{{ $x := \"0123456789abcdef\" }}";
    for (int i = 0; i < 18; ++i) {
        comparing += "{{ $x = print $x $x }}";
    }
    CHECK(
        RenderError(comparing + nested(8, "{{ if eq $x $x }}{{ end }}"), data)
            .find("bytes of text") != std::string::npos
    );
    // One html or urlquery of many large operands stops early.
    std::string many_operands = "{{ $x := \"" + std::string(1 << 16, 'y') + "\" }}{{ urlquery";
    for (int i = 0; i < 2000; ++i) {
        many_operands += " $x";
    }
    many_operands += " }}";
    CHECK(RenderError(many_operands, data).find("bytes of text") != std::string::npos);

    // Large but reasonable renders still work: 100 KB of output from ranges.
    const std::string fine = nested(3, "{{ $.Data.tags }}" + std::string(3000, '.'));
    CHECK(Render(fine, data).size() == 27 * (7 + 3000));
}

}  // namespace gotrue::mailer::go_template_test

namespace gotrue::mailer::go_template_test {

TEST_CASE("break and continue end the iteration of the innermost range") {
    const TemplateData data{
        {"L", TemplateValue::List({S("a"), S("b"), S("c")})},
        {"M", TemplateValue::List({TemplateValue::Int(1), TemplateValue::Int(2)})},
    };
    CHECK(
        Render("{{ range .L }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}", data) == "a"
    );
    CHECK(
        Render(
            "{{ range .L }}{{ with eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", data
        ) == "ac"
    );
    // The inner break leaves only the inner range; variables declared before it are dropped.
    CHECK(
        Render(
            "{{ range $o := .M }}{{ range $.L }}{{ $x := . }}{{ break }}{{ end }}{{ $o }}{{ end }}",
            data
        ) == "12"
    );
    // A body that breaks on its first element still counts as iterated: no else.
    CHECK(Render("{{ range .L }}{{ break }}{{ else }}empty{{ end }}!", data) == "!");
}

TEST_CASE("define, template and block") {
    const TemplateData data{{"Name", S("Ann")}, {"Data", TemplateValue::Object({{"x", S("1")}})}};
    CHECK(
        Render("{{ define \"hi\" }}Hi {{ . }}{{ end }}{{ template \"hi\" .Name }}!", data) ==
        "Hi Ann!"
    );
    // No pipeline: dot is missing (prints nothing); the callee sees none of the caller's $vars.
    CHECK(
        Render(
            "{{ define \"t\" }}[{{ . }}]{{ $ }}{{ end }}{{ $v := 1 }}{{ template \"t\" }}", data
        ) == "[]"
    );
    CHECK(Render("{{ block \"b\" .Data }}{{ .x }}{{ end }}", data) == "1");
    // An empty definition may be replaced (Go's rule), in either order.
    CHECK(
        Render("{{ define \"e\" }} {{ end }}{{ define \"e\" }}E{{ end }}{{ template \"e\" }}") ==
        "E"
    );
    CHECK(
        Render("{{ define \"e\" }}E{{ end }}{{ define \"e\" }}{{ end }}{{ template \"e\" }}") == "E"
    );
    // Unbounded recursion stops at the nesting limit instead of exhausting the stack.
    const std::string recursion =
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}";
    CHECK(
        RenderError(recursion, data) == "template: mail:1:20: exceeded maximum template depth (200)"
    );
    // Recursion that ends is fine.
    CHECK(
        Render(
            "{{ define \"r\" }}{{ if . }}{{ . }},{{ template \"r\" slice . 1 }}{{ end }}{{ end }}"
            "{{ template \"r\" \"abc\" }}"
        ) == "abc,bc,c,"
    );
}

TEST_CASE("printf, slice, js and call") {
    const TemplateData data = UserData({
        {"age", N(36)},
        {"name", S("Ann")},
        {"tags", TemplateValue::List({S("x"), S("y"), S("z")})},
    });
    CHECK(
        Render("{{ printf \"%s is %v (%05.1f)\" .Data.name .Data.age .Data.age }}", data) ==
        "Ann is 36 (036.0)"
    );
    CHECK(Render("{{ printf \"%d|%d\" .Data.age 7 }}", data) == "%!d(float64=36)|7");
    CHECK(Render("{{ printf \"%s\" }}", data) == "%!s(MISSING)");
    CHECK(Render("{{ slice .Data.name 1 }}|{{ slice .Data.tags 1 2 }}", data) == "nn|[y]");
    CHECK(Render("{{ js \"a'b<c>\\n\" }}", data, false) == "a\\'b\\u003Cc\\u003E\\u000A");

    struct Case {
        const char* source;
        const char* message;  // after "template: mail:1:4: "
    };

    const Case failures[] = {
        {"{{ printf 3 }}", "error calling printf: expected string; found 3"},
        // Verbs not implemented fail the render rather than print something Go would not.
        {"{{ printf \"%x\" .Data.age }}", "printf: %x of a float64 is not supported"},
        {"{{ printf \"%#v\" .Data.tags }}", "printf: %#v of a []interface {} is not supported"},
        {"{{ slice .Data.tags 2 1 }}", "error calling slice: invalid slice index: 2 > 1"},
        {"{{ slice .Data.name 4 }}", "error calling slice: index out of range: 4"},
        {"{{ slice .Data.age 1 }}", "error calling slice: can't slice item of type float64"},
        {"{{ call .Data.name }}", "error calling call: non-function of type string"},
        {"{{ call .Data.nope 1 }}", "error calling call: call of nil"},
    };
    for (const Case& c : failures) {
        CAPTURE(c.source);
        CHECK(RenderError(c.source, data) == std::string("template: mail:1:4: ") + c.message);
    }
    // Huge widths are charged to the text budget.
    CHECK(
        RenderError(
            "{{ printf \"%1000000d%1000000d%1000000d%1000000d%1000000d\" 1 2 3 4 5 }}", data
        )
            .find("rendering stopped: more than 4194304 bytes of text") != std::string::npos
    );
}

TEST_CASE("missing keys and JSON nulls") {
    const TemplateData data = UserData({{"n", TemplateValue::Null()}});
    CHECK(
        Render("[{{ .Data.nope }}][{{ .Data.nope.deeper }}][{{ .Nope }}][{{ .Data.n }}]", data) ==
        "[][][][]"
    );
    CHECK(
        RenderError("{{ .Data.n.x }}", data) ==
        "template: mail:1:4: nil pointer evaluating interface {}.x"
    );
    CHECK(Render("{{ (.Data.n).x }}{{ $v := .Data.n }}{{ $v.x }}", data) == "");
    CHECK(Render("{{ printf \"%v %d\" .Data.nope .Data.n }}", data, false) == "<nil> %!d(<nil>)");
    CHECK(
        RenderError("{{ index .Data.nope 0 }}", data) ==
        "template: mail:1:4: error calling index: index of untyped nil"
    );
}

TEST_CASE("nil arguments of html, urlquery and js, and nil elements under printf") {
    const TemplateData data = UserData(
        {{"n", TemplateValue::Null()},
         {"l", TemplateValue::List({TemplateValue::Null(), TemplateValue::String("a")})}}
    );
    // text/template's builtins print a nil argument as "<no value>" (its printableValue).
    CHECK(
        Render("{{ html .Data.n }}|{{ urlquery .Data.nope }}", data, false) ==
        "&lt;no value&gt;|%3Cno+value%3E"
    );
    CHECK(Render("{{ js .Data.n }}", data, false) == "\\u003Cno value\\u003E");
    // Piped into html/urlquery under the escaper, the same.
    CHECK(Render("{{ .Data.nope | urlquery }}", data) == "%3Cno&#43;value%3E");
    // "{{ html a }}" is "{{ _eval_args_ a | html }}" (html/template's evalArgs: nil is "<nil>"),
    // also where html does not stand for the context's escaper.
    CHECK(
        Render("<style>a{font-family:\"{{ html .Data.n }}\"}</style>", data) ==
        "<style>a{font-family:\"\\26lt\\3bnil\\26gt\\3b \"}</style>"
    );
    CHECK(
        Render("<p>{{ html .Data.n }}|{{ urlquery .Data.n }}</p>", data) ==
        "<p>&lt;nil&gt;|%3Cnil%3E</p>"
    );
    // fmt prints a nil element of a list or map as "<nil>" whatever the verb, unpadded.
    CHECK(
        Render("{{ printf \"%q|%5d|%q\" .Data.l .Data.l .Data.n }}", data, false) ==
        "[<nil> \"a\"]|[<nil> %!d(string=    a)]|%!q(<nil>)"
    );
}

TEST_CASE("html and urlquery may come before the end of a declaration's pipeline") {
    // html/template checks only pipelines that print; a declaration prints nothing.
    CHECK(Render("{{ $x := html \"<a>\" | len }}{{ $x }}", {}) == "9");
    CHECK(Render("{{ $x := 0 }}{{ $x = urlquery \"a b\" | len }}{{ $x }}", {}) == "3");
    CHECK(
        ParseError("{{ html \"<a>\" | len }}") ==
        "template: mail:1:4: predefined escaper \"html\" disallowed in template (only as the last "
        "command of a pipeline)"
    );
}

}  // namespace gotrue::mailer::go_template_test
