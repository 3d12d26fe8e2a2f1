#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "mailer/go_template/escape_context_internal.hpp"
#include "mailer/go_template/escapers_internal.hpp"
#include "mailer/go_template/format_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

constexpr std::string_view kLowerHex = "0123456789abcdef";

bool IsHexDigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void AppendU4(std::string& out, char32_t r) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += kLowerHex[(r >> shift) & 0xF];
    }
}

// Go's html/template stringify for a value that is not typed content; an untyped nil prints
// nothing (Go skips nil arguments).
std::string Stringify(const TemplateValue& value) {
    if (value.IsNil()) {
        return {};
    }
    if (value.Kind() == ValueKind::kString) {
        return value.AsString();
    }
    return Format(value);
}

struct Replacement {
    char32_t rune;
    std::string_view text;
};

// The replacement of r in `table`, or empty.
template <std::size_t N>
std::string_view Lookup(const std::array<Replacement, N>& table, char32_t r) {
    for (const Replacement& entry : table) {
        if (entry.rune == r) {
            return entry.text;
        }
    }
    return {};
}

// Go's lowUnicodeReplacementTable short forms; other characters below U+0020 are \u00XX.
constexpr std::array<Replacement, 4> kJsLow{{
    {'\t', "\\t"},
    {'\n', "\\n"},
    {'\f', "\\f"},
    {'\r', "\\r"},
}};

constexpr std::array<Replacement, 9> kJsStr{{
    {'"', "\\u0022"},
    {'`', "\\u0060"},
    {'&', "\\u0026"},
    {'\'', "\\u0027"},
    {'+', "\\u002b"},
    {'/', "\\/"},
    {'<', "\\u003c"},
    {'>', "\\u003e"},
    {'\\', "\\\\"},
}};

// Go's jsRegexpReplacementTable: kJsStr's characters except '`', and the regexp specials.
constexpr std::array<Replacement, 21> kJsRegexp{{
    {'"', "\\u0022"}, {'$', "\\$"},     {'&', "\\u0026"}, {'\'', "\\u0027"}, {'(', "\\("},
    {')', "\\)"},     {'*', "\\*"},     {'+', "\\u002b"}, {'-', "\\-"},      {'.', "\\."},
    {'/', "\\/"},     {'<', "\\u003c"}, {'>', "\\u003e"}, {'?', "\\?"},      {'[', "\\["},
    {'\\', "\\\\"},   {']', "\\]"},     {'^', "\\^"},     {'{', "\\{"},      {'|', "\\|"},
    {'}', "\\}"},
}};

constexpr std::array<Replacement, 19> kCss{{
    {0, "\\0"},    {'\t', "\\9"},  {'\n', "\\a"},  {'\f', "\\c"}, {'\r', "\\d"},
    {'"', "\\22"}, {'&', "\\26"},  {'\'', "\\27"}, {'(', "\\28"}, {')', "\\29"},
    {'+', "\\2b"}, {'/', "\\2f"},  {':', "\\3a"},  {';', "\\3b"}, {'<', "\\3c"},
    {'>', "\\3e"}, {'\\', "\\\\"}, {'{', "\\7b"},  {'}', "\\7d"},
}};

constexpr std::array<Replacement, 15> kNospace{{
    {0, "&#xfffd;"},
    {'\t', "&#9;"},
    {'\n', "&#10;"},
    {'\v', "&#11;"},
    {'\f', "&#12;"},
    {'\r', "&#13;"},
    {' ', "&#32;"},
    {'"', "&#34;"},
    {'&', "&amp;"},
    {'\'', "&#39;"},
    {'+', "&#43;"},
    {'<', "&lt;"},
    {'=', "&#61;"},
    {'>', "&gt;"},
    {'`', "&#96;"},
}};

