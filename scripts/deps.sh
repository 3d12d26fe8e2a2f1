#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and `make run` need. Idempotent and quiet
# when everything is present (the `deps` target of the Makefile).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libpistache-dev rapidjson-dev libpqxx-dev libpq-dev libcurl4-openssl-dev
  libspdlog-dev libfmt-dev doctest-dev libcrypt-dev libssl-dev uuid-dev libqrencode-dev
  prometheus-cpp-dev python3-prometheus-client
  postgresql-15 python3 python3-aiosmtpd curl wrk clang-format clang-tidy libbenchmark-dev
)

# Node.js (>= 20) runs the auth-js end-to-end test and maildev; install Debian's only if absent.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
