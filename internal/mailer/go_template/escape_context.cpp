// html/template's HTML/JS/CSS tokenizer (Go's src/html/template/transition.go, context.go,
// attr.go, js.go, css.go): the same states and the same decisions, written for string_view.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "mailer/go_template/escape_context_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

using Step = std::pair<Context, std::size_t>;

constexpr std::size_t kNpos = std::string_view::npos;

bool IsAsciiAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAsciiAlnum(char c) {
    return IsAsciiAlpha(c) || (c >= '0' && c <= '9');
}

bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string Lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool EqualFold(std::string_view a, std::string_view b) {
    return a.size() == b.size() && Lower(a) == Lower(b);
}

std::size_t EatWhiteSpace(std::string_view s, std::size_t i) {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\f' || s[i] == '\r')) {
        ++i;
    }
    return i;
}

// The first byte of s that starts one of `needles` (UTF-8 sequences), or npos.
std::size_t FindAny(std::string_view s, std::initializer_list<std::string_view> needles) {
    std::size_t best = kNpos;
    for (const std::string_view needle : needles) {
        best = std::min(best, s.find(needle));
    }
    return best;
}

std::string Quote32(std::string_view s) {
    return "\"" + std::string(s.substr(0, 32)) + "\"";
}

Element ElementNamed(std::string_view name) {
    const std::string lower = Lower(name);
    if (lower == "script") {
        return Element::kScript;
    }
    if (lower == "style") {
        return Element::kStyle;
    }
    if (lower == "textarea") {
        return Element::kTextarea;
    }
    if (lower == "title") {
        return Element::kTitle;
    }
    return Element::kNone;
}

std::pair<std::size_t, Element> EatTagName(std::string_view s, std::size_t i) {
    if (i == s.size() || !IsAsciiAlpha(s[i])) {
        return {i, Element::kNone};
    }
    std::size_t j = i + 1;
    while (j < s.size()) {
        const char x = s[j];
        if (IsAsciiAlnum(x)) {
            ++j;
        } else if ((x == ':' || x == '-') && j + 1 < s.size() && IsAsciiAlnum(s[j + 1])) {
            j += 2;
        } else {
            break;
        }
    }
    return {j, ElementNamed(s.substr(i, j - i))};
}

// The end of the attribute name starting at i, or an error context.
std::pair<std::size_t, std::string> EatAttrName(std::string_view s, std::size_t i) {
    for (std::size_t j = i; j < s.size(); ++j) {
        switch (s[j]) {
            case ' ':
            case '\t':
            case '\n':
            case '\f':
            case '\r':
            case '=':
            case '>':
                return {j, {}};
            case '\'':
            case '"':
            case '<':
                return {
                    j,
                    "\"" + std::string(1, s[j]) + "\" in attribute name: " + Quote32(s.substr(i))};
            default:
                break;
        }
    }
    return {s.size(), {}};
}

Step TText(const Context& c, std::string_view s) {
    std::size_t k = 0;
    while (true) {
        std::size_t i = s.find('<', k);
        if (i == kNpos || i + 1 == s.size()) {
            return {c, s.size()};
        }
        if (s.substr(i, 4) == "<!--") {
            Context cmt;
            cmt.state = State::kHtmlCmt;
            return {cmt, i + 4};
        }
        ++i;
        bool end = false;
        if (s[i] == '/') {
            if (i + 1 == s.size()) {
                return {c, s.size()};
            }
            end = true;
            ++i;
        }
        const auto [j, element] = EatTagName(s, i);
        if (j != i) {
            Context tag;
            tag.state = State::kTag;
            tag.element = end ? Element::kNone : element;
            return {tag, j};
        }
        k = j;
    }
}

State ElementContentType(Element element) {
    switch (element) {
        case Element::kScript:
            return State::kJs;
        case Element::kStyle:
            return State::kCss;
        case Element::kTextarea:
        case Element::kTitle:
            return State::kRcdata;
        case Element::kNone:
            break;
    }
    return State::kText;
}

