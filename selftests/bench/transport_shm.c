// SPDX-License-Identifier: GPL-2.0
/*
 * transport_shm.c - shm-futex: what a zero-copy user builds without the
 * kernel's help.  A ring in a memfd that producer and consumer processes
 * both map, Vyukov's bounded MPMC protocol (the one kmsgq's rings use),
 * payloads written and checksummed in place, and futex sleeps guarded by
 * need-wakeup counters: a side sleeps only when the ring is full or empty
 * (after a fixed poll of 4096 checks, the common spin-then-futex design;
 * kmsgq_ring_wait() adapts its poll instead), and a side wakes the
 * other only when the counter says someone sleeps.
 *
 * Sleeper (consumer shown; producers are the mirror image):
 *	v = cons_futex;  cons_sleepers++;  full barrier;
 *	if (!readable) futex_wait(&cons_futex, v);
 *	cons_sleepers--;
 * Waker, after publishing desc.seq (release):
 *	full barrier;  if (cons_sleepers) { cons_futex++; futex_wake(all); }
 * Either the sleeper's recheck sees the message, or the waker sees the
 * counter; a bump between the sleeper's read of v and its futex_wait makes
 * futex_wait return at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bench.h"

#define SHM_SPIN	4096	/* checks before a sleep, every time */
#define SHM_TRIES	64	/* lost claim races before "nothing now" */

/* The shared header: every word that two sides write on its own line. */
struct shm_hdr {
	_Alignas(64) uint32_t prod;	/* next position producers claim */
	_Alignas(64) uint32_t cons;	/* next position consumers claim */
	_Alignas(64) uint32_t cons_futex; /* bumped to wake consumers */
	uint32_t cons_sleepers;		/* consumers in (or entering) a sleep */
	_Alignas(64) uint32_t prod_futex;
	uint32_t prod_sleepers;
};

struct shm_desc {
	uint32_t seq;			/* Vyukov's sequence number */
	uint32_t len;
};

/* A mapped ring, in a child. */
struct shm_ring {
	struct shm_hdr *h;
	struct shm_desc *desc;
	unsigned char *data;
	uint32_t nr, mask;
	size_t slot;
};

static size_t shm_desc_off(void)
{
	return sizeof(struct shm_hdr);
}

static size_t shm_data_off(uint32_t nr)
{
	return (shm_desc_off() + nr * sizeof(struct shm_desc) + 63) & ~(size_t)63;
}

static size_t shm_slot_size(size_t size)
{
	return (size + 63) & ~(size_t)63;
}

static size_t shm_map_size(const struct bench_chan *c)
{
	return shm_data_off(c->depth) + c->depth * shm_slot_size(c->size);
}

static void shm_layout(struct shm_ring *r, void *map,
		       const struct bench_chan *c)
{
	r->h = map;
	r->desc = (struct shm_desc *)((char *)map + shm_desc_off());
	r->nr = c->depth;
	r->mask = r->nr - 1;
	r->slot = shm_slot_size(c->size);
	r->data = (unsigned char *)map + shm_data_off(r->nr);
}

static int shm_futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* The memfd, sized and initialised; the children map it. */
static int shm_chan_create(struct bench_chan *c)
{
	size_t len = shm_map_size(c);
	struct shm_ring r;
	void *map;
	uint32_t i;

	c->fds[0] = memfd_create("kmsgq-bench-shm", 0);
	if (c->fds[0] < 0 || ftruncate(c->fds[0], len))
		bench_die("memfd: %s", strerror(errno));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fds[0], 0);
	if (map == MAP_FAILED)
		bench_die("mmap memfd: %s", strerror(errno));
	shm_layout(&r, map, c);
	for (i = 0; i < r.nr; i++)
		r.desc[i].seq = i;
	munmap(map, len);
	return 0;
}

static void shm_chan_destroy(struct bench_chan *c)
{
	close(c->fds[0]);
}

static int shm_ep_open(struct bench_ep *e, const struct bench_chan *c,
		       int prod)
{
	size_t len = shm_map_size(c);
	struct shm_ring *r = calloc(1, sizeof(*r));
	void *map;

	(void)prod;
	if (!r) {
		bench_fail("out of memory");
		return -1;
	}
	e->priv = r;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fds[0], 0);
	if (map == MAP_FAILED) {
		bench_fail("mmap memfd: %s", strerror(errno));
		return -1;
	}
	shm_layout(r, map, c);
	/* Touch the mapping before the clock starts. */
	for (size_t o = 0; o < len; o += 4096)
		(void)*(volatile unsigned char *)((unsigned char *)map + o);
	return 0;
}

static uint32_t shm_seq(const struct shm_ring *r, uint32_t pos)
{
	return __atomic_load_n(&r->desc[pos & r->mask].seq, __ATOMIC_ACQUIRE);
}

/*
 * Claim up to @want slots: producers (@prod) free ones, whose seq == pos;
 * consumers committed ones, whose seq == pos + 1.  The number claimed, 0
 * if there is none (or after SHM_TRIES lost races).
 */
