// SPDX-License-Identifier: GPL-2.0
/*
 * Description: reclaiming ring queues (KMSGQ_OPEN_RECLAIM), one behaviour at
 * a time: the flags and what reports them, the claimant tokens
 * KMSGQ_IOC_RING_INFO hands out, who may map such a ring, and what the
 * kernel finishes when the last reference to a file goes: a dead
 * producer's reservation published carrying no message, a dead consumer's
 * claims released and counted lost, nothing of a file that lives on
 * (another process's, or one shared with the dead), nothing of the
 * kernel's own copy-mode claims, and no more than this queue's messages
 * for a process that writes another file's token into its mapping.
 * ring_crash_test.c kills workers at random; here every death is placed.
 *
 * Helper processes bind files of their own to the test's queue (as
 * separate programs would) unless a test says they share the test's.
 * They tell the test what they did with a struct reclaim_note on the
 * result pipe and park on the fixture's go pipe until the test lets them
 * on or kills them; only one helper at a time waits for a go the test
 * sends.  What every ring test shares, and the rules its helpers keep:
 * ring_test.h.
 */
#include "ring_test.h"

#define RECLAIM_QFLAGS		(KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM)
/* Largest claimant token a file is given. */
#define RECLAIM_OWNER_MAX	0x7fffffffU

/* Who wrote a note. */
enum reclaim_role {
	ROLE_CLAIMANT = 1,	/* reserved or claimed slots in place */
	ROLE_CONSUMER,		/* slept for a message */
	ROLE_PRODUCER,		/* slept for a free slot */
};

/* What a helper tells the test, written whole (smaller than PIPE_BUF). */
struct reclaim_note {
	__u32 role;		/* enum reclaim_role */
	int ret;		/* its call's result, or -errno */
	__u32 pos;		/* the first position it claimed */
	__u32 owner;		/* the token it claimed with */
	__u32 tag;		/* a message it received */
};

/* What a claimant helper does after it has claimed and said so. */
enum reclaim_then {
	THEN_PARK,		/* wait to be killed */
	THEN_EXIT,		/* at the go, _exit() with its claim open */
	THEN_COMMIT,		/* at the go, commit its slot holding @tag */
	THEN_CLOSE,		/* at the first go unmap, at the second close
				 * its file, saying so each time; then wait */
	THEN_FINISH,		/* at the go, commit its slot holding @tag or
				 * release its claims, but make no wake call,
				 * as if killed before kmsgq_ring_*_done();
				 * say so, and wait to be killed */
};

/* How a claimant helper works. */
struct reclaim_how {
	unsigned int claim;	/* committed slots to claim; 0: reserve one */
	bool inherit;		/* use the test's file and mapping */
	bool nobody;		/* as uid and gid 65534 */
	enum reclaim_then then;
	__u32 tag;		/* THEN_COMMIT's message */
};

FIXTURE(reclaim) {
	struct rctx q;		/* a reclaiming ring, mapped as q.r */
	int go[2];		/* the test's word to a parked helper */
};

FIXTURE_SETUP(reclaim)
{
	struct kmsgq_info info;
	int ret;

	self->go[0] = self->go[1] = -1;
	ret = kmsgq_info(-1, &info);
	if (ret)
		SKIP(return, "kmsgq_info: %s", strerror(-ret));
	if (!(info.features & KMSGQ_FEAT_RECLAIM))
		SKIP(return, "the module lacks KMSGQ_FEAT_RECLAIM");
	rctx_setup(_metadata, &self->q, RECLAIM_QFLAGS, RING_DEPTH,
		   RING_MSGSIZE, true);
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
}

FIXTURE_TEARDOWN(reclaim)
{
	rctx_teardown(&self->q);
	if (self->go[0] >= 0)
		close(self->go[0]);
	if (self->go[1] >= 0)
		close(self->go[1]);
}

/* ---- helper processes ---- */

static void reclaim_tell(struct rctx *q, __u32 role, int ret, __u32 pos,
			 __u32 owner, __u32 tag)
{
	struct reclaim_note n = {
		.role = role, .ret = ret, .pos = pos, .owner = owner, .tag = tag,
	};

	child_write(q->p.result[1], &n, sizeof(n));
}

/* In the test: the next note, within @ms; false if none came. */
static bool reclaim_hear(struct rctx *q, struct reclaim_note *n, int ms)
{
	struct pollfd pfd = { .fd = q->p.result[0], .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && read_all(q->p.result[0], n, sizeof(*n));
}

/* In a helper: wait for the test's go; exit if none comes in time. */
static void reclaim_park(FIXTURE_DATA(reclaim) *self)
{
	struct pollfd pfd = { .fd = self->go[0], .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 2 * SAFETY_MS) != 1 || read(self->go[0], &c, 1) != 1)
		_exit(3);
}

/* In the test: let the parked helper go on. */
static bool reclaim_go(FIXTURE_DATA(reclaim) *self)
{
	return write(self->go[1], "g", 1) == 1;
}

