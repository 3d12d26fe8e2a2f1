// TemplateValue, how values print, and HTML escaping of action output.

#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "mailer/go_template_test_util.hpp"

namespace gotrue::mailer::go_template_test {

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
    CHECK(Render("{{ .I }} {{ .Neg }} {{ .Big }} {{ .Huge }}", data, false) == "3 -42 1e+20 1e+21");
    // fmt's %v of a float64 is the shortest %g: exponent form from the 7th integer digit.
    CHECK(
        Render(
            "{{ .A }} {{ .B }} {{ .C }} {{ .D }}",
            {{"A", N(123456)}, {"B", N(1e6)}, {"C", N(1717171717)}, {"D", N(-0.0001)}},
            false
        ) == "123456 1e+06 1.717171717e+09 -0.0001"
    );
    CHECK(
        Render("{{ 3 }} {{ 3.0 }} {{ 1e6 }} {{ 1_000 }} {{ 0x1F }} {{ 'a' }}", {}) ==
        "3 3 1e&#43;06 1000 31 97"
    );
    CHECK(Render("{{ .Frac }} {{ .Small }}", data, false) == "0.1 1e-05");
    CHECK(Render("{{ .Obj }}", data, false) == "map[a:1 b:x y c:<nil>]");
    CHECK(Render("{{ .Obj }}", data) == "map[a:1 b:x y c:&lt;nil&gt;]");
    CHECK(Render("{{ .List }}", data) == "[a 2.5 false]");
    CHECK(Render("{{ .Nested }}", data) == "[[] map[]]");
}

}  // namespace gotrue::mailer::go_template_test
