#!/usr/bin/env bash
# make check: every test, with one verdict.
#   1. on the host: libkmsgq's own checks (header as C11/C++, exported
#      symbols), the man page lint, make install/uninstall and DKMS
#      (vm/install-check.sh), and the Debian packages: build, lintian,
#      contents (vm/package-check.sh);
#   2. the selftests and the demo on Debian's stock kernel (vm/config.sh),
#      and the selftests on bookworm's default 6.1 kernel;
#   3. the KUnit suites and the 64-bit selftests again on the debug kernel
#      (vm/debug.config: KASAN, lockdep, UBSAN, kmemleak, ...), built once
#      and cached by vm/debug-kernel.sh;
#   4. the Debian packages in a real bookworm system (vm/debian-guest.sh):
#      apt install, DKMS, loading at boot, udev, NSS names, the Python
#      binding's tests, apt purge.
# The last line sums the guest runs: "N passed, N failed[, N skipped]".
# Exit 1 if anything failed.
set -euo pipefail
vm_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$vm_dir")
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/config.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# phase [TITLE]: how long the phase before took, then TITLE's heading, so
# that a slow make check says where its time went.
phase_title='' phase_start=$SECONDS
phase() {
	[ -z "$phase_title" ] ||
		echo "== $phase_title: $((SECONDS - phase_start)) s"
	phase_title=${1-} phase_start=$SECONDS
	[ -z "$phase_title" ] || echo "== $phase_title"
}

phase "host: libkmsgq checks, man page lint, install and DKMS, packages"
make -C "$repo/userlib" --no-print-directory check >/dev/null || {
	echo "FAIL: make -C userlib check"
	status=1
}
make -C "$repo/man" --no-print-directory lint || {
	echo "FAIL: make -C man lint"
	status=1
}
"$vm_dir/install-check.sh" | tee "$tmp/install" || status=1
"$vm_dir/package-check.sh" | tee "$tmp/package" || status=1

phase "stock kernel $KVER: selftests, demo"
"$vm_dir/run-tests.sh" selftests demo | tee "$tmp/stock" || status=1

phase "stock kernel $KVER_OLD: selftests"
# The i386 programs and the reclaiming ring's stress are left out here, to
# keep make check within its time: they run on the stock kernel (and the
# reclaiming stress on the debug kernel too), and what the i386 programs
# add is kmsgq's compat entry (compat_ptr_ioctl(), then the same code) and
# the user side's 32-bit atomics, which no difference between the two
# kernels touches.  stress_test and ring_stress_test run here as well.
KVER=$KVER_OLD KDIR=/usr/src/linux-headers-$KVER_OLD \
	KMSGQ_VMLINUZ=$KMSGQ_CACHE/kernel/$KVER_OLD/vmlinuz \
	"$vm_dir/run-tests.sh" --skip '*_m32_test,*stress_reclaim_test' selftests |
	tee "$tmp/old" || status=1

phase "debug kernel: KUnit, selftests"
if debug_kdir=$("$vm_dir/debug-kernel.sh" | tail -n 1) && [ -d "$debug_kdir" ]; then
	# KASAN, lockdep and kmemleak make every test several times slower.
	# The i386 programs run on the stock kernel: what they add is the
	# compat entry (compat_ptr_ioctl(), the same code after it) and the
	# user side's 32-bit atomics, not kernel paths the debug options would
	# see differently; leaving them out here keeps make check within its
	# time.  So does kmsgqctl_test (38 s here): the tool's output and
	# options; the ioctls it makes are the other programs' too.
	KDIR=$debug_kdir KMSGQ_VMLINUZ=$debug_kdir/arch/x86/boot/bzImage \
		"$vm_dir/run-tests.sh" --timeout $((KMSGQ_TIMEOUT * 3)) \
		--skip '*_m32_test,kmsgqctl_test' kunit selftests |
		tee "$tmp/debug" || status=1
else
	echo "FAIL: the debug kernel did not build (vm/debug-kernel.sh)"
	status=1
fi

phase "Debian guest: apt install, DKMS, boot, udev, NSS, Python, apt purge"
"$vm_dir/debian-guest.sh" | tee "$tmp/debian" || status=1

# Rebuild the module for the stock kernel, as a plain make would leave it.
make -C "$repo" --no-print-directory KDIR="$KDIR" module >/dev/null
phase

tail -q -n 1 "$tmp"/install "$tmp"/package "$tmp"/stock "$tmp"/old "$tmp"/debug \
	"$tmp"/debian 2>/dev/null | awk -v status=$status '
{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /^(passed|failed|skipped)/) n[$(i + 1)] += $i }
END {
	p = n["passed,"] + n["passed"]; f = n["failed,"] + n["failed"]
	s = n["skipped"] + n["skipped,"]
	if (status && !f) f = 1
	line = p " passed, " f " failed"
	if (s) line = line ", " s " skipped"
	print line
}'
exit $status
