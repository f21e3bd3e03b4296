/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the files of libkmsgq-mq share and do not export.
 */
#ifndef KMSGQ_MQ_INTERNAL_H
#define KMSGQ_MQ_INTERNAL_H

#include <errno.h>

/*
 * A kmsgq error as mqueue reports it: a descriptor that is not a queue
 * (ENOTTY from another file's ioctl, ENOTCONN from an unbound /dev/kmsgq
 * file) is EBADF, as for an mqueue call on a file that is no mqd_t.
 */
static inline int kmsgq_mq_errno(int err)
{
	return err == ENOTTY || err == ENOTCONN ? EBADF : err;
}

/* Set errno from a -errno result; return -1 for a failure, else @ret. */
static inline long kmsgq_mq_ret(long ret)
{
	if (ret >= 0)
		return ret;
	errno = kmsgq_mq_errno(-ret);
	return -1;
}

/* mq_notify.c: drop this process's SIGEV_THREAD helper of @fd, if any. */
void kmsgq_mq_notify_forget(int fd);
/*
 * mq_notify.c: @fd is being closed, which ends this process's registration
 * with its queue, whichever descriptor made it: end its helper too.
 */
void kmsgq_mq_notify_close(int fd);

#endif /* KMSGQ_MQ_INTERNAL_H */
