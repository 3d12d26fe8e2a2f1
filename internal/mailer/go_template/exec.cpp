#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailer/go_template/escapers_internal.hpp"
#include "mailer/go_template/exec_internal.hpp"
#include "mailer/go_template/format_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

class Executor {
public:
    Executor(std::string_view name, Escaping escaping, std::string& out)
        : name_(name), escaping_(escaping), out_(out) {}

    void Run(const std::vector<Node>& root, const TemplateValue& data) {
        vars_.push_back({"$", data});
        Walk(root, data);
    }

private:
    struct Variable {
        std::string name;
        TemplateValue value;
    };

    [[noreturn]] void Fail(Pos pos, std::string_view message) const {
        throw TemplateError(name_, pos.line, pos.column, message);
    }

    // The render budget (header: kTemplateMaxSteps, kTemplateMaxTextBytes).
    void Step(Pos pos) {
        if (++steps_ > kTemplateMaxSteps) {
            Fail(
                pos,
                "rendering stopped: more than " + std::to_string(kTemplateMaxSteps) +
                    " evaluation steps"
            );
        }
    }

    void SpendText(std::size_t bytes, Pos pos) {
        if (bytes > kTemplateMaxTextBytes - text_bytes_) {
            Fail(
                pos,
                "rendering stopped: more than " + std::to_string(kTemplateMaxTextBytes) +
                    " bytes of text"
            );
        }
        text_bytes_ += bytes;
    }

    // What is left of the text budget: string builders stop just past it.
    [[nodiscard]] std::size_t TextLeft() const { return kTemplateMaxTextBytes - text_bytes_; }

    // A string built by a function, charged to the text budget.
    TemplateValue Built(std::string text, Pos pos) {
        SpendText(text.size(), pos);
        return TemplateValue::String(std::move(text));
    }

    void Walk(const std::vector<Node>& list, const TemplateValue& dot) {
        for (const Node& node : list) {
            Step(node.pos);
            switch (node.type) {
                case NodeType::kText: {
                    const std::string& text =
                        escaping_ == Escaping::kContextual && node.escaped_text ? *node.escaped_text
                                                                                : node.text;
                    SpendText(text.size(), node.pos);
                    out_ += text;
                    break;
                }
                case NodeType::kAction:
                    Action(node, dot);
                    break;
                case NodeType::kIf:
                case NodeType::kWith:
                    IfOrWith(node, dot);
                    break;
                case NodeType::kRange:
                    Range(node, dot);
                    break;
            }
        }
    }

    void Action(const Node& node, const TemplateValue& dot) {
        if (node.pipe.decl != DeclKind::kNone) {
            (void)EvalPipeline(node.pipe, dot);
            return;
        }
        const TemplateValue value =
            escaping_ == Escaping::kContextual && node.last_command_in_escapers
                ? EscaperInput(node.pipe, dot)
                : EvalPipeline(node.pipe, dot);
        if (value.Kind() == ValueKind::kString) {
            SpendText(value.AsString().size(), node.pos);  // before escaping copies it
        }
        std::string text;
        if (escaping_ == Escaping::kContextual) {
            text = ApplyEscapers(node.escapers, value);
        } else if (!value.IsNull()) {
            text = Format(value);
        }
        SpendText(text.size(), node.pos);
        out_ += text;
    }

    // The value a pipeline ending in html/urlquery hands to the escapers when that command
    // moved into them (Go's ensurePipelineContains): "{{ html a b }}" is "{{ _eval_args_ a b }}",
    // "{{ x | f | html }}" is "{{ x | f }}".
    TemplateValue EscaperInput(const Pipeline& pipe, const TemplateValue& dot) {
        const std::span<const Command> cmds(pipe.cmds);
        if (cmds.size() > 1) {
            return EvalCommands(cmds.first(cmds.size() - 1), dot);
        }
        std::vector<TemplateValue> values;
        for (const Expr& arg : std::span(cmds.front().args).subspan(1)) {
            values.push_back(EvalArg(arg, dot));
        }
        return Built(EvalArgs(values, TextLeft()), cmds.front().pos);
    }

    void IfOrWith(const Node& node, const TemplateValue& dot) {
        const std::size_t mark = vars_.size();
        bool taken = false;
        for (const Branch& branch : node.branches) {
            const TemplateValue value = EvalPipeline(branch.cond, dot);
            if (value.IsTruthy()) {
                Walk(branch.body, node.type == NodeType::kWith ? value : dot);
                taken = true;
                break;
            }
        }
        if (!taken) {
            Walk(node.else_body, dot);
        }
        vars_.resize(mark);
    }

