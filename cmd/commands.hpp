#pragma once

// The gotrue CLI's commands, as GoTrue's cmd/ has them. Each returns the process exit code.

#include "conf/config.hpp"

namespace gotrue::cmd {

// Applies pending migrations; logs "GoTrue migrations applied successfully".
int Migrate(const conf::Config& config);

// Serves the API until SIGTERM/SIGINT/SIGHUP, then drains in-flight requests. Refuses to start
// on a database with pending migrations.
int Serve(const conf::Config& config);

// Blocks the termination signals in the calling thread; call before starting any thread so
// every thread inherits the mask and the signals reach sigwait in Serve.
void BlockTerminationSignals();

}  // namespace gotrue::cmd
