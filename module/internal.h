/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmsgq internals shared by the module's files and its KUnit tests.
 *
 * main.c     - module load and unload, parameters (limits), debugfs.
 * file.c     - /dev/kmsgq's file operations: open, release, read, write,
 *              poll, and which queue a file is bound to.
 * ioctl.c    - the ioctls: copying and checking every uapi structure.
 * mmap.c     - mapping a ring queue's pages into user space.
 * registry.c - names, user namespaces, permissions, per-user accounts and
 *              limits, LIST and the debugfs listing.
 * queue.c    - the queue object: sleeping, waking, and send/receive over
 *              either storage.
 * uring.c    - KMSGQ_IOC_SEND and KMSGQ_IOC_RECV as io_uring commands,
 *              parked on the queue's wait queues instead of a thread.
 * notify.c   - KMSGQ_IOC_NOTIFY: the one process registered with a queue
 *              to learn that a message arrived on the empty queue.
 * sender.c   - who queued each message (KMSGQ_OPEN_SENDER), and its report
 *              to receivers in their namespaces.
 * store.c    - the message store of a copy queue: fixed slots, a free stack
 *              and one FIFO per priority, all allocated at creation.  No
 *              locking inside; the queue's lock covers it.
 * fanout.c   - fan-out queues (KMSGQ_OPEN_FANOUT): a circular store of
 *              sequence-numbered messages that every subscriber (a file
 *              bound with read access) reads at its own position.  The
 *              queue's lock covers it.
 * inplace.c  - publishing in place on fan-out queues (KMSGQ_OPEN_INPLACE):
 *              each publishing file's reserved slots, kernel state, and
 *              their commit (as holes when the file goes).
 * ring.c     - the mappable ring of a ring queue: shared pages holding
 *              Vyukov's MPMC protocol (see uapi struct kmsgq_ring_info) and
 *              its wakeup word.  Every value read from it is untrusted; the
 *              kernel masks and bounds them.
 */
#ifndef _KMSGQ_INTERNAL_H
#define _KMSGQ_INTERNAL_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/kmsgq.h>

#define KMSGQ_SLOT_NONE		U32_MAX
/* Compare-and-swap attempts lost to other ring claimants before giving up. */
#define KMSGQ_RING_CLAIM_TRIES	64
#define KMSGQ_RING_EVENTS	(KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE)
/* Messages one kmsgq_queue_send() or kmsgq_queue_recv() call handles. */
#define KMSGQ_CHUNK		16
/* The overflow policies of kmsgq_open.flags. */
#define KMSGQ_OPEN_OVERFLOW \
	(KMSGQ_OPEN_OVERFLOW_FAIL | KMSGQ_OPEN_OVERFLOW_DROP)
/*
 * The poll keys of every kmsgq wakeup: q->recv_wq is woken with
 * KMSGQ_POLL_IN (a message arrived), q->send_wq with KMSGQ_POLL_OUT (room
 * was made), so that epoll and io_uring entries wake only for their events.
 */
#define KMSGQ_POLL_IN		(EPOLLIN | EPOLLRDNORM)
#define KMSGQ_POLL_OUT		(EPOLLOUT | EPOLLWRNORM)

/**
 * struct kmsgq_store_prio - the FIFO of one priority that has messages queued
 * @node: link in kmsgq_store.@prios, highest priority leftmost; while the
 *	node is unused, @node's parent pointer is unused too and @head links
 *	the free nodes
 * @prio: the priority
 * @head: oldest slot of the FIFO (a free node: next free node's index or
 *	KMSGQ_SLOT_NONE)
 * @tail: newest slot of the FIFO
 */
struct kmsgq_store_prio {
	struct rb_node node;
	u32 prio;
	u32 head;
	u32 tail;
};

