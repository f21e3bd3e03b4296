// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq inplace: publishing in place on fan-out queues created with
 * KMSGQ_OPEN_INPLACE (KMSGQ_IOC_FANOUT_PUBLISH).
 *
 * A publisher maps the store's payload slots writable (mmap.c), writes its
 * messages there and commits them with one call, which also reserves the
 * slots of its next ones.  Its reservations are kernel state, per file
 * (struct kmsgq_inplace, found from the file through an xarray and
 * allocated at bind): the kernel reserves and commits exactly as for a
 * copy publish (fanout.c), and takes nothing from shared memory but the
 * payload bytes, which it never reads.  Lengths come with the call, each
 * read once and bounded by the slot size.  When the file goes (close,
 * munmap, exit, SIGKILL), what it held reserved is committed as holes,
 * which every subscriber skips.
 *
 * Locking: a file's reservation is under its own mutex, held across a
 * call but for its sleep for room (calls on one file run one at a time,
 * and none waits for another's room), taken before the queue's lock; the
 * store is under the queue's lock, as in fanout.c.
 */
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

static_assert(KMSGQ_FANOUT_RESERVE_MAX <= KMSGQ_BATCH_MAX);

/**
 * struct kmsgq_inplace - what a file that publishes in place holds
 * @lock: serialises the file's calls, and guards the rest
 * @first: the number of its first reserved message
 * @nr: messages it holds reserved, from @first
 * @was: per reserved slot, the bytes its previous message left there
 *	(kmsgq_fanout_clear())
 * @lens: the lengths of a commit, copied in once
 */
struct kmsgq_inplace {
	struct mutex lock;	/* the file's calls, one at a time */
	u64 first;
	u32 nr;
	u32 was[KMSGQ_FANOUT_RESERVE_MAX];
	u32 lens[KMSGQ_FANOUT_RESERVE_MAX];
};

/**
 * kmsgq_inplace_bind() - let a file being bound publish in place
 * @q: the queue, with a reference for the file
 * @file: the file, not bound yet
 *
 * Nothing unless @q is an in-place fan-out queue and @file has write
 * access.
 *
 * Context: process context, before the file's binding is published.
 * Return: 0 or -ENOMEM.
 */
int kmsgq_inplace_bind(struct kmsgq_queue *q, struct file *file)
{
	struct kmsgq_inplace *pub;
	int err;

	if (!q->is_fanout || !q->fan.inplace || !(file->f_mode & FMODE_WRITE))
		return 0;
	pub = kzalloc(sizeof(*pub), GFP_KERNEL_ACCOUNT);
	if (!pub)
		return -ENOMEM;
	mutex_init(&pub->lock);
	err = xa_err(xa_store(&q->fan.pub_of, kmsgq_queue_file_index(file), pub,
			      GFP_KERNEL_ACCOUNT));
	if (err)
		kfree(pub);
	return err;
}

/*
 * Commit the first @n of @pub's reserved messages with @lens (each at
 * most the slot size, or KMSGQ_FANOUT_HOLE), clearing what their slots'
 * previous messages left past them first, and wake who waits for them.
 */
static void kmsgq_inplace_commit(struct kmsgq_queue *q,
				 struct kmsgq_inplace *pub, u32 n,
				 const u32 *lens)
{
	struct kmsgq_fanout *f = &q->fan;
	u64 bytes = 0, committed;
	u32 done = 0, i;

	lockdep_assert_held(&pub->lock);
	for (i = 0; i < n; i++) {
		bool hole = lens[i] == KMSGQ_FANOUT_HOLE;

		kmsgq_fanout_clear(f, (pub->first + i) & f->mask,
				   hole ? 0 : lens[i], pub->was[i]);
		if (hole)
			continue;
		done++;
		bytes += lens[i];
	}
	committed = kmsgq_fanout_commit_batch(q, pub->first, n, lens);

	pub->first += n;
	pub->nr -= n;
	memmove(pub->was, pub->was + n, pub->nr * sizeof(pub->was[0]));
	kmsgq_queue_account(&q->msgs_sent, &q->bytes_sent, done, bytes);
	kmsgq_fanout_wake(q, committed);
	if (trace_kmsgq_send_enabled())
		for (i = 0; i < n; i++)
			if (lens[i] != KMSGQ_FANOUT_HOLE)
				trace_kmsgq_send(q, lens[i], 0);
}

/*
 * Take @pub's lock for a call: never waiting for it with @dl nonblocking;
 * a signal ends the wait as it would the call's sleep.
 */
static int kmsgq_inplace_lock(struct kmsgq_inplace *pub,
			      const struct kmsgq_deadline *dl)
{
	if (dl->nonblock)
		return mutex_trylock(&pub->lock) ? 0 : -EAGAIN;
	if (mutex_lock_interruptible(&pub->lock))
		return dl->restart ? -ERESTARTSYS : -EINTR;
	return 0;
}

/*
 * Reserve up to @want slots, none held, as a send finds room.  A sleep for
 * it is without @pub's lock, so that another call on the file does not
 * wait for this one's room; that call may reserve meanwhile (-EBUSY: the
 * range is its).  The lock is taken back killably, as other calls hold it
 * only briefly; *@locked is false only for a task that is being killed.
 */
static int kmsgq_inplace_reserve(struct kmsgq_queue *q,
				 struct kmsgq_inplace *pub, u32 want,
				 struct kmsgq_deadline *dl, bool *locked)
{
	/* O_NONBLOCK or OVERFLOW_FAIL: the wait never sleeps, the lock stays. */
	bool sleeps = !dl->nonblock && !dl->full_fails;
	u32 taken;
	u64 first;
	int err;

	lockdep_assert_held(&pub->lock);
	for (;;) {
		spin_lock(&q->lock);
		taken = kmsgq_fanout_reserve(q, want, &first, pub->was);
		spin_unlock(&q->lock);
		if (taken)
			break;
		if (sleeps)
			mutex_unlock(&pub->lock);
		err = kmsgq_queue_wait(q, &q->send_wq, kmsgq_fanout_writable,
				       &q->send_waiters, 0, dl);
		if (sleeps) {
			if (mutex_lock_killable(&pub->lock)) {
				*locked = false;
				return -EINTR;
			}
			if (pub->nr)
				return -EBUSY;
		}
		if (err)
			return err;
	}
	pub->first = first;
	pub->nr = taken;
	return 0;
}

/**
 * kmsgq_inplace_publish() - commit a file's messages written in place, and
 *	reserve slots for its next ones
 * @q: the file's queue
 * @file: the calling file
 * @p: the call (struct kmsgq_fanout_publish): in @lens, @nr_commit,
 *	@nr_reserve; out @first, @nr_reserved
 * @dl: how long the reservation may sleep for room
 * @told: out: whether @p's out fields were written, whatever the result
 *
 * The lengths are copied in once and all checked before any message is
 * committed.  A reservation that fails leaves the commit done; a signal
 * then ends the call with -EINTR, never a restart, which would commit
 * again.  Calls on one file run one at a time, but the sleep for room is
 * outside the file's lock: a call that reserved meanwhile makes this one's
 * reservation fail with -EBUSY.
 *
 * Context: process context.  The caller checks that @q is an in-place
 * fan-out queue (-EOPNOTSUPP otherwise): on another, no file publishes in
 * place, and this returns -EBADF.
 * Return: the messages the file holds reserved, or -EBADF (no write
 * access), -EINVAL, -EMSGSIZE, -EFAULT, or the reservation's -EAGAIN,
 * -ETIMEDOUT, -EINTR, -ERESTARTSYS, -EBUSY.
 */
int kmsgq_inplace_publish(struct kmsgq_queue *q, struct file *file,
			  struct kmsgq_fanout_publish *p,
			  struct kmsgq_deadline *dl, bool *told)
{
	struct kmsgq_inplace *pub;
	u32 n = p->nr_commit, i;
	bool locked = true;
	int err;

	*told = false;
	pub = xa_load(&q->fan.pub_of, kmsgq_queue_file_index(file));
	if (!pub)
		return -EBADF;
	err = kmsgq_inplace_lock(pub, dl);
	if (err)
		return err;
	/* Reserve only with nothing left reserved: one range per file. */
	if (n > pub->nr || p->nr_reserve > KMSGQ_FANOUT_RESERVE_MAX ||
	    (p->nr_reserve && n != pub->nr)) {
		err = -EINVAL;
		goto out;
	}
	if (n) {
		if (copy_from_user(pub->lens, u64_to_user_ptr(p->lens),
				   array_size(n, sizeof(pub->lens[0])))) {
			err = -EFAULT;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (pub->lens[i] > q->fan.slot_size &&
			    pub->lens[i] != KMSGQ_FANOUT_HOLE) {
				err = -EMSGSIZE;
				goto out;
			}
		}
		kmsgq_inplace_commit(q, pub, n, pub->lens);
	}
	if (p->nr_reserve)
		err = kmsgq_inplace_reserve(q, pub, p->nr_reserve, dl, &locked);
	/* Committed: a restart would commit again. */
	if (err == -ERESTARTSYS && n)
		err = -EINTR;
	if (!locked)
		return err;
out:
	p->first = pub->first;
	p->nr_reserved = pub->nr;
	*told = true;
	mutex_unlock(&pub->lock);
	return err ?: p->nr_reserved;
}

/**
 * kmsgq_inplace_release() - a file that may publish in place goes
 * @q: the queue the file was bound to
 * @file: the file: no call on it is running or can start, and no mapping
 *	of it is left
 *
 * What it held reserved is committed as holes, which every subscriber
 * skips, so that a publisher killed between reserving and committing
 * holds nobody back.  Nothing for any other file.
 *
 * Context: process context (the file's release).
 */
void kmsgq_inplace_release(struct kmsgq_queue *q, struct file *file)
{
	struct kmsgq_inplace *pub;

	if (!q->is_fanout)
		return;
	pub = xa_erase(&q->fan.pub_of, kmsgq_queue_file_index(file));
	if (!pub)
		return;
	mutex_lock(&pub->lock);
	if (pub->nr) {
		memset32(pub->lens, KMSGQ_FANOUT_HOLE, pub->nr);
		kmsgq_inplace_commit(q, pub, pub->nr, pub->lens);
	}
	mutex_unlock(&pub->lock);
	mutex_destroy(&pub->lock);
	kfree(pub);
}