static unsigned int shm_claim(struct shm_ring *r, int prod, unsigned int want,
			      uint32_t *pos)
{
	uint32_t *at = prod ? &r->h->prod : &r->h->cons;
	uint32_t p = __atomic_load_n(at, __ATOMIC_RELAXED), ahead = !prod;
	unsigned int n, tries;

	for (tries = 0; tries < SHM_TRIES; tries++) {
		for (n = 0; n < want && shm_seq(r, p + n) == p + n + ahead; n++)
			;
		if (!n) {
			if ((int32_t)(shm_seq(r, p) - (p + ahead)) < 0)
				return 0;	/* full / empty */
			p = __atomic_load_n(at, __ATOMIC_RELAXED);
			continue;		/* another side took it */
		}
		if (__atomic_compare_exchange_n(at, &p, p + n, 1,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			*pos = p;
			return n;
		}
	}
	return 0;
}

static int shm_ready(const struct shm_ring *r, int prod)
{
	uint32_t p = __atomic_load_n(prod ? &r->h->prod : &r->h->cons,
				     __ATOMIC_RELAXED);

	return shm_seq(r, p) == p + !prod;
}

/* Wait until a producer (@prod) may claim a slot, or a consumer may. */
static void shm_wait(struct shm_ring *r, int prod)
{
	uint32_t *word = prod ? &r->h->prod_futex : &r->h->cons_futex;
	uint32_t *sleepers = prod ? &r->h->prod_sleepers : &r->h->cons_sleepers;
	uint64_t begin = bench_wait_begin();
	uint32_t v;
	int i;

	for (i = 0; i < SHM_SPIN; i++)
		if (shm_ready(r, prod))
			goto out;
	v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(sleepers, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!shm_ready(r, prod))
		shm_futex(word, FUTEX_WAIT, v);	/* EAGAIN, EINTR: recheck */
	__atomic_fetch_sub(sleepers, 1, __ATOMIC_SEQ_CST);
out:
	bench_wait_end(begin);
}

/* After publishing: wake the other side's sleepers, if the counter says. */
static void shm_wake(struct shm_ring *r, int prod)
{
	uint32_t *word = prod ? &r->h->cons_futex : &r->h->prod_futex;
	uint32_t *sleepers = prod ? &r->h->cons_sleepers : &r->h->prod_sleepers;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(sleepers, __ATOMIC_RELAXED))
		return;
	__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
	shm_futex(word, FUTEX_WAKE, INT_MAX);
}

/* Fill slots @pos.. with messages @seq.. and publish them. */
static void shm_commit(struct shm_ring *r, uint32_t pos, unsigned int n,
		       size_t size, uint64_t seq)
{
	for (unsigned int i = 0; i < n; i++) {
		struct shm_desc *d = &r->desc[(pos + i) & r->mask];

		bench_fill(r->data + ((pos + i) & r->mask) * r->slot, size,
			   seq + i);
		d->len = size;
		__atomic_store_n(&d->seq, pos + i + 1, __ATOMIC_RELEASE);
	}
	shm_wake(r, 1);
}

/* Check the messages in slots @pos.., account them, free the slots. */
static int shm_release(struct shm_ring *r, uint32_t pos, unsigned int n,
		       size_t size, struct bench_cons *cs, uint64_t *seq)
{
	int ret, stop = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct shm_desc *d = &r->desc[(pos + i) & r->mask];

		if (bench_check(r->data + ((pos + i) & r->mask) * r->slot,
				d->len, size, seq)) {
			bench_fail("shm-futex: bad message at %u (len %u)",
				   pos + i, d->len);
			return -1;
		}
		if (cs) {
			ret = bench_account(cs, *seq);
			if (ret < 0)
				return -1;
			stop |= ret;
		}
		__atomic_store_n(&d->seq, pos + i + r->nr, __ATOMIC_RELEASE);
	}
	shm_wake(r, 0);
	return stop;
}

static int shm_send_one(struct bench_ep *e, uint64_t seq)
{
	struct shm_ring *r = e->priv;
	uint32_t pos;

	while (!shm_claim(r, 1, 1, &pos))
		shm_wait(r, 1);
	shm_commit(r, pos, 1, e->size, seq);
	return 0;
}

static int shm_recv_one(struct bench_ep *e, uint64_t *seq)
{
	struct shm_ring *r = e->priv;
	uint32_t pos;

	while (!shm_claim(r, 0, 1, &pos))
		shm_wait(r, 0);
	return shm_release(r, pos, 1, e->size, NULL, seq) < 0 ? -1 : 0;
}

/* End markers: never sleep, the ring may stay full. */
static int shm_try_send(struct bench_ep *e, uint64_t seq)
{
	struct shm_ring *r = e->priv;
	uint32_t pos;

	if (!shm_claim(r, 1, 1, &pos)) {
		usleep(200);
		return 0;
	}
	shm_commit(r, pos, 1, e->size, seq);
	return 1;
}

static int shm_produce(struct bench_ep *e, uint64_t seq, uint64_t left)
{
	struct shm_ring *r = e->priv;
	unsigned int k;
	uint32_t pos;

	while (left) {
		k = shm_claim(r, 1, left < BENCH_BATCH ? left : BENCH_BATCH, &pos);
		if (!k) {
			shm_wait(r, 1);
			continue;
		}
		bench_self->calls++;
		shm_commit(r, pos, k, e->size, seq);
		seq += k;
		left -= k;
	}
	return 0;
}

static int shm_consume(struct bench_ep *e, uint64_t left,
		       struct bench_cons *cs)
{
	struct shm_ring *r = e->priv;
	int stop = 0;
	unsigned int k;
	uint64_t seq;
	uint32_t pos;

	while (left && !stop) {
		k = shm_claim(r, 0, left < BENCH_BATCH ? left : BENCH_BATCH, &pos);
		if (!k) {
			shm_wait(r, 0);
			continue;
		}
		bench_self->calls++;
		stop = shm_release(r, pos, k, e->size, cs, &seq);
		if (stop < 0)
			return -1;
		if (cs->ordered)
			left -= k;
	}
	return 0;
}

const struct bench_transport shm_transport = {
	.name = "shm-futex",
	.chan_create = shm_chan_create,
	.chan_destroy = shm_chan_destroy,
	.ep_open = shm_ep_open,
	.send_one = shm_send_one,
	.recv_one = shm_recv_one,
	.try_send = shm_try_send,
	.produce = shm_produce,
	.consume = shm_consume,
};
