// SPDX-License-Identifier: GPL-2.0
/*
 * Description: KMSGQ_IOC_SEND and KMSGQ_IOC_RECV as io_uring commands
 * (IORING_OP_URING_CMD, KMSGQ_FEAT_URING_CMD, kmsgq_uring.h).  Priorities,
 * batches, peeks, NONBLOCK and deadlines do what the ioctl does; a command
 * that would sleep parks on the queue with no io-wq worker thread and
 * completes once when a message (room) comes, however many wait; access
 * modes, unbound files, bad pointers and other users get the ioctl's
 * errors; cancelling, ring exit and a SIGKILLed submitter leave the
 * queue's counters clean and no message lost.  On fan-out queues a send
 * reaches every subscriber, a subscriber's receives take each of its
 * messages once and in order, a parked send waits for the slowest
 * subscriber (or its death), the overflow policies act as with the ioctl,
 * and a loss report is written back when the command completes.  On a
 * kernel without the command (6.1) every test is skipped.
 *
 * Every completion is waited for with a generous bound (UQ_WAIT_MS), so a
 * lost wakeup fails the test instead of hanging it.  Helper processes never
 * use ASSERT or EXPECT: they report through their exit status.
 */
#include "kmsgq_test.h"
#include "uring_test.h"

#include <sched.h>

#include <kmsgq_uring.h>

#define UC_DEPTH	64
/* Submission queue entries of a test's ring. */
#define UC_ENTRIES	256
/* Commands parked on one queue at once. */
#define UC_PENDING	64
/* Messages of a batch. */
#define UC_BATCH	8

/* open(2) access mode 3: neither read nor write. */
#define UC_NOACCESS	(O_WRONLY | O_RDWR)

/* ---- commands ---- */

/* A transfer of @nr messages at @m with @flags, as for the ioctl. */
static void xfer_init(struct kmsgq_xfer *x, struct kmsgq_msg *m,
		      unsigned int nr, __u32 flags)
{
	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->flags = flags;
	x->msgs = (uintptr_t)m;
	x->nr = nr;
}

/* Message @i of an array points at @buf, of @len bytes, with @prio. */
static void msg_at(struct kmsgq_msg *m, void *buf, __u32 len, __u32 prio)
{
	m->buf = (uintptr_t)buf;
	m->len = len;
	m->prio = prio;
}

/* Queue a command with @data: its entry. */
static struct io_uring_sqe *uc_cmd(struct io_uring *ring, int fd, bool send,
				   struct kmsgq_xfer *x, __u64 data)
{
	struct io_uring_sqe *sqe = uq_sqe(ring);

	if (send)
		kmsgq_prep_send(sqe, fd, x);
	else
		kmsgq_prep_receive(sqe, fd, x);
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

/* One command through a fresh ring, waited for: its result, or -errno. */
static int uc_once(int fd, bool send, struct kmsgq_xfer *x)
{
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return ret;
	uc_cmd(&ring, fd, send, x, 0);
	ret = uq_submit_one(&ring);
	io_uring_queue_exit(&ring);
	return ret;
}

/* Receive one message into @buf with a command: its result. */
static int uc_recv1(int fd, void *buf, struct kmsgq_msg *m, __u32 flags)
{
	struct kmsgq_xfer x;

	msg_at(m, buf, UQ_MSGSIZE, 0);
	xfer_init(&x, m, 1, flags);
	return uc_once(fd, false, &x);
}

/* Whether the module runs the commands; SKIP-worthy if not. */
static bool have_uring_cmd(void)
{
	struct kmsgq_info info;

	return !kmsgq_info(-1, &info) && (info.features & KMSGQ_FEAT_URING_CMD);
}

/*
 * In a helper process: submit the @n commands queued on @ring (if any),
 * say so on @ready, and wait to be killed with them parked.
 */
static void child_park(struct io_uring *ring, int n, int ready)
{
	if (ring && io_uring_submit(ring) != n)
		_exit(1);
	child_write(ready, "r", 1);
	pause();
	_exit(1);
}

/* Wait for the byte of child_park() on pipe @ready: false if none came. */
static bool parked_in_child(int ready[2])
{
	bool ok;
	char c;

	close(ready[1]);
	ok = read_all(ready[0], &c, 1);
	close(ready[0]);
	return ok;
}

/*
 * Unlink queue @name, whose every file the test closed, and check that
 * nothing of it is left: the module's references back to @refs (unless
 * unknown), and no queue of that name.
 */
static void uc_check_gone(struct __test_metadata *_metadata, const char *name,
			  long refs)
{
	int ours = -1;

	ASSERT_EQ(0, kmsgq_unlink(name));
	if (refs >= 0)
		EXPECT_TRUE(module_refs_back_to(refs))
			TH_LOG("a file of the ring is still open");
	ASSERT_LE(0, debugfs_count_queues(name, &ours));
	EXPECT_EQ(0, ours);
}

/* ---- the fixture: one copy queue ---- */

FIXTURE(ucmd) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct io_uring ring;
	bool have_ring;
	long refs;		/* module references before the test */
	struct kids kids;
};

FIXTURE_SETUP(ucmd)
{
	struct kmsgq_attr attr = {
		.max_msgs = UC_DEPTH, .max_msgsize = UQ_MSGSIZE,
	};
	int ret;

	self->fd = -1;
	if (!have_uring_cmd())
		SKIP(return, "no KMSGQ_FEAT_URING_CMD (the module's kernel has no cancellation hook for io_uring commands)");
	self->refs = module_refs();
	ret = io_uring_queue_init(UC_ENTRIES, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = true;
	self->fd = create_own_queue(self->name, "ucmd", 0, &attr);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ucmd)
{
	kids_kill(&self->kids);
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	if (self->name[0])
		kmsgq_unlink(self->name);
}

/* Close the queue and the ring, as the end of a program does. */
static void ucmd_close_all(FIXTURE_DATA(ucmd) *self)
{
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;
	close(self->fd);
	self->fd = -1;
}

TEST_F(ucmd, priorities_come_out_highest_first)
{
	static const __u32 prios[] = { 1, 7, 3, 7, 0 };
	static const unsigned int order[] = { 1, 3, 2, 0, 4 };
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		msg_fill(buf, i);
		msg_at(&m, buf, msg_len(i), prios[i]);
		xfer_init(&x, &m, 1, 0);
		ASSERT_EQ(1, uc_once(self->fd, true, &x)) TH_LOG("send %u", i);
	}
	EXPECT_EQ(5, queued(self->fd));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(1, uc_recv1(self->fd, buf, &m, 0));
		EXPECT_EQ(order[i], msg_seed(buf, m.len)) TH_LOG("receive %u", i);
		EXPECT_EQ(prios[order[i]], m.prio);
	}
}

TEST_F(ucmd, batch_of_8_each_way_completes_with_8)
{
	char out[UC_BATCH][UQ_MSGSIZE], in[UC_BATCH][UQ_MSGSIZE];
	struct kmsgq_msg m[UC_BATCH];
	struct kmsgq_xfer x;
	unsigned int i;

	for (i = 0; i < UC_BATCH; i++) {
		msg_fill(out[i], 100 + i);
		msg_at(&m[i], out[i], msg_len(100 + i), 2);
	}
	xfer_init(&x, m, UC_BATCH, 0);
	EXPECT_EQ(UC_BATCH, uc_once(self->fd, true, &x));
	EXPECT_EQ(UC_BATCH, queued(self->fd));

	for (i = 0; i < UC_BATCH; i++)
		msg_at(&m[i], in[i], UQ_MSGSIZE, 0);
	xfer_init(&x, m, UC_BATCH, 0);
	EXPECT_EQ(UC_BATCH, uc_once(self->fd, false, &x));
	for (i = 0; i < UC_BATCH; i++) {
		EXPECT_EQ(100 + i, msg_seed(in[i], m[i].len)) TH_LOG("%u", i);
		EXPECT_EQ(2, m[i].prio);
	}
	EXPECT_EQ(0, queued(self->fd));
}

