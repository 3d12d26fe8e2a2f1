#pragma once

// The parser: tokens -> parse tree, with every variable resolved to its executor stack slot.

#include <vector>

#include "mailer/go_template/lexer_internal.hpp"
#include "mailer/go_template/source_internal.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// The template's top-level node list. Throws TemplateError for syntax outside the subset.
std::vector<Node> Parse(std::vector<Token> tokens, const Source& source);

}  // namespace gotrue::mailer::go_template_internal
