// SPDX-License-Identifier: GPL-2.0
/*
 * Description: fan-out queues (KMSGQ_OPEN_FANOUT): every subscriber (a
 * file bound with read access) receives every message once, in order;
 * the slowest subscriber holds publishers back (block, fail) or loses its
 * oldest messages and learns how many (drop; received + lost = sent per
 * subscriber); late joiners get exactly the history they ask for;
 * subscribers SIGKILLed anywhere never stall publishers; one publish wakes
 * every sleeping subscriber; poll per subscriber; permissions, the limits
 * on subscribers (per queue, and each user's share of a queue, which a
 * user namespace cannot multiply, and the owner's own) and bad inputs;
 * 4 publishers x 8 subscribers stress.
 */
#include "kmsgq_test.h"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define FAN_DEPTH	8
#define FAN_MSGSIZE	64
#define FAN_SUBS	8
#define FAN_PUBS	4
#define FAN_PER_PUB	2000
/* Seconds a stress test may take: TCG guests on a busy host are slow. */
#define FAN_STRESS_TIMEOUT	600
#define FAN_BATCH	8

FIXTURE(fan) {
	char name[KMSGQ_NAME_MAX];
	int pub;
	struct kids kids;
	/* The module parameters the tests change, as found (root only). */
	bool params;
	unsigned long max_subs, share;
};

FIXTURE_SETUP(fan)
{
	struct kmsgq_info info;

	self->pub = -1;
	self->kids.nr = 0;
	self->params = false;
	snprintf(self->name, sizeof(self->name), "fan-%d", getpid());
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_FANOUT))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT");
	self->params = !geteuid() &&
		       !read_param("max_subscribers", &self->max_subs) &&
		       !read_param("max_subscribers_per_user", &self->share);
}

FIXTURE_TEARDOWN(fan)
{
	kids_kill(&self->kids);
	/* Whatever a test changed, and however it ended. */
	if (self->params) {
		write_param("max_subscribers", self->max_subs);
		write_param("max_subscribers_per_user", self->share);
	}
	if (self->pub >= 0)
		close(self->pub);
	kmsgq_unlink(self->name);
}

/*
 * Create this test's fan-out queue with policy @policy (0: block), depth
 * @depth, and keep a write-only publisher descriptor for it in self->pub.
 */
static int fan_create(FIXTURE_DATA(fan) *self, __u32 policy, __u32 depth)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | policy,
		.max_msgs = depth,
		.max_msgsize = FAN_MSGSIZE,
	};

	kmsgq_unlink(self->name);
	self->pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
			       &attr);
	return self->pub < 0 ? self->pub : 0;
}

/* A new subscriber of the test's queue, non-blocking unless @block. */
static int fan_sub(FIXTURE_DATA(fan) *self, unsigned int history, bool block)
{
	return kmsgq_subscribe(self->name, O_RDONLY | (block ? 0 : O_NONBLOCK),
			       history);
}

/* fan_create(), and two non-blocking subscribers *@a and *@b of it. */
static int fan_create_two(FIXTURE_DATA(fan) *self, __u32 policy, __u32 depth,
			  int *a, int *b)
{
	int ret = fan_create(self, policy, depth);

	if (ret)
		return ret;
	*a = fan_sub(self, 0, false);
	*b = fan_sub(self, 0, false);
	return *a < 0 ? *a : *b < 0 ? *b : 0;
}

/* Send tags @from .. @to - 1, non-blocking: 0 or the first -errno. */
static int send_tags(int fd, unsigned int from, unsigned int to)
{
	struct kmsgq_msg m = { .len = sizeof(unsigned int) };
	unsigned int tag;
	int ret;

	for (tag = from; tag < to; tag++) {
		m.buf = (uintptr_t)&tag;
		ret = kmsgq_send_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK,
				       CLOCK_MONOTONIC, NULL);
		if (ret != 1)
			return ret < 0 ? ret : -EPROTO;
	}
	return 0;
}

/* Receive tags @from .. @to - 1 from @fd: true if exactly those came. */
static bool got_tags(int fd, unsigned int from, unsigned int to)
{
	unsigned int tag;

	for (tag = from; tag < to; tag++)
		if (recv_tag(fd, NULL) != (int)tag)
			return false;
	return recv_tag(fd, NULL) == -EAGAIN;
}

/* One receive with KMSGQ_XFER_NONBLOCK: its tag or -errno; *@lost. */
static int recv_tag_lost(int fd, __u64 *lost)
{
	unsigned int tag;
	uint64_t l;
	ssize_t n;

	n = kmsgq_receive_lost(fd, &tag, sizeof(tag), &l, KMSGQ_XFER_NONBLOCK,
			       CLOCK_MONOTONIC, NULL);
	*lost = l;
	if (n < 0)
		return n;
	return n == sizeof(tag) ? (int)tag : -EPROTO;
}

static struct kmsgq_stats stats_of(int fd)
{
	struct kmsgq_stats st = { 0 };

	kmsgq_stats(fd, &st);
	return st;
}

/* --- delivery ------------------------------------------------------------ */

