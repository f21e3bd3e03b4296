// SPDX-License-Identifier: GPL-2.0
/*
 * Description: overflow policies (KMSGQ_OPEN_OVERFLOW_FAIL, _DROP) on copy
 * and ring queues: what a send to a full queue does under each, which
 * message a drop discards, batches, exact accounting (sent = received +
 * lost + queued) under many senders and receivers, the flags it refuses,
 * a policy nobody else can change (another user, another IPC namespace),
 * a ring whose oldest slot an in-place consumer holds, and a ring mapping
 * scribbled over.
 */
#include "kmsgq_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define OVF_DEPTH	8
#define OVF_MSGSIZE	64

FIXTURE(ovf) {
	char name[KMSGQ_NAME_MAX];
	int q;
};

FIXTURE_VARIANT(ovf) {
	bool ring;
};

FIXTURE_VARIANT_ADD(ovf, copy) {
	.ring = false,
};

FIXTURE_VARIANT_ADD(ovf, ring) {
	.ring = true,
};

FIXTURE_SETUP(ovf)
{
	self->q = -1;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
}

FIXTURE_TEARDOWN(ovf)
{
	if (self->q >= 0)
		close(self->q);
	kmsgq_unlink(self->name);
}

/* Create this test's queue with overflow policy @policy (0: block). */
static int ovf_create(FIXTURE_DATA(ovf) *self,
		      const FIXTURE_VARIANT(ovf) *variant, __u32 policy)
{
	struct kmsgq_attr attr = {
		.qflags = (variant->ring ? KMSGQ_OPEN_RING : 0) | policy,
		.max_msgs = OVF_DEPTH,
		.max_msgsize = OVF_MSGSIZE,
	};

	self->q = create_own_queue(self->name, "ovf", 0, &attr);
	return self->q < 0 ? self->q : 0;
}

static __u64 lost(int fd)
{
	struct kmsgq_stats st;

	return kmsgq_stats(fd, &st) ? ~0ULL : st.msgs_lost;
}

static __u32 qflags(int fd)
{
	struct kmsgq_attr attr;

	return kmsgq_getattr(fd, &attr) ? ~0U : attr.qflags;
}

TEST_F(ovf, without_a_policy_a_full_queue_makes_senders_wait)
{
	struct timespec dl;
	unsigned int i;

	ASSERT_EQ(0, ovf_create(self, variant, 0));
	EXPECT_EQ(variant->ring ? KMSGQ_OPEN_RING : 0, qflags(self->q));
	for (i = 0; i < OVF_DEPTH; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));
	dl = deadline_in(CLOCK_MONOTONIC, 20 * NSEC_PER_MSEC);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q, &i, sizeof(i), 0,
					      CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(0, lost(self->q));
}

