# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The line format of the host checks (vm/install-check.sh,
# vm/package-check.sh): one line per check, "ok N - ..." or "not ok N - ..."
# (a failure followed by its step's output as "# " lines), and a last line
# "N passed, N failed" that vm/check.sh adds up.  Sourcing it makes tmp,
# a directory removed on exit, and log in it, where each step's output goes.
tmp=$(mktemp -d "/tmp/kmsgq-$(basename "$0" .sh).XXXXXX") || exit
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
: >"$log"
n=0 passed=0 failed=0

# result STATUS DESCRIPTION: print the line; on failure, the step's output.
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
		passed=$((passed + 1))
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		tail -n 40 "$log" | sed 's/^/# /'
	fi
	: >"$log"
}

# check DESCRIPTION COMMAND...: run COMMAND with its output in the log.
check() {
	local desc=$1
	shift
	"$@" >>"$log" 2>&1
	result $? "$desc"
}

fail() {
	echo "$*"
	return 1
}

# summary: the last line; false if anything failed.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
