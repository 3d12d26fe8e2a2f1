#include "mailer/clients.hpp"

#include <atomic>
#include <cctype>
#include <memory>
#include <utility>

#include "apitask/apitask.hpp"
#include "logs/logs.hpp"

namespace gotrue::mailer {
namespace {

constexpr logs::Logger kLog{"mailer"};

bool IsLocalChar(char c) {
    constexpr std::string_view kSpecial = ".!#$%&'*+/=?^_`{|}~-";
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kSpecial.find(c) != std::string_view::npos;
}

bool IsValidLabel(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
    }
    for (const char c : label) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
            return false;
        }
    }
    return true;
}

// Sends through `inner` as one task: failures become the task's result.
std::unique_ptr<apitask::Task> SendTask(MailClient& inner, const Message& message) {
    return apitask::MakeTask(
        "mailer." + message.type,
        [&inner, message](const apitask::Context& context) {
            try {
                inner.Send(context, message);
                return apitask::TaskResult::Ok();
            } catch (const SendError& error) {
                return apitask::TaskResult::Failure(error.what());
            }
        }
    );
}

}  // namespace

bool IsValidEmail(std::string_view address) {
    if (address.empty() || address.size() > 255) {
        return false;
    }
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
        return false;
    }
    const auto local = address.substr(0, at);
    for (const char c : local) {
        if (!IsLocalChar(c)) {
            return false;
        }
    }
    auto domain = address.substr(at + 1);
    while (true) {
        const auto dot = domain.find('.');
        if (!IsValidLabel(domain.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        domain.remove_prefix(dot + 1);
    }
}

NoopClient::NoopClient(std::string site_url) {
    kLog.Info("no SMTP configured: mail is accepted and dropped", {{"site_url", site_url}});
}

void NoopClient::Send(const apitask::Context& /*context*/, const Message& message) {
    if (message.to.empty()) {
        throw SendError(FailureKind::kPermanent, "to field cannot be empty");
    }
}

void ValidateClient::Send(const apitask::Context& context, const Message& message) {
    if (!IsValidEmail(message.to)) {
        throw InvalidAddressError("Unable to validate email address: invalid format");
    }
    inner_.Send(context, message);
}

void TaskClient::Send(const apitask::Context& context, const Message& message) {
    const apitask::TaskResult result = apitask::Run(context, SendTask(inner_, message));
    if (!result.IsOk()) {
        throw SendError(FailureKind::kPermanent, result.Error());  // retries already happened
    }
}

void PoolClient::Send(const apitask::Context& context, const Message& message) {
    pool_.Enqueue(context, SendTask(inner_, message));
}

}  // namespace gotrue::mailer
