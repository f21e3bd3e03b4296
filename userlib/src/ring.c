// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkmsgq zero-copy rings: mapping, sleeping and waking.  The per-message
 * protocol is inline in <kmsgq.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kmsgq.h>

#include "internal.h"

/*
 * sizeof(struct kmsgq_ring) as libkmsgq 1.0 to 1.2 laid it out, all that
 * callers of kmsgq_ring_map@KMSGQ_1.0 and kmsgq_ring_unmap@KMSGQ_1.0 have
 * room for: the fields before @rdesc, which 1.3 appended.
 */
#define KMSGQ_RING_SIZE_V1_0	offsetof(struct kmsgq_ring, rdesc)
_Static_assert(KMSGQ_RING_SIZE_V1_0 ==
	       4 * sizeof(uint32_t) + 6 * sizeof(void *) + sizeof(size_t),
	       "the fields of libkmsgq 1.0's struct kmsgq_ring moved");

/*
 * Map @fd's ring into @ring.  A caller with the struct kmsgq_ring of
 * libkmsgq 1.0 (!@reclaim_ok) has no room for the reclaiming ring's
 * fields, and its inline helpers speak only the other protocol.
 */
static int kmsgq_ring_map_common(int fd, struct kmsgq_ring *ring,
				 bool reclaim_ok)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri) };
	int saved = errno;
	int prot = PROT_READ;
	unsigned char *map;
	int fl, ret = 0;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || ioctl(fd, KMSGQ_IOC_RING_INFO, &ri) < 0) {
		ret = -errno;
		goto out;
	}
	/* A ring too large for this (32-bit) address space. */
	if (ri.map_size > SIZE_MAX) {
		ret = -ENOMEM;
		goto out;
	}
	/* A module before reclaiming rings leaves desc_size 0. */
	if (ri.desc_size == sizeof(struct kmsgq_ring_rdesc) ? !reclaim_ok :
	    ri.desc_size && ri.desc_size != sizeof(struct kmsgq_ring_desc)) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	if ((fl & O_ACCMODE) == O_RDWR)
		prot |= PROT_WRITE;
	map = mmap(NULL, ri.map_size, prot, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto out;
	}

	memset(ring, 0, reclaim_ok ? sizeof(*ring) :
			  KMSGQ_RING_SIZE_V1_0);
	ring->fd = fd;
	ring->nr_slots = ri.nr_slots;
	ring->mask = ri.nr_slots - 1;
	ring->slot_size = ri.slot_size;
	ring->prod = (uint32_t *)(map + ri.prod_off);
	ring->cons = (uint32_t *)(map + ri.cons_off);
	ring->wakeup = (uint32_t *)(map + ri.wakeup_off);
	ring->data = map + ri.data_off;
	ring->map = map;
	ring->map_size = ri.map_size;
	if (ri.desc_size == sizeof(struct kmsgq_ring_rdesc)) {
		ring->rdesc = (struct kmsgq_ring_rdesc *)(map + ri.desc_off);
		ring->owner = ri.owner;
	} else {
		ring->desc = (struct kmsgq_ring_desc *)(map + ri.desc_off);
	}
out:
	errno = saved;
	return ret;
}

int kmsgq_ring_map_v1_3(int fd, struct kmsgq_ring *ring)
{
	return kmsgq_ring_map_common(fd, ring, true);
}
KMSGQ_SYMVER(kmsgq_ring_map_v1_3, kmsgq_ring_map@@KMSGQ_1.3);

int kmsgq_ring_map_v1_0(int fd, struct kmsgq_ring *ring)
{
	return kmsgq_ring_map_common(fd, ring, false);
}
KMSGQ_SYMVER(kmsgq_ring_map_v1_0, kmsgq_ring_map@KMSGQ_1.0);

static int kmsgq_ring_unmap_common(struct kmsgq_ring *ring, size_t size)
{
	int saved = errno;
	int ret = 0;

	if (munmap(ring->map, ring->map_size) < 0)
		ret = -errno;
	errno = saved;
	memset(ring, 0, size);
	ring->fd = -1;
	return ret;
}

int kmsgq_ring_unmap_v1_3(struct kmsgq_ring *ring)
{
	return kmsgq_ring_unmap_common(ring, sizeof(*ring));
}
KMSGQ_SYMVER(kmsgq_ring_unmap_v1_3, kmsgq_ring_unmap@@KMSGQ_1.3);

