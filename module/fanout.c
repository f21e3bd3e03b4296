// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq fanout: fan-out queues (KMSGQ_OPEN_FANOUT), where every subscriber
 * receives every message.
 *
 * The store is a circle of slots, all allocated at creation: message
 * number n (a u64 that never wraps) is in slot n & mask.  Publishers
 * reserve numbers under the queue's lock, fill their slots unlocked and
 * commit them under it again, in any order; the tail moves over the
 * committed prefix.  A subscriber is a file bound with read access; its
 * position, the number of the next message it receives, is kernel state
 * found from the file.  A slot is reserved again only once every
 * subscriber is past the message in it (the floor): the slowest subscriber
 * frees it.  With KMSGQ_OPEN_OVERFLOW_DROP a publisher instead moves the
 * subscribers that are a whole depth behind past the messages it needs the
 * slots of, and they count them lost.
 *
 * A subscriber copies a payload out unlocked and keeps the copy only if,
 * under the lock again, nobody moved its position and no publisher has
 * reserved the slot since: then the slot was not written during the copy.
 * Without DROP the check fails only for a second thread receiving on the
 * same file, as a slot is not reserved again while a subscriber's
 * position is at or before it.
 *
 * In-place publishers (inplace.c) reserve and commit through the same
 * kmsgq_fanout_reserve() and kmsgq_fanout_commit_batch(), and fill their slots
 * through a mapping between the two calls instead of a copy.
 *
 * Locking: q->lock protects everything here but the xarray of subscribers
 * (its own lock, at bind and release only); it is never held across a
 * user copy or a sleep, and never nests with a wait queue's lock.
 * Wakeups: subscribers sleep non-exclusively on
 * q->recv_wq, so one wake call after a publish wakes them all; publishers
 * sleep exclusively on q->send_wq (kmsgq_queue_wait()), and a subscriber
 * that leaves the floor wakes as many as it read messages.  A publisher
 * about to sleep for room recomputes the floor after queueing itself, so
 * the subscriber that then moves from it sees it asleep.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>

/* The mapped store's 64-bit words must never be seen torn by user space. */
#ifndef CONFIG_64BIT
#error "kmsgq: fan-out queues publish 64-bit words to user space: 64-bit kernels only"
#endif

#include "internal.h"

/* Copies of one message that may fault after faulting it in. */
#define KMSGQ_FANOUT_FAULT_TRIES	4

/* Messages an acknowledgment passes, and reads the length of, per lock. */
#define KMSGQ_FANOUT_ACK_WALK		256

/**
 * kmsgq_fanout_bytes() - memory a fan-out store of this shape takes
 * @nr_slots: depth
 * @slot_size: bytes per slot
 *
 * Return: bytes, or SIZE_MAX on overflow.
 */
size_t kmsgq_fanout_bytes(u32 nr_slots, u32 slot_size)
{
	return size_mul(nr_slots, size_add(sizeof(u64) + sizeof(u32),
					   slot_size));
}

/* The mapping's layout: its head, then seq[], len[], and cache-line slots. */
static size_t kmsgq_fanout_map_len_off(u32 nr_slots)
{
	return sizeof(struct kmsgq_fanout_map) + (size_t)nr_slots * sizeof(u64);
}

/* In-place publishers map the payloads alone: from a page boundary. */
static size_t kmsgq_fanout_map_data_off(u32 nr_slots, bool inplace)
{
	return ALIGN(kmsgq_fanout_map_len_off(nr_slots) +
		     (size_t)nr_slots * sizeof(u32),
		     inplace ? PAGE_SIZE : SMP_CACHE_BYTES);
}

/**
 * kmsgq_fanout_map_bytes() - memory a mappable fan-out store of this shape
 *	takes
 * @nr_slots: depth, at most KMSGQ_MSGS_HARD_MAX
 * @slot_size: bytes per slot
 * @inplace: publishers map the payloads (KMSGQ_OPEN_INPLACE)
 *
 * Return: bytes, whole pages, or SIZE_MAX on overflow.
 */
size_t kmsgq_fanout_map_bytes(u32 nr_slots, u32 slot_size, bool inplace)
{
	size_t n = size_add(kmsgq_fanout_map_data_off(nr_slots, inplace),
			    size_mul(nr_slots, slot_size));

	return n > SIZE_MAX - PAGE_SIZE ? SIZE_MAX : PAGE_ALIGN(n);
}

/*
 * Allocate a mappable store: the head user space reads the layout and the
 * tail from, then the arrays, all in one area subscribers map read-only.
 * Leaves @f->seq NULL if there is no memory.
 */
static void kmsgq_fanout_map_alloc(struct kmsgq_fanout *f, u32 nr_slots,
				   u32 slot_size, bool inplace)
{
	size_t bytes = kmsgq_fanout_map_bytes(nr_slots, slot_size, inplace);
	struct kmsgq_fanout_map *m;

	if (bytes == SIZE_MAX)
		return;
	/* Zeroed, and charged to the creator's memory cgroup. */
	m = __vmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!m)
		return;
	m->map_size = bytes;
	m->nr_slots = nr_slots;
	m->slot_size = slot_size;
	m->seq_off = sizeof(*m);
	m->len_off = kmsgq_fanout_map_len_off(nr_slots);
	m->data_off = kmsgq_fanout_map_data_off(nr_slots, inplace);
	f->map = m;
	f->map_size = bytes;
	f->seq = (void *)m + m->seq_off;
	f->len = (void *)m + m->len_off;
	f->data = (void *)m + m->data_off;
}

/**
 * kmsgq_fanout_init() - allocate an empty fan-out store
 * @f: store to set up
 * @nr_slots: depth, a power of two
 * @slot_size: bytes per slot
 * @map: in memory that subscribers may map (kmsgq_fanout_map_alloc())
 * @inplace: with @map, publishers may map the payloads too
 *	(KMSGQ_OPEN_INPLACE)
 *
 * Return: 0, -EINVAL (@nr_slots not a power of two) or -ENOMEM.
 */
