// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq notify: KMSGQ_IOC_NOTIFY, the kernel side of mq_notify().
 *
 * One process at a time may register with a copy queue to learn that a
 * message arrived on the empty queue while no receiver slept for one.  The
 * send that queues that message takes the registration away and delivers
 * it under the queue's lock, as ipc/mqueue.c does under its own, so it
 * fires once and never after a removal has returned: a signal to the
 * registered process, built as mqueue's __do_notify() builds it, or a count
 * on an eventfd (on which libkmsgq-mq's SIGEV_THREAD helper thread waits),
 * or nothing.  The registered process removes it by KMSGQ_NOTIFY_REMOVE or
 * by closing any of its files bound to the queue (flush), as mqueue's
 * do_mq_notify() and mqueue_flush_file() do.
 *
 * Locking: q->lock protects q->notify, and is held while a registration is
 * delivered.  One taken out of it belongs to the taker, who frees it with
 * no lock held.
 */
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/eventfd.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"

/**
 * struct kmsgq_notify_reg - one process's registration with a queue
 * @owner: thread group of the registering process (counted reference)
 * @exec_id: the registering process's self_exec_id: a process that has
 *	called execve() since gets no signal, as with mqueue
 * @notify: KMSGQ_NOTIFY_NONE, KMSGQ_NOTIFY_SIGNAL or KMSGQ_NOTIFY_EVENTFD
 * @signo: with KMSGQ_NOTIFY_SIGNAL, the signal (0: none)
 * @value: with KMSGQ_NOTIFY_SIGNAL, the signal's si_value
 * @compat: registered by a 32-bit process, whose sival_int the value is
 * @eventfd: with KMSGQ_NOTIFY_EVENTFD, the eventfd (counted reference)
 */
struct kmsgq_notify_reg {
	struct pid *owner;
	u64 exec_id;
	u32 notify;
	int signo;
	u64 value;
	bool compat;
	struct eventfd_ctx *eventfd;
};

static void kmsgq_notify_free(struct kmsgq_notify_reg *reg)
{
	if (!reg)
		return;
	if (reg->eventfd)
		eventfd_ctx_put(reg->eventfd);
	put_pid(reg->owner);
	kfree(reg);
}

/**
 * kmsgq_notify_check() - check a KMSGQ_IOC_NOTIFY request's fields
 * @n: the request as copied in
 *
 * Return: 0 or -EINVAL.
 */
int kmsgq_notify_check(const struct kmsgq_notify *n)
{
	if (n->reserved || n->id)
		return -EINVAL;
	if (n->flags == KMSGQ_NOTIFY_REMOVE)
		return n->notify || n->signo || n->value || n->fd ? -EINVAL : 0;
	if (n->flags)
		return -EINVAL;
	switch (n->notify) {
	case KMSGQ_NOTIFY_NONE:
		return n->signo || n->value || n->fd ? -EINVAL : 0;
	case KMSGQ_NOTIFY_SIGNAL:
		return n->signo < 0 || !valid_signal(n->signo) || n->fd ?
		       -EINVAL : 0;
	case KMSGQ_NOTIFY_EVENTFD:
		return n->signo || n->value ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Whether @reg's process is gone, and with it every file that could remove it. */
static bool kmsgq_notify_stale(const struct kmsgq_notify_reg *reg)
{
	return !pid_has_task(reg->owner, PIDTYPE_TGID);
}

/**
 * kmsgq_notify_register() - register the calling process with a queue
 * @q: copy queue
 * @n: a request kmsgq_notify_check() accepted, without KMSGQ_NOTIFY_REMOVE
 *
 * A registration of a process that has exited is replaced: its files were
 * shared with a survivor (clone(CLONE_FILES)), so no close removed it.
 *
 * Return: 0, -EBUSY if a process is registered already, -ENOMEM, or the
 * eventfd's error (-EBADF, -EINVAL).
 */
int kmsgq_notify_register(struct kmsgq_queue *q, const struct kmsgq_notify *n)
{
	struct kmsgq_notify_reg *reg;
	int err = 0;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg)
		return -ENOMEM;
	reg->owner = get_pid(task_tgid(current));
	reg->exec_id = current->self_exec_id;
	reg->notify = n->notify;
	reg->signo = n->signo;
	reg->value = n->value;
	reg->compat = in_compat_syscall();
	if (n->notify == KMSGQ_NOTIFY_EVENTFD) {
		reg->eventfd = eventfd_ctx_fdget(n->fd);
		if (IS_ERR(reg->eventfd)) {
			err = PTR_ERR(reg->eventfd);
			reg->eventfd = NULL;
			goto out_free;
		}
	}

	spin_lock(&q->lock);
	if (q->notify && !kmsgq_notify_stale(q->notify)) {
		err = -EBUSY;
	} else {
		struct kmsgq_notify_reg *old = q->notify;

		WRITE_ONCE(q->notify, reg);
		reg = old;
	}
	spin_unlock(&q->lock);
out_free:
	kmsgq_notify_free(reg);
	return err;
}

/**
 * kmsgq_notify_remove() - remove the calling process's registration
 * @q: queue
 *
 * Nothing happens if another process, or none, is registered.  Called for
 * KMSGQ_NOTIFY_REMOVE and whenever a file bound to @q is closed.
 *
 * Return: true if it removed one, false if the calling process had none
 * (never registered, or the registration fired or was removed before).
 */
bool kmsgq_notify_remove(struct kmsgq_queue *q)
{
	struct kmsgq_notify_reg *reg = NULL;
	bool removed;

	/*
	 * No lockless peek: a send may have taken the registration out and
	 * still be delivering it under the lock.  A removal returns only once
	 * that is over, so no signal can follow it.
	 */
	spin_lock(&q->lock);
	if (q->notify && q->notify->owner == task_tgid(current)) {
		reg = q->notify;
		WRITE_ONCE(q->notify, NULL);
	}
	spin_unlock(&q->lock);
	removed = reg;
	kmsgq_notify_free(reg);
	return removed;
}

/*
 * The thread of the registered process that takes the signal: one that
 * does not block it, as the kernel picks for a signal sent to a process,
 * else the one the process's pid names.  Called under rcu_read_lock().
 */
static struct task_struct *kmsgq_notify_thread(struct task_struct *leader,
					       int signo)
{
	struct task_struct *t;

	for_each_thread(leader, t) {
		if (t->flags & PF_EXITING)
			continue;
		/* A hint, as complete_signal()'s: ->blocked without siglock. */
		if (!data_race(sigismember(&t->blocked, signo)))
			return t;
	}
	return leader;
}

/* Send the registered signal, from the current (sending) task. */
static void kmsgq_notify_signal(struct kmsgq_notify_reg *reg)
{
	struct kernel_siginfo info;
	struct task_struct *task;

	if (!reg->signo)
		return;
	clear_siginfo(&info);
	info.si_signo = reg->signo;
	info.si_errno = 0;
	info.si_code = SI_MESGQ;
	/*
	 * A 32-bit process reads si_int (copy_siginfo_to_user32()), which
	 * on a big-endian kernel is the high half of sival_ptr.
	 */
	if (reg->compat)
		info.si_int = (int)reg->value;
	else
		info.si_value.sival_ptr = (void __user *)(uintptr_t)reg->value;

	rcu_read_lock();
	/*
	 * The sender as the registered process sees it: its pid in that
	 * process's pid namespace, and its uid in the sender's user
	 * namespace, which signal delivery maps into the receiver's.
	 */
	info.si_pid = task_tgid_nr_ns(current, ns_of_pid(reg->owner));
	info.si_uid = from_kuid_munged(current_user_ns(), current_uid());
	task = pid_task(reg->owner, PIDTYPE_TGID);
	/*
	 * No permission check: the registered process asked for it, like
	 * mqueue's do_send_sig_info() (which modules cannot call).
	 */
	if (task && task->self_exec_id == reg->exec_id)
		send_sig_info(reg->signo, &info,
			      kmsgq_notify_thread(task, reg->signo));
	rcu_read_unlock();
}

/**
 * kmsgq_notify_fire() - deliver the registration a send to an empty queue fires
 * @q: copy queue whose lock the caller holds, having just queued messages
 *	on it while it was empty
 *
 * Delivered under the queue's lock, as mqueue does under its own, so that
 * a removal (KMSGQ_NOTIFY_REMOVE, a close) that has returned can never be
 * followed by its signal.  Both deliveries nest only irq-safe locks inside
 * it (the signal's siglock and the scheduler's; the eventfd's wait queue,
 * whose wake callbacks, epoll's or io_uring's, take no kmsgq lock).
 *
 * Return: the spent registration, for kmsgq_notify_release() once the lock
 * is dropped, or NULL if none is registered or a receiver sleeps in a
 * receive (it takes the message; the registration stays).
 */
struct kmsgq_notify_reg *kmsgq_notify_fire(struct kmsgq_queue *q)
{
	struct kmsgq_notify_reg *reg = q->notify;

	lockdep_assert_held(&q->lock);
	if (!reg || atomic_read(&q->recv_waiters))
		return NULL;
	WRITE_ONCE(q->notify, NULL);
	if (reg->notify == KMSGQ_NOTIFY_SIGNAL)
		kmsgq_notify_signal(reg);
	else if (reg->notify == KMSGQ_NOTIFY_EVENTFD)
		kmsgq_eventfd_signal(reg->eventfd);
	return reg;
}

/**
 * kmsgq_notify_leftover() - fire for messages a receiver left queued
 * @q: copy queue, its lock not held
 *
 * A send to the empty queue does not fire while a receiver sleeps: that
 * receiver is to take the message, as mqueue hands it over.  When, having
 * slept, it leaves without it instead (its buffer too small, a signal, its
 * deadline), the messages stay queued and nobody was told: fire then,
 * unless another receiver sleeps to take them.  (A receiver that slept and
 * took fewer than were queued fires under its own lock hold.)
 */
void kmsgq_notify_leftover(struct kmsgq_queue *q)
{
	struct kmsgq_notify_reg *reg = NULL;

	/* Racy, as a registration made just now may be missed: it is newer. */
	if (!READ_ONCE(q->notify))
		return;
	spin_lock(&q->lock);
	if (q->store.count)
		reg = kmsgq_notify_fire(q);
	spin_unlock(&q->lock);
	kmsgq_notify_free(reg);
}

/**
 * kmsgq_notify_release() - free a registration kmsgq_notify_fire() spent
 * @reg: its return value, or NULL
 *
 * Context: process context, no kmsgq lock held.
 */
void kmsgq_notify_release(struct kmsgq_notify_reg *reg)
{
	kmsgq_notify_free(reg);
}

/**
 * kmsgq_notify_destroy() - free a queue's registration when it is freed
 * @q: queue with no file left
 */
void kmsgq_notify_destroy(struct kmsgq_queue *q)
{
	kmsgq_notify_free(q->notify);
	q->notify = NULL;
}
