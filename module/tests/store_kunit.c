// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the copy queue's message store (store.c): slot accounting,
 * priority order across all KMSGQ_PRIO_MAX priorities, FIFO order within a
 * priority, kmsgq_store_push_head(), the pool of FIFO heads and the size
 * computation.  Part of kmsgq_kunit.ko.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/prandom.h>

#include "../internal.h"
#include "kunit_shape.h"

KUNIT_DEFINE_ACTION_WRAPPER(kmsgq_store_destroy_action, kmsgq_store_destroy,
			    struct kmsgq_store *);

/* An empty store of @nr_slots slots of @slot_size bytes, freed at the end. */
static struct kmsgq_store *kmsgq_test_store(struct kunit *test, u32 nr_slots,
					    u32 slot_size)
{
	struct kmsgq_store *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, kmsgq_store_init(s, nr_slots, slot_size), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							kmsgq_store_destroy_action,
							s), 0);
	return s;
}

/* Take a free slot, tag its payload with @tag and queue it. */
static u32 kmsgq_test_send(struct kunit *test, struct kmsgq_store *s, u32 tag,
			   u32 prio)
{
	u32 slot = kmsgq_store_get(s);

	KUNIT_ASSERT_NE(test, slot, KMSGQ_SLOT_NONE);
	memcpy(kmsgq_store_payload(s, slot), &tag, sizeof(tag));
	kmsgq_store_push(s, slot, sizeof(tag), prio);
	return slot;
}

/* Pop a message, check its priority, return its tag; the slot is freed. */
static u32 kmsgq_test_recv(struct kunit *test, struct kmsgq_store *s, u32 prio)
{
	u32 slot = kmsgq_store_pop(s);
	u32 tag;

	KUNIT_ASSERT_NE(test, slot, KMSGQ_SLOT_NONE);
	KUNIT_ASSERT_LT(test, slot, s->nr_slots);
	KUNIT_EXPECT_EQ(test, s->prio[slot], prio);
	KUNIT_EXPECT_EQ(test, s->len[slot], sizeof(tag));
	memcpy(&tag, kmsgq_store_payload(s, slot), sizeof(tag));
	kmsgq_store_put(s, slot);
	return tag;
}

static void kmsgq_store_empty_has_no_message(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 4, 16);

	KUNIT_EXPECT_EQ(test, kmsgq_store_peek(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, s->count, 0);
	KUNIT_EXPECT_EQ(test, s->nr_free, 4);

	kmsgq_test_send(test, s, 1, 3);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 3), 1);
	KUNIT_EXPECT_EQ(test, kmsgq_store_peek(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&s->prios.rb_root));
}

static void kmsgq_store_get_until_none(struct kunit *test)
{
	const u32 n = 64;
	struct kmsgq_store *s = kmsgq_test_store(test, n, 8);
	DECLARE_BITMAP(taken, 64) = {};
	u32 i, slot;

	for (i = 0; i < n; i++) {
		slot = kmsgq_store_get(s);
		KUNIT_ASSERT_LT(test, slot, n);
		KUNIT_EXPECT_FALSE(test, __test_and_set_bit(slot, taken));
		KUNIT_EXPECT_EQ(test, s->nr_free, n - 1 - i);
	}
	KUNIT_EXPECT_EQ(test, kmsgq_store_get(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, s->nr_free, 0);

	for (i = 0; i < n; i++)
		kmsgq_store_put(s, i);
	KUNIT_EXPECT_EQ(test, s->nr_free, n);
	KUNIT_EXPECT_LT(test, kmsgq_store_get(s), n);
}

static void kmsgq_store_depth_one(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 1, 1);
	u32 slot = kmsgq_store_get(s);

	KUNIT_ASSERT_EQ(test, slot, 0);
	KUNIT_EXPECT_EQ(test, kmsgq_store_get(s), KMSGQ_SLOT_NONE);
	*(u8 *)kmsgq_store_payload(s, slot) = 0x5a;
	kmsgq_store_push(s, slot, 1, KMSGQ_PRIO_MAX - 1);
	KUNIT_EXPECT_EQ(test, kmsgq_store_peek(s), 0);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), 0);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, *(u8 *)kmsgq_store_payload(s, slot), 0x5a);
	kmsgq_store_put(s, slot);
	KUNIT_EXPECT_EQ(test, s->nr_free, 1);
	KUNIT_EXPECT_EQ(test, kmsgq_store_get(s), 0);
}

#define KMSGQ_TEST_ROUNDS	3

