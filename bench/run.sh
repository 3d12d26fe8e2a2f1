#!/usr/bin/env bash
# `make bench`: side-by-side measurements in one run, against the release build in $1.
# Starts its own PostgreSQL cluster and server; prints requests/s and the ratios.
# Environment: BENCH_SECONDS (5) per measured case; BENCH_CASES, a comma-separated subset of
# apitask,http,signup,enumeration,smtp-reuse,mail-modes,waiting,flood,outbox-latency (default: all);
# mail-modes: BENCH_CLIENTS (64), BENCH_MODES_SECONDS (10) measured after BENCH_WARMUP (5) seconds,
# BENCH_RELAY_DELAYS (seconds, "0 1"), BENCH_DB_POOL
# (GOTRUE_DB_MAX_POOL_SIZE), BENCH_SMTP_CONNECTIONS (GOTRUE_SMTP_MAX_CONNECTIONS; both default to
# the server's); waiting: BENCH_WAITING
# (500 clients), BENCH_WAITING_DELAY (2 s relay), BENCH_WAITING_RAMP_MS (5000); outbox-latency:
# BENCH_OUTBOX_SIGNUPS (300), BENCH_OUTBOX_SWEEP (GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL, 5s).
set -euo pipefail

build="${1:?usage: bench/run.sh BUILD_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
duration="${BENCH_SECONDS:-5}"
work="$(mktemp -d /tmp/gotrue-bench.XXXXXX)"
chmod 755 "$work"
server_pid=""
slow_relay_pid=""
instance_pids=()
cleanup() {
  for pid in "${instance_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$slow_relay_pid" ] && kill "$slow_relay_pid" 2>/dev/null || true
  "$root/scripts/pg_cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export PGCONNECT_TIMEOUT=5
cases=",${BENCH_CASES:-all},"
want() { [[ "$cases" == *",all,"* || "$cases" == *",$1,"* ]]; }

if want apitask; then
echo "bench: apitask Run+Wait vs a thread per task vs std::async (Google Benchmark)"
"$root/$build/bench/apitask_bench" --benchmark_min_time=0.3 --benchmark_out="$work/apitask.json" \
  --benchmark_out_format=json >/dev/null
/usr/bin/python3 "$root/bench/ratios.py" "$work/apitask.json"
echo
fi

