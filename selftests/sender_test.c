// SPDX-License-Identifier: GPL-2.0
/*
 * Description: who sent a message (KMSGQ_OPEN_SENDER, KMSGQ_XFER_SENDER):
 * the pid, uid and gid the kernel took when a helper process sent, through
 * the raw ioctl and kmsgq_receive_from(), in batches of 48-byte entries
 * and in peeks; queues that record nothing; SENDER refused with SEND; a
 * sender that changes its uid, lies in its payload or has exited; a
 * receiver in another PID or user namespace; each access mode; and on a
 * ring, copy-mode sends, in-place commits by the one process that mapped
 * it writable, and by a second one.
 *
 * Helper processes never use ASSERT or EXPECT: a live sender says on a
 * pipe that it has sent and then pauses until teardown kills it; others
 * exit with a status the test checks, or write what they received to a
 * pipe.
 */
#include "kmsgq_test.h"

#include <sched.h>

#define SENDER_DEPTH	16
#define SENDER_MSGSIZE	64
/* Most messages one sender_recv() takes. */
#define SENDER_BATCH	8
/* Room for each message sender_recv() takes: a struct kmsgq_msg_sender. */
#define SENDER_DATA	64
/* What the kernel must overwrite in every entry it fills. */
#define SENDER_JUNK	0x5a5a5a5aU
/* uid and gid 1000 in the user namespace of sender_userns_recv(). */
#define SENDER_NS_ID	1000
/* Exit status of a helper that could not make its namespace. */
#define SENDER_NS_SKIP	77

/* An entry is a struct kmsgq_msg, four 32-bit words and 16 reserved bytes. */
_Static_assert(sizeof(struct kmsgq_msg_sender) == 48, "entry size");
_Static_assert(offsetof(struct kmsgq_msg_sender, pid) == 16, "pid offset");

FIXTURE(sender) {
	char name[KMSGQ_NAME_MAX];
	int q;				/* records senders; O_RDWR, O_NONBLOCK */
	char name2[KMSGQ_NAME_MAX];	/* a test's second queue, or "" */
	int q2;
	int sent[2];			/* a byte from each helper that sent */
	struct kids kids;
};

FIXTURE_SETUP(sender)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_SENDER,
		.max_msgs = SENDER_DEPTH,
		.max_msgsize = SENDER_MSGSIZE,
	};
	struct kmsgq_info info;

	self->q = self->q2 = -1;
	self->name2[0] = '\0';
	self->sent[0] = self->sent[1] = -1;
	self->kids.nr = 0;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_SENDER))
		SKIP(return, "the module records no senders (no KMSGQ_FEAT_SENDER)");
	self->q = create_own_queue(self->name, "sender", O_NONBLOCK, &attr);
	ASSERT_LE(0, self->q) TH_LOG("%s", strerror(-self->q));
	ASSERT_EQ(0, pipe2(self->sent, O_CLOEXEC));
}

FIXTURE_TEARDOWN(sender)
{
	kids_kill(&self->kids);
	if (self->sent[0] >= 0) {
		close(self->sent[0]);
		close(self->sent[1]);
	}
	if (self->q2 >= 0)
		close(self->q2);
	if (self->name2[0])
		kmsgq_unlink(self->name2);
	if (self->q >= 0)
		close(self->q);
	kmsgq_unlink(self->name);
}

/* What one sender_recv() took. */
struct sender_got {
	int ret;	/* messages taken, or -errno */
	struct kmsgq_msg_sender ms[SENDER_BATCH];
	unsigned char data[SENDER_BATCH][SENDER_DATA];
};

/*
 * Point every entry of @g at its data, with room for SENDER_DATA bytes;
 * the fields the kernel fills start out as junk.
 */
static void sender_got_init(struct sender_got *g)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < SENDER_BATCH; i++) {
		g->ms[i].msg.buf = (uintptr_t)g->data[i];
		g->ms[i].msg.len = SENDER_DATA;
		g->ms[i].msg.prio = SENDER_JUNK;
		g->ms[i].pid = (__s32)SENDER_JUNK;
		g->ms[i].uid = g->ms[i].gid = SENDER_JUNK;
		g->ms[i].sender_flags = SENDER_JUNK;
	}
}

