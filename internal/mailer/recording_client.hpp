#pragma once

// Test helper: the end of a mail client chain that records what reaches it.

#include <vector>

#include "mailer/mail_client.hpp"

namespace gotrue::mailer::testing {

class RecordingClient final : public MailClient {
public:
    void Send(const apitask::Context& /*context*/, const Message& message) override {
        sent.push_back(message);
    }

    std::vector<Message> sent;
};

}  // namespace gotrue::mailer::testing
