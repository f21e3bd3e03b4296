// SPDX-License-Identifier: GPL-2.0
/*
 * Description: KMSGQ_IOC_SUBSCRIBERS and kmsgq_subscribers(): a fan-out
 * queue's subscribers, in the order they bound, each with its lag, its
 * losses, the pid that bound it (as the caller's PID namespace sees it)
 * and whether it is the caller's own file; paging with the cursor and
 * size-versioned entries; every access mode and an unprivileged caller;
 * a subscriber killed leaves the list; bad inputs fail with their errno.
 */
#include "kmsgq_test.h"

#include <sched.h>
#include <sys/syscall.h>

#define SUBS_DEPTH	8
#define SUBS_MSGSIZE	16

FIXTURE(subs) {
	char name[KMSGQ_NAME_MAX];
	int pub;
	struct kids kids;
};

FIXTURE_SETUP(subs)
{
	struct kmsgq_info info;

	self->pub = -1;
	self->kids.nr = 0;
	snprintf(self->name, sizeof(self->name), "fansubs-%d", getpid());
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_FANOUT))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT");
}

FIXTURE_TEARDOWN(subs)
{
	kids_kill(&self->kids);
	if (self->pub >= 0)
		close(self->pub);
	kmsgq_unlink(self->name);
}

/*
 * Create the test's fan-out queue with policy @policy (0: block) and keep
 * a write-only publisher descriptor in self->pub: 0 or -errno.
 */
static int subs_create(FIXTURE_DATA(subs) *self, __u32 policy)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | policy,
		.max_msgs = SUBS_DEPTH,
		.max_msgsize = SUBS_MSGSIZE,
	};

	kmsgq_unlink(self->name);
	self->pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
			       &attr);
	return self->pub < 0 ? self->pub : 0;
}

/* A new non-blocking subscriber of @name. */
static int subs_sub(const char *name)
{
	return kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0);
}

