#pragma once

// The executor: walks the parse tree over the data and appends the output.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// Turns the printed value of an action (a kAction node) into output text. It sees the node, so a
// pass over the tree can mark per action how its output is escaped.
using OutputHook = std::function<std::string(const Node& action, std::string text)>;

// Render's hooks: html/template's text-context escaping (unless the pipeline ended in html,
// which already escaped), or the text as is (subjects).
std::string EscapeHtmlOutput(const Node& action, std::string text);
std::string VerbatimOutput(const Node& action, std::string text);

// Renders tree.root with `data` as dot and $ into `out`. `name` is the template's, for errors.
// Throws TemplateError for evaluation errors and exhausted render budgets.
void Execute(
    const ParsedTree& tree,
    const TemplateValue& data,
    std::string_view name,
    const OutputHook& output,
    std::string& out
);

}  // namespace gotrue::mailer::go_template_internal
