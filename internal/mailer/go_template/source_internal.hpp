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

// Appends `r` as UTF-8; surrogates and values past U+10FFFF become U+FFFD (as Go's utf8).
inline void AppendUtf8(std::string& out, char32_t r) {
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
        r = 0xFFFD;
    }
    const auto byte = [](char32_t bits) {
        return static_cast<char>(bits);
    };
    if (r < 0x80) {
        out += byte(r);
    } else if (r < 0x800) {
        out += byte(0xC0 | (r >> 6));
        out += byte(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        out += byte(0xE0 | (r >> 12));
        out += byte(0x80 | ((r >> 6) & 0x3F));
        out += byte(0x80 | (r & 0x3F));
    } else {
        out += byte(0xF0 | (r >> 18));
        out += byte(0x80 | ((r >> 12) & 0x3F));
        out += byte(0x80 | ((r >> 6) & 0x3F));
        out += byte(0x80 | (r & 0x3F));
    }
}

struct Utf8Rune {
    char32_t value;
    std::size_t size;
};

// utf8.DecodeRune of the text's first rune: an invalid or short sequence is U+FFFD of size 1.
inline Utf8Rune DecodeUtf8(std::string_view text) {
    if (text.empty()) {
        return {0xFFFD, 0};
    }
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(text[i]);
    };
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return {lead, 1};
    }
    std::size_t size = 0;
    char32_t value = 0;
    char32_t min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        size = 2, value = lead & 0x1Fu, min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3, value = lead & 0x0Fu, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        size = 4, value = lead & 0x07u, min = 0x10000;
    } else {
        return {0xFFFD, 1};
    }
    if (text.size() < size) {
        return {0xFFFD, 1};
    }
    for (std::size_t i = 1; i < size; ++i) {
        if ((byte(i) & 0xC0u) != 0x80) {
            return {0xFFFD, 1};
        }
        value = (value << 6) | (byte(i) & 0x3Fu);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return {0xFFFD, 1};
    }
    return {value, size};
}

}  // namespace gotrue::mailer::go_template_internal
