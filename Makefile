# breachledger — make demo runs a complete incident into a fresh ledger;
# make test is what CI runs (.ci/run).

GO       ?= go
BIN      := bin/breachledger
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DEMO_DIR ?= demo
SCENARIO := testdata/scenarios/privacy-breach/scenario.sh

.PHONY: all build demo test lint test-esdb vet fmt-check bench bench-short soak fuzz golden clean witness-tools noesdb-check esdb-conformance oracle

all: build

# A static binary without urfave/cli's man-page generator (the build tag
# drops its markdown packages, which cost every command start-up time).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags urfave_cli_no_docs -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/breachledger

# Records the scenario in testdata/ through the CLI into a fresh ledger, in
# signed mode: the scenario makes each person's SSH key ("signer keygen")
# and alice registers them, so every event is signed by its author. Then it
# prints the signer registry, the incident's state, timeline and deadlines.
# The demo's keys (signers/, keys/) and pins go under $(DEMO_DIR)/config,
# not your own ~/.config/breachledger. It ends with the pinned flow: the
# first verify pins the key, then what an auditor keeps (README).
demo: export XDG_CONFIG_HOME = $(abspath $(DEMO_DIR))/config
demo: build
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "== recording $(SCENARIO) into $(DEMO_DIR)/ledger.db"
	@BL="$(BIN) --ledger $(DEMO_DIR)/ledger.db" bash $(SCENARIO) > $(DEMO_DIR)/record.log
	@tail -n 4 $(DEMO_DIR)/record.log | head -n 3
	@INC=$$(tail -n 1 $(DEMO_DIR)/record.log); BL="$(BIN) --ledger $(DEMO_DIR)/ledger.db"; \
	echo; echo "== breachledger signer list   (each person's own SSH key, made under $(DEMO_DIR)/config/breachledger/signers)"; $$BL signer list && \
	echo && echo "== breachledger show $$INC"; $$BL show $$INC && \
	echo && echo "== breachledger timeline $$INC" && $$BL timeline $$INC && \
	echo && echo "== breachledger deadlines --as-of 2025-03-12T12:00:00Z   (exit 7: fabrikam's notice is overdue then)" && \
	{ $$BL deadlines --as-of 2025-03-12T12:00:00Z || test $$? -eq 7; } && \
	echo && echo "== breachledger deadlines   (now)" && $$BL deadlines && \
	echo && echo "== breachledger verify   (every event signed by its author; the first verify pins the ledger key: compare its fingerprint out of band)" && $$BL verify && \
	echo && echo "== breachledger pin list" && $$BL pin list && \
	echo && echo "== what an auditor keeps: the pinned key and a checkpoint" && \
	echo "$$ breachledger key public -o $(DEMO_DIR)/ledger.pub" && $$BL key public -o $(DEMO_DIR)/ledger.pub && \
	echo "$$ breachledger checkpoint -o $(DEMO_DIR)/kept.checkpoint" && $$BL checkpoint -o $(DEMO_DIR)/kept.checkpoint && \
	echo "$$ breachledger verify --key $(DEMO_DIR)/ledger.pub --against $(DEMO_DIR)/kept.checkpoint" && \
	$$BL verify --key $(DEMO_DIR)/ledger.pub --against $(DEMO_DIR)/kept.checkpoint && \
	$$BL export --bundle $(DEMO_DIR)/ledger.bundle >/dev/null && \
	echo "$$ breachledger verify --bundle $(DEMO_DIR)/ledger.bundle --key $(DEMO_DIR)/ledger.pub --against $(DEMO_DIR)/kept.checkpoint" && \
	$$BL verify --bundle $(DEMO_DIR)/ledger.bundle --key $(DEMO_DIR)/ledger.pub --against $(DEMO_DIR)/kept.checkpoint && \
	echo && echo "ledger kept in $(DEMO_DIR)/ledger.db, its key and pins under $(DEMO_DIR)/config (XDG_CONFIG_HOME); try:" && \
	echo "  XDG_CONFIG_HOME=$(abspath $(DEMO_DIR))/config $$BL log" && \
	echo "  XDG_CONFIG_HOME=$(abspath $(DEMO_DIR))/config $$BL verify"

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The 10,000-event migrate round trip (it runs 2,000 under -race), then the
# whole suite under the race detector (SQLite-heavy tests stay small),
# through gotestsum (a tool of go.mod): it ends with every skipped test and
# why it skipped (a missing chromium or ssh-keygen, no real EventStoreDB).
# The witness tests run the litewitness and witnessctl that witness-tools
# builds once for the run (internal/witnesstest). Before them, the
# official EventStoreDB client's own suite against the in-process test
# server (esdb-conformance, about 40 s), with its summary. The e2e tests of
# cmd/breachledger take about 6 minutes on an idle 2-core machine, well over
# 10 (go test's default timeout) on a shared, loaded one: -timeout 25m keeps
# a slow machine from killing a suite that would pass.
test: export BREACHLEDGER_WITNESS_TOOLS = $(WITNESS_TOOLS)
test: fmt-check vet witness-tools noesdb-check esdb-conformance
	$(GO) test -count=1 -run '^TestMigrateRoundTrip$$' ./cmd/breachledger
	$(GO) tool gotestsum --format pkgname -- -race -count=1 -timeout 25m ./...

