#include "models/mail_outbox.hpp"

#include <charconv>

#include "api/api.hpp"
#include "models/time.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

// The admin view lists at most this many failed and dead rows (oldest first).
constexpr int kListedProblems = 1000;

void WriteText(JsonWriter& writer, const std::string& value) {
    writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void WriteProblem(JsonWriter& writer, const models::OutboxProblem& row) {
    writer.StartObject();
    writer.Key("id");
    writer.Int64(row.id);
    writer.Key("type");
    WriteText(writer, row.mail_type);
    writer.Key("recipient");
    WriteText(writer, row.recipient);
    writer.Key("state");
    WriteText(writer, row.state);
    writer.Key("attempts");
    writer.Int(row.attempts);
    writer.Key("last_error");
    WriteText(writer, row.last_error);
    writer.Key("created_at");
    WriteText(writer, models::FormatTime(row.created_at));
    writer.Key("updated_at");
    WriteText(writer, models::FormatTime(row.updated_at));
    writer.EndObject();
}

void WriteProblems(
    JsonWriter& writer, const std::vector<models::OutboxProblem>& rows, std::string_view state
) {
    writer.StartArray();
    for (const auto& row : rows) {
        if (row.state == state) {
            WriteProblem(writer, row);
        }
    }
    writer.EndArray();
}

// The {id} of /admin/mail/outbox/{id}/...: a positive row id, else 404 as for an unknown row (a
// path that names no row), never a database error.
long long OutboxId(const Request& request) {
    const auto it = request.params.find("id");
    const std::string text = it == request.params.end() ? std::string() : it->second;
    long long id = 0;
    const auto* end = text.data() + text.size();
    const auto [parsed, error] = std::from_chars(text.data(), end, id);
    if (text.empty() || error != std::errc() || parsed != end || id <= 0) {
        throw NotFound(kValidationFailed, "Mail id must be a positive integer");
    }
    return id;
}

}  // namespace

// GET /admin/mail/outbox (this server's own, docs/mail.md): the outbox as an operator needs it,
// counts per state, the age of the oldest undelivered mail and the failed and dead rows, without
// anything secret (no intent, no token, no link, no body).
// NOLINTNEXTLINE(readability-make-member-function-const): every route handler has one signature
Response Api::AdminMailOutbox(Request& /*request*/) {
    auto lease = deps_.database.Acquire();
    pqxx::read_transaction tx(lease.Connection());
    const auto counts = models::CountOutboxMails(tx);
    const auto problems = models::ListOutboxProblems(tx, kListedProblems);
    return JsonResponse(200, JsonText([&](JsonWriter& writer) {
                            writer.StartObject();
                            writer.Key("counts");
                            writer.StartObject();
                            writer.Key("queued");
                            writer.Int64(counts.queued);
                            writer.Key("sending");
                            writer.Int64(counts.sending);
                            writer.Key("sent");
                            writer.Int64(counts.sent);
                            writer.Key("failed");
                            writer.Int64(counts.failed);
                            writer.Key("dead");
                            writer.Int64(counts.dead);
                            writer.EndObject();
                            writer.Key("oldest_queued_age_seconds");
                            writer.Double(counts.oldest_queued_seconds);
                            writer.Key("failed");
                            WriteProblems(writer, problems, "failed");
                            writer.Key("dead");
                            WriteProblems(writer, problems, "dead");
                            writer.EndObject();
                        }));
}

// POST /admin/mail/outbox/{id}/retry: a failed or dead mail back to queued, due now; every
// instance hears of it (NOTIFY) and the first to claim it sends it.
Response Api::AdminRetryMail(Request& request) {
    const long long id = OutboxId(request);
    const auto outcome = storage::WithTransaction(deps_.database, [id](pqxx::work& tx) {
        return models::RetryOutboxMail(tx, id);
    });
    if (outcome == models::OutboxRetry::kNotFound) {
        throw NotFound(kNotFound, "Mail not found");
    }
    if (outcome == models::OutboxRetry::kNotRetriable) {
        throw UnprocessableEntity(kValidationFailed, "Only a failed or dead mail can be retried");
    }
    return JsonResponse(200, R"({"id":)" + std::to_string(id) + R"(,"state":"queued"})");
}

}  // namespace gotrue::api