Step TTag(const Context& c, std::string_view s) {
    const std::size_t i = EatWhiteSpace(s, 0);
    if (i == s.size()) {
        return {c, s.size()};
    }
    if (s[i] == '>') {
        Context out;
        out.state = ElementContentType(c.element);
        out.element = c.element;
        return {out, i + 1};
    }
    const auto [j, error] = EatAttrName(s, i);
    if (!error.empty()) {
        return {Context::Error(error), s.size()};
    }
    if (i == j) {
        return {
            Context::Error(
                "expected space, attr name, or end of tag, but got " + Quote32(s.substr(i))
            ),
            s.size()};
    }
    const std::string name = Lower(s.substr(i, j - i));
    Attr attr = Attr::kNone;
    if (c.element == Element::kScript && name == "type") {
        attr = Attr::kScriptType;
    } else {
        switch (AttrType(name)) {
            case AttrContent::kUrl:
                attr = Attr::kUrl;
                break;
            case AttrContent::kCss:
                attr = Attr::kStyle;
                break;
            case AttrContent::kJs:
                attr = Attr::kScript;
                break;
            case AttrContent::kSrcset:
                attr = Attr::kSrcset;
                break;
            default:
                break;
        }
    }
    Context out;
    out.state = j == s.size() ? State::kAttrName : State::kAfterName;
    out.element = c.element;
    out.attr = attr;
    return {out, j};
}

Step TAttrName(Context c, std::string_view s) {
    const auto [i, error] = EatAttrName(s, 0);
    if (!error.empty()) {
        return {Context::Error(error), s.size()};
    }
    if (i != s.size()) {
        c.state = State::kAfterName;
    }
    return {c, i};
}

Step TAfterName(Context c, std::string_view s) {
    const std::size_t i = EatWhiteSpace(s, 0);
    if (i == s.size()) {
        return {c, s.size()};
    }
    if (s[i] != '=') {
        c.state = State::kTag;  // an attribute without a value
        return {c, i};
    }
    c.state = State::kBeforeValue;
    return {c, i + 1};
}

State AttrStartState(Attr attr) {
    switch (attr) {
        case Attr::kScript:
            return State::kJs;
        case Attr::kStyle:
            return State::kCss;
        case Attr::kUrl:
            return State::kUrl;
        case Attr::kSrcset:
            return State::kSrcset;
        case Attr::kNone:
        case Attr::kScriptType:
            break;
    }
    return State::kAttr;
}

Step TBeforeValue(Context c, std::string_view s) {
    std::size_t i = EatWhiteSpace(s, 0);
    if (i == s.size()) {
        return {c, s.size()};
    }
    Delim delim = Delim::kSpaceOrTagEnd;
    if (s[i] == '\'') {
        delim = Delim::kSingleQuote;
        ++i;
    } else if (s[i] == '"') {
        delim = Delim::kDoubleQuote;
        ++i;
    }
    c.state = AttrStartState(c.attr);
    c.delim = delim;
    return {c, i};
}

Step THtmlCmt(const Context& c, std::string_view s) {
    if (const std::size_t i = s.find("-->"); i != kNpos) {
        return {Context{}, i + 3};
    }
    return {c, s.size()};
}

std::string_view EndMarker(Element element) {
    switch (element) {
        case Element::kScript:
            return "script";
        case Element::kStyle:
            return "style";
        case Element::kTextarea:
            return "textarea";
        case Element::kTitle:
            return "title";
        case Element::kNone:
            break;
    }
    return {};
}

// The offset of "</tag" followed by a tag-end separator, or npos.
std::size_t IndexTagEnd(std::string_view s, std::string_view tag) {
    std::size_t from = 0;
    while (from < s.size()) {
        const std::size_t i = s.find("</", from);
        if (i == kNpos) {
            return kNpos;
        }
        const std::size_t name = i + 2;
        if (name + tag.size() <= s.size() && EqualFold(tag, s.substr(name, tag.size()))) {
            const std::size_t after = name + tag.size();
            if (after < s.size() && std::string_view("> \t\n\f/").find(s[after]) != kNpos) {
                return i;
            }
        }
        from = name;
    }
    return kNpos;
}

