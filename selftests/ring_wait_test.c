// SPDX-License-Identifier: GPL-2.0
/*
 * Description: zero-copy rings of kmsgq ring queues (KMSGQ_OPEN_RING): the
 * layout KMSGQ_IOC_RING_INFO reports, what mmap() accepts, in-place
 * produce/consume through the <kmsgq.h> inline helpers, interplay with
 * copy-mode calls on the same queue, wrap-around, full and empty rings,
 * sleeping and waking through the shared wakeup word, read-only openers,
 * mapping lifetime (munmap, fork, close) and the kernel's defence against
 * a scribbled ring.  The MPMC stress and the hostile mapper live in
 * ring_stress_test.c.
 *
 * Every test gets a fresh ring queue named after its own process, unlinked
 * in teardown.  Helper processes never use ASSERT or EXPECT (that would run
 * the teardown in the child): they write a byte to a "ready" pipe just
 * before the call that is to block and one struct report to a "result"
 * pipe when it returns, and the test judges.  A test acts on a sleeper only
 * once /proc shows it asleep, polled a bounded number of times; every call
 * expected to be woken carries a deadline so a lost wakeup fails the test
 * instead of hanging it.  Teardown kills and reaps any child left over.
 *
 * The harness's EXPECT and ASSERT are two statements each (the check, then
 * a loop that reports), so every if, else and loop whose body is one of
 * them has braces.
 */
#include "kmsgq_test.h"

#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

/*
 * Deadline of every call that is expected to be woken: far beyond any
 * wakeup, so reaching it means the wakeup was lost.
 */
#define SAFETY_NS		(10 * NSEC_PER_SEC)
#define SAFETY_MS		10000
/* How far ahead a call's deadline lies when it is expected to expire. */
#define TIMEOUT_NS		(50 * NSEC_PER_MSEC)
/* Seconds a library call may take on a scribbled ring before it "spins". */
#define SPIN_LIMIT_S		5

#define MAX_FDS			8
#define MAX_MAPS		8
#define REPORT_DATA		64

/* The ring most tests use: 8 slots of 256 bytes. */
#define RING_DEPTH		8
#define RING_MSGSIZE		256

#define PARAM_MAX_QUEUES	PARAM_DIR "max_queues"

/* What a child saw, written whole (it is smaller than PIPE_BUF). */
struct report {
	int ret;		/* the call's result, or -errno */
	__u32 len;		/* message length, events, or a count */
	char data[REPORT_DATA];	/* first bytes of a message, zero-padded */
};

/*
 * A test's ring queue: @fd is bound O_RDWR and, when the fixture asks,
 * mapped as @r.  Other descriptors and mappings a test makes are tracked
 * so that teardown undoes them.
 */
struct rctx {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct kmsgq_ring r;		/* @fd's mapping; r.map NULL if none */
	struct kmsgq_ring_info ri;
	int fds[MAX_FDS];
	struct {
		void *addr;
		size_t len;
	} maps[MAX_MAPS];
	struct kid_pipes p;		/* result: struct report */
	struct kids kids;
	bool restore_max_queues;	/* to saved_max_queues */
	unsigned long saved_max_queues;
};

/* ---- helpers: children ---- */

/* Whether thread @tid of this process is seen asleep within the looks. */
static bool wait_until_thread_sleeping(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return wait_until_asleep_at(path);
}

/* In a child: report a result and exit. */
static void __attribute__((noreturn))
child_report(struct rctx *q, int ret, __u32 len, const void *data)
{
	struct report rep = { .ret = ret, .len = len };

	if (data)
		memcpy(rep.data, data, len < REPORT_DATA ? len : REPORT_DATA);
	child_write(q->p.result[1], &rep, sizeof(rep));
	_exit(0);
}

static bool read_report(struct rctx *q, struct report *rep)
{
	return read_all(q->p.result[0], rep, sizeof(*rep));
}

/* ---- helpers: the queue ---- */

static int ring_info(int fd, struct kmsgq_ring_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return ioctl(fd, KMSGQ_IOC_RING_INFO, ri) < 0 ? -errno : 0;
}

static struct kmsgq_stats stats(int fd)
{
	struct kmsgq_stats st = { 0 };

	if (kmsgq_stats(fd, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* Live mappings of @fd's queue, or -1. */
static int mappings(int fd)
{
	return (int)stats(fd).mappings;
}

/* A raw mmap() of @fd: the address, or MAP_FAILED with errno set. */
static void *rctx_mmap(struct rctx *q, int fd, size_t len, int prot,
		       int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	int i;

	if (p == MAP_FAILED)
		return p;
	for (i = 0; i < MAX_MAPS; i++) {
		if (!q->maps[i].addr) {
			q->maps[i].addr = p;
			q->maps[i].len = len;
			return p;
		}
	}
	abort();
}

/* Forget a mapping the test unmapped itself (or is about to). */
static void rctx_forget_map(struct rctx *q, void *addr)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (q->maps[i].addr == addr)
			q->maps[i].addr = NULL;
}

/* kmsgq_ring_map() whose mapping teardown undoes. */
static int rctx_ring_map(struct rctx *q, int fd, struct kmsgq_ring *r)
{
	int ret = kmsgq_ring_map(fd, r);
	int i;

	if (ret)
		return ret;
	for (i = 0; i < MAX_MAPS; i++) {
		if (!q->maps[i].addr) {
			q->maps[i].addr = r->map;
			q->maps[i].len = r->map_size;
			return 0;
		}
	}
	abort();
}

static int rctx_ring_unmap(struct rctx *q, struct kmsgq_ring *r)
{
	rctx_forget_map(q, r->map);
	return kmsgq_ring_unmap(r);
}

/* Another descriptor on the test's queue, closed by teardown. */
static int rctx_open(struct rctx *q, int oflag)
{
	int fd = kmsgq_open(q->name, oflag, 0, NULL);
	int i;

	if (fd < 0)
		return fd;
	for (i = 0; i < MAX_FDS; i++) {
		if (q->fds[i] < 0) {
			q->fds[i] = fd;
			return fd;
		}
	}
	abort();
}

static void rctx_close(struct rctx *q, int fd)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		if (q->fds[i] == fd)
			q->fds[i] = -1;
	close(fd);
}

/*
 * Create a queue unique to this process (@qflags 0: a copy queue) and, if
 * @map, map its ring as q->r.  A queue of the same name left by a killed
 * run of the same pid is removed first.
 */
static void rctx_setup(struct __test_metadata *_metadata, struct rctx *q,
		       __u32 qflags, __u32 depth, __u32 msgsize, bool map)
{
	struct kmsgq_attr attr = {
		.qflags = qflags,
		.max_msgs = depth,
		.max_msgsize = msgsize,
	};
	int i, ret;

	q->fd = -1;
	q->r.map = NULL;
	q->restore_max_queues = false;
	for (i = 0; i < MAX_FDS; i++)
		q->fds[i] = -1;
	kid_pipes_init(&q->p);
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);

	q->fd = create_own_queue(q->name, "kmsgq-ring", 0, &attr);
	ASSERT_LE(0, q->fd) TH_LOG("creating %s: %s", q->name,
				   strerror(-q->fd));
	ASSERT_EQ(0, kid_pipes_open(&q->p));
	if (!qflags)
		return;
	ASSERT_EQ(0, ring_info(q->fd, &q->ri));
	if (map) {
		ret = kmsgq_ring_map(q->fd, &q->r);
		ASSERT_EQ(0, ret) TH_LOG("kmsgq_ring_map: %s", strerror(-ret));
	}
}

static void rctx_teardown(struct rctx *q)
{
	int i;

	kids_kill(&q->kids);
	kid_pipes_close(&q->p);
	if (q->r.map)
		kmsgq_ring_unmap(&q->r);
	for (i = 0; i < MAX_MAPS; i++)
		if (q->maps[i].addr)
			munmap(q->maps[i].addr, q->maps[i].len);
	for (i = 0; i < MAX_FDS; i++)
		if (q->fds[i] >= 0)
			close(q->fds[i]);
	if (q->fd >= 0)
		close(q->fd);
	kmsgq_unlink(q->name);
	if (q->restore_max_queues)
		write_param("max_queues", q->saved_max_queues);
}

/* ---- helpers: in place ---- */

/* Reserve one slot, copy @len bytes of @buf into it, commit, commit_done. */
static int put_in_place(struct kmsgq_ring *r, const void *buf, __u32 len)
{
	uint32_t pos;

	if (kmsgq_ring_reserve(r, 1, &pos) != 1)
		return -EAGAIN;
	memcpy(kmsgq_ring_slot(r, pos), buf, len);
	kmsgq_ring_commit(r, pos, len);
	return kmsgq_ring_commit_done(r);
}

/*
 * Claim one committed slot, copy its message into @buf of @size bytes,
 * release it, release_done.  Returns the length, -EAGAIN if none is ready,
 * -EBADMSG if the slot carries no message, -EMSGSIZE if it does not fit.
 */
static int get_in_place(struct kmsgq_ring *r, void *buf, __u32 size)
{
	const void *p;
	uint32_t pos, len;
	int ret, err;

	if (kmsgq_ring_peek(r, 1, &pos) != 1)
		return -EAGAIN;
	p = kmsgq_ring_msg(r, pos, &len);
	if (!p) {
		ret = -EBADMSG;
	} else if (len > size) {
		ret = -EMSGSIZE;
	} else {
		memcpy(buf, p, len);
		ret = len;
	}
	kmsgq_ring_release(r, pos, 1);
	err = kmsgq_ring_release_done(r);
	return err ? err : ret;
}

/* Commit a __u32 sequence number in place. */
static int put_seq(struct kmsgq_ring *r, __u32 seq)
{
	return put_in_place(r, &seq, sizeof(seq));
}

/* Consume in place what put_seq() committed: the number, or -errno. */
static long long get_seq(struct kmsgq_ring *r)
{
	__u32 seq;
	int ret;

	ret = get_in_place(r, &seq, sizeof(seq));
	if (ret < 0)
		return ret;
	return ret == sizeof(seq) ? (long long)seq : -EPROTO;
}

/* Whether the next consumer position holds a committed slot (no claim). */
static bool ring_readable(const struct kmsgq_ring *r)
{
	uint32_t c = __atomic_load_n(r->cons, __ATOMIC_RELAXED);

	return kmsgq_ring__seq(r, c) == c + 1;
}

static __u32 wakeup_bits(const struct kmsgq_ring *r)
{
	return __atomic_load_n(r->wakeup, __ATOMIC_RELAXED);
}

/* Fill the ring with sequence numbers from @first; how many went in. */
static unsigned int fill_ring(struct kmsgq_ring *r, __u32 first)
{
	unsigned int n = 0;

	while (put_seq(r, first + n) == 0)
		n++;
	return n;
}

