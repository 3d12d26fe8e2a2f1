#include "support/database.hpp"

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace gotrue::testing {
namespace {

// postgres://user@host:port/db?params -> the same URL for database `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
    const auto scheme = url.find("://");
    const auto slash = url.find('/', scheme + 3);
    const auto query = url.find('?', slash);
    return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string AdminDatabaseUrl() {
    const char* url = std::getenv("GOTRUE_TEST_DATABASE_URL");
    if (url == nullptr || *url == '\0') {
        throw std::runtime_error(
            "GOTRUE_TEST_DATABASE_URL is not set: run the tests with `make test` (scripts/test.sh)"
        );
    }
    return url;
}

ScratchDatabase::ScratchDatabase() {
    std::random_device random;
    name_ = "t_" + std::to_string(random()) + std::to_string(random());
    pqxx::connection admin(AdminDatabaseUrl());
    pqxx::nontransaction tx(admin);
    tx.exec0("CREATE DATABASE " + tx.quote_name(name_));
    url_ = WithDatabase(AdminDatabaseUrl(), name_);
}

ScratchDatabase::~ScratchDatabase() {
    try {
        pqxx::connection admin(AdminDatabaseUrl());
        pqxx::nontransaction tx(admin);
        tx.exec0("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (const std::exception&) {
        // The cluster is thrown away after the run anyway.
    }
}

void ScratchDatabase::Execute(const std::string& sql) const {
    pqxx::connection connection(url_);
    pqxx::nontransaction tx(connection);
    tx.exec(sql);
}

bool ScratchDatabase::WaitForScalar(
    const std::string& sql, const std::string& expected, std::chrono::milliseconds timeout
) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Scalar(sql) != expected) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::string ScratchDatabase::Scalar(const std::string& sql) const {
    pqxx::connection connection(url_);
    pqxx::nontransaction tx(connection);
    const auto result = tx.exec(sql);
    if (result.empty() || result[0][0].is_null()) {
        return {};
    }
    return result[0][0].as<std::string>();
}

}  // namespace gotrue::testing
