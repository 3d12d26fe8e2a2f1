#pragma once

// Reads what an SMTP test server stored: one RFC 5322 file per message in DIR/new (the Maildir
// layout aiosmtpd's Mailbox handler and smtp_fault_server.py write).

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gotrue::testing {

struct MailPart {
    std::string content_type;
    std::string body;  // transfer encoding decoded
};

struct Mail {
    std::map<std::string, std::string> headers;  // names lower-cased, values unfolded
    std::vector<MailPart> parts;                 // leaf parts of the MIME tree, in order
    std::string raw;
    std::string file;  // its file name in the maildir ("" when parsed from text)

    [[nodiscard]] std::string Header(const std::string& name) const;
    // The first part whose Content-Type starts with `type` ("text/html"), or "".
    [[nodiscard]] std::string Part(const std::string& type) const;
};

[[nodiscard]] Mail ParseMail(const std::string& raw);

// The maildir of the shared test SMTP server (GOTRUE_TEST_MAILDIR).
[[nodiscard]] std::string SharedMaildir();

// Every message in `maildir` (DIR/new), in arrival order.
[[nodiscard]] std::vector<Mail> ReadMaildir(const std::string& maildir);

// Messages in `maildir` addressed (To:) to `recipient`; waits until at least `count` arrived or
// `timeout` passed.
[[nodiscard]] std::vector<Mail> WaitForMail(
    const std::string& maildir,
    const std::string& recipient,
    std::size_t count = 1,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)
);

// Decodes RFC 2047 encoded words (=?UTF-8?B?...?= and =?UTF-8?Q?...?=).
[[nodiscard]] std::string DecodeHeaderWords(const std::string& value);

}  // namespace gotrue::testing
