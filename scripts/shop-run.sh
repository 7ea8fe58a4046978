#!/usr/bin/env bash
# Runs one variant of the instrumented shop (its checkout, or with -t one of
# the scenario topologies chain, retry-loop, contention) through a real
# OpenTelemetry Collector (bin/otelcol-file, fresh, on free 127.0.0.1 ports)
# and writes what the collector's file exporters produced:
#
#   DIR/otlp.jsonl   OTLP/JSON lines (one TracesData per batch)
#   DIR/otlp.pb      the same batches as length-prefixed OTLP protobuf
#   DIR/run.txt      the shop's summary (client-observed latencies, errors)
#
# With --jaeger it also runs a fresh Jaeger v2 (bin/jaeger, in-memory) that
# receives the same spans, and saves its answers once it holds every span:
#
#   DIR/jaeger.json  /api/traces?service=ENTRY (Jaeger UI JSON; ENTRY is order,
#                    or the topology's entry service)
#   DIR/apiv3.json   /api/v3/traces?query.service_name=ENTRY&... (OTLP/JSON in "result")
#
# Finally it checks the shape of every trace in every file (harness check).
#
# usage: scripts/shop-run.sh -v sync|async -o DIR [-t checkout|chain|retry-loop|contention]
#            [-d SERVICE,...] [-n 20] [-c 4] [-s 9] [--jaeger] [--no-check]
#
# -d (async scenario topologies only) names the services reached through
# NATS; the default is every deferrable service of the topology (the whole
# plan), -d webhook applies one candidate on its own.
#
# Needs the binaries from scripts/install-tools.sh (run first unless present
# and up to date; --jaeger builds Jaeger, which takes ~5 min cold).
# Everything listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant= dir= topology=checkout deferred= n=20 conc=4 seed=9 jaeger=0 docheck=1
while (($#)); do
	case $1 in
	-v | --variant) variant=$2; shift 2 ;;
	-o | --out) dir=$2; shift 2 ;;
	-t | --topology) topology=$2; shift 2 ;;
	-d | --defer) deferred=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	-c | --concurrency) conc=$2; shift 2 ;;
	-s | --seed) seed=$2; shift 2 ;;
	--jaeger) jaeger=1; shift ;;
	--no-check) docheck=0; shift ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $variant == sync || $variant == async ]] || die "-v sync|async is required"
[[ -n $dir ]] || die "-o DIR is required"
case $topology in
checkout) entry=order ;;
chain) entry=gateway ;;
retry-loop) entry=billing ;;
contention) entry=signup ;;
*) die "-t checkout|chain|retry-loop|contention, not $topology" ;;
esac
topo_args=()
[[ $topology == checkout ]] || topo_args+=(-topology "$topology")
[[ -z $deferred ]] || topo_args+=(-defer "$deferred")

if ((jaeger)); then
	"$ROOT/scripts/install-tools.sh" --only shop --only otelcol --only jaeger
else
	"$ROOT/scripts/install-tools.sh" --only shop --only otelcol
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
logs=$ROOT/out/logs/shop-run-$topology-$variant-$$
mkdir -p "$logs"
rm -f "$dir"/otlp.jsonl "$dir"/otlp.pb "$dir"/jaeger.json "$dir"/apiv3.json "$dir"/run.txt
trap_stop_all
t0=$(now)

read -r p_col_http p_col_grpc p_j_http p_j_grpc p_q_http p_q_grpc p_health < <(harness ports 7)

OTELCOL_OTLP_HTTP=127.0.0.1:$p_col_http OTELCOL_OTLP_GRPC=127.0.0.1:$p_col_grpc \
	OTELCOL_JSON_PATH=$dir/otlp.jsonl OTELCOL_PROTO_PATH=$dir/otlp.pb \
	start_bg "$logs/otelcol.log" "$BIN/otelcol-file" --config "file:$ROOT/tools/otelcol/otelcol-file.yaml"
col_pid=$BG_PID
harness wait -any-status "http://127.0.0.1:$p_col_http/v1/traces" ||
	{ tail -20 "$logs/otelcol.log" >&2; die "collector did not start"; }
endpoints=(-otlp-http "127.0.0.1:$p_col_http")

if ((jaeger)); then
	JAEGER_OTLP_HTTP=127.0.0.1:$p_j_http JAEGER_OTLP_GRPC=127.0.0.1:$p_j_grpc \
		JAEGER_QUERY_HTTP=127.0.0.1:$p_q_http JAEGER_QUERY_GRPC=127.0.0.1:$p_q_grpc \
		JAEGER_HEALTH_HTTP=127.0.0.1:$p_health \
		start_bg "$logs/jaeger.log" "$BIN/jaeger" --config "file:$ROOT/tools/jaeger/jaeger-local.yaml"
	jaeger_pid=$BG_PID
	harness wait "http://127.0.0.1:$p_health/status" "http://127.0.0.1:$p_q_http/api/services" ||
		{ tail -20 "$logs/jaeger.log" >&2; die "jaeger did not start"; }
	endpoints+=(-otlp-http "127.0.0.1:$p_j_http")
fi
log "backends up in $(since "$t0") s (logs in $logs)"

t1=$(now)
"$BIN/shop" "${topo_args[@]}" -variant "$variant" -n "$n" -concurrency "$conc" -seed "$seed" "${endpoints[@]}" -outcomes |
	tee "$logs/shop.txt" | sed -n '1,3p' >&2
{
	echo "# scripts/shop-run.sh -t $topology${deferred:+ -d $deferred} -v $variant -n $n -c $conc -s $seed"
	cat "$logs/shop.txt"
} >"$dir/run.txt"
log "shop $topology $variant: $n requests in $(since "$t1") s"

t2=$(now)
stop_pid "$col_pid" 30
log "collector stopped (files flushed) in $(since "$t2") s: $(wc -l <"$dir/otlp.jsonl") JSON lines"

if ((jaeger)); then
	harness jaeger-fetch -query "http://127.0.0.1:$p_q_http" -expect "$dir/otlp.jsonl" \
		-ui "$dir/jaeger.json" -v3 "$dir/apiv3.json" -service "$entry" >&2
	stop_pid "$jaeger_pid" 30
fi
stop_all

if ((docheck)); then
	harness check "${topo_args[@]}" -variant "$variant" -n "$n" "$dir" >"$logs/check.txt" ||
		{ cat "$logs/check.txt" >&2; die "shape check failed for $dir"; }
	head -1 "$logs/check.txt" >&2
fi
log "done in $(since "$t0") s: $(du -ch "$dir"/otlp.* "$dir"/*.json 2>/dev/null | tail -1 | cut -f1) in $dir"
