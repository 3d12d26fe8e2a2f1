#include "conf/environment.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "conf/config.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace gotrue::conf {
namespace {

// The most Linux accepts for one environment variable (MAX_ARG_STRLEN): no real setting is
// longer, and without a bound forty lines of "B=${A}${A}" expand to terabytes.
constexpr std::size_t kMaxValueBytes = 128 * 1024;

bool IsKeyChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

std::string_view Lookup(std::string_view name, const Environment& local, const Environment& outer) {
    if (const auto it = local.find(name); it != local.end()) {
        return it->second;
    }
    if (const auto it = outer.find(name); it != outer.end()) {
        return it->second;
    }
    return {};
}

// Replaces ${VAR} (and $VAR) with its value; `\$` keeps a literal dollar. Stops (returns a value
// longer than kMaxValueBytes, which the caller refuses) once the result grows past the limit.
std::string Expand(std::string_view value, const Environment& local, const Environment& outer) {
    std::string out;
    for (std::size_t i = 0; i < value.size() && out.size() <= kMaxValueBytes; ++i) {
        const char c = value[i];
        if (c == '\\' && i + 1 < value.size() && value[i + 1] == '$') {
            out += '$';
            ++i;
        } else if (c == '$' && i + 1 < value.size() && value[i + 1] == '{') {
            const auto close = value.find('}', i + 2);
            if (close == std::string_view::npos) {
                out.append(value.substr(i));
                break;
            }
            out += Lookup(value.substr(i + 2, close - i - 2), local, outer);
            i = close;
        } else if (c == '$' && i + 1 < value.size() && IsKeyChar(value[i + 1])) {
            std::size_t end = i + 1;
            while (end < value.size() && IsKeyChar(value[end])) {
                ++end;
            }
            out += Lookup(value.substr(i + 1, end - i - 1), local, outer);
            i = end - 1;
        } else {
            out += c;
        }
    }
    return out;
}

std::string Unescape(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            const char next = value[++i];
            switch (next) {
                case 'n':
                    out += '\n';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case '$':
                    out += "\\$";  // left for Expand to turn into a literal '$'
                    break;
                default:
                    out += next;
            }
        } else {
            out += value[i];
        }
    }
    return out;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(path.string() + ": cannot read configuration file");
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A line of a dotenv file, for error messages ("FILE:LINE: why").
struct DotenvLine {
    std::string_view source;
    int number = 0;

    [[nodiscard]] ConfigError Error(const std::string& why) const {
        return ConfigError(std::string(source) + ":" + std::to_string(number) + ": " + why);
    }
};

// Without surrounding blanks (and a CR left by CRLF line ends).
std::string_view TrimDotenvLine(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        line.remove_prefix(1);
    }
    return line;
}

std::string_view WithoutExport(std::string_view line) {
    if (line.starts_with("export ")) {
        line.remove_prefix(7);
        while (!line.empty() && line.front() == ' ') {
            line.remove_prefix(1);
        }
    }
    return line;
}

std::string_view DotenvKey(std::string_view key, const DotenvLine& at) {
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
        key.remove_suffix(1);
    }
    if (key.empty()) {
        throw at.Error("empty key");
    }
    for (const char c : key) {
        if (!IsKeyChar(c)) {
            throw at.Error("invalid key \"" + std::string(key) + "\"");
        }
    }
    return key;
}

