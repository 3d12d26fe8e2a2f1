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
namespace {

std::string FormatNumber(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    std::array<char, 64> buffer{};
    // Go's %v: integral values print without exponent below 1e21, like JSON numbers do.
    const bool integral = std::trunc(value) == value && std::fabs(value) < 1e21;
    const auto result =
        integral
            ? std::to_chars(
                  buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed
              )
            : std::to_chars(
                  buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::general
              );
    return std::string(buffer.data(), result.ptr);
}

// Go's fmt %v for the values a template sees.
void AppendFormatted(std::string& out, const TemplateValue& value) {
    switch (value.Kind()) {
        case ValueKind::kNull:
            out += "<nil>";
            return;
        case ValueKind::kBool:
            out += value.AsBool() ? "true" : "false";
            return;
        case ValueKind::kNumber:
            out += FormatNumber(value.AsNumber());
            return;
        case ValueKind::kString:
            out += value.AsString();
            return;
        case ValueKind::kObject:
            out += "map[";
            AppendJoined(out, value.AsObject(), ' ', [](std::string& to, const auto& field) {
                to += field.first;
                to += ':';
                AppendFormatted(to, field.second);
            });
            out += ']';
            return;
        case ValueKind::kList:
            out += '[';
            AppendJoined(out, value.AsList(), ' ', AppendFormatted);
            out += ']';
            return;
    }
}

}  // namespace

std::string Format(const TemplateValue& value) {
    std::string out;
    AppendFormatted(out, value);
    return out;
}

std::string Sprint(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < values.size() && out.size() <= max_bytes; ++i) {
        if (i > 0 && values[i - 1].Kind() != ValueKind::kString &&
            values[i].Kind() != ValueKind::kString) {
            out += ' ';
        }
        AppendFormatted(out, values[i]);
    }
    return out;
}

std::string Sprintln(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < values.size() && out.size() <= max_bytes; ++i) {
        if (i > 0) {
            out += ' ';
        }
        AppendFormatted(out, values[i]);
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

std::string_view KindName(ValueKind kind) {
    switch (kind) {
        case ValueKind::kNull:
            return "nil";
        case ValueKind::kBool:
            return "bool";
        case ValueKind::kNumber:
            return "number";
        case ValueKind::kString:
            return "string";
        case ValueKind::kObject:
            return "object";
        case ValueKind::kList:
            return "list";
    }
    return "value";
}

}  // namespace gotrue::mailer::go_template_internal
