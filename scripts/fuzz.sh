#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan + coverage) into build/fuzz and
# runs each for a bounded time on a fresh copy of its seed corpus (the `fuzz` target of the
# Makefile; fuzz/README.md). Fails if any target crashes, leaks, times out or runs out of memory.
#
#   scripts/fuzz.sh [TARGET...]        default: every target fuzz/CMakeLists.txt declares
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_TIMEOUT (seconds per input before it
# counts as a hang, default 10), FUZZ_RSS_MB (memory limit, default 2048), FUZZ_BUILD (build
# folder, default build/fuzz), JOBS (compile jobs, default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${FUZZ_BUILD:-$ROOT/build/fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
JOBS="${JOBS:-$(nproc)}"
LLVM=/usr/lib/llvm-14/bin

# Debian 12's clang 14. libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) is only a
# Recommends of clang-14; llvm-14 brings llvm-symbolizer for readable stack traces.
PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)
missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "fuzz: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  echo "fuzz: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Release-like optimisation with debug info: fuzzing wants executions per second; the sanitizers
# still check every access. A separate folder: nothing is shared with the g++ builds.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DGOTRUE_FUZZ=ON >/dev/null
cmake --build "$BUILD" --target fuzz_targets -j "$JOBS"

declare -A MAX_LEN=()
declare -a ALL=()
while read -r name max_len; do
  [ -n "$name" ] || continue
  ALL+=("$name")
  MAX_LEN[$name]="$max_len"
done <"$BUILD/fuzz/targets.txt"

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

# Sanitizer options are compiled into the targets (fuzz/sanitizer_options.cpp).
export ASAN_SYMBOLIZER_PATH="$LLVM/llvm-symbolizer"

failed=()
for name in "${TARGETS[@]}"; do
  if [ -z "${MAX_LEN[$name]:-}" ]; then
    echo "fuzz: unknown target '$name' (known: ${ALL[*]})" >&2
    exit 2
  fi
  binary="$BUILD/fuzz/${name}_fuzz"
  corpus="$BUILD/corpus/$name"        # a copy: what the run adds never touches fuzz/corpus
  artifacts="$BUILD/artifacts/$name"  # crash-*, leak-*, timeout-*, oom-* inputs
  log="$BUILD/logs/$name.log"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp -R "$ROOT/fuzz/corpus/$name/." "$corpus/"
  args=(
    -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB"
    -max_len="${MAX_LEN[$name]}" -print_final_stats=1 -artifact_prefix="$artifacts/"
  )
  [ -f "$ROOT/fuzz/dict/$name.dict" ] && args+=(-dict="$ROOT/fuzz/dict/$name.dict")
  echo "fuzz: $name for ${SECONDS_PER_TARGET}s (log: $log)"
  status=0
  "$binary" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  # libFuzzer's last status line: "#N<tab>DONE   cov: C ft: F corp: K/Sb lim: ... exec/s: ..."
  summary="$(sed -nE 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//p' "$log" | tail -1)"
  runs="$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]+//p' "$log" | tail -1)"
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $name ok: ${runs:-?} runs; $summary"
  else
    echo "fuzz: $name FAILED (exit $status); last lines of $log:" >&2
    tail -n 60 "$log" >&2
    artifact="$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)"
    if [ -n "$artifact" ]; then
      echo "fuzz: reproduce with: $binary $artifact" >&2
    fi
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (see fuzz/README.md: a crash becomes a regression test)" >&2
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s each without a failure"
