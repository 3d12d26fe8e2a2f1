#pragma once

// html/template's model of where in an HTML document a template action lands (Go's
// src/html/template/context.go) and the tokenizer that moves it across template text
// (transition.go). The escaping pass (escape.cpp) uses it to pick each action's escapers.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace gotrue::mailer::go_template_internal {

enum class State {
    kText,         // HTML text
    kTag,          // inside a tag, before an attribute name
    kAttrName,     // in an attribute name
    kAfterName,    // after an attribute name, before '='
    kBeforeValue,  // after '=', before the value
    kHtmlCmt,      // <!-- ... -->
    kRcdata,       // <title>, <textarea> content
    kAttr,         // a plain attribute value
    kUrl,          // a URL attribute value (href, src, ...)
    kSrcset,       // a srcset attribute value
    kJs,           // JS expression (<script>, on* attributes)
    kJsDqStr,
    kJsSqStr,
    kJsBqStr,  // a JS template literal: Go refuses actions here
    kJsRegexp,
    kJsBlockCmt,
    kJsLineCmt,
    kCss,  // <style>, style attributes
    kCssDqStr,
    kCssSqStr,
    kCssDqUrl,
    kCssSqUrl,
    kCssUrl,
    kCssBlockCmt,
    kCssLineCmt,
    kError,  // the template cannot be escaped (error holds why)
    kDead,   // after break/continue: joins with anything
};

enum class Delim { kNone, kDoubleQuote, kSingleQuote, kSpaceOrTagEnd };

enum class UrlPart { kNone, kPreQuery, kQueryOrFrag, kUnknown };

enum class JsCtx { kRegexp, kDivOp, kUnknown };

enum class Attr { kNone, kScript, kScriptType, kStyle, kUrl, kSrcset };

enum class Element { kNone, kScript, kStyle, kTextarea, kTitle };

struct Context {
    State state = State::kText;
    Delim delim = Delim::kNone;
    UrlPart url_part = UrlPart::kNone;
    JsCtx js_ctx = JsCtx::kRegexp;
    Attr attr = Attr::kNone;
    Element element = Element::kNone;
    std::string error;   // kError: the reason
    int error_line = 0;  // kError: where in the template (0: not known yet)
    int error_column = 0;

    bool operator==(const Context&) const = default;

    static Context Error(std::string message) {
        Context c;
        c.state = State::kError;
        c.error = std::move(message);
        return c;
    }
};

// "{stateURL delimDoubleQuote urlPartNone ...}", as Go prints a context in its errors.
std::string Describe(const Context& c);

bool IsComment(State state);

// The context after a prefix of `s`, and how many bytes that prefix is; call again on the
// rest (Go's contextAfterText). Always consumes at least one byte or changes the state.
std::pair<Context, std::size_t> ContextAfterText(const Context& c, std::string_view s);

// Where an action in `c` really is (an action after "<a " is an attribute name, ...).
Context Nudge(Context c);

// The context after if/else branches ending in a and b, or an error context naming `node_name`.
Context Join(const Context& a, const Context& b, std::string_view node_name);

// html/template's attribute classification (attr.go): which escaping an attribute value gets.
enum class AttrContent { kPlain, kUrl, kCss, kJs, kSrcset, kUnsafe, kHtml };
AttrContent AttrType(std::string_view lower_name);

// Whether a <script type="..."> holds JavaScript (JSON and modules included).
bool IsJsType(std::string_view mime_type);

// JS: the context after tokens `s` that followed a value in `preceding`.
JsCtx NextJsCtx(std::string_view s, JsCtx preceding);

// Go's html.UnescapeString for what decides contexts: numeric references and the common named
// ones (amp, lt, gt, quot, apos, nbsp); others stay as written.
std::string HtmlUnescape(std::string_view text);

// UTF-8 as Go's unicode/utf8 decodes it: an invalid or truncated sequence is U+FFFD, 1 byte.
struct Rune {
    char32_t value;
    std::size_t width;
};

Rune DecodeRune(std::string_view s, std::size_t at);
void AppendRune(std::string& out, char32_t rune);

// CSS escapes (\22, \\) decoded, as Go's decodeCSS.
std::string DecodeCss(std::string_view s);

}  // namespace gotrue::mailer::go_template_internal
