#include "logs/logs.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace gotrue::logs {
namespace {

// Set for the duration of one Logger call on its thread; a call made while formatting another
// (none today) restores the outer record when it returns.
thread_local const Record* current_record = nullptr;

class CurrentRecordScope {
public:
    explicit CurrentRecordScope(const Record& record)
        : outer_(std::exchange(current_record, &record)) {}

    ~CurrentRecordScope() { current_record = outer_; }

    CurrentRecordScope(const CurrentRecordScope&) = delete;
    CurrentRecordScope& operator=(const CurrentRecordScope&) = delete;

private:
    const Record* outer_;
};

spdlog::level::level_enum ToSpdlog(Level level) {
    switch (level) {
        case Level::kTrace:
            return spdlog::level::trace;
        case Level::kDebug:
            return spdlog::level::debug;
        case Level::kInfo:
            return spdlog::level::info;
        case Level::kWarn:
            return spdlog::level::warn;
        case Level::kError:
            return spdlog::level::err;
    }
    return spdlog::level::err;
}

}  // namespace

void Logger::Log(Level level, std::string_view message, std::initializer_list<Field> fields) const {
    spdlog::logger& logger = *spdlog::default_logger_raw();
    const auto spdlog_level = ToSpdlog(level);
    if (!logger.should_log(spdlog_level)) {
        return;
    }
    const Record record{component_, message, std::span<const Field>(fields.begin(), fields.size())};
    const CurrentRecordScope scope(record);
    // The message is passed as is (no format string); the formatter recognises the record by
    // the message's address.
    logger.log(spdlog_level, spdlog::string_view_t(message.data(), message.size()));
}

const Record* CurrentRecord() noexcept {
    return current_record;
}

void PrepareForThreads() {
    static_cast<void>(spdlog::default_logger_raw());
}

void Flush() {
    spdlog::default_logger_raw()->flush();
}

}  // namespace gotrue::logs
