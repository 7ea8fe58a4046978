#!/usr/bin/env bash
# Screenshot of the HTML report for the README: renders the bundled shop's
# report (fixtures/sync/otlp.jsonl.gz) with two slow dependencies —
# payment 500 ms slower (on the request's path, with and without the plan)
# and email three times slower (which the plan makes asynchronous) — loads
# it in real headless Chromium (scripts/install-chromium.sh), checks that
# it loads cleanly and offline, and captures it 1280 px wide from the top
# down to the end of its "Slow dependencies" section as a PNG under 500 KB,
# then its proposed events and dependency diagrams (report-events.png) and
# its checklist, asynchronous flows and input accounting (report-review.png).
#
#   scripts/screenshot.sh [-o docs/report-slowdown.png]    (make screenshot)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out=$ROOT/docs/report-slowdown.png
while (($#)); do
	case $1 in
	-o) out=$2; shift 2 ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done

cd "$ROOT"
mkdir -p out
go build -o bin/syncaudit ./cmd/syncaudit
bin/syncaudit analyze fixtures/sync/otlp.jsonl.gz \
	--slowdown payment=+500ms --slowdown email=x3 \
	-o html --out out/shop-report.html
go run ./internal/cmd/screenshot -html out/shop-report.html -out "$out" -width 1280 -until '#slowdowns'
# The rest of the same report: proposed events and dependency diagrams;
# the checklist, already-asynchronous flows and the input (sampling).
dir=$(dirname "$out")
go run ./internal/cmd/screenshot -html out/shop-report.html -out "$dir/report-events.png" -width 1280 -from '#events' -until '#dependencies'
go run ./internal/cmd/screenshot -html out/shop-report.html -out "$dir/report-review.png" -width 1280 -from '#checklist' -until '#input'
