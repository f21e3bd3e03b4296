// SPDX-License-Identifier: GPL-2.0
/*
 * Description: KMSGQ_XFER_PEEK on copy and ring queues: the message at
 * every index of the receive order, a queue left exactly as it was, the
 * requests it refuses, sleeping for an index without taking a receiver's
 * wakeup or holding notification back, deadlines, signals and SIGKILL,
 * each access mode, an unprivileged peeker, another IPC namespace, a ring
 * mapping scribbled over, and copies racing receivers that must never be
 * torn.
 */
#include "kmsgq_test.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#define PEEK_DEPTH	8
#define PEEK_MSGSIZE	256

FIXTURE(peek) {
	char name[KMSGQ_NAME_MAX];
	int q;
	bool ring;
};

FIXTURE_VARIANT(peek) {
	bool ring;
};

FIXTURE_VARIANT_ADD(peek, copy) {
	.ring = false,
};

FIXTURE_VARIANT_ADD(peek, ring) {
	.ring = true,
};

FIXTURE_SETUP(peek)
{
	struct kmsgq_attr attr = {
		.qflags = variant->ring ? KMSGQ_OPEN_RING : 0,
		.max_msgs = PEEK_DEPTH,
		.max_msgsize = PEEK_MSGSIZE,
	};

	self->ring = variant->ring;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	self->q = create_own_queue(self->name, "peek", 0, &attr);
	ASSERT_LE(0, self->q) TH_LOG("%s", strerror(-self->q));
}

FIXTURE_TEARDOWN(peek)
{
	if (self->q >= 0)
		close(self->q);
	kmsgq_unlink(self->name);
}

/* A raw peek past the library, with the whole struct kmsgq_xfer given. */
static int peek_raw(int fd, struct kmsgq_xfer *x)
{
	return xioctl(fd, KMSGQ_IOC_RECV, x);
}

/* Send @n messages tagged @first.. (priority @prio on copy queues). */
static int send_tagged(int fd, unsigned int first, unsigned int n,
		       unsigned int prio)
{
	unsigned int i;
	int ret;

	for (i = first; i < first + n; i++) {
		ret = send_tag(fd, i, prio);
		if (ret)
			return ret;
	}
	return 0;
}

/* The tag of the message at @index, or -errno. */
static int peek_tag(int fd, unsigned int index, unsigned int *prio,
		    unsigned int flags)
{
	unsigned int tag;
	ssize_t n;

	n = kmsgq_peek(fd, index, &tag, sizeof(tag), prio, flags,
		       CLOCK_MONOTONIC, NULL);
	if (n < 0)
		return n;
	return n == sizeof(tag) ? (int)tag : -EPROTO;
}

/*
 * Wait until task @pid sleeps (its /proc state is S), then 100 ms more so
 * that it is on its wait queue, not just about to be.  A peeker is not in
 * the queue's recv_waiters, so wait_sleepers() cannot see it.
 */
static int wait_task_sleeps(pid_t pid)
{
	if (!wait_until_sleeping(pid))
		return -ETIMEDOUT;
	usleep(100000);
	return 0;
}

TEST_F(peek, every_index_in_receive_order_and_nothing_moves)
{
	/* Copy queues: priorities 3, 9, 3, 0, 9 give the order 1 4 0 2 3. */
	static const unsigned int copy_prio[] = { 3, 9, 3, 0, 9 };
	static const unsigned int copy_order[] = { 1, 4, 0, 2, 3 };
	struct kmsgq_stats before, after;
	unsigned int i, prio, tag;

	for (i = 0; i < 5; i++) {
		tag = i;
		ASSERT_EQ(0, kmsgq_send(self->q, &tag, sizeof(tag),
					self->ring ? 0 : copy_prio[i]));
	}
	ASSERT_EQ(0, kmsgq_stats(self->q, &before));

	/* Twice over, and backwards: a peek changes nothing. */
	for (i = 0; i < 10; i++) {
		unsigned int index = i < 5 ? i : 9 - i;
		unsigned int want = self->ring ? index : copy_order[index];

		prio = 12345;
		EXPECT_EQ((int)want, peek_tag(self->q, index, &prio, 0));
		EXPECT_EQ(self->ring ? 0 : copy_prio[want], prio);
	}
	EXPECT_EQ(-EAGAIN, peek_tag(self->q, 5, NULL, KMSGQ_XFER_NONBLOCK));
	EXPECT_EQ(-EAGAIN, peek_tag(self->q, PEEK_DEPTH - 1, NULL,
				    KMSGQ_XFER_NONBLOCK));
	/* No message can ever stand at or past the depth: refused. */
	EXPECT_EQ(-EINVAL, peek_tag(self->q, PEEK_DEPTH, NULL, 0));
	EXPECT_EQ(-EINVAL, peek_tag(self->q, UINT32_MAX, NULL, 0));

	ASSERT_EQ(0, kmsgq_stats(self->q, &after));
	EXPECT_EQ(before.msgs_recv, after.msgs_recv);
	EXPECT_EQ(before.bytes_recv, after.bytes_recv);
	EXPECT_EQ(5, after.cur_msgs);
	EXPECT_EQ(5, queued(self->q));

	/* Receives return exactly what the peeks showed, in that order. */
	for (i = 0; i < 5; i++) {
		EXPECT_EQ((int)(self->ring ? i : copy_order[i]),
			  recv_tag(self->q, &prio));
		/* What is left moved up one index. */
		if (i < 4)
			EXPECT_EQ((int)(self->ring ? i + 1 : copy_order[i + 1]),
				  peek_tag(self->q, 0, NULL, 0));
	}
	EXPECT_EQ(-EAGAIN, peek_tag(self->q, 0, NULL, KMSGQ_XFER_NONBLOCK));
}

