// Fuzzes the redirect policy (http/redirect_url.hpp): ParseWebUrl, IsRedirectAllowed and
// GlobMatch. The input is split at the first NUL into a URL and, after it, an allow-list glob.
//
// Checked besides "no crash, leak or UB": an accepted URL holds only printable ASCII, no
// backslash and no userinfo, and is never javascript:/data:/vbscript:/file:; GlobMatch agrees
// with a plain backtracking matcher on short inputs (a differential test of the linear one).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/redirect_url.hpp"
#include "text/ascii.hpp"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    static_cast<void>(std::fprintf(
        stderr,
        "redirect_url_fuzz: %s: %.*s\n",
        what,
        static_cast<int>(detail.size()),
        detail.data()
    ));
    std::abort();
}

bool Separator(char c) {
    return c == '.' || c == '/';
}

// The obvious exponential matcher, for inputs small enough.
bool NaiveGlob(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) {
        return text.empty();
    }
    if (pattern.substr(0, 2) == "**") {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (NaiveGlob(pattern.substr(2), text.substr(i))) {
                return true;
            }
        }
        return false;
    }
    if (pattern.front() == '*') {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (NaiveGlob(pattern.substr(1), text.substr(i))) {
                return true;
            }
            if (i < text.size() && Separator(text[i])) {
                break;
            }
        }
        return false;
    }
    if (text.empty()) {
        return false;
    }
    if (pattern.front() == '?') {
        return !Separator(text.front()) && NaiveGlob(pattern.substr(1), text.substr(1));
    }
    return pattern.front() == text.front() && NaiveGlob(pattern.substr(1), text.substr(1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto split = input.find('\0');
    const std::string_view url = input.substr(0, split);
    const std::string_view glob = split == std::string_view::npos ? "" : input.substr(split + 1);
    static_cast<void>(gotrue::http::ParseWebUrl(url));
    const std::vector<std::string> allow_list{
        std::string(glob), "http://*.example.com/**", "myapp://**"};
    if (gotrue::http::IsRedirectAllowed(url, "http://localhost:3000", allow_list)) {
        for (const char c : url) {
            if (c <= 0x20 || c >= 0x7F || c == '\\') {
                Fail("an accepted URL holds a byte browsers read differently", url);
            }
        }
        const std::string lower = gotrue::text::ToLower(url);
        for (const char* scheme : {"javascript:", "data:", "vbscript:", "file:"}) {
            if (lower.rfind(scheme, 0) == 0) {
                Fail("an accepted URL runs code or reads files", url);
            }
        }
        const auto scheme_end = url.find("://");
        if (scheme_end != std::string_view::npos) {
            const auto rest = url.substr(scheme_end + 3);
            const auto authority = rest.substr(0, rest.find_first_of("/?#"));
            const std::string scheme = gotrue::text::ToLower(url.substr(0, scheme_end));
            const bool web = scheme == "http" || scheme == "https";
            if (web && authority.find('@') != std::string_view::npos) {
                Fail("an accepted web URL has userinfo", url);
            }
        }
    }
    if (glob.size() <= 12 && url.size() <= 24 &&
        gotrue::http::GlobMatch(glob, url) != NaiveGlob(glob, url)) {
        Fail("GlobMatch disagrees with the reference matcher", input);
    }
    return 0;
}
