#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster run as the `postgres` user (initdb refuses root).
#   pg_cluster.sh start DIR [PORT]   initdb DIR if needed, start it, print shell exports
#   pg_cluster.sh stop DIR           stop it (the data stays; delete DIR to forget it)
# The exports: PGHOST PGPORT PGUSER PGDATABASE and DATABASE_URL (superuser, trust auth on
# 127.0.0.1 only).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
command="${1:?usage: pg_cluster.sh start|stop DIR [PORT]}"
dir="${2:?usage: pg_cluster.sh start|stop DIR [PORT]}"
here="$(cd "$(dirname "$0")" && pwd)"

RUNAS=()
if [ "$(id -u)" = 0 ]; then
  RUNAS=(runuser -u postgres --)
fi

case "$command" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres:postgres "$dir"
      chmod 700 "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${RUNAS[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port="${3:-$("$here/free_port.sh")}"
    # Unix socket in the cluster folder; TCP only on loopback.
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
    echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres"
    echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: pg_cluster.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
