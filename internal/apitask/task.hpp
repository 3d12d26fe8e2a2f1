#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace gotrue::apitask {

class Context;

// What a task reports: success, or a failure with a message for the log.
class TaskResult final {
public:
    [[nodiscard]] static TaskResult Ok() { return TaskResult(true, {}); }

    [[nodiscard]] static TaskResult Failure(std::string error) {
        return TaskResult(false, std::move(error));
    }

    [[nodiscard]] bool IsOk() const noexcept { return ok_; }

    [[nodiscard]] const std::string& Error() const noexcept { return error_; }

private:
    TaskResult(bool ok, std::string error) : ok_(ok), error_(std::move(error)) {}

    bool ok_;
    std::string error_;
};

// A piece of side work started by a request, e.g. sending one mail.
class Task {
public:
    virtual ~Task() = default;

    // Short, low-cardinality label used in logs and metrics, e.g. "mailer.confirmation".
    [[nodiscard]] virtual std::string_view Type() const = 0;

    // Does the work. Failures are reported as TaskResult::Failure; an exception (of any type)
    // is caught by apitask, logged and counted, and never crashes the process.
    [[nodiscard]] virtual TaskResult Run(const Context& context) = 0;
};

// GoTrue's apitask.Func: a label plus a callable.
[[nodiscard]] std::unique_ptr<Task> MakeTask(
    std::string type, std::function<TaskResult(const Context&)> run
);

}  // namespace gotrue::apitask