/* Publish @n messages on @fd without waiting: 0 or the first -errno. */
static int subs_publish(int fd, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = send_tag(fd, i, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* Receive @n messages on @fd without waiting: 0 or the first -errno. */
static int subs_drain(int fd, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = recv_tag(fd, NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Every subscriber as @fd sees them, in one call, into @e (room for 16):
 * the number, or -errno; *@total unless NULL.
 */
static int subs_all(int fd, struct kmsgq_subscriber *e, unsigned int *total)
{
	uint64_t cursor = 0;

	return kmsgq_subscribers(fd, &cursor, e, 16, total);
}

/* The number of subscribers @fd's queue has, or -errno. */
static int subs_total(int fd)
{
	unsigned int total;
	uint64_t cursor = 0;
	int ret;

	ret = kmsgq_subscribers(fd, &cursor, NULL, 0, &total);
	return ret < 0 ? ret : (int)total;
}

/* Poll until @fd's queue has @n subscribers: true if it came to that. */
static bool subs_wait_total(int fd, int n)
{
	int i;

	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		if (subs_total(fd) == n)
			return true;
		usleep(1000);
	}
	return false;
}

/* A raw KMSGQ_IOC_OPEN of existing queue @name on @fd: 0 or -errno. */
static int subs_raw_bind(int fd, const char *name)
{
	struct kmsgq_open op = { .size = sizeof(op) };

	snprintf(op.name, sizeof(op.name), "%s", name);
	return xioctl(fd, KMSGQ_IOC_OPEN, &op);
}

/* A raw KMSGQ_IOC_SUBSCRIBERS: the ioctl's result or -errno. */
static int subs_ioctl(int fd, struct kmsgq_subscribers *sl)
{
	return xioctl(fd, KMSGQ_IOC_SUBSCRIBERS, sl);
}

/* --- what is listed ------------------------------------------------------ */

TEST_F(subs, each_subscriber_is_listed_with_its_lag_and_pid)
{
	struct kmsgq_subscriber e[16];
	unsigned int total;
	int a, b;

	ASSERT_EQ(0, subs_create(self, 0));
	EXPECT_EQ(0, subs_all(self->pub, e, &total));
	EXPECT_EQ(0, total);
	a = subs_sub(self->name);
	b = subs_sub(self->name);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, subs_publish(self->pub, 5));
	ASSERT_EQ(0, subs_drain(a, 2));

	ASSERT_EQ(2, subs_all(self->pub, e, &total));
	EXPECT_EQ(2, total);
	EXPECT_LT(0, e[0].id);
	EXPECT_LT(e[0].id, e[1].id);
	EXPECT_EQ(3, e[0].lag);
	EXPECT_EQ(5, e[1].lag);
	EXPECT_EQ(0, e[0].lost);
	EXPECT_EQ(0, e[1].lost);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(getpid(), e[1].pid);
	/* A publisher is none of them. */
	EXPECT_EQ(0, e[0].flags);
	EXPECT_EQ(0, e[1].flags);
	/* Each subscriber's lag is what its own STATS says. */
	ASSERT_EQ(2, subs_all(b, e, NULL));
	EXPECT_EQ(0, e[0].flags);
	EXPECT_EQ(KMSGQ_SUBSCRIBER_SELF, e[1].flags);
	ASSERT_EQ(0, subs_drain(b, 5));
	ASSERT_EQ(2, subs_all(a, e, NULL));
	EXPECT_EQ(KMSGQ_SUBSCRIBER_SELF, e[0].flags);
	EXPECT_EQ(0, e[1].flags);
	EXPECT_EQ(3, e[0].lag);
	EXPECT_EQ(0, e[1].lag);
	close(a);
	close(b);
}

TEST_F(subs, losses_to_drop_are_listed_per_subscriber)
{
	struct kmsgq_subscriber e[16];
	struct kmsgq_stats st = { 0 };
	unsigned int i;
	int fast, slow;

	ASSERT_EQ(0, subs_create(self, KMSGQ_OPEN_OVERFLOW_DROP));
	fast = subs_sub(self->name);
	slow = subs_sub(self->name);
	ASSERT_LE(0, fast);
	ASSERT_LE(0, slow);
	/* The fast one keeps up; the slow one is passed over by 3. */
	for (i = 0; i < SUBS_DEPTH + 3; i++) {
		ASSERT_EQ(0, send_tag(self->pub, i, 0));
		ASSERT_EQ((int)i, recv_tag(fast, NULL));
	}
	ASSERT_EQ(2, subs_all(self->pub, e, NULL));
	EXPECT_EQ(0, e[0].lost);
	EXPECT_EQ(0, e[0].lag);
	EXPECT_EQ(3, e[1].lost);
	EXPECT_EQ(SUBS_DEPTH, e[1].lag);
	ASSERT_EQ(0, kmsgq_stats(slow, &st));
	EXPECT_EQ(st.sub_lost, e[1].lost);
	EXPECT_EQ(st.sub_lag, e[1].lag);
	/* Reporting the losses to a receive does not forget them here. */
	ASSERT_EQ(3, recv_tag(slow, NULL));
	ASSERT_EQ(2, subs_all(self->pub, e, NULL));
	EXPECT_EQ(3, e[1].lost);
	EXPECT_EQ(SUBS_DEPTH - 1, e[1].lag);
	close(fast);
	close(slow);
}

TEST_F(subs, the_cursor_pages_through_more_subscribers_than_room)
{
	struct kmsgq_subscriber e[2], all[16];
	unsigned int total, seen = 0;
	uint64_t cursor = 0, last = 0;
	int s[5], i, n;

	ASSERT_EQ(0, subs_create(self, 0));
	for (i = 0; i < 5; i++) {
		s[i] = subs_sub(self->name);
		ASSERT_LE(0, s[i]);
	}
	/* Room for none: only the total. */
	EXPECT_EQ(0, kmsgq_subscribers(self->pub, &cursor, NULL, 0, &total));
	EXPECT_EQ(5, total);
	EXPECT_EQ(0, cursor);
	while ((n = kmsgq_subscribers(self->pub, &cursor, e, 2, &total)) > 0) {
		EXPECT_EQ(5, total);
		EXPECT_EQ(seen < 4 ? 2 : 1, n);
		for (i = 0; i < n; i++) {
			EXPECT_LT(last, e[i].id);
			last = e[i].id;
		}
		EXPECT_EQ(last, cursor);
		seen += n;
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(5, seen);
	EXPECT_EQ(last, cursor);
	/* One gone from the middle: the others keep their ids. */
	close(s[2]);
	ASSERT_EQ(4, subs_all(self->pub, all, &total));
	EXPECT_EQ(4, total);
	EXPECT_EQ(all[0].id + 3, all[2].id);
	EXPECT_EQ(last, all[3].id);
	for (i = 0; i < 5; i++)
		if (i != 2)
			close(s[i]);
	EXPECT_EQ(0, subs_total(self->pub));
}

TEST_F(subs, entries_follow_the_entry_size_the_caller_knows)
{
	struct {
		struct kmsgq_subscriber e;
		unsigned char more[24];
	} big[2];
	struct kmsgq_subscribers sl = {
		.size = sizeof(sl),
		.subs = (uintptr_t)big,
		.entry_size = sizeof(big[0]),
		.nr = 2,
	};
	unsigned char zero[sizeof(big[0].more)] = { 0 };
	int s;

	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, subs_publish(self->pub, 2));
	/* A newer caller's larger entries: what the kernel knows, zeroes. */
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(1, subs_ioctl(s, &sl));
	EXPECT_EQ(1, sl.nr);
	EXPECT_EQ(1, sl.total);
	EXPECT_EQ(2, big[0].e.lag);
	EXPECT_EQ(getpid(), big[0].e.pid);
	EXPECT_EQ(KMSGQ_SUBSCRIBER_SELF, big[0].e.flags);
	EXPECT_EQ(0, memcmp(big[0].more, zero, sizeof(zero)));
	/* Nothing past the entries filled is written. */
	EXPECT_EQ(0xa5, ((unsigned char *)&big[1])[0]);
	/* The first version's size exactly, and an older struct's size. */
	sl = (struct kmsgq_subscribers){
		.size = KMSGQ_SUBSCRIBERS_SIZE_VER0,
		.subs = (uintptr_t)big,
		.entry_size = KMSGQ_SUBSCRIBER_SIZE_VER0,
		.nr = 2,
	};
	EXPECT_EQ(1, subs_ioctl(self->pub, &sl));
	EXPECT_EQ(0, big[0].e.flags);
	/* Below the first version, or absurdly large: refused. */
	sl.entry_size = KMSGQ_SUBSCRIBER_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, subs_ioctl(s, &sl));
	sl.entry_size = 4097;
	EXPECT_EQ(-E2BIG, subs_ioctl(s, &sl));
	close(s);
}

/* --- who may ask --------------------------------------------------------- */

TEST_F(subs, every_access_mode_that_binds_may_list)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	struct kmsgq_subscriber e[16];
	unsigned int i;
	int fd, n, raw;

	ASSERT_EQ(0, subs_create(self, 0));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fd = kmsgq_open(self->name, modes[i] | O_NONBLOCK, 0, NULL);
		ASSERT_LE(0, fd);
		n = subs_all(fd, e, NULL);
		if (modes[i] == O_WRONLY) {
			EXPECT_EQ(0, n);
		} else {
			ASSERT_EQ(1, n);
			EXPECT_EQ(KMSGQ_SUBSCRIBER_SELF, e[0].flags);
		}
		close(fd);
	}
	/* Access mode 3 binds to nothing: there is no queue to ask about. */
	raw = open(KMSGQ_DEVICE_PATH, 3);
	ASSERT_LE(0, raw);
	EXPECT_EQ(-EACCES, subs_raw_bind(raw, self->name));
	EXPECT_EQ(-ENOTCONN, subs_all(raw, e, NULL));
	close(raw);
}

