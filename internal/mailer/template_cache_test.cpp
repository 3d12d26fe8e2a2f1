// Custom templates fetched over HTTP from tests/support/template_server.py.

#include "mailer/template_cache.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <doctest/doctest.h>

#include "support/process.hpp"

using namespace std::chrono_literals;
using gotrue::mailer::MailKind;
using gotrue::mailer::TemplateCache;
using gotrue::mailer::TemplateCacheOptions;
using gotrue::mailer::TemplateData;
using gotrue::mailer::TemplateValue;

namespace {

struct TemplateServer {
    std::string dir;
    int port;
    std::unique_ptr<gotrue::testing::HelperProcess> process;

    TemplateServer() : port(gotrue::testing::FreePort()) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "templates.XXXXXX").string();
        dir = mkdtemp(pattern.data());
        process = std::make_unique<gotrue::testing::HelperProcess>(std::vector<std::string>{
            "/usr/bin/python3",
            std::string(GOTRUE_SOURCE_DIR) + "/tests/support/template_server.py",
            "--port",
            std::to_string(port),
            "--dir",
            dir,
            "--slow",
            "3",
        });
        REQUIRE_MESSAGE(process->WaitForOutput("ready"), process->Output());
    }

    ~TemplateServer() {
        process.reset();
        std::filesystem::remove_all(dir);
    }

    TemplateServer(const TemplateServer&) = delete;
    TemplateServer& operator=(const TemplateServer&) = delete;

    void Write(const std::string& name, const std::string& text) const {
        std::ofstream(dir + "/" + name) << text;
    }

    [[nodiscard]] std::string Url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port) + path;
    }
};

TemplateCacheOptions Options(const std::string& confirmation_url) {
    TemplateCacheOptions options;
    options.site_url = "http://localhost:3000";
    options.urls["CONFIRMATION"] = confirmation_url;
    options.max_age = 10min;
    options.retry_interval = 10s;
    options.fetch_timeout = 1s;
    return options;
}

std::string RenderConfirmation(TemplateCache& cache) {
    const TemplateData data{
        {"ConfirmationURL", TemplateValue::String("http://link")},
        {"Data", TemplateValue::Object({{"name", TemplateValue::String("Ada")}})},
    };
    return cache.Body(MailKind::kConfirmation)->Render(data, true);
}

}  // namespace

TEST_SUITE("custom templates") {
    TEST_CASE("a custom template in Go syntax is fetched, cached and rendered") {
        TemplateServer server;
        server.Write(
            "confirm.html",
            R"(<p>{{ if .Data.name }}Hi {{ .Data.name }}{{ else }}Hi{{ end }}, <a href="{{ .ConfirmationURL }}">go</a></p>)"
        );
        TemplateCache cache(Options(server.Url("/confirm.html")));
        CHECK(RenderConfirmation(cache) == R"(<p>Hi Ada, <a href="http://link">go</a></p>)");
        // Cached: a change on the server is not seen before max_age.
        server.Write("confirm.html", "<p>changed</p>");
        CHECK(RenderConfirmation(cache) == R"(<p>Hi Ada, <a href="http://link">go</a></p>)");
        // Kinds without a custom template use the built-in one.
        CHECK(cache.Body(MailKind::kRecovery) == TemplateCache::BuiltIn(MailKind::kRecovery));
    }

    TEST_CASE("user metadata is HTML-escaped when a custom template prints it") {
        TemplateServer server;
        server.Write("confirm.html", "<p>Hi {{ .Data.name }}</p>");
        TemplateCache cache(Options(server.Url("/confirm.html")));
        const TemplateData data{
            {"Data",
             TemplateValue::Object({{"name", TemplateValue::String("<script>alert('x')</script>")}}
             )},
        };
        CHECK(
            cache.Body(MailKind::kConfirmation)->Render(data, true) ==
            "<p>Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"
        );
    }

    TEST_CASE("a stale template is fetched again after max_age") {
        TemplateServer server;
        server.Write("confirm.html", "<p>one</p>");
        auto options = Options(server.Url("/confirm.html"));
        options.max_age = 100ms;
        TemplateCache cache(options);
        CHECK(RenderConfirmation(cache) == "<p>one</p>");
        server.Write("confirm.html", "<p>two</p>");
        std::this_thread::sleep_for(150ms);
        CHECK(RenderConfirmation(cache) == "<p>two</p>");
    }

    TEST_CASE("a 404 falls back to the built-in template") {
        TemplateServer server;
        TemplateCache cache(Options(server.Url("/missing.html")));
        CHECK(
            cache.Body(MailKind::kConfirmation) == TemplateCache::BuiltIn(MailKind::kConfirmation)
        );
    }

    TEST_CASE("a malformed template is rejected at load time, the last good one stays") {
        TemplateServer server;
        server.Write("confirm.html", "<p>good {{ .ConfirmationURL }}</p>");
        auto options = Options(server.Url("/confirm.html"));
        options.max_age = 50ms;
        options.retry_interval = 50ms;
        TemplateCache cache(options);
        CHECK(RenderConfirmation(cache) == "<p>good http://link</p>");
        server.Write("confirm.html", "<p>{{ if .Data.name }}unclosed</p>");
        std::this_thread::sleep_for(80ms);
        CHECK(RenderConfirmation(cache) == "<p>good http://link</p>");

        TemplateServer fresh;
        fresh.Write("bad.html", "<p>{{ .ConfirmationURL </p>");
        TemplateCache never_good(Options(fresh.Url("/bad.html")));
        CHECK(
            never_good.Body(MailKind::kConfirmation) ==
            TemplateCache::BuiltIn(MailKind::kConfirmation)
        );
    }

    TEST_CASE("a slow template server falls back after the fetch timeout and retries later") {
        TemplateServer server;
        server.Write("confirm.html", "<p>custom</p>");
        TemplateCache cache(Options(server.Url("/slow/confirm.html")));
        const auto started = std::chrono::steady_clock::now();
        CHECK(
            cache.Body(MailKind::kConfirmation) == TemplateCache::BuiltIn(MailKind::kConfirmation)
        );
        CHECK(std::chrono::steady_clock::now() - started < 2500ms);
        // Within the retry interval the next mail does not wait for the slow server again.
        const auto again = std::chrono::steady_clock::now();
        CHECK(
            cache.Body(MailKind::kConfirmation) == TemplateCache::BuiltIn(MailKind::kConfirmation)
        );
        CHECK(std::chrono::steady_clock::now() - again < 100ms);
    }

    TEST_CASE("a template over the size limit is refused") {
        TemplateServer server;
        server.Write("big.html", std::string(5000, 'x'));
        auto options = Options(server.Url("/big.html"));
        options.max_size = 1000;
        TemplateCache cache(options);
        CHECK(
            cache.Body(MailKind::kConfirmation) == TemplateCache::BuiltIn(MailKind::kConfirmation)
        );
    }

    TEST_CASE("relative template URLs are resolved against the site URL") {
        TemplateServer server;
        server.Write("confirm.html", "<p>relative</p>");
        auto options = Options("/confirm.html");
        options.site_url = server.Url("");
        TemplateCache cache(options);
        CHECK(RenderConfirmation(cache) == "<p>relative</p>");
    }
}
