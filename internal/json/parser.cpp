#include "json/parser.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace gotrue::json {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;

// Not kParseFullPrecisionFlag: RapidJSON 1.1.0's full-precision path calls __builtin_clzll(0)
// for a zero with a large exponent ("0e-23"), undefined behaviour that reads it as an arbitrary
// number (found by fuzz/jwt).
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// U+D800..U+DFFF encoded as UTF-8 (what RapidJSON writes for an unpaired "\udc00" escape):
// 0xED followed by 0xA0..0xBF.
bool IsEncodedSurrogate(std::string_view text, std::size_t at) {
    return at + 2 < text.size() && static_cast<unsigned char>(text[at]) == 0xED &&
           static_cast<unsigned char>(text[at + 1]) >= 0xA0 &&
           static_cast<unsigned char>(text[at + 1]) <= 0xBF;
}

// Forwards RapidJSON's SAX events to the document, enforcing the rules of parser.hpp on the way.
class GuardedBuilder final {
public:
    GuardedBuilder(rapidjson::Document& document, std::size_t max_depth)
        : document_(document), max_depth_(max_depth) {}

    [[nodiscard]] const std::string& Error() const { return error_; }

    bool Null() { return document_.Null(); }

    bool Bool(bool value) { return document_.Bool(value); }

    bool Int(int value) { return document_.Int(value); }

    bool Uint(unsigned value) { return document_.Uint(value); }

    bool Int64(int64_t value) { return document_.Int64(value); }

    bool Uint64(uint64_t value) { return document_.Uint64(value); }

    bool Double(double value) {
        // RapidJSON's exponent check ignores the significand: 17672292001e300 arrives as
        // infinity. Go's decoder refuses it, and infinity cannot be written back as JSON.
        if (!std::isfinite(value)) {
            error_ = "Number too big to be stored in double.";
            return false;
        }
        return document_.Double(value);
    }

    bool RawNumber(const char* text, SizeType length, bool copy) {
        return document_.RawNumber(text, length, copy);
    }

    bool String(const char* text, SizeType length, bool /*copy*/) {
        return Text(text, length, false);
    }

    bool Key(const char* text, SizeType length, bool /*copy*/) { return Text(text, length, true); }

    bool StartObject() { return Enter() && document_.StartObject(); }

    bool EndObject(SizeType members) {
        --depth_;
        return document_.EndObject(members);
    }

    bool StartArray() { return Enter() && document_.StartArray(); }

    bool EndArray(SizeType elements) {
        --depth_;
        return document_.EndArray(elements);
    }

private:
    bool Enter() {
        if (++depth_ > max_depth_) {
            error_ = "exceeded max depth of " + std::to_string(max_depth_);
            return false;
        }
        return true;
    }

    bool Text(const char* data, SizeType length, bool key) {
        const std::string_view text(data, length);
        if (text.find('\0') != std::string_view::npos) {
            error_ = std::string(key ? "object key" : "string") + " contains U+0000";
            return false;
        }
        std::string replaced;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (IsEncodedSurrogate(text, i)) {
                if (replaced.empty()) {
                    replaced.assign(text);
                }
                replaced.replace(i, 3, "\xEF\xBF\xBD");  // same length: U+FFFD
                i += 2;
            }
        }
        const std::string_view stored = replaced.empty() ? text : std::string_view(replaced);
        const auto size = static_cast<SizeType>(stored.size());
        return key ? document_.Key(stored.data(), size, true)
                   : document_.String(stored.data(), size, true);
    }

    rapidjson::Document& document_;
    std::size_t max_depth_;
    std::size_t depth_ = 0;
    std::string error_;
};

// Keeps only the last member of each name, in the order of their last occurrence's position.
// With kRefuse, returns the first duplicated name instead (and changes nothing).
std::optional<std::string> KeepLastOfDuplicateKeys(
    Value& object, rapidjson::Document::AllocatorType& allocator, DuplicateKeys policy
) {
    if (object.MemberCount() < 2) {
        return std::nullopt;
    }
    std::unordered_set<std::string_view> seen;
    std::vector<bool> keep(object.MemberCount(), false);
    bool duplicates = false;
    for (SizeType i = object.MemberCount(); i-- > 0;) {
        const Value& name = (object.MemberBegin() + i)->name;
        keep[i] = seen.emplace(name.GetString(), name.GetStringLength()).second;
        if (!keep[i] && policy == DuplicateKeys::kRefuse) {
            return std::string(name.GetString(), name.GetStringLength());
        }
        duplicates = duplicates || !keep[i];
    }
    if (!duplicates) {
        return std::nullopt;
    }
    Value rebuilt(rapidjson::kObjectType);
    for (SizeType i = 0; i < object.MemberCount(); ++i) {
        if (keep[i]) {
            auto member = object.MemberBegin() + i;
            rebuilt.AddMember(member->name, member->value, allocator);  // moves both
        }
    }
    object = rebuilt;  // moves
    return std::nullopt;
}

// Walks the tree with an explicit stack (no recursion, whatever the depth). Returns the error.
std::optional<std::string> NormaliseObjects(rapidjson::Document& document, DuplicateKeys policy) {
    std::vector<Value*> pending{&document};
    while (!pending.empty()) {
        Value* value = pending.back();
        pending.pop_back();
        if (value->IsObject()) {
            if (auto duplicate = KeepLastOfDuplicateKeys(*value, document.GetAllocator(), policy)) {
                return "duplicate key \"" + *duplicate + "\"";
            }
            for (auto& member : value->GetObject()) {
                pending.push_back(&member.value);
            }
        } else if (value->IsArray()) {
            for (auto& element : value->GetArray()) {
                pending.push_back(&element);
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::string ParseResult::Describe() const {
    return offset ? error + " (at offset " + std::to_string(*offset) + ")" : error;
}

ParseResult Parse(std::string_view text, const ParseOptions& options) {
    ParseResult result;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        result.error = "invalid character '\xC3\xAF' looking for beginning of value";
        return result;
    }
    // RapidJSON's streams read a NUL byte as the end of the input, so "{}\0junk" would pass.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        result.error = "invalid character '\\x00'";
        result.offset = nul;
        return result;
    }
    GuardedBuilder builder(result.document, options.max_depth);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(text.data(), text.size());
    bool completed = false;
    auto generator = [&](rapidjson::Document& /*handler*/) {
        completed = !reader.Parse<kParseFlags>(stream, builder).IsError();
        return completed;
    };
    result.document.Populate(generator);
    if (!completed) {
        result.error = builder.Error().empty()
                           ? rapidjson::GetParseError_En(reader.GetParseErrorCode())
                           : builder.Error();
        result.offset = reader.GetErrorOffset();
        result.document.SetNull();
        return result;
    }
    if (auto error = NormaliseObjects(result.document, options.duplicate_keys)) {
        result.error = std::move(*error);
        result.document.SetNull();
    }
    return result;
}

}  // namespace gotrue::json