/**
 * struct kmsgq_store - slots and priority FIFOs of a copy queue
 * @nr_slots: slots, i.e. the queue's depth
 * @slot_size: bytes of payload per slot
 * @nr_free: slots on @free
 * @count: messages linked on the FIFOs
 * @prios: the non-empty priorities' FIFOs, an rbtree with the highest
 *	priority cached as its leftmost node
 * @free_node: first unused entry of @nodes, or KMSGQ_SLOT_NONE
 * @nodes: min(@nr_slots, KMSGQ_PRIO_MAX) FIFO heads, allocated at creation:
 *	no more priorities than slots can have messages queued at once
 * @free: stack of free slot numbers, @nr_free deep
 * @next: per slot, the next slot of the same FIFO or KMSGQ_SLOT_NONE
 * @len: per slot, payload length
 * @gen: per slot, times it was freed: a peeker that copied a queued
 *	slot's payload without the lock knows the copy whole if @gen is
 *	unchanged after it
 * @prio: per slot, priority
 * @data: @nr_slots * @slot_size bytes of payload
 *
 * A slot is free (on @free), in flight (taken by a sender copying into it or
 * a receiver copying out of it, on no list), or queued (on one FIFO).
 * @nr_free + @count + slots in flight == @nr_slots.
 */
struct kmsgq_store {
	u32 nr_slots;
	u32 slot_size;
	u32 nr_free;
	u32 count;
	struct rb_root_cached prios;
	u32 free_node;
	struct kmsgq_store_prio *nodes;
	u32 *free;
	u32 *next;
	u32 *len;
	u32 *gen;
	u16 *prio;
	u8 *data;
};

int kmsgq_store_init(struct kmsgq_store *s, u32 nr_slots, u32 slot_size);
void kmsgq_store_destroy(struct kmsgq_store *s);
size_t kmsgq_store_bytes(u32 nr_slots, u32 slot_size);
u32 kmsgq_store_get(struct kmsgq_store *s);
void kmsgq_store_put(struct kmsgq_store *s, u32 slot);
void kmsgq_store_push(struct kmsgq_store *s, u32 slot, u32 len, u32 prio);
void kmsgq_store_push_head(struct kmsgq_store *s, u32 slot);
u32 kmsgq_store_peek(const struct kmsgq_store *s);
u32 kmsgq_store_at(const struct kmsgq_store *s, u32 index);
u32 kmsgq_store_pop_lowest(struct kmsgq_store *s);
u32 kmsgq_store_pop(struct kmsgq_store *s);

static inline void *kmsgq_store_payload(const struct kmsgq_store *s, u32 slot)
{
	return s->data + (size_t)slot * s->slot_size;
}

/**
 * struct kmsgq_ring - kernel view of a ring queue's shared pages
 * @pages: the pages user space maps, @nr_pages of them
 * @nr_pages: pages in @pages
 * @vaddr: the same pages mapped contiguously in the kernel
 * @nr_slots: slots, a power of two
 * @mask: @nr_slots - 1
 * @slot_size: bytes of payload per slot
 * @prod: shared producer position (untrusted)
 * @cons: shared consumer position (untrusted)
 * @wakeup: shared KMSGQ_RING_WAKE_* word (untrusted)
 * @desc: shared descriptors (untrusted), or NULL on a reclaiming ring
 * @rdesc: a reclaiming ring's shared descriptors (untrusted), or NULL
 * @reclaim: a reclaiming ring (KMSGQ_OPEN_RECLAIM); fixed at creation
 * @data: shared payload area
 * @desc_off: offset of @desc in the mapping
 * @data_off: offset of @data in the mapping
 *
 * Only the fields above are kernel state, and user space cannot reach them;
 * what the pointers point at, any mapper may scribble on at any time.
 */
struct kmsgq_ring {
	struct page **pages;
	u32 nr_pages;
	void *vaddr;
	u32 nr_slots;
	u32 mask;
	u32 slot_size;
	u32 *prod;
	u32 *cons;
	u32 *wakeup;
	struct kmsgq_ring_desc *desc;
	struct kmsgq_ring_rdesc *rdesc;
	bool reclaim;
	u8 *data;
	u32 desc_off;
	u32 data_off;
};

int kmsgq_ring_init(struct kmsgq_ring *r, u32 nr_slots, u32 slot_size,
		    bool reclaim);
void kmsgq_ring_destroy(struct kmsgq_ring *r);
size_t kmsgq_ring_bytes(u32 nr_slots, u32 slot_size, bool reclaim);
u32 kmsgq_ring_slot_size(u32 max_msgsize);
bool kmsgq_ring_readable(const struct kmsgq_ring *r);
bool kmsgq_ring_writable(const struct kmsgq_ring *r);
u32 kmsgq_ring_count(const struct kmsgq_ring *r);
int kmsgq_ring_claim_prod(struct kmsgq_ring *r, u32 *pos);
void kmsgq_ring_publish(struct kmsgq_ring *r, u32 pos, u32 len);
int kmsgq_ring_peek_at(const struct kmsgq_ring *r, u32 index, u32 *pos,
		       u32 *len);