TEST_F(ucmd, receive_parks_without_a_thread_until_another_process_sends)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int before, res;
	__u64 data;
	pid_t p;

	before = self_threads(NULL);
	ASSERT_LT(0, before);
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0);
	uc_cmd(&self->ring, self->fd, false, &x, 7);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	/* Parked: counted as a waiting receive, but no thread waits. */
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(before, self_threads(NULL));
	EXPECT_EQ(1, sleepers(self->fd, false));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(msg_send(self->fd, 42) ? 1 : 0);
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(7, data);
	EXPECT_EQ(1, res);
	EXPECT_EQ(42, msg_seed(buf, m.len));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(before, self_threads(NULL));
	EXPECT_EQ(0, sleepers(self->fd, false));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
}

TEST_F(ucmd, send_to_a_full_queue_parks_until_a_receive)
{
	char buf[UQ_MSGSIZE], last[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int i, res;
	pid_t p;

	for (i = 0; i < UC_DEPTH; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	msg_fill(last, 1000);
	msg_at(&m, last, msg_len(1000), 9);
	xfer_init(&x, &m, 1, 0);
	uc_cmd(&self->ring, self->fd, true, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(1, sleepers(self->fd, true));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(kmsgq_receive(self->fd, buf, sizeof(buf), NULL) ==
		      (ssize_t)msg_len(0) ? 0 : 1);
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(0, sleepers(self->fd, true));
	/* Priority 9 overtakes the 63 messages of priority 0. */
	EXPECT_EQ(1000, msg_seed(buf, kmsgq_receive(self->fd, buf, sizeof(buf),
						    NULL)));
	EXPECT_EQ(UC_DEPTH - 1, queued(self->fd));
}

TEST_F(ucmd, parked_receives_complete_exactly_once_one_message_at_a_time)
{
	static char bufs[UC_PENDING][UQ_MSGSIZE];
	static struct kmsgq_xfer xs[UC_PENDING];
	static struct kmsgq_msg ms[UC_PENDING];
	bool done[UC_PENDING] = { false }, seen[UC_PENDING] = { false };
	int go[2], res, i, k;
	__u64 data;
	long seed;
	pid_t p;

	for (i = 0; i < UC_PENDING; i++) {
		msg_at(&ms[i], bufs[i], UQ_MSGSIZE, 0);
		xfer_init(&xs[i], &ms[i], 1, 0);
		uc_cmd(&self->ring, self->fd, false, &xs[i], i);
	}
	ASSERT_EQ(UC_PENDING, io_uring_submit(&self->ring));
	EXPECT_EQ(UC_PENDING, sleepers(self->fd, false));
	ASSERT_EQ(0, pipe(go));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* a message per byte on the pipe */
		char c;

		close(go[1]);
		for (k = 0; k < UC_PENDING; k++)
			if (!read_all(go[0], &c, 1) || msg_send(self->fd, k))
				_exit(1);
		_exit(0);
	}
	close(go[0]);

	for (k = 0; k < UC_PENDING; k++) {
		EXPECT_EQ(0, iowq_workers()) TH_LOG("before message %d", k);
		ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data))
			TH_LOG("message %d completes no receive", k);
		ASSERT_GT(UC_PENDING, data);
		EXPECT_FALSE(done[data]) TH_LOG("receive %llu completes twice",
						(unsigned long long)data);
		done[data] = true;
		ASSERT_EQ(1, res) TH_LOG("receive %llu", (unsigned long long)data);
		seed = msg_seed(bufs[data], ms[data].len);
		ASSERT_LE(0, seed);
		ASSERT_GT(UC_PENDING, seed);
		EXPECT_FALSE(seen[seed]);
		seen[seed] = true;
		/* One message, one completion: the others wait on. */
		EXPECT_FALSE(uq_completed_now(&self->ring))
			TH_LOG("message %d completes two receives", k);
		EXPECT_EQ(UC_PENDING - k - 1, sleepers(self->fd, false));
	}
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, queued(self->fd));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	close(go[1]);
}

TEST_F(ucmd, peek_leaves_the_message_queued_and_waits_for_its_index)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int res;

	ASSERT_EQ(0, msg_send(self->fd, 1));
	ASSERT_EQ(0, msg_send(self->fd, 2));
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, KMSGQ_XFER_PEEK);
	x.index = 1;
	EXPECT_EQ(1, uc_once(self->fd, false, &x));
	EXPECT_EQ(2, msg_seed(buf, m.len));
	EXPECT_EQ(2, queued(self->fd));

	/* Index 2: parks, uncounted, until a third message stands there. */
	msg_at(&m, buf, sizeof(buf), 0);
	x.index = 2;
	uc_cmd(&self->ring, self->fd, false, &x, 3);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, sleepers(self->fd, false));
	ASSERT_EQ(0, msg_send(self->fd, 3));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(3, msg_seed(buf, m.len));
	EXPECT_EQ(3, queued(self->fd));
	EXPECT_EQ(1, msg_seed(buf, kmsgq_receive(self->fd, buf, sizeof(buf),
						 NULL)));
}

TEST_F(ucmd, nonblock_and_o_nonblock_complete_with_eagain_without_a_thread)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_msg m;
	int fd;

	EXPECT_EQ(-EAGAIN, uc_recv1(self->fd, buf, &m, KMSGQ_XFER_NONBLOCK));
	fd = kmsgq_open(self->name, O_RDWR | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, uc_recv1(fd, buf, &m, 0));
	close(fd);
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, sleepers(self->fd, false));
}

TEST_F(ucmd, deadline_ends_a_parked_receive_with_etimedout)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int res;

	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE);
	x.clockid = CLOCK_MONOTONIC;
	x.timeout.tv_nsec = 50 * NSEC_PER_MSEC;
	uc_cmd(&self->ring, self->fd, false, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(-ETIMEDOUT, res);
	EXPECT_EQ(0, sleepers(self->fd, false));

	/* A deadline already past, on the other clock: at once. */
	xfer_init(&x, &m, 1, KMSGQ_XFER_TIMEOUT);
	x.clockid = CLOCK_REALTIME;
	EXPECT_EQ(-ETIMEDOUT, uc_once(self->fd, false, &x));

	/* Nothing of them is left to take a message. */
	ASSERT_EQ(0, msg_send(self->fd, 4));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, queued(self->fd));
	EXPECT_EQ(0, iowq_workers());
}

/*
 * IORING_OP_ASYNC_CANCEL and a linked IORING_OP_LINK_TIMEOUT reach a
 * parked command only if the kernel's io_uring cancels commands by user
 * data, which 6.12's does not (it answers -ENOENT, kmsgq(7)).  Either way
 * the command completes once and no message is lost: cancelled, the next
 * message stays queued for a receive; not, the command takes it.
 */
