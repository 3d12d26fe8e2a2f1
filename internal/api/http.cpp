#include "api/http.hpp"

#include <algorithm>
#include <cctype>

namespace gotrue::api {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<std::string> Headers::Get(std::string_view name) const {
    for (const auto& [key, value] : entries_) {
        if (EqualsIgnoreCase(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

void Headers::Set(std::string name, std::string value) {
    for (auto& [key, existing] : entries_) {
        if (EqualsIgnoreCase(key, name)) {
            existing = std::move(value);
            return;
        }
    }
    entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
    std::erase_if(entries_, [name](const auto& entry) {
        return EqualsIgnoreCase(entry.first, name);
    });
}

Response JsonResponse(int status, std::string body) {
    Response response;
    response.status = status;
    response.headers.Set("Content-Type", "application/json");
    response.body = std::move(body);
    return response;
}

std::string UrlDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int high = HexValue(text[i + 1]);
            const int low = HexValue(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += (c == '+' && plus_is_space) ? ' ' : c;
    }
    return out;
}

}  // namespace gotrue::api
