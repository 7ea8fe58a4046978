#!/usr/bin/env bash
# Regenerates tools/NAME/dist from tools/NAME/builder-config.yaml with the
# collector builder (ocb). Run it after changing a builder config, then
# commit dist/ (scripts/install-tools.sh builds from the committed dist/).
#
#   scripts/regen-otelcol.sh                    tools/otelcol (bin/otelcol-file)
#   scripts/regen-otelcol.sh otelcol-syncaudit  tools/otelcol-syncaudit (bin/otelcol-syncaudit)
#
# The builder's own `go mod tidy` fails: fileexporter's tests import
# otlpencodingextension, whose module zip the Go proxy does not serve. The
# sources and go.mod are written before that step, so this script ignores the
# builder's exit status and finishes with `go mod tidy -e`.
#
# otelcol-syncaudit builds the local connector (collector/syncauditconnector)
# and the syncaudit module through the manifest's path:/replaces:, so
# collector/syncauditconnector must exist when this runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILDER_VERSION=v0.165.0
name=${1:-otelcol}
case $name in
otelcol | otelcol-syncaudit) ;;
-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
*) die "unknown distribution $name (otelcol or otelcol-syncaudit)" ;;
esac
cd "$ROOT/tools/$name"
t0=$(now)
rm -rf dist
go run "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" \
	--config builder-config.yaml --skip-compilation ||
	log "builder failed (expected: its go mod tidy); continuing with go mod tidy -e"
[[ -f dist/go.mod && -f dist/main.go ]] || die "builder wrote no dist/go.mod"
(cd dist && go mod tidy -e) || true
gofmt -w dist/*.go # the builder's output is not gofmt-clean; keep the committed copy clean
log "dist regenerated in $(since "$t0") s; build it with scripts/install-tools.sh --only $name"
