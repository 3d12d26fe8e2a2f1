#include <algorithm>
#include <cctype>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mailer/go_template/escape_context_internal.hpp"
#include "mailer/go_template/escape_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

struct ActionEdit {
    std::vector<Escaper> escapers;
    bool last_command_in_escapers = false;
};

// Go's equivEscapers: the predefined escaper that may stand for a contextual one.
std::optional<Escaper> Equivalent(Escaper escaper) {
    switch (escaper) {
        case Escaper::kAttr:
        case Escaper::kHtml:
        case Escaper::kRcdata:
        case Escaper::kPredefinedHtml:
            return Escaper::kPredefinedHtml;
        case Escaper::kUrlEscaper:
        case Escaper::kUrlNormalizer:
        case Escaper::kPredefinedUrlquery:
            return Escaper::kPredefinedUrlquery;
        default:
            return std::nullopt;
    }
}

// Go's redundantFuncs: `next` after `last` changes nothing.
bool Redundant(Escaper last, Escaper next) {
    switch (last) {
        case Escaper::kComment:
            return next == Escaper::kAttr || next == Escaper::kNospace || next == Escaper::kHtml;
        case Escaper::kCss:
        case Escaper::kJsRegexp:
        case Escaper::kJsStr:
            return next == Escaper::kAttr;
        case Escaper::kUrlEscaper:
            return next == Escaper::kUrlNormalizer;
        default:
            return false;
    }
}

std::optional<Escaper> Predefined(const Pipeline& pipe) {
    const Expr& head = pipe.cmds.back().args.front();
    if (head.type != ExprType::kFunction) {
        return std::nullopt;
    }
    if (head.func == Func::kHtml) {
        return Escaper::kPredefinedHtml;
    }
    if (head.func == Func::kUrlquery) {
        return Escaper::kPredefinedUrlquery;
    }
    return std::nullopt;
}

// Go's ensurePipelineContains: a trailing html/urlquery takes the place of an equivalent
// escaper (and is then not run by the pipeline itself); redundant escapers are left out.
ActionEdit MergeEscapers(const Pipeline& pipe, std::vector<Escaper> wanted) {
    ActionEdit edit;
    const std::optional<Escaper> predefined = Predefined(pipe);
    if (predefined) {
        for (Escaper& escaper : wanted) {
            if (Equivalent(escaper) == *predefined) {
                escaper = *predefined;
                edit.last_command_in_escapers = true;
            }
        }
        // "{{ html a b }}" is "{{ _eval_args_ a b | html }}" even when html replaces nothing: its
        // arguments are joined as html/template's evalArgs does (nil: "<nil>") before html runs.
        if (!edit.last_command_in_escapers && pipe.cmds.size() == 1) {
            wanted.insert(wanted.begin(), *predefined);
            edit.last_command_in_escapers = true;
        }
    }
    for (const Escaper escaper : wanted) {
        if (!edit.escapers.empty() && Redundant(edit.escapers.back(), escaper)) {
            continue;
        }
        edit.escapers.push_back(escaper);
    }
    return edit;
}

bool StartsWithDoctype(std::string_view s) {
    constexpr std::string_view kDoctype = "<!DOCTYPE";
    if (s.size() < kDoctype.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kDoctype.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(s[i])) != kDoctype[i]) {
            return false;
        }
    }
    return true;
}

// The break and continue contexts of the range being walked (Go's rangeContext). Go 1.19
// records a continue as `continues = append(breaks, c)`: only the last continue counts, and
// when that append shared the breaks' array (its length not a power of two) the next break
// overwrites it. Both quirks are kept, Go 1.19 being the oracle.
struct RangeFlow {
    struct Exit {
        Context c;
        Pos pos;
    };

    std::vector<Exit> breaks;
    std::optional<Exit> last_continue;
    std::size_t continue_at = 0;  // breaks.size() when last_continue was recorded
};

bool SharesBreaksArray(std::size_t breaks) {
    return breaks != 0 && (breaks & (breaks - 1)) != 0;
}

// What a walk decided; committed to the tree only when the whole template escapes, and from a
// walk of a called template only when its end context holds (Go's escapeListConditionally).
struct Edits {
    std::unordered_map<Node*, ActionEdit> actions;
    // kText: html/template's text; kTemplate: the derived template it calls.
    std::unordered_map<Node*, std::string> texts;
    std::map<std::string, Context, std::less<>> output;  // a template's assumed end context
    std::set<std::string, std::less<>> called;

    void Merge(Edits&& other) {
        for (auto& [key, value] : other.actions) {
            actions.insert_or_assign(key, std::move(value));
        }
        for (auto& [key, value] : other.texts) {
            texts.insert_or_assign(key, std::move(value));
        }
        for (auto& [key, value] : other.output) {
            output.insert_or_assign(key, std::move(value));
        }
        called.merge(other.called);
    }
};

