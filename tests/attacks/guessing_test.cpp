// Attack replays through the real binary: guessing.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
