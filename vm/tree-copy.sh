# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# tree_copy REPO DEST: the tree as its work tree has it, edits included,
# build outputs not (git's tracked and untracked, unignored files; without
# git, everything but .git), into DEST.  Sourced by vm/package-check.sh and
# vm/debian-guest.sh, which build the Debian packages in such a copy.
tree_copy() {
	local repo=$1 dest=$2
	mkdir -p "$dest" || return
	if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$repo" ls-files -z -co --exclude-standard |
			tar -C "$repo" -c --null --ignore-failed-read -T - |
			tar -x -C "$dest"
	else
		tar -C "$repo" -c --exclude=.git . | tar -x -C "$dest"
	fi
}