// Go's htmlReplacer with the nospace table: also white space, =, ` and the Unicode
// non-characters (invalid UTF-8 reads as U+FFFD, one of them).
// Maps each rune of s (invalid UTF-8 as U+FFFD, one byte): each(out, rune, raw, rest) appends
// its output; raw is the rune's bytes, rest the text after it.
template <typename Each>
std::string MapRunes(std::string_view s, Each each) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const Rune r = DecodeRune(s, i);
        const std::string_view raw = s.substr(i, r.width);
        i += r.width;
        each(out, r.value, raw, s.substr(i));
    }
    return out;
}

std::string NospaceEscape(std::string_view s) {
    return MapRunes(s, [](std::string& out, char32_t r, std::string_view raw, std::string_view) {
        if (const std::string_view repl = Lookup(kNospace, r); !repl.empty()) {
            out.append(repl);
        } else if ((r >= 0xFDD0 && r <= 0xFDEF) || (r >= 0xFFF0 && r <= 0xFFFF)) {
            out += "&#x";
            std::array<char, 8> hex{};
            const auto end =
                std::to_chars(hex.data(), hex.data() + hex.size(), static_cast<unsigned>(r), 16);
            out.append(hex.data(), end.ptr);
            out += ';';
        } else {
            out.append(raw);
        }
    });
}

std::string HtmlNameFilter(std::string_view s) {
    if (s.empty()) {
        return std::string(kFilterFailsafe);
    }
    std::string lower(s);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    if (AttrType(lower) != AttrContent::kPlain) {
        return std::string(kFilterFailsafe);  // no event handlers, URLs, styles by name
    }
    for (const char c : lower) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
            return std::string(kFilterFailsafe);
        }
    }
    return lower;
}

bool EqualFoldAscii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Only http, https, mailto and relative URLs pass.
bool IsSafeUrl(std::string_view s) {
    if (const std::size_t colon = s.find(':'); colon != std::string_view::npos) {
        const std::string_view protocol = s.substr(0, colon);
        if (protocol.find('/') == std::string_view::npos) {
            return EqualFoldAscii(protocol, "http") || EqualFoldAscii(protocol, "https") ||
                   EqualFoldAscii(protocol, "mailto");
        }
    }
    return true;
}

// Go's processURLOnto: percent-encodes what may not stand in a URL (norm: leaves reserved
// characters and existing %XX alone, for a whole URL; otherwise for a query part).
void ProcessUrlOnto(std::string_view s, bool norm, std::string& out) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        bool keep = false;
        switch (c) {
            case '!':
            case '#':
            case '$':
            case '&':
            case '*':
            case '+':
            case ',':
            case '/':
            case ':':
            case ';':
            case '=':
            case '?':
            case '@':
            case '[':
            case ']':
                keep = norm;
                break;
            case '-':
            case '.':
            case '_':
            case '~':
                keep = true;
                break;
            case '%':
                keep = norm && i + 2 < s.size() && IsHexDigit(s[i + 1]) && IsHexDigit(s[i + 2]);
                break;
            default:
                keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
        if (keep) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kLowerHex[byte >> 4];
            out += kLowerHex[byte & 0xF];
        }
    }
}

bool IsHtmlSpace(char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

bool IsHtmlSpaceOrAsciiAlnum(char c) {
    return IsHtmlSpace(c) || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

void FilterSrcsetElement(
    std::string_view s, std::size_t left, std::size_t right, std::string& out
) {
    std::size_t start = left;
    while (start < right && IsHtmlSpace(s[start])) {
        ++start;
    }
    std::size_t end = right;
    for (std::size_t i = start; i < right; ++i) {
        if (IsHtmlSpace(s[i])) {
            end = i;
            break;
        }
    }
    if (const std::string_view url = s.substr(start, end - start); IsSafeUrl(url)) {
        bool metadata_ok = true;
        for (std::size_t i = end; i < right; ++i) {
            if (!IsHtmlSpaceOrAsciiAlnum(s[i])) {
                metadata_ok = false;
                break;
            }
        }
        if (metadata_ok) {
            out.append(s.substr(left, start - left));
            ProcessUrlOnto(url, true, out);
            out.append(s.substr(end, right - end));
            return;
        }
    }
    out += '#';
    out.append(kFilterFailsafe);
}

std::string SrcsetEscape(std::string_view s) {
    std::string out;
    std::size_t written = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ',') {
            FilterSrcsetElement(s, written, i, out);
            out += ',';
            written = i + 1;
        }
    }
    FilterSrcsetElement(s, written, s.size(), out);
    return out;
}

