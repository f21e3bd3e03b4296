// SPDX-License-Identifier: GPL-2.0
/*
 * transport_fanout.c - kmsgq fan-out queues (KMSGQ_OPEN_FANOUT), one queue
 * for all subscribers, the default (blocking, lossless) policy.  Only in
 * the fan-out workload, where mqueue, pipe and kmsgq-copy take a channel
 * per subscriber instead.
 *
 * kmsgq-fanout (copy mode): the publisher write()s each message once,
 * every subscriber (kmsgq_subscribe()) read()s every message.
 *
 * kmsgq-fanout-zc (zero-copy subscribers): a FANOUT | RING queue.  The
 * publisher sends batches of BENCH_BATCH (kmsgq_send_batch(): one copy into
 * the store, one wake for all); each subscriber maps the store read-only,
 * checksums every message in place (kmsgq_fanout_next()/_done()) and
 * acknowledges per batch (kmsgq_fanout_ack()), waiting in the same call
 * when it has caught up.
 *
 * kmsgq-fanout-inplace (zero-copy both ways): a FANOUT | RING | INPLACE
 * queue and the same subscribers.  The publisher opens it to publish only
 * (kmsgq_open_publisher(), O_RDWR to map), maps the payload slots
 * writable (kmsgq_fanout_pub_map()) and writes each batch of BENCH_BATCH
 * in the slots the kernel reserved for it; one kmsgq_fanout_publish() per
 * batch commits it and reserves the next: no copy, one wake for all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

#include "bench.h"

/*
 * kmsgq's probe, and whether the module has @feature: if not, the
 * transport is skipped, as @why says.
 */
static int fanout_probe(__u64 feature, const char *why)
{
	struct kmsgq_info info = { .size = sizeof(info) };
	size_t used;

	if (kcopy_init() || kmsgq_info(-1, &info))
		return -1;
	if (info.features & feature)
		return 0;
	used = strlen(bench_sys.kmsgq_why);
	snprintf(bench_sys.kmsgq_why + used, sizeof(bench_sys.kmsgq_why) - used,
		 "; %s", why);
	return -1;
}

static int fanout_init(void)
{
	return fanout_probe(KMSGQ_FEAT_FANOUT,
			    "no fan-out queues: kmsgq-fanout skipped");
}

static int fanout_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, KMSGQ_OPEN_FANOUT);
}

/* The publisher writes only; a subscriber binds before the run starts. */
static int fanout_ep_open(struct bench_ep *e, const struct bench_chan *c,
			  int prod)
{
	e->fd = prod ? kmsgq_open(c->name, O_WRONLY, 0, NULL) :
		       kmsgq_subscribe(c->name, O_RDONLY, 0);
	if (e->fd < 0) {
		bench_fail("%s: %s", prod ? "kmsgq_open" : "kmsgq_subscribe",
			   strerror(-e->fd));
		return -1;
	}
	return 0;
}

const struct bench_transport fanout_transport = {
	.name = "kmsgq-fanout",
	.flags = BENCH_T_KMSGQ | BENCH_T_PUBSUB,
	.init = fanout_init,
	.chan_create = fanout_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = fanout_ep_open,
	.send_one = unix_send_one,
	.recv_one = unix_recv_one,
	.try_send = runner_try_send_poll,
};

/*
 * A zero-copy endpoint: the subscriber's view, or the publisher's batch
 * (kmsgq-fanout-zc) or mapping and lengths (kmsgq-fanout-inplace).
 */
struct fanout_zc {
	struct kmsgq_fanout_view v;
	struct kmsgq_msg msgs[BENCH_BATCH];
	struct kmsgq_fanout_pub pub;
	uint32_t lens[BENCH_BATCH];
};

static int fanout_zc_init(void)
{
	return fanout_probe(KMSGQ_FEAT_FANOUT_MAP,
			    "no mapped fan-out queues: kmsgq-fanout-zc skipped");
}

static int fanout_zc_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING);
}

/* An endpoint's state, zeroed, as @e->priv. */
static struct fanout_zc *fanout_zc_alloc(struct bench_ep *e)
{
	struct fanout_zc *z = calloc(1, sizeof(*z));

