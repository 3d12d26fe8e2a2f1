#pragma once

// The executor: walks the parse tree over the data and appends the output.

#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {

// kContextual: html/template's output (the escaping pass's escapers and text, escape.cpp);
// kNone: text/template's (values printed as they are, text as written).
enum class Escaping { kContextual, kNone };

// Renders tree.root with `data` as dot and $ into `out`. `name` is the template's, for errors.
// Throws TemplateError for evaluation errors and exhausted render budgets.
void Execute(
    const ParsedTree& tree,
    const TemplateValue& data,
    std::string_view name,
    Escaping escaping,
    std::string& out
);

}  // namespace gotrue::mailer::go_template_internal
