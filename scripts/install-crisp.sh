#!/usr/bin/env bash
# Installs the peer tool CRISP (uber-research/CRISP, Python) for
# `scripts/bench.sh -c crisp`, the way docs/notes ran it (peers.md §5.1):
#
#   - Debian packages for Debian's /usr/bin/python3 (pandas, numpy, psutil,
#     dateutil, jinja2, requests, tenacity, protobuf, boto3), protoc, and two
#     that peers.md's list lacks: libprotobuf-dev (the google/protobuf/*.proto
#     that analyzer.proto imports) and python3-matplotlib (the heavy mode's
#     HTML report: pandas' background_gradient; a recommends of python3-pandas,
#     not installed here as recommends are off);
#     nothing from PyPI (`ratelimit` is only imported by get_trace.py);
#   - git clone $CRISP_REPO into $CRISP_DIR at $CRISP_COMMIT (skipped when the
#     checkout is already at that commit);
#   - protoc --python_out=. crisp/proto/analyzer.proto (the shipped
#     analyzer_pb2.py needs a newer protobuf runtime than Debian's 3.21);
#   - chmod +x crisp/flamegraph.pl crisp/difffolded.pl;
#   - a smoke run on a copy of CRISP's test_cases/25.json
#     (../shared/corpus/crisp/25.json, else the clone's own) with -a O1 -s S1.
#
# Environment:
#   CRISP_REPO    default https://github.com/uber-research/CRISP (a local
#                 mirror path works too)
#   CRISP_DIR     default $ROOT/out/crisp
#   CRISP_COMMIT  default 2710c0b (main when last measured)
#
# It needs root (or sudo) for apt-get.
#
# usage: scripts/install-crisp.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case ${1:-} in
'') ;;
-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
*) die "unknown argument $1" ;;
esac

CRISP_REPO=${CRISP_REPO:-https://github.com/uber-research/CRISP}
CRISP_DIR=${CRISP_DIR:-$ROOT/out/crisp}
CRISP_COMMIT=${CRISP_COMMIT:-2710c0b}
PY=/usr/bin/python3 # Debian's: it sees the apt packages (a pyenv python3 on PATH does not)

SUDO=
if [[ $(id -u) != 0 ]]; then
	command -v sudo >/dev/null || die "need root (or sudo) to run apt-get"
	SUDO=sudo
fi

pkgs=(python3 python3-pandas python3-numpy python3-psutil python3-dateutil python3-jinja2
	python3-requests python3-tenacity python3-protobuf protobuf-compiler python3-boto3 perl git
	libprotobuf-dev python3-matplotlib)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	log "Debian packages already installed"
fi

want=
if [[ -d $CRISP_DIR/.git ]]; then
	want=$(git -C "$CRISP_DIR" rev-parse --verify -q "$CRISP_COMMIT^{commit}" || true)
fi
if [[ -n $want && $(git -C "$CRISP_DIR" rev-parse HEAD) == "$want" ]]; then
	log "CRISP already at $CRISP_COMMIT in $CRISP_DIR"
else
	if [[ ! -d $CRISP_DIR/.git ]]; then
		[[ ! -e $CRISP_DIR ]] || die "$CRISP_DIR exists and is not a git clone"
		log "cloning $CRISP_REPO into $CRISP_DIR"
		mkdir -p "$(dirname "$CRISP_DIR")"
		git clone -q "$CRISP_REPO" "$CRISP_DIR"
	else
		git -C "$CRISP_DIR" fetch -q origin
	fi
	git -C "$CRISP_DIR" -c advice.detachedHead=false checkout -q "$CRISP_COMMIT" ||
		die "commit $CRISP_COMMIT not found in $CRISP_REPO"
	log "CRISP checked out at $(git -C "$CRISP_DIR" log -1 --format='%h %s')"
fi

cd "$CRISP_DIR"
protoc --python_out=. crisp/proto/analyzer.proto
chmod +x crisp/flamegraph.pl crisp/difffolded.pl

# Smoke test: CRISP writes its outputs into the input directory, so give it
# a fresh one.
case25=$ROOT/../shared/corpus/crisp/25.json
[[ -s $case25 ]] || case25=$CRISP_DIR/test_cases/25.json
[[ -s $case25 ]] || die "no 25.json (looked in ../shared/corpus/crisp and $CRISP_DIR/test_cases)"
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
mkdir "$smoke/in"
cp "$case25" "$smoke/in/"
export MPLBACKEND=Agg
log "smoke test: $PY -m crisp.process_trace -a O1 -s S1 -i <copy of $case25>"
# process_trace exits 0 even when it finds nothing: check its outputs and log.
$PY -m crisp.process_trace -a O1 -s S1 -i "$smoke/in" >"$smoke/log" 2>&1 || {
	cat "$smoke/log" >&2
	die "CRISP smoke test failed"
}
if [[ ! -s $smoke/in/crisp.json ]] || ! grep -Eq 'all 1 traces are complete|[0-9]+/1 traces' "$smoke/log"; then
	cat "$smoke/log" >&2
	ls -l "$smoke/in" >&2
	die "CRISP smoke test wrote no crisp.json or did not process the trace"
fi
log "CRISP works: $(cd "$smoke/in" && find . -type f ! -name 25.json | sed 's|^\./||' | sort | tr '\n' ' ')"
log "CRISP $(git -C "$CRISP_DIR" rev-parse --short HEAD) installed in $CRISP_DIR"