/*
 * Make an empty, idle ring look as if @pos messages had passed through it:
 * both positions at @pos, the slot of each position p ahead of them with
 * seq == p, as the protocol leaves them.
 */
static void ring_set_positions(struct kmsgq_ring *r, uint32_t pos)
{
	uint32_t i;

	for (i = 0; i < r->nr_slots; i++)
		__atomic_store_n(&r->desc[(pos + i) & r->mask].seq, pos + i,
				 __ATOMIC_RELEASE);
	__atomic_store_n(r->prod, pos, __ATOMIC_RELEASE);
	__atomic_store_n(r->cons, pos, __ATOMIC_RELEASE);
}

/* ==== layout: what RING_INFO reports, over several shapes ==== */

FIXTURE(layout) {
	struct rctx q;
};

FIXTURE_VARIANT(layout) {
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 nr_slots;		/* expected */
};

FIXTURE_VARIANT_ADD(layout, depth_1_rounds_to_2) {
	.max_msgs = 1, .max_msgsize = 64, .nr_slots = 2,
};

FIXTURE_VARIANT_ADD(layout, depth_10_rounds_to_16) {
	.max_msgs = 10, .max_msgsize = 100, .nr_slots = 16,
};

FIXTURE_VARIANT_ADD(layout, depth_16_stays_16) {
	.max_msgs = 16, .max_msgsize = 4096, .nr_slots = 16,
};

FIXTURE_VARIANT_ADD(layout, depth_17_rounds_to_32) {
	.max_msgs = 17, .max_msgsize = 1, .nr_slots = 32,
};

FIXTURE_VARIANT_ADD(layout, depth_1000_rounds_to_1024) {
	.max_msgs = 1000, .max_msgsize = 65, .nr_slots = 1024,
};

FIXTURE_VARIANT_ADD(layout, msgsize_64k) {
	.max_msgs = 3, .max_msgsize = 65536, .nr_slots = 4,
};

FIXTURE_SETUP(layout)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, variant->max_msgs,
		   variant->max_msgsize, false);
}

FIXTURE_TEARDOWN(layout)
{
	rctx_teardown(&self->q);
}

TEST_F(layout, depth_is_rounded_up_to_a_power_of_two)
{
	struct kmsgq_attr attr;

	EXPECT_EQ(variant->nr_slots, self->q.ri.nr_slots);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_RING, attr.qflags);
	EXPECT_EQ(variant->nr_slots, attr.max_msgs);
	/* The message size is rounded up to the slot size, whole lines. */
	EXPECT_EQ(self->q.ri.slot_size, attr.max_msgsize);
}

TEST_F(layout, slot_holds_a_largest_message)
{
	EXPECT_LE(variant->max_msgsize, self->q.ri.slot_size);
	EXPECT_GT(variant->max_msgsize + 64, self->q.ri.slot_size);
	EXPECT_EQ(0, self->q.ri.slot_size % 64);
}

TEST_F(layout, regions_are_aligned_disjoint_and_inside_the_mapping)
{
	const struct kmsgq_ring_info *ri = &self->q.ri;
	unsigned long page = getpagesize();
	struct {
		__u64 off, len;
	} reg[] = {
		{ ri->prod_off, sizeof(__u32) },
		{ ri->cons_off, sizeof(__u32) },
		{ ri->wakeup_off, sizeof(__u32) },
		{ ri->desc_off,
		  (__u64)ri->nr_slots * sizeof(struct kmsgq_ring_desc) },
		{ ri->data_off, (__u64)ri->nr_slots * ri->slot_size },
	};
	unsigned int i, j;

	EXPECT_NE(0, ri->map_size);
	EXPECT_EQ(0, ri->map_size % page);
	EXPECT_EQ(0, ri->data_off % page);
	EXPECT_EQ(0, ri->prod_off % sizeof(__u32));
	EXPECT_EQ(0, ri->cons_off % sizeof(__u32));
	EXPECT_EQ(0, ri->wakeup_off % sizeof(__u32));
	EXPECT_EQ(0, ri->desc_off % sizeof(struct kmsgq_ring_desc));
	EXPECT_EQ(0, ri->reserved);
	EXPECT_EQ(0, ri->flags);
	for (i = 0; i < ARRAY_SIZE(reg); i++) {
		EXPECT_LE(reg[i].off + reg[i].len, ri->map_size)
			TH_LOG("region %u at %llu+%llu, map_size %llu", i,
			       (unsigned long long)reg[i].off,
			       (unsigned long long)reg[i].len,
			       (unsigned long long)ri->map_size);
		for (j = 0; j < i; j++) {
			EXPECT_TRUE(reg[i].off + reg[i].len <= reg[j].off ||
				    reg[j].off + reg[j].len <= reg[i].off)
				TH_LOG("regions %u and %u overlap", i, j);
		}
	}
}

TEST_F(layout, fresh_ring_is_empty_with_each_slot_sequence_at_its_index)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 i;

	ASSERT_EQ(0, kmsgq_ring_map(self->q.fd, r));
	EXPECT_EQ(self->q.ri.map_size, r->map_size);
	EXPECT_EQ(0, *r->prod);
	EXPECT_EQ(0, *r->cons);
	EXPECT_EQ(0, *r->wakeup);
	for (i = 0; i < r->nr_slots; i++) {
		EXPECT_EQ(i, r->desc[i].seq);
	}
}

TEST_F(layout, whole_mapping_can_be_read_and_written)
{
	struct kmsgq_ring *r = &self->q.r;
	volatile unsigned char *p;
	size_t i;

	ASSERT_EQ(0, kmsgq_ring_map(self->q.fd, r));
	p = r->data;
	for (i = 0; i < (size_t)r->nr_slots * r->slot_size; i++)
		p[i] = (unsigned char)i;
	for (i = 0; i < (size_t)r->nr_slots * r->slot_size; i++)
		if (p[i] != (unsigned char)i)
			break;
	EXPECT_EQ((size_t)r->nr_slots * r->slot_size, i);
}

/* ==== copyq: ring calls on a copy queue and on an unbound file ==== */

FIXTURE(copyq) {
	struct rctx q;
};

FIXTURE_SETUP(copyq)
{
	rctx_setup(_metadata, &self->q, 0, RING_DEPTH, RING_MSGSIZE, false);
}

FIXTURE_TEARDOWN(copyq)
{
	rctx_teardown(&self->q);
}

TEST_F(copyq, ring_info_on_copy_queue_fails_with_eopnotsupp)
{
	struct kmsgq_ring_info ri;

	EXPECT_EQ(-EOPNOTSUPP, ring_info(self->q.fd, &ri));
}

TEST_F(copyq, ring_wait_on_copy_queue_fails_with_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT, 0,
					  KMSGQ_RING_READABLE, 0, 0, 0));
}

TEST_F(copyq, ring_wake_on_copy_queue_fails_with_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAKE, 0,
					  KMSGQ_RING_READABLE, 0, 0, 0));
}

TEST_F(copyq, mmap_of_copy_queue_fails_with_enodev)
{
	void *p = rctx_mmap(&self->q, self->q.fd, getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(copyq, ring_map_of_copy_queue_fails_with_eopnotsupp)
{
	struct kmsgq_ring r;

	EXPECT_EQ(-EOPNOTSUPP, kmsgq_ring_map(self->q.fd, &r));
}

TEST_F(copyq, mmap_of_unbound_file_fails_with_enotconn)
{
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	void *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENOTCONN, errno);
	if (p != MAP_FAILED)
		munmap(p, getpagesize());
	close(fd);
}

TEST_F(copyq, ring_ioctls_on_unbound_file_fail_with_enotconn)
{
	struct kmsgq_ring_info ri;
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, ring_info(fd, &ri));
	EXPECT_EQ(-ENOTCONN, ring_ioctl(fd, KMSGQ_IOC_RING_WAIT, 0,
					KMSGQ_RING_READABLE, 0, 0, 0));
	EXPECT_EQ(-ENOTCONN, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0,
					KMSGQ_RING_READABLE, 0, 0, 0));
	close(fd);
}

/* ==== ring: an 8-slot ring mapped read-write through q.fd ==== */

FIXTURE(ring) {
	struct rctx q;
};

FIXTURE_SETUP(ring)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(ring)
{
	rctx_teardown(&self->q);
}

/* -- ring: what mmap() accepts -- */

TEST_F(ring, library_wait_refuses_bad_arguments_even_when_ready)
{
	struct timespec bad_ns = { .tv_sec = 0, .tv_nsec = 1000000000L };
	struct timespec neg = { .tv_sec = -1 };
	struct timespec ok = { 0 };
	struct kmsgq_ring *r = &self->q.r;

	ASSERT_EQ(0, put_in_place(r, "x", 1));
	EXPECT_EQ(-EINVAL, kmsgq_ring_wait(r, 0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, kmsgq_ring_wait(r, KMSGQ_RING_READABLE | 0x100,
					   CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
					   CLOCK_MONOTONIC, &bad_ns));
	EXPECT_EQ(-EINVAL, kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
					   CLOCK_MONOTONIC, &neg));
	EXPECT_EQ(-EINVAL, kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
					   CLOCK_PROCESS_CPUTIME_ID, &ok));
	/* The same calls, well formed, see the message without sleeping. */
	EXPECT_EQ(KMSGQ_RING_READABLE,
		  kmsgq_ring_wait(r, KMSGQ_RING_READABLE, CLOCK_MONOTONIC,
				  &ok));
	EXPECT_EQ(KMSGQ_RING_READABLE,
		  kmsgq_ring_wait(r, KMSGQ_RING_READABLE, CLOCK_REALTIME,
				  NULL));
}

TEST_F(ring, mmap_at_nonzero_offset_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_SHARED, getpagesize());

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mmap_shorter_than_map_size_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd,
			    self->q.ri.map_size - getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mmap_longer_than_map_size_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd,
			    self->q.ri.map_size + getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, private_mmap_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, read_only_private_mmap_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ, MAP_PRIVATE, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mapping_cannot_be_grown_with_mremap)
{
	struct kmsgq_ring *r = &self->q.r;
	void *p;

	p = mremap(r->map, r->map_size, r->map_size + getpagesize(),
		   MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED) {
		munmap(p, r->map_size + getpagesize());
		r->map = NULL;
	}
}

TEST_F(ring, two_mappings_of_one_file_share_the_ring)
{
	struct kmsgq_ring r2;
	char buf[16];

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r2));
	EXPECT_NE(self->q.r.map, r2.map);
	ASSERT_EQ(0, put_in_place(&self->q.r, "shared", 6));
	EXPECT_EQ(6, get_in_place(&r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "shared", 6));
	EXPECT_FALSE(ring_readable(&self->q.r));
}

/* -- ring: argument checks of the ring ioctls -- */

