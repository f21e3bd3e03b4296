/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kmsgq - kernel message queues behind /dev/kmsgq: the user/kernel ABI.
 *
 * A file opened on /dev/kmsgq is bound to one named queue with
 * KMSGQ_IOC_OPEN.  From then on read() and write() move exactly one message
 * each, KMSGQ_IOC_SEND and KMSGQ_IOC_RECV move one or a batch with priority,
 * timeout and per-call flags, and poll() reports EPOLLIN when a message waits
 * and EPOLLOUT when there is room for one.
 *
 * Queues created with KMSGQ_OPEN_RING keep their messages in a ring that a
 * process may mmap(): producers reserve a slot, write the payload in place and
 * commit it; consumers claim a slot, read it in place and release it, with a
 * system call only to sleep or to wake a sleeper.  The layout and the
 * ordering protocol are described with struct kmsgq_ring_info.
 *
 * Every ioctl argument starts with a __u32 @size, which the caller sets to
 * sizeof() the structure it was compiled with.  Newer kernels accept older,
 * smaller structures down to the structure's first published size,
 * KMSGQ_*_SIZE_VER0 (EINVAL below it), and zero-extend them; older kernels
 * accept newer, larger ones up to 4096 bytes as long as the bytes they do
 * not know are zero (E2BIG otherwise).  Results are written back up to
 * @size bytes: what the kernel knows, and zeroes beyond.  Flags words and fields
 * named reserved must be zero on input (EINVAL otherwise) and are zeroed on
 * output.  No structure has implicit padding, and none carries a pointer
 * type: user addresses travel as __u64, so 32-bit processes share the layout.
 */
#ifndef _UAPI_LINUX_KMSGQ_H
#define _UAPI_LINUX_KMSGQ_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KMSGQ_DEVICE_PATH	"/dev/kmsgq"

/* Bumped only if the meaning of an existing field ever changes: never, we hope. */
#define KMSGQ_ABI_VERSION	1

/* Queue names: 1..KMSGQ_NAME_MAX - 1 bytes of [A-Za-z0-9._-], not "." or "..". */
#define KMSGQ_NAME_MAX		64
/*
 * Priorities are 0 (lowest) .. KMSGQ_PRIO_MAX - 1 (highest), as many as POSIX
 * mqueue's MQ_PRIO_MAX.  Modules without KMSGQ_FEAT_PRIO32K took 0..31 only;
 * kmsgq_info.prio_max says what the running module takes.
 */
#define KMSGQ_PRIO_MAX		32768
/* Most messages one KMSGQ_IOC_SEND or KMSGQ_IOC_RECV may name. */
#define KMSGQ_BATCH_MAX		1024

/* Feature bits reported in kmsgq_info.features. */
#define KMSGQ_FEAT_PRIO		0x1ULL	/* priorities on copy queues */
#define KMSGQ_FEAT_BATCH	0x2ULL	/* nr > 1 in SEND/RECV */
#define KMSGQ_FEAT_TIMEOUT	0x4ULL	/* KMSGQ_XFER_TIMEOUT, both clocks */
#define KMSGQ_FEAT_STATS	0x8ULL	/* KMSGQ_IOC_STATS */
#define KMSGQ_FEAT_RING		0x10ULL	/* KMSGQ_OPEN_RING and mmap */
#define KMSGQ_FEAT_LIST		0x20ULL	/* KMSGQ_IOC_LIST */
#define KMSGQ_FEAT_IPC_NS	0x40ULL	/* names scoped by IPC namespace, per-user limits */
#define KMSGQ_FEAT_SETOWNER	0x80ULL	/* KMSGQ_IOC_SETOWNER */
#define KMSGQ_FEAT_PRIO32K	0x100ULL	/* priorities 0..32767 */
#define KMSGQ_FEAT_NOTIFY	0x200ULL	/* KMSGQ_IOC_NOTIFY */
/* read_iter/write_iter honour IOCB_NOWAIT: io_uring parks on poll */
#define KMSGQ_FEAT_NOWAIT	0x400ULL
#define KMSGQ_FEAT_PEEK		0x800ULL	/* KMSGQ_XFER_PEEK, kmsgq_xfer.index */
/* KMSGQ_OPEN_OVERFLOW_FAIL/_DROP, msgs_lost in kmsgq_stats and LIST */
#define KMSGQ_FEAT_OVERFLOW	0x1000ULL
/* KMSGQ_OPEN_RECLAIM: rings whose dead claimants' slots the kernel reclaims */
#define KMSGQ_FEAT_RECLAIM	0x2000ULL
/*
 * KMSGQ_IOC_SEND and KMSGQ_IOC_RECV as io_uring commands (IORING_OP_URING_CMD,
 * see below the ioctl numbers).  Linux 6.12 only: 6.1's io_uring has no
 * cancellation hook for a parked command, and the module has none there.
 */
#define KMSGQ_FEAT_URING_CMD	0x4000ULL
/* KMSGQ_OPEN_SENDER, KMSGQ_XFER_SENDER and struct kmsgq_msg_sender */
#define KMSGQ_FEAT_SENDER	0x8000ULL
/*
 * KMSGQ_OPEN_FANOUT, kmsgq_open.history, kmsgq_xfer.lost, the subscriber
 * fields of struct kmsgq_stats and KMSGQ_IOC_SUBSCRIBERS
 */
#define KMSGQ_FEAT_FANOUT	0x10000ULL
/* KMSGQ_RING_WAIT_WAKER and KMSGQ_RING_WOKEN_LOCAL (struct kmsgq_ring_wait) */
#define KMSGQ_FEAT_RING_WAKER	0x20000ULL
/*
 * KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING: fan-out queues that subscribers map
 * read-only (struct kmsgq_fanout_map), and KMSGQ_IOC_FANOUT_ACK
 */
#define KMSGQ_FEAT_FANOUT_MAP	0x40000ULL
/*
 * The io_uring commands (KMSGQ_FEAT_URING_CMD) on fan-out queues too, and
 * KMSGQ_XFER_LOST with them; before it, both completed with -EOPNOTSUPP
 */
#define KMSGQ_FEAT_URING_FANOUT	0x80000ULL
/*
 * KMSGQ_OPEN_INPLACE: fan-out queues whose publishers write payloads in
 * place (KMSGQ_FANOUT_PAYLOAD_OFFSET, KMSGQ_IOC_FANOUT_PUBLISH), and
 * KMSGQ_OPEN_PUBLISHER
 */
#define KMSGQ_FEAT_FANOUT_INPLACE	0x100000ULL

/**
 * struct kmsgq_timespec - a point in time on the clock named by the caller
 * @tv_sec: seconds, >= 0
 * @tv_nsec: nanoseconds, 0 .. 999999999
 */
struct kmsgq_timespec {
	__s64 tv_sec;
	__s64 tv_nsec;
};

/**
 * struct kmsgq_info - what this module is and what it allows (KMSGQ_IOC_INFO)
 * @size: in: sizeof(struct kmsgq_info)
 * @abi_version: out: KMSGQ_ABI_VERSION
 * @features: out: KMSGQ_FEAT_* bits
 * @max_queues: out: most queues that may exist at once (module parameter)
 * @max_msgs: out: largest queue depth a queue may be created with
 * @max_msgsize: out: largest message size a queue may be created with
 * @name_max: out: KMSGQ_NAME_MAX
 * @prio_max: out: KMSGQ_PRIO_MAX
 * @batch_max: out: KMSGQ_BATCH_MAX
 *
 * Works on any /dev/kmsgq file, bound or not.
 */
struct kmsgq_info {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u32 max_queues;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 name_max;
	__u32 prio_max;
	__u32 batch_max;
};

/* sizeof(struct kmsgq_info) as first published: the least @size accepted. */
#define KMSGQ_INFO_SIZE_VER0	40

