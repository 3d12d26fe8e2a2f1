#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mailer/go_template/format_internal.hpp"
#include "mailer/go_template/source_internal.hpp"

namespace gotrue::mailer::go_template_internal {
std::string Sprint(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < values.size() && out.size() <= max_bytes; ++i) {
        if (i > 0 && values[i - 1].Kind() != ValueKind::kString &&
            values[i].Kind() != ValueKind::kString) {
            out += ' ';
        }
        out += Format(values[i]);
    }
    return out;
}

std::string Sprintln(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < values.size() && out.size() <= max_bytes; ++i) {
        if (i > 0) {
            out += ' ';
        }
        out += Format(values[i]);
    }
    out += '\n';
    return out;
}

std::string EvalArgs(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    if (values.size() == 1 && values.front().Kind() == ValueKind::kString) {
        return values.front().AsString();
    }
    return Sprint(values, max_bytes);
}

std::string BuiltinEvalArgs(std::vector<TemplateValue> values, std::size_t max_bytes) {
    for (TemplateValue& value : values) {
        if (value.IsNil()) {
            value = TemplateValue::String("<no value>");
        }
    }
    return EvalArgs(values, max_bytes);
}

std::string HtmlEscape(std::string_view text, bool escape_plus) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '\0':
                out += "\xEF\xBF\xBD";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '+':
                out += escape_plus ? "&#43;" : "+";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string QueryEscape(std::string_view text) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        if (IsIdentChar(c) || c == '-' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
    return out;
}

}  // namespace gotrue::mailer::go_template_internal