bool kmsgq_ring_unmoved(const struct kmsgq_ring *r, u32 pos);
int kmsgq_ring_peek_cons(struct kmsgq_ring *r, u32 maxlen, u32 *pos, u32 *len,
			 bool *freed);
bool kmsgq_ring_claim_at(struct kmsgq_ring *r, u32 pos);
void kmsgq_ring_release(struct kmsgq_ring *r, u32 pos);
u32 kmsgq_ring_reclaim(struct kmsgq_ring *r, u32 owner, u32 *events);

/* Reclaiming rings share 64-bit words with user space: real atomics only. */
static inline bool kmsgq_ring_reclaim_supported(void)
{
	return !IS_ENABLED(CONFIG_GENERIC_ATOMIC64);
}

void kmsgq_ring_arm(struct kmsgq_ring *r, u32 bits);
void kmsgq_ring_disarm(struct kmsgq_ring *r, struct wait_queue_head *wq,
		       u32 bit);

static inline void *kmsgq_ring_payload(const struct kmsgq_ring *r, u32 pos)
{
	return r->data + (size_t)(pos & r->mask) * r->slot_size;
}

/**
 * struct kmsgq_fanout_sub - a subscriber of a fan-out queue: a file bound
 *	to it with read access
 * @node: link in kmsgq_fanout.@subs
 * @pos: sequence number of the next message it receives
 * @lost: messages it lost since it bound (KMSGQ_OPEN_OVERFLOW_DROP)
 * @lost_report: of those, the ones no RECV has reported yet
 * @id: its number in the queue, from kmsgq_fanout.@last_id; fixed
 * @pid: the thread group that bound the file (counted); fixed
 * @uid: the fsuid it bound with, which read permission was checked for,
 *	and whose share of the queue it takes; fixed
 * @account: the account whose share it takes too, for every id a user
 *	namespace maps: kmsgq_fanout_account() of the binder; fixed
 *
 * Kernel memory only; protected by the queue's lock.
 */
struct kmsgq_fanout_sub {
	struct list_head node;
	u64 pos;
	u64 lost;
	u64 lost_report;
	u64 id;
	struct pid *pid;
	kuid_t uid;
	kuid_t account;
};

/**
 * struct kmsgq_fanout - the message store of a fan-out queue
 * @nr_slots: slots, a power of two
 * @mask: @nr_slots - 1; message number n is in slot n & @mask
 * @slot_size: bytes of payload per slot
 * @reserve: number of the next message a publisher reserves a slot for
 * @tail: every message numbered below is committed (or a hole)
 * @floor: the least of @tail and every subscriber's position when last
 *	computed: never above the true one, and exact when a publisher
 *	sleeps for room
 * @gen: moved by every change that can let a waiting send, receive or
 *	peek go on (a commit; the floor's subscriber moving or leaving),
 *	before the wakeup that follows it: an io_uring command parks against
 *	it (uring.c)
 * @nr_subs: subscribers on @subs
 * @last_id: the id of the latest subscriber to bind
 * @subs: the subscribers, in @id order
 * @sub_of: kmsgq_queue_file_index() of a subscribing file to its struct
 *	kmsgq_fanout_sub; valid while the file is (its own lock)
 * @pub_of: the same for a file that may publish in place, to its struct
 *	kmsgq_inplace (inplace.c)
 * @seq: per slot, the number of the message it holds or is being filled
 *	with; set when a publisher reserves the slot
 * @len: per slot, payload length, KMSGQ_FANOUT_PENDING while a publisher
 *	fills it, or KMSGQ_FANOUT_HOLE for a slot that carries no message
 * @data: @nr_slots * @slot_size bytes of payload
 * @map: the head of a mappable store (KMSGQ_OPEN_RING), whose @seq, @len
 *	and @data follow it in one zeroed __vmalloc() area (charged to the
 *	creator's memory cgroup) that subscribers map
 *	read-only, or NULL; fixed at creation
 * @map_size: bytes of that area, a multiple of PAGE_SIZE
 * @inplace: with @map, publishers may map the payloads, which start on a
 *	page boundary, writable (KMSGQ_OPEN_INPLACE); fixed at creation
 *
 * Messages numbered [max(0, @reserve - @nr_slots), @tail) are stored; a
 * slot is reused (reserved again) only once every subscriber is past the
 * message in it, or, with KMSGQ_OPEN_OVERFLOW_DROP, once the subscribers
 * that were not have been moved past it.  Everything but @sub_of and
 * @pub_of is protected by the queue's lock.
 */