/*
 * In a helper: bind a file of its own to queue @name and map its ring into
 * @r, as a separate program would: 0, or -errno.
 */
static int reclaim_own_ring(const char *name, struct kmsgq_ring *r)
{
	int fd = kmsgq_open(name, O_RDWR, 0, NULL);
	int ret;

	if (fd < 0)
		return fd;
	ret = kmsgq_ring_map(fd, r);
	if (ret)
		close(fd);
	return ret;
}

/*
 * A claimant helper: claims as @how says (a reserved slot gets half a
 * payload), tells the test, then goes on as @how->then says.
 */
static void __attribute__((noreturn))
reclaim_claimant(FIXTURE_DATA(reclaim) *self, const struct reclaim_how *how)
{
	unsigned int want = how->claim ? how->claim : 1;
	struct kmsgq_ring own, *r = &self->q.r;
	uint32_t pos = 0;
	int ret = 0, fd;

	if (how->nobody)
		ret = become(NOBODY, NOBODY);
	if (!ret && !how->inherit) {
		ret = reclaim_own_ring(self->q.name, &own);
		r = &own;
	}
	if (!ret && (how->claim ? kmsgq_ring_claim(r, want, &pos) :
				  kmsgq_ring_reserve(r, want, &pos)) != want)
		ret = -EAGAIN;
	if (!ret && !how->claim)
		memset(kmsgq_ring_slot(r, pos), 0x5a, r->slot_size / 2);
	reclaim_tell(&self->q, ROLE_CLAIMANT, ret, pos, ret ? 0 : r->owner, 0);
	if (ret)
		_exit(1);
	reclaim_park(self);
	switch (how->then) {
	case THEN_PARK:
		_exit(3);	/* the test did not kill it */
	case THEN_EXIT:
		_exit(0);
	case THEN_COMMIT:
		memcpy(kmsgq_ring_slot(r, pos), &how->tag, sizeof(how->tag));
		kmsgq_ring_commit(r, pos, sizeof(how->tag));
		ret = kmsgq_ring_commit_done(r);
		reclaim_tell(&self->q, ROLE_CLAIMANT, ret, pos, 0, 0);
		_exit(0);
	case THEN_FINISH:
		if (how->claim) {
			kmsgq_ring_release(r, pos, want);
		} else {
			memcpy(kmsgq_ring_slot(r, pos), &how->tag,
			       sizeof(how->tag));
			kmsgq_ring_commit(r, pos, sizeof(how->tag));
		}
		reclaim_tell(&self->q, ROLE_CLAIMANT, 0, pos, 0, 0);
		reclaim_park(self);
		_exit(3);	/* the test did not kill it */
	case THEN_CLOSE:
		fd = r->fd;
		ret = kmsgq_ring_unmap(r);
		reclaim_tell(&self->q, ROLE_CLAIMANT, ret, pos, 0, 0);
		reclaim_park(self);
		ret = kmsgq_close(fd);
		reclaim_tell(&self->q, ROLE_CLAIMANT, ret, pos, 0, 0);
		reclaim_park(self);	/* alive until teardown kills it */
		_exit(0);
	}
	_exit(1);
}

/*
 * In the test: start a claimant helper and wait for its first note, in
 * *@n, which must say it claimed: its pid.
 */
static pid_t reclaim_start(struct __test_metadata *_metadata,
			   FIXTURE_DATA(reclaim) *self,
			   const struct reclaim_how *how,
			   struct reclaim_note *n)
{
	pid_t pid = kids_fork(&self->q.kids);

	if (!pid)
		reclaim_claimant(self, how);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(reclaim_hear(&self->q, n, SAFETY_MS));
	ASSERT_EQ(0, n->ret) TH_LOG("helper: %s", strerror(-n->ret));
	return pid;
}

/* In the test: SIGKILL helper @pid and reap it. */
static void reclaim_kill(struct __test_metadata *_metadata, struct rctx *q,
			 pid_t pid)
{
	int status;

	ASSERT_EQ(0, kill(pid, SIGKILL));
	status = reap_within(pid, SAFETY_MS);
	if (status >= 0)
		kids_forget(&q->kids, pid);
	EXPECT_TRUE(status >= 0 && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL) TH_LOG("status %#x", status);
}

/* In the test: reap helper @pid, which is to exit with status 0. */
static void reclaim_reap(struct __test_metadata *_metadata, struct rctx *q,
			 pid_t pid)
{
	int status = reap_within(pid, SAFETY_MS);

	if (status >= 0)
		kids_forget(&q->kids, pid);
	EXPECT_TRUE(exited_ok(status)) TH_LOG("status %#x", status);
}

/* ---- the queue ---- */

/* In the test: expect slot @pos of @r to hold {@seq, @owner}. */
static void reclaim_expect_word(struct __test_metadata *_metadata,
				const struct kmsgq_ring *r, __u32 pos,
				__u32 seq, __u32 owner)
{
	union kmsgq_ring__word w = kmsgq_ring__rword(r, pos);

	EXPECT_EQ(seq, w.s.seq) TH_LOG("slot of position %u", pos);
	EXPECT_EQ(owner, w.s.owner) TH_LOG("slot of position %u", pos);
}

