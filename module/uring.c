// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq uring: KMSGQ_IOC_SEND and KMSGQ_IOC_RECV as io_uring commands
 * (IORING_OP_URING_CMD), for what IORING_OP_READ and WRITE cannot say:
 * priorities, batches, KMSGQ_XFER_* flags, peeks and deadlines.
 *
 * A command is checked as the ioctl is (kmsgq_ioctl_xfer_prep()) and tried
 * at once without sleeping.  If it would sleep, it parks instead: a struct
 * kmsgq_uring, allocated then and only then, puts a wait entry on the
 * queue's recv_wq or send_wq, and the command returns -EIOCBQUEUED.  A
 * wakeup, the deadline's timer, or io_uring cancelling the command (its
 * ring or its task going away: IO_URING_F_CANCEL) takes the entry off the
 * wait queue, and whoever takes it off owns the command: a wakeup or the
 * timer queue task work (kmsgq_uring_retry()) that tries again in the
 * submitting task and completes the command or parks it again; a cancel
 * completes it with -ECANCELED.  Taking the entry off is done under the
 * wait queue's lock, so exactly one of them gets it, once per parking.
 *
 * The entries are not exclusive: a message wakes every parked receive, as
 * it wakes every io_uring poll of a read, and those that lose the race for
 * it park again.  So a parked command never takes a wakeup that a sleeping
 * task waited for, at the cost of a task-work round per parked command
 * per message (the poll path's thundering herd).
 *
 * Lifetime: the request holds its file, the file the queue (and, on a
 * fan-out queue, the file's subscriber); the parked command holds a queue
 * reference too.  Nothing of a command is touched after its entry is on
 * the wait queue and the wait queue's lock dropped, but by whoever takes
 * the entry off.
 *
 * Fan-out queues (fanout.c): whether a parked command can go on is a
 * question for the queue's lock, which the queue's subscribers and
 * publishers change their positions under, and which is never taken
 * under a wait queue's lock (the timer takes that one in hard interrupt
 * context): the command asks under the queue's lock, then parks and
 * looks at the queue's count of changes again.  A loss report
 * (KMSGQ_XFER_LOST) is written back when the command completes, in the
 * submitting task (or an io_uring thread of it), as the ioctl writes it
 * as it returns; a cancelled command, or one that could not park
 * (ENOMEM), reports nothing and leaves the losses to the next report.
 */
#include <linux/hrtimer.h>
#include <linux/io_uring/cmd.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/**
 * struct kmsgq_uring - an io_uring command parked on a queue
 * @wait: entry on @wq while parked; off it, the command belongs to whoever
 *	took it off (protected by @wq's lock)
 * @wq: q->recv_wq (receive, peek) or q->send_wq (send)
 * @cmd: the command
 * @q: the queue (counted reference)
 * @sub: on a fan-out queue, the file's subscriber (a receive or peek), or
 *	NULL; it lives as long as the file, which the command holds
 * @ux: the user's struct kmsgq_xfer, for a loss report
 * @timer: wakes the command at its deadline, or after a pause when a ring
 *	keeps looking ready but yields nothing; started only while parked
 * @x: the command's struct kmsgq_xfer, as checked
 * @dl: its deadline
 * @send: KMSGQ_IOC_SEND
 * @waiters: q->send_waiters or q->recv_waiters, counted in while the
 *	command waits, or NULL (a peek)
 * @lost: times the command found the queue ready when it parked again
 *	after a try that moved nothing
 */
struct kmsgq_uring {
	struct wait_queue_entry wait;
	struct wait_queue_head *wq;
	struct io_uring_cmd *cmd;
	struct kmsgq_queue *q;
	struct kmsgq_fanout_sub *sub;
	struct kmsgq_xfer __user *ux;
	struct hrtimer timer;
	struct kmsgq_xfer x;
	struct kmsgq_deadline dl;
	bool send;
	atomic_t *waiters;
	unsigned int lost;
};

/* The command's parked state, in its io_uring_cmd's private bytes. */
static struct kmsgq_uring **kmsgq_uring_pdu(struct io_uring_cmd *cmd)
{
	return io_uring_cmd_to_pdu(cmd, struct kmsgq_uring *);
}

static void kmsgq_uring_retry(struct io_uring_cmd *cmd,
			      unsigned int issue_flags);

/* Take a parked command's entry off its wait queue: true if it was on. */
static bool kmsgq_uring_unpark(struct kmsgq_uring *u)
{
	lockdep_assert_held(&u->wq->lock);
	if (list_empty(&u->wait.entry))
		return false;
	list_del_init(&u->wait.entry);
	return true;
}

/*
 * Wake function of a parked command, called under the wait queue's lock
 * with the entry on it: take it off and try again in the submitting task.
 * Every kmsgq wakeup carries the key of its wait queue; keyless ones are
 * taken too.
 */
static int kmsgq_uring_wake(struct wait_queue_entry *wait, unsigned int mode,
			    int sync, void *key)
{
	struct kmsgq_uring *u = container_of(wait, struct kmsgq_uring, wait);
	__poll_t events = u->send ? KMSGQ_POLL_OUT : KMSGQ_POLL_IN;

	if (key && !(key_to_poll(key) & events))
		return 0;
	kmsgq_uring_unpark(u);
	io_uring_cmd_complete_in_task(u->cmd, kmsgq_uring_retry);
	return 1;
}

/* The deadline, or the end of a pause: try again if still parked. */
static enum hrtimer_restart kmsgq_uring_timer(struct hrtimer *timer)
{
	struct kmsgq_uring *u = container_of(timer, struct kmsgq_uring, timer);
	unsigned long flags;
	bool mine;

	spin_lock_irqsave(&u->wq->lock, flags);
	mine = kmsgq_uring_unpark(u);
	spin_unlock_irqrestore(&u->wq->lock, flags);
	if (mine)
		io_uring_cmd_complete_in_task(u->cmd, kmsgq_uring_retry);
	return HRTIMER_NORESTART;
}

static bool kmsgq_uring_expired(const struct kmsgq_deadline *dl)
{
	return dl->timed &&
	       !ktime_before(kmsgq_clock_now(dl->clockid), dl->expires);
}

/*
 * The command's entry is on its wait queue, and the queue was looked at
 * again: @ready if the command can go on.  Take the entry off to try it
 * again at once (true: the caller queues the try), except every
 * KMSGQ_RING_CLAIM_TRIES times in a row that the queue looks ready and
 * yields nothing (other consumers win, or a mapper keeps a ring
 * inconsistent): then pause a tick, as a sleeping receive does, rather
 * than spin.  Else wait, with the timer started for the deadline.
 */
static bool kmsgq_uring_settle(struct kmsgq_uring *u, bool ready, bool again)
{
	ktime_t pause = 0;

	lockdep_assert_held(&u->wq->lock);
	if (ready) {
		if (!again || ++u->lost % KMSGQ_RING_CLAIM_TRIES)
			return kmsgq_uring_unpark(u);
		pause = ktime_add_ns(kmsgq_clock_now(u->dl.clockid), TICK_NSEC);
	}
	if (u->dl.timed && (!pause || ktime_before(u->dl.expires, pause)))
		pause = u->dl.expires;
	if (pause)
		hrtimer_start(&u->timer, pause, HRTIMER_MODE_ABS);
	return false;
}

/*
 * Queue the command on a copy or ring queue: the queue's state is read
 * without its lock, after the entry is on (and, on a ring, the wakeup bit
 * armed), so that a message (room) that came after the try that found
 * none either finds the entry or is seen here.
 */
static bool kmsgq_uring_enqueue(struct kmsgq_uring *u, bool again)
{
	struct kmsgq_queue *q = u->q;
	bool ready, kick;

	spin_lock_irq(&u->wq->lock);
	/* At the head, before exclusive sleepers: every wake reaches it. */
	__add_wait_queue(u->wq, &u->wait);
	if (q->is_ring)
		kmsgq_ring_arm(&q->ring, u->send ? KMSGQ_RING_WAKE_PRODUCER :
					     KMSGQ_RING_WAKE_CONSUMER);
	/*
	 * The entry before the queue's state: pairs with the barrier in
	 * wq_has_sleeper() (kmsgq_queue_wake()) or kmsgq_queue_ring_notify()
	 * of a waker that changed that state first.
	 */
	smp_mb();
	ready = kmsgq_queue_xfer_ready(q, u->send, u->x.flags & KMSGQ_XFER_PEEK,
				       u->x.index);
	kick = kmsgq_uring_settle(u, ready, again);
	spin_unlock_irq(&u->wq->lock);
	return kick;
}

/*
 * Queue the command on a fan-out queue.  The subscriber's position (or
 * the room for a send) is looked at under the queue's lock, with the
 * count of changes (kmsgq_fanout_gen()); the entry goes on after the lock
 * is dropped, and the count is read again.  No wakeup is lost: every
 * change that can let the command go on (a commit; the floor's subscriber
 * moving or leaving) is made under the queue's lock, moves the count and
 * is followed by a wake of the wait queue after the unlock.  A change
 * before the check is seen by it; one after it moves the count, which
 * either this second read sees (a full barrier after the entry went on),
 * or the waker's wq_has_sleeper() (a full barrier after the count moved)
 * sees the entry.  The floor a send's check recomputes is one that such a
 * subscriber then sees it leave.  The two locks never nest: a waker walks
 * the wait queue with interrupts off and must not hold the queue up.
 */
static bool kmsgq_uring_enqueue_fanout(struct kmsgq_uring *u, bool again)
{
	struct kmsgq_queue *q = u->q;
	unsigned long gen;
	bool ready, kick;

	spin_lock(&q->lock);
	ready = kmsgq_fanout_ready(q, u->sub, u->send, u->x.index);
	gen = kmsgq_fanout_gen(q);
	spin_unlock(&q->lock);

	spin_lock_irq(&u->wq->lock);
	__add_wait_queue(u->wq, &u->wait);
	/* Pairs with the barrier in wq_has_sleeper() of a waker. */
	smp_mb();
	if (kmsgq_fanout_gen(q) != gen)
		ready = true;
	kick = kmsgq_uring_settle(u, ready, again);
	spin_unlock_irq(&u->wq->lock);
	return kick;
}

/*
 * Put the command on its wait queue until a wakeup, its deadline or a
 * cancel, or try it again at once if the queue changed since the try that
 * found nothing.  After the wait queue's lock is dropped the command may
 * be gone: nothing touches it unless it took its entry off itself.
 */
static void kmsgq_uring_park(struct kmsgq_uring *u, bool again)
{
	bool kick;

	if (u->q->is_fanout)
		kick = kmsgq_uring_enqueue_fanout(u, again);
	else
		kick = kmsgq_uring_enqueue(u, again);
	if (kick)
		io_uring_cmd_complete_in_task(u->cmd, kmsgq_uring_retry);
}

/*
 * Complete a command that parked, with @res, and free what it held.  Its
 * entry is off the wait queue and its timer may still run: wait for that.
 */
static void kmsgq_uring_finish(struct kmsgq_uring *u, int res,
			       unsigned int issue_flags)
{
	struct io_uring_cmd *cmd = u->cmd;
	struct kmsgq_queue *q = u->q;

	hrtimer_cancel(&u->timer);
	if (q->is_ring)
		kmsgq_ring_disarm(&q->ring, u->wq, u->send ?
				  KMSGQ_RING_WAKE_PRODUCER :
				  KMSGQ_RING_WAKE_CONSUMER);
	if (u->waiters) {
		atomic_dec(u->waiters);
		/* As a receive that slept: tell of what it leaves queued. */
		if (!u->send)
			kmsgq_notify_leftover(q);
	}
	kfree(u);
	kmsgq_registry_put(q);
	io_uring_cmd_done(cmd, res, 0, issue_flags);
}

/*
 * Task work of a command taken off its wait queue by a wakeup or its
 * timer: try again without sleeping; complete, or park again.  A task
 * that is exiting, or a ring going away, gets -ECANCELED without a try:
 * its memory may be gone.
 */
static void kmsgq_uring_retry(struct io_uring_cmd *cmd,
			      unsigned int issue_flags)
{
	struct kmsgq_uring *u = *kmsgq_uring_pdu(cmd);
	struct kmsgq_deadline dl = u->dl;
	int ret;

	hrtimer_cancel(&u->timer);
	if (issue_flags & IO_URING_F_TASK_DEAD) {
		kmsgq_uring_finish(u, -ECANCELED, issue_flags);
		return;
	}
	dl.nonblock = true;
	ret = kmsgq_ioctl_xfer_run(u->q, u->sub, &u->x, u->send, &dl);
	if (ret == -EAGAIN) {
		if (!kmsgq_uring_expired(&u->dl)) {
			kmsgq_uring_park(u, true);
			return;
		}
		ret = -ETIMEDOUT;
	}
	ret = kmsgq_fanout_lost_report(u->q, u->sub, u->x.flags, &u->ux->lost,
				       ret);
	kmsgq_uring_finish(u, ret, issue_flags);
}

/*
 * IO_URING_F_CANCEL: the command's ring or task is going away.  If it is
 * parked, end it; if a wakeup or its timer took it first, its task work
 * completes it or parks it again, and io_uring asks again.  No loss
 * report: this may run in a kernel worker, away from the user's memory.
 */
static void kmsgq_uring_cancel(struct io_uring_cmd *cmd,
			       unsigned int issue_flags)
{
	struct kmsgq_uring *u = *kmsgq_uring_pdu(cmd);
	bool mine;

	spin_lock_irq(&u->wq->lock);
	mine = kmsgq_uring_unpark(u);
	spin_unlock_irq(&u->wq->lock);
	if (mine)
		kmsgq_uring_finish(u, -ECANCELED, issue_flags);
}

/*
 * The state of a command that parks, made when it first would sleep.  A
 * receive counts as one waiting, as a sleeping one does (stats, and no
 * notification while it is to take the message); a peek does not.
 */
static struct kmsgq_uring *kmsgq_uring_alloc(struct io_uring_cmd *cmd,
					     struct kmsgq_queue *q,
					     struct kmsgq_fanout_sub *sub,
					     bool send,
					     struct kmsgq_xfer __user *ux,
					     const struct kmsgq_xfer *x,
					     const struct kmsgq_deadline *dl)
{
	struct kmsgq_uring *u;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	init_waitqueue_func_entry(&u->wait, kmsgq_uring_wake);
	INIT_LIST_HEAD(&u->wait.entry);
	u->wq = send ? &q->send_wq : &q->recv_wq;
	u->cmd = cmd;
	u->q = q;
	u->sub = sub;
	u->ux = ux;
	hrtimer_init(&u->timer, dl->clockid, HRTIMER_MODE_ABS);
	u->timer.function = kmsgq_uring_timer;
	u->x = *x;
	u->dl = *dl;
	u->send = send;
	if (!(x->flags & KMSGQ_XFER_PEEK)) {
		u->waiters = send ? &q->send_waiters : &q->recv_waiters;
		atomic_inc(u->waiters);
	}
	kref_get(&q->ref);
	*kmsgq_uring_pdu(cmd) = u;
	return u;
}

/*
 * The first try, at issue: the ioctl's checks, then a transfer that does
 * not sleep.  A result that is final completes the command; one that
 * would sleep parks it.  -EAGAIN as a result goes through
 * io_uring_cmd_done(): returned, io_uring would take it for "try again in
 * a worker thread".
 */
static int kmsgq_uring_issue(struct io_uring_cmd *cmd,
			     unsigned int issue_flags, bool send)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	struct kmsgq_deadline dl, now;
	struct kmsgq_fanout_sub *sub;
	struct kmsgq_xfer __user *ux;
	struct kmsgq_uring *u;
	struct kmsgq_queue *q;
	struct kmsgq_xfer x;
	int ret;

	if ((cmd->flags & IORING_URING_CMD_FIXED) || READ_ONCE(sqe->len) ||
	    READ_ONCE(sqe->addr3) || READ_ONCE(sqe->__pad2[0]))
		return -EINVAL;
	ux = u64_to_user_ptr(READ_ONCE(sqe->addr));
	q = kmsgq_ioctl_xfer_prep(cmd->file, ux, send, &x, &dl);
	if (IS_ERR(q))
		return PTR_ERR(q);
	sub = kmsgq_fanout_sub(q, cmd->file);

	now = dl;
	now.nonblock = true;
	ret = kmsgq_ioctl_xfer_run(q, sub, &x, send, &now);
	if (ret != -EAGAIN)
		return kmsgq_fanout_lost_report(q, sub, x.flags, &ux->lost, ret);
	/* A full queue with KMSGQ_OPEN_OVERFLOW_FAIL fails even a wait. */
	if (dl.nonblock ||
	    (send && (kmsgq_queue_qflags(q) & KMSGQ_OPEN_OVERFLOW_FAIL)))
		goto done;
	if (kmsgq_uring_expired(&dl)) {
		ret = -ETIMEDOUT;
		goto done;
	}

	u = kmsgq_uring_alloc(cmd, q, sub, send, ux, &x, &dl);
	if (!u)
		return -ENOMEM;
	/* Before it can complete: io_uring_cmd_done() undoes it. */
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
	kmsgq_uring_park(u, false);
	return -EIOCBQUEUED;
done:
	ret = kmsgq_fanout_lost_report(q, sub, x.flags, &ux->lost, ret);
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * kmsgq_uring_cmd() - the io_uring commands of a /dev/kmsgq file
 * @cmd: the command: cmd_op KMSGQ_IOC_SEND or KMSGQ_IOC_RECV, sqe->addr
 *	the user address of a struct kmsgq_xfer
 * @issue_flags: io_uring's IO_URING_F_* flags; IO_URING_F_CANCEL asks to
 *	end a parked command
 *
 * Context: the submitting task, an io_uring worker or SQPOLL thread.
 *
 * Return: the ioctl's result, or -EIOCBQUEUED if the command completes
 * later; -ENOTTY for any other cmd_op; -EINVAL for non-zero fields of the
 * entry that mean nothing here; -ENOMEM if it cannot park.
 */
int kmsgq_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	if (issue_flags & IO_URING_F_CANCEL) {
		kmsgq_uring_cancel(cmd, issue_flags);
		return 0;
	}
	switch (cmd->cmd_op) {
	case KMSGQ_IOC_SEND:
		return kmsgq_uring_issue(cmd, issue_flags, true);
	case KMSGQ_IOC_RECV:
		return kmsgq_uring_issue(cmd, issue_flags, false);
	}
	return -ENOTTY;
}