struct kmsgq_fanout {
	u32 nr_slots;
	u32 mask;
	u32 slot_size;
	u64 reserve;
	u64 tail;
	u64 floor;
	unsigned long gen;
	u64 last_id;
	u32 nr_subs;
	struct list_head subs;
	struct xarray sub_of;
	struct xarray pub_of;
	u64 *seq;
	u32 *len;
	u8 *data;
	struct kmsgq_fanout_map *map;
	size_t map_size;
	bool inplace;
};

#define KMSGQ_FANOUT_PENDING	U32_MAX
#define KMSGQ_FANOUT_HOLE	(U32_MAX - 1)

int kmsgq_fanout_init(struct kmsgq_fanout *f, u32 nr_slots, u32 slot_size,
		      bool map, bool inplace);
void kmsgq_fanout_destroy(struct kmsgq_fanout *f);
size_t kmsgq_fanout_bytes(u32 nr_slots, u32 slot_size);
size_t kmsgq_fanout_map_bytes(u32 nr_slots, u32 slot_size, bool inplace);

struct file;
struct iov_iter;
struct seq_file;
struct vm_area_struct;
struct kmsgq_ns;
struct kmsgq_notify_reg;

/**
 * struct kmsgq_sender - who queued a message (sender.c)
 * @pid: the sending thread group (counted), or NULL: no record
 * @uid: its real uid when it sent
 * @gid: its real gid when it sent
 * @pos: on a ring, the position the record is for
 * @flags: KMSGQ_SENDER_KERNEL or KMSGQ_SENDER_MAPPER
 */
struct kmsgq_sender {
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	u32 pos;
	u32 flags;
};

/**
 * struct kmsgq_queue - a named message queue
 * @ref: one for the name while linked, one per bound file
 * @lock: protects @store, and @mode, @uid and @gid against a reader without
 *	the registry mutex (GETATTR); never held across a
 *	user copy or a sleep
 * @store: messages of a copy queue
 * @ring: messages of a ring queue
 * @fan: messages and subscribers of a fan-out queue
 * @is_ring: which of the two this queue uses; fixed at creation
 * @is_fanout: the queue uses @fan instead (KMSGQ_OPEN_FANOUT); fixed at
 *	creation
 * @found: an open other than the creating one has found the queue by its
 *	name; protected by the registry mutex
 * @overflow: KMSGQ_OPEN_OVERFLOW_FAIL, KMSGQ_OPEN_OVERFLOW_DROP or 0 (a
 *	full queue makes senders wait); fixed at creation
 * @recv_wq: receivers (exclusive) and pollers waiting for a message
 * @send_wq: senders (exclusive) and pollers waiting for room
 * @max_msgs: depth
 * @max_msgsize: largest message
 * @mode: permission bits
 * @uid: owner
 * @gid: group
 * @kns: the IPC namespace whose names hold the queue, NULL once unlinked;
 *	protected by the registry mutex
 * @ipc_user_ns: the user namespace owning that IPC namespace, where the
 *	capabilities over the queue count, named or not (counted reference)
 * @charge_ns: user namespace of the creator, where its charge starts
 *	(counted reference)
 * @charge_uid: real uid of the creator: with the owners of @charge_ns and
 *	its ancestors, the accounts charged for the storage
 * @charge: bytes charged to each of those accounts
 * @msgs_sent: messages queued through the kernel
 * @msgs_recv: messages taken through the kernel
 * @bytes_sent: payload bytes queued through the kernel
 * @bytes_recv: payload bytes taken through the kernel
 * @msgs_lost: messages discarded to make room (KMSGQ_OPEN_OVERFLOW_DROP)
 * @send_waiters: tasks sleeping in a send
 * @recv_waiters: tasks sleeping in a receive
 * @mappings: live mappings of the ring
 * @owners: a reclaiming ring's claimant tokens (kmsgq_ring_info.owner),
 *	each mapped to the struct file it was given to, which is never
 *	dereferenced; an entry lives until that file's release
 * @owner_of: the same the other way: kmsgq_queue_file_index() of a file
 *	to its token, as an xarray value
 * @owners_lock: serialises giving, looking up and taking back tokens, and
 *	so a file's reclaim with the reuse of its token
 * @senders: who queued the message in each slot (KMSGQ_OPEN_SENDER), or
 *	NULL; protected by @lock
 * @mapper: who first mapped the ring writable (KMSGQ_OPEN_SENDER);
 *	protected by @lock
 * @mappers_many: another has since: in-place messages are of unknown
 *	sender; protected by @lock
 * @notify: the process registered by KMSGQ_IOC_NOTIFY, or NULL; protected
 *	by @lock
 * @node: link in the name table; protected by the registry mutex
 * @all: link in the list of named queues, in @id order; protected by the
 *	registry mutex
 * @id: creation number, for KMSGQ_IOC_LIST and tracing
 * @name: NUL-terminated name
 */
