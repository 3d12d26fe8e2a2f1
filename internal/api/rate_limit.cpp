// Per-client request limits (contract §2.1 "IP rate limits"), active when GOTRUE_RATE_LIMIT_HEADER
// names the header that identifies a client. The buckets live in auth.rate_limit_buckets, so
// several server instances enforce one limit.

#include <cmath>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "models/rate_limit_bucket.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

constexpr double kBurst = 30;              // GoTrue's burst for every endpoint limiter
constexpr double kWindowSeconds = 5 * 60;  // limits are "N per 5 minutes"

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
    return value.substr(0, 256);
}

}  // namespace

Handler Api::Limited(std::string bucket, double per_five_minutes, Handler handler) {
    if (deps_.config.rate_limit.header.empty()) {
        return handler;  // limits are off unless a client header is configured, as upstream
    }
    return [this, bucket = std::move(bucket), per_five_minutes, handler = std::move(handler)](
               Request& request
           ) {
        const double refill = per_five_minutes / kWindowSeconds;
        const std::string key =
            "ip:" + bucket + ":" + ClientKey(request, deps_.config.rate_limit.header);
        storage::WithTransaction(deps_.database, [&](pqxx::work& tx) {
            const double left = models::TakeToken(tx, key, kBurst, refill);
            if (left < 0) {
                // Thrown inside the transaction: the refused take is rolled back.
                const double wait = refill > 0 ? std::ceil((-left) / refill) : 300;
                throw TooManyRequests(kOverRequestRateLimit, "Request rate limit reached")
                    .WithHeader(
                        "Retry-After", std::to_string(static_cast<long long>(std::max(1.0, wait)))
                    );
            }
        });
        return handler(request);
    };
}

}  // namespace gotrue::api
