// GoTemplate: source -> Lex -> Parse -> tree; Render walks the tree with Execute. The stages
// live in go_template/ (value, lexer, parser, escape: html/template's contextual escaper, format,
// exec).

#include "mailer/go_template.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailer/go_template/escape_internal.hpp"
#include "mailer/go_template/exec_internal.hpp"
#include "mailer/go_template/lexer_internal.hpp"
#include "mailer/go_template/parser_internal.hpp"
#include "mailer/go_template/source_internal.hpp"
#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer {

TemplateError::TemplateError(
    std::string_view template_name, int line, int column, std::string_view message
)
    : std::runtime_error(
          "template: " + std::string(template_name) + ":" + std::to_string(line) + ":" +
          std::to_string(column) + ": " + std::string(message)
      ),
      line_(line),
      column_(column) {}

// The escaping pass runs in Parse; html/template reports its errors when the template is first
// executed, so Render (with escaping) throws them.
struct GoTemplate::Impl {
    std::string name;
    go_template_internal::ParsedTree tree;
    std::optional<TemplateError> escape_error;
};

GoTemplate GoTemplate::Parse(std::string_view source, std::string_view name) {
    if (source.size() > kTemplateMaxBytes) {
        throw TemplateError(
            name,
            1,
            1,
            "template is " + std::to_string(source.size()) + " bytes, more than the " +
                std::to_string(kTemplateMaxBytes) + " allowed"
        );
    }
    const go_template_internal::Source text(source, name);
    auto impl = std::make_shared<Impl>();
    impl->name = std::string(name);
    impl->tree = go_template_internal::Parse(go_template_internal::Lex(text), text);
    impl->escape_error = go_template_internal::EscapeTree(impl->tree, name);
    return GoTemplate(std::move(impl));
}

std::string GoTemplate::Render(const TemplateData& data, bool escape_html) const {
    if (escape_html && impl_->escape_error) {
        throw TemplateError(*impl_->escape_error);
    }
    const TemplateValue root = TemplateValue::Object(data);
    std::string out;
    go_template_internal::Execute(
        impl_->tree,
        root,
        impl_->name,
        escape_html ? go_template_internal::Escaping::kContextual
                    : go_template_internal::Escaping::kNone,
        out
    );
    return out;
}

const std::string& GoTemplate::Name() const {
    return impl_->name;
}

}  // namespace gotrue::mailer
