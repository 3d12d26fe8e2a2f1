#pragma once

// The lexer: template source -> text and action tokens.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template/source_internal.hpp"

namespace gotrue::mailer::go_template_internal {

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
    std::string_view raw;      // source text, for messages
    std::string value;         // text, field/identifier/variable name, decoded string
    double number = 0;         // kNumber: the value as a float64
    bool is_int = false;       // kNumber: Go's int (no '.' or exponent), or a character constant
    std::int64_t integer = 0;  // kNumber with is_int
    bool space_before = false;
};

// The source's tokens, ending with kEof. Throws TemplateError for malformed input.
std::vector<Token> Lex(const Source& source);

}  // namespace gotrue::mailer::go_template_internal