// Go's context.mangle: the derived template a context calls; text keeps the name.
std::string Mangle(const Context& c, const std::string& name) {
    return c == Context{} ? name : name + "$htmltemplate_" + Describe(c);
}

class EscapePass {
public:
    EscapePass(ParsedTree& tree, std::string_view name, std::size_t& budget, RangeFlow* range)
        : tree_(tree), name_(name), budget_(budget), range_(range) {}

    std::optional<TemplateError> Run() {
        std::vector<Node>& root = tree_.root;
        Context c = List(Context{}, root);
        if (c.state != State::kError && c.state != State::kText) {
            const Pos end = root.empty() ? Pos{} : root.back().pos;
            c = Context::Error("ends in a non-text context: " + Describe(c));
            c.error_line = end.line;
            c.error_column = end.column;
        }
        if (c.state == State::kError) {
            return TemplateError(name_, c.error_line, c.error_column, c.error);
        }
        for (auto& [node, edit] : edits_.actions) {
            node->escapers = std::move(edit.escapers);
            node->last_command_in_escapers = edit.last_command_in_escapers;
        }
        for (auto& [node, text] : edits_.texts) {
            node->escaped_text = std::move(text);
        }
        return std::nullopt;
    }

private:
    // An error context gets the position of the node where it arose.
    static Context At(Context c, const Node& node) {
        if (c.state == State::kError && c.error_line == 0) {
            c.error_line = node.pos.line;
            c.error_column = node.pos.column;
        }
        return c;
    }

    // A pass over a list whose edits the caller may drop; it sees this pass's assumptions.
    EscapePass Child(RangeFlow* range) {
        EscapePass child(tree_, name_, budget_, range);
        budget_ += edits_.output.size();  // the copy below is work too
        child.edits_.output = edits_.output;
        return child;
    }

    Context List(Context c, std::vector<Node>& list) {
        for (Node& node : list) {
            // Re-walked range bodies and called templates could still multiply the work:
            // bounded like rendering.
            if (++budget_ > kTemplateMaxSteps) {
                return At(Context::Error("template too complex to escape"), node);
            }
            c = At(One(c, node), node);
            if (c.state == State::kDead) {
                break;
            }
        }
        return c;
    }

    Context One(const Context& c, Node& node) {
        switch (node.type) {
            case NodeType::kText:
                return Text(c, node);
            case NodeType::kAction:
                return Action(c, node);
            case NodeType::kIf:
                return Branches(c, node, "if");
            case NodeType::kWith:
                return Branches(c, node, "with");
            case NodeType::kRange:
                return Range(c, node);
            case NodeType::kTemplate:
                return Template(c, node);
            case NodeType::kBreak:
            case NodeType::kContinue:
                return Exit(c, node);
        }
        // A node kind this pass does not know is refused, never rendered unescaped.
        return Context::Error("cannot escape this kind of template node");
    }

    // {{ break }} / {{ continue }}: the range joins this context; what follows is unreachable.
    Context Exit(const Context& c, const Node& node) {
        if (range_ == nullptr) {
            return Context::Error("{{break}} or {{continue}} outside {{range}}");  // the parser
        }
        if (node.type == NodeType::kBreak) {
            if (range_->last_continue && range_->continue_at == range_->breaks.size() &&
                SharesBreaksArray(range_->continue_at)) {
                range_->last_continue.reset();  // overwritten by this break
            }
            range_->breaks.push_back({c, node.pos});
        } else {
            range_->last_continue = RangeFlow::Exit{c, node.pos};
            range_->continue_at = range_->breaks.size();
        }
        Context dead;
        dead.state = State::kDead;
        return dead;
    }

    // Go's joinRange: the body's end joins the contexts at its breaks and continues.
    static Context JoinExits(Context c0, const RangeFlow& flow) {
        const auto join = [&c0](const RangeFlow::Exit& exit, std::string_view what) {
            c0 = Join(c0, exit.c, "range");
            if (c0.state == State::kError) {
                c0.error = std::string("at range loop ") + std::string(what) + ": " + c0.error;
                c0.error_line = exit.pos.line;
                c0.error_column = exit.pos.column;
            }
            return c0.state != State::kError;
        };
        for (const RangeFlow::Exit& exit : flow.breaks) {
            if (!join(exit, "break")) {
                return c0;
            }
        }
        if (flow.last_continue) {
            (void)join(*flow.last_continue, "continue");
        }
        return c0;
    }

