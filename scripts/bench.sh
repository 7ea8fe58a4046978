#!/usr/bin/env bash
# End-to-end scaling benchmark (the second half of `make bench`).
#
# Generates synthetic OTLP/JSON-lines exports with bin/gentraces (cached in
# out/bench/, named by their parameters), runs
#
#   bin/syncaudit analyze -o json FILE > /dev/null
#
# on each under /usr/bin/time -v, and appends wall time, CPU time (user +
# sys), max RSS and spans/s to out/bench/results.tsv. Cases:
#
#   order-1m, order-3m, order-10m   26-span "order" traces, 1M / 3M / 10M spans (the scaling curve)
#   wide-1m                         one 1,001,001-span trace, root fan-out 38,500
#   crisp-10k                       10,000 traces x 26 spans (CRISP's 7.5 s input shape)
#   order-10m-gz                    the 10M input gzip-compressed (only with -gz)
#   formats                         (only with -c formats) the 10,000 order traces as 10,000 Jaeger UI
#                                   files, 10,000 OTLP/JSON files, one Jaeger file and one OTLP/JSON-lines
#                                   file (gentraces -format jaeger, -dir), and that file gzip'd and (with
#                                   the zstd command) zstd'd: 3 interleaved runs each, median CPU and
#                                   wall, the ratios Jaeger/OTLP and compressed/plain
#   order-10m-gomemlimit            the 10M input with GOMEMLIMIT=4GiB (what --memory-limit sets)
#   order-Nm-partitioned            bin/syncaudit analyze --memory-limit 1536MiB on the 1M/3M/10M
#                                   input: spans past a third of the limit spill to partition files
#                                   and the analysis runs partition by partition (same report). The
#                                   default run spills too, past 512 MiB of spans (3M and 10M here).
#
# Before each run the input is read once (cat > /dev/null) so that it is
# in the page cache when it fits: the runs measure the pipeline, not the disk.
#
# Then renders docs/scaling.svg and out/bench/results.md (a Markdown table)
# from the latest row of each case.
#
# The report goes to stdout redirected to /dev/null, not `--out /dev/null`:
# --out writes FILE.tmp and renames it over FILE, which would replace
# /dev/null itself when run as root.
#
# usage: scripts/bench.sh [-c CASE]... [-gz] [-seed N] [-n REPEAT]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cases=() seed=42 repeat=1 gz=0
while (($#)); do
	case $1 in
	-c) cases+=("$2"); shift 2 ;;
	-gz) gz=1; shift ;;
	-seed) seed=$2; shift 2 ;;
	-n) repeat=$2; shift 2 ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
if ((${#cases[@]} == 0)); then
	cases=(crisp-10k order-1m order-3m wide-1m order-10m order-1m-partitioned order-3m-partitioned order-10m-partitioned)
	((gz)) && cases+=(order-10m-gz)
fi

command -v /usr/bin/time >/dev/null || die "/usr/bin/time (GNU time) is needed: apt-get install time"
OUT=$ROOT/out/bench
mkdir -p "$OUT" "$ROOT/docs"
cd "$ROOT"
log "building bin/syncaudit and bin/gentraces"
go build -o bin/syncaudit ./cmd/syncaudit
go build -o bin/gentraces ./cmd/gentraces

# args_of CASE prints the gentraces arguments of a case.
args_of() {
	case $1 in
	order-1m | order-1m-partitioned) echo "-shape order -spans 1000000" ;;
	order-3m | order-3m-partitioned) echo "-shape order -spans 3000000" ;;
	order-10m | order-10m-gomemlimit | order-10m-partitioned) echo "-shape order -spans 10000000" ;;
	order-10m-gz) echo "-shape order -spans 10000000 -gzip" ;;
	wide-1m) echo "-shape wide -spans 1001001" ;;
	crisp-10k) echo "-shape order -traces 10000" ;;
	*) die "unknown case $1" ;;
	esac
}

# command_of CASE FILE sets cmd to the measured command of a case.
command_of() {
	case $1 in
	order-10m-gomemlimit) cmd=(env GOMEMLIMIT=4GiB bin/syncaudit analyze -o json "$2") ;;
	*-partitioned) cmd=(bin/syncaudit analyze -o json --memory-limit 1536MiB "$2") ;;
	*) cmd=(bin/syncaudit analyze -o json "$2") ;;
	esac
}

# file_of ARGS... prints the cache file for gentraces arguments (the
# naming of bench.FileName).
file_of() {
	local shape=order size= ext=.jsonl
	while (($#)); do
		case $1 in
		-shape) shape=$2; shift 2 ;;
		-spans) size=spans$2; shift 2 ;;
		-traces) size=traces$2; shift 2 ;;
		-gzip) ext=.jsonl.gz; shift ;;
		*) shift ;;
		esac
	done
	echo "$OUT/$shape-$size-seed$seed$ext"
}

results=$OUT/results.tsv
if [[ ! -s $results ]]; then
	printf 'date\tcommit\tcase\tspans\tbytes\twall_s\tuser_s\tsys_s\tcpu_s\tmaxrss_mb\tspans_per_s\tspans_per_cpu_s\tnproc\tload1\n' >"$results"
fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# formats_step: Jaeger against OTLP on the same traces, many small files
# and one file; prints median CPU/wall seconds and the ratios.
formats_step() {
	local d=$OUT/formats-seed$seed
	mkdir -p "$d"
	[[ -d $d/jaeger-files ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -format jaeger -dir "$d/jaeger-files"
	[[ -d $d/otlp-files ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -dir "$d/otlp-files"
	[[ -s $d/one.json ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -format jaeger -o "$d/one.json"
	[[ -s $d/one.jsonl ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -o "$d/one.jsonl"
	[[ -s $d/one.jsonl.gz ]] || gzip -c "$d/one.jsonl" >"$d/one.jsonl.gz"
	local inputs=(jaeger-files otlp-files one.json one.jsonl one.jsonl.gz)
	if command -v zstd >/dev/null; then
		[[ -s $d/one.jsonl.zst ]] || zstd -q -3 -c "$d/one.jsonl" >"$d/one.jsonl.zst"
		inputs+=(one.jsonl.zst)
	fi
	local in r
	: >"$d/times.txt"
	for r in 1 2 3; do
		for in in "${inputs[@]}"; do
			/usr/bin/time -f "$in %e %U %S" bin/syncaudit analyze -o json "$d/$in" 2>>"$d/times.txt" >/dev/null
		done
	done
	grep -E '^(jaeger-files|otlp-files|one\.json|one\.jsonl|one\.jsonl\.gz|one\.jsonl\.zst) ' "$d/times.txt" | awk '
		{ w[$1] = w[$1] " " $2; c[$1] = c[$1] " " ($3 + $4) }
		function med(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return a[int((n + 1) / 2)]
		}
		END {
			for (k in w) { mw[k] = med(w[k]); mc[k] = med(c[k]); printf "%-13s median wall %6.2f s  cpu %6.2f s\n", k, mw[k], mc[k] }
			printf "10,000 files: Jaeger/OTLP cpu %.2fx wall %.2fx\n", mc["jaeger-files"] / mc["otlp-files"], mw["jaeger-files"] / mw["otlp-files"]
			printf "one file:     Jaeger/OTLP cpu %.2fx wall %.2fx\n", mc["one.json"] / mc["one.jsonl"], mw["one.json"] / mw["one.jsonl"]
			printf "gzip/plain:   cpu %.2fx wall %.2fx\n", mc["one.jsonl.gz"] / mc["one.jsonl"], mw["one.jsonl.gz"] / mw["one.jsonl"]
			if ("one.jsonl.zst" in mw) printf "zstd/plain:   cpu %.2fx wall %.2fx\n", mc["one.jsonl.zst"] / mc["one.jsonl"], mw["one.jsonl.zst"] / mw["one.jsonl"]
		}'
}

for c in "${cases[@]}"; do
	if [[ $c == formats ]]; then
		formats_step
		continue
	fi
	# shellcheck disable=SC2207
	args=($(args_of "$c"))
	file=$(file_of "${args[@]}")
	if [[ ! -s $file ]]; then
		log "$c: generating $file"
		t0=$(now)
		bin/gentraces "${args[@]}" -seed "$seed" -o "$file"
		log "$c: generated in $(since "$t0") s"
	fi
	bytes=$(stat -c %s "$file")
	for ((r = 0; r < repeat; r++)); do
		cat "$file" >/dev/null
		load1=$(cut -d' ' -f1 /proc/loadavg)
		log "$c: $(basename "$file") (load $load1)"
		tv=$OUT/time-$c.txt
		command_of "$c" "$file"
		/usr/bin/time -v "${cmd[@]}" >/dev/null 2>"$tv" || {
			cat "$tv" >&2
			die "$c: syncaudit failed"
		}
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")
		user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
		sys=$(awk -F': ' '/System time/ { print $2 }' "$tv")
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tv")
		spans=$(sed -n 's/^read \([0-9]* file(s), \)\{0,1\}\([0-9]*\) span(s).*/\2/p' "$tv")
		row=$(awk -v d="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v cm="$commit" -v c="$c" -v n="$spans" -v b="$bytes" \
			-v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v np="$(nproc)" -v l="$load1" \
			'BEGIN { cpu = u + s; printf "%s\t%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%.0f\t%.0f\t%d\t%s\n", d, cm, c, n, b, w, u, s, cpu, m, n / w, n / cpu, np, l }')
		printf '%s\n' "$row" >>"$results"
		log "$c: $(printf '%s' "$row" | awk -F'\t' '{ printf "%s spans, wall %s s, cpu %s s, max RSS %s MB, %s spans/s", $4, $6, $9, $10, $11 }')"
	done
done

if [[ ${cases[*]} == formats ]]; then
	exit 0
fi
go run ./bench/cmd/benchreport -results "$results" -svg docs/scaling.svg >"$OUT/results.md"
log "wrote docs/scaling.svg and $OUT/results.md"
cat "$OUT/results.md"
