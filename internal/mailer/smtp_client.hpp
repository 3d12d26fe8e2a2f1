#pragma once

#include <chrono>
#include <functional>
#include <memory>
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
//
// Connections are reused (docs/mail.md "Connections"): up to GOTRUE_SMTP_MAX_CONNECTIONS open
// ones, each idle at most GOTRUE_SMTP_IDLE_TIMEOUT, so a mail costs one SMTP transaction (MAIL,
// RCPT, DATA), not a greeting, EHLO and TLS handshake. A reused connection the relay has closed
// meanwhile is replaced by a fresh one once, without counting as an attempt, but only while no
// byte of the message has been sent: a mail is never sent twice by a reconnect. Thread-safe; the
// destructor closes the idle connections with QUIT.
class SmtpClient final : public MailClient {
public:
    // The Message-ID domain is the domain of GOTRUE_SMTP_ADMIN_EMAIL.
    explicit SmtpClient(conf::SmtpConfig config);
    ~SmtpClient() override;
    SmtpClient(SmtpClient&& other) noexcept;
    SmtpClient& operator=(SmtpClient&&) = delete;
    SmtpClient(const SmtpClient&) = delete;
    SmtpClient& operator=(const SmtpClient&) = delete;

    void Send(const apitask::Context& context, const Message& message) override;

    // Delay before retry number `retry` (1-based): 250 ms doubling, capped at 5 s, +-20 %.
    // Replaceable for tests.
    std::function<std::chrono::milliseconds(int retry)> backoff;

private:
    class Connections;  // the pool of open connections (smtp_client.cpp)

    void SendOnce(const Message& message);

    conf::SmtpConfig config_;
    std::unique_ptr<Connections> connections_;
};

// The part of an address after '@' (what logs show instead of the full address).
[[nodiscard]] std::string DomainOf(const std::string& address);

}  // namespace gotrue::mailer