eval "$("$root/scripts/pg_cluster.sh" start "$work/pg")"
port="$("$root/scripts/free_port.sh")"
export GOTRUE_SITE_URL=http://localhost:3000 GOTRUE_JWT_SECRET=bench-secret API_EXTERNAL_URL="http://localhost:$port"
export PORT="$port" GOTRUE_API_HOST=127.0.0.1 GOTRUE_LOG_LEVEL=warn DATABASE_URL
(cd "$work" && exec "$root/$build/gotrue" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

# Starts `gotrue serve` on a free port with extra environment (NAME=value ...), logging to
# server-NAME.log; sets port and server_pid.
start_server() {
  local name="$1"
  shift
  port="$("$root/scripts/free_port.sh")"
  (cd "$work" && exec env "$@" PORT="$port" API_EXTERNAL_URL="http://localhost:$port" \
    "$root/$build/gotrue" serve >"$work/server-$name.log" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

# wrk prints "Requests/sec: N"; keep the number.
rate() { wrk "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }

url="http://127.0.0.1:$port"
if want http; then
echo "bench: ${duration}s per case, wrk -t2 -c50, server with 2 reactor threads"
health_keepalive=$(rate -t2 -c50 -d"${duration}s" -H 'Connection: keep-alive' "$url/health")
health_close=$(rate -t2 -c50 -d"${duration}s" -H 'Connection: close' "$url/health")
settings_keepalive=$(rate -t2 -c50 -d"${duration}s" -H 'Connection: keep-alive' "$url/settings")
printf '%-42s %12s req/s\n' "GET /health keep-alive" "$health_keepalive"
printf '%-42s %12s req/s\n' "GET /health new connection per request" "$health_close"
printf '%-42s %12s req/s\n' "GET /settings keep-alive" "$settings_keepalive"
awk -v a="$health_keepalive" -v b="$health_close" 'BEGIN { printf "ratio keep-alive / new connection: %.2f\n", a / b }'
fi

# Signups: bcrypt at GoTrue's cost 10 dominates; the server runs hashes on its handler threads,
# outside transactions, so throughput should approach cores / t(bcrypt).
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
export GOTRUE_PASSWORD_HASH_COST=10 GOTRUE_RATE_LIMIT_EMAIL_SENT=1000000
if want signup; then
echo
echo "bench: POST /signup, 16 clients, ${duration}s, cost 10, mail to the noop client"
port="$("$root/scripts/free_port.sh")"
export PORT="$port" API_EXTERNAL_URL="http://localhost:$port"
(cd "$work" && exec "$root/$build/gotrue" serve >"$work/server2.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
"$root/$build/bench/signup_bench" "http://127.0.0.1:$port" 16 "$duration" 10 || true
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
fi

# Anti-enumeration: median latency of 200 requests for an existing and 200 for an unknown address,
# alternating, in each mail mode, with a real SMTP server (aiosmtpd) receiving the mail.
eval "$("$root/scripts/smtp_server.sh" start "$work/smtp")"
relay=(GOTRUE_SMTP_HOST=127.0.0.1 GOTRUE_SMTP_PORT="$SMTP_TEST_PORT" GOTRUE_SMTP_ADMIN_EMAIL=admin@example.com)
if want enumeration; then
echo
echo "bench: existing vs unknown address, 200 requests each, medians (goal: ratio <= 1.1)"
for mode in synchronous request-scoped pool; do
  case "$mode" in
    synchronous) extra=() ;;
    request-scoped) extra=(GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING=true) ;;
    pool) extra=(GOTRUE_WORKER_ENABLED=true) ;;
  esac
  start_server "$mode" "${extra[@]}" "${relay[@]}" GOTRUE_SMTP_MAX_FREQUENCY=1ms GOTRUE_PASSWORD_HASH_COST=4
  known="known-$mode@example.com"
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/signup" -d "{\"email\":\"$known\",\"password\":\"secret-123\"}" || true
  psql "$DATABASE_URL" -qc "UPDATE auth.users SET email_confirmed_at = now() WHERE email = '$known'" >/dev/null
  echo "  $mode mail:"
  for path in /recover /magiclink /resend; do
    printf '    '
    "$root/$build/bench/enumeration_bench" "http://127.0.0.1:$port" "$path" "$known" 200 || true
  done
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
done
fi

# Starts the fault relay (tests/support/smtp_fault_server.py) with `flags` on a free port, into
# maildir NAME; sets relay_port and slow_relay_pid (stopped by cleanup or stop_relay).
start_relay() {
  local name="$1"
  shift
  relay_port="$("$root/scripts/free_port.sh")"
  /usr/bin/python3 "$root/tests/support/smtp_fault_server.py" --port "$relay_port" \
    --maildir "$work/$name" "$@" >"$work/$name.log" 2>&1 &
  slow_relay_pid=$!
  for _ in $(seq 1 100); do
    grep -q ready "$work/$name.log" 2>/dev/null && break
    sleep 0.1
  done
}
stop_relay() {
  kill "$slow_relay_pid" 2>/dev/null && wait "$slow_relay_pid" 2>/dev/null || true
  slow_relay_pid=""
}
mode_env() {
  case "$1" in
    sync) extra=() ;;
    request-scoped) extra=(GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING=true) ;;
    pool) extra=(GOTRUE_WORKER_ENABLED=true) ;;
  esac
}