TEST_F(ring, ring_info_with_nonzero_flags_fails_with_einval)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri), .flags = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, ring_info_with_nonzero_reserved_fails_with_einval)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri), .reserved = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, ring_info_accepts_a_larger_struct_with_zero_tail)
{
	struct {
		struct kmsgq_ring_info ri;
		__u64 tail[2];
	} big = { .ri.size = sizeof(big) };

	ASSERT_EQ(0, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &big));
	EXPECT_EQ(self->q.ri.map_size, big.ri.map_size);
	EXPECT_EQ(self->q.ri.nr_slots, big.ri.nr_slots);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[1]);
}

TEST_F(ring, ring_info_from_larger_struct_with_nonzero_tail_fails_with_e2big)
{
	struct {
		struct kmsgq_ring_info ri;
		__u64 tail;
	} big = { .ri.size = sizeof(big), .tail = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(ring, ring_wait_for_no_event_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT, 0, 0,
				      0, 0, 0));
}

TEST_F(ring, ring_wait_for_unknown_event_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT, 0,
				      KMSGQ_RING_WRITABLE | 0x100, 0, 0, 0));
}

TEST_F(ring, ring_wait_with_unknown_flag_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT,
				      KMSGQ_XFER_NONBLOCK,
				      KMSGQ_RING_WRITABLE, 0, 0, 0));
	EXPECT_EQ(-EINVAL, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT, 0x80,
				      KMSGQ_RING_WRITABLE, 0, 0, 0));
}

TEST_F(ring, ring_wait_relative_without_timeout_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT,
				      KMSGQ_XFER_RELATIVE,
				      KMSGQ_RING_READABLE, 0, 0, 0));
}

TEST_F(ring, ring_wait_with_bad_clock_or_timespec_fails_with_einval)
{
	int fd = self->q.fd;

	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAIT,
				      KMSGQ_XFER_TIMEOUT, KMSGQ_RING_READABLE,
				      CLOCK_PROCESS_CPUTIME_ID, 1, 0));
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAIT,
				      KMSGQ_XFER_TIMEOUT, KMSGQ_RING_READABLE,
				      CLOCK_MONOTONIC, -1, 0));
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAIT,
				      KMSGQ_XFER_TIMEOUT, KMSGQ_RING_READABLE,
				      CLOCK_MONOTONIC, 0, NSEC_PER_SEC));
}

TEST_F(ring, ring_wake_with_flags_or_timeout_fails_with_einval)
{
	int fd = self->q.fd;

	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE,
				      KMSGQ_XFER_TIMEOUT, KMSGQ_RING_READABLE,
				      CLOCK_MONOTONIC, 1, 0));
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0,
				      KMSGQ_RING_READABLE, 0, 1, 0));
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0, 0, 0, 0,
				      0));
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0, 0x100, 0, 0,
				      0));
}

TEST_F(ring, ring_wake_without_sleepers_succeeds)
{
	EXPECT_EQ(0, kmsgq_ring_wake(&self->q.r, KMSGQ_RING_READABLE |
					     KMSGQ_RING_WRITABLE));
}

/* -- ring: waits that need not sleep, and waits that expire -- */

TEST_F(ring, ring_wait_on_empty_ring_returns_writable_at_once)
{
	EXPECT_EQ(KMSGQ_RING_WRITABLE,
		  kmsgq_ring_wait(&self->q.r,
				  KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
				  CLOCK_MONOTONIC, NULL));
}

TEST_F(ring, ring_wait_with_a_message_returns_readable_at_once)
{
	ASSERT_EQ(0, put_seq(&self->q.r, 1));
	EXPECT_EQ(KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
		  kmsgq_ring_wait(&self->q.r,
				  KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
				  CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(KMSGQ_RING_READABLE,
		  kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
				  CLOCK_MONOTONIC, NULL));
}

TEST_F(ring, ring_wait_readable_on_empty_ring_times_out_with_etimedout)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);

	EXPECT_EQ(-ETIMEDOUT, kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(ring, ring_wait_writable_on_full_ring_times_out_with_etimedout)
{
	struct timespec dl;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	dl = deadline_in(CLOCK_REALTIME, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_ring_wait(&self->q.r, KMSGQ_RING_WRITABLE,
					      CLOCK_REALTIME, &dl));
}

TEST_F(ring, ring_wait_with_relative_timeout_times_out_with_etimedout)
{
	EXPECT_EQ(-ETIMEDOUT,
		  ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT,
			     KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE,
			     KMSGQ_RING_READABLE, CLOCK_MONOTONIC, 0,
			     TIMEOUT_NS));
}

TEST_F(ring, ring_wait_on_nonblocking_file_still_sleeps_until_deadline)
{
	struct kmsgq_ring r2;
	struct timespec dl;
	int fd;

	fd = rctx_open(&self->q, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd, &r2));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_ring_wait(&r2, KMSGQ_RING_READABLE,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(ring, wakeup_bit_is_cleared_when_its_only_sleeper_times_out)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);

	ASSERT_EQ(-ETIMEDOUT, kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
					      CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(0, stats(self->q.fd).recv_waiters);
	EXPECT_EQ(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_CONSUMER)
		TH_LOG("the uapi: \"The kernel clears a bit when its last sleeper of that kind leaves\"");
}

/* -- ring: signals -- */

static int note_fd = -1;

static void note_signal(int sig)
{
	char c = (char)sig;

	if (write(note_fd, &c, 1) != 1)
		_exit(3);
}

/* In a child: catch SIGUSR1, with or without SA_RESTART. */
static void child_catch_sigusr1(struct rctx *q, bool restart)
{
	struct sigaction sa = { .sa_handler = note_signal };

	note_fd = q->p.note[1];
	sa.sa_flags = restart ? SA_RESTART : 0;
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(2);
}

TEST_F(ring, signal_without_sa_restart_interrupts_ring_wait_with_eintr)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_catch_sigusr1(&self->q, false);
		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(-EINTR, rep.ret);
}

TEST_F(ring, signal_with_sa_restart_restarts_ring_wait_transparently)
{
	struct report rep;
	char c;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_catch_sigusr1(&self->q, true);
		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_TRUE(read_all(self->q.p.note[0], &c, 1));
	ASSERT_TRUE(wait_until_sleeping(pid));
	EXPECT_FALSE(report_pending(&self->q.p));
	ASSERT_EQ(0, put_seq(&self->q.r, 7));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(KMSGQ_RING_READABLE, rep.ret);
}

/* -- ring: no system call when nobody sleeps -- */

/*
 * In a child under strict seccomp (read, write, exit, sigreturn only):
 * move 4 * nr_slots messages through the ring in place, in batches, with
 * commit_done and release_done after each.  Any ioctl kills the child.
 */
static void __attribute__((noreturn)) child_no_syscalls(struct rctx *q)
{
	struct kmsgq_ring *r = &q->r;
	uint32_t pos, len, i, n, seq = 0, next = 0;
	int bad = 0;
	const void *p;

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
		_exit(2);
	while (next < 4 * r->nr_slots) {
		n = kmsgq_ring_reserve(r, 3, &pos);
		for (i = 0; i < n; i++, seq++) {
			memcpy(kmsgq_ring_slot(r, pos + i), &seq, sizeof(seq));
			kmsgq_ring_commit(r, pos + i, sizeof(seq));
		}
		if (kmsgq_ring_commit_done(r))
			bad++;
		n = kmsgq_ring_peek(r, 2, &pos);
		for (i = 0; i < n; i++, next++) {
			p = kmsgq_ring_msg(r, pos + i, &len);
			if (!p || len != sizeof(seq) ||
			    memcmp(p, &next, sizeof(next)))
				bad++;
		}
		kmsgq_ring_release(r, pos, n);
		if (kmsgq_ring_release_done(r))
			bad++;
	}
	while ((n = kmsgq_ring_peek(r, r->nr_slots, &pos)) != 0) {
		for (i = 0; i < n; i++, next++)
			if (memcmp(kmsgq_ring_slot(r, pos + i), &next,
				   sizeof(next)))
				bad++;
		kmsgq_ring_release(r, pos, n);
	}
	if (next != seq)
		bad++;
	child_write(q->p.result[1], &bad, sizeof(bad));
	syscall(SYS_exit, 0);
	_exit(4);	/* not reached */
}

TEST_F(ring, in_place_traffic_without_sleepers_makes_no_system_call)
{
	int status, bad = -1;
	pid_t pid;

	ASSERT_EQ(0, wakeup_bits(&self->q.r));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_no_syscalls(&self->q);
	close_child_ends(&self->q.p);
	status = kids_reap(&self->q.kids, pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x: %s", status,
		       WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ?
		       "killed by seccomp: a helper made a system call" : "");
	ASSERT_TRUE(read_all(self->q.p.result[0], &bad, sizeof(bad)));
	EXPECT_EQ(0, bad);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

/* -- ring: full and empty -- */

TEST_F(ring, peek_on_fresh_ring_returns_zero)
{
	uint32_t pos;

	EXPECT_EQ(0, kmsgq_ring_peek(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_peek(&self->q.r, RING_DEPTH, &pos));
}

TEST_F(ring, peek_on_drained_ring_returns_zero)
{
	uint32_t pos;
	int i;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	for (i = 0; i < RING_DEPTH; i++) {
		ASSERT_EQ(i, get_seq(&self->q.r));
	}
	EXPECT_EQ(0, kmsgq_ring_peek(&self->q.r, 1, &pos));
}

TEST_F(ring, reserve_on_full_ring_returns_zero)
{
	uint32_t pos;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, RING_DEPTH, &pos));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, reserve_on_ring_of_uncommitted_slots_returns_zero)
{
	uint32_t pos;

	ASSERT_EQ(RING_DEPTH, kmsgq_ring_reserve(&self->q.r, RING_DEPTH,
						 &pos));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, uncommitted_slot_is_not_readable)
{
	uint32_t pos, pos2;
	char buf[8];

	ASSERT_EQ(1, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_peek(&self->q.r, 1, &pos2));
	EXPECT_FALSE(ready_now(self->q.fd, POLLIN));
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, nonblocking_write_on_full_ring_fails_with_eagain)
{
	int fd;

	fd = rctx_open(&self->q, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, kmsgq_send(fd, "x", 1, 0));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, per_call_nonblock_send_on_full_ring_fails_with_eagain)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)"x", .len = 1 };

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(-EAGAIN, kmsgq_send_batch(self->q.fd, &m, 1,
					    KMSGQ_XFER_NONBLOCK,
					    CLOCK_MONOTONIC, NULL));
}

TEST_F(ring, nonblocking_read_on_empty_ring_fails_with_eagain)
{
	char buf[RING_MSGSIZE];
	int fd;

	fd = rctx_open(&self->q, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, kmsgq_receive(fd, buf, sizeof(buf), NULL));
}

