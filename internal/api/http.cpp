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

void Headers::Add(std::string name, std::string value) {
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

std::string ToSafeText(std::string_view text) {
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        unsigned min_second = 0x80;
        unsigned max_second = 0xBF;
        if (lead >= 0x01 && lead <= 0x7F) {
            length = 1;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            min_second = lead == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
            max_second = lead == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            min_second = lead == 0xF0 ? 0x90 : 0x80;
            max_second = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
        }
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto byte = static_cast<unsigned char>(text[i + k]);
            valid = k == 1 ? (byte >= min_second && byte <= max_second) : (byte & 0xC0) == 0x80;
        }
        if (valid) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out.append(kReplacement);
            ++i;  // resynchronise on the next byte, as Go's utf8 decoding does
        }
    }
    return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
    std::map<std::string, std::string> parameters;
    std::size_t start = 0;
    while (start < query.size()) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos) {
            end = query.size();
        }
        const std::string_view pair = query.substr(start, end - start);
        if (!pair.empty()) {
            const auto equals = pair.find('=');
            parameters.emplace(
                ToSafeText(UrlDecode(pair.substr(0, equals))),
                equals == std::string_view::npos ? std::string()
                                                 : ToSafeText(UrlDecode(pair.substr(equals + 1)))
            );
        }
        start = end + 1;
    }
    return parameters;
}

}  // namespace gotrue::api
