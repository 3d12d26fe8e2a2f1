#include "mailer/observed_client.hpp"

#include <utility>

namespace gotrue::mailer {

std::string_view OutcomeName(SendOutcome outcome) {
    switch (outcome) {
        case SendOutcome::kSent:
            return "sent";
        case SendOutcome::kTransientFailure:
            return "transient_failure";
        case SendOutcome::kPermanentFailure:
            return "permanent_failure";
    }
    return "permanent_failure";
}

ObservedClient::ObservedClient(std::unique_ptr<MailClient> inner, SendObserver observer)
    : inner_(std::move(inner)), observer_(std::move(observer)) {}

void ObservedClient::Send(const apitask::Context& context, const Message& message) {
    try {
        inner_->Send(context, message);
    } catch (const SendError& error) {
        observer_(
            message,
            error.Kind() == FailureKind::kTransient ? SendOutcome::kTransientFailure
                                                    : SendOutcome::kPermanentFailure
        );
        throw;
    } catch (...) {
        observer_(message, SendOutcome::kPermanentFailure);
        throw;
    }
    observer_(message, SendOutcome::kSent);
}

}  // namespace gotrue::mailer
