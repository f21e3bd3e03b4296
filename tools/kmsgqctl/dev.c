// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's handle on /dev/kmsgq, opened once on first use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsgqctl.h"

static int dev_fd = -1;		/* /dev/kmsgq, once dev_open() ran */

int dev_open(void)
{
	if (dev_fd >= 0)
		return dev_fd;
	dev_fd = open(KMSGQ_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (dev_fd >= 0)
		return dev_fd;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		kmsgqctl_fail(KMSGQ_DEVICE_PATH, "module not loaded (%s)",
			      strerror(errno));
	else
		kmsgqctl_fail_errno(KMSGQ_DEVICE_PATH, errno);
	return -1;
}

int dev_info(struct kmsgq_info *info)
{
	int fd = dev_open(), ret;

	if (fd < 0)
		return EXIT_FAILURE;
	ret = kmsgq_info(fd, info);
	return ret < 0 ? kmsgqctl_fail_errno(KMSGQ_DEVICE_PATH, -ret) : 0;
}

void dev_close(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -1;
}
