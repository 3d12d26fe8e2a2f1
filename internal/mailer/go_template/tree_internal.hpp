#pragma once

// The parse tree the parser builds and the executor walks, and the builtin functions a command
// can call. A pass between the two (such as html/template's contextual escaper) works on these
// types.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailer/go_template.hpp"
#include "mailer/go_template/source_internal.hpp"

namespace gotrue::mailer::go_template_internal {

enum class Func {
    kAnd,
    kOr,
    kNot,
    kEq,
    kNe,
    kLt,
    kLe,
    kGt,
    kGe,
    kLen,
    kIndex,
    kHtml,
    kUrlquery,
    kPrint,
    kPrintln,
    kPrintf,
    kSlice,
    kJs,
    kCall,
};

struct FuncSpec {
    std::string_view name;
    Func func;
    std::size_t min_args;
    std::size_t max_args;
};

constexpr std::size_t kVariadic = static_cast<std::size_t>(-1);

// The builtin called `name`, or nullptr.
const FuncSpec* FindFunction(std::string_view name);

const FuncSpec& SpecOf(Func func);

// --- Parsed tree -----------------------------------------------------------------------------

struct Pipeline;

enum class ExprType { kDot, kField, kVariable, kLiteral, kNil, kFunction, kPipeline };

struct Expr {
    ExprType type = ExprType::kDot;
    Pos pos;
    std::string name;      // variable name ("$x") or function name
    std::size_t slot = 0;  // kVariable: its index in the executor's variable stack
    Func func = Func::kPrint;
    TemplateValue literal;
    std::vector<std::string> fields;  // applied to the base value, left to right
    std::unique_ptr<Pipeline> pipe;   // kPipeline
};

struct Command {
    Pos pos;
    std::vector<Expr> args;  // args[0] is the function, or the only operand
};

enum class DeclKind { kNone, kDeclare, kAssign };

struct Pipeline {
    Pos pos;
    DeclKind decl = DeclKind::kNone;
    std::vector<std::string> vars;
    std::size_t assign_slot = 0;  // kAssign: the assigned variable's stack index
    std::vector<Command> cmds;
};

// kTemplate: {{ template "name" PIPELINE }} (and the call half of {{ block }}): renders the named
// template with the pipeline's value (or missing) as dot and $. kBreak, kContinue: {{ break }} and
// {{ continue }}, only inside a range body (checked by the parser).
enum class NodeType { kText, kAction, kIf, kWith, kRange, kTemplate, kBreak, kContinue };

struct Node;

// One "if P" / "else if P" arm (likewise with, and range's single arm).
struct Branch {
    Pipeline cond;
    std::vector<Node> body;
};

struct Node {
    NodeType type = NodeType::kText;
    Pos pos;
    std::string text;                // kText; kTemplate: the invoked template's name
    Pipeline pipe;                   // kAction; kTemplate when has_pipe
    bool has_pipe = false;           // kTemplate: a pipeline was given
    bool output_is_escaped = false;  // kAction ending in html: do not escape twice
    std::vector<Branch> branches;    // kIf, kWith, kRange
    std::vector<Node> else_body;
};

// A parsed source: the main template and those it defines ({{ define }}, {{ block }}), by name.
struct ParsedTree {
    std::vector<Node> root;
    std::map<std::string, std::vector<Node>, std::less<>> defined;
};

}  // namespace gotrue::mailer::go_template_internal
