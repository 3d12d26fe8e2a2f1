// Fuzzes the configuration loader (internal/conf): the input is parsed as a .env file
// (ParseDotenv, with ${VAR} expansion against an outer environment) and, as `--config FILE`
// does, the parsed keys override a minimal valid environment that LoadConfig then turns into a
// Config, so every GOTRUE_* value parser (durations, integers, numbers, booleans, lists, URLs,
// enumerations) sees fuzzer-made values. The input is also read as a --config JSON file.
//
// Checked besides "no crash, leak or UB": the only exception is ConfigError (a startup error
// line naming the file and line or the variable), and parsed keys are well-formed.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "conf/environment.hpp"
#include "conf/load.hpp"

namespace {

using gotrue::conf::ConfigError;
using gotrue::conf::Environment;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    static_cast<void>(std::fprintf(
        stderr, "dotenv_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data()
    ));
    std::abort();
}

bool IsKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

const Environment& Outer() {
    static const Environment outer{
        {"HOME", "/root"},
        {"HOST", "db.internal"},
        {"SECRET", "super-secret-jwt-token-with-at-least-32-characters"},
        {"EMPTY", ""},
    };
    return outer;
}

// What `gotrue` needs to start; the fuzzed file overrides any of it.
Environment Minimal() {
    return {
        {"GOTRUE_SITE_URL", "http://localhost:3000"},
        {"API_EXTERNAL_URL", "http://localhost:9999"},
        {"DATABASE_URL", "postgres://postgres:postgres@localhost:5432/postgres"},
        {"GOTRUE_JWT_SECRET", "super-secret-jwt-token-with-at-least-32-characters"},
    };
}

void Load(const Environment& file_values) {
    Environment environment = Minimal();
    for (const auto& [key, value] : file_values) {
        environment[key] = value;
    }
    try {
        static_cast<void>(gotrue::conf::LoadConfig(environment));
    } catch (const ConfigError& error) {
        if (std::string_view(error.what()).empty()) {
            Fail("empty ConfigError from LoadConfig", "");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer passes bytes
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const Environment values = gotrue::conf::ParseDotenv(text, Outer(), "fuzz.env");
        for (const auto& [key, value] : values) {
            if (key.empty()) {
                Fail("empty key", value);
            }
            for (const char c : key) {
                if (!IsKeyChar(c)) {
                    Fail("key with a character outside [A-Za-z0-9_.]", key);
                }
            }
        }
        Load(values);
    } catch (const ConfigError& error) {
        if (!std::string_view(error.what()).starts_with("fuzz.env:")) {
            Fail("ParseDotenv error does not name the file", error.what());
        }
    }
    try {
        Load(gotrue::conf::ParseJsonConfig(text, "fuzz.json"));
    } catch (const ConfigError& error) {
        if (!std::string_view(error.what()).starts_with("fuzz.json:")) {
            Fail("ParseJsonConfig error does not name the file", error.what());
        }
    }
    return 0;
}
