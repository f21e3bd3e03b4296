// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq ioctl: the ioctls of /dev/kmsgq.
 *
 * Every argument is a uapi structure whose first field is its size; it is
 * copied in with copy_struct_from_user() semantics and every field checked
 * here before the registry or the queue code sees it.  Results are copied
 * out with the size the caller gave.
 */
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/uaccess.h>

#include "internal.h"

/* Ioctl numbers without their size bits: structures may grow. */
#define KMSGQ_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

#define KMSGQ_XFER_FLAGS \
	(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE | \
	 KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER | KMSGQ_XFER_LOST)

/* A structure may grow, never shrink below what old binaries pass. */
static_assert(sizeof(struct kmsgq_info) >= KMSGQ_INFO_SIZE_VER0);
static_assert(sizeof(struct kmsgq_open) >= KMSGQ_OPEN_SIZE_VER0);
static_assert(sizeof(struct kmsgq_unlink) >= KMSGQ_UNLINK_SIZE_VER0);
static_assert(sizeof(struct kmsgq_xfer) >= KMSGQ_XFER_SIZE_VER0);
/* KMSGQ_XFER_SENDER's entries begin as the entries they stand for. */
static_assert(offsetof(struct kmsgq_msg_sender, msg) == 0);
static_assert(sizeof(struct kmsgq_msg_sender) == 48);
static_assert(offsetof(struct kmsgq_xfer, index) == KMSGQ_XFER_SIZE_VER0);
static_assert(sizeof(struct kmsgq_xfer) == KMSGQ_XFER_SIZE_VER1);
static_assert(sizeof(struct kmsgq_open) == KMSGQ_OPEN_SIZE_VER1);
static_assert(offsetof(struct kmsgq_stats, sub_lost) == KMSGQ_STATS_SIZE_VER1);
static_assert(sizeof(struct kmsgq_stats) == KMSGQ_STATS_SIZE_VER2);
static_assert(sizeof(struct kmsgq_attr) >= KMSGQ_ATTR_SIZE_VER0);
static_assert(sizeof(struct kmsgq_stats) >= KMSGQ_STATS_SIZE_VER0);
static_assert(sizeof(struct kmsgq_ring_info) >= KMSGQ_RING_INFO_SIZE_VER0);
static_assert(sizeof(struct kmsgq_ring_wait) >= KMSGQ_RING_WAIT_SIZE_VER0);
static_assert(sizeof(struct kmsgq_list) >= KMSGQ_LIST_SIZE_VER0);
static_assert(sizeof(struct kmsgq_queue_entry) >= KMSGQ_QUEUE_ENTRY_SIZE_VER0);
static_assert(sizeof(struct kmsgq_setowner) >= KMSGQ_SETOWNER_SIZE_VER0);
static_assert(sizeof(struct kmsgq_notify) >= KMSGQ_NOTIFY_SIZE_VER0);
static_assert(sizeof(struct kmsgq_fanout_ack) == KMSGQ_FANOUT_ACK_SIZE_VER0);
static_assert(sizeof(struct kmsgq_fanout_publish) ==
	      KMSGQ_FANOUT_PUBLISH_SIZE_VER0);
static_assert(sizeof(struct kmsgq_subscribers) >= KMSGQ_SUBSCRIBERS_SIZE_VER0);
static_assert(sizeof(struct kmsgq_subscriber) >= KMSGQ_SUBSCRIBER_SIZE_VER0);

/*
 * Must-be-zero input: the bytes of @karg (@ksize bytes) from offset @from
 * on, i.e. the reserved fields and those the call only writes.
 */
static bool kmsgq_ioctl_nonzero(const void *karg, size_t ksize, size_t from)
{
	return memchr_inv(karg + from, 0, ksize - from);
}

/*
 * The queue a queue ioctl acts on: the file must be bound (ENOTCONN).
 */
static struct kmsgq_queue *kmsgq_ioctl_queue(struct file *file)
{
	return kmsgq_file_queue(file) ?: ERR_PTR(-ENOTCONN);
}

/*
 * Copy in an ioctl argument whose first field is its size, at least @ver0
 * (the structure's first published size): a smaller structure than ours is
 * zero-extended, a larger one must have a zero tail (copy_struct_from_user()).
 * The size is fetched once: the copy's own size field is overwritten with
 * the value checked, which is what kmsgq_ioctl_copy_out() goes by.
 */
static int kmsgq_ioctl_copy_in(void *karg, size_t ksize, size_t ver0,
			       const void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ver0)
		return -EINVAL;
	if (usize > SZ_4K)
		return -E2BIG;
	err = copy_struct_from_user(karg, ksize, uarg, usize);
	if (err)
		return err;
	*(u32 *)karg = usize;
	return 0;
}

/*
 * Copy out a result to a caller's structure of the size kmsgq_ioctl_copy_in()
 * checked: what it knows of ours, and zeroes for what it has beyond.
 */
