#!/usr/bin/env bash
# Judge one guest run from its two logs and print the verdict; the last line
# is "N passed, N failed" (", N skipped" if any). Exit 1 on any failure.
#
# Usage: vm/results.sh OUT.log CONSOLE.log [SUITE...]
#   OUT.log      the guest's ttyS1: KMSGQ-* markers, program output, dmesg
#   CONSOLE.log  the guest's ttyS0: the kernel console
#   SUITE...     suites that must each have run a program
#
# A failure is: a failed test case; a program without "# Totals:" (ksft, and
# kunit: KUnit's debugfs results end with the same line),
# with a non-zero exit, or without its END marker; insmod or rmmod failing;
# a run or a SUITE that ran no program; a guest that did not finish; a
# kernel splat.
set -euo pipefail
out=$1 console=$2
shift 2

# Kernel reports that fail a run whatever the tests said.
splat_re='Oops|BUG:|kernel BUG|WARNING:|INFO:|KASAN|UBSAN|possible circular locking'
splat_re+='|unreferenced object|Call Trace|Kernel panic|general protection fault'

# Stacks that fault injection dumps on purpose (selftests/fault_test.c) are
# not reports. Such a dump is "FAULT_INJECTION: forcing a failure.", then
# in this order: its "name" line, "CPU:", "Tainted:"/"Hardware name:",
# "Call Trace:", "<TASK>", frames and registers, "</TASK>"; those lines are
# dropped. A line out of that order (another CPU's, a second "Call Trace:")
# ends the dump and is judged like any other. The dmesg copy may begin
# inside a dump whose head was overwritten: it may start anywhere in that
# order (the console log has the dump whole).
drop_fault_dumps() {
	awk '
	function kind(l) {
		if (l ~ /^name [a-z_]+, interval [0-9]+, /) return 1
		if (l ~ /^CPU: [0-9]+ UID: [0-9]+ PID: [0-9]+ /) return 2
		if (l ~ /^(Tainted|Hardware name): /) return 3
		if (l == "Call Trace:") return 4
		if (l == " <TASK>") return 5
		if (l ~ /^(RIP|Code|RSP|RAX|RDX|RBP|R10|R13): /) return 6
		if (l ~ /^ (\? )?([A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+|0x[0-9a-f]+)( \[[^]]+\])?$/) return 6
		if (l == " </TASK>") return 7
		return 0
	}
	BEGIN {
		# next_ok[s]: the kinds that may follow kind s (0: the header,
		# 9: the start of the dmesg copy)
		next_ok[0] = " 1 "; next_ok[1] = " 2 "; next_ok[2] = " 3 4 "
		next_ok[3] = " 3 4 "; next_ok[4] = " 5 "; next_ok[5] = " 6 7 "
		next_ok[6] = " 6 7 "; next_ok[9] = " 1 2 3 4 5 6 7 "
		state = -1
	}
	{ line = $0; sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line) }
	line == "FAULT_INJECTION: forcing a failure." { state = 0; next }
	/^KMSGQ-DMESG-BEGIN/ { state = 9; next }
	state >= 0 {
		k = kind(line)
		if (k && index(next_ok[state], " " k " ")) {
			state = k == 7 ? -1 : k
			next
		}
		state = -1
	}
	{ print }'
}

mapfile -t splats < <({
	cat "$console"
	sed -n '/^KMSGQ-DMESG-BEGIN/,/^KMSGQ-DMESG-END/p' "$out"
} | tr -d '\r' | drop_fault_dumps | grep -E "$splat_re" |
	awk '!seen[$0]++' | head -n 20)
if [ ${#splats[@]} -gt 0 ]; then
	echo "Kernel reports (see $console):"
	printf '  %s\n' "${splats[@]}"
fi

tr -d '\r' <"$out" | awk -v suites="$*" -v splat=${#splats[@]} '
function fail(msg) { failed++; print "FAIL: " msg }
# A marker may follow output that did not end its line.
/KMSGQ-/ { sub(/.*KMSGQ-/, "KMSGQ-") }
/^KMSGQ-INSMOD-FAIL / { fail("insmod failed before suite " $2) }
/^KMSGQ-BEGIN / {
	prog = $2 "/" $3; kind = $4; totals = 0; planned = 1; ran[$2]++; nprogs++
	split("", c)
}
prog != "" && /^# Totals: / {
	totals = 1
	for (i = 3; i <= NF; i++) { split($i, kv, ":"); c[kv[1]] = kv[2] }
}
prog != "" && /^# Planned tests != run tests/ { planned = 0 }
/^KMSGQ-END / {
	rc = substr($4, 4)
	if (kind == "run") {
		if (rc == 0) passed++; else fail(prog " exited " rc)
	} else if (kind != "ksft" && kind != "kunit") {
		fail(prog ": unknown kind " kind " in vm/suites/" $2)
	} else if (!totals) {
		fail(prog " printed no Totals line (exit " rc ")")
	} else {
		f = c["fail"] + c["error"] + c["xpass"]
		passed += c["pass"] + c["xfail"]
		skipped += c["skip"]
		failed += f
		if (f) print "FAIL: " prog ": " f " test(s) failed"
		else if (rc != 0) fail(prog " exited " rc)
		else if (!planned) fail(prog " ran fewer tests than planned")
	}
	prog = ""
}
/^KMSGQ-RMMOD-FAIL / { fail("rmmod failed after suite " $2 " (" $3 ")") }
/^KMSGQ-DONE/ { done = 1 }
END {
	if (prog != "") fail(prog " did not finish")
	if (!done) fail("guest did not finish (timeout, panic or crash)")
	if (done && !nprogs) fail("no program ran")
	n = split(suites, s, " ")
	for (i = 1; i <= n; i++)
		if (done && !ran[s[i]]) fail("suite " s[i] " ran no program")
	if (splat) fail("the kernel reported a problem (above)")
	line = (passed + 0) " passed, " (failed + 0) " failed"
	if (skipped) line = line ", " skipped " skipped"
	print line
	exit (failed > 0)
}'