/* A copy-mode receive of one tag that never sleeps: the tag, or -errno. */
static long long reclaim_recv_now(int fd)
{
	__u32 tag;
	struct kmsgq_msg m = { .buf = (uintptr_t)&tag, .len = sizeof(tag) };
	int ret;

	ret = kmsgq_receive_batch(fd, &m, 1, KMSGQ_XFER_NONBLOCK,
				  CLOCK_MONOTONIC, NULL);
	if (ret < 0)
		return ret;
	return m.len == sizeof(tag) ? (long long)tag : -EPROTO;
}

/* ==== the flags, and what reports them ==== */

TEST_F(reclaim, reclaim_without_create_or_without_ring_is_einval)
{
	static const __u32 bad[] = {
		KMSGQ_OPEN_RECLAIM,
		KMSGQ_OPEN_CREATE | KMSGQ_OPEN_RECLAIM,
		KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RECLAIM,
		KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM,
	};
	struct kmsgq_open op = { .size = sizeof(op), .mode = 0600 };
	char fresh[KMSGQ_NAME_MAX];
	const char *names[] = { fresh, self->q.name };
	unsigned int i, j;
	int dev;

	snprintf(fresh, sizeof(fresh), "ring-reclaim-bad-%d", getpid());
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (j = 0; j < ARRAY_SIZE(names); j++) {
			dev = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, dev);
			op.flags = bad[i];
			strcpy(op.name, names[j]);
			EXPECT_EQ(-EINVAL, xioctl(dev, KMSGQ_IOC_OPEN, &op))
				TH_LOG("flags %#x, %s queue", bad[i],
				       j ? "existing" : "new");
			close(dev);
		}
	}
	EXPECT_EQ(-ENOENT, kmsgq_open(fresh, O_RDWR, 0, NULL));
}

TEST_F(reclaim, getattr_list_and_info_report_reclaim)
{
	struct kmsgq_queue_entry e;
	struct kmsgq_attr attr;
	struct kmsgq_info info;

	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_EQ(RECLAIM_QFLAGS, attr.qflags);
	ASSERT_EQ(1, listed_entry(self->q.name, &e));
	EXPECT_EQ(RECLAIM_QFLAGS, e.qflags);
	ASSERT_EQ(0, kmsgq_info(self->q.fd, &info));
	EXPECT_TRUE(info.features & KMSGQ_FEAT_RECLAIM);
}

/* ==== tokens: what RING_INFO tells each file ==== */

TEST_F(reclaim, ring_info_gives_each_file_a_lasting_token_of_its_own)
{
	struct kmsgq_ring_info a, b, again;
	int fd2;

	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ring_info(self->q.fd, &a));
	EXPECT_EQ(sizeof(struct kmsgq_ring_rdesc), a.desc_size);
	EXPECT_LE(1, a.owner);
	EXPECT_GE(RECLAIM_OWNER_MAX, a.owner);
	ASSERT_EQ(0, ring_info(self->q.fd, &again));
	EXPECT_EQ(a.owner, again.owner);
	EXPECT_EQ(self->q.ri.owner, a.owner);

	ASSERT_EQ(0, ring_info(fd2, &b));
	EXPECT_EQ(sizeof(struct kmsgq_ring_rdesc), b.desc_size);
	EXPECT_LE(1, b.owner);
	EXPECT_GE(RECLAIM_OWNER_MAX, b.owner);
	EXPECT_NE(a.owner, b.owner);
	ASSERT_EQ(0, ring_info(fd2, &again));
	EXPECT_EQ(b.owner, again.owner);
}

TEST_F(reclaim, ring_info_of_the_first_size_writes_no_desc_size_or_token)
{
	struct kmsgq_ring_info ri;
	unsigned char *tail = (unsigned char *)&ri + KMSGQ_RING_INFO_SIZE_VER0;
	size_t i, n = sizeof(ri) - KMSGQ_RING_INFO_SIZE_VER0;
	int fd;

	fd = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd);
	memset(&ri, 0, KMSGQ_RING_INFO_SIZE_VER0);
	memset(tail, 0xff, n);
	ri.size = KMSGQ_RING_INFO_SIZE_VER0;
	ASSERT_EQ(0, xioctl(fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(self->q.ri.map_size, ri.map_size);
	EXPECT_EQ(self->q.ri.nr_slots, ri.nr_slots);
	EXPECT_EQ(self->q.ri.desc_off, ri.desc_off);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0xff, tail[i]) TH_LOG("byte %zu of the tail",
						KMSGQ_RING_INFO_SIZE_VER0 + i);
	}
}

TEST_F(reclaim, classic_ring_reports_plain_descriptors_and_no_token)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = RING_DEPTH,
		.max_msgsize = RING_MSGSIZE,
	};
	struct kmsgq_ring_info ri;
	char name[KMSGQ_NAME_MAX];
	int fd;

	fd = create_own_queue(name, "ring-classic", 0, &attr);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_unlink(name));
	ASSERT_EQ(0, ring_info(fd, &ri));
	EXPECT_EQ(sizeof(struct kmsgq_ring_desc), ri.desc_size);
	EXPECT_EQ(0, ri.owner);
	close(fd);
}

