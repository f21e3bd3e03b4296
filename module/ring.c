// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq ring: the mappable storage of a ring queue, and the kernel's side of
 * the shared protocol documented at struct kmsgq_ring_info in the uapi.
 *
 * The kernel takes part as one more producer or consumer (copy-mode calls on
 * a ring queue) and as the sleeper/waker.  Every word it reads from the ring
 * may have been written by a hostile mapper at any moment, so each is read
 * once, positions are masked to a slot and lengths bounded by the slot size
 * before use.  The worst a mapper can do is make the ring look full, empty
 * or busy, or garble the payloads of this queue; the kernel's own state
 * (struct kmsgq_ring and everything outside the shared pages) is not
 * reachable from user space.
 *
 * Memory layout (offsets from the start of the mapping):
 *
 *	0		producer position (u32), own cache line
 *	64		consumer position (u32), own cache line
 *	128		wakeup word (u32)
 *	PAGE_SIZE	struct kmsgq_ring_desc[nr_slots], or on a reclaiming
 *			ring struct kmsgq_ring_rdesc[nr_slots]
 *	data_off	nr_slots payload slots of slot_size bytes, page aligned
 *
 * A reclaiming ring (KMSGQ_OPEN_RECLAIM) keeps each claim's owner in the
 * descriptor, beside the sequence word, and both change together by one
 * 64-bit compare-and-swap; the kernel claims with KMSGQ_RING_OWNER_KERNEL,
 * which no file is given.  Its functions below are the kmsgq_ring_r*()
 * ones, which the common entry points call for such a ring.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <kunit/visibility.h>

#include "internal.h"

#define KMSGQ_RING_PROD_OFF	0
#define KMSGQ_RING_CONS_OFF	64
#define KMSGQ_RING_WAKEUP_OFF	128

/**
 * kmsgq_ring_slot_size() - bytes per slot for a largest message
 * @max_msgsize: largest message the queue takes
 *
 * Slots are whole cache lines, so two producers never share one.
 *
 * Return: @max_msgsize rounded up to whole cache lines.
 */
u32 kmsgq_ring_slot_size(u32 max_msgsize)
{
	return ALIGN(max_msgsize, SMP_CACHE_BYTES);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_slot_size);

static size_t kmsgq_ring_desc_size(bool reclaim)
{
	return reclaim ? sizeof(struct kmsgq_ring_rdesc) :
			 sizeof(struct kmsgq_ring_desc);
}

static size_t kmsgq_ring_data_off(u32 nr_slots, bool reclaim)
{
	return PAGE_ALIGN(size_add(PAGE_SIZE,
				   size_mul(nr_slots,
					    kmsgq_ring_desc_size(reclaim))));
}

/**
 * kmsgq_ring_bytes() - bytes a ring of this shape maps
 * @nr_slots: slots, a power of two
 * @slot_size: bytes per slot, from kmsgq_ring_slot_size()
 * @reclaim: a reclaiming ring (struct kmsgq_ring_rdesc descriptors)
 *
 * Return: bytes, or SIZE_MAX on overflow.
 */
size_t kmsgq_ring_bytes(u32 nr_slots, u32 slot_size, bool reclaim)
{
	return size_add(kmsgq_ring_data_off(nr_slots, reclaim),
			PAGE_ALIGN(size_mul(nr_slots, slot_size)));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_bytes);

/**
 * kmsgq_ring_init() - allocate an empty ring
 * @r: ring to set up
 * @nr_slots: slots, a power of two, at least 2
 * @slot_size: bytes per slot
 * @reclaim: a reclaiming ring (KMSGQ_OPEN_RECLAIM)
 *
 * Return: 0, -EINVAL for a bad shape, or -ENOMEM.
 */
