// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the ring queue's shared ring (ring.c): shape checks, the
 * claim/publish/claim/release protocol, its full and empty boundaries,
 * positions wrapping at 2^32, and hostile values in the shared words, which
 * any mapper may write.  Part of kmsgq_kunit.ko.
 */
#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/mm.h>
#include <linux/prandom.h>

#include "../internal.h"
#include "kunit_shape.h"

KUNIT_DEFINE_ACTION_WRAPPER(kmsgq_ring_destroy_action, kmsgq_ring_destroy,
			    struct kmsgq_ring *);

/* An empty ring of @nr_slots slots of @slot_size bytes, freed at the end. */
static struct kmsgq_ring *kmsgq_test_ring(struct kunit *test, u32 nr_slots,
					  u32 slot_size)
{
	struct kmsgq_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_init(r, nr_slots, slot_size, false), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							kmsgq_ring_destroy_action,
							r), 0);
	return r;
}

/* A reclaiming ring of 8 slots of 64 bytes, freed at the end. */
static struct kmsgq_ring *kmsgq_test_rring(struct kunit *test)
{
	struct kmsgq_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_init(r, 8, 64, true), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							kmsgq_ring_destroy_action,
							r), 0);
	return r;
}

/* What an in-place claimant writes: {seq, owner} of slot @pos. */
static void kmsgq_test_rclaim(struct kmsgq_ring *r, u32 pos, u32 seq,
			      u32 owner)
{
	r->rdesc[pos & r->mask].seq = seq;
	r->rdesc[pos & r->mask].owner = owner;
}

/* Produce one message tagged @tag, @len bytes long; return its position. */
static u32 kmsgq_test_produce(struct kunit *test, struct kmsgq_ring *r,
			      u32 tag, u32 len)
{
	u32 pos;

	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos), 0);
	memcpy(kmsgq_ring_payload(r, pos), &tag, sizeof(tag));
	kmsgq_ring_publish(r, pos, len);
	return pos;
}

/*
 * Claim the next committed slot as kmsgq_ring_recv() does, without the copy
 * between: kmsgq_ring_peek_cons(), then kmsgq_ring_claim_at(), retried on a
 * lost claim.  Return: 0, -EAGAIN (empty or busy) or -EMSGSIZE.
 */
static int kmsgq_test_claim_cons(struct kmsgq_ring *r, u32 maxlen, u32 *pos,
				 u32 *len)
{
	bool freed = false;
	int tries, err;

	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		err = kmsgq_ring_peek_cons(r, maxlen, pos, len, &freed);
		if (err)
			return err;
		if (kmsgq_ring_claim_at(r, *pos))
			return 0;
	}
	return -EAGAIN;
}

/* Consume one message, check its length is @len, return its tag. */
static u32 kmsgq_test_consume(struct kunit *test, struct kmsgq_ring *r,
			      u32 len)
{
	u32 pos, l, tag;

	KUNIT_ASSERT_EQ(test, kmsgq_test_claim_cons(r, r->slot_size, &pos, &l),
			0);
	KUNIT_EXPECT_EQ(test, l, len);
	memcpy(&tag, kmsgq_ring_payload(r, pos), sizeof(tag));
	kmsgq_ring_release(r, pos);
	return tag;
}

struct kmsgq_ring_shape_case {
	u32 nr_slots;
	u32 slot_size;
	int err;
};

static const struct kmsgq_ring_shape_case kmsgq_ring_shape_cases[] = {
	{ 0, 64, -EINVAL },
	{ 3, 64, -EINVAL },
	{ 6, 64, -EINVAL },
	{ 100, 64, -EINVAL },
	{ 0x80000001, 64, -EINVAL },
	{ U32_MAX, 64, -EINVAL },
	/*
	 * A power of two, but too few: in Vyukov's protocol a full slot's
	 * seq (pos + 1) would read as free to the producer at pos + 1.
	 */
	{ 1, 64, -EINVAL },
	/* Powers of two, but the mapping would not fit in 4 GiB. */
	{ 1U << 31, 64, -EINVAL },
	{ 1U << 16, 1U << 20, -EINVAL },
	{ 2, 64, 0 },
	{ 1024, 64, 0 },
	{ 1U << 16, 64, 0 },
};