Step TSpecialTagEnd(const Context& c, std::string_view s) {
    if (c.element != Element::kNone) {
        if (const std::size_t i = IndexTagEnd(s, EndMarker(c.element)); i != kNpos) {
            return {Context{}, i};
        }
    }
    return {c, s.size()};
}

Step TUrl(Context c, std::string_view s) {
    if (s.find_first_of("#?") != kNpos) {
        c.url_part = UrlPart::kQueryOrFrag;
    } else if (s.size() != EatWhiteSpace(s, 0) && c.url_part == UrlPart::kNone) {
        c.url_part = UrlPart::kPreQuery;
    }
    return {c, s.size()};
}

Step TJs(Context c, std::string_view s) {
    const std::size_t i = s.find_first_of("\"`'/");
    if (i == kNpos) {
        c.js_ctx = NextJsCtx(s, c.js_ctx);
        return {c, s.size()};
    }
    c.js_ctx = NextJsCtx(s.substr(0, i), c.js_ctx);
    std::size_t next = i;
    switch (s[i]) {
        case '"':
            c.state = State::kJsDqStr;
            c.js_ctx = JsCtx::kRegexp;
            break;
        case '\'':
            c.state = State::kJsSqStr;
            c.js_ctx = JsCtx::kRegexp;
            break;
        case '`':
            c.state = State::kJsBqStr;
            c.js_ctx = JsCtx::kRegexp;
            break;
        default:  // '/'
            if (i + 1 < s.size() && s[i + 1] == '/') {
                c.state = State::kJsLineCmt;
                ++next;
            } else if (i + 1 < s.size() && s[i + 1] == '*') {
                c.state = State::kJsBlockCmt;
                ++next;
            } else if (c.js_ctx == JsCtx::kRegexp) {
                c.state = State::kJsRegexp;
            } else if (c.js_ctx == JsCtx::kDivOp) {
                c.js_ctx = JsCtx::kRegexp;
            } else {
                return {
                    Context::Error("'/' could start a division or regexp: " + Quote32(s.substr(i))),
                    s.size()};
            }
            break;
    }
    return {c, next + 1};
}

Step TJsDelimited(Context c, std::string_view s) {
    std::string_view specials = "\\\"";
    if (c.state == State::kJsSqStr) {
        specials = "\\'";
    } else if (c.state == State::kJsBqStr) {
        specials = "`\\";
    } else if (c.state == State::kJsRegexp) {
        specials = "\\/[]";
    }
    std::size_t k = 0;
    bool in_charset = false;
    while (true) {
        std::size_t i = s.find_first_of(specials, k);
        if (i == kNpos) {
            break;
        }
        switch (s[i]) {
            case '\\':
                ++i;
                if (i == s.size()) {
                    return {
                        Context::Error(
                            "unfinished escape sequence in JS string: \"" + std::string(s) + "\""
                        ),
                        s.size()};
                }
                break;
            case '[':
                in_charset = true;
                break;
            case ']':
                in_charset = false;
                break;
            default:
                if (!in_charset) {
                    c.state = State::kJs;
                    c.js_ctx = JsCtx::kDivOp;
                    return {c, i + 1};
                }
        }
        k = i + 1;
    }
    if (in_charset) {
        return {
            Context::Error("unfinished JS regexp charset: \"" + std::string(s) + "\""), s.size()};
    }
    return {c, s.size()};
}

Step TBlockCmt(Context c, std::string_view s) {
    const std::size_t i = s.find("*/");
    if (i == kNpos) {
        return {c, s.size()};
    }
    c.state = c.state == State::kJsBlockCmt ? State::kJs : State::kCss;
    return {c, i + 2};
}

Step TLineCmt(Context c, std::string_view s) {
    std::size_t i = kNpos;
    State end = State::kJs;
    if (c.state == State::kJsLineCmt) {
        i = FindAny(s, {"\n", "\r", "\u2028", "\u2029"});
    } else {
        i = s.find_first_of("\n\f\r");
        end = State::kCss;
    }
    if (i == kNpos) {
        return {c, s.size()};
    }
    c.state = end;
    return {c, i};  // the line end is not part of the comment
}

