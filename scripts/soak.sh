#!/usr/bin/env bash
# Soak test: scripts/soak.sh DURATION (e.g. 60s, 20m). The gateway on a temp SQLite store and the
# dev IdP on loopback under a steady mix of logins, /bff/user, logouts, back-channel logouts and
# cleanup; a table of RSS, fds and /bff/user p99 every 10 s; exits non-zero on any error, a crash
# or RSS/fd growth. Knobs: see the top of scripts/soak.mjs. GATEHOUSE_BIN picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 1 ]] || { echo "usage: scripts/soak.sh DURATION   (e.g. 60s, 20m)" >&2; exit 2; }
export GATEHOUSE_BIN=${GATEHOUSE_BIN:-$PWD/build/apps/gatehouse/gatehouse}
[[ -x $GATEHOUSE_BIN ]] || { echo "soak: no gatehouse binary at $GATEHOUSE_BIN (make build)" >&2; exit 2; }
if [[ ! -d demo/idp/node_modules/oidc-provider ]]; then
  (cd demo/idp && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node scripts/soak.mjs "$1"
