// SPDX-License-Identifier: GPL-2.0
/*
 * Description: producing and consuming in place on a kmsgq ring queue
 * (KMSGQ_OPEN_RING) through the <kmsgq.h> inline helpers: reserve, commit,
 * peek, release and their _done calls on full and empty rings, batches,
 * slots reserved but not yet committed, what cur_msgs counts, and
 * positions wrapping around the ring and past 2^32.
 *
 * What every ring test shares, and the rules its helper processes keep:
 * ring_test.h.
 */
#include "ring_test.h"

/*
 * Make an empty, idle ring look as if @pos messages had passed through it:
 * both positions at @pos, the slot of each position p ahead of them with
 * seq == p, as the protocol leaves them.
 */
static void ring_set_positions(struct kmsgq_ring *r, uint32_t pos)
{
	uint32_t i;

	for (i = 0; i < r->nr_slots; i++)
		__atomic_store_n(desc_seq(r, pos + i), pos + i,
				 __ATOMIC_RELEASE);
	__atomic_store_n(r->prod, pos, __ATOMIC_RELEASE);
	__atomic_store_n(r->cons, pos, __ATOMIC_RELEASE);
}

/* ==== ring: an 8-slot ring mapped read-write through q.fd ==== */

FIXTURE(ring) {
	struct rctx q;
};

FIXTURE_SETUP(ring)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(ring)
{
	rctx_teardown(&self->q);
}

/* -- ring: full and empty -- */

