// html/template's contextual escaping: the tokenizer's contexts, each escaper (cases from Go's
// src/html/template url_test.go, js_test.go, css_test.go, html_test.go, escape_test.go), and the
// escaping pass through GoTemplate. Whole templates against Go itself: go_template_golden_test.cpp.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "mailer/go_template/escape_context_internal.hpp"
#include "mailer/go_template/escape_internal.hpp"
#include "mailer/go_template/escapers_internal.hpp"
#include "mailer/go_template/exec_internal.hpp"
#include "mailer/go_template/lexer_internal.hpp"
#include "mailer/go_template/parser_internal.hpp"
#include "mailer/go_template/source_internal.hpp"
#include "mailer/go_template_test_util.hpp"

namespace gotrue::mailer::go_template_test {
namespace {

using go_template_internal::Context;
using go_template_internal::Delim;
using go_template_internal::Escaper;
using go_template_internal::EscapeString;
using go_template_internal::JsCtx;
using go_template_internal::State;
using go_template_internal::UrlPart;
using namespace std::string_view_literals;

// The context after all of `text`, from the start of a document.
Context After(std::string_view text) {
    Context c;
    while (!text.empty() && c.state != State::kError) {
        const auto [next, read] = go_template_internal::ContextAfterText(c, text);
        c = next;
        text.remove_prefix(read);
    }
    return c;
}

std::string Js(const TemplateValue& value) {
    return go_template_internal::ApplyEscapers({Escaper::kJsVal}, value);
}

}  // namespace

TEST_CASE("the HTML tokenizer: contexts after text (Go's TestEscapeText)") {
    CHECK(After("").state == State::kText);
    CHECK(After("Hello, World!").state == State::kText);
    CHECK(After("I <3 Ponies!").state == State::kText);
    CHECK(After("<a").state == State::kTag);
    CHECK(After("<a ").state == State::kTag);
    CHECK(After("<a>").state == State::kText);
    CHECK(After("<a href").state == State::kAttrName);
    CHECK(After("<a href ").state == State::kAfterName);
    CHECK(After("<a href=").state == State::kBeforeValue);
    CHECK(After("<a on").state == State::kAttrName);
    CHECK(After("<!-- x").state == State::kHtmlCmt);
    CHECK(After("<!-- x -->").state == State::kText);
    CHECK(After("<title>x").state == State::kRcdata);
    CHECK(After("<textarea><p>").state == State::kRcdata);
    CHECK(After("<textarea></textarea>").state == State::kText);

    const Context url = After("<a href=\"");
    CHECK(url.state == State::kUrl);
    CHECK(url.delim == Delim::kDoubleQuote);
    CHECK(url.url_part == UrlPart::kNone);
    CHECK(After("<a href='http://x/").url_part == UrlPart::kPreQuery);
    CHECK(After("<a href=\"/x?q=").url_part == UrlPart::kQueryOrFrag);
    CHECK(After("<a href=\"/x#").url_part == UrlPart::kQueryOrFrag);
    CHECK(After("<a href=\"/x&#63;q=").url_part == UrlPart::kQueryOrFrag);  // &#63; is '?'
    CHECK(After("<a href=x").delim == Delim::kSpaceOrTagEnd);
    CHECK(After("<a href=\"x\" ").state == State::kTag);
    CHECK(After("<img srcset=\"").state == State::kSrcset);
    CHECK(After("<a data-href=\"").state == State::kUrl);
    CHECK(After("<a title=\"").state == State::kAttr);

    CHECK(After("<script>").state == State::kJs);
    CHECK(After("<script>var x = \"").state == State::kJsDqStr);
    CHECK(After("<script>var x = '").state == State::kJsSqStr);
    CHECK(After("<script>var x = `").state == State::kJsBqStr);
    CHECK(After("<script>var x = /").state == State::kJsRegexp);
    CHECK(After("<script>var x = a /").js_ctx == JsCtx::kRegexp);  // after the division sign
    CHECK(After("<script>x = 1 //").state == State::kJsLineCmt);
    CHECK(After("<script>x = 1 // c\n").state == State::kJs);
    CHECK(After("<script>/* c").state == State::kJsBlockCmt);
    CHECK(After("<script>x</script>").state == State::kText);
    CHECK(After("<script>x</SCRIPT >").state == State::kText);
    CHECK(After("<script>\"</script").state == State::kJsDqStr);  // no separator after it yet
    CHECK(After("<script type=\"text/template\">").state == State::kText);
    CHECK(After("<script type=\"application/ld+json\">").state == State::kJs);
    CHECK(After("<a onclick=\"").state == State::kJs);
    CHECK(After("<a onclick=\"x = &quot;").state == State::kJsDqStr);

    CHECK(After("<style>").state == State::kCss);
    CHECK(After("<style>p { content: \"").state == State::kCssDqStr);
    CHECK(After("<style>p { background: url(").state == State::kCssUrl);
    CHECK(After("<style>p { background: url( '").state == State::kCssSqUrl);
    CHECK(After("<style>p { background: url(\"/a?").url_part == UrlPart::kQueryOrFrag);
    CHECK(After("<p style=\"color: ").state == State::kCss);
    CHECK(After("<style>/* x").state == State::kCssBlockCmt);

    CHECK(After("<a b\"c").state == State::kError);
    CHECK(After("<a b=c=d").state == State::kError);
    CHECK(After("<script>var x = \"\\").state == State::kError);
    CHECK(After("<script>/[").state == State::kError);  // a regexp charset left open
}

TEST_CASE("JS: a '/' after a token divides or starts a regexp (Go's TestNextJsCtx)") {
    using go_template_internal::NextJsCtx;
    for (const std::string_view regexp :
         {";", "{", "}",      "( ",     "[",        "=",     "+=",    "!",         "~",      "&&",
          "?", ":", "return", "typeof", "  return", "x = +", "x = -", "x = x++ +", "x--- -", "."}) {
        CAPTURE(regexp);
        CHECK(NextJsCtx(regexp, JsCtx::kDivOp) == JsCtx::kRegexp);
    }
    for (const std::string_view div : {"x", "x ", "x++", "x--", "0.", "1.", ")", "]", "rreturn"}) {
        CAPTURE(div);
        CHECK(NextJsCtx(div, JsCtx::kRegexp) == JsCtx::kDivOp);
    }
    CHECK(NextJsCtx("  ", JsCtx::kDivOp) == JsCtx::kDivOp);
}

TEST_CASE("URL escapers (Go's TestURLNormalizer, TestURLFilters, TestSrcsetFilter)") {
    const auto normalize = [](std::string_view s) {
        return EscapeString(Escaper::kUrlNormalizer, s);
    };
    CHECK(normalize("") == "");
    CHECK(
        normalize("http://example.com:80/foo/bar?q=foo%20&bar=x+y#frag") ==
        "http://example.com:80/foo/bar?q=foo%20&bar=x+y#frag"
    );
    CHECK(normalize(" ") == "%20");
    CHECK(normalize("%7c") == "%7c");
    CHECK(normalize("%2") == "%252");
    CHECK(normalize("%z") == "%25z");
    CHECK(normalize("/foo|bar/%5c\u1234") == "/foo%7cbar/%5c%e1%88%b4");

    CHECK(
        EscapeString(Escaper::kUrlEscaper, "\x00 !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"sv) ==
        "%00%20%21%22%23%24%25%26%27%28%29%2a%2b%2c-.%2f09%3a%3b%3c%3d%3e%3f%40AZ%5b%5c%5d%5e_%"
        "60az%"
        "7b%7c%7d~"
    );

    const auto filter = [](std::string_view s) {
        return EscapeString(Escaper::kUrlFilter, s);
    };
    CHECK(filter("javascript:alert(1)") == "#ZgotmplZ");
    CHECK(filter("JavaScript:alert(1)") == "#ZgotmplZ");
    CHECK(filter(" javascript:alert(1)") == "#ZgotmplZ");  // the scheme is everything before ':'
    CHECK(filter("data:text/html,x") == "#ZgotmplZ");
    CHECK(filter("vbscript:x") == "#ZgotmplZ");
    CHECK(filter("http://x") == "http://x");
    CHECK(filter("HTTPS://x") == "HTTPS://x");
    CHECK(filter("mailto:a@b") == "mailto:a@b");
    CHECK(filter("/a:b") == "/a:b");  // relative: the ':' is after a '/'
    CHECK(filter("a/b:c") == "a/b:c");

    const auto srcset = [](std::string_view s) {
        return EscapeString(Escaper::kSrcset, s);
    };
    CHECK(srcset("http://example.com/img.png") == "http://example.com/img.png");
    CHECK(srcset(" /img.png 200w") == " /img.png 200w");
    CHECK(srcset("javascript:alert(1) 200w") == "#ZgotmplZ");
    CHECK(srcset("foo.png, bar.png") == "foo.png, bar.png");
    CHECK(srcset("javascript:alert(1), /foo.png") == "#ZgotmplZ, /foo.png");
    CHECK(srcset("/bogus#, javascript:alert(1)") == "/bogus#,#ZgotmplZ");
    CHECK(srcset("/a b.png 1x(") == "#ZgotmplZ");  // metadata must be alphanumeric
}

TEST_CASE("JS escapers (Go's TestJSValEscaper, TestJSStrEscaper, TestJSRegexpEscaper)") {
    CHECK(Js(N(42)) == " 42 ");
    CHECK(Js(N(-42)) == " -42 ");
    CHECK(Js(N(9007199254740992.0)) == " 9007199254740992 ");
    CHECK(Js(N(0.5)) == " 0.5 ");
    CHECK(Js(N(-0.0)) == " -0 ");
    CHECK(Js(N(1e21)) == " 1e+21 ");
    CHECK(Js(N(1e-7)) == " 1e-7 ");
    CHECK(Js(N(0.000001)) == " 0.000001 ");
    CHECK(Js(S("")) == "\"\"");
    CHECK(Js(S("foo")) == "\"foo\"");
    CHECK(Js(S("\r\n\u2028\u2029")) == R"("\r\n\u2028\u2029")");
    CHECK(Js(S("\t\x0b")) == R"("\t\u000b")");
    CHECK(Js(TemplateValue::List({})) == "[]");
    CHECK(
        Js(TemplateValue::List({N(42), S("foo"), TemplateValue::Null()})) == R"([42,"foo",null])"
    );
    CHECK(Js(S("</script")) == R"("\u003c/script")");
    CHECK(Js(S("]]>")) == R"("]]\u003e")");
    CHECK(Js(S("\U0001D11E")) == "\"\U0001D11E\"");
    CHECK(Js(S("a\xffz")) == R"("a\ufffdz")");  // invalid UTF-8
    CHECK(Js(TemplateValue::Null()) == " null ");
    CHECK(Js(TemplateValue::Bool(true)) == " true ");
    CHECK(Js(TemplateValue::Object({{"b", N(1)}, {"a", S("&")}})) == R"({"a":"\u0026","b":1})");

    const auto str = [](std::string_view s) {
        return EscapeString(Escaper::kJsStr, s);
    };
    CHECK(str("") == "");
    CHECK(str("foo") == "foo");
    CHECK(str("\x00"sv) == "\\u0000");
    CHECK(str("\t") == "\\t");
    CHECK(str("\v") == "\\u000b");
    CHECK(str("</script") == "\\u003c\\/script");
    CHECK(str("\"'`&+\\") == "\\u0022\\u0027\\u0060\\u0026\\u002b\\\\");
    CHECK(str("\u2028x\u2029") == "\\u2028x\\u2029");
    CHECK(str("Grüße") == "Grüße");

    const auto re = [](std::string_view s) {
        return EscapeString(Escaper::kJsRegexp, s);
    };
    CHECK(re("") == "(?:)");
    CHECK(re("foo") == "foo");
    CHECK(re("foo.bar") == "foo\\.bar");
    CHECK(re("{}[]()|^$*+?-.\\/") == "\\{\\}\\[\\]\\(\\)\\|\\^\\$\\*\\u002b\\?\\-\\.\\\\\\/");
    CHECK(re("`") == "`");
}

