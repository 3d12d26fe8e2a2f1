#pragma once

#include <utility>

#include "api/http_types.hpp"
#include "apitask/apitask.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {

// One database transaction of a request. Tasks the body starts through request.tasks are
// held until the commit and dropped if it rolls back (apitask::TransactionHook): mail for
// data that was never committed is never sent. The transaction goes through the request's commit
// gate: past the deadline it is cancelled and refused (apitask::CommitRefused, answered 504).
template <typename Body>
auto RequestTransaction(Request& request, storage::Database& database, Body&& body) {
    apitask::TransactionHook hook(request.tasks);
    if constexpr (std::is_void_v<std::invoke_result_t<Body&, pqxx::work&>>) {
        storage::WithTransaction(database, std::forward<Body>(body), request.tasks.Gate().get());
        hook.Committed();
    } else {
        auto result = storage::WithTransaction(
            database, std::forward<Body>(body), request.tasks.Gate().get()
        );
        hook.Committed();
        return result;
    }
}

}  // namespace gotrue::api