/*
 * Queue KMSGQ_TEST_ROUNDS messages of every priority, the priorities visited
 * in a scrambled order each round; message (prio, round) is tagged
 * prio * KMSGQ_TEST_ROUNDS + round.  Every FIFO head of the pool is in use
 * then.
 */
static struct kmsgq_store *kmsgq_test_fill_all_prios(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, KMSGQ_PRIO_MAX *
						 KMSGQ_TEST_ROUNDS, 4);
	u32 round, i, prio;

	for (round = 0; round < KMSGQ_TEST_ROUNDS; round++) {
		for (i = 0; i < KMSGQ_PRIO_MAX; i++) {
			/* 7 is coprime with 2^15: a permutation of all. */
			prio = (i * 7 + round * 5) % KMSGQ_PRIO_MAX;
			kmsgq_test_send(test, s, prio * KMSGQ_TEST_ROUNDS + round,
					prio);
		}
	}
	KUNIT_EXPECT_EQ(test, s->count, KMSGQ_PRIO_MAX * KMSGQ_TEST_ROUNDS);
	KUNIT_EXPECT_EQ(test, s->nr_free, 0);
	KUNIT_EXPECT_EQ(test, s->free_node, KMSGQ_SLOT_NONE);
	return s;
}

static void kmsgq_store_highest_priority_first(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_fill_all_prios(test);
	u32 slot, last = KMSGQ_PRIO_MAX - 1, changes = 0;

	while ((slot = kmsgq_store_peek(s)) != KMSGQ_SLOT_NONE) {
		KUNIT_ASSERT_LE(test, s->prio[slot], last);
		if (s->prio[slot] != last)
			changes++;
		last = s->prio[slot];
		KUNIT_ASSERT_EQ(test, kmsgq_store_pop(s), slot);
		kmsgq_store_put(s, slot);
	}
	KUNIT_EXPECT_EQ(test, last, 0);
	KUNIT_EXPECT_EQ(test, changes, KMSGQ_PRIO_MAX - 1);
	KUNIT_EXPECT_EQ(test, s->count, 0);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&s->prios.rb_root));
}

static void kmsgq_store_fifo_within_priority(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_fill_all_prios(test);
	u32 round, prio;

	for (prio = KMSGQ_PRIO_MAX; prio-- > 0;)
		for (round = 0; round < KMSGQ_TEST_ROUNDS; round++)
			KUNIT_ASSERT_EQ(test, kmsgq_test_recv(test, s, prio),
					prio * KMSGQ_TEST_ROUNDS + round);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, s->nr_free, s->nr_slots);
}

static void kmsgq_store_push_head_restores_order(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 8, 4);
	u32 slot;

	kmsgq_test_send(test, s, 1, 5);
	kmsgq_test_send(test, s, 2, 5);
	kmsgq_test_send(test, s, 3, 5);
	kmsgq_test_send(test, s, 4, 7);

	/* A receive whose copy failed puts its message back... */
	slot = kmsgq_store_pop(s);
	kmsgq_store_push_head(s, slot);
	slot = kmsgq_store_pop(s);
	KUNIT_EXPECT_EQ(test, s->prio[slot], 7);
	kmsgq_store_put(s, slot);
	slot = kmsgq_store_pop(s);
	kmsgq_store_push_head(s, slot);
	KUNIT_EXPECT_EQ(test, kmsgq_store_peek(s), slot);

	/* ...and the order is as if nothing had happened. */
	KUNIT_EXPECT_EQ(test, s->count, 3);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 5), 1);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 5), 2);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 5), 3);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
}

/* The payload tag of the message at @index of the receive order. */
static u32 kmsgq_test_tag_at(struct kunit *test, struct kmsgq_store *s,
			     u32 index)
{
	u32 slot = kmsgq_store_at(s, index);
	u32 tag;

	KUNIT_ASSERT_NE(test, slot, KMSGQ_SLOT_NONE);
	memcpy(&tag, kmsgq_store_payload(s, slot), sizeof(tag));
	return tag;
}

