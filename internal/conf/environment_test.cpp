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
        const auto file = path_ / name;
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
}
