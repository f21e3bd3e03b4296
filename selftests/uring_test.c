// SPDX-License-Identifier: GPL-2.0
/*
 * Description: io_uring and Linux aio on kmsgq queues.  An IORING_OP_READ
 * or IORING_OP_WRITE that would block parks on io_uring's poll (no io-wq
 * worker thread, no task asleep in the queue) and completes when another
 * process sends (or receives), one completion per message however many
 * reads wait, over many queues at once, and on ring queues when an
 * in-place peer's commit or release wakes it.  Cancelling, ring exit and a
 * SIGKILLed submitter leave nothing behind.  Access modes 0-3 and
 * unprivileged users get from io_uring what read() and write() give them;
 * readv/writev move one message; preadv2/pwritev2 flags and aio do what
 * kmsgq(7) says.
 *
 * Every completion is waited for with a generous bound (UQ_WAIT_MS), so a
 * lost wakeup fails the test instead of hanging it.  Helper processes never
 * use ASSERT or EXPECT: they report through their exit status.
 */
#include "kmsgq_test.h"
#include "uring_test.h"

#include <linux/aio_abi.h>
#include <sys/uio.h>

#define UQ_DEPTH	64
/* Submission queue entries of a test's ring. */
#define UQ_ENTRIES	256
/* Reads waiting on one queue at once. */
#define UQ_PENDING	64
/* Queues and reads of the many-queues test. */
#define UQ_QUEUES	64
#define UQ_READS	1000
/* open(2) access mode 3: neither read nor write. */
#define UQ_NOACCESS	(O_WRONLY | O_RDWR)

/* ---- io_uring ---- */

/* Queue a READ of @len bytes into @buf, with @data: its entry. */
static struct io_uring_sqe *uq_read(struct io_uring *ring, int fd, void *buf,
				    unsigned int len, __u64 data)
{
	struct io_uring_sqe *sqe = uq_sqe(ring);

	io_uring_prep_read(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

static void uq_write(struct io_uring *ring, int fd, const void *buf,
		     unsigned int len, __u64 data)
{
	struct io_uring_sqe *sqe = uq_sqe(ring);

	io_uring_prep_write(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, data);
}

/* One READ or WRITE through a fresh ring, waited for: its result. */
static int uq_once(int fd, void *buf, unsigned int len, bool write)
{
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return ret;
	if (write)
		uq_write(&ring, fd, buf, len, 0);
	else
		uq_read(&ring, fd, buf, len, 0);
	ret = uq_submit_one(&ring);
	io_uring_queue_exit(&ring);
	return ret;
}

/* ---- the fixture: one copy queue and a ring ---- */

FIXTURE(uring) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct io_uring ring;
	bool have_ring;
	long refs;		/* module references before the test */
	struct kids kids;
};

FIXTURE_SETUP(uring)
{
	struct kmsgq_attr attr = {
		.max_msgs = UQ_DEPTH, .max_msgsize = UQ_MSGSIZE,
	};
	int ret;

	self->fd = -1;
	self->refs = module_refs();
	ret = io_uring_queue_init(UQ_ENTRIES, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = true;
	self->fd = create_own_queue(self->name, "uring", 0, &attr);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(uring)
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
static void uring_close_all(FIXTURE_DATA(uring) *self)
{
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;
	close(self->fd);
	self->fd = -1;
}

TEST_F(uring, read_parks_on_poll_until_another_process_sends)
{
	char buf[UQ_MSGSIZE];
	__u64 data;
	pid_t p;
	int res;

	uq_read(&self->ring, self->fd, buf, sizeof(buf), 7);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	/* Waiting costs no thread: no io-wq worker, nobody in the queue. */
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, sleepers(self->fd, false));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(msg_send(self->fd, 42) ? 1 : 0);
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(7, data);
	EXPECT_EQ((int)msg_len(42), res);
	EXPECT_EQ(42, msg_seed(buf, res));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
}

TEST_F(uring, pending_reads_complete_one_per_message_without_workers)
{
	static char bufs[UQ_PENDING][UQ_MSGSIZE];
	bool done[UQ_PENDING] = { false }, seen[UQ_PENDING] = { false };
	int go[2], res, i, k;
	__u64 data;
	long seed;
	pid_t p;

	for (i = 0; i < UQ_PENDING; i++)
		uq_read(&self->ring, self->fd, bufs[i], UQ_MSGSIZE, i);
	ASSERT_EQ(UQ_PENDING, io_uring_submit(&self->ring));
	ASSERT_EQ(0, pipe(go));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* a message per byte on the pipe */
		char c;

		close(go[1]);
		for (k = 0; k < UQ_PENDING; k++)
			if (!read_all(go[0], &c, 1) || msg_send(self->fd, k))
				_exit(1);
		_exit(0);
	}
	close(go[0]);

	for (k = 0; k < UQ_PENDING; k++) {
		EXPECT_EQ(0, iowq_workers()) TH_LOG("before message %d", k);
		EXPECT_EQ(0, sleepers(self->fd, false));
		ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data))
			TH_LOG("message %d completes no read", k);
		ASSERT_GT(UQ_PENDING, data);
		EXPECT_FALSE(done[data]) TH_LOG("read %llu completes twice",
						(unsigned long long)data);
		done[data] = true;
		seed = msg_seed(bufs[data], res);
		ASSERT_LE(0, seed) TH_LOG("read %llu: result %d, garbled",
					  (unsigned long long)data, res);
		ASSERT_GT(UQ_PENDING, seed);
		EXPECT_FALSE(seen[seed]);
		seen[seed] = true;
		/* One message, one completion: the others wait on. */
		EXPECT_FALSE(uq_completed_now(&self->ring))
			TH_LOG("message %d completes two reads", k);
	}
	EXPECT_EQ(0, iowq_workers());
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	close(go[1]);
}

