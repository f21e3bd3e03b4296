#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian guest's root filesystem, or find it already built in the
# cache: a bookworm system made with debootstrap from the Debian mirror this
# machine's apt uses, with systemd, udev, DKMS, a compiler, the guest
# kernel (KVER, vm/config.sh) and its headers, Python with venv, pip and
# pytest, pkg-config and libnss-extrausers; packed into an ext4 image.
#
# Usage: vm/debian-rootfs.sh
#
# Prints the cache directory as the last line on stdout; it holds root.img
# (ext4, label kmsgq-root), and the kernel and initramfs that boot it,
# vmlinuz and initrd.img, the rootfs's own /boot files.  Progress goes to
# stderr, the commands' output to DIR/build.log.  The directory is
# $KMSGQ_CACHE/debian-rootfs/<key>/, where <key> hashes the package list,
# the mirror, KVER and the build steps below (the functions' code, not
# their comments): a warm run rebuilds nothing.  A cold build takes about
# 5 minutes.  Boot the image read-only or with QEMU's -snapshot: every run
# must start from the same system.
#
# What the checks rely on (vm/debian-guest.sh):
# - root=LABEL=kmsgq-root; the initramfs has the drivers for a virtio disk;
# - with kmsgq_run on the kernel command line, kmsgq-run.service mounts
#   the disk labelled kmsgq-run read-only on /srv/kmsgq (waiting for it as
#   long as it takes) and runs /srv/kmsgq/run.sh, after the rest of the
#   boot, its output on ttyS1;
# - passwd, group and shadow come from /etc and then from
#   /var/lib/extrausers (libnss-extrausers): users and groups written there
#   exist only through NSS, not in /etc/passwd;
# - no getty, no network.
set -euo pipefail
vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/config.sh"

suite=bookworm
packages=(systemd-sysv udev kmod e2fsprogs initramfs-tools zstd
	"linux-image-$KVER-unsigned" "linux-headers-$KVER"
	dkms openssl gcc make libc6-dev pkg-config
	python3 python3-dev python3-venv python3-pip python3-setuptools
	python3-wheel python3-pytest libnss-extrausers)

say() { echo "vm/debian-rootfs.sh: $*" >&2; }
die() { say "$@"; exit 1; }

# rootfs_mirror SUITE: the URI apt on this machine fetches SUITE/main from.
rootfs_mirror() {
	apt-cache policy | awk -v s="$1/main" -v a="$(dpkg --print-architecture)" \
		'$3 == s && $4 == a { print $2; exit }'
}

"$vm_dir/apt-need.sh" debootstrap e2fsprogs
mirror=$(rootfs_mirror "$suite")
security=$(rootfs_mirror "$suite-security")
[ -n "$mirror" ] || die "apt knows no mirror for $suite/main (apt-get update?)"

# rootfs_chroot DIR CMD...: CMD inside DIR, as the package scripts expect.
rootfs_chroot() {
	local dir=$1
	shift
	LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$dir" "$@"
}

# rootfs_modules_excluded: dpkg options that leave out the kernel's
# modules for hardware and protocols the guest does not have (dpkg
# path-exclude).  Every depmod, as DKMS installs and removes kmsgq, reads
# all modules: under TCG that takes minutes for the whole kernel, seconds
# for what is left (block, char, md and virtio drivers, filesystems,
# crypto, lib).
rootfs_modules_excluded() {
	local m d
	for m in /lib/modules /usr/lib/modules; do
		echo "path-exclude=$m/*/kernel/drivers/*"
		echo "path-exclude=$m/*/kernel/net/*"
		echo "path-exclude=$m/*/kernel/sound/*"
		for d in block char md virtio; do
			echo "path-include=$m/*/kernel/drivers/$d/*"
		done
	done
}

# rootfs_bootstrap DIR: minbase, then the packages from the full suite
# (the kernel comes from SUITE-security).  No package lists are kept: the
# guest is offline, and apt, without them, builds its cache in a moment
# rather than in half a minute under TCG.
rootfs_bootstrap() {
	local dir=$1
	debootstrap --variant=minbase "$suite" "$dir" "$mirror" || return
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[ -z "$security" ] || echo "deb $security $suite-security main"
	} >"$dir/etc/apt/sources.list" || return
	rootfs_modules_excluded >"$dir/etc/dpkg/dpkg.cfg.d/kmsgq-modules" ||
		return
	# No service starts inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d" &&
		chmod 755 "$dir/usr/sbin/policy-rc.d" || return
	# The initramfs, made as the kernel installs: the root disk's driver
	# and filesystem, nothing else.
	mkdir -p "$dir/etc/initramfs-tools/conf.d" \
		"$dir/usr/share/initramfs-tools/modules.d" &&
		echo MODULES=list >"$dir/etc/initramfs-tools/conf.d/kmsgq" &&
		printf '%s\n' virtio_blk crc32c_generic crc32c_intel ext4 \
			>"$dir/usr/share/initramfs-tools/modules.d/kmsgq" || return
	mount -t proc proc "$dir/proc" &&
		mount --bind /dev "$dir/dev" &&
		mount -t sysfs sys "$dir/sys" || return
	rootfs_chroot "$dir" apt-get -q update &&
		rootfs_chroot "$dir" apt-get install -y -q \
			--no-install-recommends "${packages[@]}" &&
		rootfs_chroot "$dir" apt-get clean &&
		find "$dir/var/lib/apt/lists" -maxdepth 1 -type f -delete &&
		rm "$dir/usr/sbin/policy-rc.d"
}

