#include "crypto/crypto.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace crypto = gotrue::crypto;

namespace {

bool AllIn(std::string_view text, std::string_view alphabet) {
    return text.find_first_not_of(alphabet) == std::string_view::npos;
}

}  // namespace

TEST_SUITE("random") {
    TEST_CASE("RandomBytes returns the requested number of bytes") {
        CHECK(crypto::RandomBytes(0).empty());
        CHECK(crypto::RandomBytes(1).size() == 1);
        CHECK(crypto::RandomBytes(32).size() == 32);
        CHECK(crypto::RandomBytes(100000).size() == 100000);
        CHECK(crypto::RandomBytes(32) != crypto::RandomBytes(32));
    }

    TEST_CASE("RandomString uses only the alphabet and rejects bad alphabets") {
        const std::string text = crypto::RandomString(1000, "abc");
        CHECK(text.size() == 1000);
        CHECK(AllIn(text, "abc"));
        CHECK(crypto::RandomString(0, "abc").empty());
        CHECK(crypto::RandomString(5, "x") == "xxxxx");
        CHECK_THROWS_AS(static_cast<void>(crypto::RandomString(5, "")), std::invalid_argument);
        const std::string too_long(257, 'a');
        CHECK_THROWS_AS(
            static_cast<void>(crypto::RandomString(5, too_long)), std::invalid_argument
        );
    }

    TEST_CASE("RandomString is roughly uniform for an alphabet that does not divide 256") {
        // 7 does not divide 256: a modulo-biased generator would favour some characters by
        // about 2.7 %; this only checks every character shows up at a plausible rate.
        constexpr int kSamples = 70000;
        const std::string text = crypto::RandomString(kSamples, "0123456");
        std::map<char, int> counts;
        for (const char c : text) {
            ++counts[c];
        }
        CHECK(counts.size() == 7);
        for (const auto& entry : counts) {  // CAPTURE cannot take a structured binding (clang 14)
            const char c = entry.first;
            CAPTURE(c);
            CHECK(entry.second > 9000);
            CHECK(entry.second < 11000);
        }
    }

    TEST_CASE("GenerateOtp gives zero-padded decimal codes of the requested length") {
        bool saw_leading_zero = false;
        std::set<std::string> seen;
        for (int i = 0; i < 1000; ++i) {
            const std::string otp = crypto::GenerateOtp(6);
            REQUIRE(otp.size() == 6);
            CHECK(AllIn(otp, crypto::kDigitAlphabet));
            saw_leading_zero = saw_leading_zero || otp[0] == '0';
            seen.insert(otp);
        }
        // P(no leading zero in 1000 codes) = 0.9^1000, P(a collision) is about 40 %.
        CHECK(saw_leading_zero);
        CHECK(seen.size() > 990);
        CHECK(crypto::GenerateOtp(10).size() == 10);
        CHECK(crypto::GenerateOtp(1).size() == 1);
        CHECK_THROWS_AS(static_cast<void>(crypto::GenerateOtp(0)), std::invalid_argument);
    }

    TEST_CASE("GenerateRefreshToken gives 12 base32 lower-case characters") {
        std::set<std::string> seen;
        for (int i = 0; i < 200; ++i) {
            const std::string token = crypto::GenerateRefreshToken();
            CHECK(token.size() == 12);
            CHECK(AllIn(token, "abcdefghijklmnopqrstuvwxyz234567"));
            seen.insert(token);
        }
        CHECK(seen.size() == 200);
    }

    TEST_CASE("RandomPassword gives alphanumeric passwords of 33 and 64 characters") {
        const std::string magic = crypto::RandomPassword(crypto::kMagicLinkPasswordLength);
        const std::string otp = crypto::RandomPassword(crypto::kOtpPasswordLength);
        CHECK(magic.size() == 33);
        CHECK(otp.size() == 64);
        CHECK(AllIn(magic, crypto::kAlphanumericAlphabet));
        CHECK(AllIn(otp, crypto::kAlphanumericAlphabet));
        CHECK(crypto::RandomPassword(64) != crypto::RandomPassword(64));
    }

    TEST_CASE("random generators can be used from several threads at once") {
        std::vector<std::thread> threads;
        std::vector<std::set<std::string>> results(4);
        for (auto& result : results) {
            threads.emplace_back([&result] {
                for (int i = 0; i < 500; ++i) {
                    result.insert(crypto::GenerateRefreshToken() + crypto::GenerateOtp(6));
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        std::set<std::string> all;
        for (const auto& result : results) {
            all.insert(result.begin(), result.end());
        }
        CHECK(all.size() == 2000);
    }
}

TEST_SUITE("digests") {
    TEST_CASE("GenerateTokenHash is hex SHA-224 of address followed by otp") {
        const std::string hash = crypto::GenerateTokenHash("test@example.com", "123456");
        CHECK(hash == "a3f3debf8d4c206eac18c518ad464512d0033123760f8a2c42a1110c");
        CHECK(hash.size() == 56);
        CHECK(
            crypto::Sha224Hex("abc") == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
    }

    TEST_CASE("GenerateLinkToken gives 56 lower-case hex characters, different every time") {
        const std::string first = crypto::GenerateLinkToken();
        CHECK(first.size() == 56);
        CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(crypto::GenerateLinkToken() != first);
    }

    TEST_CASE("Sha256 and Sha256Hex match FIPS 180-2 vectors") {
        CHECK(
            crypto::Sha256Hex("abc") ==
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        CHECK(
            crypto::Sha256Hex("") ==
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        CHECK(crypto::Sha256("abc").size() == 32);
        CHECK(crypto::HexEncode(crypto::Sha256("abc")) == crypto::Sha256Hex("abc"));
    }

    TEST_CASE("HmacSha256 matches RFC 4231 test case 2") {
        const std::string mac = crypto::HmacSha256("Jefe", "what do ya want for nothing?");
        CHECK(mac.size() == 32);
        CHECK(
            crypto::HexEncode(mac) ==
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        CHECK(
            crypto::HexEncode(crypto::HmacSha256("", "")) ==
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        );
    }

    TEST_CASE("HexEncode is lower-case") {
        CHECK(crypto::HexEncode(std::string("\x00\x0f\xab\xff", 4)) == "000fabff");
        CHECK(crypto::HexEncode("").empty());
    }
}

TEST_SUITE("base64url") {
    TEST_CASE("Base64UrlEncode matches RFC 4648 vectors without padding") {
        CHECK(crypto::Base64UrlEncode("") == "");
        CHECK(crypto::Base64UrlEncode("f") == "Zg");
        CHECK(crypto::Base64UrlEncode("fo") == "Zm8");
        CHECK(crypto::Base64UrlEncode("foo") == "Zm9v");
        CHECK(crypto::Base64UrlEncode("foob") == "Zm9vYg");
        CHECK(crypto::Base64UrlEncode("fooba") == "Zm9vYmE");
        CHECK(crypto::Base64UrlEncode("foobar") == "Zm9vYmFy");
        CHECK(crypto::Base64UrlEncode("\xfb\xff\xbf") == "-_-_");
    }

    TEST_CASE("Base64UrlDecode inverts the encoder") {
        CHECK(crypto::Base64UrlDecode("") == std::string());
        CHECK(crypto::Base64UrlDecode("Zg") == std::string("f"));
        CHECK(crypto::Base64UrlDecode("Zm8") == std::string("fo"));
        CHECK(crypto::Base64UrlDecode("Zm9vYmFy") == std::string("foobar"));
        CHECK(crypto::Base64UrlDecode("-_-_") == std::string("\xfb\xff\xbf"));
        std::string all_bytes;
        for (int i = 0; i < 256; ++i) {
            all_bytes.push_back(static_cast<char>(i));
        }
        for (std::size_t length = 0; length <= all_bytes.size(); ++length) {
            const std::string bytes = all_bytes.substr(0, length);
            CHECK(crypto::Base64UrlDecode(crypto::Base64UrlEncode(bytes)) == bytes);
        }
        for (int i = 0; i < 100; ++i) {
            const std::string bytes = crypto::RandomBytes(static_cast<std::size_t>(i));
            CHECK(crypto::Base64UrlDecode(crypto::Base64UrlEncode(bytes)) == bytes);
        }
    }

    TEST_CASE("Base64UrlDecode rejects invalid input") {
        for (const std::string_view text :
             {"Zg==",
              "Zm8=",
              "Zm9v+",
              "Zm9v/",
              "Zm 9v",
              "Zm9v\n",
              "Z",
              "Zm9vY",
              "Zh",
              "Zm9",
              "Zm9v*"}) {
            CAPTURE(text);
            CHECK_FALSE(crypto::Base64UrlDecode(text).has_value());
            CHECK(crypto::Base64UrlErrorOffset(text).has_value());
        }
        CHECK(crypto::Base64UrlErrorOffset("Zm9v+") == 4u);
        CHECK(crypto::Base64UrlErrorOffset("Zg==") == 2u);
        CHECK(crypto::Base64UrlErrorOffset("Zm9vY") == 4u);
        CHECK(crypto::Base64UrlErrorOffset(std::string_view("Zm\0v", 4)) == 2u);
        CHECK_FALSE(crypto::Base64UrlErrorOffset("Zm9vYmFy").has_value());
    }
}

TEST_SUITE("constant time") {
    TEST_CASE("ConstantTimeEquals compares content and length") {
        CHECK(crypto::ConstantTimeEquals("", ""));
        CHECK(crypto::ConstantTimeEquals("secret", "secret"));
        CHECK_FALSE(crypto::ConstantTimeEquals("secret", "secreT"));
        CHECK_FALSE(crypto::ConstantTimeEquals("Secret", "secret"));
        CHECK_FALSE(crypto::ConstantTimeEquals("secret", "secret2"));
        CHECK_FALSE(crypto::ConstantTimeEquals("", "x"));
        CHECK(crypto::ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
        CHECK_FALSE(
            crypto::ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3))
        );
    }
}
