// Background mail under faults, through real processes: a server killed in the middle of a burst
// of signups, a relay that refuses connections, several instances on one database with a relay
// failing at random, a relay slower than the lease, and a transaction that fails at its commit.
// Counts come from what the relay stored (its maildir) and from the database, never from the
// server's own bookkeeping, so they hold whatever the outbox looks like inside.
//
// Each case runs small in `make test` (integration:faults ...) and at the sizes of docs/mail.md
// "Fault tests" in `make test-faults` (GOTRUE_FAULTS_SCALE=full).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/fault_relay.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::EnvMap;
using gotrue::testing::FaultRelay;
using gotrue::testing::GotrueProcess;
using gotrue::testing::Mail;
using gotrue::testing::MailMode;
using gotrue::testing::ModeName;
using gotrue::testing::UniqueEmail;

namespace {

using Clock = std::chrono::system_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool Full() {
    const char* scale = std::getenv("GOTRUE_FAULTS_SCALE");
    return scale != nullptr && std::string(scale) == "full";
}

// `fast` in `make test`, `full` in `make test-faults`.
template <typename T>
T Scaled(T fast, T full) {
    return Full() ? full : fast;
}

std::string Lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

// The address of a To: header ("Name <a@b>" or "a@b"), lower-cased.
std::string Recipient(const Mail& mail) {
    std::string to = mail.Header("To");
    const auto open = to.find('<');
    if (open != std::string::npos) {
        to = to.substr(open + 1, to.find('>', open) - open - 1);
    }
    return Lower(to);
}

// When the relay stored the message: smtp_fault_server.py names each file after time.time().
double ReceivedAt(const Mail& mail) {
    const auto second_dot = mail.file.find('.', mail.file.find('.') + 1);
    return std::stod(mail.file.substr(0, second_dot));
}

double Seconds(Clock::time_point at) {
    return std::chrono::duration<double>(at.time_since_epoch()).count();
}

struct SignupResult {
    std::string email;
    long status = 0;
};

// Signups of `emails` by `clients` parallel clients, in the background; signup i goes to
// urls[i % urls.size()] and starts no earlier than `spacing` x i after the first.
class Signups final {
public:
    Signups(
        std::vector<std::string> urls,
        const std::vector<std::string>& emails,
        int clients,
        milliseconds spacing = milliseconds(0)
    )
        : urls_(std::move(urls)), start_(std::chrono::steady_clock::now()), spacing_(spacing) {
        for (const auto& email : emails) {
            results_.push_back({email, 0});
        }
        for (int client = 0; client < clients; ++client) {
            threads_.emplace_back([this] { Run(); });
        }
    }

    [[nodiscard]] int Answered() const { return answered_.load(); }

    // Joins the clients; every signup's status (0: no answer).
    std::vector<SignupResult> Wait() {
        threads_.clear();
        return results_;
    }

    // The emails of the signups answered 2xx, after Wait().
    [[nodiscard]] std::vector<std::string> Succeeded() const {
        std::vector<std::string> emails;
        for (const auto& result : results_) {
            if (result.status >= 200 && result.status < 300) {
                emails.push_back(result.email);
            }
        }
        return emails;
    }

private:
    void Run() {
        for (std::size_t i = next_++; i < results_.size(); i = next_++) {
            std::this_thread::sleep_until(start_ + spacing_ * static_cast<int>(i));
            const auto response = gotrue::testing::Post(
                urls_[i % urls_.size()] + "/signup",
                R"({"email":")" + results_[i].email + R"(","password":"secret-123"})"
            );
            results_[i].status = response.status;
            ++answered_;
        }
    }

    std::vector<std::string> urls_;
    std::chrono::steady_clock::time_point start_;
    milliseconds spacing_;
    std::vector<SignupResult> results_;
    std::atomic<std::size_t> next_{0};
    std::atomic<int> answered_{0};
    std::vector<std::jthread> threads_;
};

std::vector<std::string> Emails(const std::string& tag, int count) {
    std::vector<std::string> emails;
    for (int i = 0; i < count; ++i) {
        emails.push_back(Lower(UniqueEmail(tag)));
    }
    return emails;
}

std::string StatusCounts(const std::vector<SignupResult>& results) {
    std::map<long, int> counts;
    for (const auto& result : results) {
        ++counts[result.status];
    }
    std::ostringstream text;
    for (const auto& [status, count] : counts) {
        text << status << ": " << count << "  ";
    }
    return text.str();
}

// What the relay stored, by recipient and by Message-ID.
struct Tally {
    std::map<std::string, std::vector<Mail>> by_recipient;
    std::map<std::string, int> by_message_id;
    std::size_t total = 0;