int kmsgq_fanout_init(struct kmsgq_fanout *f, u32 nr_slots, u32 slot_size,
		      bool map, bool inplace)
{
	u32 i;

	memset(f, 0, sizeof(*f));
	INIT_LIST_HEAD(&f->subs);
	xa_init_flags(&f->sub_of, XA_FLAGS_ACCOUNT);
	xa_init_flags(&f->pub_of, XA_FLAGS_ACCOUNT);
	if (!is_power_of_2(nr_slots))
		return -EINVAL;
	f->inplace = map && inplace;
	if (map) {
		kmsgq_fanout_map_alloc(f, nr_slots, slot_size, f->inplace);
	} else {
		f->seq = kvmalloc_array(nr_slots, sizeof(*f->seq),
					GFP_KERNEL_ACCOUNT);
		f->len = kvmalloc_array(nr_slots, sizeof(*f->len),
					GFP_KERNEL_ACCOUNT);
		f->data = kvmalloc_array(nr_slots, slot_size,
					 GFP_KERNEL_ACCOUNT);
	}
	if (!f->seq || !f->len || !f->data) {
		kmsgq_fanout_destroy(f);
		return -ENOMEM;
	}
	f->nr_slots = nr_slots;
	f->mask = nr_slots - 1;
	f->slot_size = slot_size;
	/* Slot i last held message i - nr_slots: never, as reserve says. */
	for (i = 0; i < nr_slots; i++) {
		f->seq[i] = U64_MAX;
		f->len[i] = KMSGQ_FANOUT_HOLE;
	}
	return 0;
}

/**
 * kmsgq_fanout_destroy() - free a fan-out store's memory
 * @f: store, initialised or partly initialised, with no subscriber left
 */
void kmsgq_fanout_destroy(struct kmsgq_fanout *f)
{
	WARN_ON_ONCE(!list_empty(&f->subs) || kmsgq_xa_has_entries(&f->sub_of) ||
		     kmsgq_xa_has_entries(&f->pub_of));
	xa_destroy(&f->sub_of);
	xa_destroy(&f->pub_of);
	if (f->map) {
		vfree(f->map);
		f->map = NULL;
	} else {
		kvfree(f->data);
		kvfree(f->len);
		kvfree(f->seq);
	}
	f->data = NULL;
	f->len = NULL;
	f->seq = NULL;
}

/* The oldest message still stored (or being reserved over). */
static u64 kmsgq_fanout_oldest(const struct kmsgq_fanout *f)
{
	return f->reserve > f->nr_slots ? f->reserve - f->nr_slots : 0;
}

/* A change that may let a waiting transfer go on; its wakeup follows. */
static void kmsgq_fanout_changed(struct kmsgq_queue *q)
{
	lockdep_assert_held(&q->lock);
	WRITE_ONCE(q->fan.gen, q->fan.gen + 1);
}

/**
 * kmsgq_fanout_gen() - the count of changes that may let a transfer go on
 * @q: fan-out queue
 *
 * Read under @q->lock with a transfer's readiness (kmsgq_fanout_ready()),
 * and again after the transfer's wait entry is on its wait queue and a
 * full barrier: a different count means that a change came in between,
 * whose waker may have looked at the wait queue before the entry was on
 * it.  The waker moves the count under @q->lock, then looks for sleepers
 * (wq_has_sleeper(), a full barrier): one of the two sees the other.
 *
 * Return: the count, which only ever grows (and wraps).
 */
unsigned long kmsgq_fanout_gen(struct kmsgq_queue *q)
{
	return READ_ONCE(q->fan.gen);
}

/* Recompute the floor: the least of the tail and every position. */
static u64 kmsgq_fanout_floor(struct kmsgq_queue *q)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_fanout_sub *sub;
	u64 floor = f->tail;

	lockdep_assert_held(&q->lock);
	list_for_each_entry(sub, &f->subs, node)
		floor = min(floor, sub->pos);
	f->floor = floor;
	return floor;
}

/*
 * Slots a publisher may reserve now, at most @want: without DROP, those
 * every subscriber is past; with it, those no other publisher is still
 * filling (subscribers in the way are moved, kmsgq_fanout_drop()).
 */
static u32 kmsgq_fanout_room(struct kmsgq_queue *q, u32 want, bool drop)
{
	struct kmsgq_fanout *f = &q->fan;
	u64 limit = drop ? f->tail : f->floor;

	lockdep_assert_held(&q->lock);
	if (!drop && f->reserve + want - limit > f->nr_slots)
		limit = kmsgq_fanout_floor(q);
	return min_t(u64, want, limit + f->nr_slots - f->reserve);
}

/*
 * The messages numbered [@from, @to), holes being none, adding their
 * lengths (the kernel's, never the mapping's) to *@bytes.  The slots hold
 * those messages: every one of them is committed and not reused yet.
 */
static u64 kmsgq_fanout_tally(const struct kmsgq_fanout *f, u64 from, u64 to,
			      u64 *bytes)
{
	u64 n = 0;
	u32 len;

	for (; from < to; from++) {
		len = f->len[from & f->mask];
		if (len == KMSGQ_FANOUT_HOLE)
			continue;
		n++;
		*bytes += len;
	}
	return n;
}

/*
 * KMSGQ_OPEN_OVERFLOW_DROP: move every subscriber still before message
 * @target there, counting the messages it passes over (holes are none) as
 * lost to it.  Every message before @target is committed.
 */
static void kmsgq_fanout_drop(struct kmsgq_queue *q, u64 target)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_fanout_sub *sub;
	u64 total = 0, bytes = 0, n;

	lockdep_assert_held(&q->lock);
	/* The floor is never above the slowest: nobody is behind it. */
	if (f->floor >= target)
		return;
	list_for_each_entry(sub, &f->subs, node) {
		if (sub->pos >= target)
			continue;
		n = kmsgq_fanout_tally(f, sub->pos, target, &bytes);
		sub->pos = target;
		sub->lost += n;
		sub->lost_report += n;
		total += n;
	}
	/* Everyone is at @target or past it, and so is the tail. */
	f->floor = target;
	if (total)
		atomic64_add(total, &q->msgs_lost);
}

