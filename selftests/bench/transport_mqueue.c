// SPDX-License-Identifier: GPL-2.0
/*
 * transport_mqueue.c - POSIX message queues: mq_send / mq_receive, the
 * reference every ratio is taken against.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "bench.h"

static int mqueue_seq;

static long mqueue_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int mqueue_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static long mqueue_saved[2] = { -1, -1 };

/* Put back the mqueue limits we raised (matters on a host, not in a guest). */
static void mqueue_restore(void)
{
	if (mqueue_saved[0] >= 0)
		mqueue_write_long("/proc/sys/fs/mqueue/msg_max", mqueue_saved[0]);
	if (mqueue_saved[1] >= 0)
		mqueue_write_long("/proc/sys/fs/mqueue/msgsize_max",
				  mqueue_saved[1]);
}

/* Let mqueue have the same depth and message size as everyone else. */
static int mqueue_init(void)
{
	const char *pm = "/proc/sys/fs/mqueue/msg_max";
	const char *ps = "/proc/sys/fs/mqueue/msgsize_max";
	unsigned int depth = bench_cfg.depth > bench_cfg.fanout_depth ?
			     bench_cfg.depth : bench_cfg.fanout_depth;
	size_t maxsz = 0;
	long mm, ms, mm2, ms2;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char rlnote[64];
	int i;

	for (i = 0; i < bench_cfg.nsizes; i++)
		if (bench_cfg.sizes[i] > maxsz)
			maxsz = bench_cfg.sizes[i];
	for (i = 0; i < bench_cfg.npp_sizes; i++)
		if (bench_cfg.pp_sizes[i] > maxsz)
			maxsz = bench_cfg.pp_sizes[i];
	for (i = 0; i < bench_cfg.nfanout_sizes; i++)
		if (bench_cfg.fanout_sizes[i] > maxsz)
			maxsz = bench_cfg.fanout_sizes[i];
	mm = mqueue_read_long(pm);
	ms = mqueue_read_long(ps);
	if (mm >= 0 && mm < (long)depth && !mqueue_write_long(pm, depth))
		mqueue_saved[0] = mm;
	if (ms >= 0 && ms < (long)maxsz && !mqueue_write_long(ps, maxsz))
		mqueue_saved[1] = ms;
	atexit(mqueue_restore);
	mm2 = mqueue_read_long(pm);
	ms2 = mqueue_read_long(ps);
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
		snprintf(rlnote, sizeof(rlnote), "RLIMIT_MSGQUEUE unlimited");
	} else {
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		snprintf(rlnote, sizeof(rlnote), "RLIMIT_MSGQUEUE %lld (not permitted to raise)",
			 (long long)rl.rlim_cur);
	}
	snprintf(bench_sys.mq_note, sizeof(bench_sys.mq_note),
		 "fs.mqueue.msg_max %ld%s, msgsize_max %ld%s; %s", mm2,
		 mm2 != mm ? " (raised)" : " (already enough)", ms2,
		 ms2 != ms ? " (raised)" : " (already enough)", rlnote);
	if (mm2 < (long)depth || ms2 < (long)maxsz)
		bench_die("mqueue limits too low for depth %u / size %zu (%s): run as root",
			  depth, maxsz, bench_sys.mq_note);
	return 0;
}

static int mqueue_chan_create(struct bench_chan *c)
{
	struct mq_attr ma = {
		.mq_maxmsg = c->depth, .mq_msgsize = c->size
	};
	mqd_t q;

	snprintf(c->name, sizeof(c->name), "/kmsgq-bench-%d-%d", (int)getpid(),
		 mqueue_seq++);
	mq_unlink(c->name);
	q = mq_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	if (q == (mqd_t)-1) {
		snprintf(bench_setup_err, sizeof(bench_setup_err),
			 "mq_open(depth %u, msgsize %zu): %s", c->depth,
			 c->size, strerror(errno));
		return -1;
	}
	mq_close(q);
	return 0;
}

static void mqueue_chan_destroy(struct bench_chan *c)
{
	mq_unlink(c->name);
}

static int mqueue_ep_open(struct bench_ep *e, const struct bench_chan *c,
			  int prod)
{
	e->fd = mq_open(c->name, prod ? O_WRONLY : O_RDONLY);
	if (e->fd < 0) {
		bench_fail("mq_open: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Send the message in @buf through @e. */
static int mqueue_send_buf(struct bench_ep *e, const unsigned char *buf)
{
	while (mq_send(e->fd, (const char *)buf, e->size, 0)) {
		if (errno != EINTR) {
			bench_fail("mq_send: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int mqueue_send_one(struct bench_ep *e, uint64_t seq)
{
	bench_fill(e->buf, e->size, seq);
	return mqueue_send_buf(e, e->buf);
}

static int mqueue_resend(struct bench_ep *e, const struct bench_ep *from)
{
	return mqueue_send_buf(e, from->buf);
}

static int mqueue_recv_one(struct bench_ep *e, uint64_t *seq)
{
	ssize_t r;

	do
		r = mq_receive(e->fd, (char *)e->buf, e->size, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		bench_fail("mq_receive: %s", strerror(errno));
		return -1;
	}
	if (bench_check(e->buf, r, e->size, seq)) {
		bench_fail("mqueue: bad message (len %zd, want %zu)", r, e->size);
		return -1;
	}
	return 0;
}

const struct bench_transport mqueue_transport = {
	.name = "mqueue",
	.flags = BENCH_T_FANOUT,
	.init = mqueue_init,
	.chan_create = mqueue_chan_create,
	.chan_destroy = mqueue_chan_destroy,
	.ep_open = mqueue_ep_open,
	.send_one = mqueue_send_one,
	.recv_one = mqueue_recv_one,
	.try_send = runner_try_send_poll,
	.resend = mqueue_resend,
};