TEST_CASE("CSS escapers (Go's TestCSSEscaper, TestCSSValueFilter, TestDecodeCSS)") {
    const auto css = [](std::string_view s) {
        return EscapeString(Escaper::kCss, s);
    };
    CHECK(css("\x00\t\n\f\r"sv) == "\\0 \\9 \\a \\c \\d ");
    CHECK(css(R"( !"#$%&'()*+,-./)") == R"( !\22#$%\26\27\28\29*\2b,-.\2f )");
    CHECK(css("0123456789:;<=>?") == R"(0123456789\3a\3b\3c=\3e?)");
    CHECK(css(R"([\]{|}~)") == R"([\\]\7b|\7d~)");
    CHECK(css("\"a") == "\\22 a");  // a hex digit after an escape needs the space
    CHECK(css("\"g") == "\\22g");

    const auto value = [](std::string_view s) {
        return EscapeString(Escaper::kCssValueFilter, s);
    };
    for (const std::string_view ok :
         {"",
          "foo",
          "0px",
          "-5px",
          "+.33em",
          "100%",
          "#48f",
          "corner-radius",
          "-moz-corner-radius",
          "U+00-FF, U+980-9FF",
          "color: red"}) {
        CAPTURE(ok);
        CHECK(value(ok) == ok);
    }
    for (const std::string_view bad : std::initializer_list<std::string_view>{
             "<!--",
             "-->",
             "</style",
             "\"",
             "'",
             "`",
             std::string_view("\x00", 1),
             "/* foo */",
             "//",
             "[href=~",
             "expression(alert(1337))",
             "Expression",
             "-moz-binding",
             R"(-express\69on(alert(1337)))",
             R"(-exp\72 ession(alert(1337)))",
             R"(-exp\000052 ession(alert(1337)))",
             "@import url evil.css"}) {
        CAPTURE(bad);
        CHECK(value(bad) == "ZgotmplZ");
    }
    CHECK(
        value(R"(-expre\0000073sion)") ==
        "-expre\x07"
        "3sion"
    );

    using go_template_internal::DecodeCss;
    CHECK(DecodeCss("") == "");
    CHECK(DecodeCss("foo") == "foo");
    CHECK(DecodeCss(R"(foo\)") == "foo");
    CHECK(DecodeCss(R"(foo\\)") == "foo\\");
    CHECK(DecodeCss(R"(\61 b)") == "ab");
    CHECK(DecodeCss(R"(\000061b)") == "ab");
    CHECK(DecodeCss("\\61\r\nb") == "ab");
    CHECK(DecodeCss(R"(\1d11e)") == "\U0001D11E");
    CHECK(
        DecodeCss(R"(\110000)") ==
        "\U00011000"
        "0"
    );  // past U+10FFFF: one digit fewer
}

TEST_CASE("HTML escapers (Go's TestHTMLNospaceEscaper, htmlNameFilter)") {
    CHECK(
        EscapeString(Escaper::kNospace, "\x00\t\n\v\f\r \"&'+<=>`x"sv) ==
        "&#xfffd;&#9;&#10;&#11;&#12;&#13;&#32;&#34;&amp;&#39;&#43;&lt;&#61;&gt;&#96;x"
    );
    CHECK(EscapeString(Escaper::kNospace, "\ufdd0\uffff\xff") == "&#xfdd0;&#xffff;&#xfffd;");
    CHECK(EscapeString(Escaper::kHtml, "\x00<&>\"'+"sv) == "\ufffd&lt;&amp;&gt;&#34;&#39;&#43;");
    CHECK(EscapeString(Escaper::kComment, "-->") == "");
    const auto name = [](std::string_view s) {
        return EscapeString(Escaper::kHtmlNameFilter, s);
    };
    CHECK(name("Checked") == "checked");
    CHECK(name("") == "ZgotmplZ");
    CHECK(name("onclick") == "ZgotmplZ");
    CHECK(name("href") == "ZgotmplZ");
    CHECK(name("style") == "ZgotmplZ");
    CHECK(name("data-x") == "ZgotmplZ");
}

TEST_CASE("the escaping pass picks escapers by context") {
    const TemplateData data{
        {"V", S("a b&\"<'+")},
        {"U", S("javascript:x")},
        {"N", N(7)},
        {"Nil", TemplateValue::Null()},
    };
    CHECK(Render("<p>{{ .V }}</p>", data) == "<p>a b&amp;&#34;&lt;&#39;&#43;</p>");
    CHECK(Render("<p a={{ .V }}>", data) == "<p a=a&#32;b&amp;&#34;&lt;&#39;&#43;>");
    CHECK(Render("<a href=\"{{ .U }}\">", data) == "<a href=\"#ZgotmplZ\">");
    CHECK(Render("<a href=\"/?q={{ .V }}\">", data) == "<a href=\"/?q=a%20b%26%22%3c%27%2b\">");
    CHECK(
        Render("<script>f({{ .V }}, {{ .N }}, {{ .Nil }})</script>", data) ==
        R"(<script>f("a b\u0026\"\u003c'+",  7 ,  null )</script>)"
    );
    CHECK(Render("<p>{{ .Nil }}|{{ .Missing }}</p>", data) == "<p>|</p>");
    // A trailing html stands in for the text escaper (so + stays), urlquery for the query one.
    CHECK(Render("<p>{{ .V | html }}</p>", data) == "<p>a b&amp;&#34;&lt;&#39;+</p>");
    CHECK(Render("<p>{{ html .Nil }}</p>", data) == "<p>&lt;nil&gt;</p>");
    CHECK(
        Render("<a href=\"/?q={{ .V | urlquery }}\">", data) ==
        "<a href=\"/?q=a&#43;b%26%22%3C%27%2B\">"
    );
    // Declarations print nothing and do not move the context.
    CHECK(Render("<a href=\"{{ $x := .U }}/{{ $x }}\">", data) == "<a href=\"/javascript:x\">");
    // text/template's output stays available: no escapers, text as written.
    CHECK(Render("<!-- c --><p>{{ .V }}</p>", data, false) == "<!-- c --><p>a b&\"<'+</p>");
}

