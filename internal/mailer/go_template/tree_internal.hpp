#pragma once

// The parse tree the parser builds and the executor walks, and the builtin functions a command
// can call. A pass between the two (such as html/template's contextual escaper) works on these
// types.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

    Expr() = default;
    // Deep copies: the escaping pass copies a called template per context (escape.cpp).
    Expr(const Expr& other);
    Expr& operator=(const Expr& other);
    Expr(Expr&&) noexcept = default;
    Expr& operator=(Expr&&) noexcept = default;
    ~Expr() = default;
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

// The escapers html/template appends to an action's pipeline (escape.cpp picks them per context;
// escapers.cpp implements them). kPredefinedHtml and kPredefinedUrlquery are the template's own
// trailing html / urlquery, moved into the chain where they stand for an equivalent escaper.
enum class Escaper {
    kHtml,            // _html_template_htmlescaper (text)
    kAttr,            // _html_template_attrescaper (quoted attribute value)
    kRcdata,          // _html_template_rcdataescaper (<title>, <textarea>)
    kNospace,         // _html_template_nospaceescaper (unquoted attribute value)
    kComment,         // _html_template_commentescaper (prints nothing)
    kHtmlNameFilter,  // _html_template_htmlnamefilter (attribute name)
    kUrlFilter,       // _html_template_urlfilter (javascript: etc. -> #ZgotmplZ)
    kUrlNormalizer,
    kUrlEscaper,
    kSrcset,
    kJsVal,  // a JS value: JSON
    kJsStr,
    kJsRegexp,
    kCss,  // inside a CSS string
    kCssValueFilter,
    kPredefinedHtml,
    kPredefinedUrlquery,
};

struct Node;

// One "if P" / "else if P" arm (likewise with, and range's single arm).
struct Branch {
    Pipeline cond;
    std::vector<Node> body;
};

struct Node {
    NodeType type = NodeType::kText;
    Pos pos;
    std::string text;  // kText; kTemplate: the invoked template's name
    // Set by the escaping pass. kText: html/template's text where it differs (comments
    // stripped, a '<' that starts no tag as &lt;); kTemplate: the template escaped for the
    // caller's context (Go's "name$htmltemplate_<context>" copy) that the call renders.
    std::optional<std::string> escaped_text;
    Pipeline pipe;          // kAction; kTemplate when has_pipe
    bool has_pipe = false;  // kTemplate: a pipeline was given
    // kAction, set by the escaping pass: the escapers its value goes through, and whether the
    // pipeline's last command (html or urlquery) moved into them and is not evaluated.
    std::vector<Escaper> escapers;
    bool last_command_in_escapers = false;
    std::vector<Branch> branches;  // kIf, kWith, kRange
    std::vector<Node> else_body;
};

// A parsed source: the main template and those it defines ({{ define }}, {{ block }}), by name.
struct ParsedTree {
    std::vector<Node> root;
    std::map<std::string, std::vector<Node>, std::less<>> defined;
};

}  // namespace gotrue::mailer::go_template_internal
