// Attack replays through the real binary: error mapping.

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