static void check_cancelled_or_parked(struct __test_metadata *_metadata,
				      FIXTURE_DATA(ucmd) *self, bool parked,
				      const char *buf,
				      const struct kmsgq_msg *m)
{
	char in[UQ_MSGSIZE];
	int res;

	ASSERT_EQ(0, msg_send(self->fd, 5));
	if (!parked) {
		EXPECT_FALSE(uq_completed_now(&self->ring));
		EXPECT_EQ(1, queued(self->fd));
		EXPECT_EQ(5, msg_seed(in, kmsgq_receive(self->fd, in,
							sizeof(in), NULL)));
	} else {
		ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
		EXPECT_EQ(1, res);
		EXPECT_EQ(5, msg_seed(buf, m->len));
		EXPECT_EQ(0, queued(self->fd));
	}
	EXPECT_EQ(0, sleepers(self->fd, false));
	EXPECT_EQ(0, iowq_workers());
}

/*
 * The completions of command 1 and of request 2, which cancels it or
 * finds nothing: in *@cmd_res the command's result, or 1 if it is still
 * parked; in *@other_res request 2's.
 */
static int ucmd_cancel_results(struct io_uring *ring, int *cmd_res,
			       int *other_res)
{
	int res, i, ret;
	__u64 data;

	*cmd_res = 1;
	for (i = 0; i < 2; i++) {
		ret = uq_next(ring, &res, &data);
		if (ret)
			return ret;
		if (data == 1)
			*cmd_res = res;
		else
			*other_res = res;
		/* Request 2 found nothing: the command waits on. */
		if (data == 2 && res == -ENOENT)
			break;
	}
	return 0;
}

TEST_F(ucmd, async_cancel_ends_a_parked_receive_or_finds_none)
{
	struct io_uring_sqe *sqe;
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int cmd_res, cancel_res;

	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0);
	uc_cmd(&self->ring, self->fd, false, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	sqe = uq_sqe(&self->ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, ucmd_cancel_results(&self->ring, &cmd_res, &cancel_res));
	TH_LOG("IORING_OP_ASYNC_CANCEL: %s, the command %s",
	       strerror(-cancel_res), cmd_res == 1 ? "parked on" : "ended");
	if (cmd_res == 1) {
		EXPECT_EQ(-ENOENT, cancel_res);
		EXPECT_EQ(1, sleepers(self->fd, false));
	} else {
		EXPECT_EQ(0, cancel_res);
		EXPECT_EQ(-ECANCELED, cmd_res);
	}
	check_cancelled_or_parked(_metadata, self, cmd_res == 1, buf, &m);
}

TEST_F(ucmd, linked_timeout_ends_a_parked_receive_or_finds_none)
{
	struct __kernel_timespec ts = { .tv_nsec = 50 * NSEC_PER_MSEC };
	struct io_uring_sqe *sqe;
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int cmd_res, timeout_res;

	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0);
	sqe = uc_cmd(&self->ring, self->fd, false, &x, 1);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = uq_sqe(&self->ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	ASSERT_EQ(0, ucmd_cancel_results(&self->ring, &cmd_res, &timeout_res));
	TH_LOG("IORING_OP_LINK_TIMEOUT: %s, the command %s",
	       strerror(-timeout_res), cmd_res == 1 ? "parked on" : "ended");
	if (cmd_res == 1) {
		EXPECT_EQ(-ENOENT, timeout_res);
		EXPECT_EQ(1, sleepers(self->fd, false));
	} else {
		EXPECT_EQ(-ETIME, timeout_res);
		EXPECT_EQ(-ECANCELED, cmd_res);
	}
	check_cancelled_or_parked(_metadata, self, cmd_res == 1, buf, &m);
}

TEST_F(ucmd, ring_exit_with_commands_parked_leaves_nothing_behind)
{
	static char bufs[9][UQ_MSGSIZE];
	static struct kmsgq_xfer xs[9];
	static struct kmsgq_msg ms[9];
	int i;

	for (i = 0; i < 9; i++) {
		msg_at(&ms[i], bufs[i], UQ_MSGSIZE, 0);
		xfer_init(&xs[i], &ms[i], 1, 0);
		if (i == 8) {	/* a peek, with a deadline an hour away */
			xs[i].flags = KMSGQ_XFER_PEEK | KMSGQ_XFER_TIMEOUT |
				      KMSGQ_XFER_RELATIVE;
			xs[i].clockid = CLOCK_MONOTONIC;
			xs[i].timeout.tv_sec = 3600;
		}
		uc_cmd(&self->ring, self->fd, false, &xs[i], i);
	}
	ASSERT_EQ(9, io_uring_submit(&self->ring));
	EXPECT_EQ(8, sleepers(self->fd, false));
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;

	/*
	 * The commands went with their ring (ended by a kernel worker, a
	 * little later): messages now stay queued.
	 */
	EXPECT_EQ(0, wait_sleepers(self->fd, false, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	EXPECT_EQ(3, queued(self->fd));
	EXPECT_EQ(0, iowq_workers());

	close(self->fd);
	self->fd = -1;
	uc_check_gone(_metadata, self->name, self->refs);
}

TEST_F(ucmd, commands_parked_in_a_sigkilled_process_leave_nothing_behind)
{
	struct kmsgq_attr attr = { .max_msgs = 4, .max_msgsize = UQ_MSGSIZE };
	char name[KMSGQ_NAME_MAX];
	int ready[2], fd, i;
	pid_t p;

	/* Receives park on an empty queue, a send on the full fixture's. */
	fd = create_own_queue(name, "ucmd-kill", 0, &attr);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_unlink(name));
	for (i = 0; i < UC_DEPTH; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	ASSERT_EQ(0, pipe(ready));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		static char bufs[17][UQ_MSGSIZE];
		static struct kmsgq_xfer xs[17];
		static struct kmsgq_msg ms[17];
		struct io_uring ring;

		if (io_uring_queue_init(32, &ring, 0))
			_exit(1);
		for (i = 0; i < 17; i++) {
			msg_at(&ms[i], bufs[i], i < 16 ? UQ_MSGSIZE : 8, 0);
			xfer_init(&xs[i], &ms[i], 1, 0);
			uc_cmd(&ring, i < 16 ? fd : self->fd, i == 16, &xs[i],
			       i);
		}
		child_park(&ring, 17, ready[1]);
	}
	ASSERT_TRUE(parked_in_child(ready));
	EXPECT_EQ(16, sleepers(fd, false));
	EXPECT_EQ(1, sleepers(self->fd, true));
	ASSERT_EQ(0, kill(p, SIGKILL));
	ASSERT_LE(0, kids_reap(&self->kids, p));

	/* The commands went with their process: nothing takes or adds. */
	EXPECT_EQ(0, wait_sleepers(fd, false, 0));
	EXPECT_EQ(0, wait_sleepers(self->fd, true, 0));
	ASSERT_EQ(0, msg_send(fd, 1));
	EXPECT_EQ(1, queued(fd));
	EXPECT_EQ(UC_DEPTH, queued(self->fd));
	close(fd);

	ucmd_close_all(self);
	uc_check_gone(_metadata, self->name, self->refs);
}

/* ---- errors: the ioctl's ---- */

TEST_F(ucmd, access_modes_give_the_ioctls_ebadf)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int fd;

	fd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	msg_fill(buf, 1);
	msg_at(&m, buf, msg_len(1), 0);
	xfer_init(&x, &m, 1, 0);
	EXPECT_EQ(-EBADF, xioctl(fd, KMSGQ_IOC_SEND, &x));
	EXPECT_EQ(-EBADF, uc_once(fd, true, &x));
	EXPECT_EQ(0, queued(self->fd));
	close(fd);

	fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, msg_send(self->fd, 2));
	EXPECT_EQ(-EBADF, uc_recv1(fd, buf, &m, 0));
	EXPECT_EQ(1, queued(self->fd));
	close(fd);

	/* Mode 3 never binds: the file stays unbound. */
	fd = open("/dev/kmsgq", UC_NOACCESS | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, uc_recv1(fd, buf, &m, 0));
	close(fd);
}