# Each mail mode against the bcrypt bound measured in the same run (signup_bench), with a relay
# answering at once and one taking 1 s per mail, and enough clients to cover the wait (at 1 s the
# synchronous and request-scoped responses take >= 1 s, so >= bound x 1.1 s must be in flight).
# Goal: every mode >= 0.9 of the bound. Default capacity (README "Threading model"). Steady state:
# the 64 clients all start at once, and with a 1 s relay the last of that first burst is answered
# only after 64 hashes plus the relay's second, so the first BENCH_WARMUP seconds are not counted.
if want mail-modes; then
clients="${BENCH_CLIENTS:-64}"
modes_seconds="${BENCH_MODES_SECONDS:-10}"
warmup="${BENCH_WARMUP:-5}"
for delay in ${BENCH_RELAY_DELAYS:-0 1}; do
  echo
  echo "bench: POST /signup, $clients clients, ${modes_seconds}s per mode after ${warmup}s of warm-up, cost 10, relay delay ${delay}s"
  start_relay "relay-$delay" --delay "$delay"
  for mode in sync request-scoped pool; do
    mode_env "$mode"
    [ -n "${BENCH_DB_POOL:-}" ] && extra+=(GOTRUE_DB_MAX_POOL_SIZE="$BENCH_DB_POOL")
    [ -n "${BENCH_SMTP_CONNECTIONS:-}" ] && extra+=(GOTRUE_SMTP_MAX_CONNECTIONS="$BENCH_SMTP_CONNECTIONS")
    start_server "modes-$delay-$mode" "${extra[@]}" GOTRUE_SMTP_HOST=127.0.0.1 \
      GOTRUE_SMTP_PORT="$relay_port" GOTRUE_SMTP_ADMIN_EMAIL=admin@example.com \
      GOTRUE_PASSWORD_HASH_COST=10 GOTRUE_RATE_LIMIT_EMAIL_SENT=1000000
    summary="$("$root/$build/bench/signup_bench" "http://127.0.0.1:$port" "$clients" "$modes_seconds" 10 \
      "modes-$delay-$mode" "$warmup" || true)"
    printf '  %-15s %s\n' "$mode" "$(printf '%s\n' "$summary" | sed -n 's/^signup with [0-9]* clients for [0-9]* s: //p')"
    printf '  %-15s %s\n' "" "$(printf '%s\n' "$summary" | grep -E '^(bcrypt|ratio)' | tr '\n' ' ')"
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    server_pid=""
  done
  stop_relay
done
fi

# Waiting without a thread: threads and resident memory of a request-scoped server while
# BENCH_WAITING sign-ups wait for a relay taking BENCH_WAITING_DELAY s per mail, against the same
# server idle. Goal: no thread growth, RSS within a few MB of idle. The tasks' pool sends at most
# CPUs x GOTRUE_WORKER_COUNT_PER_CPU mails at once, so the last responses come after several
# relay delays; the request deadline is raised so that none of them detaches. The clients start
# spread over BENCH_WAITING_RAMP_MS, since the hashing lane refuses a burst beyond its queue
# (503); waiting_bench reports how many waited at once.
if want waiting; then
waiting="${BENCH_WAITING:-500}"
waiting_delay="${BENCH_WAITING_DELAY:-2}"
echo
echo "bench: $waiting concurrent request-scoped sign-ups waiting on a ${waiting_delay}s relay (cost 4)"
start_relay relay-waiting --delay "$waiting_delay"
start_server waiting GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING=true GOTRUE_SMTP_HOST=127.0.0.1 \
  GOTRUE_SMTP_PORT="$relay_port" GOTRUE_SMTP_ADMIN_EMAIL=admin@example.com \
  GOTRUE_PASSWORD_HASH_COST=4 GOTRUE_RATE_LIMIT_EMAIL_SENT=1000000 \
  GOTRUE_API_MAX_REQUEST_DURATION=120s GOTRUE_SMTP_MAX_CONNECTIONS=128 GOTRUE_SMTP_CONNECT_TIMEOUT=120s \
  GOTRUE_SMTP_TIMEOUT=120s
curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/signup" \
  -d '{"email":"warm-up@example.com","password":"benchmark-password"}' || true
sleep 1
"$root/$build/bench/waiting_bench" "http://127.0.0.1:$port" "$server_pid" "$waiting" \
  "${BENCH_WAITING_RAMP_MS:-5000}" || true
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
stop_relay
fi

# SMTP connection reuse (docs/mail.md "Connections"): one client signing up after another. The
# synchronous mode pays for its mail inside the response, the pool mode does not; with a new
# connection per mail (GOTRUE_SMTP_MAX_CONNECTIONS=0, as before the pool) it also pays for the
# greeting and EHLO. Two relays: aiosmtpd answering at once, and the fault relay delaying its
# greeting by 100 ms, what a connection costs on a real relay (round trips, TLS, reverse DNS).
# Goal: synchronous p50 with reused connections <= 1.15 x the pool mode's p50.
if want smtp-reuse; then
slow_relay_port="$("$root/scripts/free_port.sh")"
/usr/bin/python3 "$root/tests/support/smtp_fault_server.py" --port "$slow_relay_port" \
  --maildir "$work/slow-relay" --greeting-delay 0.1 >"$work/slow-relay.log" 2>&1 &
slow_relay_pid=$!
for _ in $(seq 1 100); do
  grep -q ready "$work/slow-relay.log" 2>/dev/null && break
  sleep 0.1
