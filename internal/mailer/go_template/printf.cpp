// Go's fmt for the values a template sees (float64, int, string, bool, nil, map[string]any,
// []any): %v printing, printf's verbs, flags, width and precision, and the %!verb(...) forms Go
// prints for a wrong verb or argument count. Follows Go's fmt/print.go and fmt/format.go.

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mailer/go_template/format_internal.hpp"
#include "mailer/go_template/source_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

constexpr std::string_view kLowerDigits = "0123456789abcdefx";
constexpr std::string_view kUpperDigits = "0123456789ABCDEFX";
constexpr int kMaxWidth = 1000000;  // fmt's tooLarge

std::size_t RuneCount(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); i += DecodeUtf8(text.substr(i)).size) {
        ++count;
    }
    return count;
}

// At least `digits` hex digits, more when the value needs them.
void AppendHex(std::string& out, std::uint32_t value, int digits, std::string_view alphabet) {
    while (digits < 8 && (value >> (digits * 4)) != 0) {
        ++digits;
    }
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += alphabet[(value >> shift) & 0xFu];
    }
}

// strconv.Quote / QuoteToASCII / QuoteRune: Go escapes, \x for bad bytes, \u and \U for
// unprintable runes (and, ascii_only, for every non-ASCII rune).
std::string Quote(std::string_view text, char quote, bool ascii_only) {
    std::string out(1, quote);
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Rune rune = DecodeUtf8(text.substr(i));
        const char32_t r = rune.value;
        if (r == 0xFFFD && rune.size == 1 && static_cast<unsigned char>(text[i]) >= 0x80) {
            out += "\\x";
            AppendHex(out, static_cast<unsigned char>(text[i]), 2, kLowerDigits);
            i += 1;
            continue;
        }
        i += rune.size;
        if (r == static_cast<char32_t>(quote) || r == '\\') {
            out += '\\';
            out += static_cast<char>(r);
        } else if (ascii_only ? r >= 0x20 && r < 0x7F : IsPrintRune(r)) {
            AppendUtf8(out, r);
        } else if (!AppendBackslashEscape(out, r, "abfnrtv")) {
            if (r < 0x20 || r == 0x7F) {
                out += "\\x";
                AppendHex(out, r, 2, kLowerDigits);
            } else if (r < 0x10000) {
                out += "\\u";
                AppendHex(out, r, 4, kLowerDigits);
            } else {
                out += "\\U";
                AppendHex(out, r, 8, kLowerDigits);
            }
        }
    }
    out += quote;
    return out;
}

// The shortest decimal digits that read back as `value` (> 0), and the decimal point position:
// value = 0.DIGITS * 10^point.
struct Digits {
    std::string digits;
    int point = 0;
};

Digits Shortest(double value) {
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(
        buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::scientific
    );
    const std::string_view text(
        buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data())
    );
    const std::size_t e = text.find('e');
    Digits out;
    for (const char c : text.substr(0, e)) {
        if (c != '.') {
            out.digits += c;
        }
    }
    while (out.digits.size() > 1 && out.digits.back() == '0') {
        out.digits.pop_back();
    }
    int exponent = 0;
    const std::string_view exp_text = text.substr(e + 1);
    const char* first = exp_text.data() + (exp_text.front() == '+' ? 1 : 0);
    std::from_chars(first, exp_text.data() + exp_text.size(), exponent);
    out.point = exponent + 1;
    return out;
}

// strconv's %e from digits: d.ddd (precision decimals, zero-padded) then e±XX.
std::string DigitsToE(const Digits& d, int precision, char e) {
    std::string out(1, d.digits[0]);
    if (precision > 0) {
        out += '.';
        for (int i = 1; i <= precision; ++i) {
            out += static_cast<std::size_t>(i) < d.digits.size()
                       ? d.digits[static_cast<std::size_t>(i)]
                       : '0';
        }
    }
    int exponent = d.digits == "0" ? 0 : d.point - 1;
    out += e;
    out += exponent < 0 ? '-' : '+';
    exponent = std::abs(exponent);
    if (exponent < 10) {
        out += '0';
    }
    out += std::to_string(exponent);
    return out;
}