int kmsgq_ring_unmap_v1_0(struct kmsgq_ring *ring)
{
	return kmsgq_ring_unmap_common(ring, KMSGQ_RING_SIZE_V1_0);
}
KMSGQ_SYMVER(kmsgq_ring_unmap_v1_0, kmsgq_ring_unmap@KMSGQ_1.0);

/*
 * Checks of the ring kmsgq_ring_wait() may make before it sleeps.  A peer
 * that is running on another CPU usually commits or releases within that;
 * a sleep costs two system calls and a wakeup across CPUs.
 */
#define KMSGQ_RING_SPIN_MAX	4096
#define KMSGQ_RING_SPIN_MIN	16
/* Waits at the floor between two polls with the whole budget. */
#define KMSGQ_RING_SPIN_PROBE	32
/* Waits between two looks at the CPUs this thread may run on. */
#define KMSGQ_RING_SPIN_CPUS	256

/*
 * This thread's budget of checks: a poll that pays (the ring became ready
 * while this thread checked it) doubles it, up to KMSGQ_RING_SPIN_MAX; a
 * second poll in a row that ends in a sleep halves it, down to
 * KMSGQ_RING_SPIN_MIN (one alone is chance: a peer whose round trip is
 * near the budget must not lose it for good).  A peer running on another
 * CPU keeps the budget whole.  One that the scheduler
 * or a busy host has taken off its CPU cannot be outwaited, and after a
 * few such waits this thread sleeps almost at once instead of burning a
 * CPU that others need.  Every KMSGQ_RING_SPIN_PROBE-th wait at the floor
 * polls with the whole budget once, to notice a peer that runs again.
 */
static __thread unsigned int kmsgq_ring_spin = KMSGQ_RING_SPIN_MAX;
static __thread unsigned int kmsgq_ring_spin_misses;
static __thread unsigned int kmsgq_ring_spin_floor;

/*
 * Whether this thread's last sleep in kmsgq_ring_wait() was ended by a task
 * on its own CPU (KMSGQ_RING_WOKEN_LOCAL): the other end then shares the
 * CPU and cannot run while this thread polls, so the next wait sleeps at
 * once.  Every wait that sleeps learns it afresh, so a thread whose peer
 * moves to another CPU polls again after its next sleep.
 */
static __thread bool kmsgq_ring_peer_local;

/*
 * Whether one CPU is online: then no peer runs while this thread polls.
 * Looked at again every KMSGQ_RING_SPIN_CPUS waits.  (A thread pinned to
 * one CPU is not alone: its peer may run on another; a peer that shares
 * its CPU is what KMSGQ_RING_WOKEN_LOCAL tells.)
 */
static __thread bool kmsgq_ring_one_cpu;
static __thread unsigned int kmsgq_ring_cpus_age;

/*
 * Cleared once the kernel refuses KMSGQ_RING_WAIT_WAKER (kmsgq before
 * 1.4) and takes the same wait without it.
 */
static int kmsgq_ring_waker_ok = 1;

/*
 * Is the first slot from @head on that nobody has claimed yet ready, free
 * (@lag 0) or committed (@lag 1)?  On an ordinary ring that slot is the
 * one at @head; on a reclaiming ring the head may trail the claims.
 */
static bool kmsgq_ring_ready_at(const struct kmsgq_ring *r, uint32_t head,
				uint32_t lag)
{
	uint32_t i;

	if (r->desc)
		return kmsgq_ring__seq(r, head) == head + lag;
	for (i = 0; i < r->nr_slots; i++, head++) {
		union kmsgq_ring__word w = kmsgq_ring__rword(r, head);
		int32_t diff = (int32_t)(w.s.seq - (head + lag));

		if (diff < 0)
			return false;
		if (!diff && !w.s.owner)
			return true;
	}
	return false;
}

/* Tell the CPU, and a sibling hyperthread, that this is a spin. */
static inline void kmsgq_ring_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static bool kmsgq_ring_alone(void)
{
	if (!kmsgq_ring_cpus_age--) {
		kmsgq_ring_cpus_age = KMSGQ_RING_SPIN_CPUS - 1;
		kmsgq_ring_one_cpu = sysconf(_SC_NPROCESSORS_ONLN) == 1;
	}
	return kmsgq_ring_one_cpu;
}

