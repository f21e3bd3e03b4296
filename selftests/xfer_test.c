// SPDX-License-Identifier: GPL-2.0
/*
 * Send and receive on kmsgq copy queues, as doc/semantics.md states them:
 * message boundaries, EMSGSIZE, priority order, batches, blocking and
 * non-blocking calls, deadlines, signals, poll/select/epoll, exclusive
 * wakeups and bad user addresses.
 *
 * Every test gets a fresh queue named after its own process, unlinked in
 * teardown.  Messages move through write()/read() or the raw
 * KMSGQ_IOC_SEND/KMSGQ_IOC_RECV ioctls, so what is tested is the module's
 * ABI rather than the library's; the library only opens, unlinks and reads
 * attributes.
 *
 * Helper processes never use ASSERT or EXPECT: an assertion failing in a
 * child would run the fixture's teardown there.  They write one byte to a
 * "ready" pipe just before the call that is to block, one struct report to
 * a "result" pipe when it returns, and exit; the test body judges.  A test
 * only acts on a blocked child once /proc shows it sleeping, polled a
 * bounded number of times.  Teardown kills and reaps any child left over.
 */
#include "kmsgq_test.h"

#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/uio.h>

/* How far ahead a timed call's deadline lies: long enough to have to sleep. */
#define TIMEOUT_NS		(50 * NSEC_PER_MSEC)

/* Looks at /proc confirming that sleepers stayed asleep, 1 ms apart. */
#define STILL_ASLEEP_TRIES	100

/* Blocked tasks in the exclusive-wakeup tests. */
#define NR_WAITERS		4

/* Payload bytes a child reports back. */
#define REPORT_DATA		64

/* What a child saw, written whole (it is smaller than PIPE_BUF). */
struct report {
	pid_t pid;
	int ret;		/* the call's result: a count, or -errno */
	__u32 len;		/* first message: length, or poll events */
	__u32 prio;		/* first message: priority */
	char data[REPORT_DATA];	/* first message: payload, zero-padded */
};

/* A test's queue, its descriptor, the pipes its children talk through. */
struct qctx {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct kid_pipes p;	/* result: struct report */
	struct kids kids;
};

/* ---- helpers: queues and messages ---- */

/* xfer_ioctl() of the @nr messages at @msgs. */
static int xfer_array(int fd, unsigned long cmd, struct kmsgq_msg *msgs,
		      __u32 nr, __u32 flags, __s32 clockid,
		      const struct kmsgq_timespec *timeout)
{
	return xfer_ioctl(fd, cmd, (uintptr_t)msgs, nr, flags, clockid,
			  timeout);
}

static struct kmsgq_msg msg(const void *buf, __u32 len, __u32 prio)
{
	return (struct kmsgq_msg){
		.buf = (uintptr_t)buf,
		.len = len,
		.prio = prio,
	};
}

static int send_one(int fd, const void *buf, __u32 len, __u32 prio)
{
	struct kmsgq_msg m = msg(buf, len, prio);

	return xfer_array(fd, KMSGQ_IOC_SEND, &m, 1, 0, 0, NULL);
}

/* Receive one message into @buf of @size bytes: its length, or -errno. */
static int recv_one(int fd, void *buf, __u32 size, __u32 flags)
{
	struct kmsgq_msg m = msg(buf, size, 0);
	int ret;

	ret = xfer_array(fd, KMSGQ_IOC_RECV, &m, 1, flags, 0, NULL);
	return ret < 0 ? ret : (int)m.len;
}

/* @ns as a struct kmsgq_timespec. */
static struct kmsgq_timespec kts(__s64 ns)
{
	return (struct kmsgq_timespec){
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};
}

/* ---- helpers: child processes ---- */

/* Times @pid gave up the CPU of its own accord (went to sleep), or -1. */
static long task_nvcsw(pid_t pid)
{
	char path[64], line[128];
	long nvcsw = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &nvcsw) == 1)
			break;
	fclose(f);
	return nvcsw;
}

/* In a child: report what the call returned, and exit. */
static void __noreturn
child_report(struct qctx *q, int ret, const struct kmsgq_msg *m)
{
	struct report rep = { .pid = getpid(), .ret = ret };

	if (m) {
		rep.len = m->len;
		rep.prio = m->prio;
		if (ret > 0 && m->buf)
			memcpy(rep.data, (void *)(uintptr_t)m->buf,
			       m->len < REPORT_DATA ? m->len : REPORT_DATA);
	}
	child_write(q->p.result[1], &rep, sizeof(rep));
	_exit(0);
}

static bool read_report(struct qctx *q, struct report *rep)
{
	return read_all(q->p.result[0], rep, sizeof(*rep));
}

/*
 * Create a queue unique to this process.  A queue of the same name left by
 * a killed run of the same pid is removed first.
 */
static void qctx_setup(struct __test_metadata *_metadata, struct qctx *q,
		       __u32 depth, __u32 msgsize)
{
	struct kmsgq_attr attr = { .max_msgs = depth, .max_msgsize = msgsize };

	q->fd = -1;
	kid_pipes_init(&q->p);
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);

	q->fd = create_own_queue(q->name, "kmsgq-xfer", 0, &attr);
	ASSERT_LE(0, q->fd) TH_LOG("creating %s: %s", q->name,
				   strerror(-q->fd));
	ASSERT_EQ(0, kid_pipes_open(&q->p));
}

static void qctx_teardown(struct qctx *q)
{
	kids_kill(&q->kids);
	kid_pipes_close(&q->p);
	if (q->fd >= 0) {
		kmsgq_close(q->fd);
		kmsgq_unlink(q->name);
	}
}

/* ---- send and receive the way a variant does ---- */

enum xfer_mode {
	XFER_RW,	/* write() and read(): one message a call, priority 0 */
	XFER_IOCTL,	/* KMSGQ_IOC_SEND/RECV with nr = 1, a call per message */
	XFER_BATCH,	/* one KMSGQ_IOC_SEND/RECV for all the messages */
};

/*
 * Send up to @nr messages the way @mode does, sleeping (on a blocking file)
 * only until the first one fits and then sending what fits at once: batch
 * semantics, which the one-message modes get by polling between calls.
 * Returns how many were sent, or -errno if the first was not.  A write()
 * that returns anything but its count would be a bug: it reads as -EIO.
 */
static int send_msgs(int fd, enum xfer_mode mode, struct kmsgq_msg *msgs,
		     unsigned int nr)
{
	unsigned int i;
	ssize_t ret;

	if (mode == XFER_BATCH)
		return xfer_array(fd, KMSGQ_IOC_SEND, msgs, nr, 0, 0, NULL);
	for (i = 0; i < nr; i++) {
		if (i && !ready_now(fd, POLLOUT))
			break;
		if (mode == XFER_RW) {
			ret = write(fd, (void *)(uintptr_t)msgs[i].buf,
				    msgs[i].len);
			if (ret < 0)
				ret = -errno;
			else if ((size_t)ret != msgs[i].len)
				ret = -EIO;
		} else {
			ret = xfer_array(fd, KMSGQ_IOC_SEND, &msgs[i], 1, 0, 0,
					 NULL);
		}
		if (ret < 0)
			return i ? (int)i : (int)ret;
	}
	return i;
}

/* Receive up to @nr messages as send_msgs() sends them. */
static int recv_msgs(int fd, enum xfer_mode mode, struct kmsgq_msg *msgs,
		     unsigned int nr)
{
	unsigned int i;
	ssize_t ret;

	if (mode == XFER_BATCH)
		return xfer_array(fd, KMSGQ_IOC_RECV, msgs, nr, 0, 0, NULL);
	for (i = 0; i < nr; i++) {
		if (i && !ready_now(fd, POLLIN))
			break;
		if (mode == XFER_RW) {
			ret = read(fd, (void *)(uintptr_t)msgs[i].buf,
				   msgs[i].len);
			if (ret < 0) {
				ret = -errno;
			} else {
				msgs[i].len = ret;
				msgs[i].prio = 0;
			}
		} else {
			ret = xfer_array(fd, KMSGQ_IOC_RECV, &msgs[i], 1, 0, 0,
					 NULL);
		}
		if (ret < 0)
			return i ? (int)i : (int)ret;
	}
	return i;
}

/* ==== xfer: the same behaviour through write/read, ioctl and batch ==== */

#define XFER_DEPTH	16
#define XFER_MSGSIZE	128

FIXTURE(xfer) {
	struct qctx q;
};

FIXTURE_VARIANT(xfer) {
	enum xfer_mode mode;
};

