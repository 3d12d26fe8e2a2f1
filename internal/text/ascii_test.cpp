#include "text/ascii.hpp"

#include <doctest/doctest.h>

using namespace gotrue::text;

TEST_SUITE("ascii") {
    TEST_CASE("case mapping touches ASCII letters only") {
        CHECK(ToLower("Content-TYPE: X/1") == "content-type: x/1");
        CHECK(ToUpper("mailer_Subjects") == "MAILER_SUBJECTS");
        CHECK(ToLower("\xC3\x84") == "\xC3\x84");  // UTF-8 bytes pass through
        CHECK(AsciiLower('@') == '@');
        CHECK(AsciiLower('[') == '[');
        CHECK(AsciiUpper('`') == '`');
        CHECK(AsciiUpper('{') == '{');
    }

    TEST_CASE("case-insensitive comparison") {
        CHECK(EqualsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
        CHECK_FALSE(EqualsIgnoreCase("chunked", "chunked "));
        CHECK_FALSE(EqualsIgnoreCase("a", "\xC3"));
        CHECK(StartsWithIgnoreCase("Bearer abc", "bearer "));
        CHECK_FALSE(StartsWithIgnoreCase("Bear", "bearer "));
    }

    TEST_CASE("hexadecimal digits in either case") {
        CHECK(HexValue('0') == 0);
        CHECK(HexValue('9') == 9);
        CHECK(HexValue('a') == 10);
        CHECK(HexValue('F') == 15);
        CHECK(HexValue('g') == -1);
        CHECK(HexValue('/') == -1);
        CHECK(HexValue(':') == -1);
        CHECK(HexValue('@') == -1);
        CHECK(HexValue('G') == -1);
        CHECK(IsHexDigit('c'));
        CHECK_FALSE(IsHexDigit(' '));
        CHECK(IsDigit('7'));
        CHECK_FALSE(IsDigit('a'));
        CHECK(IsAlpha('Z'));
        CHECK_FALSE(IsAlpha('1'));
    }
}