int kmsgq_ring_init(struct kmsgq_ring *r, u32 nr_slots, u32 slot_size,
		    bool reclaim)
{
	size_t bytes = kmsgq_ring_bytes(nr_slots, slot_size, reclaim);
	u32 i;

	memset(r, 0, sizeof(*r));
	/* One slot cannot tell full from free: seq == pos + 1 means both. */
	if (nr_slots < 2 || !is_power_of_2(nr_slots) || bytes > U32_MAX)
		return -EINVAL;
	if (reclaim && !kmsgq_ring_reclaim_supported())
		return -EOPNOTSUPP;

	r->nr_pages = bytes >> PAGE_SHIFT;
	r->pages = kvcalloc(r->nr_pages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->pages)
		goto err;
	for (i = 0; i < r->nr_pages; i++) {
		r->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!r->pages[i])
			goto err;
	}
	r->vaddr = vmap(r->pages, r->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!r->vaddr)
		goto err;

	r->nr_slots = nr_slots;
	r->mask = nr_slots - 1;
	r->slot_size = slot_size;
	r->desc_off = PAGE_SIZE;
	r->data_off = kmsgq_ring_data_off(nr_slots, reclaim);
	r->prod = r->vaddr + KMSGQ_RING_PROD_OFF;
	r->cons = r->vaddr + KMSGQ_RING_CONS_OFF;
	r->wakeup = r->vaddr + KMSGQ_RING_WAKEUP_OFF;
	r->data = r->vaddr + r->data_off;
	r->reclaim = reclaim;
	if (reclaim) {
		r->rdesc = r->vaddr + r->desc_off;
		for (i = 0; i < nr_slots; i++)
			r->rdesc[i].seq = i;
	} else {
		r->desc = r->vaddr + r->desc_off;
		for (i = 0; i < nr_slots; i++)
			r->desc[i].seq = i;
	}
	return 0;

err:
	kmsgq_ring_destroy(r);
	return -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_init);

/**
 * kmsgq_ring_destroy() - free a ring's memory
 * @r: ring, initialised or partly initialised; no mapping may remain
 */
void kmsgq_ring_destroy(struct kmsgq_ring *r)
{
	u32 i;

	if (r->vaddr)
		vunmap(r->vaddr);
	if (r->pages) {
		for (i = 0; i < r->nr_pages; i++)
			if (r->pages[i])
				__free_page(r->pages[i]);
		kvfree(r->pages);
	}
	memset(r, 0, sizeof(*r));
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_destroy);

/* The sequence word of the slot @pos maps to, with acquire ordering. */
static u32 kmsgq_ring_seq(const struct kmsgq_ring *r, u32 pos)
{
	/* Pairs with the producer's or consumer's release of the slot. */
	return smp_load_acquire(&r->desc[pos & r->mask].seq);
}

/* A reclaiming ring's {seq, owner}, one 64-bit word in shared memory. */
union kmsgq_ring_word {
	struct {
		u32 seq;
		u32 owner;
	};
	s64 val;
};

static_assert(offsetof(struct kmsgq_ring_rdesc, owner) ==
	      offsetof(union kmsgq_ring_word, owner));
/* 16-byte descriptors from a page boundary: every word 8-byte aligned. */
static_assert(sizeof(struct kmsgq_ring_rdesc) == 16);

/*
 * The word as an atomic64_t: shared with user space, so only where the
 * 64-bit atomics are instructions (not CONFIG_GENERIC_ATOMIC64's locks,
 * which user space does not take); kmsgq_ring_init() refuses otherwise.
 */
static atomic64_t *kmsgq_ring_wordp(const struct kmsgq_ring *r, u32 pos)
{
	return (atomic64_t *)&r->rdesc[pos & r->mask];
}

/* The word of the slot @pos maps to, read once, with acquire ordering. */
static union kmsgq_ring_word kmsgq_ring_rword(const struct kmsgq_ring *r,
					      u32 pos)
{
	union kmsgq_ring_word w;

	/* Pairs with the release that published or freed the slot. */
	w.val = atomic64_read_acquire(kmsgq_ring_wordp(r, pos));
	return w;
}

