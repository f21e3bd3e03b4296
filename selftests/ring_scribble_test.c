// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the defence of the kernel and of the <kmsgq.h> helpers
 * against a process that writes nonsense into its ring mapping: lengths
 * beyond the slot, positions and slot sequences no honest peer leaves, a
 * scribbled wakeup word.  Many scribblers at once, alongside honest users
 * and the MPMC stress, live in ring_stress_test.c.
 *
 * What every ring test shares, and the rules its helper processes keep:
 * ring_test.h.
 */
#include "ring_test.h"

/* Seconds a library call may take on a scribbled ring before it "spins". */
#define SPIN_LIMIT_S		5

/* ==== scribble: a process that writes nonsense into its mapping ==== */

FIXTURE(scribble) {
	struct rctx q;
};

FIXTURE_SETUP(scribble)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(scribble)
{
	rctx_teardown(&self->q);
}

TEST_F(scribble, slot_with_length_beyond_slot_size_is_skipped_by_read)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[2 * RING_MSGSIZE];
	uint32_t pos, len;

	ASSERT_EQ(2, kmsgq_ring_reserve(r, 2, &pos));
	memcpy(kmsgq_ring_slot(r, pos), "bad", 3);
	kmsgq_ring_commit(r, pos, r->slot_size + 1);
	memcpy(kmsgq_ring_slot(r, pos + 1), "good", 4);
	kmsgq_ring_commit(r, pos + 1, 4);
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
	/* In place the library declines the bad slot ... */
	ASSERT_EQ(1, kmsgq_ring_claim(r, 1, &pos));
	EXPECT_EQ(NULL, kmsgq_ring_msg(r, pos, &len));
	/* ... put it back for the kernel to meet. */
	__atomic_store_n(r->cons, pos, __ATOMIC_RELAXED);
	EXPECT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(scribble, length_of_huge_value_is_declined_by_ring_msg)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, len = 7;

	ASSERT_EQ(1, kmsgq_ring_reserve(r, 1, &pos));
	kmsgq_ring_commit(r, pos, UINT32_MAX);
	ASSERT_EQ(1, kmsgq_ring_claim(r, 1, &pos));
	EXPECT_EQ(NULL, kmsgq_ring_msg(r, pos, &len));
	EXPECT_EQ(7, len);
	kmsgq_ring_release(r, pos, 1);
}

TEST_F(scribble, cur_msgs_stays_within_depth_whatever_the_positions_say)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_attr attr;

	__atomic_store_n(r->prod, 1000000000U, __ATOMIC_RELAXED);
	EXPECT_GE(RING_DEPTH, stats(self->q.fd).cur_msgs);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_GE(RING_DEPTH, attr.cur_msgs);
	__atomic_store_n(r->cons, 2000000000U, __ATOMIC_RELAXED);
	EXPECT_GE(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(scribble, kernel_send_gives_up_on_a_slot_that_never_frees)
{
	struct kmsgq_ring *r = &self->q.r;
	struct timespec dl;

	/* The producer slot claims to be "ahead", yet prod never moves. */
	__atomic_store_n(&r->desc[0].seq, 5, __ATOMIC_RELEASE);
	EXPECT_EQ(-EAGAIN, kmsgq_send_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)"x", .len = 1 }, 1, KMSGQ_XFER_NONBLOCK,
		CLOCK_MONOTONIC, NULL));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q.fd, "x", 1, 0,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(scribble, kernel_receive_gives_up_on_a_slot_that_never_fills)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[RING_MSGSIZE];
	struct timespec dl;

	/* The consumer slot claims to be "ahead", yet cons never moves. */
	__atomic_store_n(&r->desc[0].seq, 7, __ATOMIC_RELEASE);
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedreceive(self->q.fd, buf, sizeof(buf),
						 NULL, CLOCK_MONOTONIC, &dl));
}

TEST_F(scribble, kernel_receive_skips_every_slot_without_a_message)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[RING_MSGSIZE];
	uint32_t pos, i;

	ASSERT_EQ(RING_DEPTH, kmsgq_ring_reserve(r, RING_DEPTH, &pos));
	for (i = 0; i < RING_DEPTH; i++)
		kmsgq_ring_commit(r, pos + i, UINT32_MAX - i);
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	/* Skipping released them: the ring takes a whole lap again. */
	EXPECT_EQ(RING_DEPTH, fill_ring(r, 0));
	EXPECT_EQ(0, get_seq(r));
}

TEST_F(scribble, scribbled_wakeup_word_costs_only_a_spare_wake)
{
	struct kmsgq_ring *r = &self->q.r;
	char buf[8];

	__atomic_store_n(r->wakeup, UINT32_MAX, __ATOMIC_RELAXED);
	EXPECT_EQ(0, put_seq(r, 1));
	EXPECT_EQ(1, get_seq(r));
	EXPECT_EQ(0, kmsgq_send(self->q.fd, "x", 1, 0));
	EXPECT_EQ(1, get_in_place(r, buf, sizeof(buf)));
}

/*
 * In a child with an alarm: run @fn on a ring no honest peer could leave
 * in this state.  The test fails if the call never returns.
 */
static int child_bounded(struct rctx *q, unsigned int (*fn)(struct kmsgq_ring *))
{
	int status;
	pid_t pid;

	pid = kids_fork(&q->kids);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(SPIN_LIMIT_S);
		_exit(fn(&q->r) ? 1 : 0);
	}
	status = kids_reap(&q->kids, pid);
	return status;
}

static unsigned int reserve_one(struct kmsgq_ring *r)
{
	uint32_t pos;

	return kmsgq_ring_reserve(r, 1, &pos);
}

static unsigned int peek_one(struct kmsgq_ring *r)
{
	uint32_t pos;

	return kmsgq_ring_claim(r, 1, &pos);
}

TEST_F(scribble, reserve_returns_on_a_slot_that_never_frees)
{
	int status;

	__atomic_store_n(&self->q.r.desc[0].seq, 5, __ATOMIC_RELEASE);
	status = child_bounded(&self->q, reserve_one);
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("kmsgq_ring_reserve() spun for %d s on a ring whose producer slot is ahead of prod (status %#x)",
		       SPIN_LIMIT_S, status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(scribble, claim_returns_on_a_slot_that_never_fills)
{
	int status;

	__atomic_store_n(&self->q.r.desc[0].seq, 7, __ATOMIC_RELEASE);
	status = child_bounded(&self->q, peek_one);
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("kmsgq_ring_claim() spun for %d s on a ring whose consumer slot is ahead of cons (status %#x)",
		       SPIN_LIMIT_S, status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
