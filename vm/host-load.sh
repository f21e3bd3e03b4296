#!/usr/bin/env bash
# Run a command with N busy processes on the host beside it (make bench
# LOAD=N, make demo LOAD=N): the guest's vCPU threads then compete with
# them for the host's CPUs, as on a busy machine or a crowded cloud host.
# The busy processes (yes >/dev/null) are pinned nowhere, and are killed
# however the command ends. N=0 runs the command alone.
#
# Usage: vm/host-load.sh N COMMAND [ARGS...]
set -euo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: vm/host-load.sh N COMMAND [ARGS...]" >&2
	exit 2
fi
n=$1
shift

pids=()
cmd=
# The command, if a signal ends this script first; then the load.
# shellcheck disable=SC2317 # run by the traps
stop_load() {
	[ -z "$cmd" ] || kill "$cmd" 2>/dev/null || true
	[ ${#pids[@]} -eq 0 ] && return
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap stop_load EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

for ((i = 0; i < n; i++)); do
	yes >/dev/null &
	pids+=($!)
done
[ "$n" = 0 ] || echo "host load: $n busy processes (yes >/dev/null) until the run ends"
# In the background, so that a signal to this script runs its trap at once
# (bash runs traps only between commands); stdin stays the caller's.
"$@" <&0 &
cmd=$!
rc=0
wait "$cmd" || rc=$?
cmd=
exit "$rc"
