// Attack replays through the real binary: hygiene.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