/**
 * kmsgq_fanout_ready() - may a send, receive or peek go on now
 * @q: fan-out queue
 * @sub: the subscriber of a receive or peek, or NULL (none: never)
 * @send: a send (else a receive, or a peek at @index)
 * @index: unread messages of @sub to pass over (a receive's is 0)
 *
 * What a sleeping transfer waits for.  For a send, the cached floor is
 * never above the true one, so room it shows is there; when it shows
 * none, the floor is recomputed, and a subscriber that then moves from
 * it sees the new value and wakes the publishers (kmsgq_fanout_recv()).
 * Walks the subscribers only then.  A receive is ready over a hole too,
 * which it steps over.
 *
 * Context: @q->lock held.  An io_uring command about to park asks it
 * with kmsgq_fanout_gen() (uring.c).
 * Return: true if the transfer would find room (with
 * KMSGQ_OPEN_OVERFLOW_DROP: a slot no other publisher is filling), or a
 * message (or hole) at @index.
 */
bool kmsgq_fanout_ready(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			bool send, u32 index)
{
	lockdep_assert_held(&q->lock);
	if (send)
		return kmsgq_fanout_room(q, 1, q->overflow ==
					 KMSGQ_OPEN_OVERFLOW_DROP);
	return sub && q->fan.tail - sub->pos > index;
}

/**
 * kmsgq_fanout_writable() - may a publisher reserve a slot now
 * @q: fan-out queue
 *
 * What a sleeping publisher waits for (kmsgq_queue_wait()), which asks it
 * after queueing itself: see kmsgq_fanout_ready().
 *
 * Context: takes @q->lock.
 * Return: true if a send would find room.
 */
bool kmsgq_fanout_writable(struct kmsgq_queue *q)
{
	bool ready;

	spin_lock(&q->lock);
	ready = kmsgq_fanout_ready(q, NULL, true, 0);
	spin_unlock(&q->lock);
	return ready;
}

/**
 * kmsgq_fanout_readable() - has a subscriber a message to receive
 * @q: fan-out queue
 * @sub: the subscriber, or NULL (a file without read access: never)
 *
 * Context: takes @q->lock.
 * Return: true if a receive would find a message (or a hole to skip).
 */
bool kmsgq_fanout_readable(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub)
{
	bool ready;

	if (!sub)
		return false;
	spin_lock(&q->lock);
	ready = kmsgq_fanout_ready(q, sub, false, 0);
	spin_unlock(&q->lock);
	return ready;
}

/**
 * kmsgq_fanout_count() - messages the slowest subscriber has not read
 * @q: fan-out queue
 *
 * Context: takes @q->lock.
 * Return: the count, 0 without subscribers.
 */
u32 kmsgq_fanout_count(struct kmsgq_queue *q)
{
	u64 n;

	spin_lock(&q->lock);
	n = q->fan.tail - kmsgq_fanout_floor(q);
	spin_unlock(&q->lock);
	return n;
}

static_assert(KMSGQ_FANOUT_PENDING == KMSGQ_FANOUT_LEN_PENDING);
static_assert(KMSGQ_FANOUT_HOLE == KMSGQ_FANOUT_LEN_HOLE);

/*
 * The slot's words as subscribers that map the store read them without
 * the lock (struct kmsgq_fanout_map): the new number before the pending
 * length, so that one who sees the length sees the number change too.
 */
static void kmsgq_fanout_map_reserve(struct kmsgq_fanout *f, u32 slot, u64 seq)
{
	WRITE_ONCE(f->seq[slot], seq);
	smp_wmb();	/* seq before len; pairs with the reader's smp_rmb() */
	WRITE_ONCE(f->len[slot], KMSGQ_FANOUT_PENDING);
}

/*
 * Slots reserved: their numbers are seen before the payloads copied into
 * them unlocked, and a mapping's head tells how far reservation got.
 */
static void kmsgq_fanout_map_reserved(struct kmsgq_fanout *f)
{
	smp_wmb();	/* seq and len before the payload */
	if (f->map)
		WRITE_ONCE(f->map->reserve, f->reserve);
}

/**
 * kmsgq_fanout_clear() - clear what a reserved slot's previous message left
 * @f: fan-out store
 * @slot: the slot, reserved by the caller and not committed yet
 * @len: the length of the message it will show (0 for a hole)
 * @was: the bytes written there before, from kmsgq_fanout_reserve()
 *
 * A mapped slot shows its message only: the bytes from @len up to @was,
 * what the slot's previous message or a faulted copy wrote there (perhaps
 * before a reader could map the queue), are cleared before the commit
 * shows the slot.  The store starts zeroed, and each slot's bytes past
 * its message stay so (a hole's: all of them), but for what in-place
 * publishers write there themselves.
 *
 * Context: any; the caller's reservation keeps other publishers out.
 */
void kmsgq_fanout_clear(struct kmsgq_fanout *f, u32 slot, u32 len, u32 was)
{
	was = min(was, f->slot_size);
	if (f->map && len < was)
		memset(f->data + (size_t)slot * f->slot_size + len, 0,
		       was - len);
}

/* The tail, to subscribers that map: after the slots below it. */
static void kmsgq_fanout_map_committed(struct kmsgq_fanout *f)
{
	if (f->map) /* slots before tail; pairs with the reader's acquire */
		smp_store_release(&f->map->tail, f->tail);
}

/* Commit reserved message @seq: @len bytes, or KMSGQ_FANOUT_HOLE. */
static void kmsgq_fanout_commit(struct kmsgq_queue *q, u64 seq, u32 len)
{
	struct kmsgq_fanout *f = &q->fan;
	u32 slot = seq & f->mask;

	lockdep_assert_held(&q->lock);
	WRITE_ONCE(f->len[slot], len);
	if (len != KMSGQ_FANOUT_HOLE)
		kmsgq_sender_record(q, slot, 0);
	while (f->tail < f->reserve &&
	       f->len[f->tail & f->mask] != KMSGQ_FANOUT_PENDING)
		f->tail++;
}

/**
 * kmsgq_fanout_commit_batch() - commit reserved messages
 * @q: fan-out queue
 * @first: the number of the first, reserved by the caller with the rest
 * @n: how many
 * @lens: their lengths, each at most the slot size, or KMSGQ_FANOUT_HOLE
 *
 * The tail moves over the committed prefix, and is published to
 * subscribers that map the store.
 *
 * Context: takes @q->lock.
 * Return: the messages (and holes) the tail moved over, for
 * kmsgq_fanout_wake() once the caller has counted what it sent.
 */
