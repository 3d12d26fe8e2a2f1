#pragma once

// logs: structured log events. A call passes its message and its fields as data; the formatter
// that observability::SetupLogging installs renders them as one JSON object per line ({"time",
// "level","component","msg", fields...}) or a readable text line, escaping every value. Nothing
// is parsed back out of text, so no message or value, whatever a client put in it, can add a
// field or a line. A leaf module (spdlog only, and not in this header) so that apitask can use
// it too.
//
//   constexpr logs::Logger kLog{"api"};
//   kLog.Info("request completed", {{"method", request.method}, {"status", 200}});

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace gotrue::logs {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// True for [a-z_][a-z0-9_.]* other than the keys every line has (time, level, component, msg).
[[nodiscard]] constexpr bool IsFieldName(std::string_view name) {
    if (name.empty() || name == "time" || name == "level" || name == "component" || name == "msg") {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool allowed =
            (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '.'));
        if (!allowed) {
            return false;
        }
    }
    return true;
}

// A field name: a string literal, checked when compiling, so a name never comes from input.
class Key {
public:
    template <std::size_t N>
    consteval Key(const char (&name)[N])  // NOLINT(google-explicit-constructor)
        : name_(name, N - 1) {
        if (!IsFieldName(name_)) {
            throw "log field names are [a-z_][a-z0-9_.]* and not time, level, component or msg";
        }
    }

    [[nodiscard]] constexpr std::string_view View() const { return name_; }

private:
    std::string_view name_;
};

template <typename T>
concept Number = (std::integral<T> || std::floating_point<T>)&&!std::same_as<T, bool> &&
                 !std::same_as<T, char> && !std::same_as<T, signed char> &&
                 !std::same_as<T, unsigned char> && !std::same_as<T, char8_t> &&
                 !std::same_as<T, char16_t> && !std::same_as<T, char32_t> &&
                 !std::same_as<T, wchar_t>;

// A field value: text (a view, valid for the duration of the log call), a number or a boolean.
// JSON lines carry numbers and booleans as such, so they can be queried as numbers.
class Value {
public:
    using Data = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

    // NOLINTBEGIN(google-explicit-constructor): values convert implicitly at call sites.
    constexpr Value(std::string_view text) : data_(text) {}

    Value(const std::string& text) : data_(std::string_view(text)) {}

    constexpr Value(const char* text) : data_(std::string_view(text != nullptr ? text : "")) {}

    template <Number T>
    constexpr Value(T number) : data_(Convert(number)) {}

    template <std::same_as<bool> T>
    constexpr Value(T flag) : data_(flag) {}

    // NOLINTEND(google-explicit-constructor)

    [[nodiscard]] constexpr const Data& Get() const { return data_; }

private:
    template <Number T>
    static constexpr Data Convert(T number) {
        if constexpr (std::floating_point<T>) {
            return static_cast<double>(number);
        } else if constexpr (std::signed_integral<T>) {
            return static_cast<std::int64_t>(number);
        } else {
            return static_cast<std::uint64_t>(number);
        }
    }

    Data data_;
};

struct Field {
    Key key;
    Value value;
};

// One event as the formatter sees it.
struct Record {
    std::string_view component;
    std::string_view message;
    std::span<const Field> fields;
};

// Logs for one component ("api", "mailer", ...) through the process's logger (spdlog's default
// logger, set up by observability::SetupLogging). A constant: `constexpr Logger kLog{"api"};`.
class Logger {
public:
    explicit constexpr Logger(std::string_view component) : component_(component) {}

    void Trace(std::string_view message, std::initializer_list<Field> fields = {}) const {
        Log(Level::kTrace, message, fields);
    }

    void Debug(std::string_view message, std::initializer_list<Field> fields = {}) const {
        Log(Level::kDebug, message, fields);
    }

    void Info(std::string_view message, std::initializer_list<Field> fields = {}) const {
        Log(Level::kInfo, message, fields);
    }

    void Warn(std::string_view message, std::initializer_list<Field> fields = {}) const {
        Log(Level::kWarn, message, fields);
    }

    void Error(std::string_view message, std::initializer_list<Field> fields = {}) const {
        Log(Level::kError, message, fields);
    }

    void Log(Level level, std::string_view message, std::initializer_list<Field> fields = {}) const;

private:
    std::string_view component_;
};

// The record a Logger call on this thread is writing, or nullptr. The logger is synchronous:
// its formatter runs inside the call, on the calling thread, and reads the fields from here.
[[nodiscard]] const Record* CurrentRecord() noexcept;

// Creates the logging backend's shared state now. Call before starting threads that log: its
// lazy construction inside the (uninstrumented) shared library is invisible to ThreadSanitizer
// when two threads log first at the same time.
void PrepareForThreads();

// Writes out what the logger has buffered.
void Flush();

}  // namespace gotrue::logs
