#!/usr/bin/env bash
# Install what building and booting the test guest needs, idempotently:
# Debian packages, the guest kernel image and the extracted kernel source.
# Quiet unless something has to be done or fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/config.sh"

# Run an apt command, showing its output only if it fails.
apt_quiet() {
	local out
	if ! out=$(DEBIAN_FRONTEND=noninteractive "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "vm/setup.sh: failed: $*" >&2
		return 1
	fi
}
apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	apt_quiet apt-get -q update
	apt_updated=1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# gcc-multilib: the -m32 selftests; mandoc, groff-base: man page lint;
# dkms, pkg-config, kmod: vm/install-check.sh, which also builds the module
# with dkms for bookworm's default kernel (KVER_OLD); dpkg-dev, debhelper,
# dh-dkms, dh-python, python3-all-dev, python3-setuptools, python3-pytest,
# lintian: the Debian packages (vm/package-check.sh); liburing-dev:
# uring_test and the bench's kmsgq-uring (liburing.a, linked static);
# libpopt-dev: the kernel's mq_perf_tests (selftests/mqueue); manpages-dev:
# the mq_notify(3) and mq_getattr(3) examples (selftests/mqueue).
packages=(gcc g++ make libc6-dev gcc-multilib cpio gzip xz-utils busybox-static
	qemu-system-x86 mandoc groff-base dkms pkg-config kmod libpopt-dev
	dpkg-dev debhelper dh-dkms dh-python python3-all-dev python3-setuptools
	python3-pytest lintian liburing-dev manpages-dev
	"linux-headers-$KVER" "linux-headers-$KVER_OLD" "$KSRC_PKG")
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "vm/setup.sh: installing ${missing[*]}"
	apt_update_once
	apt_quiet apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$KMSGQ_VMLINUZ" ]; then
	echo "vm/setup.sh: fetching linux-image-$KVER-unsigned"
	apt_update_once
	(cd "$tmp" && apt_quiet apt-get download "linux-image-$KVER-unsigned")
	dpkg -x "$tmp"/linux-image-*.deb "$tmp/image"
	mkdir -p "$(dirname "$KMSGQ_VMLINUZ")"
	cp "$tmp/image/boot/vmlinuz-$KVER" "$KMSGQ_VMLINUZ.$$"
	mv "$KMSGQ_VMLINUZ.$$" "$KMSGQ_VMLINUZ"
fi

if [ ! -f "$KSRC_DIR/Makefile" ]; then
	echo "vm/setup.sh: extracting $KSRC_PKG into $KSRC_DIR"
	mkdir -p "$(dirname "$KSRC_DIR")"
	tar -xf "/usr/src/$KSRC_PKG.tar.xz" -C "$tmp"
	rm -rf "$KSRC_DIR"
	mv "$tmp/$KSRC_PKG" "$KSRC_DIR"
fi