FIXTURE_VARIANT_ADD(xfer, write_read) {
	.mode = XFER_RW,
};

FIXTURE_VARIANT_ADD(xfer, ioctl_single) {
	.mode = XFER_IOCTL,
};

FIXTURE_VARIANT_ADD(xfer, ioctl_batch) {
	.mode = XFER_BATCH,
};

FIXTURE_SETUP(xfer)
{
	qctx_setup(_metadata, &self->q, XFER_DEPTH, XFER_MSGSIZE);
}

FIXTURE_TEARDOWN(xfer)
{
	qctx_teardown(&self->q);
}

/* Fill the queue with XFER_DEPTH messages whose payload is their index. */
static int xfer_fill(int fd, enum xfer_mode mode)
{
	struct kmsgq_msg m[XFER_DEPTH];
	__u32 seq[XFER_DEPTH];
	unsigned int i;

	for (i = 0; i < XFER_DEPTH; i++) {
		seq[i] = i;
		m[i] = msg(&seq[i], sizeof(seq[i]), 0);
	}
	return send_msgs(fd, mode, m, XFER_DEPTH);
}

TEST_F(xfer, messages_keep_their_boundaries)
{
	static const __u32 sizes[] = { 1, 100, 0 };
	char out[3][XFER_MSGSIZE], in[3][XFER_MSGSIZE];
	struct kmsgq_msg m[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		pattern(out[i], sizes[i], i);
		m[i] = msg(out[i], sizes[i], 0);
	}
	ASSERT_EQ(3, send_msgs(self->q.fd, variant->mode, m, 3));
	ASSERT_EQ(3, queued(self->q.fd));

	for (i = 0; i < 3; i++)
		m[i] = msg(in[i], sizeof(in[i]), 0);
	EXPECT_EQ(3, recv_msgs(self->q.fd, variant->mode, m, 3));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(sizes[i], m[i].len) TH_LOG("message %u", i);
		EXPECT_TRUE(pattern_ok(in[i], sizes[i], i))
			TH_LOG("message %u payload", i);
	}
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(xfer, messages_of_one_priority_arrive_in_fifo_order)
{
	struct kmsgq_msg m[XFER_DEPTH];
	__u32 seq[XFER_DEPTH];
	unsigned int i;

	ASSERT_EQ(XFER_DEPTH, xfer_fill(self->q.fd, variant->mode));

	for (i = 0; i < XFER_DEPTH; i++) {
		seq[i] = ~0U;
		m[i] = msg(&seq[i], sizeof(seq[i]), 0);
	}
	EXPECT_EQ(XFER_DEPTH, recv_msgs(self->q.fd, variant->mode, m,
					XFER_DEPTH));
	for (i = 0; i < XFER_DEPTH; i++) {
		EXPECT_EQ(sizeof(seq[i]), m[i].len);
		EXPECT_EQ(i, seq[i]);
	}
}

TEST_F(xfer, message_of_exactly_max_msgsize_is_accepted)
{
	char out[XFER_MSGSIZE], in[XFER_MSGSIZE];
	struct kmsgq_msg m = msg(out, XFER_MSGSIZE, 0);

	pattern(out, sizeof(out), 7);
	ASSERT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ((__u32)XFER_MSGSIZE, m.len);
	EXPECT_TRUE(pattern_ok(in, XFER_MSGSIZE, 7));
}

TEST_F(xfer, send_longer_than_max_msgsize_fails_with_emsgsize)
{
	char out[XFER_MSGSIZE + 1];
	struct kmsgq_msg m = msg(out, sizeof(out), 0);

	pattern(out, sizeof(out), 1);
	EXPECT_EQ(-EMSGSIZE, send_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(xfer, receive_into_short_buffer_fails_with_emsgsize_and_keeps_message)
{
	char out[100], in[XFER_MSGSIZE];
	struct kmsgq_msg m = msg(out, sizeof(out), 0);

	pattern(out, sizeof(out), 3);
	ASSERT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(in, sizeof(out) - 1, 0);
	EXPECT_EQ(-EMSGSIZE, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(1, queued(self->q.fd));

	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(sizeof(out), m.len);
	EXPECT_TRUE(pattern_ok(in, sizeof(out), 3));
}

TEST_F(xfer, nonblocking_receive_on_empty_queue_fails_with_eagain)
{
	struct kmsgq_msg m;
	char in[XFER_MSGSIZE];
	int nb;

	nb = kmsgq_open(self->q.name, O_RDWR | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, nb);

	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(-EAGAIN, recv_msgs(nb, variant->mode, &m, 1));
	kmsgq_close(nb);
}

TEST_F(xfer, nonblocking_send_on_full_queue_fails_with_eagain)
{
	char out[8] = "overflow";
	struct kmsgq_msg m = msg(out, sizeof(out), 0);
	int nb;

	nb = kmsgq_open(self->q.name, O_RDWR | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, nb);
	ASSERT_EQ(XFER_DEPTH, xfer_fill(nb, variant->mode));

	EXPECT_EQ(-EAGAIN, send_msgs(nb, variant->mode, &m, 1));
	EXPECT_EQ(XFER_DEPTH, queued(nb));
	kmsgq_close(nb);
}

TEST_F(xfer, receiver_blocked_on_empty_queue_is_woken_by_send)
{
	char in[4][XFER_MSGSIZE], out[] = "wake up";
	struct kmsgq_msg m[4];
	struct report rep;
	unsigned int i;
	pid_t pid;
	int ret;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < 4; i++)
			m[i] = msg(in[i], sizeof(in[i]), 0);
		child_ready(&self->q.p);
		ret = recv_msgs(self->q.fd, variant->mode, m, 4);
		child_report(&self->q, ret, &m[0]);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));

	m[0] = msg(out, sizeof(out), 0);
	ASSERT_EQ(1, send_msgs(self->q.fd, variant->mode, m, 1));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_EQ(sizeof(out), rep.len);
	EXPECT_STREQ(out, rep.data);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
}

TEST_F(xfer, sender_blocked_on_full_queue_is_woken_by_receive)
{
	struct kmsgq_msg m[XFER_DEPTH];
	__u32 seq[XFER_DEPTH], extra[2] = { 100, 101 };
	struct report rep;
	unsigned int i;
	pid_t pid;
	int ret;

	ASSERT_EQ(XFER_DEPTH, xfer_fill(self->q.fd, variant->mode));

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		m[0] = msg(&extra[0], sizeof(extra[0]), 0);
		m[1] = msg(&extra[1], sizeof(extra[1]), 0);
		child_ready(&self->q.p);
		ret = send_msgs(self->q.fd, variant->mode, m, 2);
		child_report(&self->q, ret, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));

	m[0] = msg(&seq[0], sizeof(seq[0]), 0);
	ASSERT_EQ(1, recv_msgs(self->q.fd, variant->mode, m, 1));
	EXPECT_EQ(0U, seq[0]);
	ASSERT_TRUE(read_report(&self->q, &rep));
	/* One slot was freed: the batch moved one message and returned. */
	EXPECT_EQ(1, rep.ret);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));

	/* The woken sender's message is the newest: last in line. */
	for (i = 0; i < XFER_DEPTH; i++)
		m[i] = msg(&seq[i], sizeof(seq[i]), 0);
	EXPECT_EQ(XFER_DEPTH, recv_msgs(self->q.fd, variant->mode, m,
					XFER_DEPTH));
	for (i = 0; i < XFER_DEPTH - 1; i++)
		EXPECT_EQ(i + 1, seq[i]);
	EXPECT_EQ(extra[0], seq[XFER_DEPTH - 1]);
}

TEST_F(xfer, send_from_bad_address_fails_with_efault_and_queues_nothing)
{
	struct kmsgq_msg m;
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);

	m = msg(bad, 16, 0);
	EXPECT_EQ(-EFAULT, send_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(0, queued(self->q.fd));
	munmap(bad, getpagesize());
}

/*
 * Queue 16 bytes of pattern @seed: a receive through the message entry
 * @bad must fail with EFAULT and leave the message queued, and the next
 * receive get it whole.
 */
static void expect_efault_keeps_message(struct __test_metadata *_metadata,
					int fd, enum xfer_mode mode,
					struct kmsgq_msg *bad, int seed)
{
	char out[16], in[XFER_MSGSIZE];
	struct kmsgq_msg m = msg(out, sizeof(out), 0);

	pattern(out, sizeof(out), seed);
	ASSERT_EQ(1, send_msgs(fd, mode, &m, 1));

