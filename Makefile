# The two commands: `make test` and (with the gateway) `make demo`. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= 2
CMAKE_ARGS ?=
# ccache keys on paths relative to the checkout, so clones in other folders (CI) hit the cache.
export CCACHE_BASEDIR := $(CURDIR)
# With -g, ccache would otherwise hash the build folder too.
export CCACHE_NOHASHDIR := 1

# The targets share build folders, loopback services and both cores (ctest and ninja run -j $(JOBS)
# themselves): never run two at once, even under `make -j` or a MAKEFLAGS=-j from outside.
.NOTPARALLEL:

.PHONY: all deps build test test-fast test-cpp test-node test-asan test-tsan fuzz bench bench-http bench-proxy bench-refresh demo format clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Every test: C++ unit, conformance and integration tests, then the Node-side tests (the dev
# identity provider driven by a scripted client, the sample SPA in headless Chromium), then the
# installed and Debian packages and a 60 s soak.
test: test-cpp test-node test-package soak-short

# The installed package and the Debian package (scripts/test-install.sh, scripts/test-deb.sh):
# `cmake --install` into a temp prefix with both examples built against it as a separate
# project, and the .deb checked and run from a scratch root (never installed on this machine).
.PHONY: install test-package test-install test-deb deb soak soak-short
test-package: test-install test-deb

test-install: build
	JOBS=$(JOBS) ./scripts/test-install.sh $(BUILD)

test-deb: build
	./scripts/test-deb.sh $(BUILD)

# `make install PREFIX=/opt/gatehouse`: the binary, the headers, the static libraries and the
# CMake package (find_package(gatehouse)); see docs/embedding.md.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package in $(BUILD)/packages/: /usr/bin/gatehouse, gatehouse.service, /etc/gatehouse.
deb: build
	cd $(BUILD) && cpack -G DEB --config CPackConfig.cmake

# Soak (loopback, bounded): `make soak SOAK_DURATION=20m`; `make test` runs the 60 s version.
SOAK_DURATION ?= 20m
soak: build
	@./scripts/install-deps.sh node
	cd demo/idp && $(NPM_CI)
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse ./scripts/soak.sh $(SOAK_DURATION)

soak-short: build
	@./scripts/install-deps.sh node
	cd demo/idp && $(NPM_CI)
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse ./scripts/soak.sh 60s

test-cpp: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 600 --no-tests=error

# The edit loop: C++ tests labelled fast (no real timers, servers, kill -9 or thread storms).
test-fast: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 120 -L fast --no-tests=error

NPM_CI = npm ci --no-audit --no-fund --loglevel=error
# The suites skip when no binary exists (handy while editing one of them); `make test` must fail.
NODE_TEST_ENV = GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse GATEHOUSE_REQUIRE_BIN=1
# The integration and browser suites leave every gateway's and command's output and every secret
# they use (cookies, tokens, codes, client secrets, admin tokens, webhook URLs, keys) in one temp
# dir (GATEHOUSE_TEST_LOG_DIR, removed after; E2E_KEEP_TMP=1 keeps it); then no log line of the
# whole run may hold any of them (scripts/check-log-secrets.mjs).
test-node: build
	@./scripts/install-deps.sh node
	cd demo/idp && $(NPM_CI)
	cd demo/api && $(NPM_CI)
	cd tests/browser && $(NPM_CI)
	cd demo/idp && npm test
	cd demo/api && npm test
	logs=$$(mktemp -d -t gatehouse-test-logs-XXXXXX) && \
	  trap 'if [ -n "$$E2E_KEEP_TMP" ]; then echo "kept $$logs"; else rm -rf "$$logs"; fi' EXIT && \
	  (cd tests/integration && GATEHOUSE_TEST_LOG_DIR=$$logs $(NODE_TEST_ENV) npm test) && \
	  (cd tests/browser && GATEHOUSE_TEST_LOG_DIR=$$logs $(NODE_TEST_ENV) npm test) && \
	  node scripts/check-log-secrets.mjs "$$logs"

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGATEHOUSE_SANITIZE=ON \
	  -DGATEHOUSE_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j $(JOBS) --output-on-failure --timeout 900 --no-tests=error

# Every libFuzzer target built with clang (in FUZZ_BUILD), each run FUZZ_SECONDS on a copy of
# its seed corpus; one line per target, fails on any finding or a target that does not build.
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) ./scripts/fuzz.sh $(FUZZ_BUILD)

