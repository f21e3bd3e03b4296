// SPDX-License-Identifier: GPL-2.0
/*
 * transport_ring.c - kmsgq zero-copy (kmsgq-zc): a ring queue mapped by
 * both sides; kmsgq_ring_reserve + fill in place + commit, kmsgq_ring_claim
 * + checksum in place + release, up to BENCH_BATCH slots per reserve/peek,
 * kmsgq_ring_wait() when full/empty.  kmsgq-zc-reclaim: the same on a
 * reclaiming ring (KMSGQ_OPEN_RECLAIM), whose claims are one
 * compare-and-swap per slot rather than one per batch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

#include "bench.h"

static int ring_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, KMSGQ_OPEN_RING);
}

static int ring_reclaim_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM);
}

static int ring_ep_open(struct bench_ep *e, const struct bench_chan *c,
			int prod)
{
	struct kmsgq_ring *r = calloc(1, sizeof(*r));
	int ret;

	(void)prod;
	if (!r) {
		bench_fail("out of memory");
		return -1;
	}
	e->priv = r;
	/* Ring users claim slots, which needs a writable mapping. */
	e->fd = kmsgq_open(c->name, O_RDWR, 0, NULL);
	if (e->fd < 0) {
		bench_fail("kmsgq_open: %s", strerror(-e->fd));
		return -1;
	}
	ret = kmsgq_ring_map(e->fd, r);
	if (ret) {
		bench_fail("kmsgq_ring_map: %s", strerror(-ret));
		return -1;
	}
	if (r->slot_size < c->size) {
		bench_fail("ring slot_size %u < %zu", r->slot_size, c->size);
		return -1;
	}
	/* Touch the mapping before the clock starts. */
	for (size_t o = 0; o < r->map_size; o += 4096)
		(void)*(volatile unsigned char *)((unsigned char *)r->map + o);
	return 0;
}

/* kmsgq_ring_wait(), counted: how often the ring users wait. */
static int ring_wait(struct kmsgq_ring *r, unsigned int events)
{
	uint64_t begin = bench_wait_begin();
	int ret;

	ret = kmsgq_ring_wait(r, events, CLOCK_MONOTONIC, NULL);
	bench_wait_end(begin);
	if (ret < 0 && ret != -EINTR) {
		bench_fail("kmsgq_ring_wait: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* Fill the reserved slot @pos with message @seq and publish it. */
static int ring_put(struct bench_ep *e, uint32_t pos, uint64_t seq)
{
	struct kmsgq_ring *r = e->priv;
	int ret;

	bench_fill(kmsgq_ring_slot(r, pos), e->size, seq);
	kmsgq_ring_commit(r, pos, e->size);
	ret = kmsgq_ring_commit_done(r);
	if (ret) {
		bench_fail("kmsgq_ring_wake: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

static int ring_send_one(struct bench_ep *e, uint64_t seq)
{
	struct kmsgq_ring *r = e->priv;
	uint32_t pos;

	while (!kmsgq_ring_reserve(r, 1, &pos))
		if (ring_wait(r, KMSGQ_RING_WRITABLE))
			return -1;
	return ring_put(e, pos, seq);
}

static int ring_recv_one(struct bench_ep *e, uint64_t *seq)
{
	struct kmsgq_ring *r = e->priv;
	uint32_t pos, len = 0;
	const void *p;
	int ret;

	while (!kmsgq_ring_claim(r, 1, &pos))
		if (ring_wait(r, KMSGQ_RING_READABLE))
			return -1;
	p = kmsgq_ring_msg(r, pos, &len);
	ret = p ? bench_check(p, len, e->size, seq) : -1;
	kmsgq_ring_release(r, pos, 1);
	if (kmsgq_ring_release_done(r) < 0) {
		bench_fail("kmsgq_ring_wake failed");
		return -1;
	}
	if (ret) {
		bench_fail("bad message in ring slot %u (len %u)", pos,
			   p ? len : ~0u);
		return -1;
	}
	return 0;
}

/* End markers: never sleep in the ring, the queue may stay full. */
static int ring_try_send(struct bench_ep *e, uint64_t seq)
{
	uint32_t pos;

	if (!kmsgq_ring_reserve(e->priv, 1, &pos)) {
		usleep(200);
		return 0;
	}
	return ring_put(e, pos, seq) ? -1 : 1;
}

static int ring_produce(struct bench_ep *e, uint64_t seq, uint64_t left)
{
	struct kmsgq_ring *r = e->priv;
	unsigned int i, k;
	uint32_t pos;
	int ret;

	while (left) {
		k = kmsgq_ring_reserve(r, left < BENCH_BATCH ? left : BENCH_BATCH,
				       &pos);
		if (!k) {
			if (ring_wait(r, KMSGQ_RING_WRITABLE))
				return -1;
			continue;
		}
		bench_self->calls++;
		for (i = 0; i < k; i++) {
			bench_fill(kmsgq_ring_slot(r, pos + i), e->size, seq + i);
			kmsgq_ring_commit(r, pos + i, e->size);
		}
		ret = kmsgq_ring_commit_done(r);
		if (ret) {
			bench_fail("kmsgq_ring_wake: %s", strerror(-ret));
			return -1;
		}
		seq += k;
		left -= k;
	}
	return 0;
}

static int ring_consume(struct bench_ep *e, uint64_t left,
			struct bench_cons *cs)
{
	struct kmsgq_ring *r = e->priv;
	unsigned int i, k;
	int ret, stop = 0;
	uint32_t pos, len;
	const void *p;
	uint64_t seq;

	while (left && !stop) {
		k = kmsgq_ring_claim(r, left < BENCH_BATCH ? left : BENCH_BATCH,
				    &pos);
		if (!k) {
			if (ring_wait(r, KMSGQ_RING_READABLE))
				return -1;
			continue;
		}
		bench_self->calls++;
		for (i = 0; i < k; i++) {
			p = kmsgq_ring_msg(r, pos + i, &len);
			if (!p || bench_check(p, len, e->size, &seq)) {
				bench_fail("kmsgq-zc: bad message at %u", pos + i);
				return -1;
			}
			ret = bench_account(cs, seq);
			if (ret < 0)
				return -1;
			stop |= ret;
		}
		kmsgq_ring_release(r, pos, k);
		ret = kmsgq_ring_release_done(r);
		if (ret) {
			bench_fail("kmsgq_ring_wake: %s", strerror(-ret));
			return -1;
		}
		if (cs->ordered)
			left -= k;
	}
	return 0;
}

const struct bench_transport ring_transport = {
	.name = "kmsgq-zc",
	.flags = BENCH_T_KMSGQ,
	.init = kcopy_init,
	.chan_create = ring_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = ring_ep_open,
	.send_one = ring_send_one,
	.recv_one = ring_recv_one,
	.try_send = ring_try_send,
	.produce = ring_produce,
	.consume = ring_consume,
};

const struct bench_transport ring_reclaim_transport = {
	.name = "kmsgq-zc-reclaim",
	.flags = BENCH_T_KMSGQ,
	.init = kcopy_init,
	.chan_create = ring_reclaim_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = ring_ep_open,
	.send_one = ring_send_one,
	.recv_one = ring_recv_one,
	.try_send = ring_try_send,
	.produce = ring_produce,
	.consume = ring_consume,
};
