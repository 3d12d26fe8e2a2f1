#!/usr/bin/env bash
# Runs the whole test suite of one build directory against a real PostgreSQL cluster and a real
# SMTP server started here (and stopped on exit). Extra arguments go to ctest, e.g.
#   scripts/test.sh build -R "conf:"
set -euo pipefail

build="${1:?usage: test.sh BUILD_DIR [ctest args...]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/gotrue-test.XXXXXX)"
chmod 755 "$work"

cleanup() {
  "$here/smtp_server.sh" stop "$work/smtp" >/dev/null 2>&1 || true
  "$here/pg_cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

eval "$("$here/pg_cluster.sh" start "$work/pg")"
eval "$("$here/smtp_server.sh" start "$work/smtp")"
export GOTRUE_TEST_DATABASE_URL="$DATABASE_URL"
export GOTRUE_TEST_SMTP_PORT="$SMTP_TEST_PORT" GOTRUE_TEST_MAILDIR="$SMTP_TEST_MAILDIR"
unset DATABASE_URL  # tests pass configuration explicitly

# The full-size fault tests (`faults:...`, tests/faults) run only when asked for
# (`make test-faults`), and then alone.
if [ -n "${GOTRUE_TEST_FAULTS:-}" ]; then select=(-R '^faults:'); else select=(-E '^faults:'); fi

set +e
ctest --test-dir "$build" --output-on-failure -j "${TEST_JOBS:-2}" "${select[@]}" "$@" | tee "$work/ctest.log"
status=${PIPESTATUS[0]}
set -e
# Repeat CTest's summary line last, so the run ends with it (ctest prints the total time after).
grep -E '^[0-9]+% tests passed' "$work/ctest.log" | tail -1 || true
exit "$status"
