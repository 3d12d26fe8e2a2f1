#include "json/parser.hpp"

#include <string>

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

using gotrue::json::Parse;

namespace {

std::string Serialise(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return buffer.GetString();
}

std::string Nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

TEST_SUITE("json") {
    TEST_CASE("well-formed documents parse as RapidJSON would") {
        const auto result = Parse(R"( {"a":[1,2.5,true,null,"x"],"b":{"c":"d"}} )");
        REQUIRE(result.Ok());
        CHECK(Serialise(result.document) == R"({"a":[1,2.5,true,null,"x"],"b":{"c":"d"}})");
        CHECK(Parse("\"just a string\"").Ok());
        CHECK(Parse("42").document.GetInt() == 42);
    }

    TEST_CASE("nesting is bounded without recursion: 200000 brackets are an error, not a crash") {
        CHECK(Parse(Nested(400)).Ok());
        const auto too_deep = Parse(Nested(401));
        CHECK_FALSE(too_deep.Ok());
        CHECK(too_deep.error.find("exceeded max depth of 400") != std::string::npos);
        const auto flood = Parse(std::string(200000, '['));
        CHECK_FALSE(flood.Ok());
        CHECK(flood.error.find("max depth") != std::string::npos);
        CHECK(Parse(R"({"a":)" + Nested(399) + "}").Ok());
        CHECK_FALSE(Parse(R"({"a":)" + Nested(400) + "}").Ok());
        CHECK(Parse(Nested(3), {.max_depth = 3}).Ok());
        CHECK_FALSE(Parse(Nested(4), {.max_depth = 3}).Ok());
    }

    TEST_CASE("U+0000 is refused in strings and keys, and a raw NUL byte anywhere") {
        const auto in_value = Parse(R"({"password":"a\u0000b"})");
        CHECK_FALSE(in_value.Ok());
        CHECK(in_value.error.find("string contains U+0000") != std::string::npos);
        CHECK(
            Parse(R"({"a\u0000":1})").error.find("object key contains U+0000") != std::string::npos
        );
        CHECK_FALSE(Parse(std::string("{}\0junk", 7)).Ok());
        CHECK_FALSE(Parse(std::string("{\"a\":\"x\0\"}", 10)).Ok());
    }

    TEST_CASE("a lone low surrogate becomes U+FFFD as in Go, a lone high surrogate is an error") {
        const auto low = Parse(R"({"v":"a\udc00b","\udfff":1})");
        REQUIRE(low.Ok());
        CHECK(
            std::string(low.document["v"].GetString()) ==
            "a\xEF\xBF\xBD"
            "b"
        );
        CHECK(low.document.HasMember("\xEF\xBF\xBD"));
        const auto pair = Parse(R"({"v":"\ud83d\ude00"})");
        REQUIRE(pair.Ok());
        CHECK(std::string(pair.document["v"].GetString()) == "\xF0\x9F\x98\x80");
        CHECK_FALSE(Parse(R"({"v":"\ud800"})").Ok());
        CHECK_FALSE(Parse(R"({"v":"\ud800x"})").Ok());
    }

    TEST_CASE("invalid UTF-8, a byte order mark and trailing data are refused") {
        CHECK_FALSE(Parse("{\"a\":\"\xFF\"}").Ok());
        CHECK_FALSE(Parse("{\"a\":\"\xED\xA0\x80\"}").Ok());  // CESU-8 surrogate bytes
        const auto bom = Parse("\xEF\xBB\xBF{}");
        CHECK_FALSE(bom.Ok());
        CHECK(bom.error.find("looking for beginning of value") != std::string::npos);
        CHECK_FALSE(Parse("{} {}").Ok());
        CHECK_FALSE(Parse("").Ok());
        CHECK_FALSE(Parse("{").Ok());
    }

    TEST_CASE("of duplicate keys the last wins, at every depth, keeping the order of the rest") {
        const auto result =
            Parse(R"({"a":1,"b":2,"a":3,"c":{"x":1,"x":{"y":1,"y":2}},"d":[{"k":1,"k":2}]})");
        REQUIRE(result.Ok());
        CHECK(Serialise(result.document) == R"({"b":2,"a":3,"c":{"x":{"y":2}},"d":[{"k":2}]})");
        const auto many = Parse(R"({"email":"first@x","email":"second@x","email":"last@x"})");
        REQUIRE(many.Ok());
        CHECK(many.document.MemberCount() == 1);
        CHECK(std::string(many.document["email"].GetString()) == "last@x");
        const auto refused = Parse(
            R"({"a":{"b":1,"b":2}})", {.duplicate_keys = gotrue::json::DuplicateKeys::kRefuse}
        );
        CHECK(refused.error == "duplicate key \"b\"");
    }

    TEST_CASE("errors carry the byte offset") {
        const auto result = Parse(R"({"a":tru})");
        CHECK_FALSE(result.Ok());
        CHECK(result.offset == 8);
        CHECK(result.Describe() == result.error + " (at offset 8)");
        CHECK(result.document.IsNull());
    }

    TEST_CASE("numbers: a zero with a large exponent is zero, one that overflows is an error") {
        for (const char* zero : {"0e-23", "0e300", "-0e300", "0.0e-330"}) {
            CAPTURE(zero);
            const auto result = Parse(std::string("[") + zero + "]");
            REQUIRE(result.Ok());
            CHECK(result.document[0].GetDouble() == 0.0);
        }
        const auto infinite = Parse(R"({"x":[17672292001e300]})");
        CHECK_FALSE(infinite.Ok());
        CHECK(infinite.error == "Number too big to be stored in double.");
        CHECK(Parse("[1.7976931348623157e308,-1.7976931348623157e308]").Ok());
    }
}
