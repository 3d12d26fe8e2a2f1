#!/usr/bin/env bash
# End-to-end tests: drive a real gotrue server with the official JavaScript clients (pinned in
# package.json / package-lock.json): auth_js.test.mjs with @supabase/auth-js, ssr_app.test.mjs
# with @supabase/supabase-js and @supabase/ssr the way a server-rendered app uses them, mfa.test.mjs
# with auth-js's supabase.auth.mfa (TOTP).
#
#   tests/e2e/run.sh PATH/TO/gotrue [NAME=VALUE ...]
#
# Needs (as set by scripts/test.sh): GOTRUE_TEST_DATABASE_URL (superuser URL of a PostgreSQL
# cluster), GOTRUE_TEST_SMTP_PORT and GOTRUE_TEST_MAILDIR (an aiosmtpd storing mail in a Maildir).
# A scratch database is created and dropped; the server runs on a free loopback port from an
# empty working directory (so no .env is read). Extra server configuration: NAME=VALUE arguments,
# and every GOTRUE_* variable of the caller's environment (except GOTRUE_TEST_*), e.g.
# GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING=true. By default the server signs with a fresh ES256 key
# and keeps the JWT secret as a verify-only key (signing_keys.mjs; GOTRUE_JWT_KEYS= turns that
# off), allows anonymous sign-ins and runs a Postgres custom access-token hook that adds a
# user_role claim (GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED=false turns it off). The tests get
# the server's JWT secret (to sign service-role tokens for the admin API), its GOTRUE_JWT_KEYS
# and whether the hook is on. Exits with node's test runner status.
set -euo pipefail

binary="${1:?usage: run.sh PATH/TO/gotrue [NAME=VALUE ...]}"
shift
: "${GOTRUE_TEST_DATABASE_URL:?GOTRUE_TEST_DATABASE_URL is not set (run via scripts/test.sh)}"
: "${GOTRUE_TEST_SMTP_PORT:?GOTRUE_TEST_SMTP_PORT is not set (run via scripts/test.sh)}"
: "${GOTRUE_TEST_MAILDIR:?GOTRUE_TEST_MAILDIR is not set (run via scripts/test.sh)}"

here="$(cd "$(dirname "$0")" && pwd)"
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
if [ ! -x "$binary" ]; then
  echo "run.sh: $binary is not an executable" >&2
  exit 2
fi
for tool in node npm psql; do
  if ! command -v "$tool" >/dev/null; then
    echo "run.sh: $tool is required" >&2
    exit 2
  fi
done

# (a) Install the pinned client when node_modules is missing or older than the lock file. The lock
# file itself is flock'ed so that concurrent runs (ctest -j) do not install over each other. npm's
# default retries take over a minute to give up on an unreachable registry; here it fails within
# seconds and says why, since a test that cannot get its client is a set-up problem, not a bug.
install_client() {
  cd "$here"
  exec 9<package-lock.json
  flock 9
  if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    return 0
  fi
  local log rc=0
  log="$(mktemp /tmp/gotrue-e2e-npm.XXXXXX)"
  npm ci --no-audit --no-fund --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 \
    --fetch-retry-maxtimeout=5000 --fetch-timeout=60000 >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    {
      echo "run.sh: cannot install the pinned @supabase clients: npm ci failed (exit $rc)."
      echo "  registry: $(npm config get registry 2>/dev/null || echo '?')"
      echo "  proxy: $(npm config get https-proxy 2>/dev/null || echo '?') (https)," \
        "$(npm config get proxy 2>/dev/null || echo '?') (http);" \
        "environment: https_proxy=${https_proxy:-${HTTPS_PROXY:-}} http_proxy=${http_proxy:-${HTTP_PROXY:-}}"
      echo "---- npm output (stack frames left out) ----"
      grep -v '^npm error *at ' "$log" | tail -n 40
      echo "---- end of npm output ----"
      echo "Hint: without direct internet access, point npm at a reachable registry" \
        "(npm_config_registry=URL) or proxy (https_proxy=URL); a proxy that re-signs TLS needs" \
        "its CA certificate (NODE_EXTRA_CA_CERTS=/path/ca.pem or npm_config_cafile=/path/ca.pem)."
    } >&2
  fi
  rm -f "$log"
  return "$rc"
}
if ! (install_client); then
  exit 1
fi

work="$(mktemp -d /tmp/gotrue-e2e.XXXXXX)"
chmod 755 "$work"
db_name="gotrue_e2e_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
db_created=0
server_pid=""
status=1

# postgres://user@host:port/db?params -> the same URL for database $1.
with_database() {
  /usr/bin/python3 - "$GOTRUE_TEST_DATABASE_URL" "$1" <<'EOF'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))
EOF
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ]; then
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  stop_server
  if [ "$status" -ne 0 ] && [ -s "$work/server.log" ]; then
    echo "---- gotrue server log ($work/server.log) ----" >&2
    tail -n 300 "$work/server.log" >&2 || true
    echo "---- end of server log ----" >&2
  fi
  if [ "$db_created" = 1 ]; then
    psql "$GOTRUE_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -q -X \
      -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# (b) Scratch database.
