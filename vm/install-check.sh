#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check of the packaging, no guest: `make install` into a DESTDIR
# (every file, a program built against the installed tree through
# pkg-config, shared and static), `make uninstall`, and DKMS add, build for
# the stock and the bookworm kernel, install and remove, with DKMS kept in
# temporary trees.  One line per check ("ok N - ..." / "not ok N - ...",
# failures followed by their output as "# " lines), then "N passed, N failed".
# Exit 1 if anything failed.  Run as root: dkms install insists on it.
# Takes about 10 s with the tree built, 15 s from clean.
set -uo pipefail
vm_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$vm_dir")
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/config.sh"

# shellcheck source-path=SCRIPTDIR
. "$vm_dir/host-check.sh"
dest=$tmp/dest

kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$kver" ] || { echo "no kernel release in $KDIR" >&2; exit 1; }
mod_version=$(head -n 1 "$repo/VERSION")
lib_version=$(cat "$repo/VERSION")
vars=(DESTDIR="$dest" PREFIX=/usr KDIR="$KDIR")
# The system trees this script must leave alone.
stamp=$tmp/stamp
touch "$stamp"

# --- make install ---------------------------------------------------------

check "make install DESTDIR=... PREFIX=/usr KDIR=$KDIR" \
	make -C "$repo" --no-print-directory "${vars[@]}" install

# The installed module, compressed or not as the kernel's config says.
module_file() {
	local d=$1 f
	for f in "$d"/kmsgq.ko "$d"/kmsgq.ko.gz "$d"/kmsgq.ko.xz "$d"/kmsgq.ko.zst; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# check_module DIR KVER: DIR holds a kmsgq.ko built for KVER.
check_module() {
	local f vermagic
	f=$(module_file "$1") || fail "no kmsgq.ko* in $1" || return
	vermagic=$(modinfo -F vermagic "$f") || return
	[ "${vermagic%% *}" = "$2" ] || fail "$f: vermagic '$vermagic', want $2"
}

moddir=$dest/lib/modules/$kver/updates/module
check "module in /lib/modules/$kver/updates/module, vermagic $kver" \
	check_module "$moddir" "$kver"

check_solib() {
	local d=$dest/usr/lib so=libkmsgq.so.$lib_version
	[ -f "$d/$so" ] && [ ! -L "$d/$so" ] ||
		fail "no regular file $d/$so" || return
	[ "$(readlink "$d/libkmsgq.so.1")" = "$so" ] ||
		fail "libkmsgq.so.1 does not point to $so" || return
	[ "$(readlink "$d/libkmsgq.so")" = libkmsgq.so.1 ] ||
		fail "libkmsgq.so does not point to libkmsgq.so.1" || return
	readelf -d "$d/$so" | grep 'SONAME.*\[libkmsgq\.so\.1\]' >/dev/null ||
		fail "$so: soname is not libkmsgq.so.1"
}
check "libkmsgq.so.$lib_version (soname libkmsgq.so.1), .so.1 and .so links" check_solib

check "libkmsgq.a, the library's static archive" \
	cmp "$repo/userlib/libkmsgq.a" "$dest/usr/lib/libkmsgq.a"

check_headers() {
	cmp "$repo/userlib/include/kmsgq.h" "$dest/usr/include/kmsgq.h" &&
		cmp "$repo/uapi/linux/kmsgq.h" "$dest/usr/include/linux/kmsgq.h"
}
check "headers kmsgq.h and linux/kmsgq.h" check_headers

# pkg-config on a staged tree: the .pc names /usr, the sysroot maps it.
pc() {
	PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent \
		PKG_CONFIG_SYSROOT_DIR=$dest pkg-config "$@" kmsgq
}
check_pc() {
	local v flags words want="-I$dest/usr/include -L$dest/usr/lib -lkmsgq"
	v=$(pc --modversion) || return
	[ "$v" = "$lib_version" ] || fail "kmsgq.pc: version $v, want $lib_version" ||
		return
	flags=$(pc --cflags --libs) || return
	read -r -a words <<<"$flags"
	[ "${words[*]}" = "$want" ] ||
		fail "kmsgq.pc: flags '$flags', want '$want'"
}
check "pkgconfig/kmsgq.pc: version $lib_version, -I, -L, -lkmsgq" check_pc

check_bin() {
	local f=$dest/usr/bin/kmsgqctl
	[ -x "$f" ] || fail "$f: missing or not executable" || return
	cmp "$repo/tools/shared/kmsgqctl" "$f" || return
	readelf -d "$f" | grep 'NEEDED.*\[libkmsgq\.so\.1\]' >/dev/null ||
		fail "$f: not linked against libkmsgq.so.1" || return
	LD_LIBRARY_PATH=$dest/usr/lib "$f" --version
}
check "kmsgqctl in /usr/bin, linked against libkmsgq.so.1" check_bin

# Every page in man/ lands in its section; the set has the overview, the
# tool's page and the library's pages.
check_man() {
	local p s found=0
	for s in 1 3 7; do
		for p in "$repo"/man/*."$s"; do
			[ -e "$p" ] || continue
			cmp "$p" "$dest/usr/share/man/man$s/${p##*/}" || return
			found=$((found + 1))
		done
	done
	[ -f "$dest/usr/share/man/man7/kmsgq.7" ] || fail "no man7/kmsgq.7" || return
	[ -f "$dest/usr/share/man/man1/kmsgqctl.1" ] ||
		fail "no man1/kmsgqctl.1" || return
	compgen -G "$dest/usr/share/man/man3/kmsgq_*.3" >/dev/null ||
		fail "no man3/kmsgq_*.3" || return
	echo "$found pages"
}
check "man pages: kmsgq.7, kmsgqctl.1, kmsgq_*.3, all of man/" check_man

