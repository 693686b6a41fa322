# breachledger — make demo runs a complete incident into a fresh ledger;
# make test is what CI runs (.ci/run).

GO       ?= go
BIN      := bin/breachledger
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DEMO_DIR ?= demo
SCENARIO := testdata/scenarios/privacy-breach/scenario.sh

.PHONY: all build demo test vet fmt-check bench golden clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/breachledger

# Records the scenario in testdata/ through the CLI into a fresh ledger, then
# prints the incident's state, timeline and deadlines.
demo: build
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "== recording $(SCENARIO) into $(DEMO_DIR)/ledger.db"
	@BL="$(BIN) --ledger $(DEMO_DIR)/ledger.db" bash $(SCENARIO) > $(DEMO_DIR)/record.log
	@tail -n 4 $(DEMO_DIR)/record.log | head -n 3
	@INC=$$(tail -n 1 $(DEMO_DIR)/record.log); BL="$(BIN) --ledger $(DEMO_DIR)/ledger.db"; \
	echo; echo "== breachledger show $$INC"; $$BL show $$INC && \
	echo && echo "== breachledger timeline $$INC" && $$BL timeline $$INC && \
	echo && echo "== breachledger deadlines --as-of 2025-03-12T12:00:00Z   (exit 7: fabrikam's notice is overdue then)" && \
	{ $$BL deadlines --as-of 2025-03-12T12:00:00Z || test $$? -eq 7; } && \
	echo && echo "== breachledger deadlines   (now)" && $$BL deadlines && \
	echo && echo "ledger kept in $(DEMO_DIR)/ledger.db; try: $$BL log"

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The whole suite under the race detector (SQLite-heavy tests stay small).
test: fmt-check vet
	$(GO) test -race -count=1 ./...

# Regenerates the golden files; review the diff before committing it.
golden:
	$(GO) test -count=1 ./cmd/breachledger -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./eventstore/sqlite ./ledger

clean:
	rm -rf bin $(DEMO_DIR)
