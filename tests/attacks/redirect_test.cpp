// Attack replays through the real binary: open redirects (finding 2). GET /verify sends the
// browser to redirect_to with the session (or the error) in the fragment, so a target a browser
// reads differently from the validator hands the tokens to another origin.

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/mailbox.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::LinkIn;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

constexpr const char* kSite = "http://localhost:3000";

AuthServer MakeServer() {
    return AuthServer(
        gotrue::testing::MailMode::kSync,
        {{"GOTRUE_SITE_URL", kSite},
         {"GOTRUE_URI_ALLOW_LIST", "http://allowed.example/**,https://*.example.com/**"}}
    );
}

// Percent-encodes everything but unreserved characters (what a client library sends).
std::string QueryEscape(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
    return out;
}

// Where GET /verify sends the browser for `redirect_to` (a failed verification is enough: the
// error goes to the same target the session would).
std::string LocationFor(const AuthServer& server, const std::string& redirect_to) {
    const auto response = server.Get(
        "/verify?type=signup&token=0000000000000000000000000000&redirect_to=" +
        QueryEscape(redirect_to)
    );
    REQUIRE(response.status == 303);
    return response.headers.at("location");
}

bool HasControlBytes(const std::string& text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_SUITE("redirect") {
    TEST_CASE("open redirect: targets a browser reads differently fall back to the site URL") {
        const AuthServer server = MakeServer();
        const std::vector<std::string> refused{
            "http://evil.example\\@localhost:3000",
            "http://evil.example\\@allowed.example/",
            "http://localhost:3000\\@evil.example/",
            "http://user@localhost:3000/",
            "http://evil\t.example/",
            std::string("http://localhost:3000/ok\0x", 26),
            "http://localhost:3000/ok\x01x",
            "http://localhost:3000.evil.example/",
            "http:////evil.example/",
            "//evil.example/",
            "javascript://allowed.example/%0aalert(1)",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://\xD0\xB0llowed.example/",
            "http://evil%2eexample/",
            "https://a.b.example.com/",
        };
        for (const auto& target : refused) {
            CAPTURE(target);
            const std::string location = LocationFor(server, target);
            CHECK(location.rfind(std::string(kSite) + "#", 0) == 0);
            CHECK_FALSE(HasControlBytes(location));
        }
        const std::vector<std::string> accepted{
            "http://localhost:3000/welcome",
            "http://localhost:5173/dev-server",
            "http://allowed.example/next?x=1",
            "https://app.example.com/cb",
            "http://127.0.0.1:8080/cb",
        };
        for (const auto& target : accepted) {
            CAPTURE(target);
            CHECK(LocationFor(server, target).rfind(target + "#", 0) == 0);
        }
    }

    TEST_CASE("open redirect: the Referer fallback and the mail link apply the same rule") {
        const AuthServer server = MakeServer();
        const auto by_referer = server.Get(
            "/verify?type=signup&token=0000000000000000000000000000",
            {"Referer: http://evil.example\\@localhost:3000/"}
        );
        REQUIRE(by_referer.status == 303);
        CHECK(by_referer.headers.at("location").rfind(std::string(kSite) + "#", 0) == 0);

        const std::string email = UniqueEmail("redirect-mail");
        const auto signup = server.Post(
            "/signup?redirect_to=" + QueryEscape("http://evil.example\\@allowed.example/"),
            R"({"email":")" + email + R"(","password":"secret-123"})"
        );
        REQUIRE(signup.status == 200);
        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        CHECK(UrlParam(LinkIn(mails.front()), "redirect_to") == kSite);
        // And the session of that link goes to the site URL.
        const auto verified = gotrue::testing::Get(LinkIn(mails.front()));
        REQUIRE(verified.status == 303);
        const std::string location = verified.headers.at("location");
        CHECK(location.rfind(std::string(kSite) + "#", 0) == 0);
        CHECK(location.find("access_token=") != std::string::npos);
    }
}