TEST_F(uring, write_on_full_queue_parks_until_a_receive)
{
	char buf[UQ_MSGSIZE], last[UQ_MSGSIZE];
	int i, res;
	pid_t p;

	for (i = 0; i < UQ_DEPTH; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	msg_fill(last, 1000);
	uq_write(&self->ring, self->fd, last, msg_len(1000), 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, sleepers(self->fd, true));

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(kmsgq_receive(self->fd, buf, sizeof(buf), NULL) ==
		      (ssize_t)msg_len(0) ? 0 : 1);
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ((int)msg_len(1000), res);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(UQ_DEPTH, queued(self->fd));
	for (i = 1; i < UQ_DEPTH; i++)
		ASSERT_EQ(i, msg_seed(buf, kmsgq_receive(self->fd, buf,
							 sizeof(buf), NULL)));
	EXPECT_EQ(1000, msg_seed(buf, kmsgq_receive(self->fd, buf,
						    sizeof(buf), NULL)));
	EXPECT_EQ(0, iowq_workers());
}

TEST_F(uring, o_nonblock_file_parks_but_rwf_nowait_says_eagain)
{
	char buf[UQ_MSGSIZE];
	struct io_uring_sqe *sqe;
	__u64 data;
	int fd, res;

	fd = kmsgq_open(self->name, O_RDWR | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* io_uring waits for a non-blocking file that supports IOCB_NOWAIT. */
	uq_read(&self->ring, fd, buf, sizeof(buf), 1);
	/* RWF_NOWAIT on the request itself: EAGAIN, as preadv2() says. */
	sqe = uq_sqe(&self->ring);
	io_uring_prep_read(sqe, self->fd, buf, sizeof(buf), 0);
	sqe->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(2, data);
	EXPECT_EQ(-EAGAIN, res);
	EXPECT_FALSE(uq_completed_now(&self->ring));

	ASSERT_EQ(0, msg_send(self->fd, 5));
	ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(5, msg_seed(buf, res));
	EXPECT_EQ(0, iowq_workers());
	close(fd);
}

TEST_F(uring, linked_timeout_ends_a_waiting_read)
{
	struct __kernel_timespec ts = { .tv_nsec = 50 * NSEC_PER_MSEC };
	struct io_uring_sqe *sqe;
	char buf[UQ_MSGSIZE];
	int i, res;
	__u64 data;

	sqe = uq_read(&self->ring, self->fd, buf, sizeof(buf), 1);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = uq_sqe(&self->ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
		EXPECT_EQ(data == 1 ? -ECANCELED : -ETIME, res)
			TH_LOG("request %llu", (unsigned long long)data);
	}
	/* Nothing of the read is left to take a message. */
	ASSERT_EQ(0, msg_send(self->fd, 4));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, queued(self->fd));
}

TEST_F(uring, cancel_leaves_nothing_behind)
{
	static char bufs[8][UQ_MSGSIZE];
	int i, res, cancelled = 0, cancels = 0;
	__u64 data;

	for (i = 0; i < 8; i++)
		uq_read(&self->ring, self->fd, bufs[i], UQ_MSGSIZE, i);
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	for (i = 0; i < 8; i++) {
		struct io_uring_sqe *sqe = uq_sqe(&self->ring);

		io_uring_prep_cancel64(sqe, i, 0);
		io_uring_sqe_set_data64(sqe, 100 + i);
	}
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data));
		if (data < 8) {
			EXPECT_EQ(-ECANCELED, res);
			cancelled++;
		} else {
			EXPECT_EQ(0, res);
			cancels++;
		}
	}
	EXPECT_EQ(8, cancelled);
	EXPECT_EQ(8, cancels);

	/* No cancelled read takes a message later. */
	ASSERT_EQ(0, msg_send(self->fd, 3));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(1, queued(self->fd));
	EXPECT_EQ(0, sleepers(self->fd, false));
	EXPECT_EQ(0, iowq_workers());

	uring_close_all(self);
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	if (self->refs >= 0)
		EXPECT_TRUE(module_refs_back_to(self->refs));
}

