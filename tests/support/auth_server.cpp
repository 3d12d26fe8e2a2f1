#include "support/auth_server.hpp"

#include <chrono>
#include <random>
#include <stdexcept>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "tokens/jwt.hpp"

namespace gotrue::testing {
namespace {

int HexDigit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string PercentDecode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 &&
            HexDigit(text[i + 2]) >= 0) {
            out += static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2]));
            i += 2;
        } else {
            out += text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

}  // namespace

const char* ModeName(MailMode mode) {
    switch (mode) {
        case MailMode::kSync:
            return "sync";
        case MailMode::kRequestScoped:
            return "request-scoped";
        default:
            return "pool";
    }
}

AuthServer::AuthServer(MailMode mode, const EnvMap& extra) {
    env_ = BaseEnvironment(database_.Url(), FreePort());
    const char* smtp_port = std::getenv("GOTRUE_TEST_SMTP_PORT");
    if (smtp_port == nullptr) {
        throw std::runtime_error("GOTRUE_TEST_SMTP_PORT is not set: run the tests with make test");
    }
    env_["GOTRUE_SMTP_HOST"] = "127.0.0.1";
    env_["GOTRUE_SMTP_PORT"] = smtp_port;
    env_["GOTRUE_SMTP_ADMIN_EMAIL"] = "admin@example.com";
    env_["GOTRUE_SMTP_MAX_FREQUENCY"] = "1s";
    env_["GOTRUE_RATE_LIMIT_EMAIL_SENT"] = "100000";
    env_["GOTRUE_PASSWORD_HASH_COST"] = "4";
    env_["GOTRUE_JWT_AUD"] = "authenticated";
    env_["GOTRUE_JWT_DEFAULT_GROUP_NAME"] = "authenticated";
    env_["GOTRUE_URI_ALLOW_LIST"] = "http://allowed.example/**,myapp://callback";
    env_["GOTRUE_SMTP_MAX_RETRIES"] = "0";
    if (mode == MailMode::kRequestScoped) {
        env_["GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING"] = "true";
    } else if (mode == MailMode::kPool) {
        env_["GOTRUE_WORKER_ENABLED"] = "true";
        env_["GOTRUE_WORKER_COUNT_PER_CPU"] = "2";
    }
    for (const auto& [key, value] : extra) {
        env_[key] = value;
    }
    const auto migrated = RunGotrue({"migrate"}, env_);
    if (migrated.exit_code != 0) {
        throw std::runtime_error("migrate failed: " + migrated.output);
    }
    process_ = std::make_unique<GotrueProcess>(std::vector<std::string>{"serve"}, env_);
    if (!process_->WaitReady()) {
        throw std::runtime_error("server did not start: " + process_->Output());
    }
}

HttpResponse AuthServer::Get(const std::string& path, std::vector<std::string> headers) const {
    return Send({"GET", Url() + path, "", std::move(headers)});
}

HttpResponse AuthServer::Post(
    const std::string& path, const std::string& body, std::vector<std::string> headers
) const {
    return Send({"POST", Url() + path, body, std::move(headers)});
}

HttpResponse AuthServer::Request(
    const std::string& method,
    const std::string& path,
    const std::string& body,
    std::vector<std::string> headers
) const {
    return Send({method, Url() + path, body, std::move(headers)});
}

HttpResponse AuthServer::Put(
    const std::string& path, const std::string& body, std::vector<std::string> headers
) const {
    return Send({"PUT", Url() + path, body, std::move(headers)});
}

std::string AuthServer::SignUpConfirmed(const std::string& email, const std::string& password)
    const {
    const auto signup =
        Post("/signup", R"({"email":")" + email + R"(","password":")" + password + "\"}");
    REQUIRE_MESSAGE(signup.status == 200, signup.body);
    const auto mails = WaitForMail(SharedMaildir(), email);
    REQUIRE_MESSAGE(mails.size() == 1, Output());
    const std::string link = LinkIn(mails.front());
    const auto verified = Send({"GET", link, "", {}});
    REQUIRE_MESSAGE(verified.status == 303, verified.body);
    return JsonString(signup.body, "id");
}