/* Replace @old, as read, by {@seq, @owner}; fully ordered.  True if done. */
static bool kmsgq_ring_rcas(struct kmsgq_ring *r, u32 pos,
			    union kmsgq_ring_word old, u32 seq, u32 owner)
{
	union kmsgq_ring_word new = { .seq = seq, .owner = owner };

	return atomic64_try_cmpxchg(kmsgq_ring_wordp(r, pos), &old.val,
				    new.val);
}

/* Store {@seq, 0}: the slot's claim is over.  Release ordering. */
static void kmsgq_ring_rset(struct kmsgq_ring *r, u32 pos, u32 seq)
{
	union kmsgq_ring_word new = { .seq = seq };

	atomic64_set_release(kmsgq_ring_wordp(r, pos), new.val);
}

/*
 * Move a shared position from wherever it is in [@from, @to) to @to: the
 * slots before @to are claimed.  Gives up after KMSGQ_RING_CLAIM_TRIES
 * races, as a mapper may keep moving it.  Return: the position after.
 */
static u32 kmsgq_ring_radvance(u32 *head, u32 from, u32 to)
{
	u32 h = READ_ONCE(*head);
	int tries;

	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		u32 old;

		if ((s32)(h - from) < 0 || (s32)(h - to) >= 0)
			break;
		old = cmpxchg(head, h, to);
		if (old == h)
			return to;
		h = old;
	}
	return h;
}

/*
 * Move @head past every slot from it on that is claimed or done (@lag as
 * for kmsgq_ring_rready()), at most @r->nr_slots of them.
 */
static void kmsgq_ring_rcatch_up(struct kmsgq_ring *r, u32 *head, u32 lag)
{
	u32 i;

	for (i = 0; i < r->nr_slots; i++) {
		u32 h = READ_ONCE(*head);
		union kmsgq_ring_word w = kmsgq_ring_rword(r, h);
		s32 diff = (s32)(w.seq - (h + lag));

		if (diff < 0 || (!diff && !w.owner))
			return;
		kmsgq_ring_radvance(head, h, h + 1);
	}
}

/*
 * The first slot from @head on that is not claimed or consumed: @lag 0
 * looks for a free slot (producers), 1 for a committed one (consumers).
 * Looks at @r->nr_slots slots at most.  Return: true if one is there.
 */
static bool kmsgq_ring_rready(const struct kmsgq_ring *r, u32 head, u32 lag)
{
	u32 i;

	for (i = 0; i < r->nr_slots; i++, head++) {
		union kmsgq_ring_word w = kmsgq_ring_rword(r, head);
		s32 diff = (s32)(w.seq - (head + lag));

		if (diff < 0)
			return false;
		if (!diff && !w.owner)
			return true;
	}
	return false;
}

/**
 * kmsgq_ring_readable() - does the next consumer position hold a message?
 * @r: ring
 *
 * On a reclaiming ring the consumer position may trail slots consumers
 * have claimed: the first slot from it on that nobody claimed is looked at.
 *
 * Return: true if that slot is committed.
 */
bool kmsgq_ring_readable(const struct kmsgq_ring *r)
{
	u32 pos = READ_ONCE(*r->cons);

	if (r->reclaim)
		return kmsgq_ring_rready(r, pos, 1);
	return kmsgq_ring_seq(r, pos) == pos + 1;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_readable);

/**
 * kmsgq_ring_writable() - is the next producer position free?
 * @r: ring
 *
 * On a reclaiming ring the first slot from the producer position on that
 * nobody claimed is looked at, as for kmsgq_ring_readable().
 *
 * Return: true if that slot is free.
 */
bool kmsgq_ring_writable(const struct kmsgq_ring *r)
{
	u32 pos = READ_ONCE(*r->prod);

	if (r->reclaim)
		return kmsgq_ring_rready(r, pos, 0);
	return kmsgq_ring_seq(r, pos) == pos;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_writable);

/**
 * kmsgq_ring_count() - slots between the positions, claimed or committed
 * @r: ring
 *
 * Return: a number between 0 and @r->nr_slots, whatever the positions say.
 */
