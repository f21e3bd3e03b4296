/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkmsgq - the C library for kmsgq message queues (/dev/kmsgq).
 *
 * Error convention: every call that can fail returns a negative errno value
 * (-EAGAIN, -ETIMEDOUT, ...) and leaves errno alone.  Success is 0, or the
 * count or length the call describes.  A queue handle is a plain file
 * descriptor: poll it, epoll it, dup it, pass it over a unix socket.
 *
 * Timeouts are absolute deadlines on the clock passed with them
 * (CLOCK_MONOTONIC or CLOCK_REALTIME), like mq_timedsend(); a NULL deadline
 * sleeps without limit.
 */
#ifndef KMSGQ_H
#define KMSGQ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/kmsgq.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * kmsgq_open() - open (and perhaps create) a named queue
 * @name: queue name, 1..KMSGQ_NAME_MAX-1 bytes of [A-Za-z0-9._-]
 * @oflag: O_RDONLY, O_WRONLY or O_RDWR, or'ed with O_CREAT, O_EXCL,
 *	O_NONBLOCK, O_CLOEXEC
 * @mode: permission bits of a queue this call creates (umask applies)
 * @attr: with O_CREAT: qflags (KMSGQ_OPEN_RING, with KMSGQ_OPEN_RECLAIM
 *	for a ring whose dead claimants' slots the kernel reclaims, and one
 *	of KMSGQ_OPEN_OVERFLOW_FAIL or KMSGQ_OPEN_OVERFLOW_DROP: what a send
 *	to the full queue does; KMSGQ_OPEN_SENDER to record who sends each
 *	message; KMSGQ_OPEN_FANOUT for a queue whose every reader receives
 *	every message, with KMSGQ_OPEN_RING and KMSGQ_OPEN_INPLACE for one
 *	whose publishers write in place), max_msgs, max_msgsize (0 = module
 *	default), other fields ignored; NULL for all defaults
 *
 * Return: a file descriptor bound to the queue, or -errno.
 */
int kmsgq_open(const char *name, int oflag, mode_t mode,
	       const struct kmsgq_attr *attr);

/**
 * kmsgq_subscribe() - subscribe to a fan-out queue, with history
 * @name: name of an existing queue created with KMSGQ_OPEN_FANOUT
 * @oflag: O_RDONLY or O_RDWR, or'ed with O_NONBLOCK, O_CLOEXEC
 * @history: how many of the newest messages still stored to receive
 *	first (fewer if fewer are stored; KMSGQ_HISTORY_ALL: all of them)
 *
 * As kmsgq_open() without O_CREAT, with a history (kmsgq_open.history).
 * Needs KMSGQ_FEAT_FANOUT (older modules: -EINVAL, or -E2BIG for a
 * @history other than 0).
 *
 * Return: a file descriptor bound to the queue, or -errno (-EINVAL also
 * when the queue is not a fan-out queue and @history is not 0).
 */
int kmsgq_subscribe(const char *name, int oflag, unsigned int history);

/**
 * kmsgq_open_publisher() - open a fan-out queue to publish only
 * @name: name of an existing queue created with KMSGQ_OPEN_FANOUT
 * @oflag: O_WRONLY, or O_RDWR (an in-place publisher's, which maps the
 *	payload), or'ed with O_NONBLOCK, O_CLOEXEC
 *
 * As kmsgq_open() without O_CREAT, with KMSGQ_OPEN_PUBLISHER: the file is
 * no subscriber, even with read access: it receives nothing and holds no
 * publisher back.  Needs KMSGQ_FEAT_FANOUT_INPLACE (older modules: -EINVAL).
 *
 * Return: a file descriptor bound to the queue, or -errno (-EINVAL also
 * for O_RDONLY, and when the queue is not a fan-out queue).
 */
int kmsgq_open_publisher(const char *name, int oflag);

/** kmsgq_close() - close a queue descriptor. Return: 0 or -errno. */
int kmsgq_close(int fd);

/** kmsgq_unlink() - remove a queue's name. Return: 0 or -errno. */
int kmsgq_unlink(const char *name);

/**
 * kmsgq_chmod() - change the permission bits of the queue @name
 * @name: queue name, in the caller's IPC namespace
 * @mode: new permission bits, at most 0777 (-EINVAL otherwise)
 *
 * Only the queue's owner (or CAP_FOWNER, CAP_IPC_OWNER) may: -EPERM.
 * Later opens are checked against the new mode; bound files keep theirs.
 *
 * Return: 0 or -errno.
 */
int kmsgq_chmod(const char *name, mode_t mode);

/**
 * kmsgq_chown() - change the owner and group of the queue @name
 * @name: queue name, in the caller's IPC namespace
 * @uid: new owner, or (uid_t)-1 to keep it
 * @gid: new group, or (gid_t)-1 to keep it
 *
 * As chown(2): the owner may change the group to one it is in; only
 * CAP_CHOWN (or CAP_IPC_OWNER) may change the owner: -EPERM otherwise.
 * With both -1 nothing changes, but the queue must exist (-ENOENT).  The
 * storage stays charged to the queue's creator.
 *
 * Return: 0 or -errno.
 */
