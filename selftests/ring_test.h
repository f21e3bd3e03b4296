/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ring_*_test programs share: a ring queue for each test (struct
 * rctx), created by the fixture setup, unlinked by its teardown with every
 * descriptor, mapping and helper process the test made; the reports helper
 * processes send; and in-place producers and consumers of one message.
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
 *
 * Include it first, in place of kmsgq_test.h.
 */
#ifndef RING_TEST_H
#define RING_TEST_H

#include "kmsgq_test.h"

/*
 * Deadline of every call that is expected to be woken: far beyond any
 * wakeup, so reaching it means the wakeup was lost.
 */
#define SAFETY_NS		(10 * NSEC_PER_SEC)
#define SAFETY_MS		10000
/* How far ahead a call's deadline lies when it is expected to expire. */
#define TIMEOUT_NS		(50 * NSEC_PER_MSEC)

#define MAX_FDS			8
#define MAX_MAPS		8
#define REPORT_DATA		64

/* The ring most tests use: 8 slots of 256 bytes. */
#define RING_DEPTH		8
#define RING_MSGSIZE		256

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

/* ---- reports of helper processes ---- */

/* In a child: report a result and exit. */
static inline void __attribute__((noreturn))
child_report(struct rctx *q, int ret, __u32 len, const void *data)
{
	struct report rep = { .ret = ret, .len = len };

	if (data)
		memcpy(rep.data, data, len < REPORT_DATA ? len : REPORT_DATA);
	child_write(q->p.result[1], &rep, sizeof(rep));
	_exit(0);
}

/* In the test: read a helper's report, false if it died without one. */
static inline bool read_report(struct rctx *q, struct report *rep)
{
	return read_all(q->p.result[0], rep, sizeof(*rep));
}

/* ---- the queue ---- */

static inline int ring_info(int fd, struct kmsgq_ring_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return ioctl(fd, KMSGQ_IOC_RING_INFO, ri) < 0 ? -errno : 0;
}

static inline struct kmsgq_stats stats(int fd)
{
	struct kmsgq_stats st = { 0 };

	if (kmsgq_stats(fd, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* Live mappings of @fd's queue, or -1. */
static inline int mappings(int fd)
{
	return (int)stats(fd).mappings;
}

/* A raw mmap() of @fd: the address, or MAP_FAILED with errno set. */
static inline void *rctx_mmap(struct rctx *q, int fd, size_t len,
			      int prot, int flags, off_t off)
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
static inline void rctx_forget_map(struct rctx *q, void *addr)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (q->maps[i].addr == addr)
			q->maps[i].addr = NULL;
}

/* kmsgq_ring_map() whose mapping teardown undoes. */
static inline int rctx_ring_map(struct rctx *q, int fd,
				struct kmsgq_ring *r)
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

static inline int rctx_ring_unmap(struct rctx *q, struct kmsgq_ring *r)
{
	rctx_forget_map(q, r->map);
	return kmsgq_ring_unmap(r);
}

/* Another descriptor on the test's queue, closed by teardown. */
static inline int rctx_open(struct rctx *q, int oflag)
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

static inline void rctx_close(struct rctx *q, int fd)
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
static inline void rctx_setup(struct __test_metadata *_metadata,
			      struct rctx *q, __u32 qflags, __u32 depth,
			      __u32 msgsize, bool map)
{
	struct kmsgq_attr attr = {
		.qflags = qflags & KMSGQ_OPEN_RING ? qflags | RING_TEST_QFLAGS :
						    qflags,
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

static inline void rctx_teardown(struct rctx *q)
{
	int i;

	kids_kill(&q->kids);
	kid_pipes_close(&q->p);
	if (q->r.map)
		kmsgq_ring_unmap(&q->r);
	for (i = 0; i < MAX_MAPS; i++) {
		if (q->maps[i].addr)
			munmap(q->maps[i].addr, q->maps[i].len);
		q->maps[i].addr = NULL;
	}
	for (i = 0; i < MAX_FDS; i++) {
		if (q->fds[i] >= 0)
			close(q->fds[i]);
		q->fds[i] = -1;
	}
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	kmsgq_unlink(q->name);
	if (q->restore_max_queues)
		write_param("max_queues", q->saved_max_queues);
}

/* ---- in place ---- */

/* Reserve one slot, copy @len bytes of @buf into it, commit, commit_done. */
static inline int put_in_place(struct kmsgq_ring *r, const void *buf,
			       __u32 len)
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
static inline int get_in_place(struct kmsgq_ring *r, void *buf, __u32 size)
{
	const void *p;
	uint32_t pos, len;
	int ret, err;

	if (kmsgq_ring_claim(r, 1, &pos) != 1)
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
static inline int put_seq(struct kmsgq_ring *r, __u32 seq)
{
	return put_in_place(r, &seq, sizeof(seq));
}

/* Consume in place what put_seq() committed: the number, or -errno. */
static inline long long get_seq(struct kmsgq_ring *r)
{
	__u32 seq;
	int ret;

	ret = get_in_place(r, &seq, sizeof(seq));
	if (ret < 0)
		return ret;
	return ret == sizeof(seq) ? (long long)seq : -EPROTO;
}

/* Whether the next consumer position holds a committed slot (no claim). */
static inline bool ring_readable(const struct kmsgq_ring *r)
{
	uint32_t c = __atomic_load_n(r->cons, __ATOMIC_RELAXED);

	if (!r->desc)
		return kmsgq_ring__rword(r, c).s.seq == c + 1 &&
		       !kmsgq_ring__rword(r, c).s.owner;
	return kmsgq_ring__seq(r, c) == c + 1;
}

static inline __u32 wakeup_bits(const struct kmsgq_ring *r)
{
	return __atomic_load_n(r->wakeup, __ATOMIC_RELAXED);
}

/* Fill the ring with sequence numbers from @first; how many went in. */
static inline unsigned int fill_ring(struct kmsgq_ring *r, __u32 first)
{
	unsigned int n = 0;

	while (put_seq(r, first + n) == 0)
		n++;
	return n;
}

#endif /* RING_TEST_H */
