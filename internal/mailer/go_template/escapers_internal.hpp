#pragma once

// html/template's escapers (Go's src/html/template/html.go, url.go, js.go, css.go) for the values
// a template sees. Values are never pre-typed safe content (template.HTML etc.), so every branch
// for typed content reduces to Go's plain-text path.

#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// What a filter prints instead of a rejected value.
inline constexpr std::string_view kFilterFailsafe = "ZgotmplZ";

// The action value through its chain: the first escaper sees the value (JS gets JSON, a null
// prints as Go prints an untyped nil), the rest the previous escaper's string.
std::string ApplyEscapers(const std::vector<Escaper>& chain, const TemplateValue& value);

// One escaper over a string.
std::string EscapeString(Escaper escaper, std::string_view s);

// encoding/json's Marshal of a value (HTML-safe: <, >, & as \u003c, \u003e, \u0026).
std::string JsonMarshal(const TemplateValue& value);

}  // namespace gotrue::mailer::go_template_internal