# The binary without the EventStoreDB client (-tags noesdb: a SQLite-only
# install that does not pay the client's, gRPC's and protobuf's package
# initialisers; README: Running on EventStoreDB/KurrentDB) builds, refuses
# an esdb:// location (exit 2, saying how to build one that opens it),
# and makes and verifies a bundle. A few seconds.
NOESDB := $(abspath .cache/noesdb)
noesdb-check:
	$(GO) test -count=1 -tags noesdb ./stores
	CGO_ENABLED=0 $(GO) build -tags 'urfave_cli_no_docs noesdb' -o $(NOESDB)/breachledger ./cmd/breachledger
	@set -e; B=$(NOESDB)/breachledger; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	export XDG_CONFIG_HOME=$$d/config XDG_CACHE_HOME=$$d/cache; \
	code=0; $$B --ledger 'esdb://127.0.0.1:1?tls=false' list 2>$$d/err || code=$$?; \
	if [ $$code -ne 2 ] || ! grep -q 'built without EventStoreDB support (-tags noesdb): build it without the tag' $$d/err; then \
		echo "noesdb build on an esdb:// location: exit $$code, want 2:"; cat $$d/err; exit 1; fi; \
	$$B --ledger $$d/l.db --actor alice init --unsigned --name 'noesdb check' >/dev/null 2>&1; \
	$$B --ledger $$d/l.db export --bundle $$d/l.bundle >/dev/null; \
	$$B --ledger $$d/l.db key public -o $$d/l.pub >/dev/null; \
	$$B verify --bundle $$d/l.bundle --key $$d/l.pub >/dev/null; \
	echo "noesdb build: refuses esdb:// (exit 2), verifies a bundle"

# A real, independent C2SP tlog-witness for the tests: litewitness and
# witnessctl (filippo.io/torchwood) built from tools/litewitness, a module of
# its own so its dependencies stay out of go.mod, into .cache/tools. Without
# BREACHLEDGER_WITNESS_TOOLS (go test by hand) internal/witnesstest builds
# them itself under the temporary directory.
WITNESS_TOOLS := $(abspath .cache/tools)
witness-tools:
	GOWORK=off $(GO) build -C tools/litewitness -buildvcs=false -o $(WITNESS_TOOLS)/ filippo.io/torchwood/cmd/litewitness filippo.io/torchwood/cmd/witnessctl
	@echo "witness tools in $(WITNESS_TOOLS): BREACHLEDGER_WITNESS_TOOLS=$(WITNESS_TOOLS)"

# staticcheck (a tool of go.mod, so its version is pinned with the others);
# .ci/run fails on any finding.
lint:
	$(GO) tool staticcheck ./...

