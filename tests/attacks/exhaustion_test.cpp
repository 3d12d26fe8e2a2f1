// Attack replays through the real binary: exhaustion.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