TEST_F(fan, every_subscriber_receives_every_message_once_in_order)
{
	struct kmsgq_attr attr;
	int s[3], i;

	ASSERT_EQ(0, fan_create(self, 0, 5));
	ASSERT_EQ(0, kmsgq_getattr(self->pub, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT, attr.qflags);
	/* Depths are powers of two. */
	EXPECT_EQ(8, attr.max_msgs);
	for (i = 0; i < 3; i++) {
		s[i] = fan_sub(self, 0, false);
		ASSERT_LE(0, s[i]);
	}
	ASSERT_EQ(0, send_tags(self->pub, 0, 8));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(got_tags(s[i], 0, 8)) TH_LOG("subscriber %d", i);
	EXPECT_EQ(3, stats_of(s[0]).subscribers);
	EXPECT_EQ(24, stats_of(s[0]).msgs_recv);
	EXPECT_EQ(8, stats_of(s[0]).msgs_sent);
	for (i = 0; i < 3; i++)
		close(s[i]);
	EXPECT_EQ(0, stats_of(self->pub).subscribers);
}

TEST_F(fan, read_and_write_move_one_message_per_subscriber)
{
	char buf[FAN_MSGSIZE];
	int a, b;

	ASSERT_EQ(0, fan_create_two(self, 0, FAN_DEPTH, &a, &b));
	ASSERT_EQ(5, write(self->pub, "hello", 5));
	ASSERT_EQ(3, write(self->pub, "bye", 3));
	EXPECT_EQ(5, read(a, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(3, read(a, buf, sizeof(buf)));
	EXPECT_EQ(-1, read(a, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(5, read(b, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	/* What a subscriber does to its copy, nobody else sees. */
	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ(3, read(b, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "bye", 3));
}

TEST_F(fan, a_subscriber_joining_without_history_gets_only_new_messages)
{
	int a, b;

	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	a = fan_sub(self, 0, false);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, send_tags(self->pub, 0, 3));
	b = fan_sub(self, 0, false);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, send_tags(self->pub, 3, 5));
	EXPECT_TRUE(got_tags(a, 0, 5));
	EXPECT_TRUE(got_tags(b, 3, 5));
}

TEST_F(fan, late_joiners_get_exactly_the_history_asked_for)
{
	/* Asked for, and the first message that comes of it. */
	static const struct {
		unsigned int history;
		unsigned int from;
	} h[] = {
		{ 3, 3 }, { 1, 5 }, { 100, 2 }, { KMSGQ_HISTORY_ALL, 2 },
		{ 0, 6 },
	};
	unsigned int i;
	int s;

	ASSERT_EQ(0, fan_create(self, 0, 4));
	/* Nobody subscribed: the oldest are overwritten, nobody waits. */
	ASSERT_EQ(0, send_tags(self->pub, 0, 6));
	EXPECT_EQ(0, queued(self->pub));

	/* More than is stored gets all that is. */
	for (i = 0; i < ARRAY_SIZE(h); i++) {
		s = fan_sub(self, h[i].history, false);
		ASSERT_LE(0, s);
		EXPECT_EQ(6 - h[i].from, stats_of(s).sub_lag);
		EXPECT_TRUE(got_tags(s, h[i].from, 6))
			TH_LOG("history %u", h[i].history);
		close(s);
	}
}

TEST_F(fan, peek_looks_at_a_subscribers_own_unread_messages)
{
	unsigned int tag;
	int a, b;

	ASSERT_EQ(0, fan_create_two(self, 0, FAN_DEPTH, &a, &b));
	ASSERT_EQ(0, send_tags(self->pub, 0, 3));
	ASSERT_EQ(0, recv_tag(a, NULL));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_peek(a, 1, &tag, sizeof(tag), NULL, KMSGQ_XFER_NONBLOCK,
			     CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(2, tag);
	EXPECT_EQ(-EAGAIN, kmsgq_peek(a, 2, &tag, sizeof(tag), NULL,
				      KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_peek(b, 0, &tag, sizeof(tag), NULL, KMSGQ_XFER_NONBLOCK,
			     CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(0, tag);
	EXPECT_EQ(-EINVAL, kmsgq_peek(b, FAN_DEPTH, &tag, sizeof(tag), NULL,
				      KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_TRUE(got_tags(a, 1, 3));
	EXPECT_TRUE(got_tags(b, 0, 3));
}

TEST_F(fan, a_message_too_long_stays_unread_with_its_length)
{
	char big[40] = "0123456789012345678901234567890123456789";
	struct kmsgq_msg m = { .len = 4 };
	unsigned int tag;
	int s;

	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, kmsgq_send(self->pub, big, sizeof(big), 0));
	m.buf = (uintptr_t)&tag;
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive_batch(s, &m, 1, 0, CLOCK_MONOTONIC,
						 NULL));
	EXPECT_EQ(sizeof(big), m.len);
	EXPECT_EQ((ssize_t)sizeof(big), read(s, big, sizeof(big)));
}

TEST_F(fan, the_sender_is_reported_to_every_subscriber)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_SENDER,
		.max_msgs = FAN_DEPTH,
		.max_msgsize = FAN_MSGSIZE,
	};
	struct kmsgq_sender from;
	unsigned int tag;
	int a, b;

	self->pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
			       &attr);
	ASSERT_LE(0, self->pub);
	a = fan_sub(self, 0, false);
	b = fan_sub(self, 0, false);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, send_tag(self->pub, 7, 0));
	ASSERT_EQ(0, send_tag(self->pub, 8, 0));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(a, &tag, sizeof(tag), NULL, &from, 0,
				     CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(getpid(), from.pid);
	EXPECT_EQ(KMSGQ_SENDER_KERNEL, from.flags);
	EXPECT_EQ(7, recv_tag(b, NULL));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(b, &tag, sizeof(tag), NULL, &from, 0,
				     CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(8, tag);
	EXPECT_EQ(getpid(), from.pid);
}

/* --- slow subscribers ---------------------------------------------------- */

TEST_F(fan, lossless_publishers_wait_for_the_slowest_subscriber)
{
	struct timespec dl;
	unsigned int tag = 99;
	int fast, slow;

	ASSERT_EQ(0, fan_create_two(self, 0, 4, &fast, &slow));
	ASSERT_EQ(0, send_tags(self->pub, 0, 4));
	EXPECT_TRUE(ready_now(self->pub, POLLOUT) == false);
	EXPECT_TRUE(got_tags(fast, 0, 4));
	/* The fast one read everything; the slow one holds the slots. */
	EXPECT_EQ(-EAGAIN, send_tags(self->pub, 4, 5));
	dl = deadline_in(CLOCK_MONOTONIC, 20 * NSEC_PER_MSEC);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->pub, &tag, sizeof(tag), 0,
					      CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(4, queued(self->pub));
	EXPECT_EQ(0, recv_tag(slow, NULL));
	EXPECT_TRUE(ready_now(self->pub, POLLOUT));
	EXPECT_EQ(0, send_tags(self->pub, 4, 5));
	EXPECT_TRUE(got_tags(slow, 1, 5));
	EXPECT_TRUE(got_tags(fast, 4, 5));
	EXPECT_EQ(0, stats_of(slow).msgs_lost);
}

TEST_F(fan, a_sleeping_publisher_wakes_when_the_slowest_reads)
{
	int s, status;
	pid_t pid;

	ASSERT_EQ(0, fan_create(self, 0, 2));
	s = fan_sub(self, 0, true);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_tags(self->pub, 0, 2));
	pid = kids_fork(&self->kids);
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(send_tag(self->pub, 2, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_sleepers(self->pub, true, 1));
	EXPECT_EQ(0, recv_tag(s, NULL));
	status = kids_reap(&self->kids, pid);
	EXPECT_TRUE(exited_ok(status));
	EXPECT_EQ(1, recv_tag(s, NULL));
	EXPECT_EQ(2, recv_tag(s, NULL));
}

TEST_F(fan, fail_refuses_a_send_when_the_slowest_is_a_depth_behind)
{
	struct timespec dl;
	unsigned int tag = 9;
	int s;

	ASSERT_EQ(0, fan_create(self, KMSGQ_OPEN_OVERFLOW_FAIL, 4));
	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_tags(self->pub, 0, 4));
	dl = deadline_in(CLOCK_MONOTONIC, 10 * NSEC_PER_SEC);
	EXPECT_EQ(-EAGAIN, kmsgq_timedsend(self->pub, &tag, sizeof(tag), 0,
					   CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(-EAGAIN, send_tag(self->pub, 4, 0));
	EXPECT_EQ(0, recv_tag(s, NULL));
	EXPECT_EQ(0, send_tag(self->pub, 4, 0));
	EXPECT_TRUE(got_tags(s, 1, 5));
}

TEST_F(fan, drop_makes_a_slow_subscriber_lose_the_oldest_and_say_how_many)
{
	__u64 lost;
	int fast, slow;
	unsigned int i;

	ASSERT_EQ(0, fan_create_two(self, KMSGQ_OPEN_OVERFLOW_DROP, 4, &fast, &slow));
	/* The publisher never waits, the fast subscriber loses nothing. */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, send_tag(self->pub, i, 0));
		EXPECT_EQ((int)i, recv_tag_lost(fast, &lost));
		EXPECT_EQ(0, lost);
	}
	/* The slow one keeps the newest four, and hears of six lost. */
	EXPECT_EQ(6, stats_of(slow).sub_lost);
	EXPECT_EQ(4, stats_of(slow).sub_lag);
	EXPECT_EQ(6, recv_tag_lost(slow, &lost));
	EXPECT_EQ(6, lost);
	EXPECT_EQ(7, recv_tag_lost(slow, &lost));
	EXPECT_EQ(0, lost);
	EXPECT_TRUE(got_tags(slow, 8, 10));
	EXPECT_EQ(-EAGAIN, recv_tag_lost(slow, &lost));
	EXPECT_EQ(0, lost);
	EXPECT_EQ(6, stats_of(slow).sub_lost);
	EXPECT_EQ(0, stats_of(fast).sub_lost);
	EXPECT_EQ(6, stats_of(fast).msgs_lost);
	/* Two subscribers: received + lost = twice what was sent. */
	EXPECT_EQ(20, stats_of(fast).msgs_recv + stats_of(fast).msgs_lost);
}

TEST_F(fan, a_drop_is_reported_with_the_next_receive_even_if_it_fails)
{
	__u64 lost = 0;
	int s;

	ASSERT_EQ(0, fan_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 2));
	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_tags(self->pub, 0, 5));
	/* read() reports nothing and resets nothing. */
	EXPECT_EQ(3, recv_tag(s, NULL));
	EXPECT_EQ(4, recv_tag_lost(s, &lost));
	EXPECT_EQ(3, lost);
	ASSERT_EQ(0, send_tags(self->pub, 5, 8));
	EXPECT_EQ(6, recv_tag_lost(s, &lost));
	EXPECT_EQ(1, lost);
}

TEST_F(fan, a_loss_count_that_cannot_be_written_is_reported_again)
{
	long pg = getpagesize();
	struct kmsgq_msg m;
	struct kmsgq_xfer *x;
	unsigned int tag;
	__u64 lost = 0;
	char *map;
	int s;

	ASSERT_EQ(0, fan_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 2));
	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_tags(self->pub, 0, 5));
	/* A receive's struct whose @lost alone is on a read-only page. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	x = (struct kmsgq_xfer *)(map + pg - offsetof(struct kmsgq_xfer, lost));
	m = (struct kmsgq_msg){ .buf = (uintptr_t)&tag, .len = sizeof(tag) };
	*x = (struct kmsgq_xfer){ .size = sizeof(*x),
				  .flags = KMSGQ_XFER_LOST | KMSGQ_XFER_NONBLOCK,
				  .msgs = (uintptr_t)&m, .nr = 1 };
	ASSERT_EQ(0, mprotect(map + pg, pg, PROT_READ));
	/* The message comes; the count it could not carry is kept. */
	EXPECT_EQ(1, xioctl(s, KMSGQ_IOC_RECV, x));
	EXPECT_EQ(3, tag);
	EXPECT_EQ(4, recv_tag_lost(s, &lost));
	EXPECT_EQ(3, lost);
	munmap(map, 2 * pg);
}

static int fan_signal_pipe = -1;

static void fan_note_signal(int sig)
{
	(void)sig;
	if (write(fan_signal_pipe, "s", 1) != 1)
		_exit(3);
}

TEST_F(fan, a_receive_restarted_by_a_signal_still_reports_the_losses)
{
	struct sigaction sa = { .sa_handler = fan_note_signal,
				.sa_flags = SA_RESTART };
	int s, note[2], status;
	unsigned int tag;
	uint64_t lost;
	pid_t kid;
	char c;

	ASSERT_EQ(0, fan_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 2));
	s = fan_sub(self, 0, true);
	ASSERT_LE(0, s);
	/* 0 .. 2 lost; 3 and 4 read without asking for the count. */
	ASSERT_EQ(0, send_tags(self->pub, 0, 5));
	ASSERT_EQ(3, recv_tag(s, NULL));
	ASSERT_EQ(4, recv_tag(s, NULL));
	ASSERT_EQ(0, pipe(note));
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid) {
		fan_signal_pipe = note[1];
		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(4);
		if (kmsgq_receive_lost(s, &tag, sizeof(tag), &lost, 0,
				       CLOCK_MONOTONIC, NULL) != sizeof(tag))
			_exit(5);
		_exit(tag == 5 && lost == 3 ? 0 : 6);
	}
	close(note[1]);
	ASSERT_EQ(0, wait_sleepers(s, false, 1));
	/* Interrupted asleep; the handler ran; the call starts again. */
	kill(kid, SIGUSR1);
	ASSERT_TRUE(read_all(note[0], &c, 1));
	close(note[0]);
	ASSERT_EQ(0, send_tags(self->pub, 5, 6));
	ASSERT_EQ(kid, kids_wait(&self->kids, kid, &status));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* --- wakeups and readiness ----------------------------------------------- */

TEST_F(fan, one_publish_wakes_every_sleeping_subscriber)
{
	int s[4], i, status;
	pid_t pid[4];

	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	for (i = 0; i < 4; i++) {
		s[i] = fan_sub(self, 0, true);
		ASSERT_LE(0, s[i]);
	}
	for (i = 0; i < 4; i++) {
		pid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(recv_tag(s[i], NULL) == 42 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_sleepers(self->pub, false, 4));
	ASSERT_EQ(0, send_tag(self->pub, 42, 0));
	for (i = 0; i < 4; i++) {
		status = kids_reap(&self->kids, pid[i]);
		EXPECT_TRUE(exited_ok(status)) TH_LOG("subscriber %d", i);
	}
}

TEST_F(fan, poll_and_epoll_report_each_subscribers_own_readiness)
{
	struct epoll_event ev, evs[4];
	int a, b, ep;

	ASSERT_EQ(0, fan_create_two(self, 0, FAN_DEPTH, &a, &b));
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = a };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	ev.data.fd = b;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	EXPECT_EQ(0, epoll_wait(ep, evs, 4, 0));
	EXPECT_FALSE(ready_now(a, POLLIN));

	ASSERT_EQ(0, send_tag(self->pub, 1, 0));
	EXPECT_EQ(2, epoll_wait(ep, evs, 4, 0));
	EXPECT_EQ(1, recv_tag(a, NULL));
	EXPECT_FALSE(ready_now(a, POLLIN));
	EXPECT_TRUE(ready_now(b, POLLIN));
	EXPECT_EQ(1, epoll_wait(ep, evs, 4, 0));
	EXPECT_EQ(b, evs[0].data.fd);
	/* A subscriber never reports POLLOUT: it has no write access. */
	EXPECT_FALSE(ready_now(a, POLLOUT));
	EXPECT_TRUE(ready_now(self->pub, POLLOUT));
	close(ep);
}

/* --- subscribers that die ------------------------------------------------ */

TEST_F(fan, a_sigkilled_subscriber_releases_a_sleeping_publisher)
{
	int status, s, i;
	pid_t sub, pub;

	ASSERT_EQ(0, fan_create(self, 0, 2));
	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	sub = kids_fork(&self->kids);
	ASSERT_LE(0, sub);
	if (!sub) {
		/* A subscriber of its own that never reads. */
		if (fan_sub(self, 0, true) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	/* Wait for it to bind: two subscribers. */
	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		if (stats_of(self->pub).subscribers == 2)
			break;
		usleep(1000);
	}
	ASSERT_EQ(2, stats_of(self->pub).subscribers);
	ASSERT_EQ(0, send_tags(self->pub, 0, 2));
	EXPECT_TRUE(got_tags(s, 0, 2));
	pub = kids_fork(&self->kids);
	ASSERT_LE(0, pub);
	if (!pub)
		_exit(send_tag(self->pub, 2, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_sleepers(self->pub, true, 1));
	kill(sub, SIGKILL);
	kids_reap(&self->kids, sub);
	status = kids_reap(&self->kids, pub);
	EXPECT_TRUE(exited_ok(status));
	EXPECT_EQ(2, recv_tag(s, NULL));
	EXPECT_EQ(1, stats_of(s).subscribers);
}

/*
 * Subscribers that receive in a loop are killed at random points, in or
 * out of a receive; after each kill the publisher fills the queue a
 * whole depth over without waiting, read by its own subscriber.
 */
TEST_F(fan, sigkilled_subscribers_never_stall_publishers)
{
	uint64_t seed = 0x5eed0f0a4;
	unsigned int tag = 0, round, i, n;
	int keep, s;
	pid_t pid;

	ASSERT_EQ(0, fan_create(self, 0, 4));
	keep = fan_sub(self, 0, false);
	ASSERT_LE(0, keep);
	for (round = 0; round < 12; round++) {
		s = fan_sub(self, 0, true);
		ASSERT_LE(0, s);
		pid = kids_fork(&self->kids);
		ASSERT_LE(0, pid);
		if (!pid) {
			for (;;)
				if (recv_tag(s, NULL) < 0)
					_exit(1);
		}
		close(s);
		/*
		 * Publish as the doomed one reads (it keeps up, or the send
		 * waits for it), then kill it in a receive or out of one.
		 */
		n = rnd(&seed) % 8;
		for (i = 0; i < n; i++) {
			ASSERT_EQ(0, send_tag(self->pub, tag++, 0));
			while (recv_tag(keep, NULL) >= 0)
				;
		}
		usleep(rnd(&seed) % 2000);
		kill(pid, SIGKILL);
		kids_reap(&self->kids, pid);

		/* Only @keep is left: a whole depth and more, no waiting. */
		for (i = 0; i < 4 * 2; i++) {
			ASSERT_EQ(0, send_tags(self->pub, tag, tag + 1))
				TH_LOG("round %u, message %u", round, i);
			tag++;
			while (recv_tag(keep, NULL) >= 0)
				;
		}
		ASSERT_EQ(1, stats_of(keep).subscribers);
	}
}

/* --- permissions and bad input ------------------------------------------- */

struct fan_perm {
	const char *name;
	int oflag;
};

/* As nobody: subscribe (or open) with the given access, and try it out. */
static int fan_perm_try(const void *arg)
{
	const struct fan_perm *p = arg;
	unsigned int tag = 1;
	int fd, ret;

	if (become(NOBODY, NOBODY))
		return -EPERM;
	if ((p->oflag & O_ACCMODE) == O_WRONLY)
		fd = kmsgq_open(p->name, p->oflag, 0, NULL);
	else
		fd = kmsgq_subscribe(p->name, p->oflag, 0);
	if (fd < 0)
		return fd;
	if ((p->oflag & O_ACCMODE) == O_WRONLY) {
		ret = send_tag(fd, tag, 0);
		/* Not a subscriber: nothing to receive from. */
		if (!ret && recv_tag(fd, NULL) != -EBADF)
			ret = -EPROTO;
	} else {
		ret = recv_tag(fd, NULL) == -EAGAIN ? 0 : -EPROTO;
		if (!ret && send_tag(fd, tag, 0) != -EBADF)
			ret = -EPROTO;
	}
	close(fd);
	return ret;
}

TEST_F(fan, subscribing_needs_read_and_publishing_write_permission)
{
	struct fan_perm rd = { self->name, O_RDONLY | O_NONBLOCK };
	struct fan_perm wr = { self->name, O_WRONLY | O_NONBLOCK };
	struct fan_perm rw = { self->name, O_RDWR | O_NONBLOCK };

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	EXPECT_EQ(0, child_int(fan_perm_try, &rd));
	EXPECT_EQ(-EACCES, child_int(fan_perm_try, &wr));
	EXPECT_EQ(-EACCES, child_int(fan_perm_try, &rw));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0602));
	EXPECT_EQ(-EACCES, child_int(fan_perm_try, &rd));
	EXPECT_EQ(0, child_int(fan_perm_try, &wr));
	EXPECT_EQ(-EACCES, child_int(fan_perm_try, &rw));
}

/* A raw KMSGQ_IOC_OPEN on a new /dev/kmsgq file of access @oflag. */
static int fan_raw_open(int oflag, __u32 flags, const char *name,
			__u32 history, __u32 reserved2)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.mode = 0600,
		.history = history,
		.reserved2 = reserved2,
	};
	int fd, ret;

	snprintf(op.name, sizeof(op.name), "%s", name);
	fd = open(KMSGQ_DEVICE_PATH, oflag);
	if (fd < 0)
		return -errno;
	ret = xioctl(fd, KMSGQ_IOC_OPEN, &op);
	close(fd);
	return ret;
}

