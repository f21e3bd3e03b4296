// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq queue: the queue object, and blocking send and receive over its
 * storage, a copy store (store.c) or a ring (ring.c).
 *
 * Locking: q->lock (a spinlock) protects q->store.  It is never held across
 * a sleep, nor across a user copy that may fault: senders take free slots
 * under it, fill them unlocked, then link them under it; receivers the other
 * way round.  A call of one small message does it all in one hold, copying
 * with page faults disabled, and goes that way if the copy fails
 * (kmsgq_queue_copy_in_locked()).  A ring has no kernel lock: its shared
 * words are claimed by cmpxchg.
 *
 * Wakeups: copy queues use exclusive waits, so each queued message wakes one
 * sleeping receiver and each freed slot one sleeping sender (pollers are all
 * woken).  Ring queues cannot count: in-place producers and consumers tell
 * the kernel only through KMSGQ_IOC_RING_WAKE, so their sleepers arm a bit in
 * the shared wakeup word and every wake wakes them all; see
 * kmsgq_queue_ring_wake() for the ordering.  kmsgq's sleepers are taken off
 * the wait queue under its lock and woken once it is dropped
 * (kmsgq_queue_wake_keyed()), as wake_q does.  Every wake carries its poll key
 * (KMSGQ_POLL_IN on recv_wq, KMSGQ_POLL_OUT on send_wq): io_uring's poll of
 * a read or write that would block (IOCB_NOWAIT, see file.c) and epoll
 * entries then run only for the event they wait for.
 *
 * Payloads: a message of KMSGQ_IOC_SEND/RECV is copied from or to its own
 * user buffer (struct kmsgq_kmsg.buf); the one message of a read_iter or
 * write_iter call is scattered into or gathered from the call's iov_iter.
 */
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Free the storage kmsgq_queue_alloc() chose for @q. */
static void kmsgq_queue_storage_destroy(struct kmsgq_queue *q)
{
	if (q->is_ring)
		kmsgq_ring_destroy(&q->ring);
	else if (q->is_fanout)
		kmsgq_fanout_destroy(&q->fan);
	else
		kmsgq_store_destroy(&q->store);
}

/**
 * kmsgq_queue_alloc() - a new, unnamed queue with empty storage
 * @qflags: KMSGQ_OPEN_RING for ring storage (mappable) rather than a copy
 *	store, with KMSGQ_OPEN_RECLAIM for a reclaiming ring, or
 *	KMSGQ_OPEN_FANOUT for a fan-out store (with KMSGQ_OPEN_RING, a
 *	mappable one); other bits are ignored
 * @msgs: depth; for a ring or a fan-out store a power of two
 * @msgsize: largest message; for a ring its slot size
 *
 * The caller has checked the shape against the limits and charged it; the
 * memory is also charged to the caller's memory cgroup.
 *
 * Context: process context, without the registry lock: a ring is up to
 * 64 MiB of pages and a vmap, which must not stall every open and close.
 *
 * Return: the queue, with one reference, or ERR_PTR(-ENOMEM/-EINVAL).
 */
struct kmsgq_queue *kmsgq_queue_alloc(u32 qflags, u32 msgs, u32 msgsize)
{
	bool fanout = qflags & KMSGQ_OPEN_FANOUT;
	bool ring = (qflags & (KMSGQ_OPEN_RING | KMSGQ_OPEN_FANOUT)) ==
		    KMSGQ_OPEN_RING;
	struct kmsgq_queue *q;
	int err;

	kmsgq_registry_assert_unlocked();
	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	if (ring)
		err = kmsgq_ring_init(&q->ring, msgs, msgsize,
				      qflags & KMSGQ_OPEN_RECLAIM);
	else if (fanout)
		err = kmsgq_fanout_init(&q->fan, msgs, msgsize,
					qflags & KMSGQ_OPEN_RING,
					qflags & KMSGQ_OPEN_INPLACE);
	else
		err = kmsgq_store_init(&q->store, msgs, msgsize);
	if (err)
		goto err_free;

	q->is_ring = ring;
	q->is_fanout = fanout;
	q->max_msgs = msgs;
	q->max_msgsize = msgsize;
	if (qflags & KMSGQ_OPEN_SENDER) {
		err = kmsgq_sender_init(q);
		if (err)
			goto err_storage;
	}

	kref_init(&q->ref);
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->recv_wq);
	init_waitqueue_head(&q->send_wq);
	xa_init_flags(&q->owners, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&q->owner_of, XA_FLAGS_ACCOUNT);
	mutex_init(&q->owners_lock);
	return q;

err_storage:
	kmsgq_queue_storage_destroy(q);
err_free:
	kfree(q);
	return ERR_PTR(err);
}

/**
 * kmsgq_queue_free() - free a queue and its storage
 * @q: queue from kmsgq_queue_alloc(), with no file, mapping or sleeper left
 */
void kmsgq_queue_free(struct kmsgq_queue *q)
{
	kmsgq_queue_storage_destroy(q);
	kmsgq_notify_destroy(q);
	kmsgq_sender_destroy(q);
	WARN_ON_ONCE(kmsgq_xa_has_entries(&q->owners) ||
		     kmsgq_xa_has_entries(&q->owner_of));
	xa_destroy(&q->owners);
	xa_destroy(&q->owner_of);
	mutex_destroy(&q->owners_lock);
	kfree(q);
}

/**
 * kmsgq_queue_count() - messages queued now
 * @q: queue
 *
 * Return: the messages of a copy queue; the slots between a ring's
 * positions, claimed or committed; the messages of a fan-out queue its
 * slowest subscriber has not read.
 */
u32 kmsgq_queue_count(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_count(&q->ring);
	if (q->is_fanout)
		return kmsgq_fanout_count(q);
	return READ_ONCE(q->store.count);
}

/**
 * kmsgq_queue_qflags() - the queue's kmsgq_open.flags that describe it
 * @q: queue
 *
 * Return: KMSGQ_OPEN_RING for a ring queue, KMSGQ_OPEN_FANOUT for a
 * fan-out one (with KMSGQ_OPEN_RING if subscribers may map it), and its
 * overflow policy.
 */
u32 kmsgq_queue_qflags(const struct kmsgq_queue *q)
{
	return (q->is_ring || q->fan.map ? KMSGQ_OPEN_RING : 0) |
	       (q->ring.reclaim ? KMSGQ_OPEN_RECLAIM : 0) |
	       (q->senders ? KMSGQ_OPEN_SENDER : 0) |
	       (q->is_fanout ? KMSGQ_OPEN_FANOUT : 0) |
	       (q->fan.inplace ? KMSGQ_OPEN_INPLACE : 0) | q->overflow;
}

static bool kmsgq_queue_readable(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_readable(&q->ring);
	return READ_ONCE(q->store.count);
}

static bool kmsgq_queue_writable(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_writable(&q->ring);
	if (q->is_fanout)
		return kmsgq_fanout_writable(q);
	return READ_ONCE(q->store.nr_free);
}

/* kmsgq sleepers one wake call wakes after dropping the wait queue's lock */
#define KMSGQ_QUEUE_WAKE_BATCH	16

static int kmsgq_queue_wake_function(struct wait_queue_entry *entry,
				     unsigned int mode, int sync, void *key);
static int kmsgq_queue_ring_wake_function(struct wait_queue_entry *entry,
					  unsigned int mode, int sync,
					  void *key);
static void kmsgq_queue_ring_waker_note(struct wait_queue_entry *entry);

