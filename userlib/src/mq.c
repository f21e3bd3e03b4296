// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkmsgq-mq: POSIX message queues (<mqueue.h>) on kmsgq.
 *
 * mq_open() and friends with glibc's prototypes and the errnos of Linux's
 * ipc/mqueue.c and glibc's wrappers, each done with libkmsgq's calls on
 * /dev/kmsgq; an mqd_t is the kmsgq file descriptor.  Linked in place of
 * -lrt, or put in front of the C library with LD_PRELOAD, it moves an
 * existing mqueue program onto kmsgq unchanged.  Where kmsgq cannot do what
 * mqueue does (queue names, limits), kmsgq_mq(7) says so.
 * mq_notify() is in mq_notify.c.
 */
/* Fortified <mqueue.h> defines mq_open() inline: this file defines it. */
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

#include "mq_internal.h"

/*
 * mq_receive() fails with EMSGSIZE when the buffer is smaller than the
 * queue's mq_msgsize, and with EBADF first when the descriptor cannot
 * read.  Both are remembered per descriptor from mq_open() (or the first
 * receive), so that a receive is one system call: KMSGQ_MQ_READABLE |
 * msgsize << 1, or 0 when unknown.  mq_close() forgets; a descriptor that
 * close() or dup2() reused for another queue keeps the old entry (see
 * kmsgq_mq(7)).
 */
#define KMSGQ_MQ_CACHED_FDS	4096
#define KMSGQ_MQ_READABLE	1U

static _Atomic uint64_t kmsgq_mq_fds[KMSGQ_MQ_CACHED_FDS];

static void kmsgq_mq_remember(int fd, uint64_t entry)
{
	if (fd >= 0 && fd < KMSGQ_MQ_CACHED_FDS)
		atomic_store_explicit(&kmsgq_mq_fds[fd], entry,
				      memory_order_relaxed);
}

/* The descriptor's entry, looked up with GETATTR if not remembered. */
static int kmsgq_mq_lookup(int fd, uint64_t *entry)
{
	struct kmsgq_attr attr;
	int flags, ret;

	if (fd >= 0 && fd < KMSGQ_MQ_CACHED_FDS) {
		*entry = atomic_load_explicit(&kmsgq_mq_fds[fd],
					      memory_order_relaxed);
		if (*entry)
			return 0;
	}
	ret = kmsgq_getattr(fd, &attr);
	if (ret)
		return ret;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	*entry = (uint64_t)attr.max_msgsize << 1;
	if ((flags & O_ACCMODE) != O_WRONLY)
		*entry |= KMSGQ_MQ_READABLE;
	kmsgq_mq_remember(fd, *entry);
	return 0;
}

/*
 * The kmsgq name of an mqueue name, as ipc/mqueue.c and glibc judge it:
 * a leading '/' (EINVAL), something after it (ENOENT), no other '/' and
 * not "." or ".." (EACCES), at most NAME_MAX bytes (ENAMETOOLONG).  Then
 * what kmsgq adds: at most KMSGQ_NAME_MAX - 1 bytes (ENAMETOOLONG), of
 * [A-Za-z0-9._-] (EINVAL).
 */
static int kmsgq_mq_name(const char *name, char kname[KMSGQ_NAME_MAX])
{
	size_t len, i;

	if (name[0] != '/')
		return -EINVAL;
	name++;
	len = strlen(name);
	if (!len)
		return -ENOENT;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EACCES;
	if (len >= KMSGQ_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
			return -EINVAL;
	}
	memcpy(kname, name, len + 1);
	return 0;
}

/*
 * An abs_timeout as mqueue checks it before anything else: tv_nsec in
 * [0, 1e9) and tv_sec >= 0 (EINVAL).
 */
static int kmsgq_mq_timeout_ok(const struct timespec *ts)
{
	return !ts || (ts->tv_sec >= 0 && ts->tv_nsec >= 0 &&
		       ts->tv_nsec < 1000000000L);
}

/* A number in /proc/sys/fs/mqueue/@name, or 0 if it cannot be read. */
static unsigned long kmsgq_mq_sysctl(const char *name)
{
	char path[64], buf[32];
	unsigned long val = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len > 0) {
		buf[len] = 0;
		val = strtoul(buf, NULL, 10);
	}
	return val > UINT32_MAX ? 0 : val;
}

