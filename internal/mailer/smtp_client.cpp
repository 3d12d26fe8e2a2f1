#include "mailer/smtp_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <rapidjson/document.h>

#include "json/parser.hpp"
#include "logs/logs.hpp"
#include "mailer/connection_pool.hpp"
#include "mailer/html_text.hpp"
#include "mailer/mail_header.hpp"

namespace gotrue::mailer {
namespace {

constexpr logs::Logger kLog{"mailer"};

std::int64_t MillisecondsSince(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - started
    )
        .count();
}

void InitCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// RFC 5322 date in UTC, e.g. "Wed, 25 Nov 2026 15:20:28 +0000".
std::string DateHeader() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
    return text;
}

std::string MessageId(const std::string& domain) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char id[40];
    std::snprintf(
        id,
        sizeof id,
        "%016llx%016llx",
        static_cast<unsigned long long>(random()),
        static_cast<unsigned long long>(random())
    );
    return "<" + std::string(id) + "@" + (domain.empty() ? "localhost" : domain) + ">";
}

bool IsLoopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Header lines must not carry line breaks (header injection).
std::string OneLine(std::string value) {
    for (auto& c : value) {
        if (c == '\r' || c == '\n') {
            c = ' ';
        }
    }
    return value;
}

// GOTRUE_SMTP_HEADERS: {"Name": ["value", ...]}; invalid JSON is ignored with a warning, as
// upstream does.
std::vector<std::pair<std::string, std::string>> ParseExtraHeaders(const std::string& json) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (json.empty()) {
        return headers;
    }
    const json::ParseResult parsed = json::Parse(json);
    const rapidjson::Value& document = parsed.document;
    if (!parsed.Ok() || !document.IsObject()) {
        kLog.Warn("GOTRUE_SMTP_HEADERS is not a JSON object of string lists, ignored");
        return headers;
    }
    for (const auto& member : document.GetObject()) {
        const std::string name = OneLine(member.name.GetString());
        if (member.value.IsString()) {
            headers.emplace_back(name, OneLine(member.value.GetString()));
        } else if (member.value.IsArray()) {
            std::string joined;
            for (const auto& item : member.value.GetArray()) {
                if (item.IsString()) {
                    joined += (joined.empty() ? "" : ", ") + std::string(item.GetString());
                }
            }
            headers.emplace_back(name, OneLine(joined));
        }
    }
    return headers;
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

std::string AngleBracketed(const std::string& address) {
    std::string out = "<";
    out += address;
    out += '>';
    return out;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct MimeDeleter {
    void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};

// Classifies a failed transfer: 5xx replies and configuration errors are permanent; refused or
// timed-out connections and 4xx replies are worth retrying.
FailureKind Classify(CURLcode code, long reply) {
    if (reply >= 500 && reply < 600) {
        return FailureKind::kPermanent;
    }
    if (reply >= 400 && reply < 500) {
        return FailureKind::kTransient;
    }
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_WEIRD_SERVER_REPLY:
            return FailureKind::kTransient;
        default:
            return FailureKind::kPermanent;  // login refused, TLS required but missing, bad URL...
    }
}

using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

// What one SMTP transaction came to.
struct Transfer {
    CURLcode code = CURLE_OK;
    long reply = 0;          // the relay's last reply code, 0: none
    bool reused = false;     // on a connection an earlier mail left open
    bool body_sent = false;  // some of the message went out (DATA had been accepted)
    std::string detail;      // libcurl's error text
};

// The relay had closed a reused connection while it sat idle (a restart, its own idle timeout)
// and nothing of the message went out: no reply at all, or 421 "closing transmission channel"
// (RFC 5321 section 3.8). Only then may the same mail go on a new connection at once: after
// DATA was accepted the relay may have taken the message, and the ordinary retry decides.
bool ClosedWhileIdle(const Transfer& transfer) {
    if (transfer.code == CURLE_OK || !transfer.reused || transfer.body_sent) {
        return false;
    }
    if (transfer.reply == 421) {
        return true;
    }
    return transfer.reply == 0 &&
           (transfer.code == CURLE_SEND_ERROR || transfer.code == CURLE_RECV_ERROR ||
            transfer.code == CURLE_GOT_NOTHING);
}

std::chrono::milliseconds DefaultBackoff(int retry) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const double base = std::min(250.0 * static_cast<double>(1 << std::min(retry - 1, 8)), 5000.0);
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<long long>(base * jitter(random)));
}

}  // namespace

std::string DomainOf(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : address.substr(at + 1);
}

