#!/usr/bin/env bash
# Build everything, boot a fresh guest, run the named suites (vm/suites/*)
# with the module loaded, and judge the run (vm/results.sh).
#
# Usage: vm/run-tests.sh [--test NAME] [--skip GLOBS] [--timeout SECONDS]
#                        [--append ARGS] SUITE...
#   --test NAMES  run only the programs named so (e.g. info_test, or
#                 info_test,list_test)
#   --skip GLOBS  leave out the programs whose names match one of these
#                 comma-separated globs (e.g. '*_m32_test,soak_test')
#   --timeout S   wall-clock limit of the guest (default $KMSGQ_TIMEOUT)
#   --append ARGS more guest kernel command line; NAME=VALUE words without a
#                 dot reach /init, and so the tests, as environment variables
# Both logs of every run are kept in $KMSGQ_LOGS.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: vm/run-tests.sh [--test NAME] [--skip GLOBS] [--timeout SECONDS] [--append ARGS] SUITE..." >&2
	exit 2
}

test=
skip=
append=
while [ $# -gt 0 ]; do
	case $1 in
	--test) test=$2 && shift 2 ;;
	--skip) skip=$2 && shift 2 ;;
	--timeout) KMSGQ_TIMEOUT=$2 && shift 2 ;;
	--append) append="$append $2" && shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
for suite; do
	[ -f "$vm_dir/suites/$suite" ] || { echo "no suite vm/suites/$suite" >&2 && exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prepare_guest "$work/initrd.gz"

mkdir -p "$KMSGQ_LOGS"
set_qemu_args "$work/initrd.gz" \
	"kmsgq.suite=$(IFS=, && echo "$*")${test:+ kmsgq.test=$test}${skip:+ kmsgq.skip=$skip}$append"
echo "guest: suites $*${test:+, test $test}; timeout ${KMSGQ_TIMEOUT}s"

# boot: one guest run, logs under $log; its QEMU status in $rc.
# ttyS0 (kernel console) to a file; ttyS1 (test output) to the terminal,
# less the closing dmesg dump, which stays in the log.
suites=$(IFS=+ && echo "$*")
boot() {
	log=$KMSGQ_LOGS/$(date +%Y%m%d-%H%M%S)-$suites-$$-$1
	echo "logs:  $log.out.log $log.console.log"
	set +o pipefail
	timeout -k 10 "$KMSGQ_TIMEOUT" "${qemu[@]}" \
		-serial "file:$log.console.log" -serial stdio </dev/null |
		tr -d '\r' | tee "$log.out.log" |
		sed '/^KMSGQ-DMESG-BEGIN/,/^KMSGQ-DMESG-END/d'
	rc=${PIPESTATUS[0]}
	set -o pipefail
}

boot 1
# A guest kernel that dies before /init prints anything (seen about once in
# 15 boots under TCG: an int3 Oops while the stock kernel patches its text)
# has not run kmsgq at all: say so, and boot once more.
if [ ! -s "$log.out.log" ]; then
	echo "guest died before /init; the console's last lines:"
	tail -n 20 "$log.console.log" | tr -d '\r' | sed 's/^/  /'
	echo "booting once more"
	boot 2
fi

if [ "$rc" = 124 ]; then
	echo "guest timed out after ${KMSGQ_TIMEOUT}s"
elif [ "$rc" != 0 ]; then
	echo "qemu exited with status $rc"
fi
if ! grep -q '^KMSGQ-DONE' "$log.out.log"; then
	echo "guest did not finish; the console's last lines:"
	tail -n 40 "$log.console.log" | tr -d '\r' | sed 's/^/  /'
fi
# Every suite must run a program, unless --test picked one program of some.
expect=("$@")
[ -z "$test" ] || expect=()
"$vm_dir/results.sh" "$log.out.log" "$log.console.log" "${expect[@]}"
