#include "mailer/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "text/ascii.hpp"

namespace gotrue::mailer {
namespace {

// The value of attribute `name` in a tag's source (`a href="x"`), or "".
std::string Attribute(std::string_view tag, std::string_view name) {
    const std::string lower = text::ToLower(tag);
    std::size_t pos = 0;
    while ((pos = lower.find(name, pos)) != std::string::npos) {
        const bool starts_word =
            pos > 0 && std::isspace(static_cast<unsigned char>(lower[pos - 1])) != 0;
        std::size_t after = pos + name.size();
        while (after < lower.size() && lower[after] == ' ') {
            ++after;
        }
        if (starts_word && after < lower.size() && lower[after] == '=') {
            ++after;
            while (after < lower.size() && lower[after] == ' ') {
                ++after;
            }
            if (after < tag.size() && (tag[after] == '"' || tag[after] == '\'')) {
                const char quote = tag[after];
                const auto end = tag.find(quote, after + 1);
                return std::string(tag.substr(
                    after + 1,
                    end == std::string_view::npos ? std::string_view::npos : end - after - 1
                ));
            }
            const auto end = tag.find_first_of(" >", after);
            return std::string(tag.substr(
                after, end == std::string_view::npos ? std::string_view::npos : end - after
            ));
        }
        pos = after;
    }
    return {};
}

std::string DecodeEntities(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kEntities{{
        {"&amp;", "&"},
        {"&lt;", "<"},
        {"&gt;", ">"},
        {"&quot;", "\""},
        {"&#34;", "\""},
        {"&#39;", "'"},
        {"&apos;", "'"},
        {"&nbsp;", " "},
    }};
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool replaced = false;
        if (text[i] == '&') {
            for (const auto& [entity, value] : kEntities) {
                if (text.substr(i, entity.size()) == entity) {
                    out += value;
                    i += entity.size() - 1;
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) {
            out += text[i];
        }
    }
    return out;
}

bool IsBlock(const std::string& name) {
    static constexpr std::array<std::string_view, 14> kBlocks{
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "tr",
        "table",
        "ul",
        "ol",
        "blockquote"};
    return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

// What HtmlToText has written so far, and the state tags change.
struct TextState {
    std::string text;
    std::string pending_href;  // of the <a> being read
    std::size_t link_text_start = 0;
    bool skipping = false;  // inside <script> or <style>
};

// Appends character data (entities decoded); whitespace in HTML source is layout, not content.
void AppendCharacterData(std::string& text, std::string_view raw) {
    std::string chunk = DecodeEntities(raw);
    std::string collapsed;
    for (const char c : chunk) {
        const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (space) {
            // One space for a run, none at the start of a line or after a space already written.
            const bool after_word = collapsed.empty()
                                        ? !text.empty() && text.back() != ' ' && text.back() != '\n'
                                        : collapsed.back() != ' ';
            if (after_word) {
                collapsed += ' ';
            }
        } else {
            collapsed += c;
        }
    }
    text += collapsed;
}

// A tag's effect (`tag` is its source between < and >): line breaks for <br> and block
// elements, " (href)" after a link whose text does not show its target, script/style skipped.
void ApplyTag(TextState& state, std::string_view tag) {
    std::string& text = state.text;
    const bool closing = !tag.empty() && tag.front() == '/';
    std::string name = text::ToLower(tag.substr(closing ? 1 : 0));
    name = name.substr(0, name.find_first_of(" \t\n/"));
    if (name == "script" || name == "style") {
        state.skipping = !closing;
        return;
    }
    if (state.skipping) {
        return;
    }
    if (name == "br") {
        text += '\n';
    } else if (IsBlock(name)) {
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        if (!text.empty() && text.back() != '\n') {
            text += '\n';
        }
        if (closing && !text.empty()) {
            text += '\n';
        }
    } else if (name == "a") {
        if (!closing) {
            state.pending_href = DecodeEntities(Attribute(tag, "href"));
            state.link_text_start = text.size();
        } else if (!state.pending_href.empty()) {
            const std::string link_text = text.substr(state.link_text_start);
            if (link_text.find(state.pending_href) == std::string::npos) {
                text += " (" + state.pending_href + ")";
            }
            state.pending_href.clear();
        }
    }
}

// Trims spaces at line ends and collapses runs of blank lines.
std::string TidyLines(const std::string& text) {
    std::string out;
    std::size_t blank = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find('\n', start);
        std::string line =
            text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        while (!line.empty() && line.front() == ' ') {
            line.erase(line.begin());
        }
        if (line.empty()) {
            ++blank;
        } else {
            if (!out.empty()) {
                out += blank > 0 ? "\n\n" : "\n";
            }
            out += line;
            blank = 0;
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return out;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
    constexpr auto kNpos = std::string_view::npos;
    TextState state;
    std::size_t i = 0;
    while (i < html.size()) {
        if (html[i] != '<') {
            const auto next = html.find('<', i);
            if (!state.skipping) {
                AppendCharacterData(state.text, html.substr(i, next == kNpos ? kNpos : next - i));
            }
            i = next == kNpos ? html.size() : next;
            continue;
        }
        const auto close = html.find('>', i);
        if (close == kNpos) {
            break;
        }
        ApplyTag(state, html.substr(i + 1, close - i - 1));
        i = close + 1;
    }
    return TidyLines(state.text);
}

}  // namespace gotrue::mailer