u32 kmsgq_ring_count(const struct kmsgq_ring *r)
{
	s32 n = READ_ONCE(*r->prod) - READ_ONCE(*r->cons);

	/* A reclaiming ring's positions each trail claims: never "below 0". */
	return n < 0 ? 0 : min_t(u32, n, r->nr_slots);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_count);

static int kmsgq_ring_rclaim_prod(struct kmsgq_ring *r, u32 *pos)
{
	u32 p = READ_ONCE(*r->prod);
	int tries;

	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		union kmsgq_ring_word w = kmsgq_ring_rword(r, p);
		s32 diff = (s32)(w.seq - p);

		if (diff < 0)
			return -EAGAIN;		/* full */
		if (diff || w.owner) {
			/* Claimed by someone: help the position past it. */
			p = kmsgq_ring_radvance(r->prod, p, p + 1);
			continue;
		}
		if (kmsgq_ring_rcas(r, p, w, p, KMSGQ_RING_OWNER_KERNEL)) {
			kmsgq_ring_radvance(r->prod, p, p + 1);
			*pos = p;
			return 0;
		}
	}
	return -EAGAIN;
}

/**
 * kmsgq_ring_claim_prod() - claim the next free slot as a producer
 * @r: ring
 * @pos: out: the claimed position
 *
 * The caller must fill the slot and kmsgq_ring_publish() it.
 *
 * Return: 0, or -EAGAIN if the ring is full or the claim kept losing races.
 */
int kmsgq_ring_claim_prod(struct kmsgq_ring *r, u32 *pos)
{
	u32 p = READ_ONCE(*r->prod);
	int tries;

	if (r->reclaim)
		return kmsgq_ring_rclaim_prod(r, pos);
	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		s32 diff = (s32)(kmsgq_ring_seq(r, p) - p);

		if (diff < 0)
			return -EAGAIN;		/* full */
		if (diff == 0) {
			u32 old = cmpxchg(r->prod, p, p + 1);

			if (old == p) {
				*pos = p;
				return 0;
			}
			p = old;
		} else {
			p = READ_ONCE(*r->prod);
		}
	}
	return -EAGAIN;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_claim_prod);

/**
 * kmsgq_ring_publish() - commit a claimed producer slot
 * @r: ring
 * @pos: position from kmsgq_ring_claim_prod()
 * @len: payload length; above @r->slot_size marks a slot without a message
 *
 * Release ordering makes the payload and @len visible before the slot is.
 */
void kmsgq_ring_publish(struct kmsgq_ring *r, u32 pos, u32 len)
{
	struct kmsgq_ring_desc *d;

	if (r->reclaim) {
		WRITE_ONCE(r->rdesc[pos & r->mask].len, len);
		/* Payload and len before seq; pairs with kmsgq_ring_rword(). */
		kmsgq_ring_rset(r, pos, pos + 1);
		return;
	}
	d = &r->desc[pos & r->mask];
	WRITE_ONCE(d->len, len);
	/* Payload and len before seq; pairs with kmsgq_ring_seq(). */
	smp_store_release(&d->seq, pos + 1);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_publish);

static int kmsgq_ring_rpeek_cons(struct kmsgq_ring *r, u32 maxlen, u32 *pos,
				 u32 *len, bool *freed)
{
	u32 c = READ_ONCE(*r->cons);
	int tries;

	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		union kmsgq_ring_word w = kmsgq_ring_rword(r, c);
		s32 diff = (s32)(w.seq - (c + 1));
		u32 l;

		if (diff < 0)
			return -EAGAIN;		/* empty */
		if (diff || w.owner) {
			/* Claimed or consumed: help the position past it. */
			c = kmsgq_ring_radvance(r->cons, c, c + 1);
			continue;
		}
		l = READ_ONCE(r->rdesc[c & r->mask].len);
		if (l > r->slot_size) {
			if (kmsgq_ring_claim_at(r, c)) {
				kmsgq_ring_release(r, c);
				*freed = true;
			}
			c = READ_ONCE(*r->cons);
			continue;
		}
		*len = l;
		if (l > maxlen)
			return -EMSGSIZE;
		*pos = c;
		return 0;
	}
	return -EAGAIN;
}