/*
 * Wake @nr exclusive sleepers on @wq (0: all of them) and every poller,
 * with the key of what @wq waits for: __wake_up(), but kmsgq's own
 * sleepers are taken off the queue under its lock and woken after it is
 * dropped, as wake_q does for mqueue and futexes (wake_up_q() is not
 * exported).  Waking a task on another CPU can take long (an IPI; under a
 * hypervisor, a vCPU that is not running), and a task queueing itself for
 * its next wait would spin on the lock, interrupts off, all that time.
 * Other entries (poll, epoll, io_uring), and kmsgq sleepers past the
 * first KMSGQ_QUEUE_WAKE_BATCH, are woken in place, as before.  The walk
 * holds the lock over the whole queue, as __wake_up() does on 6.12 (6.1's
 * dropped it every 64 entries, which only epoll entries could reach).
 *
 * A sleeper taken off counts as woken, even one a signal or timeout woke
 * already: kmsgq_queue_wait() passes such a wakeup on.  Preemption stays
 * off until the tasks are woken, as mutex_unlock() keeps it around
 * wake_up_q(), so that those taken off are not left waiting on this task.
 */
static void kmsgq_queue_wake_keyed(struct kmsgq_queue *q,
				   struct wait_queue_head *wq, int nr)
{
	__poll_t key = wq == &q->recv_wq ? KMSGQ_POLL_IN : KMSGQ_POLL_OUT;
	struct task_struct *tasks[KMSGQ_QUEUE_WAKE_BATCH];
	struct wait_queue_entry *curr, *next;
	unsigned int i, n = 0;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each_entry_safe(curr, next, &wq->head, entry) {
		unsigned int wflags = curr->flags;

#ifdef WQ_FLAG_BOOKMARK
		/* Another walk's place; only __wake_up() on 6.1 leaves one. */
		if (wflags & WQ_FLAG_BOOKMARK)
			continue;
#endif
		if ((curr->func == kmsgq_queue_wake_function ||
		     curr->func == kmsgq_queue_ring_wake_function) &&
		    n < ARRAY_SIZE(tasks)) {
			kmsgq_queue_ring_waker_note(curr);
			tasks[n] = curr->private;
			get_task_struct(tasks[n++]);
			list_del_init_careful(&curr->entry);
			ret = 1;
		} else {
			ret = curr->func(curr, TASK_NORMAL, 0, poll_to_key(key));
			if (ret < 0)
				break;
		}
		if (ret && (wflags & WQ_FLAG_EXCLUSIVE) && !--nr)
			break;
	}
	preempt_disable();
	spin_unlock_irqrestore(&wq->lock, flags);
	for (i = 0; i < n; i++)
		wake_up_process(tasks[i]);
	preempt_enable();
	for (i = 0; i < n; i++)
		put_task_struct(tasks[i]);
}

/**
 * kmsgq_queue_ring_wake() - wake a ring's sleepers of the given kinds
 * @q: ring queue
 * @events: KMSGQ_RING_READABLE wakes consumers, KMSGQ_RING_WRITABLE producers
 *
 * Wakes every sleeper of the kinds, then clears their bits in the wakeup
 * word if nothing is left waiting.  A woken sleeper rechecks the ring and
 * re-arms before sleeping again; one that queued itself after the wake
 * either keeps the bit set or arms after the clear, and then sees the
 * message because of the barriers around the word.
 */
void kmsgq_queue_ring_wake(struct kmsgq_queue *q, u32 events)
{
	trace_kmsgq_wake(q, events & KMSGQ_RING_EVENTS);
	if (events & KMSGQ_RING_READABLE) {
		kmsgq_queue_wake_keyed(q, &q->recv_wq, 0);
		kmsgq_ring_disarm(&q->ring, &q->recv_wq, KMSGQ_RING_WAKE_CONSUMER);
	}
	if (events & KMSGQ_RING_WRITABLE) {
		kmsgq_queue_wake_keyed(q, &q->send_wq, 0);
		kmsgq_ring_disarm(&q->ring, &q->send_wq, KMSGQ_RING_WAKE_PRODUCER);
	}
}

/*
 * After the kernel published (@events KMSGQ_RING_READABLE) or released
 * ring slots, or a mapping that could have gone away: wake the sleepers
 * and pollers on the kernel's own wait queue.  The shared wakeup word is
 * not consulted: a mapper could clear it.
 */
static void kmsgq_queue_ring_notify(struct kmsgq_queue *q, u32 events)
{
	struct wait_queue_head *wq = events & KMSGQ_RING_READABLE ?
				     &q->recv_wq : &q->send_wq;

	/*
	 * Our publish/release before looking at the wait queue: pairs with
	 * the barrier in set_current_state() that a sleeper issues after
	 * queueing itself and before its last check of the ring.
	 */
	smp_mb();
	/* waitqueue_active() is safe after the barrier above. */
	if (waitqueue_active(wq))
		kmsgq_queue_ring_wake(q, events);
}

/**
 * kmsgq_queue_ring_unmapped() - a writable mapping of a ring has gone
 * @q: ring queue
 *
 * Its process may have committed or released in place and then died, or
 * unmapped, before the wake call it owed its peers (libkmsgq's
 * kmsgq_ring_commit_done() and kmsgq_ring_release_done(), that is
 * KMSGQ_IOC_RING_WAKE), which nobody else would make: the ring's sleepers
 * of both kinds are woken to look again.  Every exit and SIGKILL unmaps
 * once the last user of the address space is gone, whoever else still
 * holds the file; a wake that was not owed costs the sleepers a look.
 *
 * Context: the mapping's ->close(), mmap_lock held; does not sleep.
 */
void kmsgq_queue_ring_unmapped(struct kmsgq_queue *q)
{
	kmsgq_queue_ring_notify(q, KMSGQ_RING_READABLE);
	kmsgq_queue_ring_notify(q, KMSGQ_RING_WRITABLE);
}

/**
 * kmsgq_queue_file_index() - an index that only @file has
 * @file: a live file
 *
 * Live files are whole objects apart, so their addresses differ in more
 * than the low bits dropped here.
 *
 * Return: the index, for the queue's xarrays keyed by file.
 */
unsigned long kmsgq_queue_file_index(const struct file *file)
{
	return (unsigned long)file / sizeof(long);
}

/* The token given to @file, or 0.  Context: @q->owners_lock held. */
static u32 kmsgq_queue_ring_owner_find(struct kmsgq_queue *q,
				       struct file *file)
{
	void *entry;

	lockdep_assert_held(&q->owners_lock);
	entry = xa_load(&q->owner_of, kmsgq_queue_file_index(file));
	return entry ? xa_to_value(entry) : 0;
}

/**
 * kmsgq_queue_ring_owner() - a file's claimant token on a reclaiming ring
 * @q: reclaiming ring queue the file is bound to
 * @file: the file
 * @give: give the file a token if it has none yet
 * @owner: out: its token, 1 .. 0x7fffffff, or 0 if it has none
 *
 * A file keeps its token until kmsgq_queue_ring_reclaim() at its release.
 *
 * Return: 0, or -ENOMEM, or -EBUSY if every token is taken.
 */
int kmsgq_queue_ring_owner(struct kmsgq_queue *q, struct file *file,
			   bool give, u32 *owner)
{
	int err = 0;

	mutex_lock(&q->owners_lock);
	*owner = kmsgq_queue_ring_owner_find(q, file);
	if (*owner || !give)
		goto out;
	err = xa_alloc(&q->owners, owner, file, XA_LIMIT(1, S32_MAX),
		       GFP_KERNEL_ACCOUNT);
	if (err)
		goto out;
	err = xa_err(xa_store(&q->owner_of, kmsgq_queue_file_index(file),
			      xa_mk_value(*owner), GFP_KERNEL_ACCOUNT));
	if (err) {
		xa_erase(&q->owners, *owner);
		*owner = 0;
	}
out:
	mutex_unlock(&q->owners_lock);
	return err;
}

/**
 * kmsgq_queue_ring_reclaim() - finish what a released file left claimed
 * @q: the queue the file was bound to
 * @file: the file, at its release: no process holds it or maps through it
 *
 * On a reclaiming ring, publishes the slots the file's holders reserved
 * and released those they claimed (kmsgq_ring_reclaim()), counts the
 * messages so lost in msgs_lost, wakes who can go on now, and frees the
 * file's token.  Nothing on other queues.
 */