TEST_F(ring, timed_send_on_full_ring_fails_with_etimedout)
{
	struct timespec dl;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q.fd, "x", 1, 0,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(ring, timed_receive_on_empty_ring_fails_with_etimedout)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	char buf[RING_MSGSIZE];

	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedreceive(self->q.fd, buf, sizeof(buf),
						 NULL, CLOCK_MONOTONIC, &dl));
}

TEST_F(ring, poll_follows_empty_partial_and_full_ring)
{
	uint32_t pos;

	EXPECT_FALSE(ready_now(self->q.fd, POLLIN));
	EXPECT_TRUE(ready_now(self->q.fd, POLLOUT));
	ASSERT_EQ(0, put_seq(&self->q.r, 0));
	EXPECT_TRUE(ready_now(self->q.fd, POLLIN));
	EXPECT_TRUE(ready_now(self->q.fd, POLLOUT));
	ASSERT_EQ(RING_DEPTH - 1, fill_ring(&self->q.r, 1));
	EXPECT_TRUE(ready_now(self->q.fd, POLLIN));
	EXPECT_FALSE(ready_now(self->q.fd, POLLOUT));
	ASSERT_EQ(1, kmsgq_ring_peek(&self->q.r, 1, &pos));
	EXPECT_FALSE(ready_now(self->q.fd, POLLOUT));	/* claimed, not free */
	kmsgq_ring_release(&self->q.r, pos, 1);
	EXPECT_TRUE(ready_now(self->q.fd, POLLOUT));
}

TEST_F(ring, blocking_read_is_woken_by_in_place_commit)
{
	char msg[40], buf[RING_MSGSIZE];
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ssize_t n;

		child_ready(&self->q.p);
		n = read(self->q.fd, buf, sizeof(buf));
		child_report(&self->q, n < 0 ? -errno : (int)n,
			     n < 0 ? 0 : (__u32)n, buf);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	EXPECT_NE(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_CONSUMER);
	EXPECT_EQ(1, stats(self->q.fd).recv_waiters);
	pattern(msg, sizeof(msg), 5);
	ASSERT_EQ(0, put_in_place(&self->q.r, msg, sizeof(msg)));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(sizeof(msg), rep.ret);
	EXPECT_TRUE(pattern_ok(rep.data, sizeof(msg), 5));
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(ring, blocking_write_on_full_ring_is_woken_by_in_place_release)
{
	struct report rep;
	pid_t pid;
	int i;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 seq = RING_DEPTH;
		ssize_t n;

		child_ready(&self->q.p);
		n = write(self->q.fd, &seq, sizeof(seq));
		child_report(&self->q, n < 0 ? -errno : (int)n, 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	EXPECT_NE(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_PRODUCER);
	EXPECT_EQ(1, stats(self->q.fd).send_waiters);
	ASSERT_EQ(0, get_seq(&self->q.r));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(sizeof(__u32), rep.ret);
	for (i = 1; i <= RING_DEPTH; i++) {
		EXPECT_EQ(i, get_seq(&self->q.r));
	}
}

/* -- ring: batches -- */

TEST_F(ring, reserve_more_than_nr_slots_claims_nr_slots)
{
	uint32_t pos = ~0U;

	EXPECT_EQ(RING_DEPTH, kmsgq_ring_reserve(&self->q.r, 3 * RING_DEPTH,
						 &pos));
	EXPECT_EQ(0, pos);
}

TEST_F(ring, reserve_on_partly_full_ring_claims_only_free_slots)
{
	uint32_t pos;

	ASSERT_EQ(1, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	ASSERT_EQ(2, kmsgq_ring_reserve(&self->q.r, 2, &pos));
	EXPECT_EQ(1, pos);
	EXPECT_EQ(RING_DEPTH - 3, kmsgq_ring_reserve(&self->q.r, RING_DEPTH,
						     &pos));
	EXPECT_EQ(3, pos);
}

TEST_F(ring, peek_claims_only_committed_slots_and_stops_at_first_gap)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, cpos;
	__u32 i;

	ASSERT_EQ(4, kmsgq_ring_reserve(r, 4, &pos));
	for (i = 0; i < 4; i++)
		memcpy(kmsgq_ring_slot(r, pos + i), &i, sizeof(i));
	kmsgq_ring_commit(r, pos + 0, sizeof(i));
	kmsgq_ring_commit(r, pos + 2, sizeof(i));
	kmsgq_ring_commit(r, pos + 3, sizeof(i));
	EXPECT_EQ(1, kmsgq_ring_peek(r, 4, &cpos));
	EXPECT_EQ(pos, cpos);
	kmsgq_ring_release(r, cpos, 1);
	EXPECT_EQ(0, kmsgq_ring_peek(r, 4, &cpos));
	kmsgq_ring_commit(r, pos + 1, sizeof(i));
	ASSERT_EQ(3, kmsgq_ring_peek(r, 4, &cpos));
	EXPECT_EQ(pos + 1, cpos);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(0, memcmp(kmsgq_ring_slot(r, cpos + i - 1), &i,
				    sizeof(i)));
	}
	kmsgq_ring_release(r, cpos, 3);
	EXPECT_EQ(0, kmsgq_ring_release_done(r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, batch_of_copy_sends_is_peeked_in_place_in_order)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_msg m[5];
	__u32 seq[5], i, len;
	uint32_t pos;
	const void *p;

	for (i = 0; i < 5; i++) {
		seq[i] = 100 + i;
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&seq[i],
					   .len = sizeof(seq[i]) };
	}
	ASSERT_EQ(5, kmsgq_send_batch(self->q.fd, m, 5, 0, CLOCK_MONOTONIC,
				      NULL));
	ASSERT_EQ(5, kmsgq_ring_peek(r, RING_DEPTH, &pos));
	for (i = 0; i < 5; i++) {
		p = kmsgq_ring_msg(r, pos + i, &len);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(sizeof(__u32), len);
		EXPECT_EQ(0, memcmp(p, &seq[i], sizeof(seq[i])));
	}
	kmsgq_ring_release(r, pos, 5);
}

TEST_F(ring, batch_of_in_place_commits_is_received_in_one_copy_call)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_msg m[RING_DEPTH];
	__u32 got[RING_DEPTH], i;
	uint32_t pos;

	ASSERT_EQ(6, kmsgq_ring_reserve(r, 6, &pos));
	for (i = 0; i < 6; i++) {
		memcpy(kmsgq_ring_slot(r, pos + i), &i, sizeof(i));
		kmsgq_ring_commit(r, pos + i, sizeof(i));
	}
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
	for (i = 0; i < RING_DEPTH; i++)
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&got[i],
					   .len = sizeof(got[i]) };
	ASSERT_EQ(6, kmsgq_receive_batch(self->q.fd, m, RING_DEPTH, 0,
					 CLOCK_MONOTONIC, NULL));
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(sizeof(__u32), m[i].len);
		EXPECT_EQ(0, m[i].prio);
		EXPECT_EQ(i, got[i]);
	}
}

/* -- ring: interplay with copy mode -- */

TEST_F(ring, copy_and_in_place_messages_keep_one_fifo_order)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 seq, got;
	unsigned int prio;
	ssize_t n;

	/* Producers alternate write, kmsgq_send, in place, ... */
	for (seq = 0; seq < 6; seq++) {
		if (seq % 3 == 0) {
			ASSERT_EQ(sizeof(seq), write(self->q.fd, &seq,
						     sizeof(seq)));
		} else if (seq % 3 == 1) {
			ASSERT_EQ(0, kmsgq_send(self->q.fd, &seq, sizeof(seq),
						0));
		} else {
			ASSERT_EQ(0, put_seq(r, seq));
		}
	}
	/* ... and consumers in place, read, kmsgq_receive. */
	for (seq = 0; seq < 6; seq++) {
		if (seq % 3 == 0) {
			EXPECT_EQ(seq, get_seq(r));
			continue;
		}
		prio = 99;
		if (seq % 3 == 1)
			n = read(self->q.fd, &got, sizeof(got));
		else
			n = kmsgq_receive(self->q.fd, &got, sizeof(got), &prio);
		EXPECT_EQ(sizeof(got), n);
		EXPECT_EQ(seq, got);
		if (seq % 3 == 2) {
			EXPECT_EQ(0, prio);
		}
	}
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(ring, read_into_short_buffer_fails_with_emsgsize_and_keeps_message)
{
	char msg[100], buf[RING_MSGSIZE];

	pattern(msg, sizeof(msg), 3);
	ASSERT_EQ(0, put_in_place(&self->q.r, msg, sizeof(msg)));
	EXPECT_EQ(-1, read(self->q.fd, buf, sizeof(msg) - 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive(self->q.fd, buf, 1, NULL));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(sizeof(msg), get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_TRUE(pattern_ok(buf, sizeof(msg), 3));
}

TEST_F(ring, receive_ioctl_into_short_buffer_reports_needed_length)
{
	char msg[77], buf[8];
	struct kmsgq_msg m = { .buf = (uintptr_t)buf, .len = sizeof(buf) };

	pattern(msg, sizeof(msg), 4);
	ASSERT_EQ(0, put_in_place(&self->q.r, msg, sizeof(msg)));
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive_batch(self->q.fd, &m, 1, 0,
						 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(sizeof(msg), m.len);
	EXPECT_TRUE(ring_readable(&self->q.r));
}

TEST_F(ring, nonzero_priority_on_ring_fails_with_einval)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)"x", .len = 1, .prio = 1 };

	EXPECT_EQ(-EINVAL, kmsgq_send(self->q.fd, "x", 1, 1));
	EXPECT_EQ(-EINVAL, kmsgq_send(self->q.fd, "x", 1, KMSGQ_PRIO_MAX - 1));
	EXPECT_EQ(-EINVAL, kmsgq_send_batch(self->q.fd, &m, 1, 0,
					    CLOCK_MONOTONIC, NULL));
	EXPECT_FALSE(ring_readable(&self->q.r));
	EXPECT_EQ(0, stats(self->q.fd).msgs_sent);
}

