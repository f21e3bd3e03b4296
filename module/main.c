// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq - kernel message queues behind /dev/kmsgq.
 *
 * This file is the character-device glue: a /dev/kmsgq file starts unbound;
 * KMSGQ_IOC_OPEN binds it to a queue (file->private_data, set once with
 * cmpxchg and never changed until release).  read/write/ioctl/poll/mmap then
 * act on that queue.  Every ioctl argument is copied in with
 * copy_struct_from_user() semantics and every field checked here before the
 * queue code sees it.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

unsigned int kmsgq_max_queues = 256;
module_param_named(max_queues, kmsgq_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues, "Most queues that may exist at once");

unsigned int kmsgq_max_msgs = KMSGQ_MSGS_HARD_MAX;
module_param_named(max_msgs, kmsgq_max_msgs, uint, 0644);
MODULE_PARM_DESC(max_msgs, "Largest queue depth (at most 65536)");

unsigned int kmsgq_max_msgsize = 1U << 20;
module_param_named(max_msgsize, kmsgq_max_msgsize, uint, 0644);
MODULE_PARM_DESC(max_msgsize, "Largest message size (at most 4 MiB)");

unsigned int kmsgq_default_msgs = 64;
module_param_named(default_msgs, kmsgq_default_msgs, uint, 0644);
MODULE_PARM_DESC(default_msgs, "Depth of a queue created with max_msgs 0");

unsigned int kmsgq_default_msgsize = 8192;
module_param_named(default_msgsize, kmsgq_default_msgsize, uint, 0644);
MODULE_PARM_DESC(default_msgsize,
		 "Message size of a queue created with max_msgsize 0");

unsigned long kmsgq_user_bytes_max = 64UL << 20;
module_param_named(user_bytes_max, kmsgq_user_bytes_max, ulong, 0644);
MODULE_PARM_DESC(user_bytes_max, "Bytes of queue storage one user may hold");

static struct dentry *kmsgq_debugfs;

/* Ioctl numbers without their size bits: structures may grow. */
#define KMSGQ_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

#define KMSGQ_XFER_FLAGS \
	(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE)

/* The queue this file is bound to, or NULL. */
static struct kmsgq_queue *kmsgq_file_queue(struct file *file)
{
	/* Pairs with cmpxchg_release() in kmsgq_ioctl_open(). */
	return smp_load_acquire((struct kmsgq_queue **)&file->private_data);
}

/*
 * Copy in an ioctl argument whose first field is its size: older (smaller)
 * structures are zero-extended, newer ones must have a zero tail.
 */