// Go's js.go replace(): control characters, the table's characters and U+2028/U+2029.
template <std::size_t N>
std::string JsReplace(std::string_view s, const std::array<Replacement, N>& table) {
    return MapRunes(s, [&](std::string& out, char32_t r, std::string_view raw, std::string_view) {
        if (r < 0x20) {
            if (const std::string_view low = Lookup(kJsLow, r); !low.empty()) {
                out.append(low);
            } else {
                AppendU4(out, r);
            }
        } else if (const std::string_view repl = Lookup(table, r); !repl.empty()) {
            out.append(repl);
        } else if (r == 0x2028 || r == 0x2029) {
            AppendU4(out, r);
        } else {
            out.append(raw);
        }
    });
}

bool IsCssSpace(char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

std::string CssEscape(std::string_view s) {
    return MapRunes(
        s,
        [](std::string& out, char32_t r, std::string_view raw, std::string_view rest) {
            const std::string_view repl = Lookup(kCss, r);
            if (repl.empty()) {
                out.append(raw);
                return;
            }
            out.append(repl);
            // A hex escape ends at the first non-hex character: a space keeps the next one apart.
            if (repl != "\\\\" && (rest.empty() || IsHexDigit(rest[0]) || IsCssSpace(rest[0]))) {
                out += ' ';
            }
        }
    );
}

std::string CssValueFilter(std::string_view s) {
    std::string decoded = DecodeCss(s);
    std::string id;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
        const char c = decoded[i];
        switch (c) {
            case 0:
            case '"':
            case '\'':
            case '(':
            case ')':
            case '/':
            case ';':
            case '@':
            case '[':
            case '\\':
            case ']':
            case '`':
            case '{':
            case '}':
                return std::string(kFilterFailsafe);
            case '-':
                if (i != 0 && decoded[i - 1] == '-') {
                    return std::string(kFilterFailsafe);  // "--" could end an HTML comment
                }
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x80 &&
                    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_')) {
                    id += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
                }
        }
    }
    if (id.find("expression") != std::string::npos || id.find("mozbinding") != std::string::npos) {
        return std::string(kFilterFailsafe);
    }
    return decoded;
}

void AppendJsonString(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const Rune r = DecodeRune(s, i);
        if (r.value < 0x80) {
            const char c = static_cast<char>(r.value);
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '<':
                case '>':
                case '&':
                    AppendU4(out, r.value);
                    break;
                default:
                    if (AppendBackslashEscape(out, r.value, "nrt")) {
                        break;
                    }
                    if (r.value < 0x20) {
                        AppendU4(out, r.value);
                    } else {
                        out += c;
                    }
            }
        } else if (r.value == 0xFFFD && r.width == 1) {
            out += "\\ufffd";  // invalid UTF-8
        } else if (r.value == 0x2028 || r.value == 0x2029) {
            AppendU4(out, r.value);
        } else {
            out.append(s.substr(i, r.width));
        }
        i += r.width;
    }
    out += '"';
}

// encoding/json's float64: shortest form, exponent only below 1e-6 or from 1e21.
void AppendJsonNumber(std::string& out, double value) {
    std::array<char, 64> buffer{};
    const double magnitude = std::fabs(value);
    const bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
    const auto result = std::to_chars(
        buffer.data(),
        buffer.data() + buffer.size(),
        value,
        exponent ? std::chars_format::scientific : std::chars_format::fixed
    );
    std::string text(buffer.data(), result.ptr);
    const std::size_t n = text.size();
    if (exponent && n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
        text.erase(n - 2, 1);  // 1e-07 -> 1e-7
    }
    out += text;
}

