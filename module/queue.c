// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq queue: named queues, their accounting and permissions, and blocking
 * send/receive over a copy store or a ring.
 *
 * Locking:
 *  - kmsgq_registry_lock (mutex) protects the name table, the queue count and
 *    the per-user accounts.  Only open, unlink, the final put and debugfs
 *    take it; no send or receive does.
 *  - q->lock (spinlock) protects q->store.  It is never held across a user
 *    copy or a sleep: senders take free slots under it, fill them unlocked,
 *    then link them under it; receivers the other way round.
 *  - A ring has no kernel lock: its shared words are claimed by cmpxchg.
 *
 * Wakeups: copy queues use exclusive waits, so each queued message wakes one
 * sleeping receiver and each freed slot one sleeping sender (pollers are all
 * woken).  Ring queues cannot count: in-place producers and consumers tell
 * the kernel only through KMSGQ_IOC_RING_WAKE, so their sleepers arm a bit in
 * the shared wakeup word and every wake wakes them all; see
 * kmsgq_queue_ring_wake() for the ordering.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/**
 * struct kmsgq_user - queue storage charged to one user
 * @node: link in kmsgq_users
 * @uid: the user (real uid of the creators)
 * @queues: queues charged here
 * @bytes: storage bytes charged here, at most kmsgq_user_bytes_max
 */
struct kmsgq_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int queues;
	size_t bytes;
};

static DEFINE_MUTEX(kmsgq_registry_lock);
static DEFINE_HASHTABLE(kmsgq_names, 6);	/* by kmsgq_registry_lock */
static DEFINE_HASHTABLE(kmsgq_users, 4);	/* by kmsgq_registry_lock */
static LIST_HEAD(kmsgq_all);			/* by kmsgq_registry_lock */
static unsigned int kmsgq_nr_queues;		/* by kmsgq_registry_lock */
static u64 kmsgq_last_id;			/* by kmsgq_registry_lock */

/**
 * kmsgq_name_check() - validate a queue name
 * @name: buffer holding the name
 * @size: bytes in @name
 *
 * Return: 0, -ENAMETOOLONG if there is no NUL within @size bytes, or -EINVAL
 * for an empty name, "." or "..", or a byte outside [A-Za-z0-9._-].
 */
int kmsgq_name_check(const char *name, size_t size)
{
	size_t len = strnlen(name, size);
	size_t i;

	if (len == size)
		return -ENAMETOOLONG;
	if (!len || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* isalnum() takes Latin-1 letters too: ASCII only. */
		if (!isascii(c) ||
		    (!isalnum(c) && c != '.' && c != '_' && c != '-'))
			return -EINVAL;
	}
	return 0;
}

static u32 kmsgq_name_hash(const char *name, struct user_namespace *ns)
{
	return jhash(name, strlen(name), hash_ptr(ns, 32));
}

/* Caller holds kmsgq_registry_lock. */
static struct kmsgq_queue *kmsgq_lookup(const char *name,
					struct user_namespace *ns)
{
	struct kmsgq_queue *q;

	hash_for_each_possible(kmsgq_names, q, node, kmsgq_name_hash(name, ns))
		if (q->ns == ns && !strcmp(q->name, name))
			return q;
	return NULL;
}

/* Remove @q's name.  Caller holds kmsgq_registry_lock. */
static void kmsgq_name_del(struct kmsgq_queue *q)
{
	hash_del(&q->node);
	list_del(&q->all);
	q->linked = false;
}

/* Caller holds kmsgq_registry_lock. */
static struct kmsgq_user *kmsgq_user_get(kuid_t uid)
{
	struct kmsgq_user *u;

