#pragma once

// mailer: everything between "this user needs a confirmation mail" and bytes accepted by an SMTP
// relay (docs/mail.md). A chain of MailClients, built by Mailer (mailer.hpp):
//   TemplateMailer (renders) -> ValidateClient (address syntax, on the request thread)
//     -> in a background mode (GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING, GOTRUE_WORKER_ENABLED):
//        the link the composition root passes; without one, TaskClient (one apitask per mail)
//        | PoolClient (pool task)
//     -> SmtpClient (libcurl, retries transient failures) | NoopClient (no SMTP host).
// The server itself sends background mail past this chain: the outbox stores a MailIntent in the
// request's transaction and a RenderingSender (rendering_sender.hpp) renders it at delivery.
// Depends on apitask, conf, libcurl and logs; knows nothing of HTTP or the database.

#include <stdexcept>
#include <string>
#include <utility>

#include "apitask/context.hpp"

namespace gotrue::mailer {

// One rendered mail to one recipient.
struct Message {
    std::string to;
    std::string subject;
    std::string html;  // the rendered body; the plain-text part is derived from it
    std::string type;  // mail kind for logs and $messageType, e.g. "confirmation"
    // The Message-ID header, angle brackets included; empty: the transport makes one up. The
    // outbox sets one per row, so every attempt of one mail carries the same (docs/mail.md).
    std::string message_id = {};
};

enum class FailureKind { kTransient, kPermanent };

// A mail could not be handed to the relay.
class SendError : public std::runtime_error {
public:
    SendError(FailureKind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}

    [[nodiscard]] FailureKind Kind() const noexcept { return kind_; }

private:
    FailureKind kind_;
};

// The recipient address is not a valid email address (the API answers 400
// email_address_invalid).
class InvalidAddressError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class MailClient {
public:
    virtual ~MailClient() = default;

    // Hands `message` on. A synchronous client throws SendError when the mail was not accepted;
    // a background client returns once the send is scheduled.
    virtual void Send(const apitask::Context& context, const Message& message) = 0;
};

}  // namespace gotrue::mailer