struct kmsgq_queue {
	struct kref ref;
	spinlock_t lock;	/* protects store */
	struct kmsgq_store store;
	struct kmsgq_ring ring;
	struct kmsgq_fanout fan;
	bool is_ring;
	bool is_fanout;
	bool found;
	u32 overflow;
	wait_queue_head_t recv_wq;
	wait_queue_head_t send_wq;
	u32 max_msgs;
	u32 max_msgsize;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	struct kmsgq_ns *kns;
	struct user_namespace *ipc_user_ns;
	struct user_namespace *charge_ns;
	kuid_t charge_uid;
	size_t charge;
	atomic64_t msgs_sent;
	atomic64_t msgs_recv;
	atomic64_t bytes_sent;
	atomic64_t bytes_recv;
	atomic64_t msgs_lost;
	atomic_t send_waiters;
	atomic_t recv_waiters;
	atomic_t mappings;
	struct xarray owners;
	struct xarray owner_of;
	struct mutex owners_lock;	/* one token per file */
	struct kmsgq_sender *senders;
	struct kmsgq_sender mapper;
	bool mappers_many;
	struct kmsgq_notify_reg *notify;
	struct hlist_node node;
	struct list_head all;
	u64 id;
	char name[KMSGQ_NAME_MAX];
};

/**
 * struct kmsgq_kmsg - one message of a send or receive, as the kernel sees it
 * @buf: user payload address
 * @len: payload length (send) or buffer size (receive)
 * @prio: priority (send)
 * @umsg: the caller's struct kmsgq_msg to update on receive, or NULL
 * @usender: the caller's struct kmsgq_msg_sender to fill on receive, or
 *	NULL (no KMSGQ_XFER_SENDER)
 */
struct kmsgq_kmsg {
	void __user *buf;
	u32 len;
	u32 prio;
	struct kmsgq_msg __user *umsg;
	struct kmsgq_msg_sender __user *usender;
};

/**
 * struct kmsgq_deadline - how long a send or receive may sleep
 * @nonblock: never sleep
 * @timed: sleep at most until @expires on @clockid
 * @restart: a signal may restart the call (no relative timeout)
 * @full_fails: a send to a full queue fails rather than sleep
 *	(KMSGQ_OPEN_OVERFLOW_FAIL); one that lost a race for room retries
 * @clockid: CLOCK_MONOTONIC or CLOCK_REALTIME
 * @expires: absolute deadline
 */
struct kmsgq_deadline {
	bool nonblock;
	bool timed;
	bool restart;
	bool full_fails;
	clockid_t clockid;
	ktime_t expires;
};

/* Now, on a deadline's clock (CLOCK_MONOTONIC or CLOCK_REALTIME). */
static inline ktime_t kmsgq_clock_now(clockid_t clockid)
{
	return clockid == CLOCK_REALTIME ? ktime_get_real() : ktime_get();
}

/*
 * Whether @xa holds an entry: a WARN when freeing must not use xa_empty(),
 * which is false too for the empty nodes a failed xa_store() may leave
 * behind (xa_destroy() frees them).
 */
static inline bool kmsgq_xa_has_entries(struct xarray *xa)
{
	unsigned long index = 0;

	return xa_find(xa, &index, ULONG_MAX, XA_PRESENT);
}

/* Module parameters (main.c). */
extern unsigned int kmsgq_max_queues;
extern unsigned int kmsgq_max_msgs;
extern unsigned int kmsgq_max_msgsize;
extern unsigned int kmsgq_default_msgs;
extern unsigned int kmsgq_default_msgsize;
extern unsigned long kmsgq_user_bytes_max;
extern unsigned int kmsgq_user_queues_max;
extern unsigned int kmsgq_max_subscribers;
extern unsigned int kmsgq_max_subscribers_per_user;

