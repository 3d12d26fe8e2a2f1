#include "mailer/rendering_sender.hpp"

namespace gotrue::mailer {

void RenderingSender::Send(
    const apitask::Context& context, const MailIntent& intent, std::string_view message_id
) {
    Message message = templates_.Render(intent.kind, intent.input);
    message.message_id = std::string(message_id);
    transport_.Send(context, message);
}

}  // namespace gotrue::mailer
