#include "api/services/redirect.hpp"

#include <optional>

#include "http/redirect_url.hpp"
#include "mailer/confirmation_url.hpp"

namespace gotrue::api {
namespace {

// A URL cut at its query and fragment, as Go's url.Parse separates them.
struct UrlParts {
    std::string head;  // scheme, authority and path
    std::string query;
    std::optional<std::string> fragment;

    [[nodiscard]] std::string Join() const {
        std::string out = head;
        if (!query.empty()) {
            out += "?" + query;
        }
        if (fragment) {
            out += "#" + *fragment;
        }
        return out;
    }
};

UrlParts SplitUrl(std::string_view url) {
    UrlParts parts;
    if (const auto hash = url.find('#'); hash != std::string_view::npos) {
        parts.fragment = std::string(url.substr(hash + 1));
        url = url.substr(0, hash);
    }
    if (const auto question = url.find('?'); question != std::string_view::npos) {
        parts.query = std::string(url.substr(question + 1));
        url = url.substr(0, question);
    }
    parts.head = std::string(url);
    return parts;
}

// url.ParseQuery as URL.Query() uses it: pairs split at '&', a pair holding ';' dropped.
QueryValues ParseQueryValues(std::string_view query) {
    QueryValues values;
    std::size_t start = 0;
    while (start <= query.size()) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos) {
            end = query.size();
        }
        const std::string_view pair = query.substr(start, end - start);
        if (!pair.empty() && pair.find(';') == std::string_view::npos) {
            const auto equals = pair.find('=');
            const std::string_view value =
                equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
            values[http::UrlDecode(pair.substr(0, equals))].push_back(http::UrlDecode(value));
        }
        start = end + 1;
    }
    return values;
}

// `url` with `set` replacing those names in its query (re-encoded); the fragment is kept.
UrlParts WithQueryValues(const std::string& url, const std::map<std::string, std::string>& set) {
    UrlParts parts = SplitUrl(url);
    QueryValues values = ParseQueryValues(parts.query);
    for (const auto& [name, value] : set) {
        values[name] = {value};
    }
    parts.query = EncodeQueryValues(values);
    return parts;
}

}  // namespace

bool IsRedirectAllowed(std::string_view url, const conf::Config& config) {
    return http::IsRedirectAllowed(url, config.site_url, config.uri_allow_list);
}

std::string RedirectTarget(const Request& request, const conf::Config& config) {
    std::string candidate = request.headers.Get("redirect_to").value_or("");
    if (candidate.empty()) {
        if (const auto it = request.query.find("redirect_to"); it != request.query.end()) {
            candidate = it->second;
        }
    }
    if (IsRedirectAllowed(candidate, config)) {
        return candidate;
    }
    std::string referer = request.headers.Get("Referer").value_or("");
    if (IsRedirectAllowed(referer, config)) {
        return referer;
    }
    return config.site_url;
}

std::string EncodeQueryValues(const QueryValues& values) {
    std::string out;
    for (const auto& [name, list] : values) {
        for (const auto& value : list) {
            out += (out.empty() ? "" : "&") + mailer::QueryEscape(name) + "=" +
                   mailer::QueryEscape(value);
        }
    }
    return out;
}

std::string EncodeQueryValues(const std::map<std::string, std::string>& values) {
    QueryValues lists;
    for (const auto& [name, value] : values) {
        lists[name] = {value};
    }
    return EncodeQueryValues(lists);
}

std::string OAuthErrorName(int status) {
    switch (status) {
        case 400:
            return "invalid_request";
        case 401:
            return "unauthorized_client";
        case 403:
            return "access_denied";
        case 503:
            return "temporarily_unavailable";
        default:
            return "server_error";
    }
}

std::string PkceCodeRedirect(const std::string& redirect, const std::string& code) {
    return WithQueryValues(redirect, {{"code", code}}).Join();
}

std::string ErrorRedirect(
    const std::string& redirect,
    int status,
    const std::string& error_code,
    const std::string& description,
    models::FlowType flow
) {
    const std::map<std::string, std::string> error{
        {"error", OAuthErrorName(status)},
        {"error_code", error_code},
        {"error_description", description},
    };
    UrlParts parts =
        flow == models::FlowType::kPkce ? WithQueryValues(redirect, error) : SplitUrl(redirect);
    auto fragment = error;
    fragment["sb"] = "";
    parts.fragment = EncodeQueryValues(fragment);
    return parts.Join();
}

std::string MessageRedirect(
    const std::string& redirect, const std::string& message, models::FlowType flow
) {
    UrlParts parts = flow == models::FlowType::kPkce
                         ? WithQueryValues(redirect, {{"message", message}})
                         : SplitUrl(redirect);
    parts.fragment = EncodeQueryValues(std::map<std::string, std::string>{
        {"message", message},
        {"sb", ""},
    });
    return parts.Join();
}

}  // namespace gotrue::api