bool IsCssNmchar(char32_t r) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' ||
           r == '_' || (r >= 0x80 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) ||
           (r >= 0x10000 && r <= 0x10ffff);
}

// The rune that ends s (Go's utf8.DecodeLastRune, simplified: scans back over continuation bytes).
char32_t LastRune(std::string_view s) {
    std::size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
        --start;
    }
    const Rune r = DecodeRune(s, start);
    return start + r.width == s.size() ? r.value : 0xFFFD;
}

bool EndsWithCssKeyword(std::string_view b, std::string_view keyword) {
    if (b.size() < keyword.size()) {
        return false;
    }
    const std::size_t i = b.size() - keyword.size();
    if (i != 0 && IsCssNmchar(LastRune(b.substr(0, i)))) {
        return false;
    }
    return Lower(b.substr(i)) == keyword;
}

Step TCss(Context c, std::string_view s) {
    std::size_t k = 0;
    while (true) {
        const std::size_t i = s.find_first_of("(\"'/", k);
        if (i == kNpos) {
            return {c, s.size()};
        }
        switch (s[i]) {
            case '(': {
                std::string_view before = s.substr(0, i);
                while (!before.empty() && std::string_view("\t\n\f\r ").find(before.back()) != kNpos
                ) {
                    before.remove_suffix(1);
                }
                if (EndsWithCssKeyword(before, "url")) {
                    std::size_t j = i + 1;
                    while (j < s.size() && std::string_view("\t\n\f\r ").find(s[j]) != kNpos) {
                        ++j;
                    }
                    if (j != s.size() && s[j] == '"') {
                        c.state = State::kCssDqUrl;
                        ++j;
                    } else if (j != s.size() && s[j] == '\'') {
                        c.state = State::kCssSqUrl;
                        ++j;
                    } else {
                        c.state = State::kCssUrl;
                    }
                    return {c, j};
                }
                break;
            }
            case '/':
                if (i + 1 < s.size()) {
                    if (s[i + 1] == '/') {
                        c.state = State::kCssLineCmt;
                        return {c, i + 2};
                    }
                    if (s[i + 1] == '*') {
                        c.state = State::kCssBlockCmt;
                        return {c, i + 2};
                    }
                }
                break;
            case '"':
                c.state = State::kCssDqStr;
                return {c, i + 1};
            default:  // '\''
                c.state = State::kCssSqStr;
                return {c, i + 1};
        }
        k = i + 1;
    }
}

Step TCssStr(Context c, std::string_view s) {
    std::string_view end_and_escape = "\\\"";
    if (c.state == State::kCssSqStr || c.state == State::kCssSqUrl) {
        end_and_escape = "\\'";
    } else if (c.state == State::kCssUrl) {
        end_and_escape = "\\\t\n\f\r )";
    }
    std::size_t k = 0;
    while (true) {
        std::size_t i = s.find_first_of(end_and_escape, k);
        if (i == kNpos) {
            Context out = TUrl(c, DecodeCss(s.substr(k))).first;
            return {out, s.size()};
        }
        if (s[i] == '\\') {
            ++i;
            if (i == s.size()) {
                return {
                    Context::Error(
                        "unfinished escape sequence in CSS string: \"" + std::string(s) + "\""
                    ),
                    s.size()};
            }
        } else {
            c.state = State::kCss;
            return {c, i + 1};
        }
        c = TUrl(c, DecodeCss(s.substr(0, i + 1))).first;
        k = i + 1;
    }
}

