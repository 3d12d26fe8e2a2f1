// Per-client request limits (docs/http.md), active when GOTRUE_RATE_LIMIT_HEADER
// names the header that identifies a client. The buckets live in auth.rate_limit_buckets, so
// several server instances enforce one limit.

#include "api/services/rate_limit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>

#include <arpa/inet.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "apitask/task.hpp"
#include "crypto/crypto.hpp"
#include "logs/logs.hpp"
#include "models/rate_limit_bucket.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

constexpr logs::Logger kLog{"api"};

constexpr double kEndpointBurst = 30;  // GoTrue's burst for every endpoint limiter

std::optional<std::string> CanonicalIpv4(const std::string& text) {
    in_addr address{};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
        return std::nullopt;
    }
    std::array<char, INET_ADDRSTRLEN> out{};
    inet_ntop(AF_INET, &address, out.data(), out.size());
    return std::string(out.data());
}

// Canonical IPv6 text; an IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 it maps.
std::optional<std::string> CanonicalIpv6(const std::string& text) {
    in6_addr address{};
    if (inet_pton(AF_INET6, text.c_str(), &address) != 1) {
        return std::nullopt;
    }
    if (IN6_IS_ADDR_V4MAPPED(&address)) {
        in_addr v4{};
        std::memcpy(&v4.s_addr, &address.s6_addr[12], sizeof v4.s_addr);  // the last 4 bytes
        std::array<char, INET_ADDRSTRLEN> out{};
        inet_ntop(AF_INET, &v4, out.data(), out.size());
        return std::string(out.data());
    }
    std::array<char, INET6_ADDRSTRLEN> out{};
    inet_ntop(AF_INET6, &address, out.data(), out.size());
    return std::string(out.data());
}

std::optional<std::string> CanonicalIp(const std::string& text) {
    if (auto v4 = CanonicalIpv4(text)) {
        return v4;
    }
    return CanonicalIpv6(text);
}

bool IsPort(std::string_view text) {
    return !text.empty() && text.size() <= 5 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The address of "[v6]:port", "[v6]" or "a.b.c.d:port"; nullopt for other shapes.
std::optional<std::string> AddressWithoutPort(std::string_view value) {
    if (!value.empty() && value.front() == '[') {
        const auto close = value.find(']');
        const bool tail_ok = close != std::string_view::npos &&
                             (close + 1 == value.size() ||
                              (value[close + 1] == ':' && IsPort(value.substr(close + 2))));
        return tail_ok ? CanonicalIpv6(std::string(value.substr(1, close - 1))) : std::nullopt;
    }
    const auto colon = value.find(':');
    if (colon != std::string_view::npos && value.find(':', colon + 1) == std::string_view::npos &&
        IsPort(value.substr(colon + 1))) {
        return CanonicalIpv4(std::string(value.substr(0, colon)));
    }
    return std::nullopt;
}

bool IsPlainKey(std::string_view value) {
    return value.size() <= kMaxPlainClientKey &&
           std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

std::string ClientKey(const Request& request, const std::string& header) {
    std::string value = request.headers.Get(header).value_or("");
    value = value.substr(0, value.find(','));  // the first of a list (X-Forwarded-For style)
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos
                ? std::string()
                : value.substr(first, value.find_last_not_of(" \t") - first + 1);
    if (value.empty()) {
        value = request.remote_address;
    }
    return NormalizeClientKey(value);
}

}  // namespace

std::string NormalizeClientKey(std::string_view value) {
    if (auto address = AddressWithoutPort(value)) {
        return *address;
    }
    if (auto address = CanonicalIp(std::string(value))) {
        return *address;
    }
    if (IsPlainKey(value)) {
        return std::string(value);
    }
    std::string hashed = "sha256:";
    hashed += crypto::Sha256Hex(value);
    return hashed;
}

RequestLimit RequestLimit::PerFiveMinutes(double n) {
    constexpr double kWindow = 5 * 60;
    return {kEndpointBurst, n / kWindow, kWindow};
}

RequestLimit RequestLimit::PerHour(double n) {
    constexpr double kWindow = 60 * 60;
    return {n, n / kWindow, kWindow};
}

long long RequestLimit::RetryAfterSeconds(double left) const {
    const double wait =
        refill_per_second > 0 ? std::ceil((-left) / refill_per_second) : window_seconds;
    return static_cast<long long>(std::max(1.0, wait));
}

BucketSweeper::BucketSweeper(
    apitask::WorkerPool& pool, std::function<void()> sweep, std::chrono::milliseconds interval
)
    : pool_(pool), sweep_(std::move(sweep)), interval_(interval) {}

void BucketSweeper::MaybeSweep() {
    const Clock::rep now = Clock::now().time_since_epoch().count();
    Clock::rep due = next_due_.load(std::memory_order_relaxed);
    const Clock::rep next = now + std::chrono::duration_cast<Clock::duration>(interval_).count();
    // Only the request that moves the due time forward queues the sweep.
    if (now < due || !next_due_.compare_exchange_strong(due, next)) {
        return;
    }
    try {
        // A deadline of now: never wait for room in the pool.
        pool_.Enqueue(
            apitask::Context({}, Clock::now(), nullptr),
            apitask::MakeTask(
                "ratelimit.sweep",
                [sweep = sweep_](const apitask::Context&) {
                    sweep();
                    return apitask::TaskResult::Ok();
                }
            )
        );
    } catch (const std::exception& error) {
        kLog.Debug("rate limit sweep skipped", {{"error", error.what()}});
    }
}

Handler Api::Limited(std::string bucket, double per_five_minutes, Handler handler) {
    if (deps_.config.rate_limit.header.empty()) {
        return handler;  // limits are off unless a client header is configured, as upstream
    }
    return [this, bucket = std::move(bucket), per_five_minutes, handler = std::move(handler)](
               Request& request
           ) {
        TakeClientToken(request, bucket, RequestLimit::PerFiveMinutes(per_five_minutes));
        return handler(request);
    };
}

void Api::TakeClientToken(
    const Request& request, const std::string& bucket, const RequestLimit& limit
) {
    if (deps_.config.rate_limit.header.empty()) {
        return;
    }
    bucket_sweeper_.MaybeSweep();
    const std::string key =
        "ip:" + bucket + ":" + ClientKey(request, deps_.config.rate_limit.header);
    storage::WithTransaction(deps_.database, [&](pqxx::work& tx) {
        const double left = models::TakeToken(tx, key, limit.burst, limit.refill_per_second);
        if (left < 0) {
            // Thrown inside the transaction: the refused take is rolled back.
            throw TooManyRequests(kOverRequestRateLimit, "Request rate limit reached")
                .WithHeader("Retry-After", std::to_string(limit.RetryAfterSeconds(left)));
        }
    });
}

std::function<void()> FullBucketSweep(storage::Database& database) {
    return [&database] {
        const long long deleted = storage::WithTransaction(database, [](pqxx::work& tx) {
            return models::DeleteFullBuckets(tx);
        });
        kLog.Debug("rate limit buckets swept", {{"deleted", deleted}});
    };
}

}  // namespace gotrue::api
