#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check of the Debian packages (debian/), no guest: in a temporary
# copy of the tree (the work tree stays as it is), the version and symbols
# files against the tree, the source package (dpkg-source -b) and the binary
# packages (dpkg-buildpackage -us -uc -b), lintian on both (no error, no
# warning), and each package's file list (dpkg-deb -c): exactly the
# expected files.  Output as vm/host-check.sh describes: one line per
# check, then "N passed, N failed".  Exit 1 if anything failed.
# Takes about 25 s of CPU time, mostly lintian (45 to 75 s wall on a busy
# 2-core machine).
set -uo pipefail
vm_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$vm_dir")

# shellcheck source-path=SCRIPTDIR
. "$vm_dir/host-check.sh"
# shellcheck source-path=SCRIPTDIR
. "$vm_dir/tree-copy.sh"
src=$tmp/kmsgq

for t in dpkg-buildpackage dpkg-source dh dh_dkms lintian; do
	command -v "$t" >/dev/null || {
		echo "$t not found: run make deps (vm/setup.sh)" >&2
		exit 1
	}
done

touch "$tmp/stamp"
tree_copy "$repo" "$src" || { echo "cannot copy $repo to $src" >&2; exit 1; }

# --- the sources ----------------------------------------------------------

# The project's version.
version=$(head -n 1 "$src/VERSION") from=VERSION
check_version() {
	local v
	v=$(cd "$src" && dpkg-parsechangelog -S Version) || return
	[ -n "$version" ] || fail "no version in $from" || return
	[ "$v" = "$version" ] ||
		fail "debian/changelog: $v, $from: $version (dch -v $version)"
}
check "debian/changelog's version is $from's ($version)" check_version

# The Python binding's, which pip reads from its pyproject.toml.
check_py_version() {
	local v
	v=$(sed -n 's/^version = "\(.*\)"$/\1/p' \
		"$src/bindings/python/pyproject.toml")
	[ "$v" = "$version" ] ||
		fail "bindings/python/pyproject.toml: $v, $from: $version"
}
check "the Python binding's version is $from's ($version)" check_py_version

# Each name once: a function whose structure grew has two versions there.
check_symbols() {
	local map syms
	map=$(sed -n 's/^[[:space:]]*\(kmsgq_[a-z0-9_]*\);$/\1/p' \
		"$src/userlib/src/libkmsgq.map" | sort)
	syms=$(sed -n 's/^ \(kmsgq_[a-z0-9_]*\)@KMSGQ_[0-9.]* .*/\1/p' \
		"$src/debian/libkmsgq1.symbols" | sort -u)
	[ -n "$map" ] || fail "no export in userlib/src/libkmsgq.map" || return
	diff <(echo "$map") <(echo "$syms") ||
		fail "< libkmsgq.map, > libkmsgq1.symbols"
}
check "debian/libkmsgq1.symbols lists userlib/src/libkmsgq.map's exports" \
	check_symbols

# --- build ----------------------------------------------------------------

build_source() {
	(cd "$tmp" && dpkg-source -b kmsgq)
}
check "dpkg-source -b: the source package" build_source

# The system's tools first: a Python of pyenv's or a virtual environment's
# has neither Debian's modules (pytest) nor its layout.
sys_path=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
build_binary() {
	(cd "$src" && PATH=$sys_path dpkg-buildpackage -us -uc -b)
}
check "dpkg-buildpackage -us -uc -b: the binary packages" build_binary

# lint FILE: lintian on FILE (no error or warning), the tags it printed
# in the log and counted on the line.
lint() {
	local status
	[ -f "$tmp/$1" ] || echo "no $1" >>"$log"
	[ -f "$tmp/$1" ] &&
		lintian --fail-on error,warning -I --pedantic "$tmp/$1" \
			>"$tmp/lintian" 2>&1
	status=$?
	grep -v '^running with root privileges' "$tmp/lintian" >>"$log"
	result "$status" "lintian $1: no error or warning$(awk '
		/^[EWIPX]: / { n[substr($0, 1, 1)]++ }
		END { for (t in n) s = s ", " n[t] " " t ":"
		      if (s) print " (" substr(s, 3) ")" }' "$tmp/lintian")"
}
lint "kmsgq_$version.dsc"
lint "kmsgq_${version}_$(dpkg --print-architecture).changes"

# --- the packages' contents -----------------------------------------------

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)

# deb PACKAGE: the package's file.
deb() {
	compgen -G "$tmp/${1}_${version}_*.deb" | head -n 1
}

# check_files PACKAGE PATH...: the package holds exactly these files and
# links (directories and its /usr/share/doc aside).
check_files() {
	local pkg=$1 f
	shift
	f=$(deb "$pkg") || fail "no $pkg package" || return
	printf '%s\n' "$@" | sort >"$tmp/want"
	dpkg-deb -c "$f" | awk '$1 !~ /^d/ { print $6 }' |
		sed 's|^\./||' | grep -v "^usr/share/doc/$pkg/" | sort >"$tmp/got"
	diff "$tmp/want" "$tmp/got"
}