/**
 * kmsgq_ring_peek_cons() - find the next committed slot without claiming it
 * @r: ring
 * @maxlen: largest payload the caller can take
 * @pos: out: its position, for kmsgq_ring_payload() and kmsgq_ring_claim_at()
 * @len: out: payload length; with -EMSGSIZE the length needed
 * @freed: set if empty slots were skipped (released): producers may need
 *	a wakeup
 *
 * A slot whose length exceeds the slot size carries no message (a producer
 * failed, or a mapper scribbled): it is claimed, released and skipped here.
 * The payload at @pos stays put until some consumer claims the slot, so a
 * caller may copy it out first and claim it after (a failed claim means
 * another consumer took it: the copy is void).
 *
 * Return: 0, -EAGAIN if the ring is empty or busy, or -EMSGSIZE if the next
 * message is longer than @maxlen.
 */
int kmsgq_ring_peek_cons(struct kmsgq_ring *r, u32 maxlen, u32 *pos, u32 *len,
			 bool *freed)
{
	u32 c = READ_ONCE(*r->cons);
	int tries;

	if (r->reclaim)
		return kmsgq_ring_rpeek_cons(r, maxlen, pos, len, freed);
	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		s32 diff = (s32)(kmsgq_ring_seq(r, c) - (c + 1));
		u32 l, old;

		if (diff < 0)
			return -EAGAIN;		/* empty */
		if (diff > 0) {
			c = READ_ONCE(*r->cons);
			continue;
		}
		l = READ_ONCE(r->desc[c & r->mask].len);
		if (l > r->slot_size) {
			old = cmpxchg(r->cons, c, c + 1);
			if (old == c) {
				kmsgq_ring_release(r, c);
				*freed = true;
				c++;
			} else {
				c = old;
			}
			continue;
		}
		*len = l;
		if (l > maxlen)
			return -EMSGSIZE;
		*pos = c;
		return 0;
	}
	return -EAGAIN;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_peek_cons);

/**
 * kmsgq_ring_peek_at() - find the message at an index of the receive order
 * @r: ring
 * @index: messages to pass over from the consumer position
 * @pos: out: its position, for kmsgq_ring_payload() and kmsgq_ring_unmoved()
 * @len: out: its payload length
 *
 * Claims nothing and releases nothing: slots carrying no message are
 * passed over without being counted.  Receive order ends at the first slot
 * not committed yet.  A slot consumed while it is looked at sends the walk
 * back to the consumer position; all the walks of one call look at no more
 * than 2 * @r->nr_slots slots, however a mapper sets the words.
 *
 * Return: 0, -EAGAIN if no message stands at @index now, or -EBUSY if
 * consumers (or a mapper) kept moving the slots away: look again later.
 */
int kmsgq_ring_peek_at(const struct kmsgq_ring *r, u32 index, u32 *pos,
		       u32 *len)
{
	u32 budget = 2 * r->nr_slots;
	int tries;

	for (tries = 0; tries < KMSGQ_RING_CLAIM_TRIES; tries++) {
		u32 c = READ_ONCE(*r->cons);
		u32 left = index;
		u32 i;

		for (i = 0; i < r->nr_slots; i++, c++) {
			bool claimed = false;
			s32 diff;
			u32 l;

			if (!budget--)
				return -EBUSY;
			if (r->reclaim) {
				union kmsgq_ring_word w = kmsgq_ring_rword(r, c);

				diff = (s32)(w.seq - (c + 1));
				claimed = w.owner;
			} else {
				diff = (s32)(kmsgq_ring_seq(r, c) - (c + 1));
			}
			if (diff < 0)
				return -EAGAIN;	/* not committed: the end */
			/*
			 * Consumed meanwhile: an ordinary ring's consumer
			 * position has moved, so look from it again; a
			 * reclaiming ring's may trail such slots, which are
			 * simply not in the receive order, as claimed ones.
			 */
			if (diff > 0 && !r->reclaim)
				break;
			if (diff || claimed)
				continue;
			l = r->reclaim ? READ_ONCE(r->rdesc[c & r->mask].len) :
					 READ_ONCE(r->desc[c & r->mask].len);
			if (l > r->slot_size || left--)
				continue;
			*pos = c;
			*len = l;
			return 0;
		}
		if (i == r->nr_slots)
			return -EAGAIN;
	}
	return -EBUSY;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_peek_at);