    explicit Tally(const std::string& maildir) {
        for (auto& mail : gotrue::testing::ReadMaildir(maildir)) {
            ++by_message_id[mail.Header("Message-ID")];
            by_recipient[Recipient(mail)].push_back(std::move(mail));
            ++total;
        }
    }

    [[nodiscard]] std::vector<std::string> Missing(const std::vector<std::string>& emails) const {
        std::vector<std::string> missing;
        for (const auto& email : emails) {
            if (!by_recipient.contains(email)) {
                missing.push_back(email);
            }
        }
        return missing;
    }

    // Recipients mailed more than once, and Message-IDs seen more than once, one line each.
    [[nodiscard]] std::vector<std::string> Duplicates() const {
        std::vector<std::string> lines;
        for (const auto& [recipient, mails] : by_recipient) {
            if (mails.size() > 1) {
                std::string line = recipient + ": " + std::to_string(mails.size()) + " copies";
                for (const auto& mail : mails) {
                    line += ", " + mail.Header("Message-ID") + " at " + mail.file;
                }
                lines.push_back(line);
            }
        }
        for (const auto& [message_id, count] : by_message_id) {
            if (count > 1) {
                lines.push_back("Message-ID " + message_id + ": " + std::to_string(count));
            }
        }
        return lines;
    }
};

// Waits until every address of `emails` has a mail in `maildir` (or `timeout`), then `settle`
// more, so that a second copy still under way is counted too.
Tally WaitForDelivery(
    const std::string& maildir,
    const std::vector<std::string>& emails,
    seconds timeout,
    milliseconds settle
) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!Tally(maildir).Missing(emails).empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(100));
    }
    std::this_thread::sleep_for(settle);
    return Tally(maildir);
}

std::string Join(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line + "\n";
    }
    return text;
}

// Every address of `emails` was mailed exactly once, and no Message-ID came twice.
void CheckExactlyOnce(const Tally& tally, const std::vector<std::string>& emails) {
    const auto missing = tally.Missing(emails);
    CHECK_MESSAGE(missing.empty(), "lost: " << missing.size() << "\n" << Join(missing));
    const auto duplicates = tally.Duplicates();
    CHECK_MESSAGE(duplicates.empty(), "duplicated:\n" << Join(duplicates));
    CHECK(tally.total == emails.size());
    CHECK(tally.by_message_id.size() == emails.size());
}

// The environment of a server relaying to `relay_port`, retrying fast.
EnvMap Relaying(int relay_port, EnvMap extra = {}) {
    extra.emplace("GOTRUE_SMTP_PORT", std::to_string(relay_port));
    extra.emplace("GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms");
    extra.emplace("GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF", "300ms");
    // Request-scoped responses wait for their send; none may be cut off by the deadline.
    extra.emplace("GOTRUE_API_MAX_REQUEST_DURATION", "60s");
    return extra;
}

// Another `serve` process on the server's database and relay, on a port of its own.
std::unique_ptr<GotrueProcess> SecondInstance(const AuthServer& server) {
    EnvMap env = server.Env();
    const int port = gotrue::testing::FreePort();
    env["PORT"] = std::to_string(port);
    env["API_EXTERNAL_URL"] = "http://localhost:" + std::to_string(port);
    auto process = std::make_unique<GotrueProcess>(std::vector<std::string>{"serve"}, env);
    REQUIRE_MESSAGE(process->WaitReady(), process->Output());
    return process;
}

