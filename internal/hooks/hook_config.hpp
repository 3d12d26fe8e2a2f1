#pragma once

// A hook's configuration (hook.hpp explains the URIs), light enough for conf/config.hpp.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gotrue::hooks {

enum class HookKind { kNone, kPostgresFunction, kHttp };

struct Hook {
    bool enabled = false;
    std::string uri;
    std::vector<std::string> secrets;  // "v1,whsec_..." each
    // Filled by Validate:
    HookKind kind = HookKind::kNone;
    std::string schema;    // pg-functions only
    std::string function;  // pg-functions only
    bool operator==(const Hook&) const = default;
};

// The secrets of a GOTRUE_HOOK_*_SECRETS value: '|'-separated, empty parts dropped (upstream's
// HTTPHookSecrets.Decode).
[[nodiscard]] std::vector<std::string> SplitSecrets(std::string_view text);

// Checks the URI and the secrets as upstream's ValidateExtensibilityPoint does and fills kind,
// schema and function; an empty URI is left alone. Throws std::invalid_argument with upstream's
// message ("only localhost, 127.0.0.1, and ::1 are supported with http", "invalid secret
// format", ...).
void Validate(Hook& hook);

}  // namespace gotrue::hooks