Step Transition(const Context& c, std::string_view s) {
    switch (c.state) {
        case State::kText:
            return TText(c, s);
        case State::kTag:
            return TTag(c, s);
        case State::kAttrName:
            return TAttrName(c, s);
        case State::kAfterName:
            return TAfterName(c, s);
        case State::kBeforeValue:
            return TBeforeValue(c, s);
        case State::kHtmlCmt:
            return THtmlCmt(c, s);
        case State::kRcdata:
            return TSpecialTagEnd(c, s);
        case State::kAttr:
            return {c, s.size()};
        case State::kUrl:
        case State::kSrcset:
            return TUrl(c, s);
        case State::kJs:
            return TJs(c, s);
        case State::kJsDqStr:
        case State::kJsSqStr:
        case State::kJsBqStr:
        case State::kJsRegexp:
            return TJsDelimited(c, s);
        case State::kJsBlockCmt:
        case State::kCssBlockCmt:
            return TBlockCmt(c, s);
        case State::kJsLineCmt:
        case State::kCssLineCmt:
            return TLineCmt(c, s);
        case State::kCss:
            return TCss(c, s);
        case State::kCssDqStr:
        case State::kCssSqStr:
        case State::kCssDqUrl:
        case State::kCssSqUrl:
        case State::kCssUrl:
            return TCssStr(c, s);
        case State::kError:
        case State::kDead:
            break;
    }
    return {c, s.size()};
}

constexpr std::array<std::string_view, 27> kStateNames{
    "stateText",       "stateTag",       "stateAttrName", "stateAfterName",   "stateBeforeValue",
    "stateHTMLCmt",    "stateRCDATA",    "stateAttr",     "stateURL",         "stateSrcset",
    "stateJS",         "stateJSDqStr",   "stateJSSqStr",  "stateJSBqStr",     "stateJSRegexp",
    "stateJSBlockCmt", "stateJSLineCmt", "stateCSS",      "stateCSSDqStr",    "stateCSSSqStr",
    "stateCSSDqURL",   "stateCSSSqURL",  "stateCSSURL",   "stateCSSBlockCmt", "stateCSSLineCmt",
    "stateError",      "stateDead"};
constexpr std::array<std::string_view, 4> kDelimNames{
    "delimNone", "delimDoubleQuote", "delimSingleQuote", "delimSpaceOrTagEnd"};
constexpr std::array<std::string_view, 4> kUrlPartNames{
    "urlPartNone", "urlPartPreQuery", "urlPartQueryOrFrag", "urlPartUnknown"};
constexpr std::array<std::string_view, 3> kJsCtxNames{"jsCtxRegexp", "jsCtxDivOp", "jsCtxUnknown"};
constexpr std::array<std::string_view, 6> kAttrNames{
    "attrNone", "attrScript", "attrScriptType", "attrStyle", "attrURL", "attrSrcset"};
constexpr std::array<std::string_view, 5> kElementNames{
    "elementNone", "elementScript", "elementStyle", "elementTextarea", "elementTitle"};

template <typename Enum, std::size_t N>
std::string_view NameOf(const std::array<std::string_view, N>& names, Enum value) {
    return names.at(static_cast<std::size_t>(value));
}

}  // namespace

Rune DecodeRune(std::string_view s, std::size_t at) {
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(s[i]);
    };
    const unsigned char b0 = byte(at);
    if (b0 < 0x80) {
        return {b0, 1};
    }
    std::size_t need = 0;
    char32_t value = 0;
    char32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        value = b0 & 0x1Fu;
        min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        value = b0 & 0x0Fu;
        min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        value = b0 & 0x07u;
        min = 0x10000;
    } else {
        return {0xFFFD, 1};
    }
    if (at + need >= s.size()) {
        return {0xFFFD, 1};  // truncated
    }
    for (std::size_t k = 1; k <= need; ++k) {
        const unsigned char b = byte(at + k);
        if ((b & 0xC0u) != 0x80) {
            return {0xFFFD, 1};
        }
        value = (value << 6) | (b & 0x3Fu);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return {0xFFFD, 1};
    }
    return {value, need + 1};
}

void AppendRune(std::string& out, char32_t r) {
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
        r = 0xFFFD;
    }
    if (r < 0x80) {
        out += static_cast<char>(r);
    } else if (r < 0x800) {
        out += static_cast<char>(0xC0 | (r >> 6));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        out += static_cast<char>(0xE0 | (r >> 12));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (r >> 18));
        out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    }
}