/*
 * The attributes mqueue gives a queue created without any: its
 * msg_default and msgsize_default, each at most its maximum (as
 * mqueue_get_inode() does), so that mqueue programs get what the
 * administrator set for them.  0 for a figure the system does not have:
 * kmsgq's default_msgs or default_msgsize then.
 */
static void kmsgq_mq_defaults(struct kmsgq_attr *attr)
{
	unsigned long def, max;

	def = kmsgq_mq_sysctl("msg_default");
	max = kmsgq_mq_sysctl("msg_max");
	attr->max_msgs = def < max ? def : max;
	def = kmsgq_mq_sysctl("msgsize_default");
	max = kmsgq_mq_sysctl("msgsize_max");
	attr->max_msgsize = def < max ? def : max;
}

/* kmsgq_open() as mq_open() reports it: no device is no mqueue (ENOSYS). */
static int kmsgq_mq_open_kmsgq(const char *kname, int oflag, mode_t mode,
			       const struct kmsgq_attr *attr)
{
	int fd = kmsgq_open(kname, oflag, mode, attr);

	if (fd == -ENOENT && access(KMSGQ_DEVICE_PATH, F_OK))
		return -ENOSYS;
	return fd;
}

mqd_t mq_open(const char *name, int oflag, ...)
{
	/* Flags mqueue acts on; it ignores the others. mqd_t are O_CLOEXEC. */
	int kflags = (oflag & (O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK)) |
		     O_CLOEXEC;
	struct kmsgq_attr kattr = { 0 };
	struct mq_attr *attr = NULL;
	char kname[KMSGQ_NAME_MAX];
	mode_t mode = 0;
	uint64_t entry;
	int fd;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	fd = kmsgq_mq_name(name, kname);
	if (fd)
		return kmsgq_mq_ret(fd);

	if (attr) {
		/*
		 * mqueue checks the attributes only when it creates the
		 * queue: an existing queue opens whatever they say.  kmsgq
		 * takes 0 as "the default", mqueue as EINVAL.
		 */
		if (attr->mq_maxmsg <= 0 || attr->mq_msgsize <= 0 ||
		    (unsigned long)attr->mq_maxmsg > UINT32_MAX ||
		    (unsigned long)attr->mq_msgsize > UINT32_MAX) {
			fd = kmsgq_mq_open_kmsgq(kname, kflags & ~O_CREAT, 0,
						 NULL);
			if (fd >= 0 && (oflag & O_EXCL)) {
				close(fd);
				fd = -EEXIST;
			}
			if (fd == -ENOENT)
				fd = -EINVAL;
			goto out;
		}
		kattr.max_msgs = attr->mq_maxmsg;
		kattr.max_msgsize = attr->mq_msgsize;
	} else if (oflag & O_CREAT) {
		kmsgq_mq_defaults(&kattr);
	}
	fd = kmsgq_mq_open_kmsgq(kname, kflags, mode, &kattr);
out:
	if (fd >= 0) {
		kmsgq_mq_notify_forget(fd);
		kmsgq_mq_remember(fd, 0);
		/* Fills the entry for the receives to come. */
		if (kmsgq_mq_lookup(fd, &entry))
			kmsgq_mq_remember(fd, 0);
	}
	return kmsgq_mq_ret(fd);
}

int mq_close(mqd_t mqdes)
{
	/* The kernel drops this process's registration at the close. */
	kmsgq_mq_notify_close(mqdes);
	kmsgq_mq_remember(mqdes, 0);
	return kmsgq_mq_ret(kmsgq_close(mqdes));
}

int mq_unlink(const char *name)
{
	char kname[KMSGQ_NAME_MAX];
	int ret;

	ret = kmsgq_mq_name(name, kname);
	if (!ret)
		ret = kmsgq_unlink(kname);
	if (ret == -ENOENT && access(KMSGQ_DEVICE_PATH, F_OK))
		ret = -ENOSYS;
	/* glibc: "mq_unlink should return just EACCES", never EPERM. */
	if (ret == -EPERM)
		ret = -EACCES;
	return kmsgq_mq_ret(ret);
}