	EXPECT_EQ(-EFAULT, recv_msgs(fd, mode, bad, 1));
	EXPECT_EQ(1, queued(fd));

	memset(in, 0, sizeof(in));
	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, recv_msgs(fd, mode, &m, 1));
	EXPECT_EQ(sizeof(out), m.len);
	EXPECT_TRUE(pattern_ok(in, sizeof(out), seed));
}

TEST_F(xfer, receive_into_bad_address_fails_with_efault_and_keeps_message)
{
	struct kmsgq_msg m;
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);
	m = msg(bad, XFER_MSGSIZE, 0);
	expect_efault_keeps_message(_metadata, self->q.fd, variant->mode, &m, 5);
	munmap(bad, getpagesize());
}

/*
 * Small payloads are copied under the queue's lock with page faults off;
 * a buffer whose page is not mapped in yet fails that copy, and the call
 * must then go the long way, which faults the page in.
 */

/* Where a buffer of XFER_MSGSIZE starts in two pages: first page, or across. */
#define XFER_STRADDLE	32	/* bytes of it in the first page */

/*
 * Two pages of a new memfd: @pattern @seed from byte 0 and again from
 * XFER_STRADDLE bytes before the second page, mapped read-only.  With
 * @touch_first the first page is mapped in (read); the second never is.
 */
static void *untouched_file_pages(int seed, bool touch_first)
{
	size_t ps = getpagesize();
	char buf[XFER_MSGSIZE];
	void *p;
	int fd;

	fd = memfd_create("kmsgq-xfer", MFD_CLOEXEC);
	if (fd < 0)
		return MAP_FAILED;
	pattern(buf, sizeof(buf), seed);
	if (ftruncate(fd, 2 * ps) ||
	    pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
	    pwrite(fd, buf, sizeof(buf), ps - XFER_STRADDLE) != sizeof(buf)) {
		close(fd);
		return MAP_FAILED;
	}
	p = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED && touch_first)
		(void)*(volatile char *)p;
	return p;
}

TEST_F(xfer, send_from_page_not_yet_mapped_in_is_queued_whole)
{
	char in[XFER_MSGSIZE];
	struct kmsgq_msg m;
	char *src;

	src = untouched_file_pages(7, false);
	ASSERT_NE(MAP_FAILED, src);
	m = msg(src, XFER_MSGSIZE, 0);
	EXPECT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(XFER_MSGSIZE, m.len);
	EXPECT_TRUE(pattern_ok(in, XFER_MSGSIZE, 7));
	munmap(src, 2 * getpagesize());
}

/* The copy under the lock gets part of the way, then faults. */
TEST_F(xfer, send_across_into_page_not_yet_mapped_in_is_queued_whole)
{
	size_t ps = getpagesize();
	char in[XFER_MSGSIZE];
	struct kmsgq_msg m;
	char *src;

	src = untouched_file_pages(11, true);
	ASSERT_NE(MAP_FAILED, src);
	m = msg(src + ps - XFER_STRADDLE, XFER_MSGSIZE, 0);
	EXPECT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(XFER_MSGSIZE, m.len);
	EXPECT_TRUE(pattern_ok(in, XFER_MSGSIZE, 11));
	munmap(src, 2 * ps);
}

