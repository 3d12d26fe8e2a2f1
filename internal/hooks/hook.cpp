#include "hooks/hook.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "hooks/webhook_signature.hpp"
#include "json/parser.hpp"
#include "logs/logs.hpp"

namespace gotrue::hooks {
namespace {

constexpr logs::Logger kLog{"hooks"};

std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

// upstream's postgresNamesRegexp: ^[a-zA-Z_][a-zA-Z0-9_]{0,62}$
bool IsPostgresName(std::string_view name) {
    if (name.empty() || name.size() > 63) {
        return false;
    }
    const auto word = [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_';
    };
    return (std::isalpha(static_cast<unsigned char>(name.front())) != 0 || name.front() == '_') &&
           std::all_of(name.begin(), name.end(), word);
}

// The host of an http URL's authority, as Go's URL.Hostname reads it (no userinfo, no port,
// IPv6 without brackets).
std::string_view Hostname(std::string_view rest) {
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        return close == std::string_view::npos ? authority.substr(1)
                                               : authority.substr(1, close - 1);
    }
    return authority.substr(0, authority.find(':'));
}

void ValidateSecrets(const std::vector<std::string>& secrets) {
    // upstream: ^v1,whsec_[A-Za-z0-9+/=]{32,88}. The asymmetric "v1a,whpk_..." form upstream
    // accepts here cannot sign anything (it fails each call), so it is refused up front, as are
    // symmetric secrets whose key is not valid base64.
    for (const auto& secret : secrets) {
        if (secret.size() < std::string_view("v1,whsec_").size() + 32 || !SymmetricKey(secret)) {
            throw std::invalid_argument("invalid secret format");
        }
    }
}

void ValidatePostgresPath(Hook& hook, std::string_view rest) {
    const auto slash = rest.find('/');
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    path = path.substr(0, path.find_first_of("?#"));
    std::vector<std::string_view> parts;
    while (true) {
        const auto next = path.find('/');
        parts.push_back(path.substr(0, next));
        if (next == std::string_view::npos) {
            break;
        }
        path.remove_prefix(next + 1);
    }
    if (parts.size() < 3) {
        throw std::invalid_argument("URI path does not contain enough parts");
    }
    if (!IsPostgresName(parts[1])) {
        throw std::invalid_argument("invalid schema name: " + std::string(parts[1]));
    }
    if (!IsPostgresName(parts[2])) {
        throw std::invalid_argument("invalid table name: " + std::string(parts[2]));
    }
    hook.kind = HookKind::kPostgresFunction;
    hook.schema = parts[1];
    hook.function = parts[2];
}

}  // namespace

std::vector<std::string> SplitSecrets(std::string_view text) {
    std::vector<std::string> secrets;
    while (true) {
        const auto bar = text.find('|');
        if (const auto part = text.substr(0, bar); !part.empty()) {
            secrets.emplace_back(part);
        }
        if (bar == std::string_view::npos) {
            return secrets;
        }
        text.remove_prefix(bar + 1);
    }
}

void Validate(Hook& hook) {
    hook.kind = HookKind::kNone;
    if (hook.uri.empty()) {
        return;
    }
    const auto scheme_end = hook.uri.find("://");
    if (scheme_end == std::string::npos) {
        throw std::invalid_argument(
            "only postgres hooks and HTTPS functions are supported at the moment"
        );
    }
    const std::string scheme = Lower(std::string_view(hook.uri).substr(0, scheme_end));
    const std::string_view rest = std::string_view(hook.uri).substr(scheme_end + 3);
    if (scheme == "pg-functions") {
        ValidatePostgresPath(hook, rest);
        return;
    }
    if (scheme == "http") {
        const auto host = Hostname(rest);
        if (host != "localhost" && host != "127.0.0.1" && host != "::1" &&
            host != "host.docker.internal") {
            throw std::invalid_argument("only localhost, 127.0.0.1, and ::1 are supported with http"
            );
        }
    } else if (scheme != "https") {
        throw std::invalid_argument(
            "only postgres hooks and HTTPS functions are supported at the moment"
        );
    }
    ValidateSecrets(hook.secrets);
    hook.kind = HookKind::kHttp;
}

HookError::HookError(
    int status, std::string_view code, const std::string& message, std::string internal, Retry retry
)
    : std::runtime_error(message),
      status_(status),
      code_(code),
      internal_(std::move(internal)),
      retry_(retry) {}

void ThrowIfErrorObject(const rapidjson::Value& output) {
    if (!output.IsObject()) {
        return;
    }
    const auto error = output.FindMember("error");
    if (error == output.MemberEnd() || !error->value.IsObject()) {
        return;
    }
    const auto& object = error->value;
    const auto message = object.FindMember("message");
    if (message == object.MemberEnd() || !message->value.IsString() ||
        message->value.GetStringLength() == 0) {
        return;  // upstream: an error without a message is no error
    }
    int status = 500;
    if (const auto code = object.FindMember("http_code");
        code != object.MemberEnd() && code->value.IsInt()) {
        const int asked = code->value.GetInt();
        if (asked >= 400 && asked <= 599) {
            status = asked;
        }
    }
    throw HookError(status, "", message->value.GetString(), "hook returned an error object");
}

rapidjson::Document Invoke(
    const Hook& hook, std::string_view input, pqxx::work& tx, const DispatchOptions& options
) {
    return Invoke(
        hook,
        input,
        [&](std::string_view text) { return InvokePostgres(hook, text, tx, options); },
        options
    );
}

rapidjson::Document Invoke(
    const Hook& hook,
    std::string_view input,
    const PostgresRunner& postgres,
    const DispatchOptions& options
) {
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed_us = [&start] {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - start
        )
            .count();
    };
    try {
        std::string text;
        switch (hook.kind) {
            case HookKind::kHttp:
                text = InvokeHttp(hook, input, options);
                break;
            case HookKind::kPostgresFunction:
                text = postgres(input);
                break;
            case HookKind::kNone:
                throw HookError(
                    500, "", "Error running hook URI: " + hook.uri, "hook not configured"
                );
        }
        rapidjson::Document output;
        if (!text.empty()) {
            auto parsed = json::Parse(text);
            if (!parsed.Ok()) {
                throw HookError(500, "", "Error unmarshaling JSON output.", parsed.Describe());
            }
            output = std::move(parsed.document);
            ThrowIfErrorObject(output);
        }
        kLog.Info("hook ran successfully", {{"hook", hook.uri}, {"duration_us", elapsed_us()}});
        return output;
    } catch (const HookError& error) {
        kLog.Warn(
            "hook errored out",
            {{"hook", hook.uri},
             {"duration_us", elapsed_us()},
             {"status", error.Status()},
             {"error", error.what()},
             {"detail", error.Internal()}}
        );
        throw;
    }
}

}  // namespace gotrue::hooks
