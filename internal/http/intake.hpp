#pragma once

// What clients can make the server hold before a handler has answered: open connections, and the
// bytes of requests being received or waiting for a handler thread. Without a bound, 150 clients
// that send most of a 2 MiB body and then stall held 544 MB for 30 s. Shared by every reactor
// thread (lock-free counters).

#include <atomic>
#include <cstddef>
#include <memory>

namespace gotrue::http {

class Intake final : public std::enable_shared_from_this<Intake> {
public:
    // Requests this small are admitted even when the byte budget is spent, so a few large
    // uploads cannot lock out ordinary API calls (their cost stays bounded by the connection
    // cap times this size).
    static constexpr std::size_t kAlwaysAdmittedBytes = 64 * 1024;

    Intake(std::size_t max_connections, std::size_t max_buffered_bytes)
        : max_connections_(max_connections), max_buffered_bytes_(max_buffered_bytes) {}

    // False when the connection cap is reached (the caller refuses the connection).
    [[nodiscard]] bool TryOpenConnection();
    void CloseConnection();

    // Holds what a request of `bytes` costs (twice its size: Pistache keeps a message in its
    // parse buffer and again as the body string; measured, 150 stalled 1 MB bodies cost about
    // 2 MB each) until the returned handle is released; null when refused.
    [[nodiscard]] std::shared_ptr<void> TryReserve(std::size_t bytes);

private:
    const std::size_t max_connections_;
    const std::size_t max_buffered_bytes_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> buffered_{0};
};

}  // namespace gotrue::http
