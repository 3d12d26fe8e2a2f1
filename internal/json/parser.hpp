#pragma once

// json: the one way this server reads JSON text, from the network or from the database. RapidJSON's
// default parser recurses once per nesting level, so 200 KB of '[' exhausts a thread's stack; this
// parser is iterative, bounds the nesting, and leaves a document every later step can trust:
//   - at most `max_depth` nested arrays/objects (Go's encoding/json allows 10000; 400 is plenty
//     for metadata and keeps every recursive reader of the result, destructor included, shallow);
//   - valid UTF-8 only, and no byte order mark (Go refuses one: "invalid character 'ï' ...");
//   - finite numbers only (RapidJSON reads 17672292001e300 as infinity; Go refuses it);
//   - no U+0000 in any string or key: PostgreSQL text and jsonb cannot store it;
//   - a lone low-surrogate escape ("\udc00") becomes U+FFFD, as Go decodes it, instead of
//     CESU-8 bytes PostgreSQL would refuse (RapidJSON itself refuses a lone high surrogate);
//   - of duplicate keys in an object the last wins, as in Go (RapidJSON keeps both and its
//     FindMember returns the first, so two readers could see two different values), or, on
//     request, duplicates are an error.
// Only RapidJSON and the standard library: tokens/ and api/ both use it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace gotrue::json {

inline constexpr std::size_t kDefaultMaxDepth = 400;

enum class DuplicateKeys { kLastWins, kRefuse };

struct ParseOptions {
    std::size_t max_depth = kDefaultMaxDepth;
    DuplicateKeys duplicate_keys = DuplicateKeys::kLastWins;
};

struct ParseResult {
    rapidjson::Document document;       // Null when parsing failed
    std::string error;                  // empty on success, else a one-line reason
    std::optional<std::size_t> offset;  // where in the text the error was found, if known

    [[nodiscard]] bool Ok() const { return error.empty(); }

    // "<error> (at offset N)", or just the error.
    [[nodiscard]] std::string Describe() const;
};

// Parses `text` as exactly one JSON value (surrounding whitespace allowed).
[[nodiscard]] ParseResult Parse(std::string_view text, const ParseOptions& options = {});

}  // namespace gotrue::json