	hash_for_each_possible(kmsgq_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	u->uid = uid;
	hash_add(kmsgq_users, &u->node, __kuid_val(uid));
	return u;
}

/* Caller holds kmsgq_registry_lock; frees an account with no queues. */
static void kmsgq_user_put(struct kmsgq_user *u)
{
	if (u->queues)
		return;
	hash_del(&u->node);
	kfree(u);
}

static int kmsgq_permission(struct kmsgq_queue *q, fmode_t fmode)
{
	umode_t mode = q->mode;
	umode_t want = 0;

	if (fmode & FMODE_READ)
		want |= 4;
	if (fmode & FMODE_WRITE)
		want |= 2;

	if (uid_eq(current_fsuid(), q->uid))
		mode >>= 6;
	else if (in_group_p(q->gid))
		mode >>= 3;
	if ((mode & want) == want)
		return 0;
	if (ns_capable(q->ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* Final put: called with kmsgq_registry_lock held, releases it. */
static void kmsgq_queue_release(struct kref *ref)
{
	struct kmsgq_queue *q = container_of(ref, struct kmsgq_queue, ref);

	q->user->bytes -= q->charge;
	q->user->queues--;
	kmsgq_user_put(q->user);
	kmsgq_nr_queues--;
	mutex_unlock(&kmsgq_registry_lock);

	if (q->is_ring)
		kmsgq_ring_destroy(&q->ring);
	else
		kmsgq_store_destroy(&q->store);
	put_user_ns(q->ns);
	kfree(q);
}

/**
 * kmsgq_queue_put() - drop a reference to a queue
 * @q: queue; freed with its storage when this was the last reference
 *
 * Context: process context; takes kmsgq_registry_lock for the last put.
 */
void kmsgq_queue_put(struct kmsgq_queue *q)
{
	kref_put_mutex(&q->ref, kmsgq_queue_release, &kmsgq_registry_lock);
}

static bool kmsgq_attr_ok(u32 msgs, u32 msgsize)
{
	return msgs && msgs <= min(kmsgq_max_msgs, KMSGQ_MSGS_HARD_MAX) &&
	       msgsize &&
	       msgsize <= min(kmsgq_max_msgsize, KMSGQ_MSGSIZE_HARD_MAX);
}

/* Caller holds kmsgq_registry_lock. */
static struct kmsgq_queue *kmsgq_queue_create(const struct kmsgq_open *op,
					      struct user_namespace *ns)
{
	u32 msgs = op->max_msgs ?: kmsgq_default_msgs;
	u32 msgsize = op->max_msgsize ?: kmsgq_default_msgsize;
	bool ring = op->flags & KMSGQ_OPEN_RING;
	struct kmsgq_queue *q;
	struct kmsgq_user *u;
	size_t charge;
	int err;

	if (!kmsgq_attr_ok(msgs, msgsize))
		return ERR_PTR(-EINVAL);
	if (ring) {
		/*
		 * Whole slots: a power of two of them, each whole cache
		 * lines.  What GETATTR reports and the limits apply to.
		 */
		msgs = roundup_pow_of_two(max(msgs, 2U));
		msgsize = kmsgq_ring_slot_size(msgsize);
		if (!kmsgq_attr_ok(msgs, msgsize))
			return ERR_PTR(-EINVAL);
		charge = kmsgq_ring_bytes(msgs, msgsize);
	} else {
		charge = kmsgq_store_bytes(msgs, msgsize);
	}
	if (kmsgq_nr_queues >= kmsgq_max_queues)
		return ERR_PTR(-ENOSPC);

	u = kmsgq_user_get(current_uid());
	if (!u)
		return ERR_PTR(-ENOMEM);
	if (charge > kmsgq_user_bytes_max ||
	    u->bytes > kmsgq_user_bytes_max - charge) {
		err = -EMFILE;
		goto out_put_user;
	}

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q) {
		err = -ENOMEM;
		goto out_put_user;
	}
	if (ring)
		err = kmsgq_ring_init(&q->ring, msgs, msgsize);
	else
		err = kmsgq_store_init(&q->store, msgs, msgsize);
	if (err)
		goto out_free_queue;

	kref_init(&q->ref);
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->recv_wq);
	init_waitqueue_head(&q->send_wq);
	q->is_ring = ring;
	q->max_msgs = msgs;
	q->max_msgsize = msgsize;
	q->mode = op->mode & ~current_umask() & 0777;
	q->uid = current_fsuid();
	q->gid = current_fsgid();
	q->ns = get_user_ns(ns);
	q->user = u;
	q->charge = charge;
	strscpy(q->name, op->name, sizeof(q->name));

	u->queues++;
	u->bytes += charge;
	kmsgq_nr_queues++;
	q->id = ++kmsgq_last_id;
	hash_add(kmsgq_names, &q->node, kmsgq_name_hash(q->name, ns));
	list_add_tail(&q->all, &kmsgq_all);
	q->linked = true;
	return q;

out_free_queue:
	kfree(q);
out_put_user:
	kmsgq_user_put(u);
	return ERR_PTR(err);
}

/**
 * kmsgq_queue_open() - find or create the queue a KMSGQ_IOC_OPEN names
 * @op: the request, flags and reserved fields already checked
 * @fmode: access the file was opened for
 *
 * Return: the queue with a reference for the file, or an ERR_PTR.
 */
struct kmsgq_queue *kmsgq_queue_open(const struct kmsgq_open *op,
				     fmode_t fmode)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_queue *q;
	int err;

	err = kmsgq_name_check(op->name, sizeof(op->name));
	if (err)
		return ERR_PTR(err);

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_lookup(op->name, ns);
	if (q) {
		if ((op->flags & KMSGQ_OPEN_CREATE) &&
		    (op->flags & KMSGQ_OPEN_EXCL))
			err = -EEXIST;
		else
			err = kmsgq_permission(q, fmode);
	} else if (op->flags & KMSGQ_OPEN_CREATE) {
		q = kmsgq_queue_create(op, ns);
		if (IS_ERR(q))
			err = PTR_ERR(q);
	} else {
		err = -ENOENT;
	}
	if (!err)
		kref_get(&q->ref);
	mutex_unlock(&kmsgq_registry_lock);
	return err ? ERR_PTR(err) : q;
}

/**
 * kmsgq_queue_unlink() - remove a name from the caller's user namespace
 * @name: NUL-terminated name, KMSGQ_NAME_MAX bytes of buffer
 *
 * Return: 0, -ENOENT, -EPERM, or a name error.
 */
int kmsgq_queue_unlink(const char *name)
{
	struct kmsgq_queue *q;
	int err;

	err = kmsgq_name_check(name, KMSGQ_NAME_MAX);
	if (err)
		return err;

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_lookup(name, current_user_ns());
	if (!q) {
		err = -ENOENT;
	} else if (!uid_eq(current_fsuid(), q->uid) &&
		   !ns_capable(q->ns, CAP_IPC_OWNER)) {
		err = -EPERM;
	} else {
		kmsgq_name_del(q);
	}
	mutex_unlock(&kmsgq_registry_lock);

	if (!err)
		kmsgq_queue_put(q);
	return err;
}

/**
 * kmsgq_queue_unlink_all() - drop every name, at module exit
 *
 * No file can be open then, so every queue is freed.
 */
void kmsgq_queue_unlink_all(void)
{
	struct kmsgq_queue *q;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&kmsgq_registry_lock);
	hash_for_each_safe(kmsgq_names, bkt, tmp, q, node) {
		kmsgq_name_del(q);
		mutex_unlock(&kmsgq_registry_lock);
		kmsgq_queue_put(q);
		mutex_lock(&kmsgq_registry_lock);
	}
	mutex_unlock(&kmsgq_registry_lock);
}