TEST_F(fan, bad_inputs_fail_with_clear_errnos)
{
	struct kmsgq_notify n = {
		.size = sizeof(n),
		.notify = KMSGQ_NOTIFY_NONE,
	};
	char other[KMSGQ_NAME_MAX];
	struct kmsgq_attr attr = { .max_msgs = FAN_DEPTH };
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	unsigned int tag = 1;
	int s, copy;

	/* A fan-out queue reclaims no claims; FANOUT needs CREATE. */
	EXPECT_EQ(-EINVAL, fan_raw_open(O_RDWR, KMSGQ_OPEN_CREATE |
					KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING |
					KMSGQ_OPEN_RECLAIM, self->name, 0, 0));
	EXPECT_EQ(-EINVAL, fan_raw_open(O_RDWR, KMSGQ_OPEN_FANOUT, self->name,
					0, 0));
	EXPECT_EQ(-EINVAL, fan_raw_open(O_RDWR, KMSGQ_OPEN_CREATE |
					KMSGQ_OPEN_FANOUT, self->name, 0, 1));
	EXPECT_EQ(-ENOENT, kmsgq_subscribe(self->name, O_RDONLY, 0));

	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	/* History only for a subscriber, of a fan-out queue. */
	EXPECT_EQ(-EINVAL, fan_raw_open(O_WRONLY, 0, self->name, 1, 0));
	EXPECT_EQ(0, fan_raw_open(O_RDONLY, 0, self->name, 1, 0));
	EXPECT_EQ(-EINVAL, kmsgq_subscribe(self->name, O_WRONLY, 0));
	copy = create_own_queue(other, "fan-copy", 0, &attr);
	ASSERT_LE(0, copy);
	EXPECT_EQ(-EINVAL, kmsgq_subscribe(other, O_RDONLY, 1));
	close(copy);
	kmsgq_unlink(other);

	/* FIFO only. */
	EXPECT_EQ(-EINVAL, send_tag(self->pub, tag, 1));
	m = (struct kmsgq_msg){ .buf = (uintptr_t)&tag, .len = FAN_MSGSIZE + 1 };
	EXPECT_EQ(-EMSGSIZE, kmsgq_send_batch(self->pub, &m, 1, 0,
					      CLOCK_MONOTONIC, NULL));
	/* A publisher that is not a subscriber cannot receive. */
	EXPECT_EQ(-EBADF, recv_tag(self->pub, NULL));
	/* Losses are reported to a receive, with room for them. */
	m = (struct kmsgq_msg){ .buf = (uintptr_t)&tag, .len = sizeof(tag) };
	EXPECT_EQ(-EINVAL, xfer_ioctl(self->pub, KMSGQ_IOC_SEND, (uintptr_t)&m,
				      1, KMSGQ_XFER_LOST, 0, NULL));

	s = fan_sub(self, 0, false);
	ASSERT_LE(0, s);
	x = (struct kmsgq_xfer){ .size = KMSGQ_XFER_SIZE_VER1 - 8,
				 .flags = KMSGQ_XFER_LOST | KMSGQ_XFER_NONBLOCK,
				 .msgs = (uintptr_t)&m, .nr = 1 };
	EXPECT_EQ(-EINVAL, xioctl(s, KMSGQ_IOC_RECV, &x));
	x.size = sizeof(x);
	x.flags |= KMSGQ_XFER_PEEK;
	EXPECT_EQ(-EINVAL, xioctl(s, KMSGQ_IOC_RECV, &x));
	x.flags &= ~KMSGQ_XFER_PEEK;
	EXPECT_EQ(-EAGAIN, xioctl(s, KMSGQ_IOC_RECV, &x));
	EXPECT_EQ(-EOPNOTSUPP, xioctl(s, KMSGQ_IOC_NOTIFY, &n));
	/* Nothing to map: a subscriber's copy is all it can change. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED,
				   s, 0));
	/* An unreadable payload publishes nothing. */
	m = (struct kmsgq_msg){ .buf = (uintptr_t)fault_page(), .len = 4 };
	EXPECT_EQ(-EFAULT, kmsgq_send_batch(self->pub, &m, 1, 0,
					    CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EAGAIN, recv_tag(s, NULL));
	/* An unwritable buffer leaves the message unread. */
	ASSERT_EQ(0, send_tag(self->pub, 5, 0));
	EXPECT_EQ(-1, read(s, fault_page(), 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(5, recv_tag(s, NULL));
}

TEST_F(fan, subscribers_beyond_the_module_limit_get_enospc)
{
	char other[KMSGQ_NAME_MAX];
	int s[3], extra, pub2, created;

	if (!self->params)
		SKIP(return, "module parameters need root");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, write_param("max_subscribers", 3));
	for (int i = 0; i < 3; i++)
		s[i] = fan_sub(self, 0, false);
	extra = fan_sub(self, 0, false);
	/* Publishers are not subscribers: they still bind. */
	pub2 = kmsgq_open(self->name, O_WRONLY, 0, NULL);
	close(s[0]);
	s[0] = fan_sub(self, 0, false);
	/* None allowed: a reader that creates the queue creates nothing. */
	ASSERT_EQ(0, write_param("max_subscribers", 0));
	snprintf(other, sizeof(other), "fan-none-%d", getpid());
	created = fan_raw_open(O_RDONLY, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_FANOUT,
			       other, 0, 0);
	for (int i = 0; i < 3; i++) {
		EXPECT_LE(0, s[i]);
		close(s[i]);
	}
	EXPECT_EQ(-ENOSPC, extra);
	EXPECT_LE(0, pub2);
	close(pub2);
	EXPECT_EQ(-ENOSPC, created);
	EXPECT_EQ(-ENOENT, kmsgq_unlink(other));
}

/* The most subscribers any queue may have, whatever max_subscribers says. */
#define FAN_SUBS_HARD_MAX	4096

TEST_F(fan, max_subscribers_is_capped_by_the_hard_limit)
{
	static int s[FAN_SUBS_HARD_MAX + 1];
	struct rlimit rl = { FAN_SUBS_HARD_MAX + 64, FAN_SUBS_HARD_MAX + 64 };
	int n = 0;

	if (!self->params)
		SKIP(return, "module parameters need root");
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, write_param("max_subscribers", 1000000));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", 1000000));
	while (n <= FAN_SUBS_HARD_MAX) {
		s[n] = fan_sub(self, 0, false);
		if (s[n] < 0)
			break;
		n++;
	}
	EXPECT_EQ(FAN_SUBS_HARD_MAX, n);
	if (n <= FAN_SUBS_HARD_MAX)
		EXPECT_EQ(-ENOSPC, s[n]);
	/* Each of them still gets what is published. */
	ASSERT_EQ(0, send_tag(self->pub, 7, 0));
	EXPECT_EQ(7, recv_tag(s[0], NULL));
	EXPECT_EQ(7, recv_tag(s[n - 1], NULL));
	while (n--)
		close(s[n]);
}

/* max_subscribers_per_user in the share tests, and a second reader's uid. */
#define FAN_SHARE	3
#define FAN_OTHER_UID	(NOBODY - 1)

/*
 * Make @uid this process's real and effective uid, keeping root as the
 * saved one, so that it may change them again: 0 or -errno.
 */
static int fan_become_for_now(uid_t uid)
{
	if (setresuid(-1, 0, -1) || setresuid(uid, uid, 0))
		return -errno;
	return 0;
}

/*
 * As nobody: take a whole share of the queue @arg names, and find the
 * next subscribe refused, while publishing still binds; as another user,
 * subscribe; as nobody again, close one and subscribe again.  Return: 0,
 * or the number of the step that went wrong.
 */
static int fan_share_try(const void *arg)
{
	const char *name = arg;
	int fds[FAN_SHARE], fd, i;

	if (fan_become_for_now(NOBODY))
		return 1;
	for (i = 0; i < FAN_SHARE; i++) {
		fds[i] = kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0);
		if (fds[i] < 0)
			return 2;
	}
	if (kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0) != -ENOSPC)
		return 3;
	fd = kmsgq_open(name, O_WRONLY, 0, NULL);
	if (fd < 0)
		return 4;
	close(fd);
	if (fan_become_for_now(FAN_OTHER_UID))
		return 5;
	fd = kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return 6;
	if (fan_become_for_now(NOBODY))
		return 7;
	close(fds[0]);
	fds[0] = kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0);
	if (fds[0] < 0)
		return 8;
	return 0;
}

