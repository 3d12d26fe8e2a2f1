#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mailer/go_template/lexer_internal.hpp"
#include "text/ascii.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

std::string DescribeChar(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
        return std::string("'") + c + "'";
    }
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

std::string_view TrimLeftSpace(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && IsSpace(text[i])) {
        ++i;
    }
    return text.substr(i);
}

std::string_view TrimRightSpace(std::string_view text) {
    std::size_t n = text.size();
    while (n > 0 && IsSpace(text[n - 1])) {
        --n;
    }
    return text.substr(0, n);
}

// Splits the source into text and action tokens in one flat pass (no recursion).
class Lexer {
public:
    explicit Lexer(const Source& source) : source_(source), src_(source.Text()) {}

    [[nodiscard]] std::vector<Token> Run() {
        bool trim_text_left = false;  // the previous action ended with " -}}"
        std::size_t pos = 0;
        while (true) {
            const std::size_t open = src_.find("{{", pos);
            const std::size_t text_end = open == std::string_view::npos ? src_.size() : open;
            std::string_view text = src_.substr(pos, text_end - pos);
            if (trim_text_left) {
                text = TrimLeftSpace(text);
            }
            if (open == std::string_view::npos) {
                EmitText(text, pos);
                break;
            }
            const bool trim_text_right = HasLeftTrimMarker(open + 2);
            if (trim_text_right) {
                text = TrimRightSpace(text);
            }
            EmitText(text, pos);
            const std::size_t inside = open + 2 + (trim_text_right ? 2 : 0);
            if (StartsWith(inside, "/*")) {
                pos = LexComment(open, inside, trim_text_left);
                continue;
            }
            Push(Tok::kLeftDelim, open, 2);
            pos = LexAction(open, inside, trim_text_left);
        }
        Push(Tok::kEof, src_.size(), 0);
        return std::move(tokens_);
    }

private:
    [[nodiscard]] bool StartsWith(std::size_t pos, std::string_view prefix) const {
        return pos <= src_.size() && src_.substr(pos, prefix.size()) == prefix;
    }

    // Go's rule: "{{-" trims only when followed by a space character.
    [[nodiscard]] bool HasLeftTrimMarker(std::size_t pos) const {
        return pos + 1 < src_.size() && src_[pos] == '-' && IsSpace(src_[pos + 1]);
    }

    // Length of the right delimiter at pos ("}}" or " -}}"), 0 if none.
    [[nodiscard]] std::size_t RightDelimAt(std::size_t pos, bool& trim) const {
        if (StartsWith(pos, "}}")) {
            trim = false;
            return 2;
        }
        if (pos + 1 < src_.size() && IsSpace(src_[pos]) && src_[pos + 1] == '-' &&
            StartsWith(pos + 2, "}}")) {
            trim = true;
            return 4;
        }
        return 0;
    }

    void EmitText(std::string_view text, std::size_t offset) {
        if (text.empty()) {
            return;
        }
        Token token;
        token.type = Tok::kText;
        token.offset = offset;
        token.value = std::string(text);
        tokens_.push_back(std::move(token));
    }

    Token& Push(Tok type, std::size_t offset, std::size_t length, bool space_before = false) {
        Token token;
        token.type = type;
        token.offset = offset;
        token.raw = src_.substr(offset, length);
        token.space_before = space_before;
        tokens_.push_back(std::move(token));
        return tokens_.back();
    }

    std::size_t LexComment(std::size_t open, std::size_t inside, bool& trim_text_left) {
        const std::size_t close = src_.find("*/", inside + 2);
        if (close == std::string_view::npos) {
            source_.Fail(open, "unclosed comment");
        }
        bool trim = false;
        const std::size_t delim = RightDelimAt(close + 2, trim);
        if (delim == 0) {
            source_.Fail(close, "comment ends before closing delimiter");
        }
        trim_text_left = trim;
        return close + 2 + delim;
    }