TEST_F(peek, short_buffer_is_emsgsize_with_the_length_and_keeps_it)
{
	char big[100], buf[PEEK_MSGSIZE];
	struct kmsgq_msg m = { .buf = (uintptr_t)buf, .len = 10 };
	struct kmsgq_xfer x = {
		.size = sizeof(x),
		.flags = KMSGQ_XFER_PEEK | KMSGQ_XFER_NONBLOCK,
		.msgs = (uintptr_t)&m,
		.nr = 1,
	};

	pattern(big, sizeof(big), 7);
	ASSERT_EQ(0, kmsgq_send(self->q, big, sizeof(big), 0));
	EXPECT_EQ(-EMSGSIZE, peek_raw(self->q, &x));
	EXPECT_EQ(sizeof(big), m.len);
	EXPECT_EQ(-EMSGSIZE, kmsgq_peek(self->q, 0, buf, 99, NULL, 0,
					CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(1, queued(self->q));
	EXPECT_EQ((ssize_t)sizeof(big),
		  kmsgq_peek(self->q, 0, buf, sizeof(buf), NULL, 0,
			     CLOCK_MONOTONIC, NULL));
	EXPECT_TRUE(pattern_ok(buf, sizeof(big), 7));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ((ssize_t)sizeof(big),
		  kmsgq_receive(self->q, buf, sizeof(buf), NULL));
	EXPECT_TRUE(pattern_ok(buf, sizeof(big), 7));
}

TEST_F(peek, malformed_requests_are_refused)
{
	unsigned int tag = 1, buf;
	struct kmsgq_msg m[2] = {
		{ .buf = (uintptr_t)&buf, .len = sizeof(buf) },
		{ .buf = (uintptr_t)&buf, .len = sizeof(buf) },
	};
	struct kmsgq_xfer x;

	ASSERT_EQ(0, kmsgq_send(self->q, &tag, sizeof(tag), 0));

	/* A peek is a receive of one message. */
	x = (struct kmsgq_xfer){ .size = sizeof(x), .flags = KMSGQ_XFER_PEEK,
				 .msgs = (uintptr_t)m, .nr = 2 };
	EXPECT_EQ(-EINVAL, peek_raw(self->q, &x));
	x.nr = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->q, KMSGQ_IOC_SEND, &x));
	/* The index means nothing without PEEK, and reserved is reserved. */
	x = (struct kmsgq_xfer){ .size = sizeof(x), .msgs = (uintptr_t)m,
				 .nr = 1, .index = 1 };
	EXPECT_EQ(-EINVAL, peek_raw(self->q, &x));
	EXPECT_EQ(-EINVAL, xioctl(self->q, KMSGQ_IOC_SEND, &x));
	x = (struct kmsgq_xfer){ .size = sizeof(x), .flags = KMSGQ_XFER_PEEK,
				 .msgs = (uintptr_t)m, .nr = 1,
				 .reserved = 1 };
	EXPECT_EQ(-EINVAL, peek_raw(self->q, &x));
	/* A bad message array or buffer is EFAULT, and nothing moved. */
	x = (struct kmsgq_xfer){ .size = sizeof(x), .flags = KMSGQ_XFER_PEEK,
				 .msgs = (uintptr_t)fault_page(), .nr = 1 };
	EXPECT_EQ(-EFAULT, peek_raw(self->q, &x));
	m[0].buf = (uintptr_t)fault_page();
	x.msgs = (uintptr_t)m;
	EXPECT_EQ(-EFAULT, peek_raw(self->q, &x));
	EXPECT_EQ(1, queued(self->q));

	/* The first published size has no index: it peeks at index 0. */
	m[0].buf = (uintptr_t)&buf;
	x = (struct kmsgq_xfer){ .size = KMSGQ_XFER_SIZE_VER0,
				 .flags = KMSGQ_XFER_PEEK,
				 .msgs = (uintptr_t)m, .nr = 1,
				 .index = 5 };
	buf = 0;
	EXPECT_EQ(1, peek_raw(self->q, &x));
	EXPECT_EQ(tag, buf);
	EXPECT_EQ(1, queued(self->q));
}