# The contract suite and the CLI scenario against a real EventStoreDB /
# KurrentDB server (README: Running on EventStoreDB/KurrentDB), e.g.
#   make test-esdb BREACHLEDGER_ESDB_URL='esdb://localhost:2113?tls=false'
# Each test works under a fresh stream prefix, so the database may hold
# other data; the tests leave their events behind.
test-esdb:
	@test -n "$(BREACHLEDGER_ESDB_URL)" || { echo "set BREACHLEDGER_ESDB_URL, e.g. make test-esdb BREACHLEDGER_ESDB_URL='esdb://localhost:2113?tls=false'"; exit 2; }
	BREACHLEDGER_ESDB_URL='$(BREACHLEDGER_ESDB_URL)' $(GO) test -count=1 -v -run 'RealServer|RealESDB' ./eventstore/esdb ./cmd/breachledger

# The official EventStore-Client-Go v4.2.0 test suite (its esdb/*_test.go,
# from the module cache) against the in-process test server esdbtest, plain
# and TLS with basic auth, in a temporary copy of the client module whose
# container set-up is replaced (eventstore/esdb/esdbtest/testdata/conformance).
# Prints passed / skipped with reasons / failed; fails on a failed test.
esdb-conformance:
	GO=$(GO) bash eventstore/esdb/esdbtest/testdata/conformance/run.sh .

# The randomised oracle of the kept views, whole: three seeds, 150
# incidents each, without the race detector (make test runs one seed, 40 incidents,
# under it). About 90 s.
oracle:
	$(GO) test -count=1 -run '^TestOracleKeptEqualsProjections$$' ./projections/readmodel

# Regenerates the golden files; review the diff before committing it.
golden:
	$(GO) test -count=1 ./cmd/breachledger -update

# Includes BenchmarkVerify1M: it first builds a 1,000,000-event ledger with
# batched appends (a minute or so; BENCH_VERIFY_EVENTS=N for a smaller one),
# and BenchmarkAppendIntegrity: one append with and without its checkpoint;
# and BenchmarkRead100k: the deadline view and HTTP reads at 100,000
# incidents from the kept read models, as p50/p99 (it first builds the
# ledger with batched imports; BENCH_INCIDENTS=N for another size).
# Then the side-by-side run of issue 7 (bench/, a module of its own so the
# product's go.mod does not depend on the peer): every row of the table in
# BENCHMARKS.md beside its baseline, with the ratio and whether the goal is
# met. bench-short is a quick look at the same rows (not figures to record).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m ./eventstore/sqlite ./ledger ./httpapi
	cd bench && $(GO) run ./sidebyside
	cd bench && $(GO) run ./esdbscale

bench-short:
	cd bench && $(GO) run ./sidebyside -short
	cd bench && $(GO) run ./esdbscale -short

# The crash harness for minutes (crashtest/): CLI and library writers killed
# with SIGKILL at random and restarted, then every acknowledged append, no
# partial append, gap-free sequences, verify and projection digests checked.
# make test runs its short form.
SOAK_TIME  ?= 3m
SOAK_KILLS ?= 200
soak:
	BREACHLEDGER_SOAK=$(SOAK_TIME) BREACHLEDGER_SOAK_KILLS=$(SOAK_KILLS) $(GO) test -count=1 -v -timeout 60m -run '^TestCrashRecovery$$' ./crashtest

# Every fuzz target for FUZZTIME each (their seed corpora, in testdata/fuzz,
# run in make test like any test). A new failing input lands in the
# package's testdata/fuzz: fix the bug and keep the input as a seed.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./domain:FuzzDecode ./domain:FuzzParseDuration ./cmd/breachledger:FuzzParseTime \
	./integrity:FuzzParseBundle ./integrity:FuzzOpenCheckpoint ./integrity:FuzzParseProof ./ledger:FuzzMigrate
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	done

clean:
	rm -rf bin $(DEMO_DIR)
