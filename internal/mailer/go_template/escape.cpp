#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
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

class EscapePass {
public:
    EscapePass(std::string_view name, std::size_t& budget) : name_(name), budget_(budget) {}

    std::optional<TemplateError> Run(std::vector<Node>& root) {
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
        for (auto& [node, edit] : actions_) {
            node->escapers = std::move(edit.escapers);
            node->last_command_in_escapers = edit.last_command_in_escapers;
        }
        for (auto& [node, text] : texts_) {
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

    Context List(Context c, std::vector<Node>& list) {
        for (Node& node : list) {
            // Re-walked range bodies could still multiply the work: bounded like rendering.
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
            default:
                // A node kind this pass does not know is refused, never rendered unescaped.
                return Context::Error("cannot escape this kind of template node");
        }
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
        Context c0 = List(c, body);
        if (c0.state == State::kError) {
            return c0;
        }
        // The body runs again after itself: its end context must also work as its start. The
        // second walk only checks; its escaper choices are dropped (as Go does). A body that ends
        // where it started needs no second walk (the walk is deterministic), which keeps nested
        // ranges linear instead of doubling per level.
        if (!(c0 == c)) {
            EscapePass again(name_, budget_);
            const Context c1 = again.List(c0, body);
            c0 = Join(c0, c1, "range");
            if (c0.state == State::kError) {
                c0.error = "on range loop re-entry: " + c0.error;
                c0.error_line = node.pos.line;
                c0.error_column = node.pos.column;
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
        actions_[&node] = MergeEscapers(node.pipe, std::move(wanted));
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
            texts_[&node] = std::move(out);
        }
        return c;
    }

    std::string_view name_;
    std::size_t& budget_;  // node visits so far, shared with the re-walks
    std::unordered_map<Node*, ActionEdit> actions_;
    std::unordered_map<Node*, std::string> texts_;
};

}  // namespace

std::optional<TemplateError> EscapeTree(std::vector<Node>& root, std::string_view name) {
    std::size_t budget = 0;
    return EscapePass(name, budget).Run(root);
}

}  // namespace gotrue::mailer::go_template_internal