/**
 * kmsgq_queue_count() - messages queued now
 * @q: queue
 */
u32 kmsgq_queue_count(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_count(&q->ring);
	return READ_ONCE(q->store.count);
}

static bool kmsgq_readable(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_readable(&q->ring);
	return READ_ONCE(q->store.count);
}

static bool kmsgq_writable(struct kmsgq_queue *q)
{
	if (q->is_ring)
		return kmsgq_ring_writable(&q->ring);
	return READ_ONCE(q->store.nr_free);
}

/*
 * Tell in-place producers/consumers of a ring that the kernel has a sleeper
 * for @bits, before the sleeper's final check of the ring.  Pairs with the
 * full barrier user space issues between publishing a slot and reading the
 * wakeup word (uapi struct kmsgq_ring_info), and with the one in
 * kmsgq_ring_notify().
 */
static void kmsgq_ring_arm(struct kmsgq_queue *q, u32 bits)
{
	atomic_or(bits, (atomic_t *)q->ring.wakeup);
	/* Bit visible before the caller rechecks the ring. */
	smp_mb__after_atomic();
}

/*
 * Clear @bit unless something still waits on @wq: a sleeper, or an epoll
 * entry, which stays queued between epoll_wait() calls and must stay armed.
 * Under the wait queue's lock: a sleeper queues itself there before it
 * arms, so either this sees it queued, or its arm comes after the clear.
 */