HttpResponse AuthServer::SignIn(const std::string& email, const std::string& password) const {
    auto response = Post(
        "/token?grant_type=password",
        R"({"email":")" + email + R"(","password":")" + password + "\"}"
    );
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return response;
}

std::string UniqueEmail(const std::string& tag) {
    static std::mt19937_64 random{std::random_device{}()};
    return tag + "-" + std::to_string(random() % 10000000000ULL) + "@example.com";
}

std::string LinkIn(const Mail& mail) {
    const std::string html = mail.Part("text/html");
    const auto href = html.find("href=\"");
    if (href == std::string::npos) {
        return {};
    }
    std::string link = html.substr(href + 6, html.find('"', href + 6) - href - 6);
    for (auto pos = link.find("&amp;"); pos != std::string::npos;
         pos = link.find("&amp;", pos + 1)) {
        link.replace(pos, 5, "&");
    }
    return link;
}

std::string CodeIn(const Mail& mail) {
    const std::string text = mail.Part("text/plain");
    const auto at = text.find("code: ");
    return at == std::string::npos ? std::string() : text.substr(at + 6, 6);
}

std::string JsonString(const std::string& json, const std::string& key) {
    rapidjson::Document document;
    document.Parse(json.c_str());
    if (document.HasParseError() || !document.IsObject() || !document.HasMember(key.c_str()) ||
        !document[key.c_str()].IsString()) {
        return {};
    }
    return document[key.c_str()].GetString();
}

std::string UrlParam(const std::string& url, const std::string& key) {
    for (const char separator : {'#', '?'}) {
        const auto start = url.find(separator);
        if (start == std::string::npos) {
            continue;
        }
        std::string rest = url.substr(start + 1);
        std::size_t pos = 0;
        while (pos <= rest.size()) {
            const auto amp = rest.find('&', pos);
            const std::string pair =
                rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            const auto equals = pair.find('=');
            if (pair.substr(0, equals) == key) {
                return equals == std::string::npos ? std::string()
                                                   : PercentDecode(pair.substr(equals + 1));
            }
            if (amp == std::string::npos) {
                break;
            }
            pos = amp + 1;
        }
    }
    return {};
}

std::string Bearer(const std::string& access_token) {
    return "Authorization: Bearer " + access_token;
}

std::string AccessTokenPayload(const std::string& access_token) {
    const auto first = access_token.find('.');
    const auto second = access_token.find('.', first + 1);
    REQUIRE_MESSAGE(second != std::string::npos, access_token);
    auto payload = crypto::Base64UrlDecode(access_token.substr(first + 1, second - first - 1));
    REQUIRE_MESSAGE(payload.has_value(), access_token);
    return std::move(*payload);
}

rapidjson::Document ParseJson(const std::string& text) {
    rapidjson::Document document;
    document.Parse(text.c_str());
    REQUIRE_MESSAGE(!document.HasParseError(), text);
    return document;
}

rapidjson::Document AccessTokenClaims(const std::string& access_token) {
    return ParseJson(AccessTokenPayload(access_token));
}

std::string AmrMethods(const rapidjson::Value& claims) {
    std::string methods;
    for (const auto& entry : claims["amr"].GetArray()) {
        methods += (methods.empty() ? "" : ",") + std::string(entry["method"].GetString());
    }
    return methods;
}

std::string ServiceRoleToken(const AuthServer& server) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()
    )
                              .count();
    rapidjson::Document claims;
    claims.Parse((R"({"role":"service_role","exp":)" + std::to_string(now + 600) + "}").c_str());
    return tokens::SignHs256(claims, server.Env().at("GOTRUE_JWT_SECRET"));
}

}  // namespace gotrue::testing