TEST_CASE("templates html/template refuses fail at Render, as Go fails at Execute") {
    const TemplateData data{{"X", S("x")}};
    // Parse succeeds: Go's Parse does too.
    CHECK(
        RenderError("<a href=\"{{ .X }}>", data).find("ends in a non-text context") !=
        std::string::npos
    );
    CHECK(
        RenderError("{{ if .X }}<a href=\"{{ end }}\">", data)
            .find("{{if}} branches end in different contexts") != std::string::npos
    );
    CHECK(
        RenderError("{{ range .X }}<a title=\"{{ end }}\">", data).find("on range loop re-entry") !=
        std::string::npos
    );
    CHECK(
        RenderError("<script>`{{ .X }}`</script>", data).find("JS template literal") !=
        std::string::npos
    );
    CHECK(
        RenderError("<p a={{ .X | html }}>", data).find("predefined escaper \"html\"") !=
        std::string::npos
    );
    CHECK(
        RenderError("x\n<p a=b=c>", data) == "template: mail:1:1: \"=\" in unquoted attr: \"b=c\""
    );
    // The error does not depend on the data: a branch that never runs still counts.
    CHECK(
        RenderError("{{ if false }}<a href=\"{{ end }}", {}).find("branches end") !=
        std::string::npos
    );
    // Without escaping (text/template) the same template renders.
    CHECK(GoTemplate::Parse("<a href=\"{{ .X }}>").Render(data, false) == "<a href=\"x>");
}