    // {{ template "name" P }} (and block's call): Go's escapeTemplate. The called template is
    // escaped in the caller's context; a context other than text gets its own copy of the
    // template ("name$htmltemplate_<context>"), which the node then calls.
    Context Template(const Context& c, Node& node) {
        const std::string dname = Mangle(c, node.text);
        edits_.called.insert(dname);
        if (dname != node.text) {
            edits_.texts[&node] = dname;
        }
        if (const auto known = edits_.output.find(dname); known != edits_.output.end()) {
            return known->second;  // escaped already, or being escaped (recursion)
        }
        const auto body = tree_.defined.find(node.text);
        if (body == tree_.defined.end()) {
            return Context::Error("no such template \"" + node.text + "\"");  // the parser
        }
        if (dname != node.text) {
            tree_.defined.try_emplace(dname, body->second);  // the original, unedited nodes
        }
        return OutputContext(c, dname);
    }

    // Go's computeOutCtx: assume the template ends where it starts (for recursive calls); if
    // that does not hold, assume the end it did reach and check once more.
    Context OutputContext(const Context& c, const std::string& dname) {
        auto [c1, ok] = EscapeBody(c, dname);
        if (!ok) {
            if (auto [c2, ok2] = EscapeBody(c1, dname); ok2) {
                c1 = std::move(c2);
                ok = true;
            }
        }
        if (!ok && c1.state != State::kError) {
            return Context::Error("cannot compute output context for template " + dname);
        }
        return c1;
    }

    std::pair<Context, bool> EscapeBody(const Context& c, const std::string& dname) {
        edits_.output.insert_or_assign(dname, c);
        EscapePass child = Child(range_);
        Context c1 = child.List(c, tree_.defined.find(dname)->second);
        const bool ok =
            c1.state != State::kError && (!child.edits_.called.contains(dname) || c1 == c);
        if (ok) {
            edits_.Merge(std::move(child.edits_));
        }
        return {std::move(c1), ok};
    }

    Context Branches(const Context& c, Node& node, std::string_view name) {
        // "if A X else if B Y else Z" is Go's "if A X else (if B Y else Z)".
        Context rest = List(c, node.else_body);
        for (std::size_t i = node.branches.size(); i-- > 0;) {
            rest = Join(List(c, node.branches[i].body), rest, name);
        }
        return rest;
    }

    Context Range(const Context& c, Node& node) {
        std::vector<Node>& body = node.branches.front().body;
        RangeFlow* const outer = range_;
        RangeFlow flow;
        range_ = &flow;
        Context c0 = List(c, body);
        range_ = outer;
        if (c0.state != State::kError) {
            c0 = JoinExits(std::move(c0), flow);
        }
        if (c0.state == State::kError) {
            return c0;
        }
        // The body runs again after itself: its end context must also work as its start. The
        // second walk only checks; its escaper choices are dropped (as Go does). A body that ends
        // where it started needs no second walk (the walk is deterministic), which keeps nested
        // ranges linear instead of doubling per level.
        if (!(c0 == c)) {
            RangeFlow again_flow;
            EscapePass again = Child(&again_flow);
            const Context c1 = again.List(c0, body);
            c0 = Join(c0, c1, "range");
            if (c0.state == State::kError) {
                c0.error = "on range loop re-entry: " + c0.error;
                c0.error_line = node.pos.line;
                c0.error_column = node.pos.column;
                return c0;
            }
            c0 = JoinExits(std::move(c0), again_flow);
            if (c0.state == State::kError) {
                return c0;
            }
        }
        return Join(c0, List(c, node.else_body), "range");
    }

