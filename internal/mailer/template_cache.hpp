#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mailer/go_template.hpp"
#include "mailer/mail_kind.hpp"

namespace gotrue::mailer {

struct TemplateCacheOptions {
    std::string site_url;                     // prefix of relative template URLs
    std::map<std::string, std::string> urls;  // GOTRUE_MAILER_TEMPLATES_<KIND>, by config key
    std::size_t max_size = 1000000;           // GOTRUE_MAILER_TEMPLATE_MAX_SIZE
    std::chrono::milliseconds max_age{std::chrono::minutes(10)};
    std::chrono::milliseconds retry_interval{std::chrono::seconds(10)};
    std::chrono::milliseconds fetch_timeout{std::chrono::seconds(10)};
};

// The body template of each mail kind (docs/mail.md): the operator's custom template
// fetched over HTTP when GOTRUE_MAILER_TEMPLATES_<KIND> is set, cached for max_age; after a
// failed fetch or a template that does not parse, the last good one (or the built-in one) is
// used and the next attempt waits retry_interval. A malformed template is rejected when it is
// loaded, with a log line naming the kind, URL and error; a mail never goes out broken.
class TemplateCache final {
public:
    explicit TemplateCache(TemplateCacheOptions options);

    [[nodiscard]] std::shared_ptr<const GoTemplate> Body(MailKind kind);

    // Loads every configured template now (at startup), so problems show in the first logs.
    void Preload();

    // The built-in template of `kind` (parsed once).
    [[nodiscard]] static std::shared_ptr<const GoTemplate> BuiltIn(MailKind kind);

private:
    struct Entry {
        std::mutex mutex;  // one fetch per kind at a time; guards the fields below
        std::shared_ptr<const GoTemplate> current;
        std::chrono::steady_clock::time_point fetched_at;
        std::optional<std::chrono::steady_clock::time_point> failed_at;
    };

    [[nodiscard]] std::string UrlFor(const MailKindInfo& info) const;

    TemplateCacheOptions options_;
    std::map<MailKind, std::unique_ptr<Entry>> entries_;  // one per configured kind; fixed
};

}  // namespace gotrue::mailer
