#include "mailer/go_template.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <doctest/doctest.h>

using gotrue::mailer::GoTemplate;
using gotrue::mailer::TemplateData;
using gotrue::mailer::TemplateError;
using gotrue::mailer::TemplateValue;
using gotrue::mailer::ValueKind;

namespace {

TemplateValue S(std::string value) {
    return TemplateValue::String(std::move(value));
}

TemplateValue N(double value) {
    return TemplateValue::Number(value);
}

std::string Render(std::string_view source, const TemplateData& data = {}, bool escape = true) {
    return GoTemplate::Parse(source).Render(data, escape);
}

// what() of the TemplateError that Parse throws, or a marker when it does not throw.
std::string ParseError(std::string_view source) {
    try {
        (void)GoTemplate::Parse(source, "mail");
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "<parsed>";
}

// what() of the TemplateError that Render throws (the template must parse).
std::string RenderError(std::string_view source, const TemplateData& data) {
    const GoTemplate parsed = GoTemplate::Parse(source, "mail");
    try {
        (void)parsed.Render(data);
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "<rendered>";
}

TemplateData UserData(TemplateValue::Map fields) {
    return {{"Data", TemplateValue::Object(std::move(fields))}};
}

}  // namespace

TEST_CASE("TemplateValue: kinds, accessors and Go truthiness") {
    CHECK(TemplateValue().Kind() == ValueKind::kNull);
    CHECK(TemplateValue::Null().IsNull());
    CHECK(TemplateValue::Bool(true).AsBool());
    CHECK(N(2.5).AsNumber() == 2.5);
    CHECK(S("x").AsString() == "x");
    const TemplateValue object = TemplateValue::Object({{"a", N(1)}});
    REQUIRE(object.Find("a") != nullptr);
    CHECK(object.Find("a")->AsNumber() == 1);
    CHECK(object.Find("b") == nullptr);
    CHECK(S("a").Find("a") == nullptr);
    CHECK(TemplateValue::List({N(1), N(2)}).AsList().size() == 2);
    CHECK_THROWS_AS((void)S("x").AsNumber(), std::logic_error);
    CHECK_THROWS_AS((void)N(1).AsObject(), std::logic_error);

    CHECK_FALSE(TemplateValue::Null().IsTruthy());
    CHECK_FALSE(TemplateValue::Bool(false).IsTruthy());
    CHECK_FALSE(N(0).IsTruthy());
    CHECK_FALSE(S("").IsTruthy());
    CHECK_FALSE(TemplateValue::Object({}).IsTruthy());
    CHECK_FALSE(TemplateValue::List({}).IsTruthy());
    CHECK(TemplateValue::Bool(true).IsTruthy());
    CHECK(N(-0.5).IsTruthy());
    CHECK(S("0").IsTruthy());
    CHECK(object.IsTruthy());
    CHECK(TemplateValue::List({TemplateValue::Null()}).IsTruthy());
}

TEST_CASE("GoTrue default templates render as upstream") {
    const TemplateData data{
        {"SiteURL", S("https://example.com")},
        {"ConfirmationURL",
         S("https://auth.example.com/verify?token=abc&type=signup&redirect_to=https://app")},
        {"Token", S("123456")},
        {"Email", S("old@example.com")},
        {"NewEmail", S("new@example.com")},
    };

    SUBCASE("confirmation: & in the URL becomes &amp;, the text around is untouched") {
        const std::string source =
            "<h2>Confirm your signup</h2>\n\n<p>Follow this link to confirm your user:</p>\n"
            "<p><a href=\"{{ .ConfirmationURL }}\">Confirm your mail</a></p>";
        CHECK(
            Render(source, data) ==
            "<h2>Confirm your signup</h2>\n\n<p>Follow this link to confirm your user:</p>\n"
            "<p><a href=\"https://auth.example.com/verify?token=abc&amp;type=signup&amp;"
            "redirect_to=https://app\">Confirm your mail</a></p>"
        );
    }

    SUBCASE("email change with two addresses and the OTP") {
        const std::string source =
            "<h2>Confirm email address change</h2>\n\n<p>Follow this link to confirm the update "
            "of your email address from {{ .Email }} to {{ .NewEmail }}:</p>\n<p><a "
            "href=\"{{ .ConfirmationURL }}\">Change email address</a></p>\n"
            "<p>Alternatively, enter the code: {{ .Token }}</p>";
        CHECK(
            Render(source, data) ==
            "<h2>Confirm email address change</h2>\n\n<p>Follow this link to confirm the update "
            "of your email address from old@example.com to new@example.com:</p>\n<p><a "
            "href=\"https://auth.example.com/verify?token=abc&amp;type=signup&amp;redirect_to="
            "https://app\">Change email address</a></p>\n<p>Alternatively, enter the code: "
            "123456</p>"
        );
    }

    SUBCASE("a custom link built in the template keeps its literal &") {
        CHECK(
            Render(
                R"(<a href="{{ .SiteURL }}/auth/confirm?token_hash={{ .Token }}&type=email">)", data
            ) == R"(<a href="https://example.com/auth/confirm?token_hash=123456&type=email">)"
        );
    }

    SUBCASE("subjects render verbatim with escape_html = false") {
        CHECK(Render("{{ .Token }} is your code", data, false) == "123456 is your code");
        CHECK(
            Render("Link: {{ .ConfirmationURL }}", data, false) ==
            "Link: https://auth.example.com/verify?token=abc&type=signup&redirect_to=https://app"
        );
    }
}

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
        "template: mail:1:10: range can't iterate over string T"
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
        CHECK(Render("{{ eq .Data.age 36 }}", data) == "true");
        CHECK(Render("{{ eq .Data.age 36.0 }}", data) == "true");
        CHECK(Render("{{ eq .Data.admin true }}", data) == "true");
        CHECK(Render("{{ eq .Data.name \"Bob\" \"Cy\" \"Ada\" }}", data) == "true");
        CHECK(Render("{{ eq .Data.name \"Bob\" \"Cy\" }}", data) == "false");
        CHECK(Render("{{ eq .Data.age \"36\" }}", data) == "false");  // kinds differ
        CHECK(Render("{{ eq .Data.missing nil }}", data) == "true");
        CHECK(Render("{{ eq .Data.missing \"\" }}", data) == "false");
        CHECK(Render("{{ ne .Data.name \"Bob\" }}", data) == "true");
        CHECK(Render("{{ ne .Data.age 36 }}", data) == "false");
        CHECK(Render("{{ if (eq .Data.name \"Ada\") }}A{{ end }}", data) == "A");
        CHECK(
            RenderError("{{ eq .Data.tags \"x\" }}", data) ==
            "template: mail:1:4: error calling eq: non-comparable type list"
        );
    }