struct subs_as_nobody {
	const char *name;
	int oflag;
	int root_subs;		/* subscribers root holds */
};

/*
 * As nobody: open the queue with the given access and list; 0 if the
 * list is root's subscribers and, for a reader, its own, marked; else
 * -errno or -EPROTO.  A reader, itself a subscriber, sees its peers'
 * pids (root's is the parent); a writer that does not own the queue
 * sees none (0).
 */
static int subs_list_as_nobody(const void *arg)
{
	const struct subs_as_nobody *p = arg;
	struct kmsgq_subscriber e[16];
	bool reader = (p->oflag & O_ACCMODE) != O_WRONLY;
	int fd, n, i;

	if (become(NOBODY, NOBODY))
		return -EPERM;
	fd = kmsgq_open(p->name, p->oflag, 0, NULL);
	if (fd < 0)
		return fd;
	n = subs_all(fd, e, NULL);
	close(fd);
	if (n < 0)
		return n;
	if (n != p->root_subs + reader)
		return -EPROTO;
	for (i = 0; i < p->root_subs; i++)
		if (e[i].pid != (reader ? getppid() : 0) || e[i].flags)
			return -EPROTO;
	if (reader && (e[n - 1].pid != getpid() ||
		       e[n - 1].flags != KMSGQ_SUBSCRIBER_SELF))
		return -EPROTO;
	return 0;
}

TEST_F(subs, an_unprivileged_user_lists_with_read_or_write_access)
{
	struct subs_as_nobody rd = { self->name, O_RDONLY, 1 };
	struct subs_as_nobody wr = { self->name, O_WRONLY, 1 };
	int s;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	EXPECT_EQ(0, child_int(subs_list_as_nobody, &rd));
	EXPECT_EQ(-EACCES, child_int(subs_list_as_nobody, &wr));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0602));
	EXPECT_EQ(-EACCES, child_int(subs_list_as_nobody, &rd));
	EXPECT_EQ(0, child_int(subs_list_as_nobody, &wr));
	/* Its subscriber left with its process. */
	EXPECT_EQ(1, subs_total(self->pub));
	close(s);
}