/* A loss report on a queue that loses nothing: 0, as from the ioctl. */
TEST_F(ucmd, loss_report_on_a_copy_queue_is_zero)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;

	ASSERT_EQ(0, msg_send(self->fd, 3));
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, KMSGQ_XFER_LOST);
	x.lost = 99;
	EXPECT_EQ(1, uc_once(self->fd, false, &x));
	EXPECT_EQ(3, msg_seed(buf, m.len));
	EXPECT_EQ(0, x.lost);
}

TEST_F(ucmd, unbound_file_bad_pointers_and_fields_fail_as_the_ioctl_does)
{
	char buf[UQ_MSGSIZE];
	struct io_uring_sqe *sqe;
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	void *bad = fault_page();
	int fd, res;

	ASSERT_NE(MAP_FAILED, bad);
	fd = open("/dev/kmsgq", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, uc_recv1(fd, buf, &m, 0));
	close(fd);

	ASSERT_EQ(0, msg_send(self->fd, 6));
	/* The structure, the message array, a buffer. */
	EXPECT_EQ(-EFAULT, uc_once(self->fd, false, bad));
	xfer_init(&x, bad, 1, 0);
	EXPECT_EQ(-EFAULT, uc_once(self->fd, false, &x));
	EXPECT_EQ(-EFAULT, uc_once(self->fd, true, &x));
	msg_at(&m, bad, UQ_MSGSIZE, 0);
	xfer_init(&x, &m, 1, 0);
	EXPECT_EQ(-EFAULT, uc_once(self->fd, false, &x));
	EXPECT_EQ(1, queued(self->fd));

	/* What the ioctl refuses, and fields of the entry that mean nothing. */
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0x80);
	EXPECT_EQ(-EINVAL, uc_once(self->fd, false, &x));
	xfer_init(&x, &m, 0, 0);
	EXPECT_EQ(-EINVAL, uc_once(self->fd, false, &x));
	xfer_init(&x, &m, 1, 0);
	x.size = KMSGQ_XFER_SIZE_VER0 - 1;
	EXPECT_EQ(-EINVAL, uc_once(self->fd, false, &x));
	xfer_init(&x, &m, 1, 0);
	sqe = uc_cmd(&self->ring, self->fd, false, &x, 1);
	sqe->len = 1;
	sqe = uc_cmd(&self->ring, self->fd, false, &x, 2);
	sqe->cmd_op = KMSGQ_IOC_STATS;
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(-EINVAL, res);
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(-ENOTTY, res);
	EXPECT_EQ(1, queued(self->fd));
	EXPECT_EQ(1, uc_recv1(self->fd, buf, &m, 0));
	EXPECT_EQ(6, msg_seed(buf, m.len));
	munmap(bad, getpagesize());
}

TEST_F(ucmd, unprivileged_user_gets_no_more_through_the_command)
{
	int status, rdonly;
	pid_t p;

	/* Others may read root's queue, not write it. */
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	rdonly = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, rdonly);
	ASSERT_EQ(0, msg_send(self->fd, 8));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		char buf[UQ_MSGSIZE];
		struct kmsgq_xfer x;
		struct kmsgq_msg m;
		int fd;

		if (become(NOBODY, NOBODY))
			_exit(10);
		if (kmsgq_open(self->name, O_WRONLY, 0, NULL) != -EACCES ||
		    kmsgq_open(self->name, O_RDWR, 0, NULL) != -EACCES)
			_exit(11);
		/* Neither its own read-only file nor root's lets it send. */
		fd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
		if (fd < 0)
			_exit(12);
		msg_fill(buf, 9);
		msg_at(&m, buf, msg_len(9), 0);
		xfer_init(&x, &m, 1, 0);
		if (uc_once(fd, true, &x) != -EBADF ||
		    uc_once(rdonly, true, &x) != -EBADF)
			_exit(13);
		/* What the mode allows works. */
		if (uc_recv1(fd, buf, &m, 0) != 1 || msg_seed(buf, m.len) != 8)
			_exit(14);
		_exit(0);
	}
	status = kids_reap(&self->kids, p);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, queued(self->fd));
	close(rdonly);
}

/* ---- ring queues ---- */

TEST_F(ucmd, receive_on_a_ring_queue_is_woken_by_an_in_place_commit)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 8,
		.max_msgsize = UQ_MSGSIZE,
	};
	char name[KMSGQ_NAME_MAX], buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	struct kmsgq_ring r;
	int fd, res;
	pid_t p;

	fd = create_own_queue(name, "ucmd-ring", 0, &attr);
	ASSERT_LE(0, fd);
	kmsgq_unlink(name);
	ASSERT_EQ(0, kmsgq_ring_map(fd, &r));
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0);
	uc_cmd(&self->ring, fd, false, &x, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	/* The parked command armed the consumer's need-wakeup bit. */
	EXPECT_TRUE(__atomic_load_n(r.wakeup, __ATOMIC_RELAXED) &
		    KMSGQ_RING_WAKE_CONSUMER);

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* in place, through the inherited mapping */
		__u32 pos;

		if (kmsgq_ring_reserve(&r, 1, &pos) != 1)
			_exit(1);
		msg_fill(kmsgq_ring_slot(&r, pos), 40);
		kmsgq_ring_commit(&r, pos, msg_len(40));
		_exit(kmsgq_ring_commit_done(&r) ? 1 : 0);
	}
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(40, msg_seed(buf, m.len));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, queued(fd));
	kmsgq_ring_unmap(&r);
	close(fd);
}

/* ---- fan-out queues: every subscriber gets every message ---- */

/* Depth of the fan-out queues. */
#define UC_FAN_DEPTH	4

FIXTURE(ucfan) {
	char name[KMSGQ_NAME_MAX];
	int pub;		/* write-only: publishes, never subscribes */
	struct io_uring ring;
	bool have_ring;
	long refs;
	struct kids kids;
};

FIXTURE_SETUP(ucfan)
{
	struct kmsgq_info info;
	int ret;

	self->pub = -1;
	snprintf(self->name, sizeof(self->name), "ucfan-%d", getpid());
	if (!have_uring_cmd())
		SKIP(return, "no KMSGQ_FEAT_URING_CMD (the module's kernel has no cancellation hook for io_uring commands)");
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_FANOUT))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT");
	self->refs = module_refs();
	ret = io_uring_queue_init(UC_ENTRIES, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = true;
}

FIXTURE_TEARDOWN(ucfan)
{
	kids_kill(&self->kids);
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->pub >= 0)
		close(self->pub);
	kmsgq_unlink(self->name);
}

/*
 * (Re)create the test's fan-out queue with overflow policy @policy (0:
 * block), mode 0600, and keep a write-only publisher in self->pub.
 */
static int ucfan_create(FIXTURE_DATA(ucfan) *self, __u32 policy)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | policy,
		.max_msgs = UC_FAN_DEPTH, .max_msgsize = UQ_MSGSIZE,
	};

	if (self->pub >= 0)
		close(self->pub);
	kmsgq_unlink(self->name);
	self->pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
			       &attr);
	return self->pub < 0 ? self->pub : 0;
}