# The tests that run code on several threads, built with ThreadSanitizer: the stores' concurrent
# writers and conformance races, the refresh lease race, the custom store, the PostgreSQL and
# Redis stores (their engines' io threads beside the callers'), and the whole gateway on several
# io threads under a bounded stress, the key ring reloaded while threads seal and open, and the
# audit sinks (their writer and sender threads beside the publishers), and the log sink.
TSAN_TESTS = memory_store_test sqlite_store_test sqlite_crash_writer ticket_store_test custom_store_test \
  postgres_conformance_test postgres_store_test postgres_crash_writer redis_protocol_test redis_store_test \
  redis_cluster_test gateway_threads_test crypto_test metrics_test audit_test audit_webhook_test \
  line_sink_test http_server_test
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_TSAN=ON \
	  -DGATEHOUSE_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest -j $(JOBS) --output-on-failure --timeout 900 --no-tests=error \
	  -R '^(Memory|Sqlite|SqliteStore|TicketStore|LeaseStore|ExampleMap|Postgres|Redis|GatewayThreads|KeyRingReload|DigestThreads|HttpServerThreads|MetricsThreads|AuditFileSink|AuditWebhookSink|LineSink)'

# Store benchmarks beside a raw sqlite3 baseline, then the back-channel logout request beside
# its parts, then what recording metrics costs per request; each prints its ratios. BENCH_ARGS
# passes flags to all.
bench: build
	$(BUILD)/bench/store_bench $(BENCH_ARGS)
	$(BUILD)/bench/backchannel_bench $(BENCH_ARGS)
	$(BUILD)/bench/metrics_bench $(BENCH_ARGS)

# The PostgreSQL and Redis stores beside raw libpq / hiredis sending the same statements and
# commands, each on a server of its own (temp dir, loopback); GATEHOUSE_BENCH_SIZES (default
# 10000,1000000) picks the sizes, BENCH_ARGS passes flags to both.
.PHONY: bench-stores bench-transfer
bench-stores: build
	$(BUILD)/bench/postgres_bench $(BENCH_ARGS)
	$(BUILD)/bench/redis_bench $(BENCH_ARGS)

# `gatehouse sessions import` / `export` of BENCH_SESSIONS (1,000,000) sessions through SQLite,
# PostgreSQL and Redis: wall time and peak RSS of each step (bounded, servers of its own).
bench-transfer: build
	@GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse ./scripts/bench-transfer.sh

# The gateway on its embedded SQLite store with the development identity provider and the
# sample SPA; prints the URL and the demo users. Ctrl-C stops everything.
demo: build
	@./scripts/install-deps.sh node
	@GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse ./scripts/demo.sh

# Proxy benchmark (wrk, loopback, bounded): a bare upstream directly and through an [[api]]
# route, then a 1 GiB download through the proxy with the gateway's peak RSS growth.
bench-proxy: build
	@GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse \
	  BARE_UPSTREAM_BIN=$(CURDIR)/$(BUILD)/bench/bare_upstream ./scripts/bench-proxy.sh

# A refresh storm: N sessions' tokens go stale at once; one token request per session expected.
bench-refresh: build
	@./scripts/install-deps.sh node
	cd demo/idp && $(NPM_CI)
	cd demo/api && $(NPM_CI)
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse node scripts/bench-refresh-storm.mjs

# Load benchmark (wrk, loopback, bounded, one table): a bare Beast floor, a static file and
# authenticated /bff/user (10,000 sessions), threads 1 vs 2, RSS with 10,000 idle connections.
# BENCH_STORES=sqlite,postgres,redis BENCH_TWO_INSTANCES=1 adds each store and two instances per
# store (issue #10); the other BENCH_* knobs are listed at the top of scripts/bench-http.mjs.
bench-http: build
	@./scripts/install-deps.sh node
	@GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/apps/gatehouse/gatehouse \
	  BARE_UPSTREAM_BIN=$(CURDIR)/$(BUILD)/bench/bare_upstream ./scripts/bench-http.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
