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

// What LoadConfig makes of capacity settings left unset (README "Configuration", "Threading
// model"), from the CPUs: handler threads block only on PostgreSQL once mail is off them, so 4
// per CPU (at least 8); with synchronous mail (`mail_holds_handlers`) each send holds one for
// the SMTP round trip, so at least 16.
[[nodiscard]] int DefaultHandlerThreads(unsigned cpus, bool mail_holds_handlers);

// Open SMTP connections: the hash bound (about 14 sign-ups/s per CPU at bcrypt cost 10) times
// a slow relay's ~1 s per mail, rounded up to 16 per CPU, and at most 48, below the 50
// connections per client a Postfix relay accepts by default.
[[nodiscard]] int DefaultSmtpConnections(unsigned cpus);

// Every variable LoadConfig reads, in documentation order.
[[nodiscard]] const std::vector<VariableDoc>& DocumentedVariables();

// The README's configuration table (Markdown), generated from DocumentedVariables().
[[nodiscard]] std::string ConfigurationMarkdown();

}  // namespace gotrue::conf