static void kmsgq_ring_shape_desc(const struct kmsgq_ring_shape_case *c,
				  char *desc)
{
	kmsgq_kunit_shape_desc(c->nr_slots, c->slot_size, desc);
}

KUNIT_ARRAY_PARAM(kmsgq_ring_shape, kmsgq_ring_shape_cases,
		  kmsgq_ring_shape_desc);

static void kmsgq_ring_init_checks_shape(struct kunit *test)
{
	const struct kmsgq_ring_shape_case *c = test->param_value;
	struct kmsgq_ring r;

	KUNIT_EXPECT_EQ(test, kmsgq_ring_init(&r, c->nr_slots, c->slot_size, false),
			c->err);
	if (c->err)
		KUNIT_EXPECT_NULL(test, r.vaddr);
	kmsgq_ring_destroy(&r);
}

static void kmsgq_ring_init_state(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 i;

	KUNIT_EXPECT_EQ(test, *r->prod, 0);
	KUNIT_EXPECT_EQ(test, *r->cons, 0);
	KUNIT_EXPECT_EQ(test, *r->wakeup, 0);
	for (i = 0; i < r->nr_slots; i++)
		KUNIT_EXPECT_EQ(test, r->desc[i].seq, i);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 0);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_writable(r));

	/* The layout fits the mapping. */
	KUNIT_EXPECT_EQ(test, (size_t)r->nr_pages << PAGE_SHIFT,
			kmsgq_ring_bytes(8, 64, false));
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(r->data_off));
	KUNIT_EXPECT_GE(test, r->data_off, r->desc_off + 8 * sizeof(*r->desc));
	KUNIT_EXPECT_LE(test, r->data_off + 8 * 64, r->nr_pages << PAGE_SHIFT);
}

static void kmsgq_ring_round_trip(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 pos, cpos, len;

	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos), 0);
	KUNIT_EXPECT_EQ(test, pos, 0);
	KUNIT_EXPECT_EQ(test, *r->prod, 1);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 1);
	memset(kmsgq_ring_payload(r, pos), 0xa5, 64);
	kmsgq_ring_publish(r, pos, 64);
	KUNIT_EXPECT_EQ(test, r->desc[0].seq, 1);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_readable(r));

	KUNIT_ASSERT_EQ(test, kmsgq_test_claim_cons(r, 64, &cpos, &len), 0);
	KUNIT_EXPECT_EQ(test, cpos, pos);
	KUNIT_EXPECT_EQ(test, len, 64);
	KUNIT_EXPECT_EQ(test, *r->cons, 1);
	KUNIT_EXPECT_EQ(test, ((u8 *)kmsgq_ring_payload(r, cpos))[63], 0xa5);
	kmsgq_ring_release(r, cpos);
	KUNIT_EXPECT_EQ(test, r->desc[0].seq, 8);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 0);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_writable(r));
}

static void kmsgq_ring_claimed_slot_is_not_readable(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 pos, cpos, len;

	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos), 0);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &cpos, &len),
			-EAGAIN);
	kmsgq_ring_publish(r, pos, 3);
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &cpos, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
}

static const u32 kmsgq_ring_depths[] = { 2, 4, 8, 64 };

static void kmsgq_ring_depth_desc(const u32 *depth, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u slots", *depth);
}

KUNIT_ARRAY_PARAM(kmsgq_ring_depth, kmsgq_ring_depths, kmsgq_ring_depth_desc);

static void kmsgq_ring_full_boundary(struct kunit *test)
{
	const u32 n = *(const u32 *)test->param_value;
	struct kmsgq_ring *r = kmsgq_test_ring(test, n, 64);
	u32 i, pos;

	for (i = 0; i < n; i++)
		kmsgq_test_produce(test, r, i, 4);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), n);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_writable(r));
	KUNIT_EXPECT_EQ(test, kmsgq_ring_claim_prod(r, &pos), -EAGAIN);
	KUNIT_EXPECT_EQ(test, *r->prod, n);

	/* Nothing was overwritten, and one consume makes room for one. */
	KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 4), 0);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_writable(r));
	kmsgq_test_produce(test, r, n, 4);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_claim_prod(r, &pos), -EAGAIN);
	for (i = 1; i <= n; i++)
		KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 4), i);
}

