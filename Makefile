# syncaudit — see README.md. Every target works from a clean clone with only
# Go and the Go module proxy; integration targets build their real
# components (Jaeger v2, an OpenTelemetry Collector) with scripts/install-tools.sh.
export GOFLAGS := -buildvcs=false
GO ?= go
BIN := bin/syncaudit

.PHONY: all build test race demo bench lint fmt fuzz fixtures integration tools chromium asyncapi-schema screenshot clean

all: lint test build

build:
	$(GO) build -o $(BIN) ./cmd/syncaudit

# The fast suite (< 10 minutes on 2 cores): unit, golden, corpus and CLI tests,
# and the Collector connector's own module (collector/syncauditconnector).
CONNECTOR := collector/syncauditconnector
test:
	$(GO) test ./...
	cd $(CONNECTOR) && $(GO) vet ./... && $(GO) test ./...

# The main job on the bundled fixtures: rank the calls of the synchronous
# shop checkout that could be made asynchronous.
demo: build
	./$(BIN) analyze fixtures/sync/otlp.jsonl.gz

# Static checks: go vet, gofmt, go.mod/go.sum tidy, staticcheck (pinned,
# built from the Go module proxy; staticcheck.conf says which checks), and
# the race detector on the packages that run goroutines.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: race
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	cd $(CONNECTOR) && $(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) ./...

# The race detector on the concurrent packages (-short: their quick tests,
# a few minutes on 2 cores).
RACE_PKGS := ./internal/parallel ./trace ./ingest ./detect ./audit ./decode/...
race:
	$(GO) test -race -short -count=1 $(RACE_PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Go benchmarks plus the end-to-end scaling script on generated data.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	cd $(CONNECTOR) && $(GO) test -run='^$$' -bench=. -benchmem ./...
	scripts/bench.sh
	scripts/bench.sh -c formats
	@if [ -d "$${CRISP_DIR:-out/crisp}" ]; then scripts/bench.sh -c crisp; \
	else echo "CRISP is not installed (scripts/install-crisp.sh): skipping the side-by-side comparison"; fi

# Run every fuzz target for FUZZTIME each (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Regenerate the committed fixtures from the real instrumented shop.
fixtures:
	scripts/gen-fixtures.sh

# Real components: Jaeger v2 and two Collectors built with the Collector
# Builder, otelcol-file and otelcol-syncaudit (the syncaudit connector's
# distribution) (cold on 2 cores: ~5 min, ~1.5 min and ~3-4 min; cached
# afterwards), plus the shop and its harness.
tools:
	scripts/install-tools.sh

# Debian's Chromium for the HTML report's browser test (needs root or sudo).
chromium:
	scripts/install-chromium.sh

# The README's screenshot of the bundled shop's HTML report with
# --slowdown, taken in headless Chromium (docs/report-slowdown.png).
screenshot:
	scripts/screenshot.sh

# The official AsyncAPI 3.0.0 JSON Schema (npm @asyncapi/specs) for the
# test that validates -o asyncapi (skipped without it, required in CI).
asyncapi-schema:
	scripts/install-asyncapi-schema.sh

# Integration tests against the real components (shop → Collector / Jaeger):
# the proof that projected savings hold, fetching from a live Jaeger, and the
# syncaudit connector in a two-tier Collector deployment (~1 min).
integration: tools
	SYNCAUDIT_INTEGRATION=1 $(GO) test -count=1 -v -timeout 30m ./integration/... ./fetch/...

clean:
	rm -rf bin out