TEST_F(ring, send_batch_stops_before_nonzero_priority)
{
	struct kmsgq_msg m[3] = {
		{ .buf = (uintptr_t)"a", .len = 1 },
		{ .buf = (uintptr_t)"b", .len = 1, .prio = 2 },
		{ .buf = (uintptr_t)"c", .len = 1 },
	};
	char buf[4];

	EXPECT_EQ(1, kmsgq_send_batch(self->q.fd, m, 3, 0, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ(1, get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_EQ('a', buf[0]);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(ring, send_longer_than_max_msgsize_fails_with_emsgsize)
{
	char buf[RING_MSGSIZE + 1] = { 0 };

	EXPECT_EQ(-EMSGSIZE, kmsgq_send(self->q.fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, write(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(ring, send_from_bad_address_fails_before_taking_a_slot)
{
	struct kmsgq_ring *r = &self->q.r;
	void *bad = fault_page();
	uint32_t pos, len;

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, kmsgq_send(self->q.fd, bad, 16, 0));
	EXPECT_EQ(0, stats(self->q.fd).msgs_sent);
	EXPECT_FALSE(ring_readable(r));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "good", 4, 0));
	/* The payload was faulted in first: no empty slot precedes "good". */
	ASSERT_EQ(1, kmsgq_ring_peek(r, 1, &pos));
	ASSERT_NE(NULL, kmsgq_ring_msg(r, pos, &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, memcmp(kmsgq_ring_slot(r, pos), "good", 4));
	kmsgq_ring_release(r, pos, 1);
	munmap(bad, getpagesize());
}

TEST_F(ring, send_from_bad_address_leaves_nothing_read_returns)
{
	void *bad = fault_page();
	char buf[RING_MSGSIZE];

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, kmsgq_send(self->q.fd, bad, 16, 0));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "good", 4, 0));
	EXPECT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, receive_into_bad_address_fails_with_efault_and_keeps_message)
{
	void *bad = fault_page();
	char buf[RING_MSGSIZE];

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, put_in_place(&self->q.r, "kept", 4));
	EXPECT_EQ(-1, read(self->q.fd, bad, RING_MSGSIZE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, stats(self->q.fd).msgs_recv);
	ASSERT_EQ(0, put_in_place(&self->q.r, "next", 4));
	/* The kernel copies out before it claims: nothing was lost. */
	ASSERT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	ASSERT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "next", 4));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, batch_receive_stops_at_a_bad_buffer_and_keeps_the_rest)
{
	char b0[RING_MSGSIZE], b2[RING_MSGSIZE];
	void *bad = fault_page();
	struct kmsgq_msg msgs[3] = {
		{ .buf = (uintptr_t)b0, .len = sizeof(b0) },
		{ .buf = (uintptr_t)bad, .len = RING_MSGSIZE },
		{ .buf = (uintptr_t)b2, .len = sizeof(b2) },
	};

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, put_in_place(&self->q.r, "one", 3));
	ASSERT_EQ(0, put_in_place(&self->q.r, "two", 3));
	ASSERT_EQ(0, put_in_place(&self->q.r, "three", 5));
	EXPECT_EQ(1, kmsgq_receive_batch(self->q.fd, msgs, 3, 0,
					 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(0, memcmp(b0, "one", 3));
	/* The next call meets the bad buffer first and reports it. */
	EXPECT_EQ(-EFAULT, kmsgq_receive_batch(self->q.fd, &msgs[1], 2, 0,
					       CLOCK_MONOTONIC, NULL));
	msgs[1].buf = (uintptr_t)b0;
	msgs[1].len = sizeof(b0);
	EXPECT_EQ(2, kmsgq_receive_batch(self->q.fd, &msgs[1], 2, 0,
					 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(3, msgs[1].len);
	EXPECT_EQ(0, memcmp(b0, "two", 3));
	EXPECT_EQ(5, msgs[2].len);
	EXPECT_EQ(0, memcmp(b2, "three", 5));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, send_from_the_ring_mapping_itself_is_copied_intact)
{
	struct kmsgq_ring *r = &self->q.r;
	unsigned char *src = kmsgq_ring_slot(r, RING_DEPTH - 1);
	char buf[RING_MSGSIZE];

	pattern(src, 200, 9);
	ASSERT_EQ(0, kmsgq_send(self->q.fd, src, 200, 0));
	EXPECT_EQ(200, get_in_place(r, buf, sizeof(buf)));
	EXPECT_TRUE(pattern_ok(buf, 200, 9));
}

/* -- ring: statistics -- */

TEST_F(ring, copy_mode_calls_on_a_ring_are_counted_and_in_place_ones_not)
{
	struct kmsgq_stats st;
	char buf[RING_MSGSIZE];

	ASSERT_EQ(3, write(self->q.fd, "abc", 3));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "defgh", 5, 0));
	ASSERT_EQ(0, put_in_place(&self->q.r, "ij", 2));
	st = stats(self->q.fd);
	EXPECT_EQ(2, st.msgs_sent);
	EXPECT_EQ(8, st.bytes_sent);
	EXPECT_EQ(3, st.cur_msgs);
	EXPECT_EQ(3, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(5, get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_EQ(2, kmsgq_receive(self->q.fd, buf, sizeof(buf), NULL));
	st = stats(self->q.fd);
	EXPECT_EQ(2, st.msgs_sent);
	EXPECT_EQ(2, st.msgs_recv);
	EXPECT_EQ(5, st.bytes_recv);
	EXPECT_EQ(0, st.cur_msgs);
}

TEST_F(ring, cur_msgs_counts_claimed_and_committed_slots)
{
	struct kmsgq_attr attr;
	uint32_t pos;

	/* Claimed by a producer, not yet committed: counted. */
	ASSERT_EQ(2, kmsgq_ring_reserve(&self->q.r, 2, &pos));
	EXPECT_EQ(2, stats(self->q.fd).cur_msgs);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_EQ(2, attr.cur_msgs);
	kmsgq_ring_commit(&self->q.r, pos, 0);
	kmsgq_ring_commit(&self->q.r, pos + 1, 0);
	EXPECT_EQ(2, stats(self->q.fd).cur_msgs);
	/* Claimed by a consumer: behind cons, no longer counted. */
	ASSERT_EQ(1, kmsgq_ring_peek(&self->q.r, 1, &pos));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
	kmsgq_ring_release(&self->q.r, pos, 1);
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, each_mapping_counts_until_unmapped)
{
	struct kmsgq_ring r2, r3;

	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r3));
	EXPECT_EQ(3, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r3));
	EXPECT_EQ(0, mappings(self->q.fd));
}

TEST_F(ring, mapping_split_by_partial_munmap_counts_once_per_piece)
{
	struct kmsgq_ring *r = &self->q.r;
	unsigned char *map = r->map;
	size_t page = getpagesize(), len = r->map_size;

	ASSERT_LE(3 * page, len);
	/* Punch a hole: two pieces remain. */
	ASSERT_EQ(0, munmap(map + page, page));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, munmap(map, page));
	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, munmap(map + 2 * page, len - 2 * page));
	EXPECT_EQ(0, mappings(self->q.fd));
	r->map = NULL;
}

/* ==== roundtrip: one message of each size, every way in and out ==== */

#define RT_DEPTH	4
#define RT_MSGSIZE	65536

FIXTURE(roundtrip) {
	struct rctx q;
	unsigned char *out;	/* the message sent */
	unsigned char *in;	/* where it is received */
};

FIXTURE_VARIANT(roundtrip) {
	__u32 len;
};

FIXTURE_VARIANT_ADD(roundtrip, len_0) { .len = 0, };
FIXTURE_VARIANT_ADD(roundtrip, len_1) { .len = 1, };
FIXTURE_VARIANT_ADD(roundtrip, len_63) { .len = 63, };
FIXTURE_VARIANT_ADD(roundtrip, len_64) { .len = 64, };
FIXTURE_VARIANT_ADD(roundtrip, len_65) { .len = 65, };
FIXTURE_VARIANT_ADD(roundtrip, len_4095) { .len = 4095, };
FIXTURE_VARIANT_ADD(roundtrip, len_4096) { .len = 4096, };
FIXTURE_VARIANT_ADD(roundtrip, len_max_msgsize) { .len = RT_MSGSIZE, };

FIXTURE_SETUP(roundtrip)
{
	self->out = NULL;
	self->in = NULL;
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RT_DEPTH, RT_MSGSIZE,
		   true);
	self->out = malloc(RT_MSGSIZE + 1);
	self->in = malloc(RT_MSGSIZE + 1);
	ASSERT_NE(NULL, self->out);
	ASSERT_NE(NULL, self->in);
	pattern(self->out, RT_MSGSIZE + 1, variant->len);
	memset(self->in, 0xee, RT_MSGSIZE + 1);
}

FIXTURE_TEARDOWN(roundtrip)
{
	free(self->out);
	free(self->in);
	rctx_teardown(&self->q);
}

/* In place into the ring: what each variant sends. */
static void rt_put(struct __test_metadata *_metadata,
		   FIXTURE_DATA(roundtrip) *self, __u32 len)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos;

	ASSERT_EQ(1, kmsgq_ring_reserve(r, 1, &pos));
	memcpy(kmsgq_ring_slot(r, pos), self->out, len);
	kmsgq_ring_commit(r, pos, len);
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
}

/* In place out of the ring: check it against what was sent. */
static void rt_check_in_place(struct __test_metadata *_metadata,
			      FIXTURE_DATA(roundtrip) *self, __u32 len)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, got = ~0U;
	const void *p;

	ASSERT_EQ(1, kmsgq_ring_peek(r, RT_DEPTH, &pos));
	p = kmsgq_ring_msg(r, pos, &got);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(len, got);
	EXPECT_EQ(0, memcmp(p, self->out, len));
	kmsgq_ring_release(r, pos, 1);
	EXPECT_EQ(0, kmsgq_ring_release_done(r));
	EXPECT_FALSE(ring_readable(r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

static void rt_check_copied(struct __test_metadata *_metadata,
			    FIXTURE_DATA(roundtrip) *self, ssize_t got,
			    __u32 len)
{
	EXPECT_EQ(len, got);
	EXPECT_EQ(0, memcmp(self->in, self->out, len));
	EXPECT_EQ(0xee, self->in[len]);		/* not one byte more */
	EXPECT_FALSE(ring_readable(&self->q.r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

TEST_F(roundtrip, in_place_commit_is_peeked_intact)
{
	rt_put(_metadata, self, variant->len);
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, write_is_peeked_intact)
{
	ASSERT_EQ(variant->len, write(self->q.fd, self->out, variant->len));
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, kmsgq_send_is_peeked_intact)
{
	ASSERT_EQ(0, kmsgq_send(self->q.fd, self->out, variant->len, 0));
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, in_place_commit_is_read_intact)
{
	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			read(self->q.fd, self->in, RT_MSGSIZE + 1),
			variant->len);
}

TEST_F(roundtrip, in_place_commit_is_received_by_kmsgq_receive_intact)
{
	unsigned int prio = 99;

	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			kmsgq_receive(self->q.fd, self->in, RT_MSGSIZE, &prio),
			variant->len);
	EXPECT_EQ(0, prio);
}

TEST_F(roundtrip, in_place_commit_is_received_into_exact_buffer)
{
	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			kmsgq_receive(self->q.fd, self->in, variant->len,
				      NULL),
			variant->len);
}

/* ==== wrap: positions around the ring and around 2^32 ==== */

#define WRAP_LAPS	100

FIXTURE(wrap) {
	struct rctx q;
};

FIXTURE_SETUP(wrap)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH, 64,
		   true);
}

