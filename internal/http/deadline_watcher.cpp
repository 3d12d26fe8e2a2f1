#include "http/deadline_watcher.hpp"

#include <vector>

namespace gotrue::http {

DeadlineWatcher::DeadlineWatcher() : thread_([this](const std::stop_token& stop) { Loop(stop); }) {}

DeadlineWatcher::~DeadlineWatcher() {
    Stop();
}

DeadlineWatcher::Id DeadlineWatcher::Watch(
    Clock::time_point deadline, std::function<void()> on_expiry
) {
    Id id = 0;
    {
        const std::scoped_lock lock(mutex_);
        id = next_id_++;
        order_.emplace(deadline, id);
        entries_.emplace(id, Entry{deadline, std::move(on_expiry)});
    }
    changed_.notify_one();
    return id;
}

void DeadlineWatcher::Cancel(Id id) {
    const std::scoped_lock lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) {
        return;
    }
    order_.erase({it->second.deadline, id});
    entries_.erase(it);
}

void DeadlineWatcher::Stop() {
    thread_.request_stop();
    changed_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void DeadlineWatcher::Loop(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        if (order_.empty()) {
            changed_.wait(lock, stop, [this] { return !order_.empty(); });
            continue;
        }
        const auto next = order_.begin()->first;
        if (Clock::now() < next) {
            changed_.wait_until(lock, stop, next, [this, next] {
                return !order_.empty() && order_.begin()->first < next;
            });
            continue;
        }
        std::vector<std::function<void()>> due;
        const auto now = Clock::now();
        while (!order_.empty() && order_.begin()->first <= now) {
            const Id id = order_.begin()->second;
            order_.erase(order_.begin());
            auto node = entries_.extract(id);
            due.push_back(std::move(node.mapped().on_expiry));
        }
        lock.unlock();
        for (auto& on_expiry : due) {
            on_expiry();
        }
        lock.lock();
    }
}

}  // namespace gotrue::http