static void kmsgq_ring_disarm(struct kmsgq_queue *q,
			      struct wait_queue_head *wq, u32 bit)
{
	unsigned long flags;

	if (!(READ_ONCE(*q->ring.wakeup) & bit))
		return;
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&wq->head))
		atomic_andnot(bit, (atomic_t *)q->ring.wakeup);
	spin_unlock_irqrestore(&wq->lock, flags);
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
		wake_up_all(&q->recv_wq);
		kmsgq_ring_disarm(q, &q->recv_wq, KMSGQ_RING_WAKE_CONSUMER);
	}
	if (events & KMSGQ_RING_WRITABLE) {
		wake_up_all(&q->send_wq);
		kmsgq_ring_disarm(q, &q->send_wq, KMSGQ_RING_WAKE_PRODUCER);
	}
}

/* After the kernel published or released ring slots: wake sleepers if armed. */
static void kmsgq_ring_notify(struct kmsgq_queue *q, u32 bit, u32 events)
{
	/* Our publish/release before reading the word; pairs with kmsgq_ring_arm(). */
	smp_mb();
	if (READ_ONCE(*q->ring.wakeup) & bit)
		kmsgq_queue_ring_wake(q, events);
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
static int kmsgq_wake_function(struct wait_queue_entry *entry,
			       unsigned int mode, int sync, void *key)
{
	struct task_struct *task = entry->private;

	list_del_init_careful(&entry->entry);
	/* Every kmsgq wake is TASK_NORMAL, which is what this wakes. */
	return wake_up_process(task);
}

static void kmsgq_init_wait(struct wait_queue_entry *entry)
{
	init_wait_entry(entry, 0);
	entry->func = kmsgq_wake_function;
}

/*
 * One sleep of a task that has queued itself, set its state and found
 * nothing ready: 0 once it wakes, or why the wait ends instead: a signal,
 * or the deadline, which passed during an earlier sleep.
 */
static int kmsgq_sleep(struct kmsgq_queue *q, u32 events,
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

/*
 * Sleep on @wq until @ready, a signal, or the deadline.  Exclusive: a waker
 * that wakes one sleeper per message wakes this one or another, never both.
 * After a wakeup @ready is checked before requeueing, so the common path
 * takes the wait queue's lock once per sleep.
 */
static int kmsgq_wait(struct kmsgq_queue *q, struct wait_queue_head *wq,
		      bool (*ready)(struct kmsgq_queue *q), atomic_t *waiters,
		      u32 ring_bit, struct kmsgq_deadline *dl)
{
	struct wait_queue_entry wait;
	bool expired = false;
	int ret = 0;

	kmsgq_init_wait(&wait);

	if (dl->nonblock)
		return -EAGAIN;

	atomic_inc(waiters);
	for (;;) {
		prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
		if (q->is_ring)
			kmsgq_ring_arm(q, ring_bit);
		if (ready(q))
			break;
		ret = kmsgq_sleep(q, wq == &q->recv_wq ? KMSGQ_RING_READABLE :
					 KMSGQ_RING_WRITABLE, dl, &expired);
		if (ret)
			break;
		if (ready(q))
			break;
	}
	finish_wait(wq, &wait);
	atomic_dec(waiters);
	if (q->is_ring)
		kmsgq_ring_disarm(q, wq, ring_bit);

	/* Pass on an exclusive wakeup this task took but will not use. */
	if (ret && ready(q))
		wake_up(wq);
	return ret;
}

/*
 * A ring looked ready but the claim failed: another claimant won, or a
 * mapper keeps the shared words inconsistent.  Retry, but never past a
 * signal or the deadline, however long that goes on.
 */
static int kmsgq_ring_retry(struct kmsgq_deadline *dl)
{
	/* A call that may not sleep says EAGAIN, as for a busy ring. */
	if (signal_pending(current))
		return dl->nonblock ? -EAGAIN :
		       dl->restart ? -ERESTARTSYS : -EINTR;
	if (dl->timed && ktime_after(kmsgq_clock_now(dl->clockid), dl->expires))
		return dl->nonblock ? -EAGAIN : -ETIMEDOUT;
	cond_resched();
	return 0;
}

/*
 * Wake @nr exclusive receivers (@recv) or senders, and every poller waiting
 * for the same.  The common case, nobody waiting, costs a barrier and no
 * lock: the barrier in wq_has_sleeper() pairs with the one in
 * set_current_state() that a sleeper issues after queueing itself and
 * before checking the store.
 */
static void kmsgq_wake(struct kmsgq_queue *q, bool recv, int nr)
{
	struct wait_queue_head *wq = recv ? &q->recv_wq : &q->send_wq;
	__poll_t events = recv ? EPOLLIN | EPOLLRDNORM : EPOLLOUT | EPOLLWRNORM;

	if (wq_has_sleeper(wq)) {
		trace_kmsgq_wake(q, recv ? KMSGQ_RING_READABLE :
				 KMSGQ_RING_WRITABLE);
		__wake_up(wq, TASK_NORMAL, nr, poll_to_key(events));
	}
}

static bool kmsgq_msg_ok(struct kmsgq_queue *q, const struct kmsgq_kmsg *m)
{
	return m->len <= q->max_msgsize &&
	       m->prio < (q->is_ring ? 1 : KMSGQ_PRIO_MAX);
}

static void kmsgq_count(atomic64_t *msgs, atomic64_t *bytes,
			unsigned int n, u64 len)
{
	if (n) {
		atomic64_add(n, msgs);
		atomic64_add(len, bytes);
	}
}

static int kmsgq_store_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
			    unsigned int nr, struct kmsgq_deadline *dl)
{
	struct kmsgq_store *s = &q->store;
	u32 slots[KMSGQ_CHUNK];
	unsigned int taken, done, i;
	u64 bytes = 0;
	int err = 0;

	spin_lock(&q->lock);
	while (!s->nr_free) {
		spin_unlock(&q->lock);
		err = kmsgq_wait(q, &q->send_wq, kmsgq_writable,
				 &q->send_waiters, 0, dl);
		if (err)
			return err;
		spin_lock(&q->lock);
	}
	for (taken = 0; taken < nr && s->nr_free; taken++) {
		if (!kmsgq_msg_ok(q, &msgs[taken]))
			break;
		slots[taken] = kmsgq_store_get(s);
	}
	spin_unlock(&q->lock);

	for (done = 0; done < taken; done++) {
		if (copy_from_user(kmsgq_store_payload(s, slots[done]),
				   msgs[done].buf, msgs[done].len)) {
			err = -EFAULT;
			break;
		}
		bytes += msgs[done].len;
	}

	spin_lock(&q->lock);
	for (i = 0; i < done; i++)
		kmsgq_store_push(s, slots[i], msgs[i].len, msgs[i].prio);
	for (; i < taken; i++)
		kmsgq_store_put(s, slots[i]);
	spin_unlock(&q->lock);

	kmsgq_count(&q->msgs_sent, &q->bytes_sent, done, bytes);
	if (done)
		kmsgq_wake(q, true, done);
	if (taken > done)
		kmsgq_wake(q, false, 1);
	return done ?: err;
}

static int kmsgq_store_recv(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
			    unsigned int nr, struct kmsgq_deadline *dl)
{
	struct kmsgq_store *s = &q->store;
	u32 slots[KMSGQ_CHUNK];
	unsigned int taken, done, i;
	u32 needed = 0;
	u64 bytes = 0;
	int err = 0;

	spin_lock(&q->lock);
	while (!s->count) {
		spin_unlock(&q->lock);
		err = kmsgq_wait(q, &q->recv_wq, kmsgq_readable,
				 &q->recv_waiters, 0, dl);
		if (err)
			return err;
		spin_lock(&q->lock);
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
		kmsgq_wake(q, true, 1);
		if (msgs[0].umsg && put_user(needed, &msgs[0].umsg->len))
			return -EFAULT;
		return err;
	}

	/* The popped slots are ours: their length and priority are stable. */
	for (done = 0; done < taken; done++) {
		struct kmsgq_kmsg *m = &msgs[done];
		u32 len = s->len[slots[done]];
		u32 prio = s->prio[slots[done]];

		if (copy_to_user(m->buf, kmsgq_store_payload(s, slots[done]),
				 len) ||
		    (m->umsg && (put_user(len, &m->umsg->len) ||
				 put_user(prio, &m->umsg->prio)))) {
			err = -EFAULT;
			break;
		}
		m->len = len;
		m->prio = prio;
		bytes += len;
	}

	spin_lock(&q->lock);
	for (i = taken; i > done; i--)
		kmsgq_store_push_head(s, slots[i - 1]);
	for (i = 0; i < done; i++)
		kmsgq_store_put(s, slots[i]);
	spin_unlock(&q->lock);

	kmsgq_count(&q->msgs_recv, &q->bytes_recv, done, bytes);
	if (done)
		kmsgq_wake(q, false, done);
	if (taken > done)
		kmsgq_wake(q, true, 1);
	return done ?: err;
}

static int kmsgq_ring_send(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
			   unsigned int nr, struct kmsgq_deadline *dl)
{
	struct kmsgq_ring *r = &q->ring;
	unsigned int done = 0;
	bool published = false;
	u64 bytes = 0;
	int err = 0;
	u32 pos;

	while (done < nr && kmsgq_msg_ok(q, &msgs[done])) {
		/*
		 * A claimed slot must be published: fault the payload in
		 * first, so that a bad buffer fails here without using one.
		 */
		if (fault_in_readable(msgs[done].buf, msgs[done].len)) {
			err = -EFAULT;
			break;
		}
		if (kmsgq_ring_claim_prod(r, &pos)) {
			if (done)
				break;
			err = kmsgq_wait(q, &q->send_wq, kmsgq_writable,
					 &q->send_waiters,
					 KMSGQ_RING_WAKE_PRODUCER, dl);
			if (!err)
				err = kmsgq_ring_retry(dl);
			if (err)
				break;
			continue;
		}
		published = true;
		if (copy_from_user(kmsgq_ring_payload(r, pos), msgs[done].buf,
				   msgs[done].len)) {
			/* The slot is claimed: publish it as carrying nothing. */
			kmsgq_ring_publish(r, pos, U32_MAX);
			err = -EFAULT;
			break;
		}
		kmsgq_ring_publish(r, pos, msgs[done].len);
		bytes += msgs[done].len;
		done++;
	}

	kmsgq_count(&q->msgs_sent, &q->bytes_sent, done, bytes);
	if (published)
		kmsgq_ring_notify(q, KMSGQ_RING_WAKE_CONSUMER,
				  KMSGQ_RING_READABLE);
	return done ?: err;
}

static int kmsgq_ring_recv(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
			   unsigned int nr, struct kmsgq_deadline *dl)
{
	struct kmsgq_ring *r = &q->ring;
	unsigned int done = 0;
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
				kmsgq_ring_notify(q, KMSGQ_RING_WAKE_PRODUCER,
						  KMSGQ_RING_WRITABLE);
				released = false;
			}
			err = kmsgq_wait(q, &q->recv_wq, kmsgq_readable,
					 &q->recv_waiters,
					 KMSGQ_RING_WAKE_CONSUMER, dl);
			if (!err)
				err = kmsgq_ring_retry(dl);
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
		if (copy_to_user(m->buf, kmsgq_ring_payload(r, pos), len) ||
		    (m->umsg && (put_user(len, &m->umsg->len) ||
				 put_user(0, &m->umsg->prio)))) {
			err = -EFAULT;
			break;
		}
		if (!kmsgq_ring_claim_at(r, pos)) {
			/* Written a moment ago: cannot fault but by an unmap. */
			if (m->umsg && (put_user(m->len, &m->umsg->len) ||
					put_user(m->prio, &m->umsg->prio)))
				err = -EFAULT;
			if (done || err)
				break;
			err = kmsgq_ring_retry(dl);
			if (err)
				break;
			continue;
		}
		kmsgq_ring_release(r, pos);
		released = true;
		m->len = len;
		m->prio = 0;
		bytes += len;
		done++;
	}

	kmsgq_count(&q->msgs_recv, &q->bytes_recv, done, bytes);
	if (released)
		kmsgq_ring_notify(q, KMSGQ_RING_WAKE_PRODUCER,
				  KMSGQ_RING_WRITABLE);
	return done ?: err;
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
	int i, ret;

	if (msgs[0].len > q->max_msgsize)
		return -EMSGSIZE;
	if (!kmsgq_msg_ok(q, &msgs[0]))
		return -EINVAL;
	if (q->is_ring)
		ret = kmsgq_ring_send(q, msgs, nr, dl);
	else
		ret = kmsgq_store_send(q, msgs, nr, dl);
	if (trace_kmsgq_send_enabled())
		for (i = 0; i < ret; i++)
			trace_kmsgq_send(q, msgs[i].len, msgs[i].prio);
	return ret;
}

