#pragma once

// The decorators of the mail client chain (see mail_client.hpp) and the no-SMTP client.

#include <string>
#include <string_view>

#include "apitask/worker_pool.hpp"
#include "mailer/mail_client.hpp"

namespace gotrue::mailer {

// GOTRUE_SMTP_HOST is empty: accepts every mail without contacting anything (GoTrue's noop
// client), so flows work without a relay. Logs "no SMTP configured" once.
class NoopClient final : public MailClient {
public:
    explicit NoopClient(std::string site_url);
    void Send(const apitask::Context& context, const Message& message) override;
};

// Rejects malformed recipient addresses on the request thread, before any background hand-off,
// so a bad address is a 400 email_address_invalid in every mode.
class ValidateClient final : public MailClient {
public:
    explicit ValidateClient(MailClient& inner) : inner_(inner) {}

    void Send(const apitask::Context& context, const Message& message) override;

private:
    MailClient& inner_;
};

// GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING: each send becomes an apitask ("mailer.<type>") on the
// request's worker; the request waits for it before its response (request-scoped). Without a
// worker on the context it sends inline and throws on failure, like the plain chain.
class TaskClient final : public MailClient {
public:
    explicit TaskClient(MailClient& inner) : inner_(inner) {}

    void Send(const apitask::Context& context, const Message& message) override;

private:
    MailClient& inner_;
};

// GOTRUE_WORKER_ENABLED: each send is queued on the process-wide pool and the request does not
// wait for it (fire-and-forget); the pool drains it at shutdown. A full queue past the request
// deadline throws apitask::QueueFullError (the API answers 503).
class PoolClient final : public MailClient {
public:
    PoolClient(MailClient& inner, apitask::WorkerPool& pool) : inner_(inner), pool_(pool) {}

    void Send(const apitask::Context& context, const Message& message) override;

private:
    MailClient& inner_;
    apitask::WorkerPool& pool_;
};

// Email syntax as GoTrue checks it: local part of [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-], '@', and
// dot-separated labels of letters, digits and inner hyphens (at most 63 characters each); at
// most 255 characters in all.
[[nodiscard]] bool IsValidEmail(std::string_view address);

}  // namespace gotrue::mailer
