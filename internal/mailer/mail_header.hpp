#pragma once

// Header lines as the SMTP client writes them (RFC 5322 §2.1.1, §2.2.3; RFC 2047): lines of at most
// 78 characters where the value allows it and never more than 998, continuation lines starting
// with a space, non-ASCII text as "B" encoded-words of at most 75 characters. Relays refuse longer
// lines ("line too long"), which would turn a long custom subject into a failed signup.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::mailer {

inline constexpr std::size_t kFoldedLineLength = 78;      // RFC 5322 SHOULD
inline constexpr std::size_t kMaxLineLength = 998;        // RFC 5322 MUST (without CRLF)
inline constexpr std::size_t kMaxEncodedWordLength = 75;  // RFC 2047 §2

// "Name: text" for free text (Subject): as is when it is printable ASCII and fits on one line,
// else RFC 2047 encoded-words, one per line, never cutting a UTF-8 character. Decoding the
// words gives `text` back exactly. `text` must not contain CR or LF (see OneLine).
[[nodiscard]] std::string TextHeader(std::string_view name, std::string_view text);

// "From: ..." with `sender_name` (GOTRUE_SMTP_SENDER_NAME) as a quoted string when it is ASCII
// and fits, else as encoded-words (folded like TextHeader); then <address>.
[[nodiscard]] std::string FromHeader(std::string_view sender_name, std::string_view address);

// "Name: value" for a value whose words must stay as they are (GOTRUE_SMTP_HEADERS): folded
// before spaces only. nullopt when a run without spaces is too long for a 998-octet line.
[[nodiscard]] std::optional<std::string> FoldedHeader(
    std::string_view name, std::string_view value
);

}  // namespace gotrue::mailer