// strconv's %f from digits, with `precision` decimals.
std::string DigitsToF(const Digits& d, int precision) {
    std::string out;
    const auto digit = [&](int i) {
        return i >= 0 && static_cast<std::size_t>(i) < d.digits.size()
                   ? d.digits[static_cast<std::size_t>(i)]
                   : '0';
    };
    if (d.point > 0) {
        for (int i = 0; i < d.point; ++i) {
            out += digit(i);
        }
    } else {
        out += '0';
    }
    if (precision > 0) {
        out += '.';
        for (int i = 0; i < precision; ++i) {
            out += digit(d.point + i);
        }
    }
    return out;
}

// Digits of |value| rounded to `significant` digits (C's correctly rounded %e).
Digits Rounded(double value, int significant) {
    std::vector<char> buffer(static_cast<std::size_t>(significant) + 32);
    std::snprintf(buffer.data(), buffer.size(), "%.*e", significant - 1, std::fabs(value));
    const std::string text(buffer.data());
    const std::size_t e = text.find('e');
    Digits out;
    for (const char c : text.substr(0, e)) {
        if (c != '.') {
            out.digits += c;
        }
    }
    out.point = std::stoi(text.substr(e + 1)) + 1;
    return out;
}

// strconv.FormatFloat(value, verb, precision, 64) for verb e E f g G; precision -1 = shortest.
std::string FormatFloatVerb(double value, char verb, int precision) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    std::string sign = std::signbit(value) ? "-" : "";
    const double magnitude = std::fabs(value);
    const bool shortest = precision < 0;
    if (verb == 'f') {
        if (shortest) {
            const Digits d = magnitude == 0 ? Digits{"0", 1} : Shortest(magnitude);
            const int decimals = std::max(static_cast<int>(d.digits.size()) - d.point, 0);
            return sign + DigitsToF(d, decimals);
        }
        std::vector<char> buffer(static_cast<std::size_t>(precision) + 400);
        std::snprintf(buffer.data(), buffer.size(), "%.*f", precision, magnitude);
        return sign + buffer.data();
    }
    if (verb == 'e' || verb == 'E') {
        Digits d = magnitude == 0 ? Digits{"0", 1}
                   : shortest     ? Shortest(magnitude)
                                  : Rounded(magnitude, precision + 1);
        const int decimals = shortest ? static_cast<int>(d.digits.size()) - 1 : precision;
        return sign + DigitsToE(d, decimals, verb);
    }
    // g / G
    int eprec = precision;
    if (!shortest && precision == 0) {
        precision = eprec = 1;
    }
    Digits d = magnitude == 0 ? Digits{"0", 1}
               : shortest     ? Shortest(magnitude)
                              : Rounded(magnitude, precision);
    while (d.digits.size() > 1 && d.digits.back() == '0') {
        d.digits.pop_back();
    }
    const int nd = static_cast<int>(d.digits.size());
    if (shortest) {
        eprec = 6;
        precision = nd;
    } else if (eprec > nd && nd >= d.point) {
        eprec = nd;
    }
    const int exponent = d.digits == "0" ? 0 : d.point - 1;
    if (exponent < -4 || exponent >= eprec) {
        return sign + DigitsToE(d, std::min(precision, nd) - 1, verb == 'g' ? 'e' : 'E');
    }
    if (precision > d.point) {
        precision = nd;
    }
    return sign + DigitsToF(d, std::max(precision - d.point, 0));
}

struct Flags {
    bool plus = false;
    bool minus = false;
    bool sharp = false;
    bool space = false;
    bool zero = false;
    bool plus_v = false;
    bool sharp_v = false;
    std::optional<int> width;
    std::optional<int> precision;
};