TEST_F(xfer, receive_into_page_not_yet_mapped_in_gets_the_message)
{
	char out[XFER_MSGSIZE];
	struct kmsgq_msg m = msg(out, sizeof(out), 0);
	char *dst;

	dst = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	pattern(out, sizeof(out), 8);
	ASSERT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(dst, XFER_MSGSIZE, 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(XFER_MSGSIZE, m.len);
	EXPECT_TRUE(pattern_ok(dst, XFER_MSGSIZE, 8));
	EXPECT_EQ(0, queued(self->q.fd));
	munmap(dst, getpagesize());
}

TEST_F(xfer, receive_across_into_page_not_yet_mapped_in_gets_the_message)
{
	size_t ps = getpagesize();
	char out[XFER_MSGSIZE];
	struct kmsgq_msg m = msg(out, sizeof(out), 0);
	char *dst;

	dst = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	memset(dst, 0, ps);	/* the first page only */
	pattern(out, sizeof(out), 12);
	ASSERT_EQ(1, send_msgs(self->q.fd, variant->mode, &m, 1));

	m = msg(dst + ps - XFER_STRADDLE, XFER_MSGSIZE, 0);
	EXPECT_EQ(1, recv_msgs(self->q.fd, variant->mode, &m, 1));
	EXPECT_EQ(XFER_MSGSIZE, m.len);
	EXPECT_TRUE(pattern_ok(dst + ps - XFER_STRADDLE, XFER_MSGSIZE, 12));
	EXPECT_EQ(0, queued(self->q.fd));
	munmap(dst, 2 * ps);
}

/* Many user buffers: the long way, with a segment not mapped in yet. */
TEST_F(xfer, writev_and_readv_with_a_segment_not_yet_mapped_in_move_it_whole)
{
	size_t ps = getpagesize();
	char out[XFER_MSGSIZE], *src, *dst;
	struct iovec iov[2];

	if (variant->mode != XFER_RW)
		SKIP(return, "writev() and readv() only");
	src = untouched_file_pages(13, false);
	ASSERT_NE(MAP_FAILED, src);
	pattern(out, sizeof(out), 13);
	iov[0] = (struct iovec){ .iov_base = out, .iov_len = 16 };
	iov[1] = (struct iovec){ .iov_base = src + 16,
				 .iov_len = XFER_MSGSIZE - 16 };
	EXPECT_EQ(XFER_MSGSIZE, writev(self->q.fd, iov, 2));

	dst = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	memset(out, 0, sizeof(out));
	iov[0] = (struct iovec){ .iov_base = out, .iov_len = 16 };
	iov[1] = (struct iovec){ .iov_base = dst + 16,
				 .iov_len = XFER_MSGSIZE - 16 };
	EXPECT_EQ(XFER_MSGSIZE, readv(self->q.fd, iov, 2));
	memcpy(dst, out, 16);
	EXPECT_TRUE(pattern_ok(dst, XFER_MSGSIZE, 13));
	munmap(dst, ps);
	munmap(src, 2 * ps);
}

TEST_F(xfer, receive_into_read_only_page_fails_with_efault_and_keeps_message)
{
	struct kmsgq_msg m;
	char *ro;

	ro = mmap(NULL, getpagesize(), PROT_READ,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, ro[0]);	/* mapped in, read-only */
	m = msg(ro, XFER_MSGSIZE, 0);
	expect_efault_keeps_message(_metadata, self->q.fd, variant->mode, &m, 9);
	munmap(ro, getpagesize());
}

TEST_F(xfer, receive_whose_entry_is_read_only_fails_with_efault_and_keeps_message)
{
	char in[XFER_MSGSIZE];
	struct kmsgq_msg *ro;

	if (variant->mode == XFER_RW)
		SKIP(return, "read() has no message entry to write back");
	ro = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	/* The payload could be written; its length and priority not. */
	*ro = msg(in, sizeof(in), 0);
	ASSERT_EQ(0, mprotect(ro, getpagesize(), PROT_READ));
	expect_efault_keeps_message(_metadata, self->q.fd, variant->mode, ro, 10);
	munmap(ro, getpagesize());
}

/* ==== ioctl_xfer: what only the ioctls can say, one message or many ==== */

/*
 * 32 priority levels spread over 0..KMSGQ_PRIO_MAX - 1, both ends included;
 * mq_compat_test goes through every one of the 32768 under stress.
 */
#define PRIO_LEVELS	32
#define PRIO_ROUNDS	4
#define PRIO_MSGS	(PRIO_ROUNDS * PRIO_LEVELS)
#define PRIO_OF_LEVEL(l) \
	((l) * (KMSGQ_PRIO_MAX - 1) / (PRIO_LEVELS - 1))

FIXTURE(ioctl_xfer) {
	struct qctx q;
};

FIXTURE_VARIANT(ioctl_xfer) {
	__u32 nr;	/* messages per call */
};

FIXTURE_VARIANT_ADD(ioctl_xfer, single) {
	.nr = 1,
};

FIXTURE_VARIANT_ADD(ioctl_xfer, batch) {
	.nr = 16,
};

FIXTURE_SETUP(ioctl_xfer)
{
	qctx_setup(_metadata, &self->q, PRIO_MSGS, XFER_MSGSIZE);
}

FIXTURE_TEARDOWN(ioctl_xfer)
{
	qctx_teardown(&self->q);
}

struct prio_payload {
	__u32 seq;
	__u32 prio;
};

/* Highest priority first, then oldest first. */
static int prio_order(const void *a, const void *b)
{
	const struct prio_payload *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Send @total messages of 8 bytes in calls of @nr; all must fit. */
static int send_all(int fd, struct kmsgq_msg *m, unsigned int total,
		    unsigned int nr)
{
	unsigned int done;
	int ret;

	for (done = 0; done < total; done += ret) {
		ret = xfer_array(fd, KMSGQ_IOC_SEND, &m[done], nr, 0, 0, NULL);
		if (ret != (int)nr)
			return ret < 0 ? ret : -EIO;
	}
	return total;
}

/* Queue the full depth of 8-byte messages at priority 0. */
static int ioctl_fill(int fd, unsigned int nr)
{
	static struct prio_payload p[PRIO_MSGS];
	struct kmsgq_msg m[PRIO_MSGS];
	unsigned int i;

	for (i = 0; i < PRIO_MSGS; i++) {
		p[i].seq = i;
		m[i] = msg(&p[i], sizeof(p[i]), 0);
	}
	return send_all(fd, m, PRIO_MSGS, nr);
}

TEST_F(ioctl_xfer, higher_priority_first_and_fifo_within_priority)
{
	struct prio_payload out[PRIO_MSGS], want[PRIO_MSGS], in[PRIO_MSGS];
	struct kmsgq_msg m[PRIO_MSGS];
	unsigned int r, i, n;
	int ret;

	/* Every round sends each priority once, in a different order. */
	for (r = 0; r < PRIO_ROUNDS; r++) {
		for (i = 0; i < PRIO_LEVELS; i++) {
			n = r * PRIO_LEVELS + i;
			out[n].seq = n;
			out[n].prio = PRIO_OF_LEVEL((i * 7 + r * 5) %
						    PRIO_LEVELS);
			m[n] = msg(&out[n], sizeof(out[n]), out[n].prio);
		}
	}
	ASSERT_EQ(PRIO_MSGS, send_all(self->q.fd, m, PRIO_MSGS, variant->nr));
	memcpy(want, out, sizeof(want));
	qsort(want, PRIO_MSGS, sizeof(want[0]), prio_order);

	memset(in, 0xff, sizeof(in));
	for (n = 0; n < PRIO_MSGS; n++)
		m[n] = msg(&in[n], sizeof(in[n]), ~0U);
	for (n = 0; n < PRIO_MSGS; n += variant->nr) {
		ret = xfer_array(self->q.fd, KMSGQ_IOC_RECV, &m[n],
				 variant->nr, 0, 0, NULL);
		ASSERT_EQ((int)variant->nr, ret) TH_LOG("at message %u", n);
	}
	for (n = 0; n < PRIO_MSGS; n++)
		if (m[n].len != sizeof(in[n]) || m[n].prio != want[n].prio ||
		    in[n].prio != want[n].prio || in[n].seq != want[n].seq)
			break;
	EXPECT_EQ(PRIO_MSGS, n)
		TH_LOG("message %u: seq %u sent at priority %u, received at %u; want seq %u priority %u",
		       n, in[n].seq, in[n].prio, m[n].prio, want[n].seq,
		       want[n].prio);
}

TEST_F(ioctl_xfer, priority_of_prio_max_or_more_is_rejected_with_einval)
{
	static const __u32 bad[] = { KMSGQ_PRIO_MAX, KMSGQ_PRIO_MAX + 1,
				     0xffffffff };
	struct kmsgq_msg m[16];
	char out[8] = "too high";
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (j = 0; j < variant->nr; j++)
			m[j] = msg(out, sizeof(out), bad[i]);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_SEND, m,
					      variant->nr, 0, 0, NULL))
			TH_LOG("priority %u", bad[i]);
	}
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(ioctl_xfer, short_first_buffer_reports_needed_length)
{
	char out[100], in[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i;

	pattern(out, sizeof(out), 9);
	ASSERT_EQ(1, send_one(self->q.fd, out, sizeof(out), 0));

	for (i = 0; i < variant->nr; i++)
		m[i] = msg(in[i], sizeof(in[i]), 0);
	m[0].len = 10;
	EXPECT_EQ(-EMSGSIZE, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
					variant->nr, 0, 0, NULL));
	EXPECT_EQ(sizeof(out), m[0].len);
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(ioctl_xfer, per_call_nonblock_receive_on_empty_queue_fails_with_eagain)
{
	char in[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i;

	for (i = 0; i < variant->nr; i++)
		m[i] = msg(in[i], sizeof(in[i]), 0);
	EXPECT_EQ(-EAGAIN, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
				      variant->nr, KMSGQ_XFER_NONBLOCK, 0,
				      NULL));
}

TEST_F(ioctl_xfer, per_call_nonblock_send_on_full_queue_fails_with_eagain)
{
	char out[8] = "overflow";
	struct kmsgq_msg m[16];
	unsigned int i;

	ASSERT_EQ(PRIO_MSGS, ioctl_fill(self->q.fd, variant->nr));
	for (i = 0; i < variant->nr; i++)
		m[i] = msg(out, sizeof(out), 0);
	EXPECT_EQ(-EAGAIN, xfer_array(self->q.fd, KMSGQ_IOC_SEND, m,
				      variant->nr, KMSGQ_XFER_NONBLOCK, 0,
				      NULL));
	EXPECT_EQ(PRIO_MSGS, queued(self->q.fd));
}

/*
 * The invalid-argument tests below add KMSGQ_XFER_NONBLOCK where the call
 * would otherwise sleep, so that a module which wrongly accepts the
 * arguments answers EAGAIN instead of hanging the test.
 */
TEST_F(ioctl_xfer, unknown_flag_bit_is_rejected_with_einval)
{
	char buf[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i, bit;

	for (bit = 3; bit < 32; bit++) {
		for (i = 0; i < variant->nr; i++)
			m[i] = msg(buf[i], 8, 0);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_SEND, m,
					      variant->nr,
					      KMSGQ_XFER_NONBLOCK | 1U << bit,
					      0, NULL))
			TH_LOG("send, flag bit %u", bit);
		/*
		 * A peek at one message is a receive flag (peek_test), and
		 * so are SENDER, whose entries are larger (sender_test), and
		 * LOST (fanout_test).
		 */
		if ((1U << bit == KMSGQ_XFER_PEEK && variant->nr == 1) ||
		    1U << bit == KMSGQ_XFER_SENDER ||
		    1U << bit == KMSGQ_XFER_LOST)
			continue;
		for (i = 0; i < variant->nr; i++)
			m[i] = msg(buf[i], sizeof(buf[i]), 0);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
					      variant->nr,
					      KMSGQ_XFER_NONBLOCK | 1U << bit,
					      0, NULL))
			TH_LOG("receive, flag bit %u", bit);
	}
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(ioctl_xfer, relative_without_timeout_is_rejected_with_einval)
{
	struct kmsgq_timespec ts = { .tv_sec = 1 };
	char buf[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i;

	for (i = 0; i < variant->nr; i++)
		m[i] = msg(buf[i], 8, 0);
	EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_SEND, m,
				      variant->nr, KMSGQ_XFER_RELATIVE,
				      CLOCK_MONOTONIC, &ts));
	for (i = 0; i < variant->nr; i++)
		m[i] = msg(buf[i], sizeof(buf[i]), 0);
	EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
				      variant->nr,
				      KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_RELATIVE,
				      CLOCK_MONOTONIC, &ts));
	EXPECT_EQ(0, queued(self->q.fd));
}

static const __s32 unknown_clocks[] = {
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
	CLOCK_BOOTTIME, CLOCK_TAI, -1, 1000,
};

TEST_F(ioctl_xfer, unknown_clock_is_rejected_with_einval)
{
	/* Already past on any clock: a wrong acceptance cannot hang. */
	struct kmsgq_timespec past = { .tv_sec = 0, .tv_nsec = 0 };
	char buf[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i, c;

	for (c = 0; c < ARRAY_SIZE(unknown_clocks); c++) {
		for (i = 0; i < variant->nr; i++)
			m[i] = msg(buf[i], sizeof(buf[i]), 0);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
					      variant->nr, KMSGQ_XFER_TIMEOUT,
					      unknown_clocks[c], &past))
			TH_LOG("clock %d", unknown_clocks[c]);
	}
}

