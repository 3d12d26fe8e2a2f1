#include <array>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/api.hpp"

namespace gotrue::api {
namespace {

// Provider keys in the order GoTrue emits them (internal/api/settings.go).
constexpr std::array<std::string_view, 26> kProviders{
    "anonymous_users", "apple",         "azure",  "bitbucket", "discord", "facebook",   "snapchat",
    "figma",           "fly",           "github", "gitlab",    "google",  "keycloak",   "kakao",
    "linkedin",        "linkedin_oidc", "notion", "spotify",   "slack",   "slack_oidc", "workos",
    "twitch",          "twitter",       "email",  "phone",     "zoom",
};

std::string RenderSettings(const conf::Config& config) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("external");
    writer.StartObject();
    for (const auto provider : kProviders) {
        bool enabled = false;
        if (provider == "anonymous_users") {
            enabled = config.external.anonymous_users_enabled;
        } else if (provider == "email") {
            enabled = config.external.email_enabled;
        } else if (provider == "phone") {
            enabled = config.external.phone_enabled;
        } else if (const auto it = config.external.oauth_enabled.find(std::string(provider));
                   it != config.external.oauth_enabled.end()) {
            enabled = it->second;
        }
        writer.Key(provider.data(), static_cast<rapidjson::SizeType>(provider.size()));
        writer.Bool(enabled);
    }
    writer.EndObject();
    writer.Key("disable_signup");
    writer.Bool(config.disable_signup);
    writer.Key("mailer_autoconfirm");
    writer.Bool(config.mailer.autoconfirm);
    writer.Key("phone_autoconfirm");
    writer.Bool(config.sms.autoconfirm);
    writer.Key("sms_provider");
    writer.String(config.sms.provider.c_str());
    writer.Key("saml_enabled");
    writer.Bool(config.saml_enabled);
    writer.Key("saml_private_key_next_configured");
    writer.Bool(false);
    writer.Key("passkeys_enabled");
    writer.Bool(false);
    writer.EndObject();
    return buffer.GetString();
}

}  // namespace

// GET /settings (GoTrue's internal/api/settings.go).
Response Api::Settings(Request& /*request*/) {
    return JsonResponse(200, RenderSettings(deps_.config));
}

}  // namespace gotrue::api
