#!/usr/bin/env bash
# `make bench-http`: requests/s and p99 of GET /bff/user (signed in, 10,000 live sessions in the
# SQLite store) against a static file, and their ratio (target >= 0.6). Prints figures only;
# writes no files. Bounded to 3 minutes. Knobs: see scripts/bench-http.mjs (BENCH_*), GATEHOUSE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/ensure-wrk.sh
. scripts/lib/ensure-wrk.sh

if [[ ! -f demo/idp/node_modules/.package-lock.json || demo/idp/package-lock.json -nt demo/idp/node_modules/.package-lock.json ]]; then
  (cd demo/idp && npm ci --no-audit --no-fund --loglevel=error)
fi

# No implicit build here (make bench-http depends on build): measure exactly the binary given.
BIN=${GATEHOUSE_BIN:-build/apps/gatehouse/gatehouse}
[[ -x "$BIN" ]] || { echo "bench-http: no gatehouse binary at $BIN (make build, or set GATEHOUSE_BIN)" >&2; exit 1; }

# SIGTERM first so the node script stops both servers; SIGKILL 10 s later if it hangs.
exec timeout -k 10 180 node scripts/bench-http.mjs