static int kmsgq_ioctl_copy_out(void __user *uarg, void *karg, size_t ksize)
{
	u32 usize = *(u32 *)karg;

	if (copy_to_user(uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

/*
 * An absolute CLOCK_MONOTONIC time as the caller's time namespace counts it,
 * on the host's clock, which the kernel sleeps on.  This is what
 * timens_ktime_to_host() does, whose helper modules cannot call.
 */
static ktime_t kmsgq_ioctl_timens_to_host(ktime_t t)
{
#ifdef CONFIG_TIME_NS
	ktime_t off;

	off = timespec64_to_ktime(current->nsproxy->time_ns->offsets.monotonic);
	if (t < off)
		return 0;
	if (off < 0 && t > KTIME_MAX + off)
		return KTIME_MAX;
	return t - off;
#else
	return t;
#endif
}

static int kmsgq_ioctl_deadline(struct kmsgq_deadline *dl, struct file *file,
				u32 flags, s32 clockid,
				const struct kmsgq_timespec *ts)
{
	struct timespec64 t;

	/* Every field: full_fails too, which only a send may set later. */
	*dl = (struct kmsgq_deadline) {
		.nonblock = (flags & KMSGQ_XFER_NONBLOCK) ||
			    (file->f_flags & O_NONBLOCK),
		.timed = flags & KMSGQ_XFER_TIMEOUT,
		.restart = !(flags & KMSGQ_XFER_RELATIVE),
		.clockid = CLOCK_MONOTONIC,
	};
	if (!dl->timed)
		return (flags & KMSGQ_XFER_RELATIVE) ? -EINVAL : 0;

	if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME)
		return -EINVAL;
	t.tv_sec = ts->tv_sec;
	t.tv_nsec = ts->tv_nsec;
	if (t.tv_sec < 0 || !timespec64_valid(&t))
		return -EINVAL;

	dl->clockid = clockid;
	dl->expires = timespec64_to_ktime(t);
	if (flags & KMSGQ_XFER_RELATIVE)
		dl->expires = ktime_add_safe(kmsgq_clock_now(clockid),
					     dl->expires);
	else if (clockid == CLOCK_MONOTONIC)
		dl->expires = kmsgq_ioctl_timens_to_host(dl->expires);
	return 0;
}

static long kmsgq_ioctl_info(void __user *uarg)
{
	struct kmsgq_info info;
	int err;

	err = kmsgq_ioctl_copy_in(&info, sizeof(info), KMSGQ_INFO_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (kmsgq_ioctl_nonzero(&info, sizeof(info),
				offsetof(struct kmsgq_info, abi_version)))
		return -EINVAL;

	info.abi_version = KMSGQ_ABI_VERSION;
	info.features = KMSGQ_FEAT_PRIO | KMSGQ_FEAT_BATCH |
			KMSGQ_FEAT_TIMEOUT | KMSGQ_FEAT_STATS | KMSGQ_FEAT_RING |
			KMSGQ_FEAT_LIST | KMSGQ_FEAT_IPC_NS |
			KMSGQ_FEAT_SETOWNER | KMSGQ_FEAT_PRIO32K |
			KMSGQ_FEAT_NOTIFY | KMSGQ_FEAT_NOWAIT |
			KMSGQ_FEAT_PEEK | KMSGQ_FEAT_OVERFLOW |
			KMSGQ_FEAT_SENDER | KMSGQ_FEAT_RING_WAKER |
			KMSGQ_FEAT_FANOUT | KMSGQ_FEAT_FANOUT_MAP |
			KMSGQ_FEAT_FANOUT_INPLACE;
	if (kmsgq_ring_reclaim_supported())
		info.features |= KMSGQ_FEAT_RECLAIM;
#ifdef KMSGQ_HAVE_URING_CMD
	info.features |= KMSGQ_FEAT_URING_CMD | KMSGQ_FEAT_URING_FANOUT;
#endif
	info.max_queues = READ_ONCE(kmsgq_max_queues);
	info.max_msgs = min(READ_ONCE(kmsgq_max_msgs), KMSGQ_MSGS_HARD_MAX);
	info.max_msgsize = min(READ_ONCE(kmsgq_max_msgsize),
			       KMSGQ_MSGSIZE_HARD_MAX);
	info.name_max = KMSGQ_NAME_MAX;
	info.prio_max = KMSGQ_PRIO_MAX;
	info.batch_max = KMSGQ_BATCH_MAX;
	return kmsgq_ioctl_copy_out(uarg, &info, sizeof(info));
}

/*
 * A file bound to a fan-out queue with read access is a subscriber, which
 * may ask for @history (kmsgq_ioctl_open() and kmsgq_registry_open() have
 * refused it to every other file), unless it publishes only
 * (KMSGQ_OPEN_PUBLISHER); one with write access to an in-place queue may
 * publish in place.
 */
static int kmsgq_ioctl_subscribe(struct kmsgq_queue *q, struct file *file,
				 const struct kmsgq_open *op)
{
	int err;

	err = kmsgq_inplace_bind(q, file);
	if (err || !q->is_fanout || !(file->f_mode & FMODE_READ) ||
	    (op->flags & KMSGQ_OPEN_PUBLISHER))
		return err;
	err = kmsgq_fanout_subscribe(q, file, op->history);
	if (err)
		kmsgq_inplace_release(q, file);
	return err;
}

static long kmsgq_ioctl_open(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q;
	struct kmsgq_open op;
	bool created;
	int err;

	err = kmsgq_ioctl_copy_in(&op, sizeof(op), KMSGQ_OPEN_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (op.flags & ~(KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RING |
			 KMSGQ_OPEN_OVERFLOW | KMSGQ_OPEN_RECLAIM |
			 KMSGQ_OPEN_SENDER | KMSGQ_OPEN_FANOUT |
			 KMSGQ_OPEN_INPLACE | KMSGQ_OPEN_PUBLISHER))
		return -EINVAL;
	if ((op.flags & (KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RING |
			 KMSGQ_OPEN_OVERFLOW | KMSGQ_OPEN_RECLAIM |
			 KMSGQ_OPEN_SENDER | KMSGQ_OPEN_FANOUT |
			 KMSGQ_OPEN_INPLACE)) &&
	    !(op.flags & KMSGQ_OPEN_CREATE))
		return -EINVAL;
	/*
	 * In place: a mapped fan-out queue, whose payloads have no one
	 * sender to record.
	 */
	if ((op.flags & KMSGQ_OPEN_INPLACE) &&
	    ((op.flags & (KMSGQ_OPEN_RING | KMSGQ_OPEN_FANOUT)) !=
	     (KMSGQ_OPEN_RING | KMSGQ_OPEN_FANOUT) ||
	     (op.flags & KMSGQ_OPEN_SENDER)))
		return -EINVAL;
	/* A publisher only writes, and asks for no history. */
	if ((op.flags & KMSGQ_OPEN_PUBLISHER) &&
	    (op.history || !(file->f_mode & FMODE_WRITE)))
		return -EINVAL;
	/*
	 * Reclaiming is a kind of ring; FANOUT | RING a fan-out queue its
	 * subscribers map, which has no claims to reclaim.
	 */
	if ((op.flags & KMSGQ_OPEN_RECLAIM) &&
	    (op.flags & (KMSGQ_OPEN_RING | KMSGQ_OPEN_FANOUT)) != KMSGQ_OPEN_RING)
		return -EINVAL;
	/* One policy. */
	if ((op.flags & KMSGQ_OPEN_OVERFLOW) == KMSGQ_OPEN_OVERFLOW)
		return -EINVAL;
	if (op.reserved || op.reserved2 || (op.mode & ~0777))
		return -EINVAL;
	/* Open mode 3 asks for neither: it is granted nothing. */
	if (!(file->f_mode & (FMODE_READ | FMODE_WRITE)))
		return -EACCES;
	/* History is a subscriber's (kmsgq_registry_open() checks the kind). */
	if (op.history && !(file->f_mode & FMODE_READ))
		return -EINVAL;
	/* A reader of a fan-out queue, when none may be: create nothing. */
	if ((op.flags & KMSGQ_OPEN_FANOUT) && (file->f_mode & FMODE_READ) &&
	    !(op.flags & KMSGQ_OPEN_PUBLISHER) &&
	    !READ_ONCE(kmsgq_max_subscribers))
		return -ENOSPC;
	err = kmsgq_file_bind_begin(file);
	if (err)
		return err;

	q = kmsgq_registry_open(&op, file->f_mode & (FMODE_READ | FMODE_WRITE),
				&created);
	if (IS_ERR(q))
		goto out;
	err = kmsgq_ioctl_subscribe(q, file, &op);
	if (err) {
		/* A failed open creates nothing: what it created goes again. */
		if (created)
			kmsgq_registry_unlink_created(q);
		kmsgq_registry_put(q);
		q = ERR_PTR(err);
	}
out:
	kmsgq_file_bind_end(file, q);
	return PTR_ERR_OR_ZERO(q);
}

static long kmsgq_ioctl_unlink(void __user *uarg)
{
	struct kmsgq_unlink ul;
	int err;

	err = kmsgq_ioctl_copy_in(&ul, sizeof(ul), KMSGQ_UNLINK_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (ul.flags)
		return -EINVAL;
	return kmsgq_registry_unlink(ul.name);
}

static long kmsgq_ioctl_setowner(void __user *uarg)
{
	struct kmsgq_setowner so;
	int err;

	err = kmsgq_ioctl_copy_in(&so, sizeof(so), KMSGQ_SETOWNER_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (!so.flags || (so.flags & ~(KMSGQ_SETOWNER_MODE |
				       KMSGQ_SETOWNER_UID |
				       KMSGQ_SETOWNER_GID)) ||
	    so.reserved || (so.mode & ~0777) ||
	    (!(so.flags & KMSGQ_SETOWNER_MODE) && so.mode) ||
	    (!(so.flags & KMSGQ_SETOWNER_UID) && so.uid) ||
	    (!(so.flags & KMSGQ_SETOWNER_GID) && so.gid))
		return -EINVAL;
	return kmsgq_registry_setowner(&so);
}

/**
 * kmsgq_ioctl_xfer_prep() - copy in and check a KMSGQ_IOC_SEND or RECV
 * @file: the /dev/kmsgq file the call is made on
 * @uarg: user address of the caller's struct kmsgq_xfer
 * @send: KMSGQ_IOC_SEND (else KMSGQ_IOC_RECV)
 * @x: the structure, copied in and checked
 * @dl: how long the call may sleep, from @x's flags and timeout and the
 *	file's O_NONBLOCK
 *
 * Everything that makes a transfer fail before a message moves, for the
 * ioctl and for its io_uring command (uring.c) alike.
 *
 * Return: the file's queue, or ERR_PTR(-ENOTCONN) (an unbound file),
 * -EBADF (the file's access mode does not allow it), -EFAULT, -EINVAL or
 * -E2BIG (the structure).
 */
struct kmsgq_queue *kmsgq_ioctl_xfer_prep(struct file *file,
					  const void __user *uarg, bool send,
					  struct kmsgq_xfer *x,
					  struct kmsgq_deadline *dl)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	int ret;

	if (IS_ERR(q))
		return q;
	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return ERR_PTR(-EBADF);
	ret = kmsgq_ioctl_copy_in(x, sizeof(*x), KMSGQ_XFER_SIZE_VER0, uarg);
	if (ret)
		return ERR_PTR(ret);
	if ((x->flags & ~KMSGQ_XFER_FLAGS) || !x->nr ||
	    x->nr > KMSGQ_BATCH_MAX || x->reserved)
		return ERR_PTR(-EINVAL);
	/* Only a receiver learns who sent, or what it lost, into @lost. */
	if (send && (x->flags & (KMSGQ_XFER_SENDER | KMSGQ_XFER_LOST)))
		return ERR_PTR(-EINVAL);
	if ((x->flags & KMSGQ_XFER_LOST) &&
	    ((x->flags & KMSGQ_XFER_PEEK) ||
	     x->size < offsetofend(struct kmsgq_xfer, lost)))
		return ERR_PTR(-EINVAL);
	/* A peek is a receive of one message; the index means nothing else. */
	if (x->flags & KMSGQ_XFER_PEEK) {
		if (send || x->nr != 1)
			return ERR_PTR(-EINVAL);
	} else if (x->index) {
		return ERR_PTR(-EINVAL);
	}
	ret = kmsgq_ioctl_deadline(dl, file, x->flags, x->clockid, &x->timeout);
	return ret ? ERR_PTR(ret) : q;
}

/* Copy in @n entries of @stride bytes, the struct kmsgq_msg of each. */
static int kmsgq_ioctl_msgs_in(struct kmsgq_msg *um, const void __user *u,
			       unsigned int n, size_t stride)
{
	unsigned int i;

	if (stride == sizeof(*um))
		return copy_from_user(um, u, n * sizeof(*um)) ? -EFAULT : 0;
	for (i = 0; i < n; i++)
		if (copy_from_user(&um[i], u + i * stride, sizeof(*um)))
			return -EFAULT;
	return 0;
}

/**
 * kmsgq_ioctl_xfer_run() - move the messages of a checked transfer
 * @q: the queue kmsgq_ioctl_xfer_prep() returned
 * @sub: on a fan-out queue, the receiving file's subscriber
 * @x: the structure it checked
 * @send: a send (else a receive)
 * @dl: how long the call may sleep for the first message; set to never
 *	once one has moved
 *
 * Return: messages moved, or -errno if the first could not be.
 */
int kmsgq_ioctl_xfer_run(struct kmsgq_queue *q, struct kmsgq_fanout_sub *sub,
			 const struct kmsgq_xfer *x, bool send,
			 struct kmsgq_deadline *dl)
{
	bool sender = x->flags & KMSGQ_XFER_SENDER;
	struct kmsgq_kmsg km[KMSGQ_CHUNK];
	struct kmsgq_msg um[KMSGQ_CHUNK];
	unsigned int total = 0, n, i;
	/* Entries are struct kmsgq_msg_sender, which begins as kmsgq_msg. */
	size_t stride = sender ? sizeof(struct kmsgq_msg_sender) :
				 sizeof(struct kmsgq_msg);
	void __user *umsgs;
	int ret = 0;

	umsgs = u64_to_user_ptr(x->msgs);
	while (total < x->nr) {
		n = min_t(unsigned int, x->nr - total, KMSGQ_CHUNK);
		ret = kmsgq_ioctl_msgs_in(um, umsgs + total * stride, n,
					  stride);
		if (ret)
			break;
		for (i = 0; i < n; i++) {
			void __user *u = umsgs + (total + i) * stride;

			km[i].buf = u64_to_user_ptr(um[i].buf);
			km[i].len = um[i].len;
			km[i].prio = um[i].prio;
			km[i].umsg = u;
			km[i].usender = sender ? u : NULL;
		}
		if (send)
			ret = kmsgq_queue_send(q, km, n, dl);
		else if (x->flags & KMSGQ_XFER_PEEK)	/* n is 1 */
			ret = kmsgq_queue_peek(q, sub, km, x->index, dl);
		else
			ret = kmsgq_queue_recv(q, sub, km, n, dl);
		if (ret < 0)
			break;
		total += ret;
		if (ret < n)
			break;
		/* Only the first message may wait. */
		dl->nonblock = true;
	}
	return total ?: ret;
}

static long kmsgq_ioctl_xfer(struct file *file, void __user *uarg, bool send)
{
	struct kmsgq_xfer __user *ux = uarg;
	struct kmsgq_fanout_sub *sub;
	struct kmsgq_deadline dl;
	struct kmsgq_queue *q;
	struct kmsgq_xfer x;
	int ret;

	q = kmsgq_ioctl_xfer_prep(file, uarg, send, &x, &dl);
	if (IS_ERR(q))
		return PTR_ERR(q);
	sub = kmsgq_fanout_sub(q, file);
	ret = kmsgq_ioctl_xfer_run(q, sub, &x, send, &dl);
	/* A receive reports its subscriber's losses if asked to. */
	return kmsgq_fanout_lost_report(q, sub, x.flags, &ux->lost, ret);
}

/*
 * The bound queue, and the argument of a query copied in: every field but
 * @size is output only, and must be zero on input.
 */
static struct kmsgq_queue *kmsgq_ioctl_query(struct file *file,
					     void __user *uarg, void *karg,
					     size_t ksize, size_t ver0)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	int err;

	if (IS_ERR(q))
		return q;
	err = kmsgq_ioctl_copy_in(karg, ksize, ver0, uarg);
	if (err)
		return ERR_PTR(err);
	if (kmsgq_ioctl_nonzero(karg, ksize, sizeof(u32)))
		return ERR_PTR(-EINVAL);
	return q;
}

static long kmsgq_ioctl_getattr(struct file *file, void __user *uarg)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_attr attr;
	struct kmsgq_queue *q;

	q = kmsgq_ioctl_query(file, uarg, &attr, sizeof(attr),
			      KMSGQ_ATTR_SIZE_VER0);
	if (IS_ERR(q))
		return PTR_ERR(q);

	attr.flags = (file->f_flags & O_NONBLOCK) ? KMSGQ_ATTR_NONBLOCK : 0;
	attr.qflags = kmsgq_queue_qflags(q);
	attr.max_msgs = q->max_msgs;
	attr.max_msgsize = q->max_msgsize;
	attr.cur_msgs = kmsgq_queue_count(q);
	/* KMSGQ_IOC_SETOWNER changes them under the queue's lock. */
	spin_lock(&q->lock);
	attr.mode = q->mode;
	attr.uid = from_kuid_munged(ns, q->uid);
	attr.gid = from_kgid_munged(ns, q->gid);
	spin_unlock(&q->lock);
	return kmsgq_ioctl_copy_out(uarg, &attr, sizeof(attr));
}

static long kmsgq_ioctl_setattr(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_attr attr;
	int err;

	if (IS_ERR(q))
		return PTR_ERR(q);
	err = kmsgq_ioctl_copy_in(&attr, sizeof(attr), KMSGQ_ATTR_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if ((attr.flags & ~KMSGQ_ATTR_NONBLOCK) ||
	    kmsgq_ioctl_nonzero(&attr, sizeof(attr),
				offsetof(struct kmsgq_attr, qflags)))
		return -EINVAL;

	spin_lock(&file->f_lock);
	if (attr.flags & KMSGQ_ATTR_NONBLOCK)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
	return 0;
}

static long kmsgq_ioctl_stats(struct file *file, void __user *uarg)
{
	struct kmsgq_stats st;
	struct kmsgq_queue *q;

	q = kmsgq_ioctl_query(file, uarg, &st, sizeof(st),
			      KMSGQ_STATS_SIZE_VER0);
	if (IS_ERR(q))
		return PTR_ERR(q);

	st.msgs_sent = atomic64_read(&q->msgs_sent);
	st.msgs_recv = atomic64_read(&q->msgs_recv);
	st.bytes_sent = atomic64_read(&q->bytes_sent);
	st.bytes_recv = atomic64_read(&q->bytes_recv);
	st.cur_msgs = kmsgq_queue_count(q);
	st.send_waiters = atomic_read(&q->send_waiters);
	st.recv_waiters = atomic_read(&q->recv_waiters);
	st.mappings = atomic_read(&q->mappings);
	st.msgs_lost = atomic64_read(&q->msgs_lost);
	kmsgq_fanout_stats(q, kmsgq_fanout_sub(q, file), &st);
	return kmsgq_ioctl_copy_out(uarg, &st, sizeof(st));
}

static long kmsgq_ioctl_ring_info(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_ring_info ri;
	struct kmsgq_ring *r;
	int err;

	if (IS_ERR(q))
		return PTR_ERR(q);
	if (!q->is_ring)
		return -EOPNOTSUPP;
	err = kmsgq_ioctl_copy_in(&ri, sizeof(ri), KMSGQ_RING_INFO_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (kmsgq_ioctl_nonzero(&ri, sizeof(ri),
				offsetof(struct kmsgq_ring_info, flags)))
		return -EINVAL;

	r = &q->ring;
	/* Only a caller that knows the reclaiming protocol may map such a ring. */
	if (r->reclaim && ri.size >= KMSGQ_RING_INFO_SIZE_VER1) {
		err = kmsgq_queue_ring_owner(q, file, true, &ri.owner);
		if (err)
			return err;
	}
	ri.desc_size = r->reclaim ? sizeof(struct kmsgq_ring_rdesc) :
				    sizeof(struct kmsgq_ring_desc);
	ri.map_size = (u64)r->nr_pages << PAGE_SHIFT;
	ri.nr_slots = r->nr_slots;
	ri.slot_size = r->slot_size;
	ri.prod_off = (void *)r->prod - r->vaddr;
	ri.cons_off = (void *)r->cons - r->vaddr;
	ri.wakeup_off = (void *)r->wakeup - r->vaddr;
	ri.desc_off = r->desc_off;
	ri.data_off = r->data_off;
	return kmsgq_ioctl_copy_out(uarg, &ri, sizeof(ri));
}

/*
 * Copy in a struct kmsgq_ring_wait for the ring queue the file is bound to.
 * Waiting for a message, or waking producers, is a consumer's call and
 * needs read access; waiting for room, or waking consumers, a producer's
 * and needs write access.
 */
static struct kmsgq_queue *kmsgq_ioctl_ring_arg(struct file *file,
						void __user *uarg,
						struct kmsgq_ring_wait *w,
						bool wake)
{
	u32 consumer = wake ? KMSGQ_RING_WRITABLE : KMSGQ_RING_READABLE;
	u32 producer = wake ? KMSGQ_RING_READABLE : KMSGQ_RING_WRITABLE;
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	int err;

	if (IS_ERR(q))
		return q;
	if (!q->is_ring)
		return ERR_PTR(-EOPNOTSUPP);
	err = kmsgq_ioctl_copy_in(w, sizeof(*w), KMSGQ_RING_WAIT_SIZE_VER0,
				  uarg);
	if (err)
		return ERR_PTR(err);
	if (!w->events || (w->events & ~KMSGQ_RING_EVENTS))
		return ERR_PTR(-EINVAL);
	if (((w->events & consumer) && !(file->f_mode & FMODE_READ)) ||
	    ((w->events & producer) && !(file->f_mode & FMODE_WRITE)))
		return ERR_PTR(-EBADF);
	return q;
}

static long kmsgq_ioctl_ring_wait(struct file *file, void __user *uarg)
{
	struct kmsgq_deadline dl;
	struct kmsgq_ring_wait w;
	struct kmsgq_queue *q;
	int err;

	q = kmsgq_ioctl_ring_arg(file, uarg, &w, false);
	if (IS_ERR(q))
		return PTR_ERR(q);
	if (w.flags & ~(KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE |
			KMSGQ_RING_WAIT_WAKER))
		return -EINVAL;
	err = kmsgq_ioctl_deadline(&dl, file, w.flags, w.clockid, &w.timeout);
	if (err)
		return err;
	/* An explicit wait ignores O_NONBLOCK. */
	dl.nonblock = false;
	return kmsgq_queue_ring_wait(q, w.events,
				     w.flags & KMSGQ_RING_WAIT_WAKER, &dl);
}

static long kmsgq_ioctl_ring_wake(struct file *file, void __user *uarg)
{
	struct kmsgq_ring_wait w;
	struct kmsgq_queue *q;

	q = kmsgq_ioctl_ring_arg(file, uarg, &w, true);
	if (IS_ERR(q))
		return PTR_ERR(q);
	if (w.flags || kmsgq_ioctl_nonzero(&w, sizeof(w),
					   offsetof(struct kmsgq_ring_wait,
						    clockid)))
		return -EINVAL;
	kmsgq_queue_ring_wake(q, w.events);
	return 0;
}

static long kmsgq_ioctl_notify(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_notify n;
	int err;

	if (IS_ERR(q))
		return PTR_ERR(q);
	if (q->is_ring || q->is_fanout)
		return -EOPNOTSUPP;
	err = kmsgq_ioctl_copy_in(&n, sizeof(n), KMSGQ_NOTIFY_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	err = kmsgq_notify_check(&n);
	if (err)
		return err;
	/* Out first: a bad buffer must not leave a registration behind. */
	n.id = q->id;
	err = kmsgq_ioctl_copy_out(uarg, &n, sizeof(n));
	if (err)
		return err;
	if (n.flags & KMSGQ_NOTIFY_REMOVE)
		return kmsgq_notify_remove(q);
	return kmsgq_notify_register(q, &n);
}

/*
 * Copy out entry @i of an array of @entry_size-byte entries at @base: the
 * first @len bytes of @ent (what the caller knows of ours), and zeroes
 * for what it has beyond.
 */
static int kmsgq_ioctl_entry_out(u64 base, u32 entry_size, unsigned int i,
				 const void *ent, size_t len)
{
	void __user *dst = u64_to_user_ptr(base + (u64)i * entry_size);

	if (copy_to_user(dst, ent, len) ||
	    (entry_size > len && clear_user(dst + len, entry_size - len)))
		return -EFAULT;
	return 0;
}

/* Entries KMSGQ_IOC_LIST gathers under the registry lock at a time. */
#define KMSGQ_LIST_CHUNK	16

static long kmsgq_ioctl_list(void __user *uarg)
{
	struct kmsgq_queue_entry *ents;
	struct kmsgq_list l;
	unsigned int done = 0, n, i;
	size_t len;
	u64 cursor;
	long err;

	err = kmsgq_ioctl_copy_in(&l, sizeof(l), KMSGQ_LIST_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (l.flags || !l.nr || l.nr > KMSGQ_BATCH_MAX ||
	    l.entry_size < KMSGQ_QUEUE_ENTRY_SIZE_VER0)
		return -EINVAL;
	if (l.entry_size > SZ_4K)
		return -E2BIG;
	/* Entries newer than ours get a zero tail. */
	len = min_t(size_t, l.entry_size, sizeof(*ents));

	ents = kmalloc_array(KMSGQ_LIST_CHUNK, sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	cursor = l.cursor;
	while (done < l.nr) {
		n = kmsgq_registry_list(&cursor, ents,
					min(l.nr - done, KMSGQ_LIST_CHUNK));
		for (i = 0; i < n; i++, done++) {
			err = kmsgq_ioctl_entry_out(l.entries, l.entry_size,
						    done, &ents[i], len);
			if (err)
				goto out;
		}
		if (n < KMSGQ_LIST_CHUNK)
			break;
	}
	l.cursor = cursor;
	l.nr = done;
	err = kmsgq_ioctl_copy_out(uarg, &l, sizeof(l)) ?: done;
out:
	kfree(ents);
	return err;
}

static long kmsgq_ioctl_fanout_ack(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_fanout_ack ack;
	struct kmsgq_deadline dl;
	int err, ret;

	if (IS_ERR(q))
		return PTR_ERR(q);
	if (!q->is_fanout || !q->fan.map)
		return -EOPNOTSUPP;
	err = kmsgq_ioctl_copy_in(&ack, sizeof(ack), KMSGQ_FANOUT_ACK_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (ack.reserved ||
	    (ack.flags & ~(KMSGQ_FANOUT_ACK_WAIT | KMSGQ_XFER_TIMEOUT |
			   KMSGQ_XFER_RELATIVE)) ||
	    ((ack.flags & KMSGQ_XFER_TIMEOUT) &&
	     !(ack.flags & KMSGQ_FANOUT_ACK_WAIT)))
		return -EINVAL;
	err = kmsgq_ioctl_deadline(&dl, file, ack.flags, ack.clockid,
				   &ack.timeout);
	if (err)
		return err;
	/* An explicit wait ignores O_NONBLOCK. */
	dl.nonblock = false;
	ret = kmsgq_fanout_ack(q, kmsgq_fanout_sub(q, file), &ack, &dl);
	/* The acknowledgment holds even if the wait failed: say where. */
	if (ret == -EBADF || ret == -EINVAL)
		return ret;
	err = kmsgq_ioctl_copy_out(uarg, &ack, sizeof(ack));
	return err ?: ret;
}

static long kmsgq_ioctl_fanout_publish(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_fanout_publish p;
	struct kmsgq_deadline dl;
	bool told;
	int err, ret;

	if (IS_ERR(q))
		return PTR_ERR(q);
	if (!q->is_fanout || !q->fan.inplace)
		return -EOPNOTSUPP;
	err = kmsgq_ioctl_copy_in(&p, sizeof(p), KMSGQ_FANOUT_PUBLISH_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	if (p.flags & ~(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_TIMEOUT |
			KMSGQ_XFER_RELATIVE))
		return -EINVAL;
	err = kmsgq_ioctl_deadline(&dl, file, p.flags, p.clockid, &p.timeout);
	if (err)
		return err;
	/* A full queue fails even a reservation that may sleep. */
	dl.full_fails = q->overflow == KMSGQ_OPEN_OVERFLOW_FAIL;
	ret = kmsgq_inplace_publish(q, file, &p, &dl, &told);
	if (!told)
		return ret;
	/* What the file holds now, whatever the result. */
	err = kmsgq_ioctl_copy_out(uarg, &p, sizeof(p));
	return err ?: ret;
}

static long kmsgq_ioctl_subscribers(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q = kmsgq_ioctl_queue(file);
	struct kmsgq_subscriber *ents = NULL;
	struct kmsgq_subscribers sl;
	unsigned int n, i;
	bool pids;
	size_t len;
	long err;

	if (IS_ERR(q))
		return PTR_ERR(q);
	if (!q->is_fanout)
		return -EOPNOTSUPP;
	err = kmsgq_ioctl_copy_in(&sl, sizeof(sl), KMSGQ_SUBSCRIBERS_SIZE_VER0,
				  uarg);
	if (err)
		return err;
	/* @total is output only, ignored here: one struct serves a loop. */
	if (sl.flags || sl.reserved || sl.nr > KMSGQ_BATCH_MAX ||
	    sl.entry_size < KMSGQ_SUBSCRIBER_SIZE_VER0)
		return -EINVAL;
	if (sl.entry_size > SZ_4K)
		return -E2BIG;
	/* Entries newer than ours get a zero tail. */
	len = min_t(size_t, sl.entry_size, sizeof(*ents));

	/*
	 * Filled under the queue's lock, copied out after it; no more room
	 * than there are subscribers (those who bind meanwhile wait for the
	 * next call).
	 */
	sl.nr = min(sl.nr, kmsgq_fanout_nr_subs(q));
	if (sl.nr) {
		ents = kvmalloc_array(sl.nr, sizeof(*ents), GFP_KERNEL_ACCOUNT);
		if (!ents)
			return -ENOMEM;
	}
	/*
	 * Who reads the queue: its readers, themselves subscribers, see
	 * each other; a writer only if it owns the queue or is privileged.
	 */
	pids = (file->f_mode & FMODE_READ) || kmsgq_registry_owner_or_cap(q);
	n = kmsgq_fanout_subscribers(q, kmsgq_fanout_sub(q, file), &sl.cursor,
				     ents, sl.nr, &sl.total, pids);
	for (i = 0; i < n; i++) {
		err = kmsgq_ioctl_entry_out(sl.subs, sl.entry_size, i, &ents[i],
					    len);
		if (err)
			goto out_free;
	}
	sl.nr = n;
	err = kmsgq_ioctl_copy_out(uarg, &sl, sizeof(sl)) ?: n;
out_free:
	kvfree(ents);
	return err;
}

/**
 * kmsgq_ioctl() - the ioctls of a /dev/kmsgq file
 * @file: the file
 * @cmd: KMSGQ_IOC_*, matched without its size bits
 * @arg: user address of the command's structure
 *
 * Return: as documented for each command in uapi/linux/kmsgq.h.
 */
long kmsgq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != KMSGQ_IOC_MAGIC)
		return -ENOTTY;

	switch (KMSGQ_IOC_BASE(cmd)) {
	case KMSGQ_IOC_BASE(KMSGQ_IOC_INFO):
		return kmsgq_ioctl_info(uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_OPEN):
		return kmsgq_ioctl_open(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_UNLINK):
		return kmsgq_ioctl_unlink(uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_LIST):
		return kmsgq_ioctl_list(uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SETOWNER):
		return kmsgq_ioctl_setowner(uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SEND):
		return kmsgq_ioctl_xfer(file, uarg, true);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RECV):
		return kmsgq_ioctl_xfer(file, uarg, false);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_GETATTR):
		return kmsgq_ioctl_getattr(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SETATTR):
		return kmsgq_ioctl_setattr(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_STATS):
		return kmsgq_ioctl_stats(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_INFO):
		return kmsgq_ioctl_ring_info(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_WAIT):
		return kmsgq_ioctl_ring_wait(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_WAKE):
		return kmsgq_ioctl_ring_wake(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_NOTIFY):
		return kmsgq_ioctl_notify(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SUBSCRIBERS):
		return kmsgq_ioctl_subscribers(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_FANOUT_ACK):
		return kmsgq_ioctl_fanout_ack(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_FANOUT_PUBLISH):
		return kmsgq_ioctl_fanout_publish(file, uarg);
	}
	return -ENOTTY;
}
