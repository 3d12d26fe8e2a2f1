#pragma once

// The parser: tokens -> parse tree, with every variable resolved to its executor stack slot.

#include <vector>

#include "mailer/go_template/lexer_internal.hpp"
#include "mailer/go_template/source_internal.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// The template's node list and the templates it defines. Throws TemplateError for malformed
// syntax, and for html/template's parse-time refusals (an invocation of an undefined template).
ParsedTree Parse(std::vector<Token> tokens, const Source& source);

}  // namespace gotrue::mailer::go_template_internal