static void kmsgq_ring_empty_boundary(struct kunit *test)
{
	const u32 n = *(const u32 *)test->param_value;
	struct kmsgq_ring *r = kmsgq_test_ring(test, n, 64);
	u32 i, pos, len;

	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len),
			-EAGAIN);
	for (i = 0; i < n; i++)
		kmsgq_test_produce(test, r, i, 4);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 4), i);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, *r->cons, n);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 0);
}

/*
 * Start both positions at @start, with every descriptor as a fresh ring
 * would have it relative to @start.
 */
static void kmsgq_test_ring_rebase(struct kmsgq_ring *r, u32 start)
{
	u32 i;

	*r->prod = start;
	*r->cons = start;
	for (i = 0; i < r->nr_slots; i++)
		r->desc[(start + i) & r->mask].seq = start + i;
}

static const u32 kmsgq_ring_starts[] = {
	U32_MAX - 100, U32_MAX - 7, U32_MAX, S32_MAX - 50, S32_MAX,
};

static void kmsgq_ring_start_desc(const u32 *start, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "start %#x", *start);
}

KUNIT_ARRAY_PARAM(kmsgq_ring_start, kmsgq_ring_starts, kmsgq_ring_start_desc);

static void kmsgq_ring_positions_wrap(struct kunit *test)
{
	const u32 start = *(const u32 *)test->param_value;
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 round, i, k, pos, tag = 0, expect = 0, expect_pos = start;

	kmsgq_test_ring_rebase(r, start);
	for (round = 0; round < 1000; round++) {
		/* Fill to a different level each round, then drain. */
		k = round % r->nr_slots + 1;
		for (i = 0; i < k; i++) {
			pos = kmsgq_test_produce(test, r, tag, tag % 65);
			KUNIT_ASSERT_EQ(test, pos, expect_pos + i);
			tag++;
		}
		KUNIT_ASSERT_EQ(test, kmsgq_ring_count(r), k);
		if (k == r->nr_slots)
			KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos),
					-EAGAIN);
		for (i = 0; i < k; i++) {
			KUNIT_ASSERT_EQ(test, kmsgq_test_consume(test, r,
								 expect % 65),
					expect);
			expect++;
		}
		expect_pos += k;
		KUNIT_ASSERT_EQ(test, *r->prod, expect_pos);
		KUNIT_ASSERT_EQ(test, *r->cons, expect_pos);
		KUNIT_ASSERT_EQ(test, kmsgq_ring_count(r), 0);
	}
}

static void kmsgq_ring_emsgsize_keeps_message(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 pos, len = 0;

	kmsgq_test_produce(test, r, 42, 40);
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 39, &pos, &len),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, len, 40);
	KUNIT_EXPECT_EQ(test, *r->cons, 0);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 40), 42);
}

static void kmsgq_ring_oversized_len_is_no_message(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 pos, len;

	/* A failed producer's slot, then a real message. */
	kmsgq_test_produce(test, r, 1, 65);
	kmsgq_test_produce(test, r, 2, 7);
	KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 7), 2);
	KUNIT_EXPECT_EQ(test, r->desc[0].seq, 8);	/* released */
	KUNIT_EXPECT_EQ(test, *r->cons, 2);

	/* Only a slot without a message: skipped, nothing to receive. */
	kmsgq_test_produce(test, r, 3, U32_MAX);
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, *r->cons, 3);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 0);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_writable(r));
}

