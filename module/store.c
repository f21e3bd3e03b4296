// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq store: the message storage of a copy queue.
 *
 * All memory is allocated when the queue is created and charged to the
 * creator's memory cgroup; sending and receiving only move slot numbers
 * between a free stack and one singly linked FIFO per priority, in O(1),
 * with a bitmap of non-empty priorities to find the highest.  Callers hold
 * the queue's lock around every function here except init and destroy.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "internal.h"

/**
 * kmsgq_store_bytes() - memory a store of this shape takes
 * @nr_slots: depth
 * @slot_size: bytes per slot
 *
 * Return: bytes, or SIZE_MAX on overflow.
 */
size_t kmsgq_store_bytes(u32 nr_slots, u32 slot_size)
{
	size_t meta = size_mul(nr_slots, 3 * sizeof(u32) + sizeof(u8));

	return size_add(meta, size_mul(nr_slots, slot_size));
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
	u32 i;

	memset(s, 0, sizeof(*s));
	s->free = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->next = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->len = kvmalloc_array(nr_slots, sizeof(u32), GFP_KERNEL_ACCOUNT);
	s->prio = kvmalloc_array(nr_slots, sizeof(u8), GFP_KERNEL_ACCOUNT);
	s->data = kvmalloc_array(nr_slots, slot_size, GFP_KERNEL_ACCOUNT);
	if (!s->free || !s->next || !s->len || !s->prio || !s->data) {
		kmsgq_store_destroy(s);
		return -ENOMEM;
	}

	s->nr_slots = nr_slots;
	s->slot_size = slot_size;
	/* Hand out low slots first: they are the ones still in cache. */
	for (i = 0; i < nr_slots; i++)
		s->free[i] = nr_slots - 1 - i;
	s->nr_free = nr_slots;
	for (i = 0; i < KMSGQ_PRIO_MAX; i++) {
		s->fifo[i].head = KMSGQ_SLOT_NONE;
		s->fifo[i].tail = KMSGQ_SLOT_NONE;
	}
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
	kvfree(s->len);
	kvfree(s->next);
	kvfree(s->free);
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
	s->free[s->nr_free++] = slot;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_put);

/**
 * kmsgq_store_push() - queue an in-flight slot at the tail of its priority
 * @s: store
 * @slot: slot holding the payload
 * @len: payload length, at most @s->slot_size
 * @prio: priority, below KMSGQ_PRIO_MAX
 */
void kmsgq_store_push(struct kmsgq_store *s, u32 slot, u32 len, u32 prio)
{
	if (WARN_ON_ONCE(slot >= s->nr_slots || prio >= KMSGQ_PRIO_MAX ||
			 len > s->slot_size))
		return;

	s->len[slot] = len;
	s->prio[slot] = prio;
	s->next[slot] = KMSGQ_SLOT_NONE;
	if (s->fifo[prio].tail == KMSGQ_SLOT_NONE)
		s->fifo[prio].head = slot;
	else
		s->next[s->fifo[prio].tail] = slot;
	s->fifo[prio].tail = slot;
	s->prio_map |= BIT(prio);
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
	u32 prio;

	if (WARN_ON_ONCE(slot >= s->nr_slots))
		return;

	prio = s->prio[slot];
	s->next[slot] = s->fifo[prio].head;
	if (s->fifo[prio].head == KMSGQ_SLOT_NONE)
		s->fifo[prio].tail = slot;
	s->fifo[prio].head = slot;
	s->prio_map |= BIT(prio);
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
	if (!s->prio_map)
		return KMSGQ_SLOT_NONE;
	return s->fifo[__fls(s->prio_map)].head;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_peek);

/**
 * kmsgq_store_pop() - unlink the message kmsgq_store_peek() names
 * @s: store
 *
 * Return: the slot, now in flight (its length and priority kept), or
 * KMSGQ_SLOT_NONE if the store is empty.
 */
u32 kmsgq_store_pop(struct kmsgq_store *s)
{
	u32 prio, slot;

	if (!s->prio_map)
		return KMSGQ_SLOT_NONE;

	prio = __fls(s->prio_map);
	slot = s->fifo[prio].head;
	s->fifo[prio].head = s->next[slot];
	if (s->fifo[prio].head == KMSGQ_SLOT_NONE) {
		s->fifo[prio].tail = KMSGQ_SLOT_NONE;
		s->prio_map &= ~BIT(prio);
	}
	s->count--;
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_store_pop);
