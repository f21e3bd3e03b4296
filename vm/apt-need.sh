#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install those of the named Debian packages that are not installed yet,
# quietly: apt-get's output only if it fails.
#
# Usage: vm/apt-need.sh PACKAGE...
set -euo pipefail
missing=()
for p; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null ||
		missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "vm/apt-need.sh: installing ${missing[*]}" >&2
if ! out=$({
	apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}"
} 2>&1); then
	printf '%s\n' "$out" >&2
	echo "vm/apt-need.sh: apt-get failed" >&2
	exit 1
fi