/* A new subscriber without history; commands on it park. */
static int ucfan_sub(FIXTURE_DATA(ucfan) *self)
{
	return kmsgq_subscribe(self->name, O_RDONLY, 0);
}

/* Send message @seed with a command and @flags: its result. */
static int uc_send1(int fd, unsigned int seed, __u32 flags)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;

	msg_fill(buf, seed);
	msg_at(&m, buf, msg_len(seed), 0);
	xfer_init(&x, &m, 1, flags);
	return uc_once(fd, true, &x);
}

/* Receive one message with a command and @flags: its seed, or -errno. */
static long uc_recv_seed(int fd, __u32 flags)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_msg m;
	int ret;

	ret = uc_recv1(fd, buf, &m, flags);
	if (ret != 1)
		return ret < 0 ? ret : -EPROTO;
	return msg_seed(buf, m.len);
}

/*
 * Receive one message with the ioctl, not waiting, and not taking a loss
 * report: its seed, or -errno.
 */
static long ioctl_recv_seed(int fd)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_msg m;
	int ret;

	msg_at(&m, buf, sizeof(buf), 0);
	ret = kmsgq_receive_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK,
				  CLOCK_MONOTONIC, NULL);
	if (ret != 1)
		return ret < 0 ? ret : -EPROTO;
	return msg_seed(buf, m.len);
}

/* Send messages @from .. @to - 1 with the ioctl, not waiting: 0 or -errno. */
static int ioctl_send_seeds(int fd, unsigned int from, unsigned int to)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_msg m;
	int ret;

	for (; from < to; from++) {
		msg_fill(buf, from);
		msg_at(&m, buf, msg_len(from), 0);
		ret = kmsgq_send_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK,
				       CLOCK_MONOTONIC, NULL);
		if (ret != 1)
			return ret < 0 ? ret : -EPROTO;
	}
	return 0;
}

/*
 * ucfan_create(), blocking, with two subscribers: *@fast has read a whole
 * depth of messages, *@slow none, so the queue is full and *@fast has
 * nothing to read.  0, or -errno.
 */
static int ucfan_create_full(FIXTURE_DATA(ucfan) *self, int *fast, int *slow)
{
	int ret, k;

	ret = ucfan_create(self, 0);
	if (ret)
		return ret;
	*fast = ucfan_sub(self);
	*slow = ucfan_sub(self);
	if (*fast < 0 || *slow < 0)
		return *fast < 0 ? *fast : *slow;
	ret = ioctl_send_seeds(self->pub, 0, UC_FAN_DEPTH);
	for (k = 0; !ret && k < UC_FAN_DEPTH; k++)
		if (ioctl_recv_seed(*fast) != k)
			ret = -EPROTO;
	return ret;
}

/* One message's command: its transfer and buffer, kept until it completes. */
struct uc_one {
	char buf[UQ_MSGSIZE];
	struct kmsgq_msg m;
	struct kmsgq_xfer x;
};

/*
 * Queue a command with @data and @flags on @ring: a send of message @seed,
 * or a receive of one message into @o->buf.
 */
static void uc_one(struct io_uring *ring, int fd, bool send,
		   struct uc_one *o, unsigned int seed, __u32 flags,
		   __u64 data)
{
	if (send) {
		msg_fill(o->buf, seed);
		msg_at(&o->m, o->buf, msg_len(seed), 0);
	} else {
		msg_at(&o->m, o->buf, sizeof(o->buf), 0);
	}
	xfer_init(&o->x, &o->m, 1, flags);
	uc_cmd(ring, fd, send, &o->x, data);
}

static struct kmsgq_stats ucfan_stats(int fd)
{
	struct kmsgq_stats st = { 0 };

	kmsgq_stats(fd, &st);
	return st;
}

TEST_F(ucfan, send_reaches_every_subscriber_and_each_receives_once_in_order)
{
	char out[UC_FAN_DEPTH][UQ_MSGSIZE], in[UC_FAN_DEPTH][UQ_MSGSIZE];
	struct kmsgq_msg m[UC_FAN_DEPTH];
	struct kmsgq_xfer x;
	int s[3], i, k;

	ASSERT_EQ(0, ucfan_create(self, 0));
	for (i = 0; i < 3; i++) {
		s[i] = ucfan_sub(self);
		ASSERT_LE(0, s[i]);
	}
	/* A batch as deep as the queue, then one at a time. */
	for (k = 0; k < UC_FAN_DEPTH; k++) {
		msg_fill(out[k], k);
		msg_at(&m[k], out[k], msg_len(k), 0);
	}
	xfer_init(&x, m, UC_FAN_DEPTH, 0);
	ASSERT_EQ(UC_FAN_DEPTH, uc_once(self->pub, true, &x));
	for (i = 0; i < 3; i++) {
		for (k = 0; k < UC_FAN_DEPTH; k++)
			EXPECT_EQ(k, uc_recv_seed(s[i], 0))
				TH_LOG("subscriber %d, message %d", i, k);
		EXPECT_EQ(-EAGAIN, uc_recv_seed(s[i], KMSGQ_XFER_NONBLOCK));
	}
	EXPECT_EQ(UC_FAN_DEPTH, ucfan_stats(self->pub).msgs_sent);
	EXPECT_EQ(3 * UC_FAN_DEPTH, ucfan_stats(self->pub).msgs_recv);

	/* A batch receive takes what its subscriber has, in order. */
	for (k = 0; k < UC_FAN_DEPTH; k++)
		ASSERT_EQ(1, uc_send1(self->pub, 10 + k, 0));
	for (k = 0; k < UC_FAN_DEPTH; k++)
		msg_at(&m[k], in[k], UQ_MSGSIZE, 0);
	xfer_init(&x, m, UC_FAN_DEPTH, 0);
	EXPECT_EQ(UC_FAN_DEPTH, uc_once(s[0], false, &x));
	for (k = 0; k < UC_FAN_DEPTH; k++)
		EXPECT_EQ(10 + k, msg_seed(in[k], m[k].len)) TH_LOG("%d", k);
	EXPECT_EQ(10, uc_recv_seed(s[1], 0));
	/* The slowest has read none of them. */
	EXPECT_EQ(UC_FAN_DEPTH, queued(self->pub));
	EXPECT_EQ(0, iowq_workers());
	for (i = 0; i < 3; i++)
		close(s[i]);
}

