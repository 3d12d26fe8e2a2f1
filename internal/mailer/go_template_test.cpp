// GoTemplate end to end: the default GoTrue templates, a large template, reuse.

#include <string>

#include <doctest/doctest.h>

#include "mailer/go_template_test_util.hpp"

namespace gotrue::mailer::go_template_test {

TEST_CASE("GoTrue default templates render as upstream") {
    const TemplateData data{
        {"SiteURL", S("https://example.com")},
        {"ConfirmationURL",
         S("https://auth.example.com/verify?token=abc&type=signup&redirect_to=https://app")},
        {"Token", S("123456")},
        {"Email", S("old@example.com")},
        {"NewEmail", S("new@example.com")},
    };

    SUBCASE("confirmation: & in the URL becomes &amp;, the text around is untouched") {
        const std::string source =
            "<h2>Confirm your signup</h2>\n\n<p>Follow this link to confirm your user:</p>\n"
            "<p><a href=\"{{ .ConfirmationURL }}\">Confirm your mail</a></p>";
        CHECK(
            Render(source, data) ==
            "<h2>Confirm your signup</h2>\n\n<p>Follow this link to confirm your user:</p>\n"
            "<p><a href=\"https://auth.example.com/verify?token=abc&amp;type=signup&amp;"
            "redirect_to=https://app\">Confirm your mail</a></p>"
        );
    }

    SUBCASE("email change with two addresses and the OTP") {
        const std::string source =
            "<h2>Confirm email address change</h2>\n\n<p>Follow this link to confirm the update "
            "of your email address from {{ .Email }} to {{ .NewEmail }}:</p>\n<p><a "
            "href=\"{{ .ConfirmationURL }}\">Change email address</a></p>\n"
            "<p>Alternatively, enter the code: {{ .Token }}</p>";
        CHECK(
            Render(source, data) ==
            "<h2>Confirm email address change</h2>\n\n<p>Follow this link to confirm the update "
            "of your email address from old@example.com to new@example.com:</p>\n<p><a "
            "href=\"https://auth.example.com/verify?token=abc&amp;type=signup&amp;redirect_to="
            "https://app\">Change email address</a></p>\n<p>Alternatively, enter the code: "
            "123456</p>"
        );
    }

    SUBCASE("a custom link built in the template keeps its literal &") {
        CHECK(
            Render(
                R"(<a href="{{ .SiteURL }}/auth/confirm?token_hash={{ .Token }}&type=email">)", data
            ) == R"(<a href="https://example.com/auth/confirm?token_hash=123456&type=email">)"
        );
    }

    SUBCASE("subjects render verbatim with escape_html = false") {
        CHECK(Render("{{ .Token }} is your code", data, false) == "123456 is your code");
        CHECK(
            Render("Link: {{ .ConfirmationURL }}", data, false) ==
            "Link: https://auth.example.com/verify?token=abc&type=signup&redirect_to=https://app"
        );
    }
}

TEST_CASE("a 100 KB template with 1000 actions parses and renders") {
    std::string source;
    std::string expected;
    const std::string filler(80, 'x');
    for (int i = 0; i < 1000; ++i) {
        source += "<p>" + filler + " {{ .Data.name }} " + std::to_string(i) + "</p>\n";
        expected += "<p>" + filler + " A&amp;B " + std::to_string(i) + "</p>\n";
    }
    REQUIRE(source.size() > 100 * 1000);
    const GoTemplate parsed = GoTemplate::Parse(source);
    CHECK(parsed.Render(UserData({{"name", S("A&B")}})) == expected);

    // Also many sibling blocks and one long else-if chain.
    std::string blocks;
    for (int i = 0; i < 1000; ++i) {
        blocks += "{{ if .X }}a{{ else }}b{{ end }}";
    }
    CHECK(Render(blocks, {{"X", N(1)}}) == std::string(1000, 'a'));
    std::string chain = "{{ if eq .X -1 }}none";
    for (int i = 0; i < 1000; ++i) {
        chain += "{{ else if eq .X " + std::to_string(i) + " }}" + std::to_string(i);
    }
    chain += "{{ end }}";
    CHECK(Render(chain, {{"X", TemplateValue::Int(999)}}) == "999");
}

TEST_CASE("GoTemplate is a reusable, copyable value") {
    const GoTemplate original = GoTemplate::Parse("Hi {{ .Name }}", "greeting");
    const GoTemplate copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.Name() == "greeting");
    CHECK(original.Render({{"Name", S("A")}}) == "Hi A");
    CHECK(copy.Render({{"Name", S("B")}}) == "Hi B");
    CHECK(original.Render({}) == "Hi ");
}

}  // namespace gotrue::mailer::go_template_test
