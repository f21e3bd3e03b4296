#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages in a real Debian guest, what the busybox guest cannot
# show: apt installs them and DKMS builds the module for the running kernel,
# the module loads at boot through modules-load.d, systemd-udevd applies
# the rule, kmsgqctl names an owner that exists only through NSS, the
# Python binding installs with pip and its tests pass against the module,
# and apt purge leaves nothing (vm/debian-checks.sh says exactly what).
#
# Usage: vm/debian-guest.sh
#
# Builds the packages (dpkg-buildpackage -us -uc -b in a temporary copy of
# the tree), finds or builds the bookworm image (vm/debian-rootfs.sh),
# puts the packages, bindings/python and the checks on a second, read-only
# disk, and boots the image twice on a copy-on-write overlay, so every run
# starts from the same system: the first boot installs, the second checks
# and purges.  The guest is the same QEMU TCG machine as the busybox
# guest's (vm/lib.sh), with its Debian kernel (KVER) and initramfs.
# Output: the guest's lines, "ok N - ..." or "not ok N - ...", each
# followed by the seconds it took, and a last line "N passed, N failed";
# exit 1 if anything failed.  Both boots' logs are kept in $KMSGQ_LOGS (the
# console log holds each check's output, stamped with the guest's uptime).
# Takes about 10 minutes on a busy 2-core host with the image cached: the
# packages' build 20 s, the first boot 6 (to the checks 0.5, DKMS
# compiling the module 4 to 6 under TCG, depmod 0.2), the second 3.5 (to
# the checks 1, pip 1, the Python tests 0.3, purge 1); 3 to 10 more to
# build the image.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/tree-copy.sh"
# Wall-clock limit of each boot, in seconds.
timeout=${KMSGQ_DEBIAN_TIMEOUT:-1800}

say() { echo "vm/debian-guest.sh: $*" >&2; }
die() { say "$@"; exit 1; }

"$vm_dir/setup.sh"
"$vm_dir/apt-need.sh" qemu-utils
image=$("$vm_dir/debian-rootfs.sh" | tail -n 1)
say "tools and image ready in $SECONDS s"

work=$(mktemp -d /tmp/kmsgq-debian-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The packages, built as vm/package-check.sh builds them.
start=$SECONDS
tree_copy "$repo" "$work/src" || die "cannot copy $repo"
if ! (cd "$work/src" && PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
then
	tail -n 40 "$work/build.log" >&2
	die "dpkg-buildpackage failed"
fi
say "packages built in $((SECONDS - start)) s"

# The run disk: the checks as run.sh, the line format, packages, binding.
mkdir "$work/run"
cp "$work"/*.deb "$work/run/"
cp "$vm_dir/debian-checks.sh" "$work/run/run.sh"
cp "$vm_dir/host-check.sh" "$work/run/"
cp -r "$work/src/bindings/python" "$work/run/python"
mkfs.ext4 -q -L kmsgq-run -d "$work/run" "$work/run.img" 64M >/dev/null
qemu-img create -q -f qcow2 -b "$image/root.img" -F raw "$work/root.qcow2"

mkdir -p "$KMSGQ_LOGS"
# shellcheck disable=SC2034 # read by set_qemu_args
KMSGQ_VMLINUZ=$image/vmlinuz
set_qemu_args "$image/initrd.img" "root=LABEL=kmsgq-root ro kmsgq_run"
qemu+=(-drive "file=$work/root.qcow2,format=qcow2,if=virtio"
	-drive "file=$work/run.img,format=raw,if=virtio,readonly=on")

# boot N: one boot, its logs under $log; its QEMU status in $rc.  ttyS0
# (the console) to a file, ttyS1 (the checks) to the terminal and a file.
log_base=$KMSGQ_LOGS/$(date +%Y%m%d-%H%M%S)-debian-$$
boot() {
	log=$log_base-$1
	local start=$SECONDS
	say "boot $1 (timeout ${timeout}s); logs: $log.out.log $log.console.log"
	set +o pipefail
	timeout -k 10 "$timeout" "${qemu[@]}" \
		-serial "file:$log.console.log" -serial stdio </dev/null |
		sed -u 's/\r$//' | tee "$log.out.log"
	rc=${PIPESTATUS[0]}
	set -o pipefail
	say "boot $1: $((SECONDS - start)) s"
	[ "$rc" = 0 ] || say "boot $1: qemu exited with status $rc" \
		"$([ "$rc" = 124 ] && echo "(timed out)")"
}

# The guest's closing line in this boot's log: "N passed, N failed".
closing_line() {
	grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log.out.log" | tail -n 1
}
finished() { [ -n "$(closing_line)" ]; }

# Boot until the checks' last line, at most two boots that ran them: the
# first installs and reboots, the second checks.  A boot that never
# reached the checks (a kernel that died early under TCG, as the busybox
# guest's sometimes does) is tried once more.
boots=0 retried=
while [ "$boots" -lt 2 ]; do
	boot $((boots + 1))${retried:+-again}
	if [ ! -s "$log.out.log" ] && [ "$rc" != 124 ] && [ -z "$retried" ]; then
		say "the guest never ran the checks; the console's last lines:"
		tail -n 20 "$log.console.log" | tr -d '\r' | sed 's/^/  /' >&2
		retried=1
		continue
	fi
	boots=$((boots + 1))
	finished && break
done

cat "$log_base"-*.out.log >"$work/all"
if finished; then
	# The closing line last, whatever the shutdown printed after it.
	line=$(closing_line)
	[ "$(tail -n 1 "$log.out.log")" = "$line" ] || echo "$line"
	case $line in *" 0 failed") exit 0 ;; esac
	exit 1
fi
say "the guest did not finish; the console's last lines:"
tail -n 40 "$log.console.log" | tr -d '\r' | sed 's/^/  /' >&2
awk '/^ok [0-9]+ / { p++ } /^not ok [0-9]+ / { f++ }
END {
	printf "not ok %d - the guest finished its checks\n", p + f + 1
	printf "%d passed, %d failed\n", p, f + 1
}' "$work/all"
exit 1