static void kmsgq_ring_peek_does_not_claim(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 4, 64);
	bool freed = false;
	u32 pos, len, again;

	kmsgq_test_produce(test, r, 1, 5);
	kmsgq_test_produce(test, r, 2, 6);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_cons(r, 64, &pos, &len, &freed),
			0);
	KUNIT_EXPECT_EQ(test, pos, 0);
	KUNIT_EXPECT_EQ(test, len, 5);
	KUNIT_EXPECT_EQ(test, *r->cons, 0);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 2);

	/* Another consumer takes it first: the peeker's claim fails. */
	KUNIT_EXPECT_EQ(test, kmsgq_test_consume(test, r, 5), 1);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_claim_at(r, pos));
	KUNIT_EXPECT_EQ(test, *r->cons, 1);

	/* Peek again, claim, and the claim holds once only. */
	KUNIT_ASSERT_EQ(test,
			kmsgq_ring_peek_cons(r, 64, &again, &len, &freed), 0);
	KUNIT_EXPECT_EQ(test, again, 1);
	KUNIT_EXPECT_EQ(test, len, 6);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_claim_at(r, again));
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_claim_at(r, again));
	kmsgq_ring_release(r, again);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_peek_cons(r, 64, &pos, &len, &freed),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_count(r), 0);
	KUNIT_EXPECT_FALSE(test, freed);
}

static void kmsgq_ring_peek_skips_slots_without_a_message(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 4, 64);
	bool freed = false;
	u32 pos, len;

	kmsgq_test_produce(test, r, 1, 65);
	kmsgq_test_produce(test, r, 2, 40);
	/* The empty slot is consumed and released; the message is not. */
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_cons(r, 8, &pos, &len, &freed),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, len, 40);
	KUNIT_EXPECT_TRUE(test, freed);
	KUNIT_EXPECT_EQ(test, *r->cons, 1);
	KUNIT_EXPECT_EQ(test, r->desc[0].seq, 4);
	freed = false;
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_cons(r, 64, &pos, &len, &freed),
			0);
	KUNIT_EXPECT_EQ(test, pos, 1);
	KUNIT_EXPECT_EQ(test, *r->cons, 1);
	KUNIT_EXPECT_FALSE(test, freed);
}

static void kmsgq_ring_peek_at_counts_messages_only(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 pos, len, claimed;

	KUNIT_EXPECT_EQ(test, kmsgq_ring_peek_at(r, 0, &pos, &len), -EAGAIN);
	kmsgq_test_produce(test, r, 1, 5);
	kmsgq_test_produce(test, r, 2, 65);	/* carries no message */
	kmsgq_test_produce(test, r, 3, 7);
	/* Claimed, not committed: receive order ends before it. */
	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &claimed), 0);
	kmsgq_test_produce(test, r, 4, 9);

	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_at(r, 0, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, pos, 0);
	KUNIT_EXPECT_EQ(test, len, 5);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_at(r, 1, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, pos, 2);
	KUNIT_EXPECT_EQ(test, len, 7);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_peek_at(r, 2, &pos, &len), -EAGAIN);
	KUNIT_EXPECT_EQ(test, *r->cons, 0);
	KUNIT_EXPECT_EQ(test, r->desc[1].seq, 2);

	kmsgq_ring_publish(r, claimed, 11);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_at(r, 2, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 11);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_at(r, 3, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 9);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_peek_at(r, U32_MAX, &pos, &len),
			-EAGAIN);
}

static void kmsgq_ring_unmoved_until_released(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 2, 64);
	u32 pos, len;

	kmsgq_test_produce(test, r, 1, 5);
	KUNIT_ASSERT_EQ(test, kmsgq_ring_peek_at(r, 0, &pos, &len), 0);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_unmoved(r, pos));
	/* Claimed by a consumer but not released: still whole. */
	KUNIT_ASSERT_TRUE(test, kmsgq_ring_claim_at(r, pos));
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_unmoved(r, pos));
	/* Released, and perhaps rewritten: the copy is void. */
	kmsgq_ring_release(r, pos);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_unmoved(r, pos));
	kmsgq_test_produce(test, r, 2, 5);
	kmsgq_test_produce(test, r, 3, 5);
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_unmoved(r, pos));
}

/*
 * Run the kernel's side of the protocol once against whatever the shared
 * words hold, and check what it may promise however hostile they are: a
 * claimed slot lies inside the payload area, a claimed message fits the
 * slot and the caller's buffer, and the count stays within the ring.
 */
