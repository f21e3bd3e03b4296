// SPDX-License-Identifier: GPL-2.0
/*
 * Description: wakeups that must not be lost, and errnos a race must not
 * change.  A receiver whose buffer is too small passes on the exclusive
 * wakeup it took; a kernel receive that skips empty ring slots wakes the
 * producers it made room for; a non-blocking ring receive that loses a
 * claim race says EAGAIN, never ETIMEDOUT or EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmsgq.h>

#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/* Wait until the queue has @n sleepers of a kind (send or receive). */
static int wait_sleepers(int fd, bool send, unsigned int n)
{
	struct kmsgq_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		if (kmsgq_stats(fd, &st))
			return -1;
		if ((send ? st.send_waiters : st.recv_waiters) == n) {
			usleep(100000);	/* queued, not just counted */
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

/* Reap @pid within @secs seconds: its exit status, or -1 (then killed). */
static int reap_within(pid_t pid, int secs)
{
	int status, i;

	for (i = 0; i < secs * 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

TEST(a_small_buffer_receiver_passes_on_its_wakeup)
{
	struct kmsgq_attr attr = { .max_msgs = 4, .max_msgsize = 100 };
	char name[64], buf[100] = "x";
	pid_t a, b;
	int fd, r;

	snprintf(name, sizeof(name), "wake-small-%d", getpid());
	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, fd);

	a = fork();
	if (!a) {	/* sleeps first, with a 10-byte buffer */
		r = kmsgq_receive(fd, buf, 10, NULL);
		_exit(r == -EMSGSIZE ? 0 : 1);
	}
	ASSERT_EQ(0, wait_sleepers(fd, false, 1));
	b = fork();
	if (!b) {	/* sleeps second, with room for any message */
		r = kmsgq_receive(fd, buf, sizeof(buf), NULL);
		_exit(r == 50 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_sleepers(fd, false, 2));
	ASSERT_EQ(0, kmsgq_send(fd, buf, 50, 0));
	EXPECT_EQ(0, reap_within(a, 5));
	/* B must get the message A could not take. */
	EXPECT_EQ(0, reap_within(b, 5)) TH_LOG("the receiver that fits sleeps on");
	kmsgq_close(fd);
	kmsgq_unlink(name);
}

TEST(skipping_empty_ring_slots_wakes_a_producer)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 2, .max_msgsize = 64,
	};
	struct kmsgq_msg m = { 0, 64, 0 };
	char name[64], buf[64] = "y";
	struct kmsgq_ring r;
	__u32 pos;
	pid_t p;
	int fd;

	snprintf(name, sizeof(name), "wake-ring-%d", getpid());
	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_ring_map(fd, &r));
	/* Fill the ring with two slots that carry no message. */
	ASSERT_EQ(2U, kmsgq_ring_reserve(&r, 2, &pos));
	kmsgq_ring_commit(&r, pos, UINT32_MAX);
	kmsgq_ring_commit(&r, pos + 1, UINT32_MAX);
	ASSERT_EQ(0, kmsgq_ring_commit_done(&r));
	m.buf = (uintptr_t)buf;
	ASSERT_EQ(-EAGAIN, kmsgq_send_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK, 0, NULL));

	p = fork();
	if (!p)		/* sleeps for room */
		_exit(kmsgq_send(fd, buf, 8, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_sleepers(fd, true, 1));
	/* Frees both slots, receives nothing. */
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, reap_within(p, 5)) TH_LOG("the producer sleeps on a free ring");
	kmsgq_ring_unmap(&r);
	kmsgq_close(fd);
	kmsgq_unlink(name);
}

/* A non-blocking receive never times out, even with a deadline gone by. */
TEST(nonblocking_ring_receive_never_times_out)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 64, .max_msgsize = 64,
	};
	struct kmsgq_msg m = { 0, 0, 0 };
	struct timespec past, end;
	char name[64], buf[64] = "z";
	int fd, i, r, status, bad = 0;
	pid_t kids[3];

	snprintf(name, sizeof(name), "wake-nb-%d", getpid());
	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600,
			&attr);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i])
			continue;
		/* 0 sends; 1 and 2 race to receive, with a deadline gone by. */
		m.buf = (uintptr_t)buf;
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += 5;
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &past);
			if (past.tv_sec > end.tv_sec)
				_exit(0);
			past.tv_sec -= 1;
			if (!i) {
				kmsgq_send(fd, buf, 8, 0);
				continue;
			}
			m.len = sizeof(buf);
			r = kmsgq_receive_batch(fd, &m, 1, 0, CLOCK_MONOTONIC,
						&past);
			if (r != 1 && r != -EAGAIN) {
				printf("# non-blocking receive: %s\n",
				       strerror(-r));
				_exit(1);
			}
		}
	}
	for (i = 0; i < 3; i++) {
		waitpid(kids[i], &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	EXPECT_EQ(0, bad);
	kmsgq_close(fd);
	kmsgq_unlink(name);
}

TEST_HARNESS_MAIN