# rootfs_configure DIR: boot from a virtio disk to the run disk's script.
rootfs_configure() {
	local dir=$1
	echo kmsgq-debian >"$dir/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tkmsgq-debian\n' >"$dir/etc/hosts"
	cat >"$dir/etc/fstab" <<-'EOF'
	LABEL=kmsgq-root / ext4 rw,errors=remount-ro 0 1
	LABEL=kmsgq-run /srv/kmsgq ext4 ro,noauto,x-systemd.device-timeout=15min 0 0
	EOF
	mkdir -p "$dir/srv/kmsgq"
	cat >"$dir/etc/systemd/system/kmsgq-run.service" <<-'EOF'
	[Unit]
	Description=Run /srv/kmsgq/run.sh from the kmsgq-run disk
	ConditionKernelCommandLine=kmsgq_run
	RequiresMountsFor=/srv/kmsgq
	After=multi-user.target

	[Service]
	Type=oneshot
	ExecStart=/bin/bash /srv/kmsgq/run.sh
	StandardInput=null
	StandardOutput=tty
	StandardError=inherit
	TTYPath=/dev/ttyS1

	[Install]
	WantedBy=multi-user.target
	EOF
	ln -sf /etc/systemd/system/kmsgq-run.service \
		"$dir/etc/systemd/system/multi-user.target.wants/kmsgq-run.service"
	for u in serial-getty@ getty@ getty-static; do
		ln -sf /dev/null "$dir/etc/systemd/system/$u.service"
	done
	# Users and groups that exist only through NSS: the checks write them.
	sed -i -e 's/^\(passwd\|group\|shadow\):.*/& extrausers/' \
		"$dir/etc/nsswitch.conf"
	mkdir -p "$dir/var/lib/extrausers"
	rootfs_chroot "$dir" systemd-machine-id-setup
}

key=$({
	echo "$suite $mirror $security $KVER"
	printf '%s\n' "${packages[@]}"
	declare -f rootfs_chroot rootfs_modules_excluded rootfs_bootstrap \
		rootfs_configure
} | sha256sum | cut -c1-16)
top=$KMSGQ_CACHE/debian-rootfs
out=$top/$key
mkdir -p "$top"

# One builder per cache directory; a second caller waits, then finds it built.
exec 9>"$top/.lock"
flock 9

if [ -f "$out/.kmsgq-built" ]; then
	say "cached: $out"
	echo "$out"
	exit 0
fi

log=$out/build.log
dir=$out/rootfs
# remove_tree DIR: the chroot's mounts gone, then DIR, never across a mount
# (an interrupted build may have left them).
remove_tree() {
	umount "$dir/dev" "$dir/sys" "$dir/proc" 2>/dev/null || true
	if awk -v d="$dir/" 'index($5, d) == 1 { f = 1 } END { exit !f }' \
		/proc/self/mountinfo; then
		say "still mounted under $dir: not removing $1"
		return 1
	fi
	rm -rf --one-file-system "$1"
}
# On any exit: no tree left; on failure, the log's tail.
finish() {
	local status=$?
	[ ! -d "$dir" ] || remove_tree "$dir"
	if [ "$status" -ne 0 ]; then
		tail -n 40 "$log" >&2 || true
		say "failed; full log: $log"
	fi
}
trap finish EXIT
trap 'exit 1' INT TERM HUP
remove_tree "$out"
mkdir -p "$out"
# run CMD...: CMD with its output in the log (set -e stops on a failure).
run() { "$@" >>"$log" 2>&1; }

say "building in $out from $mirror (log: $log)"
start=$SECONDS
run rootfs_bootstrap "$dir"
run rootfs_configure "$dir"
run umount "$dir/dev" "$dir/sys" "$dir/proc"
cp "$dir/boot/vmlinuz-$KVER" "$out/vmlinuz"
cp "$dir/boot/initrd.img-$KVER" "$out/initrd.img"
# Room for the DKMS build, a virtual environment and the packages.
size=$(($(du -sm "$dir" | cut -f1) + 1536))
run mkfs.ext4 -q -L kmsgq-root -d "$dir" "$out/root.img" "${size}M"
remove_tree "$dir"
secs=$((SECONDS - start))
printf 'key %s\nmirror %s %s\nkernel %s\nbuilt in %d s\n' "$key" "$mirror" \
	"$suite" "$KVER" "$secs" >"$out/.kmsgq-built"
say "built in ${secs}s: $out/root.img"
echo "$out"
