#include "http/handler_pool.hpp"

#include <algorithm>
#include <utility>

#include "logs/logs.hpp"

namespace gotrue::http {

HandlerPool::HandlerPool(int threads, std::size_t capacity)
    : capacity_(capacity), thread_count_(static_cast<std::size_t>(std::max(threads, 0))) {
    logs::PrepareForThreads();  // before the threads that log (see logs.hpp)
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { Work(); });
    }
}

HandlerPool::~HandlerPool() {
    Stop();
}

bool HandlerPool::TryPost(std::function<void()> job) {
    {
        const std::scoped_lock lock(mutex_);
        if (stopping_ || queue_.size() >= capacity_) {
            return false;
        }
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void HandlerPool::Stop() {
    {
        const std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

void HandlerPool::Work() {
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping and nothing left
            }
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();  // jobs catch their own exceptions (the server's handler never throws)
    }
}

}  // namespace gotrue::http
