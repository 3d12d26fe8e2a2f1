#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mailer/go_template/parser_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

// Keywords that cannot be operands.
constexpr std::array<std::string_view, 10> kKeywords{
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"};

std::string Describe(const Token& token) {
    switch (token.type) {
        case Tok::kEof:
            return "EOF";
        case Tok::kText:
            return "text";
        default:
            return "\"" + std::string(token.raw) + "\"";
    }
}

std::string ExprString(const Expr& expr) {
    std::string base;
    switch (expr.type) {
        case ExprType::kDot:
            base = ".";
            break;
        case ExprType::kVariable:
            base = expr.name;
            break;
        case ExprType::kNil:
            base = "nil";
            break;
        case ExprType::kFunction:
            base = expr.name;
            break;
        case ExprType::kPipeline:
            base = "(...)";
            break;
        case ExprType::kLiteral:
            base = "literal";
            break;
        case ExprType::kField:
            break;
    }
    for (const std::string& field : expr.fields) {
        base += "." + field;
    }
    return base;
}

// Recursive descent over the token list. Recursion follows nesting only (blocks, parentheses),
// which is bounded by kMaxNestingDepth; a flat template of any length parses in a loop.
class Parser {
public:
    Parser(std::vector<Token> tokens, const Source& source)
        : tokens_(std::move(tokens)), source_(source) {}

    [[nodiscard]] ParsedTree ParseTemplate() {
        Declare("$");
        switch (ParseList(tree_.root, 0)) {
            case ListEnd::kEnd:
                source_.Fail(marker_offset_, "unexpected {{end}}");
            case ListEnd::kElse:
                source_.Fail(marker_offset_, "unexpected {{else}}");
            case ListEnd::kEof:
                break;
        }
        // html/template resolves every invocation before the first Execute.
        for (const auto& [name, offset] : invoked_) {
            if (!tree_.defined.contains(name)) {
                source_.Fail(offset, "no such template \"" + name + "\"");
            }
        }
        return std::move(tree_);
    }

private:
    enum class ListEnd { kEof, kEnd, kElse };

    [[nodiscard]] const Token& Peek(std::size_t ahead = 0) const {
        return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
    }

    const Token& Next() {
        const Token& token = tokens_[pos_];
        if (token.type != Tok::kEof) {
            ++pos_;
        }
        return token;
    }

    void Expect(Tok type, std::string_view context) {
        const Token& token = Next();
        if (token.type != type) {
            source_.Fail(
                token.offset, "unexpected " + Describe(token) + " in " + std::string(context)
            );
        }
    }

    // Parses nodes into `out` until EOF, {{end}} or {{else}} (left unconsumed after "else").
    ListEnd ParseList(std::vector<Node>& out, int depth) {
        while (true) {
            const Token& token = Next();
            if (token.type == Tok::kEof) {
                marker_offset_ = token.offset;
                return ListEnd::kEof;
            }
            if (token.type == Tok::kText) {
                Node node;
                node.type = NodeType::kText;
                node.pos = source_.At(token.offset);
                node.text = token.value;
                out.push_back(std::move(node));
                continue;
            }
            const Token& first = Peek();
            if (first.type == Tok::kIdentifier) {
                const std::string& word = first.value;
                if (word == "end") {
                    marker_offset_ = Next().offset;
                    Expect(Tok::kRightDelim, "end");
                    return ListEnd::kEnd;
                }
                if (word == "else") {
                    marker_offset_ = Next().offset;
                    return ListEnd::kElse;
                }
                if (word == "if" || word == "with" || word == "range") {
                    const NodeType type = word == "if"     ? NodeType::kIf
                                          : word == "with" ? NodeType::kWith
                                                           : NodeType::kRange;
                    out.push_back(ParseControl(type, Next(), depth + 1));
                    continue;
                }
                if (word == "define") {
                    if (depth > 0) {
                        source_.Fail(first.offset, "unexpected <define> in command");
                    }
                    Next();
                    ParseDefinition(depth);
                    continue;
                }
                if (word == "template" || word == "block") {
                    out.push_back(ParseTemplateCall(Next(), depth));
                    continue;
                }
                if (word == "break" || word == "continue") {
                    out.push_back(ParseLoopControl(Next()));
                    continue;
                }
            }
            out.push_back(ParseAction(first.offset));
        }
    }

    // {{ break }} / {{ continue }}: Go 1.18's, inside a range body only.
    Node ParseLoopControl(const Token& keyword) {
        if (range_depth_ == 0) {
            source_.Fail(keyword.offset, "{{" + keyword.value + "}} outside {{range}}");
        }
        Node node;
        node.type = keyword.value == "break" ? NodeType::kBreak : NodeType::kContinue;
        node.pos = source_.At(keyword.offset);
        Expect(Tok::kRightDelim, "{{" + keyword.value + "}}");
        return node;
    }

    // The quoted name after define, template or block.
    std::string TemplateName(std::string_view context) {
        const Token& token = Next();
        if (token.type != Tok::kString) {
            source_.Fail(
                token.offset, "unexpected " + Describe(token) + " in " + std::string(context)
            );
        }
        return token.value;
    }

    // {{ define "name" }} BODY {{ end }}, at top level only; "define" is consumed.
    void ParseDefinition(int depth) {
        const std::size_t offset = Peek().offset;
        std::string name = TemplateName("define clause");
        Expect(Tok::kRightDelim, "define clause");
        AddTemplate(std::move(name), ParseBody(offset, depth + 1), offset);
    }

    // {{ template "name" [PIPELINE] }} or {{ block "name" PIPELINE }} BODY {{ end }}; the keyword
    // is consumed.
    Node ParseTemplateCall(const Token& keyword, int depth) {
        const bool block = keyword.value == "block";
        const std::string context = block ? "block clause" : "template clause";
        Node node;
        node.type = NodeType::kTemplate;
        node.pos = source_.At(keyword.offset);
        const std::size_t offset = Peek().offset;
        node.text = TemplateName(context);
        if (block || Peek().type != Tok::kRightDelim) {
            node.pipe = ParsePipeline(context, Tok::kRightDelim, 1, depth);
            node.has_pipe = true;
        } else {
            Next();
        }
        if (block) {
            AddTemplate(node.text, ParseBody(keyword.offset, depth + 1), offset);
        }
        invoked_.emplace(node.text, offset);
        return node;
    }

    // A named template's body up to its {{end}}, in a scope of its own: only $ is defined and
    // break/continue do not reach an enclosing range.
    std::vector<Node> ParseBody(std::size_t offset, int depth) {
        if (depth > kMaxNestingDepth) {
            source_.Fail(offset, "actions nested too deeply");
        }
        std::vector<std::string> vars = std::move(vars_);
        auto slots = std::move(slots_);
        const int range_depth = std::exchange(range_depth_, 0);
        vars_.clear();
        slots_.clear();
        Declare("$");
        std::vector<Node> body;
        const ListEnd end = ParseList(body, depth);
        if (end == ListEnd::kEof) {
            source_.Fail(offset, "unexpected EOF: the template has no {{end}}");
        }
        if (end == ListEnd::kElse) {
            source_.Fail(marker_offset_, "unexpected {{else}}");
        }
        vars_ = std::move(vars);
        slots_ = std::move(slots);
        range_depth_ = range_depth;
        return body;
    }

    static bool IsEmptyBody(const std::vector<Node>& body) {
        return std::all_of(body.begin(), body.end(), [](const Node& node) {
            return node.type == NodeType::kText &&
                   std::all_of(node.text.begin(), node.text.end(), IsSpace);
        });
    }

    // Go's rule: an empty (whitespace-only) definition may be replaced and never replaces.
    void AddTemplate(std::string name, std::vector<Node> body, std::size_t offset) {
        const auto found = tree_.defined.find(name);
        if (found == tree_.defined.end() || IsEmptyBody(found->second)) {
            tree_.defined.insert_or_assign(std::move(name), std::move(body));
            return;
        }
        if (!IsEmptyBody(body)) {
            source_.Fail(offset, "template: multiple definition of template \"" + name + "\"");
        }
    }

    Node ParseAction(std::size_t offset) {
        Node node;
        node.type = NodeType::kAction;
        node.pos = source_.At(offset);
        node.pipe = ParsePipeline("command", Tok::kRightDelim, 1, 0);
        const std::vector<Command>& cmds = node.pipe.cmds;
        // html/template: the predefined escapers may only end a printing pipeline (its escapeAction
        // returns before the check for a declaration, which prints nothing).
        for (std::size_t i = 0; node.pipe.decl == DeclKind::kNone && i + 1 < cmds.size(); ++i) {
            const Expr& head = cmds[i].args.front();
            if (head.type == ExprType::kFunction &&
                (head.func == Func::kHtml || head.func == Func::kUrlquery)) {
                source_.Fail(
                    head.pos,
                    "predefined escaper \"" + head.name +
                        "\" disallowed in template (only as the last command of a pipeline)"
                );
            }
        }
        return node;
    }

    Node ParseControl(NodeType type, const Token& keyword, int depth) {
        if (depth > kMaxNestingDepth) {
            source_.Fail(keyword.offset, "actions nested too deeply");
        }
        const std::string name = keyword.value;
        const std::size_t keyword_offset = keyword.offset;
        const std::size_t vars_mark = vars_.size();
        Node node;
        node.type = type;
        node.pos = source_.At(keyword_offset);
        const auto missing_end = [&] {
            source_.Fail(keyword_offset, "unexpected EOF: {{" + name + "}} has no {{end}}");
        };
        const std::size_t max_vars = type == NodeType::kRange ? 2 : 1;
        while (true) {
            Branch branch;
            branch.cond = ParsePipeline(name, Tok::kRightDelim, max_vars, depth);
            if (type == NodeType::kRange && branch.cond.decl == DeclKind::kAssign) {
                source_.Fail(branch.cond.pos, "range can only declare variables with :=");
            }
            node.branches.push_back(std::move(branch));
            // Variables declared in the body end with it; those of the condition stay visible
            // in the later branches, as at run time.
            const std::size_t body_mark = vars_.size();
            const int loops = type == NodeType::kRange ? 1 : 0;
            range_depth_ += loops;
            const ListEnd end = ParseList(node.branches.back().body, depth);
            range_depth_ -= loops;
            PopVariables(body_mark);
            if (end == ListEnd::kEof) {
                missing_end();
            }
            if (end == ListEnd::kEnd) {
                break;
            }
            const Token& after = Peek();
            if (after.type == Tok::kIdentifier && (after.value == "if" || after.value == "with")) {
                const bool chains = (after.value == "if" && type == NodeType::kIf) ||
                                    (after.value == "with" && type == NodeType::kWith);
                if (!chains) {
                    source_.Fail(
                        after.offset,
                        "{{else " + after.value + "}} is not allowed in {{" + name + "}}"
                    );
                }
                Next();
                continue;
            }
            Expect(Tok::kRightDelim, "else");
            // range's variables exist only inside its body.
            PopVariables(type == NodeType::kRange ? vars_mark : body_mark);
            const ListEnd else_end = ParseList(node.else_body, depth);
            PopVariables(vars_mark);
            if (else_end == ListEnd::kEof) {
                missing_end();
            }
            if (else_end == ListEnd::kElse) {
                source_.Fail(marker_offset_, "expected {{end}}; found a second {{else}}");
            }
            break;
        }
        PopVariables(vars_mark);
        return node;
    }

    // Parses "[$x :=] cmd | cmd ..." up to and including `end`.
    Pipeline ParsePipeline(std::string_view context, Tok end, std::size_t max_vars, int depth) {
        Pipeline pipe;
        pipe.pos = source_.At(Peek().offset);
        if (max_vars > 0 && Peek().type == Tok::kVariable) {
            const Tok after = Peek(1).type;
            const bool two_vars = after == Tok::kComma && max_vars >= 2 &&
                                  Peek(2).type == Tok::kVariable && Peek(3).type == Tok::kDeclare;
            if (after == Tok::kDeclare || after == Tok::kAssign) {
                pipe.decl = after == Tok::kDeclare ? DeclKind::kDeclare : DeclKind::kAssign;
                pipe.vars.push_back(Next().value);
                Next();
            } else if (two_vars) {
                pipe.decl = DeclKind::kDeclare;
                pipe.vars.push_back(Next().value);
                Next();
                pipe.vars.push_back(Next().value);
                Next();
            }
            if (pipe.decl == DeclKind::kAssign) {
                const auto slot = SlotOf(pipe.vars.front());
                if (!slot) {
                    source_.Fail(pipe.pos, "undefined variable \"" + pipe.vars.front() + "\"");
                }
                pipe.assign_slot = *slot;
            }
        }
        while (true) {
            if (Peek().type == end) {
                if (pipe.cmds.empty()) {
                    source_.Fail(Peek().offset, "missing value for " + std::string(context));
                }
                break;
            }
            pipe.cmds.push_back(ParseCommand(end, depth));
            if (Peek().type == Tok::kPipe) {
                Next();
                if (Peek().type == end) {
                    source_.Fail(Peek().offset, "missing command after \"|\"");
                }
            }
        }
        Next();  // `end`
        CheckPipeline(pipe);
        if (pipe.decl == DeclKind::kDeclare) {
            for (const std::string& name : pipe.vars) {
                Declare(name);
            }
        }
        return pipe;
    }

    Command ParseCommand(Tok end, int depth) {
        Command cmd;
        cmd.pos = source_.At(Peek().offset);
        while (true) {
            const Token& token = Peek();
            if (token.type == end || token.type == Tok::kPipe) {
                break;
            }
            if (!cmd.args.empty() && !token.space_before) {
                source_.Fail(token.offset, "unexpected " + Describe(token) + " in operand");
            }
            cmd.args.push_back(ParseOperand(depth));
        }
        if (cmd.args.empty()) {
            source_.Fail(Peek().offset, "missing value for command");
        }
        return cmd;
    }

    Expr ParseOperand(int depth) {
        const Token& token = Next();
        Expr expr;
        expr.pos = source_.At(token.offset);
        bool takes_fields = true;
        switch (token.type) {
            case Tok::kField:
                expr.type = ExprType::kField;
                expr.fields.push_back(token.value);
                break;
            case Tok::kDot:
                expr.type = ExprType::kDot;
                takes_fields = false;
                break;
            case Tok::kVariable: {
                const auto slot = SlotOf(token.value);
                if (!slot) {
                    source_.Fail(token.offset, "undefined variable \"" + token.value + "\"");
                }
                expr.type = ExprType::kVariable;
                expr.name = token.value;
                expr.slot = *slot;
                break;
            }
            case Tok::kString:
                expr.type = ExprType::kLiteral;
                expr.literal = TemplateValue::String(token.value);
                takes_fields = false;
                break;
            case Tok::kNumber:
                expr.type = ExprType::kLiteral;
                expr.literal = token.is_int ? TemplateValue::Int(token.integer)
                                            : TemplateValue::Number(token.number);
                takes_fields = false;
                break;
            case Tok::kIdentifier:
                ResolveIdentifier(token, expr);
                takes_fields = false;
                break;
            case Tok::kLeftParen:
                if (depth + 1 > kMaxNestingDepth) {
                    source_.Fail(token.offset, "parentheses nested too deeply");
                }
                expr.type = ExprType::kPipeline;
                expr.pipe = std::make_unique<Pipeline>(
                    ParsePipeline("parenthesized pipeline", Tok::kRightParen, 0, depth + 1)
                );
                break;
            default:
                source_.Fail(token.offset, "unexpected " + Describe(token) + " in operand");
        }
        while (Peek().type == Tok::kField && !Peek().space_before) {
            if (!takes_fields) {
                source_.Fail(Peek().offset, "unexpected . after term " + Describe(token));
            }
            expr.fields.push_back(Next().value);
        }
        return expr;
    }

    void ResolveIdentifier(const Token& token, Expr& expr) const {
        const std::string& word = token.value;
        if (word == "true" || word == "false") {
            expr.type = ExprType::kLiteral;
            expr.literal = TemplateValue::Bool(word == "true");
            return;
        }
        if (word == "nil") {
            expr.type = ExprType::kNil;
            return;
        }
        for (const std::string_view keyword : kKeywords) {
            if (word == keyword) {
                source_.Fail(token.offset, "unexpected keyword \"" + word + "\" in command");
            }
        }
        if (const FuncSpec* spec = FindFunction(word)) {
            expr.type = ExprType::kFunction;
            expr.name = word;
            expr.func = spec->func;
            return;
        }
        source_.Fail(token.offset, "function \"" + word + "\" not defined");
    }

    // Go checks some of these at exec time; all are knowable here since no field is a method.
    void CheckPipeline(const Pipeline& pipe) const {
        for (std::size_t i = 0; i < pipe.cmds.size(); ++i) {
            const Command& cmd = pipe.cmds[i];
            for (std::size_t j = 1; j < cmd.args.size(); ++j) {
                const Expr& arg = cmd.args[j];
                if (arg.type == ExprType::kFunction && SpecOf(arg.func).min_args > 0) {
                    source_.Fail(
                        arg.pos,
                        "wrong number of args for " + arg.name + ": want " +
                            std::to_string(SpecOf(arg.func).min_args) + " got 0"
                    );
                }
            }
            const Expr& head = cmd.args.front();
            if (head.type == ExprType::kFunction) {
                const FuncSpec& spec = SpecOf(head.func);
                const std::size_t count = cmd.args.size() - 1 + (i > 0 ? 1 : 0);
                if (count < spec.min_args || count > spec.max_args) {
                    const std::string want = spec.max_args == kVariadic
                                                 ? "at least " + std::to_string(spec.min_args)
                                                 : std::to_string(spec.min_args);
                    source_.Fail(
                        head.pos,
                        "wrong number of args for " + head.name + ": want " + want + " got " +
                            std::to_string(count)
                    );
                }
                continue;
            }
            if (head.type == ExprType::kNil) {
                source_.Fail(head.pos, "nil is not a command");
            }
            if (i > 0) {
                source_.Fail(
                    head.pos,
                    "non executable command in pipeline stage " + std::to_string(i + 1) +
                        " (only a function can receive a piped value)"
                );
            }
            if (cmd.args.size() > 1) {
                source_.Fail(
                    cmd.args[1].pos, "can't give argument to non-function " + ExprString(head)
                );
            }
        }
    }

    // The parser mirrors the executor's variable stack: declarations push in template order,
    // blocks pop what they declared, so a variable's index here is its index at run time and
    // lookups cost O(1) at both times (a template with thousands of variables stays linear).
    void Declare(const std::string& name) {
        slots_[name].push_back(vars_.size());
        vars_.push_back(name);
    }

    void PopVariables(std::size_t mark) {
        while (vars_.size() > mark) {
            slots_[vars_.back()].pop_back();
            vars_.pop_back();
        }
    }

    // Stack index of the innermost declaration of name in scope.
    [[nodiscard]] std::optional<std::size_t> SlotOf(const std::string& name) const {
        const auto found = slots_.find(name);
        if (found == slots_.end() || found->second.empty()) {
            return std::nullopt;
        }
        return found->second.back();
    }

    std::vector<Token> tokens_;
    const Source& source_;
    ParsedTree tree_;
    std::map<std::string, std::size_t> invoked_;  // template name -> first invocation's offset
    int range_depth_ = 0;                         // range bodies around the current list
    std::size_t pos_ = 0;
    std::size_t marker_offset_ = 0;  // position of the last {{end}}/{{else}}/EOF seen
    std::vector<std::string> vars_;  // variables in scope, outermost first
    std::unordered_map<std::string, std::vector<std::size_t>> slots_;  // name -> indices in vars_
};

}  // namespace

ParsedTree Parse(std::vector<Token> tokens, const Source& source) {
    return Parser(std::move(tokens), source).ParseTemplate();
}

}  // namespace gotrue::mailer::go_template_internal
