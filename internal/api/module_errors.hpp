#pragma once

// How the other modules' failures reach the client, in GoTrue's statuses: the request's task
// queue stayed full (apitask) or bcrypt is at capacity (crypto) 503 with Retry-After, a closed
// request worker 500, no free database connection (storage) 503, PostgreSQL refusing the
// client's input 400. The http module renders only HttpError and turns anything else into a 500.

#include "api/http_types.hpp"

namespace gotrue::api {

// Renders the exceptions above; any other passes on to the router (or the recoverer).
[[nodiscard]] Middleware RenderModuleErrors();

}  // namespace gotrue::api
