// The connection pool and transactions against the real test cluster.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <pqxx/pqxx>

#include "api/services/transaction.hpp"
#include "apitask/apitask.hpp"
#include "apitask/commit_gate.hpp"
#include "conf/config.hpp"
#include "models/sql.hpp"
#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "support/database.hpp"

using namespace std::chrono_literals;
using gotrue::storage::Database;
using gotrue::storage::WithTransaction;
using gotrue::testing::ScratchDatabase;

namespace {

gotrue::conf::DbConfig PoolConfig(const std::string& url, int size) {
    gotrue::conf::DbConfig config;
    config.url = url;
    config.max_pool_size = size;
    config.acquire_timeout = 200ms;
    config.connect_retry_duration = 1s;
    return config;
}

}  // namespace

TEST_SUITE("storage") {
    TEST_CASE("a transaction commits when the body returns and rolls back when it throws") {
        const ScratchDatabase scratch;
        scratch.Execute("CREATE SCHEMA auth; CREATE TABLE auth.items (name text)");
        Database database(PoolConfig(scratch.Url(), 2));
        database.Connect();
        WithTransaction(database, [](pqxx::work& tx) {
            tx.exec0("INSERT INTO items VALUES ('kept')");
        });
        CHECK_THROWS_AS(
            WithTransaction(
                database,
                [](pqxx::work& tx) {
                    tx.exec0("INSERT INTO items VALUES ('dropped')");
                    throw std::runtime_error("handler failed");
                }
            ),
            std::runtime_error
        );
        const auto count = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SELECT count(*) FROM items")[0].as<int>();
        });
        CHECK(count == 1);
    }

    TEST_CASE("a full pool makes Acquire fail after the timeout instead of hanging") {
        const ScratchDatabase scratch;
        Database database(PoolConfig(scratch.Url(), 1));
        database.Connect();
        auto held = database.Acquire();
        const auto started = std::chrono::steady_clock::now();
        CHECK_THROWS_AS(static_cast<void>(database.Acquire()), gotrue::storage::PoolTimeoutError);
        const auto waited = std::chrono::steady_clock::now() - started;
        CHECK(waited >= 150ms);
        CHECK(waited < 5s);
    }

    TEST_CASE("pool stats count leased connections and callers waiting for one") {
        const ScratchDatabase scratch;
        auto config = PoolConfig(scratch.Url(), 1);
        config.acquire_timeout = 3s;
        Database database(config);
        database.Connect();
        CHECK(database.Stats().in_use == 0);
        CHECK(database.Stats().max == 1);
        auto held = std::make_unique<Database::Lease>(database.Acquire());
        CHECK(database.Stats().open == 1);
        CHECK(database.Stats().in_use == 1);
        CHECK(database.Stats().waiting == 0);
        std::thread waiter([&database] { static_cast<void>(database.Acquire()); });
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (database.Stats().waiting == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(5ms);
        }
        CHECK(database.Stats().waiting == 1);
        held.reset();
        waiter.join();
        CHECK(database.Stats().waiting == 0);
        CHECK(database.Stats().in_use == 0);
        CHECK(database.Stats().open == 1);
    }

    TEST_CASE("a broken connection is replaced, not handed out again") {
        const ScratchDatabase scratch;
        Database database(PoolConfig(scratch.Url(), 1));
        database.Connect();
        const int pid = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        });
        scratch.Execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        CHECK_THROWS(WithTransaction(database, [](pqxx::work& tx) { tx.exec0("SELECT 1"); }));
        const int new_pid = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        });
        CHECK(new_pid != pid);
        CHECK(database.OpenConnections() == 1);
    }

    TEST_CASE("model statements are prepared once per connection, then only executed") {
        const ScratchDatabase scratch;
        Database database(PoolConfig(scratch.Url(), 1));
        database.Connect();
        static constexpr std::string_view kIncrement = "SELECT $1::int + 1 AS next";
        static constexpr std::string_view kNoRows = "SELECT 1 WHERE $1::int < 0";
        const auto prepared = [](pqxx::work& tx) {
            return tx
                .exec1(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement = " +
                    tx.quote(std::string(kIncrement))
                )[0]
                .as<int>();
        };
        const int pid = WithTransaction(database, [&](pqxx::work& tx) {
            CHECK(prepared(tx) == 0);
            CHECK(gotrue::models::sql::Exec1(tx, kIncrement, 41)["next"].as<int>() == 42);
            CHECK(gotrue::models::sql::Exec(tx, kIncrement, 1).size() == 1);
            CHECK(gotrue::models::sql::Exec0(tx, kNoRows, 1).empty());
            CHECK(prepared(tx) == 1);
            return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        });
        // A later transaction on the same connection executes the statement prepared there.
        WithTransaction(database, [&](pqxx::work& tx) {
            CHECK(gotrue::models::sql::Exec1(tx, kIncrement, 1)["next"].as<int>() == 2);
            CHECK(prepared(tx) == 1);
        });
        // The row-count expectations of exec_params0/1 hold.
        CHECK_THROWS_AS(
            WithTransaction(
                database, [&](pqxx::work& tx) { gotrue::models::sql::Exec0(tx, kIncrement, 1); }
            ),
            pqxx::unexpected_rows
        );
        CHECK_THROWS_AS(
            WithTransaction(
                database, [&](pqxx::work& tx) { gotrue::models::sql::Exec1(tx, kNoRows, 1); }
            ),
            pqxx::unexpected_rows
        );
        // A replacement connection prepares it again.
        scratch.Execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        CHECK_THROWS(WithTransaction(database, [](pqxx::work& tx) { tx.exec0("SELECT 1"); }));
        WithTransaction(database, [&](pqxx::work& tx) {
            CHECK(prepared(tx) == 0);
            CHECK(gotrue::models::sql::Exec1(tx, kIncrement, 9)["next"].as<int>() == 10);
            CHECK(prepared(tx) == 1);
        });
    }

    TEST_CASE("connections use the auth namespace as search_path") {
        const ScratchDatabase scratch;
        auto config = PoolConfig(scratch.Url(), 1);
        config.name_space = "my_ns";
        Database database(config);
        database.Connect();
        const auto path = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SHOW search_path")[0].as<std::string>();
        });
        CHECK(path == "my_ns, public");
    }
}