    Context Action(Context c, Node& node) {
        if (node.pipe.decl != DeclKind::kNone) {
            return c;  // an assignment prints nothing
        }
        c = Nudge(c);
        for (const Command& cmd : node.pipe.cmds) {
            const Expr& head = cmd.args.front();
            if (head.type == ExprType::kFunction && head.func == Func::kHtml &&
                c.state == State::kAttr && c.delim == Delim::kSpaceOrTagEnd) {
                return Context::Error("predefined escaper \"html\" disallowed in template");
            }
        }
        std::vector<Escaper> wanted;
        switch (c.state) {
            case State::kError:
                return c;
            case State::kUrl:
            case State::kCssDqStr:
            case State::kCssSqStr:
            case State::kCssDqUrl:
            case State::kCssSqUrl:
            case State::kCssUrl:
                switch (c.url_part) {
                    case UrlPart::kNone:
                        wanted.push_back(Escaper::kUrlFilter);
                        [[fallthrough]];
                    case UrlPart::kPreQuery:
                        wanted.push_back(
                            c.state == State::kCssDqStr || c.state == State::kCssSqStr
                                ? Escaper::kCss
                                : Escaper::kUrlNormalizer
                        );
                        break;
                    case UrlPart::kQueryOrFrag:
                        wanted.push_back(Escaper::kUrlEscaper);
                        break;
                    case UrlPart::kUnknown:
                        return Context::Error("action appears in an ambiguous context within a URL"
                        );
                }
                break;
            case State::kJs:
                wanted.push_back(Escaper::kJsVal);
                c.js_ctx = JsCtx::kDivOp;  // a '/' after a value divides
                break;
            case State::kJsDqStr:
            case State::kJsSqStr:
                wanted.push_back(Escaper::kJsStr);
                break;
            case State::kJsBqStr:
                return Context::Error("action appears in a JS template literal");
            case State::kJsRegexp:
                wanted.push_back(Escaper::kJsRegexp);
                break;
            case State::kCss:
                wanted.push_back(Escaper::kCssValueFilter);
                break;
            case State::kText:
                wanted.push_back(Escaper::kHtml);
                break;
            case State::kRcdata:
                wanted.push_back(Escaper::kRcdata);
                break;
            case State::kAttr:
                break;  // the delimiter decides, below
            case State::kAttrName:
            case State::kTag:
                c.state = State::kAttrName;
                wanted.push_back(Escaper::kHtmlNameFilter);
                break;
            case State::kSrcset:
                wanted.push_back(Escaper::kSrcset);
                break;
            case State::kHtmlCmt:
            case State::kJsBlockCmt:
            case State::kJsLineCmt:
            case State::kCssBlockCmt:
            case State::kCssLineCmt:
                wanted.push_back(Escaper::kComment);
                break;
            case State::kAfterName:
            case State::kBeforeValue:
            case State::kDead:
                return Context::Error("action in an unexpected context " + Describe(c));
        }
        if (c.delim == Delim::kSpaceOrTagEnd) {
            wanted.push_back(Escaper::kNospace);
        } else if (c.delim != Delim::kNone) {
            wanted.push_back(Escaper::kAttr);
        }
        edits_.actions[&node] = MergeEscapers(node.pipe, std::move(wanted));
        return c;
    }

    // Go's escapeText: moves the context across the text, strips HTML comments (and JS/CSS
    // comments in <script>/<style>), and writes a '<' that starts no tag as &lt;.
    Context Text(Context c, Node& node) {
        const std::string_view s = node.text;
        std::string out;
        std::size_t written = 0;
        std::size_t i = 0;
        while (i != s.size()) {
            const auto [c1, read] = ContextAfterText(c, s.substr(i));
            const std::size_t i1 = i + read;
            if (read == 0 && c1 == c) {
                return Context::Error("the HTML tokenizer made no progress");  // a bug, not a loop
            }
            if (c.state == State::kText || c.state == State::kRcdata) {
                std::size_t end = i1;
                if (c1.state != c.state) {
                    for (std::size_t j = end; j > i; --j) {
                        if (s[j - 1] == '<') {
                            end = j - 1;
                            break;
                        }
                    }
                }
                for (std::size_t j = i; j < end; ++j) {
                    if (s[j] == '<' && !StartsWithDoctype(s.substr(j))) {
                        out.append(s.substr(written, j - written));
                        out += "&lt;";
                        written = j + 1;
                    }
                }
            } else if (IsComment(c.state) && c.delim == Delim::kNone) {
                if (c.state == State::kJsBlockCmt) {
                    const std::string_view comment = s.substr(written, i1 - written);
                    const bool multiline =
                        comment.find_first_of("\n\r") != std::string_view::npos ||
                        comment.find("\u2028") != std::string_view::npos ||
                        comment.find("\u2029") != std::string_view::npos;
                    out += multiline ? '\n' : ' ';
                } else if (c.state == State::kCssBlockCmt) {
                    out += ' ';
                }
                written = i1;
            }
            if (c.state != c1.state && IsComment(c1.state) && c1.delim == Delim::kNone) {
                const std::size_t start = i1 - (c1.state == State::kHtmlCmt ? 4 : 2);
                out.append(s.substr(written, start - written));
                written = i1;
            }
            c = c1;
            i = i1;
            if (c.state == State::kError) {
                return c;
            }
        }
        if (written != 0) {
            if (!IsComment(c.state) || c.delim != Delim::kNone) {
                out.append(s.substr(written));
            }
            edits_.texts[&node] = std::move(out);
        }
        return c;
    }

    ParsedTree& tree_;  // derived templates are added to tree_.defined
    std::string_view name_;
    std::size_t& budget_;  // node visits so far, shared with the re-walks
    RangeFlow* range_;     // the innermost range being walked
    Edits edits_;
};

}  // namespace

std::optional<TemplateError> EscapeTree(ParsedTree& tree, std::string_view name) {
    std::size_t budget = 0;
    return EscapePass(tree, name, budget, nullptr).Run();
}

}  // namespace gotrue::mailer::go_template_internal