TEST_F(ucfan, parked_receive_and_peek_complete_when_messages_are_published)
{
	char rbuf[UQ_MSGSIZE], pbuf[UQ_MSGSIZE];
	struct kmsgq_xfer rx, px;
	struct kmsgq_msg rm, pm;
	int s, before, res;
	__u64 data;
	pid_t p;

	ASSERT_EQ(0, ucfan_create(self, 0));
	s = ucfan_sub(self);
	ASSERT_LE(0, s);
	before = self_threads(NULL);
	ASSERT_LT(0, before);
	msg_at(&rm, rbuf, sizeof(rbuf), 0);
	xfer_init(&rx, &rm, 1, 0);
	uc_cmd(&self->ring, s, false, &rx, 1);
	/* A peek at the second unread message: uncounted. */
	msg_at(&pm, pbuf, sizeof(pbuf), 0);
	xfer_init(&px, &pm, 1, KMSGQ_XFER_PEEK);
	px.index = 1;
	uc_cmd(&self->ring, s, false, &px, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(before, self_threads(NULL));
	EXPECT_EQ(1, sleepers(s, false));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(msg_send(self->pub, 42) ? 1 : 0);
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(1, res);
	EXPECT_EQ(42, msg_seed(rbuf, rm.len));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(0, sleepers(s, false));
	/* Nothing unread: the peek waits for two messages. */
	ASSERT_EQ(0, msg_send(self->pub, 43));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	ASSERT_EQ(0, msg_send(self->pub, 44));
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(2, data);
	EXPECT_EQ(1, res);
	EXPECT_EQ(44, msg_seed(pbuf, pm.len));
	EXPECT_EQ(43, ioctl_recv_seed(s));
	EXPECT_EQ(0, iowq_workers());
	close(s);
}

TEST_F(ucfan, receives_parked_on_two_subscribers_take_each_message_once_each)
{
	static char bufs[2 * UC_FAN_DEPTH][UQ_MSGSIZE];
	static struct kmsgq_xfer xs[2 * UC_FAN_DEPTH];
	static struct kmsgq_msg ms[2 * UC_FAN_DEPTH];
	int s[2], next[2] = { 0, 0 }, i, k, res;
	__u64 data;

	ASSERT_EQ(0, ucfan_create(self, 0));
	for (i = 0; i < 2; i++) {
		s[i] = ucfan_sub(self);
		ASSERT_LE(0, s[i]);
	}
	/* Commands 0 .. 3 on the first subscriber, 4 .. 7 on the second. */
	for (k = 0; k < 2 * UC_FAN_DEPTH; k++) {
		msg_at(&ms[k], bufs[k], UQ_MSGSIZE, 0);
		xfer_init(&xs[k], &ms[k], 1, 0);
		uc_cmd(&self->ring, s[k / UC_FAN_DEPTH], false, &xs[k], k);
	}
	ASSERT_EQ(2 * UC_FAN_DEPTH, io_uring_submit(&self->ring));
	EXPECT_EQ(2 * UC_FAN_DEPTH, sleepers(self->pub, false));
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 0, UC_FAN_DEPTH));

	for (k = 0; k < 2 * UC_FAN_DEPTH; k++) {
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data))
			TH_LOG("completion %d of %d", k, 2 * UC_FAN_DEPTH);
		ASSERT_GT(2 * UC_FAN_DEPTH, data);
		EXPECT_EQ(1, res);
		i = data / UC_FAN_DEPTH;
		/* A subscriber's commands complete in its order. */
		EXPECT_EQ(next[i], msg_seed(bufs[data], ms[data].len))
			TH_LOG("subscriber %d, command %llu", i,
			       (unsigned long long)data);
		next[i]++;
	}
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, sleepers(self->pub, false));
	EXPECT_EQ(0, queued(self->pub));
	EXPECT_EQ(0, iowq_workers());
	for (i = 0; i < 2; i++)
		close(s[i]);
}

TEST_F(ucfan, parked_send_on_a_full_queue_completes_when_the_slowest_reads)
{
	int fast, slow, res, k;
	struct uc_one o;

	ASSERT_EQ(0, ucfan_create_full(self, &fast, &slow));

	/* The slow subscriber is a whole depth behind. */
	EXPECT_EQ(-EAGAIN, uc_send1(self->pub, 100, KMSGQ_XFER_NONBLOCK));
	uc_one(&self->ring, self->pub, true, &o, 100, 0, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, sleepers(self->pub, true));
	EXPECT_EQ(0, iowq_workers());
	/* The fast one reading nothing frees nothing. */
	EXPECT_EQ(-EAGAIN, ioctl_recv_seed(fast));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, ioctl_recv_seed(slow));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(0, sleepers(self->pub, true));
	EXPECT_EQ(100, ioctl_recv_seed(fast));
	for (k = 1; k < UC_FAN_DEPTH; k++)
		EXPECT_EQ(k, ioctl_recv_seed(slow));
	EXPECT_EQ(100, ioctl_recv_seed(slow));
	close(fast);
	close(slow);
}

TEST_F(ucfan, parked_send_completes_when_the_slowest_subscriber_is_sigkilled)
{
	struct uc_one o;
	int ready[2], res;
	pid_t p;

	ASSERT_EQ(0, ucfan_create(self, 0));
	ASSERT_EQ(0, pipe(ready));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* subscribes and never reads */
		if (ucfan_sub(self) < 0)
			_exit(1);
		child_park(NULL, 0, ready[1]);
	}
	ASSERT_TRUE(parked_in_child(ready));
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 0, UC_FAN_DEPTH));
	uc_one(&self->ring, self->pub, true, &o, 100, 0, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, sleepers(self->pub, true));
	ASSERT_EQ(0, kill(p, SIGKILL));
	ASSERT_LE(0, kids_reap(&self->kids, p));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(0, sleepers(self->pub, true));
	EXPECT_EQ(0, ucfan_stats(self->pub).subscribers);
	EXPECT_EQ(UC_FAN_DEPTH + 1, ucfan_stats(self->pub).msgs_sent);
}

TEST_F(ucfan, a_publisher_sigkilled_while_a_receive_is_parked_publishes_nothing)
{
	int fast, slow, res;
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	pid_t p;

	ASSERT_EQ(0, ucfan_create_full(self, &fast, &slow));
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, 0);
	uc_cmd(&self->ring, fast, false, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));

	/* A publisher of its own, asleep for room behind the slow one. */
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		int fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);

		_exit(fd < 0 || msg_send(fd, 66) ? 1 : 2);
	}
	ASSERT_EQ(0, wait_sleepers(self->pub, true, 1));
	ASSERT_EQ(0, kill(p, SIGKILL));
	ASSERT_LE(0, kids_reap(&self->kids, p));
	EXPECT_EQ(0, sleepers(self->pub, true));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, sleepers(fast, false));

	/* Room again, and a message: the parked receive takes that one. */
	EXPECT_EQ(0, ioctl_recv_seed(slow));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 7, 8));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(7, msg_seed(buf, m.len));
	EXPECT_EQ(UC_FAN_DEPTH + 1, ucfan_stats(self->pub).msgs_sent);
	close(fast);
	close(slow);
}

TEST_F(ucfan, deadlines_end_a_parked_receive_and_send_with_etimedout)
{
	char rbuf[UQ_MSGSIZE], sbuf[UQ_MSGSIZE];
	struct kmsgq_xfer rx, sx;
	struct kmsgq_msg rm, sm;
	int fast, slow, res, k;
	__u64 data;

	ASSERT_EQ(0, ucfan_create_full(self, &fast, &slow));

	msg_at(&rm, rbuf, sizeof(rbuf), 0);
	xfer_init(&rx, &rm, 1, KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE);
	rx.clockid = CLOCK_MONOTONIC;
	rx.timeout.tv_nsec = 50 * NSEC_PER_MSEC;
	uc_cmd(&self->ring, fast, false, &rx, 1);
	msg_fill(sbuf, 100);
	msg_at(&sm, sbuf, msg_len(100), 0);
	xfer_init(&sx, &sm, 1, KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE);
	sx.clockid = CLOCK_MONOTONIC;
	sx.timeout.tv_nsec = 50 * NSEC_PER_MSEC;
	uc_cmd(&self->ring, self->pub, true, &sx, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
		EXPECT_EQ(-ETIMEDOUT, res) TH_LOG("command %llu",
						 (unsigned long long)data);
	}
	EXPECT_EQ(0, sleepers(self->pub, false));
	EXPECT_EQ(0, sleepers(self->pub, true));

	/* Nothing of them is left to take a message or a slot. */
	EXPECT_EQ(0, ioctl_recv_seed(slow));
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 5, 6));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(5, ioctl_recv_seed(fast));
	EXPECT_EQ(UC_FAN_DEPTH + 1, ucfan_stats(self->pub).msgs_sent);
	EXPECT_EQ(0, iowq_workers());
	close(fast);
	close(slow);
}

