// SPDX-License-Identifier: GPL-2.0
/*
 * Description: races and corner cases that the ordinary tests cannot reach
 * by chance, each built so that it happens every time: a batch whose user
 * copy faults part-way (held there by a userfaultfd while sleepers gather),
 * deadlines given from inside a time namespace, two binds racing on one
 * file, and a non-blocking ring receive that loses every claim it tries.
 *
 * A userfaultfd registered for missing pages stalls the kernel's copy to or
 * from such a page until the process that owns it resolves the fault, and
 * the fault handler may do anything meanwhile: move a ring's positions,
 * then resolve; or unmap the page, so that the stalled copy fails.  Tests
 * that need one skip where the kernel has none (ENOSYS) or refuses it to
 * the caller (EPERM).
 *
 * Helper processes report through pipes and exit codes, never through
 * ASSERT or EXPECT.  Every wait is bounded: a sleeper that should be woken
 * has 5 s to say so, which no wakeup needs, so running out of it means the
 * wakeup was lost.  Teardown kills and reaps any helper left.
 *
 * The harness's EXPECT and ASSERT are two statements each, so every if,
 * else and loop whose body is one of them has braces.
 */
#include "kmsgq_test.h"

#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME		0x00000080
#endif

/* How long a sleeper that must be woken may take to say so. */
#define WAKE_MS			5000
/* Messages of the faulting batches, and the tasks asleep beside them. */
#define BATCH			4
#define SLEEPERS		(BATCH - 1)
#define MSG			64
/* A deadline 300 ms ahead, for the time-namespace tests. */
#define DEADLINE_NS		(300 * NSEC_PER_MSEC)
/* Rounds of the bind race. */
#define OPEN_ROUNDS		300
/* Faults after which the ring thief lets the receive win. */
#define STEAL_FAULTS		1000

/* ---- userfaultfd ---- */

/* A userfaultfd of this process, non-blocking, handshaken: fd or -errno. */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd, err;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Let @uffd handle missing-page faults in [@addr, @addr + @len): 0 or -errno. */
static int uffd_watch(int uffd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

/*
 * Wait at most @ms for the next page fault @uffd reports: 0 with the page
 * in *@page, -ETIMEDOUT, or -errno.
 */
static int uffd_next_fault(int uffd, int ms, char **page)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	ssize_t n;

	for (;;) {
		n = poll(&pfd, 1, ms);
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		n = read(uffd, &msg, sizeof(msg));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n != sizeof(msg))
			return n < 0 ? -errno : -EIO;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		*page = (char *)(uintptr_t)(msg.arg.pagefault.address &
					    ~((__u64)getpagesize() - 1));
		return 0;
	}
}

/* Resolve the fault on @page with a copy of @src, and wake the faulter. */
static int uffd_fill(int uffd, char *page, const char *src)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)page,
		.src = (uintptr_t)src,
		.len = getpagesize(),
	};
	struct uffdio_range range = {
		.start = (uintptr_t)page,
		.len = getpagesize(),
	};

	if (!ioctl(uffd, UFFDIO_COPY, &copy))
		return 0;
	/* Already there (nothing else maps it, but be sure): just wake. */
	return ioctl(uffd, UFFDIO_WAKE, &range) ? -errno : 0;
}

/* ---- helpers ---- */

/*
 * kids_fork(), and the helper dies with the test process: an ASSERT that
 * fails while helpers run may end the test without its teardown.
 */
static pid_t race_fork(struct kids *k)
{
	pid_t parent = getpid(), pid;

	pid = kids_fork(k);
	if (!pid && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
		_exit(3);
	return pid;
}

/*
 * Wait at most @ms for @len bytes on pipe @fd: true if they came.  A
 * helper that died closed its end: false.
 */
static bool read_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read_all(fd, buf, len);
}

