#include "mailer/go_template.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "text/ascii.hpp"

namespace gotrue::mailer {

// ---------------------------------------------------------------------------------------------
// TemplateValue

TemplateValue TemplateValue::Bool(bool value) {
    TemplateValue result;
    result.value_ = value;
    return result;
}

TemplateValue TemplateValue::Number(double value) {
    TemplateValue result;
    result.value_ = value;
    return result;
}

TemplateValue TemplateValue::String(std::string value) {
    TemplateValue result;
    result.value_ = std::make_shared<const std::string>(std::move(value));
    return result;
}

TemplateValue TemplateValue::Object(Map fields) {
    TemplateValue result;
    result.value_ = std::make_shared<const Map>(std::move(fields));
    return result;
}

TemplateValue TemplateValue::List(Array items) {
    TemplateValue result;
    result.value_ = std::make_shared<const Array>(std::move(items));
    return result;
}

bool TemplateValue::AsBool() const {
    if (Kind() != ValueKind::kBool) {
        throw std::logic_error("TemplateValue is not a bool");
    }
    return std::get<bool>(value_);
}

double TemplateValue::AsNumber() const {
    if (Kind() != ValueKind::kNumber) {
        throw std::logic_error("TemplateValue is not a number");
    }
    return std::get<double>(value_);
}

const std::string& TemplateValue::AsString() const {
    if (Kind() != ValueKind::kString) {
        throw std::logic_error("TemplateValue is not a string");
    }
    return *std::get<std::shared_ptr<const std::string>>(value_);
}

const TemplateValue::Map& TemplateValue::AsObject() const {
    if (Kind() != ValueKind::kObject) {
        throw std::logic_error("TemplateValue is not an object");
    }
    return *std::get<std::shared_ptr<const Map>>(value_);
}

const TemplateValue::Array& TemplateValue::AsList() const {
    if (Kind() != ValueKind::kList) {
        throw std::logic_error("TemplateValue is not a list");
    }
    return *std::get<std::shared_ptr<const Array>>(value_);
}

const TemplateValue* TemplateValue::Find(const std::string& key) const {
    if (Kind() != ValueKind::kObject) {
        return nullptr;
    }
    const Map& fields = AsObject();
    const auto found = fields.find(key);
    return found == fields.end() ? nullptr : &found->second;
}

bool TemplateValue::IsTruthy() const {
    switch (Kind()) {
        case ValueKind::kNull:
            return false;
        case ValueKind::kBool:
            return AsBool();
        case ValueKind::kNumber:
            return AsNumber() != 0;
        case ValueKind::kString:
            return !AsString().empty();
        case ValueKind::kObject:
            return !AsObject().empty();
        case ValueKind::kList:
            return !AsList().empty();
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// TemplateError

TemplateError::TemplateError(
    std::string_view template_name, int line, int column, std::string_view message
)
    : std::runtime_error(
          "template: " + std::string(template_name) + ":" + std::to_string(line) + ":" +
          std::to_string(column) + ": " + std::string(message)
      ),
      line_(line),
      column_(column) {}

// ---------------------------------------------------------------------------------------------
// Parsed tree, lexer, parser and executor. A named namespace (not an anonymous one) because
// GoTemplate::Impl holds these types.

namespace go_template_internal {

// Deep nesting (blocks or parentheses) is an error rather than a stack overflow.
constexpr int kMaxNestingDepth = kTemplateMaxNesting;

struct Pos {
    int line = 1;
    int column = 1;
};

// Byte offset -> line:column, and the error constructor that uses it.
class Source {
public:
    Source(std::string_view text, std::string_view name) : text_(text), name_(name) {
        line_starts_.push_back(0);
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n') {
                line_starts_.push_back(i + 1);
            }
        }
    }

    [[nodiscard]] std::string_view Text() const { return text_; }

    [[nodiscard]] Pos At(std::size_t offset) const {
        const auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
        const auto line = static_cast<int>(next - line_starts_.begin());
        const auto column = static_cast<int>(offset - *(next - 1)) + 1;
        return {line, column};
    }

    [[noreturn]] void Fail(std::size_t offset, std::string_view message) const {
        const Pos pos = At(offset);
        throw TemplateError(name_, pos.line, pos.column, message);
    }

    [[noreturn]] void Fail(Pos pos, std::string_view message) const {
        throw TemplateError(name_, pos.line, pos.column, message);
    }

private:
    std::string_view text_;
    std::string name_;
    std::vector<std::size_t> line_starts_;
};

enum class Func {
    kAnd,
    kOr,
    kNot,
    kEq,
    kNe,
    kLt,
    kLe,
    kGt,
    kGe,
    kLen,
    kIndex,
    kHtml,
    kUrlquery,
    kPrint,
    kPrintln,
};

struct FuncSpec {
    std::string_view name;
    Func func;
    std::size_t min_args;
    std::size_t max_args;
};

constexpr std::size_t kVariadic = static_cast<std::size_t>(-1);

constexpr std::array<FuncSpec, 15> kFunctions{{
    {"and", Func::kAnd, 1, kVariadic},
    {"or", Func::kOr, 1, kVariadic},
    {"not", Func::kNot, 1, 1},
    {"eq", Func::kEq, 2, kVariadic},
    {"ne", Func::kNe, 2, 2},
    {"lt", Func::kLt, 2, 2},
    {"le", Func::kLe, 2, 2},
    {"gt", Func::kGt, 2, 2},
    {"ge", Func::kGe, 2, 2},
    {"len", Func::kLen, 1, 1},
    {"index", Func::kIndex, 1, kVariadic},
    {"html", Func::kHtml, 0, kVariadic},
    {"urlquery", Func::kUrlquery, 0, kVariadic},
    {"print", Func::kPrint, 0, kVariadic},
    {"println", Func::kPrintln, 0, kVariadic},
}};

// Go builtins outside the subset get a clearer message than "not defined".
constexpr std::array<std::string_view, 4> kUnsupportedFunctions{"printf", "js", "call", "slice"};

// Keywords that cannot be operands.
constexpr std::array<std::string_view, 10> kKeywords{
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"};

const FuncSpec* FindFunction(std::string_view name) {
    for (const FuncSpec& spec : kFunctions) {
        if (spec.name == name) {
            return &spec;
        }
    }
    return nullptr;
}

const FuncSpec& SpecOf(Func func) {
    return kFunctions.at(static_cast<std::size_t>(func));
}

// --- Parsed tree -----------------------------------------------------------------------------

struct Pipeline;

enum class ExprType { kDot, kField, kVariable, kLiteral, kNil, kFunction, kPipeline };

struct Expr {
    ExprType type = ExprType::kDot;
    Pos pos;
    std::string name;      // variable name ("$x") or function name
    std::size_t slot = 0;  // kVariable: its index in the executor's variable stack
    Func func = Func::kPrint;
    TemplateValue literal;
    std::vector<std::string> fields;  // applied to the base value, left to right
    std::unique_ptr<Pipeline> pipe;   // kPipeline
};

struct Command {
    Pos pos;
    std::vector<Expr> args;  // args[0] is the function, or the only operand
};

enum class DeclKind { kNone, kDeclare, kAssign };

struct Pipeline {
    Pos pos;
    DeclKind decl = DeclKind::kNone;
    std::vector<std::string> vars;
    std::size_t assign_slot = 0;  // kAssign: the assigned variable's stack index
    std::vector<Command> cmds;
};

enum class NodeType { kText, kAction, kIf, kWith, kRange };

struct Node;

// One "if P" / "else if P" arm (likewise with, and range's single arm).
struct Branch {
    Pipeline cond;
    std::vector<Node> body;
};

struct Node {
    NodeType type = NodeType::kText;
    Pos pos;
    std::string text;                // kText
    Pipeline pipe;                   // kAction
    bool output_is_escaped = false;  // kAction ending in html: do not escape twice
    std::vector<Branch> branches;    // kIf, kWith, kRange
    std::vector<Node> else_body;
};

// --- Lexer -----------------------------------------------------------------------------------

enum class Tok {
    kText,
    kLeftDelim,
    kRightDelim,
    kField,
    kDot,
    kIdentifier,
    kVariable,
    kString,
    kNumber,
    kLeftParen,
    kRightParen,
    kPipe,
    kDeclare,
    kAssign,
    kComma,
    kEof,
};

struct Token {
    Tok type = Tok::kEof;
    std::size_t offset = 0;
    std::string_view raw;  // source text, for messages
    std::string value;     // text, field/identifier/variable name, decoded string
    double number = 0;
    bool space_before = false;
};

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

bool IsIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentChar(char c) {
    return IsIdentStart(c) || IsDigit(c);
}

std::string DescribeChar(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
        return std::string("'") + c + "'";
    }
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

void AppendUtf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
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
            const std::size_t start = pos;
            if (c == '"') {
                pos = LexQuoted(pos, space);
            } else if (c == '`') {
                pos = LexRaw(pos, space);
            } else if (c == '\'') {
                source_.Fail(pos, "character constants are not supported");
            } else if (StartsNumber(pos)) {
                pos = LexNumber(pos, space);
            } else if (c == '.') {
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
                CheckTerminator(pos);
            } else if (c == '$') {
                ++pos;
                while (pos < src_.size() && IsIdentChar(src_[pos])) {
                    ++pos;
                }
                Push(Tok::kVariable, start, pos - start, space).value =
                    std::string(src_.substr(start, pos - start));
                CheckTerminator(pos);
            } else if (IsIdentStart(c)) {
                while (pos < src_.size() && IsIdentChar(src_[pos])) {
                    ++pos;
                }
                Push(Tok::kIdentifier, start, pos - start, space).value =
                    std::string(src_.substr(start, pos - start));
                CheckTerminator(pos);
            } else if (c == '(') {
                if (++paren_depth > kMaxNestingDepth) {
                    source_.Fail(pos, "parentheses nested too deeply");
                }
                Push(Tok::kLeftParen, pos++, 1, space);
            } else if (c == ')') {
                if (paren_depth == 0) {
                    source_.Fail(pos, "unexpected right paren");
                }
                --paren_depth;
                Push(Tok::kRightParen, pos++, 1, space);
            } else if (c == '|') {
                Push(Tok::kPipe, pos++, 1, space);
            } else if (c == ':' && StartsWith(pos, ":=")) {
                Push(Tok::kDeclare, pos, 2, space);
                pos += 2;
            } else if (c == '=') {
                Push(Tok::kAssign, pos++, 1, space);
            } else if (c == ',') {
                Push(Tok::kComma, pos++, 1, space);
            } else {
                source_.Fail(pos, "unrecognized character in action: " + DescribeChar(c));
            }
            space = false;
        }
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
        enum class Form { kDecimal, kOctal, kHex, kFloat } form = Form::kDecimal;
        if (StartsWith(pos, "0x") || StartsWith(pos, "0X")) {
            form = Form::kHex;
            pos += 2;
            while (pos < src_.size() && text::HexValue(src_[pos]) >= 0) {
                ++pos;
            }
        } else {
            while (pos < src_.size() && IsDigit(src_[pos])) {
                ++pos;
            }
            if (pos < src_.size() && src_[pos] == '.') {
                form = Form::kFloat;
                ++pos;
                while (pos < src_.size() && IsDigit(src_[pos])) {
                    ++pos;
                }
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
        double value = 0;
        if (form == Form::kFloat) {
            const auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (error != std::errc() || end != digits.data() + digits.size()) {
                source_.Fail(start, "number out of range: " + std::string(digits));
            }
        } else {
            const int base = form == Form::kHex ? 16 : form == Form::kOctal ? 8 : 10;
            const std::string_view magnitude = form == Form::kHex ? digits.substr(2) : digits;
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
            value = static_cast<double>(integer);
        }
        Token& token = Push(Tok::kNumber, start, pos - start, space);
        token.number = negative ? -value : value;
        return pos;
    }

    [[noreturn]] void BadNumber(std::size_t start, std::size_t pos) const {
        const std::size_t end = std::min(pos + 1, src_.size());
        source_.Fail(start, "bad number syntax: " + std::string(src_.substr(start, end - start)));
    }

    std::size_t LexQuoted(std::size_t pos, bool space) {
        const std::size_t start = pos++;
        std::string value;
        const auto unterminated = [&] {
            source_.Fail(start, "unterminated quoted string");
        };
        while (true) {
            if (pos >= src_.size() || src_[pos] == '\n') {
                unterminated();
            }
            const char c = src_[pos++];
            if (c == '"') {
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
                    value += '"';
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
        Push(Tok::kString, start, pos - start, space).value = std::move(value);
        return pos;
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

// --- Parser ----------------------------------------------------------------------------------

std::string Describe(const Token& token) {
    switch (token.type) {
        case Tok::kEof:
            return "EOF";
        case Tok::kText:
            return "text";
        default:
            return "\"" + std::string(token.raw) + "\"";
    }
}

std::string ExprString(const Expr& expr) {
    std::string base;
    switch (expr.type) {
        case ExprType::kDot:
            base = ".";
            break;
        case ExprType::kVariable:
            base = expr.name;
            break;
        case ExprType::kNil:
            base = "nil";
            break;
        case ExprType::kFunction:
            base = expr.name;
            break;
        case ExprType::kPipeline:
            base = "(...)";
            break;
        case ExprType::kLiteral:
            base = "literal";
            break;
        case ExprType::kField:
            break;
    }
    for (const std::string& field : expr.fields) {
        base += "." + field;
    }
    return base;
}

// Recursive descent over the token list. Recursion follows nesting only (blocks, parentheses),
// which is bounded by kMaxNestingDepth; a flat template of any length parses in a loop.
class Parser {
public:
    Parser(std::vector<Token> tokens, const Source& source)
        : tokens_(std::move(tokens)), source_(source) {}

    [[nodiscard]] std::vector<Node> ParseTemplate() {
        Declare("$");
        std::vector<Node> root;
        switch (ParseList(root, 0)) {
            case ListEnd::kEnd:
                source_.Fail(marker_offset_, "unexpected {{end}}");
            case ListEnd::kElse:
                source_.Fail(marker_offset_, "unexpected {{else}}");
            case ListEnd::kEof:
                break;
        }
        return root;
    }

private:
    enum class ListEnd { kEof, kEnd, kElse };

    [[nodiscard]] const Token& Peek(std::size_t ahead = 0) const {
        return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
    }

    const Token& Next() {
        const Token& token = tokens_[pos_];
        if (token.type != Tok::kEof) {
            ++pos_;
        }
        return token;
    }

    void Expect(Tok type, std::string_view context) {
        const Token& token = Next();
        if (token.type != type) {
            source_.Fail(
                token.offset, "unexpected " + Describe(token) + " in " + std::string(context)
            );
        }
    }

    // Parses nodes into `out` until EOF, {{end}} or {{else}} (left unconsumed after "else").
    ListEnd ParseList(std::vector<Node>& out, int depth) {
        while (true) {
            const Token& token = Next();
            if (token.type == Tok::kEof) {
                marker_offset_ = token.offset;
                return ListEnd::kEof;
            }
            if (token.type == Tok::kText) {
                Node node;
                node.type = NodeType::kText;
                node.pos = source_.At(token.offset);
                node.text = token.value;
                out.push_back(std::move(node));
                continue;
            }
            const Token& first = Peek();
            if (first.type == Tok::kIdentifier) {
                const std::string& word = first.value;
                if (word == "end") {
                    marker_offset_ = Next().offset;
                    Expect(Tok::kRightDelim, "end");
                    return ListEnd::kEnd;
                }
                if (word == "else") {
                    marker_offset_ = Next().offset;
                    return ListEnd::kElse;
                }
                if (word == "if" || word == "with" || word == "range") {
                    const NodeType type = word == "if"     ? NodeType::kIf
                                          : word == "with" ? NodeType::kWith
                                                           : NodeType::kRange;
                    out.push_back(ParseControl(type, Next(), depth + 1));
                    continue;
                }
                if (word == "define" || word == "template" || word == "block" || word == "break" ||
                    word == "continue") {
                    source_.Fail(first.offset, "{{" + word + "}} is not supported");
                }
            }
            out.push_back(ParseAction(first.offset));
        }
    }

    Node ParseAction(std::size_t offset) {
        Node node;
        node.type = NodeType::kAction;
        node.pos = source_.At(offset);
        node.pipe = ParsePipeline("command", Tok::kRightDelim, 1, 0);
        const std::vector<Command>& cmds = node.pipe.cmds;
        // html/template: the predefined escapers may only end a pipeline.
        for (std::size_t i = 0; i + 1 < cmds.size(); ++i) {
            const Expr& head = cmds[i].args.front();
            if (head.type == ExprType::kFunction &&
                (head.func == Func::kHtml || head.func == Func::kUrlquery)) {
                source_.Fail(
                    head.pos,
                    "predefined escaper \"" + head.name +
                        "\" disallowed in template (only as the last command of a pipeline)"
                );
            }
        }
        const Expr& last = cmds.back().args.front();
        node.output_is_escaped = last.type == ExprType::kFunction && last.func == Func::kHtml;
        return node;
    }

    Node ParseControl(NodeType type, const Token& keyword, int depth) {
        if (depth > kMaxNestingDepth) {
            source_.Fail(keyword.offset, "actions nested too deeply");
        }
        const std::string name = keyword.value;
        const std::size_t keyword_offset = keyword.offset;
        const std::size_t vars_mark = vars_.size();
        Node node;
        node.type = type;
        node.pos = source_.At(keyword_offset);
        const auto missing_end = [&] {
            source_.Fail(keyword_offset, "unexpected EOF: {{" + name + "}} has no {{end}}");
        };
        const std::size_t max_vars = type == NodeType::kRange ? 2 : 1;
        while (true) {
            Branch branch;
            branch.cond = ParsePipeline(name, Tok::kRightDelim, max_vars, depth);
            if (type == NodeType::kRange && branch.cond.decl == DeclKind::kAssign) {
                source_.Fail(branch.cond.pos, "range can only declare variables with :=");
            }
            node.branches.push_back(std::move(branch));
            // Variables declared in the body end with it; those of the condition stay visible
            // in the later branches, as at run time.
            const std::size_t body_mark = vars_.size();
            const ListEnd end = ParseList(node.branches.back().body, depth);
            PopVariables(body_mark);
            if (end == ListEnd::kEof) {
                missing_end();
            }
            if (end == ListEnd::kEnd) {
                break;
            }
            const Token& after = Peek();
            if (after.type == Tok::kIdentifier && (after.value == "if" || after.value == "with")) {
                const bool chains = (after.value == "if" && type == NodeType::kIf) ||
                                    (after.value == "with" && type == NodeType::kWith);
                if (!chains) {
                    source_.Fail(
                        after.offset,
                        "{{else " + after.value + "}} is not allowed in {{" + name + "}}"
                    );
                }
                Next();
                continue;
            }
            Expect(Tok::kRightDelim, "else");
            // range's variables exist only inside its body.
            PopVariables(type == NodeType::kRange ? vars_mark : body_mark);
            const ListEnd else_end = ParseList(node.else_body, depth);
            PopVariables(vars_mark);
            if (else_end == ListEnd::kEof) {
                missing_end();
            }
            if (else_end == ListEnd::kElse) {
                source_.Fail(marker_offset_, "expected {{end}}; found a second {{else}}");
            }
            break;
        }
        PopVariables(vars_mark);
        return node;
    }

    // Parses "[$x :=] cmd | cmd ..." up to and including `end`.
    Pipeline ParsePipeline(std::string_view context, Tok end, std::size_t max_vars, int depth) {
        Pipeline pipe;
        pipe.pos = source_.At(Peek().offset);
        if (max_vars > 0 && Peek().type == Tok::kVariable) {
            const Tok after = Peek(1).type;
            const bool two_vars = after == Tok::kComma && max_vars >= 2 &&
                                  Peek(2).type == Tok::kVariable && Peek(3).type == Tok::kDeclare;
            if (after == Tok::kDeclare || after == Tok::kAssign) {
                pipe.decl = after == Tok::kDeclare ? DeclKind::kDeclare : DeclKind::kAssign;
                pipe.vars.push_back(Next().value);
                Next();
            } else if (two_vars) {
                pipe.decl = DeclKind::kDeclare;
                pipe.vars.push_back(Next().value);
                Next();
                pipe.vars.push_back(Next().value);
                Next();
            }
            if (pipe.decl == DeclKind::kAssign) {
                const auto slot = SlotOf(pipe.vars.front());
                if (!slot) {
                    source_.Fail(pipe.pos, "undefined variable \"" + pipe.vars.front() + "\"");
                }
                pipe.assign_slot = *slot;
            }
        }
        while (true) {
            if (Peek().type == end) {
                if (pipe.cmds.empty()) {
                    source_.Fail(Peek().offset, "missing value for " + std::string(context));
                }
                break;
            }
            pipe.cmds.push_back(ParseCommand(end, depth));
            if (Peek().type == Tok::kPipe) {
                Next();
                if (Peek().type == end) {
                    source_.Fail(Peek().offset, "missing command after \"|\"");
                }
            }
        }
        Next();  // `end`
        CheckPipeline(pipe);
        if (pipe.decl == DeclKind::kDeclare) {
            for (const std::string& name : pipe.vars) {
                Declare(name);
            }
        }
        return pipe;
    }

    Command ParseCommand(Tok end, int depth) {
        Command cmd;
        cmd.pos = source_.At(Peek().offset);
        while (true) {
            const Token& token = Peek();
            if (token.type == end || token.type == Tok::kPipe) {
                break;
            }
            if (!cmd.args.empty() && !token.space_before) {
                source_.Fail(token.offset, "unexpected " + Describe(token) + " in operand");
            }
            cmd.args.push_back(ParseOperand(depth));
        }
        if (cmd.args.empty()) {
            source_.Fail(Peek().offset, "missing value for command");
        }
        return cmd;
    }

    Expr ParseOperand(int depth) {
        const Token& token = Next();
        Expr expr;
        expr.pos = source_.At(token.offset);
        bool takes_fields = true;
        switch (token.type) {
            case Tok::kField:
                expr.type = ExprType::kField;
                expr.fields.push_back(token.value);
                break;
            case Tok::kDot:
                expr.type = ExprType::kDot;
                takes_fields = false;
                break;
            case Tok::kVariable: {
                const auto slot = SlotOf(token.value);
                if (!slot) {
                    source_.Fail(token.offset, "undefined variable \"" + token.value + "\"");
                }
                expr.type = ExprType::kVariable;
                expr.name = token.value;
                expr.slot = *slot;
                break;
            }
            case Tok::kString:
                expr.type = ExprType::kLiteral;
                expr.literal = TemplateValue::String(token.value);
                takes_fields = false;
                break;
            case Tok::kNumber:
                expr.type = ExprType::kLiteral;
                expr.literal = TemplateValue::Number(token.number);
                takes_fields = false;
                break;
            case Tok::kIdentifier:
                ResolveIdentifier(token, expr);
                takes_fields = false;
                break;
            case Tok::kLeftParen:
                if (depth + 1 > kMaxNestingDepth) {
                    source_.Fail(token.offset, "parentheses nested too deeply");
                }
                expr.type = ExprType::kPipeline;
                expr.pipe = std::make_unique<Pipeline>(
                    ParsePipeline("parenthesized pipeline", Tok::kRightParen, 0, depth + 1)
                );
                break;
            default:
                source_.Fail(token.offset, "unexpected " + Describe(token) + " in operand");
        }
        while (Peek().type == Tok::kField && !Peek().space_before) {
            if (!takes_fields) {
                source_.Fail(Peek().offset, "unexpected . after term " + Describe(token));
            }
            expr.fields.push_back(Next().value);
        }
        return expr;
    }

    void ResolveIdentifier(const Token& token, Expr& expr) const {
        const std::string& word = token.value;
        if (word == "true" || word == "false") {
            expr.type = ExprType::kLiteral;
            expr.literal = TemplateValue::Bool(word == "true");
            return;
        }
        if (word == "nil") {
            expr.type = ExprType::kNil;
            return;
        }
        for (const std::string_view keyword : kKeywords) {
            if (word == keyword) {
                source_.Fail(token.offset, "unexpected keyword \"" + word + "\" in command");
            }
        }
        if (const FuncSpec* spec = FindFunction(word)) {
            expr.type = ExprType::kFunction;
            expr.name = word;
            expr.func = spec->func;
            return;
        }
        for (const std::string_view unsupported : kUnsupportedFunctions) {
            if (word == unsupported) {
                source_.Fail(token.offset, "function \"" + word + "\" is not supported");
            }
        }
        source_.Fail(token.offset, "function \"" + word + "\" not defined");
    }

    // Go checks some of these at exec time; all are knowable here since no field is a method.
    void CheckPipeline(const Pipeline& pipe) const {
        for (std::size_t i = 0; i < pipe.cmds.size(); ++i) {
            const Command& cmd = pipe.cmds[i];
            for (std::size_t j = 1; j < cmd.args.size(); ++j) {
                const Expr& arg = cmd.args[j];
                if (arg.type == ExprType::kFunction && SpecOf(arg.func).min_args > 0) {
                    source_.Fail(
                        arg.pos,
                        "wrong number of args for " + arg.name + ": want " +
                            std::to_string(SpecOf(arg.func).min_args) + " got 0"
                    );
                }
            }
            const Expr& head = cmd.args.front();
            if (head.type == ExprType::kFunction) {
                const FuncSpec& spec = SpecOf(head.func);
                const std::size_t count = cmd.args.size() - 1 + (i > 0 ? 1 : 0);
                if (count < spec.min_args || count > spec.max_args) {
                    const std::string want = spec.max_args == kVariadic
                                                 ? "at least " + std::to_string(spec.min_args)
                                                 : std::to_string(spec.min_args);
                    source_.Fail(
                        head.pos,
                        "wrong number of args for " + head.name + ": want " + want + " got " +
                            std::to_string(count)
                    );
                }
                continue;
            }
            if (head.type == ExprType::kNil) {
                source_.Fail(head.pos, "nil is not a command");
            }
            if (i > 0) {
                source_.Fail(
                    head.pos,
                    "non executable command in pipeline stage " + std::to_string(i + 1) +
                        " (only a function can receive a piped value)"
                );
            }
            if (cmd.args.size() > 1) {
                source_.Fail(
                    cmd.args[1].pos, "can't give argument to non-function " + ExprString(head)
                );
            }
        }
    }

    // The parser mirrors the executor's variable stack: declarations push in template order,
    // blocks pop what they declared, so a variable's index here is its index at run time and
    // lookups cost O(1) at both times (a template with thousands of variables stays linear).
    void Declare(const std::string& name) {
        slots_[name].push_back(vars_.size());
        vars_.push_back(name);
    }

    void PopVariables(std::size_t mark) {
        while (vars_.size() > mark) {
            slots_[vars_.back()].pop_back();
            vars_.pop_back();
        }
    }

    // Stack index of the innermost declaration of name in scope.
    [[nodiscard]] std::optional<std::size_t> SlotOf(const std::string& name) const {
        const auto found = slots_.find(name);
        if (found == slots_.end() || found->second.empty()) {
            return std::nullopt;
        }
        return found->second.back();
    }

    std::vector<Token> tokens_;
    const Source& source_;
    std::size_t pos_ = 0;
    std::size_t marker_offset_ = 0;  // position of the last {{end}}/{{else}}/EOF seen
    std::vector<std::string> vars_;  // variables in scope, outermost first
    std::unordered_map<std::string, std::vector<std::size_t>> slots_;  // name -> indices in vars_
};

// --- Formatting and escaping -----------------------------------------------------------------

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
        case ValueKind::kObject: {
            out += "map[";
            bool first = true;
            for (const auto& [key, item] : value.AsObject()) {
                if (!first) {
                    out += ' ';
                }
                first = false;
                out += key;
                out += ':';
                AppendFormatted(out, item);
            }
            out += ']';
            return;
        }
        case ValueKind::kList: {
            out += '[';
            bool first = true;
            for (const TemplateValue& item : value.AsList()) {
                if (!first) {
                    out += ' ';
                }
                first = false;
                AppendFormatted(out, item);
            }
            out += ']';
            return;
        }
    }
}

std::string Format(const TemplateValue& value) {
    std::string out;
    AppendFormatted(out, value);
    return out;
}

// fmt.Sprint: a space between operands when neither is a string. Stops appending operands once
// the result is longer than max_bytes (the caller then fails the render).
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

// fmt.Sprintln: always a space between operands, and a final newline. max_bytes as Sprint.
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

// text/template's evalArgs: a lone string as is, anything else through Sprint.
std::string EvalArgs(const std::vector<TemplateValue>& values, std::size_t max_bytes) {
    if (values.size() == 1 && values.front().Kind() == ValueKind::kString) {
        return values.front().AsString();
    }
    return Sprint(values, max_bytes);
}

// html/template's text-context escaper (escape_html) or, without '+', text/template's html.
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

// url.QueryEscape.
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

// --- Executor --------------------------------------------------------------------------------

class Executor {
public:
    Executor(std::string_view name, bool escape_html, std::string& out)
        : name_(name), escape_html_(escape_html), out_(out) {}

    void Run(const std::vector<Node>& root, const TemplateValue& data) {
        vars_.push_back({"$", data});
        Walk(root, data);
    }

private:
    struct Variable {
        std::string name;
        TemplateValue value;
    };

    [[noreturn]] void Fail(Pos pos, std::string_view message) const {
        throw TemplateError(name_, pos.line, pos.column, message);
    }

    // The render budget (header: kTemplateMaxSteps, kTemplateMaxTextBytes).
    void Step(Pos pos) {
        if (++steps_ > kTemplateMaxSteps) {
            Fail(
                pos,
                "rendering stopped: more than " + std::to_string(kTemplateMaxSteps) +
                    " evaluation steps"
            );
        }
    }

    void SpendText(std::size_t bytes, Pos pos) {
        if (bytes > kTemplateMaxTextBytes - text_bytes_) {
            Fail(
                pos,
                "rendering stopped: more than " + std::to_string(kTemplateMaxTextBytes) +
                    " bytes of text"
            );
        }
        text_bytes_ += bytes;
    }

    // What is left of the text budget: string builders stop just past it.
    [[nodiscard]] std::size_t TextLeft() const { return kTemplateMaxTextBytes - text_bytes_; }

    // A string built by a function, charged to the text budget.
    TemplateValue Built(std::string text, Pos pos) {
        SpendText(text.size(), pos);
        return TemplateValue::String(std::move(text));
    }

    void Walk(const std::vector<Node>& list, const TemplateValue& dot) {
        for (const Node& node : list) {
            Step(node.pos);
            switch (node.type) {
                case NodeType::kText:
                    SpendText(node.text.size(), node.pos);
                    out_ += node.text;
                    break;
                case NodeType::kAction:
                    Action(node, dot);
                    break;
                case NodeType::kIf:
                case NodeType::kWith:
                    IfOrWith(node, dot);
                    break;
                case NodeType::kRange:
                    Range(node, dot);
                    break;
            }
        }
    }

    void Action(const Node& node, const TemplateValue& dot) {
        const TemplateValue value = EvalPipeline(node.pipe, dot);
        if (node.pipe.decl != DeclKind::kNone || value.IsNull()) {
            return;  // html/template prints nothing for nil
        }
        if (value.Kind() == ValueKind::kString) {
            SpendText(value.AsString().size(), node.pos);  // before escaping copies it
        }
        const std::string text = Format(value);
        const std::string escaped =
            escape_html_ && !node.output_is_escaped ? HtmlEscape(text, true) : text;
        SpendText(escaped.size(), node.pos);
        out_ += escaped;
    }

    void IfOrWith(const Node& node, const TemplateValue& dot) {
        const std::size_t mark = vars_.size();
        bool taken = false;
        for (const Branch& branch : node.branches) {
            const TemplateValue value = EvalPipeline(branch.cond, dot);
            if (value.IsTruthy()) {
                Walk(branch.body, node.type == NodeType::kWith ? value : dot);
                taken = true;
                break;
            }
        }
        if (!taken) {
            Walk(node.else_body, dot);
        }
        vars_.resize(mark);
    }

    void Range(const Node& node, const TemplateValue& dot) {
        const Branch& branch = node.branches.front();
        const TemplateValue value = EvalCommands(branch.cond.cmds, dot);
        const std::size_t mark = vars_.size();
        const std::vector<std::string>& names = branch.cond.vars;
        std::size_t count = 0;
        const auto iteration = [&](const TemplateValue& key, const TemplateValue& element) {
            ++count;
            Step(branch.cond.pos);
            const std::size_t iteration_mark = vars_.size();
            if (names.size() == 1) {
                vars_.push_back({names[0], element});
            } else if (names.size() == 2) {
                vars_.push_back({names[0], key});
                vars_.push_back({names[1], element});
            }
            Walk(branch.body, element);
            vars_.resize(iteration_mark);
        };
        switch (value.Kind()) {
            case ValueKind::kNull:
                break;
            case ValueKind::kList: {
                const TemplateValue::Array& items = value.AsList();
                for (std::size_t i = 0; i < items.size(); ++i) {
                    iteration(TemplateValue::Number(static_cast<double>(i)), items[i]);
                }
                break;
            }
            case ValueKind::kObject:
                for (const auto& [key, item] : value.AsObject()) {
                    iteration(TemplateValue::String(key), item);
                }
                break;
            default:
                Fail(
                    branch.cond.pos,
                    "range can't iterate over " + std::string(KindName(value.Kind())) + " " +
                        Format(value)
                );
        }
        if (count == 0) {
            Walk(node.else_body, dot);
        }
        vars_.resize(mark);
    }

    TemplateValue EvalPipeline(const Pipeline& pipe, const TemplateValue& dot) {
        TemplateValue value = EvalCommands(pipe.cmds, dot);
        if (pipe.decl == DeclKind::kDeclare) {
            vars_.push_back({pipe.vars.front(), value});
        } else if (pipe.decl == DeclKind::kAssign) {
            LookupVariable(pipe.assign_slot, pipe.vars.front()) = value;
        }
        return value;
    }

    TemplateValue EvalCommands(const std::vector<Command>& cmds, const TemplateValue& dot) {
        TemplateValue value;
        for (std::size_t i = 0; i < cmds.size(); ++i) {
            const Command& cmd = cmds[i];
            Step(cmd.pos);
            const Expr& head = cmd.args.front();
            if (head.type == ExprType::kFunction) {
                value = Call(head, std::span(cmd.args).subspan(1), i > 0 ? &value : nullptr, dot);
            } else {
                value = EvalArg(head, dot);
            }
        }
        return value;
    }

    // The parser resolved the variable to its stack index (Parser::Declare); the name is only
    // checked, so that a parser/executor mismatch is a loud bug rather than a wrong value.
    TemplateValue& LookupVariable(std::size_t slot, const std::string& name) {
        if (slot >= vars_.size() || vars_[slot].name != name) {
            throw std::logic_error("go_template: variable " + name + " is not at its stack slot");
        }
        return vars_[slot].value;
    }

    TemplateValue EvalArg(const Expr& expr, const TemplateValue& dot) {
        TemplateValue owned;
        const TemplateValue* base = &dot;
        switch (expr.type) {
            case ExprType::kDot:
            case ExprType::kField:
                break;
            case ExprType::kVariable:
                base = &LookupVariable(expr.slot, expr.name);
                break;
            case ExprType::kLiteral:
                return expr.literal;
            case ExprType::kNil:
                return {};
            case ExprType::kFunction: {
                return Call(expr, {}, nullptr, dot);
            }
            case ExprType::kPipeline:
                owned = EvalCommands(expr.pipe->cmds, dot);
                base = &owned;
                break;
        }
        for (const std::string& field : expr.fields) {
            if (base->IsNull()) {
                return {};
            }
            if (base->Kind() != ValueKind::kObject) {
                Fail(
                    expr.pos,
                    "can't evaluate field " + field + " in type " +
                        std::string(KindName(base->Kind()))
                );
            }
            base = base->Find(field);
            if (base == nullptr) {
                return {};
            }
        }
        return *base;
    }

    // `args` follow the function name; `piped` is the previous command's value, passed last.
    TemplateValue Call(
        const Expr& fn,
        std::span<const Expr> args,
        const TemplateValue* piped,
        const TemplateValue& dot
    ) {
        const std::size_t count = args.size() + (piped != nullptr ? 1 : 0);
        // Lazy, so that and/or short-circuit.
        const auto arg = [&](std::size_t i) {
            return i < args.size() ? EvalArg(args[i], dot) : *piped;
        };
        const auto all = [&] {
            std::vector<TemplateValue> values;
            values.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                values.push_back(arg(i));
            }
            return values;
        };
        switch (fn.func) {
            case Func::kAnd:
            case Func::kOr:
                for (std::size_t i = 0; i < count; ++i) {
                    TemplateValue value = arg(i);
                    if (value.IsTruthy() != (fn.func == Func::kAnd) || i + 1 == count) {
                        return value;
                    }
                }
                return {};
            case Func::kNot:
                return TemplateValue::Bool(!arg(0).IsTruthy());
            case Func::kEq: {
                const TemplateValue first = arg(0);
                for (std::size_t i = 1; i < count; ++i) {
                    if (Equal(first, arg(i), fn.pos)) {
                        return TemplateValue::Bool(true);
                    }
                }
                return TemplateValue::Bool(false);
            }
            case Func::kNe:
                return TemplateValue::Bool(!Equal(arg(0), arg(1), fn.pos));
            case Func::kLt:
                return TemplateValue::Bool(Less(arg(0), arg(1), fn.pos));
            case Func::kLe: {
                const TemplateValue a = arg(0);
                const TemplateValue b = arg(1);
                return TemplateValue::Bool(!Less(b, a, fn.pos));
            }
            case Func::kGt:
                return TemplateValue::Bool(Less(arg(1), arg(0), fn.pos));
            case Func::kGe: {
                const TemplateValue a = arg(0);
                const TemplateValue b = arg(1);
                return TemplateValue::Bool(!Less(a, b, fn.pos));
            }
            case Func::kLen:
                return TemplateValue::Number(static_cast<double>(Length(arg(0), fn.pos)));
            case Func::kIndex:
                return Index(all(), fn.pos);
            case Func::kHtml:
                return Built(HtmlEscape(EvalArgs(all(), TextLeft()), false), fn.pos);
            case Func::kUrlquery:
                return Built(QueryEscape(EvalArgs(all(), TextLeft())), fn.pos);
            case Func::kPrint:
                return Built(Sprint(all(), TextLeft()), fn.pos);
            case Func::kPrintln:
                return Built(Sprintln(all(), TextLeft()), fn.pos);
        }
        return {};
    }

    // Comparing two strings reads both: charged to the text budget like building one.
    void SpendComparison(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        if (a.Kind() == ValueKind::kString && b.Kind() == ValueKind::kString) {
            SpendText(std::min(a.AsString().size(), b.AsString().size()), pos);
        }
    }

    bool Equal(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        for (const TemplateValue* value : {&a, &b}) {
            if (value->Kind() == ValueKind::kObject || value->Kind() == ValueKind::kList) {
                Fail(
                    pos,
                    "error calling eq: non-comparable type " + std::string(KindName(value->Kind()))
                );
            }
        }
        if (a.Kind() != b.Kind()) {
            return false;  // Go errors; unequal is kinder to user-supplied data
        }
        SpendComparison(a, b, pos);
        switch (a.Kind()) {
            case ValueKind::kBool:
                return a.AsBool() == b.AsBool();
            case ValueKind::kNumber:
                return a.AsNumber() == b.AsNumber();
            case ValueKind::kString:
                return a.AsString() == b.AsString();
            default:
                return true;  // both null
        }
    }

    bool Less(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        if (a.Kind() == ValueKind::kNumber && b.Kind() == ValueKind::kNumber) {
            return a.AsNumber() < b.AsNumber();
        }
        if (a.Kind() == ValueKind::kString && b.Kind() == ValueKind::kString) {
            SpendComparison(a, b, pos);
            return a.AsString() < b.AsString();
        }
        Fail(
            pos,
            "incompatible types for comparison: " + std::string(KindName(a.Kind())) + " and " +
                std::string(KindName(b.Kind()))
        );
    }

    std::size_t Length(const TemplateValue& value, Pos pos) const {
        switch (value.Kind()) {
            case ValueKind::kNull:
                return 0;
            case ValueKind::kString:
                return value.AsString().size();
            case ValueKind::kObject:
                return value.AsObject().size();
            case ValueKind::kList:
                return value.AsList().size();
            default:
                Fail(pos, "len of type " + std::string(KindName(value.Kind())));
        }
    }

    TemplateValue Index(const std::vector<TemplateValue>& values, Pos pos) const {
        TemplateValue item = values.front();
        for (std::size_t i = 1; i < values.size(); ++i) {
            const TemplateValue& key = values[i];
            if (item.IsNull()) {
                return {};
            }
            if (item.Kind() == ValueKind::kObject && key.Kind() == ValueKind::kString) {
                const TemplateValue* found = item.Find(key.AsString());
                item = found == nullptr ? TemplateValue() : *found;
            } else if (item.Kind() == ValueKind::kList && key.Kind() == ValueKind::kNumber) {
                const double index = key.AsNumber();
                const TemplateValue::Array& items = item.AsList();
                if (std::trunc(index) != index || index < 0 ||
                    index >= static_cast<double>(items.size())) {
                    Fail(pos, "error calling index: index out of range: " + Format(key));
                }
                item = items[static_cast<std::size_t>(index)];
            } else {
                Fail(
                    pos,
                    "error calling index: can't index item of type " +
                        std::string(KindName(item.Kind())) + " with " +
                        std::string(KindName(key.Kind()))
                );
            }
        }
        return item;
    }

    std::string_view name_;
    bool escape_html_;
    std::string& out_;
    std::vector<Variable> vars_;  // the stack the parser's variable slots index
    std::size_t steps_ = 0;
    std::size_t text_bytes_ = 0;
};

}  // namespace go_template_internal

// ---------------------------------------------------------------------------------------------
// GoTemplate

struct GoTemplate::Impl {
    std::string name;
    std::vector<go_template_internal::Node> root;
};

GoTemplate GoTemplate::Parse(std::string_view source, std::string_view name) {
    if (source.size() > kTemplateMaxBytes) {
        throw TemplateError(
            name,
            1,
            1,
            "template is " + std::to_string(source.size()) + " bytes, more than the " +
                std::to_string(kTemplateMaxBytes) + " allowed"
        );
    }
    const go_template_internal::Source text(source, name);
    std::vector<go_template_internal::Token> tokens = go_template_internal::Lexer(text).Run();
    auto impl = std::make_shared<Impl>();
    impl->name = std::string(name);
    impl->root = go_template_internal::Parser(std::move(tokens), text).ParseTemplate();
    return GoTemplate(std::move(impl));
}

std::string GoTemplate::Render(const TemplateData& data, bool escape_html) const {
    const TemplateValue root = TemplateValue::Object(data);
    std::string out;
    go_template_internal::Executor(impl_->name, escape_html, out).Run(impl_->root, root);
    return out;
}

const std::string& GoTemplate::Name() const {
    return impl_->name;
}

}  // namespace gotrue::mailer