TEST_F(uring, ring_exit_with_reads_pending_leaves_nothing_behind)
{
	static char bufs[8][UQ_MSGSIZE];
	int i, ours = -1;

	for (i = 0; i < 8; i++)
		uq_read(&self->ring, self->fd, bufs[i], UQ_MSGSIZE, i);
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	io_uring_queue_exit(&self->ring);
	self->have_ring = false;

	/* The reads went with their ring: messages now stay queued. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	EXPECT_EQ(3, queued(self->fd));
	EXPECT_EQ(0, sleepers(self->fd, false));
	EXPECT_EQ(0, iowq_workers());

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	if (self->refs >= 0)
		EXPECT_TRUE(module_refs_back_to(self->refs))
			TH_LOG("a file of the ring is still open");
	ASSERT_LE(0, debugfs_count_queues(self->name, &ours));
	EXPECT_EQ(0, ours);
}

TEST_F(uring, reads_pending_in_a_sigkilled_process_leave_nothing_behind)
{
	int ready[2], i;
	char c;
	pid_t p;

	ASSERT_EQ(0, pipe(ready));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* 16 reads pending, then killed */
		static char bufs[16][UQ_MSGSIZE];
		struct io_uring ring;

		if (io_uring_queue_init(32, &ring, 0))
			_exit(1);
		for (i = 0; i < 16; i++)
			uq_read(&ring, self->fd, bufs[i], UQ_MSGSIZE, i);
		if (io_uring_submit(&ring) != 16)
			_exit(1);
		child_write(ready[1], "r", 1);
		pause();
		_exit(1);
	}
	close(ready[1]);
	ASSERT_TRUE(read_all(ready[0], &c, 1));
	close(ready[0]);
	ASSERT_EQ(0, kill(p, SIGKILL));
	ASSERT_LE(0, kids_reap(&self->kids, p));

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	EXPECT_EQ(4, queued(self->fd));
	EXPECT_EQ(0, sleepers(self->fd, false));

	uring_close_all(self);
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	if (self->refs >= 0)
		EXPECT_TRUE(module_refs_back_to(self->refs));
}

