#!/usr/bin/env bash
# Build everything and boot the guest with the module loaded and a shell on
# this terminal. Exit the shell to power off (or Ctrl-a x to kill QEMU).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prepare_guest "$work/initrd.gz"
set_qemu_args "$work/initrd.gz" ""
"${qemu[@]}" -serial mon:stdio