static void kmsgq_test_ring_hostile_step(struct kunit *test,
					 struct kmsgq_ring *r, u32 maxlen)
{
	u8 *end = r->data + (size_t)r->nr_slots * r->slot_size;
	u32 pos, len;
	u8 *p;
	int err;

	KUNIT_ASSERT_LE(test, kmsgq_ring_count(r), r->nr_slots);
	kmsgq_ring_readable(r);
	kmsgq_ring_writable(r);

	err = kmsgq_ring_claim_prod(r, &pos);
	KUNIT_ASSERT_TRUE(test, err == 0 || err == -EAGAIN);
	if (!err) {
		p = kmsgq_ring_payload(r, pos);
		KUNIT_ASSERT_TRUE(test, p >= r->data && p + r->slot_size <= end);
		KUNIT_ASSERT_EQ(test, *r->prod, pos + 1);
		memset(p, 0x3c, r->slot_size);
		kmsgq_ring_publish(r, pos, maxlen % (r->slot_size + 2));
	}

	len = U32_MAX;
	err = kmsgq_test_claim_cons(r, maxlen, &pos, &len);
	KUNIT_ASSERT_TRUE(test, !err || err == -EAGAIN || err == -EMSGSIZE);
	if (err == -EMSGSIZE) {
		KUNIT_ASSERT_LE(test, len, r->slot_size);
		KUNIT_ASSERT_GT(test, len, maxlen);
	} else if (!err) {
		KUNIT_ASSERT_LE(test, len, r->slot_size);
		KUNIT_ASSERT_LE(test, len, maxlen);
		p = kmsgq_ring_payload(r, pos);
		KUNIT_ASSERT_TRUE(test, p >= r->data && p + len <= end);
		KUNIT_ASSERT_EQ(test, *r->cons, pos + 1);
		memset(p, 0xc3, len);
		kmsgq_ring_release(r, pos);
	}
	KUNIT_ASSERT_LE(test, kmsgq_ring_count(r), r->nr_slots);
}

/*
 * Shared words a mapper could leave behind.  Each descriptor i gets
 * seq = @seq + (@seq_step ? i : 0) and len = @len.
 */
struct kmsgq_ring_hostile_case {
	const char *desc;
	u32 prod;
	u32 cons;
	u32 seq;
	bool seq_step;
	u32 len;
};

static const struct kmsgq_ring_hostile_case kmsgq_ring_hostile_cases[] = {
	{ "all ones", U32_MAX, U32_MAX, U32_MAX, false, U32_MAX },
	{ "all zero, len 0", 0, 0, 0, false, 0 },
	{ "prod far ahead", 1000000, 0, 0, true, 64 },
	{ "cons ahead of prod", 0, 5, 0, true, 64 },
	{ "positions straddle sign", S32_MAX, (u32)S32_MIN, (u32)S32_MIN, true, 1 },
	{ "every slot ready", 0, 0, 1, true, 16 },
	{ "every slot ready, len one over", 0, 0, 1, true, 65 },
	{ "every slot ready, len huge", 0, 0, 1, true, U32_MAX },
	{ "every slot ready, len sign bit", 0, 0, 1, true, 0x80000000 },
	{ "every slot ready at cons", 0, 0, 1, false, 64 },
	{ "every slot free at prod", 7, 3, 7, false, 64 },
	{ "seq far ahead", 0, 0, 0x40000000, true, 8 },
	{ "seq far behind", 0x40000000, 0x40000000, 0, true, 8 },
	{ "seq sign bit", 0, 0, 0x80000000, true, 8 },
	{ "prod wraps, cons not", 2, U32_MAX - 2, U32_MAX - 2, true, 8 },
	{ "unaligned garbage", 0xdeadbeef, 0xcafebabe, 0x12345678, true, 0x55 },
};

KUNIT_ARRAY_PARAM_DESC(kmsgq_ring_hostile, kmsgq_ring_hostile_cases, desc);

