#include <spdlog/spdlog.h>

#include "cmd/commands.hpp"
#include "observability/logging.hpp"
#include "storage/database.hpp"
#include "storage/migration.hpp"
#include "storage/migrator.hpp"

namespace gotrue::cmd {

int Migrate(const conf::Config& config) {
    try {
        storage::Database database(config.db);
        database.Connect();
        auto lease = database.Acquire();
        storage::Migrator migrator(
            lease.Connection(), config.db.name_space, storage::EmbeddedMigrations()
        );
        const int applied = migrator.Apply();
        spdlog::info(
            "GoTrue migrations applied successfully component=migrate applied={} namespace={}",
            applied,
            config.db.name_space
        );
        return 0;
    } catch (const std::exception& error) {
        spdlog::error(
            "migration failed component=migrate error={}", observability::Quote(error.what())
        );
        return 1;
    }
}

}  // namespace gotrue::cmd
