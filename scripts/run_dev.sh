#!/usr/bin/env bash
# `make run`: a local PostgreSQL cluster (.local/pg), a mail catcher with a web inbox
# (maildev), migrations, and `gotrue` in the foreground with readable logs. Ctrl-C stops all.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts"
local_dir="$root/.local"
binary="${GOTRUE_BINARY:-$root/build/gotrue}"
pg_port="${DEV_PG_PORT:-54329}"
smtp_port="${DEV_SMTP_PORT:-1025}"
inbox_port="${DEV_INBOX_PORT:-1080}"
api_port="${PORT:-9999}"
mkdir -p "$local_dir"

# PostgreSQL runs as `postgres`, which must be able to reach its folder; a checkout under a
# private home directory is not reachable, so fall back to /tmp then.
pg_dir="$local_dir/pg"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$local_dir" 2>/dev/null; then
  pg_dir="/tmp/gotrue-dev-pg-$(echo "$root" | md5sum | cut -c1-8)"
fi

maildev_dir="$local_dir/maildev"
if [ ! -x "$maildev_dir/node_modules/.bin/maildev" ]; then
  echo "run: installing maildev (web inbox) into .local/maildev ..."
  npm install --silent --no-audit --no-fund --prefix "$maildev_dir" maildev@3.0.0 >/dev/null
fi

maildev_pid=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$maildev_pid" ] && kill "$maildev_pid" 2>/dev/null || true
  "$here/pg_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  echo "run: stopped PostgreSQL and the mail catcher"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$("$here/pg_cluster.sh" start "$pg_dir" "$pg_port")"
"$maildev_dir/node_modules/.bin/maildev" --smtp "$smtp_port" --web "$inbox_port" \
  --ip 127.0.0.1 --web-ip 127.0.0.1 >"$local_dir/maildev.log" 2>&1 &
maildev_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$inbox_port/api/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

cd "$root"
if [ ! -f .env ]; then
  cp example.env .env
  echo "run: created .env from example.env (edit it to change the configuration)"
fi

# The real environment wins over .env: point the server at what this script started.
export DATABASE_URL GOTRUE_DB_DATABASE_URL="$DATABASE_URL"
export GOTRUE_SMTP_HOST=127.0.0.1 GOTRUE_SMTP_PORT="$smtp_port"
export GOTRUE_LOG_FORMAT="${GOTRUE_LOG_FORMAT:-text}" PORT="$api_port"

echo "run: API    http://localhost:$api_port  (try: curl localhost:$api_port/health)"
echo "run: inbox  http://localhost:$inbox_port  (every mail the server sends lands here)"
echo "run: database $DATABASE_URL"
echo "run: Ctrl-C stops everything"
status=0
"$binary" || status=$?
exit "$status"