void kmsgq_queue_ring_reclaim(struct kmsgq_queue *q, struct file *file)
{
	u32 events = 0;
	u32 owner;
	u32 lost;

	if (!q->ring.reclaim)
		return;
	mutex_lock(&q->owners_lock);
	owner = kmsgq_queue_ring_owner_find(q, file);
	if (owner) {
		lost = kmsgq_ring_reclaim(&q->ring, owner, &events);
		atomic64_add(lost, &q->msgs_lost);
		xa_erase(&q->owner_of, kmsgq_queue_file_index(file));
		xa_erase(&q->owners, owner);
	}
	mutex_unlock(&q->owners_lock);
	if (events & KMSGQ_RING_READABLE)
		kmsgq_queue_ring_notify(q, KMSGQ_RING_READABLE);
	if (events & KMSGQ_RING_WRITABLE)
		kmsgq_queue_ring_notify(q, KMSGQ_RING_WRITABLE);
}

/*
 * Wake function of kmsgq's sleepers: unlink the entry, then wake its task.
 * autoremove_wake_function() does it the other way round, so a sleeper
 * woken on another CPU can find itself still queued and take the wait
 * queue's lock in finish_wait() while the waker holds it.  Unlinked first,
 * the woken task leaves without touching the lock.  The entry lives on the
 * sleeper's stack and may be gone once unlinked, so the task is read first;
 * the task itself cannot be freed while the waker holds the wait queue's
 * spinlock (an RCU read-side section).
 */
static int kmsgq_queue_wake_function(struct wait_queue_entry *entry,
				     unsigned int mode, int sync, void *key)
{
	struct task_struct *task = entry->private;

	list_del_init_careful(&entry->entry);
	/* Every kmsgq wake is TASK_NORMAL, which is what this wakes. */
	return wake_up_process(task);
}

/**
 * kmsgq_queue_init_wait() - set up the wait entry of a kmsgq sleeper
 * @entry: the entry, on the sleeper's stack
 *
 * Its wake function unlinks it before waking the task (see above), and
 * kmsgq_queue_wake_keyed() defers the wake to after its unlock.
 */
void kmsgq_queue_init_wait(struct wait_queue_entry *entry)
{
	init_wait_entry(entry, 0);
	entry->func = kmsgq_queue_wake_function;
}

/*
 * A RING_WAIT sleeper's wait queue entry, and where the last task that
 * woke it ran: -1 until one does (KMSGQ_RING_WAIT_WAKER).
 */
struct kmsgq_queue_ring_waiter {
	struct wait_queue_entry entry;
	int waker_cpu;
};

/*
 * Of a ring waiter's @entry: note the CPU the wake comes from, before the
 * entry is unlinked, while it is certainly still there on the sleeper's
 * stack: the store is ordered before the unlink's release, which
 * finish_wait() pairs with.  A hint: raw, as on PREEMPT_RT the waker may
 * move.
 */
static void kmsgq_queue_ring_waker_note(struct wait_queue_entry *entry)
{
	struct kmsgq_queue_ring_waiter *w;

	if (entry->func != kmsgq_queue_ring_wake_function)
		return;
	w = container_of(entry, struct kmsgq_queue_ring_waiter, entry);
	WRITE_ONCE(w->waker_cpu, raw_smp_processor_id());
}

static int kmsgq_queue_ring_wake_function(struct wait_queue_entry *entry,
					  unsigned int mode, int sync,
					  void *key)
{
	kmsgq_queue_ring_waker_note(entry);
	return kmsgq_queue_wake_function(entry, mode, sync, key);
}

static void kmsgq_queue_ring_init_wait(struct kmsgq_queue_ring_waiter *w)
{
	kmsgq_queue_init_wait(&w->entry);
	w->entry.func = kmsgq_queue_ring_wake_function;
	w->waker_cpu = -1;
}

/**
 * kmsgq_queue_sleep() - one sleep of a task that found nothing ready
 * @q: queue, for tracing
 * @events: KMSGQ_RING_READABLE or KMSGQ_RING_WRITABLE: what it waits for
 * @dl: its deadline
 * @expired: in/out: the deadline passed during an earlier sleep
 *
 * The task has queued itself and set its state.
 *
 * Return: 0 once it wakes, or why the wait ends instead: -EINTR or
 * -ERESTARTSYS (a signal) or -ETIMEDOUT.
 */
int kmsgq_queue_sleep(struct kmsgq_queue *q, u32 events,
		      struct kmsgq_deadline *dl, bool *expired)
{
	if (signal_pending(current))
		return dl->restart ? -ERESTARTSYS : -EINTR;
	if (*expired)
		return -ETIMEDOUT;
	trace_kmsgq_block(q, events);
	if (dl->timed)
		*expired = !schedule_hrtimeout_range_clock(&dl->expires, 0,
							   HRTIMER_MODE_ABS,
							   dl->clockid);
	else
		schedule();
	return 0;
}

/**
 * kmsgq_queue_wait() - sleep until a queue is ready for a send or receive
 * @q: queue
 * @wq: @q->recv_wq or @q->send_wq
 * @ready: whether the caller can go on; may take @q->lock
 * @waiters: the count of such sleepers to keep
 * @ring_bit: on a ring, the wakeup bit to arm
 * @dl: deadline, and whether the caller may sleep at all
 *
 * Exclusive: a waker that wakes one sleeper per message wakes this one or
 * another, never both.  After a wakeup @ready is checked before
 * requeueing, so the common path takes the wait queue's lock once per
 * sleep.
 *
 * Return: 0 once @ready, or -EAGAIN, -ETIMEDOUT, -EINTR, -ERESTARTSYS.
 */
int kmsgq_queue_wait(struct kmsgq_queue *q, struct wait_queue_head *wq,
		     bool (*ready)(struct kmsgq_queue *q),
		     atomic_t *waiters, u32 ring_bit,
		     struct kmsgq_deadline *dl)
{
	struct wait_queue_entry wait;
	bool expired = false;
	int ret = 0;

	kmsgq_queue_init_wait(&wait);

	if (dl->nonblock)
		return -EAGAIN;
	if (dl->full_fails)
		return ready(q) ? 0 : -EAGAIN;

	atomic_inc(waiters);
	for (;;) {
		prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
		if (q->is_ring)
			kmsgq_ring_arm(&q->ring, ring_bit);
		if (ready(q))
			break;
		ret = kmsgq_queue_sleep(q, wq == &q->recv_wq ? KMSGQ_RING_READABLE :
					 KMSGQ_RING_WRITABLE, dl, &expired);
		if (ret)
			break;
		if (ready(q))
			break;
	}
	finish_wait(wq, &wait);
	atomic_dec(waiters);
	if (q->is_ring)
		kmsgq_ring_disarm(&q->ring, wq, ring_bit);

	/* Pass on an exclusive wakeup this task took but will not use. */
	if (ret && ready(q))
		kmsgq_queue_wake_keyed(q, wq, 1);
	return ret;
}

/**
 * kmsgq_queue_retry() - may a call that lost a race try again
 * @dl: the call's deadline
 * @lost: races lost so far by the call, counted here
 *
 * A ring looked ready but the claim failed (another claimant won, or a
 * mapper keeps the shared words inconsistent), or a fan-out subscriber's
 * message was overwritten while it copied.  Retry, but never past a
 * signal or the deadline, however long that goes on; a call that may not
 * sleep gives up with EAGAIN after KMSGQ_RING_CLAIM_TRIES lost races, as
 * for a busy ring, and one that may sleeps a tick after every
 * KMSGQ_RING_CLAIM_TRIES, so that nobody spins on a ring a mapper keeps
 * inconsistent or on a subscriber that publishers keep lapping.
 *
 * Context: process context, no lock held; may sleep.
 * Return: 0 to retry, or -EAGAIN, -EINTR, -ERESTARTSYS, -ETIMEDOUT.
 */
