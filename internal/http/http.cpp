#include "http/http.hpp"

#include <algorithm>

#include "http/errors.hpp"
#include "observability/utf8.hpp"
#include "text/ascii.hpp"

namespace gotrue::http {

using text::EqualsIgnoreCase;

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

std::string BearerToken(const Request& request) {
    const std::string header = request.headers.Get("Authorization").value_or("");
    std::string token = header.size() > 7 ? header.substr(7) : std::string();
    if (!text::StartsWithIgnoreCase(header, "bearer ") || token.empty() ||
        token.find(' ') != std::string::npos) {
        throw Unauthorized(kNoAuthorization, "This endpoint requires a valid Bearer token");
    }
    return token;
}

std::string UrlDecode(std::string_view text, Plus plus) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int high = text::HexValue(text[i + 1]);
            const int low = text::HexValue(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += (c == '+' && plus == Plus::kSpace) ? ' ' : c;
    }
    return out;
}

std::string ToSafeText(std::string_view text) {
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const observability::CodePoint c = observability::DecodeUtf8(text.substr(i));
        if (c.length == 0 || c.value == 0) {
            out.append(kReplacement);
            ++i;  // resynchronise on the next byte, as Go's utf8 decoding does
            continue;
        }
        out.append(text.substr(i, c.length));
        i += c.length;
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

}  // namespace gotrue::http
