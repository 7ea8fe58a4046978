#!/usr/bin/env bash
# Regenerates the committed trace fixtures from the real shop, collector and
# Jaeger (the logic of `make fixtures`):
#
#   fixtures/sync/{otlp.jsonl,otlp.pb,jaeger.json,apiv3.json,run.txt}
#   fixtures/async/{same}
#
# Both variants run the same load (N checkouts, concurrency C, seed S), so
# order ids, carts, per-step latencies and failures match request by request
# across the two directories; only the measured times differ.
#
# usage: scripts/gen-fixtures.sh [-n 20] [-c 4] [-s 9]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=20 conc=4 seed=9
while (($#)); do
	case $1 in
	-n) n=$2; shift 2 ;;
	-c) conc=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done

t0=$(now)
"$ROOT/scripts/install-tools.sh"
for v in sync async; do
	"$ROOT/scripts/shop-run.sh" -v "$v" -o "$ROOT/fixtures/$v" -n "$n" -c "$conc" -s "$seed" --jaeger
done
log "fixtures regenerated in $(since "$t0") s"
ls -l "$ROOT"/fixtures/sync "$ROOT"/fixtures/async >&2