    void Range(const Node& node, const TemplateValue& dot) {
        const Branch& branch = node.branches.front();
        const TemplateValue value = EvalCommands(branch.cond.cmds, dot);
        const std::size_t mark = vars_.size();
        const std::vector<std::string>& names = branch.cond.vars;
        std::size_t count = 0;
        const auto iteration = [&](const TemplateValue& key, const TemplateValue& element) {
            ++count;
            Step(branch.cond.pos);
            const std::size_t iteration_mark = vars_.size();
            if (names.size() == 1) {
                vars_.push_back({names[0], element});
            } else if (names.size() == 2) {
                vars_.push_back({names[0], key});
                vars_.push_back({names[1], element});
            }
            Walk(branch.body, element);
            vars_.resize(iteration_mark);
        };
        switch (value.Kind()) {
            case ValueKind::kNull:
                break;
            case ValueKind::kList: {
                const TemplateValue::Array& items = value.AsList();
                for (std::size_t i = 0; i < items.size(); ++i) {
                    iteration(TemplateValue::Number(static_cast<double>(i)), items[i]);
                }
                break;
            }
            case ValueKind::kObject:
                for (const auto& [key, item] : value.AsObject()) {
                    iteration(TemplateValue::String(key), item);
                }
                break;
            default:
                Fail(
                    branch.cond.pos,
                    "range can't iterate over " + std::string(KindName(value.Kind())) + " " +
                        Format(value)
                );
        }
        if (count == 0) {
            Walk(node.else_body, dot);
        }
        vars_.resize(mark);
    }

    TemplateValue EvalPipeline(const Pipeline& pipe, const TemplateValue& dot) {
        TemplateValue value = EvalCommands(pipe.cmds, dot);
        if (pipe.decl == DeclKind::kDeclare) {
            vars_.push_back({pipe.vars.front(), value});
        } else if (pipe.decl == DeclKind::kAssign) {
            LookupVariable(pipe.assign_slot, pipe.vars.front()) = value;
        }
        return value;
    }

    TemplateValue EvalCommands(std::span<const Command> cmds, const TemplateValue& dot) {
        TemplateValue value;
        for (std::size_t i = 0; i < cmds.size(); ++i) {
            const Command& cmd = cmds[i];
            Step(cmd.pos);
            const Expr& head = cmd.args.front();
            if (head.type == ExprType::kFunction) {
                value = Call(head, std::span(cmd.args).subspan(1), i > 0 ? &value : nullptr, dot);
            } else {
                value = EvalArg(head, dot);
            }
        }
        return value;
    }

    // The parser resolved the variable to its stack index (Parser::Declare); the name is only
    // checked, so that a parser/executor mismatch is a loud bug rather than a wrong value.
    TemplateValue& LookupVariable(std::size_t slot, const std::string& name) {
        if (slot >= vars_.size() || vars_[slot].name != name) {
            throw std::logic_error("go_template: variable " + name + " is not at its stack slot");
        }
        return vars_[slot].value;
    }

    TemplateValue EvalArg(const Expr& expr, const TemplateValue& dot) {
        TemplateValue owned;
        const TemplateValue* base = &dot;
        switch (expr.type) {
            case ExprType::kDot:
            case ExprType::kField:
                break;
            case ExprType::kVariable:
                base = &LookupVariable(expr.slot, expr.name);
                break;
            case ExprType::kLiteral:
                return expr.literal;
            case ExprType::kNil:
                return {};
            case ExprType::kFunction: {
                return Call(expr, {}, nullptr, dot);
            }
            case ExprType::kPipeline:
                owned = EvalCommands(expr.pipe->cmds, dot);
                base = &owned;
                break;
        }
        for (const std::string& field : expr.fields) {
            if (base->IsNull()) {
                return {};
            }
            if (base->Kind() != ValueKind::kObject) {
                Fail(
                    expr.pos,
                    "can't evaluate field " + field + " in type " +
                        std::string(KindName(base->Kind()))
                );
            }
            base = base->Find(field);
            if (base == nullptr) {
                return {};
            }
        }
        return *base;
    }