FIXTURE_TEARDOWN(wrap)
{
	rctx_teardown(&self->q);
}

TEST_F(wrap, one_at_a_time_for_100_laps_keeps_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, fill;

	/* Vary how far the producer leads: 1 .. nr_slots. */
	while (recvd < WRAP_LAPS * RING_DEPTH) {
		fill = 1 + recvd % RING_DEPTH;
		while (sent - recvd < fill) {
			ASSERT_EQ(0, put_seq(r, sent++));
		}
		while (recvd < sent) {
			ASSERT_EQ(recvd++, get_seq(r));
		}
	}
	EXPECT_EQ(sent, *r->prod);
	EXPECT_EQ(recvd, *r->cons);
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

TEST_F(wrap, batches_of_every_size_for_100_laps_keep_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, i, n, want, len;
	uint32_t pos;
	const void *p;

	while (recvd < WRAP_LAPS * RING_DEPTH) {
		want = 1 + (sent / 3) % RING_DEPTH;
		n = kmsgq_ring_reserve(r, want, &pos);
		if (!n) {
			ASSERT_EQ(RING_DEPTH, sent - recvd);
		}
		for (i = 0; i < n; i++, sent++) {
			memcpy(kmsgq_ring_slot(r, pos + i), &sent,
			       sizeof(sent));
			kmsgq_ring_commit(r, pos + i, sizeof(sent));
		}
		ASSERT_EQ(0, kmsgq_ring_commit_done(r));

		want = 1 + (recvd / 5) % RING_DEPTH;
		n = kmsgq_ring_peek(r, want, &pos);
		if (!n) {
			ASSERT_EQ(sent, recvd);
		}
		for (i = 0; i < n; i++, recvd++) {
			p = kmsgq_ring_msg(r, pos + i, &len);
			ASSERT_NE(NULL, p);
			ASSERT_EQ(sizeof(recvd), len);
			ASSERT_EQ(0, memcmp(p, &recvd, sizeof(recvd)))
				TH_LOG("message %u", recvd);
		}
		kmsgq_ring_release(r, pos, n);
		ASSERT_EQ(0, kmsgq_ring_release_done(r));
	}
	while ((n = kmsgq_ring_peek(r, RING_DEPTH, &pos)) != 0) {
		recvd += n;
		kmsgq_ring_release(r, pos, n);
	}
	EXPECT_EQ(sent, recvd);
}

TEST_F(wrap, copy_and_in_place_mixed_for_100_laps_keep_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, got;
	long long ret;

	while (recvd < WRAP_LAPS * RING_DEPTH) {
		while (sent - recvd < RING_DEPTH - (sent % 3)) {
			if (sent % 2) {
				ASSERT_EQ(0, kmsgq_send(self->q.fd, &sent,
							sizeof(sent), 0));
			} else {
				ASSERT_EQ(0, put_seq(r, sent));
			}
			sent++;
		}
		while (recvd < sent) {
			if (recvd % 3) {
				ret = get_seq(r);
			} else {
				ret = read(self->q.fd, &got, sizeof(got));
				ret = ret == sizeof(got) ? (long long)got : -1;
			}
			ASSERT_EQ(recvd, ret);
			recvd++;
		}
	}
	EXPECT_EQ(sent / 2, stats(self->q.fd).msgs_sent);
}

TEST_F(wrap, positions_wrap_past_2_to_the_32)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 start = 0U - 4, sent, recvd, got;
	long long ret;

	ring_set_positions(r, start);
	sent = recvd = start;
	/* Six in flight across the wrap point, then four laps. */
	while (sent != start + 6) {
		ASSERT_EQ(0, put_seq(r, sent++));
	}
	EXPECT_EQ(2, *r->prod);
	EXPECT_EQ(6, stats(self->q.fd).cur_msgs);
	EXPECT_TRUE(ready_now(self->q.fd, POLLIN | POLLOUT));
	while (recvd != start + 4 * RING_DEPTH) {
		while (sent - recvd < RING_DEPTH) {
			if (sent % 2) {
				ASSERT_EQ(0, kmsgq_send(self->q.fd, &sent,
							sizeof(sent), 0));
			} else {
				ASSERT_EQ(0, put_seq(r, sent));
			}
			sent++;
		}
		EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs)
			TH_LOG("prod %#x cons %#x", *r->prod, *r->cons);
		EXPECT_FALSE(ready_now(self->q.fd, POLLOUT));
		if (recvd % 2) {
			ret = get_seq(r);
		} else {
			ret = read(self->q.fd, &got, sizeof(got));
			ret = ret == sizeof(got) ? (long long)got : -1;
		}
		ASSERT_EQ(recvd, ret) TH_LOG("prod %#x cons %#x", *r->prod,
					     *r->cons);
		recvd++;
	}
	EXPECT_EQ(start + 4 * RING_DEPTH, *r->cons);
	EXPECT_GT(start, *r->cons);	/* it did wrap */
}

/* ==== sleep: sleepers on a ring, woken by in-place peers ==== */

enum sleep_how {
	SLEEP_RING_WAIT,	/* kmsgq_ring_wait() */
	SLEEP_POLL,		/* poll() */
	SLEEP_EPOLL,		/* epoll_wait(), level-triggered */
	SLEEP_EPOLL_ET,		/* epoll_wait(), EPOLLET */
	SLEEP_COPY_CALL,	/* a blocking read() or write() */
};

#define SLEEP_ROUNDS	3

FIXTURE(sleep) {
	struct rctx q;
};

FIXTURE_VARIANT(sleep) {
	enum sleep_how how;
};

FIXTURE_VARIANT_ADD(sleep, ring_wait) { .how = SLEEP_RING_WAIT, };
FIXTURE_VARIANT_ADD(sleep, poll) { .how = SLEEP_POLL, };
FIXTURE_VARIANT_ADD(sleep, epoll) { .how = SLEEP_EPOLL, };
FIXTURE_VARIANT_ADD(sleep, epoll_edge_triggered) { .how = SLEEP_EPOLL_ET, };
FIXTURE_VARIANT_ADD(sleep, blocking_copy_call) { .how = SLEEP_COPY_CALL, };

FIXTURE_SETUP(sleep)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(sleep)
{
	rctx_teardown(&self->q);
}

/*
 * In a child: sleep the way @how says until @events (one of READABLE,
 * WRITABLE) holds.  0 when it does, -ETIMEDOUT if the wakeup never came,
 * another -errno if the call failed.  SLEEP_COPY_CALL moves a message: it
 * reads one, or writes __u32 @seq.
 */
static int sleep_until(struct rctx *q, enum sleep_how how, int epfd,
		       unsigned int events, __u32 seq)
{
	bool in = events == KMSGQ_RING_READABLE;
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
	struct pollfd pfd = { .fd = q->fd, .events = in ? POLLIN : POLLOUT };
	struct epoll_event ev;
	char buf[RING_MSGSIZE];
	int ret;

	switch (how) {
	case SLEEP_RING_WAIT:
		ret = kmsgq_ring_wait(&q->r, events, CLOCK_MONOTONIC, &dl);
		return ret < 0 ? ret : ret == (int)events ? 0 : -EPROTO;
	case SLEEP_POLL:
		ret = poll(&pfd, 1, SAFETY_MS);
		if (ret < 0)
			return -errno;
		return !ret ? -ETIMEDOUT :
		       pfd.revents == pfd.events ? 0 : -EPROTO;
	case SLEEP_EPOLL:
	case SLEEP_EPOLL_ET:
		ret = epoll_wait(epfd, &ev, 1, SAFETY_MS);
		if (ret < 0)
			return -errno;
		return !ret ? -ETIMEDOUT :
		       ev.events & (in ? EPOLLIN : EPOLLOUT) ? 0 : -EPROTO;
	case SLEEP_COPY_CALL:
		ret = in ? read(q->fd, buf, sizeof(buf)) :
			   write(q->fd, &seq, sizeof(seq));
		if (ret < 0)
			return -errno;
		return ret == sizeof(seq) ? 0 : -EPROTO;
	}
	return -EINVAL;
}

/*
 * In a child: SLEEP_ROUNDS times, announce, sleep until @events, then put
 * the ring back the way the test left it (drain it, or fill it again) so
 * the next round sleeps too.  Reports the first failure and the number of
 * rounds that were woken.
 */
static void __attribute__((noreturn))
child_sleeper(struct rctx *q, enum sleep_how how, unsigned int events)
{
	struct epoll_event ev = {
		.events = events == KMSGQ_RING_READABLE ? EPOLLIN : EPOLLOUT,
	};
	int epfd = -1, ret = 0;
	__u32 round;

	if (how == SLEEP_EPOLL || how == SLEEP_EPOLL_ET) {
		if (how == SLEEP_EPOLL_ET)
			ev.events |= EPOLLET;
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, q->fd, &ev))
			child_report(q, -errno, 0, NULL);
	}
	for (round = 0; round < SLEEP_ROUNDS; round++) {
		child_ready(&q->p);
		ret = sleep_until(q, how, epfd, events, 1000 + round);
		if (ret)
			break;
		if (how == SLEEP_COPY_CALL)
			continue;
		if (events == KMSGQ_RING_READABLE) {
			if (get_seq(&q->r) != round)
				ret = -EPROTO;
		} else {
			if (put_seq(&q->r, 1000 + round))
				ret = -EPROTO;
		}
		if (ret)
			break;
	}
	child_report(q, ret, round, NULL);
}

TEST_F(sleep, consumer_on_empty_ring_is_woken_by_commit_done_each_time)
{
	struct report rep;
	__u32 round;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_sleeper(&self->q, variant->how, KMSGQ_RING_READABLE);
	close_child_ends(&self->q.p);
	for (round = 0; round < SLEEP_ROUNDS; round++) {
		ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1))
			TH_LOG("round %u", round);
		EXPECT_NE(0, wakeup_bits(&self->q.r) &
			     KMSGQ_RING_WAKE_CONSUMER)
			TH_LOG("round %u: the sleeper did not arm the wakeup word",
			       round);
		ASSERT_FALSE(report_pending(&self->q.p));
		ASSERT_EQ(0, put_seq(&self->q.r, round));
	}
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(0, rep.ret) TH_LOG("round %u: %s", rep.len,
				     strerror(-rep.ret));
	EXPECT_EQ(SLEEP_ROUNDS, rep.len);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(sleep, producer_on_full_ring_is_woken_by_release_done_each_time)
{
	struct report rep;
	__u32 round;
	pid_t pid;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_sleeper(&self->q, variant->how, KMSGQ_RING_WRITABLE);
	close_child_ends(&self->q.p);
	for (round = 0; round < SLEEP_ROUNDS; round++) {
		ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1))
			TH_LOG("round %u", round);
		EXPECT_NE(0, wakeup_bits(&self->q.r) &
			     KMSGQ_RING_WAKE_PRODUCER)
			TH_LOG("round %u: the sleeper did not arm the wakeup word",
			       round);
		ASSERT_FALSE(report_pending(&self->q.p));
		ASSERT_EQ(round, get_seq(&self->q.r));
	}
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(0, rep.ret) TH_LOG("round %u: %s", rep.len,
				     strerror(-rep.ret));
	EXPECT_EQ(SLEEP_ROUNDS, rep.len);
	for (round = SLEEP_ROUNDS; round < RING_DEPTH; round++) {
		EXPECT_EQ(round, get_seq(&self->q.r));
	}
	for (round = 0; round < SLEEP_ROUNDS; round++) {
		EXPECT_EQ(1000 + round, get_seq(&self->q.r));
	}
}