class Printer {
public:
    explicit Printer(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    std::string Printf(std::string_view format, const std::vector<TemplateValue>& args);

    // printArg(value, verb) with the current flags.
    void PrintArg(const TemplateValue& value, char32_t verb, bool nested);

    std::string Take() { return std::move(out_); }

    Flags flags;

private:
    void Pad(std::string_view text, bool zero) {
        const std::size_t count = RuneCount(text);
        const std::size_t width = flags.width ? static_cast<std::size_t>(*flags.width) : 0;
        const std::size_t padding = width > count ? width - count : 0;
        if (!flags.minus) {
            out_.append(padding, zero ? '0' : ' ');
            out_ += text;
        } else {
            out_ += text;
            out_.append(padding, ' ');
        }
    }

    void PadString(std::string_view text) { Pad(text, flags.zero); }

    void BadVerb(const TemplateValue& value, char32_t verb) {
        out_ += "%!";
        AppendUtf8(out_, verb);
        out_ += '(';
        if (value.IsNil()) {
            out_ += "<nil>";
        } else {
            out_ += TypeName(value);
            out_ += '=';
            PrintArg(value, 'v', false);  // with the verb's flags and width, as Go
        }
        out_ += ')';
    }

    void Integer(const TemplateValue& value, std::int64_t number, char32_t verb) {
        switch (verb) {
            case 'v':
            case 'd':
                return IntegerBase(number, 10, verb, kLowerDigits);
            case 'b':
                return IntegerBase(number, 2, verb, kLowerDigits);
            case 'o':
            case 'O':
                return IntegerBase(number, 8, verb, kLowerDigits);
            case 'x':
                return IntegerBase(number, 16, verb, kLowerDigits);
            case 'X':
                return IntegerBase(number, 16, verb, kUpperDigits);
            case 'c': {
                std::string text;
                AppendUtf8(text, RuneOf(number));
                return PadString(text);
            }
            case 'q': {
                std::string text;
                AppendUtf8(text, RuneOf(number));
                return PadString(Quote(text, '\'', flags.plus));
            }
            case 'U':
                return Unicode(number);
            default:
                return BadVerb(value, verb);
        }
    }

    static char32_t RuneOf(std::int64_t number) {
        return number < 0 || number > 0x10FFFF ? 0xFFFD : static_cast<char32_t>(number);
    }

    void Unicode(std::int64_t number) {
        const auto u = static_cast<std::uint64_t>(number);
        std::string digits;
        for (std::uint64_t rest = u;; rest >>= 4) {
            digits.insert(digits.begin(), kUpperDigits[rest & 0xFu]);
            if (rest < 16) {
                break;
            }
        }
        const std::size_t precision = flags.precision && *flags.precision > 4
                                          ? static_cast<std::size_t>(*flags.precision)
                                          : 4;
        if (digits.size() < precision) {
            digits.insert(0, precision - digits.size(), '0');
        }
        std::string text = "U+" + digits;
        if (flags.sharp && u <= 0x10FFFF && IsPrintRune(static_cast<char32_t>(u))) {
            text += " '";
            AppendUtf8(text, static_cast<char32_t>(u));
            text += '\'';
        }
        Pad(text, false);
    }

    // fmt.fmtInteger.
    void IntegerBase(std::int64_t number, unsigned base, char32_t verb, std::string_view digits) {
        const bool negative = number < 0;
        std::uint64_t u =
            negative ? 0 - static_cast<std::uint64_t>(number) : static_cast<std::uint64_t>(number);
        int precision = 0;
        if (flags.precision) {
            precision = *flags.precision;
            if (precision == 0 && u == 0) {
                out_.append(static_cast<std::size_t>(flags.width.value_or(0)), ' ');
                return;
            }
        } else if (flags.zero && flags.width) {
            precision = *flags.width;
            if (negative || flags.plus || flags.space) {
                --precision;
            }
        }
        std::string text;
        do {
            text.insert(text.begin(), digits[u % base]);
            u /= base;
        } while (u != 0);
        while (static_cast<int>(text.size()) < precision) {
            text.insert(text.begin(), '0');
        }
        if (flags.sharp) {
            if (base == 2) {
                text.insert(0, "0b");
            } else if (base == 8 && text.front() != '0') {
                text.insert(0, "0");
            } else if (base == 16) {
                text.insert(0, std::string{'0', digits[16]});
            }
        }
        if (verb == 'O') {
            text.insert(0, "0o");
        }
        if (negative) {
            text.insert(0, "-");
        } else if (flags.plus) {
            text.insert(0, "+");
        } else if (flags.space) {
            text.insert(0, " ");
        }
        Pad(text, false);
    }

    void Float(const TemplateValue& value, double number, char32_t verb) {
        switch (verb) {
            case 'v':
                return FloatVerb(number, 'g', -1);
            case 'g':
            case 'G':
                return FloatVerb(number, static_cast<char>(verb), -1);
            case 'e':
            case 'E':
            case 'f':
                return FloatVerb(number, static_cast<char>(verb), 6);
            case 'F':
                return FloatVerb(number, 'f', 6);
            case 'b':
            case 'x':
            case 'X':
                throw UnsupportedFormat(
                    "%" + std::string(1, static_cast<char>(verb)) + " of a float64"
                );
            default:
                return BadVerb(value, verb);
        }
    }

    // fmt.fmtFloat.
    void FloatVerb(double number, char verb, int precision) {
        if (flags.precision) {
            precision = *flags.precision;
        }
        if (flags.sharp || flags.sharp_v) {
            throw UnsupportedFormat("%# of a float64");
        }
        std::string num = FormatFloatVerb(number, verb, precision);
        if (num.front() != '-' && num.front() != '+') {
            num.insert(0, "+");
        }
        if (flags.space && num.front() == '+' && !flags.plus) {
            num.front() = ' ';
        }
        if (num[1] == 'I' || num[1] == 'N') {
            if (num[1] == 'N' && !flags.space && !flags.plus) {
                num.erase(0, 1);
            }
            return Pad(num, false);
        }
        if (flags.plus || num.front() != '+') {
            if (flags.zero && flags.width && static_cast<std::size_t>(*flags.width) > num.size()) {
                out_ += num.front();
                out_.append(static_cast<std::size_t>(*flags.width) - num.size(), '0');
                out_ += num.substr(1);
                return;
            }
            return Pad(num, false);
        }
        Pad(std::string_view(num).substr(1), flags.zero);
    }

    void String(const TemplateValue& value, const std::string& text, char32_t verb) {
        switch (verb) {
            case 'v':
                if (flags.sharp_v) {
                    return QuoteString(text);
                }
                return PadString(Truncate(text));
            case 's':
                return PadString(Truncate(text));
            case 'x':
                return HexString(text, kLowerDigits);
            case 'X':
                return HexString(text, kUpperDigits);
            case 'q':
                return QuoteString(text);
            default:
                return BadVerb(value, verb);
        }
    }

    [[nodiscard]] std::string_view Truncate(std::string_view text) const {
        if (!flags.precision) {
            return text;
        }
        int left = *flags.precision;
        for (std::size_t i = 0; i < text.size(); i += DecodeUtf8(text.substr(i)).size) {
            if (--left < 0) {
                return text.substr(0, i);
            }
        }
        return text;
    }

    void QuoteString(std::string_view text) {
        text = Truncate(text);
        if (flags.sharp && CanBackquote(text)) {
            return PadString("`" + std::string(text) + "`");
        }
        PadString(Quote(text, '"', flags.plus));
    }

    static bool CanBackquote(std::string_view text) {
        for (std::size_t i = 0; i < text.size();) {
            const Utf8Rune rune = DecodeUtf8(text.substr(i));
            if (rune.value == 0xFFFD && rune.size == 1 &&
                static_cast<unsigned char>(text[i]) >= 0x80) {
                return false;
            }
            if (rune.value == '`' || rune.value == 0xFEFF ||
                (rune.value < ' ' && rune.value != '\t') || rune.value == 0x7F) {
                return false;
            }
            i += rune.size;
        }
        return true;
    }

    // fmt.fmtSbx for a string.
    void HexString(std::string_view text, std::string_view digits) {
        std::size_t length = text.size();
        if (flags.precision && static_cast<std::size_t>(*flags.precision) < length) {
            length = static_cast<std::size_t>(*flags.precision);
        }
        std::size_t width = 2 * length;
        const std::size_t wanted = static_cast<std::size_t>(flags.width.value_or(0));
        if (width == 0) {
            out_.append(wanted, flags.zero ? '0' : ' ');
            return;
        }
        if (flags.space) {
            width = (flags.sharp ? width * 2 : width) + length - 1;
        } else if (flags.sharp) {
            width += 2;
        }
        if (wanted > width && !flags.minus) {
            out_.append(wanted - width, flags.zero ? '0' : ' ');
        }
        if (flags.sharp) {
            out_ += '0';
            out_ += digits[16];
        }
        for (std::size_t i = 0; i < length; ++i) {
            if (flags.space && i > 0) {
                out_ += ' ';
                if (flags.sharp) {
                    out_ += '0';
                    out_ += digits[16];
                }
            }
            const auto c = static_cast<unsigned char>(text[i]);
            out_ += digits[c >> 4];
            out_ += digits[c & 0xFu];
        }
        if (wanted > width && flags.minus) {
            out_.append(wanted - width, ' ');
        }
    }

    std::string out_;
    std::size_t max_bytes_;
};

void Printer::PrintArg(const TemplateValue& value, char32_t verb, bool nested) {
    if (out_.size() > max_bytes_) {
        return;  // the caller fails the render
    }
    if (verb == 'T' && !nested) {
        return PadString(Truncate(TypeName(value)));
    }
    if (verb == 'p') {
        throw UnsupportedFormat("%p");
    }
    if (flags.sharp_v && (value.IsNil() || value.Kind() == ValueKind::kObject ||
                          value.Kind() == ValueKind::kList || value.Kind() == ValueKind::kNumber)) {
        throw UnsupportedFormat("%#v of a " + std::string(TypeName(value)));
    }
    switch (value.Kind()) {
        case ValueKind::kNull:
        case ValueKind::kMissing:
            if (nested) {
                out_ += "<nil>";  // a nil element of a map or list: any verb, no padding (print.go)
                return;
            }
            if (verb == 'v' || verb == 'T') {
                return PadString("<nil>");
            }
            return BadVerb(value, verb);
        case ValueKind::kBool:
            if (verb == 't' || verb == 'v') {
                return PadString(value.AsBool() ? "true" : "false");
            }
            return BadVerb(value, verb);
        case ValueKind::kInt:
            return Integer(value, value.AsInt(), verb);
        case ValueKind::kNumber:
            return Float(value, value.AsNumber(), verb);
        case ValueKind::kString:
            return String(value, value.AsString(), verb);
        case ValueKind::kObject: {
            out_ += "map[";
            bool first = true;
            for (const auto& [key, item] : value.AsObject()) {
                if (!first) {
                    out_ += ' ';
                }
                first = false;
                PrintArg(TemplateValue::String(key), verb, true);
                out_ += ':';
                PrintArg(item, verb, true);
            }
            out_ += ']';
            return;
        }
        case ValueKind::kList: {
            out_ += '[';
            bool first = true;
            for (const TemplateValue& item : value.AsList()) {
                if (!first) {
                    out_ += ' ';
                }
                first = false;
                PrintArg(item, verb, true);
            }
            out_ += ']';
            return;
        }
    }
}

// fmt's parsenum: digits at `i`; nullopt when none or too large.
std::optional<int> ParseNumber(std::string_view format, std::size_t& i) {
    if (i >= format.size() || format[i] < '0' || format[i] > '9') {
        return std::nullopt;
    }
    int number = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        if (number > kMaxWidth) {
            i = format.size();
            return std::nullopt;
        }
        number = number * 10 + (format[i] - '0');
        ++i;
    }
    return number;
}

