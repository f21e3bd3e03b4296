// SPDX-License-Identifier: GPL-2.0
/*
 * transport_uring.c - kmsgq-uring: a kmsgq copy queue driven through one
 * io_uring per process, BENCH_BATCH operations in flight on each side.
 *
 * The consumer keeps BENCH_BATCH IORING_OP_READs queued, one per buffer
 * of its endpoint, and queues each buffer again once its message is
 * checked.  Every read takes the next message when it runs, but io_uring
 * does not promise that reads complete in the order they ran (64 KiB reads
 * were seen to complete out of order under TCG): the 1:1
 * check takes messages in any order within the BENCH_BATCH in flight, and
 * still fails on a gap, a duplicate, or one from beyond that window.
 *
 * The producer queues BENCH_BATCH IORING_OP_WRITEs as one linked chain
 * (IOSQE_IO_LINK) and reaps the chain before it queues the next.  Writes
 * that wait for room are not ordered among themselves unless linked: a
 * slot freed wakes every waiting write, and whichever runs first sends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>
#include <liburing.h>

#include "bench.h"

static struct io_uring *uring_ring(struct bench_ep *e)
{
	return e->priv;
}

static int uring_ep_open(struct bench_ep *e, const struct bench_chan *c,
			 int prod)
{
	struct io_uring *ring;
	int ret;

	e->fd = kmsgq_open(c->name, prod ? O_WRONLY : O_RDONLY, 0, NULL);
	if (e->fd < 0) {
		bench_fail("kmsgq_open: %s", strerror(-e->fd));
		return -1;
	}
	ring = calloc(1, sizeof(*ring));
	if (!ring) {
		bench_fail("out of memory");
		return -1;
	}
	ret = io_uring_queue_init(BENCH_BATCH, ring, 0);
	if (ret) {
		bench_fail("io_uring_queue_init: %s", strerror(-ret));
		free(ring);
		return -1;
	}
	e->priv = ring;
	return 0;
}

/* The next completion: 0, its result and its user data; or -1. */
static int uring_reap(struct bench_ep *e, int *res, uint64_t *data)
{
	struct io_uring *ring = uring_ring(e);
	struct io_uring_cqe *cqe;
	int ret;

	do
		ret = io_uring_wait_cqe(ring, &cqe);
	while (ret == -EINTR);
	if (ret) {
		bench_fail("io_uring_wait_cqe: %s", strerror(-ret));
		return -1;
	}
	*res = cqe->res;
	*data = io_uring_cqe_get_data64(cqe);
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

static void uring_queue_read(struct bench_ep *e, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(uring_ring(e));

	io_uring_prep_read(sqe, e->fd, e->buf + i * e->stride, e->size, 0);
	io_uring_sqe_set_data64(sqe, i);
}

/* Send @n (at most BENCH_BATCH) messages from @seq as one linked chain. */
static int uring_send_chain(struct bench_ep *e, uint64_t seq, unsigned int n)
{
	struct io_uring *ring = uring_ring(e);
	struct io_uring_sqe *sqe;
	unsigned int i;
	uint64_t data;
	int ret, res;

	for (i = 0; i < n; i++) {
		unsigned char *b = e->buf + i * e->stride;

		bench_fill(b, e->size, seq + i);
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_write(sqe, e->fd, b, e->size, 0);
		io_uring_sqe_set_data64(sqe, i);
		if (i + 1 < n)
			sqe->flags |= IOSQE_IO_LINK;
	}
	ret = io_uring_submit(ring);
	bench_self->calls++;
	if (ret != (int)n) {
		bench_fail("io_uring_submit: %d", ret);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (uring_reap(e, &res, &data))
			return -1;
		if (res != (int)e->size) {
			bench_fail("kmsgq-uring write %" PRIu64 ": %s", seq + data,
				   res < 0 ? strerror(-res) : "short");
			return -1;
		}
	}
	return 0;
}

static int uring_produce(struct bench_ep *e, uint64_t seq, uint64_t left)
{
	unsigned int k;

	while (left) {
		k = left < BENCH_BATCH ? left : BENCH_BATCH;
		if (uring_send_chain(e, seq, k))
			return -1;
		seq += k;
		left -= k;
	}
	return 0;
}

static int uring_send_one(struct bench_ep *e, uint64_t seq)
{
	return uring_send_chain(e, seq, 1);
}

/* Check the message read into buffer @i: 0 and its @seq, or -1. */
static int uring_check(struct bench_ep *e, unsigned int i, int res,
		       uint64_t *seq)
{
	if (res < 0) {
		bench_fail("kmsgq-uring read: %s", strerror(-res));
		return -1;
	}
	if (bench_check(e->buf + i * e->stride, res, e->size, seq)) {
		bench_fail("kmsgq-uring: bad message (len %d, want %zu)", res,
			   e->size);
		return -1;
	}
	return 0;
}

static int uring_recv_one(struct bench_ep *e, uint64_t *seq)
{
	uint64_t data;
	int res;

	uring_queue_read(e, 0);
	if (io_uring_submit(uring_ring(e)) != 1) {
		bench_fail("io_uring_submit failed");
		return -1;
	}
	bench_self->calls++;
	if (uring_reap(e, &res, &data))
		return -1;
	return uring_check(e, 0, res, seq);
}

/*
 * Ordered (1:1): exactly @left reads in all.  Otherwise (4:4) until an end
 * marker; the reads still queued then are cancelled when the process
 * exits, and can only hold markers: every message was sent before them.
 * A buffer is read into again once its message is checked, and the reads
 * queued meanwhile go in with the next wait.
 */
/*
 * Reorder window of the 1:1 check: bit k of @seen is message @base + k,
 * received; messages pass to bench_account() in order as the window fills
 * from its start.
 */
struct uring_window {
	uint64_t base;
	uint64_t seen;
};

static int uring_window_take(struct uring_window *w, struct bench_cons *cs,
			     uint64_t seq)
{
	uint64_t k = seq - w->base;

	_Static_assert(BENCH_BATCH <= 64, "the window is one 64-bit word");
	if (seq < w->base || k >= BENCH_BATCH || (w->seen >> k & 1)) {
		bench_fail("out of order beyond the %d reads in flight, or twice: got seq %" PRIu64 ", first missing %" PRIu64,
			   BENCH_BATCH, seq, w->base);
		return -1;
	}
	w->seen |= 1ULL << k;
	while (w->seen & 1) {
		if (bench_account(cs, w->base) < 0)
			return -1;
		w->seen >>= 1;
		w->base++;
	}
	return 0;
}

static int uring_consume(struct bench_ep *e, uint64_t left,
			 struct bench_cons *cs)
{
	struct uring_window win = { .base = cs->expect };
	struct io_uring *ring = uring_ring(e);
	struct io_uring_cqe *cqe;
	unsigned int i, head, seen, inflight = 0;
	uint64_t queued = 0, seq;
	int ret, stop = 0;

	for (i = 0; i < BENCH_BATCH && (!cs->ordered || queued < left); i++) {
		uring_queue_read(e, i);
		queued++;
		inflight++;
	}
	while (inflight && !stop) {
		do
			ret = io_uring_submit_and_wait(ring, 1);
		while (ret == -EINTR);
		bench_self->calls++;
		if (ret < 0) {
			bench_fail("io_uring_submit_and_wait: %s", strerror(-ret));
			return -1;
		}
		seen = 0;
		io_uring_for_each_cqe(ring, head, cqe) {
			seen++;
			inflight--;
			i = (unsigned int)cqe->user_data;
			if (uring_check(e, i, cqe->res, &seq))
				return -1;
			ret = cs->ordered ? uring_window_take(&win, cs, seq) :
			      bench_account(cs, seq);
			if (ret < 0)
				return -1;
			if (ret) {
				stop = 1;
				break;
			}
			if (!cs->ordered || queued < left) {
				uring_queue_read(e, i);
				queued++;
				inflight++;
			}
		}
		io_uring_cq_advance(ring, seen);
	}
	return 0;
}

static int uring_chan_create(struct bench_chan *c)
{
	return kcopy_queue_create(c, 0);
}

const struct bench_transport uring_transport = {
	.name = "kmsgq-uring",
	.flags = BENCH_T_KMSGQ | BENCH_T_NO_PP,
	.init = kcopy_init,
	.chan_create = uring_chan_create,
	.chan_destroy = kcopy_chan_destroy,
	.ep_open = uring_ep_open,
	.send_one = uring_send_one,
	.recv_one = uring_recv_one,
	.try_send = runner_try_send_poll,
	.produce = uring_produce,
	.consume = uring_consume,
};
