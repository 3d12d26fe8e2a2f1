// gotrue: argv -> serve | migrate | version. Configuration errors end here with one line.

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/commands.hpp"
#include "conf/environment.hpp"
#include "conf/load.hpp"
#include "observability/logging.hpp"

namespace {

constexpr std::string_view kUsage = R"(gotrue: a GoTrue-compatible authentication server

Usage:
  gotrue [command] [-c FILE]

Commands:
  (none)    apply migrations, then serve
  serve     serve the API (the database must be migrated)
  migrate   apply pending database migrations and exit
  version   print the version

Flags:
  -c, --config FILE   read configuration from FILE (dotenv, or .json); it overrides the
                      environment. Without it ./.env is read and the environment wins.
  -h, --help          show this help

Configuration comes from GOTRUE_* environment variables; see README.md or example.env.
)";

struct Arguments {
    std::string command;
    std::optional<std::filesystem::path> config_file;
};

// Throws std::invalid_argument on a usage error.
Arguments ParseArguments(const std::vector<std::string_view>& args) {
    Arguments parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "-c" || arg == "--config") {
            if (i + 1 >= args.size()) {
                throw std::invalid_argument(std::string(arg) + " needs a file name");
            }
            parsed.config_file = std::filesystem::path(args[++i]);
        } else if (arg.starts_with("--config=")) {
            parsed.config_file = std::filesystem::path(arg.substr(9));
        } else if (arg == "-h" || arg == "--help" || arg == "help") {
            parsed.command = "help";
        } else if (!arg.empty() && arg.front() == '-') {
            throw std::invalid_argument("unknown flag " + std::string(arg));
        } else if (parsed.command.empty()) {
            parsed.command = std::string(arg);
        } else {
            throw std::invalid_argument("unexpected argument " + std::string(arg));
        }
    }
    return parsed;
}

gotrue::observability::LogOptions LogOptionsFrom(const gotrue::conf::LoggingConfig& logging) {
    return {
        logging.level,
        logging.format == "text" ? gotrue::observability::LogFormat::kText
                                 : gotrue::observability::LogFormat::kJson,
        logging.file,
    };
}

}  // namespace

int main(int argc, char** argv) {
    Arguments arguments;
    try {
        arguments = ParseArguments(std::vector<std::string_view>(argv + 1, argv + argc));
    } catch (const std::invalid_argument& error) {
        std::cerr << "gotrue: " << error.what() << " (see gotrue --help)\n";
        return 2;
    }
    const std::string& command = arguments.command;
    if (command == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (command == "version") {
        std::cout << GOTRUE_VERSION << "\n";
        return 0;
    }
    if (command == "config-docs") {  // used by `make docs` to regenerate the README table
        std::cout << gotrue::conf::ConfigurationMarkdown();
        return 0;
    }
    if (!command.empty() && command != "serve" && command != "migrate") {
        std::cerr << "gotrue: unknown command \"" << command << "\" (see gotrue --help)\n";
        return 2;
    }

    gotrue::conf::Config config;
    try {
        const auto environment = gotrue::conf::LoadEnvironment(
            gotrue::conf::ProcessEnvironment(), arguments.config_file
        );
        config = gotrue::conf::LoadConfig(environment);
    } catch (const gotrue::conf::ConfigError& error) {
        std::cerr << "gotrue: configuration error: " << error.what() << "\n";
        return 1;
    }
    try {
        gotrue::observability::SetupLogging(LogOptionsFrom(config.logging));
    } catch (const std::exception& error) {
        std::cerr << "gotrue: cannot set up logging: " << error.what() << "\n";
        return 1;
    }
    // Before any thread exists (database retries, server), so all of them inherit the mask.
    gotrue::cmd::BlockTerminationSignals();

    if (command == "migrate") {
        return gotrue::cmd::Migrate(config);
    }
    if (command.empty()) {
        if (const int status = gotrue::cmd::Migrate(config); status != 0) {
            return status;
        }
    }
    return gotrue::cmd::Serve(config);
}