done
declare -A p50
for relay_name in instant greeting-100ms; do
  case "$relay_name" in
    instant) relay_port="$SMTP_TEST_PORT" ;;
    greeting-100ms) relay_port="$slow_relay_port" ;;
  esac
  echo
  echo "bench: sequential POST /signup, 1 client, ${duration}s per mode, cost 10, relay: $relay_name"
  for mode in sync-new-connection sync-reused-connection pool; do
    case "$mode" in
      sync-new-connection) extra=(GOTRUE_SMTP_MAX_CONNECTIONS=0) ;;
      sync-reused-connection) extra=() ;;
      pool) extra=(GOTRUE_WORKER_ENABLED=true) ;;
    esac
    start_server "$relay_name-$mode" "${extra[@]}" "${relay[@]}" GOTRUE_SMTP_PORT="$relay_port" \
      GOTRUE_PASSWORD_HASH_COST=10
    summary="$("$root/$build/bench/signup_bench" "http://127.0.0.1:$port" 1 "$duration" 10 \
      "$relay_name-$mode" || true)"
    p50[$mode]="$(printf '%s\n' "$summary" | sed -n 's/.* p50 \([0-9.]*\) ms.*/\1/p')"
    printf '  %-42s p50 %7s ms\n' "$mode" "${p50[$mode]:-?}"
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    server_pid=""
  done
  awk -v fresh="${p50[sync-new-connection]:-0}" -v reused="${p50[sync-reused-connection]:-0}" \
    -v pool="${p50[pool]:-0}" 'BEGIN {
      if (pool > 0) printf "ratio to pool-mode p50: synchronous, new connection %.2f; synchronous, reused %.2f (goal <= 1.15)\n", fresh / pool, reused / pool
    }'
done
stop_relay
fi

# Enqueue-to-accepted latency of background mail (pool mode): from the signup transaction's
# confirmation_sent_at, written just before its commit, to the relay's acceptance of the mail
# (bench/outbox_latency.py), with 1 and 3 instances on one database behind round-robin clients.
# Anchor: graphile-worker reports ~4 ms enqueue-to-start; goal p50 < 10 ms.
if want outbox-latency; then
sweep="${BENCH_OUTBOX_SWEEP:-5s}"
echo
echo "bench: enqueue-to-accepted latency, pool mail, ${BENCH_OUTBOX_SIGNUPS:-300} signups by 4 clients, cost 4, sweep interval $sweep"
for instances in 1 3; do
  start_relay "relay-latency-$instances"
  urls=()
  for i in $(seq 1 "$instances"); do
    start_server "latency-$instances-$i" GOTRUE_WORKER_ENABLED=true GOTRUE_SMTP_HOST=127.0.0.1 \
      GOTRUE_SMTP_PORT="$relay_port" GOTRUE_SMTP_ADMIN_EMAIL=admin@example.com \
      GOTRUE_PASSWORD_HASH_COST=4 GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL="$sweep"
    instance_pids+=("$server_pid")
    server_pid=""
    urls+=("http://127.0.0.1:$port")
  done
  /usr/bin/python3 "$root/bench/outbox_latency.py" "$instances instance(s)" "$DATABASE_URL" \
    "$work/relay-latency-$instances" "${BENCH_OUTBOX_SIGNUPS:-300}" 4 "${urls[@]}" || true
  for pid in "${instance_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  instance_pids=()
  stop_relay
done
fi
"$root/scripts/smtp_server.sh" stop "$work/smtp" >/dev/null 2>&1 || true

# Floods (the "Safe to expose" findings 7 and 8): what a flood costs everyone else, measured
# against the same server idle and under the flood, side by side.
if want flood; then
echo
echo "bench: /health and refresh latency, idle and while 100 clients send wrong-password sign-ins (cost 10)"
start_server flood GOTRUE_PASSWORD_HASH_COST=10 GOTRUE_MAILER_AUTOCONFIRM=true GOTRUE_RATE_LIMIT_EMAIL_SENT=1000000
session="$(curl -fs -X POST "http://127.0.0.1:$port/signup" -d '{"email":"flooded@example.com","password":"secret-123"}')"
refresh="$(printf '%s' "$session" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')"
"$root/$build/bench/flood_bench" signin "http://127.0.0.1:$port" flooded@example.com "$refresh" 100 "$duration"
echo
echo "bench: 150 connections that stall in the middle of a 1 MB body"
"$root/$build/bench/flood_bench" stall "$port" "$server_pid" 150
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
fi