	if (!z)
		bench_fail("out of memory");
	e->priv = z;
	return z;
}

/* A subscriber's view, mapped before the run starts. */
static int fanout_zc_sub_map(struct bench_ep *e)
{
	struct fanout_zc *z = e->priv;
	int ret;

	ret = kmsgq_fanout_map(e->fd, &z->v);
	if (ret) {
		bench_fail("kmsgq_fanout_map: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

static int fanout_zc_ep_open(struct bench_ep *e, const struct bench_chan *c,
			     int prod)
{
	if (fanout_ep_open(e, c, prod) || !fanout_zc_alloc(e))
		return -1;
	return prod ? 0 : fanout_zc_sub_map(e);
}

static int fanout_zc_produce(struct bench_ep *e, uint64_t seq, uint64_t left)
{
	struct fanout_zc *z = e->priv;

	return kcopy_produce_batches(e, z->msgs, seq, left);
}

/*
 * Acknowledge what was read; with @wait, sleep until there is more (the
 * wait the bench counts).  0 or -1.
 */
static int fanout_zc_ack(struct bench_ep *e, int wait)
{
	struct kmsgq_fanout_view *v = &((struct fanout_zc *)e->priv)->v;
	uint64_t begin = wait ? bench_wait_begin() : 0;
	int ret;

	do
		ret = kmsgq_fanout_ack(v, wait ? KMSGQ_FANOUT_ACK_WAIT : 0,
				       CLOCK_MONOTONIC, NULL);
	while (ret == -EINTR);
	if (wait)
		bench_wait_end(begin);
	if (ret) {
		bench_fail("kmsgq_fanout_ack: %s", strerror(-ret));
		return -1;
	}
	/* Lossless: the kernel never moves a subscriber on. */
	if (v->lost) {
		bench_fail("%s: %" PRIu64 " messages lost", e->t->name,
			   v->lost);
		return -1;
	}
	return 0;
}

/*
 * Up to BENCH_BATCH messages in place, each checksummed and accounted:
 * how many (*@caught_up if the view reached the tail), or -1.
 */
static int fanout_zc_batch(struct bench_ep *e, struct bench_cons *cs,
			   uint64_t max, int *stop, int *caught_up)
{
	struct fanout_zc *z = e->priv;
	const void *p;
	uint32_t len;
	uint64_t seq;
	int k = 0, r = 0, ret;

	while (k < BENCH_BATCH && (uint64_t)k < max &&
	       (r = kmsgq_fanout_next(&z->v, &p, &len)) == 1) {
		ret = bench_check(p, len, e->size, &seq);
		if (!kmsgq_fanout_done(&z->v) || ret) {
			bench_fail("%s: bad message at %" PRIu64, e->t->name,
				   z->v.pos);
			return -1;
		}
		k++;
		ret = bench_account(cs, seq);
		if (ret < 0)
			return -1;
		if (ret) {
			*stop = 1;
			break;
		}
	}
	if (r < 0) {
		bench_fail("%s: lapped at %" PRIu64, e->t->name, z->v.pos);
		return -1;
	}
	*caught_up = !r;
	return k;
}

static int fanout_zc_consume(struct bench_ep *e, uint64_t left,
			     struct bench_cons *cs)
{
	int k, stop = 0, caught_up;

	while (left && !stop) {
		k = fanout_zc_batch(e, cs, left, &stop, &caught_up);
		if (k < 0)
			return -1;
		if (k)
			bench_self->calls++;
		if (cs->ordered)
			left -= k;
		/* One call per batch: it frees the slots, and waits if due. */
		if (fanout_zc_ack(e, left && !stop && caught_up))
			return -1;
	}
	return 0;
}

static int fanout_zc_recv_one(struct bench_ep *e, uint64_t *seq)
{
	struct bench_cons cs = { .ordered = 0 };
	int stop = 0, caught_up;

	for (;;) {
		if (fanout_zc_batch(e, &cs, 1, &stop, &caught_up) < 0)
			return -1;
		if (cs.count || stop) {
			*seq = cs.count ? cs.seqsum : BENCH_MARKER;
			return 0;
		}
		if (fanout_zc_ack(e, 1))
			return -1;
	}
}

const struct bench_transport fanout_zc_transport = {
	.name = "kmsgq-fanout-zc",
	.flags = BENCH_T_KMSGQ | BENCH_T_PUBSUB,
	.init = fanout_zc_init,
	.chan_create = fanout_zc_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = fanout_zc_ep_open,
	.send_one = unix_send_one,
	.recv_one = fanout_zc_recv_one,
	.try_send = runner_try_send_poll,
	.produce = fanout_zc_produce,
	.consume = fanout_zc_consume,
};

static int fanout_inplace_init(void)
{
	return fanout_probe(KMSGQ_FEAT_FANOUT_INPLACE,
			    "no in-place fan-out queues: kmsgq-fanout-inplace skipped");
}

static int fanout_inplace_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING |
				  KMSGQ_OPEN_INPLACE);
}

/*
 * The publisher publishes only (no subscriber of its own to hold it
 * back), with read access to map the payload; subscribers as
 * kmsgq-fanout-zc's.
 */
static int fanout_inplace_ep_open(struct bench_ep *e,
				  const struct bench_chan *c, int prod)
{
	struct fanout_zc *z;
	int ret;

	if (!prod)
		return fanout_zc_ep_open(e, c, prod);
	e->fd = kmsgq_open_publisher(c->name, O_RDWR);
	if (e->fd < 0) {
		bench_fail("kmsgq_open_publisher: %s", strerror(-e->fd));
		return -1;
	}
	z = fanout_zc_alloc(e);
	if (!z)
		return -1;
	ret = kmsgq_fanout_pub_map(e->fd, &z->pub);
	if (ret) {
		bench_fail("kmsgq_fanout_pub_map: %s", strerror(-ret));
		return -1;
	}
	if (e->size > z->pub.slot_size) {
		bench_fail("kmsgq-fanout-inplace: slots of %u bytes for %zu",
			   z->pub.slot_size, e->size);
		return -1;
	}
	return 0;
}

/*
 * Messages @seq.. in batches of BENCH_BATCH, each written in its reserved
 * slot; each call commits the batch written and reserves the next (the
 * last reserves none).  A reservation the kernel gives in part is a
 * smaller batch.
 */
static int fanout_inplace_produce(struct bench_ep *e, uint64_t seq,
				  uint64_t left)
{
	struct fanout_zc *z = e->priv;
	struct kmsgq_fanout_pub *pub = &z->pub;
	unsigned int i, n = 0, want;
	int ret;

	while (left || n) {
		want = left < BENCH_BATCH ? left : BENCH_BATCH;
		ret = kmsgq_fanout_publish(pub, z->lens, n, want, 0,
					   CLOCK_MONOTONIC, NULL);
		bench_self->calls++;
		if (ret == -EINTR) {
			/* Committed, if the kernel says nothing is reserved. */
			n = pub->nr;
			continue;
		}
		if (ret < 0 || (unsigned int)ret > want) {
			bench_fail("kmsgq_fanout_publish: %s",
				   ret < 0 ? strerror(-ret) : "reserved too many");
			return -1;
		}
		n = ret;
		for (i = 0; i < n; i++) {
			bench_fill(kmsgq_fanout_pub_slot(pub, pub->first + i),
				   e->size, seq + i);
			z->lens[i] = e->size;
		}
		seq += n;
		left -= n;
	}
	return 0;
}

const struct bench_transport fanout_inplace_transport = {
	.name = "kmsgq-fanout-inplace",
	.flags = BENCH_T_KMSGQ | BENCH_T_PUBSUB,
	.init = fanout_inplace_init,
	.chan_create = fanout_inplace_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = fanout_inplace_ep_open,
	.send_one = unix_send_one,
	.recv_one = fanout_zc_recv_one,
	.try_send = runner_try_send_poll,
	.produce = fanout_inplace_produce,
	.consume = fanout_zc_consume,
};
