// SPDX-License-Identifier: GPL-2.0
/*
 * Description: wakeups that must not be lost, and errnos a race must not
 * change.  A receiver whose buffer is too small passes on the exclusive
 * wakeup it took; a kernel receive that skips empty ring slots wakes the
 * producers it made room for; a non-blocking ring receive that loses a
 * claim race says EAGAIN, never ETIMEDOUT or EINTR.
 */
#include "kmsgq_test.h"

/* Reap @pid within 5 s: its exit status, 128 if killed, -1 if stuck. */
static int reap_exit_status(pid_t pid)
{
	int status = reap_within(pid, 5000);

	if (status == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (status < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(a_small_buffer_receiver_passes_on_its_wakeup)
{
	struct kmsgq_attr attr = { .max_msgs = 4, .max_msgsize = 100 };
	char name[KMSGQ_NAME_MAX], buf[100] = "x";
	pid_t a, b;
	int fd, r;

	fd = create_own_queue(name, "wake-small", 0, &attr);
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
	EXPECT_EQ(0, reap_exit_status(a));
	/* B must get the message A could not take. */
	EXPECT_EQ(0, reap_exit_status(b))
		TH_LOG("the receiver that fits sleeps on");
	kmsgq_close(fd);
	kmsgq_unlink(name);
}

TEST(skipping_empty_ring_slots_wakes_a_producer)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 2, .max_msgsize = 64,
	};
	struct kmsgq_msg m = { 0, 64, 0 };
	char name[KMSGQ_NAME_MAX], buf[64] = "y";
	struct kmsgq_ring r;
	__u32 pos;
	pid_t p;
	int fd;

	fd = create_own_queue(name, "wake-ring", 0, &attr);
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
	EXPECT_EQ(0, reap_exit_status(p))
		TH_LOG("the producer sleeps on a free ring");
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
	char name[KMSGQ_NAME_MAX], buf[64] = "z";
	int fd, i, r, status, bad = 0;
	pid_t kids[3];

	fd = create_own_queue(name, "wake-nb", O_NONBLOCK, &attr);
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