TEST_F(ucfan, ring_exit_with_commands_parked_leaves_nothing_behind)
{
	static char bufs[6][UQ_MSGSIZE];
	static struct kmsgq_xfer xs[6];
	static struct kmsgq_msg ms[6];
	int fast, slow, i;

	ASSERT_EQ(0, ucfan_create_full(self, &fast, &slow));
	/* Three receives and a peek on the fast one, two sends. */
	for (i = 0; i < 6; i++) {
		msg_fill(bufs[i], 100 + i);
		msg_at(&ms[i], bufs[i], i < 4 ? UQ_MSGSIZE : msg_len(100 + i),
		       0);
		xfer_init(&xs[i], &ms[i], 1, i == 3 ? KMSGQ_XFER_PEEK : 0);
		uc_cmd(&self->ring, i < 4 ? fast : self->pub, i >= 4, &xs[i],
		       i);
	}
	ASSERT_EQ(6, io_uring_submit(&self->ring));
	EXPECT_EQ(3, sleepers(fast, false));
	EXPECT_EQ(2, sleepers(fast, true));
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;

	EXPECT_EQ(0, wait_sleepers(fast, false, 0));
	EXPECT_EQ(0, wait_sleepers(fast, true, 0));
	/* Room for one, and the message is the fast subscriber's to read. */
	EXPECT_EQ(0, ioctl_recv_seed(slow));
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 9, 10));
	EXPECT_EQ(9, ioctl_recv_seed(fast));
	EXPECT_EQ(UC_FAN_DEPTH + 1, ucfan_stats(self->pub).msgs_sent);
	EXPECT_EQ(0, iowq_workers());

	close(fast);
	close(slow);
	close(self->pub);
	self->pub = -1;
	uc_check_gone(_metadata, self->name, self->refs);
}

TEST_F(ucfan, commands_parked_in_a_sigkilled_process_leave_nothing_behind)
{
	int slow, ready[2], i;
	pid_t p;

	ASSERT_EQ(0, ucfan_create(self, 0));
	slow = ucfan_sub(self);
	ASSERT_LE(0, slow);
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 0, UC_FAN_DEPTH));
	ASSERT_EQ(0, pipe(ready));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* its own subscriber, up to date; the queue is full */
		static char bufs[5][UQ_MSGSIZE];
		static struct kmsgq_xfer xs[5];
		static struct kmsgq_msg ms[5];
		struct io_uring ring;
		int s = ucfan_sub(self);

		if (s < 0 || io_uring_queue_init(8, &ring, 0))
			_exit(1);
		for (i = 0; i < 5; i++) {
			msg_fill(bufs[i], 200 + i);
			msg_at(&ms[i], bufs[i],
			       i < 4 ? UQ_MSGSIZE : msg_len(200 + i), 0);
			xfer_init(&xs[i], &ms[i], 1, 0);
			uc_cmd(&ring, i < 4 ? s : self->pub, i == 4, &xs[i],
			       i);
		}
		child_park(&ring, 5, ready[1]);
	}
	ASSERT_TRUE(parked_in_child(ready));
	EXPECT_EQ(4, sleepers(slow, false));
	EXPECT_EQ(1, sleepers(slow, true));
	EXPECT_EQ(2, ucfan_stats(slow).subscribers);
	ASSERT_EQ(0, kill(p, SIGKILL));
	ASSERT_LE(0, kids_reap(&self->kids, p));

	/* The commands and the subscriber went with their process. */
	EXPECT_EQ(0, wait_sleepers(slow, false, 0));
	EXPECT_EQ(0, wait_sleepers(slow, true, 0));
	EXPECT_EQ(1, ucfan_stats(slow).subscribers);
	EXPECT_EQ(UC_FAN_DEPTH, ucfan_stats(slow).msgs_sent);
	for (i = 0; i < UC_FAN_DEPTH; i++)
		EXPECT_EQ(i, ioctl_recv_seed(slow));
	EXPECT_EQ(-EAGAIN, ioctl_recv_seed(slow));

	close(slow);
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;
	close(self->pub);
	self->pub = -1;
	uc_check_gone(_metadata, self->name, self->refs);
}

TEST_F(ucfan, overflow_fail_and_drop_behave_as_with_the_ioctl)
{
	__u64 lost = 99;
	int s, k;

	/* FAIL: a full queue fails even a send that may wait. */
	ASSERT_EQ(0, ucfan_create(self, KMSGQ_OPEN_OVERFLOW_FAIL));
	s = ucfan_sub(self);
	ASSERT_LE(0, s);
	for (k = 0; k < UC_FAN_DEPTH; k++)
		ASSERT_EQ(1, uc_send1(self->pub, k, 0));
	EXPECT_EQ(-EAGAIN, uc_send1(self->pub, 9, 0));
	EXPECT_EQ(0, sleepers(self->pub, true));
	EXPECT_EQ(0, uc_recv_seed(s, 0));
	EXPECT_EQ(1, uc_send1(self->pub, 9, 0));
	close(s);

	/* DROP: sends never wait; the slow subscriber learns its losses. */
	ASSERT_EQ(0, ucfan_create(self, KMSGQ_OPEN_OVERFLOW_DROP));
	s = ucfan_sub(self);
	ASSERT_LE(0, s);
	for (k = 0; k < UC_FAN_DEPTH + 2; k++)
		ASSERT_EQ(1, uc_send1(self->pub, k, 0)) TH_LOG("send %d", k);
	EXPECT_EQ(0, sleepers(self->pub, true));
	{
		char buf[UQ_MSGSIZE];
		struct kmsgq_xfer x;
		struct kmsgq_msg m;

		msg_at(&m, buf, sizeof(buf), 0);
		xfer_init(&x, &m, 1, KMSGQ_XFER_LOST);
		EXPECT_EQ(1, uc_once(s, false, &x));
		EXPECT_EQ(2, msg_seed(buf, m.len));
		EXPECT_EQ(2, x.lost);
		lost = x.lost;
		msg_at(&m, buf, sizeof(buf), 0);
		xfer_init(&x, &m, 1, KMSGQ_XFER_LOST);
		EXPECT_EQ(1, uc_once(s, false, &x));
		EXPECT_EQ(3, msg_seed(buf, m.len));
		EXPECT_EQ(0, x.lost);
	}
	EXPECT_EQ(2, lost);
	EXPECT_EQ(2, ucfan_stats(s).sub_lost);
	close(s);
}

/*
 * On a new dropping queue, a subscriber that lost the first @lost of
 * UC_FAN_DEPTH + @lost messages and read the rest without a report, so
 * that a receive parks: its descriptor, or -errno.
 */