static void kmsgq_ring_hostile_values(struct kunit *test)
{
	const struct kmsgq_ring_hostile_case *c = test->param_value;
	struct kmsgq_ring *r = kmsgq_test_ring(test, 8, 64);
	u32 i;

	*r->prod = c->prod;
	*r->cons = c->cons;
	for (i = 0; i < r->nr_slots; i++) {
		r->desc[i].seq = c->seq + (c->seq_step ? i : 0);
		r->desc[i].len = c->len;
	}
	for (i = 0; i < 4 * r->nr_slots; i++)
		kmsgq_test_ring_hostile_step(test, r, i % 2 ? 64 : i);
}

/* A word of the shared pages and a value to scribble on it. */
static u32 kmsgq_test_hostile_value(struct kmsgq_ring *r, struct rnd_state *rnd)
{
	u32 near = prandom_u32_state(rnd) % 2 ? *r->prod : *r->cons;
	u32 delta = prandom_u32_state(rnd) % (4 * r->nr_slots + 1);

	switch (prandom_u32_state(rnd) % 4) {
	case 0:
		return prandom_u32_state(rnd);
	case 1:
		return near + delta - 2 * r->nr_slots;
	case 2:
		return r->slot_size - 2 + delta % 4;
	default:
		return U32_MAX - delta;
	}
}

static void kmsgq_ring_hostile_random(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_ring(test, 16, 64);
	struct rnd_state rnd;
	u32 step, v, k;

	prandom_seed_state(&rnd, 0x72696e67);
	for (step = 0; step < 20000; step++) {
		v = kmsgq_test_hostile_value(r, &rnd);
		k = prandom_u32_state(&rnd) % r->nr_slots;
		switch (prandom_u32_state(&rnd) % 8) {
		case 0:
			*r->prod = v;
			break;
		case 1:
			*r->cons = v;
			break;
		case 2:
			r->desc[k].seq = v;
			break;
		case 3:
			r->desc[k].len = v;
			break;
		default:
			/* Leave the ring alone: let the protocol run. */
			break;
		}
		kmsgq_test_ring_hostile_step(test, r,
					     prandom_u32_state(&rnd) % 80);
	}
}

static const u32 kmsgq_ring_msgsizes[] = {
	1, 63, 64, 65, 1000, 4095, 4096, 4097,
	KMSGQ_MSGSIZE_HARD_MAX - 1, KMSGQ_MSGSIZE_HARD_MAX,
};

static void kmsgq_ring_msgsize_desc(const u32 *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "max_msgsize %u", *size);
}

KUNIT_ARRAY_PARAM(kmsgq_ring_msgsize, kmsgq_ring_msgsizes,
		  kmsgq_ring_msgsize_desc);

static void kmsgq_ring_slot_size_is_whole_cache_lines(struct kunit *test)
{
	const u32 size = *(const u32 *)test->param_value;
	u32 slot = kmsgq_ring_slot_size(size);

	KUNIT_EXPECT_EQ(test, slot % SMP_CACHE_BYTES, 0);
	KUNIT_EXPECT_GE(test, slot, size);
	KUNIT_EXPECT_LT(test, slot - size, SMP_CACHE_BYTES);
}

struct kmsgq_ring_bytes_case {
	u32 nr_slots;
	u32 slot_size;
	size_t bytes;
};

/* Header page, descriptor pages, payload pages. */
static const struct kmsgq_ring_bytes_case kmsgq_ring_bytes_cases[] = {
	{ 2, 64, 3 * PAGE_SIZE },
	{ 8, 64, 3 * PAGE_SIZE },
	{ PAGE_SIZE / 8, 64, 2 * PAGE_SIZE + 64 * PAGE_SIZE / 8 },
	{ PAGE_SIZE / 8 + 1, 64,
	  3 * PAGE_SIZE + PAGE_ALIGN(64 * (PAGE_SIZE / 8 + 1)) },
	{ KMSGQ_MSGS_HARD_MAX, KMSGQ_MSGSIZE_HARD_MAX,
	  PAGE_SIZE + PAGE_ALIGN(KMSGQ_MSGS_HARD_MAX * 8) +
	  (size_t)KMSGQ_MSGS_HARD_MAX * KMSGQ_MSGSIZE_HARD_MAX },
	{ U32_MAX, U32_MAX, SIZE_MAX },
	/* Absurd, yet representable: kmsgq_ring_init() rejects it. */
	{ 1U << 31, U32_MAX,
	  PAGE_SIZE + (8UL << 31) + ((size_t)U32_MAX << 31) },
};

