#pragma once

// The template source as the lexer and parser see it: positions, errors at a position, and the
// character classes of Go's template lexer.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"

namespace gotrue::mailer::go_template_internal {

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

inline bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

inline bool IsIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

inline bool IsIdentChar(char c) {
    return IsIdentStart(c) || IsDigit(c);
}

}  // namespace gotrue::mailer::go_template_internal
