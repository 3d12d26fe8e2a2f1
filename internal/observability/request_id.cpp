#include "observability/request_id.hpp"

#include <algorithm>

#include <uuid/uuid.h>

namespace gotrue::observability {
namespace {

bool IsRequestIdChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

}  // namespace

std::string NewUuid() {
    uuid_t uuid;
    uuid_generate_random(uuid);
    char text[37];
    uuid_unparse_lower(uuid, text);
    return text;
}

std::string SafeRequestId(std::string_view given) {
    std::string id(given.substr(0, kMaxRequestIdLength));
    std::replace_if(
        id.begin(), id.end(), [](char c) { return !IsRequestIdChar(c); }, '_'
    );
    return id;
}

}  // namespace gotrue::observability
