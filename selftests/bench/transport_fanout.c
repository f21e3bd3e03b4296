// SPDX-License-Identifier: GPL-2.0
/*
 * transport_fanout.c - kmsgq fan-out queues (KMSGQ_OPEN_FANOUT) in copy
 * mode, kmsgq-fanout: one queue for all subscribers, the default
 * (blocking, lossless) policy; the publisher write()s each message once,
 * every subscriber (kmsgq_subscribe()) read()s every message.  Only in the
 * fan-out workload, where mqueue, pipe and kmsgq-copy take a channel per
 * subscriber instead.
 *
 * Zero-copy fan-out, kmsgq-fanout-zc, is NOT IMPLEMENTED: the module has
 * no fan-out ring yet (doc/design.md, "Fan-out queues").  Its transport
 * belongs here, flags BENCH_T_KMSGQ | BENCH_T_PUBSUB, with a line in
 * kmsgq_bench.c's table: the publisher reserves and commits in place on a
 * FANOUT | RING queue, each subscriber maps it read-only, checksums in
 * place and acknowledges its position per batch.  Until a transport of
 * that name exists, report.c prints "not implemented" in its place.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

#include "bench.h"

/* kmsgq's probe, and whether the module has fan-out queues. */
static int fanout_init(void)
{
	struct kmsgq_info info = { .size = sizeof(info) };
	size_t used;

	if (kcopy_init() || kmsgq_info(-1, &info))
		return -1;
	if (info.features & KMSGQ_FEAT_FANOUT)
		return 0;
	used = strlen(bench_sys.kmsgq_why);
	snprintf(bench_sys.kmsgq_why + used, sizeof(bench_sys.kmsgq_why) - used,
		 "; no fan-out queues: kmsgq-fanout skipped");
	return -1;
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