int kmsgq_queue_retry(struct kmsgq_deadline *dl, unsigned int *lost)
{
	if (++*lost % KMSGQ_RING_CLAIM_TRIES == 0) {
		if (dl->nonblock)
			return -EAGAIN;
		/* Someone keeps the ring inconsistent: do not spin on it. */
		schedule_timeout_interruptible(1);
	}
	if (signal_pending(current))
		return dl->nonblock ? -EAGAIN :
		       dl->restart ? -ERESTARTSYS : -EINTR;
	if (dl->timed && ktime_after(kmsgq_clock_now(dl->clockid), dl->expires))
		return dl->nonblock ? -EAGAIN : -ETIMEDOUT;
	cond_resched();
	return 0;
}

/**
 * kmsgq_queue_wake() - wake receivers or senders after the store changed
 * @q: queue
 * @recv: wake receivers (else senders)
 * @nr: exclusive sleepers to wake (0: all), besides every poller
 *
 * The common case, nobody waiting, costs a barrier and no lock: the
 * barrier in wq_has_sleeper() pairs with the one in set_current_state()
 * that a sleeper issues after queueing itself and before checking the
 * store.
 */
void kmsgq_queue_wake(struct kmsgq_queue *q, bool recv, int nr)
{
	struct wait_queue_head *wq = recv ? &q->recv_wq : &q->send_wq;

	if (wq_has_sleeper(wq)) {
		trace_kmsgq_wake(q, recv ? KMSGQ_RING_READABLE :
				 KMSGQ_RING_WRITABLE);
		kmsgq_queue_wake_keyed(q, wq, nr);
	}
}

/*
 * Tell a receiver that asked (KMSGQ_XFER_SENDER) who sent the message in
 * @slot (a ring's: at @pos).  Return: 0 or -EFAULT.
 */
static int kmsgq_queue_sender_out(struct kmsgq_queue *q,
				  const struct kmsgq_kmsg *m, u32 slot, u32 pos)
{
	struct kmsgq_sender from;

	if (!m->usender)
		return 0;
	spin_lock(&q->lock);
	kmsgq_sender_get(q, slot, pos, &from);
	spin_unlock(&q->lock);
	return kmsgq_sender_copy_out(&from, m->usender);
}

/**
 * kmsgq_queue_msg_ok() - can message @m be sent to @q
 * @q: queue
 * @m: message
 *
 * Return: whether its length fits and its priority is one @q has: any
 * below KMSGQ_PRIO_MAX on a copy queue, only 0 on a ring or fan-out one.
 */
bool kmsgq_queue_msg_ok(struct kmsgq_queue *q, const struct kmsgq_kmsg *m)
{
	return m->len <= q->max_msgsize &&
	       m->prio < (q->is_ring || q->is_fanout ? 1 : KMSGQ_PRIO_MAX);
}

/**
 * kmsgq_queue_account() - count messages sent or received
 * @msgs: the queue's message counter
 * @bytes: the queue's byte counter
 * @n: messages
 * @len: their bytes
 */
void kmsgq_queue_account(atomic64_t *msgs, atomic64_t *bytes,
			 unsigned int n, u64 len)
{
	if (n) {
		atomic64_add(n, msgs);
		atomic64_add(len, bytes);
	}
}

/*
 * Payloads up to this size are copied under the queue's lock, with page
 * faults disabled, so that a small send or receive takes the lock once:
 * about as long to hold as the two round trips it saves.  A payload not
 * in memory fails the copy, and the call goes the long way.
 */
#define KMSGQ_QUEUE_LOCKED_COPY	256

/*
 * May a payload of @len bytes to or from @iter (NULL: an ioctl's buffer)
 * be copied under the lock?  Small, and one user buffer: a readv() or
 * writev() of many segments would hold the lock over as many accesses.
 */
static bool kmsgq_queue_locked_copy_ok(u32 len, const struct iov_iter *iter)
{
	return len <= KMSGQ_QUEUE_LOCKED_COPY && (!iter || iter_is_ubuf(iter));
}

/*
 * kmsgq_queue_copy_in() under @q->lock: true if the payload is in @dst,
 * false (@iter as it was) if copying it would have faulted.  Not inlined:
 * fault injection tells this copy, which a failure retries, by its name.
 */
static noinline bool
kmsgq_queue_copy_in_locked(struct kmsgq_queue *q, void *dst,
			   const struct kmsgq_kmsg *m, struct iov_iter *iter)
{
	bool ok;

	lockdep_assert_held(&q->lock);
	pagefault_disable();
	ok = !kmsgq_queue_copy_in(dst, m, iter);	/* reverts @iter */
	pagefault_enable();
	return ok;
}

/*
 * kmsgq_queue_copy_out() of a message of @len bytes and priority @prio,
 * its length and priority too, under @q->lock: true if all of it is out,
 * false (@iter as it was; the caller's buffers may hold part of it) if
 * copying would have faulted.  Not inlined, as kmsgq_queue_copy_in_locked().
 */
static noinline bool
kmsgq_queue_copy_out_locked(struct kmsgq_queue *q, const struct kmsgq_kmsg *m,
			    struct iov_iter *iter, const void *src, u32 len,
			    u32 prio)
{
	bool ok;

	lockdep_assert_held(&q->lock);
	pagefault_disable();
	ok = !kmsgq_queue_copy_out(m, iter, src, len) &&
	     !kmsgq_queue_result_out(m, len, prio);
	pagefault_enable();
	return ok;
}

/**
 * kmsgq_queue_fault_in() - fault in a payload kmsgq_queue_copy_in() reads
 * @m: the message
 * @iter: as for kmsgq_queue_copy_in()
 *
 * Return: whether all of it is readable now.
 */
bool kmsgq_queue_fault_in(const struct kmsgq_kmsg *m, struct iov_iter *iter)
{
	if (iter)
		return !fault_in_iov_iter_readable(iter, m->len);
	return !fault_in_readable(m->buf, m->len);
}

/*
 * KMSGQ_OPEN_OVERFLOW_DROP: discard queued messages, the least urgent and
 * oldest first, until @want slots are free or nothing is queued, counting
 * them in msgs_lost.  Slots in flight cannot be taken: if all are, the
 * sender waits for one.
 */
static void kmsgq_queue_store_drop(struct kmsgq_queue *q, unsigned int want)
{
	struct kmsgq_store *s = &q->store;
	unsigned int n = 0;
	u32 slot;

	lockdep_assert_held(&q->lock);
	while (s->nr_free < want && s->count) {
		/* Put moves the generation: a peek of it is looked at again. */
		slot = kmsgq_store_pop_lowest(s);
		kmsgq_sender_forget(q, slot, 0);
		kmsgq_store_put(s, slot);
		n++;
	}
	if (n)
		atomic64_add(n, &q->msgs_lost);
}

/* Can a dropping sender go on: a free slot, or a queued one to drop? */
static bool kmsgq_queue_store_droppable(struct kmsgq_queue *q)
{
	return READ_ONCE(q->store.nr_free) || READ_ONCE(q->store.count);
}

static int kmsgq_queue_store_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
				  unsigned int nr, struct iov_iter *iter,
				  struct kmsgq_deadline *dl)
{
	bool drop = q->overflow == KMSGQ_OPEN_OVERFLOW_DROP;
	struct kmsgq_store *s = &q->store;
	struct kmsgq_notify_reg *notify = NULL;
	unsigned int taken, done, i, valid = 0, wake;
	bool was_empty;
	u32 slots[KMSGQ_CHUNK];
	u64 bytes = 0;
	int err = 0;

	/*
	 * Room is made only for messages that can be sent: valid, and (if
	 * that room is made by dropping others) with a readable payload.
	 */
	while (valid < nr && kmsgq_queue_msg_ok(q, &msgs[valid]) &&
	       (!drop || kmsgq_queue_fault_in(&msgs[valid], iter)))
		valid++;
	if (!valid)
		return -EFAULT;

