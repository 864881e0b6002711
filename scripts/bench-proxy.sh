#!/usr/bin/env bash
# `make bench-proxy`: requests/s and p99 of small responses straight from a bare Beast upstream
# and through gatehouse (an [[api]] route, token = "none"), measured alternately in one run with
# the same wrk settings, and their ratio (target >= 0.5); then a 1 GiB download through the
# proxy with the gateway's peak RSS growth (target < 32 MiB). Loopback only, bounded in time.
# Knobs: BENCH_SECONDS (per wrk run, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS
# (default 64), GATEHOUSE_BIN, BARE_UPSTREAM_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${GATEHOUSE_BIN:-build/apps/gatehouse/gatehouse}
UPSTREAM=${BARE_UPSTREAM_BIN:-build/bench/bare_upstream}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
for exe in "$BIN" "$UPSTREAM"; do
  [[ -x "$exe" ]] || { echo "bench-proxy: no binary at $exe (make build)" >&2; exit 1; }
done
# shellcheck source=scripts/lib/ensure-wrk.sh
. scripts/lib/ensure-wrk.sh

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port)
gw_port=$(free_port)

"$UPSTREAM" "$up_port" 64 >"$tmp/upstream.log" 2>&1 &
pids+=($!)

chmod 700 "$tmp"
cat >"$tmp/gatehouse.toml" <<TOML
[server]
listen = "127.0.0.1:$gw_port"
public_origin = "http://127.0.0.1:$gw_port"
[oidc]
authority = "http://127.0.0.1:1"
client_id = "bench"
[session]
sqlite_path = "$tmp/sessions.db"
[keys]
path = "$tmp/keys.json"
[[api]]
path = "/up"
upstream = "http://127.0.0.1:$up_port"
token = "none"
csrf = false
TOML
chmod 600 "$tmp/gatehouse.toml"
GATEHOUSE_OIDC_CLIENT_SECRET=bench-secret "$BIN" serve --config "$tmp/gatehouse.toml" >"$tmp/gatehouse.log" 2>&1 &
gw_pid=$!
pids+=($gw_pid)
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$gw_port/healthz" && curl -s -o /dev/null "http://127.0.0.1:$up_port/" && break
  sleep 0.1
done

# requests/s and p99 (ms) of one wrk run.
run_wrk() {
  timeout -k 5 $((SECONDS_PER_RUN + 20)) wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$1" |
    awk '/Requests\/sec/ {rps=$2} / 99%/ {p=$2; if (p ~ /us$/) {sub(/us/,"",p); p/=1000} else if (p ~ /ms$/) {sub(/ms/,"",p)} else if (p ~ /s$/) {sub(/s/,"",p); p*=1000}} END {printf "%.0f %.2f\n", rps, p}'
}

echo "bench-proxy: $ROUNDS rounds of wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, alternating (2 cores; wrk, upstream and gateway share them)"
printf '%-6s %12s %10s %12s %10s %7s\n' round direct_rps p99_ms proxied_rps p99_ms ratio
for round in $(seq "$ROUNDS"); do
  read -r d_rps d_p99 < <(run_wrk "http://127.0.0.1:$up_port/small")
  read -r p_rps p_p99 < <(run_wrk "http://127.0.0.1:$gw_port/up/small")
  ratio=$(python3 -c "print(f'{$p_rps / $d_rps:.2f}')")
  printf '%-6s %12s %10s %12s %10s %7s\n' "$round" "$d_rps" "$d_p99" "$p_rps" "$p_p99" "$ratio"
done

# Peak RSS growth of the gateway while 1 GiB passes through it.
echo 5 >"/proc/$gw_pid/clear_refs"
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$gw_pid/status")
start=$(date +%s.%N)
bytes=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$gw_port/up/big?bytes=1073741824")
took=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
peak=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
echo "1 GiB download through the proxy: $bytes bytes in $took s; gateway RSS $((rss_before / 1024)) MiB before, peak growth $(((peak - rss_before) / 1024)) MiB"