static int kmsgq_copy_in(void *karg, size_t ksize, const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/* Copy out a result; the caller's struct beyond ours is zeroed. */
static int kmsgq_copy_out(void __user *uarg, void *karg, size_t ksize)
{
	u32 usize = *(u32 *)karg;

	if (copy_to_user(uarg, karg, ksize))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static int kmsgq_deadline_init(struct kmsgq_deadline *dl, struct file *file,
			       u32 flags, s32 clockid,
			       const struct kmsgq_timespec *ts)
{
	struct timespec64 t;

	dl->nonblock = (flags & KMSGQ_XFER_NONBLOCK) ||
		       (file->f_flags & O_NONBLOCK);
	dl->timed = flags & KMSGQ_XFER_TIMEOUT;
	dl->restart = !(flags & KMSGQ_XFER_RELATIVE);
	dl->clockid = CLOCK_MONOTONIC;
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
	return 0;
}

static long kmsgq_ioctl_info(void __user *uarg)
{
	struct kmsgq_info info;
	int err;

	err = kmsgq_copy_in(&info, sizeof(info), uarg);
	if (err)
		return err;
	if (info.abi_version || info.features || info.max_queues ||
	    info.max_msgs || info.max_msgsize || info.name_max ||
	    info.prio_max || info.batch_max)
		return -EINVAL;

	info.abi_version = KMSGQ_ABI_VERSION;
	info.features = KMSGQ_FEAT_PRIO | KMSGQ_FEAT_BATCH |
			KMSGQ_FEAT_TIMEOUT | KMSGQ_FEAT_STATS | KMSGQ_FEAT_RING |
			KMSGQ_FEAT_LIST;
	info.max_queues = READ_ONCE(kmsgq_max_queues);
	info.max_msgs = min(READ_ONCE(kmsgq_max_msgs), KMSGQ_MSGS_HARD_MAX);
	info.max_msgsize = min(READ_ONCE(kmsgq_max_msgsize),
			       KMSGQ_MSGSIZE_HARD_MAX);
	info.name_max = KMSGQ_NAME_MAX;
	info.prio_max = KMSGQ_PRIO_MAX;
	info.batch_max = KMSGQ_BATCH_MAX;
	return kmsgq_copy_out(uarg, &info, sizeof(info));
}

static long kmsgq_ioctl_open(struct file *file, void __user *uarg)
{
	struct kmsgq_queue *q;
	struct kmsgq_open op;
	int err;

	err = kmsgq_copy_in(&op, sizeof(op), uarg);
	if (err)
		return err;
	if (op.flags & ~(KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RING))
		return -EINVAL;
	if ((op.flags & (KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RING)) &&
	    !(op.flags & KMSGQ_OPEN_CREATE))
		return -EINVAL;
	if (op.reserved || (op.mode & ~0777))
		return -EINVAL;
	if (kmsgq_file_queue(file))
		return -EBUSY;

	q = kmsgq_queue_open(&op, file->f_mode & (FMODE_READ | FMODE_WRITE));
	if (IS_ERR(q))
		return PTR_ERR(q);
	/* Pairs with smp_load_acquire() in kmsgq_file_queue(). */
	if (cmpxchg_release(&file->private_data, NULL, q)) {
		kmsgq_queue_put(q);
		return -EBUSY;
	}
	return 0;
}

static long kmsgq_ioctl_unlink(void __user *uarg)
{
	struct kmsgq_unlink ul;
	int err;

	err = kmsgq_copy_in(&ul, sizeof(ul), uarg);
	if (err)
		return err;
	if (ul.flags)
		return -EINVAL;
	return kmsgq_queue_unlink(ul.name);
}

static long kmsgq_ioctl_xfer(struct file *file, struct kmsgq_queue *q,
			     void __user *uarg, bool send)
{
	struct kmsgq_kmsg km[KMSGQ_CHUNK];
	struct kmsgq_msg um[KMSGQ_CHUNK];
	struct kmsgq_msg __user *umsgs;
	struct kmsgq_deadline dl;
	struct kmsgq_xfer x;
	unsigned int total = 0, n, i;
	int ret;

	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	ret = kmsgq_copy_in(&x, sizeof(x), uarg);
	if (ret)
		return ret;
	if ((x.flags & ~KMSGQ_XFER_FLAGS) || !x.nr || x.nr > KMSGQ_BATCH_MAX)
		return -EINVAL;
	ret = kmsgq_deadline_init(&dl, file, x.flags, x.clockid, &x.timeout);
	if (ret)
		return ret;

	umsgs = u64_to_user_ptr(x.msgs);
	while (total < x.nr) {
		n = min_t(unsigned int, x.nr - total, KMSGQ_CHUNK);
		if (copy_from_user(um, umsgs + total, n * sizeof(um[0]))) {
			ret = -EFAULT;
			break;
		}
		for (i = 0; i < n; i++) {
			km[i].buf = u64_to_user_ptr(um[i].buf);
			km[i].len = um[i].len;
			km[i].prio = um[i].prio;
			km[i].umsg = umsgs + total + i;
		}
		ret = send ? kmsgq_queue_send(q, km, n, &dl) :
			     kmsgq_queue_recv(q, km, n, &dl);
		if (ret < 0)
			break;
		total += ret;
		if (ret < n)
			break;
		/* Only the first message may wait. */
		dl.nonblock = true;
	}
	return total ?: ret;
}

static long kmsgq_ioctl_getattr(struct file *file, struct kmsgq_queue *q,
				void __user *uarg)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_attr attr;
	int err;

	err = kmsgq_copy_in(&attr, sizeof(attr), uarg);
	if (err)
		return err;
	if (attr.flags || attr.qflags || attr.max_msgs || attr.max_msgsize ||
	    attr.cur_msgs || attr.mode || attr.uid || attr.gid ||
	    attr.reserved)
		return -EINVAL;

	attr.flags = (file->f_flags & O_NONBLOCK) ? KMSGQ_ATTR_NONBLOCK : 0;
	attr.qflags = q->is_ring ? KMSGQ_OPEN_RING : 0;
	attr.max_msgs = q->max_msgs;
	attr.max_msgsize = q->max_msgsize;
	attr.cur_msgs = kmsgq_queue_count(q);
	attr.mode = q->mode;
	attr.uid = from_kuid_munged(ns, q->uid);
	attr.gid = from_kgid_munged(ns, q->gid);
	return kmsgq_copy_out(uarg, &attr, sizeof(attr));
}

static long kmsgq_ioctl_setattr(struct file *file, void __user *uarg)
{
	struct kmsgq_attr attr;
	int err;

	err = kmsgq_copy_in(&attr, sizeof(attr), uarg);
	if (err)
		return err;
	if ((attr.flags & ~KMSGQ_ATTR_NONBLOCK) || attr.qflags ||
	    attr.max_msgs || attr.max_msgsize || attr.cur_msgs || attr.mode ||
	    attr.uid || attr.gid || attr.reserved)
		return -EINVAL;

	spin_lock(&file->f_lock);
	if (attr.flags & KMSGQ_ATTR_NONBLOCK)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
	return 0;
}

static long kmsgq_ioctl_stats(struct kmsgq_queue *q, void __user *uarg)
{
	struct kmsgq_stats st;
	int err;

	err = kmsgq_copy_in(&st, sizeof(st), uarg);
	if (err)
		return err;
	if (memchr_inv(&st.flags, 0, sizeof(st) - sizeof(st.size)))
		return -EINVAL;

	st.msgs_sent = atomic64_read(&q->msgs_sent);
	st.msgs_recv = atomic64_read(&q->msgs_recv);
	st.bytes_sent = atomic64_read(&q->bytes_sent);
	st.bytes_recv = atomic64_read(&q->bytes_recv);
	st.cur_msgs = kmsgq_queue_count(q);
	st.send_waiters = atomic_read(&q->send_waiters);
	st.recv_waiters = atomic_read(&q->recv_waiters);
	st.mappings = atomic_read(&q->mappings);
	return kmsgq_copy_out(uarg, &st, sizeof(st));
}

static long kmsgq_ioctl_ring_info(struct kmsgq_queue *q, void __user *uarg)
{
	struct kmsgq_ring *r = &q->ring;
	struct kmsgq_ring_info ri;
	int err;

	if (!q->is_ring)
		return -EOPNOTSUPP;
	err = kmsgq_copy_in(&ri, sizeof(ri), uarg);
	if (err)
		return err;
	if (memchr_inv(&ri.flags, 0, sizeof(ri) - sizeof(ri.size)))
		return -EINVAL;

	ri.map_size = (u64)r->nr_pages << PAGE_SHIFT;
	ri.nr_slots = r->nr_slots;
	ri.slot_size = r->slot_size;
	ri.prod_off = (void *)r->prod - r->vaddr;
	ri.cons_off = (void *)r->cons - r->vaddr;
	ri.wakeup_off = (void *)r->wakeup - r->vaddr;
	ri.desc_off = r->desc_off;
	ri.data_off = r->data_off;
	return kmsgq_copy_out(uarg, &ri, sizeof(ri));
}

static long kmsgq_ioctl_ring_wait(struct file *file, struct kmsgq_queue *q,
				  void __user *uarg, bool wake)
{
	struct kmsgq_deadline dl;
	struct kmsgq_ring_wait w;
	int err;

	if (!q->is_ring)
		return -EOPNOTSUPP;
	err = kmsgq_copy_in(&w, sizeof(w), uarg);
	if (err)
		return err;
	if (!w.events || (w.events & ~KMSGQ_RING_EVENTS))
		return -EINVAL;
	if (wake) {
		if (w.flags || w.clockid || w.timeout.tv_sec ||
		    w.timeout.tv_nsec)
			return -EINVAL;
		kmsgq_queue_ring_wake(q, w.events);
		return 0;
	}

	if (w.flags & ~(KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE))
		return -EINVAL;
	err = kmsgq_deadline_init(&dl, file, w.flags, w.clockid, &w.timeout);
	if (err)
		return err;
	/* An explicit wait ignores O_NONBLOCK. */
	dl.nonblock = false;
	return kmsgq_queue_ring_wait(q, w.events, &dl);
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

	err = kmsgq_copy_in(&l, sizeof(l), uarg);
	if (err)
		return err;
	if (l.flags || !l.nr || l.nr > KMSGQ_BATCH_MAX ||
	    l.entry_size < KMSGQ_QUEUE_ENTRY_SIZE_VER0)
		return -EINVAL;
	if (l.entry_size > PAGE_SIZE)
		return -E2BIG;
	/* Entries newer than ours get a zero tail. */
	len = min_t(size_t, l.entry_size, sizeof(*ents));

	ents = kmalloc_array(KMSGQ_LIST_CHUNK, sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	cursor = l.cursor;
	while (done < l.nr) {
		n = kmsgq_queue_list(&cursor, ents,
				     min(l.nr - done, KMSGQ_LIST_CHUNK));
		for (i = 0; i < n; i++, done++) {
			void __user *dst = u64_to_user_ptr(l.entries +
					(u64)done * l.entry_size);

			if (copy_to_user(dst, &ents[i], len) ||
			    (l.entry_size > len &&
			     clear_user(dst + len, l.entry_size - len))) {
				err = -EFAULT;
				goto out;
			}
		}
		if (n < KMSGQ_LIST_CHUNK)
			break;
	}
	l.cursor = cursor;
	l.nr = done;
	err = kmsgq_copy_out(uarg, &l, sizeof(l)) ?: done;
out:
	kfree(ents);
	return err;
}

static long kmsgq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct kmsgq_queue *q;

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
	}

	q = kmsgq_file_queue(file);
	switch (KMSGQ_IOC_BASE(cmd)) {
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SEND):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RECV):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_GETATTR):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SETATTR):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_STATS):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_INFO):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_WAIT):
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_WAKE):
		if (!q)
			return -ENOTCONN;
		break;
	default:
		return -ENOTTY;
	}

	switch (KMSGQ_IOC_BASE(cmd)) {
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SEND):
		return kmsgq_ioctl_xfer(file, q, uarg, true);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RECV):
		return kmsgq_ioctl_xfer(file, q, uarg, false);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_GETATTR):
		return kmsgq_ioctl_getattr(file, q, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_SETATTR):
		return kmsgq_ioctl_setattr(file, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_STATS):
		return kmsgq_ioctl_stats(q, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_INFO):
		return kmsgq_ioctl_ring_info(q, uarg);
	case KMSGQ_IOC_BASE(KMSGQ_IOC_RING_WAIT):
		return kmsgq_ioctl_ring_wait(file, q, uarg, false);
	default:
		return kmsgq_ioctl_ring_wait(file, q, uarg, true);
	}
}