/* How many checks this wait makes before it sleeps. */
static unsigned int kmsgq_ring_spin_budget(void)
{
	if (kmsgq_ring_peer_local || kmsgq_ring_alone())
		return 1;
	return kmsgq_ring_spin;
}

/* A poll of @budget checks found the ring ready at check @i, or not. */
static void kmsgq_ring_spin_learn(unsigned int budget, unsigned int i,
				  bool paid)
{
	if (budget == 1 || (paid && !i))
		return;		/* no poll, or no wait */
	if (paid) {
		kmsgq_ring_spin_misses = 0;
		if (kmsgq_ring_spin < KMSGQ_RING_SPIN_MAX)
			kmsgq_ring_spin *= 2;
	} else if (++kmsgq_ring_spin_misses < 2) {
		return;
	} else if (kmsgq_ring_spin > KMSGQ_RING_SPIN_MIN) {
		kmsgq_ring_spin /= 2;
	} else if (++kmsgq_ring_spin_floor == KMSGQ_RING_SPIN_PROBE) {
		kmsgq_ring_spin_floor = 0;
		kmsgq_ring_spin = KMSGQ_RING_SPIN_MAX;
	}
}

static unsigned int kmsgq_ring_ready(const struct kmsgq_ring *r,
				     unsigned int events)
{
	uint32_t c = __atomic_load_n(r->cons, __ATOMIC_RELAXED);
	uint32_t p = __atomic_load_n(r->prod, __ATOMIC_RELAXED);
	unsigned int ready = 0;

	if ((events & KMSGQ_RING_READABLE) && kmsgq_ring_ready_at(r, c, 1))
		ready |= KMSGQ_RING_READABLE;
	if ((events & KMSGQ_RING_WRITABLE) && kmsgq_ring_ready_at(r, p, 0))
		ready |= KMSGQ_RING_WRITABLE;
	return ready;
}

int kmsgq_ring_wait(struct kmsgq_ring *ring, unsigned int events,
		    clockid_t clock, const struct timespec *deadline)
{
	struct kmsgq_ring_wait w = {
		.size = sizeof(w),
		.events = events,
	};
	unsigned int i, ready, spin;
	int ret;

	/* What the kernel would refuse, refused before the spin too. */
	if (!events || (events & ~(KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE)))
		return -EINVAL;
	if (deadline && ((clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) ||
			 deadline->tv_sec < 0 || deadline->tv_nsec < 0 ||
			 deadline->tv_nsec >= 1000000000L))
		return -EINVAL;

	spin = kmsgq_ring_spin_budget();
	for (i = 0; i < spin; i++) {
		ready = kmsgq_ring_ready(ring, events);
		if (ready) {
			kmsgq_ring_spin_learn(spin, i, true);
			return ready;
		}
		kmsgq_ring_relax();
	}
	kmsgq_ring_spin_learn(spin, i, false);

	kmsgq_deadline_set(&w.flags, &w.clockid, &w.timeout, clock, deadline);
	if (__atomic_load_n(&kmsgq_ring_waker_ok, __ATOMIC_RELAXED))
		w.flags |= KMSGQ_RING_WAIT_WAKER;
	ret = kmsgq_ioctl(ring->fd, KMSGQ_IOC_RING_WAIT, &w);
	/*
	 * Every other EINVAL was refused above, before the spin; but only a
	 * kmsgq that takes the wait without the flag is known not to have it.
	 */
	if (ret == -EINVAL && (w.flags & KMSGQ_RING_WAIT_WAKER)) {
		w.flags &= ~KMSGQ_RING_WAIT_WAKER;
		ret = kmsgq_ioctl(ring->fd, KMSGQ_IOC_RING_WAIT, &w);
		if (ret != -EINVAL)
			__atomic_store_n(&kmsgq_ring_waker_ok, 0,
					 __ATOMIC_RELAXED);
	}
	if (ret < 0)
		return ret;
	kmsgq_ring_peer_local = ret & KMSGQ_RING_WOKEN_LOCAL;
	return ret & ~KMSGQ_RING_WOKEN_LOCAL;
}

int kmsgq_ring_wake(struct kmsgq_ring *ring, unsigned int events)
{
	struct kmsgq_ring_wait w = {
		.size = sizeof(w),
		.events = events,
	};

	return kmsgq_ioctl(ring->fd, KMSGQ_IOC_RING_WAKE, &w);
}