    // Lexes from just inside "{{" through the closing delimiter; returns the offset after it.
    std::size_t LexAction(std::size_t open, std::size_t pos, bool& trim_text_left) {
        int paren_depth = 0;
        bool space = true;
        while (true) {
            if (pos >= src_.size()) {
                source_.Fail(open, "unclosed action");
            }
            bool trim = false;
            if (const std::size_t delim = RightDelimAt(pos, trim); delim > 0) {
                if (paren_depth > 0) {
                    source_.Fail(pos, "unclosed left paren");
                }
                Push(Tok::kRightDelim, pos, delim, space);
                trim_text_left = trim;
                return pos + delim;
            }
            const char c = src_[pos];
            if (IsSpace(c)) {
                space = true;
                ++pos;
                continue;
            }
            if (c == '"') {
                pos = LexQuoted(pos, space);
            } else if (c == '`') {
                pos = LexRaw(pos, space);
            } else if (c == '\'') {
                pos = LexQuoted(pos, space);
            } else if (StartsNumber(pos)) {
                pos = LexNumber(pos, space);
            } else if (c == '.' || c == '$' || IsIdentStart(c)) {
                pos = LexWord(pos, space);
            } else {
                pos = LexPunctuation(pos, space, paren_depth);
            }
            space = false;
        }
    }

    // A field (.Name), dot, variable ($x) or identifier; returns the offset after it.
    std::size_t LexWord(std::size_t pos, bool space) {
        const std::size_t start = pos;
        const char c = src_[pos];
        if (c == '.') {
            ++pos;
            if (pos < src_.size() && IsIdentStart(src_[pos])) {
                while (pos < src_.size() && IsIdentChar(src_[pos])) {
                    ++pos;
                }
                Push(Tok::kField, start, pos - start, space).value =
                    std::string(src_.substr(start + 1, pos - start - 1));
            } else {
                Push(Tok::kDot, start, 1, space);
            }
        } else {
            const Tok type = c == '$' ? Tok::kVariable : Tok::kIdentifier;
            ++pos;  // '$' or the identifier's first character
            while (pos < src_.size() && IsIdentChar(src_[pos])) {
                ++pos;
            }
            Push(type, start, pos - start, space).value =
                std::string(src_.substr(start, pos - start));
        }
        CheckTerminator(pos);
        return pos;
    }

    // Parentheses (counted in paren_depth), |, :=, = and ","; returns the offset after it.
    std::size_t LexPunctuation(std::size_t pos, bool space, int& paren_depth) {
        const char c = src_[pos];
        if (c == '(') {
            if (++paren_depth > kMaxNestingDepth) {
                source_.Fail(pos, "parentheses nested too deeply");
            }
            Push(Tok::kLeftParen, pos, 1, space);
        } else if (c == ')') {
            if (paren_depth == 0) {
                source_.Fail(pos, "unexpected right paren");
            }
            --paren_depth;
            Push(Tok::kRightParen, pos, 1, space);
        } else if (c == '|') {
            Push(Tok::kPipe, pos, 1, space);
        } else if (c == ':' && StartsWith(pos, ":=")) {
            Push(Tok::kDeclare, pos, 2, space);
            return pos + 2;
        } else if (c == '=') {
            Push(Tok::kAssign, pos, 1, space);
        } else if (c == ',') {
            Push(Tok::kComma, pos, 1, space);
        } else {
            source_.Fail(pos, "unrecognized character in action: " + DescribeChar(c));
        }
        return pos + 1;
    }

    // Identifiers, fields and variables must be followed by a separator, as in Go.
    void CheckTerminator(std::size_t pos) const {
        if (pos >= src_.size()) {
            return;
        }
        const char c = src_[pos];
        bool trim = false;
        if (IsSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' ||
            RightDelimAt(pos, trim) > 0) {
            return;
        }
        source_.Fail(pos, "bad character " + DescribeChar(c));
    }

    [[nodiscard]] bool StartsNumber(std::size_t pos) const {
        const auto digit_at = [&](std::size_t i) {
            return i < src_.size() && IsDigit(src_[i]);
        };
        const char c = src_[pos];
        if (IsDigit(c)) {
            return true;
        }
        if (c == '.') {
            return digit_at(pos + 1);
        }
        if (c == '+' || c == '-') {
            return digit_at(pos + 1) ||
                   (pos + 1 < src_.size() && src_[pos + 1] == '.' && digit_at(pos + 2));
        }
        return false;
    }

