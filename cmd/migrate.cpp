#include "cmd/commands.hpp"
#include "logs/logs.hpp"
#include "storage/database.hpp"
#include "storage/migration.hpp"
#include "storage/migrator.hpp"

namespace gotrue::cmd {

constexpr logs::Logger kLog{"migrate"};

int Migrate(const conf::Config& config) {
    try {
        storage::Database database(config.db);
        database.Connect();
        auto lease = database.Acquire();
        storage::Migrator migrator(
            lease.Connection(), config.db.name_space, storage::EmbeddedMigrations()
        );
        const int applied = migrator.Apply();
        kLog.Info(
            "GoTrue migrations applied successfully",
            {{"applied", applied}, {"namespace", config.db.name_space}}
        );
        return 0;
    } catch (const std::exception& error) {
        kLog.Error("migration failed", {{"error", error.what()}});
        return 1;
    }
}

}  // namespace gotrue::cmd