/**
 * kmsgq_ring_unmoved() - is a committed slot still unreleased?
 * @r: ring
 * @pos: position from kmsgq_ring_peek_at() or kmsgq_ring_peek_cons()
 *
 * Called after copying the payload out without a claim: a producer writes
 * a slot only after a consumer released it, so if the slot still holds
 * position @pos, committed, the copy is of the message that was there.
 *
 * Return: true if the copy made before this call is whole.
 */
bool kmsgq_ring_unmoved(const struct kmsgq_ring *r, u32 pos)
{
	/* The copy's reads before the seq's; pairs with the release store. */
	smp_rmb();
	if (r->reclaim)
		return READ_ONCE(r->rdesc[pos & r->mask].seq) == pos + 1;
	return READ_ONCE(r->desc[pos & r->mask].seq) == pos + 1;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_unmoved);

/**
 * kmsgq_ring_claim_at() - claim the slot kmsgq_ring_peek_cons() found
 * @r: ring
 * @pos: its position
 *
 * Return: true if the slot is now the caller's, to kmsgq_ring_release().
 */
bool kmsgq_ring_claim_at(struct kmsgq_ring *r, u32 pos)
{
	if (r->reclaim) {
		union kmsgq_ring_word w = { .seq = pos + 1 };

		if (!kmsgq_ring_rcas(r, pos, w, pos + 1,
				     KMSGQ_RING_OWNER_KERNEL))
			return false;
		kmsgq_ring_radvance(r->cons, pos, pos + 1);
		return true;
	}
	return cmpxchg(r->cons, pos, pos + 1) == pos;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_claim_at);

/**
 * kmsgq_ring_release() - hand a consumed slot back to producers
 * @r: ring
 * @pos: position from kmsgq_ring_claim_at()
 */
void kmsgq_ring_release(struct kmsgq_ring *r, u32 pos)
{
	if (r->reclaim) {
		/* Done reading the payload before the slot is free. */
		kmsgq_ring_rset(r, pos, pos + r->nr_slots);
		return;
	}
	/* Done reading the payload before the slot is free; pairs with kmsgq_ring_seq(). */
	smp_store_release(&r->desc[pos & r->mask].seq, pos + r->nr_slots);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_release);

/**
 * kmsgq_ring_reclaim() - finish the claims of a file that is gone
 * @r: reclaiming ring
 * @owner: the file's token (kmsgq_ring_info.owner), never
 *	KMSGQ_RING_OWNER_KERNEL
 * @events: out: KMSGQ_RING_READABLE if a slot was published,
 *	KMSGQ_RING_WRITABLE if one was released
 *
 * Every slot still claimed by @owner is finished as its claimant would
 * have: a producer's published carrying no message, a consumer's released,
 * and the shared position moved past it if it was left behind.  Only the
 * dead file's holders wrote @owner, so no live claim is touched; each
 * change is a compare-and-swap from the word as read, so a mapper racing
 * the walk changes only which of its own slots are finished.
 *
 * Return: messages released unread (slots that carried one).
 */