/* kmsgq_open.flags */
#define KMSGQ_OPEN_CREATE	0x1U	/* create the queue if it does not exist */
#define KMSGQ_OPEN_EXCL		0x2U	/* with CREATE: EEXIST if it exists */
#define KMSGQ_OPEN_RING		0x4U	/* with CREATE: mappable FIFO ring storage */
/*
 * With CREATE, the queue's overflow policy (at most one; neither: a send to
 * a full queue sleeps, or fails with EAGAIN if it may not):
 * OVERFLOW_FAIL: a send to a full queue fails with EAGAIN even if it may
 *	sleep.  (io_uring treats EAGAIN as "not yet": its writes wait for room.)
 * OVERFLOW_DROP: a send to a full queue discards queued messages to make
 *	room for the ones it sends, and counts them in msgs_lost: on a copy
 *	queue the oldest message of the lowest priority queued, even if the
 *	new one's priority is lower still; on a ring the oldest, when its slot
 *	is the one the next producer needs (else the sender waits for that
 *	slot's reader).  A send that fails (EFAULT, say) drops nothing.
 * Only sends through the kernel: a ring's in-place producers find it full
 * as before.  The creator chooses; an open of an existing queue keeps its
 * policy whatever it asks for: use EXCL, or read qflags with GETATTR.
 */
#define KMSGQ_OPEN_OVERFLOW_FAIL	0x8U
#define KMSGQ_OPEN_OVERFLOW_DROP	0x10U
/*
 * With CREATE and RING: a reclaiming ring.  Its descriptors are struct
 * kmsgq_ring_rdesc, and every claim records its claimant, so that when the
 * last reference to a file goes away (close, munmap, exit, kill -9) the
 * kernel finishes what that file's holders claimed and did not: a reserved
 * slot is published carrying no message, a claimed one released, and each
 * message so released unread is counted in msgs_lost.  See struct
 * kmsgq_ring_info for the protocol.
 */
#define KMSGQ_OPEN_RECLAIM		0x20U
/*
 * With CREATE: the queue records who sent each message, for receivers that
 * ask (KMSGQ_XFER_SENDER).  See struct kmsgq_msg_sender.
 */
#define KMSGQ_OPEN_SENDER		0x40U
/*
 * With CREATE: a fan-out (publish/subscribe) queue.  Every file bound to it
 * with read access is a subscriber with a position of its own, and receives
 * every message published after it bound (and the history it asked for,
 * kmsgq_open.history) exactly once, in the order published.  Files with
 * write access publish with the usual calls.  A message's slot is free for
 * reuse once every subscriber has read it; until it is reused it stays
 * stored, for late joiners' history.  The depth is rounded up to a power
 * of two, at least 2.  Messages are FIFO: a send with a priority other
 * than 0 fails with EINVAL.  The overflow policy says what a send does
 * when the slowest subscriber is a whole depth behind: sleep (none; no
 * message is ever lost), fail with EAGAIN (OVERFLOW_FAIL), or move every
 * subscriber that far behind past its oldest unread messages, which it
 * loses (OVERFLOW_DROP: the publisher never waits for a subscriber; each
 * subscriber learns its losses from kmsgq_xfer.lost and kmsgq_stats).
 * With no subscriber bound, a send overwrites the oldest stored message.
 * Read permission is thus power over publishers: without OVERFLOW_DROP, a
 * subscriber that never reads (an O_RDWR publisher is a subscriber too)
 * holds every publisher back once it is a depth behind; give untrusted
 * readers a DROP queue.  A queue has at most the module parameter
 * max_subscribers subscribers at once (ENOSPC), and each user at most
 * max_subscribers_per_user of them (64 by default; ENOSPC), counted by
 * the fsuid a subscriber bound with and by the owner of its user
 * namespaces, so that one reader cannot take them all; the queue's owner
 * and CAP_SYS_RESOURCE are not held to a share, and the owner keeps one.
 * With RING (KMSGQ_FEAT_FANOUT_MAP), the store is mappable: subscribers
 * map it read-only and read messages in place (struct kmsgq_fanout_map);
 * older modules refuse the combination with EINVAL.  Not with RECLAIM
 * (EINVAL).  KMSGQ_IOC_NOTIFY is EOPNOTSUPP; KMSGQ_IOC_SEND and
 * KMSGQ_IOC_RECV work as io_uring commands where KMSGQ_FEAT_URING_FANOUT
 * is reported.
 */
#define KMSGQ_OPEN_FANOUT		0x80U
/*
 * With CREATE, FANOUT and RING (KMSGQ_FEAT_FANOUT_INPLACE): publishers may
 * also write payloads in place.  A file with write access maps the payload
 * slots shared and writable at KMSGQ_FANOUT_PAYLOAD_OFFSET and publishes
 * them with KMSGQ_IOC_FANOUT_PUBLISH (struct kmsgq_fanout_publish).  Every
 * such publisher can rewrite any slot, a committed one too, while
 * subscribers read it: on this queue, write access is power over what
 * every subscriber reads.  Not with SENDER (EINVAL): an in-place payload
 * has no one sender.  Older modules refuse the flag with EINVAL.
 */
#define KMSGQ_OPEN_INPLACE		0x100U
/*
 * On a fan-out queue (KMSGQ_FEAT_FANOUT_INPLACE): the file publishes only.
 * With read access it is no subscriber: it has no position, receives
 * nothing and holds no publisher back.  mmap() wants a readable file, so an
 * in-place publisher opens O_RDWR with this flag.  Needs no CREATE; EINVAL
 * with @history or on a queue of another kind.
 */
#define KMSGQ_OPEN_PUBLISHER		0x200U

/* kmsgq_open.history: every message still stored */
#define KMSGQ_HISTORY_ALL		0xffffffffU

/**
 * struct kmsgq_open - bind this file to a named queue (KMSGQ_IOC_OPEN)
 * @size: in: sizeof(struct kmsgq_open)
 * @flags: in: KMSGQ_OPEN_* bits
 * @mode: in: permission bits (0777 mask) for a queue this call creates,
 *	masked by the caller's umask, like mq_open()
 * @max_msgs: in: depth of a queue this call creates; 0 = module default.
 *	A ring queue rounds it up to a power of two, at least 2.
 * @max_msgsize: in: largest message of a queue this call creates; 0 = default.
 *	A ring queue rounds it up to whole cache lines (its slot size).
 *	Limits apply after rounding (EINVAL).
 * @reserved: must be zero
 * @name: in: NUL-terminated queue name, in the caller's IPC namespace
 * @history: in: on a fan-out queue (KMSGQ_OPEN_FANOUT), for a file with
 *	read access: how many of the newest messages still stored the new
 *	subscriber receives before those published after it bound (fewer if
 *	fewer are stored; KMSGQ_HISTORY_ALL: all of them); 0 otherwise
 *	(EINVAL)
 * @reserved2: must be zero
 *
 * Names are scoped by IPC namespace, as POSIX mqueue's are.  Access is the
 * file's open mode: O_RDONLY needs read permission on the queue, O_WRONLY
 * write, O_RDWR both; a file opened with neither (access mode 3) gets
 * neither (EACCES).  A file binds once (EBUSY).  Attributes are ignored
 * when an existing queue is opened.  A new queue is charged to the
 * caller's real uid and to the owner of each user namespace up to the
 * initial one: a user's queues (module parameter user_queues_max, ENOSPC)
 * and bytes (user_bytes_max, EMFILE) are bounded there, all queues by
 * max_queues (ENOSPC).  Creating a queue in an IPC namespace other than
 * the initial one needs the caller's /proc (the module holds the namespace
 * through /proc/thread-self/ns/ipc while queues are named in it).
 */
struct kmsgq_open {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 reserved;
	char name[KMSGQ_NAME_MAX];
	__u32 history;
	__u32 reserved2;
};

/* sizeof(struct kmsgq_open) as first published: the least @size accepted. */
#define KMSGQ_OPEN_SIZE_VER0	88
/* The size that carries @history (KMSGQ_FEAT_FANOUT). */
#define KMSGQ_OPEN_SIZE_VER1	96

/**
 * struct kmsgq_unlink - remove a queue's name (KMSGQ_IOC_UNLINK)
 * @size: in: sizeof(struct kmsgq_unlink)
 * @flags: must be zero
 * @name: in: NUL-terminated queue name
 *
 * Works on any /dev/kmsgq file.  Only the queue's owner or a holder of
 * CAP_IPC_OWNER may unlink it (EPERM).  Files bound to the queue keep using
 * it; it is freed when the last of them closes.
 */
struct kmsgq_unlink {
	__u32 size;
	__u32 flags;
	char name[KMSGQ_NAME_MAX];
};

/* sizeof(struct kmsgq_unlink) as first published: the least @size accepted. */
#define KMSGQ_UNLINK_SIZE_VER0	72

/**
 * struct kmsgq_msg - one message of a send or receive
 * @buf: user address of the payload
 * @len: send: payload length; receive: in: size of @buf, out: message length
 *	(on EMSGSIZE for the first message: the length it needs)
 * @prio: send: in: priority; receive: out: priority
 */
