#pragma once

#include <type_traits>
#include <utility>

#include <pqxx/pqxx>

#include "storage/database.hpp"

namespace gotrue::storage {

// Runs `body(pqxx::work&)` in one transaction on a pooled connection: commits when it returns,
// rolls back when it throws (the exception propagates). Nothing slow (SMTP, bcrypt) belongs
// inside: the body should return what the side work needs.
template <typename Body>
auto WithTransaction(Database& database, Body&& body) {
    auto lease = database.Acquire();
    try {
        pqxx::work tx(lease.Connection());
        if constexpr (std::is_void_v<std::invoke_result_t<Body&, pqxx::work&>>) {
            body(tx);
            tx.commit();
        } else {
            auto result = body(tx);
            tx.commit();
            return result;
        }
    } catch (const pqxx::broken_connection&) {
        lease.Discard();
        throw;
    }
}

}  // namespace gotrue::storage