TEST_F(subs, a_writer_lists_a_queue_unlinked_while_it_is_bound)
{
	struct kmsgq_subscriber e[4];
	int s, go[2], done[2], fd, n;
	char c = 0;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0602));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = kids_fork(&self->kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Nobody, neither owner nor reader: no pids, no privilege. */
		if (become(NOBODY, NOBODY))
			_exit(1);
		fd = kmsgq_open(self->name, O_WRONLY, 0, NULL);
		if (fd < 0 || write(done[1], &c, 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		n = subs_all(fd, e, NULL);
		_exit(n == 1 && e[0].pid == 0 ? 0 : 3);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	/* Unnamed now; the child's file keeps the queue. */
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	ASSERT_EQ(1, write(go[1], &c, 1));
	EXPECT_EQ(0, kids_reap(&self->kids, pid));
	EXPECT_EQ(1, subs_total(self->pub));
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	close(s);
}

/* --- pid namespaces and dead subscribers --------------------------------- */

/*
 * In a new PID namespace (as its init, pid 1): subscribe, list, and write
 * to @out what this namespace sees: the outer subscriber's pid (not
 * visible: 0) and its own (1); then stay subscribed until @hold ends.
 */
static void subs_in_pid_ns(const char *name, int out, int hold)
{
	struct kmsgq_subscriber e[16];
	int fd, n, seen[2] = { -1, -1 };
	char c;

	fd = subs_sub(name);
	n = fd < 0 ? fd : subs_all(fd, e, NULL);
	if (n == 2 && e[1].flags == KMSGQ_SUBSCRIBER_SELF) {
		seen[0] = e[0].pid;
		seen[1] = e[1].pid;
	}
	child_write(out, seen, sizeof(seen));
	while (read(hold, &c, 1) > 0)
		;
	_exit(0);
}

TEST_F(subs, pids_are_as_the_callers_pid_namespace_sees_them)
{
	struct kmsgq_subscriber e[16];
	int seen[2] = { -2, -2 };
	int out[2], hold[2], pids[2];
	pid_t outer, inner = 0;
	int s;

	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe(out));
	ASSERT_EQ(0, pipe(hold));
	ASSERT_EQ(0, pipe(pids));
	outer = kids_fork(&self->kids);
	ASSERT_LE(0, outer);
	if (!outer) {
		close(out[0]);
		close(hold[1]);
		close(pids[0]);
		if (unshare(CLONE_NEWPID)) {
			child_write(out[1], seen, sizeof(seen));
			_exit(1);
		}
		inner = fork();
		if (!inner)
			subs_in_pid_ns(self->name, out[1], hold[0]);
		/* Its pid as the outer namespace sees it. */
		child_write(pids[1], &inner, sizeof(inner));
		waitpid(inner, NULL, 0);
		_exit(0);
	}
	close(out[1]);
	close(hold[0]);
	close(pids[1]);
	ASSERT_TRUE(read_all(out[0], seen, sizeof(seen)));
	if (seen[0] == -2)
		SKIP(return, "no PID namespaces");
	ASSERT_TRUE(read_all(pids[0], &inner, sizeof(inner)));
	EXPECT_EQ(0, seen[0]);
	EXPECT_EQ(1, seen[1]);
	/* From outside, the inner subscriber has its outer pid. */
	ASSERT_EQ(2, subs_all(s, e, NULL));
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(inner, e[1].pid);
	/* Its init gone, the namespace's subscriber is gone. */
	close(hold[1]);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, outer)));
	EXPECT_EQ(1, subs_total(s));
	close(out[0]);
	close(pids[0]);
	close(s);
}

TEST_F(subs, a_killed_subscriber_leaves_the_list)
{
	struct kmsgq_subscriber e[16];
	pid_t kid;
	int s;

	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid) {
		/* Asleep in a receive when it is killed. */
		int fd = kmsgq_subscribe(self->name, O_RDONLY, 0);

		if (fd < 0)
			_exit(1);
		recv_tag(fd, NULL);
		_exit(0);
	}
	ASSERT_TRUE(subs_wait_total(s, 2));
	ASSERT_EQ(0, wait_sleepers(s, false, 1));
	ASSERT_EQ(2, subs_all(self->pub, e, NULL));
	EXPECT_EQ(kid, e[1].pid);
	kill(kid, SIGKILL);
	kids_reap(&self->kids, kid);
	ASSERT_EQ(1, subs_all(self->pub, e, NULL));
	EXPECT_EQ(getpid(), e[0].pid);
	close(s);
	EXPECT_EQ(0, subs_total(self->pub));
}

