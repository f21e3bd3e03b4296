// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkmsgq - named message queues over /dev/kmsgq.
 *
 * Each call is one ioctl of <linux/kmsgq.h> (two for kmsgq_open() and
 * kmsgq_setattr()), with the argument zero-initialised and its @size set,
 * and the result turned into the library's convention: -errno on failure,
 * errno as the caller left it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <kmsgq.h>

#include "internal.h"

/* The open(2) flags kmsgq_open() understands. */
#define KMSGQ_OFLAGS	(O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC)

/*
 * open() of the device, with -errno; a missing node, or a stale one with
 * no driver behind it, is -ENOENT: the module is not loaded.
 */
static int kmsgq_open_dev(int flags)
{
	int fd = open(KMSGQ_DEVICE_PATH, flags);

	if (fd >= 0)
		return fd;
	return errno == ENODEV || errno == ENXIO ? -ENOENT : -errno;
}

/*
 * kmsgq_ioctl() on @fd, or with @fd -1 on a descriptor of the device
 * opened for the call.
 */
static int kmsgq_dev_ioctl(int fd, unsigned long req, void *arg)
{
	int saved = errno;
	int dev = fd;
	int ret;

	if (fd == -1) {
		dev = kmsgq_open_dev(O_RDONLY | O_CLOEXEC);
		if (dev < 0)
			return dev;
	}
	ret = kmsgq_ioctl(dev, req, arg);
	if (dev != fd)
		close(dev);
	errno = saved;
	return ret;
}

/* Copy @name into a fixed-size name field; the kernel checks its charset. */
static int kmsgq_copy_name(char dst[KMSGQ_NAME_MAX], const char *name)
{
	size_t len = strnlen(name, KMSGQ_NAME_MAX);

	if (len == KMSGQ_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, name, len + 1);
	return 0;
}

/* Bind a new descriptor opened with @oflag's access as @op asks. */
static int kmsgq_open_op(struct kmsgq_open *op, int oflag)
{
	int saved = errno;
	int fd, ret;

	fd = kmsgq_open_dev(oflag & (O_ACCMODE | O_NONBLOCK | O_CLOEXEC));
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	if (ioctl(fd, KMSGQ_IOC_OPEN, op) < 0) {
		ret = -errno;
		close(fd);
		goto out;
	}
	ret = fd;
out:
	errno = saved;
	return ret;
}