std::string Describe(const Context& c) {
    std::string out = "{" + std::string(NameOf(kStateNames, c.state)) + " " +
                      std::string(NameOf(kDelimNames, c.delim)) + " " +
                      std::string(NameOf(kUrlPartNames, c.url_part)) + " " +
                      std::string(NameOf(kJsCtxNames, c.js_ctx)) + " " +
                      std::string(NameOf(kAttrNames, c.attr)) + " " +
                      std::string(NameOf(kElementNames, c.element));
    if (!c.error.empty()) {
        out += " " + c.error;
    }
    return out + "}";
}

bool IsComment(State state) {
    return state == State::kHtmlCmt || state == State::kJsBlockCmt || state == State::kJsLineCmt ||
           state == State::kCssBlockCmt || state == State::kCssLineCmt;
}

std::pair<Context, std::size_t> ContextAfterText(const Context& c, std::string_view s) {
    if (c.delim == Delim::kNone) {
        const auto [special, end] = TSpecialTagEnd(c, s);
        if (end == 0) {
            return {special, 0};  // "</script" etc.: the element ends here
        }
        return Transition(c, s.substr(0, end));
    }
    // In an attribute value: find its end, decode the entities before it and run the value's
    // own tokenizer (URL, JS, CSS) over the decoded text.
    std::string_view ends = "\"";
    if (c.delim == Delim::kSingleQuote) {
        ends = "'";
    } else if (c.delim == Delim::kSpaceOrTagEnd) {
        ends = " \t\n\f\r>";
    }
    std::size_t i = s.find_first_of(ends);
    if (i == kNpos) {
        i = s.size();
    }
    if (c.delim == Delim::kSpaceOrTagEnd) {
        if (const std::size_t j = s.substr(0, i).find_first_of("\"'<=`"); j != kNpos) {
            return {
                Context::Error(
                    "\"" + std::string(1, s[j]) + "\" in unquoted attr: \"" +
                    std::string(s.substr(0, i)) + "\""
                ),
                s.size()};
        }
    }
    if (i == s.size()) {
        Context out = c;
        const std::string decoded = HtmlUnescape(s);
        std::string_view rest = decoded;
        while (!rest.empty()) {
            const auto [next, read] = Transition(out, rest);
            out = next;
            rest.remove_prefix(read);
        }
        return {out, s.size()};
    }
    Element element = c.element;
    if (c.state == State::kAttr && c.element == Element::kScript && c.attr == Attr::kScriptType &&
        !IsJsType(s.substr(0, i))) {
        element = Element::kNone;  // <script type="text/template">: its content is not JS
    }
    if (c.delim != Delim::kSpaceOrTagEnd) {
        ++i;  // the closing quote
    }
    Context tag;
    tag.state = State::kTag;
    tag.element = element;
    return {tag, i};
}

Context Nudge(Context c) {
    switch (c.state) {
        case State::kTag:
            c.state = State::kAttrName;
            break;
        case State::kBeforeValue:
            c.state = AttrStartState(c.attr);
            c.delim = Delim::kSpaceOrTagEnd;
            c.attr = Attr::kNone;
            break;
        case State::kAfterName:
            c.state = State::kAttrName;
            c.attr = Attr::kNone;
            break;
        default:
            break;
    }
    return c;
}

Context Join(const Context& a, const Context& b, std::string_view node_name) {
    if (a.state == State::kError) {
        return a;
    }
    if (b.state == State::kError) {
        return b;
    }
    if (a.state == State::kDead) {
        return b;
    }
    if (b.state == State::kDead) {
        return a;
    }
    if (a == b) {
        return a;
    }
    Context c = a;
    c.url_part = b.url_part;
    if (c == b) {
        c.url_part = UrlPart::kUnknown;  // an action after this is ambiguous
        return c;
    }
    c = a;
    c.js_ctx = b.js_ctx;
    if (c == b) {
        c.js_ctx = JsCtx::kUnknown;
        return c;
    }
    const Context na = Nudge(a);
    const Context nb = Nudge(b);
    if (!(na == a && nb == b)) {
        if (Context e = Join(na, nb, node_name); e.state != State::kError) {
            return e;
        }
    }
    return Context::Error(
        "{{" + std::string(node_name) + "}} branches end in different contexts: " + Describe(a) +
        ", " + Describe(b)
    );
}