TEST_CASE("the escaping pass is bounded and refuses node kinds it does not know") {
    // 200 nested ranges whose bodies end where they start: linear, not 2^200 re-walks.
    std::string nested;
    for (int i = 0; i < 200; ++i) {
        nested += "{{ range $.L }}<b>";
    }
    for (int i = 0; i < 200; ++i) {
        nested += "</b>{{ end }}";
    }
    CHECK(Render(nested, {{"L", TemplateValue::List({S("x")})}}).size() == 200 * 7);

    // A node kind added to the tree later must not slip through unescaped.
    go_template_internal::ParsedTree tree;
    tree.root.resize(1);
    tree.root[0].type = static_cast<go_template_internal::NodeType>(99);
    const auto error = go_template_internal::EscapeTree(tree, "mail");
    REQUIRE(error.has_value());
    CHECK(
        std::string(error->what()).find("cannot escape this kind of template node") !=
        std::string::npos
    );
}

TEST_CASE("a called template is escaped in the caller's context, once per context") {
    const TemplateData data = UserData({{"v", S("a b&<c>")}, {"js", S("javascript:x")}});
    constexpr std::string_view kTwice =
        R"({{ define "t" }}{{ . }}{{ end }}{{ template "t" .Data.v }})"
        R"(<a href="/x?q={{ template "t" .Data.v }}">{{ template "t" .Data.v }}</a>)";
    CHECK(
        Render(kTwice, data) ==
        "a b&amp;&lt;c&gt;<a href=\"/x?q=a%20b%26%3cc%3e\">a b&amp;&lt;c&gt;</a>"
    );
    // text/template's output calls the original template, as written.
    CHECK(Render(kTwice, data, false) == "a b&<c><a href=\"/x?q=a b&<c>\">a b&<c></a>");
    // The URL filter applies inside the called template; block is a define plus a call.
    CHECK(
        Render(R"(<a href="{{ block "u" .Data.js }}{{ . }}{{ end }}">x</a>)", data) ==
        "<a href=\"#ZgotmplZ\">x</a>"
    );
    // The context after the call is where the template ends.
    CHECK(
        Render(
            R"({{ define "o" }}<a href="{{ end }}{{ template "o" }}{{ .Data.js }}">x</a>)", data
        ) == "<a href=\"#ZgotmplZ\">x</a>"
    );
    CHECK(
        RenderError(R"({{ define "o" }}<a href="{{ end }}{{ template "o" }})", data)
            .find("ends in a non-text context") != std::string::npos
    );
    // A define nobody calls is not escaped, so its context does not matter (as in Go).
    CHECK(Render(R"({{ define "bad" }}<a href="{{ end }}ok)", data) == "ok");
}

TEST_CASE("a recursive template is escaped at its fixed point or refused") {
    const TemplateData data = UserData({{"l", TemplateValue::List({S("a"), S("b<c")})}});
    CHECK(
        Render(
            R"({{ define "r" }}{{ if . }}{{ index . 0 }},{{ template "r" slice . 1 }}{{ end }})"
            R"({{ end }}<a title="{{ template "r" .Data.l }}" href="/?{{ template "r" .Data.l }}">)",
            data
        ) == "<a title=\"a,b&lt;c,\" href=\"/?a,b%3cc,\">"
    );
    // Each level opens a tag: no output context can be computed.
    CHECK(
        RenderError(
            R"({{ define "r" }}<a href="{{ if . }}{{ template "r" slice . 1 }}{{ end }}{{ end }})"
            R"({{ template "r" .Data.l }})",
            data
        ) != "<rendered>"
    );
    // 40 levels, each calling the next twice, from text and from an attribute: escaped once per
    // template and context, not 2^40 times (the render itself then stops at its step budget).
    const auto chain = [](std::string_view level) {
        std::string t = R"({{ define "t0" }}<b>{{ . }}</b>{{ end }})";
        for (int i = 1; i <= 40; ++i) {
            const std::string prev = "\"t" + std::to_string(i - 1) + "\"";
            t += "{{ define \"t" + std::to_string(i) + "\" }}";
            t += std::string(level)
                     .replace(level.find('@'), 1, prev)
                     .replace(level.rfind('@') + prev.size() - 1, 1, prev);
            t += "{{ end }}";
        }
        return t + R"({{ template "t40" "x" }}<p title="{{ template "t40" "x" }}">)";
    };
    CHECK(
        RenderError(chain("{{ template @ . }}<i>{{ template @ . }}</i>"), {})
            .find("rendering stopped") != std::string::npos
    );
    // The same where every failed assumption would be retried: the pass's step budget ends it.
    CHECK(
        RenderError(chain("{{ template @ . }}<i title=\"{{ template @ . }}\">"), {})
            .find("template too complex to escape") != std::string::npos
    );
}

