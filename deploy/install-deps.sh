#!/usr/bin/env bash
# Installs exactly the Debian packages the build, the node and the tests need (with --fuzz, also
# what `make fuzz` needs), then the npm packages of the Paillier interop test. Idempotent:
# packages already present are skipped, and nothing is fetched when all are installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  g++ make cmake pkg-config ccache
  libcaf-dev libboost-dev libboost-system-dev libmsgpack-cxx-dev libeigen3-dev
  libhiredis-dev libspdlog-dev libssl-dev catch2 redis-server
  nlohmann-json3-dev libsqlite3-dev sqlite3 libjemalloc-dev
  curl python3 python3-yaml openssl
  libmaxminddb-dev  # the gateway's country rules read MaxMind .mmdb databases (net/auth/ip_policy)
  prometheus  # for promtool: the tests validate /metrics with `promtool check metrics`
)
# node and npm run paillier-bigint for tests/privacy/paillier_interop_test. A node that is already
# there with its npm (e.g. another vendor's nodejs, which provides npm and conflicts with
# Debian's npm package) is used as it is.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
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

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The interop test's npm packages, exactly as tests/privacy/interop/package-lock.json pins them:
# installed when node_modules is missing or older than the lock file (npm ci records what it
# installed in node_modules/.package-lock.json).
interop="$root/tests/privacy/interop"
installed="$interop/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$interop/package-lock.json" -nt "$installed" ]; then
  echo "install-deps: npm ci --prefix tests/privacy/interop"
  # Debian's node trusts only its bundled CAs; add the system's store, so that a registry behind
  # a TLS proxy whose CA the system trusts (update-ca-certificates) works as apt and curl do.
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error >/dev/null
fi