static void kmsgq_store_at_walks_receive_order(struct kunit *test)
{
	static const u32 order[] = { 2, 5, 1, 3, 4 };
	struct kmsgq_store *s = kmsgq_test_store(test, 8, 4);
	u32 i;

	KUNIT_EXPECT_EQ(test, kmsgq_store_at(s, 0), KMSGQ_SLOT_NONE);
	kmsgq_test_send(test, s, 1, 5);
	kmsgq_test_send(test, s, 2, 9);
	kmsgq_test_send(test, s, 3, 5);
	kmsgq_test_send(test, s, 4, 0);
	kmsgq_test_send(test, s, 5, 9);

	/* Highest priority first, FIFO within one, and nothing moves. */
	KUNIT_EXPECT_EQ(test, kmsgq_store_at(s, 0), kmsgq_store_peek(s));
	KUNIT_EXPECT_EQ(test, kmsgq_test_tag_at(test, s, 0), 2);
	KUNIT_EXPECT_EQ(test, kmsgq_test_tag_at(test, s, 1), 5);
	KUNIT_EXPECT_EQ(test, kmsgq_test_tag_at(test, s, 2), 1);
	KUNIT_EXPECT_EQ(test, kmsgq_test_tag_at(test, s, 3), 3);
	KUNIT_EXPECT_EQ(test, kmsgq_test_tag_at(test, s, 4), 4);
	KUNIT_EXPECT_EQ(test, kmsgq_store_at(s, 5), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, kmsgq_store_at(s, U32_MAX), KMSGQ_SLOT_NONE);
	KUNIT_EXPECT_EQ(test, s->count, 5);

	/* Receives take exactly what the indexes named, in that order. */
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		u32 slot = kmsgq_store_peek(s);

		KUNIT_ASSERT_NE(test, slot, KMSGQ_SLOT_NONE);
		KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, s->prio[slot]),
				order[i]);
	}
}

static void kmsgq_store_pop_lowest_takes_oldest_least_urgent(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 8, 4);
	u32 slot, tag;

	KUNIT_EXPECT_EQ(test, kmsgq_store_pop_lowest(s), KMSGQ_SLOT_NONE);
	kmsgq_test_send(test, s, 1, 5);
	kmsgq_test_send(test, s, 2, 0);
	kmsgq_test_send(test, s, 3, 9);
	kmsgq_test_send(test, s, 4, 0);

	/* Priority 0's FIFO, oldest first, then the next lowest. */
	slot = kmsgq_store_pop_lowest(s);
	memcpy(&tag, kmsgq_store_payload(s, slot), sizeof(tag));
	KUNIT_EXPECT_EQ(test, tag, 2);
	kmsgq_store_put(s, slot);
	slot = kmsgq_store_pop_lowest(s);
	memcpy(&tag, kmsgq_store_payload(s, slot), sizeof(tag));
	KUNIT_EXPECT_EQ(test, tag, 4);
	kmsgq_store_put(s, slot);
	slot = kmsgq_store_pop_lowest(s);
	KUNIT_EXPECT_EQ(test, s->prio[slot], 5);
	kmsgq_store_put(s, slot);
	/* What is left is received as it would have been. */
	KUNIT_EXPECT_EQ(test, s->count, 1);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 9), 3);
	KUNIT_EXPECT_EQ(test, s->nr_free, 8);
}

static void kmsgq_store_put_moves_gen(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 2, 4);
	u32 slot = kmsgq_test_send(test, s, 1, 0);
	u32 gen = s->gen[slot];

	/* Popped and pushed back (a failed copy): the payload never moved. */
	KUNIT_ASSERT_EQ(test, kmsgq_store_pop(s), slot);
	kmsgq_store_push_head(s, slot);
	KUNIT_EXPECT_EQ(test, s->gen[slot], gen);
	/* Freed: the next sender may overwrite it. */
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 0), 1);
	KUNIT_EXPECT_NE(test, s->gen[slot], gen);
}

static void kmsgq_store_push_head_then_push_keeps_fifo(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 4, 4);
	u32 slot;

	/* Push back the only message of its priority: it is head and tail. */
	kmsgq_test_send(test, s, 1, 0);
	slot = kmsgq_store_pop(s);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&s->prios.rb_root));
	kmsgq_store_push_head(s, slot);
	KUNIT_EXPECT_EQ(test, kmsgq_store_peek(s), slot);
	kmsgq_test_send(test, s, 2, 0);

	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 0), 1);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 0), 2);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
}

/*
 * A receive whose copy failed, at a priority between others: the message
 * goes back in front of its own FIFO and above the lower priorities.
 */
static void kmsgq_store_push_head_among_priorities(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 8, 4);
	u32 slot;

	kmsgq_test_send(test, s, 1, 30000);
	kmsgq_test_send(test, s, 2, 30000);
	kmsgq_test_send(test, s, 3, 100);
	kmsgq_test_send(test, s, 4, KMSGQ_PRIO_MAX - 1);

	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, KMSGQ_PRIO_MAX - 1), 4);
	/* Popping the only message of 30000 but one, then putting it back. */
	slot = kmsgq_store_pop(s);
	KUNIT_EXPECT_EQ(test, s->prio[slot], 30000);
	kmsgq_store_push_head(s, slot);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 30000), 1);
	/* Emptying 30000, then putting its last message back. */
	slot = kmsgq_store_pop(s);
	kmsgq_store_push_head(s, slot);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 30000), 2);
	KUNIT_EXPECT_EQ(test, kmsgq_test_recv(test, s, 100), 3);
	KUNIT_EXPECT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
}

