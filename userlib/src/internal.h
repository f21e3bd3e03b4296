/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the files of libkmsgq share and do not export.
 */
#ifndef KMSGQ_INTERNAL_H
#define KMSGQ_INTERNAL_H

#include <errno.h>
#include <sys/ioctl.h>

/* ioctl() that returns -errno on failure and leaves errno alone. */
static inline int kmsgq_ioctl(int fd, unsigned long req, void *arg)
{
	int saved = errno;
	int ret;

	ret = ioctl(fd, req, arg);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

#endif /* KMSGQ_INTERNAL_H */