static ssize_t kmsgq_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
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

static ssize_t kmsgq_write(struct file *file, const char __user *buf,
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

static __poll_t kmsgq_poll(struct file *file, poll_table *wait)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (!q)
		return EPOLLERR;
	poll_wait(file, &q->recv_wq, wait);
	poll_wait(file, &q->send_wq, wait);
	return kmsgq_queue_poll_mask(q, poll_requested_events(wait));
}

static void kmsgq_vm_open(struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = vma->vm_private_data;

	atomic_inc(&q->mappings);
}

static void kmsgq_vm_close(struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = vma->vm_private_data;

	atomic_dec(&q->mappings);
}

static vm_fault_t kmsgq_vm_fault(struct vm_fault *vmf)
{
	struct kmsgq_queue *q = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= q->ring.nr_pages)
		return VM_FAULT_SIGBUS;
	page = q->ring.pages[vmf->pgoff];
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kmsgq_vm_ops = {
	.open = kmsgq_vm_open,
	.close = kmsgq_vm_close,
	.fault = kmsgq_vm_fault,
};

/*
 * The whole ring, shared, at offset 0.  The mapping's file reference keeps
 * the queue alive after close().  A file opened without FMODE_WRITE gets a
 * mapping the VFS refuses to make (or mprotect) writable.
 */
