#!/usr/bin/env bash
# `make demo`: the development IdP on 127.0.0.1:9090, the sample API on 127.0.0.1:9001 and
# gatehouse on 127.0.0.1:8080 serving the sample SPA (demo/spa) with demo/gatehouse.demo.toml and
# forwarding /api to the sample API. Ctrl-C stops all three.
#   GATEHOUSE_BIN=/path/to/gatehouse scripts/demo.sh   uses that binary and skips `make build`.
# State (sessions, key ring, logs) lives in demo/data/, which git ignores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${GATEHOUSE_BIN:-$ROOT/build/apps/gatehouse/gatehouse}
CONFIG=demo/gatehouse.demo.toml
DATA=demo/data
IDP_PORT=9090
API_PORT=9001
GW_PORT=8080
GW_URL=http://127.0.0.1:$GW_PORT
IDP_URL=http://127.0.0.1:$IDP_PORT
API_URL=http://127.0.0.1:$API_PORT

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  die "Node.js 20+ and npm are needed for the demo IdP and API (./scripts/install-deps.sh node)"
fi

# A port is busy when we cannot bind it ourselves (catches listeners on 127.0.0.1 and 0.0.0.0).
port_busy() {
  ! node -e "const s=require('net').createServer();s.once('error',()=>process.exit(1));s.listen($1,'127.0.0.1',()=>s.close())"
}
busy=""
port_busy $GW_PORT && busy+=" $GW_PORT (for gatehouse)"
port_busy $IDP_PORT && busy+=" $IDP_PORT (for the demo IdP)"
port_busy $API_PORT && busy+=" $API_PORT (for the sample API)"
if [[ -n "$busy" ]]; then
  die "already in use on 127.0.0.1:$busy. Stop whatever listens there (a previous demo? see: ss -ltnp | grep -E ':(8080|9090|9001) ') and try again."
fi

# npm dependencies of the IdP and the API, pinned by their lock files; reinstalled only when a
# lock changed.
for dir in demo/idp demo/api; do
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    say "demo: installing the npm dependencies of $dir (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

if [[ -z "${GATEHOUSE_BIN:-}" ]]; then
  say "demo: building gatehouse (make build)"
  make --no-print-directory build
fi
[[ -x "$BIN" ]] || die "no gatehouse binary at $BIN"

mkdir -p "$DATA"
chmod 700 "$DATA" # the key ring and sessions live here
IDP_LOG=$DATA/idp.log
API_LOG=$DATA/api.log
GW_LOG=$DATA/gatehouse.log
: >"$IDP_LOG"
: >"$API_LOG"
: >"$GW_LOG"

idp_pid=""
api_pid=""
gw_pid=""
# Stops the children by their pids: TERM, then KILL after 5 s. Runs once, on any exit.
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  trap - INT TERM EXIT
  local pid
  for pid in $gw_pid $api_pid $idp_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in $gw_pid $api_pid $idp_pid; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in $gw_pid $api_pid $idp_pid; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n "$gw_pid$api_pid$idp_pid" ]] && say "demo: stopped."
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
  local log
  for log in "$IDP_LOG" "$API_LOG" "$GW_LOG"; do
    say "--- $log (last lines) ---" >&2; tail -n 30 "$log" >&2 || true
  done
}

# wait_for_line PID LOG TEXT WHAT: until LOG holds TEXT (15 s), or dies if PID exits first.
wait_for_line() {
  for _ in $(seq 150); do
    grep -q "$3" "$2" && return 0
    kill -0 "$1" 2>/dev/null || { show_logs; die "$4 exited during start-up"; }
    sleep 0.1
  done
  grep -q "$3" "$2" || { show_logs; die "$4 did not start within 15 s"; }
}

IDP_PORT=$IDP_PORT IDP_ISSUER=$IDP_URL GATEHOUSE_ORIGIN=$GW_URL node demo/idp/server.mjs >>"$IDP_LOG" 2>&1 &
idp_pid=$!
wait_for_line "$idp_pid" "$IDP_LOG" 'idp listening on' "the demo IdP"

# The API trusts the IdP's tokens for its resource indicator (the IdP's default resource).
API_PORT=$API_PORT API_ISSUER=$IDP_URL API_AUDIENCE=urn:gatehouse:demo-api node demo/api/server.mjs >>"$API_LOG" 2>&1 &
api_pid=$!
wait_for_line "$api_pid" "$API_LOG" 'api listening on' "the sample API"

GATEHOUSE_OIDC_CLIENT_SECRET=dev-secret-change-me "$BIN" serve --config "$CONFIG" >>"$GW_LOG" 2>&1 &
gw_pid=$!
ready=0
for _ in $(seq 200); do # 20 s
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$GW_URL/readyz" || true)" == 200 ]]; then ready=1; break; fi
  kill -0 "$gw_pid" 2>/dev/null || { show_logs; die "gatehouse exited during start-up"; }
  sleep 0.1
done
((ready)) || { show_logs; die "gatehouse was not ready ($GW_URL/readyz) within 20 s"; }

cat <<MSG

  gatehouse demo is running.

    Open   $GW_URL/
    Users  alice / alice    bob / bob
    IdP    $IDP_URL   (development only: in-memory, forgets everything on restart)
    API    $API_URL/api   (the sample API; the page calls it through the gateway at /api/hello)
    Logs   $GW_LOG, $IDP_LOG, $API_LOG

  Ctrl-C stops all three.

MSG

# Whichever child ends first ends the demo (the trap then stops the others).
set +e
wait -n "$idp_pid" "$api_pid" "$gw_pid"
status=$?
set -e
show_logs
kill -0 "$gw_pid" 2>/dev/null || die "gatehouse stopped unexpectedly (exit $status)"
kill -0 "$api_pid" 2>/dev/null || die "the sample API stopped unexpectedly (exit $status)"
die "the demo IdP stopped unexpectedly (exit $status)"
