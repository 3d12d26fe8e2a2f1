#pragma once

// The HTTP server: a Pistache endpoint whose reactor threads only parse requests and write
// responses; handlers run on a HandlerPool so a slow database call or bcrypt never stalls
// other connections. Counts in-flight requests so shutdown can drain them (Pistache does not),
// and answers 504 for requests past the deadline while their handler keeps running.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "conf/config.hpp"
#include "http/http.hpp"

namespace gotrue::http {

// Requests that hash a password run on threads of their own: bcrypt is slow on purpose, and a
// flood of wrong-password sign-ins on the shared threads left /health waiting seconds behind it.
// The lane's queue is bounded; a request beyond it is answered 503 with Retry-After at once,
// without taking any thread, while the other handler threads keep serving everything else.
struct HashingLane {
    std::function<bool(const Request&)> selects;  // null: no lane, one pool for everything
    int threads = 8;
    std::size_t queue_size = 64;

    // Four threads per bcrypt allowed at once (`concurrent_hashes`, as the password hasher
    // admits them: one hashing, the others waiting their turn) and a queue of 32 per hash,
    // about 1 s of work at cost 10.
    [[nodiscard]] static HashingLane For(
        std::function<bool(const Request&)> selects, int concurrent_hashes
    );
};

// What the server runs with and holds now: for the startup log and /metrics (cmd/metrics.cpp).
struct ServerStats {
    std::size_t handler_threads = 0;
    std::size_t hashing_threads = 0;  // the hashing lane; 0 without one
    std::size_t hashing_queue = 0;
    int in_flight = 0;                  // accepted and not yet answered (what Drain waits for)
    std::size_t waiting_for_tasks = 0;  // of those: responses waiting for request-scoped tasks
};

class Server final {
public:
    // `handler` runs on the handler threads and must not throw (Api::Handle never does); the
    // server knows nothing else of the application.
    Server(const conf::ApiConfig& config, Handler handler, HashingLane lane = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds GOTRUE_API_HOST:PORT and serves on background threads. Throws on bind failure.
    void Start();

    // The bound port (useful with port 0).
    [[nodiscard]] std::uint16_t Port() const;

    // Stops taking new requests (they get 503) and waits up to `timeout` for in-flight ones
    // to finish and be written. True when everything drained.
    [[nodiscard]] bool Drain(std::chrono::milliseconds timeout);

    [[nodiscard]] int InFlight() const;

    [[nodiscard]] ServerStats Stats() const;

    // Closes the endpoint and joins every thread. Call after Drain.
    void Stop();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gotrue::http
