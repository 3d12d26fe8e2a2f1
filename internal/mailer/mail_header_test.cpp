#include "mailer/mail_header.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/mailbox.hpp"

using gotrue::mailer::FoldedHeader;
using gotrue::mailer::FromHeader;
using gotrue::mailer::TextHeader;
using gotrue::testing::DecodeHeaderWords;

namespace {

std::vector<std::string> Lines(const std::string& header) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        const auto end = header.find("\r\n", start);
        lines.push_back(header.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) {
            return lines;
        }
        start = end + 2;
    }
}

// RFC 5322 unfolding: the CRLFs go, the spaces after them stay.
std::string Unfold(std::string header) {
    for (auto pos = header.find("\r\n"); pos != std::string::npos; pos = header.find("\r\n")) {
        header.erase(pos, 2);
    }
    return header;
}

// The value of "Name: value" after unfolding and decoding its encoded-words.
std::string DecodedValue(const std::string& header) {
    const std::string unfolded = Unfold(header);
    const auto value = unfolded.find_first_not_of(' ', unfolded.find(':') + 1);
    return DecodeHeaderWords(unfolded.substr(value));
}

// Every line within 78 characters, continuation lines start with a space, no bare CR or LF, and
// no encoded-word longer than 75 characters.
void CheckFolded(const std::string& header) {
    const auto lines = Lines(header);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CAPTURE(lines[i]);
        CHECK(lines[i].size() <= gotrue::mailer::kFoldedLineLength);
        CHECK(lines[i].find_first_of("\r\n") == std::string::npos);
        if (i > 0) {
            REQUIRE_FALSE(lines[i].empty());
            CHECK(lines[i].front() == ' ');
            CHECK(lines[i].find_first_not_of(' ') != std::string::npos);
        }
        for (auto word = lines[i].find("=?"); word != std::string::npos;
             word = lines[i].find("=?", word + 2)) {
            const auto end = lines[i].find("?=", word + 10);
            REQUIRE(end != std::string::npos);
            CHECK(end + 2 - word <= gotrue::mailer::kMaxEncodedWordLength);
            word = end;
        }
    }
}

std::string Repeat(const std::string& text, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) {
        out += text;
    }
    return out;
}

}  // namespace

TEST_SUITE("mail headers") {
    TEST_CASE("a short ASCII subject is written as is") {
        CHECK(TextHeader("Subject", "Confirm Your Email") == "Subject: Confirm Your Email");
        CHECK(TextHeader("Subject", "Hello  Bcc: x") == "Subject: Hello  Bcc: x");
    }

    TEST_CASE("long subjects: a 600-character ASCII subject is folded and decodes back") {
        const std::string subject = Repeat("Please confirm your address now ", 18).substr(0, 600);
        const std::string header = TextHeader("Subject", subject);
        CHECK(Lines(header).size() > 10);
        CheckFolded(header);
        CHECK(DecodedValue(header) == subject);
        const std::string unbroken(600, 'x');  // no space to fold at
        CheckFolded(TextHeader("Subject", unbroken));
        CHECK(DecodedValue(TextHeader("Subject", unbroken)) == unbroken);
    }

    TEST_CASE("long subjects: non-ASCII text is cut between characters, never inside one") {
        const std::string subject = Repeat("Bestätige ✓ 🔑 ", 40);  // 1-, 2-, 3- and 4-byte UTF-8
        const std::string header = TextHeader("Subject", subject);
        CheckFolded(header);
        CHECK(DecodedValue(header) == subject);
        // Each word alone decodes to whole characters: no word starts with a continuation byte.
        for (const auto& line : Lines(header)) {
            const auto word = line.find("=?");
            REQUIRE(word != std::string::npos);
            const std::string decoded = DecodeHeaderWords(line.substr(word));
            REQUIRE_FALSE(decoded.empty());
            CHECK((static_cast<unsigned char>(decoded.front()) & 0xC0) != 0x80);
        }
        const std::string short_one = "Bestätige ✓";
        CHECK(Lines(TextHeader("Subject", short_one)).size() == 1);
        CHECK(DecodedValue(TextHeader("Subject", short_one)) == short_one);
    }

    TEST_CASE("text that looks like an encoded-word, or is not UTF-8, still round-trips") {
        const std::string lookalike = "=?UTF-8?B?SGk=?= is not for decoding";
        CHECK(DecodedValue(TextHeader("Subject", lookalike)) == lookalike);
        const std::string not_utf8(200, '\x80');
        CheckFolded(TextHeader("Subject", not_utf8));
        CHECK(DecodedValue(TextHeader("Subject", not_utf8)) == not_utf8);
    }

    TEST_CASE("a header name that leaves no room starts the value on a continuation line") {
        const std::string name(74, 'X');
        const std::string header = TextHeader(name, "été");
        CheckFolded(header);
        CHECK(Lines(header).front() == name + ":");
        CHECK(DecodedValue(header) == "été");
    }

    TEST_CASE("From: a short name is quoted, a long or non-ASCII one encoded and folded") {
        CHECK(FromHeader("", "admin@example.com") == "From: admin@example.com");
        CHECK(
            FromHeader("Ada \"the\" Admin", "admin@example.com") ==
            "From: \"Ada \\\"the\\\" Admin\" <admin@example.com>"
        );
        CHECK(
            DecodedValue(FromHeader("Gö \"True\"", "a@example.com")) ==
            "Gö \"True\" <a@example.com>"
        );
        const std::string long_name = Repeat("Very Long Sender Name ", 20);
        const std::string header = FromHeader(long_name, "admin@example.com");
        CheckFolded(header);
        CHECK(DecodedValue(header) == long_name + " <admin@example.com>");
        CHECK(Lines(header).back().find("<admin@example.com>") != std::string::npos);
    }

    TEST_CASE("extra headers are folded before spaces and refused when they cannot fit 998") {
        const std::string value = Repeat("<mailto:unsubscribe@example.com>, ", 12) + "end";
        const auto header = FoldedHeader("List-Unsubscribe", value);
        REQUIRE(header);
        CheckFolded(*header);
        CHECK(Unfold(*header) == "List-Unsubscribe: " + value);
        CHECK(FoldedHeader("X-Short", "v") == "X-Short: v");
        const std::string token(990, 't');
        const auto long_token = FoldedHeader("X-Token", token);
        REQUIRE(long_token);
        for (const auto& line : Lines(*long_token)) {
            CHECK(line.size() <= gotrue::mailer::kMaxLineLength);
        }
        CHECK(Unfold(*long_token) == "X-Token: " + token);
        CHECK_FALSE(FoldedHeader("X-Token", std::string(2000, 't')));
    }
}