u64 kmsgq_fanout_commit_batch(struct kmsgq_queue *q, u64 first, u32 n,
			      const u32 *lens)
{
	struct kmsgq_fanout *f = &q->fan;
	u64 from, committed;
	u32 i;

	spin_lock(&q->lock);
	from = f->tail;
	for (i = 0; i < n; i++)
		kmsgq_fanout_commit(q, first + i, lens[i]);
	committed = f->tail - from;
	kmsgq_fanout_map_committed(f);
	if (committed)
		kmsgq_fanout_changed(q);
	spin_unlock(&q->lock);
	return committed;
}

/**
 * kmsgq_fanout_wake() - wake who waits for messages the tail moved over
 * @q: fan-out queue
 * @committed: what kmsgq_fanout_commit_batch() returned; 0: nobody
 *
 * Context: process context, without @q->lock.
 */
void kmsgq_fanout_wake(struct kmsgq_queue *q, u64 committed)
{
	if (!committed)
		return;
	/* One call wakes every subscriber: none waits exclusively. */
	kmsgq_queue_wake(q, true, 0);
	/*
	 * Publishers waiting for the slots this one was filling, or for room
	 * a reader made while the floor cached was stale (readers wake
	 * publishers only when they leave it).
	 */
	kmsgq_queue_wake(q, false, committed);
}

/**
 * kmsgq_fanout_reserve() - reserve slots for the next messages
 * @q: fan-out queue
 * @want: slots wanted, at most KMSGQ_FANOUT_RESERVE_MAX
 * @first: out: the number of the first message reserved
 * @was: out: per slot reserved, the bytes written there before, for
 *	kmsgq_fanout_clear()
 *
 * Without KMSGQ_OPEN_OVERFLOW_DROP only slots every subscriber is past;
 * with it, subscribers in the way are moved on, losing what they pass.
 * The slots show as pending to mapping readers, who wait at the first
 * until the caller commits it (kmsgq_fanout_commit_batch()).
 *
 * Context: @q->lock held.
 * Return: slots reserved, from *@first; 0 if none is free.
 */
u32 kmsgq_fanout_reserve(struct kmsgq_queue *q, u32 want, u64 *first,
			 u32 *was)
{
	bool drop = q->overflow == KMSGQ_OPEN_OVERFLOW_DROP;
	struct kmsgq_fanout *f = &q->fan;
	u32 taken, i;

	lockdep_assert_held(&q->lock);
	taken = kmsgq_fanout_room(q, want, drop);
	if (!taken)
		return 0;
	/* The slots taken held the messages before this number. */
	if (drop && f->reserve + taken > f->nr_slots)
		kmsgq_fanout_drop(q, f->reserve + taken - f->nr_slots);
	*first = f->reserve;
	for (i = 0; i < taken; i++) {
		u32 slot = (*first + i) & f->mask;

		/* Never used: zero from __GFP_ZERO, whatever len[] says. */
		was[i] = f->seq[slot] == U64_MAX ? 0 : f->len[slot];
		kmsgq_fanout_map_reserve(f, slot, *first + i);
		kmsgq_sender_forget(q, slot, 0);
	}
	f->reserve += taken;
	kmsgq_fanout_map_reserved(f);
	return taken;
}

/*
 * Publish up to @nr messages, as kmsgq_fanout_send(), with one try at
 * copying them: *@again if the first could not be copied without a page
 * fault (its slot became a hole, which every subscriber skips).
 */
static int kmsgq_fanout_publish(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
				unsigned int nr, struct iov_iter *iter,
				struct kmsgq_deadline *dl, bool *again)
{
	struct kmsgq_fanout *f = &q->fan;
	unsigned int valid = 0, taken, done, i;
	u32 was[KMSGQ_CHUNK], lens[KMSGQ_CHUNK];
	u64 first, committed;
	u64 bytes = 0;
	int err = 0;

	/*
	 * A reserved slot must be committed, and holds back every
	 * subscriber until it is: fault the payloads in first, and again
	 * after a sleep for room, in which they may have been paged out.
	 */
again:
	while (valid < nr && kmsgq_queue_msg_ok(q, &msgs[valid]) &&
	       kmsgq_queue_fault_in(&msgs[valid], iter))
		valid++;
	if (!valid)
		return -EFAULT;

	spin_lock(&q->lock);
	taken = kmsgq_fanout_reserve(q, valid, &first, was);
	if (!taken) {
		spin_unlock(&q->lock);
		err = kmsgq_queue_wait(q, &q->send_wq, kmsgq_fanout_writable,
				       &q->send_waiters, 0, dl);
		if (err)
			return err;
		valid = 0;
		goto again;
	}
	spin_unlock(&q->lock);

	/*
	 * Page faults disabled: a copy that would wait for the payload (a
	 * page reclaimed since it was faulted in, or one a FUSE server or
	 * userfaultfd holds up) must not hold back every subscriber.
	 */
	for (done = 0; done < taken; done++) {
		u32 slot = (first + done) & f->mask;

		pagefault_disable();
		err = kmsgq_queue_copy_in(f->data + (size_t)slot * f->slot_size,
					  &msgs[done], iter);
		pagefault_enable();
		if (err)
			break;
		kmsgq_fanout_clear(f, slot, msgs[done].len, was[done]);
		lens[done] = msgs[done].len;
		bytes += msgs[done].len;
	}
	/* Holes: the faulted copy wrote at most its length. */
	for (i = done; i < taken; i++) {
		kmsgq_fanout_clear(f, (first + i) & f->mask, 0,
				   max(was[i], i == done ? msgs[i].len : 0));
		lens[i] = KMSGQ_FANOUT_HOLE;
	}

	committed = kmsgq_fanout_commit_batch(q, first, taken, lens);

	kmsgq_queue_account(&q->msgs_sent, &q->bytes_sent, done, bytes);
	kmsgq_fanout_wake(q, committed);
	/* Faulted after the fault-in: the caller faults in and retries. */
	*again = !done && err == -EFAULT;
	return done ?: err;
}

