// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq store: the message storage of a copy queue.
 *
 * All memory is allocated when the queue is created and charged to the
 * creator's memory cgroup; sending and receiving only move slot numbers
 * between a free stack and one singly linked FIFO per priority, and
 * allocate nothing.
 *
 * Priorities (0..KMSGQ_PRIO_MAX - 1, as many as POSIX mqueue's) are the
 * keys of an rbtree of FIFO heads, like mqueue's msg_tree, but its nodes
 * come from a pool made at creation: a queue of n slots never holds
 * messages of more than n priorities, so min(n, KMSGQ_PRIO_MAX) nodes
 * always suffice.  The highest priority is the tree's cached leftmost node:
 * a receive finds its message in O(1), a send its FIFO in O(log p) for p
 * priorities queued at that moment (O(1) when it is the highest, the one
 * priority of most queues).  Nothing is proportional to KMSGQ_PRIO_MAX.
 *
 * Callers hold the queue's lock around every function here except init
 * and destroy.
 */
#include <linux/bug.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "internal.h"

static_assert(KMSGQ_PRIO_MAX - 1 <= U16_MAX);

/* FIFO heads a store of @nr_slots slots needs at most. */
static u32 kmsgq_store_nr_nodes(u32 nr_slots)
{
	return min_t(u32, nr_slots, KMSGQ_PRIO_MAX);
}

/**
 * kmsgq_store_bytes() - memory a store of this shape takes
 * @nr_slots: depth
 * @slot_size: bytes per slot
 *
 * Return: bytes, or SIZE_MAX on overflow.
 */
size_t kmsgq_store_bytes(u32 nr_slots, u32 slot_size)
{
	size_t meta = size_mul(nr_slots, 4 * sizeof(u32) + sizeof(u16));
	size_t nodes = size_mul(kmsgq_store_nr_nodes(nr_slots),
				sizeof(struct kmsgq_store_prio));

	return size_add(size_add(meta, nodes), size_mul(nr_slots, slot_size));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_bytes);

/**
 * kmsgq_store_init() - allocate an empty store
 * @s: store to set up
 * @nr_slots: depth, at least 1
 * @slot_size: bytes per slot
 *
 * Return: 0 or -ENOMEM.
 */
int kmsgq_store_init(struct kmsgq_store *s, u32 nr_slots, u32 slot_size)
{
	u32 nr_nodes = kmsgq_store_nr_nodes(nr_slots);
	u32 i;

	memset(s, 0, sizeof(*s));
	s->nodes = kvmalloc_array(nr_nodes, sizeof(*s->nodes),
				  GFP_KERNEL_ACCOUNT);
	s->free = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->next = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->len = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->gen = kvcalloc(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->prio = kvmalloc_array(nr_slots, sizeof(u16), GFP_KERNEL_ACCOUNT);
	s->data = kvmalloc_array(nr_slots, slot_size, GFP_KERNEL_ACCOUNT);
	if (!s->nodes || !s->free || !s->next || !s->len || !s->gen ||
	    !s->prio || !s->data) {
		kmsgq_store_destroy(s);
		return -ENOMEM;
	}

	s->nr_slots = nr_slots;
	s->slot_size = slot_size;
	/* Hand out low slots first: they are the ones still in cache. */
	for (i = 0; i < nr_slots; i++)
		s->free[i] = nr_slots - 1 - i;
	s->nr_free = nr_slots;
	s->prios = RB_ROOT_CACHED;
	for (i = 0; i < nr_nodes; i++)
		s->nodes[i].head = i + 1 < nr_nodes ? i + 1 : KMSGQ_SLOT_NONE;
	s->free_node = 0;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_init);

/**
 * kmsgq_store_destroy() - free a store's memory
 * @s: store, initialised or partly initialised
 */
void kmsgq_store_destroy(struct kmsgq_store *s)
{
	kvfree(s->data);
	kvfree(s->prio);
	kvfree(s->gen);
	kvfree(s->len);
	kvfree(s->next);
	kvfree(s->free);
	kvfree(s->nodes);
	memset(s, 0, sizeof(*s));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_destroy);

/**
 * kmsgq_store_get() - take a free slot
 * @s: store
 *
 * Return: the slot, now in flight, or KMSGQ_SLOT_NONE if none is free.
 */
u32 kmsgq_store_get(struct kmsgq_store *s)
{
	if (!s->nr_free)
		return KMSGQ_SLOT_NONE;
	return s->free[--s->nr_free];
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_get);

/**
 * kmsgq_store_put() - return an in-flight slot to the free stack
 * @s: store
 * @slot: slot taken by kmsgq_store_get() or kmsgq_store_pop()
 */
void kmsgq_store_put(struct kmsgq_store *s, u32 slot)
{
	if (WARN_ON_ONCE(slot >= s->nr_slots || s->nr_free >= s->nr_slots))
		return;
	/* Its payload may be overwritten from now on: tell peekers. */
	s->gen[slot]++;
	s->free[s->nr_free++] = slot;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_put);

/* The highest priority's FIFO, or NULL if nothing is queued. */
static struct kmsgq_store_prio *kmsgq_store_top(const struct kmsgq_store *s)
{
	return rb_entry_safe(rb_first_cached(&s->prios),
			     struct kmsgq_store_prio, node);
}

/*
 * The FIFO of @prio, made empty and linked into the tree if @prio has no
 * message queued; NULL only if the pool ran dry, which the pool's size
 * rules out.
 */
static struct kmsgq_store_prio *kmsgq_store_fifo(struct kmsgq_store *s,
						 u32 prio)
{
	struct rb_node **link = &s->prios.rb_root.rb_node, *parent = NULL;
	struct kmsgq_store_prio *p, *top = kmsgq_store_top(s);
	bool leftmost = true;

	/* Most sends go to the highest priority there is. */
	if (top && top->prio == prio)
		return top;

	while (*link) {
		parent = *link;
		p = rb_entry(parent, struct kmsgq_store_prio, node);
		if (prio == p->prio)
			return p;
		if (prio > p->prio) {
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
			leftmost = false;
		}
	}

	if (WARN_ON_ONCE(s->free_node == KMSGQ_SLOT_NONE))
		return NULL;
	p = &s->nodes[s->free_node];
	s->free_node = p->head;
	p->prio = prio;
	p->head = KMSGQ_SLOT_NONE;
	p->tail = KMSGQ_SLOT_NONE;
	rb_link_node(&p->node, parent, link);
	rb_insert_color_cached(&p->node, &s->prios, leftmost);
	return p;
}

/**
 * kmsgq_store_push() - queue an in-flight slot at the tail of its priority
 * @s: store
 * @slot: slot holding the payload
 * @len: payload length, at most @s->slot_size
 * @prio: priority, below KMSGQ_PRIO_MAX
 */
void kmsgq_store_push(struct kmsgq_store *s, u32 slot, u32 len, u32 prio)
{
	struct kmsgq_store_prio *p;

	if (WARN_ON_ONCE(slot >= s->nr_slots || prio >= KMSGQ_PRIO_MAX ||
			 len > s->slot_size))
		return;
	p = kmsgq_store_fifo(s, prio);
	if (!p)
		return;

	s->len[slot] = len;
	s->prio[slot] = prio;
	s->next[slot] = KMSGQ_SLOT_NONE;
	if (p->tail == KMSGQ_SLOT_NONE)
		p->head = slot;
	else
		s->next[p->tail] = slot;
	p->tail = slot;
	s->count++;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_push);

/**
 * kmsgq_store_push_head() - put a popped slot back at the head of its priority
 * @s: store
 * @slot: slot returned by kmsgq_store_pop(), with its length and priority
 *
 * Undoes a pop whose copy to user space failed, so the message is not lost.
 */
void kmsgq_store_push_head(struct kmsgq_store *s, u32 slot)
{
	struct kmsgq_store_prio *p;

	if (WARN_ON_ONCE(slot >= s->nr_slots))
		return;
	p = kmsgq_store_fifo(s, s->prio[slot]);
	if (!p)
		return;

	s->next[slot] = p->head;
	if (p->head == KMSGQ_SLOT_NONE)
		p->tail = slot;
	p->head = slot;
	s->count++;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_push_head);

/**
 * kmsgq_store_peek() - the message a receive would take next
 * @s: store
 *
 * Return: the oldest slot of the highest non-empty priority, or
 * KMSGQ_SLOT_NONE if the store is empty.
 */
u32 kmsgq_store_peek(const struct kmsgq_store *s)
{
	struct kmsgq_store_prio *p = kmsgq_store_top(s);

	return p ? p->head : KMSGQ_SLOT_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_peek);

/*
 * Unlink the oldest message of FIFO @p (NULL: the store is empty): its
 * slot, now in flight, or KMSGQ_SLOT_NONE.
 */
static u32 kmsgq_store_unlink_head(struct kmsgq_store *s,
				   struct kmsgq_store_prio *p)
{
	u32 slot;

	if (!p)
		return KMSGQ_SLOT_NONE;

	slot = p->head;
	p->head = s->next[slot];
	if (p->head == KMSGQ_SLOT_NONE) {
		/* The priority's last message: its node goes back to the pool. */
		rb_erase_cached(&p->node, &s->prios);
		p->head = s->free_node;
		s->free_node = p - s->nodes;
	}
	s->count--;
	return slot;
}

/**
 * kmsgq_store_at() - the message a receive would take after @index others
 * @s: store
 * @index: messages to pass over in receive order
 *
 * Walks the priorities from the highest, so it costs O(@index).
 *
 * Return: the slot, still queued, or KMSGQ_SLOT_NONE if fewer than
 * @index + 1 messages are queued.
 */
u32 kmsgq_store_at(const struct kmsgq_store *s, u32 index)
{
	struct rb_node *node;
	u32 slot;

	if (index >= s->count)
		return KMSGQ_SLOT_NONE;
	for (node = rb_first_cached(&s->prios); node; node = rb_next(node)) {
		const struct kmsgq_store_prio *p =
			rb_entry(node, struct kmsgq_store_prio, node);

		for (slot = p->head; slot != KMSGQ_SLOT_NONE;
		     slot = s->next[slot])
			if (!index--)
				return slot;
	}
	return KMSGQ_SLOT_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_at);

/**
 * kmsgq_store_pop_lowest() - unlink the oldest message of the lowest priority
 * @s: store
 *
 * What an overflowing send discards (KMSGQ_OPEN_OVERFLOW_DROP): of the
 * messages queued, the one least urgent and longest waiting.
 *
 * Return: the slot, now in flight, or KMSGQ_SLOT_NONE if the store is
 * empty.
 */
u32 kmsgq_store_pop_lowest(struct kmsgq_store *s)
{
	return kmsgq_store_unlink_head(s,
				       rb_entry_safe(rb_last(&s->prios.rb_root),
						     struct kmsgq_store_prio,
						     node));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_pop_lowest);

/**
 * kmsgq_store_pop() - unlink the message kmsgq_store_peek() names
 * @s: store
 *
 * Return: the slot, now in flight (its length and priority kept), or
 * KMSGQ_SLOT_NONE if the store is empty.
 */
u32 kmsgq_store_pop(struct kmsgq_store *s)
{
	return kmsgq_store_unlink_head(s, kmsgq_store_top(s));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_pop);