	spin_lock(&q->lock);
	for (;;) {
		if (drop)
			kmsgq_queue_store_drop(q, valid);
		if (s->nr_free)
			break;
		spin_unlock(&q->lock);
		err = kmsgq_queue_wait(q, &q->send_wq,
				       drop ? kmsgq_queue_store_droppable :
					      kmsgq_queue_writable,
				       &q->send_waiters, 0, dl);
		if (err)
			return err;
		spin_lock(&q->lock);
	}
	/* One small message: copied and queued in one hold of the lock. */
	if (valid == 1 && kmsgq_queue_locked_copy_ok(msgs[0].len, iter)) {
		slots[0] = kmsgq_store_get(s);
		if (kmsgq_queue_copy_in_locked(q, kmsgq_store_payload(s, slots[0]),
					       &msgs[0], iter)) {
			taken = 1;
			done = 1;
			bytes = msgs[0].len;
			goto queue;
		}
		kmsgq_store_put(s, slots[0]);
	}
	for (taken = 0; taken < valid && s->nr_free; taken++)
		slots[taken] = kmsgq_store_get(s);
	spin_unlock(&q->lock);

	for (done = 0; done < taken; done++) {
		err = kmsgq_queue_copy_in(kmsgq_store_payload(s, slots[done]),
					  &msgs[done], iter);
		if (err)
			break;
		bytes += msgs[done].len;
	}

	spin_lock(&q->lock);
queue:
	/* mq_notify()'s rule: messages arrive on an empty queue. */
	was_empty = !s->count;
	for (i = 0; i < done; i++) {
		kmsgq_sender_record(q, slots[i], 0);
		kmsgq_store_push(s, slots[i], msgs[i].len, msgs[i].prio);
	}
	for (; i < taken; i++)
		kmsgq_store_put(s, slots[i]);
	if (done && was_empty)
		notify = kmsgq_notify_fire(q);
	spin_unlock(&q->lock);
	kmsgq_notify_release(notify);

	kmsgq_queue_account(&q->msgs_sent, &q->bytes_sent, done, bytes);
	if (done)
		kmsgq_queue_wake(q, true, done);
	/*
	 * Slots given back: as many senders may use them; and a dropping
	 * sender that found every slot in flight can drop what was queued.
	 */
	wake = drop ? taken : taken - done;
	if (wake)	/* 0 would wake every sender */
		kmsgq_queue_wake(q, false, wake);
	return done ?: err;
}

static int kmsgq_queue_store_recv(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
				  unsigned int nr, struct iov_iter *iter,
				  struct kmsgq_deadline *dl)
{
	struct kmsgq_store *s = &q->store;
	struct kmsgq_notify_reg *notify = NULL;
	u32 slots[KMSGQ_CHUNK];
	unsigned int taken, done, i;
	bool slept = false;
	u32 needed = 0;
	u64 bytes = 0;
	int err = 0;

	spin_lock(&q->lock);
	while (!s->count) {
		spin_unlock(&q->lock);
		err = kmsgq_queue_wait(q, &q->recv_wq, kmsgq_queue_readable,
				       &q->recv_waiters, 0, dl);
		if (err) {
			/* It may leave behind what came while it slept. */
			if (err != -EAGAIN)
				kmsgq_notify_leftover(q);
			return err;
		}
		slept = true;
		spin_lock(&q->lock);
	}
	/*
	 * One small message that fits, to a receiver that does not ask who
	 * sent it: copied out and taken in one hold of the lock.
	 */
	if (nr == 1 && !msgs[0].usender) {
		u32 slot = kmsgq_store_peek(s);
		u32 len = s->len[slot];

		if (kmsgq_queue_locked_copy_ok(len, iter) && len <= msgs[0].len &&
		    kmsgq_queue_copy_out_locked(q, &msgs[0], iter,
						kmsgq_store_payload(s, slot),
						len, s->prio[slot])) {
			slots[0] = kmsgq_store_pop(s);
			msgs[0].len = len;
			msgs[0].prio = s->prio[slot];
			bytes = len;
			taken = 1;
			done = 1;
			goto take;
		}
	}
	for (taken = 0; taken < nr; taken++) {
		u32 slot = kmsgq_store_peek(s);

		if (slot == KMSGQ_SLOT_NONE)
			break;
		if (s->len[slot] > msgs[taken].len) {
			if (!taken) {
				needed = s->len[slot];
				err = -EMSGSIZE;
			}
			break;
		}
		slots[taken] = kmsgq_store_pop(s);
	}
	spin_unlock(&q->lock);

	if (err == -EMSGSIZE) {
		/*
		 * The message stays queued for a receiver with room, and this
		 * task may have taken the exclusive wakeup meant for one.
		 */
		kmsgq_queue_wake(q, true, 1);
		if (slept)
			kmsgq_notify_leftover(q);
		if (msgs[0].umsg && put_user(needed, &msgs[0].umsg->len))
			return -EFAULT;
		return err;
	}

	/* The popped slots are ours: their length and priority are stable. */
	for (done = 0; done < taken; done++) {
		struct kmsgq_kmsg *m = &msgs[done];
		u32 len = s->len[slots[done]];
		u32 prio = s->prio[slots[done]];

		if (kmsgq_queue_copy_out(m, iter,
					 kmsgq_store_payload(s, slots[done]),
					 len) ||
		    kmsgq_queue_result_out(m, len, prio) ||
		    kmsgq_queue_sender_out(q, m, slots[done], 0)) {
			err = -EFAULT;
			break;
		}
		m->len = len;
		m->prio = prio;
		bytes += len;
	}

	spin_lock(&q->lock);
take:
	for (i = taken; i > done; i--)
		kmsgq_store_push_head(s, slots[i - 1]);
	for (i = 0; i < done; i++) {
		kmsgq_sender_forget(q, slots[i], 0);
		kmsgq_store_put(s, slots[i]);
	}
	/*
	 * A send to the empty queue while this task slept did not fire: it
	 * was to take the message.  What it leaves, more than it took or put
	 * back, nobody was told of (mqueue would have handed it the first).
	 */
	if (slept && s->count)
		notify = kmsgq_notify_fire(q);
	spin_unlock(&q->lock);
	kmsgq_notify_release(notify);

	kmsgq_queue_account(&q->msgs_recv, &q->bytes_recv, done, bytes);
	if (done)
		kmsgq_queue_wake(q, false, done);
	/*
	 * Messages given back: as many receivers may take them, or dropping
	 * senders that found every slot in flight drop them.
	 */
	if (taken > done) {
		kmsgq_queue_wake(q, true, taken - done);
		if (q->overflow == KMSGQ_OPEN_OVERFLOW_DROP)
			kmsgq_queue_wake(q, false, taken - done);
	}
	return done ?: err;
}

/*
 * KMSGQ_OPEN_OVERFLOW_DROP on a full ring: consume the oldest message
 * unread, counting it in msgs_lost, if its slot is the one the next
 * producer needs.  False if the kernel could make no room that way (that
 * slot claimed but not committed, or read but not released yet, or a
 * mapper's words say so): the sender then waits as without the policy,
 * rather than drop every message behind a slow consumer.  Slots carrying
 * no message are released on the way, uncounted.
 */
static bool kmsgq_queue_ring_drop(struct kmsgq_queue *q)
{
	struct kmsgq_ring *r = &q->ring;
	u32 need = READ_ONCE(*r->prod) - r->nr_slots;
	bool freed = false;
	u32 pos, len;

	if (kmsgq_ring_peek_cons(r, U32_MAX, &pos, &len, &freed))
		return freed;
	if (pos != need)
		return freed;
	if (!kmsgq_ring_claim_at(r, pos))
		return true;	/* a consumer made the room */
	kmsgq_sender_ring_taken(q, pos);
	kmsgq_ring_release(r, pos);
	atomic64_inc(&q->msgs_lost);
	return true;
}

