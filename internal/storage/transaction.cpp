#include "storage/transaction.hpp"

#include <exception>

#include "logs/logs.hpp"

namespace gotrue::storage {
namespace {

constexpr logs::Logger kLog{"storage"};

}  // namespace

GatedTransaction::GatedTransaction(apitask::CommitGate* gate, Database::Lease& lease)
    : gate_(gate), lease_(lease) {
    if (gate_ == nullptr) {
        return;
    }
    // Called on another thread while this one waits for its statement. libpq documents
    // PQcancel as safe there; PQgetCancel (inside cancel_query) only reads what the connection
    // fixed at connect time.
    pqxx::connection& connection = lease_.Connection();
    entered_ = gate_->Enter([&connection] {
        try {
            connection.cancel_query();
        } catch (const std::exception& error) {
            kLog.Warn("statement cancel failed", {{"error", error.what()}});
        }
    });
    if (!entered_ && gate_->IsClosed()) {
        throw apitask::CommitRefused();
    }
}

GatedTransaction::~GatedTransaction() {
    if (entered_ && gate_->Leave()) {
        lease_.Discard();
    }
}

void GatedTransaction::BeforeCommit() {
    if (gate_ != nullptr && !gate_->Pass()) {
        throw apitask::CommitRefused();
    }
}

void GatedTransaction::Failed() {
    if (gate_ != nullptr && gate_->IsClosed()) {
        throw apitask::CommitRefused();
    }
}

}  // namespace gotrue::storage
