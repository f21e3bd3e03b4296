# shellcheck shell=dash
# Sourced by the guest's /init before any suite: let POSIX mqueue comparisons
# (benchmarks) use deep queues of large messages.
echo 4096 >/proc/sys/fs/mqueue/msg_max
echo 1048576 >/proc/sys/fs/mqueue/msgsize_max
# shellcheck disable=SC3045 # busybox ash has ulimit -q
ulimit -q unlimited