static int kmsgq_queue_ring_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
				 unsigned int nr, struct iov_iter *iter,
				 struct kmsgq_deadline *dl)
{
	bool drop = q->overflow == KMSGQ_OPEN_OVERFLOW_DROP;
	unsigned int done = 0, lost = 0, drops = 0;
	struct kmsgq_ring *r = &q->ring;
	bool published = false;
	u64 bytes = 0;
	int err = 0;
	u32 pos;

	while (done < nr && kmsgq_queue_msg_ok(q, &msgs[done])) {
		/*
		 * A claimed slot must be published: fault the payload in
		 * first, so that a bad buffer fails here without using one.
		 */
		if (!kmsgq_queue_fault_in(&msgs[done], iter)) {
			err = -EFAULT;
			break;
		}
		if (kmsgq_ring_claim_prod(r, &pos)) {
			/*
			 * Room made is claimed by whoever comes first: claim
			 * again at once, as a send that can complete does not
			 * time out; but every KMSGQ_RING_CLAIM_TRIES drops,
			 * look at signals and the deadline, and leave the room
			 * made to sleeping producers if this one gives up.
			 */
			if (drop && kmsgq_queue_ring_drop(q)) {
				if (++drops % KMSGQ_RING_CLAIM_TRIES)
					continue;
				err = kmsgq_queue_retry(dl, &lost);
				if (!err)
					continue;
				kmsgq_queue_ring_notify(q, KMSGQ_RING_WRITABLE);
				break;
			}
			if (done)
				break;
			err = kmsgq_queue_wait(q, &q->send_wq, kmsgq_queue_writable,
					       &q->send_waiters,
					       KMSGQ_RING_WAKE_PRODUCER, dl);
			if (!err)
				err = kmsgq_queue_retry(dl, &lost);
			if (err)
				break;
			continue;
		}
		published = true;
		err = kmsgq_queue_copy_in(kmsgq_ring_payload(r, pos),
					  &msgs[done], iter);
		if (err) {
			/* The slot is claimed: publish it as carrying nothing. */
			kmsgq_ring_publish(r, pos, U32_MAX);
			break;
		}
		kmsgq_sender_ring_sent(q, pos);
		kmsgq_ring_publish(r, pos, msgs[done].len);
		bytes += msgs[done].len;
		done++;
	}

	kmsgq_queue_account(&q->msgs_sent, &q->bytes_sent, done, bytes);
	if (published)
		kmsgq_queue_ring_notify(q, KMSGQ_RING_READABLE);
	return done ?: err;
}

static int kmsgq_queue_ring_recv(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
				 unsigned int nr, struct iov_iter *iter,
				 struct kmsgq_deadline *dl)
{
	struct kmsgq_ring *r = &q->ring;
	unsigned int done = 0, lost = 0;
	bool released = false;
	u64 bytes = 0;
	u32 pos, len;
	int err = 0;
	int ret;

	while (done < nr) {
		struct kmsgq_kmsg *m = &msgs[done];

		ret = kmsgq_ring_peek_cons(r, m->len, &pos, &len, &released);
		if (ret == -EMSGSIZE) {
			if (!done) {
				err = ret;
				if (m->umsg && put_user(len, &m->umsg->len))
					err = -EFAULT;
			}
			break;
		}
		if (ret) {
			if (done)
				break;
			/* Slots skipped as empty are free: wake producers first. */
			if (released) {
				kmsgq_queue_ring_notify(q, KMSGQ_RING_WRITABLE);
				released = false;
			}
			err = kmsgq_queue_wait(q, &q->recv_wq, kmsgq_queue_readable,
					       &q->recv_waiters,
					       KMSGQ_RING_WAKE_CONSUMER, dl);
			if (!err)
				err = kmsgq_queue_retry(dl, &lost);
			if (err)
				break;
			continue;
		}

		/*
		 * Copy out before claiming: a ring slot cannot be put back,
		 * so a fault must leave the message queued.  Another consumer
		 * may take the slot meanwhile; then the claim fails, the
		 * caller's fields get back what they held, and the copy is
		 * redone with the next message.
		 */
		if (kmsgq_queue_copy_out(m, iter, kmsgq_ring_payload(r, pos),
					 len) ||
		    kmsgq_queue_result_out(m, len, 0) ||
		    kmsgq_queue_sender_out(q, m, pos & r->mask, pos)) {
			err = -EFAULT;
			break;
		}
		if (!kmsgq_ring_claim_at(r, pos)) {
			if (iter)
				iov_iter_revert(iter, len);
			/* Written a moment ago: cannot fault but by an unmap. */
			if (kmsgq_queue_result_out(m, m->len, m->prio))
				err = -EFAULT;
			if (done || err)
				break;
			err = kmsgq_queue_retry(dl, &lost);
			if (err)
				break;
			continue;
		}
		kmsgq_sender_ring_taken(q, pos);
		kmsgq_ring_release(r, pos);
		released = true;
		m->len = len;
		m->prio = 0;
		bytes += len;
		done++;
	}

	kmsgq_queue_account(&q->msgs_recv, &q->bytes_recv, done, bytes);
	if (released)
		kmsgq_queue_ring_notify(q, KMSGQ_RING_WRITABLE);
	return done ?: err;
}

static int kmsgq_queue_do_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
			       unsigned int nr, struct iov_iter *iter,
			       struct kmsgq_deadline *dl)
{
	struct kmsgq_deadline fail;
	int i, ret;

	if (msgs[0].len > q->max_msgsize)
		return -EMSGSIZE;
	if (!kmsgq_queue_msg_ok(q, &msgs[0]))
		return -EINVAL;
	/* A full queue fails even a send that may sleep. */
	if (q->overflow == KMSGQ_OPEN_OVERFLOW_FAIL) {
		fail = *dl;
		fail.full_fails = true;
		dl = &fail;
	}
	if (q->is_ring)
		ret = kmsgq_queue_ring_send(q, msgs, nr, iter, dl);
	else if (q->is_fanout)
		ret = kmsgq_fanout_send(q, msgs, nr, iter, dl);
	else
		ret = kmsgq_queue_store_send(q, msgs, nr, iter, dl);
	if (trace_kmsgq_send_enabled())
		for (i = 0; i < ret; i++)
			trace_kmsgq_send(q, msgs[i].len, msgs[i].prio);
	return ret;
}

static int kmsgq_queue_do_recv(struct kmsgq_queue *q,
			       struct kmsgq_fanout_sub *sub,
			       struct kmsgq_kmsg *msgs, unsigned int nr,
			       struct iov_iter *iter, struct kmsgq_deadline *dl)
{
	int i, ret;

	if (q->is_ring)
		ret = kmsgq_queue_ring_recv(q, msgs, nr, iter, dl);
	else if (q->is_fanout)
		ret = kmsgq_fanout_recv(q, sub, msgs, nr, iter, dl);
	else
		ret = kmsgq_queue_store_recv(q, msgs, nr, iter, dl);
	if (trace_kmsgq_recv_enabled())
		for (i = 0; i < ret; i++)
			trace_kmsgq_recv(q, msgs[i].len, msgs[i].prio);
	return ret;
}

/**
 * kmsgq_queue_send() - queue up to @nr messages
 * @q: queue
 * @msgs: messages, at most KMSGQ_CHUNK
 * @nr: messages in @msgs, at least 1
 * @dl: how long the call may sleep for the first message
 *
 * Return: messages queued, or -errno if the first could not be.
 */
int kmsgq_queue_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
		     unsigned int nr, struct kmsgq_deadline *dl)
{
	return kmsgq_queue_do_send(q, msgs, nr, NULL, dl);
}

/**
 * kmsgq_queue_recv() - take up to @nr messages
 * @q: queue
 * @sub: on a fan-out queue, the receiving file's subscriber
 * @msgs: buffers, at most KMSGQ_CHUNK; length and priority filled in
 * @nr: buffers in @msgs, at least 1
 * @dl: how long the call may sleep for the first message
 *
 * Return: messages taken, or -errno if the first could not be.
 */