#define KMSGQ_MSGSIZE_HARD_MAX	(4U * 1024 * 1024)
#define KMSGQ_MSGS_HARD_MAX	65536U
/*
 * The most subscribers a fan-out queue may have, whatever max_subscribers
 * says: publishers, pollers and parked io_uring sends walk them all under
 * the queue's lock when the cached floor shows no room.
 */
#define KMSGQ_SUBSCRIBERS_HARD_MAX	4096U

/* registry.c */
int kmsgq_registry_check_name(const char *name, size_t size);
struct kmsgq_queue *kmsgq_registry_open(const struct kmsgq_open *op,
					fmode_t fmode, bool *created);
void kmsgq_registry_unlink_created(struct kmsgq_queue *q);
int kmsgq_registry_unlink(const char *name);
void kmsgq_registry_put(struct kmsgq_queue *q);
bool kmsgq_registry_owner_or_cap(struct kmsgq_queue *q);
void kmsgq_registry_assert_unlocked(void);
void kmsgq_registry_unlink_all(void);
int kmsgq_registry_setowner(const struct kmsgq_setowner *so);
void kmsgq_registry_show(struct seq_file *m);
unsigned int kmsgq_registry_list(u64 *cursor, struct kmsgq_queue_entry *ents,
				 unsigned int nr);

/* queue.c */
struct kmsgq_queue *kmsgq_queue_alloc(u32 qflags, u32 msgs, u32 msgsize);
void kmsgq_queue_free(struct kmsgq_queue *q);
int kmsgq_queue_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
		     unsigned int nr, struct kmsgq_deadline *dl);
int kmsgq_queue_recv(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_kmsg *msgs, unsigned int nr,
		     struct kmsgq_deadline *dl);
int kmsgq_queue_peek(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_kmsg *m, u32 index, struct kmsgq_deadline *dl);
ssize_t kmsgq_queue_send_iter(struct kmsgq_queue *q, struct iov_iter *from,
			      struct kmsgq_deadline *dl);
ssize_t kmsgq_queue_recv_iter(struct kmsgq_queue *q,
			      struct kmsgq_fanout_sub *sub, struct iov_iter *to,
			      struct kmsgq_deadline *dl);
u32 kmsgq_queue_count(struct kmsgq_queue *q);
u32 kmsgq_queue_qflags(const struct kmsgq_queue *q);
__poll_t kmsgq_queue_poll_mask(struct kmsgq_queue *q,
			       struct kmsgq_fanout_sub *sub, __poll_t wanted,
			       bool queued);
/* queue.c's pieces of a send or receive, for fanout.c */
unsigned long kmsgq_queue_file_index(const struct file *file);
void kmsgq_queue_init_wait(struct wait_queue_entry *entry);
int kmsgq_queue_sleep(struct kmsgq_queue *q, u32 events,
		      struct kmsgq_deadline *dl, bool *expired);
int kmsgq_queue_wait(struct kmsgq_queue *q, struct wait_queue_head *wq,
		     bool (*ready)(struct kmsgq_queue *q),
		     atomic_t *waiters, u32 ring_bit,
		     struct kmsgq_deadline *dl);
void kmsgq_queue_wake(struct kmsgq_queue *q, bool recv, int nr);
int kmsgq_queue_retry(struct kmsgq_deadline *dl, unsigned int *lost);
bool kmsgq_queue_msg_ok(struct kmsgq_queue *q, const struct kmsgq_kmsg *m);
void kmsgq_queue_account(atomic64_t *msgs, atomic64_t *bytes,
			 unsigned int n, u64 len);
bool kmsgq_queue_fault_in(const struct kmsgq_kmsg *m, struct iov_iter *iter);

/**
 * kmsgq_queue_copy_in() - copy a message's payload from its sender
 * @dst: where to
 * @m: the message, whose @buf is the payload unless @iter is given
 * @iter: the payload of a write_iter call, or NULL
 *
 * Always inlined, as kmsgq_queue_copy_out(): a failed copy's first kmsgq
 * frame is its caller, which fault injection tells the copies apart by.
 *
 * Return: 0, or -EFAULT.
 */
