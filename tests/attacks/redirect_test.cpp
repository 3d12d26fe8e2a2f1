// Attack replays through the real binary: redirect.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