/*
 * KMSGQ_IOC_RECV of up to @nr messages with KMSGQ_XFER_SENDER and @flags
 * (a peek at index 0 with KMSGQ_XFER_PEEK), raw, into @g.
 */
static void sender_recv(int fd, unsigned int nr, __u32 flags,
			struct sender_got *g)
{
	sender_got_init(g);
	g->ret = xfer_ioctl(fd, KMSGQ_IOC_RECV, (uintptr_t)g->ms, nr,
			    flags | KMSGQ_XFER_SENDER, 0, NULL);
}

/* The tag that entry @i of @g carries. */
static unsigned int sender_tag(const struct sender_got *g, unsigned int i)
{
	unsigned int tag;

	memcpy(&tag, g->data[i], sizeof(tag));
	return tag;
}

/*
 * Entry @i of @g is a tag message (priority @prio) @tag, sent by @pid with
 * @uid and @gid, as @flags says.
 */
static void sender_expect(struct __test_metadata *_metadata,
			  const struct sender_got *g, unsigned int i,
			  unsigned int tag, unsigned int prio, pid_t pid,
			  uid_t uid, gid_t gid, __u32 flags)
{
	const struct kmsgq_msg_sender *m = &g->ms[i];

	EXPECT_EQ(sizeof(tag), m->msg.len) TH_LOG("entry %u", i);
	EXPECT_EQ(prio, m->msg.prio) TH_LOG("entry %u", i);
	EXPECT_EQ(tag, sender_tag(g, i)) TH_LOG("entry %u", i);
	EXPECT_EQ(pid, m->pid) TH_LOG("entry %u", i);
	EXPECT_EQ(uid, m->uid) TH_LOG("entry %u", i);
	EXPECT_EQ(gid, m->gid) TH_LOG("entry %u", i);
	EXPECT_EQ(flags, m->sender_flags) TH_LOG("entry %u", i);
}

/* Entry @i of @g is tag @tag of a sender the kernel does not know. */
static void sender_expect_unknown(struct __test_metadata *_metadata,
				  const struct sender_got *g, unsigned int i,
				  unsigned int tag)
{
	sender_expect(_metadata, g, i, tag, 0, 0, NOBODY, NOBODY, 0);
}

/*
 * Fork a helper that sends tags @first .. @first + @n - 1 to @fd at
 * priority @prio, in one batch if @batch, else one call each (write() for
 * priority 0), then writes a byte to @sent and pauses until it is killed:
 * its pid, or -1.  A helper that fails exits with status 1 before the
 * byte.
 */
static pid_t sender_kid(struct kids *k, int sent, int fd, unsigned int first,
			unsigned int n, unsigned int prio, bool batch)
{
	unsigned int tag[SENDER_BATCH];
	struct kmsgq_msg m[SENDER_BATCH];
	unsigned int i;
	pid_t pid;

	if (n > SENDER_BATCH)
		return -1;
	pid = kids_fork(k);
	if (pid)
		return pid;
	for (i = 0; i < n; i++) {
		tag[i] = first + i;
		m[i] = (struct kmsgq_msg){
			.buf = (uintptr_t)&tag[i],
			.len = sizeof(tag[i]),
			.prio = prio,
		};
		if (batch)
			continue;
		if (prio ? send_tag(fd, tag[i], prio) :
			   write(fd, &tag[i], sizeof(tag[i])) != sizeof(tag[i]))
			_exit(1);
	}
	if (batch && kmsgq_send_batch(fd, m, n, 0, CLOCK_MONOTONIC,
				      NULL) != (int)n)
		_exit(1);
	child_write(sent, "s", 1);
	for (;;)
		pause();
}

/* Start a sender_kid() and wait until it has sent: its pid, or -1. */
static pid_t sender_kid_sent(FIXTURE_DATA(sender) *self, int fd,
			     unsigned int first, unsigned int n,
			     unsigned int prio, bool batch)
{
	pid_t pid = sender_kid(&self->kids, self->sent[1], fd, first, n, prio,
			       batch);
	char c;

	if (pid < 0 || !read_all(self->sent[0], &c, 1))
		return -1;
	return pid;
}

