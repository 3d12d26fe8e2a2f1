#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "mailer/mail_client.hpp"

namespace gotrue::mailer {

// How one Send at the transport ended.
enum class SendOutcome { kSent, kTransientFailure, kPermanentFailure };

// "sent", "transient_failure", "permanent_failure": the outcome label of the mail metrics.
[[nodiscard]] std::string_view OutcomeName(SendOutcome outcome);

// Reports each send's mail kind (Message::type) and outcome; must not throw.
using SendObserver = std::function<void(const Message& message, SendOutcome outcome)>;

// Wraps the transport (SMTP, noop) and reports every Send to an observer, then passes the result
// on unchanged: the composition root counts mail for /metrics with it, and the mailer stays free
// of any metrics library. Anything other than a SendError (an invalid address) is a permanent
// failure.
class ObservedClient final : public MailClient {
public:
    ObservedClient(std::unique_ptr<MailClient> inner, SendObserver observer);

    void Send(const apitask::Context& context, const Message& message) override;

private:
    std::unique_ptr<MailClient> inner_;
    SendObserver observer_;
};

}  // namespace gotrue::mailer