struct kmsgq_msg {
	__u64 buf;
	__u32 len;
	__u32 prio;
};

/* kmsgq_xfer.flags */
#define KMSGQ_XFER_NONBLOCK	0x1U	/* EAGAIN instead of sleeping */
#define KMSGQ_XFER_TIMEOUT	0x2U	/* sleep at most until @timeout */
#define KMSGQ_XFER_RELATIVE	0x4U	/* with TIMEOUT: @timeout is an interval */
#define KMSGQ_XFER_PEEK		0x8U	/* RECV: copy, do not take (see below) */
/* RECV: @msgs is an array of struct kmsgq_msg_sender, which say who sent */
#define KMSGQ_XFER_SENDER	0x10U
/* RECV: report a fan-out subscriber's losses in @lost (KMSGQ_FEAT_FANOUT) */
#define KMSGQ_XFER_LOST		0x20U
/*
 * 0x100 is KMSGQ_RING_WAIT_WAKER, in struct kmsgq_ring_wait's flags, which
 * share these bits: no transfer flag may take it.
 */

/* kmsgq_msg_sender.sender_flags */
#define KMSGQ_SENDER_KERNEL	0x1U	/* sent through the kernel by @pid */
#define KMSGQ_SENDER_MAPPER	0x2U	/* committed in place on a ring */
/* on a ring mapped writable: its mappers can rewrite or replay it */
#define KMSGQ_SENDER_SHARED	0x4U

/**
 * struct kmsgq_msg_sender - a message received with who sent it
 *	(KMSGQ_IOC_RECV with KMSGQ_XFER_SENDER; KMSGQ_FEAT_SENDER)
 * @msg: as struct kmsgq_msg
 * @pid: out: the sending process (thread group) as the receiver's PID
 *	namespace sees it; 0 if it is not visible there, or unknown
 * @uid: out: the sender's real user ID in the receiver's user namespace,
 *	the overflow UID (65534) if it has no mapping there or is unknown
 * @gid: out: the same for the real group ID
 * @sender_flags: out: KMSGQ_SENDER_KERNEL or KMSGQ_SENDER_MAPPER, with
 *	KMSGQ_SENDER_SHARED; 0 if the sender is unknown
 * @reserved: out: zero (room for more of the sender)
 *
 * The credentials SCM_CREDENTIALS would carry, taken by the kernel when
 * the message was queued, so a sender cannot choose them.  Known only on a
 * queue created with KMSGQ_OPEN_SENDER, for messages sent through the
 * kernel (KMSGQ_SENDER_KERNEL: write, KMSGQ_IOC_SEND, io_uring, a copy-mode
 * send to a ring).  A message committed in place on a ring carries the
 * identity of the process that mapped the ring writable, taken when it
 * mapped it (KMSGQ_SENDER_MAPPER), if one process only ever has (a child
 * that inherits the mapping by fork() counts as another); with several,
 * such messages are of unknown sender.  A process with a writable mapping
 * of a ring can change any message queued there, and make a message sent
 * through the kernel appear again at a later position: every message of a
 * ring that has been mapped writable carries KMSGQ_SENDER_SHARED, and its
 * identity then proves nothing.  The identity is of the address space that
 * sent: threads, CLONE_VM children and processes allowed to write its
 * memory share it.  @pid is the number the sender had; a sender that has
 * exited leaves it, and a later process may have the number (pidfds do not
 * have that problem: a later version may report one).  With io_uring the
 * sender is the task that issues the command, as for SCM_CREDENTIALS.
 * Receives with KMSGQ_XFER_SENDER also work with KMSGQ_XFER_PEEK and on
 * queues that record nothing (every sender unknown); EINVAL with a send.
 * An open of an existing queue keeps what it records: use EXCL, or read
 * qflags with GETATTR.
 */
struct kmsgq_msg_sender {
	struct kmsgq_msg msg;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 sender_flags;
	__u32 reserved[4];
};

/**
 * struct kmsgq_xfer - send or receive one or more messages
 *	(KMSGQ_IOC_SEND, KMSGQ_IOC_RECV)
 * @size: in: sizeof(struct kmsgq_xfer)
 * @flags: in: KMSGQ_XFER_* bits
 * @msgs: in: user address of an array of @nr struct kmsgq_msg, or of
 *	struct kmsgq_msg_sender with KMSGQ_XFER_SENDER
 * @nr: in: 1 .. KMSGQ_BATCH_MAX
 * @clockid: in, with KMSGQ_XFER_TIMEOUT: CLOCK_MONOTONIC or CLOCK_REALTIME
 * @timeout: in, with KMSGQ_XFER_TIMEOUT: absolute deadline on @clockid, or
 *	an interval with KMSGQ_XFER_RELATIVE
 * @index: in, with KMSGQ_XFER_PEEK: how many messages of the receive order
 *	to pass over (0: the one a receive would take next), below the
 *	queue's depth; zero otherwise
 * @reserved: must be zero
 * @lost: out, with KMSGQ_XFER_LOST (KMSGQ_FEAT_FANOUT): on a fan-out
 *	queue, the messages the caller's subscriber lost
 *	(KMSGQ_OPEN_OVERFLOW_DROP) since the last receive that reported
 *	them, whether this one moved messages or failed; reporting them
 *	resets the count, which receives without the flag leave alone.  0 on
 *	other queues.  Ignored on input.  An io_uring command
 *	(KMSGQ_FEAT_URING_FANOUT) writes it when it completes; one cancelled,
 *	or refused for want of memory to wait, writes nothing and leaves the
 *	count to the next report.
 *
 * Returns the number of messages moved, 1 .. @nr.  The call sleeps (unless
 * KMSGQ_XFER_NONBLOCK or O_NONBLOCK) only until the first message can move,
 * then moves as many of the rest as it can without sleeping, in array order,
 * like recvmmsg() with MSG_WAITFORONE.  An error met after the first message
 * ends the batch early and is reported by the next call instead; an error
 * on the first message is returned: EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE (the
 * message stays queued), EFAULT, EINVAL (bad priority or timespec).
 *
 * KMSGQ_XFER_PEEK (RECV only, @nr 1; KMSGQ_FEAT_PEEK) copies out the message
 * at position @index of the receive order, with its length and priority,
 * and leaves the queue as it was: what the next receive returns does not
 * change.  It sleeps, as a receive does, until the queue holds a message at
 * @index, but takes no receiver's wakeup and does not count as a waiting
 * receiver (kmsgq_stats.recv_waiters, notification).  On a ring queue the
 * kernel copies the slot without claiming it and retries if a consumer
 * releases it meanwhile; slots carrying no message are not counted.  The
 * copy is of a message that stood at @index at some moment during the call;
 * a message received during the copy is looked for again, so on a queue
 * whose receivers keep pace a peek may end at its deadline without one.
 * A peeker asleep on a ring has producers that publish in place call
 * KMSGQ_IOC_RING_WAKE, as any sleeping consumer does.  EINVAL: PEEK with
 * SEND, with @nr other than 1, or @index at or beyond the queue's depth;
 * @index without PEEK; @reserved not zero; KMSGQ_XFER_LOST with SEND or
 * PEEK, or with @size below KMSGQ_XFER_SIZE_VER1.
 */
struct kmsgq_xfer {
	__u32 size;
	__u32 flags;
	__u64 msgs;
	__u32 nr;
	__s32 clockid;
	struct kmsgq_timespec timeout;
	__u32 index;
	__u32 reserved;
	__u64 lost;
};

/* sizeof(struct kmsgq_xfer) as first published: the least @size accepted. */
#define KMSGQ_XFER_SIZE_VER0	40
/* The size that carries @lost (KMSGQ_FEAT_FANOUT). */
#define KMSGQ_XFER_SIZE_VER1	56

/* kmsgq_attr.flags */
#define KMSGQ_ATTR_NONBLOCK	0x1U	/* the file has O_NONBLOCK */