// The value after "KEY=": '...' verbatim, "..." unescaped and expanded, unquoted expanded up to
// an inline comment (" #").
std::string DotenvValue(
    std::string_view raw, const Environment& values, const Environment& outer, const DotenvLine& at
) {
    while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) {
        raw.remove_prefix(1);
    }
    if (!raw.empty() && (raw.front() == '\'' || raw.front() == '"')) {
        const char quote = raw.front();
        // Find the closing quote that is not escaped.
        std::size_t close = 1;
        while (close < raw.size() && !(raw[close] == quote && raw[close - 1] != '\\')) {
            ++close;
        }
        if (close >= raw.size()) {
            throw at.Error("unterminated quoted value");
        }
        const auto inner = raw.substr(1, close - 1);
        const auto rest = raw.substr(close + 1);
        const auto rest_trimmed = rest.find_first_not_of(" \t");
        if (rest_trimmed != std::string_view::npos && rest[rest_trimmed] != '#') {
            throw at.Error("unexpected text after the closing quote");
        }
        return quote == '\'' ? std::string(inner) : Expand(Unescape(inner), values, outer);
    }
    if (const auto comment = raw.find(" #"); comment != std::string_view::npos) {
        raw = raw.substr(0, comment);
    }
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) {
        raw.remove_suffix(1);
    }
    return Expand(raw, values, outer);
}

}  // namespace

Environment ParseDotenv(std::string_view text, const Environment& outer, std::string_view source) {
    Environment values;
    DotenvLine at{source, 0};
    while (!text.empty()) {
        ++at.number;
        const auto newline = text.find('\n');
        std::string_view line = TrimDotenvLine(text.substr(0, newline));
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        line = WithoutExport(line);
        const auto separator = line.find_first_of("=:");
        if (separator == std::string_view::npos) {
            throw at.Error("expected KEY=value");
        }
        const std::string_view key = DotenvKey(line.substr(0, separator), at);
        std::string value = DotenvValue(line.substr(separator + 1), values, outer, at);
        if (value.size() > kMaxValueBytes) {
            throw at.Error(
                "the value of " + std::string(key) + " is longer than " +
                std::to_string(kMaxValueBytes) + " bytes (after ${VAR} expansion)"
            );
        }
        values[std::string(key)] = std::move(value);
    }
    return values;
}

Environment ParseJsonConfig(std::string_view text, std::string_view source) {
    rapidjson::Document document;
    // Iterative: a deeply nested value ("[[[[...") must be an error, not a stack overflow.
    document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (document.HasParseError()) {
        throw ConfigError(
            std::string(source) + ": invalid JSON at offset " +
            std::to_string(document.GetErrorOffset()) + ": " +
            rapidjson::GetParseError_En(document.GetParseError())
        );
    }
    if (!document.IsObject()) {
        throw ConfigError(std::string(source) + ": expected one JSON object of variables");
    }
    Environment values;
    for (const auto& member : document.GetObject()) {
        const std::string key(member.name.GetString(), member.name.GetStringLength());
        const auto& value = member.value;
        if (value.IsString()) {
            values[key] = std::string(value.GetString(), value.GetStringLength());
        } else if (value.IsBool()) {
            values[key] = value.GetBool() ? "true" : "false";
        } else if (value.IsInt64()) {
            values[key] = std::to_string(value.GetInt64());
        } else if (value.IsNumber()) {
            std::ostringstream number;
            number << value.GetDouble();
            values[key] = number.str();
        } else {
            throw ConfigError(std::string(source) + ": " + key + ": value must be a string");
        }
    }
    return values;
}

Environment ProcessEnvironment() {
    Environment values;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string_view::npos) {
            continue;
        }
        values.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return values;
}

Environment LoadEnvironment(
    Environment process,
    const std::optional<std::filesystem::path>& config_file,
    const std::filesystem::path& dotenv
) {
    if (config_file) {
        if (!std::filesystem::exists(*config_file)) {
            throw ConfigError(config_file->string() + ": configuration file not found");
        }
        const std::string text = ReadFile(*config_file);
        const Environment file_values = config_file->extension() == ".json"
                                            ? ParseJsonConfig(text, config_file->string())
                                            : ParseDotenv(text, process, config_file->string());
        for (const auto& [key, value] : file_values) {
            process[key] = value;  // --config overrides the environment
        }
        return process;
    }
    std::error_code error;
    if (std::filesystem::is_regular_file(dotenv, error)) {
        for (auto& [key, value] : ParseDotenv(ReadFile(dotenv), process, dotenv.string())) {
            process.emplace(key, value);  // the real environment wins
        }
    }
    return process;
}

}  // namespace gotrue::conf
