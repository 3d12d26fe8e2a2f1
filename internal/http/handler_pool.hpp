#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gotrue::http {

// The threads that run request handlers. Handlers block (database, bcrypt), so they run here
// and never on Pistache's reactor threads, which only parse requests and write responses.
// The queue is bounded: when it is full TryPost refuses and the server answers 503.
class HandlerPool final {
public:
    HandlerPool(int threads, std::size_t capacity);
    ~HandlerPool();
    HandlerPool(const HandlerPool&) = delete;
    HandlerPool& operator=(const HandlerPool&) = delete;

    // False when the queue is full or the pool is stopping.
    [[nodiscard]] bool TryPost(std::function<void()> job);

    // Runs what is queued, then joins the threads.
    void Stop();

    [[nodiscard]] std::size_t Threads() const noexcept { return thread_count_; }

    [[nodiscard]] std::size_t Capacity() const noexcept { return capacity_; }

private:
    void Work();

    std::size_t capacity_;
    std::size_t thread_count_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;  // Guarded by mutex_.
    bool stopping_ = false;                    // Guarded by mutex_.
    std::vector<std::jthread> threads_;        // Written only in the constructor and Stop().
};

}  // namespace gotrue::http