TEST_F(uring, o_rdonly_file_refuses_writes_with_ebadf_as_write_does)
{
	char buf[UQ_MSGSIZE] = "x";
	int fd;

	fd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, buf, 8));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, uq_once(fd, buf, 8, true));
	EXPECT_EQ(0, queued(self->fd));
	close(fd);

	fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, msg_send(self->fd, 1));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, uq_once(fd, buf, sizeof(buf), false));
	EXPECT_EQ(1, queued(self->fd));
	close(fd);
}

/* What read(), write() and io_uring may do through open(2) mode @mode. */
static void check_access_mode(struct __test_metadata *_metadata,
			      FIXTURE_DATA(uring) *self, int mode)
{
	bool can_read = mode == O_RDONLY || mode == O_RDWR;
	bool can_write = mode == O_WRONLY || mode == O_RDWR;
	int fd = open("/dev/kmsgq", mode | O_CLOEXEC);
	struct kmsgq_open op = { .size = sizeof(op) };
	char buf[UQ_MSGSIZE];
	long r;

	ASSERT_LE(0, fd);
	strcpy(op.name, self->name);
	if (mode == UQ_NOACCESS) {
		/* Mode 3 asks for nothing and can never bind. */
		EXPECT_EQ(-EACCES, xioctl(fd, KMSGQ_IOC_OPEN, &op));
	} else {
		ASSERT_EQ(0, xioctl(fd, KMSGQ_IOC_OPEN, &op));
	}

	ASSERT_EQ(0, msg_send(self->fd, 10));
	r = read(fd, buf, sizeof(buf));
	EXPECT_EQ(can_read ? (long)msg_len(10) : -1, r) TH_LOG("mode %d", mode);
	if (!can_read)
		EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, msg_send(self->fd, 11));
	EXPECT_EQ(can_read ? (int)msg_len(11) : -EBADF,
		  uq_once(fd, buf, sizeof(buf), false)) TH_LOG("mode %d", mode);

	msg_fill(buf, 12);
	r = write(fd, buf, msg_len(12));
	EXPECT_EQ(can_write ? (long)msg_len(12) : -1, r) TH_LOG("mode %d", mode);
	if (!can_write)
		EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(can_write ? (int)msg_len(12) : -EBADF,
		  uq_once(fd, buf, msg_len(12), true)) TH_LOG("mode %d", mode);

	/* Drain what this mode left (self->fd is non-blocking here). */
	while (kmsgq_receive(self->fd, buf, sizeof(buf), NULL) >= 0)
		;
	close(fd);
}

TEST_F(uring, access_modes_0_to_3_give_io_uring_what_read_and_write_get)
{
	char buf[UQ_MSGSIZE];
	int mode, fd;

	ASSERT_EQ(0, kmsgq_setattr(self->fd, KMSGQ_ATTR_NONBLOCK, NULL));
	for (mode = 0; mode <= 3; mode++) {
		check_access_mode(_metadata, self, mode);
		EXPECT_EQ(0, queued(self->fd));
	}

	/* Unbound: ENOTCONN, whichever way. */
	fd = open("/dev/kmsgq", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, uq_once(fd, buf, sizeof(buf), false));
	EXPECT_EQ(-ENOTCONN, uq_once(fd, buf, 8, true));
	close(fd);
}