TEST_F(peek, o_nonblock_and_deadlines)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC);
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 50 * NSEC_PER_MSEC);
	unsigned int tag;
	int fd;

	ASSERT_EQ(0, send_tagged(self->q, 0, 1, 0));
	fd = kmsgq_open(self->name, O_RDONLY | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, kmsgq_peek(fd, 1, &tag, sizeof(tag), NULL, 0,
				      CLOCK_MONOTONIC, NULL));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_peek(fd, 0, &tag, sizeof(tag), NULL, 0,
			     CLOCK_MONOTONIC, NULL));
	close(fd);

	/* Index 1 never comes: each clock's deadline ends the sleep. */
	EXPECT_EQ(-ETIMEDOUT, kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL,
					 0, CLOCK_MONOTONIC, &dl));
	EXPECT_LE(50 * NSEC_PER_MSEC, now_ns(CLOCK_MONOTONIC) - t0);
	dl = deadline_in(CLOCK_REALTIME, 20 * NSEC_PER_MSEC);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL,
					 0, CLOCK_REALTIME, &dl));
	dl = (struct timespec){ .tv_nsec = 20 * NSEC_PER_MSEC };
	EXPECT_EQ(-ETIMEDOUT, kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL,
					 KMSGQ_XFER_RELATIVE, CLOCK_MONOTONIC,
					 &dl));
	dl = (struct timespec){ .tv_nsec = NSEC_PER_SEC };
	EXPECT_EQ(-EINVAL, kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL,
				      KMSGQ_XFER_RELATIVE, CLOCK_MONOTONIC,
				      &dl));
	EXPECT_EQ(1, queued(self->q));
}

/* Fork a child that peeks at @index, blocking, and writes what it got. */
static pid_t fork_peeker(int fd, unsigned int index, int out)
{
	pid_t pid = fork();
	int tag;

	if (pid)
		return pid;
	tag = peek_tag(fd, index, NULL, 0);
	child_write(out, &tag, sizeof(tag));
	_exit(0);
}

