#include "http/intake.hpp"

namespace gotrue::http {

bool Intake::TryOpenConnection() {
    std::size_t open = connections_.load();
    do {
        if (open >= max_connections_) {
            return false;
        }
    } while (!connections_.compare_exchange_weak(open, open + 1));
    return true;
}

void Intake::CloseConnection() {
    connections_.fetch_sub(1);
}

std::shared_ptr<void> Intake::TryReserve(std::size_t bytes) {
    const std::size_t cost = 2 * bytes;
    std::size_t used = buffered_.load();
    do {
        if (bytes > kAlwaysAdmittedBytes && used + cost > max_buffered_bytes_) {
            return nullptr;
        }
    } while (!buffered_.compare_exchange_weak(used, used + cost));
    // The handle keeps the Intake alive: a reservation can outlive the server's connections.
    // Non-null (it points at this Intake) so callers can test it; the deleter only gives back.
    return std::shared_ptr<void>(
        static_cast<void*>(this),
        [self = shared_from_this(), cost](void*) { self->buffered_.fetch_sub(cost); }
    );
}

}  // namespace gotrue::http