TEST_F(ioctl_xfer, unknown_clock_is_rejected_even_when_no_sleep_is_needed)
{
	struct kmsgq_timespec past = { .tv_sec = 0, .tv_nsec = 0 };
	char buf[16][XFER_MSGSIZE];
	struct kmsgq_msg m[16];
	unsigned int i, c;

	ASSERT_EQ(1, send_one(self->q.fd, "waiting", 8, 0));
	for (c = 0; c < ARRAY_SIZE(unknown_clocks); c++) {
		for (i = 0; i < variant->nr; i++)
			m[i] = msg(buf[i], 8, 0);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_SEND, m,
					      variant->nr, KMSGQ_XFER_TIMEOUT,
					      unknown_clocks[c], &past))
			TH_LOG("send, clock %d", unknown_clocks[c]);
		for (i = 0; i < variant->nr; i++)
			m[i] = msg(buf[i], sizeof(buf[i]), 0);
		EXPECT_EQ(-EINVAL, xfer_array(self->q.fd, KMSGQ_IOC_RECV, m,
					      variant->nr, KMSGQ_XFER_TIMEOUT,
					      unknown_clocks[c], &past))
			TH_LOG("receive, clock %d", unknown_clocks[c]);
	}
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(ioctl_xfer, bad_message_array_on_send_fails_with_efault)
{
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, xfer_array(self->q.fd, KMSGQ_IOC_SEND, bad,
				      variant->nr, 0, 0, NULL));
	EXPECT_EQ(0, queued(self->q.fd));
	munmap(bad, getpagesize());
}

TEST_F(ioctl_xfer, bad_message_array_on_receive_fails_with_efault)
{
	char in[XFER_MSGSIZE];
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(1, send_one(self->q.fd, "kept", 5, 0));

	EXPECT_EQ(-EFAULT, xfer_array(self->q.fd, KMSGQ_IOC_RECV, bad,
				      variant->nr, 0, 0, NULL));
	EXPECT_EQ(1, queued(self->q.fd));
	EXPECT_EQ(5, recv_one(self->q.fd, in, sizeof(in), 0));
	EXPECT_STREQ("kept", in);
	munmap(bad, getpagesize());
}

/* ==== batch: many messages per call, on a blocking or non-blocking call ==== */

#define BATCH_DEPTH	40
#define BATCH_MSGSIZE	64
#define BATCH_MANY	(KMSGQ_BATCH_MAX + 1)

FIXTURE(batch) {
	struct qctx q;
	struct kmsgq_msg m[BATCH_MANY];
	__u32 seq[BATCH_MANY];
	char buf[BATCH_MANY][BATCH_MSGSIZE];
};

FIXTURE_VARIANT(batch) {
	__u32 flags;
};

FIXTURE_VARIANT_ADD(batch, blocking) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(batch, nonblocking) {
	.flags = KMSGQ_XFER_NONBLOCK,
};

FIXTURE_SETUP(batch)
{
	qctx_setup(_metadata, &self->q, BATCH_DEPTH, BATCH_MSGSIZE);
}

FIXTURE_TEARDOWN(batch)
{
	qctx_teardown(&self->q);
}

/* Point m[0..nr) at 4-byte sequence numbers 0..nr-1. */
static void batch_out(FIXTURE_DATA(batch) *self, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		self->seq[i] = i;
		self->m[i] = msg(&self->seq[i], sizeof(self->seq[i]), 0);
	}
}

/* Point m[0..nr) at empty buffers of BATCH_MSGSIZE bytes. */
static void batch_in(FIXTURE_DATA(batch) *self, unsigned int nr)
{
	unsigned int i;

	memset(self->buf, 0, sizeof(self->buf));
	for (i = 0; i < nr; i++)
		self->m[i] = msg(self->buf[i], BATCH_MSGSIZE, ~0U);
}

static int batch_send(FIXTURE_DATA(batch) *self,
		      const FIXTURE_VARIANT(batch) *variant,
		      struct kmsgq_msg *m, unsigned int nr)
{
	return xfer_array(self->q.fd, KMSGQ_IOC_SEND, m, nr, variant->flags,
			  0, NULL);
}

static int batch_recv(FIXTURE_DATA(batch) *self,
		      const FIXTURE_VARIANT(batch) *variant,
		      struct kmsgq_msg *m, unsigned int nr)
{
	return xfer_array(self->q.fd, KMSGQ_IOC_RECV, m, nr, variant->flags,
			  0, NULL);
}

/* The sequence number in received buffer @i. */
static __u32 batch_seq(FIXTURE_DATA(batch) *self, unsigned int i)
{
	__u32 seq;

	memcpy(&seq, self->buf[i], sizeof(seq));
	return seq;
}

TEST_F(batch, send_batch_larger_than_free_space_queues_what_fits)
{
	batch_out(self, 64);
	EXPECT_EQ(BATCH_DEPTH, batch_send(self, variant, self->m, 64));
	EXPECT_EQ(BATCH_DEPTH, queued(self->q.fd));
}

