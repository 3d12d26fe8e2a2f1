#pragma once

// The HTTP server: a Pistache endpoint whose reactor threads only parse requests and write
// responses; handlers run on a HandlerPool so a slow database call or bcrypt never stalls
// other connections. Counts in-flight requests so shutdown can drain them (Pistache does not),
// and answers 504 for requests past the deadline while their handler keeps running.

#include <chrono>
#include <cstdint>
#include <memory>

#include "api/http.hpp"
#include "conf/config.hpp"

namespace gotrue::api {

class Server final {
public:
    // `handler` runs on the handler threads and must not throw (Api::Handle never does).
    Server(const conf::ApiConfig& config, Handler handler);
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

    // Closes the endpoint and joins every thread. Call after Drain.
    void Stop();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gotrue::api