TEST_F(ovf, fail_refuses_even_a_sender_that_may_sleep)
{
	struct kmsgq_msg m[3];
	unsigned int i, tags[3] = { 100, 101, 102 };
	struct timespec dl;

	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_FAIL));
	EXPECT_EQ((variant->ring ? KMSGQ_OPEN_RING : 0) |
		  KMSGQ_OPEN_OVERFLOW_FAIL, qflags(self->q));
	for (i = 0; i < OVF_DEPTH - 1; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));

	/* One slot left: a batch of three sends one. */
	for (i = 0; i < 3; i++)
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&tags[i],
					   .len = sizeof(tags[i]) };
	EXPECT_EQ(1, kmsgq_send_batch(self->q, m, 3, 0, CLOCK_MONOTONIC,
				      NULL));
	/* Full: EAGAIN at once, however long the caller would wait. */
	EXPECT_EQ(-EAGAIN, send_tag(self->q, 200, 0));
	dl = deadline_in(CLOCK_MONOTONIC, 10 * NSEC_PER_SEC);
	EXPECT_EQ(-EAGAIN, kmsgq_timedsend(self->q, &i, sizeof(i), 0,
					   CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(-1, write(self->q, &i, sizeof(i)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, lost(self->q));

	/* Nothing was dropped: every message is there, in order. */
	for (i = 0; i < OVF_DEPTH - 1; i++)
		EXPECT_EQ((int)i, recv_tag(self->q, NULL));
	EXPECT_EQ(100, recv_tag(self->q, NULL));
	EXPECT_EQ(0, send_tag(self->q, 300, 0));
}

TEST_F(ovf, drop_discards_the_oldest_and_counts_it)
{
	struct kmsgq_stats st;
	unsigned int i;

	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	EXPECT_EQ((variant->ring ? KMSGQ_OPEN_RING : 0) |
		  KMSGQ_OPEN_OVERFLOW_DROP, qflags(self->q));
	/* Every send succeeds, blocking or not. */
	for (i = 0; i < OVF_DEPTH + 5; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));
	EXPECT_EQ((ssize_t)sizeof(i), write(self->q, &i, sizeof(i)));

	ASSERT_EQ(0, kmsgq_stats(self->q, &st));
	EXPECT_EQ(OVF_DEPTH + 6, st.msgs_sent);
	EXPECT_EQ(6, st.msgs_lost);
	EXPECT_EQ(OVF_DEPTH, st.cur_msgs);
	/* The newest remain, oldest first. */
	for (i = 6; i < OVF_DEPTH + 6; i++)
		EXPECT_EQ((int)i, recv_tag(self->q, NULL));
	ASSERT_EQ(0, kmsgq_stats(self->q, &st));
	EXPECT_EQ(st.msgs_sent, st.msgs_recv + st.msgs_lost);
}

/* A send that cannot be made drops nothing; one that can never times out. */
TEST_F(ovf, drop_discards_only_for_a_send_that_happens)
{
	struct timespec past = { .tv_sec = 1 };
	struct kmsgq_msg m;
	unsigned int i;

	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	for (i = 0; i < OVF_DEPTH; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));
	/* An unreadable payload: EFAULT, and the queue as it was. */
	m = (struct kmsgq_msg){ .buf = (uintptr_t)fault_page(), .len = 4 };
	EXPECT_EQ(-EFAULT, kmsgq_send_batch(self->q, &m, 1, 0,
					    CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-1, write(self->q, fault_page(), 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, lost(self->q));
	EXPECT_EQ(OVF_DEPTH, queued(self->q));
	/* A deadline long past: the send completes all the same. */
	EXPECT_EQ(0, kmsgq_timedsend(self->q, &i, sizeof(i), 0,
				     CLOCK_MONOTONIC, &past));
	EXPECT_EQ(1, lost(self->q));
	EXPECT_EQ(1, recv_tag(self->q, NULL));
}

TEST_F(ovf, drop_takes_the_lowest_priority_first)
{
	static const unsigned int prio[] = { 5, 1, 1, 9, 2, 2, 7, 1 };
	unsigned int i, p;

	if (variant->ring)
		SKIP(return, "rings have one priority");
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	for (i = 0; i < OVF_DEPTH; i++)
		ASSERT_EQ(0, send_tag(self->q, i, prio[i]));
	/* Drops tag 1, then 2, then 7: the priority 1s, oldest first. */
	ASSERT_EQ(0, send_tag(self->q, 8, 3));
	ASSERT_EQ(0, send_tag(self->q, 9, 3));
	ASSERT_EQ(0, send_tag(self->q, 10, 3));
	/* Then the oldest of priority 2, even for a message of priority 0. */
	ASSERT_EQ(0, send_tag(self->q, 11, 0));
	EXPECT_EQ(4, lost(self->q));

	EXPECT_EQ(3, recv_tag(self->q, &p));
	EXPECT_EQ(9, p);
	EXPECT_EQ(6, recv_tag(self->q, &p));
	EXPECT_EQ(0, recv_tag(self->q, &p));
	EXPECT_EQ(8, recv_tag(self->q, &p));
	EXPECT_EQ(9, recv_tag(self->q, &p));
	EXPECT_EQ(10, recv_tag(self->q, &p));
	EXPECT_EQ(5, recv_tag(self->q, &p));
	EXPECT_EQ(2, p);
	EXPECT_EQ(11, recv_tag(self->q, &p));
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q,
			&(struct kmsgq_msg){ .buf = (uintptr_t)&p,
					     .len = sizeof(p) },
			1, KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
}

TEST_F(ovf, a_batch_drops_only_for_what_it_can_send)
{
	unsigned int tags[4] = { 100, 101, 102, 103 }, i;
	struct kmsgq_msg m[4];

	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	for (i = 0; i < OVF_DEPTH; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));
	for (i = 0; i < 4; i++)
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&tags[i],
					   .len = sizeof(tags[i]) };
	/* The third message is too long: two are sent, two dropped. */
	m[2].len = OVF_MSGSIZE + 1;
	EXPECT_EQ(2, kmsgq_send_batch(self->q, m, 4, 0, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ(2, lost(self->q));
	m[2].len = sizeof(tags[2]);
	EXPECT_EQ(2, kmsgq_send_batch(self->q, m + 2, 2, 0, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ(4, lost(self->q));
	for (i = 4; i < OVF_DEPTH; i++)
		EXPECT_EQ((int)i, recv_tag(self->q, NULL));
	for (i = 0; i < 4; i++)
		EXPECT_EQ((int)tags[i], recv_tag(self->q, NULL));
}

TEST_F(ovf, policy_flags_are_checked_and_fixed_at_creation)
{
	struct kmsgq_open op = { .size = sizeof(op), .mode = 0600 };
	struct kmsgq_attr attr = { .qflags = KMSGQ_OPEN_OVERFLOW_DROP };
	struct kmsgq_info info;
	int dev, fd;

	ASSERT_EQ(0, kmsgq_info(-1, &info));
	EXPECT_TRUE(info.features & KMSGQ_FEAT_OVERFLOW);
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_FAIL));
	strcpy(op.name, self->name);

	dev = open(KMSGQ_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, dev);
	/* Both policies, or one without CREATE: EINVAL. */
	op.flags = KMSGQ_OPEN_CREATE | KMSGQ_OPEN_OVERFLOW_FAIL |
		   KMSGQ_OPEN_OVERFLOW_DROP;
	EXPECT_EQ(-EINVAL, xioctl(dev, KMSGQ_IOC_OPEN, &op));
	op.flags = KMSGQ_OPEN_OVERFLOW_DROP;
	EXPECT_EQ(-EINVAL, xioctl(dev, KMSGQ_IOC_OPEN, &op));
	op.flags = KMSGQ_OPEN_OVERFLOW_FAIL;
	EXPECT_EQ(-EINVAL, xioctl(dev, KMSGQ_IOC_OPEN, &op));
	close(dev);

	/* Opening it again asking for another policy changes nothing. */
	fd = kmsgq_open(self->name, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, fd);
	EXPECT_EQ((variant->ring ? KMSGQ_OPEN_RING : 0) |
		  KMSGQ_OPEN_OVERFLOW_FAIL, qflags(fd));
	close(fd);
}

/* In a child (child_int()): the policy @name has once opened asking DROP. */
static int ovf_open_drop_qflags(const char *name)
{
	struct kmsgq_attr attr = { .qflags = KMSGQ_OPEN_OVERFLOW_DROP };
	int fd = kmsgq_open(name, O_RDWR | O_CREAT, 0600, &attr);

	return fd < 0 ? fd : (int)qflags(fd);
}

static int ovf_nobody_qflags(const void *name)
{
	int ret = become(NOBODY, NOBODY);

	return ret ?: ovf_open_drop_qflags(name);
}

static int ovf_other_ns_qflags(const void *name)
{
	return unshare(CLONE_NEWIPC) ? -errno : ovf_open_drop_qflags(name);
}

TEST_F(ovf, nobody_else_chooses_the_policy)
{
	__u32 ring = variant->ring ? KMSGQ_OPEN_RING : 0;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_FAIL));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0666));
	/* Another user opens it as it is. */
	EXPECT_EQ((int)(ring | KMSGQ_OPEN_OVERFLOW_FAIL),
		  child_int(ovf_nobody_qflags, self->name));
	/* Another IPC namespace creates its own queue of that name. */
	EXPECT_EQ(KMSGQ_OPEN_OVERFLOW_DROP,
		  child_int(ovf_other_ns_qflags, self->name));
	EXPECT_EQ(ring | KMSGQ_OPEN_OVERFLOW_FAIL, qflags(self->q));
}

