#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "conf/config.hpp"
#include "mailer/mail_client.hpp"

namespace gotrue::mailer {

// Sends over SMTP with libcurl: smtp:// with STARTTLS when offered (required when
// GOTRUE_SMTP_USER is set and the relay is not on loopback), smtps:// on port 465, AUTH when a
// user is set, connect and total timeouts. The message is multipart/alternative: a plain-text
// part derived from the HTML, and the HTML. Transient failures (connection refused or timed
// out, 4xx replies) are retried with exponential backoff and jitter up to
// GOTRUE_SMTP_MAX_RETRIES times; permanent ones (5xx, bad address, refused login) are not.
// Every attempt logs a `mail.send` line (type, recipient domain, attempt, outcome, duration).
class SmtpClient final : public MailClient {
public:
    // The Message-ID domain is the domain of GOTRUE_SMTP_ADMIN_EMAIL.
    explicit SmtpClient(conf::SmtpConfig config);

    void Send(const apitask::Context& context, const Message& message) override;

    // Delay before retry number `retry` (1-based): 250 ms doubling, capped at 5 s, +-20 %.
    // Replaceable for tests.
    std::function<std::chrono::milliseconds(int retry)> backoff;

private:
    void SendOnce(const Message& message) const;

    conf::SmtpConfig config_;
};

// The part of an address after '@' (what logs show instead of the full address).
[[nodiscard]] std::string DomainOf(const std::string& address);

}  // namespace gotrue::mailer
