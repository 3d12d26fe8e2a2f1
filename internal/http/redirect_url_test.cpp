#include "http/redirect_url.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using gotrue::http::GlobMatch;
using gotrue::http::IsRedirectAllowed;
using gotrue::http::ParseWebUrl;

namespace {

const std::vector<std::string> kAllowList{
    "http://allowed.example/**",
    "https://*.example.com/**",
    "myapp://**",
    "http://**",  // an operator's overly broad entry: IP hosts must still be refused
};

bool Allowed(const std::string& url, const std::string& site = "http://localhost:3000") {
    return IsRedirectAllowed(url, site, kAllowList);
}

}  // namespace

TEST_SUITE("redirect url") {
    TEST_CASE("what a browser and the validator could read differently is refused") {
        struct Row {
            std::string url;
            bool allowed;
        };

        const std::vector<Row> rows{
            {"http://localhost:3000/welcome", true},
            {"http://LOCALHOST:3000/x#frag", true},
            {"http://localhost:4000/other-port-on-loopback", true},
            {"http://127.0.0.1:8080/cb", true},
            {"http://[::1]:8080/cb", true},
            {"https://app.example.com/cb?x=1", true},
            {"myapp://callback", true},
            {"myapp:///path", true},
            // backslashes: WHATWG reads '\' as '/' in special schemes
            {"http://evil.example\\@localhost:3000", false},
            {"http://localhost:3000\\@evil.example/", false},
            {"http:\\\\evil.example/", false},
            {"http://localhost:3000/\\evil", false},
            // userinfo
            {"http://user@localhost:3000/", false},
            {"http://evil.example@localhost:3000/", false},
            {"http://localhost:3000@evil.example/", false},
            // controls: browsers strip tabs and newlines, NUL must never reach a header
            {"http://evil\t.example/", false},
            {"http://local\nhost:3000/", false},
            {"http://localhost:3000/ok\x01x", false},
            {std::string("http://localhost:3000/ok\0x", 26), false},
            {" http://localhost:3000/", false},
            {"http://localhost:3000/a b", false},
            // ports
            {"http://localhost:3000.evil.example/", false},
            {"http://allowed.example:99999/", false},
            {"http://allowed.example:0/", false},
            {"http://allowed.example:80x/", false},
            {"https://x.example.com:8443/x", false},  // the glob has no port
            // slashes and schemes
            {"http:///evil.example/", false},
            {"http:////evil.example/", false},
            {"//evil.example/", false},
            {"http:evil.example", false},
            {"javascript://localhost:3000/%0aalert(1)", false},
            {"JavaScript://allowed.example/", false},
            {"data://text/html,x", false},
            {"file:///etc/passwd", false},
            {"ftp://allowed.example/", false},
            // IP addresses in disguise, and hosts a browser would decode
            {"http://2130706433/", false},
            {"http://0x7f.1/", false},
            {"http://127.1/", false},
            {"http://0177.0.0.1/", false},
            {"http://1.2.3.4/", false},  // not loopback: the allow list is not consulted
            {"http://allowed.example.1/", false},
            {"http://evil%2eexample/", false},
            {"http://[::1/", false},
            {"http://[evil.example]/", false},
            // IDN must be punycode
            {"http://\xD0\xB0llowed.example/", false},
            {"http://xn--llowed-2uf.example/x", true},  // broad "http://**" entry
            {"https://evil.com/.example.com/", false},
            {"https://a.b.example.com/x", false},  // '*' does not cross '.'
            {"", false},
            {std::string(3000, 'a'), false},
        };
        for (const auto& row : rows) {
            CAPTURE(row.url);
            CHECK(Allowed(row.url) == row.allowed);
        }
    }

    TEST_CASE("the site URL's origin is compared with default ports normalised") {
        CHECK(IsRedirectAllowed("https://app.test/x", "https://app.test:443", {}));
        CHECK(IsRedirectAllowed("https://app.test:443/x", "https://app.test", {}));
        CHECK_FALSE(IsRedirectAllowed("http://app.test/x", "https://app.test", {}));
        CHECK_FALSE(IsRedirectAllowed("https://app.test:8443/x", "https://app.test", {}));
        CHECK_FALSE(IsRedirectAllowed("https://app.test.evil/x", "https://app.test", {}));
        CHECK_FALSE(IsRedirectAllowed("https://app.test/x", "not a url", {}));
    }

    TEST_CASE("ParseWebUrl reads the origin") {
        const auto url = ParseWebUrl("HTTPS://Example.COM:8443/path?q#f");
        REQUIRE(url);
        CHECK(url->scheme == "https");
        CHECK(url->host == "example.com");
        CHECK(url->port == 8443);
        CHECK_FALSE(url->ip_literal);
        const auto ip = ParseWebUrl("http://10.0.0.1/");
        REQUIRE(ip);
        CHECK(ip->ip_literal);
    }

    TEST_CASE("globs: '*' stays in a segment, '**' crosses, '?' is one character") {
        CHECK(GlobMatch("http://*.example.com/**", "http://a.example.com/x/y"));
        CHECK_FALSE(GlobMatch("http://*.example.com/**", "http://a.b.example.com/x"));
        CHECK(GlobMatch("http://**.example.com/**", "http://a.b.example.com/x"));
        CHECK(GlobMatch("http://a?c.example/", "http://abc.example/"));
        CHECK_FALSE(GlobMatch("http://a?c.example/", "http://a.c.example/"));
        CHECK(GlobMatch("", ""));
        CHECK_FALSE(GlobMatch("", "x"));
        // Many wildcards against a long text: linear time, no backtracking blow-up.
        std::string pattern;
        for (int i = 0; i < 200; ++i) {
            pattern += "**a";
        }
        CHECK_FALSE(GlobMatch(pattern + "b", std::string(2000, 'a')));
    }
}