    SUBCASE("lt le gt ge") {
        CHECK(
            Render(
                "{{ lt .Data.age 40 }} {{ le 36 .Data.age }} {{ gt 1.5 2 }} {{ ge 2 2 }}", data
            ) == "true true false true"
        );
        CHECK(Render("{{ lt \"a\" \"b\" }}", data) == "true");
        CHECK(
            RenderError("{{ lt .Data.age \"x\" }}", data) ==
            "template: mail:1:4: incompatible types for comparison: number and string"
        );
    }

    SUBCASE("len and index") {
        CHECK(Render("{{ len .Data.name }} {{ len .Data.tags }} {{ len .Data }}", data) == "3 2 6");
        CHECK(Render("{{ len \"héllo\" }}", data) == "6");  // bytes, as Go
        CHECK(Render("{{ len .Data.missing }}", data) == "0");
        CHECK(Render("{{ index .Data \"first-name\" }}", data) == "Ada L");
        CHECK(Render("{{ index .Data.tags 1 }}", data) == "y");
        CHECK(Render("{{ index .Data \"nope\" }}", data) == "");
        CHECK(Render("{{ index . \"Data\" \"name\" }}", data) == "Ada");
        CHECK(
            Render(
                "{{ (index .Data.tags 0) }}{{ with index .Data \"name\" }}{{ . }}{{ end }}", data
            ) == "xAda"
        );
        CHECK(RenderError("{{ len .Data.age }}", data) == "template: mail:1:4: len of type number");
        CHECK(
            RenderError("{{ index .Data.tags 2 }}", data) ==
            "template: mail:1:4: error calling index: index out of range: 2"
        );
        CHECK(
            RenderError("{{ index .Data.name 0 }}", data) ==
            "template: mail:1:4: error calling index: can't index item of type string with number"
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
    CHECK(Render("{{ .N | eq 7 }}", data) == "true");
    CHECK(Render("{{ \"x\" | print \"a\" | print \"b\" }}", data) == "bax");
    CHECK(Render("{{ .Missing | not }}", data) == "true");
    CHECK(Render("{{ .Name | len }}", data) == "14");
    CHECK(Render("{{ (print .N 1) | urlquery }}", data) == "7&#43;1");  // Sprint(7, 1) = "7 1"
}

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

TEST_CASE("HTML escaping of values, never of template text") {
    const TemplateData data = UserData({
        {"name", S("<script>alert(1)</script>")},
        {"quote", S(R"(O'Brien "the" A&B +1)")},
        {"nul", S(std::string("a\0b", 3))},
    });
    CHECK(Render("{{ .Data.name }}", data) == "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK(Render("{{ .Data.quote }}", data) == "O&#39;Brien &#34;the&#34; A&amp;B &#43;1");
    CHECK(
        Render("{{ .Data.nul }}", data) ==
        "a\xEF\xBF\xBD"
        "b"
    );
    CHECK(
        Render("<b title=\"{{ .Data.quote }}\">", data) ==
        "<b title=\"O&#39;Brien &#34;the&#34; A&amp;B &#43;1\">"
    );
    CHECK(Render("<i>&amp; 'literal' \"text\"</i>", data) == "<i>&amp; 'literal' \"text\"</i>");
    CHECK(Render("{{ \"<lit>\" }}", data) == "&lt;lit&gt;");  // literals in actions are values

    // escape_html = false: verbatim.
    CHECK(Render("{{ .Data.name }}", data, false) == "<script>alert(1)</script>");
    CHECK(Render("{{ .Data.quote }}", data, false) == R"(O'Brien "the" A&B +1)");
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

TEST_CASE("value formatting") {
    const TemplateData data{
        {"T", TemplateValue::Bool(true)},
        {"F", TemplateValue::Bool(false)},
        {"I", N(3)},
        {"Neg", N(-42)},
        {"Big", N(1e20)},
        {"Huge", N(1e21)},
        {"Frac", N(0.1)},
        {"Small", N(0.00001)},
        {"Obj",
         TemplateValue::Object({{"b", S("x y")}, {"a", N(1)}, {"c", TemplateValue::Null()}})},
        {"List", TemplateValue::List({S("a"), N(2.5), TemplateValue::Bool(false)})},
        {"Nested", TemplateValue::List({TemplateValue::List({}), TemplateValue::Object({})})},
    };
    CHECK(Render("{{ .T }} {{ .F }}", data) == "true false");
    CHECK(
        Render("{{ .I }} {{ .Neg }} {{ .Big }} {{ .Huge }}", data, false) ==
        "3 -42 100000000000000000000 1e+21"
    );
    CHECK(Render("{{ .Frac }} {{ .Small }}", data, false) == "0.1 1e-05");
    CHECK(Render("{{ .Obj }}", data, false) == "map[a:1 b:x y c:<nil>]");
    CHECK(Render("{{ .Obj }}", data) == "map[a:1 b:x y c:&lt;nil&gt;]");
    CHECK(Render("{{ .List }}", data) == "[a 2.5 false]");
    CHECK(Render("{{ .Nested }}", data) == "[[] map[]]");
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
        // Unsupported actions and stray or missing keywords.
        {"{{ define \"x\" }}{{ end }}", "template: mail:1:4: {{define}} is not supported"},
        {"{{ template \"x\" }}", "template: mail:1:4: {{template}} is not supported"},
        {"{{ block \"x\" . }}{{ end }}", "template: mail:1:4: {{block}} is not supported"},
        {"{{ range .L }}{{ break }}{{ end }}", "template: mail:1:18: {{break}} is not supported"},
        {"{{ range .L }}{{ continue }}{{ end }}",
         "template: mail:1:18: {{continue}} is not supported"},
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
        {"{{ 'a' }}", "template: mail:1:4: character constants are not supported"},
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
        {"{{ printf \"%s\" .X }}", "template: mail:1:4: function \"printf\" is not supported"},
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

TEST_CASE("a 100 KB template with 1000 actions parses and renders") {
    std::string source;
    std::string expected;
    const std::string filler(80, 'x');
    for (int i = 0; i < 1000; ++i) {
        source += "<p>" + filler + " {{ .Data.name }} " + std::to_string(i) + "</p>\n";
        expected += "<p>" + filler + " A&amp;B " + std::to_string(i) + "</p>\n";
    }
    REQUIRE(source.size() > 100 * 1000);
    const GoTemplate parsed = GoTemplate::Parse(source);
    CHECK(parsed.Render(UserData({{"name", S("A&B")}})) == expected);

    // Also many sibling blocks and one long else-if chain.
    std::string blocks;
    for (int i = 0; i < 1000; ++i) {
        blocks += "{{ if .X }}a{{ else }}b{{ end }}";
    }
    CHECK(Render(blocks, {{"X", N(1)}}) == std::string(1000, 'a'));
    std::string chain = "{{ if eq .X -1 }}none";
    for (int i = 0; i < 1000; ++i) {
        chain += "{{ else if eq .X " + std::to_string(i) + " }}" + std::to_string(i);
    }
    chain += "{{ end }}";
    CHECK(Render(chain, {{"X", N(999)}}) == "999");
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

TEST_CASE("a template larger than 1 MiB is refused when parsed") {
    const std::string at_limit(gotrue::mailer::kTemplateMaxBytes, 'x');
    CHECK(Render(at_limit) == at_limit);
    CHECK(
        ParseError(at_limit + "x") ==
        "template: mail:1:1: template is 1048577 bytes, more than the 1048576 allowed"
    );
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

TEST_CASE("GoTemplate is a reusable, copyable value") {
    const GoTemplate original = GoTemplate::Parse("Hi {{ .Name }}", "greeting");
    const GoTemplate copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.Name() == "greeting");
    CHECK(original.Render({{"Name", S("A")}}) == "Hi A");
    CHECK(copy.Render({{"Name", S("B")}}) == "Hi B");
    CHECK(original.Render({}) == "Hi ");
}