static int ucfan_lapped_sub(FIXTURE_DATA(ucfan) *self, unsigned int lost)
{
	unsigned int k;
	int s, ret;

	ret = ucfan_create(self, KMSGQ_OPEN_OVERFLOW_DROP);
	if (ret)
		return ret;
	s = ucfan_sub(self);
	if (s < 0)
		return s;
	ret = ioctl_send_seeds(self->pub, 0, UC_FAN_DEPTH + lost);
	/* Receives that do not ask leave the report alone. */
	for (k = lost; !ret && k < UC_FAN_DEPTH + lost; k++)
		if (ioctl_recv_seed(s) != k)
			ret = -EPROTO;
	if (ret) {
		close(s);
		return ret;
	}
	return s;
}

TEST_F(ucfan, a_parked_receive_reports_losses_when_it_completes)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	int s, res;

	s = ucfan_lapped_sub(self, 3);
	ASSERT_LE(0, s);

	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, KMSGQ_XFER_LOST);
	x.lost = 99;
	uc_cmd(&self->ring, s, false, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(99, x.lost);
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 50, 51));
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(1, res);
	EXPECT_EQ(50, msg_seed(buf, m.len));
	EXPECT_EQ(3, x.lost);

	/* Reported once; a deadline's end reports too. */
	xfer_init(&x, &m, 1, KMSGQ_XFER_LOST | KMSGQ_XFER_TIMEOUT |
		  KMSGQ_XFER_RELATIVE);
	x.clockid = CLOCK_MONOTONIC;
	x.timeout.tv_nsec = 20 * NSEC_PER_MSEC;
	x.lost = 99;
	EXPECT_EQ(-ETIMEDOUT, uc_once(s, false, &x));
	EXPECT_EQ(0, x.lost);
	close(s);
}

TEST_F(ucfan, a_cancelled_receive_leaves_its_losses_to_the_next_report)
{
	char buf[UQ_MSGSIZE];
	struct kmsgq_xfer x;
	struct kmsgq_msg m;
	uint64_t lost = 99;
	ssize_t len;
	int s;

	s = ucfan_lapped_sub(self, 2);
	ASSERT_LE(0, s);

	/* Parked with nothing to read, then cancelled by the ring's exit. */
	msg_at(&m, buf, sizeof(buf), 0);
	xfer_init(&x, &m, 1, KMSGQ_XFER_LOST);
	x.lost = 99;
	uc_cmd(&self->ring, s, false, &x, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(1, sleepers(s, false));
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;
	EXPECT_EQ(0, wait_sleepers(s, false, 0));
	EXPECT_EQ(99, x.lost);

	/* The next report carries them, once. */
	ASSERT_EQ(0, ioctl_send_seeds(self->pub, 50, 52));
	len = kmsgq_receive_lost(s, buf, sizeof(buf), &lost, 0,
				 CLOCK_MONOTONIC, NULL);
	EXPECT_EQ(2, lost);
	EXPECT_EQ(50, msg_seed(buf, len));
	lost = 99;
	len = kmsgq_receive_lost(s, buf, sizeof(buf), &lost, 0,
				 CLOCK_MONOTONIC, NULL);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(51, msg_seed(buf, len));
	close(s);
}

TEST_F(ucfan, access_modes_0_to_3_allow_what_the_ioctl_does)
{
	int fd;

	ASSERT_EQ(0, ucfan_create(self, 0));
	/* O_RDONLY: a subscriber, which cannot publish. */
	fd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, uc_send1(fd, 1, 0));
	ASSERT_EQ(1, uc_send1(self->pub, 1, 0));
	EXPECT_EQ(1, uc_recv_seed(fd, 0));
	close(fd);

	/* O_WRONLY: a publisher, which receives nothing. */
	fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, uc_recv_seed(fd, 0));
	EXPECT_EQ(-EBADF, uc_recv_seed(self->pub, KMSGQ_XFER_NONBLOCK));
	EXPECT_EQ(1, uc_send1(fd, 2, 0));
	close(fd);

	/* O_RDWR: both, and it receives what it publishes. */
	fd = kmsgq_open(self->name, O_RDWR, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, uc_send1(fd, 3, 0));
	EXPECT_EQ(3, uc_recv_seed(fd, 0));
	EXPECT_EQ(-EAGAIN, uc_recv_seed(fd, KMSGQ_XFER_NONBLOCK));
	close(fd);

	/* Mode 3 never binds: the file stays unbound. */
	fd = open("/dev/kmsgq", UC_NOACCESS | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, uc_send1(fd, 4, 0));
	EXPECT_EQ(-ENOTCONN, uc_recv_seed(fd, 0));
	close(fd);
	EXPECT_EQ(0, ucfan_stats(self->pub).subscribers);
}

TEST_F(ucfan, unprivileged_user_subscribes_and_receives_but_cannot_publish)
{
	int status;
	pid_t p;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, ucfan_create(self, 0));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	ASSERT_EQ(1, uc_send1(self->pub, 8, 0));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		int fd;

		if (become(NOBODY, NOBODY))
			_exit(10);
		if (kmsgq_open(self->name, O_WRONLY, 0, NULL) != -EACCES ||
		    kmsgq_open(self->name, O_RDWR, 0, NULL) != -EACCES)
			_exit(11);
		/* The message before it joined, as history. */
		fd = kmsgq_subscribe(self->name, O_RDONLY, 1);
		if (fd < 0)
			_exit(12);
		if (uc_send1(fd, 9, 0) != -EBADF)
			_exit(13);
		if (uc_recv_seed(fd, 0) != 8 ||
		    uc_recv_seed(fd, KMSGQ_XFER_NONBLOCK) != -EAGAIN)
			_exit(14);
		_exit(0);
	}
	status = kids_reap(&self->kids, p);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, ucfan_stats(self->pub).msgs_sent);
	EXPECT_EQ(1, ucfan_stats(self->pub).msgs_recv);
}

#define UC_NS_SKIP	77

TEST_F(ucfan, another_ipc_namespace_has_its_own_names_and_files_keep_working)
{
	int s, status;
	pid_t p;

	ASSERT_EQ(0, ucfan_create(self, 0));
	s = ucfan_sub(self);
	ASSERT_LE(0, s);
	ASSERT_EQ(1, uc_send1(self->pub, 5, 0));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		struct kmsgq_attr attr = {
			.qflags = KMSGQ_OPEN_FANOUT, .max_msgs = UC_FAN_DEPTH,
			.max_msgsize = UQ_MSGSIZE,
		};
		int pub, sub;

		if (unshare(CLONE_NEWIPC))
			_exit(UC_NS_SKIP);
		if (kmsgq_open(self->name, O_RDONLY, 0, NULL) != -ENOENT)
			_exit(10);
		/* A subscriber from before keeps its queue. */
		if (uc_recv_seed(s, 0) != 5)
			_exit(11);
		pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
				 &attr);
		sub = kmsgq_subscribe(self->name, O_RDONLY, 0);
		if (pub < 0 || sub < 0)
			_exit(12);
		if (uc_send1(pub, 6, 0) != 1 || uc_recv_seed(sub, 0) != 6)
			_exit(13);
		_exit(kmsgq_unlink(self->name) ? 14 : 0);
	}
	status = kids_reap(&self->kids, p);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == UC_NS_SKIP)
		SKIP(return, "no IPC namespaces here");
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Ours saw one message, which its subscriber has read. */
	EXPECT_EQ(1, ucfan_stats(self->pub).msgs_sent);
	EXPECT_EQ(1, ucfan_stats(self->pub).msgs_recv);
	EXPECT_EQ(-EAGAIN, uc_recv_seed(s, KMSGQ_XFER_NONBLOCK));
	close(s);
}

TEST_HARNESS_MAIN
