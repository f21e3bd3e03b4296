#!/usr/bin/env bash
# Build the kmsgq debug test kernel, or find it already built in the cache:
# Debian's linux-source-6.12, `make tinyconfig`, then vm/debug.config, then
# `make olddefconfig`; every option of the fragment must come out as written.
# Builds bzImage and the modules_prepare state, so that out-of-tree modules
# build against the tree with `make -C KDIR M=...`.
#
# Usage: vm/debug-kernel.sh
#
# Prints the built tree (KDIR) as the last line on stdout; the kernel is
# KDIR/arch/x86/boot/bzImage.  Progress goes to stderr, make's output to
# KDIR/build.log.  The tree lives in $KMSGQ_CACHE/debug-kernel/<key>/, where
# <key> hashes vm/debug.config, the source package's version and
# `gcc --version`: a warm run rebuilds nothing (0.2 s).  A cold build takes
# 6 min on two idle cores, 10-12 min beside running guests.
#
# Boot it like the stock kernel, with -kernel KDIR/arch/x86/boot/bzImage and
# "console=ttyS0 panic=-1 kmemleak=on" (kmemleak is on by default anyway);
# build the module with `make -C KDIR M=$PWD` (or `make module KDIR=KDIR`):
# with CONFIG_KUNIT set, kmsgq.ko carries the KUnit suites, which run at
# insmod and leave KTAP on the console and in
# /sys/kernel/debug/kunit/kmsgq_*/results until rmmod.
set -euo pipefail
vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/config.sh"
fragment=$vm_dir/debug.config
# Bump when the steps below change what a cached tree contains.
recipe=1

say() { echo "vm/debug-kernel.sh: $*" >&2; }
die() { say "$@"; exit 1; }

# Build dependencies, installed only if missing.
packages=(build-essential bc bison flex libelf-dev libssl-dev dwarves cpio
	xz-utils "$KSRC_PKG")
"$vm_dir/apt-need.sh" "${packages[@]}"

pkgver=$(dpkg-query -W -f '${Version}' "$KSRC_PKG")
key=$({
	echo "recipe $recipe"
	cat "$fragment"
	echo "$KSRC_PKG $pkgver"
	gcc --version
} | sha256sum | cut -c1-16)
top=$KMSGQ_CACHE/debug-kernel
kdir=$top/$key
mkdir -p "$top"

# One builder per cache directory; a second caller waits, then finds it built.
exec 9>"$top/.lock"
flock 9

if [ -f "$kdir/.kmsgq-built" ] && [ -f "$kdir/source/Makefile" ]; then
	say "cached: $kdir"
	echo "$kdir"
	exit 0
fi

# A pristine source tree of our own: builds go to O=KDIR, which Kbuild only
# allows from a tree nobody has configured or built in.
src=$top/src-$pkgver
if [ ! -f "$src/Makefile" ]; then
	say "extracting /usr/src/$KSRC_PKG.tar.xz into $src"
	rm -rf "$src.part"
	mkdir -p "$src.part"
	tar -xf "/usr/src/$KSRC_PKG.tar.xz" -C "$src.part" --strip-components=1
	mv "$src.part" "$src"
fi

mkdir -p "$kdir"
log=$kdir/build.log
: >"$log"
kmake() {
	if ! make -C "$src" O="$kdir" "$@" >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "make $* failed; full log: $log"
	fi
}

say "building in $kdir (log: $log)"
start=$SECONDS
# ARCH=x86_64: a 64-bit tinyconfig, its defaults those of 64-bit kernels.
kmake ARCH=x86_64 tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" \
	"$fragment" >>"$log" 2>&1
kmake olddefconfig

# Every line of the fragment, as olddefconfig left it: "CONFIG_X=v" must be
# in .config verbatim, "# CONFIG_X is not set" must not be set to anything.
wrong=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$kdir/.config" ||
			wrong+=("${line%%=*}")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$kdir/.config"; then
			wrong+=("$opt")
		fi
		;;
	esac
done <"$fragment"
if [ ${#wrong[@]} -gt 0 ]; then
	for opt in "${wrong[@]}"; do
		say "$opt: wanted '$(grep -E "^(# )?${opt}[= ]" "$fragment")'," \
			"got '$(grep -E "^(# )?${opt}[= ]" "$kdir/.config" ||
				echo absent)'"
	done
	die "options of $fragment not as requested: ${wrong[*]}"
fi

kmake -j"$(nproc)" bzImage modules
secs=$((SECONDS - start))
printf 'key %s\nsource %s %s\nbuilt in %d s on %d cpus\n' "$key" \
	"$KSRC_PKG" "$pkgver" "$secs" "$(nproc)" >"$kdir/.kmsgq-built"
say "built in ${secs}s: $kdir/arch/x86/boot/bzImage"
echo "$kdir"