void AppendJson(std::string& out, const TemplateValue& value) {
    switch (value.Kind()) {
        case ValueKind::kNull:
        case ValueKind::kMissing:  // Go hands the escaper an untyped nil
            out += "null";
            return;
        case ValueKind::kInt:
            out += std::to_string(value.AsInt());
            return;
        case ValueKind::kBool:
            out += value.AsBool() ? "true" : "false";
            return;
        case ValueKind::kNumber:
            AppendJsonNumber(out, value.AsNumber());
            return;
        case ValueKind::kString:
            AppendJsonString(out, value.AsString());
            return;
        case ValueKind::kObject:
            out += '{';
            AppendJoined(out, value.AsObject(), ',', [](std::string& to, const auto& field) {
                AppendJsonString(to, field.first);
                to += ':';
                AppendJson(to, field.second);
            });
            out += '}';
            return;
        case ValueKind::kList:
            out += '[';
            AppendJoined(out, value.AsList(), ',', AppendJson);
            out += ']';
            return;
    }
}

bool IsJsIdentPart(char c) {
    return c == '$' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

// Go's jsValEscaper: JSON, with spaces around it when it starts or ends like an identifier
// (so "x{{.}}" cannot glue a keyword to a name).
std::string JsValEscape(const TemplateValue& value) {
    std::string json = JsonMarshal(value);
    if (IsJsIdentPart(json.front()) || IsJsIdentPart(json.back())) {
        return " " + json + " ";
    }
    return json;
}

}  // namespace

std::string JsonMarshal(const TemplateValue& value) {
    std::string out;
    AppendJson(out, value);
    return out;
}

std::string EscapeString(Escaper escaper, std::string_view s) {
    switch (escaper) {
        case Escaper::kHtml:
        case Escaper::kAttr:
        case Escaper::kRcdata:
            return HtmlEscape(s, true);
        case Escaper::kNospace:
            return NospaceEscape(s);
        case Escaper::kComment:
            return {};
        case Escaper::kHtmlNameFilter:
            return HtmlNameFilter(s);
        case Escaper::kUrlFilter:
            return IsSafeUrl(s) ? std::string(s) : "#" + std::string(kFilterFailsafe);
        case Escaper::kUrlNormalizer:
        case Escaper::kUrlEscaper: {
            std::string out;
            ProcessUrlOnto(s, escaper == Escaper::kUrlNormalizer, out);
            return out;
        }
        case Escaper::kSrcset:
            return SrcsetEscape(s);
        case Escaper::kJsVal:
            return JsValEscape(TemplateValue::String(std::string(s)));
        case Escaper::kJsStr:
            return JsReplace(s, kJsStr);
        case Escaper::kJsRegexp: {
            std::string out = JsReplace(s, kJsRegexp);
            return out.empty() ? "(?:)" : out;
        }
        case Escaper::kCss:
            return CssEscape(s);
        case Escaper::kCssValueFilter:
            return CssValueFilter(s);
        case Escaper::kPredefinedHtml:
            return HtmlEscape(s, false);
        case Escaper::kPredefinedUrlquery:
            return QueryEscape(s);
    }
    return {};
}

std::string ApplyEscapers(const std::vector<Escaper>& chain, const TemplateValue& value) {
    if (chain.empty()) {
        return Stringify(value);
    }
    std::string text;
    switch (chain.front()) {
        case Escaper::kJsVal:
            text = JsValEscape(value);
            break;
        case Escaper::kPredefinedHtml:
        case Escaper::kPredefinedUrlquery:
            // text/template's html and urlquery format their argument as its evalArgs does.
            text = EscapeString(chain.front(), BuiltinEvalArgs({value}, kTemplateMaxTextBytes));
            break;
        default:
            text = EscapeString(chain.front(), Stringify(value));
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
        text = EscapeString(chain[i], text);
    }
    return text;
}

}  // namespace gotrue::mailer::go_template_internal
