#!/usr/bin/env bash
# Installs exactly the Debian packages the build, the node and the tests need (with --fuzz, also
# what `make fuzz` needs). Idempotent: packages already present are skipped, and nothing is
# fetched when all are installed.
set -euo pipefail

packages=(
  g++ make cmake pkg-config ccache
  libcaf-dev libboost-dev libboost-system-dev libmsgpack-cxx-dev libeigen3-dev
  libhiredis-dev libspdlog-dev libssl-dev catch2 redis-server
  nlohmann-json3-dev libsqlite3-dev sqlite3 libjemalloc-dev
  curl python3 python3-yaml openssl
  libmaxminddb-dev  # the gateway's country rules read MaxMind .mmdb databases (net/auth/ip_policy)
  prometheus  # for promtool: the tests validate /metrics with `promtool check metrics`
)
if [ "${1:-}" = "--fuzz" ]; then
  # clang and libFuzzer: libclang-rt-14-dev holds libclang_rt.fuzzer and the sanitizer runtimes;
  # clang only recommends it, and recommends are not installed here.
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
