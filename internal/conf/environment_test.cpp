#include "conf/environment.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "conf/config.hpp"

using gotrue::conf::ConfigError;
using gotrue::conf::Environment;
using gotrue::conf::LoadEnvironment;
using gotrue::conf::ParseDotenv;

namespace {

// A scratch directory removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "conf_test.XXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }

    ~TempDir() { std::filesystem::remove_all(path_); }

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] std::filesystem::path Write(const std::string& name, const std::string& text)
        const {
        auto file = path_ / name;
        std::ofstream(file) << text;
        return file;
    }

private:
    std::filesystem::path path_;
};

}  // namespace

TEST_SUITE("dotenv") {
    TEST_CASE("parses assignments, export, comments and quotes") {
        const auto values = ParseDotenv(
            "# comment\n"
            "A=1\n"
            "export B = two words \n"
            "C='single ${A} \\n'\n"
            "D=\"double ${A}\\nline\"\n"
            "E=value # inline comment\n"
            "F=\n"
            "G=postgres://u:p@h:5432/db?sslmode=disable\n"
            "\r\n",
            {}
        );
        CHECK(values.at("A") == "1");
        CHECK(values.at("B") == "two words");
        CHECK(values.at("C") == "single ${A} \\n");
        CHECK(values.at("D") == "double 1\nline");
        CHECK(values.at("E") == "value");
        CHECK(values.at("F").empty());
        CHECK(values.at("G") == "postgres://u:p@h:5432/db?sslmode=disable");
    }

    TEST_CASE("expands variables from earlier lines and the outer environment") {
        const Environment outer{{"HOME_DIR", "/home/x"}};
        const auto values = ParseDotenv("A=${HOME_DIR}/a\nB=$A/b\nC=\\$A\n", outer);
        CHECK(values.at("A") == "/home/x/a");
        CHECK(values.at("B") == "/home/x/a/b");
        CHECK(values.at("C") == "$A");
    }

    TEST_CASE("malformed lines name the file and line") {
        CHECK_THROWS_WITH_AS(
            static_cast<void>(ParseDotenv("A=1\nJUSTTEXT\n", {}, "my.env")),
            "my.env:2: expected KEY=value",
            ConfigError
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(ParseDotenv("A=\"open\n", {}, "x.env")),
            "x.env:1: unterminated quoted value",
            ConfigError
        );
        CHECK_THROWS_AS(static_cast<void>(ParseDotenv("BAD KEY=1\n", {})), ConfigError);
        CHECK_THROWS_AS(static_cast<void>(ParseDotenv("=1\n", {})), ConfigError);
        CHECK_THROWS_AS(static_cast<void>(ParseDotenv("A='x' trailing\n", {})), ConfigError);
    }
}

TEST_SUITE("dotenv limits (fuzz: dotenv)") {
    TEST_CASE("expansion that doubles a value on every line stops at 128 KiB") {
        // Forty such lines used to expand to 16 TiB: the process hung, then ran out of memory.
        std::string text = "A0=0123456789abcdef\n";
        for (int i = 1; i < 40; ++i) {
            text += "A" + std::to_string(i) + "=${A" + std::to_string(i - 1) + "}$A" +
                    std::to_string(i - 1) + "\n";
        }
        CHECK_THROWS_WITH_AS(
            static_cast<void>(ParseDotenv(text, {}, "x.env")),
            "x.env:15: the value of A14 is longer than 131072 bytes (after ${VAR} expansion)",
            ConfigError
        );
        // Also from the outer environment and inside double quotes.
        const Environment outer{{"BIG", std::string(100 * 1024, 'b')}};
        CHECK_THROWS_AS(static_cast<void>(ParseDotenv("A=\"${BIG}${BIG}\"\n", outer)), ConfigError);
        CHECK(ParseDotenv("A=\"${BIG}\"\n", outer).at("A").size() == 100 * 1024);
    }

    TEST_CASE("a literal value up to 128 KiB is kept, a longer one refused") {
        const std::string at_limit(128 * 1024, 'v');
        CHECK(ParseDotenv("A=" + at_limit + "\n", {}).at("A") == at_limit);
        CHECK(ParseDotenv("A='" + at_limit + "'\n", {}).at("A") == at_limit);
        CHECK_THROWS_WITH_AS(
            static_cast<void>(ParseDotenv("A=" + at_limit + "v\n", {}, "x.env")),
            "x.env:1: the value of A is longer than 131072 bytes (after ${VAR} expansion)",
            ConfigError
        );
    }
}

TEST_SUITE("environment sources") {
    TEST_CASE(".env fills gaps but never overrides the real environment") {
        const TempDir dir;
        const auto dotenv = dir.Write(".env", "A=from-file\nB=from-file\n");
        const auto merged = LoadEnvironment({{"A", "from-env"}}, std::nullopt, dotenv);
        CHECK(merged.at("A") == "from-env");
        CHECK(merged.at("B") == "from-file");
    }

    TEST_CASE("a missing .env is ignored") {
        const TempDir dir;
        const auto merged = LoadEnvironment({{"A", "1"}}, std::nullopt, "/nonexistent/.env");
        CHECK(merged.size() == 1);
    }

    TEST_CASE("--config overrides the environment and replaces .env") {
        const TempDir dir;
        const auto file = dir.Write("other.env", "A=from-config\n");
        const auto merged =
            LoadEnvironment({{"A", "from-env"}, {"C", "kept"}}, file, "/nonexistent");
        CHECK(merged.at("A") == "from-config");
        CHECK(merged.at("C") == "kept");
    }

    TEST_CASE("--config accepts a flat JSON object") {
        const TempDir dir;
        const auto file = dir.Write("c.json", R"({"A":"x","PORT":9999,"B":true})");
        const auto merged = LoadEnvironment({}, file);
        CHECK(merged.at("A") == "x");
        CHECK(merged.at("PORT") == "9999");
        CHECK(merged.at("B") == "true");
    }

    TEST_CASE("a missing or malformed --config file is an error") {
        const TempDir dir;
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadEnvironment({}, std::filesystem::path("/nonexistent/x.env"))),
            "/nonexistent/x.env: configuration file not found",
            ConfigError
        );
        const auto bad_json = dir.Write("bad.json", "{\"A\":");
        CHECK_THROWS_AS(static_cast<void>(LoadEnvironment({}, bad_json)), ConfigError);
        const auto nested = dir.Write("nested.json", R"({"A":{"b":1}})");
        CHECK_THROWS_AS(static_cast<void>(LoadEnvironment({}, nested)), ConfigError);
    }

    TEST_CASE("a deeply nested --config JSON file is an error, not a stack overflow") {
        // RapidJSON's recursive parser overflowed the stack (found by hand while writing the
        // dotenv fuzz target: its inputs are too short to nest 300,000 levels).
        const TempDir dir;
        const auto deep = dir.Write(
            "deep.json", "{\"A\":" + std::string(300000, '[') + std::string(300000, ']') + "}"
        );
        CHECK_THROWS_WITH_AS(
            static_cast<void>(LoadEnvironment({}, deep)),
            doctest::Contains("A: value must be a string"),
            ConfigError
        );
    }
}