struct ovf_mpmc {
	int fd;
	bool drop;
	unsigned int per_sender;
	atomic_uint senders_left;
	atomic_uint sent, received, order_errors;
};

struct ovf_sender {
	struct ovf_mpmc *m;
	unsigned int id;
};

static void *ovf_send_loop(void *arg)
{
	struct ovf_sender *s = arg;
	struct ovf_mpmc *m = s->m;
	unsigned int i, tag;

	for (i = 0; i < m->per_sender; i++) {
		tag = s->id << 24 | i;
		if (!kmsgq_send(m->fd, &tag, sizeof(tag), 0))
			atomic_fetch_add(&m->sent, 1);
		else if (m->drop)
			break;	/* a drop queue never refuses */
	}
	atomic_fetch_sub(&m->senders_left, 1);
	return NULL;
}

/* Per sender, the sequence numbers one receiver sees only grow. */
static void *ovf_recv_loop(void *arg)
{
	struct ovf_mpmc *m = arg;
	int last[4] = { -1, -1, -1, -1 };
	unsigned int tag;
	ssize_t n;

	for (;;) {
		bool done = !atomic_load(&m->senders_left);

		n = kmsgq_receive_batch(m->fd,
			&(struct kmsgq_msg){ .buf = (uintptr_t)&tag,
					     .len = sizeof(tag) },
			1, KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL);
		if (n == -EAGAIN) {
			/* A ring may say EAGAIN while busy: look at it. */
			if (done && !queued(m->fd))
				break;
			sched_yield();
			continue;
		}
		if (n != 1 || tag >> 24 >= 4) {
			atomic_fetch_add(&m->order_errors, 1);
			continue;
		}
		if ((int)(tag & 0xffffff) <= last[tag >> 24])
			atomic_fetch_add(&m->order_errors, 1);
		last[tag >> 24] = tag & 0xffffff;
		atomic_fetch_add(&m->received, 1);
	}
	return NULL;
}