void KillMidSignups(MailMode mode) {
    FaultRelay relay({});
    // A 2 s lease: the restarted process takes over what the killed one held soon after.
    AuthServer server(mode, Relaying(relay.Port(), {{"GOTRUE_MAILER_OUTBOX_LEASE", "2s"}}));
    const int count = Scaled(24, 100);
    Signups signups({server.Url()}, Emails("fault-kill", count), Scaled(8, 20));
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    while (signups.Answered() < count / 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(2));
    }
    server.Process().Signal(SIGKILL);
    const double killed_at = Seconds(Clock::now());
    static_cast<void>(server.Process().WaitExit(seconds(5)));
    const auto results = signups.Wait();
    const auto succeeded = signups.Succeeded();
    const std::string mode_name = ModeName(mode);
    MESSAGE(mode_name, " signups by status at the kill: ", StatusCounts(results));
    REQUIRE(succeeded.size() >= static_cast<std::size_t>(count / 3));
    REQUIRE(succeeded.size() < static_cast<std::size_t>(count));  // the kill came mid-burst

    GotrueProcess restarted({"serve"}, server.Env());
    REQUIRE(restarted.WaitReady());
    const Tally tally =
        WaitForDelivery(relay.Maildir(), succeeded, seconds(30), milliseconds(1500));
    const auto missing = tally.Missing(succeeded);
    CHECK_MESSAGE(
        missing.empty(),
        "2xx signups without mail: " << missing.size() << "\n"
                                     << Join(missing)
    );
    const auto duplicates = tally.Duplicates();
    MESSAGE(
        mode_name,
        ": ",
        succeeded.size(),
        " signups answered 2xx, ",
        tally.total,
        " mails, duplicates: ",
        duplicates.size(),
        "\n",
        Join(duplicates)
    );
    // docs/mail.md "The duplicate window": a second copy only of a mail the relay had accepted
    // when the process died, resent from the same row (same Message-ID) after the restart.
    for (const auto& entry : tally.by_recipient) {
        const std::vector<Mail>& mails = entry.second;
        if (mails.size() < 2) {
            continue;
        }
        CAPTURE(entry.first);
        CHECK(mails.size() == 2);
        CHECK(mails[0].Header("Message-ID") == mails[1].Header("Message-ID"));
        CHECK(ReceivedAt(mails[0]) < killed_at + 0.5);
    }
}

void RelayOutage(MailMode mode) {
    const int relay_port = gotrue::testing::FreePort();  // nothing listens: refused
    AuthServer server(mode, Relaying(relay_port));
    const auto outage = Scaled(seconds(6), seconds(30));
    const int count = Scaled(8, 50);
    const auto recovered = std::chrono::steady_clock::now() + outage;
    // Spread over the first two thirds of the outage.
    Signups signups(
        {server.Url()}, Emails("fault-outage", count), 4, milliseconds(outage) * 2 / 3 / count
    );
    const auto results = signups.Wait();
    REQUIRE_MESSAGE(signups.Succeeded().size() == results.size(), StatusCounts(results));
    CHECK(std::chrono::steady_clock::now() < recovered);
    std::this_thread::sleep_until(recovered);

    const FaultRelay relay({}, relay_port);
    const Tally tally =
        WaitForDelivery(relay.Maildir(), signups.Succeeded(), outage * 2, milliseconds(1000));
    CheckExactlyOnce(tally, signups.Succeeded());
}

void SlowerThanLease(MailMode mode) {
    const std::string delay = Scaled<std::string>("1.5", "3");
    const FaultRelay relay({"--delay", delay});
    AuthServer server(
        mode,
        Relaying(
            relay.Port(),
            {{"GOTRUE_MAILER_OUTBOX_LEASE", Scaled<std::string>("1s", "2s")},
             {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "100ms"},
             {"GOTRUE_WORKER_COUNT_PER_CPU", "5"}}
        )
    );
    const int count = Scaled(6, 20);
    Signups signups({server.Url()}, Emails("fault-slow", count), count);
    const auto results = signups.Wait();
    REQUIRE_MESSAGE(signups.Succeeded().size() == results.size(), StatusCounts(results));
    // A second send a sweep started would still be at the relay: settle longer than one send.
    const Tally tally = WaitForDelivery(
        relay.Maildir(),
        signups.Succeeded(),
        seconds(60),
        milliseconds(static_cast<int>(std::stod(delay) * 1000) + 1000)
    );
    CheckExactlyOnce(tally, signups.Succeeded());
    CHECK(relay.Count("data ") == count);  // and no send was even started twice
}

// Fails the commit of a transaction that inserted a user whose address starts with
// "rollback-": a constraint trigger deferred to COMMIT runs after every write of the request
// (token, *_sent_at, and whatever else the transaction holds), so the whole request rolls back.
constexpr const char* kFailAtCommit = R"sql(
CREATE FUNCTION public.fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'injected failure at commit';
END
$$;
CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON auth.users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.email LIKE 'rollback-%')
    EXECUTE FUNCTION public.fail_at_commit();
)sql";