/* A queue's name, and the user to subscribe to it as. */
struct fan_as {
	const char *name;
	uid_t uid;
};

/* As the user @arg names: one subscribe, 0 or -errno. */
static int fan_share_one(const void *arg)
{
	const struct fan_as *as = arg;
	int fd;

	if (become(as->uid, as->uid))
		return -EPERM;
	fd = kmsgq_subscribe(as->name, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

TEST_F(fan, each_user_gets_a_share_of_the_subscribers)
{
	struct fan_as nobody = { self->name, NOBODY };
	int mine[2 * FAN_SHARE + 2], i, n = 0;

	if (!self->params)
		SKIP(return, "needs root to become other users");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0666));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", FAN_SHARE));
	EXPECT_EQ(0, child_int(fan_share_try, self->name));
	/* The owner is not held to a share: the queue is its to give. */
	for (i = 0; i < FAN_SHARE + 1; i++)
		mine[n++] = fan_sub(self, 0, false);
	/* Nor is CAP_SYS_RESOURCE, here without owning the queue. */
	ASSERT_EQ(0, kmsgq_chown(self->name, FAN_OTHER_UID, -1));
	for (i = 0; i < FAN_SHARE + 1; i++)
		mine[n++] = fan_sub(self, 0, false);
	/* None: only the owner and the privileged subscribe. */
	ASSERT_EQ(0, write_param("max_subscribers_per_user", 0));
	EXPECT_EQ(-ENOSPC, child_int(fan_share_one, &nobody));
	EXPECT_EQ(0, write_param("max_subscribers_per_user", self->share));
	EXPECT_EQ(0, child_int(fan_share_one, &nobody));
	EXPECT_EQ(64, self->share);
	for (i = 0; i < n; i++) {
		EXPECT_LE(0, mine[i]);
		close(mine[i]);
	}
}