/**
 * kmsgq_queue_recv() - take up to @nr messages
 * @q: queue
 * @msgs: buffers, at most KMSGQ_CHUNK; length and priority filled in
 * @nr: buffers in @msgs, at least 1
 * @dl: how long the call may sleep for the first message
 *
 * Return: messages taken, or -errno if the first could not be.
 */
int kmsgq_queue_recv(struct kmsgq_queue *q, struct kmsgq_kmsg *msgs,
		     unsigned int nr, struct kmsgq_deadline *dl)
{
	int i, ret;

	if (q->is_ring)
		ret = kmsgq_ring_recv(q, msgs, nr, dl);
	else
		ret = kmsgq_store_recv(q, msgs, nr, dl);
	if (trace_kmsgq_recv_enabled())
		for (i = 0; i < ret; i++)
			trace_kmsgq_recv(q, msgs[i].len, msgs[i].prio);
	return ret;
}

/**
 * kmsgq_queue_poll_mask() - readiness of a queue
 * @q: queue
 * @wanted: events the poller waits for; on a ring, their wakeup bits are
 *	armed when not ready, so that in-place peers wake the poller
 */
__poll_t kmsgq_queue_poll_mask(struct kmsgq_queue *q, __poll_t wanted)
{
	__poll_t mask = 0;

	if (q->is_ring) {
		u32 bits = 0;

		if ((wanted & EPOLLIN) && !kmsgq_readable(q))
			bits |= KMSGQ_RING_WAKE_CONSUMER;
		if ((wanted & EPOLLOUT) && !kmsgq_writable(q))
			bits |= KMSGQ_RING_WAKE_PRODUCER;
		if (bits)
			kmsgq_ring_arm(q, bits);
	}
	if (kmsgq_readable(q))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kmsgq_writable(q))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static u32 kmsgq_ring_events(struct kmsgq_queue *q, u32 events)
{
	u32 ready = 0;

	if ((events & KMSGQ_RING_READABLE) && kmsgq_readable(q))
		ready |= KMSGQ_RING_READABLE;
	if ((events & KMSGQ_RING_WRITABLE) && kmsgq_writable(q))
		ready |= KMSGQ_RING_WRITABLE;
	return ready;
}