/**
 * struct kmsgq_attr - attributes of the bound queue and this file
 *	(KMSGQ_IOC_GETATTR, KMSGQ_IOC_SETATTR)
 * @size: in: sizeof(struct kmsgq_attr)
 * @flags: KMSGQ_ATTR_* bits; the only bits SETATTR changes
 * @qflags: out: KMSGQ_OPEN_RING if the queue is a ring queue, and its
 *	KMSGQ_OPEN_OVERFLOW_* policy, KMSGQ_OPEN_RECLAIM,
 *	KMSGQ_OPEN_SENDER, KMSGQ_OPEN_FANOUT and KMSGQ_OPEN_INPLACE if it was
 *	created with them
 * @max_msgs: out: queue depth
 * @max_msgsize: out: largest message
 * @cur_msgs: out: messages queued now
 * @mode: out: permission bits
 * @uid: out: owner, in the caller's user namespace
 * @gid: out: group, in the caller's user namespace
 * @reserved: zero
 *
 * SETATTR takes only @size and @flags; the other fields must be zero.
 */
struct kmsgq_attr {
	__u32 size;
	__u32 flags;
	__u32 qflags;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 cur_msgs;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 reserved;
};

/* sizeof(struct kmsgq_attr) as first published: the least @size accepted. */
#define KMSGQ_ATTR_SIZE_VER0	40

/**
 * struct kmsgq_stats - counters of the bound queue (KMSGQ_IOC_STATS)
 * @size: in: sizeof(struct kmsgq_stats)
 * @flags: must be zero
 * @msgs_sent: out: messages queued since creation
 * @msgs_recv: out: messages taken since creation
 * @bytes_sent: out: payload bytes queued since creation
 * @bytes_recv: out: payload bytes taken since creation
 * @cur_msgs: out: messages queued now
 * @send_waiters: out: tasks sleeping for room now
 * @recv_waiters: out: tasks sleeping for a message now
 * @mappings: out: live mmap()s of the ring
 * @msgs_lost: out: messages discarded since creation to make room
 *	(KMSGQ_OPEN_OVERFLOW_DROP): with no in-place ring traffic, sent =
 *	received + lost + queued
 * @sub_lost: out: on a fan-out queue, messages the subscriber of the file
 *	the call is made on lost since it bound (KMSGQ_OPEN_OVERFLOW_DROP);
 *	received + lost = published since it bound, plus its history
 * @sub_lag: out: on a fan-out queue, messages published that the file's
 *	subscriber has not read yet
 * @subscribers: out: on a fan-out queue, files bound to it with read access
 *
 * On a fan-out queue (KMSGQ_OPEN_FANOUT) @msgs_recv and @bytes_recv count
 * a message once per subscriber that received it (or, reading in place,
 * acknowledged it: KMSGQ_IOC_FANOUT_ACK), @msgs_lost once per
 * subscriber that lost it, and @cur_msgs the messages the slowest
 * subscriber has not read yet.
 *
 * The counters cover messages that pass through the kernel (read, write,
 * SEND, RECV).  Ring producers and consumers that work in place bypass the
 * kernel and are not counted there; on a ring @cur_msgs counts the slots
 * between the consumer and producer positions, claimed or committed.
 */
struct kmsgq_stats {
	__u32 size;
	__u32 flags;
	__u64 msgs_sent;
	__u64 msgs_recv;
	__u64 bytes_sent;
	__u64 bytes_recv;
	__u32 cur_msgs;
	__u32 send_waiters;
	__u32 recv_waiters;
	__u32 mappings;
	__u64 msgs_lost;
	__u64 sub_lost;
	__u32 sub_lag;
	__u32 subscribers;
};

/* sizeof(struct kmsgq_stats) as first published: the least @size accepted. */
#define KMSGQ_STATS_SIZE_VER0	56
/* The size that carries @msgs_lost (KMSGQ_FEAT_OVERFLOW). */
#define KMSGQ_STATS_SIZE_VER1	64
/* The size that carries the subscriber fields (KMSGQ_FEAT_FANOUT). */
#define KMSGQ_STATS_SIZE_VER2	80

/**
 * struct kmsgq_ring_desc - one slot's descriptor in a ring's shared memory
 * @seq: sequence word of the protocol below
 * @len: payload length, written by the producer before it publishes @seq
 */
struct kmsgq_ring_desc {
	__u32 seq;
	__u32 len;
};

/**
 * struct kmsgq_ring_rdesc - one slot's descriptor in a reclaiming ring
 *	(KMSGQ_OPEN_RECLAIM)
 * @seq: sequence word of the protocol at struct kmsgq_ring_info
 * @owner: 0, or the kmsgq_ring_info.owner of the file whose holder has
 *	claimed the slot; @seq and @owner are one naturally aligned 64-bit
 *	word, changed together by compare-and-swap
 * @len: payload length, written by the producer before it publishes @seq
 * @reserved: zero
 */
struct kmsgq_ring_rdesc {
	__u32 seq;
	__u32 owner;
	__u32 len;
	__u32 reserved;
};

/* kmsgq_ring_rdesc.owner of a claim the kernel makes for a copy-mode call */
#define KMSGQ_RING_OWNER_KERNEL		0xffffffffU
/* desc.len of a slot that carries no message (any value above slot_size) */
#define KMSGQ_RING_LEN_NONE		0xffffffffU

/* Bits of the ring's shared wakeup word (at kmsgq_ring_info.wakeup_off). */
#define KMSGQ_RING_WAKE_CONSUMER	0x1U	/* a consumer sleeps */
#define KMSGQ_RING_WAKE_PRODUCER	0x2U	/* a producer sleeps */

/**
 * struct kmsgq_ring_info - layout of a ring queue's mapping (KMSGQ_IOC_RING_INFO)
 * @size: in: sizeof(struct kmsgq_ring_info)
 * @flags: must be zero
 * @map_size: out: bytes to mmap() at offset 0, the only offset accepted
 * @nr_slots: out: slots in the ring, a power of two
 * @slot_size: out: bytes of payload space per slot
 * @prod_off: out: offset of the __u32 producer position
 * @cons_off: out: offset of the __u32 consumer position
 * @wakeup_off: out: offset of the __u32 KMSGQ_RING_WAKE_* word
 * @reserved: zero
 * @desc_off: out: offset of struct kmsgq_ring_desc[@nr_slots], or of
 *	struct kmsgq_ring_rdesc[@nr_slots] on a reclaiming ring
 * @data_off: out: offset of the payload of slot 0; slot i's at
 *	@data_off + i * @slot_size
 * @desc_size: out: bytes per descriptor: sizeof(struct kmsgq_ring_desc), or
 *	sizeof(struct kmsgq_ring_rdesc) on a reclaiming ring
 * @owner: out: on a reclaiming ring, this file's claimant token, between 1
 *	and 0x7fffffff, the same for every call on the file and no other
 *	file's while this one lives; 0 on other rings
 *
 * The ring is Vyukov's bounded MPMC queue.  Positions count messages and
 * wrap at 2^32; slot = position & (@nr_slots - 1).  Initially every
 * desc[i].seq == i and both positions are 0.
 *
 * Producer at position p: the slot is free when desc.seq == p (acquire).
 * Claim it by compare-and-swap of prod from p to p + 1 (or to p + n after
 * checking n free slots), write the payload and desc.len, then store
 * desc.seq = p + 1 with release ordering.
 *
 * Consumer at position c: the slot is ready when desc.seq == c + 1
 * (acquire).  Claim it by compare-and-swap of cons from c to c + 1, read
 * desc.len and the payload, then store desc.seq = c + @nr_slots with
 * release ordering.  A slot whose desc.len exceeds @slot_size carries no
 * message (the kernel publishes such a slot when its copy from a sender
 * faults): consumers release it and go on.
 *
 * Wakeups: a sleeper (KMSGQ_IOC_RING_WAIT, poll, or a blocking copy-mode
 * call) has the kernel set its bit in the wakeup word, then rechecks the
 * ring, then sleeps.  After publishing, a producer issues a full barrier and
 * reads the word; if KMSGQ_RING_WAKE_CONSUMER is set it calls
 * KMSGQ_IOC_RING_WAKE.  A consumer does the same after releasing, for
 * KMSGQ_RING_WAKE_PRODUCER.  The kernel clears a bit when its last sleeper
 * of that kind leaves.
 *
 * The kernel reads every value here once, masks positions and bounds
 * lengths by @slot_size: whatever a process writes into its mapping can
 * spoil only the messages of this queue, never the kernel's own state.  A
 * file opened O_RDONLY may map the ring only read-only, and so can observe
 * it but not claim slots; it receives with read() or KMSGQ_IOC_RECV.
 *
 * A reclaiming ring (KMSGQ_OPEN_RECLAIM; @desc_size 16) puts the claim in
 * the descriptor, so that the kernel knows whose it is: the compare-and-swap
 * that claims a slot writes the claimant's @owner beside @seq, and the
 * position only follows.
 *
 * Producer at position p: the slot is free when {seq, owner} == {p, 0}.
 * Claim it by compare-and-swap of {seq, owner} from {p, 0} to {p, @owner}
 * (more slots: the following ones, one compare-and-swap each, stopping at
 * the first that fails), then move prod from any value in [p, p + n) to
 * p + n.  Write the payload and len, then store {seq, owner} = {p + 1, 0}
 * with release ordering.  A slot at prod whose seq is p with a non-zero
 * owner, or whose seq is past p, is claimed: move prod from p to p + 1 and
 * go on, whoever's claim it is.
 *
 * Consumer at position c: the slot is ready when {seq, owner} == {c + 1, 0}.
 * Claim it by compare-and-swap to {c + 1, @owner}, move cons past it as
 * above, read len and the payload, then store {seq, owner} =
 * {c + @nr_slots, 0} with release ordering.  A slot at cons whose seq is
 * c + 1 with a non-zero owner, or past c + 1, is claimed: move cons on.
 *
 * When the last reference to a file goes away, the kernel looks for its
 * @owner in every descriptor: a producer's claim ({p, owner}) becomes
 * {p + 1, 0} with len KMSGQ_RING_LEN_NONE, a consumer's ({c + 1, owner})
 * {c + @nr_slots, 0}, and a position left behind the claim is moved past
 * it.  A token is only ever written by its own file's holders, so nobody
 * else's claim is touched; a mapper that writes another file's token can
 * lose only messages of this queue, which a mapper can anyway.  Only a
 * caller that passes @size of 64 or more learns the protocol exists: a
 * file that asked with less, or never asked, may not map a reclaiming ring
 * (EACCES), as it would speak the other protocol.
 */