/* Ids the user namespace of the next test maps, from this host uid on. */
#define FAN_NS_IDS	8
#define FAN_NS_HOST	"100000"

/*
 * In a child: as the user @arg names (root: stay root), make a user
 * namespace and wait (on fd 0) for the parent to map FAN_NS_IDS ids in
 * it, as a subuid range would be; then subscribe to the queue @arg names
 * as each of those ids in turn, until one is refused.  Write (on fd 1)
 * how many bound and the refusal's -errno, keep the subscribers until
 * told, and exit.  Exit status 1: no user namespace here; 2 to 4: a step
 * failed.
 */
static int fan_ns_ids(const void *arg)
{
	const struct fan_as *as = arg;
	int fds[FAN_NS_IDS], got[2] = { 0, 0 }, i;
	char c;

	if (as->uid && become(as->uid, as->uid))
		return 2;
	if (unshare(CLONE_NEWUSER))
		return 1;
	if (write(1, "u", 1) != 1 || read(0, &c, 1) != 1)
		return 3;
	for (i = 0; i < FAN_NS_IDS; i++) {
		/* Saved uid 0 keeps the way to the next id. */
		if (seteuid(0) || setresuid(i, i, 0))
			return 4;
		fds[got[0]] = kmsgq_subscribe(as->name, O_RDONLY | O_NONBLOCK,
					      0);
		if (fds[got[0]] < 0) {
			got[1] = fds[got[0]];
			break;
		}
		got[0]++;
	}
	child_write(1, got, sizeof(got));
	if (read(0, &c, 1) < 0)
		return 3;
	return 0;
}