namespace {

// Where and how to connect: smtps:// on 465, otherwise STARTTLS whenever the relay offers it
// (required before sending credentials off-host); credentials and timeouts (`budget`: what is
// left of the attempt's GOTRUE_SMTP_TIMEOUT).
void SetConnection(CURL* curl, const conf::SmtpConfig& config, std::chrono::milliseconds budget) {
    const bool implicit_tls = config.port == 465;
    const std::string url = std::string(implicit_tls ? "smtps://" : "smtp://") + config.host + ":" +
                            std::to_string(config.port);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    const bool require_tls = !config.user.empty() && !IsLoopback(config.host);
    curl_easy_setopt(
        curl, CURLOPT_USE_SSL, static_cast<long>(require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY)
    );
    if (!config.user.empty()) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, config.user.c_str());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, config.pass.c_str());
    }
    curl_easy_setopt(
        curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout.count())
    );
    curl_easy_setopt(
        curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, budget.count()))
    );
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // The handle keeps its one connection open for the next mail; the pool decides when it is
    // too old, so libcurl's own limit (118 s by default) must not be the shorter one.
    curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
    const auto idle_seconds =
        std::chrono::ceil<std::chrono::seconds>(config.idle_timeout).count() + 1;
    curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, static_cast<long>(idle_seconds));
}

// The mail's header lines: the standard ones, then GOTRUE_SMTP_HEADERS.
std::vector<std::string> HeaderLines(const conf::SmtpConfig& config, const Message& message) {
    std::vector<std::string> header_lines{
        FromHeader(OneLine(config.sender_name), OneLine(config.admin_email)),
        "To: " + OneLine(message.to),
        TextHeader("Subject", OneLine(message.subject)),
        "Date: " + DateHeader(),
        // The outbox gives each row one Message-ID, kept on every attempt (docs/mail.md).
        "Message-ID: " + (message.message_id.empty() ? MessageId(DomainOf(config.admin_email))
                                                     : OneLine(message.message_id)),
        "MIME-Version: 1.0",
    };
    for (const auto& [name, value] : ParseExtraHeaders(config.headers)) {
        auto line = FoldedHeader(name, Replace(value, "$messageType", message.type));
        if (!line) {
            kLog.Warn(
                "GOTRUE_SMTP_HEADERS value too long for a mail header line, header left out",
                {{"header", name}}
            );
            continue;
        }
        header_lines.push_back(std::move(*line));
    }
    // Makes the top-level part multipart/alternative instead of curl's multipart/mixed.
    header_lines.emplace_back("Content-Type: multipart/alternative");
    return header_lines;
}

std::unique_ptr<curl_slist, SlistDeleter> ToSlist(const std::vector<std::string>& lines) {
    curl_slist* raw = nullptr;
    for (const auto& line : lines) {
        raw = curl_slist_append(raw, line.c_str());
    }
    return std::unique_ptr<curl_slist, SlistDeleter>(raw);
}

// The body: a plain-text part derived from the HTML, then the HTML part.
std::unique_ptr<curl_mime, MimeDeleter> MimeBody(CURL* curl, const Message& message) {
    std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(curl));
    const std::string text = HtmlToText(message.html);
    curl_mimepart* text_part = curl_mime_addpart(mime.get());
    curl_mime_data(text_part, text.data(), text.size());
    curl_mime_type(text_part, "text/plain; charset=utf-8");
    curl_mime_encoder(text_part, "quoted-printable");
    curl_mimepart* html_part = curl_mime_addpart(mime.get());
    curl_mime_data(html_part, message.html.data(), message.html.size());
    curl_mime_type(html_part, "text/html; charset=utf-8");
    curl_mime_encoder(html_part, "quoted-printable");
    return mime;
}

// One transaction on `curl`: MAIL, RCPT, DATA, on the handle's open connection if it has one
// (libcurl checks that the relay has not closed it), else on a new one.
Transfer Perform(
    CURL* curl,
    const conf::SmtpConfig& config,
    const Message& message,
    std::chrono::steady_clock::time_point deadline
) {
    curl_easy_reset(curl);  // options only: the open connection stays
    SetConnection(
        curl,
        config,
        std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        )
    );
    const std::string from_address = AngleBracketed(config.admin_email);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_address.c_str());
    // The lists and the body must live until curl_easy_perform returns.
    const std::unique_ptr<curl_slist, SlistDeleter> recipients(
        curl_slist_append(nullptr, AngleBracketed(OneLine(message.to)).c_str())
    );
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
    const auto headers = ToSlist(HeaderLines(config, message));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    const auto mime = MimeBody(curl, message);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime.get());
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    Transfer transfer;
    transfer.code = curl_easy_perform(curl);
    if (transfer.code != CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.reply);
        long connects = 0;
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        transfer.reused = connects == 0;
        curl_off_t uploaded = 0;
        curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
        transfer.body_sent = uploaded > 0;
        transfer.detail =
            error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(transfer.code);
    }
    curl_easy_reset(curl);  // drops the pointers to the lists, the body and the error buffer
    return transfer;
}