AttrContent AttrType(std::string_view lower_name) {
    std::string_view name = lower_name;
    if (name.starts_with("data-")) {
        name.remove_prefix(5);
    } else if (const std::size_t colon = name.find(':'); colon != kNpos) {
        if (name.substr(0, colon) == "xmlns") {
            return AttrContent::kUrl;
        }
        name.remove_prefix(colon + 1);
    }
    static constexpr std::array<std::string_view, 20> kUrl{
        "action",     "archive", "background", "cite",     "classid",  "codebase", "data",
        "formaction", "href",    "icon",       "longdesc", "manifest", "poster",   "profile",
        "src",        "usemap",  "xmlns",      "",         "",         ""};
    static constexpr std::array<std::string_view, 26> kUnsafe{
        "accept-charset",
        "async",
        "challenge",
        "charset",
        "content",
        "crossorigin",
        "defer",
        "enctype",
        "form",
        "formenctype",
        "formmethod",
        "formnovalidate",
        "http-equiv",
        "keytype",
        "language",
        "method",
        "novalidate",
        "pattern",
        "rel",
        "sandbox",
        "type",
        "value",
        "",
        "",
        "",
        ""};
    // Plain attributes of Go's table whose names would otherwise match the on*/src/uri/url
    // rules below.
    static constexpr std::array<std::string_view, 1> kPlainSpecial{"srclang"};
    if (name.empty()) {
        return AttrContent::kPlain;
    }
    if (std::find(kUrl.begin(), kUrl.end(), name) != kUrl.end()) {
        return AttrContent::kUrl;
    }
    if (std::find(kUnsafe.begin(), kUnsafe.end(), name) != kUnsafe.end()) {
        return AttrContent::kUnsafe;
    }
    if (std::find(kPlainSpecial.begin(), kPlainSpecial.end(), name) != kPlainSpecial.end()) {
        return AttrContent::kPlain;
    }
    if (name == "style") {
        return AttrContent::kCss;
    }
    if (name == "srcset") {
        return AttrContent::kSrcset;
    }
    if (name == "srcdoc") {
        return AttrContent::kHtml;
    }
    if (name.starts_with("on")) {
        return AttrContent::kJs;
    }
    if (name.find("src") != kNpos || name.find("uri") != kNpos || name.find("url") != kNpos) {
        return AttrContent::kUrl;
    }
    return AttrContent::kPlain;
}