TEST_CASE("break and continue join the range's context as Go 1.19's escaper does") {
    const TemplateData data = UserData({{"l", TemplateValue::List({S("a"), S("b"), S("z")})}});
    CHECK(
        Render(
            R"({{ range .Data.l }}{{ if eq . "b" }}{{ break }}{{ end }}<a href="/{{ . }}">{{ end }})",
            data
        ) == "<a href=\"/a\">"
    );
    // Code after a break is unreachable: its context is not joined.
    CHECK(Render(R"({{ range .Data.l }}{{ break }}<a href="{{ end }})", data).empty());
    CHECK(
        RenderError(
            R"({{ range .Data.l }}<a href="{{ if . }}{{ break }}{{ end }}">{{ end }})", data
        )
            .find("at range loop break") != std::string::npos
    );
    CHECK(
        RenderError(
            R"({{ range .Data.l }}<a href="{{ if . }}{{ continue }}{{ end }}">{{ end }})", data
        )
            .find("at range loop continue") != std::string::npos
    );
    // Go 1.19 keeps only the last continue (continues = append(breaks, c)): an earlier continue
    // in another context passes, a later one does not.
    const std::string bad_continue = R"(<a href="/{{ if eq . "a" }}{{ continue }}{{ end }}">)";
    const std::string good_continue = R"({{ if eq . "z" }}{{ continue }}{{ end }})";
    CHECK(
        Render("{{ range .Data.l }}" + bad_continue + good_continue + "{{ . }}{{ end }}", data) ==
        "<a href=\"/<a href=\"/\">b<a href=\"/\">"
    );
    CHECK(
        RenderError("{{ range .Data.l }}" + good_continue + bad_continue + "{{ . }}{{ end }}", data)
            .find("at range loop continue") != std::string::npos
    );
    // ... and a break right after a continue recorded at 3 breaks overwrites it (the slice had
    // room); at 2 breaks (no room) the continue stays and is refused.
    const auto with_breaks = [&](int breaks) {
        std::string t = "{{ range .Data.l }}";
        for (int i = 0; i < breaks; ++i) {
            t += R"({{ if eq . "x" }}{{ break }}{{ end }})";
        }
        return t + bad_continue + R"({{ if eq . "y" }}{{ break }}{{ end }}{{ . }}{{ end }})";
    };
    CHECK(RenderError(with_breaks(3), data) == "<rendered>");
    CHECK(RenderError(with_breaks(2), data).find("at range loop continue") != std::string::npos);
}

TEST_CASE("printf, js, slice and call are ordinary functions under the escaper") {
    const TemplateData data = UserData({{"v", S("<a&b>")}});
    CHECK(
        Render(R"(<a href="/p?x={{ printf "%s&%d" .Data.v 3 }}">)", data) ==
        "<a href=\"/p?x=%3ca%26b%3e%263\">"
    );
    CHECK(Render(R"({{ js .Data.v }})", data) == "\\u003Ca\\u0026b\\u003E");
    CHECK(
        Render(R"(<script>var x = {{ js .Data.v }};</script>)", data) ==
        "<script>var x = \"\\\\u003Ca\\\\u0026b\\\\u003E\";</script>"
    );
    CHECK(Render(R"(<p title="{{ slice .Data.v 1 3 }}">)", data) == "<p title=\"a&amp;\">");
    CHECK(RenderError(R"({{ call .Data.v }})", data).find("call") != std::string::npos);
}

TEST_CASE("an action the escaping pass did not reach is refused, not printed raw") {
    const go_template_internal::Source text("{{ .X }}", "mail");
    const go_template_internal::ParsedTree tree =
        go_template_internal::Parse(go_template_internal::Lex(text), text);
    std::string out;
    CHECK_THROWS_WITH_AS(
        go_template_internal::Execute(
            tree,
            TemplateValue::Object({{"X", S("<")}}),
            "mail",
            go_template_internal::Escaping::kContextual,
            out
        ),
        doctest::Contains("action was not escaped"),
        TemplateError
    );
}

}  // namespace gotrue::mailer::go_template_test
