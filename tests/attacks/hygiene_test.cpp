// Attack replays through the real binary: hygiene.

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::DecodeHeaderWords;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

std::string Credentials(const std::string& email, const std::string& password) {
    return R"({"email":")" + email + R"(","password":")" + password + "\"}";
}

// Authorization header of a service_role token (what admin clients send).
std::string Admin(const AuthServer& server) {
    return Bearer(gotrue::testing::ServiceRoleToken(server));
}

// The lines of a mail's header section as the relay stored them.
std::vector<std::string> HeaderLines(const std::string& raw) {
    std::vector<std::string> lines;
    std::istringstream in(raw);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            break;
        }
        lines.push_back(line);
    }
    return lines;
}

// The server's JSON log line that contains `marker`, parsed; waits for it up to 5 s.
rapidjson::Document LogLineWith(const AuthServer& server, const std::string& marker) {
    rapidjson::Document line;
    for (int i = 0; i < 100; ++i) {
        std::istringstream output(server.Output());
        for (std::string text; std::getline(output, text);) {
            if (text.find(marker) != std::string::npos) {
                line.Parse(text.c_str());
                REQUIRE_MESSAGE(!line.HasParseError(), text);
                return line;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("no log line with " << marker << " in:\n" << server.Output());
    return line;
}

}  // namespace

TEST_SUITE("hygiene") {
    TEST_CASE("bcrypt truncation: a 72-byte password does not accept any suffix") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}});
        const std::string email = UniqueEmail("bcrypt72");
        const std::string password(72, 'p');
        REQUIRE(server.Post("/signup", Credentials(email, password)).status == 200);

        for (const std::string& suffix : {std::string("x"), std::string(100, 'z')}) {
            const auto attempt =
                server.Post("/token?grant_type=password", Credentials(email, password + suffix));
            CHECK(attempt.status == 400);
            CHECK(JsonString(attempt.body, "error_code") == "invalid_credentials");
        }
        const auto exact = server.Post("/token?grant_type=password", Credentials(email, password));
        CHECK(exact.status == 200);
        CHECK_FALSE(JsonString(exact.body, "access_token").empty());
        // Signing up with the longer password is refused outright.
        const auto longer =
            server.Post("/signup", Credentials(UniqueEmail("bcrypt73"), password + "x"));
        CHECK(longer.status == 400);
        CHECK(JsonString(longer.body, "error_code") == "validation_failed");
    }

    TEST_CASE("integer overflow: a huge admin page is an empty page, not a database error") {
        AuthServer server;
        for (int i = 0; i < 3; ++i) {
            const auto created = server.Post(
                "/admin/users", R"({"email":")" + UniqueEmail("page") + "\"}", {Admin(server)}
            );
            REQUIRE(created.status == 200);
        }
        for (const std::string page : {"9223372036854775807", "4611686018427387904", "1000000"}) {
            CAPTURE(page);
            const auto listed =
                server.Get("/admin/users?page=" + page + "&per_page=2", {Admin(server)});
            REQUIRE(listed.status == 200);
            rapidjson::Document body;
            body.Parse(listed.body.c_str());
            REQUIRE(body.IsObject());
            CHECK(body["users"].IsArray());
            CHECK(body["users"].Size() == 0);
            CHECK(listed.headers.at("x-total-count") == "3");
            CHECK(listed.headers.at("link") == "</admin/users?page=2&per_page=2>; rel=\"last\"");
        }
        // One past the largest int64 is not a number this API takes: a 400, as before.
        CHECK(server.Get("/admin/users?page=9223372036854775808", {Admin(server)}).status == 400);
    }

    TEST_CASE("integer overflow: a ban longer than Go's largest duration is a 400") {
        AuthServer server;
        const auto created = server.Post(
            "/admin/users", R"({"email":")" + UniqueEmail("ban") + "\"}", {Admin(server)}
        );
        REQUIRE(created.status == 200);
        const std::string path = "/admin/users/" + JsonString(created.body, "id");
        for (const std::string duration : {"9999999999h", "2562048h", "9223372036854775808ns"}) {
            CAPTURE(duration);
            const auto banned =
                server.Put(path, R"({"ban_duration":")" + duration + "\"}", {Admin(server)});
            CHECK(banned.status == 400);
            CHECK(JsonString(banned.body, "error_code") == "validation_failed");
            CHECK(JsonString(banned.body, "msg") == "invalid format for ban duration: " + duration);
        }
        // The largest duration Go accepts still bans (until about the year 2318).
        const auto longest = server.Put(path, R"({"ban_duration":"2562047h"})", {Admin(server)});
        CHECK(longest.status == 200);
        CHECK(JsonString(longest.body, "banned_until").rfind("23", 0) == 0);
        // Creating a user with a ban takes the same path.
        const auto create_banned = server.Post(
            "/admin/users",
            R"({"email":")" + UniqueEmail("ban-create") + R"(","ban_duration":"9999999999h"})",
            {Admin(server)}
        );
        CHECK(create_banned.status == 400);
    }

    TEST_CASE("long mail headers: a 600-character custom subject is folded and arrives whole") {
        std::string ascii;
        while (ascii.size() < 600) {
            ascii += "Please confirm the address of your new account ";
        }
        ascii.resize(600);
        std::string accented;  // 600 characters, 1200 bytes
        while (accented.size() < 1200) {
            accented += "\u00e4";
        }
        for (const std::string& subject : {ascii, accented}) {
            CAPTURE(subject.size());
            AuthServer server(MailMode::kSync, {{"GOTRUE_MAILER_SUBJECTS_CONFIRMATION", subject}});
            const std::string email = UniqueEmail("long-subject");
            const auto signup = server.Post("/signup", Credentials(email, "secret-123"));
            REQUIRE_MESSAGE(signup.status == 200, signup.body);
            const auto mails = WaitForMail(SharedMaildir(), email);
            REQUIRE(mails.size() == 1);
            CHECK(DecodeHeaderWords(mails.front().Header("Subject")) == subject);
            for (const auto& line : HeaderLines(mails.front().raw)) {
                CAPTURE(line);
                // curl writes the multipart Content-Type with its boundary itself.
                if (line.rfind("Content-Type:", 0) != 0) {
                    CHECK(line.size() <= 78);
                }
            }
        }
    }

    TEST_CASE("log-field injection: the request id and headers cannot add fields or lines") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_API_REQUEST_ID_HEADER", "X-Request-Id"}});
        // Control bytes in a header never get this far (the request framer answers 400, below);
        // U+2028 (a line separator to some log viewers) does.
        const std::string referer = "http://a.example/ status=500 user_id=admin \xE2\x80\xA8 x";
        const auto response = server.Get(
            "/settings",
            {"X-Request-Id: abc status=201 user_id=admin level=error", "Referer: " + referer}
        );
        REQUIRE(response.status == 200);
        const auto line = LogLineWith(server, R"("path":"/settings")");
        CHECK(std::string(line["msg"].GetString()) == "request completed");
        CHECK(
            std::string(line["request_id"].GetString()) ==
            "abc_status_201_user_id_admin_level_error"
        );
        CHECK(line["status"].GetInt() == 200);
        CHECK(std::string(line["level"].GetString()) == "info");
        CHECK(std::string(line["referer"].GetString()) == referer);
        CHECK_FALSE(line.HasMember("user_id"));
        // The raw line carries the separator only as a JSON escape.
        const std::string output = server.Output();
        CHECK(output.find("\xE2\x80\xA8") == std::string::npos);
        const auto control = server.Get("/settings", {"Referer: http://a.example/\x1b[2J\x7f"});
        CHECK(control.status == 400);
        CHECK(server.Output().find('\x1b') == std::string::npos);
    }

    TEST_CASE("log-field injection: a request id header cannot add a field or change the component"
    ) {
        AuthServer server(MailMode::kSync, {{"GOTRUE_API_REQUEST_ID_HEADER", "X-Request-Id"}});
        // The referer is logged as sent: it tries to close the value and the JSON string.
        const std::string referer = R"(x" component=evil status=500 ", "component":"evil)";
        const auto response = server.Get(
            "/settings", {"X-Request-Id: abc status=200 component=evil", "Referer: " + referer}
        );
        REQUIRE(response.status == 200);
        const auto line = LogLineWith(server, "abc_status_200_component_evil");
        std::set<std::string> keys;
        for (const auto& member : line.GetObject()) {
            keys.insert(member.name.GetString());
        }
        CHECK(
            keys ==
            std::set<std::string>{
                "time",
                "level",
                "component",
                "msg",
                "method",
                "path",
                "status",
                "duration_ms",
                "remote_addr",
                "referer",
                "request_id"}
        );
        CHECK(std::string(line["component"].GetString()) == "api");
        CHECK(std::string(line["msg"].GetString()) == "request completed");
        CHECK(line["status"].GetInt() == 200);
        CHECK(std::string(line["request_id"].GetString()) == "abc_status_200_component_evil");
        CHECK(std::string(line["referer"].GetString()) == referer);
        // A line break in the header: refused before any handler, and still one line per event.
        const std::string answer = gotrue::testing::RawExchange(
            server.Process().Port(),
            "GET /settings HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\ncomponent=evil "
            "status=200\r\n\r\n",
            std::chrono::seconds(2)
        );
        CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
        static_cast<void>(LogLineWith(server, R"("msg":"request refused")"));
        std::istringstream output(server.Output());
        for (std::string text; std::getline(output, text);) {
            CAPTURE(text);
            REQUIRE(text.rfind('{', 0) == 0);
            rapidjson::Document event;
            event.Parse(text.c_str());
            REQUIRE_FALSE(event.HasParseError());
            CHECK(std::string(event["component"].GetString()) != "evil");
            CHECK_FALSE(event.HasMember("evil"));
        }
    }

    TEST_CASE("unbounded growth: one bucket per client however it spells its address") {
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_RATE_LIMIT_HEADER", "X-Client"}, {"GOTRUE_RATE_LIMIT_TOKEN_REFRESH", "30"}}
        );
        const std::string body = R"({"refresh_token":"abcdefghijkl"})";
        const std::vector<std::string> spellings{
            "9.9.9.9", "9.9.9.9:1", "::ffff:9.9.9.9", "[::ffff:9.9.9.9]:443", "9.9.9.9:65000"};
        for (int i = 0; i < 30; ++i) {
            const auto response = server.Post(
                "/token?grant_type=refresh_token", body, {"X-Client: " + spellings[i % 5]}
            );
            REQUIRE(response.status == 400);  // an unknown token, but counted
        }
        CHECK(
            server.Post("/token?grant_type=refresh_token", body, {"X-Client: [::ffff:9.9.9.9]:1"})
                .status == 429
        );
        CHECK(
            server.Database().Scalar("SELECT string_agg(key, ',') FROM auth.rate_limit_buckets") ==
            "ip:token:9.9.9.9"
        );
        // A long header value is stored as a fixed-size digest, not as sent.
        REQUIRE(
            server
                .Post(
                    "/token?grant_type=refresh_token", body, {"X-Client: " + std::string(4000, 'a')}
                )
                .status == 400
        );
        CHECK(
            server.Database().Scalar("SELECT max(length(key)) FROM auth.rate_limit_buckets") ==
            std::to_string(std::string("ip:token:sha256:").size() + 64)
        );
    }

    TEST_CASE("unbounded growth: buckets of clients that went quiet are deleted") {
        // Refilled within milliseconds: every bucket is full again almost at once.
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_RATE_LIMIT_HEADER", "X-Client"},
             {"GOTRUE_RATE_LIMIT_TOKEN_REFRESH", "1000000"}}
        );
        const std::string body = R"({"refresh_token":"abcdefghijkl"})";
        for (int i = 0; i < 50; ++i) {
            REQUIRE(
                server
                    .Post(
                        "/token?grant_type=refresh_token",
                        body,
                        {"X-Client: client-" + std::to_string(i)}
                    )
                    .status == 400
            );
        }
        const auto& database = server.Database();
        // A client still being limited (refilling for hours) must survive the sweep.
        database.Execute(
            "INSERT INTO auth.rate_limit_buckets (key, tokens, full_at) VALUES "
            "('ip:token:busy', 0, now() + interval '3 hours')"
        );
        const std::string quiet_clients =
            "SELECT count(*) FROM auth.rate_limit_buckets WHERE key LIKE 'ip:token:client-%'";
        REQUIRE(std::stoi(database.Scalar(quiet_clients)) >= 10);  // left by the first sweep
        // The sweep runs at most once a minute, the first time with the first limited request:
        // a second instance on the same database (a restart) sweeps at its first request.
        auto env = server.Env();
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        gotrue::testing::GotrueProcess second({"serve"}, env);
        REQUIRE(second.WaitReady());
        REQUIRE(
            gotrue::testing::Post(
                second.Url() + "/token?grant_type=refresh_token", body, {"X-Client: newcomer"}
            )
                .status == 400
        );
        std::string keys;
        for (int i = 0; i < 100; ++i) {
            keys = database.Scalar(
                "SELECT string_agg(key, ',' ORDER BY key) FROM auth.rate_limit_buckets"
            );
            if (keys.find("client-") == std::string::npos) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CHECK(keys.find("client-") == std::string::npos);
        CHECK(keys.find("ip:token:busy") != std::string::npos);
    }

    TEST_CASE("row-level security: every table of the auth schema has it after migrate") {
        AuthServer server;  // runs `gotrue migrate` on a fresh database
        const std::string auth_tables =
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'auth' AND c.relkind IN ('r', 'p')";
        CHECK(
            server.Database().Scalar(
                "SELECT coalesce(string_agg(c.relname, ','), 'none') " + auth_tables +
                " AND NOT c.relrowsecurity"
            ) == "none"
        );
        // All of them: GoTrue's 23 tables, rate_limit_buckets, mail_outbox and
        // verification_attempts.
        CHECK(server.Database().Scalar("SELECT count(*) " + auth_tables) == "26");
    }
}