bool IsJsType(std::string_view mime_type) {
    std::string type = Lower(mime_type.substr(0, mime_type.find(';')));
    const auto not_space = [](unsigned char ch) {
        return std::isspace(ch) == 0;
    };
    type.erase(type.begin(), std::find_if(type.begin(), type.end(), not_space));
    type.erase(std::find_if(type.rbegin(), type.rend(), not_space).base(), type.end());
    static constexpr std::array<std::string_view, 17> kJsTypes{
        "application/ecmascript",
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/x-ecmascript",
        "application/x-javascript",
        "module",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript"};
    return std::find(kJsTypes.begin(), kJsTypes.end(), type) != kJsTypes.end() ||
           type == "text/x-ecmascript" || type == "text/x-javascript";
}

JsCtx NextJsCtx(std::string_view s, JsCtx preceding) {
    // Trailing white space (including U+2028, U+2029) does not decide.
    while (!s.empty()) {
        if (std::string_view("\t\n\f\r ").find(s.back()) != kNpos) {
            s.remove_suffix(1);
        } else if (s.ends_with("\u2028") || s.ends_with("\u2029")) {
            s.remove_suffix(3);
        } else {
            break;
        }
    }
    if (s.empty()) {
        return preceding;
    }
    const char c = s.back();
    const std::size_t n = s.size();
    switch (c) {
        case '+':
        case '-': {
            std::size_t start = n - 1;
            while (start > 0 && s[start - 1] == c) {
                --start;
            }
            return (n - start) % 2 == 1 ? JsCtx::kRegexp : JsCtx::kDivOp;
        }
        case '.':
            return n != 1 && s[n - 2] >= '0' && s[n - 2] <= '9' ? JsCtx::kDivOp : JsCtx::kRegexp;
        case ',':
        case '<':
        case '>':
        case '=':
        case '*':
        case '%':
        case '&':
        case '|':
        case '^':
        case '?':
        case '!':
        case '~':
        case '(':
        case '[':
        case ':':
        case ';':
        case '{':
        case '}':
            return JsCtx::kRegexp;
        default: {
            std::size_t j = n;
            while (j > 0 && (IsAsciiAlnum(s[j - 1]) || s[j - 1] == '_' || s[j - 1] == '$')) {
                --j;
            }
            static constexpr std::array<std::string_view, 14> kKeywords{
                "break",
                "case",
                "continue",
                "delete",
                "do",
                "else",
                "finally",
                "in",
                "instanceof",
                "return",
                "throw",
                "try",
                "typeof",
                "void"};
            const std::string_view word = s.substr(j);
            if (std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end()) {
                return JsCtx::kRegexp;
            }
            return JsCtx::kDivOp;
        }
    }
}

std::string HtmlUnescape(std::string_view text) {
    if (text.find('&') == kNpos) {
        return std::string(text);
    }
    static constexpr std::array<std::pair<std::string_view, char32_t>, 6> kNamed{
        {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}}};
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '&') {
            out += text[i++];
            continue;
        }
        std::size_t j = i + 1;
        if (j < text.size() && text[j] == '#') {
            ++j;
            const bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
            if (hex) {
                ++j;
            }
            const std::size_t digits = j;
            char32_t value = 0;
            while (j < text.size() && (hex ? IsHex(text[j]) : (text[j] >= '0' && text[j] <= '9'))) {
                const char d = text[j];
                const char32_t digit = d <= '9' ? static_cast<char32_t>(d - '0')
                                                : static_cast<char32_t>((d | 0x20) - 'a' + 10);
                value = std::min<char32_t>(value * (hex ? 16 : 10) + digit, 0x110000);
                ++j;
            }
            if (j == digits) {
                out += text[i++];
                continue;
            }
            if (j < text.size() && text[j] == ';') {
                ++j;
            }
            AppendRune(out, value == 0 ? 0xFFFD : value);
            i = j;
            continue;
        }
        bool matched = false;
        for (const auto& [name, rune] : kNamed) {
            if (text.substr(j, name.size()) == name) {
                std::size_t end = j + name.size();
                if (end < text.size() && text[end] == ';') {
                    ++end;
                }
                AppendRune(out, rune);
                i = end;
                matched = true;
                break;
            }
        }
        if (!matched) {
            out += text[i++];
        }
    }
    return out;
}

std::string DecodeCss(std::string_view s) {
    if (s.find('\\') == kNpos) {
        return std::string(s);
    }
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t slash = s.find('\\', i);
        if (slash == kNpos) {
            out.append(s.substr(i));
            break;
        }
        out.append(s.substr(i, slash - i));
        i = slash;
        if (s.size() - i < 2) {
            break;  // a lone trailing backslash is dropped
        }
        if (IsHex(s[i + 1])) {
            std::size_t j = i + 2;
            while (j < s.size() && j < i + 7 && IsHex(s[j])) {
                ++j;
            }
            char32_t r = 0;
            for (std::size_t k = i + 1; k < j; ++k) {
                const char d = s[k];
                r = r * 16 + (d <= '9' ? static_cast<char32_t>(d - '0')
                                       : static_cast<char32_t>((d | 0x20) - 'a' + 10));
            }
            if (r > 0x10FFFF) {
                r /= 16;
                --j;
            }
            AppendRune(out, r);
            i = j;
            // One white space after a hex escape belongs to it.
            if (i < s.size()) {
                if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
                    i += 2;
                } else if (std::string_view("\t\n\f \r").find(s[i]) != kNpos) {
                    ++i;
                }
            }
        } else {
            const Rune r = DecodeRune(s, i + 1);
            out.append(s.substr(i + 1, r.width));
            i += 1 + r.width;
        }
    }
    return out;
}

}  // namespace gotrue::mailer::go_template_internal
