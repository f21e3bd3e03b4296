/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the files of libkmsgq share and do not export.
 */
#ifndef KMSGQ_INTERNAL_H
#define KMSGQ_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kmsgq.h>

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

/*
 * A timed call's @deadline on @clock, unless NULL, into its structure's
 * @flags (KMSGQ_XFER_TIMEOUT), @clockid and @timeout, as every timed call
 * of the uapi takes it.
 */
static inline void kmsgq_deadline_set(__u32 *flags, __s32 *clockid,
				      struct kmsgq_timespec *timeout,
				      clockid_t clock,
				      const struct timespec *deadline)
{
	if (!deadline)
		return;
	*flags |= KMSGQ_XFER_TIMEOUT;
	*clockid = clock;
	timeout->tv_sec = deadline->tv_sec;
	timeout->tv_nsec = deadline->tv_nsec;
}

/*
 * Export @impl as @sym_at_node (name@KMSGQ_x.y), the version programs linked
 * against that node call, beside the default the map file names.  Where a
 * structure a call fills grew, its old version fills the old size.
 */
#define KMSGQ_SYMVER(impl, sym_at_node) \
	__asm__(".symver " #impl ", " #sym_at_node)

struct kmsgq_stats;
struct kmsgq_queue_entry;
struct kmsgq_ring;
int kmsgq_stats_v1_0(int fd, struct kmsgq_stats *stats);
int kmsgq_stats_v1_2(int fd, struct kmsgq_stats *stats);
int kmsgq_list_v1_0(int fd, uint64_t *cursor,
		    struct kmsgq_queue_entry *entries, unsigned int nr);
int kmsgq_list_v1_2(int fd, uint64_t *cursor,
		    struct kmsgq_queue_entry *entries, unsigned int nr);
int kmsgq_ring_map_v1_0(int fd, struct kmsgq_ring *ring);
int kmsgq_ring_map_v1_3(int fd, struct kmsgq_ring *ring);
int kmsgq_ring_unmap_v1_0(struct kmsgq_ring *ring);
int kmsgq_ring_unmap_v1_3(struct kmsgq_ring *ring);

#endif /* KMSGQ_INTERNAL_H */
