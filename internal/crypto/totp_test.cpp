#include "crypto/totp.hpp"

#include <string>

#include <doctest/doctest.h>

namespace crypto = gotrue::crypto;

namespace {

// RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890".
constexpr std::string_view kRfcSeed = "12345678901234567890";

}  // namespace

TEST_SUITE("totp") {
    TEST_CASE("RFC 6238 Appendix B test vectors (SHA1, 8 digits)") {
        const std::pair<std::int64_t, const char*> vectors[] = {
            {59, "94287082"},
            {1111111109, "07081804"},
            {1111111111, "14050471"},
            {1234567890, "89005924"},
            {2000000000, "69279037"},
            {20000000000, "65353130"},
        };
        for (const auto& vector : vectors) {
            const std::int64_t time = vector.first;
            CAPTURE(time);
            CHECK(crypto::HotpCode(kRfcSeed, crypto::TotpStep(time), 8) == vector.second);
        }
    }

    TEST_CASE("RFC 4226 Appendix D HOTP values (6 digits)") {
        const char* expected[] = {
            "755224",
            "287082",
            "359152",
            "969429",
            "338314",
            "254676",
            "287922",
            "162583",
            "399871",
            "520489"};
        for (std::uint64_t counter = 0; counter < 10; ++counter) {
            CHECK(crypto::HotpCode(kRfcSeed, counter, 6) == expected[counter]);
        }
        CHECK_THROWS(static_cast<void>(crypto::HotpCode(kRfcSeed, 0, 0)));
        CHECK_THROWS(static_cast<void>(crypto::HotpCode(kRfcSeed, 0, 10)));
    }

    TEST_CASE("MatchTotp accepts the current step and one either side, nothing further") {
        const std::int64_t now = 1111111111;
        const std::uint64_t step = crypto::TotpStep(now);
        for (const int delta : {-1, 0, 1}) {
            const std::uint64_t at =
                step + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
            const auto matched =
                crypto::MatchTotp(crypto::HotpCode(kRfcSeed, at, 6), kRfcSeed, now);
            REQUIRE(matched.has_value());
            CHECK(*matched == at);
        }
        CHECK_FALSE(crypto::MatchTotp(crypto::HotpCode(kRfcSeed, step - 2, 6), kRfcSeed, now));
        CHECK_FALSE(crypto::MatchTotp(crypto::HotpCode(kRfcSeed, step + 2, 6), kRfcSeed, now));
        CHECK_FALSE(crypto::MatchTotp("", kRfcSeed, now));
        CHECK_FALSE(crypto::MatchTotp("12345", kRfcSeed, now));
        CHECK_FALSE(crypto::MatchTotp(crypto::HotpCode(kRfcSeed, step, 6), "another key", now));
    }

    TEST_CASE("base32 round trip and RFC 4648 vectors") {
        CHECK(crypto::Base32Encode("") == "");
        CHECK(crypto::Base32Encode("f") == "MY");
        CHECK(crypto::Base32Encode("fo") == "MZXQ");
        CHECK(crypto::Base32Encode("foo") == "MZXW6");
        CHECK(crypto::Base32Encode("foob") == "MZXW6YQ");
        CHECK(crypto::Base32Encode("fooba") == "MZXW6YTB");
        CHECK(crypto::Base32Encode("foobar") == "MZXW6YTBOI");
        CHECK(crypto::Base32Decode("MZXW6YTBOI") == std::optional<std::string>("foobar"));
        CHECK(crypto::Base32Decode("mzxw6ytboi======") == std::optional<std::string>("foobar"));
        CHECK_FALSE(crypto::Base32Decode("MZXW6YTB1"));  // '1' is not base32
        CHECK_FALSE(crypto::Base32Decode("M"));          // an impossible length
        const std::string secret(20, '\xff');
        CHECK(crypto::Base32Encode(secret).size() == 32);
        CHECK(
            crypto::Base32Decode(crypto::Base32Encode(secret)) == std::optional<std::string>(secret)
        );
    }
}