static __always_inline int
kmsgq_queue_copy_in(void *dst, const struct kmsgq_kmsg *m, struct iov_iter *iter)
{
	if (iter)
		return copy_from_iter_full(dst, m->len, iter) ? 0 : -EFAULT;
	return copy_from_user(dst, m->buf, m->len) ? -EFAULT : 0;
}

/**
 * kmsgq_queue_copy_out() - copy a payload out to a receiver's buffer
 * @m: the message, whose @buf is the buffer unless @iter is given
 * @iter: the buffer of a read_iter call, or NULL
 * @src: the payload
 * @len: its length
 *
 * Return: 0, or -EFAULT with @iter as it was.
 */
static __always_inline int
kmsgq_queue_copy_out(const struct kmsgq_kmsg *m, struct iov_iter *iter,
		     const void *src, u32 len)
{
	size_t copied;

	if (!iter)
		return copy_to_user(m->buf, src, len) ? -EFAULT : 0;
	copied = copy_to_iter(src, len, iter);
	if (copied == len)
		return 0;
	iov_iter_revert(iter, copied);
	return -EFAULT;
}

/**
 * kmsgq_queue_result_out() - write a received message's length and priority
 * @m: the message; an ioctl's entry (@m->umsg) gets them, a read_iter
 *	call has none
 * @len: its length
 * @prio: its priority
 *
 * Both in one user access window: a batch writes them for every message.
 *
 * Return: 0, or -EFAULT.
 */
static __always_inline int
kmsgq_queue_result_out(const struct kmsgq_kmsg *m, u32 len, u32 prio)
{
	struct kmsgq_msg __user *u = m->umsg;

	if (!u)
		return 0;
	if (!user_write_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_put_user(len, &u->len, fault);
	unsafe_put_user(prio, &u->prio, fault);
	user_write_access_end();
	return 0;
fault:
	user_write_access_end();
	return -EFAULT;
}

/* fanout.c */
int kmsgq_fanout_subscribe(struct kmsgq_queue *q, struct file *file,
			   u32 history);
void kmsgq_fanout_unsubscribe(struct kmsgq_queue *q, struct file *file);
struct kmsgq_fanout_sub *kmsgq_fanout_sub(struct kmsgq_queue *q,
					  struct file *file);
int kmsgq_fanout_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
		      unsigned int nr, struct iov_iter *iter,
		      struct kmsgq_deadline *dl);
int kmsgq_fanout_recv(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		      struct kmsgq_kmsg *msgs, unsigned int nr,
		      struct iov_iter *iter, struct kmsgq_deadline *dl);
int kmsgq_fanout_peek(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		      struct kmsgq_kmsg *m, u32 index,
		      struct kmsgq_deadline *dl);
bool kmsgq_fanout_readable(struct kmsgq_queue *q,
			   struct kmsgq_fanout_sub *sub);
bool kmsgq_fanout_ready(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			bool send, u32 index);
bool kmsgq_fanout_writable(struct kmsgq_queue *q);
unsigned long kmsgq_fanout_gen(struct kmsgq_queue *q);
u32 kmsgq_fanout_count(struct kmsgq_queue *q);
int kmsgq_fanout_lost_report(struct kmsgq_queue *q,
			     struct kmsgq_fanout_sub *sub, u32 flags,
			     u64 __user *to, int ret);
unsigned int kmsgq_fanout_subscribers(struct kmsgq_queue *q,
				      struct kmsgq_fanout_sub *self,
				      u64 *cursor,
				      struct kmsgq_subscriber *ents,
				      unsigned int nr, u32 *total, bool pids);
u32 kmsgq_fanout_nr_subs(struct kmsgq_queue *q);
int kmsgq_fanout_ack(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_fanout_ack *ack, struct kmsgq_deadline *dl);
u32 kmsgq_fanout_reserve(struct kmsgq_queue *q, u32 want, u64 *first,
			 u32 *was);
void kmsgq_fanout_clear(struct kmsgq_fanout *f, u32 slot, u32 len, u32 was);
u64 kmsgq_fanout_commit_batch(struct kmsgq_queue *q, u64 first, u32 n,
			      const u32 *lens);
void kmsgq_fanout_wake(struct kmsgq_queue *q, u64 committed);
void kmsgq_fanout_stats(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			struct kmsgq_stats *st);