int kmsgq_queue_recv(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_kmsg *msgs, unsigned int nr,
		     struct kmsgq_deadline *dl)
{
	return kmsgq_queue_do_recv(q, sub, msgs, nr, NULL, dl);
}

/*
 * Does a message stand at @index of the receive order now, or is a ring
 * too busy to tell (which the caller retries rather than sleep on)?
 */
static bool kmsgq_queue_peek_ready(struct kmsgq_queue *q, u32 index)
{
	u32 pos, len;

	if (q->is_ring)
		return kmsgq_ring_peek_at(&q->ring, index, &pos, &len) !=
		       -EAGAIN;
	return READ_ONCE(q->store.count) > index;
}

/*
 * Sleep until a message stands at @index, a signal, or the deadline.  Not
 * exclusive and not counted in recv_waiters: a peeker takes nothing, so it
 * must neither use up a wakeup meant for a receiver nor hold notification
 * back as a waiting receiver does.
 */
static int kmsgq_queue_peek_wait(struct kmsgq_queue *q, u32 index,
				 struct kmsgq_deadline *dl)
{
	struct wait_queue_entry wait;
	bool expired = false;
	int ret = 0;

	if (dl->nonblock)
		return -EAGAIN;

	kmsgq_queue_init_wait(&wait);
	for (;;) {
		prepare_to_wait(&q->recv_wq, &wait, TASK_INTERRUPTIBLE);
		if (q->is_ring)
			kmsgq_ring_arm(&q->ring, KMSGQ_RING_WAKE_CONSUMER);
		if (kmsgq_queue_peek_ready(q, index))
			break;
		ret = kmsgq_queue_sleep(q, KMSGQ_RING_READABLE, dl, &expired);
		if (ret)
			break;
	}
	finish_wait(&q->recv_wq, &wait);
	if (q->is_ring)
		kmsgq_ring_disarm(&q->ring, &q->recv_wq,
				  KMSGQ_RING_WAKE_CONSUMER);
	return ret;
}

/*
 * Copy out the message at @index of a copy queue, leaving it queued: 0,
 * -EAGAIN (none there now), -EMSGSIZE, -EFAULT, or -ESTALE if the slot was
 * freed during the copy (a receiver took the message; look again).
 */
static int kmsgq_queue_store_peek(struct kmsgq_queue *q, struct kmsgq_kmsg *m,
				  u32 index, u32 *len, u32 *prio)
{
	struct kmsgq_store *s = &q->store;
	struct kmsgq_sender from = {};
	u32 slot, gen;
	bool whole;

	spin_lock(&q->lock);
	slot = kmsgq_store_at(s, index);
	if (slot == KMSGQ_SLOT_NONE) {
		spin_unlock(&q->lock);
		return -EAGAIN;
	}
	*len = s->len[slot];
	*prio = s->prio[slot];
	gen = s->gen[slot];
	if (m->usender)
		kmsgq_sender_get(q, slot, 0, &from);
	spin_unlock(&q->lock);

	if (*len > m->len) {
		put_pid(from.pid);
		return -EMSGSIZE;
	}
	/* The sender as it was while the message was queued (gen below). */
	if (m->usender && kmsgq_sender_copy_out(&from, m->usender))
		return -EFAULT;
	put_pid(from.pid);
	/*
	 * Queued, the slot is not written until it is freed (gen moves); a
	 * sender may write it during the copy after that, a race the gen
	 * check below makes harmless.
	 */
	if (kmsgq_queue_copy_out(m, NULL, kmsgq_store_payload(s, slot), *len))
		return -EFAULT;
	spin_lock(&q->lock);
	whole = s->gen[slot] == gen;
	spin_unlock(&q->lock);
	return whole ? 0 : -ESTALE;
}

/* kmsgq_queue_store_peek() for a ring queue: nothing is claimed. */
static int kmsgq_queue_ring_peek(struct kmsgq_queue *q, struct kmsgq_kmsg *m,
				 u32 index, u32 *len, u32 *prio)
{
	struct kmsgq_ring *r = &q->ring;
	u32 pos;
	int err;

	err = kmsgq_ring_peek_at(r, index, &pos, len);
	if (err)
		return err == -EBUSY ? -ESTALE : err;
	*prio = 0;
	if (*len > m->len)
		return -EMSGSIZE;
	if (kmsgq_queue_copy_out(m, NULL, kmsgq_ring_payload(r, pos), *len) ||
	    kmsgq_queue_sender_out(q, m, pos & r->mask, pos))
		return -EFAULT;
	return kmsgq_ring_unmoved(r, pos) ? 0 : -ESTALE;
}

/**
 * kmsgq_queue_peek() - copy out a message without taking it
 * @q: queue
 * @sub: on a fan-out queue, the peeking file's subscriber: @index counts
 *	its unread messages
 * @m: buffer; its caller's struct kmsgq_msg gets the length and priority
 * @index: messages to pass over in receive order
 * @dl: how long the call may sleep for a message at @index
 *
 * Leaves the queue as it was.  A message received while it is copied, or
 * a ring too busy to walk, is looked for again as a lost ring claim is
 * (kmsgq_queue_retry(): never past a signal or the deadline, and no
 * more than KMSGQ_RING_CLAIM_TRIES times for a call that may not sleep);
 * so is a message that was gone again when a wakeup came.  On a queue
 * whose receivers keep taking the message at @index during the copy, a
 * peek may therefore end at its deadline without one.
 *
 * Return: 1, or -errno: -EINVAL (@index beyond the queue's depth),
 * -EAGAIN, -ETIMEDOUT, -EINTR, -ERESTARTSYS, -EFAULT, or -EMSGSIZE with
 * the length needed written back.
 */
int kmsgq_queue_peek(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
		     struct kmsgq_kmsg *m, u32 index, struct kmsgq_deadline *dl)
{
	unsigned int lost = 0;
	u32 len = 0, prio = 0;
	int err;

	/* Never satisfied, and a ring's sleeper costs its producers. */
	if (index >= q->max_msgs)
		return -EINVAL;
	if (q->is_fanout)
		return kmsgq_fanout_peek(q, sub, m, index, dl);
	for (;;) {
		if (q->is_ring)
			err = kmsgq_queue_ring_peek(q, m, index, &len, &prio);
		else
			err = kmsgq_queue_store_peek(q, m, index, &len, &prio);
		if (err == -EAGAIN) {
			err = kmsgq_queue_peek_wait(q, index, dl);
			/* Woken, or found ready: not past a signal. */
			if (!err)
				err = kmsgq_queue_retry(dl, &lost);
		} else if (err == -ESTALE) {
			err = kmsgq_queue_retry(dl, &lost);
		} else {
			break;
		}
		if (err)
			return err;
	}
	if (err && err != -EMSGSIZE)
		return err;
	if (put_user(len, &m->umsg->len) ||
	    (!err && put_user(prio, &m->umsg->prio)))
		return -EFAULT;
	return err ?: 1;
}

/**
 * kmsgq_queue_send_iter() - queue one message gathered from an iov_iter
 * @q: queue
 * @from: the payload, all of it one message (write_iter, writev)
 * @dl: how long the call may sleep
 *
 * Return: the message's length, or -errno (-EMSGSIZE if @from holds more
 * than the queue's largest message); @from is advanced past what was sent.
 */
ssize_t kmsgq_queue_send_iter(struct kmsgq_queue *q, struct iov_iter *from,
			      struct kmsgq_deadline *dl)
{
	struct kmsgq_kmsg m = {};
	int ret;

	if (iov_iter_count(from) > q->max_msgsize)
		return -EMSGSIZE;
	m.len = iov_iter_count(from);
	ret = kmsgq_queue_do_send(q, &m, 1, from, dl);
	return ret < 0 ? ret : (ssize_t)m.len;
}