/**
 * kmsgq_fanout_send() - publish up to @nr messages to every subscriber
 * @q: fan-out queue
 * @msgs: messages, at most KMSGQ_CHUNK; the first one valid
 * @nr: messages in @msgs
 * @iter: the payload of a write_iter call's one message, or NULL
 * @dl: how long the call may sleep for room for the first message
 *
 * Return: messages published, or -errno if the first could not be.
 */
int kmsgq_fanout_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
		      unsigned int nr, struct iov_iter *iter,
		      struct kmsgq_deadline *dl)
{
	unsigned int faults = 0;
	bool again;
	int ret;

	for (;;) {
		again = false;
		ret = kmsgq_fanout_publish(q, msgs, nr, iter, dl, &again);
		if (!again)
			return ret;
		/*
		 * Faulted in, yet the copy faults: paged out meanwhile, or
		 * a fault that faulting in cannot fix.  Only the first
		 * message again, so that few slots become holes, and not
		 * for ever: then it is an EFAULT.  kmsgq_queue_retry()
		 * counts the faults.
		 */
		if (faults == KMSGQ_FANOUT_FAULT_TRIES - 1)
			return -EFAULT;
		nr = 1;
		ret = kmsgq_queue_retry(dl, &faults);
		if (ret)
			return ret;
	}
}

/*
 * Sleep until @sub has a message at @index of its unread ones, a signal,
 * or the deadline.  Not exclusive: one publish wakes every subscriber.
 * A peeker (@index from a peek) is not counted as a waiting receiver.
 */
static int kmsgq_fanout_wait(struct kmsgq_queue *q,
			     struct kmsgq_fanout_sub *sub, u32 index,
			     bool peek, struct kmsgq_deadline *dl)
{
	struct wait_queue_entry wait;
	bool expired = false;
	bool ready;
	int ret;

	if (dl->nonblock)
		return -EAGAIN;
	kmsgq_queue_init_wait(&wait);
	if (!peek)
		atomic_inc(&q->recv_waiters);
	for (;;) {
		prepare_to_wait(&q->recv_wq, &wait, TASK_INTERRUPTIBLE);
		spin_lock(&q->lock);
		ready = kmsgq_fanout_ready(q, sub, false, index);
		spin_unlock(&q->lock);
		if (ready) {
			ret = 0;
			break;
		}
		ret = kmsgq_queue_sleep(q, KMSGQ_RING_READABLE, dl, &expired);
		if (ret)
			break;
	}
	finish_wait(&q->recv_wq, &wait);
	if (!peek)
		atomic_dec(&q->recv_waiters);
	return ret;
}

/*
 * Copy message @seq (in @slot, @len bytes) out to @m, with who sent it
 * (@from, a counted record, dropped here).  0 or -EFAULT.
 */
static int kmsgq_fanout_copy_out(struct kmsgq_queue *q, struct kmsgq_kmsg *m,
				 struct iov_iter *iter, u32 slot, u32 len,
				 struct kmsgq_sender *from)
{
	struct kmsgq_fanout *f = &q->fan;
	int err;

	err = kmsgq_queue_copy_out(m, iter,
				   f->data + (size_t)slot * f->slot_size, len);
	if (!err && kmsgq_queue_result_out(m, len, 0))
		err = -EFAULT;
	if (!err && m->usender && kmsgq_sender_copy_out(from, m->usender))
		err = -EFAULT;
	put_pid(from->pid);
	from->pid = NULL;
	return err;
}

/**
 * kmsgq_fanout_recv() - receive up to @nr messages as a subscriber
 * @q: fan-out queue
 * @sub: the receiving file's subscriber, or NULL (-EBADF)
 * @msgs: buffers, at most KMSGQ_CHUNK; length and priority (0) filled in
 * @nr: buffers in @msgs, at least 1
 * @iter: the buffer of a read_iter call's one message, or NULL
 * @dl: how long the call may sleep for the first message
 *
 * Return: messages received, or -errno if the first could not be:
 * -EAGAIN, -ETIMEDOUT, -EINTR, -ERESTARTSYS, -EFAULT, or -EMSGSIZE with
 * the length needed written back (the message stays unread).
 */
int kmsgq_fanout_recv(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		      struct kmsgq_kmsg *msgs, unsigned int nr,
		      struct iov_iter *iter, struct kmsgq_deadline *dl)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_sender from = {};
	unsigned int done = 0, moved = 0, lapped = 0;
	bool at_floor = false;
	u32 slot, len, needed = 0;
	u64 bytes = 0, seq;
	int err = 0;

	if (!sub)
		return -EBADF;
	spin_lock(&q->lock);
	while (done < nr) {
		struct kmsgq_kmsg *m = &msgs[done];

		if (sub->pos == f->tail) {
			if (done)
				break;
			spin_unlock(&q->lock);
			err = kmsgq_fanout_wait(q, sub, 0, false, dl);
			spin_lock(&q->lock);
			if (err)
				break;
			continue;
		}
		seq = sub->pos;
		slot = seq & f->mask;
		len = f->len[slot];
		if (len == KMSGQ_FANOUT_HOLE) {
			at_floor |= seq == f->floor;
			sub->pos++;
			moved++;
			continue;
		}
		if (len > m->len) {
			if (!done) {
				needed = len;
				err = -EMSGSIZE;
			}
			break;
		}
		if (m->usender)
			kmsgq_sender_get(q, slot, 0, &from);
		spin_unlock(&q->lock);

		err = kmsgq_fanout_copy_out(q, m, iter, slot, len, &from);
		spin_lock(&q->lock);
		if (err)
			break;
		if (sub->pos != seq || f->seq[slot] != seq) {
			/*
			 * Overwritten or taken meanwhile: look again, but
			 * not past a signal or the deadline, however often
			 * publishers lap this subscriber.
			 */
			if (iter)
				iov_iter_revert(iter, len);
			if (done)
				break;
			spin_unlock(&q->lock);
			err = kmsgq_queue_retry(dl, &lapped);
			spin_lock(&q->lock);
			if (err)
				break;
			continue;
		}
		/*
		 * Looked at when the position moves, under the lock that a
		 * publisher about to sleep recomputes the floor under: it
		 * either saw this position, and then this sees its floor, or
		 * it sees the new one.
		 */
		at_floor |= seq == f->floor;
		sub->pos++;
		moved++;
		m->len = len;
		m->prio = 0;
		bytes += len;
		done++;
	}
	if (at_floor && moved)
		kmsgq_fanout_changed(q);
	spin_unlock(&q->lock);

	kmsgq_queue_account(&q->msgs_recv, &q->bytes_recv, done, bytes);
	/* The slowest moved on: slots are free for as many publishers. */
	if (at_floor && moved)
		kmsgq_queue_wake(q, false, moved);
	if (err == -EMSGSIZE && msgs[0].umsg &&
	    put_user(needed, &msgs[0].umsg->len))
		err = -EFAULT;
	return done ?: err;
}

