#pragma once

// An SMTP relay that misbehaves on demand (tests/support/smtp_fault_server.py): refuses the
// first N messages (or a random share of them) with 451, rejects recipients with 550, stalls,
// closes idle connections, or fails a connection's second transaction. Killed with this object.

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace gotrue::testing {

class FaultRelay final {
public:
    // `flags`: "--fail-first N", "--fail-rate P", "--seed N", "--reject-rcpt", "--delay SECONDS",
    // "--idle-timeout SECONDS", "--greeting-delay SECONDS", "--reuse-fault mail421|data-drop".
    // `port` 0: a free one.
    explicit FaultRelay(const std::vector<std::string>& flags, int port = 0);
    ~FaultRelay();
    FaultRelay(const FaultRelay&) = delete;
    FaultRelay& operator=(const FaultRelay&) = delete;

    [[nodiscard]] int Port() const { return port_; }

    [[nodiscard]] const std::string& Maildir() const { return maildir_; }

    // attempts.log: one "rcpt <address>" or "data <n> <recipients>" line per command, and
    // "connect <n> open <k>", "quit <n>", "close <n>" per connection.
    [[nodiscard]] std::string Attempts() const;

    // The attempts.log lines that start with `prefix`, e.g. Count("connect ").
    [[nodiscard]] int Count(const std::string& prefix) const;

private:
    std::string maildir_;
    int port_;
    std::unique_ptr<HelperProcess> process_;
};

}  // namespace gotrue::testing
