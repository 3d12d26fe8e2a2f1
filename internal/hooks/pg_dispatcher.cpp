// Postgres-function hooks (upstream's hookspgfunc.go): the function runs in the caller's
// transaction under a statement timeout, so a slow or failing function cannot hold the request
// and its effects commit or roll back with it.

#include <string>

#include "hooks/hook.hpp"

namespace gotrue::hooks {
namespace {

// set_config(..., true) is SET LOCAL with a bind parameter.
constexpr const char* kSetStatementTimeout =
    R"sql(SELECT set_config('statement_timeout', $1, true))sql";
constexpr const char* kResetStatementTimeout = R"sql(SET LOCAL statement_timeout TO DEFAULT)sql";
// The function's name is quoted by the connection (quote_name), after Validate restricted it to
// [A-Za-z_][A-Za-z0-9_]{0,62}; the input is a bind parameter.
constexpr const char* kCallPrefix = R"sql(SELECT )sql";
constexpr const char* kCallSuffix = R"sql(($1::jsonb)::text)sql";

// A statement timeout (57014), a lost connection (class 08), a deadlock or serialization
// failure (class 40) or an overloaded server (class 53): the function may succeed later; an
// exception it raises or a missing function will not.
bool IsTransient(const std::string& sqlstate) {
    return sqlstate == "57014" || sqlstate.starts_with("08") || sqlstate.starts_with("40") ||
           sqlstate.starts_with("53");
}

}  // namespace

std::string InvokePostgres(
    const Hook& hook, std::string_view input, pqxx::work& tx, const DispatchOptions& options
) {
    try {
        (void)tx.exec_params1(kSetStatementTimeout, std::to_string(options.pg_timeout.count()));
        const std::string call = kCallPrefix + tx.quote_name(hook.schema) + "." +
                                 tx.quote_name(hook.function) + kCallSuffix;
        const pqxx::row row = tx.exec_params1(call, std::string(input));
        tx.exec0(kResetStatementTimeout);
        return row[0].is_null() ? std::string() : row[0].as<std::string>();
    } catch (const pqxx::sql_error& error) {
        // upstream answers any failure of the call (missing function, exception, statement
        // timeout) with this 500; the transaction is aborted and rolls back.
        throw HookError(
            500,
            "",
            "Error running hook URI: " + hook.uri,
            error.what(),
            IsTransient(error.sqlstate()) ? Retry::kLater : Retry::kNever
        );
    } catch (const pqxx::broken_connection& error) {
        throw HookError(
            500, "", "Error running hook URI: " + hook.uri, error.what(), Retry::kLater
        );
    }
}

}  // namespace gotrue::hooks
