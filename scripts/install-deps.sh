#!/usr/bin/env bash
# Installs the Debian 12 packages gatehouse needs to build and test; does nothing when all are
# present. Runs as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  libtcmalloc-minimal4
  libpq-dev postgresql-15 libhiredis-dev redis-server redis-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev clang-format
  python3 openssl
)
# Extra groups: `install-deps.sh node` adds what the demo and browser tests need.
for group in "$@"; do
  case "$group" in
    node) packages+=(nodejs npm chromium) ;;
    *) echo "install-deps.sh: unknown group '$group'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere (e.g. NodeSource's nodejs, which bundles npm): a working
# command is as good as the Debian package.
kept=()
for p in "${missing[@]}"; do
  case "$p" in
    nodejs) command -v node >/dev/null || kept+=("$p") ;;
    npm) command -v npm >/dev/null || kept+=("$p") ;;
    *) kept+=("$p") ;;
  esac
done
missing=("${kept[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