TEST_F(peek, sleeps_until_the_index_is_filled)
{
	int p[2], tag;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork_peeker(self->q, 2, p[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_task_sleeps(pid));
	/* Two messages leave index 2 empty: the peeker sleeps on. */
	ASSERT_EQ(0, send_tagged(self->q, 10, 2, 0));
	ASSERT_EQ(0, wait_task_sleeps(pid));
	ASSERT_EQ(0, send_tagged(self->q, 12, 1, 0));
	ASSERT_TRUE(read_all(p[0], &tag, sizeof(tag)));
	EXPECT_EQ(12, tag);
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(3, queued(self->q));
	close(p[0]);
	close(p[1]);
}

/*
 * A peeker that went to sleep before a receiver must not use up the one
 * wakeup a single message brings: the receiver gets the message.
 */
TEST_F(peek, takes_no_wakeup_from_a_receiver)
{
	struct timespec dl;
	int p[2], tag;
	pid_t peeker, receiver;

	ASSERT_EQ(0, pipe(p));
	peeker = fork_peeker(self->q, 0, p[1]);
	ASSERT_LT(0, peeker);
	ASSERT_EQ(0, wait_task_sleeps(peeker));
	receiver = fork();
	ASSERT_LE(0, receiver);
	if (!receiver) {
		dl = deadline_in(CLOCK_MONOTONIC, 10 * NSEC_PER_SEC);
		_exit(kmsgq_timedreceive(self->q, &tag, sizeof(tag), NULL,
					 CLOCK_MONOTONIC, &dl) == sizeof(tag) ?
		      0 : 1);
	}
	/* By its state, not by recv_waiters, which a peeker is not in. */
	ASSERT_EQ(0, wait_task_sleeps(receiver));
	ASSERT_EQ(0, send_tagged(self->q, 7, 1, 0));
	EXPECT_TRUE(exited_ok(reap_within(receiver, 20000)));
	/* The peeker saw it, or sleeps on: it took nothing either way. */
	EXPECT_EQ(0, queued(self->q));
	kill(peeker, SIGKILL);
	waitpid(peeker, NULL, 0);
	close(p[0]);
	close(p[1]);
}

/*
 * Notification fires when a message reaches an empty queue that no
 * receiver waits on: a sleeping peeker is no receiver.
 */
TEST_F(peek, a_sleeping_peeker_does_not_hold_notification_back)
{
	struct kmsgq_stats st;
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_EVENTFD };
	struct pollfd pfd;
	int p[2];
	pid_t pid;

	if (self->ring)
		SKIP(return, "notification is for copy queues");
	n.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, n.fd);
	ASSERT_EQ(0, pipe(p));
	pid = fork_peeker(self->q, 0, p[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_task_sleeps(pid));
	ASSERT_EQ(0, kmsgq_stats(self->q, &st));
	EXPECT_EQ(0, st.recv_waiters);
	ASSERT_EQ(0, xioctl(self->q, KMSGQ_IOC_NOTIFY, &n));

	ASSERT_EQ(0, send_tagged(self->q, 3, 1, 0));
	pfd = (struct pollfd){ .fd = n.fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(1, queued(self->q));
	close(n.fd);
	close(p[0]);
	close(p[1]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(peek, signals_and_sigkill_leave_the_queue_as_it_was)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int tag;
	pid_t pid;

	ASSERT_EQ(0, send_tagged(self->q, 40, 1, 0));
	/* A handler without SA_RESTART: EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ualarm(50000, 0);
	EXPECT_EQ(-EINTR, kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL, 0,
				     CLOCK_MONOTONIC, NULL));
	signal(SIGALRM, SIG_DFL);

	/* Killed while asleep: nothing to undo, nothing lost. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		kmsgq_peek(self->q, 1, &tag, sizeof(tag), NULL, 0,
			   CLOCK_MONOTONIC, NULL);
		_exit(0);
	}
	ASSERT_EQ(0, wait_task_sleeps(pid));
	kill(pid, SIGKILL);
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(1, queued(self->q));
	EXPECT_EQ(40, recv_tag(self->q, NULL));
}

TEST_F(peek, read_access_is_what_it_takes)
{
	unsigned int tag = 5, buf;
	int fd;

	ASSERT_EQ(0, kmsgq_send(self->q, &tag, sizeof(tag), 0));

	fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, kmsgq_peek(fd, 0, &buf, sizeof(buf), NULL, 0,
				     CLOCK_MONOTONIC, NULL));
	close(fd);
	fd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(5, peek_tag(fd, 0, NULL, 0));
	close(fd);
	/* Access mode 3 binds to nothing; an unbound file has no queue. */
	fd = open(KMSGQ_DEVICE_PATH, O_WRONLY | O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, kmsgq_peek(fd, 0, &buf, sizeof(buf), NULL, 0,
					CLOCK_MONOTONIC, NULL));
	close(fd);
	fd = open(KMSGQ_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, kmsgq_peek(fd, 0, &buf, sizeof(buf), NULL, 0,
					CLOCK_MONOTONIC, NULL));
	close(fd);
	EXPECT_EQ(1, queued(self->q));
}

/* As nobody (child_int()): the tag peeked at index 0 of @name, or -errno. */
static int nobody_peek(const void *name)
{
	int ret = become(NOBODY, NOBODY);

	if (!ret)
		ret = kmsgq_open(name, O_RDONLY, 0, NULL);
	if (ret >= 0)
		ret = peek_tag(ret, 0, NULL, 0);
	return ret;
}

/*
 * Nobody may peek at the 0600 queue, may at the same queue made 0604,
 * and may not from another IPC namespace, where the name is unknown.
 */
TEST_F(peek, unprivileged_and_other_namespaces)
{
	unsigned int tag = 9;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, kmsgq_send(self->q, &tag, sizeof(tag), 0));
	EXPECT_EQ(-EACCES, child_int(nobody_peek, self->name));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	EXPECT_EQ(9, child_int(nobody_peek, self->name));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (unshare(CLONE_NEWIPC))
			_exit(10);
		_exit(kmsgq_open(self->name, O_RDONLY, 0, NULL) == -ENOENT ?
		      0 : 11);
	}
	EXPECT_TRUE(exited_ok(reap_within(pid, 20000)));
	EXPECT_EQ(1, queued(self->q));
}