/* inplace.c */
int kmsgq_inplace_bind(struct kmsgq_queue *q, struct file *file);
void kmsgq_inplace_release(struct kmsgq_queue *q, struct file *file);
int kmsgq_inplace_publish(struct kmsgq_queue *q, struct file *file,
			  struct kmsgq_fanout_publish *p,
			  struct kmsgq_deadline *dl, bool *told);
void kmsgq_queue_ring_wake(struct kmsgq_queue *q, u32 events);
int kmsgq_queue_ring_owner(struct kmsgq_queue *q, struct file *file,
			   bool give, u32 *owner);
void kmsgq_queue_ring_reclaim(struct kmsgq_queue *q, struct file *file);
void kmsgq_queue_ring_unmapped(struct kmsgq_queue *q);
int kmsgq_queue_ring_wait(struct kmsgq_queue *q, u32 events, bool waker,
			  struct kmsgq_deadline *dl);
bool kmsgq_queue_xfer_ready(struct kmsgq_queue *q, bool send, bool peek,
			    u32 index);

/* notify.c */
int kmsgq_notify_check(const struct kmsgq_notify *n);

int kmsgq_notify_register(struct kmsgq_queue *q, const struct kmsgq_notify *n);
bool kmsgq_notify_remove(struct kmsgq_queue *q);
struct kmsgq_notify_reg *kmsgq_notify_fire(struct kmsgq_queue *q);
void kmsgq_notify_leftover(struct kmsgq_queue *q);
void kmsgq_notify_release(struct kmsgq_notify_reg *reg);
void kmsgq_notify_destroy(struct kmsgq_queue *q);

/* sender.c */
int kmsgq_sender_init(struct kmsgq_queue *q);
void kmsgq_sender_destroy(struct kmsgq_queue *q);
void kmsgq_sender_set(struct kmsgq_queue *q, u32 slot, u32 pos);
void kmsgq_sender_clear(struct kmsgq_queue *q, u32 slot, u32 pos);
void kmsgq_sender_ring(struct kmsgq_queue *q, u32 pos, bool sent);
void kmsgq_sender_mapped(struct kmsgq_queue *q);
void kmsgq_sender_inherited(struct kmsgq_queue *q);
void kmsgq_sender_get(struct kmsgq_queue *q, u32 slot, u32 pos,
		      struct kmsgq_sender *out);
int kmsgq_sender_copy_out(struct kmsgq_sender *from,
			  struct kmsgq_msg_sender __user *u);

/*
 * Record the current task as the sender of the message in @slot (a ring's:
 * at @pos), or forget it once taken, on a queue that records senders.
 * Context: q->lock held.
 */
static inline void kmsgq_sender_record(struct kmsgq_queue *q, u32 slot,
				       u32 pos)
{
	if (unlikely(q->senders))
		kmsgq_sender_set(q, slot, pos);
}

static inline void kmsgq_sender_forget(struct kmsgq_queue *q, u32 slot,
				       u32 pos)
{
	if (unlikely(q->senders))
		kmsgq_sender_clear(q, slot, pos);
}

/* The same for a ring message at @pos.  Context: takes q->lock. */
static inline void kmsgq_sender_ring_sent(struct kmsgq_queue *q, u32 pos)
{
	if (unlikely(q->senders))
		kmsgq_sender_ring(q, pos, true);
}

static inline void kmsgq_sender_ring_taken(struct kmsgq_queue *q, u32 pos)
{
	if (unlikely(q->senders))
		kmsgq_sender_ring(q, pos, false);
}

/* ioctl.c, mmap.c */
long kmsgq_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
struct kmsgq_queue *kmsgq_ioctl_xfer_prep(struct file *file,
					  const void __user *uarg, bool send,
					  struct kmsgq_xfer *x,
					  struct kmsgq_deadline *dl);
int kmsgq_ioctl_xfer_run(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			 const struct kmsgq_xfer *x, bool send,
			 struct kmsgq_deadline *dl);
int kmsgq_mmap(struct file *file, struct vm_area_struct *vma);

/* uring.c: built where Kbuild found the cancellation hook (compat.h) */
struct io_uring_cmd;
int kmsgq_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

/* file.c */
struct kmsgq_queue *kmsgq_file_queue(struct file *file);
int kmsgq_file_bind_begin(struct file *file);
void kmsgq_file_bind_end(struct file *file, struct kmsgq_queue *q);
extern const struct file_operations kmsgq_file_ops;

#endif /* _KMSGQ_INTERNAL_H */