u32 kmsgq_ring_reclaim(struct kmsgq_ring *r, u32 owner, u32 *events)
{
	u32 lost = 0;
	u32 i, len;

	for (i = 0; i < r->nr_slots; i++) {
		union kmsgq_ring_word w = kmsgq_ring_rword(r, i);
		u32 pos = w.seq;

		if (!(i % 1024))
			cond_resched();
		if (w.owner != owner)
			continue;
		if ((pos & r->mask) == i) {
			/*
			 * A producer's claim of position pos.  The length
			 * goes first; were the swap to fail, only a mapper
			 * that rewrote the word would lose its slot.
			 */
			WRITE_ONCE(r->rdesc[i].len, KMSGQ_RING_LEN_NONE);
			if (kmsgq_ring_rcas(r, i, w, pos + 1, 0))
				*events |= KMSGQ_RING_READABLE;
		} else if (((pos - 1) & r->mask) == i) {
			/* A consumer's claim of position pos - 1. */
			len = READ_ONCE(r->rdesc[i].len);
			if (!kmsgq_ring_rcas(r, i, w, pos - 1 + r->nr_slots, 0))
				continue;
			*events |= KMSGQ_RING_WRITABLE;
			if (len <= r->slot_size)
				lost++;
		}
	}
	/*
	 * Positions left behind claims the walk finished, in position order
	 * (the walk went in slot order): each moves past every slot claimed
	 * or done, as a claimant would have moved it.
	 */
	kmsgq_ring_rcatch_up(r, r->prod, 0);
	kmsgq_ring_rcatch_up(r, r->cons, 1);
	return lost;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_ring_reclaim);

/*
 * Waking: the shared wakeup word tells in-place peers, which cannot see the
 * kernel's wait queues, whether a system call is needed after they publish
 * or release.  A kernel sleeper arms its bit after queueing itself and
 * before its last check of the ring:
 *
 *  sleeper (kernel, for a task)           in-place waker (user space)
 *  ----------------------------           ---------------------------
 *  prepare_to_wait(wq)                     publish slot (store-release seq)
 *  kmsgq_ring_arm(): atomic_or(bit)        full barrier
 *  smp_mb__after_atomic()                  if (word & bit)
 *  if ring ready: done                         KMSGQ_IOC_RING_WAKE
 *  schedule()
 *
 * Either the sleeper's check sees the slot, or the waker's read sees the
 * bit: the two full barriers pair.  The kernel itself never trusts the
 * word: when it publishes or releases, and when a writable mapping goes
 * (whose process may have died owing a wake), it wakes from its own wait
 * queues (waitqueue_active() after a full barrier, pairing with the one in
 * set_current_state()), so a mapper that clears the word can only delay
 * in-place peers, never the kernel's sleepers.  Every poll arms the bits it
 * asks for whether or not the ring is ready then, so an epoll entry that
 * stays queued (edge-triggered, or changed by EPOLL_CTL_MOD) is woken by
 * in-place peers for the next event too.  kmsgq_ring_disarm() clears
 * a bit, under the wait queue's lock, only when nothing waits there any
 * more: a sleeper queues itself before it arms, so a clear never removes
 * the bit of a sleeper that is still waiting, and an epoll entry, which
 * stays queued between epoll_wait() calls, keeps its bit armed.
 */

/**
 * kmsgq_ring_arm() - tell in-place peers that the kernel has a sleeper
 * @r: ring
 * @bits: KMSGQ_RING_WAKE_* bits to set in the shared wakeup word
 *
 * Context: the sleeper is already on its wait queue.
 */
void kmsgq_ring_arm(struct kmsgq_ring *r, u32 bits)
{
	atomic_or(bits, (atomic_t *)r->wakeup);
	/* Bit visible before the caller rechecks the ring. */
	smp_mb__after_atomic();
}

/**
 * kmsgq_ring_disarm() - clear a wakeup bit unless something still waits
 * @r: ring
 * @wq: the wait queue of the sleepers @bit stands for
 * @bit: KMSGQ_RING_WAKE_CONSUMER or KMSGQ_RING_WAKE_PRODUCER
 */
void kmsgq_ring_disarm(struct kmsgq_ring *r, struct wait_queue_head *wq,
		       u32 bit)
{
	unsigned long flags;

	if (!(READ_ONCE(*r->wakeup) & bit))
		return;
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&wq->head))
		atomic_andnot(bit, (atomic_t *)r->wakeup);
	spin_unlock_irqrestore(&wq->lock, flags);
}