CurlHandle NewHandle() {
    CurlHandle curl(curl_easy_init());
    if (!curl) {
        throw SendError(FailureKind::kTransient, "curl_easy_init failed");
    }
    return curl;
}

// A granted lease's slot in the pool: released with a handle whose transaction succeeded, or
// forgotten when the handle is dropped (which closes its connection) or never opened.
class Slot final {
public:
    explicit Slot(ConnectionPool<CurlHandle>& pool) : pool_(pool) {}

    ~Slot() {
        if (held_) {
            pool_.Forget();
        }
    }

    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

    void Release(CurlHandle curl) {
        held_ = false;
        // Dropped here, outside the pool's lock, when the pool keeps no connections (QUIT).
        static_cast<void>(pool_.Release(std::move(curl)));
    }

private:
    ConnectionPool<CurlHandle>& pool_;
    bool held_ = true;
};

}  // namespace

class SmtpClient::Connections {
public:
    explicit Connections(const conf::SmtpConfig& config)
        : pool(static_cast<std::size_t>(std::max(0, config.max_connections)), config.idle_timeout) {
    }

    ConnectionPool<CurlHandle> pool;
};

SmtpClient::SmtpClient(conf::SmtpConfig config)
    : backoff(DefaultBackoff),
      config_(std::move(config)),
      connections_(std::make_unique<Connections>(config_)) {
    InitCurlOnce();
}

SmtpClient::SmtpClient(SmtpClient&&) noexcept = default;

SmtpClient::~SmtpClient() {
    if (connections_) {
        static_cast<void>(connections_->pool.Close());  // dropped: QUIT on each idle connection
    }
}

void SmtpClient::SendOnce(const Message& message) {
    // Everything of one attempt, waiting for a connection and a reconnect included, fits in
    // GOTRUE_SMTP_TIMEOUT (the outbox sizes its lease by it); waiting for a busy connection
    // stands in for opening one and is bounded like it.
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + config_.timeout;
    auto lease = connections_->pool.Acquire(std::min(deadline, started + config_.connect_timeout));
    lease.expired.clear();  // idle too long: closed (QUIT) here, outside the pool's lock
    if (!lease.granted) {
        throw SendError(
            FailureKind::kTransient,
            "smtp: all " + std::to_string(config_.max_connections) +
                " connections to the relay stayed busy (GOTRUE_SMTP_MAX_CONNECTIONS)"
        );
    }
    Slot slot(connections_->pool);
    CurlHandle curl = lease.idle ? std::move(*lease.idle) : NewHandle();
    Transfer transfer = Perform(curl.get(), config_, message, deadline);
    if (ClosedWhileIdle(transfer) && std::chrono::steady_clock::now() < deadline) {
        kLog.Info(
            "smtp: the relay closed a reused connection, sending on a new one",
            {{"reply", static_cast<std::int64_t>(transfer.reply)}, {"error", transfer.detail}}
        );
        curl = NewHandle();
        transfer = Perform(curl.get(), config_, message, deadline);
    }
    if (transfer.code == CURLE_OK) {
        slot.Release(std::move(curl));
        return;
    }
    throw SendError(
        Classify(transfer.code, transfer.reply),
        "smtp: " + transfer.detail +
            (transfer.reply != 0 ? " (reply " + std::to_string(transfer.reply) + ")" : "")
    );
}

void SmtpClient::Send(const apitask::Context& context, const Message& message) {
    const int attempts = 1 + std::max(0, config_.max_retries);
    for (int attempt = 1;; ++attempt) {
        const auto started = std::chrono::steady_clock::now();
        try {
            SendOnce(message);
            kLog.Info(
                "mail.send",
                {{"mail_type", message.type},
                 {"to_domain", DomainOf(message.to)},
                 {"attempt", attempt},
                 {"outcome", "sent"},
                 {"duration_ms", MillisecondsSince(started)},
                 {"request_id", context.RequestId()}}
            );
            return;
        } catch (const SendError& error) {
            const bool retry = error.Kind() == FailureKind::kTransient && attempt < attempts;
            kLog.Log(
                retry ? logs::Level::kWarn : logs::Level::kError,
                "mail.send",
                {{"mail_type", message.type},
                 {"to_domain", DomainOf(message.to)},
                 {"attempt", attempt},
                 {"outcome",
                  error.Kind() == FailureKind::kTransient ? "transient_failure"
                                                          : "permanent_failure"},
                 {"duration_ms", MillisecondsSince(started)},
                 {"request_id", context.RequestId()},
                 {"error", error.what()}}
            );
            if (!retry) {
                throw;
            }
            std::this_thread::sleep_for(backoff(attempt));
        }
    }
}

}  // namespace gotrue::mailer