static void kmsgq_ring_bytes_desc(const struct kmsgq_ring_bytes_case *c,
				  char *desc)
{
	kmsgq_kunit_shape_desc(c->nr_slots, c->slot_size, desc);
}

KUNIT_ARRAY_PARAM(kmsgq_ring_bytes, kmsgq_ring_bytes_cases,
		  kmsgq_ring_bytes_desc);

static void kmsgq_ring_bytes_saturates(struct kunit *test)
{
	const struct kmsgq_ring_bytes_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, kmsgq_ring_bytes(c->nr_slots, c->slot_size, false),
			c->bytes);
}

/* A dead producer's slot is published empty; another owner's stays. */
static void kmsgq_ring_reclaim_publishes_a_dead_producers_slot(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_rring(test);
	u32 events = 0;
	u32 pos, len;

	KUNIT_EXPECT_EQ(test, kmsgq_test_produce(test, r, 0xa, 4), 0);
	kmsgq_test_rclaim(r, 1, 1, 5);		/* owner 5 reserved 1 */
	kmsgq_test_rclaim(r, 2, 2, 6);		/* owner 6 reserved 2 */
	*r->prod = 3;
	KUNIT_EXPECT_EQ(test, kmsgq_ring_reclaim(r, 5, &events), 0);
	KUNIT_EXPECT_EQ(test, events, KMSGQ_RING_READABLE);
	KUNIT_EXPECT_EQ(test, r->rdesc[1].seq, 2);
	KUNIT_EXPECT_EQ(test, r->rdesc[1].owner, 0);
	KUNIT_EXPECT_EQ(test, r->rdesc[1].len, KMSGQ_RING_LEN_NONE);
	KUNIT_EXPECT_EQ(test, r->rdesc[2].seq, 2);
	KUNIT_EXPECT_EQ(test, r->rdesc[2].owner, 6);

	KUNIT_ASSERT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, pos, 0);
	kmsgq_ring_release(r, pos);
	/* The empty slot is passed over; owner 6's is not committed yet. */
	KUNIT_EXPECT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, *r->cons, 2);
}

/* A dead consumer's slot is released, counted, and cons moved past it. */
static void kmsgq_ring_reclaim_releases_a_dead_consumers_slot(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_rring(test);
	u32 events = 0;
	u32 pos, len;

	kmsgq_test_produce(test, r, 0xa, 4);
	kmsgq_test_produce(test, r, 0xb, 4);
	/* Owner 7 claimed position 0 and died before moving cons. */
	kmsgq_test_rclaim(r, 0, 1, 7);
	KUNIT_EXPECT_EQ(test, kmsgq_ring_reclaim(r, 7, &events), 1);
	KUNIT_EXPECT_EQ(test, events, KMSGQ_RING_WRITABLE);
	KUNIT_EXPECT_EQ(test, r->rdesc[0].seq, 8);
	KUNIT_EXPECT_EQ(test, r->rdesc[0].owner, 0);
	KUNIT_EXPECT_EQ(test, *r->cons, 1);
	KUNIT_ASSERT_EQ(test, kmsgq_test_claim_cons(r, 64, &pos, &len), 0);
	KUNIT_EXPECT_EQ(test, pos, 1);
	KUNIT_EXPECT_EQ(test, *(u32 *)kmsgq_ring_payload(r, pos), 0xb);
}