/**
 * kmsgq_queue_ring_wait() - sleep until a ring is readable or writable
 * @q: ring queue
 * @events: KMSGQ_RING_READABLE and/or KMSGQ_RING_WRITABLE
 * @dl: deadline
 *
 * Return: the events that hold, or -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS.
 */
int kmsgq_queue_ring_wait(struct kmsgq_queue *q, u32 events,
			  struct kmsgq_deadline *dl)
{
	struct wait_queue_entry rwait, swait;
	bool expired = false;
	u32 bits = 0;
	int ret;

	if (events & KMSGQ_RING_READABLE)
		bits |= KMSGQ_RING_WAKE_CONSUMER;
	if (events & KMSGQ_RING_WRITABLE)
		bits |= KMSGQ_RING_WAKE_PRODUCER;

	ret = kmsgq_ring_events(q, events);
	if (ret || dl->nonblock)
		return ret ?: -EAGAIN;

	kmsgq_init_wait(&rwait);
	kmsgq_init_wait(&swait);
	if (events & KMSGQ_RING_READABLE)
		atomic_inc(&q->recv_waiters);
	if (events & KMSGQ_RING_WRITABLE)
		atomic_inc(&q->send_waiters);
	for (;;) {
		if (events & KMSGQ_RING_READABLE)
			prepare_to_wait(&q->recv_wq, &rwait, TASK_INTERRUPTIBLE);
		if (events & KMSGQ_RING_WRITABLE)
			prepare_to_wait(&q->send_wq, &swait, TASK_INTERRUPTIBLE);
		kmsgq_ring_arm(q, bits);
		ret = kmsgq_ring_events(q, events);
		if (ret)
			break;
		ret = kmsgq_sleep(q, events, dl, &expired);
		if (ret)
			break;
		ret = kmsgq_ring_events(q, events);
		if (ret)
			break;
	}
	if (events & KMSGQ_RING_READABLE) {
		finish_wait(&q->recv_wq, &rwait);
		atomic_dec(&q->recv_waiters);
		kmsgq_ring_disarm(q, &q->recv_wq, KMSGQ_RING_WAKE_CONSUMER);
	}
	if (events & KMSGQ_RING_WRITABLE) {
		finish_wait(&q->send_wq, &swait);
		atomic_dec(&q->send_waiters);
		kmsgq_ring_disarm(q, &q->send_wq, KMSGQ_RING_WAKE_PRODUCER);
	}
	return ret;
}