/* Four senders, two receivers: sent = received + lost, nothing reordered. */
static void ovf_mpmc_run(struct __test_metadata *_metadata, int fd,
			 bool drop)
{
	struct ovf_mpmc m = { .fd = fd, .drop = drop, .per_sender = 5000,
			      .senders_left = 4 };
	struct ovf_sender s[4];
	pthread_t st[4], rt[2];
	struct kmsgq_stats stats;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		s[i] = (struct ovf_sender){ .m = &m, .id = i };
		ASSERT_EQ(0, pthread_create(&st[i], NULL, ovf_send_loop, &s[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, ovf_recv_loop, &m));
	for (i = 0; i < 4; i++)
		pthread_join(st[i], NULL);
	for (i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);

	ASSERT_EQ(0, kmsgq_stats(fd, &stats));
	TH_LOG("sent %u, received %u, lost %llu", atomic_load(&m.sent),
	       atomic_load(&m.received), (unsigned long long)stats.msgs_lost);
	EXPECT_EQ(0, m.order_errors);
	EXPECT_EQ(0, stats.cur_msgs);
	EXPECT_EQ(m.sent, stats.msgs_sent);
	EXPECT_EQ(m.received, stats.msgs_recv);
	EXPECT_EQ(m.sent, m.received + stats.msgs_lost);
	if (drop) {
		EXPECT_EQ(4 * m.per_sender, m.sent);
	} else {
		EXPECT_EQ(0, stats.msgs_lost);
	}
}

TEST_F(ovf, drop_accounts_exactly_under_many_senders_and_receivers)
{
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	ovf_mpmc_run(_metadata, self->q, true);
}

TEST_F(ovf, fail_accounts_exactly_under_many_senders_and_receivers)
{
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_FAIL));
	ovf_mpmc_run(_metadata, self->q, false);
}