struct kmsgq_ring_info {
	__u32 size;
	__u32 flags;
	__u64 map_size;
	__u32 nr_slots;
	__u32 slot_size;
	__u32 prod_off;
	__u32 cons_off;
	__u32 wakeup_off;
	__u32 reserved;
	__u64 desc_off;
	__u64 data_off;
	__u32 desc_size;
	__u32 owner;
};

/* sizeof(struct kmsgq_ring_info) as first published: the least @size accepted. */
#define KMSGQ_RING_INFO_SIZE_VER0	56
/* The size that learns of reclaiming rings (@desc_size, @owner). */
#define KMSGQ_RING_INFO_SIZE_VER1	64

/* kmsgq_ring_wait.events: poll bits, as in <poll.h> */
#define KMSGQ_RING_READABLE	0x001	/* POLLIN: a committed message waits */
#define KMSGQ_RING_WRITABLE	0x004	/* POLLOUT: a free slot waits */

/* kmsgq_ring_wait.flags, WAIT only: report where the waker ran (below) */
#define KMSGQ_RING_WAIT_WAKER	0x100U
/* In WAIT's result, with KMSGQ_RING_WAIT_WAKER: the waker ran on this CPU */
#define KMSGQ_RING_WOKEN_LOCAL	0x10000

/**
 * struct kmsgq_ring_wait - sleep until a ring is readable or writable, or
 *	wake such sleepers (KMSGQ_IOC_RING_WAIT, KMSGQ_IOC_RING_WAKE)
 * @size: in: sizeof(struct kmsgq_ring_wait)
 * @flags: in: KMSGQ_XFER_TIMEOUT, KMSGQ_XFER_RELATIVE and
 *	KMSGQ_RING_WAIT_WAKER for WAIT; zero for WAKE
 * @events: in: KMSGQ_RING_READABLE and/or KMSGQ_RING_WRITABLE: what to wait
 *	for, or which sleepers to wake
 * @clockid: in: as in struct kmsgq_xfer
 * @timeout: in: as in struct kmsgq_xfer
 *
 * WAIT returns the events that hold (at least one of those asked for), or
 * ETIMEDOUT, EINTR.  WAKE returns 0; @events' sleepers are woken and
 * recheck the ring.
 *
 * With KMSGQ_RING_WAIT_WAKER (feature KMSGQ_FEAT_RING_WAKER), WAIT's
 * result also has KMSGQ_RING_WOKEN_LOCAL if a task woke the caller while
 * it waited (a publish, a release, a WAKE; usually the wake that ended
 * its sleep) and ran on the CPU the caller is on when the call returns.
 * It is a scheduling hint, for callers that poll the ring before they
 * wait: the other end then shares this CPU, and cannot run while this
 * task polls.  libkmsgq's kmsgq_ring_wait() uses it so.  Without the flag
 * the result never has the bit.  It tells a peer of the queue no more of
 * the waker than /proc/PID/stat's processor field tells anyone.
 */
struct kmsgq_ring_wait {
	__u32 size;
	__u32 flags;
	__u32 events;
	__s32 clockid;
	struct kmsgq_timespec timeout;
};

/* sizeof(struct kmsgq_ring_wait) as first published: the least @size accepted. */
#define KMSGQ_RING_WAIT_SIZE_VER0	32

/**
 * struct kmsgq_queue_entry - one named queue, as KMSGQ_IOC_LIST reports it
 * @name: NUL-terminated name
 * @id: creation number, unique while the module is loaded; the list is in
 *	@id order
 * @qflags: KMSGQ_OPEN_RING if the queue is a ring queue, and its
 *	KMSGQ_OPEN_OVERFLOW_* policy, KMSGQ_OPEN_RECLAIM,
 *	KMSGQ_OPEN_SENDER, KMSGQ_OPEN_FANOUT and KMSGQ_OPEN_INPLACE if it was
 *	created with them
 * @mode: permission bits
 * @uid: owner, in the caller's user namespace
 * @gid: group, in the caller's user namespace
 * @max_msgs: queue depth
 * @max_msgsize: largest message
 * @cur_msgs: messages queued now (as struct kmsgq_stats counts them)
 * @files: files bound to the queue now
 * @send_waiters: tasks sleeping for room now
 * @recv_waiters: tasks sleeping for a message now
 * @mappings: live mmap()s of the ring
 * @reserved: zero
 * @msgs_sent: messages queued through the kernel since creation
 * @msgs_recv: messages taken through the kernel since creation
 * @bytes_sent: payload bytes queued through the kernel since creation
 * @bytes_recv: payload bytes taken through the kernel since creation
 * @msgs_lost: messages discarded to make room since creation
 *
 * Later versions may append fields; see struct kmsgq_list.@entry_size.
 */
struct kmsgq_queue_entry {
	char name[KMSGQ_NAME_MAX];
	__u64 id;
	__u32 qflags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 cur_msgs;
	__u32 files;
	__u32 send_waiters;
	__u32 recv_waiters;
	__u32 mappings;
	__u32 reserved;
	__u64 msgs_sent;
	__u64 msgs_recv;
	__u64 bytes_sent;
	__u64 bytes_recv;
	__u64 msgs_lost;
};

/* sizeof(struct kmsgq_queue_entry) of ABI version 1: the least @entry_size. */
#define KMSGQ_QUEUE_ENTRY_SIZE_VER0	152

/**
 * struct kmsgq_list - enumerate the named queues (KMSGQ_IOC_LIST)
 * @size: in: sizeof(struct kmsgq_list)
 * @flags: must be zero
 * @cursor: in: report queues whose id is greater (0 to start); out: id of
 *	the last queue reported, to pass back for the next batch
 * @entries: in: user address of an array of @nr entries, @entry_size bytes
 *	apart
 * @entry_size: in: sizeof(struct kmsgq_queue_entry) as the caller knows it,
 *	at least KMSGQ_QUEUE_ENTRY_SIZE_VER0; the kernel fills what it knows of
 *	each entry and zeroes the rest
 * @nr: in: room in @entries, 1 .. KMSGQ_BATCH_MAX; out: entries filled,
 *	0 at the end of the list
 *
 * Works on any /dev/kmsgq file, bound or not, and lists every queue that
 * has a name in the caller's IPC namespace, whatever its permissions (as
 * ipcs(1) does): attributes and counters, never contents.  Queues created
 * or unlinked between calls may or may not appear.  Returns @nr.
 */
struct kmsgq_list {
	__u32 size;
	__u32 flags;
	__u64 cursor;
	__u64 entries;
	__u32 entry_size;
	__u32 nr;
};

