# shellcheck shell=sh
# The one place that names the guest kernel and where its pieces live.
# Sourced by the vm/ scripts and by selftests/Makefile; every value may be
# overridden from the environment.

# Debian kernel the guest boots and the module is built against.
KVER=${KVER:-6.12.117+deb12-amd64}
# Bookworm's default series, the second kernel make check tests on.
KVER_OLD=${KVER_OLD:-6.1.0-56-amd64}
# Debian source package carrying the same kernel (kselftest headers, debug builds).
KSRC_PKG=${KSRC_PKG:-linux-source-6.12}

# Downloads, extracted sources and run logs: outside the repo, shared by work trees.
KMSGQ_CACHE=${KMSGQ_CACHE:-$HOME/.cache/kmsgq}

KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
KMSGQ_VMLINUZ=${KMSGQ_VMLINUZ:-$KMSGQ_CACHE/kernel/$KVER/vmlinuz}
KSRC_DIR=${KSRC_DIR:-$KMSGQ_CACHE/src/$KSRC_PKG}
KSFT_DIR=${KSFT_DIR:-$KSRC_DIR/tools/testing/selftests}
KMSGQ_LOGS=${KMSGQ_LOGS:-$KMSGQ_CACHE/logs}

# QEMU's TCG threading: multi (a host thread per vCPU) or single (one
# thread runs both vCPUs in turn).
KMSGQ_TCG_THREAD=${KMSGQ_TCG_THREAD:-multi}

# Wall-clock limit of one guest run, in seconds (TCG is slow).
KMSGQ_TIMEOUT=${KMSGQ_TIMEOUT:-900}