psql "$GOTRUE_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -q -X -c "CREATE DATABASE \"$db_name\"" >/dev/null
db_created=1
database_url="$(with_database "$db_name")"

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# (d) Server environment: a clean one (no stray DATABASE_URL etc. from the caller's shell) with the
# defaults below, then the caller's GOTRUE_* variables and NAME=VALUE arguments.
server_env() {
  local port="$1"
  shift
  local -a vars=(
    "PATH=$PATH"
    "HOME=${HOME:-/tmp}"
    "LANG=${LANG:-C.UTF-8}"
    "GOTRUE_SITE_URL=http://localhost:3000"
    "GOTRUE_JWT_SECRET=$jwt_secret"
    "GOTRUE_JWT_AUD=authenticated"
    "GOTRUE_JWT_DEFAULT_GROUP_NAME=authenticated"
    "GOTRUE_PASSWORD_HASH_COST=4"
    "GOTRUE_SMTP_HOST=127.0.0.1"
    "GOTRUE_SMTP_PORT=$GOTRUE_TEST_SMTP_PORT"
    "GOTRUE_SMTP_ADMIN_EMAIL=admin@example.com"
    "GOTRUE_SMTP_MAX_FREQUENCY=1s"
    "GOTRUE_RATE_LIMIT_EMAIL_SENT=1000"
    "GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED=true"
    "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED=true"
    "GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI=pg-functions://postgres/public/e2e_access_token_hook"
  )
  if [ -n "$jwt_keys" ]; then
    vars+=("GOTRUE_JWT_KEYS=$jwt_keys")
  fi
  local name
  while IFS= read -r name; do
    case "$name" in
      GOTRUE_TEST_*) ;;
      *) vars+=("$name=${!name}") ;;
    esac
  done < <(compgen -e | grep -E '^(GOTRUE_[A-Za-z0-9_]+|[A-Z]+SAN_OPTIONS)$' || true)
  vars+=("$@")
  vars+=(
    "DATABASE_URL=$database_url"
    "API_EXTERNAL_URL=http://127.0.0.1:$port"
    "PORT=$port"
    "GOTRUE_API_HOST=127.0.0.1"
  )
  printf '%s\0' "${vars[@]}"
}

# The value of setting $1 that the server gets: the last one of its environment.
server_setting() {
  local -a vars
  local var value=""
  mapfile -d '' vars < <(server_env 0 "${extra[@]}")
  for var in "${vars[@]}"; do
    case "$var" in
      "$1="*) value="${var#"$1="}" ;;
    esac
  done
  printf '%s' "$value"
}

jwt_secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
jwt_keys=""
extra=("$@")
cd "$work"
# The signing keys keep the secret the server gets (the caller may override the generated one).
jwt_keys="$(GOTRUE_JWT_SECRET="$(server_setting GOTRUE_JWT_SECRET)" node "$here/signing_keys.mjs")"

mapfile -d '' env_vars < <(server_env 0 "${extra[@]}")
if ! env -i "${env_vars[@]}" "$binary" migrate >"$work/migrate.log" 2>&1; then
  echo "run.sh: gotrue migrate failed:" >&2
  cat "$work/migrate.log" >&2
  exit 1
fi

# The custom access-token hook the server calls (on by default, above): it adds user_role and
# echoes the authentication method.
psql "$database_url" -v ON_ERROR_STOP=1 -q -X >/dev/null <<'SQL'
CREATE OR REPLACE FUNCTION public.e2e_access_token_hook(event jsonb) RETURNS jsonb
LANGUAGE sql AS $fn$
  SELECT jsonb_build_object('claims', (event->'claims') || jsonb_build_object(
    'user_role', 'e2e_hook_role', 'hook_auth_method', event->'authentication_method'))
$fn$;
SQL

# (c)+(d) Start the server; a port taken between choosing and binding it gets another try.
url=""
for attempt in 1 2 3; do
  port="$(free_port)"
  mapfile -d '' env_vars < <(server_env "$port" "${extra[@]}")
  env -i "${env_vars[@]}" "$binary" serve >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      break
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" 2>/dev/null; then
      url="http://127.0.0.1:$port"
      break
    fi
    sleep 0.05
  done
  if [ -n "$url" ]; then
    break
  fi
  echo "run.sh: server did not come up on port $port (attempt $attempt)" >&2
  stop_server
done
if [ -z "$url" ]; then
  echo "run.sh: gotrue serve did not start; log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

# (e) The tests. They sign admin JWTs with the secret the server got and check its tokens against
# the keys it got.
set +e
GOTRUE_URL="$url" MAILDIR="$GOTRUE_TEST_MAILDIR" GOTRUE_JWT_SECRET="$(server_setting GOTRUE_JWT_SECRET)" \
  GOTRUE_JWT_KEYS="$(server_setting GOTRUE_JWT_KEYS)" \
  GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED="$(server_setting GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED)" \
  node --test "$here/auth_js.test.mjs" "$here/ssr_app.test.mjs" "$here/mfa.test.mjs"
status=$?
set -e
exit "$status"
