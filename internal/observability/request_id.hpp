#pragma once

#include <string>

namespace gotrue::observability {

// A random (version 4) UUID in lower-case text form, used as request id and row id.
[[nodiscard]] std::string NewUuid();

}  // namespace gotrue::observability