/* sizeof(struct kmsgq_list) as first published: the least @size accepted. */
#define KMSGQ_LIST_SIZE_VER0	32

/* kmsgq_setowner.flags: which fields to change */
#define KMSGQ_SETOWNER_MODE	0x1U	/* @mode */
#define KMSGQ_SETOWNER_UID	0x2U	/* @uid */
#define KMSGQ_SETOWNER_GID	0x4U	/* @gid */

/**
 * struct kmsgq_setowner - change a queue's mode, owner or group
 *	(KMSGQ_IOC_SETOWNER)
 * @size: in: sizeof(struct kmsgq_setowner)
 * @flags: in: KMSGQ_SETOWNER_* bits, at least one
 * @mode: in, with KMSGQ_SETOWNER_MODE: permission bits (0777 mask)
 * @uid: in, with KMSGQ_SETOWNER_UID: new owner, in the caller's user
 *	namespace
 * @gid: in, with KMSGQ_SETOWNER_GID: new group, in the caller's user
 *	namespace
 * @reserved: must be zero
 * @name: in: NUL-terminated queue name, in the caller's IPC namespace
 *
 * Works on any /dev/kmsgq file, like KMSGQ_IOC_UNLINK, with chmod(2) and
 * chown(2)'s rules: the owner may change the mode, and the group to one it
 * is in; only a holder of CAP_CHOWN may change the owner, CAP_FOWNER acts
 * as the owner, CAP_IPC_OWNER may change all three (each capability in the
 * user namespace that owns the queue's IPC namespace); EPERM otherwise.
 * An id not mapped in the caller's user namespace is EINVAL.  The new mode
 * and owner apply to later KMSGQ_IOC_OPEN calls, as a file's do to
 * open(2); files already bound keep their access.  The storage stays
 * charged to the queue's creator.
 */
struct kmsgq_setowner {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 reserved;
	char name[KMSGQ_NAME_MAX];
};

/* sizeof(struct kmsgq_setowner) as first published: the least @size accepted. */
#define KMSGQ_SETOWNER_SIZE_VER0	88

/* kmsgq_notify.notify: what a notification does */
#define KMSGQ_NOTIFY_NONE	0	/* nothing (mq_notify()'s SIGEV_NONE) */
#define KMSGQ_NOTIFY_SIGNAL	1	/* send @signo (SIGEV_SIGNAL) */
#define KMSGQ_NOTIFY_EVENTFD	2	/* add 1 to the eventfd @fd */

/* kmsgq_notify.flags */
#define KMSGQ_NOTIFY_REMOVE	0x1U	/* remove the caller's registration */

/**
 * struct kmsgq_notify - register for, or remove, the bound queue's
 *	notification (KMSGQ_IOC_NOTIFY): the kernel side of mq_notify()
 * @size: in: sizeof(struct kmsgq_notify)
 * @flags: in: KMSGQ_NOTIFY_REMOVE, or 0 to register
 * @notify: in: KMSGQ_NOTIFY_NONE, KMSGQ_NOTIFY_SIGNAL or KMSGQ_NOTIFY_EVENTFD
 * @signo: in, with KMSGQ_NOTIFY_SIGNAL: the signal, 0 .. 64 (0 sends none)
 * @value: in, with KMSGQ_NOTIFY_SIGNAL: the signal's si_value (sival_ptr or
 *	sival_int, as union sigval holds it)
 * @fd: in, with KMSGQ_NOTIFY_EVENTFD: an eventfd of the caller
 * @reserved: must be zero
 * @id: in: zero; out: the queue's id, as KMSGQ_IOC_LIST reports it, so that
 *	a library can tell which of its registrations a removal through
 *	another file of the queue ended
 *
 * One process at a time may be registered with a queue (EBUSY for any
 * other).  The registration fires once, when a message is queued on the
 * empty queue while no receiver sleeps in a receive for one, and is then
 * removed: KMSGQ_NOTIFY_SIGNAL sends @signo to the registered process with
 * si_code SI_MESGQ, si_value @value, and si_pid and si_uid of the sending
 * process, as mqueue does (and not to a process that has since called
 * execve()); KMSGQ_NOTIFY_EVENTFD adds 1 to the eventfd.  With
 * KMSGQ_NOTIFY_REMOVE (all other fields zero) the registered process removes
 * its registration and the call returns 1; for any other caller, or once the
 * registration has fired, it is a no-op that returns 0.  Closing any file
 * bound to the queue in the registered process removes it too.  Messages
 * sent in place on a ring queue bypass the kernel: a ring queue takes no
 * registration (EOPNOTSUPP).  Needs read or write access, which every bound
 * file has.  Unknown @notify or flags, a bad @signo, non-zero reserved
 * fields or fields the chosen @notify does not use: EINVAL; @fd not an
 * eventfd: EBADF or EINVAL.
 */
struct kmsgq_notify {
	__u32 size;
	__u32 flags;
	__u32 notify;
	__s32 signo;
	__u64 value;
	__s32 fd;
	__u32 reserved;
	__u64 id;
};

/* sizeof(struct kmsgq_notify) as first published: the least @size accepted. */
#define KMSGQ_NOTIFY_SIZE_VER0	40

/* kmsgq_subscriber.flags */
#define KMSGQ_SUBSCRIBER_SELF	0x1U	/* the file the call is made on */

/**
 * struct kmsgq_subscriber - one subscriber of a fan-out queue, as
 *	KMSGQ_IOC_SUBSCRIBERS reports it
 * @id: its number: 1 for the queue's first subscriber, then counting up,
 *	never reused while the queue exists; the list is in @id order
 * @lag: messages published that it has not received yet (as
 *	kmsgq_stats.sub_lag counts them on its own file)
 * @lost: messages it lost since it bound (KMSGQ_OPEN_OVERFLOW_DROP), as
 *	kmsgq_stats.sub_lost counts them
 * @pid: the process (thread group) that bound it, as the caller's PID
 *	namespace sees it; 0 if it is not visible there, if it has exited,
 *	or if the caller's file has no read access and the caller neither
 *	owns the queue nor has CAP_IPC_OWNER
 * @flags: KMSGQ_SUBSCRIBER_* bits
 *
 * Later versions may append fields; see struct
 * kmsgq_subscribers.@entry_size.
 */
struct kmsgq_subscriber {
	__u64 id;
	__u64 lag;
	__u64 lost;
	__s32 pid;
	__u32 flags;
};

/* sizeof(struct kmsgq_subscriber) as first published: the least @entry_size. */
#define KMSGQ_SUBSCRIBER_SIZE_VER0	32

/**
 * struct kmsgq_subscribers - list the subscribers of the bound fan-out
 *	queue (KMSGQ_IOC_SUBSCRIBERS; KMSGQ_FEAT_FANOUT)
 * @size: in: sizeof(struct kmsgq_subscribers)
 * @flags: must be zero
 * @cursor: in: report subscribers whose id is greater (0 to start); out:
 *	id of the last subscriber reported, to pass back for the next batch
 *	(unchanged if none is)
 * @subs: in: user address of an array of @nr entries, @entry_size bytes
 *	apart
 * @entry_size: in: sizeof(struct kmsgq_subscriber) as the caller knows it,
 *	KMSGQ_SUBSCRIBER_SIZE_VER0 .. 4096 (E2BIG above); the kernel fills
 *	what it knows of each entry and zeroes the rest
 * @nr: in: room in @subs, 0 .. KMSGQ_BATCH_MAX; out: entries filled,
 *	0 at the end of the list
 * @total: out: subscribers bound to the queue now, reported or not;
 *	ignored on input
 * @reserved: must be zero
 *
 * A subscriber is a file bound to the queue with read access; it leaves
 * the list when the last reference to its file goes away.  The entries,
 * @total and @cursor describe one moment.  @pid names the process that
 * bound the file; a process that inherited the file or received it over
 * a unix socket is not named, and once the binder has exited its number
 * is not reported (it may be another process's by then).  Works on any
 * file bound to a fan-out queue, whatever its access mode; as
 * KMSGQ_IOC_LIST does for queues, it reports positions and counters,
 * never contents.  Readers see one another's pids; a writer sees them
 * only if it owns the queue or has CAP_IPC_OWNER.
 * Returns @nr.  Errors: ENOTCONN (the file is not bound), EOPNOTSUPP (the
 * queue is not a fan-out queue), EINVAL (non-zero @flags or @reserved,
 * @nr above KMSGQ_BATCH_MAX, @entry_size below
 * KMSGQ_SUBSCRIBER_SIZE_VER0), E2BIG, EFAULT, ENOMEM.
 */