std::string Printer::Printf(std::string_view format, const std::vector<TemplateValue>& args) {
    std::size_t arg = 0;
    bool after_index = false;
    bool reordered = false;
    const auto int_from_arg = [&](std::optional<int>& target) {
        target.reset();
        if (arg < args.size()) {
            const TemplateValue& value = args[arg];
            if (value.Kind() == ValueKind::kInt && value.AsInt() >= -kMaxWidth &&
                value.AsInt() <= kMaxWidth) {
                target = static_cast<int>(value.AsInt());
            }
            ++arg;
        }
    };
    // fmt's argNumber: "[n]" at i; false when the index is bad.
    const auto arg_number = [&](std::size_t& i, bool& good) {
        if (i >= format.size() || format[i] != '[') {
            return false;
        }
        reordered = true;
        const std::size_t close = format.find(']', i + 1);
        if (format.size() - i < 3 || close == std::string_view::npos) {
            good = false;
            i += 1;
            return false;
        }
        std::size_t j = i + 1;
        const std::optional<int> index = ParseNumber(format, j);
        const bool ok = index && j == close;
        i = close + 1;
        if (ok && *index >= 1 && static_cast<std::size_t>(*index) <= args.size()) {
            arg = static_cast<std::size_t>(*index - 1);
            return true;
        }
        good = false;
        return ok;
    };
    for (std::size_t i = 0; i < format.size();) {
        bool good = true;
        const std::size_t next = format.find('%', i);
        out_ +=
            format.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
        if (next == std::string_view::npos || out_.size() > max_bytes_) {
            break;
        }
        i = next + 1;
        flags = Flags{};
        for (; i < format.size(); ++i) {
            const char c = format[i];
            if (c == '#') {
                flags.sharp = true;
            } else if (c == '0') {
                flags.zero = !flags.minus;
            } else if (c == '+') {
                flags.plus = true;
            } else if (c == '-') {
                flags.minus = true;
                flags.zero = false;
            } else if (c == ' ') {
                flags.space = true;
            } else {
                break;
            }
        }
        after_index = arg_number(i, good);
        if (i < format.size() && format[i] == '*') {
            ++i;
            int_from_arg(flags.width);
            if (!flags.width) {
                out_ += "%!(BADWIDTH)";
            } else if (*flags.width < 0) {
                flags.width = -*flags.width;
                flags.minus = true;
                flags.zero = false;
            }
            after_index = false;
        } else {
            flags.width = ParseNumber(format, i);
            if (after_index && flags.width) {
                good = false;
            }
        }
        if (i + 1 < format.size() && format[i] == '.') {
            ++i;
            if (after_index) {
                good = false;
            }
            after_index = arg_number(i, good);
            if (i < format.size() && format[i] == '*') {
                ++i;
                int_from_arg(flags.precision);
                if (flags.precision && *flags.precision < 0) {
                    flags.precision.reset();
                }
                if (!flags.precision) {
                    out_ += "%!(BADPREC)";
                }
                after_index = false;
            } else {
                flags.precision = ParseNumber(format, i);
                if (!flags.precision) {
                    flags.precision = 0;
                }
            }
        }
        if (!after_index) {
            after_index = arg_number(i, good);
        }
        if (i >= format.size()) {
            out_ += "%!(NOVERB)";
            break;
        }
        const Utf8Rune rune = DecodeUtf8(format.substr(i));
        const char32_t verb = rune.value;
        i += rune.size;
        if (verb == '%') {
            out_ += '%';
        } else if (!good) {
            out_ += "%!";
            AppendUtf8(out_, verb);
            out_ += "(BADINDEX)";
        } else if (arg >= args.size()) {
            out_ += "%!";
            AppendUtf8(out_, verb);
            out_ += "(MISSING)";
        } else {
            if (verb == 'v') {
                flags.sharp_v = flags.sharp;
                flags.sharp = false;
                flags.plus_v = flags.plus;
                flags.plus = false;
            }
            PrintArg(args[arg], verb, false);
            ++arg;
        }
    }
    if (!reordered && arg < args.size()) {
        flags = Flags{};
        out_ += "%!(EXTRA ";
        for (std::size_t j = arg; j < args.size(); ++j) {
            if (j > arg) {
                out_ += ", ";
            }
            if (args[j].IsNil()) {
                out_ += "<nil>";
            } else {
                out_ += TypeName(args[j]);
                out_ += '=';
                PrintArg(args[j], 'v', false);
            }
        }
        out_ += ')';
    }
    return Take();
}

}  // namespace

