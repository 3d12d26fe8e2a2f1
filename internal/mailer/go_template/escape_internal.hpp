#pragma once

// The escaping pass (Go's src/html/template/escape.go): walks the parsed tree with the HTML
// context, picks each action's escapers and html/template's text for each text node.

#include <optional>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// Sets Node::escapers, Node::last_command_in_escapers and Node::escaped_text (for a {{ template }}
// call: the derived template it calls, added to tree.defined), or returns the error html/template
// reports when the template is first executed (then no node is edited).
std::optional<TemplateError> EscapeTree(ParsedTree& tree, std::string_view name);

}  // namespace gotrue::mailer::go_template_internal
