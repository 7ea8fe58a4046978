#!/usr/bin/env bash
# Regenerates the committed trace fixtures from the real shop, collector and
# Jaeger (the logic of `make fixtures`):
#
#   fixtures/sync/{otlp.jsonl.gz,otlp.pb.gz,jaeger.json.gz,apiv3.json.gz,run.txt}
#   fixtures/async/{same}
#
# scripts/shop-run.sh writes plain files into out/fixtures/VARIANT; they are
# then compressed with `gzip -n -9` (no name, no timestamp: the same input
# gives the same bytes) so the committed fixtures stay around 100 KB in all.
# syncaudit and the shop's harness read gzip transparently (magic bytes), and
# `harness check` runs again on the compressed copies.
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
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done

traces=(otlp.jsonl otlp.pb jaeger.json apiv3.json)

t0=$(now)
"$ROOT/scripts/install-tools.sh"
for v in sync async; do
	stage=$ROOT/out/fixtures/$v
	dst=$ROOT/fixtures/$v
	"$ROOT/scripts/shop-run.sh" -v "$v" -o "$stage" -n "$n" -c "$conc" -s "$seed" --jaeger
	mkdir -p "$dst"
	for f in "${traces[@]}"; do
		gzip -n -9 -c "$stage/$f" >"$dst/$f.gz.tmp"
		mv "$dst/$f.gz.tmp" "$dst/$f.gz"
		rm -f "$dst/$f" # a plain copy left by an older generator
	done
	cp "$stage/run.txt" "$dst/run.txt"
	harness check -variant "$v" -n "$n" "$dst" >"$stage/check-gz.txt" ||
		{ cat "$stage/check-gz.txt" >&2; die "shape check failed for $dst"; }
done
log "fixtures regenerated in $(since "$t0") s"
ls -l "$ROOT"/fixtures/sync "$ROOT"/fixtures/async >&2
du -ch "$ROOT"/fixtures/sync/*.gz "$ROOT"/fixtures/async/*.gz | tail -1 >&2
