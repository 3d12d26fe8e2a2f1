#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
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
    Executor(const ParsedTree& tree, std::string_view name, Escaping escaping, std::string& out)
        : tree_(tree), name_(name), escaping_(escaping), out_(out) {}

    void Run(const TemplateValue& data) {
        vars_.push_back({"$", data});
        Walk(tree_.root, data);
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

    // How a list ended: normally, or at a {{ break }} / {{ continue }} for the enclosing range.
    enum class Flow { kNext, kBreak, kContinue };

    Flow Walk(const std::vector<Node>& list, const TemplateValue& dot) {
        for (const Node& node : list) {
            Step(node.pos);
            Flow flow = Flow::kNext;
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
                    flow = IfOrWith(node, dot);
                    break;
                case NodeType::kRange:
                    Range(node, dot);
                    break;
                case NodeType::kTemplate:
                    Invoke(node, dot);
                    break;
                case NodeType::kBreak:
                    return Flow::kBreak;
                case NodeType::kContinue:
                    return Flow::kContinue;
            }
            if (flow != Flow::kNext) {
                return flow;
            }
        }
        return Flow::kNext;
    }

    // {{ template "name" P }}: the named template with P's value as dot and $, and none of the
    // caller's variables (Go's walkTemplate). The parser checked that the name exists.
    void Invoke(const Node& node, const TemplateValue& dot) {
        const TemplateValue value =
            node.has_pipe ? EvalPipeline(node.pipe, dot) : TemplateValue::Missing();
        if (++depth_ > kTemplateMaxNesting) {
            Fail(
                node.pos,
                "exceeded maximum template depth (" + std::to_string(kTemplateMaxNesting) + ")"
            );
        }
        std::vector<Variable> caller = std::exchange(vars_, {{"$", value}});
        const std::string& callee = escaping_ == Escaping::kContextual && node.escaped_text
                                        ? *node.escaped_text
                                        : node.text;
        Walk(tree_.defined.find(callee)->second, value);
        vars_ = std::move(caller);
        --depth_;
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
            if (node.escapers.empty()) {
                // The escaping pass gives every printing action an escaper; one without was not
                // reached by it (a bug), and must not print unescaped.
                Fail(node.pos, "action was not escaped");
            }
            text = ApplyEscapers(node.escapers, value);
        } else if (!value.IsNil()) {
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

    Flow IfOrWith(const Node& node, const TemplateValue& dot) {
        const std::size_t mark = vars_.size();
        const Flow flow = [&] {
            for (const Branch& branch : node.branches) {
                const TemplateValue value = EvalPipeline(branch.cond, dot);
                if (value.IsTruthy()) {
                    return Walk(branch.body, node.type == NodeType::kWith ? value : dot);
                }
            }
            return Walk(node.else_body, dot);
        }();
        vars_.resize(mark);
        return flow;
    }

    void Range(const Node& node, const TemplateValue& dot) {
        const Branch& branch = node.branches.front();
        const TemplateValue value = EvalCommands(branch.cond.cmds, dot);
        const std::size_t mark = vars_.size();
        const std::vector<std::string>& names = branch.cond.vars;
        std::size_t count = 0;
        bool stopped = false;
        const auto iteration = [&](const TemplateValue& key, const TemplateValue& element) {
            if (stopped) {
                return;
            }
            ++count;
            Step(branch.cond.pos);
            const std::size_t iteration_mark = vars_.size();
            if (names.size() == 1) {
                vars_.push_back({names[0], element});
            } else if (names.size() == 2) {
                vars_.push_back({names[0], key});
                vars_.push_back({names[1], element});
            }
            stopped = Walk(branch.body, element) == Flow::kBreak;
            vars_.resize(iteration_mark);
        };
        switch (value.Kind()) {
            case ValueKind::kNull:
            case ValueKind::kMissing:
                break;
            case ValueKind::kList: {
                const TemplateValue::Array& items = value.AsList();
                for (std::size_t i = 0; i < items.size(); ++i) {
                    iteration(TemplateValue::Int(static_cast<std::int64_t>(i)), items[i]);
                }
                break;
            }
            case ValueKind::kObject:
                for (const auto& [key, item] : value.AsObject()) {
                    iteration(TemplateValue::String(key), item);
                }
                break;
            default:
                Fail(branch.cond.pos, "range can't iterate over " + Format(value));
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
        // Go's evalPipeline turns a nil interface{} into the invalid value: after a pipeline,
        // null and missing are alike ((.Data.null).x is missing, .Data.null.x an error).
        return value.IsNull() ? TemplateValue::Missing() : value;
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
            if (base->Kind() == ValueKind::kMissing) {
                return *base;
            }
            if (base->IsNull()) {
                Fail(expr.pos, "nil pointer evaluating interface {}." + field);
            }
            if (base->Kind() != ValueKind::kObject) {
                Fail(
                    expr.pos,
                    "can't evaluate field " + field + " in type " + std::string(TypeName(*base))
                );
            }
            base = base->Find(field);
            if (base == nullptr) {
                return TemplateValue::Missing();
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
                    if (Equal(first, arg(i), "eq", fn.pos)) {
                        return TemplateValue::Bool(true);
                    }
                }
                return TemplateValue::Bool(false);
            }
            case Func::kNe: {
                const TemplateValue a = arg(0);
                return TemplateValue::Bool(!Equal(a, arg(1), "ne", fn.pos));
            }
            case Func::kLt:
            case Func::kGe: {
                const TemplateValue a = arg(0);
                const bool less = Less(a, arg(1), fn.name, fn.pos);
                return TemplateValue::Bool(fn.func == Func::kLt ? less : !less);
            }
            case Func::kLe:
            case Func::kGt: {
                // Go: le is lt || eq, gt is !le; with the kinds checked by lt, that is b < a.
                const TemplateValue a = arg(0);
                const TemplateValue b = arg(1);
                const bool greater = Less(b, a, fn.name, fn.pos);
                return TemplateValue::Bool(fn.func == Func::kGt ? greater : !greater);
            }
            case Func::kLen:
                return TemplateValue::Int(Length(arg(0), fn.pos));
            case Func::kIndex:
                return Index(all(), fn.pos);
            case Func::kHtml:
                return Built(HtmlEscape(BuiltinEvalArgs(all(), TextLeft()), false), fn.pos);
            case Func::kUrlquery:
                return Built(QueryEscape(BuiltinEvalArgs(all(), TextLeft())), fn.pos);
            case Func::kPrint:
                return Built(Sprint(all(), TextLeft()), fn.pos);
            case Func::kPrintln:
                return Built(Sprintln(all(), TextLeft()), fn.pos);
            case Func::kPrintf:
                return Printf(all(), fn.pos);
            case Func::kSlice:
                return Slice(all(), fn.pos);
            case Func::kJs:
                return Built(JsEscape(BuiltinEvalArgs(all(), TextLeft())), fn.pos);
            case Func::kCall: {
                // GoTrue's data holds no functions, so every call fails, as in Go.
                const TemplateValue target = arg(0);
                Fail(
                    fn.pos,
                    target.IsNil() ? "error calling call: call of nil"
                                   : "error calling call: non-function of type " +
                                         std::string(TypeName(target))
                );
            }
        }
        return {};
    }

    TemplateValue Printf(const std::vector<TemplateValue>& values, Pos pos) {
        if (values.front().Kind() != ValueKind::kString) {
            Fail(pos, "error calling printf: expected string; found " + Format(values.front()));
        }
        try {
            return Built(
                Sprintf(values.front().AsString(), {values.begin() + 1, values.end()}, TextLeft()),
                pos
            );
        } catch (const UnsupportedFormat& error) {
            Fail(pos, error.what());
        }
    }

    // An int index argument of index and slice, within [0, cap].
    std::size_t IndexArg(const TemplateValue& index, std::size_t cap, std::string_view fn, Pos pos)
        const {
        if (index.Kind() != ValueKind::kInt) {
            Fail(
                pos,
                "error calling " + std::string(fn) + ": cannot index slice/array with " +
                    (index.IsNil() ? "nil" : "type " + std::string(TypeName(index)))
            );
        }
        const std::int64_t x = index.AsInt();
        if (x < 0 || static_cast<std::uint64_t>(x) > cap) {
            Fail(
                pos, "error calling " + std::string(fn) + ": index out of range: " + Format(index)
            );
        }
        return static_cast<std::size_t>(x);
    }

    TemplateValue Slice(const std::vector<TemplateValue>& values, Pos pos) const {
        const TemplateValue& item = values.front();
        const std::size_t count = values.size() - 1;
        if (item.IsNil()) {
            Fail(pos, "error calling slice: slice of untyped nil");
        }
        if (count > 3) {
            Fail(pos, "error calling slice: too many slice indexes: " + std::to_string(count));
        }
        std::size_t length = 0;
        if (item.Kind() == ValueKind::kString) {
            if (count == 3) {
                Fail(pos, "error calling slice: cannot 3-index slice a string");
            }
            length = item.AsString().size();
        } else if (item.Kind() == ValueKind::kList) {
            length = item.AsList().size();
        } else {
            Fail(
                pos, "error calling slice: can't slice item of type " + std::string(TypeName(item))
            );
        }
        std::array<std::size_t, 3> idx{0, length, length};
        for (std::size_t i = 0; i < count; ++i) {
            idx.at(i) = IndexArg(values[i + 1], length, "slice", pos);
        }
        if (idx[0] > idx[1] || (count == 3 && idx[1] > idx[2])) {
            const std::size_t bad = idx[0] > idx[1] ? 0 : 1;
            Fail(
                pos,
                "error calling slice: invalid slice index: " + std::to_string(idx.at(bad)) + " > " +
                    std::to_string(idx.at(bad + 1))
            );
        }
        if (item.Kind() == ValueKind::kString) {
            return TemplateValue::String(item.AsString().substr(idx[0], idx[1] - idx[0]));
        }
        const TemplateValue::Array& items = item.AsList();
        return TemplateValue::List(TemplateValue::Array(
            items.begin() + static_cast<std::ptrdiff_t>(idx[0]),
            items.begin() + static_cast<std::ptrdiff_t>(idx[1])
        ));
    }

    // Comparing two strings reads both: charged to the text budget like building one.
    void SpendComparison(const TemplateValue& a, const TemplateValue& b, Pos pos) {
        if (a.Kind() == ValueKind::kString && b.Kind() == ValueKind::kString) {
            SpendText(std::min(a.AsString().size(), b.AsString().size()), pos);
        }
    }

    // funcs.go's basicKind: the kinds eq and lt compare; objects, lists and nil are none.
    enum class Basic { kInvalid, kBool, kInt, kFloat, kString };

    static Basic BasicKind(const TemplateValue& value) {
        switch (value.Kind()) {
            case ValueKind::kBool:
                return Basic::kBool;
            case ValueKind::kInt:
                return Basic::kInt;
            case ValueKind::kNumber:
                return Basic::kFloat;
            case ValueKind::kString:
                return Basic::kString;
            default:
                return Basic::kInvalid;
        }
    }

    // Go's eq for one pair: values of different kinds are an error unless one is nil (then
    // unequal); objects and lists are not comparable.
    bool Equal(const TemplateValue& a, const TemplateValue& b, std::string_view fn, Pos pos) {
        const Basic kind = BasicKind(a);
        if (kind != BasicKind(b)) {
            if (!a.IsNil() && !b.IsNil()) {
                Fail(
                    pos, "error calling " + std::string(fn) + ": incompatible types for comparison"
                );
            }
            return false;
        }
        SpendComparison(a, b, pos);
        switch (kind) {
            case Basic::kBool:
                return a.AsBool() == b.AsBool();
            case Basic::kInt:
                return a.AsInt() == b.AsInt();
            case Basic::kFloat:
                return a.AsNumber() == b.AsNumber();
            case Basic::kString:
                return a.AsString() == b.AsString();
            case Basic::kInvalid:
                break;
        }
        if (a.IsNil() || b.IsNil()) {
            return a.IsNil() == b.IsNil();
        }
        const TemplateValue& culprit = a.Kind() == b.Kind() ? b : a;
        Fail(
            pos,
            "error calling " + std::string(fn) + ": non-comparable type " + Format(culprit) + ": " +
                std::string(TypeName(culprit))
        );
    }

    // Go's lt.
    bool Less(const TemplateValue& a, const TemplateValue& b, std::string_view fn, Pos pos) {
        const Basic kind = BasicKind(a);
        if (kind == Basic::kInvalid || BasicKind(b) == Basic::kInvalid) {
            Fail(pos, "error calling " + std::string(fn) + ": invalid type for comparison");
        }
        if (kind != BasicKind(b)) {
            Fail(pos, "error calling " + std::string(fn) + ": incompatible types for comparison");
        }
        switch (kind) {
            case Basic::kInt:
                return a.AsInt() < b.AsInt();
            case Basic::kFloat:
                return a.AsNumber() < b.AsNumber();
            case Basic::kString:
                SpendComparison(a, b, pos);
                return a.AsString() < b.AsString();
            default:
                Fail(pos, "error calling " + std::string(fn) + ": invalid type for comparison");
        }
    }

    std::int64_t Length(const TemplateValue& value, Pos pos) const {
        switch (value.Kind()) {
            case ValueKind::kString:
                return static_cast<std::int64_t>(value.AsString().size());
            case ValueKind::kObject:
                return static_cast<std::int64_t>(value.AsObject().size());
            case ValueKind::kList:
                return static_cast<std::int64_t>(value.AsList().size());
            case ValueKind::kNull:
            case ValueKind::kMissing:
                Fail(pos, "error calling len: len of nil pointer");
            default:
                Fail(pos, "error calling len: len of type " + std::string(TypeName(value)));
        }
    }

    TemplateValue Index(const std::vector<TemplateValue>& values, Pos pos) const {
        TemplateValue item = values.front();
        if (item.IsNil()) {
            Fail(pos, "error calling index: index of untyped nil");
        }
        for (std::size_t i = 1; i < values.size(); ++i) {
            const TemplateValue& key = values[i];
            switch (item.Kind()) {
                case ValueKind::kObject:
                    if (key.Kind() != ValueKind::kString) {
                        Fail(
                            pos,
                            "error calling index: value has type " + std::string(TypeName(key)) +
                                "; should be string"
                        );
                    } else {
                        const TemplateValue* found = item.Find(key.AsString());
                        item = found == nullptr ? TemplateValue::Null() : *found;
                    }
                    break;
                case ValueKind::kList: {
                    const TemplateValue::Array& items = item.AsList();
                    const std::size_t x = IndexArg(key, items.size(), "index", pos);
                    if (x == items.size()) {
                        Fail(pos, "error calling index: index out of range: " + Format(key));
                    }
                    item = items[x];
                    break;
                }
                case ValueKind::kString: {
                    const std::string& text = item.AsString();
                    const std::size_t x = IndexArg(key, text.size(), "index", pos);
                    if (x == text.size()) {
                        Fail(pos, "error calling index: index out of range: " + Format(key));
                    }
                    item = TemplateValue::Int(static_cast<unsigned char>(text[x]));  // a byte
                    break;
                }
                case ValueKind::kNull:
                case ValueKind::kMissing:
                    Fail(pos, "error calling index: index of nil pointer");
                default:
                    Fail(
                        pos,
                        "error calling index: can't index item of type " +
                            std::string(TypeName(item))
                    );
            }
        }
        return item;
    }

    const ParsedTree& tree_;
    int depth_ = 0;  // nested {{ template }} invocations
    std::string_view name_;
    Escaping escaping_;
    std::string& out_;
    std::vector<Variable> vars_;  // the stack the parser's variable slots index
    std::size_t steps_ = 0;
    std::size_t text_bytes_ = 0;
};

}  // namespace

void Execute(
    const ParsedTree& tree,
    const TemplateValue& data,
    std::string_view name,
    Escaping escaping,
    std::string& out
) {
    Executor(tree, name, escaping, out).Run(data);
}

}  // namespace gotrue::mailer::go_template_internal
