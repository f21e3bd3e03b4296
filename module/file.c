// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq file: the file operations of /dev/kmsgq.
 *
 * A file starts unbound; KMSGQ_IOC_OPEN binds it to a queue
 * (file->private_data, set once and never changed until release).  read,
 * write, poll, mmap and the queue ioctls then act on that queue; the file's
 * open mode is the access it was granted to it.
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

static ssize_t kmsgq_file_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);
	struct kmsgq_kmsg m = {
		.buf = buf,
		.len = min_t(size_t, count, U32_MAX),
	};
	struct kmsgq_deadline dl = {
		.nonblock = file->f_flags & O_NONBLOCK,
		.restart = true,
	};
	int ret;

	if (!q)
		return -ENOTCONN;
	ret = kmsgq_queue_recv(q, &m, 1, &dl);
	return ret < 0 ? ret : (ssize_t)m.len;
}

static ssize_t kmsgq_file_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);
	struct kmsgq_kmsg m = { .buf = (void __user *)buf };
	struct kmsgq_deadline dl = {
		.nonblock = file->f_flags & O_NONBLOCK,
		.restart = true,
	};
	int ret;

	if (!q)
		return -ENOTCONN;
	if (count > q->max_msgsize)
		return -EMSGSIZE;
	m.len = count;
	ret = kmsgq_queue_send(q, &m, 1, &dl);
	return ret < 0 ? ret : count;
}

static __poll_t kmsgq_file_poll(struct file *file, poll_table *wait)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (!q)
		return EPOLLERR;
	poll_wait(file, &q->recv_wq, wait);
	poll_wait(file, &q->send_wq, wait);
	return kmsgq_queue_poll_mask(q, poll_requested_events(wait),
				     !poll_does_not_wait(wait));
}

static int kmsgq_file_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice here; unbound is NULL. */
	file->private_data = NULL;
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

	if (q)
		kmsgq_registry_put(q);
	return 0;
}

const struct file_operations kmsgq_file_ops = {
	.owner = THIS_MODULE,
	.open = kmsgq_file_open,
	.flush = kmsgq_file_flush,
	.release = kmsgq_file_release,
	.read = kmsgq_file_read,
	.write = kmsgq_file_write,
	.poll = kmsgq_file_poll,
	.unlocked_ioctl = kmsgq_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kmsgq_mmap,
};
