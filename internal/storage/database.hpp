#pragma once

// storage: PostgreSQL access. A fixed-size pool of libpqxx connections (a connection and its
// transactions stay on one thread at a time), transactions scoped by WithTransaction, and the
// migration runner. Every connection's search_path is the auth namespace, so queries name
// tables without a schema, as GoTrue's do.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "conf/config.hpp"

namespace gotrue::storage {

// No connection became free within DbConfig::acquire_timeout (the API answers 503).
class PoolTimeoutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The database could not be reached at startup within the retry budget.
class ConnectError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Database final {
public:
    explicit Database(conf::DbConfig config);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Opens the first connection, retrying with exponential backoff for
    // connect_retry_duration (database still starting, wrong password being fixed...).
    // Throws ConnectError with the last libpq message.
    void Connect();

    // A connection borrowed from the pool; returned when the lease is destroyed.
    class Lease final {
    public:
        Lease(Database& database, std::unique_ptr<pqxx::connection> connection);
        ~Lease();
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        [[nodiscard]] pqxx::connection& Connection() { return *connection_; }

        // The connection broke: close it instead of returning it to the pool.
        void Discard() noexcept { discard_ = true; }

    private:
        Database* database_;
        std::unique_ptr<pqxx::connection> connection_;
        bool discard_ = false;
    };

    // Waits up to acquire_timeout for a connection; throws PoolTimeoutError.
    [[nodiscard]] Lease Acquire();

    [[nodiscard]] const conf::DbConfig& Config() const { return config_; }

    // Connections open right now (idle + leased). For tests and metrics.
    [[nodiscard]] int OpenConnections() const;

    // The pool right now, read together (README "Metrics").
    struct PoolStats {
        int open = 0;     // idle + in use
        int in_use = 0;   // leased
        int waiting = 0;  // callers of Acquire waiting for a connection
        int max = 0;      // max_pool_size
    };

    [[nodiscard]] PoolStats Stats() const;

    // Opens a connection outside the pool (migrations, tests) with the namespace set.
    [[nodiscard]] std::unique_ptr<pqxx::connection> OpenConnection() const;

private:
    void Release(std::unique_ptr<pqxx::connection> connection, bool discard) noexcept;

    conf::DbConfig config_;
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;  // Guarded by mutex_.
    int open_ = 0;                                         // Guarded by mutex_.
    int waiting_ = 0;                                      // Guarded by mutex_.
};

}  // namespace gotrue::storage