check_udev() {
	local f=$dest/usr/lib/udev/rules.d/60-kmsgq.rules
	cmp "$repo/udev/60-kmsgq.rules" "$f" || return
	# The active rules: only for the kmsgq misc device, and each sets a mode.
	grep -v '^[[:space:]]*\(#\|$\)' "$f" >"$tmp/rules"
	[ -s "$tmp/rules" ] || fail "$f: no rule" || return
	! grep -Ev '^SUBSYSTEM=="misc", KERNEL=="kmsgq", (GROUP="[a-z_][a-z0-9_-]*", )?MODE="0[0-7]{3}"$' \
		"$tmp/rules" || fail "$f: unexpected rule above"
}
check "udev rule in /usr/lib/udev/rules.d (PREFIX=/usr)" check_udev

check "modules-load.d entry in /usr/lib/modules-load.d (PREFIX=/usr)" \
	cmp "$repo/modules-load.d/kmsgq.conf" \
	"$dest/usr/lib/modules-load.d/kmsgq.conf"

check "bash completion in /usr/share/bash-completion/completions" \
	cmp "$repo/tools/kmsgqctl-completion.bash" \
	"$dest/usr/share/bash-completion/completions/kmsgqctl"

# Exactly those files, nothing else (no depmod output, no stray files).
check_only() {
	local f p
	{
		module_file "$moddir"
		for f in libkmsgq.a libkmsgq.so libkmsgq.so.1 \
			"libkmsgq.so.$lib_version" pkgconfig/kmsgq.pc \
			libkmsgq-mq.a libkmsgq-mq.so libkmsgq-mq.so.1 \
			"libkmsgq-mq.so.$lib_version" pkgconfig/kmsgq-mq.pc \
			udev/rules.d/60-kmsgq.rules modules-load.d/kmsgq.conf; do
			echo "$dest/usr/lib/$f"
		done
		echo "$dest/usr/include/kmsgq.h"
		echo "$dest/usr/include/kmsgq_uring.h"
		echo "$dest/usr/include/linux/kmsgq.h"
		echo "$dest/usr/bin/kmsgqctl"
		echo "$dest/usr/share/bash-completion/completions/kmsgqctl"
		for p in "$repo"/man/*.[137]; do
			[ -e "$p" ] && echo "$dest/usr/share/man/man${p##*.}/${p##*/}"
		done
	} | sort >"$tmp/want"
	find "$dest" ! -type d | sort >"$tmp/got"
	diff "$tmp/want" "$tmp/got"
}
check "nothing else installed" check_only

# --- a program built against the installed tree ---------------------------

cat >"$tmp/prog.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <kmsgq.h>

/* The library rejects bad flags itself; a good call needs the device. */
int main(void)
{
	int ret = kmsgq_open("install-check", O_ACCMODE, 0, NULL);

	if (ret != -EINVAL) {
		fprintf(stderr, "kmsgq_open(O_ACCMODE): %d, want -EINVAL\n",
			ret);
		return 1;
	}
	ret = kmsgq_open("install-check", O_RDWR, 0, NULL);
	if (ret != -ENOENT && ret != -EACCES) {
		fprintf(stderr, "kmsgq_open(\"install-check\"): %d, want "
			"-ENOENT (no /dev/kmsgq or no such queue) or -EACCES\n",
			ret);
		return 1;
	}
	return 0;
}
EOF

