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
#   crisp                           (only with -c crisp) the peer CRISP (uber-research/CRISP, Python;
#                                   install: scripts/install-crisp.sh, CRISP_DIR=$ROOT/out/crisp) on the
#                                   formats case's 10,000 Jaeger UI files against syncaudit on them and
#                                   on the 10,000 OTLP/JSON files: 3 interleaved rounds of CRISP
#                                   --lightMode, CRISP heavy (its default, --parallelism 1), syncaudit
#                                   Jaeger, syncaudit OTLP, under /usr/bin/time. CRISP writes its outputs
#                                   into its input directory, so each CRISP run gets a fresh copy (made
#                                   and synced outside the timing; out/bench/crisp-seedN/). Checks that
#                                   CRISP built metrics for all 10,000 traces, prints median wall, CPU
#                                   and max RSS, the ratios CRISP/syncaudit and a Markdown table, and
#                                   appends a row per run to results.tsv (cases peer-crisp-light-10k,
#                                   peer-crisp-heavy-10k, jaeger-files-10k, otlp-files-10k)
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
# from the latest row of each case (not when only formats and crisp run).
#
# The report goes to stdout redirected to /dev/null, not `--out /dev/null`:
# --out writes FILE.tmp and renames it over FILE, which would replace
# /dev/null itself when run as root.
#
# SYNCAUDIT=PATH times that binary instead of building bin/syncaudit (e.g.
# one built from HEAD while others edit the tree and rebuild bin/);
# SYNCAUDIT_COMMIT names the commit it was built from (results.tsv's commit
# column; default HEAD).
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
	-h | --help) sed -n '2,/^# usage:/p' "$0"; exit 0 ;;
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
sa=${SYNCAUDIT:-bin/syncaudit}
if [[ -n ${SYNCAUDIT:-} ]]; then
	[[ -x $sa ]] || die "SYNCAUDIT=$sa is not an executable"
	log "timing $sa (SYNCAUDIT); building bin/gentraces"
else
	log "building bin/syncaudit and bin/gentraces"
	go build -o bin/syncaudit ./cmd/syncaudit
fi
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
	order-10m-gomemlimit) cmd=(env GOMEMLIMIT=4GiB "$sa" analyze -o json "$2") ;;
	*-partitioned) cmd=("$sa" analyze -o json --memory-limit 1536MiB "$2") ;;
	*) cmd=("$sa" analyze -o json "$2") ;;
	esac
}

