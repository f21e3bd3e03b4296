// SPDX-License-Identifier: GPL-2.0
/*
 * Description: sleeping and waking on a kmsgq ring queue
 * (KMSGQ_OPEN_RING): the arguments of KMSGQ_IOC_RING_WAIT and
 * KMSGQ_IOC_RING_WAKE, waits that need not sleep and waits that expire,
 * signals, sleepers in kmsgq_ring_wait(), poll(), epoll and blocking
 * copy-mode calls woken by in-place peers, the shared wakeup word,
 * in-place traffic that makes no system call while nobody sleeps, and
 * KMSGQ_RING_WAIT_WAKER (whether the waker ran on the sleeper's CPU).
 *
 * What every ring test shares, and the rules its helper processes keep:
 * ring_test.h.
 */
#include "ring_test.h"

#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

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

/* -- ring: arguments of RING_WAIT and RING_WAKE -- */

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
	EXPECT_EQ(-EINVAL, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE,
				      KMSGQ_RING_WAIT_WAKER,
				      KMSGQ_RING_READABLE, 0, 0, 0));
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
		n = kmsgq_ring_claim(r, 2, &pos);
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
	while ((n = kmsgq_ring_claim(r, r->nr_slots, &pos)) != 0) {
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

/* -- ring: poll, and blocking copy-mode calls -- */

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
	ASSERT_EQ(1, kmsgq_ring_claim(&self->q.r, 1, &pos));
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

/* ==== waker: where the task that woke a RING_WAIT ran ==== */

/* Pin the calling process to @cpu: 0 or -errno. */
static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* How a waker child sleeps: the raw ioctl with @flags, or the library. */
enum waker_wait { WAKER_IOCTL, WAKER_LIBRARY };

/*
 * In a child on @cpu: wait for a message, as @how says, and report the
 * result.
 */
static void __attribute__((noreturn))
child_wait_on_cpu(struct rctx *q, int cpu, enum waker_wait how, __u32 flags)
{
	int ret = pin_to_cpu(cpu);

	if (ret)
		child_report(q, ret, 0, NULL);
	child_ready(&q->p);
	if (how == WAKER_LIBRARY)
		ret = kmsgq_ring_wait(&q->r, KMSGQ_RING_READABLE,
				      CLOCK_MONOTONIC, NULL);
	else
		ret = ring_ioctl(q->fd, KMSGQ_IOC_RING_WAIT, flags,
				 KMSGQ_RING_READABLE, 0, 0, 0);
	child_report(q, ret, 0, NULL);
}

FIXTURE(waker) {
	struct rctx q;
};

/*
 * @sleeper_cpu: where the child sleeps (the test wakes it from CPU 0);
 * @how, @flags: how it sleeps; @copy_send: woken by a copy-mode send (the
 * kernel's publish) rather than an in-place commit and its WAKE; @want:
 * the child's result.
 */
FIXTURE_VARIANT(waker) {
	int sleeper_cpu;
	enum waker_wait how;
	__u32 flags;
	bool copy_send;
	int want;
};

FIXTURE_VARIANT_ADD(waker, same_cpu_in_place_commit) {
	.sleeper_cpu = 0, .how = WAKER_IOCTL, .flags = KMSGQ_RING_WAIT_WAKER,
	.want = KMSGQ_RING_READABLE | KMSGQ_RING_WOKEN_LOCAL,
};

FIXTURE_VARIANT_ADD(waker, same_cpu_copy_mode_send) {
	.sleeper_cpu = 0, .how = WAKER_IOCTL, .flags = KMSGQ_RING_WAIT_WAKER,
	.copy_send = true,
	.want = KMSGQ_RING_READABLE | KMSGQ_RING_WOKEN_LOCAL,
};

FIXTURE_VARIANT_ADD(waker, same_cpu_without_the_flag) {
	.sleeper_cpu = 0, .how = WAKER_IOCTL, .flags = 0,
	.want = KMSGQ_RING_READABLE,
};

FIXTURE_VARIANT_ADD(waker, same_cpu_through_the_library) {
	.sleeper_cpu = 0, .how = WAKER_LIBRARY,
	.want = KMSGQ_RING_READABLE,
};

FIXTURE_VARIANT_ADD(waker, other_cpu_in_place_commit) {
	.sleeper_cpu = 1, .how = WAKER_IOCTL, .flags = KMSGQ_RING_WAIT_WAKER,
	.want = KMSGQ_RING_READABLE,
};

FIXTURE_VARIANT_ADD(waker, other_cpu_copy_mode_send) {
	.sleeper_cpu = 1, .how = WAKER_IOCTL, .flags = KMSGQ_RING_WAIT_WAKER,
	.copy_send = true, .want = KMSGQ_RING_READABLE,
};

FIXTURE_SETUP(waker)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(waker)
{
	rctx_teardown(&self->q);
}

TEST_F(waker, sleeper_learns_whether_its_waker_ran_on_its_cpu)
{
	__u32 seq = 3;
	struct report rep;
	pid_t pid;

	if (variant->sleeper_cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		SKIP(return, "needs CPU %d", variant->sleeper_cpu);
	ASSERT_EQ(0, pin_to_cpu(0));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_wait_on_cpu(&self->q, variant->sleeper_cpu, variant->how,
				  variant->flags);
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_FALSE(report_pending(&self->q.p));
	if (variant->copy_send) {
		ASSERT_EQ(0, kmsgq_send(self->q.fd, &seq, sizeof(seq), 0));
	} else {
		ASSERT_EQ(0, put_in_place(&self->q.r, &seq, sizeof(seq)));
	}
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(variant->want, rep.ret);
}

TEST_F(ring, waker_flag_on_a_wait_that_expires_or_need_not_sleep_reports_nothing)
{
	__u32 seq = 4;

	EXPECT_EQ(-ETIMEDOUT,
		  ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT,
			     KMSGQ_RING_WAIT_WAKER | KMSGQ_XFER_TIMEOUT |
			     KMSGQ_XFER_RELATIVE, KMSGQ_RING_READABLE,
			     CLOCK_MONOTONIC, 0, 1000000));
	ASSERT_EQ(0, put_in_place(&self->q.r, &seq, sizeof(seq)));
	EXPECT_EQ(KMSGQ_RING_READABLE,
		  ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT,
			     KMSGQ_RING_WAIT_WAKER, KMSGQ_RING_READABLE, 0, 0,
			     0));
}

TEST_F(ring, info_reports_the_waker_feature)
{
	struct kmsgq_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, kmsgq_info(-1, &info));
	EXPECT_NE(0, info.features & KMSGQ_FEAT_RING_WAKER);
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
	ASSERT_EQ(RING_DEPTH, kmsgq_ring_claim(&self->q.r, RING_DEPTH, &pos));
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

/* Whether thread @tid of this process is seen asleep within the looks. */
static bool wait_until_thread_sleeping(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return wait_until_asleep_at(path);
}

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

TEST_HARNESS_MAIN
