#pragma once

// UTF-8 decoding (RFC 3629), shared by the log formatter, which escapes what is not valid UTF-8,
// and the API, which makes client text safe (api::ToSafeText).

#include <cstddef>
#include <string_view>

namespace gotrue::observability {

struct CodePoint {
    char32_t value = 0;
    std::size_t length = 0;  // 0: the bytes at this position are not valid UTF-8
};

// The UTF-8 sequence at the start of `text` (not empty). Overlong forms, surrogates, values past
// U+10FFFF and cut-short sequences are invalid.
[[nodiscard]] CodePoint DecodeUtf8(std::string_view text);

}  // namespace gotrue::observability