TEST_F(uring, unprivileged_user_parks_on_poll_and_cannot_pass_modes)
{
	int status;
	pid_t p;

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		struct kmsgq_attr attr = { .max_msgs = 4, .max_msgsize = 64 };
		char name[KMSGQ_NAME_MAX], buf[UQ_MSGSIZE];
		struct io_uring ring;
		int fd, res, ret = 0;

		if (become(NOBODY, NOBODY))
			_exit(10);
		/* Root's queue is 0600. */
		if (kmsgq_open(self->name, O_RDONLY, 0, NULL) != -EACCES)
			_exit(11);
		fd = create_own_queue(name, "uring-nobody", 0, &attr);
		if (fd < 0)
			_exit(12);
		if (io_uring_queue_init(4, &ring, 0))
			_exit(13);
		uq_read(&ring, fd, buf, sizeof(buf), 0);
		if (io_uring_submit(&ring) != 1 || uq_completed_now(&ring))
			ret = 14;
		else if (iowq_workers() != 0 || sleepers(fd, false) != 0)
			ret = 15;
		else if (msg_send(fd, 9) || uq_next(&ring, &res, NULL) ||
			 msg_seed(buf, res) != 9)
			ret = 16;
		io_uring_queue_exit(&ring);
		kmsgq_unlink(name);
		_exit(ret);
	}
	status = kids_reap(&self->kids, p);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(uring, readv_and_writev_move_one_message)
{
	char out[UQ_MSGSIZE], in[UQ_MSGSIZE + 8], big[UQ_MSGSIZE + 1] = "";
	struct iovec wv[3] = {
		{ out, 5 }, { out + 5, 0 }, { out + 5, 11 },
	};
	struct iovec rv[3] = {
		{ in, 3 }, { in + 3, 10 }, { in + 13, sizeof(in) - 13 },
	};
	struct iovec small[2] = { { in, 6 }, { in + 6, 9 } };
	struct iovec toobig[2] = {
		{ big, UQ_MSGSIZE }, { big + UQ_MSGSIZE, 1 },
	};
	struct io_uring_sqe *sqe;
	int res, pass;

	pattern(out, sizeof(out), 3);
	for (pass = 0; pass < 2; pass++) {	/* syscalls, then io_uring */
		memset(in, 0, sizeof(in));
		if (!pass) {
			EXPECT_EQ(16, writev(self->fd, wv, 3));
		} else {
			sqe = uq_sqe(&self->ring);
			io_uring_prep_writev(sqe, self->fd, wv, 3, 0);
			ASSERT_EQ(1, io_uring_submit(&self->ring));
			ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
			EXPECT_EQ(16, res);
		}
		EXPECT_EQ(1, queued(self->fd)) TH_LOG("pass %d", pass);

		/* A buffer is the iovecs' total: 15 bytes cannot hold 16. */
		EXPECT_EQ(-1, readv(self->fd, small, 2));
		EXPECT_EQ(EMSGSIZE, errno);
		EXPECT_EQ(1, queued(self->fd));

		if (!pass) {
			EXPECT_EQ(16, readv(self->fd, rv, 3));
		} else {
			sqe = uq_sqe(&self->ring);
			io_uring_prep_readv(sqe, self->fd, rv, 3, 0);
			ASSERT_EQ(1, io_uring_submit(&self->ring));
			ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
			EXPECT_EQ(16, res);
		}
		EXPECT_EQ(0, memcmp(in, out, 16)) TH_LOG("pass %d", pass);
		EXPECT_EQ(0, in[16]);
		EXPECT_EQ(0, queued(self->fd));
	}

	/* Too long in total: EMSGSIZE, nothing queued. */
	EXPECT_EQ(-1, writev(self->fd, toobig, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	/* No bytes at all: the VFS returns 0 and queues nothing. */
	EXPECT_EQ(0, writev(self->fd, wv + 1, 1));
	EXPECT_EQ(0, queued(self->fd));
}

TEST_F(uring, preadv2_and_pwritev2_flags)
{
	char buf[UQ_MSGSIZE];
	struct iovec iov = { buf, sizeof(buf) };
	int i;

	/* RWF_NOWAIT: EAGAIN where a blocking file would sleep. */
	EXPECT_EQ(-1, preadv2(self->fd, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, msg_send(self->fd, 20));
	EXPECT_EQ((ssize_t)msg_len(20), preadv2(self->fd, &iov, 1, -1,
						RWF_NOWAIT));
	EXPECT_EQ(20, msg_seed(buf, msg_len(20)));
	for (i = 0; i < UQ_DEPTH; i++)
		ASSERT_EQ(0, msg_send(self->fd, i));
	iov.iov_len = 8;
	EXPECT_EQ(-1, pwritev2(self->fd, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(UQ_DEPTH, queued(self->fd));
	iov.iov_len = sizeof(buf);
	EXPECT_EQ((ssize_t)msg_len(0), preadv2(self->fd, &iov, 1, -1,
					       RWF_HIPRI | RWF_DSYNC));
	/* A queue has no file position. */
	EXPECT_EQ(-1, preadv2(self->fd, &iov, 1, 0, 0));
	EXPECT_EQ(ESPIPE, errno);
	/* Flags the kernel does not know: EOPNOTSUPP, from the VFS. */
	EXPECT_EQ(-1, preadv2(self->fd, &iov, 1, -1, 0x40000000));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(UQ_DEPTH - 1, queued(self->fd));
}

/* ---- Linux aio ---- */

static int aio_submit_one(aio_context_t ctx, struct iocb *cb)
{
	struct iocb *cbs[1] = { cb };
	long ret = syscall(SYS_io_submit, ctx, 1, cbs);

	return ret < 0 ? -errno : (int)ret;
}

/* Events ready within @ms milliseconds, at most one: 0 or 1, or -errno. */
static int aio_event_within(aio_context_t ctx, int ms, struct io_event *ev)
{
	struct timespec ts = { ms / 1000, ms % 1000 * NSEC_PER_MSEC };
	long ret;

	do
		ret = syscall(SYS_io_getevents, ctx, 1, 1, ev, &ts);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : (int)ret;
}

TEST_F(uring, aio_reads_and_writes_synchronously_and_polls)
{
	char out[UQ_MSGSIZE], in[UQ_MSGSIZE];
	struct iocb cb;
	struct io_event ev;
	aio_context_t ctx = 0;
	pid_t p;

	if (syscall(SYS_io_setup, 8, &ctx) && errno == ENOSYS)
		SKIP(return, "no Linux aio (CONFIG_AIO)");
	ASSERT_NE(0, ctx);
	msg_fill(out, 30);

	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = self->fd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (uintptr_t)out;
	cb.aio_nbytes = msg_len(30);
	ASSERT_EQ(1, aio_submit_one(ctx, &cb));
	ASSERT_EQ(1, aio_event_within(ctx, UQ_WAIT_MS, &ev));
	EXPECT_EQ((long)msg_len(30), ev.res);
	EXPECT_EQ(1, queued(self->fd));

	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_buf = (uintptr_t)in;
	cb.aio_nbytes = sizeof(in);
	ASSERT_EQ(1, aio_submit_one(ctx, &cb));
	ASSERT_EQ(1, aio_event_within(ctx, UQ_WAIT_MS, &ev));
	EXPECT_EQ((long)msg_len(30), ev.res);
	EXPECT_EQ(30, msg_seed(in, ev.res));

	/* An empty queue: RWF_NOWAIT completes with EAGAIN. */
	cb.aio_rw_flags = RWF_NOWAIT;
	ASSERT_EQ(1, aio_submit_one(ctx, &cb));
	ASSERT_EQ(1, aio_event_within(ctx, UQ_WAIT_MS, &ev));
	EXPECT_EQ(-EAGAIN, ev.res);

	/*
	 * IOCB_CMD_POLL waits without blocking io_submit(), on one wait
	 * queue: an O_RDWR file waits on two (so that EPOLL_CTL_MOD keeps its
	 * wakeups), which aio refuses with EINVAL, as for a FIFO opened
	 * O_RDWR; an O_RDONLY file waits on one.
	 */
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = self->fd;
	cb.aio_lio_opcode = IOCB_CMD_POLL;
	cb.aio_buf = POLLIN;
	EXPECT_EQ(-EINVAL, aio_submit_one(ctx, &cb));
	cb.aio_fildes = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, (int)cb.aio_fildes);
	ASSERT_EQ(1, aio_submit_one(ctx, &cb));
	EXPECT_EQ(0, aio_event_within(ctx, 0, &ev));
	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p)
		_exit(msg_send(self->fd, 31) ? 1 : 0);
	ASSERT_EQ(1, aio_event_within(ctx, UQ_WAIT_MS, &ev));
	EXPECT_TRUE(ev.res & POLLIN);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(1, queued(self->fd));
	close(cb.aio_fildes);
	syscall(SYS_io_destroy, ctx);
}

/* ---- many queues ---- */

FIXTURE(many) {
	char names[UQ_QUEUES][KMSGQ_NAME_MAX];
	int fds[UQ_QUEUES];
	struct io_uring ring;
	bool have_ring;
	struct kids kids;
};

FIXTURE_SETUP(many)
{
	struct kmsgq_attr attr = {
		.max_msgs = UQ_READS / UQ_QUEUES + 1, .max_msgsize = UQ_MSGSIZE,
	};
	char tag[32];
	int i, ret;

	for (i = 0; i < UQ_QUEUES; i++)
		self->fds[i] = -1;
	ret = io_uring_queue_init(1024, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = true;
	for (i = 0; i < UQ_QUEUES; i++) {
		snprintf(tag, sizeof(tag), "uring-many%d", i);
		self->fds[i] = create_own_queue(self->names[i], tag, 0, &attr);
		ASSERT_LE(0, self->fds[i]);
	}
}

FIXTURE_TEARDOWN(many)
{
	int i;

	kids_kill(&self->kids);
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	for (i = 0; i < UQ_QUEUES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		if (self->names[i][0])
			kmsgq_unlink(self->names[i]);
	}
}

TEST_F(many, a_thousand_reads_over_64_queues_complete_exactly_once)
{
	static char bufs[UQ_READS][UQ_MSGSIZE];
	static bool done[UQ_READS], seen[UQ_READS];
	int i, res, bad = 0;
	__u64 data;
	long seed;
	pid_t p;

	/* Read i waits on queue i % UQ_QUEUES. */
	for (i = 0; i < UQ_READS; i++)
		uq_read(&self->ring, self->fds[i % UQ_QUEUES], bufs[i],
			UQ_MSGSIZE, i);
	ASSERT_EQ(UQ_READS, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, iowq_workers());

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* message s to queue s % UQ_QUEUES */
		for (i = 0; i < UQ_READS; i++)
			if (msg_send(self->fds[i % UQ_QUEUES], i))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < UQ_READS; i++) {
		ASSERT_EQ(0, uq_next(&self->ring, &res, &data))
			TH_LOG("%d of %d reads completed", i, UQ_READS);
		ASSERT_GT(UQ_READS, data);
		seed = msg_seed(bufs[data], res);
		if (done[data] || seed < 0 || seed >= UQ_READS || seen[seed] ||
		    seed % UQ_QUEUES != (long)(data % UQ_QUEUES)) {
			if (bad++ < 5)
				TH_LOG("read %llu: result %d, message %ld",
				       (unsigned long long)data, res, seed);
			continue;
		}
		done[data] = true;
		seen[seed] = true;
	}
	EXPECT_EQ(0, bad);
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	for (i = 0; i < UQ_QUEUES; i++)
		EXPECT_EQ(0, queued(self->fds[i]));
}

/* ---- ring queues ---- */

FIXTURE(ringq) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct kmsgq_ring r;
	bool mapped;
	struct io_uring ring;
	bool have_ring;
	struct kids kids;
};

FIXTURE_SETUP(ringq)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 8,
		.max_msgsize = UQ_MSGSIZE,
	};
	int ret;

	self->fd = -1;
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = true;
	self->fd = create_own_queue(self->name, "uring-ring", 0, &attr);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kmsgq_ring_map(self->fd, &self->r));
	self->mapped = true;
}