static int kmsgq_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (!q)
		return -ENOTCONN;
	if (!q->is_ring)
		return -ENODEV;
	/* VM_MAYSHARE: the VFS clears VM_SHARED for read-only files. */
	if (vma->vm_pgoff || vma_pages(vma) != q->ring.nr_pages ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &kmsgq_vm_ops;
	vma->vm_private_data = q;
	kmsgq_vm_open(vma);
	return 0;
}

static int kmsgq_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice here; unbound is NULL. */
	file->private_data = NULL;
	return stream_open(inode, file);
}

static int kmsgq_release(struct inode *inode, struct file *file)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);

	if (q)
		kmsgq_queue_put(q);
	return 0;
}

static const struct file_operations kmsgq_fops = {
	.owner = THIS_MODULE,
	.open = kmsgq_open,
	.release = kmsgq_release,
	.read = kmsgq_read,
	.write = kmsgq_write,
	.poll = kmsgq_poll,
	.unlocked_ioctl = kmsgq_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kmsgq_mmap,
};

static struct miscdevice kmsgq_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kmsgq",
	.fops = &kmsgq_fops,
	/* Anyone may open; each queue's own mode decides what they may do. */
	.mode = 0666,
};

static int kmsgq_queues_show(struct seq_file *m, void *v)
{
	kmsgq_queue_show_all(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmsgq_queues);

static int __init kmsgq_init(void)
{
	int err;

	err = misc_register(&kmsgq_misc);
	if (err)
		return err;
	kmsgq_debugfs = debugfs_create_dir("kmsgq", NULL);
	debugfs_create_file("queues", 0444, kmsgq_debugfs, NULL,
			    &kmsgq_queues_fops);
	return 0;
}

static void __exit kmsgq_exit(void)
{
	debugfs_remove_recursive(kmsgq_debugfs);
	misc_deregister(&kmsgq_misc);
	kmsgq_queue_unlink_all();
}

module_init(kmsgq_init);
module_exit(kmsgq_exit);

MODULE_DESCRIPTION("kmsgq: kernel message queues with zero-copy rings");
MODULE_AUTHOR("kmsgq developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
