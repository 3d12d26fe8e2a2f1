#pragma once

// Runs the real `gotrue` binary for integration tests, in a scratch working directory (so no
// developer .env is read) with exactly the environment the test gives.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace gotrue::testing {

using EnvMap = std::map<std::string, std::string>;

// Path of the gotrue binary under test.
[[nodiscard]] std::string GotrueBinary();

// A TCP port free on 127.0.0.1 right now.
[[nodiscard]] int FreePort();

// The required configuration for a server on `port` using `database_url`.
[[nodiscard]] EnvMap BaseEnvironment(const std::string& database_url, int port);

struct CommandResult {
    int exit_code = -1;  // -1: killed after the timeout
    std::string output;  // stdout and stderr
};

// Runs gotrue with `args` to completion.
[[nodiscard]] CommandResult RunGotrue(
    const std::vector<std::string>& args,
    const EnvMap& env,
    std::chrono::milliseconds timeout = std::chrono::seconds(60)
);

// A gotrue process in the background (killed when this object dies).
class GotrueProcess final {
public:
    GotrueProcess(const std::vector<std::string>& args, const EnvMap& env);
    ~GotrueProcess();
    GotrueProcess(const GotrueProcess&) = delete;
    GotrueProcess& operator=(const GotrueProcess&) = delete;

    // Polls GET /health until it answers 200 or the process exits.
    [[nodiscard]] bool WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    [[nodiscard]] std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    [[nodiscard]] int Port() const { return port_; }

    [[nodiscard]] pid_t Pid() const { return pid_; }

    // Resident memory of the process in KiB (VmRSS), 0 when it cannot be read.
    [[nodiscard]] long ResidentKib() const;

    void Signal(int signal) const;

    // The exit code once the process ends within `timeout`; -2 when it was killed by a signal.
    [[nodiscard]] std::optional<int> WaitExit(std::chrono::milliseconds timeout);

    [[nodiscard]] std::string Output() const;

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::string work_dir_;
    std::optional<int> exit_code_;
};

// A helper program for a test (an SMTP relay with faults, a template server), killed when
// this object dies.
class HelperProcess final {
public:
    explicit HelperProcess(const std::vector<std::string>& program);
    ~HelperProcess();
    HelperProcess(const HelperProcess&) = delete;
    HelperProcess& operator=(const HelperProcess&) = delete;

    [[nodiscard]] bool WaitForOutput(
        const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)
    ) const;
    [[nodiscard]] std::string Output() const;

private:
    pid_t pid_ = -1;
    std::string work_dir_;
};

}  // namespace gotrue::testing
