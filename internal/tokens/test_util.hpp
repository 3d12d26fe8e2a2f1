#pragma once

// Helpers of the tokens tests (jwt_test.cpp, keys_test.cpp).

#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"

namespace gotrue::tokens::testing {

inline rapidjson::Document Json(std::string_view text) {
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    REQUIRE_FALSE(document.HasParseError());
    return document;
}

inline std::string Serialize(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

// The dot-separated parts of a token.
inline std::vector<std::string> Split(const std::string& token) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t dot = token.find('.'); dot != std::string::npos;
         dot = token.find('.', start)) {
        parts.push_back(token.substr(start, dot - start));
        start = dot + 1;
    }
    parts.push_back(token.substr(start));
    return parts;
}

// The token's header as JSON text.
inline std::string DecodedHeader(const std::string& token) {
    return crypto::Base64UrlDecode(Split(token)[0]).value_or("<bad base64>");
}

}  // namespace gotrue::tokens::testing