FIXTURE_TEARDOWN(ringq)
{
	kids_kill(&self->kids);
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->mapped)
		kmsgq_ring_unmap(&self->r);
	if (self->fd >= 0)
		close(self->fd);
	if (self->name[0])
		kmsgq_unlink(self->name);
}

TEST_F(ringq, read_is_woken_by_an_in_place_producers_commit)
{
	char buf[UQ_MSGSIZE];
	int res;
	pid_t p;

	uq_read(&self->ring, self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	/* io_uring's poll armed the consumer's need-wakeup bit. */
	EXPECT_TRUE(__atomic_load_n(self->r.wakeup, __ATOMIC_RELAXED) &
		    KMSGQ_RING_WAKE_CONSUMER);
	EXPECT_EQ(0, iowq_workers());

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {	/* in place, through the inherited mapping */
		__u32 pos;

		if (kmsgq_ring_reserve(&self->r, 1, &pos) != 1)
			_exit(1);
		msg_fill(kmsgq_ring_slot(&self->r, pos), 40);
		kmsgq_ring_commit(&self->r, pos, msg_len(40));
		_exit(kmsgq_ring_commit_done(&self->r) ? 1 : 0);
	}
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ(40, msg_seed(buf, res));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, queued(self->fd));
}

TEST_F(ringq, write_is_woken_by_an_in_place_consumers_release)
{
	char buf[UQ_MSGSIZE];
	const void *msg;
	__u32 pos, len;
	unsigned int n, i;
	int res;
	pid_t p;

	n = kmsgq_ring_reserve(&self->r, self->r.nr_slots, &pos);
	ASSERT_EQ(self->r.nr_slots, n);
	for (i = 0; i < n; i++) {
		msg_fill(kmsgq_ring_slot(&self->r, pos + i), i);
		kmsgq_ring_commit(&self->r, pos + i, msg_len(i));
	}
	ASSERT_EQ(0, kmsgq_ring_commit_done(&self->r));

	msg_fill(buf, 50);
	uq_write(&self->ring, self->fd, buf, msg_len(50), 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_FALSE(uq_completed_now(&self->ring));
	EXPECT_TRUE(__atomic_load_n(self->r.wakeup, __ATOMIC_RELAXED) &
		    KMSGQ_RING_WAKE_PRODUCER);

	p = kids_fork(&self->kids);
	ASSERT_LE(0, p);
	if (!p) {
		if (kmsgq_ring_claim(&self->r, 1, &pos) != 1)
			_exit(1);
		kmsgq_ring_release(&self->r, pos, 1);
		_exit(kmsgq_ring_release_done(&self->r) ? 1 : 0);
	}
	ASSERT_EQ(0, uq_next(&self->ring, &res, NULL));
	EXPECT_EQ((int)msg_len(50), res);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, p)));
	EXPECT_EQ(0, iowq_workers());

	/* Messages 1.. and then the write's, in place. */
	n = kmsgq_ring_claim(&self->r, self->r.nr_slots, &pos);
	ASSERT_EQ(self->r.nr_slots, n);
	for (i = 0; i < n; i++) {
		msg = kmsgq_ring_msg(&self->r, pos + i, &len);
		ASSERT_NE(NULL, msg);
		EXPECT_EQ(i + 1 < n ? (long)i + 1 : 50, msg_seed(msg, len));
	}
	kmsgq_ring_release(&self->r, pos, n);
	EXPECT_EQ(0, kmsgq_ring_release_done(&self->r));
}

TEST_HARNESS_MAIN