dkms_files() {
	local d=usr/src/kmsgq-$version f
	for f in Kbuild Makefile dkms.conf VERSION uapi/linux/kmsgq.h \
		module/Kbuild; do
		echo "$d/$f"
	done
	(cd "$src" && compgen -G 'module/*.[ch]'; compgen -G 'module/tests/*.[ch]') |
		sed "s|^|$d/|"
	echo usr/lib/modules-load.d/kmsgq.conf
	echo usr/lib/udev/rules.d/60-kmsgq.rules
	echo usr/share/man/man7/kmsgq.7.gz
}
# shellcheck disable=SC2046 # one path a word
check "kmsgq-dkms: module sources and dkms.conf, modules-load.d, udev rule" \
	check_files kmsgq-dkms $(dkms_files)

check "libkmsgq1: libkmsgq.so.$version and its soname link" \
	check_files libkmsgq1 "usr/lib/$multiarch/libkmsgq.so.1" \
	"usr/lib/$multiarch/libkmsgq.so.$version"

dev_files() {
	local p
	echo usr/include/kmsgq.h
	echo usr/include/kmsgq_uring.h
	echo usr/include/linux/kmsgq.h
	for p in libkmsgq.a libkmsgq.so pkgconfig/kmsgq.pc libkmsgq-mq.a \
		libkmsgq-mq.so pkgconfig/kmsgq-mq.pc; do
		echo "usr/lib/$multiarch/$p"
	done
	for p in "$src"/man/*.3; do
		echo "usr/share/man/man3/${p##*/}.gz"
	done
}
# shellcheck disable=SC2046
check "libkmsgq-dev: headers, .so, .a, kmsgq.pc, section-3 pages" \
	check_files libkmsgq-dev $(dev_files)

check "libkmsgq-mq1: libkmsgq-mq.so.VERSION, its soname link, kmsgq_mq(7)" \
	check_files libkmsgq-mq1 "usr/lib/$multiarch/libkmsgq-mq.so.1" \
	"usr/lib/$multiarch/libkmsgq-mq.so.$version" \
	usr/share/man/man7/kmsgq_mq.7.gz

python_files() {
	local d=usr/lib/python3/dist-packages ext version f
	ext=$(PATH=$sys_path python3 -c \
		'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
	version=$(sed -n 's/^version = "\(.*\)"$/\1/p' \
		"$src/bindings/python/pyproject.toml")
	for f in __init__.py "_kmsgq$ext" _kmsgq.pyi py.typed; do
		echo "$d/kmsgq/$f"
	done
	for f in PKG-INFO dependency_links.txt requires.txt top_level.txt; do
		echo "$d/kmsgq-$version.egg-info/$f"
	done
}
# shellcheck disable=SC2046
check "python3-kmsgq: the kmsgq module, its extension and type stubs" \
	check_files python3-kmsgq $(python_files)

check "kmsgq-tools: kmsgqctl, its bash completion and kmsgqctl(1)" \
	check_files kmsgq-tools usr/bin/kmsgqctl \
	usr/share/bash-completion/completions/kmsgqctl \
	usr/share/man/man1/kmsgqctl.1.gz

# What the packages hold, beyond names: dkms.conf and the rule as in the
# tree, kmsgqctl linked against libkmsgq1, the dependencies that follow.
check_contents() {
	local x=$tmp/x p
	for p in kmsgq-dkms libkmsgq1 kmsgq-tools; do
		dpkg-deb -x "$(deb $p)" "$x" || return
	done
	cmp "$src/dkms.conf" "$x/usr/src/kmsgq-$version/dkms.conf" || return
	cmp "$src/udev/60-kmsgq.rules" "$x/usr/lib/udev/rules.d/60-kmsgq.rules" ||
		return
	readelf -d "$x/usr/bin/kmsgqctl" | grep 'NEEDED.*\[libkmsgq\.so\.1\]' >/dev/null ||
		fail "kmsgqctl: not linked against libkmsgq.so.1" || return
	dpkg-deb -f "$(deb python3-kmsgq)" Depends | grep 'libkmsgq1 (>= ' >/dev/null ||
		fail "python3-kmsgq does not depend on libkmsgq1" || return
	LD_LIBRARY_PATH=$x/usr/lib/$multiarch "$x/usr/bin/kmsgqctl" --version ||
		return
	dpkg-deb -f "$(deb kmsgq-tools)" Depends | grep 'libkmsgq1 (>= ' >/dev/null ||
		fail "kmsgq-tools does not depend on libkmsgq1" || return
	dpkg-deb -f "$(deb kmsgq-dkms)" Depends | grep 'dkms' >/dev/null ||
		fail "kmsgq-dkms does not depend on dkms"
}
check "contents: dkms.conf, udev rule, kmsgqctl needs libkmsgq.so.1, Depends" \
	check_contents

# What a build in the work tree would have left there and beside it.
check_tree() {
	! { compgen -G "$repo/debian/*.substvars"
	    compgen -G "$repo/debian/*.debhelper.log"
	    find "$repo/debian" -maxdepth 1 \( -name files -o -name tmp -o \
		-name .debhelper -o -name 'kmsgq-*' -type d -o \
		-name 'libkmsgq*' -type d \)
	    find "$(dirname "$repo")" -maxdepth 1 -name 'kmsgq*_*' \
		-newer "$tmp/stamp"; } | grep . ||
		fail "build output in or beside the work tree: the paths above"
}
check "no build output in or beside the work tree" check_tree

summary