TEST_F(batch, receive_batch_larger_than_queue_takes_all_waiting_in_order)
{
	unsigned int i;

	batch_out(self, BATCH_DEPTH);
	ASSERT_EQ(BATCH_DEPTH, batch_send(self, variant, self->m,
					  BATCH_DEPTH));

	batch_in(self, 100);
	EXPECT_EQ(BATCH_DEPTH, batch_recv(self, variant, self->m, 100));
	for (i = 0; i < BATCH_DEPTH; i++) {
		EXPECT_EQ(sizeof(__u32), self->m[i].len);
		EXPECT_EQ(0U, self->m[i].prio);
		EXPECT_EQ(i, batch_seq(self, i));
	}
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(batch, batch_of_max_size_is_accepted)
{
	batch_out(self, KMSGQ_BATCH_MAX);
	EXPECT_EQ(BATCH_DEPTH, batch_send(self, variant, self->m,
					  KMSGQ_BATCH_MAX));
	batch_in(self, KMSGQ_BATCH_MAX);
	EXPECT_EQ(BATCH_DEPTH, batch_recv(self, variant, self->m,
					  KMSGQ_BATCH_MAX));
}

/* With a message waiting, so that a receive wrongly accepted cannot sleep. */
TEST_F(batch, batch_of_zero_messages_is_rejected_with_einval)
{
	batch_out(self, 1);
	ASSERT_EQ(1, batch_send(self, variant, self->m, 1));

	EXPECT_EQ(-EINVAL, batch_send(self, variant, self->m, 0));
	batch_in(self, 1);
	EXPECT_EQ(-EINVAL, batch_recv(self, variant, self->m, 0));
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(batch, batch_above_max_size_is_rejected_with_einval)
{
	batch_out(self, 1);
	ASSERT_EQ(1, batch_send(self, variant, self->m, 1));

	batch_out(self, BATCH_MANY);
	EXPECT_EQ(-EINVAL, batch_send(self, variant, self->m, BATCH_MANY));
	batch_in(self, BATCH_MANY);
	EXPECT_EQ(-EINVAL, batch_recv(self, variant, self->m, BATCH_MANY));
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(batch, send_batch_stops_before_oversized_message)
{
	batch_out(self, 5);
	self->m[2].len = BATCH_MSGSIZE + 1;
	self->m[2].buf = (uintptr_t)self->buf[2];

	EXPECT_EQ(2, batch_send(self, variant, self->m, 5));
	EXPECT_EQ(-EMSGSIZE, batch_send(self, variant, &self->m[2], 3));
	EXPECT_EQ(2, queued(self->q.fd));
}

TEST_F(batch, send_batch_stops_before_invalid_priority)
{
	batch_out(self, 5);
	self->m[2].prio = KMSGQ_PRIO_MAX;

	EXPECT_EQ(2, batch_send(self, variant, self->m, 5));
	EXPECT_EQ(-EINVAL, batch_send(self, variant, &self->m[2], 3));
	EXPECT_EQ(2, queued(self->q.fd));
}

TEST_F(batch, send_batch_stops_before_bad_buffer)
{
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);
	batch_out(self, 5);
	self->m[2].buf = (uintptr_t)bad;

	EXPECT_EQ(2, batch_send(self, variant, self->m, 5));
	EXPECT_EQ(-EFAULT, batch_send(self, variant, &self->m[2], 3));
	EXPECT_EQ(2, queued(self->q.fd));
	munmap(bad, getpagesize());
}

TEST_F(batch, receive_batch_stops_before_short_buffer_and_keeps_message)
{
	static const __u32 lens[] = { 10, 30, 10 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		pattern(self->buf[i], lens[i], i);
		self->m[i] = msg(self->buf[i], lens[i], 0);
	}
	ASSERT_EQ(3, batch_send(self, variant, self->m, 3));

	batch_in(self, 3);
	self->m[1].len = lens[1] - 1;
	EXPECT_EQ(1, batch_recv(self, variant, self->m, 3));
	EXPECT_EQ(lens[0], self->m[0].len);
	EXPECT_TRUE(pattern_ok(self->buf[0], lens[0], 0));
	EXPECT_EQ(2, queued(self->q.fd));

	batch_in(self, 2);
	EXPECT_EQ(2, batch_recv(self, variant, self->m, 2));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(lens[i + 1], self->m[i].len);
		EXPECT_TRUE(pattern_ok(self->buf[i], lens[i + 1], i + 1));
	}
}

TEST_F(batch, receive_batch_stops_before_bad_buffer_and_keeps_message)
{
	unsigned int i;
	void *bad;

	bad = fault_page();
	ASSERT_NE(MAP_FAILED, bad);
	batch_out(self, 3);
	ASSERT_EQ(3, batch_send(self, variant, self->m, 3));

	batch_in(self, 3);
	self->m[1].buf = (uintptr_t)bad;
	EXPECT_EQ(1, batch_recv(self, variant, self->m, 3));
	EXPECT_EQ(0U, batch_seq(self, 0));
	EXPECT_EQ(2, queued(self->q.fd));

	/* The message whose copy faulted went back to the head of the line. */
	batch_in(self, 2);
	EXPECT_EQ(2, batch_recv(self, variant, self->m, 2));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(i + 1, batch_seq(self, i));
	munmap(bad, getpagesize());
}

/* ==== timeout: deadlines on either clock ==== */

#define TIMEOUT_MSGSIZE	64

FIXTURE(timeout) {
	struct qctx q;
};

FIXTURE_VARIANT(timeout) {
	clockid_t clock;
};

FIXTURE_VARIANT_ADD(timeout, monotonic) {
	.clock = CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(timeout, realtime) {
	.clock = CLOCK_REALTIME,
};

FIXTURE_SETUP(timeout)
{
	/* One slot: one message makes the queue full. */
	qctx_setup(_metadata, &self->q, 1, TIMEOUT_MSGSIZE);
}

FIXTURE_TEARDOWN(timeout)
{
	qctx_teardown(&self->q);
}

static const struct kmsgq_timespec bad_timespecs[] = {
	{ .tv_sec = 0, .tv_nsec = NSEC_PER_SEC },
	{ .tv_sec = 0, .tv_nsec = -1 },
	{ .tv_sec = -1, .tv_nsec = 0 },
};

/* A timed call on @cmd with deadline @ts, one message of @len at @buf. */
static int timed_xfer(int fd, unsigned long cmd, void *buf, __u32 len,
		      __u32 flags, clockid_t clock,
		      const struct kmsgq_timespec *ts)
{
	struct kmsgq_msg m = msg(buf, len, 0);

	return xfer_array(fd, cmd, &m, 1, KMSGQ_XFER_TIMEOUT | flags, clock,
			  ts);
}

TEST_F(timeout, receive_on_empty_queue_times_out_no_earlier_than_deadline)
{
	char in[TIMEOUT_MSGSIZE];
	struct kmsgq_timespec ts;
	__s64 deadline, after;
	int ret;

	deadline = now_ns(variant->clock) + TIMEOUT_NS;
	ts = kts(deadline);
	ret = timed_xfer(self->q.fd, KMSGQ_IOC_RECV, in, sizeof(in), 0,
			 variant->clock, &ts);
	after = now_ns(variant->clock);
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(deadline, after)
		TH_LOG("returned %lld ns before the deadline",
		       (long long)(deadline - after));
}

TEST_F(timeout, send_on_full_queue_times_out_no_earlier_than_deadline)
{
	struct kmsgq_timespec ts;
	char out[8] = "full";
	__s64 deadline, after;
	int ret;

	ASSERT_EQ(1, send_one(self->q.fd, out, sizeof(out), 0));

	deadline = now_ns(variant->clock) + TIMEOUT_NS;
	ts = kts(deadline);
	ret = timed_xfer(self->q.fd, KMSGQ_IOC_SEND, out, sizeof(out), 0,
			 variant->clock, &ts);
	after = now_ns(variant->clock);
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(deadline, after)
		TH_LOG("returned %lld ns before the deadline",
		       (long long)(deadline - after));
	EXPECT_EQ(1, queued(self->q.fd));
}

/* An interval is measured on CLOCK_MONOTONIC, whatever clock was named. */
TEST_F(timeout, relative_receive_timeout_expires_no_earlier_than_interval)
{
	struct kmsgq_timespec ts = kts(TIMEOUT_NS);
	char in[TIMEOUT_MSGSIZE];
	__s64 start, elapsed;
	int ret;

	start = now_ns(CLOCK_MONOTONIC);
	ret = timed_xfer(self->q.fd, KMSGQ_IOC_RECV, in, sizeof(in),
			 KMSGQ_XFER_RELATIVE, variant->clock, &ts);
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(TIMEOUT_NS, elapsed);
}

TEST_F(timeout, relative_send_timeout_expires_no_earlier_than_interval)
{
	struct kmsgq_timespec ts = kts(TIMEOUT_NS);
	char out[8] = "full";
	__s64 start, elapsed;
	int ret;

	ASSERT_EQ(1, send_one(self->q.fd, out, sizeof(out), 0));

	start = now_ns(CLOCK_MONOTONIC);
	ret = timed_xfer(self->q.fd, KMSGQ_IOC_SEND, out, sizeof(out),
			 KMSGQ_XFER_RELATIVE, variant->clock, &ts);
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(TIMEOUT_NS, elapsed);
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(timeout, waiting_message_is_received_despite_past_deadline)
{
	struct kmsgq_timespec past = { .tv_sec = 0, .tv_nsec = 0 };
	char in[TIMEOUT_MSGSIZE];
	struct kmsgq_msg m;

	ASSERT_EQ(1, send_one(self->q.fd, "here", 5, 0));
	m = msg(in, sizeof(in), 0);
	EXPECT_EQ(1, xfer_array(self->q.fd, KMSGQ_IOC_RECV, &m, 1,
				KMSGQ_XFER_TIMEOUT, variant->clock, &past));
	EXPECT_EQ(5U, m.len);
	EXPECT_STREQ("here", in);
}

TEST_F(timeout, free_slot_is_filled_despite_past_deadline)
{
	struct kmsgq_timespec past = { .tv_sec = 0, .tv_nsec = 0 };

	EXPECT_EQ(1, timed_xfer(self->q.fd, KMSGQ_IOC_SEND, "room", 5, 0,
				variant->clock, &past));
	EXPECT_EQ(1, queued(self->q.fd));
}

/* Every bad timespec lies in the past, so a wrong acceptance cannot hang. */
TEST_F(timeout, invalid_timespec_is_rejected_with_einval)
{
	char in[TIMEOUT_MSGSIZE];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_timespecs); i++)
		EXPECT_EQ(-EINVAL, timed_xfer(self->q.fd, KMSGQ_IOC_RECV, in,
					      sizeof(in), 0, variant->clock,
					      &bad_timespecs[i]))
			TH_LOG("{ %lld, %lld }",
			       (long long)bad_timespecs[i].tv_sec,
			       (long long)bad_timespecs[i].tv_nsec);
}

TEST_F(timeout, invalid_relative_timespec_is_rejected_with_einval)
{
	char in[TIMEOUT_MSGSIZE];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_timespecs); i++)
		EXPECT_EQ(-EINVAL, timed_xfer(self->q.fd, KMSGQ_IOC_RECV, in,
					      sizeof(in),
					      KMSGQ_XFER_RELATIVE |
					      KMSGQ_XFER_NONBLOCK,
					      variant->clock,
					      &bad_timespecs[i]))
			TH_LOG("{ %lld, %lld }",
			       (long long)bad_timespecs[i].tv_sec,
			       (long long)bad_timespecs[i].tv_nsec);
}

TEST_F(timeout, invalid_timespec_is_rejected_even_when_a_message_waits)
{
	char in[TIMEOUT_MSGSIZE];
	unsigned int i;

	ASSERT_EQ(1, send_one(self->q.fd, "here", 5, 0));
	for (i = 0; i < ARRAY_SIZE(bad_timespecs); i++)
		EXPECT_EQ(-EINVAL, timed_xfer(self->q.fd, KMSGQ_IOC_RECV, in,
					      sizeof(in), 0, variant->clock,
					      &bad_timespecs[i]))
			TH_LOG("{ %lld, %lld }",
			       (long long)bad_timespecs[i].tv_sec,
			       (long long)bad_timespecs[i].tv_nsec);
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(timeout, invalid_timespec_is_rejected_even_when_a_slot_is_free)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_timespecs); i++)
		EXPECT_EQ(-EINVAL, timed_xfer(self->q.fd, KMSGQ_IOC_SEND,
					      "room", 5, 0, variant->clock,
					      &bad_timespecs[i]))
			TH_LOG("{ %lld, %lld }",
			       (long long)bad_timespecs[i].tv_sec,
			       (long long)bad_timespecs[i].tv_nsec);
	EXPECT_EQ(0, queued(self->q.fd));
}