/* Of @nr helpers, those that exit 0 within @ms of now, in all. */
static unsigned int reap_ok_within(struct kids *k, const pid_t *pid,
				   unsigned int nr, int ms)
{
	__s64 end = now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	unsigned int i, ok = 0;
	int status, left;

	for (i = 0; i < nr; i++) {
		left = (end - now_ns(CLOCK_MONOTONIC)) / NSEC_PER_MSEC;
		status = reap_within(pid[i], left > 0 ? left : 0);
		if (status < 0)
			continue;	/* still asleep: teardown kills it */
		kids_forget(k, pid[i]);
		ok += exited_ok(status);
	}
	return ok;
}

FIXTURE(race) {
	char name[KMSGQ_NAME_MAX];
	char name2[KMSGQ_NAME_MAX];
	int fd;
	struct kids kids;
};

FIXTURE_SETUP(race)
{
	self->name[0] = self->name2[0] = '\0';
	self->fd = -1;
	self->kids.nr = 0;
}

FIXTURE_TEARDOWN(race)
{
	kids_kill(&self->kids);
	if (self->fd >= 0)
		close(self->fd);
	if (self->name[0])
		kmsgq_unlink(self->name);
	if (self->name2[0])
		kmsgq_unlink(self->name2);
}

/* ---- a batch whose copy faults part-way ---- */

/* A batch of BATCH messages whose second buffer lies on a stalling page. */
struct stall {
	int fd;
	unsigned long cmd;	/* KMSGQ_IOC_SEND or KMSGQ_IOC_RECV */
	struct kmsgq_msg msgs[BATCH];
	char bufs[BATCH][MSG];
	int ret;
};

static void *stall_xfer(void *arg)
{
	struct stall *s = arg;

	s->ret = xfer_ioctl(s->fd, s->cmd, (uintptr_t)s->msgs, BATCH, 0, 0,
			    NULL);
	return NULL;
}

/*
 * In a helper process: run @s's batch in a thread, its second message's
 * buffer on a page a userfaultfd of this process holds back, so that the
 * batch stalls in its copy after taking every message or slot it can.
 * Write 'S' to @report once the fault is seen, wait for a byte on @go,
 * then unmap the page and close the userfaultfd: the stalled copy fails.
 * Write the batch's result (an int) to @report.  Exits 0, or 1 if the
 * construction failed (then it reports 'E' instead of 'S').
 */
static void stall_child(struct stall *s, int report, int go)
{
	size_t ps = getpagesize();
	pthread_t thread;
	char *page, *hit, c;
	int uffd;

	uffd = uffd_open();
	page = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd < 0 || page == MAP_FAILED || uffd_watch(uffd, page, ps))
		goto fail;
	s->msgs[1].buf = (uintptr_t)page;
	if (pthread_create(&thread, NULL, stall_xfer, s))
		goto fail;
	if (uffd_next_fault(uffd, WAKE_MS, &hit) || hit != page)
		goto fail;
	child_write(report, "S", 1);
	if (!read_all(go, &c, 1))
		_exit(1);
	munmap(page, ps);
	close(uffd);
	pthread_join(thread, NULL);
	child_write(report, &s->ret, sizeof(s->ret));
	_exit(0);
fail:
	child_write(report, "E", 1);
	_exit(1);
}

/*
 * Start the stalled batch @cmd on the fixture's queue in a helper, then
 * @sleepers more helpers, each blocked in one read() (@cmd RECV) or one
 * write(); unstall the batch, which must move exactly one message; and
 * return how many sleepers got through within WAKE_MS.  SKIP()s (-1)
 * without userfaultfd.
 */