/**
 * kmsgq_fanout_peek() - copy out a subscriber's unread message, leaving it
 * @q: fan-out queue
 * @sub: the peeking file's subscriber, or NULL (-EBADF)
 * @m: buffer; its caller's struct kmsgq_msg gets the length and priority
 * @index: unread messages to pass over
 * @dl: how long the call may sleep for a message at @index
 *
 * Slots that carry no message count as messages here.  A message
 * overwritten during the copy (KMSGQ_OPEN_OVERFLOW_DROP) is looked for
 * again.
 *
 * Return: 1, or -errno as kmsgq_queue_peek().
 */
int kmsgq_fanout_peek(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		      struct kmsgq_kmsg *m, u32 index,
		      struct kmsgq_deadline *dl)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_sender from = {};
	unsigned int lapped = 0;
	u32 slot, len;
	bool whole;
	u64 seq;
	int err;

	if (!sub)
		return -EBADF;
	for (;;) {
		spin_lock(&q->lock);
		if (f->tail - sub->pos <= index) {
			spin_unlock(&q->lock);
			err = kmsgq_fanout_wait(q, sub, index, true, dl);
			if (err)
				return err;
			continue;
		}
		seq = sub->pos + index;
		slot = seq & f->mask;
		len = f->len[slot];
		if (len == KMSGQ_FANOUT_HOLE)
			len = 0;
		if (len > m->len) {
			spin_unlock(&q->lock);
			return put_user(len, &m->umsg->len) ? -EFAULT :
			       -EMSGSIZE;
		}
		if (m->usender)
			kmsgq_sender_get(q, slot, 0, &from);
		spin_unlock(&q->lock);

		err = kmsgq_fanout_copy_out(q, m, NULL, slot, len, &from);
		if (err)
			return err;
		spin_lock(&q->lock);
		whole = f->seq[slot] == seq;
		spin_unlock(&q->lock);
		if (whole)
			return 1;
		err = kmsgq_queue_retry(dl, &lapped);
		if (err)
			return err;
	}
}

/**
 * kmsgq_fanout_sub() - the subscriber a file is
 * @q: the queue the file is bound to
 * @file: the file, held by the caller
 *
 * Return: the subscriber, or NULL if @q is not a fan-out queue or the
 * file has no read access.  It lives until the file's release.
 */
struct kmsgq_fanout_sub *kmsgq_fanout_sub(struct kmsgq_queue *q,
					  struct file *file)
{
	if (!q->is_fanout)
		return NULL;
	return xa_load(&q->fan.sub_of, kmsgq_queue_file_index(file));
}

/*
 * The account a subscriber with @cred takes a share of a queue from, as
 * well as its fsuid's: the owner of the outermost user namespace it is in
 * below the initial one, or in the initial one its fsuid.  However many
 * ids a user namespace maps, they share its owner's account, as their
 * queues' storage is (registry.c).  A namespace root made (a container's:
 * docker's userns-remap, LXD, systemd-nspawn -U) is a tenant of its own,
 * whose ids root gave it: its account is the id its root maps to (one
 * without a root shares root's, as before).
 */
static kuid_t kmsgq_fanout_account(const struct cred *cred)
{
	struct user_namespace *ns = cred->user_ns;
	kuid_t root;

	if (ns == &init_user_ns)
		return cred->fsuid;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
		return ns->owner;
	root = make_kuid(ns, 0);
	return uid_valid(root) ? root : ns->owner;
}

/*
 * Whether @sub, not bound yet, would take more than a share of @q's
 * subscribers (kmsgq_max_subscribers_per_user): its user or its account
 * has that many already, or the subscribers not @q's owner's would leave
 * the owner less than a share of the @most @q may have.  The owner is not
 * held to a share: it may change the mode or unlink the queue anyway; its
 * subscribers count towards no share.  The shares keep readers from
 * taking the slots of other readers, and of the owner's; a share of
 * @most or more turns them off.  Walks the subscribers, at most @most of
 * them, at subscribe only.
 */
static bool kmsgq_fanout_share_taken(struct kmsgq_queue *q,
				     const struct kmsgq_fanout_sub *sub,
				     unsigned int most)
{
	unsigned int max = READ_ONCE(kmsgq_max_subscribers_per_user);
	unsigned int user = 0, account = 0, others = 0;
	struct kmsgq_fanout_sub *s;

	lockdep_assert_held(&q->lock);
	/* The owner may change with KMSGQ_IOC_SETOWNER, under this lock. */
	if (uid_eq(sub->uid, q->uid))
		return false;
	if (!max)
		return true;
	/* A share as large as the queue turns shares off, and the reserve. */
	if (max >= most)
		return false;
	list_for_each_entry(s, &q->fan.subs, node) {
		if (uid_eq(s->uid, q->uid))
			continue;
		others++;
		user += uid_eq(s->uid, sub->uid);
		account += uid_eq(s->account, sub->account);
	}
	return user >= max || account >= max || others >= most - max;
}

/**
 * kmsgq_fanout_subscribe() - make a file being bound a subscriber
 * @q: fan-out queue, with a reference for the file
 * @file: the file, opened with read access and not bound yet
 * @history: stored messages to start back from the newest
 *	(KMSGQ_HISTORY_ALL: every one)
 *
 * The subscriber counts towards the share of @q the caller's fsuid (the
 * one read permission was checked for) may have, and towards its
 * account's (the owner of its user namespaces), unless that user owns @q
 * or the caller has CAP_SYS_RESOURCE (in the initial user namespace, as
 * for mqueue's limits), which is asked for only when a share is taken.
 * Other subscribers leave the owner a share of @q free.
 *
 * Context: process context, before the file's binding is published.
 * Return: 0, -ENOSPC (the queue has kmsgq_max_subscribers already, or
 * the caller's user or account kmsgq_max_subscribers_per_user of them,
 * or the other users all but the owner's share) or -ENOMEM.
 */
