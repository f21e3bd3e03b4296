#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The checks inside the Debian guest (vm/debian-guest.sh), run by systemd
# (kmsgq-run.service, vm/debian-rootfs.sh) from the read-only run disk on
# /srv/kmsgq, which holds this script as run.sh, vm/host-check.sh, the
# project's .debs and a copy of bindings/python.  The root disk keeps its
# writes from one boot to the next (QEMU -snapshot: until QEMU exits).
#
# First boot: install the packages with apt as a user would (offline: their
# dependencies are in the image); DKMS builds the module for the running
# kernel; nothing loads it yet; reboot.  Second boot: systemd-modules-load
# loaded it, systemd-udevd applied the rule, kmsgqctl names an owner that
# exists only through NSS, the Python binding builds with pip and its tests
# pass against the module, with it and with python3-kmsgq, and apt purge
# leaves nothing; power off.
#
# Output on ttyS1 in vm/host-check.sh's format, numbered across both boots,
# each check followed by a line with the seconds it took; the last line,
# "N passed, N failed", comes at the end of the second.  The console
# (ttyS0, the host's console log) gets every check's output, each line
# stamped with the guest's uptime.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
run=/srv/kmsgq
state=/var/lib/kmsgq-checks
# shellcheck source=vm/host-check.sh
. "$run/host-check.sh"
mkdir -p "$state"
# shellcheck source=/dev/null
[ -f "$state/counts" ] && . "$state/counts"
kver=$(uname -r)
version=$(dpkg-deb -f "$(compgen -G "$run/kmsgq-dkms_*.deb" | head -n 1)" \
	Version)
packages=(kmsgq-dkms libkmsgq1 libkmsgq-mq1 kmsgq-tools libkmsgq-dev
	python3-kmsgq)
# A user and a group in /var/lib/extrausers, not in /etc (libnss-extrausers).
nss_user=kmsgq-nss nss_group=kmsgq-nssgrp nss_id=4242

# The guest's uptime in seconds, to a tenth.
uptime_s() {
	local up _
	read -r up _ </proc/uptime
	echo "$up"
}

# stamped CMD...: CMD, each line of its output (and stderr) stamped with
# the uptime, also copied to the console (ttyS0: the host keeps its log).
stamped() {
	local line
	"$@" 2>&1 | while IFS= read -r line; do
		printf '[%7s] %s\n' "$(uptime_s)" "$line"
	done | tee -a /dev/ttyS0
	return "${PIPESTATUS[0]}"
}

# timed DESCRIPTION COMMAND...: host-check.sh's check, its output stamped
# (stamped), then a line with the seconds it took.
timed() {
	local desc=$1 t0 t1
	shift
	t0=$(uptime_s)
	echo "[$t0] == $desc" >/dev/ttyS0
	check "$desc" stamped "$@"
	t1=$(uptime_s)
	echo "# $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (uptime $t1 s)"
}

save_counts() {
	printf 'n=%d passed=%d failed=%d\n' "$n" "$passed" "$failed" \
		>"$state/counts"
}

# --- first boot: install -------------------------------------------------

check_headers() {
	[ -f "/lib/modules/$kver/build/Makefile" ] ||
		fail "no headers for $kver in /lib/modules/$kver/build"
}

check_apt_install() {
	local debs=() p
	for p in "${packages[@]}"; do
		debs+=("./$(basename "$(compgen -G "$run/${p}_*.deb" | head -n 1)")")
	done
	(cd "$run" && apt-get install -y --no-install-recommends "${debs[@]}")
}

# The module DKMS installed for the running kernel.
module_file() {
	compgen -G "/lib/modules/$kver/updates/dkms/kmsgq.ko*" | head -n 1
}

check_dkms_built() {
	local f vermagic
	dkms status kmsgq | tee /dev/stderr |
		grep -q "^kmsgq/$version, $kver, [^:]*: installed" ||
		fail "dkms status: kmsgq/$version not installed for $kver" ||
		return
	f=$(module_file) || fail "no kmsgq.ko in updates/dkms" || return
	vermagic=$(modinfo -F vermagic "$f") || return
	[ "${vermagic%% *}" = "$kver" ] ||
		fail "$f: vermagic '$vermagic', want $kver" || return
	[ "$(modinfo -n kmsgq)" = "$f" ] ||
		fail "modinfo -n kmsgq: '$(modinfo -n kmsgq)', want $f (depmod)"
}

check_not_loaded() {
	! grep -q '^kmsgq ' /proc/modules || fail "kmsgq is already loaded"
}