/* ==== mapping: only a file that has its token ==== */

/* A raw mmap() of the whole ring through @fd: 0, or the errno it fails with. */
static int reclaim_mmap(struct rctx *q, int fd, int prot)
{
	void *p = rctx_mmap(q, fd, q->ri.map_size, prot, MAP_SHARED, 0);

	return p == MAP_FAILED ? errno : 0;
}

/* Another file on the test's queue, given its token: the fd, or -errno. */
static int reclaim_open_token(struct rctx *q, int oflag,
			      struct kmsgq_ring_info *ri)
{
	int fd = rctx_open(q, oflag);
	int ret;

	if (fd < 0)
		return fd;
	ret = ring_info(fd, ri);
	return ret ? ret : fd;
}

TEST_F(reclaim, file_without_a_token_may_not_map_the_ring)
{
	struct kmsgq_ring_info ri = { .size = KMSGQ_RING_INFO_SIZE_VER0 };
	int fd;

	fd = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ));

	/* Asking at the first size does not learn the protocol. */
	ASSERT_EQ(0, xioctl(fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ | PROT_WRITE));

	ASSERT_EQ(0, ring_info(fd, &ri));
	EXPECT_EQ(0, reclaim_mmap(&self->q, fd, PROT_READ | PROT_WRITE));
	EXPECT_EQ(2, mappings(fd));
}

TEST_F(reclaim, read_only_file_with_a_token_maps_read_only)
{
	struct kmsgq_ring_info ri;
	int fd;

	fd = reclaim_open_token(&self->q, O_RDONLY, &ri);
	ASSERT_LE(0, fd);
	EXPECT_NE(0, ri.owner);
	EXPECT_EQ(0, reclaim_mmap(&self->q, fd, PROT_READ));
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ | PROT_WRITE));
}

TEST_F(reclaim, write_only_file_with_a_token_cannot_map_the_ring)
{
	struct kmsgq_ring_info ri;
	int fd;

	fd = reclaim_open_token(&self->q, O_WRONLY, &ri);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ));
	EXPECT_EQ(EACCES, reclaim_mmap(&self->q, fd, PROT_READ | PROT_WRITE));
}

TEST_F(reclaim, ring_map_sets_up_reclaiming_descriptors_and_the_token)
{
	struct kmsgq_ring_info ri;
	struct kmsgq_ring r2;
	int fd;

	EXPECT_EQ(NULL, self->q.r.desc);
	EXPECT_NE(NULL, self->q.r.rdesc);
	EXPECT_EQ(self->q.ri.owner, self->q.r.owner);

	fd = reclaim_open_token(&self->q, O_RDWR, &ri);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd, &r2));
	EXPECT_EQ(NULL, r2.desc);
	EXPECT_NE(NULL, r2.rdesc);
	EXPECT_EQ(ri.owner, r2.owner);
	EXPECT_NE(self->q.r.owner, r2.owner);
}

/* ==== a producer that dies with a slot reserved ==== */

/*
 * A producer with a file of its own reserves a slot, writes half a payload
 * and dies (SIGKILL, or _exit()) without committing.  Until then its slot
 * holds back the message the test commits behind it; after, the slot is
 * published carrying no message, which a consumer in place claims and
 * finds empty (@in_place) or a copy-mode receive passes over.  No message
 * is lost: a producer's claim is not one.
 */