/* ==== wakeup: who a send or a receive wakes ==== */

#define WAKE_DEPTH	4
#define WAKE_MSGSIZE	64

FIXTURE(wakeup) {
	struct qctx q;
};

FIXTURE_SETUP(wakeup)
{
	qctx_setup(_metadata, &self->q, WAKE_DEPTH, WAKE_MSGSIZE);
}

FIXTURE_TEARDOWN(wakeup)
{
	qctx_teardown(&self->q);
}

/* In a child: receive up to @nr messages in one blocking call, report. */
static void __noreturn
child_receive(struct qctx *q, unsigned int nr)
{
	char in[8][WAKE_MSGSIZE];
	struct kmsgq_msg m[8];
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++)
		m[i] = msg(in[i], sizeof(in[i]), 0);
	child_ready(&q->p);
	ret = xfer_array(q->fd, KMSGQ_IOC_RECV, m, nr, 0, 0, NULL);
	child_report(q, ret, &m[0]);
}

/* In a child: send @nr copies of @text in one blocking call, report. */
static void __noreturn
child_send(struct qctx *q, const char *text, unsigned int nr)
{
	struct kmsgq_msg m[8];
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++)
		m[i] = msg(text, strlen(text) + 1, 0);
	child_ready(&q->p);
	ret = xfer_array(q->fd, KMSGQ_IOC_SEND, m, nr, 0, 0, NULL);
	child_report(q, ret, &m[0]);
}

/*
 * Index of the first of @pid (other than @skip) that is no longer asleep
 * or has gone to sleep again since @nvcsw was read, looking repeatedly for
 * STILL_ASLEEP_TRIES ms; -1 if all stayed asleep.  A task woken in vain
 * shows as running, or, once it has slept again, by a new voluntary
 * context switch.
 */
static int woken_in_vain(const pid_t *pid, const long *nvcsw, int skip)
{
	int try, i;

	for (try = 0; try < STILL_ASLEEP_TRIES; try++) {
		for (i = 0; i < NR_WAITERS; i++) {
			if (i == skip)
				continue;
			if (task_state(pid[i]) != 'S' ||
			    task_nvcsw(pid[i]) != nvcsw[i])
				return i;
		}
		usleep(1000);
	}
	return -1;
}

static int index_of(const pid_t *pid, pid_t which)
{
	int i;

	for (i = 0; i < NR_WAITERS; i++)
		if (pid[i] == which)
			return i;
	return -1;
}

TEST_F(wakeup, one_send_wakes_exactly_one_of_four_blocked_receivers)
{
	static const char *const text[NR_WAITERS] = { "m0", "m1", "m2", "m3" };
	unsigned int got[NR_WAITERS] = { 0 };
	long nvcsw[NR_WAITERS];
	pid_t pid[NR_WAITERS];
	struct report rep;
	int i, j, first;

	for (i = 0; i < NR_WAITERS; i++) {
		pid[i] = kids_fork(&self->q.kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			child_receive(&self->q, 1);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, pid, NR_WAITERS));
	for (i = 0; i < NR_WAITERS; i++) {
		nvcsw[i] = task_nvcsw(pid[i]);
		ASSERT_LE(0, nvcsw[i]);
	}

	ASSERT_EQ(1, send_one(self->q.fd, text[0], 3, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	first = index_of(pid, rep.pid);
	ASSERT_LE(0, first);
	EXPECT_EQ(1, rep.ret);
	EXPECT_STREQ(text[0], rep.data);
	got[0]++;

	i = woken_in_vain(pid, nvcsw, first);
	EXPECT_EQ(-1, i) TH_LOG("receiver %d was woken too: state %c, %ld -> %ld voluntary switches",
				i, task_state(pid[i]), nvcsw[i],
				task_nvcsw(pid[i]));
	EXPECT_FALSE(report_pending(&self->q.p));

	for (i = 1; i < NR_WAITERS; i++)
		ASSERT_EQ(1, send_one(self->q.fd, text[i], 3, 0));
	for (i = 1; i < NR_WAITERS; i++) {
		ASSERT_TRUE(read_report(&self->q, &rep));
		EXPECT_EQ(1, rep.ret);
		for (j = 0; j < NR_WAITERS; j++)
			if (!strcmp(rep.data, text[j]))
				got[j]++;
	}
	for (i = 0; i < NR_WAITERS; i++) {
		EXPECT_EQ(1U, got[i]) TH_LOG("%s", text[i]);
		EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid[i])));
	}
}