TEST_F(ring, peek_on_fresh_ring_returns_zero)
{
	uint32_t pos;

	EXPECT_EQ(0, kmsgq_ring_claim(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_claim(&self->q.r, RING_DEPTH, &pos));
}

TEST_F(ring, peek_on_drained_ring_returns_zero)
{
	uint32_t pos;
	int i;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	for (i = 0; i < RING_DEPTH; i++) {
		ASSERT_EQ(i, get_seq(&self->q.r));
	}
	EXPECT_EQ(0, kmsgq_ring_claim(&self->q.r, 1, &pos));
}

TEST_F(ring, reserve_on_full_ring_returns_zero)
{
	uint32_t pos;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, RING_DEPTH, &pos));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, reserve_on_ring_of_uncommitted_slots_returns_zero)
{
	uint32_t pos;

	ASSERT_EQ(RING_DEPTH, kmsgq_ring_reserve(&self->q.r, RING_DEPTH,
						 &pos));
	EXPECT_EQ(0, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, uncommitted_slot_is_not_readable)
{
	uint32_t pos, pos2;
	char buf[8];

	ASSERT_EQ(1, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	EXPECT_EQ(0, kmsgq_ring_claim(&self->q.r, 1, &pos2));
	EXPECT_FALSE(ready_now(self->q.fd, POLLIN));
	EXPECT_EQ(-EAGAIN, kmsgq_receive_batch(self->q.fd, &(struct kmsgq_msg){
		.buf = (uintptr_t)buf, .len = sizeof(buf) }, 1,
		KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
}

/* -- ring: batches -- */

TEST_F(ring, reserve_more_than_nr_slots_claims_nr_slots)
{
	uint32_t pos = ~0U;

	EXPECT_EQ(RING_DEPTH, kmsgq_ring_reserve(&self->q.r, 3 * RING_DEPTH,
						 &pos));
	EXPECT_EQ(0, pos);
}

TEST_F(ring, reserve_on_partly_full_ring_claims_only_free_slots)
{
	uint32_t pos;

	ASSERT_EQ(1, kmsgq_ring_reserve(&self->q.r, 1, &pos));
	ASSERT_EQ(2, kmsgq_ring_reserve(&self->q.r, 2, &pos));
	EXPECT_EQ(1, pos);
	EXPECT_EQ(RING_DEPTH - 3, kmsgq_ring_reserve(&self->q.r, RING_DEPTH,
						     &pos));
	EXPECT_EQ(3, pos);
}

TEST_F(ring, peek_claims_only_committed_slots_and_stops_at_first_gap)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, cpos;
	__u32 i;

	ASSERT_EQ(4, kmsgq_ring_reserve(r, 4, &pos));
	for (i = 0; i < 4; i++)
		memcpy(kmsgq_ring_slot(r, pos + i), &i, sizeof(i));
	kmsgq_ring_commit(r, pos + 0, sizeof(i));
	kmsgq_ring_commit(r, pos + 2, sizeof(i));
	kmsgq_ring_commit(r, pos + 3, sizeof(i));
	EXPECT_EQ(1, kmsgq_ring_claim(r, 4, &cpos));
	EXPECT_EQ(pos, cpos);
	kmsgq_ring_release(r, cpos, 1);
	EXPECT_EQ(0, kmsgq_ring_claim(r, 4, &cpos));
	kmsgq_ring_commit(r, pos + 1, sizeof(i));
	ASSERT_EQ(3, kmsgq_ring_claim(r, 4, &cpos));
	EXPECT_EQ(pos + 1, cpos);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(0, memcmp(kmsgq_ring_slot(r, cpos + i - 1), &i,
				    sizeof(i)));
	}
	kmsgq_ring_release(r, cpos, 3);
	EXPECT_EQ(0, kmsgq_ring_release_done(r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

/* -- ring: statistics -- */

TEST_F(ring, cur_msgs_counts_claimed_and_committed_slots)
{
	struct kmsgq_attr attr;
	uint32_t pos;

	/* Claimed by a producer, not yet committed: counted. */
	ASSERT_EQ(2, kmsgq_ring_reserve(&self->q.r, 2, &pos));
	EXPECT_EQ(2, stats(self->q.fd).cur_msgs);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_EQ(2, attr.cur_msgs);
	kmsgq_ring_commit(&self->q.r, pos, 0);
	kmsgq_ring_commit(&self->q.r, pos + 1, 0);
	EXPECT_EQ(2, stats(self->q.fd).cur_msgs);
	/* Claimed by a consumer: behind cons, no longer counted. */
	ASSERT_EQ(1, kmsgq_ring_claim(&self->q.r, 1, &pos));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
	kmsgq_ring_release(&self->q.r, pos, 1);
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
}

/* ==== wrap: positions around the ring and around 2^32 ==== */

#define WRAP_LAPS	100

FIXTURE(wrap) {
	struct rctx q;
};

FIXTURE_SETUP(wrap)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH, 64,
		   true);
}

FIXTURE_TEARDOWN(wrap)
{
	rctx_teardown(&self->q);
}

TEST_F(wrap, one_at_a_time_for_100_laps_keeps_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, fill;

	/* Vary how far the producer leads: 1 .. nr_slots. */
	while (recvd < WRAP_LAPS * RING_DEPTH) {
		fill = 1 + recvd % RING_DEPTH;
		while (sent - recvd < fill) {
			ASSERT_EQ(0, put_seq(r, sent++));
		}
		while (recvd < sent) {
			ASSERT_EQ(recvd++, get_seq(r));
		}
	}
	EXPECT_EQ(sent, *r->prod);
	EXPECT_EQ(recvd, *r->cons);
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

TEST_F(wrap, batches_of_every_size_for_100_laps_keep_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, i, n, want, len;
	uint32_t pos;
	const void *p;

	while (recvd < WRAP_LAPS * RING_DEPTH) {
		want = 1 + (sent / 3) % RING_DEPTH;
		n = kmsgq_ring_reserve(r, want, &pos);
		if (!n) {
			ASSERT_EQ(RING_DEPTH, sent - recvd);
		}
		for (i = 0; i < n; i++, sent++) {
			memcpy(kmsgq_ring_slot(r, pos + i), &sent,
			       sizeof(sent));
			kmsgq_ring_commit(r, pos + i, sizeof(sent));
		}
		ASSERT_EQ(0, kmsgq_ring_commit_done(r));

		want = 1 + (recvd / 5) % RING_DEPTH;
		n = kmsgq_ring_claim(r, want, &pos);
		if (!n) {
			ASSERT_EQ(sent, recvd);
		}
		for (i = 0; i < n; i++, recvd++) {
			p = kmsgq_ring_msg(r, pos + i, &len);
			ASSERT_NE(NULL, p);
			ASSERT_EQ(sizeof(recvd), len);
			ASSERT_EQ(0, memcmp(p, &recvd, sizeof(recvd)))
				TH_LOG("message %u", recvd);
		}
		kmsgq_ring_release(r, pos, n);
		ASSERT_EQ(0, kmsgq_ring_release_done(r));
	}
	while ((n = kmsgq_ring_claim(r, RING_DEPTH, &pos)) != 0) {
		recvd += n;
		kmsgq_ring_release(r, pos, n);
	}
	EXPECT_EQ(sent, recvd);
}

TEST_F(wrap, copy_and_in_place_mixed_for_100_laps_keep_every_sequence)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 sent = 0, recvd = 0, got;
	long long ret;

	while (recvd < WRAP_LAPS * RING_DEPTH) {
		while (sent - recvd < RING_DEPTH - (sent % 3)) {
			if (sent % 2) {
				ASSERT_EQ(0, kmsgq_send(self->q.fd, &sent,
							sizeof(sent), 0));
			} else {
				ASSERT_EQ(0, put_seq(r, sent));
			}
			sent++;
		}
		while (recvd < sent) {
			if (recvd % 3) {
				ret = get_seq(r);
			} else {
				ret = read(self->q.fd, &got, sizeof(got));
				ret = ret == sizeof(got) ? (long long)got : -1;
			}
			ASSERT_EQ(recvd, ret);
			recvd++;
		}
	}
	EXPECT_EQ(sent / 2, stats(self->q.fd).msgs_sent);
}

TEST_F(wrap, positions_wrap_past_2_to_the_32)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 start = 0U - 4, sent, recvd, got;
	long long ret;

	ring_set_positions(r, start);
	sent = recvd = start;
	/* Six in flight across the wrap point, then four laps. */
	while (sent != start + 6) {
		ASSERT_EQ(0, put_seq(r, sent++));
	}
	EXPECT_EQ(2, *r->prod);
	EXPECT_EQ(6, stats(self->q.fd).cur_msgs);
	EXPECT_TRUE(ready_now(self->q.fd, POLLIN | POLLOUT));
	while (recvd != start + 4 * RING_DEPTH) {
		while (sent - recvd < RING_DEPTH) {
			if (sent % 2) {
				ASSERT_EQ(0, kmsgq_send(self->q.fd, &sent,
							sizeof(sent), 0));
			} else {
				ASSERT_EQ(0, put_seq(r, sent));
			}
			sent++;
		}
		EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs)
			TH_LOG("prod %#x cons %#x", *r->prod, *r->cons);
		EXPECT_FALSE(ready_now(self->q.fd, POLLOUT));
		if (recvd % 2) {
			ret = get_seq(r);
		} else {
			ret = read(self->q.fd, &got, sizeof(got));
			ret = ret == sizeof(got) ? (long long)got : -1;
		}
		ASSERT_EQ(recvd, ret) TH_LOG("prod %#x cons %#x", *r->prod,
					     *r->cons);
		recvd++;
	}
	EXPECT_EQ(start + 4 * RING_DEPTH, *r->cons);
	EXPECT_GT(start, *r->cons);	/* it did wrap */
}

TEST_HARNESS_MAIN