static void reclaim_producer_dies(struct __test_metadata *_metadata,
				  FIXTURE_DATA(reclaim) *self, bool kill,
				  bool in_place)
{
	struct reclaim_how how = { .then = kill ? THEN_PARK : THEN_EXIT };
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note n;
	uint32_t pos, len;
	pid_t pid;

	pid = reclaim_start(_metadata, self, &how, &n);
	EXPECT_NE(self->q.r.owner, n.owner);
	reclaim_expect_word(_metadata, r, n.pos, n.pos, n.owner);
	ASSERT_EQ(0, put_seq(r, 1));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));

	if (kill) {
		reclaim_kill(_metadata, &self->q, pid);
	} else {
		ASSERT_TRUE(reclaim_go(self));
		reclaim_reap(_metadata, &self->q, pid);
	}
	reclaim_expect_word(_metadata, r, n.pos, n.pos + 1, 0);
	EXPECT_EQ(KMSGQ_RING_LEN_NONE, *desc_len(r, n.pos));
	ASSERT_EQ(0, put_seq(r, 2));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);

	if (in_place) {
		ASSERT_EQ(1, kmsgq_ring_claim(r, 1, &pos));
		EXPECT_EQ(n.pos, pos);
		EXPECT_EQ(NULL, kmsgq_ring_msg(r, pos, &len));
		kmsgq_ring_release(r, pos, 1);
		EXPECT_EQ(0, kmsgq_ring_release_done(r));
	}
	EXPECT_EQ(1, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(2, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(reclaim, killed_producers_slot_is_published_empty_and_receive_skips_it)
{
	reclaim_producer_dies(_metadata, self, true, false);
}

TEST_F(reclaim, exited_producers_slot_is_claimed_in_place_as_carrying_no_message)
{
	reclaim_producer_dies(_metadata, self, false, true);
}

/* ==== a consumer that dies with slots claimed ==== */

TEST_F(reclaim, killed_consumers_claims_are_released_and_counted_lost)
{
	struct reclaim_how how = { .claim = 2, .then = THEN_PARK };
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note n;
	uint32_t pos, i;
	pid_t pid;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, put_seq(r, i));
	}
	pid = reclaim_start(_metadata, self, &how, &n);
	EXPECT_EQ(0, n.pos);
	for (i = 0; i < 2; i++)
		reclaim_expect_word(_metadata, r, i, i + 1, n.owner);
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);

	reclaim_kill(_metadata, &self->q, pid);
	EXPECT_EQ(2, stats(self->q.fd).msgs_lost);
	for (i = 0; i < 2; i++)
		reclaim_expect_word(_metadata, r, i, i + RING_DEPTH, 0);
	EXPECT_EQ(2, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(0, queued(self->q.fd));

	/* Every slot is free again: a whole lap fits and comes back. */
	ASSERT_EQ(RING_DEPTH, kmsgq_ring_reserve(r, RING_DEPTH, &pos));
	for (i = 0; i < RING_DEPTH; i++) {
		memcpy(kmsgq_ring_slot(r, pos + i), &i, sizeof(i));
		kmsgq_ring_commit(r, pos + i, sizeof(i));
	}
	EXPECT_EQ(0, kmsgq_ring_commit_done(r));
	for (i = 0; i < RING_DEPTH; i++) {
		EXPECT_EQ(i, reclaim_recv_now(self->q.fd));
	}
	EXPECT_EQ(2, stats(self->q.fd).msgs_lost);
}

/* ==== claims the kernel leaves alone ==== */

/*
 * A helper that inherits the test's file and mapping claims with the
 * test's token: the claim is the file's, and the file lives on in the
 * test, so the helper's death finishes nothing and the stuck slot holds
 * back the message committed behind it.  Only when the test unmaps and
 * closes that file too (another of its files keeps the queue) is the slot
 * published empty.  Hence each process should open a file of its own.
 */
TEST_F(reclaim, slot_claimed_through_a_shared_file_waits_for_the_file_to_go)
{
	struct reclaim_how how = { .inherit = true, .then = THEN_PARK };
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note n;
	int fd2;
	pid_t pid;

	pid = reclaim_start(_metadata, self, &how, &n);
	EXPECT_EQ(self->q.r.owner, n.owner);
	reclaim_kill(_metadata, &self->q, pid);

	reclaim_expect_word(_metadata, r, n.pos, n.pos, self->q.r.owner);
	ASSERT_EQ(0, put_seq(r, 7));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));

	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	ASSERT_EQ(0, close(self->q.fd));
	self->q.fd = -1;
	EXPECT_EQ(7, reclaim_recv_now(fd2));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(fd2));
	EXPECT_EQ(0, stats(fd2).msgs_lost);
	EXPECT_EQ(0, queued(fd2));
}

TEST_F(reclaim, death_of_one_producer_leaves_another_producers_claim_intact)
{
	struct reclaim_how live = { .then = THEN_COMMIT, .tag = 100 };
	struct reclaim_how dead = { .then = THEN_PARK };
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note na, nb;
	pid_t a, b;

	a = reclaim_start(_metadata, self, &live, &na);
	b = reclaim_start(_metadata, self, &dead, &nb);
	EXPECT_EQ(na.pos + 1, nb.pos);
	EXPECT_NE(na.owner, nb.owner);

	reclaim_kill(_metadata, &self->q, b);
	reclaim_expect_word(_metadata, r, na.pos, na.pos, na.owner);
	reclaim_expect_word(_metadata, r, nb.pos, nb.pos + 1, 0);

	/* A's live claim still holds back what follows it. */
	ASSERT_EQ(0, put_seq(r, 300));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));

	ASSERT_TRUE(reclaim_go(self));
	ASSERT_TRUE(reclaim_hear(&self->q, &na, SAFETY_MS));
	EXPECT_EQ(0, na.ret);
	reclaim_reap(_metadata, &self->q, a);
	EXPECT_EQ(100, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(300, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
}

/*
 * Copy-mode calls claim with KMSGQ_RING_OWNER_KERNEL and finish within the
 * call: a process that sent and received that way, with a token of its
 * own, exits without a message lost.
 */
TEST_F(reclaim, copy_mode_traffic_of_an_exiting_process_is_not_reclaimed)
{
	struct reclaim_note n;
	unsigned int i;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kmsgq_ring own;
		int ret = reclaim_own_ring(self->q.name, &own);

		for (i = 10; !ret && i < 13; i++)
			ret = send_tag(own.fd, i, 0);
		if (!ret)
			ret = put_seq(&own, 13);
		reclaim_tell(&self->q, ROLE_CLAIMANT, ret, 0, 0, 0);
		_exit(0);
	}
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS));
	EXPECT_EQ(0, n.ret) TH_LOG("sender: %s", strerror(-n.ret));
	reclaim_reap(_metadata, &self->q, pid);

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kmsgq_ring own;
		long long tag = reclaim_own_ring(self->q.name, &own);

		if (!tag)
			tag = reclaim_recv_now(own.fd);
		reclaim_tell(&self->q, ROLE_CONSUMER, tag < 0 ? tag : 0, 0, 0,
			     tag < 0 ? 0 : tag);
		_exit(0);
	}
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS));
	EXPECT_EQ(0, n.ret) TH_LOG("receiver: %s", strerror(-n.ret));
	EXPECT_EQ(10, n.tag);
	reclaim_reap(_metadata, &self->q, pid);

	for (i = 11; i < 14; i++) {
		EXPECT_EQ(i, reclaim_recv_now(self->q.fd));
	}
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
}