TEST_F(wakeup, one_receive_wakes_exactly_one_of_four_blocked_senders)
{
	static const char *const text[NR_WAITERS] = { "s0", "s1", "s2", "s3" };
	unsigned int got[NR_WAITERS] = { 0 };
	char in[WAKE_MSGSIZE];
	long nvcsw[NR_WAITERS];
	pid_t pid[NR_WAITERS];
	struct report rep;
	int i, j, first;

	for (i = 0; i < WAKE_DEPTH; i++)
		ASSERT_EQ(1, send_one(self->q.fd, "fill", 5, 0));
	for (i = 0; i < NR_WAITERS; i++) {
		pid[i] = kids_fork(&self->q.kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			child_send(&self->q, text[i], 1);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, pid, NR_WAITERS));
	for (i = 0; i < NR_WAITERS; i++) {
		nvcsw[i] = task_nvcsw(pid[i]);
		ASSERT_LE(0, nvcsw[i]);
	}

	ASSERT_EQ(5, recv_one(self->q.fd, in, sizeof(in), 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	first = index_of(pid, rep.pid);
	ASSERT_LE(0, first);
	EXPECT_EQ(1, rep.ret);

	i = woken_in_vain(pid, nvcsw, first);
	EXPECT_EQ(-1, i) TH_LOG("sender %d was woken too: state %c, %ld -> %ld voluntary switches",
				i, task_state(pid[i]), nvcsw[i],
				task_nvcsw(pid[i]));
	EXPECT_FALSE(report_pending(&self->q.p));

	/* Three more fillers, then the four senders' messages. */
	for (i = 1; i < WAKE_DEPTH; i++) {
		ASSERT_EQ(5, recv_one(self->q.fd, in, sizeof(in), 0));
		EXPECT_STREQ("fill", in);
	}
	for (i = 0; i < NR_WAITERS; i++) {
		ASSERT_EQ(3, recv_one(self->q.fd, in, sizeof(in), 0));
		for (j = 0; j < NR_WAITERS; j++)
			if (!strcmp(in, text[j]))
				got[j]++;
	}
	for (i = 1; i < NR_WAITERS; i++) {
		ASSERT_TRUE(read_report(&self->q, &rep));
		EXPECT_EQ(1, rep.ret);
	}
	for (i = 0; i < NR_WAITERS; i++) {
		EXPECT_EQ(1U, got[i]) TH_LOG("%s", text[i]);
		EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid[i])));
	}
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(wakeup, blocking_receive_batch_returns_once_one_message_arrives)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_receive(&self->q, 8);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));

	ASSERT_EQ(1, send_one(self->q.fd, "one", 4, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_STREQ("one", rep.data);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
}

TEST_F(wakeup, blocking_send_batch_returns_once_one_message_fits)
{
	char in[WAKE_MSGSIZE];
	struct report rep;
	pid_t pid;
	int i;

	for (i = 0; i < WAKE_DEPTH; i++)
		ASSERT_EQ(1, send_one(self->q.fd, "fill", 5, 0));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_send(&self->q, "batch", 8);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));

	ASSERT_EQ(5, recv_one(self->q.fd, in, sizeof(in), 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
	EXPECT_EQ(WAKE_DEPTH, queued(self->q.fd));
}

/* ==== signal: a signal while blocked ==== */

FIXTURE(signal) {
	struct qctx q;
};

FIXTURE_SETUP(signal)
{
	qctx_setup(_metadata, &self->q, WAKE_DEPTH, WAKE_MSGSIZE);
}

FIXTURE_TEARDOWN(signal)
{
	qctx_teardown(&self->q);
}

static int signal_note_fd = -1;

static void signal_note(int sig)
{
	char c = (char)sig;
	ssize_t n;

	n = write(signal_note_fd, &c, 1);
	(void)n;
}

/* In a child: catch SIGUSR1 with @sa_flags, then one blocking call. */
static void __noreturn
child_signalled_xfer(struct qctx *q, unsigned long cmd, int sa_flags,
		     __u32 flags, clockid_t clock,
		     const struct kmsgq_timespec *ts)
{
	struct sigaction sa = { .sa_handler = signal_note,
				.sa_flags = sa_flags };
	char buf[WAKE_MSGSIZE] = "blocked";
	struct kmsgq_msg m;
	int ret;

	signal_note_fd = q->p.note[1];
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(3);
	m = msg(buf, cmd == KMSGQ_IOC_SEND ? 8 : sizeof(buf), 0);
	child_ready(&q->p);
	ret = xfer_array(q->fd, cmd, &m, 1, flags, clock, ts);
	child_report(q, ret, &m);
}

/*
 * Wait until @pid sleeps, signal it and wait for its handler to have run.
 * The call's fate (EINTR or restart) is decided by then.
 */
static bool signal_blocked_child(struct qctx *q, pid_t pid)
{
	char c;

	if (!wait_until_blocked(&q->p, &pid, 1))
		return false;
	if (kill(pid, SIGUSR1))
		return false;
	return read_all(q->p.note[0], &c, 1);
}

/*
 * After the signal, a message is sent anyway: a call that restarts when it
 * should not takes it (and fails the test) rather than hanging it.
 */
TEST_F(signal, without_sa_restart_interrupts_receive_with_eintr)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_signalled_xfer(&self->q, KMSGQ_IOC_RECV, 0, 0, 0, NULL);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(signal_blocked_child(&self->q, pid));

	ASSERT_EQ(1, send_one(self->q.fd, "late", 5, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(-EINTR, rep.ret);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(signal, without_sa_restart_interrupts_send_with_eintr)
{
	char in[WAKE_MSGSIZE];
	struct report rep;
	pid_t pid;
	int i;

	for (i = 0; i < WAKE_DEPTH; i++)
		ASSERT_EQ(1, send_one(self->q.fd, "fill", 5, 0));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_signalled_xfer(&self->q, KMSGQ_IOC_SEND, 0, 0, 0, NULL);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(signal_blocked_child(&self->q, pid));

	ASSERT_EQ(5, recv_one(self->q.fd, in, sizeof(in), 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(-EINTR, rep.ret);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
	EXPECT_EQ(WAKE_DEPTH - 1, queued(self->q.fd));
}

TEST_F(signal, with_sa_restart_restarts_receive_transparently)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_signalled_xfer(&self->q, KMSGQ_IOC_RECV, SA_RESTART, 0, 0,
				     NULL);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(signal_blocked_child(&self->q, pid));

	ASSERT_EQ(1, send_one(self->q.fd, "after", 6, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_STREQ("after", rep.data);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(signal, with_sa_restart_restarts_receive_with_absolute_deadline)
{
	struct kmsgq_timespec ts;
	struct report rep;
	pid_t pid;

	/* Far enough that only a restart, not the deadline, can end the call. */
	ts = kts(now_ns(CLOCK_MONOTONIC) + 600 * NSEC_PER_SEC);
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_signalled_xfer(&self->q, KMSGQ_IOC_RECV, SA_RESTART,
				     KMSGQ_XFER_TIMEOUT, CLOCK_MONOTONIC, &ts);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(signal_blocked_child(&self->q, pid));

	ASSERT_EQ(1, send_one(self->q.fd, "after", 6, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_STREQ("after", rep.data);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
}

TEST_F(signal, with_sa_restart_still_interrupts_relative_timeout_with_eintr)
{
	struct kmsgq_timespec ts = { .tv_sec = 600 };
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid)
		child_signalled_xfer(&self->q, KMSGQ_IOC_RECV, SA_RESTART,
				     KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE,
				     CLOCK_MONOTONIC, &ts);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(signal_blocked_child(&self->q, pid));

	ASSERT_EQ(1, send_one(self->q.fd, "late", 5, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(-EINTR, rep.ret);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
	EXPECT_EQ(1, queued(self->q.fd));
}

/* ==== poll: readiness through poll(), epoll and select() ==== */

#define POLL_DEPTH	2

FIXTURE(poll) {
	struct qctx q;
};

FIXTURE_SETUP(poll)
{
	qctx_setup(_metadata, &self->q, POLL_DEPTH, WAKE_MSGSIZE);
}

FIXTURE_TEARDOWN(poll)
{
	qctx_teardown(&self->q);
}

/* The events poll() reports for @fd at once, or -errno. */
static int poll_events(int fd)
{
	struct pollfd pfd = {
		.fd = fd,
		.events = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
	};
	int ret;

	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return -errno;
	return ret ? pfd.revents : 0;
}

TEST_F(poll, empty_queue_is_not_readable)
{
	EXPECT_EQ(0, poll_events(self->q.fd) & (POLLIN | POLLRDNORM));
}

TEST_F(poll, queue_with_a_message_is_readable)
{
	ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM,
		  poll_events(self->q.fd) & (POLLIN | POLLRDNORM));
}

TEST_F(poll, queue_with_room_is_writable)
{
	ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	EXPECT_EQ(POLLOUT | POLLWRNORM,
		  poll_events(self->q.fd) & (POLLOUT | POLLWRNORM));
}

TEST_F(poll, full_queue_is_not_writable)
{
	int i;

	for (i = 0; i < POLL_DEPTH; i++)
		ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	EXPECT_EQ(0, poll_events(self->q.fd) & (POLLOUT | POLLWRNORM));
}

TEST_F(poll, full_queue_is_writable_again_after_a_receive)
{
	char in[WAKE_MSGSIZE];
	int i;

	for (i = 0; i < POLL_DEPTH; i++)
		ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	ASSERT_EQ(0, poll_events(self->q.fd) & POLLOUT);

	ASSERT_EQ(4, recv_one(self->q.fd, in, sizeof(in), 0));
	EXPECT_EQ(POLLOUT | POLLWRNORM,
		  poll_events(self->q.fd) & (POLLOUT | POLLWRNORM));
}

TEST_F(poll, epoll_wait_is_woken_by_send_from_another_process)
{
	struct report rep;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		struct epoll_event ev = { .events = EPOLLIN };
		int ep, ret;

		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, self->q.fd, &ev))
			_exit(3);
		child_ready(&self->q.p);
		ret = epoll_wait(ep, &ev, 1, -1);
		if (ret < 0)
			ret = -errno;
		else
			ev.events &= EPOLLIN;
		child_report(&self->q, ret,
			     &(struct kmsgq_msg){ .len = ev.events });
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));

	ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(1, rep.ret);
	EXPECT_EQ((__u32)EPOLLIN, rep.len);
	EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid)));
}

TEST_F(poll, one_send_wakes_every_poller)
{
	struct report rep;
	pid_t pid[2];
	int i;

	for (i = 0; i < 2; i++) {
		pid[i] = kids_fork(&self->q.kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			struct pollfd pfd = { .fd = self->q.fd,
					      .events = POLLIN };
			int ret;

			child_ready(&self->q.p);
			ret = poll(&pfd, 1, -1);
			child_report(&self->q, ret < 0 ? -errno : ret,
				     &(struct kmsgq_msg){ .len = pfd.revents });
		}
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, pid, 2));

	ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(read_report(&self->q, &rep));
		EXPECT_EQ(1, rep.ret);
		EXPECT_EQ((__u32)POLLIN, rep.len);
	}
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(exited_ok(kids_reap(&self->q.kids, pid[i])));
	EXPECT_EQ(1, queued(self->q.fd));
}

TEST_F(poll, select_reports_queue_readable_only_after_send)
{
	struct timeval zero = { 0 };
	fd_set rfds;

	FD_ZERO(&rfds);
	FD_SET(self->q.fd, &rfds);
	EXPECT_EQ(0, select(self->q.fd + 1, &rfds, NULL, NULL, &zero));

	ASSERT_EQ(1, send_one(self->q.fd, "msg", 4, 0));
	FD_ZERO(&rfds);
	FD_SET(self->q.fd, &rfds);
	zero = (struct timeval){ 0 };
	EXPECT_EQ(1, select(self->q.fd + 1, &rfds, NULL, NULL, &zero));
	EXPECT_TRUE(FD_ISSET(self->q.fd, &rfds));
}

TEST_HARNESS_MAIN