TEST_SUITE("request transactions and tasks") {
    TEST_CASE("a task started inside a committed transaction runs after the commit, not before") {
        const ScratchDatabase scratch;
        scratch.Execute("CREATE SCHEMA auth; CREATE TABLE auth.items (name text)");
        Database database(PoolConfig(scratch.Url(), 2));
        database.Connect();
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        gotrue::api::Request request;
        request.tasks = gotrue::apitask::Context("req", std::nullopt, &pool).WithWorker();
        std::atomic<int> rows_seen_by_task{-1};
        gotrue::api::RequestTransaction(request, database, [&](pqxx::work& tx) {
            tx.exec0("INSERT INTO items VALUES ('signup')");
            static_cast<void>(gotrue::apitask::Run(
                request.tasks,
                gotrue::apitask::MakeTask(
                    "mailer.confirmation",
                    [&](const gotrue::apitask::Context&) {
                        // Runs after the commit: another connection already sees the row.
                        rows_seen_by_task =
                            std::stoi(scratch.Scalar("SELECT count(*) FROM auth.items"));
                        return gotrue::apitask::TaskResult::Ok();
                    }
                )
            ));
            std::this_thread::sleep_for(50ms);  // a task started early would run now
        });
        gotrue::apitask::Wait(request.tasks);
        CHECK(rows_seen_by_task.load() == 1);
    }

    TEST_CASE("a rolled-back transaction drops its tasks") {
        const ScratchDatabase scratch;
        scratch.Execute("CREATE SCHEMA auth; CREATE TABLE auth.items (name text)");
        Database database(PoolConfig(scratch.Url(), 2));
        database.Connect();
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 16});
        gotrue::api::Request request;
        request.tasks = gotrue::apitask::Context("req", std::nullopt, &pool).WithWorker();
        std::atomic<int> ran{0};
        CHECK_THROWS_AS(
            gotrue::api::RequestTransaction(
                request,
                database,
                [&](pqxx::work& tx) {
                    tx.exec0("INSERT INTO items VALUES ('signup')");
                    static_cast<void>(gotrue::apitask::Run(
                        request.tasks,
                        gotrue::apitask::MakeTask(
                            "mailer.confirmation",
                            [&](const gotrue::apitask::Context&) {
                                ++ran;
                                return gotrue::apitask::TaskResult::Ok();
                            }
                        )
                    ));
                    tx.exec0("INSERT INTO no_such_table VALUES (1)");  // fails: rollback
                }
            ),
            pqxx::sql_error
        );
        gotrue::apitask::Wait(request.tasks);
        CHECK(ran.load() == 0);
        CHECK(scratch.Scalar("SELECT count(*) FROM auth.items") == "0");
        CHECK(pool.GetMetrics().Read().dropped_on_rollback == 1);
    }
}