struct kmsgq_subscribers {
	__u32 size;
	__u32 flags;
	__u64 cursor;
	__u64 subs;
	__u32 entry_size;
	__u32 nr;
	__u32 total;
	__u32 reserved;
};

/* sizeof(struct kmsgq_subscribers) as first published: the least @size accepted. */
#define KMSGQ_SUBSCRIBERS_SIZE_VER0	40

/* kmsgq_fanout_map's len[] of a slot that carries no message */
#define KMSGQ_FANOUT_LEN_HOLE		0xfffffffeU
/* kmsgq_fanout_map's len[] of a slot a publisher is filling */
#define KMSGQ_FANOUT_LEN_PENDING	0xffffffffU

/**
 * struct kmsgq_fanout_map - head of a mapped fan-out queue's store, at
 *	offset 0 of its mapping (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING;
 *	KMSGQ_FEAT_FANOUT_MAP)
 * @tail: every message numbered below is complete in its slot (or a
 *	hole); the kernel stores it with release ordering, after the slots
 * @reserve: number of the next message a publisher reserves a slot for;
 *	slots of messages from @reserve - @nr_slots up are being reused
 * @map_size: bytes of the whole mapping
 * @nr_slots: slots, a power of two; message n is in slot n & (@nr_slots - 1)
 * @slot_size: bytes of payload space per slot
 * @seq_off: offset of __u64 seq[@nr_slots]: the number of the message each
 *	slot holds or is being filled with
 * @len_off: offset of __u32 len[@nr_slots]: payload length, or
 *	KMSGQ_FANOUT_LEN_PENDING while a publisher fills the slot, or
 *	KMSGQ_FANOUT_LEN_HOLE for a slot that carries no message (a
 *	publisher's copy faulted)
 * @data_off: offset of the payload of slot 0; slot i's at
 *	@data_off + i * @slot_size
 * @reserved: zero
 *
 * Messages are numbered from 0 by a __u64 that never wraps.  The mapping
 * is the kernel's store itself, read-only for every process (mmap with
 * PROT_WRITE fails with EACCES, and mprotect cannot add it), so nothing in
 * it can mislead the kernel or another subscriber.  Only a file with read
 * access, i.e. a subscriber, may map it (EACCES otherwise), shared, at
 * offset 0, from one page up to @map_size bytes: map one page to learn
 * @map_size, then the whole (mremap never grows a mapping: EFAULT; it may
 * move one).  The mapping keeps the queue alive, and the
 * file a subscriber, until munmap, after close and unlink too.  It shows
 * every message still stored, as a subscriber that asks for
 * KMSGQ_HISTORY_ALL receives them, and nothing else: a committed slot's
 * bytes past its message, and a hole's, are zero.
 *
 * A subscriber's position (the number of the next message it reads) is
 * kernel state: KMSGQ_IOC_FANOUT_ACK reports and sets it.  To read message
 * p in place, at slot s = p & (@nr_slots - 1):
 *
 * 1. p < @tail (load with acquire ordering); else wait (KMSGQ_IOC_FANOUT_ACK
 *    with KMSGQ_FANOUT_ACK_WAIT, or poll()).
 * 2. seq[s] == p (load with acquire ordering); if it is greater, the slot
 *    was reused: the subscriber was lapped (KMSGQ_OPEN_OVERFLOW_DROP).
 * 3. l = len[s]: KMSGQ_FANOUT_LEN_HOLE is no message (go on at p + 1);
 *    another value above @slot_size means the slot is being reused (as 2).
 * 4. Read the l payload bytes.
 * 5. Read barrier (acquire fence), then seq[s] == p again: if not, a
 *    publisher reused the slot during step 4 and what was read is garbage;
 *    the subscriber was lapped (as 2).
 *
 * Publishers reuse a slot only once every subscriber's position (as the
 * kernel knows it, from KMSGQ_IOC_FANOUT_ACK or a receive) is past it, so
 * without OVERFLOW_DROP steps 2, 3 and 5 never fail for a subscriber that
 * acknowledges only what it read.  With OVERFLOW_DROP the kernel moves a
 * subscriber that is a whole depth behind (as it knows it) forward, and a
 * lapped subscriber asks KMSGQ_IOC_FANOUT_ACK where it is now: the
 * messages between are lost to it.  The payload is a snapshot only when
 * step 5 passes: a subscriber must not act on it before.
 */
struct kmsgq_fanout_map {
	__u64 tail;
	__u64 reserve;
	__u64 map_size;
	__u32 nr_slots;
	__u32 slot_size;
	__u64 seq_off;
	__u64 len_off;
	__u64 data_off;
	__u64 reserved;
};

/* kmsgq_fanout_ack.flags: after the acknowledgment, sleep until @tail > @pos */
#define KMSGQ_FANOUT_ACK_WAIT		0x100U

/**
 * struct kmsgq_fanout_ack - acknowledge messages a subscriber read in place,
 *	and optionally wait for more (KMSGQ_IOC_FANOUT_ACK;
 *	KMSGQ_FEAT_FANOUT_MAP)
 * @size: in: sizeof(struct kmsgq_fanout_ack)
 * @flags: in: KMSGQ_FANOUT_ACK_WAIT, and with it KMSGQ_XFER_TIMEOUT and
 *	KMSGQ_XFER_RELATIVE as in struct kmsgq_xfer
 * @pos: in: the number of the next message the subscriber will read:
 *	every message below it is read; out: the subscriber's position
 * @tail: out: the queue's tail (struct kmsgq_fanout_map.@tail)
 * @lost: out: messages the subscriber lost since it bound
 *	(KMSGQ_OPEN_OVERFLOW_DROP), as kmsgq_stats.sub_lost counts them
 * @clockid: in: as in struct kmsgq_xfer
 * @reserved: must be zero
 * @timeout: in: as in struct kmsgq_xfer
 *
 * On the file of a subscriber of a mapped fan-out queue.  @pos above the
 * tail is EINVAL.  A @pos at or below the subscriber's position leaves it
 * where it is (positions never move back; 0 just asks): with
 * OVERFLOW_DROP the kernel may have moved it past messages that were lost
 * to it.  The kernel counts as lost the messages it moves a subscriber
 * over, before the subscriber acknowledged them, even if it had read them
 * in place intact: a subscriber that needs an exact count of what it
 * missed counts the messages it found overwritten (steps 2 and 5 of
 * struct kmsgq_fanout_map), i.e. the distance from its own position to
 * the one this call reports.  Moving the position frees slots for
 * publishers that wait, and wakes them, and counts the messages it passes
 * (slots that carry no message are none) as received, in
 * kmsgq_stats.@msgs_recv and, with the lengths the kernel stored,
 * @bytes_recv.
 *
 * With KMSGQ_FANOUT_ACK_WAIT the call then sleeps until the tail is past
 * the position, as a blocking receive does (O_NONBLOCK does not apply to
 * this explicit wait): ETIMEDOUT at the deadline, EINTR on a signal; the
 * acknowledgment holds either way.  Returns 0.  Errors: ENOTCONN (not
 * bound), EOPNOTSUPP (not a mapped fan-out queue), EBADF (no read access),
 * EINVAL, EFAULT, ETIMEDOUT, EINTR.
 */
struct kmsgq_fanout_ack {
	__u32 size;
	__u32 flags;
	__u64 pos;
	__u64 tail;
	__u64 lost;
	__s32 clockid;
	__u32 reserved;
	struct kmsgq_timespec timeout;
};

/* sizeof(struct kmsgq_fanout_ack) as first published: the least @size accepted. */
#define KMSGQ_FANOUT_ACK_SIZE_VER0	56

/*
 * mmap() offset of the payload slots of an in-place fan-out queue
 * (KMSGQ_OPEN_INPLACE): slot s at s * slot_size, nr_slots * slot_size bytes
 * rounded up to whole pages (kmsgq_attr @max_msgs times @max_msgsize), the
 * same pages as from data_off of the read-only mapping at offset 0, where
 * data_off is on a page boundary.  Shared, for files with write access;
 * never executable.  The kernel never reads them for a decision.
 */
#define KMSGQ_FANOUT_PAYLOAD_OFFSET	0x40000000ULL