/*
 * Fill @e with @q's attributes and counters, ids as @ns sees them.
 * Caller holds kmsgq_registry_lock, so @q is named.
 */
static void kmsgq_queue_describe(struct kmsgq_queue *q,
				 struct user_namespace *ns,
				 struct kmsgq_queue_entry *e)
{
	memset(e, 0, sizeof(*e));
	strscpy(e->name, q->name, sizeof(e->name));
	e->id = q->id;
	e->qflags = q->is_ring ? KMSGQ_OPEN_RING : 0;
	e->mode = q->mode;
	e->uid = from_kuid_munged(ns, q->uid);
	e->gid = from_kgid_munged(ns, q->gid);
	e->max_msgs = q->max_msgs;
	e->max_msgsize = q->max_msgsize;
	e->cur_msgs = kmsgq_queue_count(q);
	/* The name holds one reference, each bound file one. */
	e->files = kref_read(&q->ref) - 1;
	e->send_waiters = atomic_read(&q->send_waiters);
	e->recv_waiters = atomic_read(&q->recv_waiters);
	e->mappings = atomic_read(&q->mappings);
	e->msgs_sent = atomic64_read(&q->msgs_sent);
	e->msgs_recv = atomic64_read(&q->msgs_recv);
	e->bytes_sent = atomic64_read(&q->bytes_sent);
	e->bytes_recv = atomic64_read(&q->bytes_recv);
}