TEST_F(reclaim, receiver_killed_asleep_in_the_kernel_takes_no_message)
{
	struct kmsgq_stats st;
	pid_t pid;

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
		struct kmsgq_ring own;
		__u32 tag;
		int ret = reclaim_own_ring(self->q.name, &own);

		child_ready(&self->q.p);
		if (!ret)
			ret = kmsgq_timedreceive(own.fd, &tag, sizeof(tag),
						 NULL, CLOCK_MONOTONIC, &dl);
		reclaim_tell(&self->q, ROLE_CONSUMER, ret, 0, 0, 0);
		_exit(0);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	reclaim_kill(_metadata, &self->q, pid);
	EXPECT_FALSE(report_pending(&self->q.p));

	ASSERT_EQ(0, put_seq(&self->q.r, 5));
	EXPECT_EQ(5, reclaim_recv_now(self->q.fd));
	ASSERT_EQ(0, kmsgq_stats(self->q.fd, &st));
	EXPECT_EQ(0, st.msgs_lost);
	EXPECT_EQ(0, st.recv_waiters);
}

/*
 * A producer commits in place and is killed before kmsgq_ring_commit_done()
 * (@producer_dies), or a consumer releases and is killed before
 * kmsgq_ring_release_done(): the wake call it owed the peer asleep in
 * kmsgq_ring_wait() never comes, and its file holds no claim for the
 * kernel to finish.  Its end (its mapping's) wakes the peer all the same,
 * and the peer finds what the dead one left.  A wait that ends at its
 * deadline finds the ring ready too: the peer says -ETIMEDOUT then, and
 * its deadline is three times as far as the test waits for it.  With
 * @plain, on a ring without claimant tokens.
 */
static void reclaim_death_owing_a_wake(struct __test_metadata *_metadata,
				       FIXTURE_DATA(reclaim) *self,
				       bool producer_dies, bool plain)
{
	struct reclaim_how how = {
		.claim = producer_dies ? 0 : 1, .then = THEN_FINISH, .tag = 11,
	};
	__u32 events = producer_dies ? KMSGQ_RING_READABLE :
				       KMSGQ_RING_WRITABLE;
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note claim, n;
	pid_t pid, wpid;

	if (plain) {
		rctx_teardown(&self->q);
		rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
			   RING_MSGSIZE, true);
		ASSERT_NE(NULL, r->desc);
	}
	if (!producer_dies)
		ASSERT_EQ(RING_DEPTH, fill_ring(r, 0));
	pid = reclaim_start(_metadata, self, &how, &claim);

	wpid = kids_fork(&self->q.kids);
	ASSERT_LE(0, wpid);
	if (!wpid) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC,
						 3 * SAFETY_NS);
		long long tag = 0;
		int ret;

		child_ready(&self->q.p);
		ret = kmsgq_ring_wait(r, events, CLOCK_MONOTONIC, &dl);
		if (now_ns(CLOCK_MONOTONIC) >=
		    dl.tv_sec * NSEC_PER_SEC + dl.tv_nsec)
			ret = -ETIMEDOUT;
		if (producer_dies && ret == KMSGQ_RING_READABLE)
			tag = get_seq(r);
		reclaim_tell(&self->q, producer_dies ? ROLE_CONSUMER :
			     ROLE_PRODUCER, ret, 0, 0, tag < 0 ? 0 : tag);
		_exit(0);
	}
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &wpid, 1));
	/*
	 * Asleep in the kernel's wait, not elsewhere: a peer still polling
	 * would find the ring ready after the go without anybody's wake.
	 */
	ASSERT_EQ(0, wait_sleepers(self->q.fd, !producer_dies, 1));

	ASSERT_TRUE(reclaim_go(self));
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS));
	ASSERT_EQ(ROLE_CLAIMANT, n.role);
	/* Nobody was told: the peer sleeps on. */
	EXPECT_FALSE(report_pending(&self->q.p));

	reclaim_kill(_metadata, &self->q, pid);
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS))
		TH_LOG("the peer still sleeps %d ms after the death",
		       SAFETY_MS);
	EXPECT_EQ(producer_dies ? ROLE_CONSUMER : ROLE_PRODUCER, n.role);
	EXPECT_EQ((int)events, n.ret) TH_LOG("woken with %d", n.ret);
	if (producer_dies)
		EXPECT_EQ(11, n.tag);
	/* Finished by its owner before it died: nothing to reclaim. */
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
}

