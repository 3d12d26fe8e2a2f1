#pragma once

#include <type_traits>
#include <utility>

#include <pqxx/pqxx>

#include "apitask/commit_gate.hpp"
#include "storage/database.hpp"

namespace gotrue::storage {

// A transaction's registration with a request's commit gate (apitask/commit_gate.hpp): while
// it lives, the deadline can cancel the statement running on the lease's connection. A
// connection that was sent a cancel request is closed instead of going back to the pool (the
// request may arrive late and would cancel another request's statement). Without a gate it
// does nothing.
class GatedTransaction final {
public:
    // Throws apitask::CommitRefused when the gate is already closed.
    GatedTransaction(apitask::CommitGate* gate, Database::Lease& lease);
    ~GatedTransaction();
    GatedTransaction(const GatedTransaction&) = delete;
    GatedTransaction& operator=(const GatedTransaction&) = delete;

    // Right before COMMIT: throws apitask::CommitRefused when the deadline closed the gate.
    void BeforeCommit();

    // The body failed: when the gate is closed, the failure is the cancelled statement (or
    // comes after it) and the request was answered 504: throw apitask::CommitRefused.
    void Failed();

private:
    apitask::CommitGate* gate_;
    Database::Lease& lease_;
    bool entered_ = false;
};

// Runs `body(pqxx::work&)` in one transaction on a pooled connection: commits when it returns,
// rolls back when it throws (the exception propagates). Nothing slow (SMTP, bcrypt) belongs
// inside: the body should return what the side work needs. With a commit gate, the COMMIT
// happens only if the gate lets it pass (GatedTransaction).
template <typename Body>
auto WithTransaction(Database& database, Body&& body, apitask::CommitGate* gate = nullptr) {
    if (gate != nullptr && gate->IsClosed()) {
        throw apitask::CommitRefused();  // not even a connection for a request answered 504
    }
    auto lease = database.Acquire();
    GatedTransaction gated(gate, lease);
    try {
        pqxx::work tx(lease.Connection());
        if constexpr (std::is_void_v<std::invoke_result_t<Body&, pqxx::work&>>) {
            body(tx);
            gated.BeforeCommit();
            tx.commit();
        } else {
            auto result = body(tx);
            gated.BeforeCommit();
            tx.commit();
            return result;
        }
    } catch (const pqxx::broken_connection&) {
        lease.Discard();
        throw;
    } catch (const pqxx::sql_error&) {
        gated.Failed();
        throw;
    }
}

}  // namespace gotrue::storage