/**
 * kmsgq_queue_show_all() - one line per named queue, for debugfs
 * @m: seq_file to print to
 */
void kmsgq_queue_show_all(struct seq_file *m)
{
	struct kmsgq_queue_entry e;
	struct kmsgq_queue *q;
	int bkt;

	seq_puts(m, "name depth max_msgs max_msgsize sent recv bytes_sent bytes_recv send_waiters recv_waiters mode uid gid type\n");
	mutex_lock(&kmsgq_registry_lock);
	hash_for_each(kmsgq_names, bkt, q, node) {
		kmsgq_queue_describe(q, &init_user_ns, &e);
		seq_printf(m, "%s %u %u %u %llu %llu %llu %llu %u %u %04o %u %u %s\n",
			   e.name, e.cur_msgs, e.max_msgs, e.max_msgsize,
			   e.msgs_sent, e.msgs_recv, e.bytes_sent,
			   e.bytes_recv, e.send_waiters, e.recv_waiters,
			   e.mode, e.uid, e.gid,
			   e.qflags & KMSGQ_OPEN_RING ? "ring" : "copy");
	}
	mutex_unlock(&kmsgq_registry_lock);
}

/**
 * kmsgq_queue_list() - describe named queues of the caller's user namespace
 * @cursor: in: report queues with a greater id; out: id of the last reported
 * @ents: room for @nr entries, filled in
 * @nr: entries wanted
 *
 * Return: entries filled, fewer than @nr only at the end of the list.
 */
unsigned int kmsgq_queue_list(u64 *cursor, struct kmsgq_queue_entry *ents,
			      unsigned int nr)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_queue *q;
	unsigned int n = 0;

	mutex_lock(&kmsgq_registry_lock);
	list_for_each_entry(q, &kmsgq_all, all) {
		if (q->id <= *cursor || q->ns != ns)
			continue;
		kmsgq_queue_describe(q, ns, &ents[n]);
		*cursor = q->id;
		if (++n == nr)
			break;
	}
	mutex_unlock(&kmsgq_registry_lock);
	return n;
}