UnsupportedFormat::UnsupportedFormat(const std::string& what)
    : std::runtime_error("printf: " + what + " is not supported") {}

bool AppendBackslashEscape(std::string& out, char32_t r, std::string_view letters) {
    static constexpr std::string_view kControls = "\a\b\f\n\r\t\v";
    static constexpr std::string_view kLetters = "abfnrtv";
    const std::size_t at = kControls.find(static_cast<char>(r));
    if (r >= 0x20 || at == std::string_view::npos ||
        letters.find(kLetters[at]) == std::string_view::npos) {
        return false;
    }
    out += '\\';
    out += kLetters[at];
    return true;
}

std::string Format(const TemplateValue& value) {
    Printer printer(std::numeric_limits<std::size_t>::max());
    printer.PrintArg(value, 'v', false);
    return printer.Take();
}

std::string FormatNumber(double value) {
    return FormatFloatVerb(value, 'g', -1);
}

std::string Sprintf(
    std::string_view format, const std::vector<TemplateValue>& args, std::size_t max_bytes
) {
    return Printer(max_bytes).Printf(format, args);
}

std::string_view TypeName(const TemplateValue& value) {
    switch (value.Kind()) {
        case ValueKind::kNull:
        case ValueKind::kMissing:
            return "<nil>";
        case ValueKind::kBool:
            return "bool";
        case ValueKind::kNumber:
            return "float64";
        case ValueKind::kInt:
            return "int";
        case ValueKind::kString:
            return "string";
        case ValueKind::kObject:
            return "map[string]interface {}";
        case ValueKind::kList:
            return "[]interface {}";
    }
    return "<nil>";
}

