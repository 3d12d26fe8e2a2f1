#include "storage/database.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "logs/logs.hpp"

namespace gotrue::storage {
namespace {

constexpr logs::Logger kLog{"storage"};

// libpq messages end in newlines; log lines should not.
std::string OneLine(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

}  // namespace

Database::Database(conf::DbConfig config) : config_(std::move(config)) {}

Database::~Database() = default;

std::unique_ptr<pqxx::connection> Database::OpenConnection() const {
    auto connection = std::make_unique<pqxx::connection>(config_.url);
    pqxx::nontransaction setup(*connection);
    setup.exec0("SET search_path TO " + connection->quote_name(config_.name_space) + ", public");
    setup.exec0("SET application_name TO 'gotrue'");
    return connection;
}

void Database::Connect() {
    const auto deadline = std::chrono::steady_clock::now() + config_.connect_retry_duration;
    auto backoff = std::chrono::milliseconds(100);
    for (int attempt = 1;; ++attempt) {
        try {
            auto connection = OpenConnection();
            const std::scoped_lock lock(mutex_);
            idle_.push_back(std::move(connection));
            ++open_;
            return;
        } catch (const std::exception& error) {
            const std::string message = OneLine(error.what());
            if (std::chrono::steady_clock::now() + backoff > deadline) {
                throw ConnectError(
                    "cannot connect to the database after " + std::to_string(attempt) +
                    " attempts: " + message
                );
            }
            kLog.Warn(
                "database not reachable, retrying",
                {{"attempt", attempt}, {"retry_in_ms", backoff.count()}, {"error", message}}
            );
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        }
    }
}

Database::Lease Database::Acquire() {
    std::unique_lock lock(mutex_);
    const auto free = [this] {
        return !idle_.empty() || open_ < config_.max_pool_size;
    };
    bool available = free();
    if (!available) {
        ++waiting_;
        available = released_.wait_for(lock, config_.acquire_timeout, free);
        --waiting_;
    }
    if (!available) {
        throw PoolTimeoutError(
            "no database connection free within " +
            std::to_string(config_.acquire_timeout.count()) + " ms (pool size " +
            std::to_string(config_.max_pool_size) + ")"
        );
    }
    if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(connection));
    }
    ++open_;  // reserve the slot, then connect without holding the lock
    lock.unlock();
    try {
        return Lease(*this, OpenConnection());
    } catch (...) {
        lock.lock();
        --open_;
        released_.notify_one();
        throw;
    }
}

int Database::OpenConnections() const {
    const std::scoped_lock lock(mutex_);
    return open_;
}

Database::PoolStats Database::Stats() const {
    const std::scoped_lock lock(mutex_);
    const int idle = static_cast<int>(idle_.size());
    return PoolStats{open_, open_ - idle, waiting_, config_.max_pool_size};
}

void Database::Release(std::unique_ptr<pqxx::connection> connection, bool discard) noexcept {
    const bool keep = !discard && connection && connection->is_open();
    if (!keep) {
        connection.reset();  // close outside the lock
    }
    {
        const std::scoped_lock lock(mutex_);
        if (keep) {
            idle_.push_back(std::move(connection));
        } else {
            --open_;
        }
    }
    released_.notify_one();
}

Database::Lease::Lease(Database& database, std::unique_ptr<pqxx::connection> connection)
    : database_(&database), connection_(std::move(connection)) {}

Database::Lease::Lease(Lease&& other) noexcept
    : database_(std::exchange(other.database_, nullptr)),
      connection_(std::move(other.connection_)),
      discard_(other.discard_) {}

Database::Lease::~Lease() {
    if (database_ != nullptr) {
        database_->Release(std::move(connection_), discard_);
    }
}

}  // namespace gotrue::storage
