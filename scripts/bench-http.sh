#!/usr/bin/env bash
# `make bench-http`: one table for issues #10/#11 — requests/s, p99 and ratios of the floor (a
# bare Beast server), a static file, authenticated GET /bff/user (10,000 sessions in SQLite) with
# and without sliding renewal, threads = 1 vs 2 (pinned with taskset), then the gateway's RSS
# with 10,000 idle keep-alive connections. Loopback only; writes only in temp dirs.
# Knobs: BENCH_* (documented at the top of scripts/bench-http.mjs), GATEHOUSE_BIN,
# BARE_UPSTREAM_BIN, and here:
#   BENCH_TIMEOUT      seconds before the run is stopped (default: from the number of cases,
#                      BENCH_ROUNDS and BENCH_SECONDS, plus set-up; ~10 min for the default run)
#   BENCH_NOFILE_SOFT  start the gateway with this soft open-files limit (e.g. 1024, a common
#                      default) to see whether it raises its own
# The binaries are hard-linked (or copied) into a temp dir first: a rebuild during the run then
# cannot swap the binary under the processes that start later.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/ensure-wrk.sh
. scripts/lib/ensure-wrk.sh
for tool in taskset python3; do
  command -v "$tool" >/dev/null || { echo "bench-http: $tool is missing" >&2; exit 1; }
done

if [[ ! -f demo/idp/node_modules/.package-lock.json || demo/idp/package-lock.json -nt demo/idp/node_modules/.package-lock.json ]]; then
  (cd demo/idp && npm ci --no-audit --no-fund --loglevel=error)
fi

# No implicit build here (make bench-http depends on build): measure exactly the binaries given.
BIN=${GATEHOUSE_BIN:-build/apps/gatehouse/gatehouse}
UPSTREAM=${BARE_UPSTREAM_BIN:-build/bench/bare_upstream}
for exe in "$BIN" "$UPSTREAM"; do
  [[ -x "$exe" ]] || { echo "bench-http: no binary at $exe (make build, or set GATEHOUSE_BIN / BARE_UPSTREAM_BIN)" >&2; exit 1; }
done

bin_dir=$(mktemp -d -t gatehouse-bench-bin-XXXXXX)
trap 'rm -rf "$bin_dir"' EXIT
snapshot() { ln "$1" "$bin_dir/$2" 2>/dev/null || cp "$1" "$bin_dir/$2"; }
snapshot "$UPSTREAM" bare_upstream
if [[ -n "${BENCH_NOFILE_SOFT:-}" ]]; then
  # Node raises its own soft limit to the hard one and its children inherit that: so the lower
  # limit is set by a wrapper that execs the gateway (same pid).
  snapshot "$BIN" gatehouse.real
  printf '#!/bin/sh\nulimit -Sn %d || exit 1\nexec "%s" "$@"\n' "$BENCH_NOFILE_SOFT" "$bin_dir/gatehouse.real" >"$bin_dir/gatehouse"
  chmod 700 "$bin_dir/gatehouse"
else
  snapshot "$BIN" gatehouse
fi

# The bound follows the run's length: cases x (rounds x seconds + warm-up and start of wrk), plus
# set-up (logins, import, other stores' servers) and the idle-connection figure.
extra_stores=0
if [[ -n "${BENCH_STORES:-}" ]]; then
  IFS=, read -ra stores <<<"$BENCH_STORES"
  for s in "${stores[@]}"; do [[ -n "$s" && "$s" != "${BENCH_STORE:-sqlite}" ]] && extra_stores=$((extra_stores + 1)); done
fi
seconds=${BENCH_SECONDS:-10}
seconds=${seconds%.*}
cases=$((9 + extra_stores + (${BENCH_TWO_INSTANCES:-0} == 1 ? 1 + extra_stores : 0)))
limit=${BENCH_TIMEOUT:-$((300 + 90 * extra_stores + cases * (${BENCH_ROUNDS:-3} * seconds + 4)))}
echo "bench-http: $(realpath "$BIN"), bounded to $limit s; open files: soft ${BENCH_NOFILE_SOFT:-$(ulimit -Sn)} for the gateway, hard $(ulimit -Hn)" >&2

# SIGTERM first so the node script stops every server; SIGKILL 10 s later if it hangs.
# timeout(1) runs in a process group of its own, out of reach of Ctrl-C: pass signals on.
GATEHOUSE_BIN="$bin_dir/gatehouse" BARE_UPSTREAM_BIN="$bin_dir/bare_upstream" \
  timeout -k 10 "$limit" node scripts/bench-http.mjs &
runner=$!
trap 'kill -TERM "$runner" 2>/dev/null || true' INT TERM
while :; do
  status=0
  wait "$runner" || status=$?
  kill -0 "$runner" 2>/dev/null || break
done
[[ $status -eq 124 ]] && echo "bench-http: stopped after $limit s (BENCH_TIMEOUT)" >&2
exit "$status"