static int stall_and_count_woken(struct __test_metadata *_metadata,
				 FIXTURE_DATA(race) *self, unsigned long cmd)
{
	bool recv = cmd == KMSGQ_IOC_RECV;
	struct stall s = { .fd = self->fd, .cmd = cmd };
	int report[2], go[2], ret, i, uffd;
	pid_t helper, sleeper[SLEEPERS];
	char c;

	uffd = uffd_open();
	if (uffd == -ENOSYS || uffd == -EPERM)
		SKIP(return -1, "no userfaultfd: %s", strerror(-uffd));
	ASSERT_LE(0, uffd);
	close(uffd);

	for (i = 0; i < BATCH; i++) {
		pattern(s.bufs[i], MSG, i);
		s.msgs[i].buf = (uintptr_t)s.bufs[i];
		s.msgs[i].len = MSG;
	}
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	helper = race_fork(&self->kids);
	ASSERT_LE(0, helper);
	if (!helper)
		stall_child(&s, report[1], go[0]);
	close(report[1]);
	close(go[0]);
	ASSERT_TRUE(read_within(report[0], &c, 1, WAKE_MS));
	ASSERT_EQ('S', c) TH_LOG("the batch did not stall on its fault");
	/* Every message is the stalled batch's now (or every slot). */
	if (recv) {
		ASSERT_EQ(0, queued(self->fd));
	}

	for (i = 0; i < SLEEPERS; i++) {
		sleeper[i] = race_fork(&self->kids);
		ASSERT_LE(0, sleeper[i]);
		if (sleeper[i])
			continue;
		if (recv)
			_exit(read(self->fd, s.bufs[0], MSG) == MSG ? 0 : 1);
		_exit(write(self->fd, s.bufs[0], MSG) == MSG ? 0 : 1);
	}
	ASSERT_EQ(0, wait_sleepers(self->fd, !recv, SLEEPERS));

	child_write(go[1], "g", 1);
	ASSERT_TRUE(read_within(report[0], &ret, sizeof(ret), WAKE_MS));
	/* Message 0 moved, 1 faulted; 2 and 3 were given back. */
	EXPECT_EQ(1, ret);
	close(report[0]);
	close(go[1]);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, helper)));
	return reap_ok_within(&self->kids, sleeper, SLEEPERS, WAKE_MS);
}

TEST_F(race, a_faulting_batch_receive_wakes_a_reader_per_message_given_back)
{
	struct kmsgq_attr attr = { .max_msgs = 2 * BATCH, .max_msgsize = MSG };
	char buf[MSG];
	int i, woken;

	self->fd = create_own_queue(self->name, "race-recv", 0, &attr);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < BATCH; i++) {
		pattern(buf, MSG, 100 + i);
		ASSERT_EQ(0, kmsgq_send(self->fd, buf, MSG, 0));
	}
	woken = stall_and_count_woken(_metadata, self, KMSGQ_IOC_RECV);
	if (woken < 0)
		return;
	EXPECT_EQ(SLEEPERS, woken)
		TH_LOG("%d of %d readers asleep got one of the %d messages the batch gave back within %d ms",
		       woken, SLEEPERS, SLEEPERS, WAKE_MS);
}

TEST_F(race, a_faulting_batch_send_wakes_a_writer_per_slot_given_back)
{
	struct kmsgq_attr attr = { .max_msgs = BATCH, .max_msgsize = MSG };
	int woken;

	self->fd = create_own_queue(self->name, "race-send", 0, &attr);
	ASSERT_LE(0, self->fd);
	woken = stall_and_count_woken(_metadata, self, KMSGQ_IOC_SEND);
	if (woken < 0)
		return;
	EXPECT_EQ(SLEEPERS, woken)
		TH_LOG("%d of %d writers asleep got one of the %d slots the batch gave back within %d ms",
		       woken, SLEEPERS, SLEEPERS, WAKE_MS);
}

/* ---- deadlines from inside a time namespace ---- */

FIXTURE(timens) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct kids kids;
};

/*
 * A call that sleeps until a deadline DEADLINE_NS away, made by a process
 * whose CLOCK_MONOTONIC is shifted from the kernel's by a day (@ahead 1)
 * or by up to -2 s (@ahead -1; the clock cannot go below 0).
 */
FIXTURE_VARIANT(timens) {
	bool ring;		/* KMSGQ_IOC_RING_WAIT on a ring, else RECV */
	int ahead;
	clockid_t clock;
	bool relative;
};