// "users tokens audited" for `email`: its user rows, its one-time tokens, and 1 when the audit
// log mentions it.
std::string RowsOf(const AuthServer& server, const std::string& email) {
    const std::string quoted = "'" + email + "'";
    return server.Database().Scalar(
        "SELECT (SELECT count(*) FROM auth.users WHERE email = " + quoted +
        ") || ' ' || (SELECT count(*) FROM auth.one_time_tokens WHERE relates_to = " + quoted +
        ") || ' ' || (SELECT least(count(*), 1) FROM auth.audit_log_entries WHERE payload::text "
        "LIKE "
        "'%' || " +
        quoted + " || '%')"
    );
}

}  // namespace

TEST_SUITE("faults") {
    TEST_CASE("SIGKILL in the middle of parallel signups, request-scoped mail") {
        KillMidSignups(MailMode::kRequestScoped);
    }

    TEST_CASE("SIGKILL in the middle of parallel signups, pool mail") {
        KillMidSignups(MailMode::kPool);
    }

    TEST_CASE("relay refusing connections during signups, request-scoped mail") {
        RelayOutage(MailMode::kRequestScoped);
    }

    TEST_CASE("relay refusing connections during signups, pool mail") {
        RelayOutage(MailMode::kPool);
    }

    TEST_CASE("three instances on one database, relay failing 30 percent with 451") {
        FaultRelay relay({"--fail-rate", "0.3", "--seed", "12"});
        AuthServer first(MailMode::kPool, Relaying(relay.Port()));
        const auto second = SecondInstance(first);
        const auto third = SecondInstance(first);
        const int count = Scaled(30, 150);
        Signups signups(
            {first.Url(), second->Url(), third->Url()}, Emails("fault-three", count), 15
        );
        const auto results = signups.Wait();
        REQUIRE_MESSAGE(signups.Succeeded().size() == results.size(), StatusCounts(results));
        const Tally tally =
            WaitForDelivery(relay.Maildir(), signups.Succeeded(), seconds(90), milliseconds(1500));
        CheckExactlyOnce(tally, signups.Succeeded());
        MESSAGE("relay DATA commands for ", count, " mails: ", relay.Count("data "));
        CHECK(relay.Count("data ") > count);  // the refusals happened and were retried
    }

    TEST_CASE("relay slower than the lease, request-scoped mail") {
        SlowerThanLease(MailMode::kRequestScoped);
    }

    TEST_CASE("relay slower than the lease, pool mail") {
        SlowerThanLease(MailMode::kPool);
    }

    TEST_CASE("a request rolled back at its commit leaves no row and sends nothing") {
        for (const MailMode mode : gotrue::testing::kAllMailModes) {
            const std::string mode_name = ModeName(mode);
            CAPTURE(mode_name);
            FaultRelay relay({});
            AuthServer server(mode, Relaying(relay.Port()));
            server.Database().Execute(kFailAtCommit);
            const std::string doomed = Lower(UniqueEmail("rollback-fault"));
            const auto refused =
                server.Post("/signup", R"({"email":")" + doomed + R"(","password":"secret-123"})");
            CHECK_MESSAGE(refused.status >= 500, refused.body);
            // The same request for another address commits and is mailed: the wiring works.
            const std::string kept = Lower(UniqueEmail("kept-fault"));
            REQUIRE(
                server.Post("/signup", R"({"email":")" + kept + R"(","password":"secret-123"})")
                    .status == 200
            );
            const Tally tally =
                WaitForDelivery(relay.Maildir(), {kept}, seconds(15), milliseconds(1000));
            CheckExactlyOnce(tally, {kept});
            CHECK(relay.Count("rcpt " + doomed) == 0);
            // The same queries find the committed signup's rows, so they can find the other's.
            CHECK(RowsOf(server, kept) == "1 1 1");
            CHECK(RowsOf(server, doomed) == "0 0 0");
            CHECK(
                server.Database().Scalar(
                    "SELECT count(*) FROM auth.mail_outbox WHERE recipient = '" + doomed + "'"
                ) == "0"
            );
        }
    }
}