/*
 * A store of 4 slots has 4 FIFO heads; they return to the pool when their
 * priority empties, so it serves every priority in turn, full or empty.
 */
static void kmsgq_store_few_slots_serve_every_priority(struct kunit *test)
{
	struct kmsgq_store *s = kmsgq_test_store(test, 4, 4);
	u32 prio, i;

	for (prio = 0; prio + 4 <= KMSGQ_PRIO_MAX; prio += 4) {
		/* Full: four priorities, lowest first. */
		for (i = 0; i < 4; i++)
			kmsgq_test_send(test, s, prio + i, prio + i);
		KUNIT_ASSERT_EQ(test, kmsgq_store_get(s), KMSGQ_SLOT_NONE);
		KUNIT_ASSERT_EQ(test, s->free_node, KMSGQ_SLOT_NONE);
		/* Empty again, highest first. */
		for (i = 4; i-- > 0;)
			KUNIT_ASSERT_EQ(test, kmsgq_test_recv(test, s, prio + i),
					prio + i);
		KUNIT_ASSERT_EQ(test, kmsgq_store_pop(s), KMSGQ_SLOT_NONE);
		KUNIT_ASSERT_NE(test, s->free_node, KMSGQ_SLOT_NONE);
	}
	KUNIT_EXPECT_EQ(test, s->nr_free, 4);
}

/* Priorities the model check uses: both ends of the range and between. */
static const u32 kmsgq_model_prios[] = {
	0, 1, 2, 31, 32, 33, 255, 1000, 4096, 8191, 16384, 20000, 30000,
	32000, KMSGQ_PRIO_MAX - 2, KMSGQ_PRIO_MAX - 1,
};

#define KMSGQ_MODEL_PRIOS	ARRAY_SIZE(kmsgq_model_prios)

/* What the store should hold: per model priority, the tags in FIFO order. */
struct kmsgq_test_model {
	u32 depth;
	u32 count;
	u32 head[KMSGQ_MODEL_PRIOS];
	u32 len[KMSGQ_MODEL_PRIOS];
	u32 *tags;		/* [KMSGQ_MODEL_PRIOS][depth] circular */
};

static u32 *kmsgq_model_at(struct kmsgq_test_model *m, u32 i, u32 n)
{
	return &m->tags[i * m->depth + (m->head[i] + n) % m->depth];
}

/* Index in kmsgq_model_prios of the highest priority queued, or -1. */
static int kmsgq_model_top(const struct kmsgq_test_model *m)
{
	int i;

	for (i = KMSGQ_MODEL_PRIOS - 1; i >= 0; i--)
		if (m->len[i])
			return i;
	return -1;
}

static void kmsgq_store_model_check(struct kunit *test)
{
	const u32 depth = 16, steps = 20000;
	struct kmsgq_store *s = kmsgq_test_store(test, depth, 32);
	struct kmsgq_test_model m = { .depth = depth };
	struct rnd_state rnd;
	u32 step, slot, tag, next_tag = 0, i, op;
	int top;

	m.tags = kunit_kcalloc(test, KMSGQ_MODEL_PRIOS * depth, sizeof(u32),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.tags);
	prandom_seed_state(&rnd, 0x6b6d7367);

	for (step = 0; step < steps; step++) {
		op = prandom_u32_state(&rnd) % 8;
		top = kmsgq_model_top(&m);
		if (op < 4) {
			/* Send; mostly to a few priorities, so FIFOs grow. */
			slot = kmsgq_store_get(s);
			if (m.count == depth) {
				KUNIT_ASSERT_EQ(test, slot, KMSGQ_SLOT_NONE);
				continue;
			}
			KUNIT_ASSERT_LT(test, slot, depth);
			i = prandom_u32_state(&rnd) % KMSGQ_MODEL_PRIOS;
			if (op < 3)
				i &= 0xc;
			if (op == 0) {
				/* The copy from the sender failed. */
				kmsgq_store_put(s, slot);
				continue;
			}
			tag = next_tag++;
			memcpy(kmsgq_store_payload(s, slot), &tag, sizeof(tag));
			kmsgq_store_push(s, slot, tag % 33,
					 kmsgq_model_prios[i]);
			*kmsgq_model_at(&m, i, m.len[i]++) = tag;
			m.count++;
		} else {
			/* Receive; now and then the copy out fails. */
			slot = kmsgq_store_pop(s);
			if (top < 0) {
				KUNIT_ASSERT_EQ(test, slot, KMSGQ_SLOT_NONE);
				continue;
			}
			KUNIT_ASSERT_LT(test, slot, depth);
			memcpy(&tag, kmsgq_store_payload(s, slot), sizeof(tag));
			KUNIT_ASSERT_EQ(test, s->prio[slot],
					kmsgq_model_prios[top]);
			KUNIT_ASSERT_EQ(test, tag, *kmsgq_model_at(&m, top, 0));
			KUNIT_ASSERT_EQ(test, s->len[slot], tag % 33);
			if (op == 7) {
				kmsgq_store_push_head(s, slot);
				continue;
			}
			kmsgq_store_put(s, slot);
			m.head[top] = (m.head[top] + 1) % depth;
			m.len[top]--;
			m.count--;
		}
		KUNIT_ASSERT_EQ(test, s->count, m.count);
		KUNIT_ASSERT_EQ(test, s->nr_free, depth - m.count);
	}
	KUNIT_EXPECT_GT(test, next_tag, steps / 4);
}