FIXTURE_VARIANT_ADD(timens, recv_monotonic_ahead) {
	.ahead = 1, .clock = CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(timens, recv_monotonic_behind) {
	.ahead = -1, .clock = CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(timens, recv_realtime_ahead) {
	.ahead = 1, .clock = CLOCK_REALTIME,
};

FIXTURE_VARIANT_ADD(timens, recv_relative_behind) {
	.ahead = -1, .clock = CLOCK_MONOTONIC, .relative = true,
};

FIXTURE_VARIANT_ADD(timens, ring_wait_monotonic_ahead) {
	.ring = true, .ahead = 1, .clock = CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(timens, ring_wait_monotonic_behind) {
	.ring = true, .ahead = -1, .clock = CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(timens, ring_wait_realtime_behind) {
	.ring = true, .ahead = -1, .clock = CLOCK_REALTIME,
};

FIXTURE_VARIANT_ADD(timens, ring_wait_relative_ahead) {
	.ring = true, .ahead = 1, .clock = CLOCK_MONOTONIC, .relative = true,
};

FIXTURE_SETUP(timens)
{
	struct kmsgq_attr attr = {
		.qflags = variant->ring ? KMSGQ_OPEN_RING : 0,
		.max_msgs = 2, .max_msgsize = MSG,
	};

	self->kids.nr = 0;
	self->fd = create_own_queue(self->name, "race-timens", 0, &attr);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(timens)
{
	kids_kill(&self->kids);
	close(self->fd);
	kmsgq_unlink(self->name);
}

/* What the helper in the time namespace saw. */
struct timens_report {
	int ret;		/* the call's result */
	__s64 early_ns;		/* how long before its deadline it returned */
};

/*
 * In the helper: sleep on an empty queue until DEADLINE_NS from now on
 * the variant's clock, as this process reads it, and report.
 */
static void timens_child(const FIXTURE_VARIANT(timens) *variant, int fd,
			 int report)
{
	clockid_t clock = variant->relative ? CLOCK_MONOTONIC : variant->clock;
	__u32 flags = KMSGQ_XFER_TIMEOUT;
	struct kmsgq_timespec ts;
	struct timespec t;
	struct timens_report r;
	char buf[MSG];
	struct kmsgq_msg m = { (uintptr_t)buf, MSG, 0 };
	__s64 end;

	end = now_ns(clock) + DEADLINE_NS;
	if (variant->relative) {
		flags |= KMSGQ_XFER_RELATIVE;
		t.tv_sec = 0;
		t.tv_nsec = DEADLINE_NS;
	} else {
		t = deadline_in(variant->clock, DEADLINE_NS);
		end = t.tv_sec * NSEC_PER_SEC + t.tv_nsec;
	}
	ts.tv_sec = t.tv_sec;
	ts.tv_nsec = t.tv_nsec;
	if (variant->ring)
		r.ret = ring_ioctl(fd, KMSGQ_IOC_RING_WAIT, flags,
				   KMSGQ_RING_READABLE, variant->clock,
				   ts.tv_sec, ts.tv_nsec);
	else
		r.ret = xfer_ioctl(fd, KMSGQ_IOC_RECV, (uintptr_t)&m, 1, flags,
				   variant->clock, &ts);
	r.early_ns = end - now_ns(clock);
	child_write(report, &r, sizeof(r));
	_exit(0);
}

/* Seconds since boot, or -1. */
static double uptime_s(void)
{
	char buf[64];

	return read_file("/proc/uptime", buf, sizeof(buf)) ? -1 :
	       strtod(buf, NULL);
}

/*
 * The deadline is a point on the caller's own clock: the call times out
 * once that clock passes it, neither long after (a clock a day ahead
 * must not make it sleep a day) nor before (a clock behind the kernel's
 * must not make it time out at once).
 */
TEST_F(timens, a_deadline_is_kept_on_the_callers_clock)
{
	struct timens_report r;
	long long offset = 86400;
	char text[64];
	int report[2], status;
	double up;
	pid_t pid;

	if (variant->ahead < 0) {
		up = uptime_s();
		if (up < 2)
			SKIP(return, "up %.1f s: too soon for a clock behind", up);
		offset = up >= 3 ? -2 : -1;
	}
	if (unshare(CLONE_NEWTIME)) {
		if (errno == EINVAL || errno == EPERM)
			SKIP(return, "no time namespaces: %s", strerror(errno));
		ASSERT_EQ(0, errno);
	}
	snprintf(text, sizeof(text), "monotonic %lld 0", offset);
	ASSERT_EQ(0, write_file("/proc/self/timens_offsets", text));

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	pid = race_fork(&self->kids);	/* in the new namespace */
	ASSERT_LE(0, pid);
	if (!pid)
		timens_child(variant, self->fd, report[1]);
	close(report[1]);

	status = reap_within(pid, WAKE_MS);
	EXPECT_NE(-ETIMEDOUT, status)
		TH_LOG("still asleep %d ms after a deadline %lld ms ahead on its clock (offset %lld s)",
		       WAKE_MS, DEADLINE_NS / NSEC_PER_MSEC, offset);
	if (status == -ETIMEDOUT)
		return;		/* teardown kills it */
	kids_forget(&self->kids, pid);
	ASSERT_TRUE(exited_ok(status));
	ASSERT_TRUE(read_all(report[0], &r, sizeof(r)));
	close(report[0]);
	EXPECT_EQ(-ETIMEDOUT, r.ret);
	EXPECT_GE(0, r.early_ns)
		TH_LOG("timed out %lld ms before its deadline on its own clock (offset %lld s)",
		       (long long)(r.early_ns / NSEC_PER_MSEC), offset);
}

/* ---- two binds racing on one file ---- */

/* One of two threads binding the same file at the same moment. */
struct opener {
	int dev;
	const char *name;
	int *arrived;		/* spin barrier: both threads increment it */
	int ret;
};

static void *opener_run(void *arg)
{
	struct opener *o = arg;
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
		.mode = 0600,
	};

	snprintf(op.name, sizeof(op.name), "%s", o->name);
	/* Spin, not sleep: both must leave the barrier at once. */
	__atomic_add_fetch(o->arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(o->arrived, __ATOMIC_SEQ_CST) < 2)
		;
	o->ret = xioctl(o->dev, KMSGQ_IOC_OPEN, &op);
	return NULL;
}

/*
 * A file binds once: of two creates racing on one unbound file, one wins
 * and the other fails with EBUSY having created nothing.  Whether the two
 * overlap in the kernel is up to the scheduler, so the race is run many
 * times over.
 */
TEST_F(race, concurrent_binds_of_one_file_leave_no_second_queue)
{
	int round, fd, leaked = 0, first = -1;
	struct opener o[2];
	pthread_t t[2];
	int arrived, i;

	snprintf(self->name, sizeof(self->name), "race-bind-a-%d", getpid());
	snprintf(self->name2, sizeof(self->name2), "race-bind-b-%d", getpid());
	kmsgq_unlink(self->name);
	kmsgq_unlink(self->name2);

	for (round = 0; round < OPEN_ROUNDS; round++) {
		self->fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->fd);
		arrived = 0;
		for (i = 0; i < 2; i++) {
			o[i].dev = self->fd;
			o[i].name = i ? self->name2 : self->name;
			o[i].arrived = &arrived;
			ASSERT_EQ(0, pthread_create(&t[i], NULL, opener_run,
						    &o[i]));
		}
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		ASSERT_FALSE(!o[0].ret && !o[1].ret)
			TH_LOG("round %d: both binds succeeded", round);
		i = o[0].ret ? 0 : 1;	/* the loser */
		ASSERT_EQ(-EBUSY, o[i].ret)
			TH_LOG("round %d: the loser got %s", round,
			       strerror(-o[i].ret));
		ASSERT_EQ(0, o[!i].ret);

		fd = kmsgq_open(o[i].name, O_RDWR, 0, NULL);
		if (fd >= 0) {
			if (first < 0)
				first = round;
			leaked++;
			close(fd);
		} else {
			ASSERT_EQ(-ENOENT, fd);
		}
		close(self->fd);
		self->fd = -1;
		kmsgq_unlink(self->name);
		kmsgq_unlink(self->name2);
	}
	if (leaked)
		ksft_print_msg("bind race: the loser's queue was left in %d of %d rounds, first in round %d\n",
			       leaked, OPEN_ROUNDS, first + 1);
	EXPECT_EQ(0, leaked);
}

/* ---- a ring receive that loses every claim ---- */

/*
 * The fault handler of a receive buffer that straddles two pages A and B,
 * both watched by @uffd.  On each fault it consumes the ring's next message
 * in place and produces another (so the receive's claim on the message it
 * is copying must fail), drops the other page (so the next copy faults
 * again), and resolves the fault.  After STEAL_FAULTS faults it only
 * resolves them.
 */
struct thief {
	int uffd;
	struct kmsgq_ring r;
	char *pages;		/* A, then B */
	char *src;		/* a page to resolve faults with */
	int stop;
	unsigned int faults;
	int err;
};

static void thief_steal(struct kmsgq_ring *r)
{
	__u32 pos;

	if (kmsgq_ring_claim(r, 1, &pos) == 1)
		kmsgq_ring_release(r, pos, 1);
	if (kmsgq_ring_reserve(r, 1, &pos) == 1) {
		memset(kmsgq_ring_slot(r, pos), 's', 2 * MSG);
		kmsgq_ring_commit(r, pos, 2 * MSG);
	}
}

static void *thief_run(void *arg)
{
	struct thief *t = arg;
	size_t ps = getpagesize();
	char *page;
	int ret;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		ret = uffd_next_fault(t->uffd, 100, &page);
		if (ret == -ETIMEDOUT)
			continue;
		if (!ret && page != t->pages && page != t->pages + ps)
			ret = -EFAULT;
		if (ret) {
			t->err = ret;
			break;
		}
		if (++t->faults <= STEAL_FAULTS) {
			thief_steal(&t->r);
			madvise(page == t->pages ? t->pages + ps : t->pages,
				ps, MADV_DONTNEED);
		}
		ret = uffd_fill(t->uffd, page, t->src);
		if (ret) {
			t->err = ret;
			break;
		}
	}
	return NULL;
}

/*
 * A receive that may not sleep may not spin either: losing its claim to
 * other consumers again and again, it must give up with EAGAIN, as if the
 * ring were empty, not retry in the kernel for as long as it keeps losing.
 */
TEST_F(race, a_nonblocking_ring_receive_that_keeps_losing_says_eagain)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 4, .max_msgsize = 2 * MSG,
	};
	struct thief t = { .uffd = -1 };
	size_t ps = getpagesize();
	pthread_t thread;
	ssize_t n;
	__u32 pos;
	int err;

	self->fd = create_own_queue(self->name, "race-steal", O_NONBLOCK,
				    &attr);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kmsgq_ring_map(self->fd, &t.r));
	ASSERT_EQ(1U, kmsgq_ring_reserve(&t.r, 1, &pos));
	memset(kmsgq_ring_slot(&t.r, pos), 'm', 2 * MSG);
	kmsgq_ring_commit(&t.r, pos, 2 * MSG);

	t.uffd = uffd_open();
	if (t.uffd == -ENOSYS || t.uffd == -EPERM) {
		kmsgq_ring_unmap(&t.r);
		SKIP(return, "no userfaultfd: %s", strerror(-t.uffd));
	}
	ASSERT_LE(0, t.uffd);
	t.pages = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t.pages);
	t.src = t.pages + 2 * ps;
	memset(t.src, 'u', ps);
	ASSERT_EQ(0, uffd_watch(t.uffd, t.pages, 2 * ps));
	ASSERT_EQ(0, pthread_create(&thread, NULL, thief_run, &t));

	/* MSG bytes on A, MSG on B. */
	n = read(self->fd, t.pages + ps - MSG, 2 * MSG);
	err = errno;
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	close(t.uffd);
	munmap(t.pages, 3 * ps);
	kmsgq_ring_unmap(&t.r);

	ASSERT_EQ(0, t.err);
	ASSERT_LT(0U, t.faults) TH_LOG("the receive never copied");
	EXPECT_EQ(-1, n)
		TH_LOG("read() returned %zd after %u faults", n, t.faults);
	if (n < 0) {
		EXPECT_EQ(EAGAIN, err);
	}
	EXPECT_GT(STEAL_FAULTS, t.faults)
		TH_LOG("the receive kept retrying for %u faults", t.faults);
}

TEST_HARNESS_MAIN
