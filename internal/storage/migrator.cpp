#include "storage/migrator.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "logs/logs.hpp"

namespace gotrue::storage {

constexpr logs::Logger kLog{"migrate"};

Migrator::Migrator(
    pqxx::connection& connection, std::string name_space, std::vector<Migration> migrations
)
    : connection_(connection),
      name_space_(std::move(name_space)),
      migrations_(std::move(migrations)) {
    std::sort(migrations_.begin(), migrations_.end(), [](const Migration& a, const Migration& b) {
        return a.version < b.version;
    });
}

std::string Migrator::Render(const Migration& migration) const {
    std::string sql = migration.sql;
    for (auto pos = sql.find(kNamespacePlaceholder); pos != std::string::npos;
         pos = sql.find(kNamespacePlaceholder, pos + name_space_.size())) {
        sql.replace(pos, kNamespacePlaceholder.size(), name_space_);
    }
    if (sql.find("{{") != std::string::npos) {
        throw MigrationError(migration.name + ": unknown template placeholder");
    }
    return sql;
}

bool Migrator::TableExists(pqxx::transaction_base& tx, const std::string& table) {
    return tx
        .exec_params1(
            "SELECT to_regclass($1) IS NOT NULL", tx.quote_name(name_space_) + "." + table
        )[0]
        .as<bool>();
}

std::vector<std::string> Migrator::AppliedVersions(pqxx::transaction_base& tx) {
    std::vector<std::string> versions;
    if (!TableExists(tx, "schema_migrations")) {
        return versions;
    }
    for (const auto& row :
         tx.exec("SELECT version FROM " + tx.quote_name(name_space_) + ".schema_migrations")) {
        versions.push_back(row["version"].as<std::string>());
    }
    return versions;
}

std::vector<Migration> Migrator::Pending() {
    pqxx::read_transaction tx(connection_);
    const auto applied = AppliedVersions(tx);
    const std::set<std::string> done(applied.begin(), applied.end());
    std::vector<Migration> pending;
    for (const auto& migration : migrations_) {
        if (!done.contains(migration.version)) {
            pending.push_back(migration);
        }
    }
    return pending;
}

int Migrator::Apply() {
    // One runner at a time per namespace; a session lock survives the per-file transactions.
    const std::string lock_key = "'gotrue_migrations:" + name_space_ + "'";
    {
        pqxx::nontransaction lock(connection_);
        lock.exec("SELECT pg_advisory_lock(hashtext(" + lock_key + "))");
    }

    struct Unlock {  // NOLINT(cppcoreguidelines-special-member-functions): one local, never copied
        pqxx::connection& connection;
        std::string key;

        ~Unlock() {
            try {
                pqxx::nontransaction unlock(connection);
                unlock.exec("SELECT pg_advisory_unlock(hashtext(" + key + "))");
            } catch (const std::exception&) {
                // The lock dies with the session anyway.
            }
        }
    } const unlock{connection_, lock_key};

    const std::string schema = connection_.quote_name(name_space_);
    {
        pqxx::work tx(connection_);
        tx.exec0("CREATE SCHEMA IF NOT EXISTS " + schema);
        tx.exec0(
            "CREATE TABLE IF NOT EXISTS " + schema +
            ".schema_migrations (version character varying(255) NOT NULL, "
            "CONSTRAINT schema_migrations_pkey PRIMARY KEY (version))"
        );
        tx.commit();
    }

    int applied = 0;
    for (const auto& migration : Pending()) {
        const auto started = std::chrono::steady_clock::now();
        pqxx::work tx(connection_);
        if (migration.version == kBaselineVersion && TableExists(tx, "users")) {
            const auto versions = AppliedVersions(tx);
            const std::string latest =
                versions.empty() ? "none" : *std::max_element(versions.begin(), versions.end());
            throw MigrationError(
                "schema \"" + name_space_ + "\" already holds GoTrue tables migrated only up to " +
                latest + "; upgrade it with GoTrue (release v2.196.0 or later, migration " +
                std::string(kBaselineVersion) + ") first, or use an empty schema"
            );
        }
        try {
            tx.exec(Render(migration));
            tx.exec_params0(
                "INSERT INTO " + schema + ".schema_migrations (version) VALUES ($1)",
                migration.version
            );
            tx.commit();
        } catch (const pqxx::sql_error& error) {
            throw MigrationError("migration " + migration.name + " failed: " + error.what());
        }
        ++applied;
        kLog.Info(
            "migration applied",
            {{"version", migration.version},
             {"name", migration.name},
             {"duration_ms",
              std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started
              )
                  .count()}}
        );
    }
    return applied;
}

}  // namespace gotrue::storage
