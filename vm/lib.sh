# shellcheck shell=bash source-path=SCRIPTDIR
# Shared by vm/run-tests.sh and vm/shell.sh: get the tools, build the tree
# against the guest kernel, pack the initramfs, and the QEMU command line.

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$vm_dir")
. "$vm_dir/config.sh"

# prepare_guest INITRD: install deps, build everything, pack INITRD.
prepare_guest() {
	"$vm_dir/setup.sh"
	make -C "$repo" --no-print-directory KDIR="$KDIR" KSFT_DIR="$KSFT_DIR" all
	"$vm_dir/mkinitrd.sh" "$1"
}

# set_qemu_args INITRD CMDLINE: set the array qemu to the guest's command;
# the caller adds a -serial for ttyS0 (the kernel console) and any more ports.
set_qemu_args() {
	# shellcheck disable=SC2034,SC2054 # used by the caller; commas are QEMU's
	qemu=(qemu-system-x86_64 -accel "tcg,thread=$KMSGQ_TCG_THREAD" -cpu max -smp 2 -m 1G
		-nodefaults -display none -no-reboot -kernel "$KMSGQ_VMLINUZ" -initrd "$1"
		-append "console=ttyS0 quiet panic=-1 $2")
}
