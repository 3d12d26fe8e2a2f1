#include "api/services/redirect.hpp"

#include "http/redirect_url.hpp"

namespace gotrue::api {

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

}  // namespace gotrue::api