/* A child running fan_ns_ids(), and its two pipes. */
struct fan_ns {
	pid_t pid;
	int to, from;
};

/*
 * Start fan_ns_ids() as the user @as names, map FAN_NS_IDS ids from
 * @host_id on in its user namespace, and read what it bound.  Return: 0,
 * 1 if the child could not make a user namespace, or -1.
 */
static int fan_ns_start(struct kids *kids, const struct fan_as *as,
			const char *host_id, struct fan_ns *ns, int got[2])
{
	int to[2], from[2], status;
	char path[64], map[64], c;

	if (pipe(to) || pipe(from))
		return -1;
	ns->pid = kids_fork(kids);
	if (ns->pid < 0)
		return -1;
	if (!ns->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		_exit(fan_ns_ids(as));
	}
	close(to[0]);
	close(from[1]);
	ns->to = to[1];
	ns->from = from[0];
	if (read(ns->from, &c, 1) != 1) {
		if (kids_wait(kids, ns->pid, &status) != ns->pid)
			return -1;
		return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 1 : -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", ns->pid);
	snprintf(map, sizeof(map), "0 %s %d", host_id, FAN_NS_IDS);
	if (write_file(path, map) || write(ns->to, "g", 1) != 1 ||
	    !read_all(ns->from, got, 2 * sizeof(int)))
		return -1;
	return 0;
}

/* Tell the child of fan_ns_start() to go: whether it ended well. */
static bool fan_ns_end(struct kids *kids, struct fan_ns *ns)
{
	int status;
	bool ok;

	ok = write(ns->to, "x", 1) == 1 &&
	     kids_wait(kids, ns->pid, &status) == ns->pid && exited_ok(status);
	close(ns->to);
	close(ns->from);
	return ok;
}

TEST_F(fan, a_user_namespace_takes_its_owners_share_only)
{
	struct fan_as nobody = { self->name, NOBODY };
	struct fan_as other = { self->name, FAN_OTHER_UID };
	struct fan_ns ns;
	int got[2], ret;

	if (!self->params)
		SKIP(return, "needs root to map ids in a user namespace");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0644));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", FAN_SHARE));
	ret = fan_ns_start(&self->kids, &nobody, FAN_NS_HOST, &ns, got);
	if (ret == 1)
		SKIP(return, "no user namespaces for nobody here");
	ASSERT_EQ(0, ret);
	/* However many ids it maps, they are nobody's: one share. */
	EXPECT_EQ(FAN_SHARE, got[0]);
	EXPECT_EQ(-ENOSPC, got[1]);
	EXPECT_EQ(-ENOSPC, child_int(fan_share_one, &nobody));
	EXPECT_EQ(0, child_int(fan_share_one, &other));
	EXPECT_TRUE(fan_ns_end(&self->kids, &ns));
}