/*
 * An in-place consumer has read the oldest slot and not released it: the
 * next producer needs exactly that slot, so a dropping sender must wait
 * for it, not discard every message behind it.
 */
TEST_F(ovf, drop_waits_for_a_slot_an_in_place_consumer_holds)
{
	struct kmsgq_ring r;
	struct timespec dl;
	unsigned int i;
	uint32_t pos;

	if (!variant->ring)
		SKIP(return, "copy queues have no in-place consumers");
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	ASSERT_EQ(0, kmsgq_ring_map(self->q, &r));
	for (i = 0; i < OVF_DEPTH; i++)
		ASSERT_EQ(0, send_tag(self->q, i, 0));
	ASSERT_EQ(1, kmsgq_ring_claim(&r, 1, &pos));

	dl = deadline_in(CLOCK_MONOTONIC, 50 * NSEC_PER_MSEC);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q, &i, sizeof(i), 0,
					      CLOCK_MONOTONIC, &dl));
	EXPECT_EQ(0, lost(self->q));
	/* The held slot is no longer between the positions. */
	EXPECT_EQ(OVF_DEPTH - 1, queued(self->q));

	/* Released: the send goes through without dropping anything. */
	kmsgq_ring_release(&r, pos, 1);
	ASSERT_EQ(0, kmsgq_ring_release_done(&r));
	EXPECT_EQ(0, send_tag(self->q, 100, 0));
	EXPECT_EQ(0, lost(self->q));
	/* Full again, nobody holding: now the oldest goes. */
	EXPECT_EQ(0, send_tag(self->q, 101, 0));
	EXPECT_EQ(1, lost(self->q));
	EXPECT_EQ(2, recv_tag(self->q, NULL));
	EXPECT_EQ(0, kmsgq_ring_unmap(&r));
}

/*
 * Whatever a mapper writes over the shared words, a dropping sender
 * returns: sent, EAGAIN, or its deadline; never a hang, and the lost
 * count never passes what was sent.
 */
TEST_F(ovf, scribbled_ring_words_cannot_hang_a_dropping_sender)
{
	struct kmsgq_stats st;
	struct kmsgq_ring r;
	uint64_t seed = 0x6f7666;
	struct timespec dl;
	unsigned int i, j;
	int ret;

	if (!variant->ring)
		SKIP(return, "copy queues have no mapping");
	ASSERT_EQ(0, ovf_create(self, variant, KMSGQ_OPEN_OVERFLOW_DROP));
	ASSERT_EQ(0, kmsgq_ring_map(self->q, &r));
	for (i = 0; i < 300; i++) {
		j = rnd(&seed) % r.nr_slots;
		switch (rnd(&seed) % 4) {
		case 0:
			*r.cons = rnd(&seed);
			break;
		case 1:
			*r.prod = rnd(&seed);
			break;
		case 2:
			r.desc[j].seq = rnd(&seed) % 2 ? *r.cons + j + 1 :
				       (uint32_t)rnd(&seed);
			break;
		default:
			r.desc[j].len = rnd(&seed);
			break;
		}
		dl = (struct timespec){ .tv_nsec = 2 * NSEC_PER_MSEC };
		ret = kmsgq_send_batch(self->q,
			&(struct kmsgq_msg){ .buf = (uintptr_t)&i,
					     .len = sizeof(i) },
			1, i % 2 ? KMSGQ_XFER_NONBLOCK : KMSGQ_XFER_RELATIVE,
			CLOCK_MONOTONIC, i % 2 ? NULL : &dl);
		EXPECT_TRUE(ret == 1 || ret == -EAGAIN || ret == -ETIMEDOUT)
			TH_LOG("send %u: %d", i, ret);
	}
	ASSERT_EQ(0, kmsgq_stats(self->q, &st));
	TH_LOG("sent %llu, lost %llu", (unsigned long long)st.msgs_sent,
	       (unsigned long long)st.msgs_lost);
	EXPECT_EQ(0, kmsgq_ring_unmap(&r));
}

TEST_HARNESS_MAIN