/**
 * struct kmsgq_fanout_publish - commit messages written in place, and
 *	reserve slots for the next ones (KMSGQ_IOC_FANOUT_PUBLISH;
 *	KMSGQ_FEAT_FANOUT_INPLACE)
 * @size: in: sizeof(struct kmsgq_fanout_publish)
 * @flags: in: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_TIMEOUT and
 *	KMSGQ_XFER_RELATIVE as in struct kmsgq_xfer, for the reservation
 * @lens: in: user address of @nr_commit __u32 payload lengths, one per
 *	message committed, in order; KMSGQ_FANOUT_LEN_HOLE gives the slot up
 *	(subscribers skip it)
 * @nr_commit: in: how many of the file's reserved messages to commit, the
 *	oldest first; at most as many as it holds
 * @nr_reserve: in: how many slots to reserve after the commit, 0 ..
 *	KMSGQ_FANOUT_RESERVE_MAX; only when the commit leaves none reserved
 * @first: out: the number of the file's first reserved message; message
 *	n is written in slot n & (nr_slots - 1)
 * @nr_reserved: out: how many messages the file holds reserved, from @first
 * @clockid: in: as in struct kmsgq_xfer
 * @timeout: in: as in struct kmsgq_xfer
 *
 * On a file with write access bound to an in-place fan-out queue
 * (KMSGQ_OPEN_INPLACE).  Reservations are the file's, kept by the kernel:
 * the call commits the first @nr_commit of them with the lengths given
 * (each read once; all checked before any is committed), then reserves
 * up to @nr_reserve slots, as a send finds room: it sleeps until the
 * slowest subscriber frees one (EAGAIN without sleeping for O_NONBLOCK,
 * KMSGQ_XFER_NONBLOCK or KMSGQ_OPEN_OVERFLOW_FAIL; ETIMEDOUT at the
 * deadline; EINTR on a signal), or with KMSGQ_OPEN_OVERFLOW_DROP moves
 * the subscribers in the way on.  It reserves at least one slot and fewer
 * than asked if no more are free.  Commits wake every subscriber with one
 * call, and count in kmsgq_stats @msgs_sent and @bytes_sent.  Before a
 * commit shows a slot, the kernel clears its bytes from the new length up
 * to the length the kernel stored for the slot's previous message (for a
 * hole, from 0); bytes a publisher wrote past a message's length
 * are its own.  Between a reservation and its commit every subscriber
 * waits at the first reserved message: a publisher commits what it
 * reserves promptly.  When the file's last reference goes (close, munmap,
 * exit, SIGKILL), its reserved messages are committed as holes.
 *
 * Returns the number reserved (@nr_reserved).  A failed reservation leaves
 * the commit done, writes @first and @nr_reserved (0), and returns its
 * error.  Errors: ENOTCONN (not bound), EOPNOTSUPP (not an in-place
 * fan-out queue), EBADF (no write access), EINVAL (@nr_commit above what
 * the file holds, @nr_reserve too large or while messages stay reserved,
 * flags, the deadline), EMSGSIZE (a length above the slot size: nothing is
 * committed), EFAULT (also when the results cannot be written, after the
 * commit and reservation were made), EAGAIN, ETIMEDOUT, EINTR, EBUSY.
 * Calls on one file run one at a time (a nonblocking one that finds
 * another running fails with EAGAIN), but none waits for another's sleep
 * for room; a call that reserves meanwhile makes the sleeping call fail
 * with EBUSY once it finds room (or its deadline or a signal ends it), and
 * the out fields say what the other reserved.
 * A publisher that holds slots reserved and does not commit them holds
 * back every subscriber at them, and so every publisher a depth later, on
 * any overflow policy.
 */
struct kmsgq_fanout_publish {
	__u32 size;
	__u32 flags;
	__u64 lens;
	__u32 nr_commit;
	__u32 nr_reserve;
	__u64 first;
	__u32 nr_reserved;
	__s32 clockid;
	struct kmsgq_timespec timeout;
};

/* The most slots a file holds reserved: kmsgq_fanout_publish.nr_reserve. */
#define KMSGQ_FANOUT_RESERVE_MAX	256

/* sizeof(struct kmsgq_fanout_publish) as first published: the least @size accepted. */
#define KMSGQ_FANOUT_PUBLISH_SIZE_VER0	56

#define KMSGQ_IOC_MAGIC		0xB9

/*
 * The size encoded in each number is that of the first version of its
 * structure (KMSGQ_*_SIZE_VER0); the kernel matches numbers without the size
 * bits and trusts only the @size field, so later, larger structures keep the
 * same numbers.
 */
#define KMSGQ_IOC_INFO		_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x00, \
				     KMSGQ_INFO_SIZE_VER0)
#define KMSGQ_IOC_OPEN		_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x01, \
				     KMSGQ_OPEN_SIZE_VER0)
#define KMSGQ_IOC_UNLINK	_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x02, \
				     KMSGQ_UNLINK_SIZE_VER0)
#define KMSGQ_IOC_SEND		_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x03, \
				     KMSGQ_XFER_SIZE_VER0)
#define KMSGQ_IOC_RECV		_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x04, \
				     KMSGQ_XFER_SIZE_VER0)
#define KMSGQ_IOC_GETATTR	_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x05, \
				     KMSGQ_ATTR_SIZE_VER0)
#define KMSGQ_IOC_SETATTR	_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x06, \
				     KMSGQ_ATTR_SIZE_VER0)
#define KMSGQ_IOC_STATS		_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x07, \
				     KMSGQ_STATS_SIZE_VER0)
#define KMSGQ_IOC_RING_INFO	_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x08, \
				     KMSGQ_RING_INFO_SIZE_VER0)
#define KMSGQ_IOC_RING_WAIT	_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x09, \
				     KMSGQ_RING_WAIT_SIZE_VER0)
#define KMSGQ_IOC_RING_WAKE	_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0a, \
				     KMSGQ_RING_WAIT_SIZE_VER0)
#define KMSGQ_IOC_LIST		_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0b, \
				     KMSGQ_LIST_SIZE_VER0)
#define KMSGQ_IOC_SETOWNER	_IOC(_IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0c, \
				     KMSGQ_SETOWNER_SIZE_VER0)
#define KMSGQ_IOC_NOTIFY	_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0d, \
				     KMSGQ_NOTIFY_SIZE_VER0)
#define KMSGQ_IOC_SUBSCRIBERS	_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0e, \
				     KMSGQ_SUBSCRIBERS_SIZE_VER0)
#define KMSGQ_IOC_FANOUT_ACK	_IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x0f, \
				     KMSGQ_FANOUT_ACK_SIZE_VER0)
#define KMSGQ_IOC_FANOUT_PUBLISH _IOC(_IOC_READ | _IOC_WRITE, KMSGQ_IOC_MAGIC, 0x10, \
				     KMSGQ_FANOUT_PUBLISH_SIZE_VER0)

/*
 * io_uring commands (KMSGQ_FEAT_URING_CMD): an IORING_OP_URING_CMD entry on a
 * bound /dev/kmsgq file with cmd_op KMSGQ_IOC_SEND or KMSGQ_IOC_RECV and
 * addr the user address of a struct kmsgq_xfer does what the ioctl does,
 * with the same checks and errors, and completes with the ioctl's return
 * value as res: messages moved, or -errno.  len, uring_cmd_flags and the
 * command bytes (addr3) must be zero (EINVAL).  The structure, its message
 * array and the buffers must stay valid until the completion.
 *
 * A command that would sleep waits instead on the queue, without a thread,
 * until a message (room) comes, its KMSGQ_XFER_TIMEOUT deadline passes
 * (ETIMEDOUT), or io_uring cancels it when its ring or its task goes
 * (ECANCELED).  Signals do not end it.  KMSGQ_XFER_NONBLOCK or an O_NONBLOCK
 * file complete with EAGAIN instead of waiting, as for the ioctl.  On 6.12
 * IORING_OP_ASYNC_CANCEL and linked timeouts do not reach a waiting
 * command (io_uring cancels commands only when the ring or task goes): give
 * it a deadline instead.  cmd_op must be the ioctl number exactly.  Linux
 * security modules and seccomp see the command as an io_uring command
 * (security_uring_cmd()), not as an ioctl: a policy on the ioctl numbers
 * does not apply to it.  Keep the submission entry unchanged until the
 * completion: a linked or drained command may read it only when it runs.
 */

#endif /* _UAPI_LINUX_KMSGQ_H */
