#!/usr/bin/env bash
# Time and peak RSS of `gatehouse sessions import` / `export` with BENCH_SESSIONS (1,000,000)
# sessions: a fabricated export file (2 KiB tickets, in the export format) imported into SQLite,
# exported from it, then imported into and exported from PostgreSQL and Redis servers of our own
# (temp dirs, free loopback ports; every server stopped and every file removed on exit). Each
# step runs under `/usr/bin/time -v` and `timeout BENCH_STEP_TIMEOUT` (240 s); one table at the end.
#
#   GATEHOUSE_BIN=build/apps/gatehouse/gatehouse scripts/bench-transfer.sh
#   knobs: BENCH_SESSIONS (1000000), BENCH_TICKET_BYTES (2048), BENCH_STEP_TIMEOUT (240),
#          BENCH_PG_FSYNC (off, as the tests' server), BENCH_REDIS_APPENDFSYNC (everysec: with
#          "always" an import is bound by the disk's fsync rate), BENCH_TMP (TMPDIR)
set -euo pipefail

BIN=${GATEHOUSE_BIN:-build/apps/gatehouse/gatehouse}
SESSIONS=${BENCH_SESSIONS:-1000000}
TICKET_BYTES=${BENCH_TICKET_BYTES:-2048}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-240}
PG_FSYNC=${BENCH_PG_FSYNC:-off}
REDIS_APPENDFSYNC=${BENCH_REDIS_APPENDFSYNC:-everysec}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$BIN" ] || { echo "bench-transfer: no gatehouse binary at $BIN (make build)" >&2; exit 1; }
[ -x "$PG_BIN/postgres" ] || { echo "bench-transfer: no PostgreSQL server binaries" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "bench-transfer: no redis-server" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/gatehouse-transfer-XXXXXX")
PG_UP='' REDIS_PID=''
cleanup() {
  [ -n "$PG_UP" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -s stop 2>/dev/null
  [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: then as the `postgres` user Debian's package makes.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# A config for one store: the [session] lines given; the rest only has to load.
write_config() {
  local file=$1
  shift
  {
    printf '[server]\nlisten = "127.0.0.1:0"\npublic_origin = "http://127.0.0.1"\n\n'
    printf '[oidc]\nauthority = "http://127.0.0.1:9"\nclient_id = "bench"\nclient_secret = "bench-secret"\n\n'
    printf '[session]\npartition = "bench-transfer"\n'
    printf '%s\n' "$@"
    printf '\n[keys]\npath = "%s/keys.json"\n' "$WORK"
  } > "$file"
  chmod 600 "$file"
}

ROWS=()
# measure <label> <command...>: runs it under time -v and timeout; records wall time and peak RSS.
measure() {
  local label=$1
  shift
  local log="$WORK/time-${#ROWS[@]}.log"
  echo "bench-transfer: $label ..." >&2
  if ! /usr/bin/time -v -o "$log" timeout "$STEP_TIMEOUT" "$@" 2> "$WORK/stderr.log"; then
    cat "$WORK/stderr.log" "$log" >&2
    echo "bench-transfer: $label failed (or took longer than ${STEP_TIMEOUT}s)" >&2
    exit 1
  fi
  local wall rss secs
  wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
  secs=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
  ROWS+=("$(awk -v l="$label" -v s="$secs" -v r="$rss" -v n="$SESSIONS" \
    'BEGIN { printf "| %s | %.1f s | %d | %d MiB |", l, s, n / (s > 0 ? s : 0.01), r / 1024 }')")
  sed 's/^/    /' "$WORK/stderr.log" >&2
}

# ---- the fabricated export: the header, then SESSIONS lines in the export's format ----
SEED="$WORK/seed.jsonl"
echo "bench-transfer: writing $SESSIONS sessions to $SEED ..." >&2
python3 - "$SEED" "$SESSIONS" "$TICKET_BYTES" <<'PY'
import base64, hashlib, json, sys, time
path, count, ticket_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = int(time.time() * 1000)
tickets = [base64.urlsafe_b64encode(bytes([65 + i]) * ticket_bytes).rstrip(b"=").decode() for i in range(26)]
with open(path, "w", buffering=1 << 20) as out:
    out.write(json.dumps({"format": "gatehouse-sessions", "version": 1, "partition": "bench-transfer"}) + "\n")
    for i in range(count):
        key = base64.urlsafe_b64encode(hashlib.sha256(b"%d" % i).digest()).rstrip(b"=").decode()
        out.write('{"key":"%s","subject_id":"user-%d","session_id":"sid-%d","created":%d,"renewed":%d,'
                  '"expires":%d,"ticket":"%s"}\n' % (key, i // 2, i, now, now, now + 86400000, tickets[i % 26]))
PY
echo "bench-transfer: $(du -h "$SEED" | cut -f1) written" >&2

# ---- SQLite ----
write_config "$WORK/sqlite.toml" 'store = "sqlite"' "sqlite_path = \"$WORK/sessions.db\""
measure "import → SQLite" "$BIN" sessions import --config "$WORK/sqlite.toml" --in "$SEED"
measure "export ← SQLite" "$BIN" sessions export --config "$WORK/sqlite.toml" --out "$WORK/sqlite.jsonl"
rm -f "$SEED"
[ "$(wc -l < "$WORK/sqlite.jsonl")" -eq $((SESSIONS + 1)) ] || { echo "bench-transfer: export lost sessions" >&2; exit 1; }
rm -f "$WORK/sessions.db"*

# ---- PostgreSQL (a server of our own; the tests' settings, fsync per BENCH_PG_FSYNC) ----
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK" "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  --no-instructions > "$WORK/pg/initdb.log"
PG_PORT=$(free_port)
printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = %s\nshared_buffers = 256MB\n" \
  "$WORK/pg" "$PG_FSYNC" >> "$WORK/pg/data/postgresql.conf"
PG_UP=1
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -o "-p $PG_PORT" -w -t 60 -s start
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE gatehouse'
write_config "$WORK/pg.toml" 'store = "postgres"' \
  "postgres_url = \"postgresql://postgres@127.0.0.1:$PG_PORT/gatehouse\""
measure "import → PostgreSQL" "$BIN" sessions import --config "$WORK/pg.toml" --in "$WORK/sqlite.jsonl"
measure "export ← PostgreSQL" "$BIN" sessions export --config "$WORK/pg.toml" --out "$WORK/pg.jsonl"
rm -f "$WORK/pg.jsonl"
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -s stop
PG_UP=''
rm -rf "$WORK/pg"

# ---- Redis (a server of our own: appendonly yes, appendfsync per BENCH_REDIS_APPENDFSYNC) ----
mkdir -p "$WORK/redis"
REDIS_PORT=$(free_port)
printf 'port %s\nbind 127.0.0.1\nprotected-mode no\ndir %s\nsave ""\nappendonly yes\nappendfsync %s\nauto-aof-rewrite-percentage 0\n' \
  "$REDIS_PORT" "$WORK/redis" "$REDIS_APPENDFSYNC" > "$WORK/redis/redis.conf"
redis-server "$WORK/redis/redis.conf" > "$WORK/redis/server.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 200); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
write_config "$WORK/redis.toml" 'store = "redis"' "redis_url = \"redis://127.0.0.1:$REDIS_PORT/0\""
measure "import → Redis" "$BIN" sessions import --config "$WORK/redis.toml" --in "$WORK/sqlite.jsonl"
measure "export ← Redis" "$BIN" sessions export --config "$WORK/redis.toml" --out "$WORK/redis.jsonl"
REDIS_RSS=$(redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory_human://p' | tr -d '\r')

echo
echo "$SESSIONS sessions, ${TICKET_BYTES}-byte tickets; PostgreSQL fsync=$PG_FSYNC, Redis appendfsync=$REDIS_APPENDFSYNC (used_memory after import: $REDIS_RSS)"
echo
echo "| step | wall time | sessions/s | peak RSS (gatehouse) |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