// unicode.IsPrint, approximated without Unicode's tables: control and format characters,
// separators other than the ASCII space, surrogates, private use and non-characters are not
// printable; every other code point is taken as printable.
bool IsPrintRune(char32_t r) {
    if (r < 0x20 || (r >= 0x7F && r <= 0xA0) || r == 0xAD) {
        return false;
    }
    if (r < 0x100) {
        return true;
    }
    constexpr std::array<std::pair<char32_t, char32_t>, 18> kNotPrintable{{
        {0x600, 0x605},
        {0x61C, 0x61C},
        {0x6DD, 0x6DD},
        {0x70F, 0x70F},
        {0x1680, 0x1680},
        {0x180E, 0x180E},
        {0x2000, 0x200F},
        {0x2028, 0x202F},
        {0x205F, 0x206F},
        {0x3000, 0x3000},
        {0xD800, 0xF8FF},
        {0xFEFF, 0xFEFF},
        {0xFFF9, 0xFFFB},
        {0xFFFE, 0xFFFF},
        {0x110BD, 0x110BD},
        {0x1BCA0, 0x1BCA3},
        {0xE0000, 0xE007F},
        {0xF0000, 0x10FFFF},
    }};
    for (const auto& [low, high] : kNotPrintable) {
        if (r >= low && r <= high) {
            return false;
        }
    }
    return true;
}

std::string JsEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
                case '\\':
                    out += "\\\\";
                    break;
                case '\'':
                    out += "\\'";
                    break;
                case '"':
                    out += "\\\"";
                    break;
                case '<':
                    out += "\\u003C";
                    break;
                case '>':
                    out += "\\u003E";
                    break;
                case '&':
                    out += "\\u0026";
                    break;
                case '=':
                    out += "\\u003D";
                    break;
                default:
                    if (c < ' ') {
                        out += "\\u00";
                        AppendHex(out, c, 2, kUpperDigits);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        const Utf8Rune rune = DecodeUtf8(text.substr(i));
        if (IsPrintRune(rune.value)) {
            out += text.substr(i, rune.size);
        } else {
            out += "\\u";
            AppendHex(out, rune.value, 4, kUpperDigits);
        }
        i += rune.size;
    }
    return out;
}

}  // namespace gotrue::mailer::go_template_internal
