#include "apitask/context.hpp"

#include <stdexcept>
#include <utility>

#include "apitask/request_worker.hpp"

namespace gotrue::apitask {

Context::Context(
    std::string request_id, std::optional<Clock::time_point> deadline, WorkerPool* pool
)
    : request_id_(std::move(request_id)), deadline_(deadline), pool_(pool) {}

Context Context::WithWorker() const {
    if (pool_ == nullptr) {
        throw std::logic_error("apitask: a request worker needs a worker pool to run on");
    }
    Context copy = *this;
    if (!copy.worker_) {
        copy.worker_ = std::make_shared<RequestWorker>();
    }
    return copy;
}

Context Context::WithDeadline(std::optional<Clock::time_point> deadline) const {
    Context copy = *this;
    copy.deadline_ = deadline;
    return copy;
}

Context Context::WithoutWorker() const {
    Context copy = *this;
    copy.worker_.reset();
    return copy;
}

Context Context::WithCommitGate(std::shared_ptr<CommitGate> gate) const {
    Context copy = *this;
    copy.gate_ = std::move(gate);
    return copy;
}

}  // namespace gotrue::apitask
