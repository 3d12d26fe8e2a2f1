#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "storage/migration.hpp"

namespace gotrue::storage {

class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The namespace placeholder GoTrue's migration templates use; ours use it too.
inline constexpr std::string_view kNamespacePlaceholder = R"({{ index .Options "Namespace" }})";

// The migration that creates GoTrue's final schema in one step. Its version is GoTrue's latest
// migration, so a database GoTrue migrated already counts it as applied (docs/database.md).
inline constexpr std::string_view kBaselineVersion = "20260625000000";

// Applies `migrations` in version order, each in its own transaction, recording each version
// in <namespace>.schema_migrations. Concurrent runners serialise on an advisory lock.
class Migrator final {
public:
    Migrator(
        pqxx::connection& connection, std::string name_space, std::vector<Migration> migrations
    );

    // Versions not yet recorded, in order.
    [[nodiscard]] std::vector<Migration> Pending();

    // Applies every pending migration and returns how many it applied. Refuses (MigrationError)
    // a namespace holding GoTrue tables from a release older than the baseline.
    int Apply();

    // The SQL of `migration` with the namespace substituted.
    [[nodiscard]] std::string Render(const Migration& migration) const;

private:
    [[nodiscard]] std::vector<std::string> AppliedVersions(pqxx::transaction_base& tx);
    [[nodiscard]] bool TableExists(pqxx::transaction_base& tx, const std::string& table);

    pqxx::connection& connection_;
    std::string name_space_;
    std::vector<Migration> migrations_;
};

}  // namespace gotrue::storage