TEST_F(sleep, consumer_is_woken_by_copy_mode_send)
{
	struct report rep;
	__u32 round;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_sleeper(&self->q, variant->how, KMSGQ_RING_READABLE);
	close_child_ends(&self->q.p);
	for (round = 0; round < SLEEP_ROUNDS; round++) {
		ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
		ASSERT_FALSE(report_pending(&self->q.p));
		ASSERT_EQ(0, kmsgq_send(self->q.fd, &round, sizeof(round),
					0));
	}
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(0, rep.ret) TH_LOG("round %u: %s", rep.len,
				     strerror(-rep.ret));
	EXPECT_EQ(SLEEP_ROUNDS, rep.len);
}

/* ==== wake: several sleepers, threads, and munmap under a sleeper ==== */

FIXTURE(wake) {
	struct rctx q;
};

FIXTURE_SETUP(wake)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(wake)
{
	rctx_teardown(&self->q);
}

TEST_F(wake, one_commit_done_wakes_every_ring_waiter)
{
	struct report rep;
	pid_t pid[3];
	int i;

	for (i = 0; i < 3; i++) {
		pid[i] = kids_fork(&self->q.kids);
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct timespec dl = deadline_in(CLOCK_MONOTONIC,
							 SAFETY_NS);

			child_ready(&self->q.p);
			child_report(&self->q,
				     kmsgq_ring_wait(&self->q.r,
						     KMSGQ_RING_READABLE,
						     CLOCK_MONOTONIC, &dl),
				     0, NULL);
		}
	}
	close_child_ends(&self->q.p);
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid[i], 1));
	}
	EXPECT_EQ(3, stats(self->q.fd).recv_waiters);
	ASSERT_EQ(0, put_seq(&self->q.r, 1));
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(read_report(&self->q, &rep));
		EXPECT_EQ(KMSGQ_RING_READABLE, rep.ret);
	}
	EXPECT_EQ(0, stats(self->q.fd).recv_waiters);
}

TEST_F(wake, ring_wait_for_both_events_returns_the_one_that_came)
{
	struct report rep;
	uint32_t pos;
	pid_t pid;

	/* Full, and every slot claimed: neither readable nor writable. */
	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	ASSERT_EQ(RING_DEPTH, kmsgq_ring_peek(&self->q.r, RING_DEPTH, &pos));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&self->q.r,
					     KMSGQ_RING_READABLE |
					     KMSGQ_RING_WRITABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	EXPECT_EQ(KMSGQ_RING_WAKE_CONSUMER | KMSGQ_RING_WAKE_PRODUCER,
		  wakeup_bits(&self->q.r));
	kmsgq_ring_release(&self->q.r, pos, 1);
	ASSERT_EQ(0, kmsgq_ring_release_done(&self->q.r));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(KMSGQ_RING_WRITABLE, rep.ret);
}

TEST_F(wake, woken_sleeper_leaves_the_wakeup_word_clear)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&self->q.r, KMSGQ_RING_READABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_NE(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_CONSUMER);
	ASSERT_EQ(0, put_seq(&self->q.r, 1));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(KMSGQ_RING_READABLE, rep.ret);
	/* Nobody waits any more: commits need no system call again. */
	EXPECT_EQ(0, wakeup_bits(&self->q.r));
}

TEST_F(wake, epoll_registration_keeps_the_wakeup_bit_armed_across_wakes)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, self->q.fd, &ev));
	EXPECT_NE(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_CONSUMER);
	ASSERT_EQ(0, put_seq(&self->q.r, 1));
	/* The wake found the registration still queued: the bit stays. */
	EXPECT_NE(0, wakeup_bits(&self->q.r) & KMSGQ_RING_WAKE_CONSUMER);
	EXPECT_EQ(1, epoll_wait(epfd, &ev, 1, 0));
	EXPECT_EQ(1, get_seq(&self->q.r));
	EXPECT_EQ(0, epoll_wait(epfd, &ev, 1, 0));
	ASSERT_EQ(0, put_seq(&self->q.r, 2));
	EXPECT_EQ(1, epoll_wait(epfd, &ev, 1, 0));
	close(epfd);
}

struct waiter_thread {
	struct kmsgq_ring ring;	/* a copy: the test unmaps the original */
	int ready;		/* the thread writes its tid here, then waits */
	int ret;
};

static void *waiter_thread_fn(void *arg)
{
	struct waiter_thread *w = arg;
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
	pid_t tid = syscall(SYS_gettid);

	if (write(w->ready, &tid, sizeof(tid)) != sizeof(tid)) {
		w->ret = -EPIPE;
		return NULL;
	}
	w->ret = kmsgq_ring_wait(&w->ring, KMSGQ_RING_READABLE,
				 CLOCK_MONOTONIC, &dl);
	return NULL;
}

TEST_F(wake, munmap_under_a_thread_in_ring_wait_leaves_it_to_be_woken)
{
	struct waiter_thread w = {
		.ring = self->q.r,
		.ready = self->q.p.ready[1],
	};
	struct kmsgq_ring r2;
	pthread_t th;
	pid_t tid;
	int fd2;

	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread_fn, &w));
	ASSERT_TRUE(read_all(self->q.p.ready[0], &tid, sizeof(tid)));
	ASSERT_TRUE(wait_until_thread_sleeping(tid));
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	EXPECT_EQ(0, mappings(self->q.fd));

	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd2, &r2));
	EXPECT_NE(0, wakeup_bits(&r2) & KMSGQ_RING_WAKE_CONSUMER);
	ASSERT_EQ(0, put_seq(&r2, 42));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(KMSGQ_RING_READABLE, w.ret);
	EXPECT_EQ(42, get_seq(&r2));
}

/* ==== lifetime: fork and close with a live mapping ==== */

FIXTURE(lifetime) {
	struct rctx q;
};

FIXTURE_SETUP(lifetime)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(lifetime)
{
	rctx_teardown(&self->q);
}

#define FORK_MSGS	(5 * RING_DEPTH)

TEST_F(lifetime, forked_child_produces_into_the_inherited_mapping)
{
	struct kmsgq_ring *r = &self->q.r;
	struct timespec dl;
	long long got;
	int status;
	__u32 seq;
	pid_t pid;
	char c;

	ASSERT_EQ(0, put_seq(r, 0xfeed));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret = 0;

		/* Same ring: the parent's message is here. */
		if (get_seq(r) != 0xfeed)
			_exit(10);
		child_ready(&self->q.p);
		for (seq = 0; seq < FORK_MSGS && !ret; seq++) {
			dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
			while ((ret = put_seq(r, seq)) == -EAGAIN) {
				ret = kmsgq_ring_wait(r, KMSGQ_RING_WRITABLE,
						      CLOCK_MONOTONIC, &dl);
				if (ret < 0)
					break;
			}
		}
		if (ret)
			_exit(11);
		child_ready(&self->q.p);
		/* Stay mapped until the parent has counted. */
		if (read(self->q.p.note[0], &c, 1) != 1)
			_exit(12);
		_exit(0);
	}
	close(self->q.p.ready[1]);
	self->q.p.ready[1] = -1;
	/* The child has taken the message sent before the fork. */
	ASSERT_TRUE(read_all(self->q.p.ready[0], &c, 1));
	for (seq = 0; seq < FORK_MSGS; seq++) {
		dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
		while ((got = get_seq(r)) == -EAGAIN) {
			ASSERT_EQ(KMSGQ_RING_READABLE,
				  kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
						  CLOCK_MONOTONIC, &dl));
		}
		ASSERT_EQ(seq, got);
	}
	ASSERT_TRUE(read_all(self->q.p.ready[0], &c, 1));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(1, write(self->q.p.note[1], "x", 1));
	status = kids_reap(&self->q.kids, pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(1, mappings(self->q.fd));
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(lifetime, mapping_outlives_close_of_its_file)
{
	struct kmsgq_ring r2;
	char buf[RING_MSGSIZE];
	int fd2;

	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd2, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	rctx_close(&self->q, fd2);
	EXPECT_EQ(2, mappings(self->q.fd));

	/* In place through the orphaned mapping, copy mode through q.fd. */
	ASSERT_EQ(0, put_in_place(&r2, "via r2", 6));
	EXPECT_EQ(6, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "via r2", 6));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "via fd", 6, 0));
	EXPECT_EQ(6, get_in_place(&r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "via fd", 6));
	/* And between the two mappings. */
	ASSERT_EQ(0, put_in_place(&self->q.r, "r to r2", 7));
	EXPECT_EQ(7, get_in_place(&r2, buf, sizeof(buf)));

	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(1, mappings(self->q.fd));
}

/*
 * A ring asked for one slot gets two: with one, a committed slot's sequence
 * (pos + 1) reads as free to the next producer, which would overwrite it.
 */
TEST(ring_asked_for_one_slot_never_overwrites_an_unread_message)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 1, .max_msgsize = 8,
	};
	unsigned int i, v;
	char name[KMSGQ_NAME_MAX];
	int fd;

	fd = create_own_queue(name, "ring-one", O_NONBLOCK, &attr);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_unlink(name));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	for (i = 0; i < attr.max_msgs; i++)
		ASSERT_EQ(0, kmsgq_send(fd, &i, sizeof(i), 0));
	EXPECT_EQ(-EAGAIN, kmsgq_send(fd, &i, sizeof(i), 0));
	for (i = 0; i < attr.max_msgs; i++) {
		EXPECT_EQ(sizeof(v), kmsgq_receive(fd, &v, sizeof(v), NULL));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(-EAGAIN, kmsgq_receive(fd, &v, sizeof(v), NULL));
	close(fd);
}

/* Create and remove a throwaway queue: 0, or -errno of the create. */
static int probe_create(const char *name)
{
	struct kmsgq_attr attr = { .max_msgs = 1, .max_msgsize = 1 };
	int fd;

	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (fd < 0)
		return fd;
	close(fd);
	kmsgq_unlink(name);
	return 0;
}