TEST_F(reclaim, producer_killed_after_commit_before_its_wake_wakes_the_consumer)
{
	reclaim_death_owing_a_wake(_metadata, self, true, false);
}

TEST_F(reclaim, consumer_killed_after_release_before_its_wake_wakes_the_producer)
{
	reclaim_death_owing_a_wake(_metadata, self, false, false);
}

TEST_F(reclaim, on_a_plain_ring_too_a_producer_killed_before_its_wake_wakes)
{
	reclaim_death_owing_a_wake(_metadata, self, true, true);
}

TEST_F(reclaim, on_a_plain_ring_too_a_consumer_killed_before_its_wake_wakes)
{
	reclaim_death_owing_a_wake(_metadata, self, false, true);
}

/* ==== the end of a file without a death ==== */

/*
 * A producer reserves a slot, then unmaps its ring and closes its file
 * without committing, and lives on.  A consumer that sleeps for the
 * message committed behind the slot (in a copy-mode receive, or in
 * kmsgq_ring_wait() and then in place: @ring_wait) is woken when the close
 * publishes the slot empty, well before its deadline.
 */
static void reclaim_close_wakes(struct __test_metadata *_metadata,
				FIXTURE_DATA(reclaim) *self, bool ring_wait)
{
	struct reclaim_how how = { .then = THEN_CLOSE };
	struct reclaim_note claim, n, prod = { 0 }, cons = { 0 };
	struct kmsgq_ring *r = &self->q.r;
	pid_t pid, cpid;
	int i;

	pid = reclaim_start(_metadata, self, &how, &claim);
	ASSERT_EQ(0, put_seq(r, 9));

	cpid = kids_fork(&self->q.kids);
	ASSERT_LE(0, cpid);
	if (!cpid) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
		long long tag = -EPROTO;
		__u32 t;
		int ret;

		child_ready(&self->q.p);
		if (ring_wait) {
			ret = kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
					      CLOCK_MONOTONIC, &dl);
			do
				tag = get_seq(r);
			while (tag == -EBADMSG);
		} else {
			ret = kmsgq_timedreceive(self->q.fd, &t, sizeof(t),
						 NULL, CLOCK_MONOTONIC, &dl);
			if (ret == sizeof(t))
				tag = t;
		}
		reclaim_tell(&self->q, ROLE_CONSUMER, ret, 0, 0,
			     tag < 0 ? 0 : tag);
		_exit(0);
	}
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &cpid, 1));

	/* Unmapped, the file is still there, and so is the claim. */
	ASSERT_TRUE(reclaim_go(self));
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS));
	EXPECT_EQ(0, n.ret) TH_LOG("unmap: %s", strerror(-n.ret));
	reclaim_expect_word(_metadata, r, claim.pos, claim.pos, claim.owner);

	ASSERT_TRUE(reclaim_go(self));
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(reclaim_hear(&self->q, &n, 2 * SAFETY_MS));
		if (n.role == ROLE_CONSUMER)
			cons = n;
		else
			prod = n;
	}
	EXPECT_EQ(ROLE_CLAIMANT, prod.role);
	EXPECT_EQ(0, prod.ret) TH_LOG("close: %s", strerror(-prod.ret));
	EXPECT_EQ(ROLE_CONSUMER, cons.role);
	EXPECT_EQ(ring_wait ? KMSGQ_RING_READABLE : (int)sizeof(__u32),
		  cons.ret) TH_LOG("consumer: %d", cons.ret);
	EXPECT_EQ(9, cons.tag);
	/* The close did it: the producer lives. */
	EXPECT_EQ(-ETIMEDOUT, reap_within(pid, 0));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
	EXPECT_EQ(0, queued(self->q.fd));
}

TEST_F(reclaim, close_without_commit_wakes_a_copy_mode_receiver)
{
	reclaim_close_wakes(_metadata, self, false);
}

TEST_F(reclaim, close_without_commit_wakes_a_ring_waiter)
{
	reclaim_close_wakes(_metadata, self, true);
}

/* ==== another user ==== */

struct reclaim_open_arg {
	const char *name;
	int oflag;
};