    std::size_t LexNumber(std::size_t pos, bool space) {
        const std::size_t start = pos;
        bool negative = false;
        if (src_[pos] == '+' || src_[pos] == '-') {
            negative = src_[pos] == '-';
            ++pos;
        }
        const std::size_t body = pos;
        enum class Form { kDecimal, kOctal, kHex, kBinary, kFloat } form = Form::kDecimal;
        const auto digit_run = [&](bool hex) {
            while (pos < src_.size() && (IsDigit(src_[pos]) || src_[pos] == '_' ||
                                         (hex && text::HexValue(src_[pos]) >= 0))) {
                ++pos;
            }
        };
        const char prefix =
            pos + 1 < src_.size() && src_[pos] == '0' ? text::AsciiLower(src_[pos + 1]) : '\0';
        const bool prefixed = prefix == 'x' || prefix == 'o' || prefix == 'b';
        if (prefixed) {
            form = prefix == 'x' ? Form::kHex : prefix == 'o' ? Form::kOctal : Form::kBinary;
            pos += 2;
            digit_run(prefix == 'x');
        } else {
            digit_run(false);
            if (pos < src_.size() && src_[pos] == '.') {
                form = Form::kFloat;
                ++pos;
                digit_run(false);
            }
            if (pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
                form = Form::kFloat;
                ++pos;
                if (pos < src_.size() && (src_[pos] == '+' || src_[pos] == '-')) {
                    ++pos;
                }
                const std::size_t exponent = pos;
                while (pos < src_.size() && IsDigit(src_[pos])) {
                    ++pos;
                }
                if (pos == exponent) {
                    BadNumber(start, pos);
                }
            }
            if (form == Form::kDecimal && pos - body > 1 && src_[body] == '0') {
                form = Form::kOctal;
            }
        }
        if (pos < src_.size() && (IsIdentChar(src_[pos]) || src_[pos] == '.')) {
            BadNumber(start, pos);
        }
        const std::string_view digits = src_.substr(body, pos - body);
        const std::string clean = WithoutUnderscores(digits, start, pos);
        double value = 0;
        std::int64_t int_value = 0;
        if (form == Form::kFloat) {
            const auto [end, error] =
                std::from_chars(clean.data(), clean.data() + clean.size(), value);
            if (error != std::errc() || end != clean.data() + clean.size()) {
                source_.Fail(start, "number out of range: " + std::string(digits));
            }
        } else {
            const int base = form == Form::kHex      ? 16
                             : form == Form::kOctal  ? 8
                             : form == Form::kBinary ? 2
                                                     : 10;
            const std::string_view magnitude = std::string_view(clean).substr(prefixed ? 2 : 0);
            std::uint64_t integer = 0;
            const auto [end, error] = std::from_chars(
                magnitude.data(), magnitude.data() + magnitude.size(), integer, base
            );
            if (error == std::errc::result_out_of_range) {
                source_.Fail(start, "integer overflow: " + std::string(digits));
            }
            if (magnitude.empty() || error != std::errc() ||
                end != magnitude.data() + magnitude.size()) {
                BadNumber(start, pos);
            }
            const std::uint64_t limit =
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) +
                (negative ? 1 : 0);
            if (integer > limit) {
                source_.Fail(start, "integer overflow: " + std::string(digits));
            }
            value = static_cast<double>(integer);
            int_value = negative ? static_cast<std::int64_t>(0 - integer)
                                 : static_cast<std::int64_t>(integer);
        }
        Token& token = Push(Tok::kNumber, start, pos - start, space);
        token.number = negative ? -value : value;
        token.is_int = form != Form::kFloat;
        token.integer = int_value;
        return pos;
    }

    // Go allows '_' between digits (and after a base prefix): 1_000, 0x_FF.
    std::string WithoutUnderscores(std::string_view digits, std::size_t start, std::size_t pos)
        const {
        std::string clean;
        for (std::size_t i = 0; i < digits.size(); ++i) {
            if (digits[i] != '_') {
                clean += digits[i];
                continue;
            }
            const bool after_digit = i > 0 && text::HexValue(digits[i - 1]) >= 0;
            const bool after_prefix = i == 2 && digits[0] == '0';
            const bool before_digit = i + 1 < digits.size() && text::HexValue(digits[i + 1]) >= 0;
            if (!(after_digit || after_prefix) || !before_digit) {
                BadNumber(start, pos);
            }
        }
        return clean;
    }

    [[noreturn]] void BadNumber(std::size_t start, std::size_t pos) const {
        const std::size_t end = std::min(pos + 1, src_.size());
        source_.Fail(start, "bad number syntax: " + std::string(src_.substr(start, end - start)));
    }

    std::size_t LexQuoted(std::size_t pos, bool space) {
        const std::size_t start = pos++;
        const char quote = src_[start];  // '"' for a string, '\'' for a character constant
        std::string value;
        const auto unterminated = [&] {
            source_.Fail(
                start,
                quote == '"' ? "unterminated quoted string" : "unterminated character constant"
            );
        };
        while (true) {
            if (pos >= src_.size() || src_[pos] == '\n') {
                unterminated();
            }
            const char c = src_[pos++];
            if (c == quote) {
                break;
            }
            if (c != '\\') {
                value += c;
                continue;
            }
            if (pos >= src_.size() || src_[pos] == '\n') {
                unterminated();
            }
            const std::size_t escape = pos - 1;
            const char e = src_[pos++];
            switch (e) {
                case 'a':
                    value += '\a';
                    break;
                case 'b':
                    value += '\b';
                    break;
                case 'f':
                    value += '\f';
                    break;
                case 'n':
                    value += '\n';
                    break;
                case 'r':
                    value += '\r';
                    break;
                case 't':
                    value += '\t';
                    break;
                case 'v':
                    value += '\v';
                    break;
                case '\\':
                    value += '\\';
                    break;
                case '"':
                case '\'':
                    if (e != quote) {
                        source_.Fail(escape, "invalid escape sequence \\" + std::string(1, e));
                    }
                    value += e;
                    break;
                case 'x':
                    value += static_cast<char>(ReadDigits(pos, 2, 16, escape));
                    break;
                case 'u':
                case 'U': {
                    const std::uint32_t code = ReadDigits(pos, e == 'u' ? 4 : 8, 16, escape);
                    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
                        source_.Fail(escape, "invalid Unicode code point in string escape");
                    }
                    AppendUtf8(value, code);
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        --pos;
                        const std::uint32_t byte = ReadDigits(pos, 3, 8, escape);
                        if (byte > 0xFF) {
                            source_.Fail(escape, "octal escape value > 255");
                        }
                        value += static_cast<char>(byte);
                        break;
                    }
                    source_.Fail(escape, "invalid escape sequence \\" + std::string(1, e));
            }
        }
        if (quote == '"') {
            Push(Tok::kString, start, pos - start, space).value = std::move(value);
            return pos;
        }
        // A character constant is Go's int: the rune, or the byte of a \x or octal escape.
        const std::optional<std::int64_t> rune = SingleRune(value);
        if (!rune) {
            source_.Fail(
                start,
                "malformed character constant: " + std::string(src_.substr(start, pos - start))
            );
        }
        Token& token = Push(Tok::kNumber, start, pos - start, space);
        token.is_int = true;
        token.integer = *rune;
        token.number = static_cast<double>(*rune);
        return pos;
    }

    static std::optional<std::int64_t> SingleRune(std::string_view value) {
        if (value.size() == 1) {
            return static_cast<unsigned char>(value[0]);
        }
        const Utf8Rune rune = DecodeUtf8(value);
        if (value.empty() || rune.size != value.size() || rune.size == 1) {
            return std::nullopt;
        }
        return rune.value;
    }

    std::uint32_t ReadDigits(std::size_t& pos, int count, int base, std::size_t escape) const {
        std::uint32_t value = 0;
        for (int i = 0; i < count; ++i) {
            const int digit = pos < src_.size() ? text::HexValue(src_[pos]) : -1;
            if (digit < 0 || digit >= base) {
                source_.Fail(escape, "invalid escape sequence in string");
            }
            value = value * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(digit);
            ++pos;
        }
        return value;
    }

    std::size_t LexRaw(std::size_t pos, bool space) {
        const std::size_t close = src_.find('`', pos + 1);
        if (close == std::string_view::npos) {
            source_.Fail(pos, "unterminated raw quoted string");
        }
        std::string value;
        for (const char c : src_.substr(pos + 1, close - pos - 1)) {
            if (c != '\r') {  // as Go's strconv.Unquote
                value += c;
            }
        }
        Push(Tok::kString, pos, close + 1 - pos, space).value = std::move(value);
        return close + 1;
    }

    const Source& source_;
    std::string_view src_;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> Lex(const Source& source) {
    return Lexer(source).Run();
}

}  // namespace gotrue::mailer::go_template_internal
