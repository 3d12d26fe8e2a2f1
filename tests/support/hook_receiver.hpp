#pragma once

// tests/support/hook_receiver.py as a test fixture: a local HTTP hook that checks the Standard
// Webhooks signature of every request (the custom access-token hook on /hook, the send-email
// hook on /send-email) and whose answers a test switches with Mode.

#include <memory>
#include <string>

#include <rapidjson/document.h>

#include "support/process.hpp"

namespace gotrue::testing {

// The Standard Webhooks example key (the base64 after "whsec_"); the receiver checks with it.
inline constexpr const char* kWebhookKey = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

class HookReceiver final {
public:
    // `slow_seconds`: how long the "slow" mode waits before answering.
    explicit HookReceiver(double slow_seconds = 7);

    // http://localhost:<port><path>
    [[nodiscard]] std::string Url(const std::string& path) const;

    // Switches how the hook answers (the script lists the modes) and forgets what it recorded.
    void Mode(const std::string& mode) const;

    // How many hook requests arrived since the last Mode.
    [[nodiscard]] int Count() const;

    // The signed send-email requests since the last Mode: [{"webhook_id", "payload"}].
    [[nodiscard]] rapidjson::Document Emails() const;

private:
    int port_;
    std::unique_ptr<HelperProcess> process_;
};

}  // namespace gotrue::testing
