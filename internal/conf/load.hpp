#pragma once

#include <string>
#include <vector>

#include "conf/config.hpp"
#include "conf/environment.hpp"

namespace gotrue::conf {

// One configuration variable, as documented in the README and example.env.
struct VariableDoc {
    std::string name;                    // e.g. GOTRUE_API_PORT
    std::vector<std::string> fallbacks;  // bare spellings, e.g. PORT; the first name wins
    std::string default_text;            // "required", "" (empty) or the default value
    std::string description;
    bool ours = false;  // added by this server; GoTrue does not read it
};

// Builds the configuration from `environment` (process env merged with .env / --config).
// Throws ConfigError naming the variable on a missing required value or a malformed one.
[[nodiscard]] Config LoadConfig(const Environment& environment);

// Every variable LoadConfig reads, in documentation order.
[[nodiscard]] const std::vector<VariableDoc>& DocumentedVariables();

// The README's configuration table (Markdown), generated from DocumentedVariables().
[[nodiscard]] std::string ConfigurationMarkdown();

}  // namespace gotrue::conf