TEST_F(lifetime, unlinked_queue_lives_while_mapped_and_dies_with_last_munmap)
{
	struct kmsgq_ring r2;
	char probe[KMSGQ_NAME_MAX];
	unsigned long saved;
	int fd2, ret;
	long nr;

	if (read_param("max_queues", &saved) ||
	    access(PARAM_MAX_QUEUES, W_OK))
		SKIP(return, "cannot change %s", PARAM_MAX_QUEUES);
	snprintf(probe, sizeof(probe), "kmsgq-ring-probe-%d", getpid());

	/* Leave the queue alive through one mapping of a closed file. */
	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd2, &r2));
	rctx_close(&self->q, fd2);
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	ASSERT_EQ(0, kmsgq_unlink(self->q.name));
	ASSERT_EQ(0, kmsgq_close(self->q.fd));
	self->q.fd = -1;
	ASSERT_EQ(0, put_in_place(&r2, "alone", 5));

	/* Count the queues alive: the lowest max_queues that admits one more. */
	self->q.saved_max_queues = saved;
	self->q.restore_max_queues = true;
	for (nr = 0; nr < 4096; nr++) {
		ASSERT_EQ(0, write_param("max_queues", nr + 1));
		ret = probe_create(probe);
		if (!ret)
			break;
		ASSERT_EQ(-ENOSPC, ret);
	}
	ASSERT_GT(4096, nr);
	ASSERT_LT(0, nr) TH_LOG("the mapped queue is not counted");

	/* With exactly that many allowed, the mapping pins one of them ... */
	ASSERT_EQ(0, write_param("max_queues", nr));
	EXPECT_EQ(-ENOSPC, probe_create(probe));
	/* ... until it goes. */
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(0, probe_create(probe))
		TH_LOG("the queue outlived its last mapping");
}

/* ==== rdonly: read-only and write-only openers ==== */

FIXTURE(rdonly) {
	struct rctx q;
	int rfd;	/* O_RDONLY on the queue */
	int wfd;	/* O_WRONLY on the queue */
};

FIXTURE_SETUP(rdonly)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
	self->rfd = rctx_open(&self->q, O_RDONLY);
	ASSERT_LE(0, self->rfd);
	self->wfd = rctx_open(&self->q, O_WRONLY);
	ASSERT_LE(0, self->wfd);
}

FIXTURE_TEARDOWN(rdonly)
{
	rctx_teardown(&self->q);
}

TEST_F(rdonly, read_only_file_can_learn_the_layout)
{
	struct kmsgq_ring_info ri;

	ASSERT_EQ(0, ring_info(self->rfd, &ri));
	EXPECT_EQ(self->q.ri.map_size, ri.map_size);
}

TEST_F(rdonly, writable_shared_mmap_of_read_only_file_fails_with_eacces)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, read_only_shared_mmap_of_read_only_file_succeeds)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ, MAP_SHARED, 0);

	EXPECT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
}

TEST_F(rdonly, mprotect_writable_on_read_only_mapping_fails_with_eacces)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ, MAP_SHARED, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, mprotect(p, self->q.ri.map_size,
			       PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, ring_map_of_read_only_file_observes_the_ring)
{
	struct kmsgq_ring ro;
	char buf[RING_MSGSIZE];

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	ASSERT_EQ(0, put_in_place(&self->q.r, "seen", 4));
	EXPECT_EQ(1, *ro.prod);
	EXPECT_EQ(1, ro.desc[0].seq);
	EXPECT_EQ(4, ro.desc[0].len);
	EXPECT_EQ(0, memcmp(ro.data, "seen", 4));
	EXPECT_TRUE(ring_readable(&ro));
	/* It receives with read(). */
	EXPECT_EQ(4, read(self->rfd, buf, sizeof(buf)));
	EXPECT_FALSE(ring_readable(&ro));
}

TEST_F(rdonly, ring_map_of_read_only_file_cannot_be_written)
{
	struct kmsgq_ring ro;
	int status;
	pid_t pid;

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__atomic_store_n(ro.prod, 5, __ATOMIC_RELAXED);
		_exit(0);
	}
	status = kids_reap(&self->q.kids, pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(0, *self->q.r.prod);
}

TEST_F(rdonly, read_only_file_sleeps_in_ring_wait_until_a_commit)
{
	struct kmsgq_ring ro;
	struct report rep;
	pid_t pid;

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&ro, KMSGQ_RING_READABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_EQ(0, put_seq(&self->q.r, 3));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(KMSGQ_RING_READABLE, rep.ret);
}

TEST_F(rdonly, mmap_of_write_only_file_fails_with_eacces)
{
	void *p;

	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size,
		      PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size, PROT_READ,
		      MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size, PROT_WRITE,
		      MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, ring_map_of_write_only_file_fails_with_eacces)
{
	struct kmsgq_ring r;

	EXPECT_EQ(-EACCES, kmsgq_ring_map(self->wfd, &r));
}

TEST_F(rdonly, copy_mode_calls_keep_to_the_file_access_mode)
{
	char buf[RING_MSGSIZE];

	EXPECT_EQ(-1, write(self->rfd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(self->wfd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(1, read(self->rfd, buf, sizeof(buf)));
}

/* ==== scribble: a process that writes nonsense into its mapping ==== */

FIXTURE(scribble) {
	struct rctx q;
};

FIXTURE_SETUP(scribble)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(scribble)
{
	rctx_teardown(&self->q);
}

TEST_F(scribble, slot_with_length_beyond_slot_size_is_skipped_by_read)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[2 * RING_MSGSIZE];
	uint32_t pos, len;

	ASSERT_EQ(2, kmsgq_ring_reserve(r, 2, &pos));
	memcpy(kmsgq_ring_slot(r, pos), "bad", 3);
	kmsgq_ring_commit(r, pos, r->slot_size + 1);
	memcpy(kmsgq_ring_slot(r, pos + 1), "good", 4);
	kmsgq_ring_commit(r, pos + 1, 4);
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
	/* In place the library declines the bad slot ... */
	ASSERT_EQ(1, kmsgq_ring_peek(r, 1, &pos));
	EXPECT_EQ(NULL, kmsgq_ring_msg(r, pos, &len));
	/* ... put it back for the kernel to meet. */
	__atomic_store_n(r->cons, pos, __ATOMIC_RELAXED);
	EXPECT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(scribble, length_of_huge_value_is_declined_by_ring_msg)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, len = 7;

	ASSERT_EQ(1, kmsgq_ring_reserve(r, 1, &pos));
	kmsgq_ring_commit(r, pos, UINT32_MAX);
	ASSERT_EQ(1, kmsgq_ring_peek(r, 1, &pos));
	EXPECT_EQ(NULL, kmsgq_ring_msg(r, pos, &len));
	EXPECT_EQ(7, len);
	kmsgq_ring_release(r, pos, 1);
}

TEST_F(scribble, cur_msgs_stays_within_depth_whatever_the_positions_say)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_attr attr;

	__atomic_store_n(r->prod, 1000000000U, __ATOMIC_RELAXED);
	EXPECT_GE(RING_DEPTH, stats(self->q.fd).cur_msgs);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_GE(RING_DEPTH, attr.cur_msgs);
	__atomic_store_n(r->cons, 2000000000U, __ATOMIC_RELAXED);
	EXPECT_GE(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(scribble, kernel_send_gives_up_on_a_slot_that_never_frees)
{
	struct kmsgq_ring *r = &self->q.r;
	struct timespec dl;

	/* The producer slot claims to be "ahead", yet prod never moves. */
	__atomic_store_n(&r->desc[0].seq, 5, __ATOMIC_RELEASE);
	EXPECT_EQ(-EAGAIN, kmsgq_send_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)"x", .len = 1 }, 1, KMSGQ_XFER_NONBLOCK,
		CLOCK_MONOTONIC, NULL));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q.fd, "x", 1, 0,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(scribble, kernel_receive_gives_up_on_a_slot_that_never_fills)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[RING_MSGSIZE];
	struct timespec dl;

	/* The consumer slot claims to be "ahead", yet cons never moves. */
	__atomic_store_n(&r->desc[0].seq, 7, __ATOMIC_RELEASE);
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedreceive(self->q.fd, buf, sizeof(buf),
						 NULL, CLOCK_MONOTONIC, &dl));
}

TEST_F(scribble, kernel_receive_skips_every_slot_without_a_message)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[RING_MSGSIZE];
	uint32_t pos, i;

	ASSERT_EQ(RING_DEPTH, kmsgq_ring_reserve(r, RING_DEPTH, &pos));
	for (i = 0; i < RING_DEPTH; i++)
		kmsgq_ring_commit(r, pos + i, UINT32_MAX - i);
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	/* Skipping released them: the ring takes a whole lap again. */
	EXPECT_EQ(RING_DEPTH, fill_ring(r, 0));
	EXPECT_EQ(0, get_seq(r));
}

TEST_F(scribble, scribbled_wakeup_word_costs_only_a_spare_wake)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[8];

	__atomic_store_n(r->wakeup, UINT32_MAX, __ATOMIC_RELAXED);
	EXPECT_EQ(0, put_seq(r, 1));
	EXPECT_EQ(1, get_seq(r));
	EXPECT_EQ(0, kmsgq_send(self->q.fd, "x", 1, 0));
	EXPECT_EQ(1, get_in_place(r, buf, sizeof(buf)));
}

/*
 * In a child with an alarm: run @fn on a ring no honest peer could leave
 * in this state.  The test fails if the call never returns.
 */
static int child_bounded(struct rctx *q, unsigned int (*fn)(struct kmsgq_ring *))
{
	int status;
	pid_t pid;

	pid = kids_fork(&q->kids);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(SPIN_LIMIT_S);
		_exit(fn(&q->r) ? 1 : 0);
	}
	status = kids_reap(&q->kids, pid);
	return status;
}

static unsigned int reserve_one(struct kmsgq_ring *r)
{
	uint32_t pos;

	return kmsgq_ring_reserve(r, 1, &pos);
}

static unsigned int peek_one(struct kmsgq_ring *r)
{
	uint32_t pos;

	return kmsgq_ring_peek(r, 1, &pos);
}

TEST_F(scribble, reserve_returns_on_a_slot_that_never_frees)
{
	int status;

	__atomic_store_n(&self->q.r.desc[0].seq, 5, __ATOMIC_RELEASE);
	status = child_bounded(&self->q, reserve_one);
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("kmsgq_ring_reserve() spun for %d s on a ring whose producer slot is ahead of prod (status %#x)",
		       SPIN_LIMIT_S, status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(scribble, peek_returns_on_a_slot_that_never_fills)
{
	int status;

	__atomic_store_n(&self->q.r.desc[0].seq, 7, __ATOMIC_RELEASE);
	status = child_bounded(&self->q, peek_one);
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("kmsgq_ring_peek() spun for %d s on a ring whose consumer slot is ahead of cons (status %#x)",
		       SPIN_LIMIT_S, status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