/*
 * Whatever a mapper writes over the ring's shared words, a peek returns
 * a message that fits, or EAGAIN, or its deadline: never a hang, never a
 * length beyond the slot.
 */
TEST_F(peek, scribbled_ring_words_cannot_mislead_it)
{
	struct timespec dl;
	struct kmsgq_ring r;
	char buf[PEEK_MSGSIZE];
	uint64_t seed = 0x7065656b;
	unsigned int i, j;
	ssize_t n;

	if (!self->ring)
		SKIP(return, "copy queues have no mapping");
	ASSERT_EQ(0, send_tagged(self->q, 0, 4, 0));
	ASSERT_EQ(0, kmsgq_ring_map(self->q, &r));
	for (i = 0; i < 200; i++) {
		switch (rnd(&seed) % 3) {
		case 0:
			*r.cons = rnd(&seed);
			break;
		case 1:
			j = rnd(&seed) % r.nr_slots;
			r.desc[j].seq = rnd(&seed) % 4 ? *r.cons + j + 1 :
				       (uint32_t)rnd(&seed);
			break;
		default:
			j = rnd(&seed) % r.nr_slots;
			r.desc[j].len = rnd(&seed) % 2 ? (uint32_t)rnd(&seed) :
				       rnd(&seed) % (r.slot_size + 2);
			break;
		}
		dl = (struct timespec){ .tv_nsec = 2 * NSEC_PER_MSEC };
		n = kmsgq_peek(self->q, rnd(&seed) % 6, buf, sizeof(buf), NULL,
			       i % 2 ? KMSGQ_XFER_NONBLOCK :
				       KMSGQ_XFER_RELATIVE,
			       CLOCK_MONOTONIC, i % 2 ? NULL : &dl);
		if (n >= 0) {
			EXPECT_GE(r.slot_size, (size_t)n);
		} else {
			EXPECT_TRUE(n == -EAGAIN || n == -ETIMEDOUT)
				TH_LOG("peek %u: %s", i, strerror(-n));
		}
	}
	EXPECT_EQ(0, kmsgq_ring_unmap(&r));
}

struct peek_race {
	int fd;
	bool ring;
	unsigned int rounds;
	atomic_int stop;
	atomic_uint torn, peeked;
};

/* Senders and receivers churn the queue, every payload a pattern. */
static void *race_churn(void *arg)
{
	struct peek_race *pr = arg;
	unsigned char buf[PEEK_MSGSIZE];
	unsigned int i;

	for (i = 0; i < pr->rounds; i++) {
		size_t len = 8 + i % (PEEK_MSGSIZE - 8);

		memcpy(buf, &i, sizeof(i));
		pattern(buf + sizeof(i), len - sizeof(i), i);
		if (kmsgq_send(pr->fd, buf, len, pr->ring ? 0 : i % 3))
			break;
		if (kmsgq_receive(pr->fd, buf, sizeof(buf), NULL) < 0)
			break;
	}
	atomic_store(&pr->stop, 1);
	return NULL;
}

/* Every peeked payload must be whole: its tag's pattern throughout. */
static void *race_peek(void *arg)
{
	struct peek_race *pr = arg;
	unsigned char buf[PEEK_MSGSIZE];
	unsigned int tag;
	ssize_t n;

	while (!atomic_load(&pr->stop)) {
		n = kmsgq_peek(pr->fd, 0, buf, sizeof(buf), NULL,
			       KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL);
		if (n < (ssize_t)sizeof(tag))
			continue;
		memcpy(&tag, buf, sizeof(tag));
		if (!pattern_ok(buf + sizeof(tag), n - sizeof(tag), tag))
			atomic_fetch_add(&pr->torn, 1);
		atomic_fetch_add(&pr->peeked, 1);
	}
	return NULL;
}

TEST_F(peek, copies_racing_receivers_are_never_torn)
{
	struct peek_race pr = { .fd = self->q, .ring = self->ring,
				.rounds = 20000 };
	pthread_t churn[2], peeker[2];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&churn[i], NULL, race_churn, &pr));
		ASSERT_EQ(0, pthread_create(&peeker[i], NULL, race_peek, &pr));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(churn[i], NULL);
		pthread_join(peeker[i], NULL);
	}
	TH_LOG("%u peeks", atomic_load(&pr.peeked));
	EXPECT_EQ(0, atomic_load(&pr.torn));
	EXPECT_LT(0, atomic_load(&pr.peeked));
	EXPECT_EQ(0, queued(self->q));
}

TEST_HARNESS_MAIN
