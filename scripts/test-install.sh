#!/usr/bin/env bash
# The installed package as an embedder sees it: `cmake --install BUILD` into a temp prefix, every
# installed header compiled on its own against that prefix alone (no header may reach into the
# source tree), then examples/ configured as a separate CMake project with
# find_package(gatehouse) (CMAKE_PREFIX_PATH), built, and run: the custom store's example and its
# conformance suite, and the embedded gateway started on a free loopback port, probed and
# stopped with SIGTERM. Usage: scripts/test-install.sh [BUILD]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
JOBS=${JOBS:-2}
[[ -f $BUILD/cmake_install.cmake ]] || { echo "test-install: no build in $BUILD (make build)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-install-XXXXXX")
GATEWAY_PID=
cleanup() {
  local rc=$?
  if [[ -n $GATEWAY_PID ]]; then kill -KILL "$GATEWAY_PID" 2>/dev/null || true; fi
  if ((rc != 0)); then
    echo "test-install: FAILED (rc $rc); kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
PREFIX=$WORK/prefix
START=$SECONDS
step() { printf 'test-install: [%3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { printf 'test-install: FAIL: %s\n' "$*" >&2; exit 1; }

step "cmake --install $BUILD --prefix $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log"
for f in bin/gatehouse include/gatehouse/gateway.hpp include/gatehouse/config/config.hpp \
  include/gatehouse/bff_builder.hpp include/gatehouse/session/user_session_store.hpp \
  include/gatehouse/testing/conformance/user_session_store_conformance.hpp \
  lib/cmake/gatehouse/gatehouseConfig.cmake lib/cmake/gatehouse/gatehouseConfigVersion.cmake \
  lib/cmake/gatehouse/gatehouseTargets.cmake lib/libgatehouse_bff.a; do
  [[ -e $PREFIX/$f ]] || fail "$f is not installed"
done
# Nothing for the system (those are the Debian package's) and no internal header.
for f in etc lib/systemd usr; do [[ ! -e $PREFIX/$f ]] || fail "$f installed by cmake --install"; done
if find "$PREFIX/include" -name '*.hpp' -path '*/src/*' | grep -q .; then fail "internal headers installed"; fi
"$PREFIX/bin/gatehouse" --version | grep -q '^gatehouse ' || fail "installed gatehouse --version"

# Each public header compiles alone with only the prefix (and system) include paths: an include
# of an internal src/ header would fail here. The conformance headers need GTest, also a system
# header.
step "compiling each installed header on its own"
find "$PREFIX/include/gatehouse" -name '*.hpp' | sort >"$WORK/headers"
compile_one() {
  printf '#include "%s"\n' "$1" | g++ -std=c++20 -fsyntax-only -I"$2/include" \
    -I"$2/include/gatehouse/testing" -x c++ - 2>&1 | sed "s|^|$1: |"
  return "${PIPESTATUS[1]}"
}
export -f compile_one
xargs -P "$JOBS" -I{} bash -c 'compile_one "$1" "$2"' _ {} "$PREFIX" <"$WORK/headers" \
  >"$WORK/headers.log" 2>&1 || { cat "$WORK/headers.log" >&2; fail "a public header does not compile alone"; }
step "$(wc -l <"$WORK/headers") headers compile alone"

step "examples/ as a separate project against the installed package"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S examples -B "$WORK/examples" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$PREFIX" "${launcher[@]}" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "configuring examples/ against the package"; }
# The package's targets, not the tree's: every gatehouse library comes from the prefix.
grep -q "$PREFIX/lib/libgatehouse_session.a" "$WORK/examples/build.ninja" ||
  fail "the examples do not link the installed libraries"
if grep -q "$ROOT/src" "$WORK/examples/build.ninja"; then fail "the examples reach into $ROOT/src"; fi
# ccache: paths under the temp dir (the prefix's include/) hashed relative to it, so a second run
# hits the cache although the temp dir's name changes.
CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=1 cmake --build "$WORK/examples" -j "$JOBS" >"$WORK/build.log" 2>&1 ||
  { tail -50 "$WORK/build.log" >&2; fail "building examples/ against the package"; }

step "custom_store_example"
"$WORK/examples/custom_store/custom_store_example"
step "custom_store_test (the conformance suite, from the package)"
"$WORK/examples/custom_store/custom_store_test" --gtest_brief=1 >"$WORK/conformance.log" 2>&1 ||
  { tail -40 "$WORK/conformance.log" >&2; fail "custom_store_test"; }
grep -E '^\[  PASSED  \]' "$WORK/conformance.log"

step "embedded_gateway: start on a free port, probe, SIGTERM"
"$WORK/examples/embedded_gateway/embedded_gateway" >/dev/null 2>&1 && fail "embedded_gateway without arguments exited 0"
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
cat >"$WORK/embedded.toml" <<EOF
[server]
listen = "127.0.0.1:$PORT"
public_origin = "http://127.0.0.1:$PORT"
threads = 2
[oidc]
authority = "http://127.0.0.1:9/unreachable"
client_id = "embedded"
client_secret = "embedded-example-secret"
[keys]
path = "$WORK/keys.json"
EOF
chmod 600 "$WORK/embedded.toml"
"$WORK/examples/embedded_gateway/embedded_gateway" "$WORK/embedded.toml" >"$WORK/embedded.log" 2>&1 &
GATEWAY_PID=$!
up=0
for _ in $(seq 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then up=1; break; fi
  kill -0 "$GATEWAY_PID" 2>/dev/null || break
  sleep 0.1
done
((up)) || { cat "$WORK/embedded.log" >&2; fail "embedded_gateway did not answer /healthz"; }
# The application's own endpoint sits behind the gateway's session check.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-CSRF: 1' "http://127.0.0.1:$PORT/local/whoami")
[[ $code == 401 ]] || fail "GET /local/whoami without a session answered $code, expected 401"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/bff/user")
[[ $code == 401 || $code == 400 ]] || fail "GET /bff/user without a session answered $code"
kill -TERM "$GATEWAY_PID"
rc=0
for _ in $(seq 100); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$GATEWAY_PID" 2>/dev/null && fail "embedded_gateway still running 10 s after SIGTERM"
wait "$GATEWAY_PID" || rc=$?
GATEWAY_PID=
((rc == 0)) || { cat "$WORK/embedded.log" >&2; fail "embedded_gateway exited $rc on SIGTERM"; }
step "OK: installed package, $(wc -l <"$WORK/headers") headers, both examples built and run from it"
