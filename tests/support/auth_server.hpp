#pragma once

// A migrated scratch database, the real gotrue binary on it, and the shared SMTP test server:
// what every auth-flow integration test starts from.

#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/mailbox.hpp"
#include "support/process.hpp"

namespace gotrue::testing {

// How the server sends mail (README "Mail", docs/mail.md).
enum class MailMode { kSync, kRequestScoped, kPool };

[[nodiscard]] const char* ModeName(MailMode mode);

inline const std::vector<MailMode> kAllMailModes{
    MailMode::kSync, MailMode::kRequestScoped, MailMode::kPool};

class AuthServer final {
public:
    // `extra` overrides the defaults (autoconfirm off, SMTP = the shared aiosmtpd, bcrypt cost 4,
    // MaxFrequency 1s, a large email budget).
    explicit AuthServer(MailMode mode = MailMode::kSync, const EnvMap& extra = {});

    [[nodiscard]] HttpResponse Get(const std::string& path, std::vector<std::string> headers = {})
        const;
    [[nodiscard]] HttpResponse Post(
        const std::string& path, const std::string& body, std::vector<std::string> headers = {}
    ) const;
    [[nodiscard]] HttpResponse Request(
        const std::string& method,
        const std::string& path,
        const std::string& body,
        std::vector<std::string> headers = {}
    ) const;
    [[nodiscard]] HttpResponse Put(
        const std::string& path, const std::string& body, std::vector<std::string> headers = {}
    ) const;

    [[nodiscard]] const ScratchDatabase& Database() const { return database_; }

    [[nodiscard]] const EnvMap& Env() const { return env_; }

    [[nodiscard]] std::string Url() const { return process_->Url(); }

    [[nodiscard]] std::string Output() const { return process_->Output(); }

    [[nodiscard]] GotrueProcess& Process() { return *process_; }

    // Signs up `email`, follows the link of the confirmation mail, returns the user id.
    std::string SignUpConfirmed(
        const std::string& email, const std::string& password = "secret-123"
    ) const;

    // A password sign-in; the session JSON (REQUIREs 200).
    [[nodiscard]] HttpResponse SignIn(
        const std::string& email, const std::string& password = "secret-123"
    ) const;

private:
    ScratchDatabase database_;
    EnvMap env_;
    std::unique_ptr<GotrueProcess> process_;
};

// A fresh address no other test uses (the SMTP server is shared).
[[nodiscard]] std::string UniqueEmail(const std::string& tag);

// The link of the mail's button (href in the HTML part, &amp; decoded).
[[nodiscard]] std::string LinkIn(const Mail& mail);

// The 6-digit code printed in the mail.
[[nodiscard]] std::string CodeIn(const Mail& mail);

// A string field of a JSON object ("" when missing).
[[nodiscard]] std::string JsonString(const std::string& json, const std::string& key);

// The value of `key` in a URL fragment or query ("a=1&b=2"), percent-decoded.
[[nodiscard]] std::string UrlParam(const std::string& url, const std::string& key);

[[nodiscard]] std::string Bearer(const std::string& access_token);

// The claims of an access token as JSON text: its payload decoded, not verified (the server
// under test signed it). REQUIREs a header.payload.signature token.
[[nodiscard]] std::string AccessTokenPayload(const std::string& access_token);

// `text` parsed as JSON (REQUIREs valid JSON).
[[nodiscard]] rapidjson::Document ParseJson(const std::string& text);

// The claims of an access token, parsed (AccessTokenPayload).
[[nodiscard]] rapidjson::Document AccessTokenClaims(const std::string& access_token);

// The methods of the claims' amr entries, in order, comma-separated.
[[nodiscard]] std::string AmrMethods(const rapidjson::Value& claims);

// A service_role access token signed with the server's secret (what admin clients send, as
// Bearer(...)), valid for 10 minutes.
[[nodiscard]] std::string ServiceRoleToken(const AuthServer& server);

}  // namespace gotrue::testing