/* Create this test's second queue, with @qflags, into self->q2. */
static int sender_second_queue(FIXTURE_DATA(sender) *self, const char *tag,
			       unsigned int qflags)
{
	struct kmsgq_attr attr = {
		.qflags = qflags,
		.max_msgs = 8,
		.max_msgsize = SENDER_MSGSIZE,
	};

	self->q2 = create_own_queue(self->name2, tag, O_NONBLOCK, &attr);
	return self->q2 < 0 ? self->q2 : 0;
}

TEST_F(sender, a_child_is_reported_with_its_pid_uid_and_gid)
{
	struct kmsgq_sender from;
	struct sender_got g;
	unsigned int tag = 0, prio = 77;
	pid_t kid;

	kid = sender_kid_sent(self, self->q, 1, 2, 5, false);
	ASSERT_LT(0, kid);

	sender_recv(self->q, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 1, 5, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	memset(&from, 0x5a, sizeof(from));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(self->q, &tag, sizeof(tag), &prio, &from,
				     0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(2, tag);
	EXPECT_EQ(5, prio);
	EXPECT_EQ(kid, from.pid);
	EXPECT_EQ(getuid(), from.uid);
	EXPECT_EQ(getgid(), from.gid);
	EXPECT_EQ(KMSGQ_SENDER_KERNEL, from.flags);

	/* Our own message names us. */
	ASSERT_EQ(0, send_tag(self->q, 3, 0));
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(self->q, &tag, sizeof(tag), NULL, &from,
				     KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC,
				     NULL));
	EXPECT_EQ(3, tag);
	EXPECT_EQ(getpid(), from.pid);
	EXPECT_EQ(KMSGQ_SENDER_KERNEL, from.flags);
}

TEST_F(sender, a_batch_names_the_sender_of_each_entry)
{
	struct sender_got g;
	pid_t a, b;
	unsigned int i;

	/* One batch send from a, four write()s from b, in that order. */
	a = sender_kid_sent(self, self->q, 0, 4, 0, true);
	ASSERT_LT(0, a);
	b = sender_kid_sent(self, self->q, 4, 4, 0, false);
	ASSERT_LT(0, b);
	ASSERT_NE(a, b);

	sender_recv(self->q, SENDER_BATCH, 0, &g);
	ASSERT_EQ(SENDER_BATCH, g.ret) TH_LOG("%s", strerror(-g.ret));
	/* The entries are 48 bytes apart: the second one's fields first. */
	EXPECT_EQ((uintptr_t)g.data[1], g.ms[1].msg.buf);
	sender_expect(_metadata, &g, 1, 1, 0, a, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
	for (i = 0; i < SENDER_BATCH; i++)
		sender_expect(_metadata, &g, i, i, 0, i < 4 ? a : b, getuid(),
			      getgid(), KMSGQ_SENDER_KERNEL);
	EXPECT_EQ(0, queued(self->q));
}

TEST_F(sender, a_batch_fills_only_the_entries_it_moves)
{
	struct sender_got g;
	pid_t kid;

	kid = sender_kid_sent(self, self->q, 10, 3, 0, true);
	ASSERT_LT(0, kid);
	sender_recv(self->q, SENDER_BATCH, 0, &g);
	ASSERT_EQ(3, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 10, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
	sender_expect(_metadata, &g, 2, 12, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
	/* The fourth entry's length is the caller's still. */
	EXPECT_EQ(SENDER_DATA, g.ms[3].msg.len);
}

TEST_F(sender, a_peek_names_the_sender_and_leaves_the_message)
{
	struct kmsgq_xfer x = {
		.size = sizeof(x),
		.flags = KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER,
		.nr = 1,
		.index = 1,
	};
	struct sender_got g;
	pid_t kid;

	kid = sender_kid_sent(self, self->q, 20, 1, 0, false);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, send_tag(self->q, 21, 0));

	sender_recv(self->q, 1, KMSGQ_XFER_PEEK, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 20, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	/* Index 1, through a whole struct kmsgq_xfer. */
	sender_got_init(&g);
	x.msgs = (uintptr_t)g.ms;
	ASSERT_EQ(1, xioctl(self->q, KMSGQ_IOC_RECV, &x));
	sender_expect(_metadata, &g, 0, 21, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	EXPECT_EQ(2, queued(self->q));
	sender_recv(self->q, 2, 0, &g);
	ASSERT_EQ(2, g.ret);
	EXPECT_EQ(kid, g.ms[0].pid);
	EXPECT_EQ(getpid(), g.ms[1].pid);
}

TEST_F(sender, a_queue_that_records_nothing_reports_every_sender_unknown)
{
	struct kmsgq_sender from;
	struct kmsgq_attr attr;
	struct sender_got g;
	unsigned int tag;
	pid_t kid;

	ASSERT_EQ(0, sender_second_queue(self, "sender-none", 0));
	ASSERT_EQ(0, kmsgq_getattr(self->q2, &attr));
	EXPECT_EQ(0, attr.qflags & KMSGQ_OPEN_SENDER);
	ASSERT_EQ(0, kmsgq_getattr(self->q, &attr));
	EXPECT_EQ(KMSGQ_OPEN_SENDER, attr.qflags);

	kid = sender_kid_sent(self, self->q2, 30, 2, 0, false);
	ASSERT_LT(0, kid);
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect_unknown(_metadata, &g, 0, 30);
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(self->q2, &tag, sizeof(tag), NULL, &from,
				     0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(31, tag);
	EXPECT_EQ(0, from.pid);
	EXPECT_EQ(NOBODY, from.uid);
	EXPECT_EQ(NOBODY, from.gid);
	EXPECT_EQ(0, from.flags);
}

TEST_F(sender, sender_is_refused_with_send_and_by_the_calls_without_room)
{
	struct kmsgq_msg_sender ms = { 0 };
	struct kmsgq_sender from;
	struct kmsgq_msg m;
	struct timespec in10ms = { .tv_nsec = 10 * NSEC_PER_MSEC };
	unsigned int tag = 40;
	int rd;

	ms.msg.buf = (uintptr_t)&tag;
	ms.msg.len = sizeof(tag);
	EXPECT_EQ(-EINVAL, xfer_ioctl(self->q, KMSGQ_IOC_SEND, (uintptr_t)&ms,
				      1, KMSGQ_XFER_SENDER, 0, NULL));
	m = ms.msg;
	EXPECT_EQ(-EINVAL, kmsgq_send_batch(self->q, &m, 1, KMSGQ_XFER_SENDER,
					    CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(0, queued(self->q));

	/* The library's calls of struct kmsgq_msg entries refuse it. */
	ASSERT_EQ(0, send_tag(self->q, 41, 0));
	EXPECT_EQ(-EINVAL, kmsgq_receive_batch(self->q, &m, 1,
					       KMSGQ_XFER_SENDER,
					       CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, kmsgq_peek(self->q, 0, &tag, sizeof(tag), NULL,
				      KMSGQ_XFER_SENDER, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ(-EINVAL, kmsgq_receive_from(self->q, &tag, sizeof(tag),
					      NULL, &from, KMSGQ_XFER_PEEK,
					      CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, kmsgq_receive_from(self->q, &tag, sizeof(tag),
					      NULL, NULL, 0,
					      CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(1, queued(self->q));

	/* kmsgq_receive_from()'s own flags and errors. */
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(self->q, &tag, sizeof(tag), NULL, &from,
				     0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EAGAIN, kmsgq_receive_from(self->q, &tag, sizeof(tag),
					      NULL, &from, KMSGQ_XFER_NONBLOCK,
					      CLOCK_MONOTONIC, NULL));
	rd = kmsgq_open(self->name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, rd);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_receive_from(rd, &tag, sizeof(tag), NULL,
						 &from, KMSGQ_XFER_RELATIVE,
						 CLOCK_MONOTONIC, &in10ms));
	close(rd);
	EXPECT_EQ(-EINVAL, kmsgq_receive_from(self->q, &tag, sizeof(tag),
					      NULL, &from, KMSGQ_XFER_RELATIVE,
					      CLOCK_MONOTONIC, NULL));
}

/*
 * A helper that sends tag 50 as it is, then as nobody tag 51 and a
 * message that claims to be from pid 1 and root, then exits: 0, or the
 * step that failed.
 */
static int sender_changes_uid(int fd)
{
	struct kmsgq_msg_sender lie = {
		.pid = 1,
		.uid = 0,
		.gid = 0,
		.sender_flags = KMSGQ_SENDER_KERNEL,
	};

	if (send_tag(fd, 50, 0))
		return 1;
	if (become(NOBODY, NOBODY))
		return 2;
	if (send_tag(fd, 51, 0))
		return 3;
	if (kmsgq_send(fd, &lie, sizeof(lie), 0))
		return 4;
	return 0;
}

TEST_F(sender, the_ids_are_those_of_the_sender_when_it_sent)
{
	struct sender_got g;
	struct kmsgq_msg_sender lie;
	pid_t kid;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid)
		_exit(sender_changes_uid(self->q));
	ASSERT_TRUE(exited_ok(kids_reap(&self->kids, kid)));

	sender_recv(self->q, 3, 0, &g);
	ASSERT_EQ(3, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 50, 0, kid, 0, 0,
		      KMSGQ_SENDER_KERNEL);
	sender_expect(_metadata, &g, 1, 51, 0, kid, NOBODY, NOBODY,
		      KMSGQ_SENDER_KERNEL);
	/* The payload says what it likes; the kernel says who sent it. */
	EXPECT_EQ(sizeof(lie), g.ms[2].msg.len);
	memcpy(&lie, g.data[2], sizeof(lie));
	EXPECT_EQ(1, lie.pid);
	EXPECT_EQ(kid, g.ms[2].pid);
	EXPECT_EQ(NOBODY, g.ms[2].uid);
	EXPECT_EQ(NOBODY, g.ms[2].gid);
	EXPECT_EQ(KMSGQ_SENDER_KERNEL, g.ms[2].sender_flags);
}

TEST_F(sender, a_sender_that_has_exited_is_still_named)
{
	struct sender_got g;
	pid_t kid;

	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid)
		_exit(send_tag(self->q, 60, 0) ? 1 : 0);
	ASSERT_TRUE(exited_ok(kids_reap(&self->kids, kid)));
	ASSERT_EQ(-ESRCH, kill(kid, 0) ? -errno : 0);

	sender_recv(self->q, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 60, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
}

/*
 * Run @fn(@fd, a pipe's write end) in a helper and reap it; what it wrote
 * is then on *@rd, for the caller to read and close.  Returns 0,
 * SENDER_NS_SKIP if the helper found no such namespace, or -1.
 */
static int sender_ns_kid(struct kids *k, int (*fn)(int fd, int out), int fd,
			 int *rd)
{
	int p[2], status;
	pid_t kid;

	*rd = -1;
	if (pipe(p))
		return -1;
	kid = kids_fork(k);
	if (!kid)
		_exit(fn(fd, p[1]));
	close(p[1]);
	*rd = p[0];
	if (kid < 0)
		return -1;
	status = kids_reap(k, kid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == SENDER_NS_SKIP)
		return SENDER_NS_SKIP;
	return exited_ok(status) ? 0 : -1;
}

/*
 * In a new PID namespace, its first process: receive what waits on @fd
 * onto @out, then send tag 71 and exit.  The process that forked it
 * writes its pid, as the test's namespace numbers it, after.
 */
static int sender_pidns_kid(int fd, int out)
{
	struct sender_got g;
	pid_t inner, self_pid;
	int status;

	if (unshare(CLONE_NEWPID))
		return errno == EPERM || errno == EINVAL ? SENDER_NS_SKIP : 1;
	inner = fork();
	if (inner < 0)
		return 2;
	if (!inner) {
		sender_recv(fd, 1, 0, &g);
		self_pid = getpid();
		child_write(out, &g, sizeof(g));
		child_write(out, &self_pid, sizeof(self_pid));
		_exit(send_tag(fd, 71, 0) ? 1 : 0);
	}
	if (waitpid(inner, &status, 0) != inner || !exited_ok(status))
		return 3;
	child_write(out, &inner, sizeof(inner));
	return 0;
}

TEST_F(sender, pid_namespaces_see_the_sender_as_they_number_it)
{
	pid_t inner, inner_self;
	struct sender_got g;
	int rd, ret;

	if (geteuid())
		SKIP(return, "needs root for a PID namespace");
	ASSERT_EQ(0, send_tag(self->q, 70, 0));
	ret = sender_ns_kid(&self->kids, sender_pidns_kid, self->q, &rd);
	if (ret == SENDER_NS_SKIP) {
		close(rd);
		SKIP(return, "no PID namespaces here");
	}
	ASSERT_EQ(0, ret);

	/* Inside: we are not visible, so pid 0; the ids are ours. */
	ASSERT_TRUE(read_all(rd, &g, sizeof(g)));
	ASSERT_TRUE(read_all(rd, &inner_self, sizeof(inner_self)));
	ASSERT_TRUE(read_all(rd, &inner, sizeof(inner)));
	close(rd);
	EXPECT_EQ(1, inner_self);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 70, 0, 0, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	/* Outside: its pid as our namespace numbers it, not 1. */
	ASSERT_LT(1, inner);
	sender_recv(self->q, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 71, 0, inner, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
}

/*
 * In a new user namespace where SENDER_NS_ID is our uid and gid outside:
 * receive the two messages waiting on @fd onto @out.
 */
static int sender_userns_recv(int fd, int out)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct sender_got g;
	char map[64];

	/* Inside, before the maps are written, our ids are unmapped. */
	if (unshare(CLONE_NEWUSER))
		return errno == EPERM || errno == EINVAL ? SENDER_NS_SKIP : 1;
	snprintf(map, sizeof(map), "%u %u 1", SENDER_NS_ID, uid);
	if (write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny"))
		return 2;
	snprintf(map, sizeof(map), "%u %u 1", SENDER_NS_ID, gid);
	if (write_file("/proc/self/gid_map", map))
		return 3;
	sender_recv(fd, 2, 0, &g);
	child_write(out, &g, sizeof(g));
	return 0;
}

TEST_F(sender, a_user_namespace_sees_the_ids_as_it_maps_them)
{
	struct sender_got g;
	pid_t nobody;
	int rd, ret;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	/* Ours, mapped inside; nobody's, not mapped there. */
	ASSERT_EQ(0, send_tag(self->q, 80, 0));
	nobody = kids_fork(&self->kids);
	ASSERT_LE(0, nobody);
	if (!nobody)
		_exit(become(NOBODY, NOBODY) || send_tag(self->q, 81, 0));
	ASSERT_TRUE(exited_ok(kids_reap(&self->kids, nobody)));

	ret = sender_ns_kid(&self->kids, sender_userns_recv, self->q, &rd);
	if (ret == SENDER_NS_SKIP) {
		close(rd);
		SKIP(return, "no user namespaces here");
	}
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(read_all(rd, &g, sizeof(g)));
	close(rd);

	ASSERT_EQ(2, g.ret) TH_LOG("%s", strerror(-g.ret));
	/* The same PID namespace: pids as they are. */
	sender_expect(_metadata, &g, 0, 80, 0, getpid(), SENDER_NS_ID,
		      SENDER_NS_ID, KMSGQ_SENDER_KERNEL);
	sender_expect(_metadata, &g, 1, 81, 0, nobody, NOBODY, NOBODY,
		      KMSGQ_SENDER_KERNEL);
}

TEST_F(sender, each_access_mode_receives_with_senders_as_it_receives)
{
	struct kmsgq_sender from;
	struct sender_got g;
	unsigned int tag;
	int wr, rd;

	ASSERT_EQ(0, send_tag(self->q, 90, 0));
	ASSERT_EQ(0, send_tag(self->q, 91, 0));
	wr = kmsgq_open(self->name, O_WRONLY | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, wr);
	rd = kmsgq_open(self->name, O_RDONLY | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, rd);

	sender_recv(wr, 1, 0, &g);
	EXPECT_EQ(-EBADF, g.ret);
	EXPECT_EQ(-EBADF, kmsgq_receive_from(wr, &tag, sizeof(tag), NULL,
					     &from, 0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(2, queued(self->q));

	sender_recv(rd, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 90, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
	EXPECT_EQ((ssize_t)sizeof(tag),
		  kmsgq_receive_from(rd, &tag, sizeof(tag), NULL, &from, 0,
				     CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(91, tag);
	EXPECT_EQ(getpid(), from.pid);
	close(wr);
	close(rd);
}

/*
 * A helper: open the ring queue @name O_RDWR, map it writable and commit
 * tag @tag in place, then exit: 0, or the step that failed.
 */
static int sender_commit_in_place(const char *name, unsigned int tag)
{
	struct kmsgq_ring r;
	__u32 pos;
	int fd;

	fd = kmsgq_open(name, O_RDWR, 0, NULL);
	if (fd < 0)
		return 1;
	if (kmsgq_ring_map(fd, &r))
		return 2;
	if (kmsgq_ring_reserve(&r, 1, &pos) != 1)
		return 3;
	memcpy(kmsgq_ring_slot(&r, pos), &tag, sizeof(tag));
	kmsgq_ring_commit(&r, pos, sizeof(tag));
	return kmsgq_ring_commit_done(&r) ? 4 : 0;
}

/* Fork a helper that commits tag @tag in place, and reap it: its pid. */
static pid_t sender_mapper(FIXTURE_DATA(sender) *self, unsigned int tag)
{
	pid_t kid = kids_fork(&self->kids);

	if (!kid)
		_exit(sender_commit_in_place(self->name2, tag));
	if (kid < 0 || !exited_ok(kids_reap(&self->kids, kid)))
		return -1;
	return kid;
}

TEST_F(sender, a_copy_mode_send_to_a_ring_names_its_sender)
{
	struct sender_got g;
	pid_t kid;

	ASSERT_EQ(0, sender_second_queue(self, "sender-ring",
					 KMSGQ_OPEN_RING | KMSGQ_OPEN_SENDER));
	kid = sender_kid_sent(self, self->q2, 100, 2, 0, false);
	ASSERT_LT(0, kid);
	sender_recv(self->q2, 2, 0, &g);
	ASSERT_EQ(2, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 100, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
	sender_expect(_metadata, &g, 1, 101, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	/* A peek on a ring copies the sender too. */
	ASSERT_EQ(0, send_tag(self->q2, 102, 0));
	sender_recv(self->q2, 1, KMSGQ_XFER_PEEK, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 102, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);
}

TEST_F(sender, an_in_place_commit_names_the_one_writable_mapper)
{
	struct kmsgq_ring ro;
	struct sender_got g;
	pid_t kid;
	int rd;

	ASSERT_EQ(0, sender_second_queue(self, "sender-ring",
					 KMSGQ_OPEN_RING | KMSGQ_OPEN_SENDER));
	/* A read-only mapping is no writer. */
	rd = kmsgq_open(self->name2, O_RDONLY, 0, NULL);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, kmsgq_ring_map(rd, &ro));

	kid = sender_mapper(self, 110);
	ASSERT_LT(0, kid);
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	/* Mapped writable: its mapper could have written anything there. */
	sender_expect(_metadata, &g, 0, 110, 0, kid, getuid(), getgid(),
		      KMSGQ_SENDER_MAPPER | KMSGQ_SENDER_SHARED);

	/* Copy-mode sends on the same ring are still the kernel's. */
	ASSERT_EQ(0, send_tag(self->q2, 111, 0));
	sender_recv(rd, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 111, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL | KMSGQ_SENDER_SHARED);
	EXPECT_EQ(0, kmsgq_ring_unmap(&ro));
	close(rd);
}

TEST_F(sender, in_place_commits_after_a_second_writable_mapper_are_unknown)
{
	struct sender_got g;
	pid_t first, second;

	ASSERT_EQ(0, sender_second_queue(self, "sender-ring",
					 KMSGQ_OPEN_RING | KMSGQ_OPEN_SENDER));
	first = sender_mapper(self, 120);
	ASSERT_LT(0, first);
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 120, 0, first, getuid(), getgid(),
		      KMSGQ_SENDER_MAPPER | KMSGQ_SENDER_SHARED);

	second = sender_mapper(self, 121);
	ASSERT_LT(0, second);
	ASSERT_NE(first, second);
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 121, 0, 0, NOBODY, NOBODY,
		      KMSGQ_SENDER_SHARED);

	/* The first mapper is no longer alone either. */
	ASSERT_LT(0, sender_mapper(self, 122));
	ASSERT_EQ(0, send_tag(self->q2, 123, 0));
	sender_recv(self->q2, 2, 0, &g);
	ASSERT_EQ(2, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 122, 0, 0, NOBODY, NOBODY,
		      KMSGQ_SENDER_SHARED);
	sender_expect(_metadata, &g, 1, 123, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL | KMSGQ_SENDER_SHARED);
}

/*
 * A helper that maps the ring writable, then forks a child that commits
 * in place through the inherited mapping: 0, or the step that failed.
 */
static int sender_commit_by_child(const char *name, unsigned int tag)
{
	struct kmsgq_ring r;
	int fd, status;
	__u32 pos;
	pid_t kid;

	fd = kmsgq_open(name, O_RDWR, 0, NULL);
	if (fd < 0)
		return 1;
	if (kmsgq_ring_map(fd, &r))
		return 2;
	kid = fork();
	if (kid < 0)
		return 3;
	if (!kid) {
		if (kmsgq_ring_reserve(&r, 1, &pos) != 1)
			_exit(4);
		memcpy(kmsgq_ring_slot(&r, pos), &tag, sizeof(tag));
		kmsgq_ring_commit(&r, pos, sizeof(tag));
		_exit(kmsgq_ring_commit_done(&r) ? 5 : 0);
	}
	if (waitpid(kid, &status, 0) != kid || !exited_ok(status))
		return 6;
	return 0;
}

TEST_F(sender, a_child_that_inherits_a_writable_mapping_is_another_writer)
{
	struct sender_got g;
	pid_t kid;

	ASSERT_EQ(0, sender_second_queue(self, "sender-ring",
					 KMSGQ_OPEN_RING | KMSGQ_OPEN_SENDER));
	kid = kids_fork(&self->kids);
	if (!kid)
		_exit(sender_commit_by_child(self->name2, 130));
	ASSERT_LT(0, kid);
	ASSERT_TRUE(exited_ok(kids_reap(&self->kids, kid)));
	/* Not the mapper's: it has not written it, its child has. */
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 130, 0, 0, NOBODY, NOBODY,
		      KMSGQ_SENDER_SHARED);
}

/*
 * A mapper rewinds the ring to a position a message sent through the
 * kernel had, and commits its own there: the kernel's record of that
 * sender was dropped when the message was received, and the ring is
 * flagged shared anyway.
 */
TEST_F(sender, a_rewound_ring_position_borrows_no_kernel_senders_name)
{
	struct kmsgq_ring r;
	struct sender_got g;
	__u32 pos, tag = 140;

	ASSERT_EQ(0, sender_second_queue(self, "sender-ring",
					 KMSGQ_OPEN_RING | KMSGQ_OPEN_SENDER));
	ASSERT_EQ(0, send_tag(self->q2, 139, 0));
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 139, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_KERNEL);

	/* Position 0 again, with this process's own message in it. */
	ASSERT_EQ(0, kmsgq_ring_map(self->q2, &r));
	pos = 0;
	memcpy(kmsgq_ring_slot(&r, pos), &tag, sizeof(tag));
	*desc_len(&r, pos) = sizeof(tag);
	__atomic_store_n(desc_seq(&r, pos), pos + 1, __ATOMIC_RELEASE);
	__atomic_store_n(r.cons, pos, __ATOMIC_RELEASE);
	sender_recv(self->q2, 1, 0, &g);
	ASSERT_EQ(1, g.ret) TH_LOG("%s", strerror(-g.ret));
	sender_expect(_metadata, &g, 0, 140, 0, getpid(), getuid(), getgid(),
		      KMSGQ_SENDER_MAPPER | KMSGQ_SENDER_SHARED);
	EXPECT_EQ(0, kmsgq_ring_unmap(&r));
}

TEST_HARNESS_MAIN