/*
 * Root's user namespaces (containers: docker's userns-remap, LXD) are
 * tenants of their own, each with the share of the id its root maps to,
 * not all of them one share of root's.
 */
TEST_F(fan, user_namespaces_root_made_take_a_share_each)
{
	struct fan_as root = { self->name, 0 };
	struct fan_ns a, b;
	int got_a[2], got_b[2], ret;

	if (!self->params)
		SKIP(return, "needs root to map ids in a user namespace");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0644));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", FAN_SHARE));
	ret = fan_ns_start(&self->kids, &root, FAN_NS_HOST, &a, got_a);
	if (ret == 1)
		SKIP(return, "no user namespaces here");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, fan_ns_start(&self->kids, &root, "200000", &b, got_b));
	EXPECT_EQ(FAN_SHARE, got_a[0]);
	EXPECT_EQ(-ENOSPC, got_a[1]);
	EXPECT_EQ(FAN_SHARE, got_b[0]);
	EXPECT_EQ(-ENOSPC, got_b[1]);
	EXPECT_TRUE(fan_ns_end(&self->kids, &a));
	EXPECT_TRUE(fan_ns_end(&self->kids, &b));
}

/* The limits of the next test: the owner keeps FAN_RES_SHARE of them. */
#define FAN_RES_MAX	6
#define FAN_RES_SHARE	2

/*
 * As nobody, then another user, take a share each of the queue @arg
 * names, leaving FAN_RES_SHARE; as a third user, find the next subscribe
 * refused; as root, its owner, bind the last FAN_RES_SHARE, and find the
 * queue full.  Return: 0, or the number of the step that went wrong.
 */
static int fan_reserve_try(const void *arg)
{
	static const uid_t users[] = { NOBODY, FAN_OTHER_UID };
	int i, j;

	for (i = 0; i < 2; i++) {
		if (fan_become_for_now(users[i]))
			return 1;
		for (j = 0; j < FAN_RES_SHARE; j++)
			if (kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0) < 0)
				return 2;
	}
	if (fan_become_for_now(FAN_OTHER_UID - 1))
		return 3;
	if (kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0) != -ENOSPC)
		return 4;
	if (fan_become_for_now(0))
		return 5;
	for (j = 0; j < FAN_RES_SHARE; j++)
		if (kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0) < 0)
			return 6;
	return kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0) == -ENOSPC ?
	       0 : 7;
}

TEST_F(fan, the_owner_keeps_a_share_of_the_subscribers)
{
	if (!self->params)
		SKIP(return, "needs root to become other users");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0644));
	ASSERT_EQ(0, write_param("max_subscribers", FAN_RES_MAX));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", FAN_RES_SHARE));
	EXPECT_EQ(0, child_int(fan_reserve_try, self->name));
}

/* As nobody: bind @arg's whole FAN_RES_MAX subscribers.  0, or -errno. */
static int fan_take_all(const void *arg)
{
	int i, fd;

	if (fan_become_for_now(NOBODY))
		return -EPERM;
	for (i = 0; i < FAN_RES_MAX; i++) {
		fd = kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0)
			return fd;
	}
	return kmsgq_subscribe(arg, O_RDONLY | O_NONBLOCK, 0) == -ENOSPC ?
	       0 : -EPROTO;
}

TEST_F(fan, a_share_as_large_as_the_queue_turns_the_shares_off)
{
	if (!self->params)
		SKIP(return, "needs root to become other users");
	ASSERT_EQ(0, fan_create(self, 0, FAN_DEPTH));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0644));
	ASSERT_EQ(0, write_param("max_subscribers", FAN_RES_MAX));
	ASSERT_EQ(0, write_param("max_subscribers_per_user", FAN_RES_MAX));
	EXPECT_EQ(0, child_int(fan_take_all, self->name));
}

TEST_F(fan, a_refused_open_leaves_no_queue_behind)
{
	/* History for a file that is no subscriber, or a queue not fan-out. */
	EXPECT_EQ(-EINVAL, fan_raw_open(O_WRONLY, KMSGQ_OPEN_CREATE |
					KMSGQ_OPEN_FANOUT, self->name, 5, 0));
	EXPECT_EQ(-ENOENT, kmsgq_subscribe(self->name, O_RDONLY, 0));
	EXPECT_EQ(-EINVAL, fan_raw_open(O_RDONLY, KMSGQ_OPEN_CREATE,
					self->name, 5, 0));
	EXPECT_EQ(-ENOENT, kmsgq_subscribe(self->name, O_RDONLY, 0));
	/* The name is still free for the queue asked for. */
	EXPECT_EQ(0, fan_raw_open(O_RDONLY, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL |
				  KMSGQ_OPEN_FANOUT, self->name, 5, 0));
}

/* --- stress -------------------------------------------------------------- */

/*
 * In a stress helper: close every subscriber descriptor but @keep (-1:
 * all), so that a helper that dies or gives up unsubscribes, and its
 * publishers fail the test instead of waiting for it for ever.
 */
static void fan_keep_only(const int *s, int nr, int keep)
{
	int i;

	for (i = 0; i < nr; i++)
		if (s[i] != keep)
			close(s[i]);
}

/* A stress message: who sent it, its number, and a checksum of both. */
struct fan_msg {
	__u32 pub;
	__u32 seq;
	__u32 check;
	__u32 order;
};

/* Publisher @p: FAN_PER_PUB messages in batches of 1..FAN_BATCH. */
static int fan_publish(int fd, unsigned int p)
{
	struct kmsgq_msg m[FAN_BATCH];
	struct fan_msg msg[FAN_BATCH];
	uint64_t seed = p + 1;
	unsigned int seq = 0, n, i;
	int ret;

	while (seq < FAN_PER_PUB) {
		n = 1 + rnd(&seed) % FAN_BATCH;
		if (n > FAN_PER_PUB - seq)
			n = FAN_PER_PUB - seq;
		for (i = 0; i < n; i++) {
			msg[i] = (struct fan_msg){
				.pub = p,
				.seq = seq + i,
				.check = mix32(p * 0x10000 + seq + i),
			};
			m[i] = (struct kmsgq_msg){
				.buf = (uintptr_t)&msg[i],
				.len = sizeof(msg[i]),
			};
		}
		ret = kmsgq_send_batch(fd, m, n, 0, CLOCK_MONOTONIC, NULL);
		if (ret <= 0) {
			fprintf(stderr, "# publisher %u: send: %d\n", p, ret);
			return 1;
		}
		seq += ret;
	}
	return 0;
}

/*
 * One KMSGQ_IOC_RECV of up to @nr stress messages into @msg, with the
 * losses reported in *@lost: the messages received, -EPROTO if one is not
 * a whole stress message with its checksum right, or -errno.
 */