int kmsgq_fanout_subscribe(struct kmsgq_queue *q, struct file *file,
			   u32 history)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_fanout_sub *sub;
	bool privileged = false;
	unsigned int most;
	u64 oldest;
	int err;

	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub)
		return -ENOMEM;
	sub->uid = current_fsuid();
	sub->account = kmsgq_fanout_account(current_cred());
	err = xa_err(xa_store(&f->sub_of, kmsgq_queue_file_index(file), sub,
			      GFP_KERNEL_ACCOUNT));
	if (err)
		goto out_free;
	sub->pid = get_pid(task_tgid(current));

again:
	spin_lock(&q->lock);
	/* Publishers and receivers walk the subscribers under this lock. */
	most = min(READ_ONCE(kmsgq_max_subscribers), KMSGQ_SUBSCRIBERS_HARD_MAX);
	if (f->nr_subs >= most) {
		err = -ENOSPC;
		goto out_unlock;
	}
	if (!privileged && kmsgq_fanout_share_taken(q, sub, most)) {
		/* Not under a spinlock: a security module may sleep. */
		spin_unlock(&q->lock);
		if (!capable(CAP_SYS_RESOURCE)) {
			err = -ENOSPC;
			goto out_erase;
		}
		privileged = true;
		goto again;
	}
	/* Not reserved again: what the slots from here to the tail hold. */
	oldest = kmsgq_fanout_oldest(f);
	sub->pos = f->tail - min_t(u64, history, f->tail - oldest);
	sub->id = ++f->last_id;
	list_add_tail(&sub->node, &f->subs);
	WRITE_ONCE(f->nr_subs, f->nr_subs + 1);
	f->floor = min(f->floor, sub->pos);
	spin_unlock(&q->lock);
	return 0;

out_unlock:
	spin_unlock(&q->lock);
out_erase:
	xa_erase(&f->sub_of, kmsgq_queue_file_index(file));
	put_pid(sub->pid);
out_free:
	kfree(sub);
	return err;
}

/**
 * kmsgq_fanout_unsubscribe() - a subscribing file's release
 * @q: the queue the file was bound to
 * @file: the file: no call on it is running or can start
 *
 * If its position held publishers back (it was at the cached floor, which
 * a publisher about to sleep recomputes), every sleeping one is woken to
 * look again.  Nothing for a file that was no subscriber.
 */
void kmsgq_fanout_unsubscribe(struct kmsgq_queue *q, struct file *file)
{
	struct kmsgq_fanout_sub *sub;
	bool at_floor;

	if (!q->is_fanout)
		return;
	sub = xa_erase(&q->fan.sub_of, kmsgq_queue_file_index(file));
	if (!sub)
		return;
	spin_lock(&q->lock);
	at_floor = sub->pos == q->fan.floor;
	list_del(&sub->node);
	WRITE_ONCE(q->fan.nr_subs, q->fan.nr_subs - 1);
	if (at_floor)
		kmsgq_fanout_changed(q);
	spin_unlock(&q->lock);
	put_pid(sub->pid);
	kfree(sub);
	if (at_floor)
		kmsgq_queue_wake(q, false, 0);
}

/**
 * kmsgq_fanout_lost_report() - a receive's result, with its loss report
 * @q: the receive's queue
 * @sub: its file's subscriber, or NULL (none: 0 is reported)
 * @flags: its kmsgq_xfer.flags: nothing is reported without
 *	KMSGQ_XFER_LOST
 * @to: where to write the count: its kmsgq_xfer.lost
 * @ret: what the receive returns
 *
 * The losses since the last report are taken, and given back if they
 * cannot be written, so that the next report carries them.  A receive
 * that will be restarted (-ERESTARTSYS) leaves them to the call that
 * comes back.  The ioctl reports as it returns, an io_uring command as it
 * completes (uring.c).
 *
 * Context: process context, @to in current's memory; takes @q->lock.
 * Return: @ret, or -EFAULT if the count cannot be written and no message
 * moved.
 */
int kmsgq_fanout_lost_report(struct kmsgq_queue *q,
			     struct kmsgq_fanout_sub *sub, u32 flags,
			     u64 __user *to, int ret)
{
	u64 lost = 0;

	if (!(flags & KMSGQ_XFER_LOST) || ret == -ERESTARTSYS)
		return ret;
	if (sub) {
		spin_lock(&q->lock);
		lost = sub->lost_report;
		sub->lost_report = 0;
		spin_unlock(&q->lock);
	}
	if (!put_user(lost, to))
		return ret;
	if (sub) {
		spin_lock(&q->lock);
		sub->lost_report += lost;
		spin_unlock(&q->lock);
	}
	return ret > 0 ? ret : -EFAULT;
}

/**
 * kmsgq_fanout_nr_subs() - how many subscribers a fan-out queue has now
 * @q: fan-out queue
 *
 * Return: the count, which may change as soon as it is read.
 */
u32 kmsgq_fanout_nr_subs(struct kmsgq_queue *q)
{
	return READ_ONCE(q->fan.nr_subs);
}

/**
 * kmsgq_fanout_subscribers() - a moment's list of a queue's subscribers
 * @q: fan-out queue
 * @self: the calling file's subscriber, or NULL
 * @cursor: in: report subscribers with a greater id; out: the last one's
 *	id, unchanged if none is reported
 * @ents: room for @nr entries, filled in bind (id) order
 * @nr: entries to fill at most
 * @total: set to the number of subscribers bound
 * @pids: fill in pids (else 0)
 *
 * Pids are as the calling task's PID namespace sees them, and 0 for a
 * thread group that has exited (its number may be another's by now).
 *
 * Context: takes @q->lock.
 * Return: entries filled.
 */
