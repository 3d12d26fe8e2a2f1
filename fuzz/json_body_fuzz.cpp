// Fuzzes the JSON reader every request body and stored value goes through (internal/json,
// http/json): json::Parse, then what handlers do with a body (ParseJsonBody, the typed field
// readers, metadata merging).
//
// Checked besides "no crash, leak, UB or stack overflow": a parsed document holds no U+0000,
// only valid UTF-8, no duplicate keys and no nesting deeper than the limit; writing it out and
// parsing it again gives the same document (the parser accepts what it produces; doubles may
// move by an ulp, as RapidJSON's default precision reads the shortest form back).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http/errors.hpp"
#include "http/http.hpp"
#include "http/json.hpp"
#include "json/parser.hpp"

namespace {

[[noreturn]] void Fail(const char* what) {
    static_cast<void>(std::fprintf(stderr, "json_body_fuzz: %s\n", what));
    std::abort();
}

std::string Write(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

void CheckText(const rapidjson::Value& text) {
    const std::string_view value(text.GetString(), text.GetStringLength());
    if (value.find('\0') != std::string_view::npos) {
        Fail("U+0000 in a parsed string");
    }
    if (gotrue::http::ToSafeText(value) != value) {
        Fail("a parsed string is not valid UTF-8");
    }
}

// Walks with an explicit stack, as the parser does.
void CheckDocument(const rapidjson::Value& root) {
    std::vector<std::pair<const rapidjson::Value*, std::size_t>> pending{{&root, 0}};
    while (!pending.empty()) {
        const auto [value, depth] = pending.back();
        pending.pop_back();
        if (depth > gotrue::json::kDefaultMaxDepth) {
            Fail("nesting deeper than the limit");
        }
        if (value->IsString()) {
            CheckText(*value);
        } else if (value->IsObject()) {
            std::unordered_set<std::string_view> names;
            for (const auto& member : value->GetObject()) {
                CheckText(member.name);
                if (!names.emplace(member.name.GetString(), member.name.GetStringLength()).second) {
                    Fail("a duplicate key survived");
                }
                pending.emplace_back(&member.value, depth + 1);
            }
        } else if (value->IsArray()) {
            for (const auto& element : value->GetArray()) {
                pending.emplace_back(&element, depth + 1);
            }
        }
    }
}

// Same structure, strings and integers; doubles within a relative 1e-15.
bool SameDocument(const rapidjson::Value& a, const rapidjson::Value& b) {
    std::vector<std::pair<const rapidjson::Value*, const rapidjson::Value*>> pending{{&a, &b}};
    while (!pending.empty()) {
        const auto [x, y] = pending.back();
        pending.pop_back();
        if (x->IsDouble() || y->IsDouble()) {
            if (!x->IsNumber() || !y->IsNumber()) {
                return false;
            }
            const double p = x->GetDouble();
            const double q = y->GetDouble();
            if (std::fabs(p - q) > 1e-15 * std::max(std::fabs(p), std::fabs(q))) {
                return false;
            }
            continue;
        }
        if (x->GetType() != y->GetType()) {
            return false;
        }
        if (x->IsObject()) {
            if (x->MemberCount() != y->MemberCount()) {
                return false;
            }
            for (auto i = x->MemberBegin(), j = y->MemberBegin(); i != x->MemberEnd(); ++i, ++j) {
                if (i->name != j->name) {
                    return false;
                }
                pending.emplace_back(&i->value, &j->value);
            }
        } else if (x->IsArray()) {
            if (x->Size() != y->Size()) {
                return false;
            }
            for (rapidjson::SizeType i = 0; i < x->Size(); ++i) {
                pending.emplace_back(&(*x)[i], &(*y)[i]);
            }
        } else if (*x != *y) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const gotrue::json::ParseResult parsed = gotrue::json::Parse(text);
    if (parsed.Ok()) {
        CheckDocument(parsed.document);
        const std::string written = Write(parsed.document);
        const gotrue::json::ParseResult again = gotrue::json::Parse(written);
        if (!again.Ok() || !SameDocument(parsed.document, again.document)) {
            Fail("the parser does not read its own output back");
        }
    }
    try {
        const auto body = gotrue::http::ParseJsonBody(text);
        for (const char* name : {"email", "password", "token_hash", "type", "refresh_token"}) {
            static_cast<void>(gotrue::http::StringField(body, name));
        }
        static_cast<void>(gotrue::http::BoolField(body, "create_user"));
        if (const auto metadata = gotrue::http::ObjectField(body, "data")) {
            const std::string merged =
                gotrue::http::MergeJsonObjects(R"({"a":1,"b":{"c":2}})", *metadata);
            if (!gotrue::json::Parse(merged).Ok()) {
                Fail("merged metadata is not JSON");
            }
        }
    } catch (const gotrue::http::HttpError& error) {
        if (error.Status() != 400) {
            Fail("a body error is not a 400");
        }
    }
    return 0;
}