# file_of ARGS... prints the cache file for gentraces arguments (the
# naming of bench.FileName).
file_of() {
	local shape=order size='' ext=.jsonl
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
[[ -z ${SYNCAUDIT:-} ]] || commit=${SYNCAUDIT_COMMIT:-$commit}

# files_dirs DIR makes DIR/jaeger-files and DIR/otlp-files, the 10,000
# order traces one file each, unless they exist.
files_dirs() {
	mkdir -p "$1"
	[[ -d $1/jaeger-files ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -format jaeger -dir "$1/jaeger-files"
	[[ -d $1/otlp-files ]] || bin/gentraces -shape order -traces 10000 -seed "$seed" -dir "$1/otlp-files"
}

# formats_step: Jaeger against OTLP on the same traces, many small files
# and one file; prints median CPU/wall seconds and the ratios.
formats_step() {
	local d=$OUT/formats-seed$seed
	files_dirs "$d"
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
			/usr/bin/time -f "$in %e %U %S" "$sa" analyze -o json "$d/$in" 2>>"$d/times.txt" >/dev/null
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

# crisp_step: the peer CRISP against syncaudit on the same 10,000 Jaeger UI
# files (and syncaudit on the OTLP/JSON files of the same traces), 3
# interleaved rounds; prints medians, the ratios CRISP/syncaudit and a
# Markdown table (also out/bench/crisp-seedN/table.md), and appends a row per
# run to results.tsv.
crisp_step() {
	local cdir=${CRISP_DIR:-$ROOT/out/crisp} py=/usr/bin/python3
	(cd "$cdir" 2>/dev/null && MPLBACKEND=Agg "$py" -c 'import crisp.process_trace, matplotlib') >/dev/null 2>&1 ||
		die "CRISP is not installed in $cdir (or does not import with $py): run scripts/install-crisp.sh (CRISP_DIR=... for another place)"
	local d=$OUT/formats-seed$seed w=$OUT/crisp-seed$seed
	files_dirs "$d"
	local n
	n=$(find "$d/jaeger-files" -maxdepth 1 -name '*.json' | wc -l)
	((n == 10000)) || die "crisp: $d/jaeger-files holds $n .json files, want 10000 (remove it to regenerate)"
	mkdir -p "$w"
	local ccommit
	ccommit=$(git -C "$cdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
	log "crisp: CRISP $ccommit in $cdir; syncaudit $sa ($commit); load: $(uptime)"
	echo "before: $(uptime)"

	local r kind load1 lf traces lmode=() spans=0 times=$w/times.txt
	: >"$times"
	for r in 1 2 3; do
		for kind in crisp-light crisp-heavy jaeger-files otlp-files; do
			lf=$w/$kind-r$r.log
			case $kind in
			crisp-*)
				rm -rf "${w:?}/$kind"
				cp -r "$d/jaeger-files" "$w/$kind"
				sync
				lmode=()
				[[ $kind == crisp-light ]] && lmode=(--lightMode)
				load1=$(cut -d' ' -f1 /proc/loadavg)
				(cd "$cdir" && MPLBACKEND=Agg /usr/bin/time -o "$w/time.txt" -f '%e %U %S %M' \
					"$py" -m crisp.process_trace -a "POST /order" -s frontend -i "$w/$kind" "${lmode[@]}") >"$lf" 2>&1 || {
					tail -20 "$lf" >&2
					die "crisp: $kind failed (log $lf)"
				}
				# process_trace exits 0 even when it found nothing: its
				# incomplete-trace report counts the traces it built metrics for.
				traces=$(sed -nE 's/.*all ([0-9]+) traces are complete.*/\1/p; s/.* [0-9]+\/([0-9]+) traces \(.*/\1/p' "$lf" | tail -1)
				[[ -s $w/$kind/crisp.json || -s $w/$kind/light-flame-graph-P100.cct ]] ||
					die "crisp: $kind wrote neither crisp.json nor light-flame-graph-P100.cct (log $lf)"
				;;
			*)
				find "$d/$kind" -type f -exec cat {} + >/dev/null
				load1=$(cut -d' ' -f1 /proc/loadavg)
				/usr/bin/time -o "$w/time.txt" -f '%e %U %S %M' "$sa" analyze -o json "$d/$kind" >/dev/null 2>"$lf" || {
					cat "$lf" >&2
					die "crisp: syncaudit on $kind failed"
				}
				traces=$(sed -n 's/.* span(s): [0-9]* in \([0-9]*\) trace(s).*/\1/p' "$lf")
				[[ $kind == jaeger-files ]] && spans=$(sed -n 's/^read [0-9]* file(s), \([0-9]*\) span(s).*/\1/p' "$lf")
				;;
			esac
			[[ ${traces:-0} == 10000 ]] || log "crisp: warning: $kind round $r analysed ${traces:-no} trace(s), not 10000 (log $lf)"
			printf '%s %s %s %s %s\n' "$kind" "$r" "$load1" "$(tail -1 "$w/time.txt")" "${traces:-0}" >>"$times"
			log "crisp: round $r $kind: $(tail -1 "$w/time.txt" | awk '{ printf "wall %s s, cpu %.2f s, max RSS %.0f MB", $1, $2 + $3, $4 / 1024 }'), ${traces:-0} traces (load $load1)"
		done
	done
	echo "after:  $(uptime)"
	# Keep CRISP's outputs of the last round, not the copies of the input.
	find "$w/crisp-light" "$w/crisp-heavy" -maxdepth 1 -name 'trace-*.json' -delete

	local bytes
	bytes=$(find "$d/jaeger-files" -maxdepth 1 -name '*.json' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
	# One results.tsv row per run; the CRISP rows count the spans syncaudit
	# read from the same files.
	awk -v d="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v cm="$commit" -v n="$spans" -v b="$bytes" -v np="$(nproc)" \
		-v ob="$(find "$d/otlp-files" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')" '
		BEGIN { name["crisp-light"] = "peer-crisp-light-10k"; name["crisp-heavy"] = "peer-crisp-heavy-10k"
			name["jaeger-files"] = "jaeger-files-10k"; name["otlp-files"] = "otlp-files-10k" }
		{ cpu = $5 + $6; printf "%s\t%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%d\t%s\n",
			d, cm, name[$1], n, $1 == "otlp-files" ? ob : b, $4, $5, $6, cpu, $7 / 1024, n / $4, n / cpu, np, $3 }' "$times" >>"$results"

	awk -v cc="$ccommit" -v cm="$commit" -v nproc="$(nproc)" '
		{ w[$1] = w[$1] " " $4; c[$1] = c[$1] " " ($5 + $6); m[$1] = m[$1] " " $7; t[$1] = t[$1] " " $8; loads = loads " " $3 }
		function med(s,   a, n, i, j, x) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
			return a[int((n + 1) / 2)]
		}
		function group(n,   s) {
			s = sprintf("%d", n)
			while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
			return s
		}
		function minmax(s,   a, n, i, lo, hi) {
			n = split(s, a, " "); lo = hi = a[1]
			for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
			return n == 1 ? sprintf("%.2f", lo) : sprintf("%.2f-%.2f", lo, hi)
		}
		END {
			split("crisp-light crisp-heavy jaeger-files otlp-files", k, " ")
			label["crisp-light"] = "CRISP `--lightMode`"; inp["crisp-light"] = "10,000 Jaeger UI files"
			label["crisp-heavy"] = "CRISP heavy (default, p1)"; inp["crisp-heavy"] = "10,000 Jaeger UI files"
			label["jaeger-files"] = "syncaudit `analyze -o json`"; inp["jaeger-files"] = "10,000 Jaeger UI files"
			label["otlp-files"] = "syncaudit `analyze -o json`"; inp["otlp-files"] = "10,000 OTLP/JSON files"
			for (i = 1; i <= 4; i++) { mw[k[i]] = med(w[k[i]]); mc[k[i]] = med(c[k[i]]); mm[k[i]] = med(m[k[i]]) }
			for (i = 1; i <= 4; i++)
				printf "%-13s median wall %6.2f s  cpu %6.2f s  max RSS %5.0f MB\n", k[i], mw[k[i]], mc[k[i]], mm[k[i]] / 1024
			printf "CRISP light / syncaudit Jaeger: wall %.1fx cpu %.1fx\n", mw["crisp-light"] / mw["jaeger-files"], mc["crisp-light"] / mc["jaeger-files"]
			printf "CRISP light / syncaudit OTLP:   wall %.1fx cpu %.1fx\n", mw["crisp-light"] / mw["otlp-files"], mc["crisp-light"] / mc["otlp-files"]
			printf "CRISP heavy / syncaudit Jaeger: wall %.1fx cpu %.1fx\n", mw["crisp-heavy"] / mw["jaeger-files"], mc["crisp-heavy"] / mc["jaeger-files"]
			printf "\nCRISP %s against syncaudit %s, 3 interleaved rounds, %d cores; medians (range over the rounds).\n\n", cc, cm, nproc
			print "| command | input | traces analysed | wall | CPU (user+sys) | max RSS | CRISP light ÷ this, wall | CRISP light ÷ this, CPU |"
			print "|---|---|---:|---:|---:|---:|---:|---:|"
			for (i = 1; i <= 4; i++) {
				x = k[i]
				printf "| %s | %s | %s | %.2f s (%s) | %.2f s (%s) | %.0f MB | %.1f× | %.1f× |\n", label[x], inp[x], group(med(t[x])),
					mw[x], minmax(w[x]), mc[x], minmax(c[x]), mm[x] / 1024, mw["crisp-light"] / mw[x], mc["crisp-light"] / mc[x]
			}
			printf "\nLoad average (1 min) before each run, in run order (CRISP light, CRISP heavy, syncaudit Jaeger, OTLP; x3):%s\n", loads
		}' "$times" | tee "$w/summary.txt"
	sed -n '/^| command/,/^$/p' "$w/summary.txt" >"$w/table.md"

	# What CRISP complained about (last round), and its node count.
	echo
	echo "CRISP heavy, round 3: $(grep -o 'maxNodes = .*' "$w/crisp-heavy-r3.log" || echo 'no maxNodes line')"
	for kind in crisp-light crisp-heavy; do
		lf=$w/$kind-r3.log
		echo "CRISP ${kind#crisp-}, round 3 ($lf): $(grep -c ' WARNING ' "$lf" || true) WARNING line(s), $(grep -c ' ERROR ' "$lf" || true) ERROR line(s), $(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$lf" || true) other stderr line(s)"
		{ grep -hE ' (WARNING|ERROR) ' "$lf" || true; } | sed -E 's/^[0-9-]+ [0-9:]+ +//; s#(for|file) /[^ ]*#\1 FILE#g' | sort | uniq -c | sed 's/^/  /'
		{ grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$lf" || true; } | sed -E 's#/[^ ]*/##g; s/line [0-9]+/line N/g' | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /'
	done
}

for c in "${cases[@]}"; do
	if [[ $c == formats ]]; then
		formats_step
		continue
	fi
	if [[ $c == crisp ]]; then
		crisp_step
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

# formats and crisp print their own summaries; only the other cases feed
# docs/scaling.svg and results.md.
steps_only=1
for c in "${cases[@]}"; do
	[[ $c == formats || $c == crisp ]] || steps_only=0
done
if ((steps_only)); then
	exit 0
fi
go run ./bench/cmd/benchreport -results "$results" -svg docs/scaling.svg >"$OUT/results.md"
log "wrote docs/scaling.svg and $OUT/results.md"
cat "$OUT/results.md"
