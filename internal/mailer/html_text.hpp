#pragma once

#include <string>
#include <string_view>

namespace gotrue::mailer {

// The plain-text alternative of an HTML mail body: tags removed, block elements and <br> as
// line breaks, links as "text (url)" (so the link survives in text-only clients), the common
// entities decoded, runs of blank lines collapsed.
[[nodiscard]] std::string HtmlToText(std::string_view html);

}  // namespace gotrue::mailer
