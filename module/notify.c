// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq notify: KMSGQ_IOC_NOTIFY, the kernel side of mq_notify().
 *
 * One process at a time may register with a copy queue to learn that a
 * message arrived on the empty queue while no receiver slept for one.  The
 * send that queues that message takes the registration away under the
 * queue's lock, so it fires once, and delivers it once the lock is dropped:
 * a signal to the registered process, built as ipc/mqueue.c's __do_notify()
 * builds it, or a count on an eventfd (on which libkmsgq-mq's SIGEV_THREAD
 * helper thread waits), or nothing.  The registered process removes it by
 * KMSGQ_NOTIFY_REMOVE or by closing any of its files bound to the queue
 * (flush), as mqueue's do_mq_notify() and mqueue_flush_file() do.
 *
 * Locking: q->lock protects q->notify.  A registration taken out of it
 * belongs to the taker, who delivers or frees it with no lock held.
 */
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
 * @eventfd: with KMSGQ_NOTIFY_EVENTFD, the eventfd (counted reference)
 */
struct kmsgq_notify_reg {
	struct pid *owner;
	u64 exec_id;
	u32 notify;
	int signo;
	u64 value;
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
	if (n->reserved)
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

/**
 * kmsgq_notify_register() - register the calling process with a queue
 * @q: copy queue
 * @n: a request kmsgq_notify_check() accepted, without KMSGQ_NOTIFY_REMOVE
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
	if (n->notify == KMSGQ_NOTIFY_EVENTFD) {
		reg->eventfd = eventfd_ctx_fdget(n->fd);
		if (IS_ERR(reg->eventfd)) {
			err = PTR_ERR(reg->eventfd);
			reg->eventfd = NULL;
			goto out_free;
		}
	}

	spin_lock(&q->lock);
	if (q->notify) {
		err = -EBUSY;
	} else {
		WRITE_ONCE(q->notify, reg);
		reg = NULL;
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

	/* A racy peek: most closes find no registration at all. */
	if (!READ_ONCE(q->notify))
		return false;
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

	for_each_thread(leader, t)
		if (!(t->flags & PF_EXITING) &&
		    !sigismember(&t->blocked, signo))
			return t;
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
 * followed by its signal.  Sending a signal and signalling an eventfd take
 * only their own irq-safe locks.
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
