#include "mailer/template_cache.hpp"

#include <array>
#include <utility>

#include <curl/curl.h>

#include "logs/logs.hpp"

namespace gotrue::mailer {
namespace {

constexpr logs::Logger kLog{"mailer"};

struct Download {
    std::string body;
    std::size_t limit = 0;
    bool too_large = false;
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* target) {
    auto* download = static_cast<Download*>(target);
    const std::size_t bytes = size * count;
    if (download->body.size() + bytes > download->limit) {
        download->too_large = true;
        return 0;  // aborts the transfer
    }
    download->body.append(data, bytes);
    return bytes;
}

// GET `url`; the body, or an error message.
std::pair<std::optional<std::string>, std::string> Fetch(
    const std::string& url, std::size_t limit, std::chrono::milliseconds timeout
) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        return {std::nullopt, "curl_easy_init failed"};
    }
    Download download;
    download.limit = limit;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (download.too_large) {
        return {std::nullopt, "template larger than " + std::to_string(limit) + " bytes"};
    }
    if (code != CURLE_OK) {
        return {std::nullopt, curl_easy_strerror(code)};
    }
    if (status != 200) {
        return {std::nullopt, "HTTP status " + std::to_string(status)};
    }
    return {std::move(download.body), {}};
}

}  // namespace

TemplateCache::TemplateCache(TemplateCacheOptions options) : options_(std::move(options)) {
    for (const auto& info : AllMailKinds()) {
        const auto it = options_.urls.find(std::string(info.config_key));
        if (it != options_.urls.end() && !it->second.empty()) {
            entries_.emplace(info.kind, std::make_unique<Entry>());
        }
    }
}

std::shared_ptr<const GoTemplate> TemplateCache::BuiltIn(MailKind kind) {
    static const auto kBuiltIn = [] {
        std::array<std::shared_ptr<const GoTemplate>, 13> parsed;
        for (const auto& info : AllMailKinds()) {
            parsed.at(static_cast<std::size_t>(info.kind)) = std::make_shared<const GoTemplate>(
                GoTemplate::Parse(info.default_body, std::string(info.type))
            );
        }
        return parsed;
    }();
    return kBuiltIn.at(static_cast<std::size_t>(kind));
}

std::string TemplateCache::UrlFor(const MailKindInfo& info) const {
    const std::string& url = options_.urls.at(std::string(info.config_key));
    if (url.find("://") != std::string::npos) {
        return url;
    }
    // Relative: prefixed with the site URL, as upstream.
    std::string base = options_.site_url;
    if (!base.empty() && base.back() == '/' && !url.empty() && url.front() == '/') {
        base.pop_back();
    }
    return base + url;
}

std::shared_ptr<const GoTemplate> TemplateCache::Body(MailKind kind) {
    const auto found = entries_.find(kind);
    if (found == entries_.end()) {
        return BuiltIn(kind);
    }
    Entry& entry = *found->second;
    const std::scoped_lock lock(entry.mutex);
    const auto now = std::chrono::steady_clock::now();
    const auto fallback = [&] {
        return entry.current ? entry.current : BuiltIn(kind);
    };
    if (entry.current && now - entry.fetched_at < options_.max_age) {
        return entry.current;
    }
    if (entry.failed_at && now - *entry.failed_at < options_.retry_interval) {
        return fallback();
    }
    const MailKindInfo& info = InfoOf(kind);
    const std::string url = UrlFor(info);
    auto [body, error] = Fetch(url, options_.max_size, options_.fetch_timeout);
    if (!body) {
        entry.failed_at = now;
        kLog.Warn(
            entry.current ? "custom mail template not loaded, using the previous one"
                          : "custom mail template not loaded, using the built-in one",
            {{"mail_type", info.type}, {"url", url}, {"error", error}}
        );
        return fallback();
    }
    try {
        entry.current = std::make_shared<const GoTemplate>(GoTemplate::Parse(*body, url));
        entry.fetched_at = now;
        entry.failed_at.reset();
        return entry.current;
    } catch (const TemplateError& parse_error) {
        entry.failed_at = now;
        kLog.Error(
            entry.current
                ? "custom mail template rejected: it does not parse, using the previous one"
                : "custom mail template rejected: it does not parse, using the built-in one",
            {{"mail_type", info.type}, {"url", url}, {"error", parse_error.what()}}
        );
        return fallback();
    }
}

void TemplateCache::Preload() {
    for (const auto& [kind, entry] : entries_) {
        static_cast<void>(Body(kind));
    }
}

}  // namespace gotrue::mailer
