// SPDX-License-Identifier: GPL-2.0
/*
 * transport_kcopy.c - kmsgq in copy mode: kmsgq-copy (write / read on a
 * /dev/kmsgq queue, one message per call) and kmsgq-batch
 * (kmsgq_send_batch / kmsgq_receive_batch, BENCH_BATCH per call).  Also
 * what every kmsgq transport shares: the probe and the queue's creation.
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

static int kcopy_seq;

/* Whether /dev/kmsgq works, asked once for every kmsgq transport. */
int kcopy_init(void)
{
	static int probed, ok;
	struct kmsgq_info info = { .size = sizeof(info) };
	int ret;

	if (probed)
		return ok ? 0 : -1;
	probed = 1;
	ret = kmsgq_info(-1, &info);
	if (ret) {
		snprintf(bench_sys.kmsgq_why, sizeof(bench_sys.kmsgq_why),
			 "/dev/kmsgq unavailable (%s): kmsgq transports skipped",
			 strerror(-ret));
		return -1;
	}
	ok = 1;
	snprintf(bench_sys.kmsgq_why, sizeof(bench_sys.kmsgq_why),
		 "kmsgq ABI %u, limits: %u msgs, %u B per message",
		 info.abi_version, info.max_msgs, info.max_msgsize);
	return 0;
}

/* A queue of the cell's depth and size, with @qflags. */
int kcopy_queue_create(struct bench_chan *c, unsigned int qflags)
{
	struct kmsgq_attr ka = { .size = sizeof(ka) };
	int fd;

	snprintf(c->name, sizeof(c->name), "kmsgq-bench-%d-%d", (int)getpid(),
		 kcopy_seq++);
	kmsgq_unlink(c->name);
	ka.max_msgs = c->depth;
	ka.max_msgsize = c->size;
	ka.qflags = qflags;
	fd = kmsgq_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600, &ka);
	if (fd < 0) {
		snprintf(bench_setup_err, sizeof(bench_setup_err),
			 "kmsgq_open(depth %u, msgsize %zu%s%s%s): %s",
			 c->depth, c->size,
			 qflags & KMSGQ_OPEN_RING ? ", ring" : "",
			 qflags & KMSGQ_OPEN_FANOUT ? ", fan-out" : "",
			 qflags & KMSGQ_OPEN_INPLACE ? ", in-place" : "",
			 strerror(-fd));
		return -1;
	}
	if (kmsgq_getattr(fd, &ka) == 0 && ka.max_msgs != c->depth) {
		snprintf(bench_setup_err, sizeof(bench_setup_err),
			 "kmsgq queue depth %u, asked for %u", ka.max_msgs,
			 c->depth);
		close(fd);
		kmsgq_unlink(c->name);
		return -1;
	}
	close(fd);
	return 0;
}

static int kcopy_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, 0);
}

void kcopy_chan_destroy(struct bench_chan *c)
{
	kmsgq_unlink(c->name);
}

static int kcopy_ep_open(struct bench_ep *e, const struct bench_chan *c,
			 int prod)
{
	e->fd = kmsgq_open(c->name, prod ? O_WRONLY : O_RDONLY, 0, NULL);
	if (e->fd < 0) {
		bench_fail("kmsgq_open: %s", strerror(-e->fd));
		return -1;
	}
	return 0;
}

/* kmsgq-batch: the batch's message descriptors. */
static struct kmsgq_msg *kcopy_batch_msgs(struct bench_ep *e)
{
	if (!e->priv)
		e->priv = calloc(BENCH_BATCH, sizeof(struct kmsgq_msg));
	if (!e->priv)
		bench_fail("out of memory");
	return e->priv;
}

static int kcopy_batch_ep_open(struct bench_ep *e, const struct bench_chan *c,
			       int prod)
{
	if (!kcopy_batch_msgs(e))
		return -1;
	return kcopy_ep_open(e, c, prod);
}

static int kcopy_batch_produce(struct bench_ep *e, uint64_t seq,
			       uint64_t left)
{
	return kcopy_produce_batches(e, e->priv, seq, left);
}

/*
 * Send @left messages @seq.. through @e in batches of BENCH_BATCH, filled
 * in @e's buffers and described in @msgs (BENCH_BATCH of them).
 */
int kcopy_produce_batches(struct bench_ep *e, struct kmsgq_msg *msgs,
			  uint64_t seq, uint64_t left)
{
	size_t size = e->size;
	unsigned int i, k;
	int ret;

	while (left) {
		k = left < BENCH_BATCH ? left : BENCH_BATCH;
		for (i = 0; i < k; i++) {
			unsigned char *b = e->buf + i * e->stride;

			bench_fill(b, size, seq + i);
			msgs[i].buf = (uintptr_t)b;
			msgs[i].len = size;
			msgs[i].prio = 0;
		}
		for (i = 0; i < k;) {
			ret = kmsgq_send_batch(e->fd, msgs + i, k - i, 0,
					       CLOCK_MONOTONIC, NULL);
			bench_self->calls++;
			if (ret == -EINTR)
				continue;
			if (ret <= 0) {
				bench_fail("kmsgq_send_batch: %s", strerror(-ret));
				return -1;
			}
			i += ret;
		}
		seq += k;
		left -= k;
	}
	return 0;
}

static int kcopy_batch_consume(struct bench_ep *e, uint64_t left,
			       struct bench_cons *cs)
{
	struct kmsgq_msg *msgs = e->priv;
	size_t size = e->size;
	unsigned int i, k;
	int ret, r, stop = 0;
	uint64_t seq;

	while (left && !stop) {
		k = left < BENCH_BATCH ? left : BENCH_BATCH;
		for (i = 0; i < k; i++) {
			msgs[i].buf = (uintptr_t)(e->buf + i * e->stride);
			msgs[i].len = size;
			msgs[i].prio = 0;
		}
		ret = kmsgq_receive_batch(e->fd, msgs, k, 0, CLOCK_MONOTONIC,
					  NULL);
		bench_self->calls++;
		if (ret == -EINTR)
			continue;
		if (ret <= 0) {
			bench_fail("kmsgq_receive_batch: %s", strerror(-ret));
			return -1;
		}
		for (i = 0; i < (unsigned int)ret; i++) {
			if (bench_check(e->buf + i * e->stride, msgs[i].len, size,
					&seq)) {
				bench_fail("kmsgq-batch: bad message (len %u)",
					   msgs[i].len);
				return -1;
			}
			r = bench_account(cs, seq);
			if (r < 0)
				return -1;
			stop |= r;
		}
		if (cs->ordered)
			left -= ret;
	}
	return 0;
}

const struct bench_transport kcopy_transport = {
	.name = "kmsgq-copy",
	.flags = BENCH_T_KMSGQ | BENCH_T_FANOUT,
	.init = kcopy_init,
	.chan_create = kcopy_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = kcopy_ep_open,
	.send_one = unix_send_one,
	.recv_one = unix_recv_one,
	.try_send = runner_try_send_poll,
	.resend = unix_resend,
};

const struct bench_transport kcopy_batch_transport = {
	.name = "kmsgq-batch",
	.flags = BENCH_T_KMSGQ | BENCH_T_NO_PP,
	.init = kcopy_init,
	.chan_create = kcopy_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = kcopy_batch_ep_open,
	.send_one = unix_send_one,
	.recv_one = unix_recv_one,
	.try_send = runner_try_send_poll,
	.produce = kcopy_batch_produce,
	.consume = kcopy_batch_consume,
};