/* A claim the position trails is passed by the kernel's own producer. */
static void kmsgq_ring_reclaim_claims_help_positions_on(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_rring(test);
	u32 events = 0;
	u32 pos;

	kmsgq_test_rclaim(r, 0, 0, 5);		/* prod left at 0 */
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_writable(r));
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos), 0);
	KUNIT_EXPECT_EQ(test, pos, 1);
	KUNIT_EXPECT_EQ(test, *r->prod, 2);
	KUNIT_EXPECT_EQ(test, r->rdesc[1].owner, KMSGQ_RING_OWNER_KERNEL);
	kmsgq_ring_publish(r, pos, 4);
	/* Position 0 holds the message behind it until its owner is gone. */
	KUNIT_EXPECT_FALSE(test, kmsgq_ring_readable(r));
	KUNIT_EXPECT_EQ(test, kmsgq_ring_reclaim(r, 5, &events), 0);
	KUNIT_EXPECT_TRUE(test, kmsgq_ring_readable(r));
}

/* The kernel's claims, free slots and other owners are never touched. */
static void kmsgq_ring_reclaim_touches_only_its_owner(struct kunit *test)
{
	struct kmsgq_ring *r = kmsgq_test_rring(test);
	u32 events = 0;
	u32 pos;

	KUNIT_ASSERT_EQ(test, kmsgq_ring_claim_prod(r, &pos), 0);
	kmsgq_test_rclaim(r, 1, 1, 9);
	*r->prod = 2;
	KUNIT_EXPECT_EQ(test, kmsgq_ring_reclaim(r, 5, &events), 0);
	KUNIT_EXPECT_EQ(test, events, 0);
	KUNIT_EXPECT_EQ(test, r->rdesc[0].owner, KMSGQ_RING_OWNER_KERNEL);
	KUNIT_EXPECT_EQ(test, r->rdesc[1].owner, 9);
	KUNIT_EXPECT_EQ(test, r->rdesc[2].seq, 2);
	KUNIT_EXPECT_EQ(test, r->rdesc[2].owner, 0);
}

static struct kunit_case kmsgq_ring_cases[] = {
	KUNIT_CASE_PARAM(kmsgq_ring_init_checks_shape,
			 kmsgq_ring_shape_gen_params),
	KUNIT_CASE(kmsgq_ring_init_state),
	KUNIT_CASE(kmsgq_ring_round_trip),
	KUNIT_CASE(kmsgq_ring_claimed_slot_is_not_readable),
	KUNIT_CASE_PARAM(kmsgq_ring_full_boundary, kmsgq_ring_depth_gen_params),
	KUNIT_CASE_PARAM(kmsgq_ring_empty_boundary,
			 kmsgq_ring_depth_gen_params),
	KUNIT_CASE_PARAM(kmsgq_ring_positions_wrap,
			 kmsgq_ring_start_gen_params),
	KUNIT_CASE(kmsgq_ring_emsgsize_keeps_message),
	KUNIT_CASE(kmsgq_ring_oversized_len_is_no_message),
	KUNIT_CASE(kmsgq_ring_peek_does_not_claim),
	KUNIT_CASE(kmsgq_ring_peek_skips_slots_without_a_message),
	KUNIT_CASE(kmsgq_ring_peek_at_counts_messages_only),
	KUNIT_CASE(kmsgq_ring_unmoved_until_released),
	KUNIT_CASE_PARAM(kmsgq_ring_hostile_values,
			 kmsgq_ring_hostile_gen_params),
	KUNIT_CASE(kmsgq_ring_hostile_random),
	KUNIT_CASE(kmsgq_ring_reclaim_publishes_a_dead_producers_slot),
	KUNIT_CASE(kmsgq_ring_reclaim_releases_a_dead_consumers_slot),
	KUNIT_CASE(kmsgq_ring_reclaim_claims_help_positions_on),
	KUNIT_CASE(kmsgq_ring_reclaim_touches_only_its_owner),
	KUNIT_CASE_PARAM(kmsgq_ring_slot_size_is_whole_cache_lines,
			 kmsgq_ring_msgsize_gen_params),
	KUNIT_CASE_PARAM(kmsgq_ring_bytes_saturates,
			 kmsgq_ring_bytes_gen_params),
	{}
};

static struct kunit_suite kmsgq_ring_suite = {
	.name = "kmsgq_ring",
	.test_cases = kmsgq_ring_cases,
};

kunit_test_suite(kmsgq_ring_suite);
