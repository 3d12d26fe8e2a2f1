#include "mailer/mail_header.hpp"

#include <algorithm>

namespace gotrue::mailer {
namespace {

constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";
constexpr std::string_view kFold = "\r\n";

std::string Base64(std::string_view data) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < data.size(); i += 3) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16;
        if (i + 1 < data.size()) {
            n |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8;
        }
        if (i + 2 < data.size()) {
            n |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 2]));
        }
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
    }
    return out;
}

bool IsPlainAscii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

bool IsContinuationByte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Bytes of text that an encoded-word of at most `width` characters carries (base64: 4 per 3).
std::size_t BytesFitting(std::size_t width) {
    const std::size_t overhead = kWordStart.size() + kWordEnd.size();
    return width <= overhead ? 0 : (width - overhead) / 4 * 3;
}

// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8
// character (RFC 2047 §5: each encoded-word holds whole characters). Text that is not UTF-8 there
// is cut at `max_bytes`.
std::size_t CharacterBoundary(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return text.size();
    }
    std::size_t end = max_bytes;
    while (end > 0 && IsContinuationByte(text[end])) {
        --end;
    }
    return end == 0 ? max_bytes : end;
}

// Length of the last line of a header built so far.
std::size_t LastLineLength(const std::string& header) {
    const auto fold = header.rfind(kFold);
    return fold == std::string::npos ? header.size() : header.size() - fold - kFold.size();
}

// "Name: =?UTF-8?B?...?=\r\n =?UTF-8?B?...?=...": every word on its own line within 78
// characters; the first word starts on a continuation line when the name leaves no room.
std::string EncodedTextHeader(std::string_view name, std::string_view text) {
    std::string out(name);
    out += ':';
    constexpr std::size_t kSmallestFirstWord = 6;  // bytes: whole characters of up to 4 bytes
    std::size_t room = out.size() + 1 < kFoldedLineLength ? kFoldedLineLength - out.size() - 1 : 0;
    bool on_first_line = BytesFitting(std::min(room, kMaxEncodedWordLength)) >= kSmallestFirstWord;
    if (!on_first_line) {
        room = kFoldedLineLength - 1;
    }
    while (!text.empty()) {
        const std::size_t take =
            CharacterBoundary(text, BytesFitting(std::min(room, kMaxEncodedWordLength)));
        if (!on_first_line) {
            out += kFold;
        }
        out += ' ';
        out += kWordStart;
        out += Base64(text.substr(0, take));
        out += kWordEnd;
        text.remove_prefix(take);
        on_first_line = false;
        room = kFoldedLineLength - 1;
    }
    return out;
}

}  // namespace

std::string TextHeader(std::string_view name, std::string_view text) {
    const bool fits = name.size() + 2 + text.size() <= kFoldedLineLength;
    // Plain text that looks like an encoded-word would be decoded by the reader: encode it.
    if (fits && IsPlainAscii(text) && text.find("=?") == std::string_view::npos) {
        std::string out(name);
        out += ": ";
        out += text;
        return out;
    }
    return EncodedTextHeader(name, text);
}

std::string FromHeader(std::string_view sender_name, std::string_view address) {
    std::string angle_address = "<";
    angle_address += address;
    angle_address += '>';
    if (sender_name.empty()) {
        std::string out = "From: ";
        out += address;
        return out;
    }
    if (IsPlainAscii(sender_name)) {
        std::string quoted = "From: \"";
        for (const char c : sender_name) {
            if (c == '"' || c == '\\') {
                quoted += '\\';
            }
            quoted += c;
        }
        quoted += "\" ";
        quoted += angle_address;
        if (quoted.size() <= kFoldedLineLength) {
            return quoted;
        }
    }
    std::string out = EncodedTextHeader("From", sender_name);
    const bool address_fits = LastLineLength(out) + 1 + angle_address.size() <= kFoldedLineLength;
    if (!address_fits) {
        out += kFold;
    }
    out += ' ';
    out += angle_address;
    return out;
}

std::optional<std::string> FoldedHeader(std::string_view name, std::string_view value) {
    std::string out(name);
    out += ':';
    std::size_t line_length = out.size();
    // Right after the name only a line over 998 is worth a fold: the value starts there.
    bool line_has_piece = false;
    // The value in pieces, each a run of spaces and then of other characters. A line may end
    // before any piece: its spaces then start the continuation line, so unfolding (removing the
    // CRLFs) gives the value back.
    std::string spaced = " ";
    spaced += value;
    const std::string_view text(spaced);
    std::size_t start = 0;
    while (start < spaced.size()) {
        const auto word = spaced.find_first_not_of(' ', start);
        const auto end = word == std::string::npos
                             ? spaced.size()
                             : std::min(spaced.find(' ', word), spaced.size());
        const std::string_view piece = text.substr(start, end - start);
        const std::size_t limit = line_has_piece ? kFoldedLineLength : kMaxLineLength;
        if (word != std::string::npos && line_length + piece.size() > limit) {
            out += kFold;
            line_length = 0;
        }
        out += piece;
        line_length += piece.size();
        line_has_piece = true;
        if (line_length > kMaxLineLength) {
            return std::nullopt;
        }
        start = end;
    }
    return out;
}

}  // namespace gotrue::mailer