    // `args` follow the function name; `piped` is the previous command's value, passed last.
    TemplateValue Call(
        const Expr& fn,
        std::span<const Expr> args,
        const TemplateValue* piped,
        const TemplateValue& dot
    ) {
        const std::size_t count = args.size() + (piped != nullptr ? 1 : 0);
        // Lazy, so that and/or short-circuit.
        const auto arg = [&](std::size_t i) {
            return i < args.size() ? EvalArg(args[i], dot) : *piped;
        };
        const auto all = [&] {
            std::vector<TemplateValue> values;
            values.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                values.push_back(arg(i));
            }
            return values;
        };
        switch (fn.func) {
            case Func::kAnd:
            case Func::kOr:
                for (std::size_t i = 0; i < count; ++i) {
                    TemplateValue value = arg(i);
                    if (value.IsTruthy() != (fn.func == Func::kAnd) || i + 1 == count) {
                        return value;
                    }
                }
                return {};
            case Func::kNot:
                return TemplateValue::Bool(!arg(0).IsTruthy());
            case Func::kEq: {
                const TemplateValue first = arg(0);
                for (std::size_t i = 1; i < count; ++i) {
                    if (Equal(first, arg(i), fn.pos)) {
                        return TemplateValue::Bool(true);
                    }
                }
                return TemplateValue::Bool(false);
            }
            case Func::kNe:
                return TemplateValue::Bool(!Equal(arg(0), arg(1), fn.pos));
            case Func::kLt:
                return TemplateValue::Bool(Less(arg(0), arg(1), fn.pos));
            case Func::kLe: {
                const TemplateValue a = arg(0);
                const TemplateValue b = arg(1);
                return TemplateValue::Bool(!Less(b, a, fn.pos));
            }
            case Func::kGt:
                return TemplateValue::Bool(Less(arg(1), arg(0), fn.pos));
            case Func::kGe: {
                const TemplateValue a = arg(0);
                const TemplateValue b = arg(1);
                return TemplateValue::Bool(!Less(a, b, fn.pos));
            }
            case Func::kLen:
                return TemplateValue::Number(static_cast<double>(Length(arg(0), fn.pos)));
            case Func::kIndex:
                return Index(all(), fn.pos);
            case Func::kHtml:
                return Built(HtmlEscape(EvalArgs(all(), TextLeft()), false), fn.pos);
            case Func::kUrlquery:
                return Built(QueryEscape(EvalArgs(all(), TextLeft())), fn.pos);
            case Func::kPrint:
                return Built(Sprint(all(), TextLeft()), fn.pos);
            case Func::kPrintln:
                return Built(Sprintln(all(), TextLeft()), fn.pos);
        }
        return {};
    }

    // Comparing two strings reads both: charged to the text budget like building one.
    void SpendComparison(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        if (a.Kind() == ValueKind::kString && b.Kind() == ValueKind::kString) {
            SpendText(std::min(a.AsString().size(), b.AsString().size()), pos);
        }
    }

    bool Equal(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        for (const TemplateValue* value : {&a, &b}) {
            if (value->Kind() == ValueKind::kObject || value->Kind() == ValueKind::kList) {
                Fail(
                    pos,
                    "error calling eq: non-comparable type " + std::string(KindName(value->Kind()))
                );
            }
        }
        if (a.Kind() != b.Kind()) {
            return false;  // Go errors; unequal is kinder to user-supplied data
        }
        SpendComparison(a, b, pos);
        switch (a.Kind()) {
            case ValueKind::kBool:
                return a.AsBool() == b.AsBool();
            case ValueKind::kNumber:
                return a.AsNumber() == b.AsNumber();
            case ValueKind::kString:
                return a.AsString() == b.AsString();
            default:
                return true;  // both null
        }
    }

    bool Less(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        if (a.Kind() == ValueKind::kNumber && b.Kind() == ValueKind::kNumber) {
            return a.AsNumber() < b.AsNumber();
        }
        if (a.Kind() == ValueKind::kString && b.Kind() == ValueKind::kString) {
            SpendComparison(a, b, pos);
            return a.AsString() < b.AsString();
        }
        Fail(
            pos,
            "incompatible types for comparison: " + std::string(KindName(a.Kind())) + " and " +
                std::string(KindName(b.Kind()))
        );
    }

    std::size_t Length(const TemplateValue& value, Pos pos) const {
        switch (value.Kind()) {
            case ValueKind::kNull:
                return 0;
            case ValueKind::kString:
                return value.AsString().size();
            case ValueKind::kObject:
                return value.AsObject().size();
            case ValueKind::kList:
                return value.AsList().size();
            default:
                Fail(pos, "len of type " + std::string(KindName(value.Kind())));
        }
    }

    TemplateValue Index(const std::vector<TemplateValue>& values, Pos pos) const {
        TemplateValue item = values.front();
        for (std::size_t i = 1; i < values.size(); ++i) {
            const TemplateValue& key = values[i];
            if (item.IsNull()) {
                return {};
            }
            if (item.Kind() == ValueKind::kObject && key.Kind() == ValueKind::kString) {
                const TemplateValue* found = item.Find(key.AsString());
                item = found == nullptr ? TemplateValue() : *found;
            } else if (item.Kind() == ValueKind::kList && key.Kind() == ValueKind::kNumber) {
                const double index = key.AsNumber();
                const TemplateValue::Array& items = item.AsList();
                if (std::trunc(index) != index || index < 0 ||
                    index >= static_cast<double>(items.size())) {
                    Fail(pos, "error calling index: index out of range: " + Format(key));
                }
                item = items[static_cast<std::size_t>(index)];
            } else {
                Fail(
                    pos,
                    "error calling index: can't index item of type " +
                        std::string(KindName(item.Kind())) + " with " +
                        std::string(KindName(key.Kind()))
                );
            }
        }
        return item;
    }

    std::string_view name_;
    Escaping escaping_;
    std::string& out_;
    std::vector<Variable> vars_;  // the stack the parser's variable slots index
    std::size_t steps_ = 0;
    std::size_t text_bytes_ = 0;
};

}  // namespace

void Execute(
    const std::vector<Node>& root,
    const TemplateValue& data,
    std::string_view name,
    Escaping escaping,
    std::string& out
) {
    Executor(name, escaping, out).Run(root, data);
}

}  // namespace gotrue::mailer::go_template_internal