struct kmsgq_store_bytes_case {
	u32 nr_slots;
	u32 slot_size;
	size_t bytes;
};

/* Per slot: free, next, len, gen (u32) and prio (u16); per FIFO head a node. */
#define KMSGQ_SLOT_META		18
#define KMSGQ_NODE		sizeof(struct kmsgq_store_prio)

static const struct kmsgq_store_bytes_case kmsgq_store_bytes_cases[] = {
	{ 1, 1, KMSGQ_SLOT_META + KMSGQ_NODE + 1 },
	{ 1, 0, KMSGQ_SLOT_META + KMSGQ_NODE },
	{ 16, 1024, 16 * (KMSGQ_SLOT_META + KMSGQ_NODE + 1024) },
	/* No more FIFO heads than priorities. */
	{ KMSGQ_MSGS_HARD_MAX, KMSGQ_MSGSIZE_HARD_MAX,
	  (size_t)KMSGQ_MSGS_HARD_MAX *
	  (KMSGQ_SLOT_META + KMSGQ_MSGSIZE_HARD_MAX) +
	  KMSGQ_PRIO_MAX * KMSGQ_NODE },
	{ U32_MAX, U32_MAX, SIZE_MAX },
	{ U32_MAX, U32_MAX - 8, SIZE_MAX },
	{ U32_MAX - 1, U32_MAX, SIZE_MAX },
};

static void kmsgq_store_bytes_desc(const struct kmsgq_store_bytes_case *c,
				   char *desc)
{
	kmsgq_kunit_shape_desc(c->nr_slots, c->slot_size, desc);
}

KUNIT_ARRAY_PARAM(kmsgq_store_bytes, kmsgq_store_bytes_cases,
		  kmsgq_store_bytes_desc);

static void kmsgq_store_bytes_saturates(struct kunit *test)
{
	const struct kmsgq_store_bytes_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, kmsgq_store_bytes(c->nr_slots, c->slot_size),
			c->bytes);
}

static struct kunit_case kmsgq_store_cases[] = {
	KUNIT_CASE(kmsgq_store_empty_has_no_message),
	KUNIT_CASE(kmsgq_store_get_until_none),
	KUNIT_CASE(kmsgq_store_depth_one),
	KUNIT_CASE(kmsgq_store_highest_priority_first),
	KUNIT_CASE(kmsgq_store_fifo_within_priority),
	KUNIT_CASE(kmsgq_store_push_head_restores_order),
	KUNIT_CASE(kmsgq_store_push_head_then_push_keeps_fifo),
	KUNIT_CASE(kmsgq_store_at_walks_receive_order),
	KUNIT_CASE(kmsgq_store_put_moves_gen),
	KUNIT_CASE(kmsgq_store_pop_lowest_takes_oldest_least_urgent),
	KUNIT_CASE(kmsgq_store_push_head_among_priorities),
	KUNIT_CASE(kmsgq_store_few_slots_serve_every_priority),
	KUNIT_CASE(kmsgq_store_model_check),
	KUNIT_CASE_PARAM(kmsgq_store_bytes_saturates,
			 kmsgq_store_bytes_gen_params),
	{}
};

static struct kunit_suite kmsgq_store_suite = {
	.name = "kmsgq_store",
	.test_cases = kmsgq_store_cases,
};

kunit_test_suite(kmsgq_store_suite);