/* In a child: open @arg's queue as nobody: 0, or -errno. */
static int reclaim_nobody_open(const void *arg)
{
	const struct reclaim_open_arg *a = arg;
	int fd, ret;

	ret = become(NOBODY, NOBODY);
	if (ret)
		return ret;
	fd = kmsgq_open(a->name, a->oflag, 0, NULL);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

TEST_F(reclaim, other_user_gets_a_token_only_as_the_mode_allows_and_is_reclaimed)
{
	struct reclaim_open_arg rw = { self->q.name, O_RDWR };
	struct reclaim_open_arg ro = { self->q.name, O_RDONLY };
	struct reclaim_how how = { .nobody = true, .then = THEN_PARK };
	struct kmsgq_ring *r = &self->q.r;
	struct reclaim_note n;
	pid_t pid;

	if (geteuid())
		SKIP(return, "becoming another user needs root");
	EXPECT_EQ(-EACCES, child_int(reclaim_nobody_open, &rw));
	EXPECT_EQ(-EACCES, child_int(reclaim_nobody_open, &ro));

	ASSERT_EQ(0, kmsgq_chmod(self->q.name, 0666));
	pid = reclaim_start(_metadata, self, &how, &n);
	EXPECT_LE(1, n.owner);
	EXPECT_GE(RECLAIM_OWNER_MAX, n.owner);
	EXPECT_NE(self->q.r.owner, n.owner);
	ASSERT_EQ(0, put_seq(r, 4));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));

	reclaim_kill(_metadata, &self->q, pid);
	reclaim_expect_word(_metadata, r, n.pos, n.pos + 1, 0);
	EXPECT_EQ(4, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
	EXPECT_EQ(0, stats(self->q.fd).msgs_lost);
}

/* ==== a process that writes another file's token ==== */

/*
 * A scribbler writes the token of a file the test holds (the victim) into
 * two descriptors of its own mapping: a committed slot's, which then looks
 * claimed by the victim's consumer, and the free slot at the producer
 * position's, which looks reserved by the victim's producer; then it is
 * killed.  Its death finishes nothing (its own token is nowhere), and the
 * "reserved" slot holds back what is committed after it, as a scribbler
 * can anyway.  When the victim's file goes the kernel finishes both as the
 * victim's.  Only this queue's messages may be lost, and only the one the
 * scribbler made look consumed; the ring moves on and its figures stay in
 * bounds.
 */
TEST_F(reclaim, scribbled_token_of_another_file_costs_only_this_queues_messages)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_ring_info vri;
	struct kmsgq_stats st;
	struct reclaim_note n;
	long long tag, last = -1;
	unsigned int got = 0, i;
	int vfd;
	pid_t pid;

	vfd = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, ring_info(vfd, &vri));
	ASSERT_NE(0, vri.owner);
	ASSERT_EQ(0, put_seq(r, 0));
	ASSERT_EQ(0, put_seq(r, 1));

	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (!pid) {
		union kmsgq_ring__word w;
		struct kmsgq_ring own;
		int ret = reclaim_own_ring(self->q.name, &own);

		if (!ret) {
			w.s.seq = 1;	/* slot 0, committed */
			w.s.owner = vri.owner;
			__atomic_store_n(kmsgq_ring__wordp(&own, 0), w.val,
					 __ATOMIC_RELEASE);
			w.s.seq = 2;	/* slot 2, free at the producer position */
			__atomic_store_n(kmsgq_ring__wordp(&own, 2), w.val,
					 __ATOMIC_RELEASE);
		}
		reclaim_tell(&self->q, ROLE_CLAIMANT, ret, 0,
			     ret ? 0 : own.owner, 0);
		reclaim_park(self);
		_exit(3);
	}
	ASSERT_TRUE(reclaim_hear(&self->q, &n, SAFETY_MS));
	ASSERT_EQ(0, n.ret) TH_LOG("scribbler: %s", strerror(-n.ret));
	reclaim_kill(_metadata, &self->q, pid);
	ASSERT_EQ(0, kmsgq_stats(self->q.fd, &st));
	EXPECT_GE(RING_DEPTH, st.cur_msgs);
	EXPECT_GE(1, st.msgs_lost);

	ASSERT_EQ(0, put_seq(r, 2));
	ASSERT_EQ(0, kmsgq_stats(self->q.fd, &st));
	EXPECT_GE(RING_DEPTH, st.cur_msgs);
	rctx_close(&self->q, vfd);

	for (i = 0; i < RING_DEPTH; i++) {
		tag = reclaim_recv_now(self->q.fd);
		if (tag == -EAGAIN)
			break;
		EXPECT_LE(0, tag) TH_LOG("receive: %s", strerror(-tag));
		if (tag < 0)
			break;
		EXPECT_LT(last, tag);
		last = tag;
		got++;
	}
	/* No stall: the message committed after the scribble got through. */
	EXPECT_EQ(2, last);
	ASSERT_EQ(0, kmsgq_stats(self->q.fd, &st));
	EXPECT_GE(1, st.msgs_lost);
	EXPECT_GE(3, got + st.msgs_lost);
	EXPECT_EQ(0, st.cur_msgs);

	/* And a whole lap goes through. */
	EXPECT_EQ(RING_DEPTH, fill_ring(r, 10));
	for (i = 0; i < RING_DEPTH; i++) {
		EXPECT_EQ(10 + i, reclaim_recv_now(self->q.fd));
	}
	EXPECT_EQ(-EAGAIN, reclaim_recv_now(self->q.fd));
}

TEST_HARNESS_MAIN