int kmsgq_chown(const char *name, uid_t uid, gid_t gid);

/**
 * kmsgq_send() - queue one message
 * @fd: queue descriptor opened for writing
 * @buf: payload
 * @len: payload length, 0..max_msgsize
 * @prio: priority, 0..KMSGQ_PRIO_MAX-1 (0 only on ring queues)
 *
 * Return: 0, or -EAGAIN (full, non-blocking), -EMSGSIZE, -EINTR, -errno.
 */
int kmsgq_send(int fd, const void *buf, size_t len, unsigned int prio);

/**
 * kmsgq_timedsend() - kmsgq_send() that gives up at @deadline on @clock
 *
 * Return: as kmsgq_send(), and -ETIMEDOUT.
 */
int kmsgq_timedsend(int fd, const void *buf, size_t len, unsigned int prio,
		    clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_receive() - take the oldest message of the highest priority
 * @fd: queue descriptor opened for reading
 * @buf: where to put the payload
 * @len: size of @buf
 * @prio: if not NULL, receives the message's priority
 *
 * Return: the message length, or -EMSGSIZE (@len too small; the message
 * stays queued), -EAGAIN, -EINTR, -errno.
 */
ssize_t kmsgq_receive(int fd, void *buf, size_t len, unsigned int *prio);

/**
 * kmsgq_timedreceive() - kmsgq_receive() that gives up at @deadline on @clock
 *
 * Return: as kmsgq_receive(), and -ETIMEDOUT.
 */
ssize_t kmsgq_timedreceive(int fd, void *buf, size_t len, unsigned int *prio,
			   clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_send_batch() - queue up to @nr messages in one call
 * @msgs: buf, len and prio of each message
 * @nr: 1..KMSGQ_BATCH_MAX
 * @flags: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_RELATIVE (@deadline is an
 *	interval), or 0; KMSGQ_XFER_TIMEOUT is implied by @deadline (-EINVAL)
 * @clock, @deadline: as kmsgq_timedsend(); @deadline may be NULL
 *
 * Sleeps only until the first message fits, then queues as many as fit.
 * Return: messages queued (1..@nr), or -errno for the first one.
 */
int kmsgq_send_batch(int fd, const struct kmsgq_msg *msgs, unsigned int nr,
		     unsigned int flags, clockid_t clock,
		     const struct timespec *deadline);

/**
 * kmsgq_receive_batch() - take up to @nr messages in one call
 * @msgs: in: buf and len (buffer size) of each slot; out: len and prio
 * @flags, @clock, @deadline: as kmsgq_send_batch() (KMSGQ_XFER_SENDER is
 *	-EINVAL: its entries are struct kmsgq_msg_sender, for KMSGQ_IOC_RECV)
 *
 * Sleeps only until one message waits, then takes as many as wait.
 * Return: messages taken (1..@nr), or -errno for the first one (with
 * -EMSGSIZE, msgs[0].len is set to the length needed).
 */
int kmsgq_receive_batch(int fd, struct kmsgq_msg *msgs, unsigned int nr,
			unsigned int flags, clockid_t clock,
			const struct timespec *deadline);

/**
 * kmsgq_peek() - copy out a message without taking it
 * @fd: queue descriptor opened for reading
 * @index: messages to pass over in receive order (0: the one
 *	kmsgq_receive() would take next)
 * @buf, @len, @prio: as kmsgq_receive()
 * @flags: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_RELATIVE, or 0
 * @clock, @deadline: as kmsgq_timedreceive(); @deadline may be NULL
 * Sleeps, unless non-blocking, until a message stands at @index, and leaves
 * the queue as it was: the next receive returns what it would have.  A
 * sleeping peek takes no receiver's wakeup.  Needs KMSGQ_FEAT_PEEK (older
 * modules: -EINVAL, or -E2BIG for an @index other than 0).
 * Return: the message length, or -EMSGSIZE (@len too small), -EAGAIN,
 * -ETIMEDOUT, -EINTR, -errno.
 */
ssize_t kmsgq_peek(int fd, unsigned int index, void *buf, size_t len,
		   unsigned int *prio, unsigned int flags, clockid_t clock,
		   const struct timespec *deadline);

/**
 * struct kmsgq_sender - who sent a message, as kmsgq_receive_from() reports
 * @pid: the sending process as the caller's PID namespace sees it; 0 if it
 *	is not visible there, or unknown
 * @uid: its real user ID at send time in the caller's user namespace; the
 *	overflow UID (65534) if unmapped there, or unknown
 * @gid: the same for its real group ID
 * @flags: KMSGQ_SENDER_KERNEL (sent through the kernel),
 *	KMSGQ_SENDER_MAPPER (committed in place on a ring by the one process
 *	that mapped it writable), or 0: unknown
 */
struct kmsgq_sender {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	unsigned int flags;
};

/**
 * kmsgq_receive_from() - kmsgq_timedreceive() that also says who sent the
 *	message
 * @buf, @len, @prio: as kmsgq_receive()
 * @from: filled in with the sender, as the kernel recorded it when the
 *	message was queued (not NULL)
 * @flags: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_RELATIVE, or 0
 * @clock, @deadline: as kmsgq_timedreceive(); @deadline may be NULL
 *
 * Senders are known only on queues created with KMSGQ_OPEN_SENDER; on
 * others every sender is unknown.  Needs KMSGQ_FEAT_SENDER (older modules:
 * -EINVAL).
 * Return: as kmsgq_timedreceive(); -EINVAL for other @flags.
 */
ssize_t kmsgq_receive_from(int fd, void *buf, size_t len, unsigned int *prio,
			   struct kmsgq_sender *from, unsigned int flags,
			   clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_receive_lost() - kmsgq_timedreceive() that also reports what a
 *	fan-out subscriber lost
 * @buf, @len: as kmsgq_receive()
 * @lost: set to the messages this subscriber lost
 *	(KMSGQ_OPEN_OVERFLOW_DROP) since the last call that reported them,
 *	whether a message is received or not; 0 on other queues (not NULL)
 * @flags: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_RELATIVE, or 0
 * @clock, @deadline: as kmsgq_timedreceive(); @deadline may be NULL
 *
 * Other receives leave the count alone.  Needs KMSGQ_FEAT_FANOUT (older
 * modules: -EINVAL).
 * Return: as kmsgq_timedreceive(); -EINVAL for other @flags.
 */
ssize_t kmsgq_receive_lost(int fd, void *buf, size_t len, uint64_t *lost,
			   unsigned int flags, clockid_t clock,
			   const struct timespec *deadline);

/** kmsgq_getattr() - read the queue's attributes. Return: 0 or -errno. */
int kmsgq_getattr(int fd, struct kmsgq_attr *attr);

/**
 * kmsgq_setattr() - set the descriptor's flags (KMSGQ_ATTR_NONBLOCK)
 * @old: if not NULL, receives the attributes before the change
 *
 * Return: 0 or -errno.
 */
int kmsgq_setattr(int fd, unsigned int flags, struct kmsgq_attr *old);

/** kmsgq_stats() - read the queue's counters. Return: 0 or -errno. */
int kmsgq_stats(int fd, struct kmsgq_stats *stats);

/**
 * kmsgq_info() - the module's version, features and limits
 * @fd: any /dev/kmsgq descriptor, or -1 to open one for the call
 *
 * Return: 0 or -errno (-ENOENT: the module is not loaded).
 */
int kmsgq_info(int fd, struct kmsgq_info *info);

/**
 * kmsgq_list() - the named queues of the caller's IPC namespace, a batch
 *	at a time, in creation order
 * @fd: any /dev/kmsgq descriptor, or -1 to open one for the call
 * @cursor: 0 to start; updated to continue after the last entry returned
 * @entries: room for @nr entries
 * @nr: 1..KMSGQ_BATCH_MAX
 *
 * Lists attributes and counters of every queue, whatever its permissions.
 *
 * Return: entries filled (0 at the end), or -errno.
 */
int kmsgq_list(int fd, uint64_t *cursor, struct kmsgq_queue_entry *entries,
	       unsigned int nr);

/**
 * kmsgq_subscribers() - the subscribers of a fan-out queue, a batch at a
 *	time, in the order they bound
 * @fd: a descriptor of the queue, any access mode
 * @cursor: 0 to start; updated to continue after the last entry returned
 * @subs: room for @nr entries: id, lag, lost, pid and flags of each
 *	(KMSGQ_SUBSCRIBER_SELF marks @fd's own subscriber)
 * @nr: 0..KMSGQ_BATCH_MAX
 * @total: if not NULL, set to the number of subscribers bound now
 *
 * Needs KMSGQ_FEAT_FANOUT (older modules: -ENOTTY).
 * Return: entries filled (0 at the end), or -errno (-EOPNOTSUPP: not a
 * fan-out queue).
 */
int kmsgq_subscribers(int fd, uint64_t *cursor, struct kmsgq_subscriber *subs,
		      unsigned int nr, unsigned int *total);

/*
 * Zero-copy rings.
 *
 * A queue created with qflags KMSGQ_OPEN_RING can be mapped.  Producers
 * reserve slots, write payloads in place and commit them; consumers claim
 * committed slots, read them in place and release them.  None of that is a
 * system call: the inline helpers below run the shared protocol described at
 * struct kmsgq_ring_info in <linux/kmsgq.h>.  A system call is made only by
 * kmsgq_ring_wait() to sleep, and by kmsgq_ring_commit_done() or
 * kmsgq_ring_release_done() when the kernel has flagged a sleeper to wake.
 *
 * Any number of producers and consumers, in any processes, may work on one
 * ring at once, and copy-mode calls (kmsgq_send(), read(), ...) on the same
 * queue interoperate with them.  A ring queue is FIFO: priorities other
 * than 0 are refused.
 *
 * A slot reserved and never committed, or claimed and never released,
 * because its process died in between, stalls an ordinary ring at that
 * slot.  On a ring created with KMSGQ_OPEN_RECLAIM the kernel finishes
 * such slots when the last reference to the file they were claimed
 * through goes away (the descriptor closed in every process that shares
 * it, and the ring unmapped; a process's exit does both): a reserved slot
 * is published carrying no message, a claimed one released and counted
 * in msgs_lost.  Each process that works on such a ring should open its
 * own descriptor (kmsgq_open()) rather than inherit one, so that its
 * death alone is enough.  The helpers below speak either protocol.
 *
 * Typical producer:
 *	n = kmsgq_ring_reserve(&r, want, &pos);	// 0: full, kmsgq_ring_wait()
 *	for (i = 0; i < n; i++) {
 *		fill(kmsgq_ring_slot(&r, pos + i), len[i]);
 *		kmsgq_ring_commit(&r, pos + i, len[i]);
 *	}
 *	kmsgq_ring_commit_done(&r);
 * Typical consumer:
 *	n = kmsgq_ring_claim(&r, want, &pos);	// 0: empty, kmsgq_ring_wait()
 *	for (i = 0; i < n; i++)
 *		if ((p = kmsgq_ring_msg(&r, pos + i, &len)))
 *			use(p, len);
 *	kmsgq_ring_release(&r, pos, n);
 *	kmsgq_ring_release_done(&r);
 */

/**
 * struct kmsgq_ring - a mapped ring; set up by kmsgq_ring_map(), read-only
 *	for the caller
 */
struct kmsgq_ring {
	int fd;
	uint32_t nr_slots;
	uint32_t mask;
	uint32_t slot_size;
	uint32_t *prod;
	uint32_t *cons;
	uint32_t *wakeup;
	struct kmsgq_ring_desc *desc;	/* NULL on a reclaiming ring */
	unsigned char *data;
	void *map;
	size_t map_size;
	/* Since libkmsgq 1.3 (kmsgq_ring_map@KMSGQ_1.3): */
	struct kmsgq_ring_rdesc *rdesc;	/* a reclaiming ring's, or NULL */
	uint32_t owner;			/* this descriptor's claimant token */
};

/**
 * kmsgq_ring_map() - map the ring of the queue @fd is bound to
 * @ring: filled in
 *
 * Maps read-write if @fd was opened O_RDWR, else read-only (a read-only
 * mapping can be looked at but not used to claim slots).  Programs built
 * against libkmsgq before 1.3 get -EOPNOTSUPP for a reclaiming ring.
 * Return: 0, or -EOPNOTSUPP (not a ring queue), -errno.
 */
int kmsgq_ring_map(int fd, struct kmsgq_ring *ring);

/** kmsgq_ring_unmap() - undo kmsgq_ring_map(). Return: 0 or -errno. */
int kmsgq_ring_unmap(struct kmsgq_ring *ring);

/**
 * kmsgq_ring_wait() - sleep until the ring is readable and/or writable
 * @events: KMSGQ_RING_READABLE and/or KMSGQ_RING_WRITABLE
 * @clock, @deadline: as kmsgq_timedsend(); @deadline may be NULL
 *
 * Polls the ring briefly (a few thousand checks) before it asks the kernel
 * to sleep, since a running peer usually gets there first; but not after
 * a sleep of this thread that a task on its own CPU ended, as that peer
 * cannot run while this thread polls.
 *
 * Return: the events that hold, or -ETIMEDOUT, -EINTR, -errno.
 */
int kmsgq_ring_wait(struct kmsgq_ring *ring, unsigned int events,
		    clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_ring_wake() - wake sleepers of @events (normally called for you by
 *	kmsgq_ring_commit_done() and kmsgq_ring_release_done())
 *
 * Return: 0 or -errno.
 */
int kmsgq_ring_wake(struct kmsgq_ring *ring, unsigned int events);

/* Lost races before reserve/claim report "nothing now" rather than spin. */
#define KMSGQ_RING_TRIES	64

static inline uint32_t kmsgq_ring__seq(const struct kmsgq_ring *r,
				       uint32_t pos)
{
	return __atomic_load_n(&r->desc[pos & r->mask].seq, __ATOMIC_ACQUIRE);
}

/*
 * A reclaiming ring's {seq, owner}: one 64-bit word of its descriptor,
 * 16-byte aligned in the mapping, so aligned for the 64-bit atomics even
 * where uint64_t itself is aligned to 4 (i386), which must be lock-free to
 * work between processes.
 */
typedef uint64_t kmsgq_ring__u64 __attribute__((aligned(8)));

union kmsgq_ring__word {
	struct {
		uint32_t seq;
		uint32_t owner;
	} s;
	uint64_t val;
};

static inline kmsgq_ring__u64 *kmsgq_ring__wordp(const struct kmsgq_ring *r,
						 uint32_t pos)
{
	return (kmsgq_ring__u64 *)(void *)&r->rdesc[pos & r->mask];
}

static inline union kmsgq_ring__word
kmsgq_ring__rword(const struct kmsgq_ring *r, uint32_t pos)
{
	union kmsgq_ring__word w;

	w.val = __atomic_load_n(kmsgq_ring__wordp(r, pos), __ATOMIC_ACQUIRE);
	return w;
}

/* Swap @old, as read, for {@seq, @owner}.  Return: non-zero if done. */
static inline int kmsgq_ring__rcas(const struct kmsgq_ring *r, uint32_t pos,
				   union kmsgq_ring__word old, uint32_t seq,
				   uint32_t owner)
{
	union kmsgq_ring__word w;

	w.s.seq = seq;
	w.s.owner = owner;
	return __atomic_compare_exchange_n(kmsgq_ring__wordp(r, pos), &old.val,
					   w.val, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* Store {@seq, 0}, ending a claim, with release ordering. */
static inline void kmsgq_ring__rset(const struct kmsgq_ring *r, uint32_t pos,
				    uint32_t seq)
{
	union kmsgq_ring__word w;

	w.s.seq = seq;
	w.s.owner = 0;
	__atomic_store_n(kmsgq_ring__wordp(r, pos), w.val, __ATOMIC_RELEASE);
}

/* Move *@head from wherever it is in [@from, @to) to @to. */
static inline void kmsgq_ring__advance(uint32_t *head, uint32_t from,
				       uint32_t to)
{
	uint32_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
	unsigned int tries;

	for (tries = 0; tries < KMSGQ_RING_TRIES; tries++) {
		if ((int32_t)(h - from) < 0 || (int32_t)(h - to) >= 0)
			return;
		if (__atomic_compare_exchange_n(head, &h, to, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return;
	}
}

/*
 * kmsgq_ring__rclaim() - kmsgq_ring__claim() on a reclaiming ring: each
 *	slot is claimed by a compare-and-swap of its {seq, owner} that writes
 *	this descriptor's token, and the head only follows the claims
 */
static inline unsigned int kmsgq_ring__rclaim(const struct kmsgq_ring *r,
					      uint32_t *head, uint32_t lag,
					      unsigned int n, uint32_t *pos)
{
	uint32_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
	union kmsgq_ring__word w;
	unsigned int tries, k;

	/* Owner 0 would claim nothing: not a mapping kmsgq_ring_map() made. */
	if (!r->owner)
		return 0;
	if (n > r->nr_slots)
		n = r->nr_slots;
	for (tries = 0; tries < KMSGQ_RING_TRIES; tries++) {
		int32_t diff;

		w = kmsgq_ring__rword(r, h);
		diff = (int32_t)(w.s.seq - (h + lag));
		if (diff < 0)
			return 0;
		if (diff || w.s.owner) {
			/* Someone's claim: help the head past it. */
			kmsgq_ring__advance(head, h, h + 1);
			h = __atomic_load_n(head, __ATOMIC_RELAXED);
			continue;
		}
		if (!kmsgq_ring__rcas(r, h, w, h + lag, r->owner))
			continue;
		for (k = 1; k < n; k++) {
			w = kmsgq_ring__rword(r, h + k);
			if (w.s.seq != h + k + lag || w.s.owner ||
			    !kmsgq_ring__rcas(r, h + k, w, h + k + lag,
					      r->owner))
				break;
		}
		kmsgq_ring__advance(head, h, h + k);
		*pos = h;
		return k;
	}
	return 0;
}

/*
 * kmsgq_ring__claim() - take up to @n consecutive slots from *@head, the
 *	producer or the consumer position, for the caller alone
 * @lag: how far a slot's seq is ahead of its position when it is the
 *	caller's to take: 0 for a free slot (a producer's), 1 for a
 *	committed one (a consumer's)
 *
 * Counts the slots ready at the head, then moves the head past them with
 * one compare-and-swap.  A slot not ready yet (seq behind) means the ring
 * is full or empty; a slot gone already (seq ahead) means another caller
 * moved the head, so it is read again.
 */
static inline unsigned int kmsgq_ring__claim(const struct kmsgq_ring *r,
					     uint32_t *head, uint32_t lag,
					     unsigned int n, uint32_t *pos)
{
	uint32_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
	unsigned int tries;

	if (!r->desc)
		return kmsgq_ring__rclaim(r, head, lag, n, pos);
	if (n > r->nr_slots)
		n = r->nr_slots;
	for (tries = 0; tries < KMSGQ_RING_TRIES; tries++) {
		unsigned int k = 0;

		while (k < n && kmsgq_ring__seq(r, h + k) == h + k + lag)
			k++;
		if (!k) {
			int32_t diff = (int32_t)(kmsgq_ring__seq(r, h) - (h + lag));

			if (diff < 0)
				return 0;
			h = __atomic_load_n(head, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_compare_exchange_n(head, &h, h + k, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			*pos = h;
			return k;
		}
	}
	return 0;
}

/**
 * kmsgq_ring_reserve() - claim up to @n free slots for writing
 * @pos: out: position of the first; the others follow it
 *
 * Return: slots claimed; 0 if the ring is full (or, after many lost races
 * to other producers, busy: try again or wait).
 */
static inline unsigned int kmsgq_ring_reserve(struct kmsgq_ring *r,
					      unsigned int n, uint32_t *pos)
{
	return kmsgq_ring__claim(r, r->prod, 0, n, pos);
}

/** kmsgq_ring_slot() - payload space of a reserved slot (slot_size bytes) */
static inline void *kmsgq_ring_slot(const struct kmsgq_ring *r, uint32_t pos)
{
	return r->data + (size_t)(pos & r->mask) * r->slot_size;
}

/** kmsgq_ring_commit() - publish a reserved slot holding @len bytes */
static inline void kmsgq_ring_commit(struct kmsgq_ring *r, uint32_t pos,
				     uint32_t len)
{
	struct kmsgq_ring_desc *d;

	if (!r->desc) {
		__atomic_store_n(&r->rdesc[pos & r->mask].len, len,
				 __ATOMIC_RELAXED);
		kmsgq_ring__rset(r, pos, pos + 1);
		return;
	}
	d = &r->desc[pos & r->mask];
	__atomic_store_n(&d->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->seq, pos + 1, __ATOMIC_RELEASE);
}

/**
 * kmsgq_ring_commit_done() - after commits: wake a sleeping consumer if the
 *	kernel flagged one.  Return: 0 or -errno.
 */
static inline int kmsgq_ring_commit_done(struct kmsgq_ring *r)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(r->wakeup, __ATOMIC_RELAXED) &
	    KMSGQ_RING_WAKE_CONSUMER)
		return kmsgq_ring_wake(r, KMSGQ_RING_READABLE);
	return 0;
}

/**
 * kmsgq_ring_claim() - claim up to @n committed slots for reading, in order
 * @pos: out: position of the first; the others follow it
 *
 * Return: slots claimed; 0 if none is ready (or, after many lost races to
 * other consumers, busy: try again or wait).
 */
static inline unsigned int kmsgq_ring_claim(struct kmsgq_ring *r,
					    unsigned int n, uint32_t *pos)
{
	return kmsgq_ring__claim(r, r->cons, 1, n, pos);
}

/**
 * kmsgq_ring_peek() - the former name of kmsgq_ring_claim(), deprecated:
 *	it consumes the slots it returns, which a peek does not
 */
__attribute__((deprecated("use kmsgq_ring_claim")))
static inline unsigned int kmsgq_ring_peek(struct kmsgq_ring *r,
					   unsigned int n, uint32_t *pos)
{
	return kmsgq_ring_claim(r, n, pos);
}

/**
 * kmsgq_ring_msg() - the message in a claimed slot
 * @len: out: its length
 *
 * Return: its payload, or NULL if the slot carries no message (a sender's
 * copy faulted, or the length is out of bounds): release it all the same.
 */
static inline const void *kmsgq_ring_msg(const struct kmsgq_ring *r,
					 uint32_t pos, uint32_t *len)
{
	const uint32_t *lp = r->desc ? &r->desc[pos & r->mask].len :
				       &r->rdesc[pos & r->mask].len;
	uint32_t l = __atomic_load_n(lp, __ATOMIC_RELAXED);

	if (l > r->slot_size)
		return NULL;
	*len = l;
	return kmsgq_ring_slot(r, pos);
}

/** kmsgq_ring_release() - hand @n claimed slots from @pos back to producers */
static inline void kmsgq_ring_release(struct kmsgq_ring *r, uint32_t pos,
				      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!r->desc)
			kmsgq_ring__rset(r, pos + i, pos + i + r->nr_slots);
		else
			__atomic_store_n(&r->desc[(pos + i) & r->mask].seq,
					 pos + i + r->nr_slots,
					 __ATOMIC_RELEASE);
	}
}

/**
 * kmsgq_ring_release_done() - after releases: wake a sleeping producer if
 *	the kernel flagged one.  Return: 0 or -errno.
 */
static inline int kmsgq_ring_release_done(struct kmsgq_ring *r)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(r->wakeup, __ATOMIC_RELAXED) &
	    KMSGQ_RING_WAKE_PRODUCER)
		return kmsgq_ring_wake(r, KMSGQ_RING_WRITABLE);
	return 0;
}

/*
 * Zero-copy fan-out subscribers.
 *
 * A fan-out queue created with qflags KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING
 * can be mapped, read-only, by its subscribers: they read each message in
 * place, checking that no publisher reused its slot meanwhile (the protocol
 * at struct kmsgq_fanout_map in <linux/kmsgq.h>), and tell the kernel how
 * far they got with one system call per batch, kmsgq_fanout_ack(), which
 * also sleeps when there is nothing new.  Publishers use the usual calls.
 * Typical subscriber:
 *	while ((n = kmsgq_fanout_next(&v, &p, &len)) != 0) {
 *		if (n < 0) {			// lapped: messages lost
 *			kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL);
 *			continue;
 *		}
 *		memcpy(buf, p, len);		// then check, then parse
 *		if (kmsgq_fanout_done(&v))	// not overwritten meanwhile
 *			use(buf, len);
 *	}
 *	kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT, CLOCK_MONOTONIC, NULL);
 */

/**
 * struct kmsgq_fanout_view - a subscriber's mapping of a fan-out queue; set
 *	up by kmsgq_fanout_map()
 * @pos: number of the next message to read
 * @tail: the queue's tail as last seen
 * @lost: messages this view found overwritten before it read them
 *	(KMSGQ_OPEN_OVERFLOW_DROP): received + @lost = published, for a view
 *	that reads every message through kmsgq_fanout_next()
 *
 * The caller allocates it and the inline calls read its fields, so its
 * layout is part of the KMSGQ_1.6 ABI and never changes: a larger view
 * would come with new calls.
 */
struct kmsgq_fanout_view {
	int fd;
	uint32_t mask;
	uint32_t slot_size;
	const struct kmsgq_fanout_map *map;
	size_t map_size;
	const __u64 *seq;
	const __u32 *len;
	const unsigned char *data;
	uint64_t pos;
	uint64_t tail;
	uint64_t lost;
};

/**
 * kmsgq_fanout_map() - map the fan-out queue @fd subscribes to, read-only
 * @view: filled in; reading starts at the subscriber's position
 *
 * @fd needs read access.  Needs KMSGQ_FEAT_FANOUT_MAP.
 * Return: 0, or -EOPNOTSUPP (not a mappable fan-out queue), -EACCES (no
 * read access), -errno.
 */
int kmsgq_fanout_map(int fd, struct kmsgq_fanout_view *view);

/** kmsgq_fanout_unmap() - undo kmsgq_fanout_map(). Return: 0 or -errno. */
int kmsgq_fanout_unmap(struct kmsgq_fanout_view *view);

/**
 * kmsgq_fanout_ack() - tell the kernel the view read every message below
 *	@view->pos, and learn where it stands
 * @flags: KMSGQ_FANOUT_ACK_WAIT to sleep until a message is there to read,
 *	KMSGQ_XFER_RELATIVE with a @deadline that is an interval, or 0
 * @clock, @deadline: as kmsgq_timedreceive(); @deadline may be NULL, and
 *	is only for KMSGQ_FANOUT_ACK_WAIT
 *
 * Frees the slots read for publishers that wait for them.  If the kernel
 * moved the subscriber past @view->pos (it was lapped), @view->pos follows
 * and @view->lost counts the messages passed over.
 * Return: 0, or -ETIMEDOUT, -EINTR (the acknowledgment holds), -errno.
 */
int kmsgq_fanout_ack(struct kmsgq_fanout_view *view, unsigned int flags,
		     clockid_t clock, const struct timespec *deadline);

/*
 * A __u64 the kernel only moves forward, with acquire ordering; a 32-bit
 * task reads it in halves, the high one twice, which gives a value it had.
 */
static inline uint64_t kmsgq_fanout__load(const __u64 *p)
{
#if UINTPTR_MAX > 0xffffffffu
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
#else
	const __u32 *w = (const __u32 *)p;
	int h = __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__;
	__u32 hi, lo;

	do {
		hi = __atomic_load_n(&w[h], __ATOMIC_ACQUIRE);
		lo = __atomic_load_n(&w[!h], __ATOMIC_ACQUIRE);
	} while (hi != __atomic_load_n(&w[h], __ATOMIC_ACQUIRE));
	return (uint64_t)hi << 32 | lo;
#endif
}

/**
 * kmsgq_fanout_next() - the next message, in place
 * @msg: set to its payload, @len bytes, valid until kmsgq_fanout_done()
 *	says whether it was intact
 *
 * Slots that carry no message are passed over.
 * Return: 1 (a message), 0 (none yet: kmsgq_fanout_ack() with
 * KMSGQ_FANOUT_ACK_WAIT sleeps for one), or -ESTALE (the view was lapped:
 * kmsgq_fanout_ack() moves it on).
 */
static inline int kmsgq_fanout_next(struct kmsgq_fanout_view *v,
				    const void **msg, uint32_t *len)
{
	uint64_t p;
	uint32_t s, l;

	for (;;) {
		p = v->pos;
		if (p == v->tail) {
			v->tail = kmsgq_fanout__load(&v->map->tail);
			if (p == v->tail)
				return 0;
		}
		s = (uint32_t)p & v->mask;
		if (kmsgq_fanout__load(&v->seq[s]) != p)
			return -ESTALE;
		l = __atomic_load_n(&v->len[s], __ATOMIC_RELAXED);
		if (l <= v->slot_size) {
			*msg = v->data + (size_t)s * v->slot_size;
			*len = l;
			return 1;
		}
		/* A hole if the slot is still this message's; else reused. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (l != KMSGQ_FANOUT_LEN_HOLE ||
		    kmsgq_fanout__load(&v->seq[s]) != p)
			return -ESTALE;
		v->pos = p + 1;
	}
}

/**
 * kmsgq_fanout_done() - after reading the message kmsgq_fanout_next() gave:
 *	was it intact?  Moves on to the next message if so.
 *
 * Return: 1, or 0 if a publisher reused the slot while it was read (the
 * view was lapped: discard what was read; kmsgq_fanout_next() then says
 * -ESTALE).
 */
static inline int kmsgq_fanout_done(struct kmsgq_fanout_view *v)
{
	/* The payload's reads before the check; the kernel's smp_wmb() pairs. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (kmsgq_fanout__load(&v->seq[(uint32_t)v->pos & v->mask]) != v->pos)
		return 0;
	v->pos++;
	return 1;
}

/*
 * Zero-copy fan-out publishers.
 *
 * A fan-out queue created with qflags KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING |
 * KMSGQ_OPEN_INPLACE lets its publishers write payloads in place: each
 * maps the payload slots shared and writable (kmsgq_fanout_pub_map(), on
 * a descriptor with read and write access, best opened with
 * kmsgq_open_publisher() and O_RDWR), and with one system call per batch,
 * kmsgq_fanout_publish(), commits the messages it wrote in the slots the
 * kernel reserved for it and reserves the next ones.  Every such publisher
 * can rewrite any slot, a committed one too: on this queue write access is
 * power over what every subscriber reads.  Subscribers are as above.
 * Typical publisher:
 *	n = kmsgq_fanout_publish(&pub, NULL, 0, BATCH, 0, CLOCK_MONOTONIC, NULL);
 *	while (n > 0) {
 *		for (i = 0; i < n; i++)
 *			lens[i] = fill(kmsgq_fanout_pub_slot(&pub, pub.first + i),
 *				       pub.slot_size);
 *		n = kmsgq_fanout_publish(&pub, lens, n, BATCH, 0,
 *					 CLOCK_MONOTONIC, NULL);
 *	}
 */

/**
 * struct kmsgq_fanout_pub - a publisher's mapping of the payload slots of
 *	an in-place fan-out queue; set up by kmsgq_fanout_pub_map()
 * @fd: the publisher's descriptor
 * @nr_slots: slots, a power of two (the queue's depth)
 * @mask: @nr_slots - 1
 * @slot_size: bytes per slot (the queue's max_msgsize)
 * @data: slot 0's payload; slot s's at @data + s * @slot_size
 * @data_size: bytes mapped at @data
 * @first: number of the file's first reserved message, as the kernel last
 *	reported it
 * @nr: how many messages the file holds reserved from @first, likewise
 *
 * The caller allocates it and the inline call reads its fields, so its
 * layout is part of the KMSGQ_1.7 ABI and never changes.
 */
struct kmsgq_fanout_pub {
	int fd;
	uint32_t nr_slots;
	uint32_t mask;
	uint32_t slot_size;
	uint8_t *data;
	size_t data_size;
	uint64_t first;
	uint32_t nr;
};

/**
 * kmsgq_fanout_pub_map() - map the payload slots of the in-place fan-out
 *	queue @fd publishes to, shared and writable
 * @pub: filled in; @pub->first and @pub->nr say what the file holds
 *	reserved already
 *
 * @fd needs read and write access.  Needs KMSGQ_FEAT_FANOUT_INPLACE.
 * Return: 0, or -EOPNOTSUPP (not an in-place fan-out queue), -EBADF (no
 * write access), -EACCES (no read access), -errno.
 */
int kmsgq_fanout_pub_map(int fd, struct kmsgq_fanout_pub *pub);

/**
 * kmsgq_fanout_pub_unmap() - undo kmsgq_fanout_pub_map().  The file's
 *	reservations stay (commit them, or close the file: they become holes).
 *	Return: 0 or -errno.
 */
int kmsgq_fanout_pub_unmap(struct kmsgq_fanout_pub *pub);

/**
 * kmsgq_fanout_publish() - commit the first @nr_commit of the file's
 *	reserved messages, then reserve up to @nr_reserve slots
 * @lens: the payload length of each message committed, in order
 *	(KMSGQ_FANOUT_LEN_HOLE: no message); NULL if @nr_commit is 0
 * @nr_commit: at most @pub->nr
 * @nr_reserve: 0..KMSGQ_FANOUT_RESERVE_MAX; not 0 only when the commit
 *	leaves none reserved
 * @flags: KMSGQ_XFER_NONBLOCK, KMSGQ_XFER_RELATIVE (@deadline is an
 *	interval), or 0; KMSGQ_XFER_TIMEOUT is implied by @deadline (-EINVAL)
 * @clock, @deadline: as kmsgq_timedsend(); @deadline may be NULL; for the
 *	reservation, which sleeps until the slowest subscriber frees a slot
 *
 * Message n is written in the slot kmsgq_fanout_pub_slot() gives.
 * @pub->first and @pub->nr follow what the kernel reports, also when the
 * call fails: a failed reservation leaves the commit done, and nothing
 * reserved.
 * Return: the number of messages the file holds reserved (@pub->nr), or
 * -errno (-EMSGSIZE: a length above the slot size, nothing committed;
 * -EAGAIN, -ETIMEDOUT, -EINTR: committed, nothing reserved; -EBUSY:
 * committed, and another call on the file reserved while this one waited
 * for room, which @pub->first and @pub->nr now say).
 */
int kmsgq_fanout_publish(struct kmsgq_fanout_pub *pub, const uint32_t *lens,
			 unsigned int nr_commit, unsigned int nr_reserve,
			 unsigned int flags, clockid_t clock,
			 const struct timespec *deadline);

/**
 * kmsgq_fanout_pub_slot() - the payload of message @n, @pub->slot_size
 *	bytes, for the publisher that holds it reserved to write in place
 */
static inline void *kmsgq_fanout_pub_slot(const struct kmsgq_fanout_pub *pub,
					  uint64_t n)
{
	return pub->data + (size_t)(n & pub->mask) * pub->slot_size;
}

#ifdef __cplusplus
}
#endif

#endif /* KMSGQ_H */
