#include "api/services/sweeper.hpp"

#include <exception>
#include <utility>

#include "apitask/task.hpp"
#include "logs/logs.hpp"
#include "models/user.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

constexpr logs::Logger kLog{"api"};

}  // namespace

Sweeper::Sweeper(
    std::string name,
    apitask::WorkerPool& pool,
    std::function<void()> sweep,
    std::chrono::milliseconds interval
)
    : name_(std::move(name)), pool_(pool), sweep_(std::move(sweep)), interval_(interval) {}

void Sweeper::MaybeSweep() {
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
                name_,
                [sweep = sweep_](const apitask::Context&) {
                    sweep();
                    return apitask::TaskResult::Ok();
                }
            )
        );
    } catch (const std::exception& error) {
        kLog.Debug("sweep skipped", {{"sweep", name_}, {"error", error.what()}});
    }
}

std::function<void()> StaleAnonymousUserSweep(storage::Database& database) {
    return [&database] {
        const long long deleted = storage::WithTransaction(database, [](pqxx::work& tx) {
            return models::DeleteStaleAnonymousUsers(
                tx, kAnonymousUserLifetime, kAnonymousUsersPerSweep
            );
        });
        kLog.Debug("stale anonymous users deleted", {{"deleted", deleted}});
    };
}

}  // namespace gotrue::api