/* mq_timedsend(), whose timeout <mqueue.h> declares non-null, and mq_send(). */
static int kmsgq_mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
			 unsigned int msg_prio,
			 const struct timespec *abs_timeout)
{
	/* mqueue's order: the priority, the timeout, then the descriptor. */
	if (msg_prio >= KMSGQ_PRIO_MAX || !kmsgq_mq_timeout_ok(abs_timeout))
		return kmsgq_mq_ret(-EINVAL);
	return kmsgq_mq_ret(kmsgq_timedsend(mqdes, msg_ptr, msg_len, msg_prio,
					    CLOCK_REALTIME, abs_timeout));
}

int mq_timedsend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
		 unsigned int msg_prio, const struct timespec *abs_timeout)
{
	return kmsgq_mq_send(mqdes, msg_ptr, msg_len, msg_prio, abs_timeout);
}

int mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
	    unsigned int msg_prio)
{
	return kmsgq_mq_send(mqdes, msg_ptr, msg_len, msg_prio, NULL);
}

/* mq_timedreceive() and mq_receive(), as for sending. */
static ssize_t kmsgq_mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
				unsigned int *msg_prio,
				const struct timespec *abs_timeout)
{
	uint64_t entry;
	int ret;

	if (!kmsgq_mq_timeout_ok(abs_timeout))
		return kmsgq_mq_ret(-EINVAL);
	ret = kmsgq_mq_lookup(mqdes, &entry);
	if (ret)
		return kmsgq_mq_ret(ret);
	if (!(entry & KMSGQ_MQ_READABLE))
		return kmsgq_mq_ret(-EBADF);
	if (msg_len < entry >> 1)
		return kmsgq_mq_ret(-EMSGSIZE);
	return kmsgq_mq_ret(kmsgq_timedreceive(mqdes, msg_ptr, msg_len,
					       msg_prio, CLOCK_REALTIME,
					       abs_timeout));
}

ssize_t mq_timedreceive(mqd_t mqdes, char *__restrict msg_ptr, size_t msg_len,
			unsigned int *__restrict msg_prio,
			const struct timespec *__restrict abs_timeout)
{
	return kmsgq_mq_receive(mqdes, msg_ptr, msg_len, msg_prio,
				abs_timeout);
}

ssize_t mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
		   unsigned int *msg_prio)
{
	return kmsgq_mq_receive(mqdes, msg_ptr, msg_len, msg_prio, NULL);
}

/* struct kmsgq_attr as struct mq_attr. */
static void kmsgq_mq_attr(struct mq_attr *mq, const struct kmsgq_attr *k)
{
	memset(mq, 0, sizeof(*mq));
	mq->mq_flags = k->flags & KMSGQ_ATTR_NONBLOCK ? O_NONBLOCK : 0;
	mq->mq_maxmsg = k->max_msgs;
	mq->mq_msgsize = k->max_msgsize;
	mq->mq_curmsgs = k->cur_msgs;
}

int mq_getattr(mqd_t mqdes, struct mq_attr *mqstat)
{
	struct kmsgq_attr attr;
	int ret;

	ret = kmsgq_getattr(mqdes, &attr);
	if (!ret)
		kmsgq_mq_attr(mqstat, &attr);
	return kmsgq_mq_ret(ret);
}

int mq_setattr(mqd_t mqdes, const struct mq_attr *__restrict mqstat,
	       struct mq_attr *__restrict omqstat)
{
	struct kmsgq_attr old;
	int ret;

	/* Only O_NONBLOCK may be set; the other fields are ignored. */
	if (mqstat->mq_flags & ~(long)O_NONBLOCK)
		return kmsgq_mq_ret(-EINVAL);
	ret = kmsgq_setattr(mqdes, mqstat->mq_flags & O_NONBLOCK ?
			    KMSGQ_ATTR_NONBLOCK : 0, omqstat ? &old : NULL);
	if (!ret && omqstat)
		kmsgq_mq_attr(omqstat, &old);
	return kmsgq_mq_ret(ret);
}