namespace {

// A scratch database with auth.items and a pool of one connection on it.
struct Items {
    Items() : database(PoolConfig(scratch.Url(), 1)) {
        scratch.Execute("CREATE SCHEMA auth; CREATE TABLE auth.items (name text)");
        database.Connect();
    }

    ScratchDatabase scratch;
    Database database;
};

}  // namespace

TEST_SUITE("transactions behind a commit gate") {
    using gotrue::apitask::CommitGate;
    using gotrue::apitask::CommitRefused;

    TEST_CASE("a gate closed before the commit: refused, nothing kept, later ones never start") {
        Items items;
        auto& [scratch, database] = items;
        CommitGate gate;
        CHECK_THROWS_AS(
            WithTransaction(
                database,
                [&gate](pqxx::work& tx) {
                    tx.exec0("INSERT INTO items VALUES ('late')");
                    CHECK(gate.Close());  // the deadline passes while the body runs
                },
                &gate
            ),
            CommitRefused
        );
        CHECK(scratch.Scalar("SELECT count(*) FROM auth.items") == "0");
        // Refused at once, without waiting for a connection (the only one is taken).
        auto held = database.Acquire();
        CHECK_THROWS_AS(
            WithTransaction(
                database, [](pqxx::work& tx) { tx.exec0("SELECT 1"); }, &gate
            ),
            CommitRefused
        );
    }

    TEST_CASE("once a transaction passed the gate the request is committed: later ones commit") {
        Items items;
        auto& [scratch, database] = items;
        CommitGate gate;
        WithTransaction(
            database, [](pqxx::work& tx) { tx.exec0("INSERT INTO items VALUES ('first')"); }, &gate
        );
        CHECK_FALSE(gate.Close());  // the deadline finds the request committed
        WithTransaction(
            database, [](pqxx::work& tx) { tx.exec0("INSERT INTO items VALUES ('second')"); }, &gate
        );
        CHECK(scratch.Scalar("SELECT count(*) FROM auth.items") == "2");
    }

    TEST_CASE("closing cancels the running statement: its connection is closed, not reused") {
        Items items;
        auto& [scratch, database] = items;
        const int pid = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        });
        CommitGate gate;
        std::thread deadline([&gate] {
            std::this_thread::sleep_for(300ms);
            CHECK(gate.Close());
            gate.CancelRunning();
        });
        const auto started = std::chrono::steady_clock::now();
        CHECK_THROWS_AS(
            WithTransaction(
                database,
                [](pqxx::work& tx) {
                    tx.exec0("INSERT INTO items VALUES ('slow')");
                    tx.exec0("SELECT pg_sleep(20)");
                },
                &gate
            ),
            CommitRefused
        );
        CHECK(std::chrono::steady_clock::now() - started < 5s);
        deadline.join();
        CHECK(scratch.Scalar("SELECT count(*) FROM auth.items") == "0");
        const int new_pid = WithTransaction(database, [](pqxx::work& tx) {
            return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        });
        CHECK(new_pid != pid);
        CHECK(database.OpenConnections() == 1);
    }
}
