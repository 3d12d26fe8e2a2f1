// Attack replays through the real binary: crash.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
