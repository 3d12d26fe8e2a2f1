// Attack replays through the real binary: replay.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
