# shellcheck shell=bash
# Shared helpers for the fixture scripts (sourced, not run).
#
# Every background process is started in its own session/process group with
# setsid and recorded; stop_all (installed as an EXIT trap by trap_stop_all)
# sends SIGTERM to each group, waits, then SIGKILLs what is left.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
export GOFLAGS=${GOFLAGS:--buildvcs=false}

_BG_PIDS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# now prints the time in seconds with milliseconds.
now() { date +%s.%3N; }
# since T prints the seconds elapsed since T (from now).
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# start_bg LOGFILE CMD... starts CMD in a new process group, output to
# LOGFILE, and sets BG_PID to its pid (= its process group id).
start_bg() {
	local logfile=$1
	shift
	setsid "$@" >"$logfile" 2>&1 </dev/null &
	BG_PID=$!
	_BG_PIDS+=("$BG_PID")
}

# stop_pid PID [TIMEOUT_S] sends SIGTERM to PID's process group and waits for
# PID to exit, then SIGKILLs the group after TIMEOUT_S (default 20).
stop_pid() {
	local pid=$1 timeout=${2:-20} i=0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM -- "-$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		if ((i >= timeout * 10)); then
			log "pid $pid did not stop after ${timeout}s, killing its group"
			kill -KILL -- "-$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid" 2>/dev/null || true
}

stop_all() {
	local pid
	for pid in "${_BG_PIDS[@]}"; do
		stop_pid "$pid" 10
	done
	_BG_PIDS=()
}

trap_stop_all() { trap stop_all EXIT; trap 'exit 130' INT TERM; }

# need_build BINARY DIR... succeeds when BINARY is missing or older than a
# file under one of the DIRs.
need_build() {
	local bin=$1
	shift
	[[ -x $bin ]] || return 0
	[[ -n $(find "$@" -type f -newer "$bin" -print -quit) ]]
}

# harness runs bin/harness (see fixtures/shop/cmd/harness).
harness() { "$BIN/harness" "$@"; }
