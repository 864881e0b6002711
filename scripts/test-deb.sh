#!/usr/bin/env bash
# The Debian package without installing it on this machine: `make deb` output (or builds it),
# its control data and file list checked with dpkg-deb, extracted into a scratch root with
# dpkg -x, and the packaged binary run from there: `check-config` on the packaged configuration
# as shipped (the client secret given as the service's environment file would) and `--version`.
# Usage: scripts/test-deb.sh [BUILD]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-deb-XXXXXX")
trap 'rc=$?; if ((rc)); then echo "test-deb: FAILED (rc $rc); kept $WORK" >&2; else rm -rf "$WORK"; fi' EXIT
step() { printf 'test-deb: %s\n' "$*"; }
fail() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }

step "cpack -G DEB"
rm -f "$BUILD"/packages/gatehouse_*.deb
(cd "$BUILD" && cpack -G DEB --config CPackConfig.cmake) >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; fail "cpack"; }
shopt -s nullglob
debs=("$BUILD"/packages/gatehouse_*.deb)
((${#debs[@]} == 1)) || fail "expected one gatehouse_*.deb in $BUILD/packages, found ${#debs[@]}"
DEB=${debs[0]}
step "$DEB ($(du -h "$DEB" | cut -f1))"

dpkg-deb -I "$DEB" >"$WORK/info"
dpkg-deb -c "$DEB" >"$WORK/contents"
field() { dpkg-deb -f "$DEB" "$1"; }
[[ $(field Package) == gatehouse ]] || fail "Package: $(field Package)"
[[ $(field Architecture) == "$(dpkg --print-architecture)" ]] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
# dpkg-shlibdeps found the binary's shared libraries.
for lib in libc6 libssl3 libsqlite3-0 libpq5 libhiredis adduser; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
for f in ./usr/bin/gatehouse ./lib/systemd/system/gatehouse.service ./usr/lib/sysusers.d/gatehouse.conf \
  ./etc/gatehouse/gatehouse.toml ./etc/gatehouse/gatehouse.env ./usr/share/doc/gatehouse/configuration.md; do
  grep -qE " $f\$" "$WORK/contents" || fail "$f is not in the package"
done
# Runtime only: no headers, static libraries or CMake files.
if grep -qE '\./usr/(include|lib/[^s].*\.a|lib/cmake)' "$WORK/contents"; then fail "development files in the package"; fi
# The configuration is private to root and the service's group (postinst sets the group).
grep -E ' \./etc/gatehouse/gatehouse\.(toml|env)$' "$WORK/contents" | grep -qv '^-rw-r-----' &&
  fail "the files under /etc/gatehouse must be mode 0640"
mkdir "$WORK/control"
dpkg-deb -e "$DEB" "$WORK/control"
for f in conffiles postinst prerm postrm; do [[ -f $WORK/control/$f ]] || fail "no $f in the control area"; done
grep -qx /etc/gatehouse/gatehouse.toml "$WORK/control/conffiles" || fail "gatehouse.toml is not a conffile"
for f in postinst prerm postrm; do sh -n "$WORK/control/$f" || fail "$f is not valid sh"; done
step "control: $(field Package) $(field Version), Depends: $depends"

ROOT=$WORK/root
dpkg -x "$DEB" "$ROOT"
UNIT=$ROOT/lib/systemd/system/gatehouse.service
for line in 'User=gatehouse' 'ProtectSystem=strict' 'StateDirectory=gatehouse' 'LogsDirectory=gatehouse' \
  'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectHome=yes' 'CapabilityBoundingSet=' \
  'ExecStart=/usr/bin/gatehouse serve --config /etc/gatehouse/gatehouse.toml' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure'; do
  grep -qxF "$line" "$UNIT" || fail "gatehouse.service lacks: $line"
done
if command -v systemd-analyze >/dev/null; then
  # verify looks for the ExecStart binary on this machine, where the package is not installed:
  # only the unit's own errors (unknown keys, bad values) count.
  systemd-analyze verify "$UNIT" >"$WORK/verify.log" 2>&1 || true
  if grep -v -e 'is not executable' -e 'No such file' -e 'not found' -e 'Failed to prepare' \
    -e '^$' "$WORK/verify.log" | grep -q .; then
    cat "$WORK/verify.log" >&2
    fail "systemd-analyze verify gatehouse.service"
  fi
fi

BIN=$ROOT/usr/bin/gatehouse
"$BIN" --version | grep -q '^gatehouse ' || fail "$BIN --version"
# check-config on the packaged file as shipped; only the secret comes from the environment, as
# /etc/gatehouse/gatehouse.env gives it to the service.
env -i PATH=/usr/bin:/bin GATEHOUSE_OIDC_CLIENT_SECRET=packaged-config-check \
  "$BIN" check-config --config "$ROOT/etc/gatehouse/gatehouse.toml" >"$WORK/check.log" 2>&1 ||
  { cat "$WORK/check.log" >&2; fail "check-config on the packaged configuration"; }
grep -q 'configuration OK' "$WORK/check.log" || fail "check-config did not say OK"
if grep -q '^warning' "$WORK/check.log"; then cat "$WORK/check.log" >&2; fail "check-config warned"; fi
grep -q '/var/lib/gatehouse/sessions.db' "$WORK/check.log" || fail "sqlite_path is not under /var/lib/gatehouse"
# ... and without the secret it says which setting is missing and exits non-zero.
if env -i PATH=/usr/bin:/bin "$BIN" check-config --config "$ROOT/etc/gatehouse/gatehouse.toml" >"$WORK/nosecret.log" 2>&1; then
  fail "check-config passed without a client secret"
fi
grep -q 'oidc.client_secret' "$WORK/nosecret.log" || fail "check-config did not name oidc.client_secret"
step "OK: $(basename "$DEB"): contents, control, unit, check-config from the extracted root"
