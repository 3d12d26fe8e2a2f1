#include "mailer/html_text.hpp"

#include <doctest/doctest.h>

using gotrue::mailer::HtmlToText;

TEST_SUITE("html to text") {
    TEST_CASE("headings and paragraphs become lines, links keep their URL") {
        const std::string html =
            "<h2>Confirm your email address</h2>\n"
            "<p>Follow this link to confirm:</p>\n"
            "<p><a href=\"http://h/verify?token=t&amp;type=signup\">Confirm email address</a></p>\n"
            "<p>Or enter this code: 123456</p>\n";
        CHECK(
            HtmlToText(html) ==
            "Confirm your email address\n\nFollow this link to confirm:\n\n"
            "Confirm email address (http://h/verify?token=t&type=signup)\n\n"
            "Or enter this code: 123456"
        );
    }

    TEST_CASE("entities are decoded, scripts and styles dropped, br is a line break") {
        CHECK(HtmlToText("a &lt;b&gt; &amp; &#34;c&#34;<br>d") == "a <b> & \"c\"\nd");
        CHECK(HtmlToText("<style>p{}</style><script>alert(1)</script>text") == "text");
    }

    TEST_CASE("a link whose text is its URL is not repeated") {
        CHECK(HtmlToText("<a href='http://x'>http://x</a>") == "http://x");
    }
}
