// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkmsgq zero-copy fan-out subscribers: mapping a fan-out queue's store
 * and acknowledging what was read.  The per-message protocol is inline in
 * <kmsgq.h>.  And in-place publishers: mapping an in-place fan-out queue's
 * payload slots, committing what was written and reserving the next.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kmsgq.h>

#include "internal.h"

/* One KMSGQ_IOC_FANOUT_ACK of @pos; *@ack gets the kernel's answer. */
static int kmsgq_fanout_ack_ioctl(int fd, uint64_t pos, unsigned int flags,
				  clockid_t clock,
				  const struct timespec *deadline,
				  struct kmsgq_fanout_ack *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->size = sizeof(*ack);
	ack->flags = flags;
	ack->pos = pos;
	kmsgq_deadline_set(&ack->flags, &ack->clockid, &ack->timeout, clock,
			   deadline);
	return kmsgq_ioctl(fd, KMSGQ_IOC_FANOUT_ACK, ack);
}

/* The store's head is the kernel's; check it fits what was mapped. */
static int kmsgq_fanout_layout_ok(const struct kmsgq_fanout_map *m)
{
	uint64_t n = m->nr_slots;

	return n && !(n & (n - 1)) && m->map_size <= SIZE_MAX &&
	       m->seq_off + n * sizeof(uint64_t) <= m->map_size &&
	       m->len_off + n * sizeof(uint32_t) <= m->map_size &&
	       m->data_off + n * m->slot_size <= m->map_size;
}

int kmsgq_fanout_map(int fd, struct kmsgq_fanout_view *view)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kmsgq_fanout_map *m;
	struct kmsgq_fanout_ack ack;
	int saved = errno;
	size_t size;
	int ret;

	/*
	 * Position 0 moves nothing: where the subscriber stands, and first
	 * whether the queue is one to map at all (EOPNOTSUPP), before mmap
	 * answers for another kind of queue as that kind's mapping would.
	 * A file without read access has no position: mmap says EACCES.
	 */
	ret = kmsgq_fanout_ack_ioctl(fd, 0, 0, CLOCK_MONOTONIC, NULL, &ack);
	if (ret && ret != -EBADF)
		return ret;
	/* One page tells the size of the whole. */
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	size = m->map_size;
	/* Only a kernel that broke the layout's promises fails here. */
	ret = kmsgq_fanout_layout_ok(m) ? 0 : -EPROTO;
	munmap(m, page);
	if (ret)
		return ret;
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	memset(view, 0, sizeof(*view));
	view->fd = fd;
	view->mask = m->nr_slots - 1;
	view->slot_size = m->slot_size;
	view->map = m;
	view->map_size = size;
	view->seq = (const __u64 *)((const char *)m + m->seq_off);
	view->len = (const __u32 *)((const char *)m + m->len_off);
	view->data = (const unsigned char *)m + m->data_off;
	view->pos = ack.pos;
	view->tail = ack.tail;
	return 0;
}

int kmsgq_fanout_unmap(struct kmsgq_fanout_view *view)
{
	int saved = errno;
	int ret = 0;

	if (munmap((void *)view->map, view->map_size))
		ret = -errno;
	errno = saved;
	view->map = NULL;
	return ret;
}

int kmsgq_fanout_ack(struct kmsgq_fanout_view *view, unsigned int flags,
		     clockid_t clock, const struct timespec *deadline)
{
	struct kmsgq_fanout_ack ack;
	int ret;

	if (flags & ~(KMSGQ_FANOUT_ACK_WAIT | KMSGQ_XFER_RELATIVE))
		return -EINVAL;
	ret = kmsgq_fanout_ack_ioctl(view->fd, view->pos, flags, clock,
				     deadline, &ack);
	/* A wait that ended early still acknowledged, and says where. */
	if (ret && ret != -ETIMEDOUT && ret != -EINTR)
		return ret;
	if (ack.pos > view->pos) {
		view->lost += ack.pos - view->pos;
		view->pos = ack.pos;
	}
	if (ack.tail > view->tail)
		view->tail = ack.tail;
	return ret;
}

/*
 * One KMSGQ_IOC_FANOUT_PUBLISH; *@pub's first and nr get what the kernel
 * reports.  They go in as they are: the kernel only writes those fields,
 * so a call that fails before it does leaves them as they were.
 */
static int kmsgq_fanout_publish_ioctl(struct kmsgq_fanout_pub *pub,
				      const uint32_t *lens,
				      unsigned int nr_commit,
				      unsigned int nr_reserve,
				      unsigned int flags, clockid_t clock,
				      const struct timespec *deadline)
{
	struct kmsgq_fanout_publish op;
	int ret;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags;
	op.lens = (uintptr_t)lens;
	op.nr_commit = nr_commit;
	op.nr_reserve = nr_reserve;
	op.first = pub->first;
	op.nr_reserved = pub->nr;
	kmsgq_deadline_set(&op.flags, &op.clockid, &op.timeout, clock,
			   deadline);
	ret = kmsgq_ioctl(pub->fd, KMSGQ_IOC_FANOUT_PUBLISH, &op);
	pub->first = op.first;
	pub->nr = op.nr_reserved;
	return ret;
}

int kmsgq_fanout_pub_map(int fd, struct kmsgq_fanout_pub *pub)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct kmsgq_fanout_pub p;
	struct kmsgq_attr attr;
	uint64_t size;
	int saved = errno;
	void *data;
	int ret;

	/*
	 * Committing and reserving nothing changes nothing: first whether
	 * the queue is one to publish in place at all (EOPNOTSUPP), before
	 * mmap answers for another kind of queue as that kind's mapping
	 * would; then what the file holds reserved already.
	 */
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	ret = kmsgq_fanout_publish_ioctl(&p, NULL, 0, 0, 0, CLOCK_MONOTONIC,
					 NULL);
	if (ret < 0)
		return ret;
	ret = kmsgq_getattr(fd, &attr);
	if (ret)
		return ret;
	p.nr_slots = attr.max_msgs;
	p.mask = attr.max_msgs - 1;
	p.slot_size = attr.max_msgsize;
	/* Only a kernel that broke the layout's promises fails here. */
	size = (uint64_t)p.nr_slots * p.slot_size;
	if (!p.nr_slots || (p.nr_slots & p.mask) || !p.slot_size ||
	    size > SIZE_MAX - page || p.first + p.nr < p.first ||
	    p.nr > p.nr_slots)
		return -EPROTO;
	p.data_size = ((size_t)size + page - 1) & ~(page - 1);
	data = mmap(NULL, p.data_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    KMSGQ_FANOUT_PAYLOAD_OFFSET);
	if (data == MAP_FAILED) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	p.data = data;
	*pub = p;
	return 0;
}

int kmsgq_fanout_pub_unmap(struct kmsgq_fanout_pub *pub)
{
	int saved = errno;
	int ret = 0;

	if (munmap(pub->data, pub->data_size))
		ret = -errno;
	errno = saved;
	pub->data = NULL;
	return ret;
}

int kmsgq_fanout_publish(struct kmsgq_fanout_pub *pub, const uint32_t *lens,
			 unsigned int nr_commit, unsigned int nr_reserve,
			 unsigned int flags, clockid_t clock,
			 const struct timespec *deadline)
{
	if (flags & ~(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_RELATIVE))
		return -EINVAL;
	return kmsgq_fanout_publish_ioctl(pub, lens, nr_commit, nr_reserve,
					  flags, clock, deadline);
}
