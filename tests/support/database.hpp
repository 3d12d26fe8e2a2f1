#pragma once

// Scratch databases on the test cluster that scripts/test.sh starts
// (GOTRUE_TEST_DATABASE_URL), one per test so tests are independent and can run in parallel.

#include <chrono>
#include <string>

namespace gotrue::testing {

// The admin URL of the test cluster; fails the test when it is not set.
[[nodiscard]] std::string AdminDatabaseUrl();

class ScratchDatabase final {
public:
    ScratchDatabase();
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    [[nodiscard]] const std::string& Url() const { return url_; }

    [[nodiscard]] const std::string& Name() const { return name_; }

    // Runs SQL (several statements allowed) on this database as the superuser.
    void Execute(const std::string& sql) const;

    // The first column of the first row of `sql`, as text ("" for NULL or no row).
    [[nodiscard]] std::string Scalar(const std::string& sql) const;

    // Polls Scalar(sql) every 50 ms until it returns `expected` (true) or `timeout` passed.
    [[nodiscard]] bool WaitForScalar(
        const std::string& sql,
        const std::string& expected,
        std::chrono::milliseconds timeout = std::chrono::seconds(15)
    ) const;

private:
    std::string name_;
    std::string url_;
};

}  // namespace gotrue::testing