static int fan_recv_batch(int fd, struct fan_msg *msg, unsigned int nr,
			  __u64 *lost)
{
	struct kmsgq_msg m[FAN_BATCH];
	struct kmsgq_xfer x = {
		.size = sizeof(x),
		.flags = KMSGQ_XFER_LOST,
		.msgs = (uintptr_t)m,
		.nr = nr,
	};
	unsigned int i;
	int n;

	for (i = 0; i < nr; i++)
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&msg[i],
					   .len = sizeof(msg[i]) };
	n = xioctl(fd, KMSGQ_IOC_RECV, &x);
	*lost = x.lost;
	for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++)
		if (m[i].len != sizeof(msg[i]) || msg[i].pub >= FAN_PUBS ||
		    msg[i].check != mix32(msg[i].pub * 0x10000 + msg[i].seq))
			return -EPROTO;
	return n;
}

/*
 * Subscriber: every publisher's messages, each once and in its order,
 * nothing lost; writes a hash of the order it saw them in to @out, which
 * every subscriber must share.
 */
static int fan_subscribe_all(int fd, int out, __u64 want_lost)
{
	unsigned int next[FAN_PUBS] = { 0 }, got = 0, i;
	struct fan_msg msg[FAN_BATCH];
	__u64 hash = 0, lost;
	int n;

	while (got < FAN_PUBS * FAN_PER_PUB) {
		n = fan_recv_batch(fd, msg, FAN_BATCH, &lost);
		if (n <= 0 || lost != want_lost) {
			fprintf(stderr, "# receive: %d, lost %llu, after %u\n",
				n, (unsigned long long)lost, got);
			return 1;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			struct fan_msg *f = &msg[i];

			if (f->seq != next[f->pub]) {
				fprintf(stderr, "# got %u/%u, want %u, after %u\n",
					f->pub, f->seq, next[f->pub], got + i);
				return 2;
			}
			next[f->pub]++;
			hash = hash * 31 + f->pub;
		}
		got += n;
	}
	child_write(out, &hash, sizeof(hash));
	/* Nothing more: one look that does not wait. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return recv_tag(fd, NULL) == -EAGAIN ? 0 : 3;
}

TEST_F_TIMEOUT(fan, stress_4_publishers_8_subscribers_lossless,
	       FAN_STRESS_TIMEOUT)
{
	__s64 start = now_ns(CLOCK_MONOTONIC);
	int s[FAN_SUBS], p[2], i, status;
	__u64 hash[FAN_SUBS];
	pid_t pid;

	ASSERT_EQ(0, fan_create(self, 0, 16));
	for (i = 0; i < FAN_SUBS; i++) {
		s[i] = fan_sub(self, 0, true);
		ASSERT_LE(0, s[i]);
	}
	ASSERT_EQ(0, pipe(p));
	for (i = 0; i < FAN_SUBS; i++) {
		pid = kids_fork(&self->kids);
		ASSERT_LE(0, pid);
		if (!pid) {
			fan_keep_only(s, FAN_SUBS, s[i]);
			_exit(fan_subscribe_all(s[i], p[1], 0));
		}
	}
	for (i = 0; i < FAN_PUBS; i++) {
		pid = kids_fork(&self->kids);
		ASSERT_LE(0, pid);
		if (!pid) {
			fan_keep_only(s, FAN_SUBS, -1);
			_exit(fan_publish(self->pub, i));
		}
	}
	fan_keep_only(s, FAN_SUBS, -1);
	close(p[1]);
	for (i = 0; i < FAN_SUBS; i++)
		ASSERT_TRUE(read_all(p[0], &hash[i], sizeof(hash[i])));
	close(p[0]);
	while ((pid = kids_wait(&self->kids, -1, &status)) > 0)
		EXPECT_TRUE(exited_ok(status)) TH_LOG("status %#x", status);
	for (i = 1; i < FAN_SUBS; i++)
		EXPECT_EQ(hash[0], hash[i]) TH_LOG("subscriber %d", i);
	EXPECT_EQ(FAN_PUBS * FAN_PER_PUB, stats_of(self->pub).msgs_sent);
	EXPECT_EQ((__u64)FAN_SUBS * FAN_PUBS * FAN_PER_PUB,
		  stats_of(self->pub).msgs_recv);
	EXPECT_EQ(0, stats_of(self->pub).msgs_lost);
	TH_LOG("%d x %d messages to %d subscribers in %lld ms", FAN_PUBS,
	       FAN_PER_PUB, FAN_SUBS,
	       (now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_MSEC);
}

/*
 * Lossy subscriber: reads until every message is received or reported
 * lost, each publisher's in order and at most once; then checks the
 * reports against STATS.
 */
static int fan_subscribe_lossy(int fd, unsigned int pubs, unsigned int slow)
{
	unsigned int next[FAN_PUBS] = { 0 }, i;
	__u64 got = 0, lost = 0, more;
	struct fan_msg msg[FAN_BATCH];
	struct kmsgq_stats st;
	int n;

	while (got + lost < pubs * FAN_PER_PUB) {
		n = fan_recv_batch(fd, msg, slow ? 1 : FAN_BATCH, &more);
		if (n <= 0)
			return 1;
		lost += more;
		for (i = 0; i < (unsigned int)n; i++) {
			struct fan_msg *f = &msg[i];

			/* In order: a publisher's numbers only grow. */
			if (f->pub >= pubs || f->seq < next[f->pub])
				return 2;
			next[f->pub] = f->seq + 1;
		}
		got += n;
		if (slow)
			usleep(slow);
	}
	if (got + lost != pubs * FAN_PER_PUB || kmsgq_stats(fd, &st) ||
	    st.sub_lost != lost || st.sub_lag)
		return 3;
	return 0;
}

TEST_F_TIMEOUT(fan, stress_drop_counts_add_up_per_subscriber,
	       FAN_STRESS_TIMEOUT)
{
	static const unsigned int slow[4] = { 0, 0, 50, 500 };
	int s[4], i, status;
	pid_t pid;

	ASSERT_EQ(0, fan_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 8));
	for (i = 0; i < 4; i++) {
		s[i] = fan_sub(self, 0, true);
		ASSERT_LE(0, s[i]);
	}
	for (i = 0; i < 4; i++) {
		pid = kids_fork(&self->kids);
		ASSERT_LE(0, pid);
		if (!pid) {
			fan_keep_only(s, 4, s[i]);
			_exit(fan_subscribe_lossy(s[i], 2, slow[i]));
		}
	}
	for (i = 0; i < 2; i++) {
		pid = kids_fork(&self->kids);
		ASSERT_LE(0, pid);
		if (!pid) {
			fan_keep_only(s, 4, -1);
			_exit(fan_publish(self->pub, i));
		}
	}
	fan_keep_only(s, 4, -1);
	while ((pid = kids_wait(&self->kids, -1, &status)) > 0)
		EXPECT_TRUE(exited_ok(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(stats_of(self->pub).msgs_recv + stats_of(self->pub).msgs_lost,
		  4ULL * 2 * FAN_PER_PUB);
}

TEST_HARNESS_MAIN