int kmsgq_open(const char *name, int oflag, mode_t mode,
	       const struct kmsgq_attr *attr)
{
	struct kmsgq_open op = { .size = sizeof(op) };
	int ret;

	if ((oflag & ~KMSGQ_OFLAGS) || (oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	ret = kmsgq_copy_name(op.name, name);
	if (ret)
		return ret;

	/* As with mq_open(), O_EXCL and the attributes need O_CREAT. */
	if (oflag & O_CREAT) {
		op.flags = KMSGQ_OPEN_CREATE;
		if (oflag & O_EXCL)
			op.flags |= KMSGQ_OPEN_EXCL;
		op.mode = mode & 0777;
		if (attr) {
			op.flags |= attr->qflags &
				    (KMSGQ_OPEN_RING | KMSGQ_OPEN_OVERFLOW_FAIL |
				     KMSGQ_OPEN_OVERFLOW_DROP |
				     KMSGQ_OPEN_RECLAIM | KMSGQ_OPEN_SENDER |
				     KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_INPLACE);
			op.max_msgs = attr->max_msgs;
			op.max_msgsize = attr->max_msgsize;
		}
	}
	return kmsgq_open_op(&op, oflag);
}

int kmsgq_subscribe(const char *name, int oflag, unsigned int history)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.history = history,
	};
	int ret;

	if ((oflag & ~(O_ACCMODE | O_NONBLOCK | O_CLOEXEC)) ||
	    (oflag & O_ACCMODE) == O_WRONLY || (oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	ret = kmsgq_copy_name(op.name, name);
	if (ret)
		return ret;
	return kmsgq_open_op(&op, oflag);
}

int kmsgq_open_publisher(const char *name, int oflag)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_PUBLISHER,
	};
	int ret;

	/* A publisher writes: O_RDONLY would publish nothing. */
	if ((oflag & ~(O_ACCMODE | O_NONBLOCK | O_CLOEXEC)) ||
	    (oflag & O_ACCMODE) == O_RDONLY || (oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	ret = kmsgq_copy_name(op.name, name);
	if (ret)
		return ret;
	return kmsgq_open_op(&op, oflag);
}

int kmsgq_close(int fd)
{
	int saved = errno;
	int ret;

	ret = close(fd) < 0 ? -errno : 0;
	errno = saved;
	return ret;
}

int kmsgq_unlink(const char *name)
{
	struct kmsgq_unlink un = { .size = sizeof(un) };
	int ret;

	ret = kmsgq_copy_name(un.name, name);
	if (ret)
		return ret;
	return kmsgq_dev_ioctl(-1, KMSGQ_IOC_UNLINK, &un);
}

/* One KMSGQ_IOC_SETOWNER of the fields @flags names. */
static int kmsgq_setowner(const char *name, unsigned int flags, mode_t mode,
			  uid_t uid, gid_t gid)
{
	struct kmsgq_setowner so = {
		.size = sizeof(so),
		.flags = flags,
	};
	int ret;

	ret = kmsgq_copy_name(so.name, name);
	if (ret)
		return ret;
	if (flags & KMSGQ_SETOWNER_MODE)
		so.mode = mode;
	if (flags & KMSGQ_SETOWNER_UID)
		so.uid = uid;
	if (flags & KMSGQ_SETOWNER_GID)
		so.gid = gid;
	return kmsgq_dev_ioctl(-1, KMSGQ_IOC_SETOWNER, &so);
}

int kmsgq_chmod(const char *name, mode_t mode)
{
	return kmsgq_setowner(name, KMSGQ_SETOWNER_MODE, mode, 0, 0);
}

int kmsgq_chown(const char *name, uid_t uid, gid_t gid)
{
	struct kmsgq_queue_entry e[16];
	unsigned int flags = 0;
	uint64_t cursor = 0;
	char probe[KMSGQ_NAME_MAX];
	int n, i, ret;

	if (uid != (uid_t)-1)
		flags |= KMSGQ_SETOWNER_UID;
	if (gid != (gid_t)-1)
		flags |= KMSGQ_SETOWNER_GID;
	if (flags)
		return kmsgq_setowner(name, flags, 0, uid, gid);

	/* Nothing to change, as chown(2) allows: only say whether it exists. */
	ret = kmsgq_copy_name(probe, name);
	if (ret)
		return ret;
	while ((n = kmsgq_list(-1, &cursor, e, 16)) > 0)
		for (i = 0; i < n; i++)
			if (!strcmp(e[i].name, probe))
				return 0;
	return n < 0 ? n : -ENOENT;
}

/*
 * One KMSGQ_IOC_SEND or KMSGQ_IOC_RECV (a peek at @index with
 * KMSGQ_XFER_PEEK).  @msgs is an array of struct kmsgq_msg, or of struct
 * kmsgq_msg_sender with KMSGQ_XFER_SENDER.  A deadline, if any, sets
 * KMSGQ_XFER_TIMEOUT: callers may not set it themselves, nor ask for a peek
 * but through kmsgq_peek(), nor for senders but through
 * kmsgq_receive_from().
 */
static int kmsgq_xfer(int fd, unsigned long req, const void *msgs,
		      unsigned int nr, unsigned int flags, unsigned int index,
		      clockid_t clock, const struct timespec *deadline,
		      uint64_t *lost)
{
	struct kmsgq_xfer xfer = {
		.size = sizeof(xfer),
		.flags = flags,
		.msgs = (uintptr_t)msgs,
		.nr = nr,
		.index = index,
	};
	int ret;

	if (flags & KMSGQ_XFER_TIMEOUT)
		return -EINVAL;
	kmsgq_deadline_set(&xfer.flags, &xfer.clockid, &xfer.timeout, clock,
			   deadline);
	ret = kmsgq_ioctl(fd, req, &xfer);
	if (lost)
		*lost = xfer.lost;
	return ret;
}

int kmsgq_send(int fd, const void *buf, size_t len, unsigned int prio)
{
	return kmsgq_timedsend(fd, buf, len, prio, CLOCK_MONOTONIC, NULL);
}

int kmsgq_timedsend(int fd, const void *buf, size_t len, unsigned int prio,
		    clockid_t clock, const struct timespec *deadline)
{
	struct kmsgq_msg msg = {
		.buf = (uintptr_t)buf,
		.len = len,
		.prio = prio,
	};
	int ret;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	ret = kmsgq_xfer(fd, KMSGQ_IOC_SEND, &msg, 1, 0, 0, clock, deadline,
			 NULL);
	return ret < 0 ? ret : 0;
}

ssize_t kmsgq_receive(int fd, void *buf, size_t len, unsigned int *prio)
{
	return kmsgq_timedreceive(fd, buf, len, prio, CLOCK_MONOTONIC, NULL);
}

/*
 * One message received, or peeked at @index (KMSGQ_XFER_PEEK in @flags),
 * and with @from not NULL who sent it (KMSGQ_XFER_SENDER); with @lost not
 * NULL, the messages a fan-out subscriber lost before it (kmsgq_xfer.lost).
 */
static ssize_t kmsgq_recv_one(int fd, void *buf, size_t len,
			      unsigned int *prio, struct kmsgq_sender *from,
			      uint64_t *lost, unsigned int flags,
			      unsigned int index, clockid_t clock,
			      const struct timespec *deadline)
{
	/* A buffer larger than any message can be is as good as 4 GiB. */
	struct kmsgq_msg_sender ms = {
		.msg.buf = (uintptr_t)buf,
		.msg.len = len > UINT32_MAX ? UINT32_MAX : len,
	};
	int ret;

	if (from)
		flags |= KMSGQ_XFER_SENDER;
	if (lost)
		flags |= KMSGQ_XFER_LOST;
	ret = kmsgq_xfer(fd, KMSGQ_IOC_RECV, &ms, 1, flags, index, clock,
			 deadline, lost);
	if (ret < 0)
		return ret;
	if (prio)
		*prio = ms.msg.prio;
	if (from) {
		from->pid = ms.pid;
		from->uid = ms.uid;
		from->gid = ms.gid;
		from->flags = ms.sender_flags;
	}
	return ms.msg.len;
}

ssize_t kmsgq_timedreceive(int fd, void *buf, size_t len, unsigned int *prio,
			   clockid_t clock, const struct timespec *deadline)
{
	return kmsgq_recv_one(fd, buf, len, prio, NULL, NULL, 0, 0, clock,
			      deadline);
}

ssize_t kmsgq_receive_from(int fd, void *buf, size_t len, unsigned int *prio,
			   struct kmsgq_sender *from, unsigned int flags,
			   clockid_t clock, const struct timespec *deadline)
{
	if (!from || (flags & (KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER)))
		return -EINVAL;
	return kmsgq_recv_one(fd, buf, len, prio, from, NULL, flags, 0, clock,
			      deadline);
}

ssize_t kmsgq_receive_lost(int fd, void *buf, size_t len, uint64_t *lost,
			   unsigned int flags, clockid_t clock,
			   const struct timespec *deadline)
{
	if (!lost ||
	    (flags & (KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER | KMSGQ_XFER_LOST)))
		return -EINVAL;
	*lost = 0;
	return kmsgq_recv_one(fd, buf, len, NULL, NULL, lost, flags, 0, clock,
			      deadline);
}

int kmsgq_send_batch(int fd, const struct kmsgq_msg *msgs, unsigned int nr,
		     unsigned int flags, clockid_t clock,
		     const struct timespec *deadline)
{
	return kmsgq_xfer(fd, KMSGQ_IOC_SEND, msgs, nr, flags, 0, clock,
			  deadline, NULL);
}

int kmsgq_receive_batch(int fd, struct kmsgq_msg *msgs, unsigned int nr,
			unsigned int flags, clockid_t clock,
			const struct timespec *deadline)
{
	/* Its entries are struct kmsgq_msg, not the larger kmsgq_msg_sender. */
	if (flags & KMSGQ_XFER_SENDER)
		return -EINVAL;
	return kmsgq_xfer(fd, KMSGQ_IOC_RECV, msgs, nr, flags, 0, clock,
			  deadline, NULL);
}

ssize_t kmsgq_peek(int fd, unsigned int index, void *buf, size_t len,
		   unsigned int *prio, unsigned int flags, clockid_t clock,
		   const struct timespec *deadline)
{
	if (flags & (KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER))
		return -EINVAL;
	return kmsgq_recv_one(fd, buf, len, prio, NULL, NULL,
			      flags | KMSGQ_XFER_PEEK, index, clock, deadline);
}

int kmsgq_getattr(int fd, struct kmsgq_attr *attr)
{
	struct kmsgq_attr cur = { .size = sizeof(cur) };
	int ret;

	ret = kmsgq_ioctl(fd, KMSGQ_IOC_GETATTR, &cur);
	if (!ret)
		*attr = cur;
	return ret;
}

/* Not atomic, unlike mq_setattr(): SETATTR does not report the old value. */
int kmsgq_setattr(int fd, unsigned int flags, struct kmsgq_attr *old)
{
	struct kmsgq_attr new = { .size = sizeof(new), .flags = flags };
	struct kmsgq_attr cur;
	int ret;

	if (old) {
		ret = kmsgq_getattr(fd, &cur);
		if (ret)
			return ret;
	}
	ret = kmsgq_ioctl(fd, KMSGQ_IOC_SETATTR, &new);
	if (!ret && old)
		*old = cur;
	return ret;
}

/*
 * KMSGQ_IOC_STATS into the caller's structure of @size bytes: what the
 * kernel knows of it, zeroes beyond.
 */
static int kmsgq_stats_sized(int fd, struct kmsgq_stats *stats, size_t size)
{
	struct kmsgq_stats cur = { .size = size };
	int ret;

	ret = kmsgq_ioctl(fd, KMSGQ_IOC_STATS, &cur);
	if (!ret)
		memcpy(stats, &cur, size);
	return ret;
}

int kmsgq_stats_v1_5(int fd, struct kmsgq_stats *stats)
{
	return kmsgq_stats_sized(fd, stats, sizeof(*stats));
}
KMSGQ_SYMVER(kmsgq_stats_v1_5, kmsgq_stats@@KMSGQ_1.5);

/* kmsgq_stats@KMSGQ_1.2: its callers' structure ends after msgs_lost. */
int kmsgq_stats_v1_2(int fd, struct kmsgq_stats *stats)
{
	return kmsgq_stats_sized(fd, stats, KMSGQ_STATS_SIZE_VER1);
}
KMSGQ_SYMVER(kmsgq_stats_v1_2, kmsgq_stats@KMSGQ_1.2);

/* kmsgq_stats@KMSGQ_1.0: its callers' structure ends before msgs_lost. */
int kmsgq_stats_v1_0(int fd, struct kmsgq_stats *stats)
{
	return kmsgq_stats_sized(fd, stats, KMSGQ_STATS_SIZE_VER0);
}
KMSGQ_SYMVER(kmsgq_stats_v1_0, kmsgq_stats@KMSGQ_1.0);

int kmsgq_info(int fd, struct kmsgq_info *info)
{
	struct kmsgq_info cur = { .size = sizeof(cur) };
	int ret;

	ret = kmsgq_dev_ioctl(fd, KMSGQ_IOC_INFO, &cur);
	if (!ret)
		*info = cur;
	return ret;
}

/* KMSGQ_IOC_LIST into the caller's entries of @entry_size bytes each. */
static int kmsgq_list_sized(int fd, uint64_t *cursor,
			    struct kmsgq_queue_entry *entries, unsigned int nr,
			    size_t entry_size)
{
	struct kmsgq_list list = {
		.size = sizeof(list),
		.cursor = *cursor,
		.entries = (uintptr_t)entries,
		.entry_size = entry_size,
		.nr = nr,
	};
	int ret;

	ret = kmsgq_dev_ioctl(fd, KMSGQ_IOC_LIST, &list);
	if (ret < 0)
		return ret;
	*cursor = list.cursor;
	return list.nr;
}

int kmsgq_list_v1_2(int fd, uint64_t *cursor,
		    struct kmsgq_queue_entry *entries, unsigned int nr)
{
	return kmsgq_list_sized(fd, cursor, entries, nr, sizeof(*entries));
}
KMSGQ_SYMVER(kmsgq_list_v1_2, kmsgq_list@@KMSGQ_1.2);

/* kmsgq_list@KMSGQ_1.0: its callers' entries end before msgs_lost. */
int kmsgq_list_v1_0(int fd, uint64_t *cursor,
		    struct kmsgq_queue_entry *entries, unsigned int nr)
{
	return kmsgq_list_sized(fd, cursor, entries, nr,
				KMSGQ_QUEUE_ENTRY_SIZE_VER0);
}
KMSGQ_SYMVER(kmsgq_list_v1_0, kmsgq_list@KMSGQ_1.0);

int kmsgq_subscribers(int fd, uint64_t *cursor, struct kmsgq_subscriber *subs,
		      unsigned int nr, unsigned int *total)
{
	struct kmsgq_subscribers sl = {
		.size = sizeof(sl),
		.cursor = *cursor,
		.subs = (uintptr_t)subs,
		.entry_size = sizeof(*subs),
		.nr = nr,
	};
	int ret;

	ret = kmsgq_ioctl(fd, KMSGQ_IOC_SUBSCRIBERS, &sl);
	if (ret < 0)
		return ret;
	*cursor = sl.cursor;
	if (total)
		*total = sl.total;
	return sl.nr;
}