unsigned int kmsgq_fanout_subscribers(struct kmsgq_queue *q,
				      struct kmsgq_fanout_sub *self,
				      u64 *cursor,
				      struct kmsgq_subscriber *ents,
				      unsigned int nr, u32 *total, bool pids)
{
	struct kmsgq_fanout *f = &q->fan;
	struct kmsgq_fanout_sub *sub;
	unsigned int n = 0;

	spin_lock(&q->lock);
	*total = f->nr_subs;
	list_for_each_entry(sub, &f->subs, node) {
		if (n == nr)
			break;
		if (sub->id <= *cursor)
			continue;
		ents[n++] = (struct kmsgq_subscriber) {
			.id = sub->id,
			.lag = f->tail - sub->pos,
			.lost = sub->lost,
			.pid = pids && pid_has_task(sub->pid, PIDTYPE_TGID) ?
			       pid_vnr(sub->pid) : 0,
			.flags = sub == self ? KMSGQ_SUBSCRIBER_SELF : 0,
		};
	}
	if (n)
		*cursor = ents[n - 1].id;
	spin_unlock(&q->lock);
	return n;
}

/**
 * kmsgq_fanout_stats() - fill the fan-out fields of KMSGQ_IOC_STATS
 * @q: queue
 * @sub: the calling file's subscriber, or NULL
 * @st: the result: sub_lost, sub_lag and subscribers are set (0 on a
 *	queue that is not fan-out)
 *
 * Context: takes @q->lock.
 */
void kmsgq_fanout_stats(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			struct kmsgq_stats *st)
{
	st->sub_lost = 0;
	st->sub_lag = 0;
	st->subscribers = 0;
	if (!q->is_fanout)
		return;
	spin_lock(&q->lock);
	st->subscribers = q->fan.nr_subs;
	if (sub) {
		st->sub_lost = sub->lost;
		st->sub_lag = q->fan.tail - sub->pos;
	}
	spin_unlock(&q->lock);
}

/*
 * Move @sub, at or before @to (at most the tail), forward to @to, or as
 * far as KMSGQ_FANOUT_ACK_WALK messages take it (with DROP: to @to in one
 * hold, so that no publisher counts as lost what it acknowledged), as an
 * acknowledgment: the messages passed (holes are none) count as received,
 * with the lengths the kernel stored (nothing the mapping says), and publishers
 * waiting for the slots it held are woken, as for a receive.  The slots
 * from a position up to the tail hold the messages numbered so, until
 * the position leaves them (kmsgq_fanout_drop() moves it before their
 * reuse).  *@at_floor: whether @sub was at the floor cached at any step
 * so far, after which each step wakes publishers (the floor cached stays
 * behind until a publisher recomputes it).  Takes and drops @q->lock.
 * Return: true if it is not at @to yet.
 */
static bool kmsgq_fanout_pass(struct kmsgq_queue *q,
			      struct kmsgq_fanout_sub *sub, u64 to,
			      bool *at_floor)
{
	bool drop = q->overflow == KMSGQ_OPEN_OVERFLOW_DROP;
	struct kmsgq_fanout *f = &q->fan;
	u64 bytes = 0, n;
	u32 moved;
	bool more;

	spin_lock(&q->lock);
	if (sub->pos >= to) {
		spin_unlock(&q->lock);
		return false;
	}
	/* At most the depth: DROP keeps positions within it of the tail. */
	moved = drop ? min_t(u64, to - sub->pos, f->nr_slots) :
		       min_t(u64, to - sub->pos, KMSGQ_FANOUT_ACK_WALK);
	/* As in kmsgq_fanout_recv(): compared as the position moves. */
	*at_floor = *at_floor || sub->pos == f->floor;
	n = kmsgq_fanout_tally(f, sub->pos, sub->pos + moved, &bytes);
	sub->pos += moved;
	if (*at_floor)
		kmsgq_fanout_changed(q);
	more = sub->pos < to;
	spin_unlock(&q->lock);

	kmsgq_queue_account(&q->msgs_recv, &q->bytes_recv, n, bytes);
	if (*at_floor)
		kmsgq_queue_wake(q, false, moved);
	return more;
}

/**
 * kmsgq_fanout_ack() - move a subscriber that reads in place, and wait
 * @q: fan-out queue that subscribers map
 * @sub: the calling file's subscriber, or NULL (-EBADF)
 * @ack: in: @pos, @flags (KMSGQ_FANOUT_ACK_WAIT); out: @pos, @tail, @lost
 * @dl: how long a KMSGQ_FANOUT_ACK_WAIT may sleep
 *
 * The subscriber says it read every message below @ack->pos: its position
 * moves there if that is forward, counting what it passes as received,
 * and publishers waiting for the slots it held are woken, as for a
 * receive.  The kernel never reads the mapping: a position is only
 * compared with the tail, and the lengths counted are the kernel's.  The
 * position moves KMSGQ_FANOUT_ACK_WALK messages per hold of @q->lock, so
 * that a whole depth acknowledged at once holds the lock no longer than
 * a receive; on a KMSGQ_OPEN_OVERFLOW_DROP queue in one hold, so that no
 * dropping publisher counts as lost what it acknowledged.
 *
 * Context: process context; takes @q->lock.
 * Return: 0, -EBADF, -EINVAL (@ack->pos beyond the tail), or the wait's
 * -ETIMEDOUT, -EINTR, -ERESTARTSYS (the acknowledgment holds).
 */
int kmsgq_fanout_ack(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_fanout_ack *ack, struct kmsgq_deadline *dl)
{
	struct kmsgq_fanout *f = &q->fan;
	bool at_floor = false;
	int err = 0;

	if (!sub)
		return -EBADF;
	spin_lock(&q->lock);
	if (ack->pos > f->tail) {
		spin_unlock(&q->lock);
		return -EINVAL;
	}
	spin_unlock(&q->lock);

	/* Another call may move it too, or a publisher that drops. */
	while (kmsgq_fanout_pass(q, sub, ack->pos, &at_floor))
		;
	if (ack->flags & KMSGQ_FANOUT_ACK_WAIT)
		err = kmsgq_fanout_wait(q, sub, 0, false, dl);

	spin_lock(&q->lock);
	ack->pos = sub->pos;
	ack->tail = f->tail;
	ack->lost = sub->lost;
	spin_unlock(&q->lock);
	return err;
}
