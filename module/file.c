// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq file: the file operations of /dev/kmsgq.
 *
 * A file starts unbound; KMSGQ_IOC_OPEN binds it to a queue
 * (file->private_data, set once and never changed until release).  read,
 * write, poll, mmap and the queue ioctls then act on that queue; the file's
 * open mode is the access it was granted to it.  A read or write moves one
 * whole message, however many iovecs carry it; one that would block fails
 * with EAGAIN under IOCB_NOWAIT (FMODE_NOWAIT), so that io_uring waits for
 * the queue on poll rather than in a worker thread.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>

#include "internal.h"

/*
 * file->private_data while a KMSGQ_IOC_OPEN binds the file: taken, so that
 * a second OPEN on the same file fails before it creates anything, but not
 * bound yet.
 */
#define KMSGQ_FILE_BINDING	((struct kmsgq_queue *)1)

/**
 * kmsgq_file_queue() - the queue a file is bound to
 * @file: a /dev/kmsgq file
 *
 * Return: the queue, or NULL if the file is not bound.  The file's
 * reference keeps the queue alive while the file is.
 */
struct kmsgq_queue *kmsgq_file_queue(struct file *file)
{
	/* Pairs with smp_store_release() in kmsgq_file_bind_end(). */
	struct kmsgq_queue *q = smp_load_acquire((struct kmsgq_queue **)
						 &file->private_data);

	return q == KMSGQ_FILE_BINDING ? NULL : q;
}

/**
 * kmsgq_file_bind_begin() - claim an unbound file for KMSGQ_IOC_OPEN
 * @file: a /dev/kmsgq file
 *
 * Return: 0, or -EBUSY if the file is bound or being bound.
 */
int kmsgq_file_bind_begin(struct file *file)
{
	return cmpxchg(&file->private_data, NULL, KMSGQ_FILE_BINDING) ?
	       -EBUSY : 0;
}

/**
 * kmsgq_file_bind_end() - finish what kmsgq_file_bind_begin() started
 * @file: the claimed file
 * @q: the queue to bind, with a reference for the file, or an ERR_PTR to
 *	leave the file unbound
 */
void kmsgq_file_bind_end(struct file *file, struct kmsgq_queue *q)
{
	/* The queue is set up before it is seen: pairs with kmsgq_file_queue(). */
	smp_store_release(&file->private_data, IS_ERR(q) ? NULL : q);
}

/*
 * How long a read or write may sleep: not at all on an O_NONBLOCK file, nor
 * for an IOCB_NOWAIT call (preadv2()/pwritev2() with RWF_NOWAIT, and
 * io_uring's first try, which then waits on poll instead of a thread).
 */
static void kmsgq_file_deadline(struct kiocb *iocb, struct kmsgq_deadline *dl)
{
	*dl = (struct kmsgq_deadline) {
		.nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			    (iocb->ki_flags & IOCB_NOWAIT),
		.restart = true,
	};
}

/* One message, scattered over @to's segments (read, readv, io_uring). */
static ssize_t kmsgq_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kmsgq_queue *q = kmsgq_file_queue(iocb->ki_filp);
	struct kmsgq_deadline dl;

	if (!q)
		return -ENOTCONN;
	kmsgq_file_deadline(iocb, &dl);
	return kmsgq_queue_recv_iter(q, kmsgq_fanout_sub(q, iocb->ki_filp), to,
				     &dl);
}

/* One message, gathered from @from's segments (write, writev, io_uring). */
static ssize_t kmsgq_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kmsgq_queue *q = kmsgq_file_queue(iocb->ki_filp);
	struct kmsgq_deadline dl;

	if (!q)
		return -ENOTCONN;
	kmsgq_file_deadline(iocb, &dl);
	return kmsgq_queue_send_iter(q, from, &dl);
}

/*
 * A file waits, and reports readiness, only for the sides its access mode
 * allows, as a pipe's ends do (EPOLLIN needs read access, EPOLLOUT write).
 */
static __poll_t kmsgq_file_poll(struct file *file, poll_table *wait)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);
	__poll_t allowed = 0;
	__poll_t wanted;

	if (!q)
		return EPOLLERR;
	if (file->f_mode & FMODE_READ)
		allowed |= KMSGQ_POLL_IN;
	if (file->f_mode & FMODE_WRITE)
		allowed |= KMSGQ_POLL_OUT;
	wanted = poll_requested_events(wait) & allowed;
	/*
	 * Queued on every side the file may use, whatever it asks for now:
	 * EPOLL_CTL_MOD polls again without queueing, so an epoll entry made
	 * for EPOLLIN must already wait where EPOLLOUT is woken.  Keyed
	 * wakeups make the spare entry's callback return at once.
	 */
	if (allowed & KMSGQ_POLL_IN)
		poll_wait(file, &q->recv_wq, wait);
	if (allowed & KMSGQ_POLL_OUT)
		poll_wait(file, &q->send_wq, wait);
	return kmsgq_queue_poll_mask(q, kmsgq_fanout_sub(q, file), wanted,
				     !poll_does_not_wait(wait)) & allowed;
}

static int kmsgq_file_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice here; unbound is NULL. */
	file->private_data = NULL;
	/* read_iter and write_iter honour IOCB_NOWAIT. */
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

/* Every close(): the closing process's notification goes, as with mqueue. */
static int kmsgq_file_flush(struct file *file, fl_owner_t id)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (q)
		kmsgq_notify_remove(q);
	return 0;
}

static int kmsgq_file_release(struct inode *inode, struct file *file)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (!q)
		return 0;
	/* The file's mappings are gone too: finish its ring claims. */
	kmsgq_queue_ring_reclaim(q, file);
	/* Its position holds no publisher back any more. */
	kmsgq_fanout_unsubscribe(q, file);
	/* Nor do the slots it reserved to publish in place. */
	kmsgq_inplace_release(q, file);
	kmsgq_registry_put(q);
	return 0;
}

const struct file_operations kmsgq_file_ops = {
	.owner = THIS_MODULE,
	.open = kmsgq_file_open,
	.flush = kmsgq_file_flush,
	.release = kmsgq_file_release,
	.read_iter = kmsgq_file_read_iter,
	.write_iter = kmsgq_file_write_iter,
	.poll = kmsgq_file_poll,
	.unlocked_ioctl = kmsgq_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kmsgq_mmap,
#ifdef KMSGQ_HAVE_URING_CMD
	.uring_cmd = kmsgq_uring_cmd,
#endif
};
