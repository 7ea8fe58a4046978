#!/usr/bin/env bash
# Builds the fixture tools into bin/ with the normal Go caches:
#
#   bin/jaeger        Jaeger v2 all-in-one (module v1.75.0; v1.76.0 is not an approved release), from tools/jaeger
#   bin/otelcol-file  collector with OTLP receiver + file exporter, from tools/otelcol/dist
#   bin/otelcol-syncaudit  collector with OTLP receiver, load-balancing, file and
#                     debug exporters and the syncaudit connector, from
#                     tools/otelcol-syncaudit/dist (+ collector/syncauditconnector
#                     and this module, through its replaces)
#   bin/shop          the instrumented shop, from fixtures/shop/cmd/shop
#   bin/harness       ports/wait/jaeger-fetch/check helper, from fixtures/shop/cmd/harness
#
# A binary is rebuilt only when missing or older than a file of its module
# (otelcol-syncaudit: `go build` runs every time and relinks only when a
# source changed, since its sources span three modules).
# Cold cost (2 cores): jaeger ~4-5 min and ~2.3 GB RSS, otelcol ~1.5 min,
# otelcol-syncaudit 355 CPU-s (8.2 min wall at load ~10, so ~3-4 min on idle
# cores; 1.2 GB RSS; 550 MB modules, 1 GB build cache, shared in part with
# otelcol); warm: under a few seconds each (otelcol-syncaudit: ~20 s after
# a change to the connector or the syncaudit packages). Prints the time of
# each step.
#
# usage: scripts/install-tools.sh [--only jaeger|otelcol|otelcol-syncaudit|shop]...
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

want=()
while (($#)); do
	case $1 in
	--only) want+=("$2"); shift 2 ;;
	-h | --help) sed -n '2,23p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
wants() { ((${#want[@]} == 0)) || [[ " ${want[*]} " == *" $1 "* ]]; }

mkdir -p "$BIN"
build() { # NAME BINARY DIR SOURCE... -- CMD... (CMD runs in DIR)
	local name=$1 bin=$2 dir=$3 t0 srcs=()
	shift 3
	while [[ $1 != -- ]]; do srcs+=("$1"); shift; done
	shift
	if ! need_build "$bin" "${srcs[@]}"; then
		log "$name: up to date ($bin)"
		return
	fi
	t0=$(now)
	log "$name: building"
	(cd "$dir" && "$@")
	touch "$bin"
	log "$name: built in $(since "$t0") s ($(du -h "$bin" | cut -f1))"
}

total=$(now)
if wants shop; then
	build shop "$BIN/shop" "$ROOT/fixtures/shop" "$ROOT/fixtures/shop" -- go build -o "$BIN/shop" ./cmd/shop
	build harness "$BIN/harness" "$ROOT/fixtures/shop" "$ROOT/fixtures/shop" -- go build -o "$BIN/harness" ./cmd/harness
fi
if wants otelcol; then
	build otelcol "$BIN/otelcol-file" "$ROOT/tools/otelcol/dist" "$ROOT/tools/otelcol/dist" -- \
		go build -trimpath -ldflags='-s -w' -o "$BIN/otelcol-file" .
fi
if wants otelcol-syncaudit; then
	# No need_build: go build checks its three modules itself (a no-op build
	# takes a few seconds and leaves the binary untouched). -mod=mod: the
	# dist module replaces this module with the working tree, so when this
	# module's requirements change the build still resolves them (writing
	# dist/go.mod and go.sum; commit them, or run scripts/regen-otelcol.sh
	# otelcol-syncaudit) instead of failing with "updates to go.mod needed".
	t0=$(now)
	log "otelcol-syncaudit: go build"
	(cd "$ROOT/tools/otelcol-syncaudit/dist" &&
		go build -mod=mod -trimpath -ldflags='-s -w' -o "$BIN/otelcol-syncaudit" .)
	log "otelcol-syncaudit: ready in $(since "$t0") s ($(du -h "$BIN/otelcol-syncaudit" | cut -f1))"
fi
if wants jaeger; then
	build jaeger "$BIN/jaeger" "$ROOT/tools/jaeger" "$ROOT/tools/jaeger/go.mod" "$ROOT/tools/jaeger/go.sum" -- \
		go build -trimpath -ldflags='-s -w' -o "$BIN/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger
fi
log "tools ready in $(since "$total") s"
