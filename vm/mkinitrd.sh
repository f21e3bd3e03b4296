#!/usr/bin/env bash
# Pack the test guest's initramfs: busybox, vm/guest/init, the suites and
# setup hooks, and the built module, selftests, tools and examples (static
# binaries); with KMSGQ_GUEST_PERF=1, perf.
# Usage: vm/mkinitrd.sh OUTPUT.gz
set -euo pipefail
out=$(realpath "$1")
cd "$(dirname "$0")/.."

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"	# tests that drop privileges must still reach /kmsgq, /dev
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp} \
	"$root"/kmsgq/{bin,selftests,setup.d}
cp /bin/busybox "$root/bin/"
cp vm/guest/init "$root/init"
cp -r vm/suites "$root/kmsgq/"
cp vm/guest/setup.d/*.sh "$root/kmsgq/setup.d/"
cp module/kmsgq.ko "$root/kmsgq/"
# The KUnit test module, where the kernel built against has KUnit.
[ ! -f module/kmsgq_kunit.ko ] || cp module/kmsgq_kunit.ko "$root/kmsgq/"
# Built programs: selftests/**/*_test in /kmsgq/selftests, the rest in /kmsgq/bin;
# not tools/shared/, the dynamically linked builds for make install.
find selftests -type f -perm -u+x -name '*_test' -exec cp -t "$root/kmsgq/selftests" {} +
# The one dynamic program kind (selftests/mqueue's man-page examples, run
# with LD_PRELOAD=libkmsgq-mq.so.1): the host's loader and C library at
# their paths, libkmsgq's shared libraries in /kmsgq/lib.
mkdir -p "$root/kmsgq/lib"
cp -a userlib/libkmsgq.so.1* userlib/libkmsgq-mq.so.1* "$root/kmsgq/lib/"
for so in $(ldd selftests/mqueue/mq_notify_example | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$so")"
	cp -L "$so" "$root$so"
done
find selftests tools examples -type f -perm -u+x ! -name '*_test' \
	! -path 'tools/shared/*' -exec cp -t "$root/kmsgq/bin" {} +
# The benchmark's CPU profile (kmsgq_bench_perf) needs perf, and the
# libraries it links: only for the runs that ask (make bench, make
# bench-profile), where the host has it (linux-perf).
if [ "${KMSGQ_GUEST_PERF:-0}" = 1 ] && perf=$(command -v perf); then
	cp "$perf" "$root/kmsgq/bin/perf"
	for so in $(ldd "$perf" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$so")"
		cp -L "$so" "$root$so"
	done
fi
(cd "$root" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