/**
 * kmsgq_queue_recv_iter() - take one message, scattered into an iov_iter
 * @q: queue
 * @sub: on a fan-out queue, the receiving file's subscriber
 * @to: the buffer: its whole length must hold the message (read_iter,
 *	readv)
 * @dl: how long the call may sleep
 *
 * Return: the message's length, or -errno (-EMSGSIZE if the next message
 * is longer than @to: it stays queued); @to is advanced past the message.
 */
ssize_t kmsgq_queue_recv_iter(struct kmsgq_queue *q,
			      struct kmsgq_fanout_sub *sub, struct iov_iter *to,
			      struct kmsgq_deadline *dl)
{
	struct kmsgq_kmsg m = {
		.len = min_t(size_t, iov_iter_count(to), U32_MAX),
	};
	int ret;

	ret = kmsgq_queue_do_recv(q, sub, &m, 1, to, dl);
	return ret < 0 ? ret : (ssize_t)m.len;
}

/**
 * kmsgq_queue_poll_mask() - readiness of a queue
 * @q: queue
 * @sub: on a fan-out queue, the polling file's subscriber, or NULL: it is
 *	readable for a subscriber with a message unread
 * @wanted: events the poller waits for
 * @queued: the poller has just queued itself on the wait queues of @wanted
 *
 * On a ring, the wakeup bits of @wanted are armed every time, ready or not,
 * so that in-place peers wake an epoll entry that stays queued, whether it
 * is edge-triggered or was changed by EPOLL_CTL_MOD (which polls without
 * queueing); a bit armed for nothing costs a peer one spare RING_WAKE.
 *
 * Return: EPOLLIN/EPOLLRDNORM and EPOLLOUT/EPOLLWRNORM as they hold now.
 */
__poll_t kmsgq_queue_poll_mask(struct kmsgq_queue *q,
			       struct kmsgq_fanout_sub *sub, __poll_t wanted,
			       bool queued)
{
	__poll_t mask = 0;

	/* Its lock orders the poller's queueing with a publisher's commit. */
	if (q->is_fanout) {
		if ((wanted & KMSGQ_POLL_IN) && kmsgq_fanout_readable(q, sub))
			mask |= KMSGQ_POLL_IN;
		if ((wanted & KMSGQ_POLL_OUT) && kmsgq_fanout_writable(q))
			mask |= KMSGQ_POLL_OUT;
		return mask;
	}

	if (q->is_ring) {
		u32 bits = 0;

		if (wanted & KMSGQ_POLL_IN)
			bits |= KMSGQ_RING_WAKE_CONSUMER;
		if (wanted & KMSGQ_POLL_OUT)
			bits |= KMSGQ_RING_WAKE_PRODUCER;
		if (bits)
			kmsgq_ring_arm(&q->ring, bits);
	} else if (queued) {
		/*
		 * The poller's place on the wait queue before it reads the
		 * store: pairs with the barrier in wq_has_sleeper() of a
		 * waker that changed the store first (kmsgq_queue_wake()).
		 */
		smp_mb();
	}
	if (kmsgq_queue_readable(q))
		mask |= KMSGQ_POLL_IN;
	if (kmsgq_queue_writable(q))
		mask |= KMSGQ_POLL_OUT;
	return mask;
}

static u32 kmsgq_queue_ring_events(struct kmsgq_queue *q, u32 events)
{
	u32 ready = 0;

	if ((events & KMSGQ_RING_READABLE) && kmsgq_queue_readable(q))
		ready |= KMSGQ_RING_READABLE;
	if ((events & KMSGQ_RING_WRITABLE) && kmsgq_queue_writable(q))
		ready |= KMSGQ_RING_WRITABLE;
	return ready;
}

/**
 * kmsgq_queue_ring_wait() - sleep until a ring is readable or writable
 * @q: ring queue
 * @events: KMSGQ_RING_READABLE and/or KMSGQ_RING_WRITABLE
 * @waker: add KMSGQ_RING_WOKEN_LOCAL to the result if a task that woke
 *	this one while it waited ran on the CPU it returns on
 * @dl: deadline
 *
 * Return: the events that hold, or -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS.
 */
int kmsgq_queue_ring_wait(struct kmsgq_queue *q, u32 events, bool waker,
			  struct kmsgq_deadline *dl)
{
	struct kmsgq_queue_ring_waiter rwait, swait;
	bool expired = false;
	u32 bits = 0;
	int ret;

	if (events & KMSGQ_RING_READABLE)
		bits |= KMSGQ_RING_WAKE_CONSUMER;
	if (events & KMSGQ_RING_WRITABLE)
		bits |= KMSGQ_RING_WAKE_PRODUCER;

	ret = kmsgq_queue_ring_events(q, events);
	if (ret || dl->nonblock)
		return ret ?: -EAGAIN;

	kmsgq_queue_ring_init_wait(&rwait);
	kmsgq_queue_ring_init_wait(&swait);
	if (events & KMSGQ_RING_READABLE)
		atomic_inc(&q->recv_waiters);
	if (events & KMSGQ_RING_WRITABLE)
		atomic_inc(&q->send_waiters);
	for (;;) {
		if (events & KMSGQ_RING_READABLE)
			prepare_to_wait(&q->recv_wq, &rwait.entry,
					TASK_INTERRUPTIBLE);
		if (events & KMSGQ_RING_WRITABLE)
			prepare_to_wait(&q->send_wq, &swait.entry,
					TASK_INTERRUPTIBLE);
		kmsgq_ring_arm(&q->ring, bits);
		ret = kmsgq_queue_ring_events(q, events);
		if (ret)
			break;
		ret = kmsgq_queue_sleep(q, events, dl, &expired);
		if (ret)
			break;
		ret = kmsgq_queue_ring_events(q, events);
		if (ret)
			break;
	}
	if (events & KMSGQ_RING_READABLE) {
		finish_wait(&q->recv_wq, &rwait.entry);
		atomic_dec(&q->recv_waiters);
		kmsgq_ring_disarm(&q->ring, &q->recv_wq, KMSGQ_RING_WAKE_CONSUMER);
	}
	if (events & KMSGQ_RING_WRITABLE) {
		finish_wait(&q->send_wq, &swait.entry);
		atomic_dec(&q->send_waiters);
		kmsgq_ring_disarm(&q->ring, &q->send_wq, KMSGQ_RING_WAKE_PRODUCER);
	}
	/* A hint, so a migration since the wakeup does not matter. */
	if (ret > 0 && waker &&
	    (READ_ONCE(rwait.waker_cpu) == raw_smp_processor_id() ||
	     READ_ONCE(swait.waker_cpu) == raw_smp_processor_id()))
		ret |= KMSGQ_RING_WOKEN_LOCAL;
	return ret;
}

/**
 * kmsgq_queue_xfer_ready() - may a transfer that found nothing go on now
 * @q: queue
 * @send: a send (else a receive or a peek)
 * @peek: a peek at @index of the receive order (KMSGQ_XFER_PEEK)
 * @index: with @peek, the index
 *
 * What a sleeping send, receive or peek waits for, for a waiter that is
 * not a sleeping task: an io_uring command parked on q->recv_wq or
 * q->send_wq (uring.c) asks it after queueing its wait entry (and, on a
 * ring, arming the wakeup bit), to close the window in which a wakeup
 * came before the entry was there.  It takes no lock, as it is asked
 * under the wait queue's; a fan-out queue's command asks
 * kmsgq_fanout_ready() under @q->lock instead.
 *
 * Return: true if a transfer that may not sleep should be tried again.
 */
bool kmsgq_queue_xfer_ready(struct kmsgq_queue *q, bool send, bool peek,
			    u32 index)
{
	if (WARN_ON_ONCE(q->is_fanout))
		return true;
	if (peek)
		return kmsgq_queue_peek_ready(q, index);
	if (!send)
		return kmsgq_queue_readable(q);
	if (!q->is_ring && q->overflow == KMSGQ_OPEN_OVERFLOW_DROP)
		return kmsgq_queue_store_droppable(q);
	return kmsgq_queue_writable(q);
}