TEST_F(subs, a_subscriber_whose_binder_exited_shows_no_pid)
{
	struct kmsgq_subscriber e[4];
	int pidfd, s, fd, pipefd[2];
	pid_t kid;

	ASSERT_EQ(0, subs_create(self, 0));
	ASSERT_EQ(0, pipe(pipefd));
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid) {
		fd = kmsgq_subscribe(self->name, O_RDONLY, 0);
		child_write(pipefd[1], &fd, sizeof(fd));
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_TRUE(read_all(pipefd[0], &fd, sizeof(fd)));
	close(pipefd[0]);
	ASSERT_LE(0, fd);
	/* The subscriber's file outlives the process that bound it. */
	pidfd = syscall(SYS_pidfd_open, kid, 0);
	ASSERT_LE(0, pidfd);
	s = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	ASSERT_LE(0, s);
	close(pidfd);
	ASSERT_EQ(1, subs_all(self->pub, e, NULL));
	EXPECT_EQ(kid, e[0].pid);
	kill(kid, SIGKILL);
	kids_reap(&self->kids, kid);
	/* Its number may be another process's soon: not reported. */
	ASSERT_EQ(1, subs_all(self->pub, e, NULL));
	EXPECT_EQ(0, e[0].pid);
	close(s);
}

/* --- bad inputs ---------------------------------------------------------- */

TEST_F(subs, bad_inputs_fail_with_clear_errnos)
{
	struct kmsgq_subscriber e[4];
	struct kmsgq_subscribers sl;
	struct kmsgq_attr attr = { .max_msgs = 4 };
	char other[KMSGQ_NAME_MAX];
	int s, copy, raw;

	ASSERT_EQ(0, subs_create(self, 0));
	s = subs_sub(self->name);
	ASSERT_LE(0, s);
#define SL_OK	((struct kmsgq_subscribers){ .size = sizeof(sl), \
		  .subs = (uintptr_t)e, .entry_size = sizeof(e[0]), .nr = 4 })
	sl = SL_OK;
	EXPECT_EQ(1, subs_ioctl(s, &sl));
	sl = SL_OK;
	sl.flags = 1;
	EXPECT_EQ(-EINVAL, subs_ioctl(s, &sl));
	sl = SL_OK;
	sl.reserved = 1;
	EXPECT_EQ(-EINVAL, subs_ioctl(s, &sl));
	/* Output only, ignored on input: one struct serves a paging loop. */
	sl = SL_OK;
	sl.total = 7;
	EXPECT_EQ(1, subs_ioctl(s, &sl));
	EXPECT_EQ(1, sl.total);
	sl = SL_OK;
	sl.nr = KMSGQ_BATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, subs_ioctl(s, &sl));
	sl = SL_OK;
	sl.size = KMSGQ_SUBSCRIBERS_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, subs_ioctl(s, &sl));
	/* The room may be as large as allowed; only what is filled is written. */
	sl = SL_OK;
	sl.nr = KMSGQ_BATCH_MAX;
	EXPECT_EQ(1, subs_ioctl(s, &sl));
	/* Bad addresses. */
	sl = SL_OK;
	sl.subs = (uintptr_t)fault_page();
	EXPECT_EQ(-EFAULT, subs_ioctl(s, &sl));
	EXPECT_EQ(-EFAULT, subs_ioctl(s, fault_page()));
	/* Room for none: no address is touched. */
	sl = SL_OK;
	sl.subs = (uintptr_t)fault_page();
	sl.nr = 0;
	EXPECT_EQ(0, subs_ioctl(s, &sl));
	EXPECT_EQ(1, sl.total);
#undef SL_OK

	/* Not a fan-out queue; not bound at all. */
	copy = create_own_queue(other, "fansubs-copy", O_NONBLOCK, &attr);
	ASSERT_LE(0, copy);
	EXPECT_EQ(-EOPNOTSUPP, subs_all(copy, e, NULL));
	close(copy);
	kmsgq_unlink(other);
	attr.qflags = KMSGQ_OPEN_RING;
	copy = create_own_queue(other, "fansubs-ring", O_NONBLOCK, &attr);
	ASSERT_LE(0, copy);
	EXPECT_EQ(-EOPNOTSUPP, subs_all(copy, e, NULL));
	close(copy);
	kmsgq_unlink(other);
	raw = open(KMSGQ_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, raw);
	EXPECT_EQ(-ENOTCONN, subs_all(raw, e, NULL));
	close(raw);
	close(s);
}

TEST_HARNESS_MAIN
