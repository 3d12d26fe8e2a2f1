#include "crypto/password.hpp"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace crypto = gotrue::crypto;

namespace {

constexpr int kTestCost = 4;  // about 1 ms per hash

// Written by GoTrue (Go's x/crypto/bcrypt) for "legacy-password".
constexpr std::string_view kLegacyHash =
    "$2a$10$FataFHucZ2OxGGDrFAm0DOJUW8aRGKrUsJttCgjMVR16dza.uxyNK";

std::string WithPrefix(std::string hash, std::string_view prefix) {
    return hash.replace(0, prefix.size(), prefix);
}

}  // namespace

TEST_SUITE("password") {
    TEST_CASE("HashPassword writes a $2a$ hash that VerifyPassword accepts") {
        const std::string hash = crypto::HashPassword("correct horse", kTestCost);
        CHECK(hash.size() == 60);
        CHECK(hash.rfind("$2a$04$", 0) == 0);
        CHECK(crypto::IsBcryptHash(hash));
        CHECK(crypto::VerifyPassword("correct horse", hash));
        CHECK_FALSE(crypto::VerifyPassword("correct horsE", hash));
        CHECK_FALSE(crypto::VerifyPassword("correct hors", hash));
        CHECK_FALSE(crypto::VerifyPassword("", hash));
    }

    TEST_CASE("each hash gets a fresh salt") {
        const std::string first = crypto::HashPassword("password", kTestCost);
        const std::string second = crypto::HashPassword("password", kTestCost);
        CHECK(first != second);
        CHECK(crypto::VerifyPassword("password", first));
        CHECK(crypto::VerifyPassword("password", second));
    }

    TEST_CASE("the empty password can be hashed and verified") {
        const std::string hash = crypto::HashPassword("", kTestCost);
        CHECK(crypto::VerifyPassword("", hash));
        CHECK_FALSE(crypto::VerifyPassword("x", hash));
    }

    TEST_CASE("cost 10 (GoTrue's default) works") {
        const std::string hash = crypto::HashPassword("default cost");
        CHECK(hash.rfind("$2a$10$", 0) == 0);
        CHECK(crypto::BcryptCost(hash) == 10);
        CHECK(crypto::VerifyPassword("default cost", hash));
    }

    TEST_CASE("a hash written by GoTrue verifies") {
        CHECK(crypto::VerifyPassword("legacy-password", kLegacyHash));
        CHECK_FALSE(crypto::VerifyPassword("legacy-passwort", kLegacyHash));
        CHECK(crypto::BcryptCost(kLegacyHash) == 10);
    }

    TEST_CASE("$2b$ and $2y$ hashes verify") {
        // For passwords shorter than 255 bytes the three prefixes compute the same hash.
        const std::string hash = crypto::HashPassword("prefix test", kTestCost);
        CHECK(crypto::VerifyPassword("prefix test", WithPrefix(hash, "$2b$")));
        CHECK(crypto::VerifyPassword("prefix test", WithPrefix(hash, "$2y$")));
        CHECK_FALSE(crypto::VerifyPassword("prefix tesT", WithPrefix(hash, "$2y$")));
        // $2x$ is the compatibility mode for an old crypt_blowfish bug; not accepted.
        CHECK_FALSE(crypto::VerifyPassword("prefix test", WithPrefix(hash, "$2x$")));
        // PHP's password_verify documentation example.
        CHECK(crypto::VerifyPassword(
            "rasmuslerdorf", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"
        ));
    }

    TEST_CASE("garbage stored hashes are rejected without throwing") {
        const std::string good = crypto::HashPassword("pw", kTestCost);
        std::string bad_char = good;
        bad_char[40] = '!';
        const std::vector<std::string> garbage = {
            "",
            "garbage",
            "$2a$",
            "$2a$10$",
            "$2a$10$short",
            "*0",
            "*1",
            "abJnggxhB/yWI",                       // traditional DES crypt
            "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",  // md5crypt
            "$5$saltsalt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF5hIGl79",
            "$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=a2V5$c2FsdA==$aGFzaA==",
            good.substr(0, 59),
            good + "x",
            WithPrefix(good, "$2c$"),
            "$2a$99" + good.substr(6),
            "$2a$03" + good.substr(6),
            "$2a$1x" + good.substr(6),
            bad_char,
            std::string(60, '$'),
            std::string(100000, 'a'),
        };
        for (const std::string& hash : garbage) {
            CAPTURE(hash);
            bool verified = true;
            CHECK_NOTHROW(verified = crypto::VerifyPassword("pw", hash));
            CHECK_FALSE(verified);
            CHECK_FALSE(crypto::BcryptCost(hash).has_value());
        }
    }

    TEST_CASE("BcryptCost parses the cost of well-formed hashes") {
        CHECK(crypto::BcryptCost(crypto::HashPassword("x", kTestCost)) == 4);
        CHECK(crypto::BcryptCost(crypto::HashPassword("x", 5)) == 5);
        CHECK_FALSE(crypto::BcryptCost("$2a$10$").has_value());
    }

    TEST_CASE("PasswordTooLong counts bytes, not characters") {
        CHECK_FALSE(crypto::PasswordTooLong(""));
        CHECK_FALSE(crypto::PasswordTooLong(std::string(72, 'a')));
        CHECK(crypto::PasswordTooLong(std::string(73, 'a')));
        std::string euros;
        for (int i = 0; i < 24; ++i) {
            euros += "\u20ac";  // 3 bytes each
        }
        CHECK_FALSE(crypto::PasswordTooLong(euros));
        CHECK(crypto::PasswordTooLong(euros + "\u20ac"));
    }

    TEST_CASE("HashPassword rejects bad costs, long passwords and NUL bytes") {
        CHECK_THROWS_AS(static_cast<void>(crypto::HashPassword("pw", 3)), std::invalid_argument);
        CHECK_THROWS_AS(static_cast<void>(crypto::HashPassword("pw", 32)), std::invalid_argument);
        CHECK_THROWS_AS(
            static_cast<void>(crypto::HashPassword(std::string(73, 'a'), kTestCost)),
            std::invalid_argument
        );
        CHECK_THROWS_AS(
            static_cast<void>(crypto::HashPassword(std::string_view("a\0b", 3), kTestCost)),
            std::invalid_argument
        );
    }

    TEST_CASE("a password with a NUL byte never verifies against its prefix") {
        const std::string hash = crypto::HashPassword("a", kTestCost);
        CHECK(crypto::VerifyPassword("a", hash));
        CHECK_FALSE(crypto::VerifyPassword(std::string_view("a\0b", 3), hash));
    }

    TEST_CASE("a password over 72 bytes never verifies, not even against its first 72 bytes") {
        const std::string password(72, 'p');
        const std::string hash = crypto::HashPassword(password, kTestCost);
        CHECK(crypto::VerifyPassword(password, hash));
        CHECK_FALSE(crypto::VerifyPassword(password + "extra", hash));
        CHECK_FALSE(crypto::VerifyPassword(password + "p", hash));
        CHECK_FALSE(crypto::VerifyPassword(password.substr(0, 71), hash));
        // Bytes, not characters: 24 euro signs are 72 bytes, one more character is 75.
        std::string euros;
        for (int i = 0; i < 24; ++i) {
            euros += "\u20ac";
        }
        const std::string euro_hash = crypto::HashPassword(euros, kTestCost);
        CHECK(crypto::VerifyPassword(euros, euro_hash));
        CHECK_FALSE(crypto::VerifyPassword(euros + "\u20ac", euro_hash));
    }

    TEST_CASE("UTF-8 passwords round trip") {
        const std::string password = "p\u00e4ssw\u00f6rd \U0001f511";
        const std::string hash = crypto::HashPassword(password, kTestCost);
        CHECK(crypto::VerifyPassword(password, hash));
        CHECK_FALSE(crypto::VerifyPassword("passw\u00f6rd \U0001f511", hash));
    }

    TEST_CASE("hashing and verifying from several threads at once") {
        std::vector<std::thread> threads;
        std::vector<int> ok(4, 0);
        for (std::size_t t = 0; t < ok.size(); ++t) {
            threads.emplace_back([&ok, t] {
                const std::string password = "thread-" + std::to_string(t);
                for (int i = 0; i < 10; ++i) {
                    const std::string hash = crypto::HashPassword(password, kTestCost);
                    if (crypto::VerifyPassword(password, hash) &&
                        !crypto::VerifyPassword(password + "x", hash)) {
                        ++ok[t];
                    }
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        for (const int count : ok) {
            CHECK(count == 10);
        }
    }
}