stage_install() {
	timed "the running kernel $kver has its headers" check_headers
	timed "apt install ./kmsgq-dkms ./libkmsgq1 ./libkmsgq-mq1 ./kmsgq-tools ./libkmsgq-dev ./python3-kmsgq" \
		check_apt_install
	timed "DKMS built kmsgq $version for $kver into updates/dkms" \
		check_dkms_built
	timed "nothing loaded kmsgq at install" check_not_loaded
	# udevd's debug log, next boot, says which rule set /dev/kmsgq.
	echo 'udev_log=debug' >>/etc/udev/udev.conf
}

# --- second boot: the module at work, then purge -------------------------

check_loaded_at_boot() {
	grep '^kmsgq ' /proc/modules || fail "kmsgq not loaded" || return
	lsmod | grep -q '^kmsgq ' || fail "lsmod does not list kmsgq" || return
	# Its early messages reach the journal through the kernel's log.
	journalctl -b -o cat -t systemd-modules-load |
		grep -x "Inserted module 'kmsgq'" ||
		fail "systemd-modules-load did not load kmsgq"
}

# The rule's active line: its GROUP (root if it sets none) and MODE.
rule=/usr/lib/udev/rules.d/60-kmsgq.rules
rule_field() {
	grep -v '^[[:space:]]*\(#\|$\)' "$1" |
		sed -n "s/.*$2=\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

check_udev_rule() {
	local mode group got
	udevadm settle
	mode=$(rule_field "$rule" MODE) group=$(rule_field "$rule" GROUP)
	[ -n "$mode" ] || fail "$rule: no MODE" || return
	got=$(stat -c '%a %G' /dev/kmsgq) || return
	[ "$got" = "${mode#0} ${group:-root}" ] ||
		fail "/dev/kmsgq: $got, the rule says ${mode#0} ${group:-root}" ||
		return
	# The driver asks for 0666 itself: the proof is udevd's own log.
	journalctl -b -o cat -u systemd-udevd.service |
		grep "60-kmsgq\.rules:[0-9]* MODE $mode" ||
		fail "udevd's log shows no MODE from 60-kmsgq.rules"
}

# The rule's comment: a copy in /etc/udev/rules.d with its two rules
# swapped limits /dev/kmsgq to a group.
check_udev_group() {
	local over=/etc/udev/rules.d/60-kmsgq.rules got
	groupadd --system kmsgq || return
	sed -e 's/^SUBSYSTEM/#&/' -e 's/^#\(SUBSYSTEM.*GROUP=\)/\1/' \
		"$rule" >"$over" || return
	udevadm control --reload && udevadm trigger --sysname-match=kmsgq &&
		udevadm settle || return
	got=$(stat -c '%a %G' /dev/kmsgq) || return
	rm -f "$over"
	udevadm control --reload && udevadm trigger --sysname-match=kmsgq &&
		udevadm settle || return
	groupdel kmsgq || return
	[ "$got" = "660 kmsgq" ] ||
		fail "/dev/kmsgq: $got with the group rule, want 660 kmsgq"
}

check_nss_owner() {
	local out
	echo "$nss_user:x:$nss_id:$nss_id:NSS only:/nonexistent:/usr/sbin/nologin" \
		>/var/lib/extrausers/passwd &&
		echo "$nss_group:x:$nss_id:" >/var/lib/extrausers/group || return
	! grep -q "^$nss_user:" /etc/passwd ||
		fail "$nss_user is in /etc/passwd" || return
	getent passwd "$nss_user" || fail "getent passwd $nss_user" || return
	runuser -u "$nss_user" -- kmsgqctl create nss-owned || return
	out=$(kmsgqctl show nss-owned) || return
	echo "$out"
	kmsgqctl unlink nss-owned || return
	if ! grep -qx "owner *$nss_user" <<<"$out" ||
		! grep -qx "group *$nss_group" <<<"$out"; then
		fail "kmsgqctl show: owner and group not $nss_user, $nss_group"
	fi
}

# check_extension PYTHON DIR: PYTHON imports kmsgq's extension from under
# DIR, and it loads libkmsgq1's libkmsgq.so.1.
check_extension() {
	local ext lib
	ext=$(cd / && "$1" -c 'import kmsgq._kmsgq as m; print(m.__file__)') ||
		return
	case $ext in
	"$2"/*) ;;
	*) fail "$1 imports $ext, not one under $2"; return ;;
	esac
	lib=$(ldd "$ext" | awk '$1 == "libkmsgq.so.1" { print $3 }')
	echo "$ext: libkmsgq.so.1 => $lib"
	if [ -z "$lib" ] || ! dpkg -S "$(realpath "$lib")" | grep '^libkmsgq1:'
	then
		fail "the extension does not load libkmsgq1's libkmsgq.so.1"
	fi
}

# The binding's tree, as in the project's: README's commands from its top,
# in a virtual environment that uses the system's pip (python3-pip): one
# with a copy of pip of its own takes 90 s more to make under TCG.
tree=/tmp/kmsgq venv=/tmp/kmsgq/venv
check_pip_install() {
	mkdir -p "$tree/bindings" && cp -r "$run/python" "$tree/bindings/" &&
		python3 -m venv --without-pip --system-site-packages "$venv" ||
		return
	(cd "$tree" && PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip \
		install --no-index --no-build-isolation ./bindings/python) || return
	check_extension "$venv/bin/python" "$venv"
}

# check_pytest PYTHON NAME: the binding's tests with PYTHON's kmsgq, their
# output kept as $tmp/pytest-NAME; none may skip.
check_pytest() {
	(cd "$tree" && "$1" -m pytest -p no:cacheprovider -rs \
		bindings/python/tests) | tee "$tmp/pytest-$2" || return
	! grep -q skipped "$tmp/pytest-$2" || fail "tests skipped"
}
# pytest_summary NAME: pytest's counts, from its last line.
pytest_summary() {
	tail -n 1 "$tmp/pytest-$1" 2>/dev/null |
		sed -n 's/^=* *\([0-9].*\) in [0-9.]*s.*/\1/p'
}

check_python3_kmsgq() {
	check_extension python3 /usr/lib/python3/dist-packages &&
		check_pytest python3 deb
}

# Each package's files, before purge, to look for afterwards.
package_files() {
	local p
	for p in "${packages[@]}"; do
		dpkg-query -L "$p" 2>/dev/null
	done | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort -u
}

check_purge() {
	package_files >"$state/files" || return
	[ -s "$state/files" ] || fail "no package files listed" || return
	apt-get purge -y "${packages[@]}" || return
	rmmod kmsgq || return
	udevadm settle
	! dpkg-query -W "${packages[@]}" 2>/dev/null | grep . ||
		fail "still known to dpkg: the packages above" || return
	! { compgen -G "/lib/modules/*/updates/dkms/kmsgq.ko*"
	    compgen -G "/usr/src/kmsgq-*"
	    [ ! -e /var/lib/dkms/kmsgq ] || echo /var/lib/dkms/kmsgq
	    [ ! -e /dev/kmsgq ] || echo /dev/kmsgq
	    while read -r f; do
		[ ! -e "$f" ] && [ ! -L "$f" ] || echo "$f"
	    done <"$state/files"; } | grep . || fail "left behind: the paths above" ||
		return
	! modprobe -n kmsgq 2>/dev/null || fail "modprobe still finds kmsgq"
}

stage_checks() {
	timed "systemd-modules-load loaded kmsgq at boot (modules-load.d)" \
		check_loaded_at_boot
	timed "systemd-udevd applied 60-kmsgq.rules: /dev/kmsgq mode and group" \
		check_udev_rule
	timed "the rule's group variant in /etc/udev/rules.d: 0660 root:kmsgq" \
		check_udev_group
	timed "kmsgqctl show names an owner and group known only through NSS" \
		check_nss_owner
	timed "pip install --no-build-isolation ./bindings/python in a venv" \
		check_pip_install
	timed "pytest bindings/python/tests: the pip-installed binding" \
		check_pytest "$venv/bin/python" pip
	[ -z "$(pytest_summary pip)" ] || echo "# pytest: $(pytest_summary pip)"
	timed "pytest bindings/python/tests: python3-kmsgq, on libkmsgq1" \
		check_python3_kmsgq
	[ -z "$(pytest_summary deb)" ] || echo "# pytest: $(pytest_summary deb)"
	timed "apt purge, rmmod: no module, DKMS tree, sources, node or file left" \
		check_purge
}

# shutdown_guest reboot|poweroff: the target, without logind (not in the
# image) and without waiting: this script is done, and its shell goes
# before the stop of this unit could interrupt it.
shutdown_guest() {
	exec systemctl --no-block start "$1.target"
}

# --- which boot ----------------------------------------------------------

stage=$(cat "$state/stage" 2>/dev/null)
echo "# uptime $(uptime_s) s: the checks start"
case $stage in
'')
	echo install >"$state/stage"
	stage_install
	if [ "$failed" -gt 0 ]; then
		# Nothing to look at after a reboot.
		echo finished >"$state/stage"
		summary
		shutdown_guest poweroff
		exit
	fi
	save_counts
	echo checks >"$state/stage"
	sync
	shutdown_guest reboot
	;;
checks)
	echo checking >"$state/stage"
	stage_checks
	echo finished >"$state/stage"
	summary
	sync
	shutdown_guest poweroff
	;;
*)
	# A boot that crashed or rebooted on its own: say so and stop.
	result 1 "the guest booted again (in stage '$stage')"
	summary
	shutdown_guest poweroff
	;;
esac
