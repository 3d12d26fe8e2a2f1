#include "models/time.hpp"

#include <ctime>

namespace gotrue::models {

OptionalTime ReadTime(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return Time(std::chrono::microseconds(field.as<long long>()));
}

std::optional<std::string> TimeParam(const OptionalTime& time) {
    if (!time) {
        return std::nullopt;
    }
    return std::to_string(time->time_since_epoch().count());
}

Time Now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

std::string FormatTime(Time time) {
    const auto micros = time.time_since_epoch().count();
    long long seconds = micros / 1000000;
    long long fraction = micros % 1000000;
    if (fraction < 0) {
        fraction += 1000000;
        --seconds;
    }
    const auto whole = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&whole, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out = text;
    if (fraction != 0) {
        char digits[8];
        std::snprintf(digits, sizeof digits, "%06lld", fraction);
        std::string part = digits;
        while (!part.empty() && part.back() == '0') {
            part.pop_back();
        }
        out += "." + part;
    }
    return out + "Z";
}

}  // namespace gotrue::models
