#include "observability/request_id.hpp"

#include <uuid/uuid.h>

namespace gotrue::observability {

std::string NewUuid() {
    uuid_t uuid;
    uuid_generate_random(uuid);
    char text[37];
    uuid_unparse_lower(uuid, text);
    return text;
}

}  // namespace gotrue::observability