check_shared() {
	local prog=$tmp/prog-shared
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror -o "$prog" "$tmp/prog.c" \
		$(pc --cflags --libs) || return
	readelf -d "$prog" | grep 'NEEDED.*\[libkmsgq\.so\.1\]' >/dev/null ||
		fail "$prog: does not need libkmsgq.so.1" || return
	LD_LIBRARY_PATH=$dest/usr/lib ldd "$prog" |
		grep "libkmsgq\.so\.1 => $dest/usr/lib/libkmsgq\.so\.1 " >/dev/null ||
		fail "libkmsgq.so.1 not resolved in $dest/usr/lib" || return
	LD_LIBRARY_PATH=$dest/usr/lib "$prog"
}
check "program via pkg-config, shared: links, loads, kmsgq_open errors" \
	check_shared

check_static() {
	local prog=$tmp/prog-static
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror -static -o "$prog" "$tmp/prog.c" \
		$(pc --static --cflags --libs) || return
	! readelf -d "$prog" | grep NEEDED >/dev/null ||
		fail "$prog: not static" || return
	"$prog"
}
check "program via pkg-config --static, static: links, runs" check_static

# --- make uninstall -------------------------------------------------------

check "make uninstall with the same variables" \
	make -C "$repo" --no-print-directory "${vars[@]}" uninstall

check_empty_dirs() {
	! find "$dest" ! -type d | grep . || fail "left behind: the files above"
}
check "uninstall leaves only directories" check_empty_dirs

# --- DKMS, in temporary trees ---------------------------------------------

dkms_dir=$tmp/dkms
src_dir=$tmp/src
inst_dir=$tmp/modules
mkdir -p "$dkms_dir" "$src_dir" "$inst_dir/$kver"
# dkms signs what it builds, with a key it creates if missing: keep that
# key here too (Debian's framework.conf leaves these unset).
tdkms() {
	TMPDIR=$tmp mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub \
		dkms "$@" --dkmstree "$dkms_dir" --sourcetree "$src_dir" \
		--installtree "$inst_dir" --no-depmod
}

check_conf_version() {
	local v
	v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$repo/dkms.conf")
	[ -n "$mod_version" ] || fail "no version in VERSION" || return
	[ "$v" = "$mod_version" ] ||
		fail "dkms.conf PACKAGE_VERSION '$v', VERSION '$mod_version'"
}
check "dkms.conf PACKAGE_VERSION is VERSION ($mod_version)" \
	check_conf_version

pkg=kmsgq/$mod_version
check_add() {
	make -C "$repo" --no-print-directory \
		DKMS_SRC="$src_dir/kmsgq-$mod_version" dkms-src || return
	tdkms add "$pkg" || return
	tdkms status "$pkg" | grep "^$pkg: added" >/dev/null ||
		fail "dkms status does not show $pkg added"
}
check "make dkms-src, dkms add" check_add

# check_dkms_build KVER [KDIR]
check_dkms_build() {
	if ! tdkms build "$pkg" -k "$1" ${2:+--kernelsourcedir "$2"}; then
		tail -n 20 "$dkms_dir/$pkg/build/make.log" 2>/dev/null
		return 1
	fi
	check_module "$dkms_dir/$pkg/$1/$(uname -m)/module" "$1"
}
check "dkms build -k $kver" check_dkms_build "$kver" "$KDIR"
check "dkms build -k $KVER_OLD" check_dkms_build "$KVER_OLD"

check_dkms_install() {
	tdkms install "$pkg" -k "$kver" --kernelsourcedir "$KDIR" || return
	check_module "$inst_dir/$kver/updates/dkms" "$kver"
}
check "dkms install -k $kver (into a temporary module tree)" \
	check_dkms_install

check_remove() {
	tdkms remove "$pkg" --all || return
	! find "$dkms_dir" "$inst_dir" ! -type d | grep . ||
		fail "left behind: the files above"
}
check "dkms remove --all" check_remove

# The live system: nothing new in the module trees, DKMS's tree or /usr/src.
check_system() {
	! { find /lib/modules /var/lib/dkms -newer "$stamp" 2>/dev/null
	    find /usr/src -maxdepth 1 -newer "$stamp"; } | grep . ||
		fail "changed during the run: the paths above"
}
check "/lib/modules, /var/lib/dkms and /usr/src untouched" check_system

summary
