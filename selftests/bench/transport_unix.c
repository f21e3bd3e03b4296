// SPDX-License-Identifier: GPL-2.0
/*
 * transport_unix.c - an AF_UNIX SOCK_SEQPACKET socketpair, write / read,
 * its send buffer sized so that the queue depth's worth of messages fit.
 * Its whole-message write and read serve kmsgq's copy mode too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bench.h"

static int unix_sndbuf;		/* per current size: value set */
static const char *unix_sndbuf_how = "SO_SNDBUF";

/* SO_SNDBUFFORCE where permitted (root), else SO_SNDBUF (capped by wmem_max). */
static int unix_set_sndbuf(int fd, int v)
{
	if (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v))) {
		unix_sndbuf_how = "SO_SNDBUFFORCE";
		return 0;
	}
	unix_sndbuf_how = "SO_SNDBUF";
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static long unix_capacity(int sndbuf, size_t size)
{
	unsigned char *b = calloc(1, size);
	int fds[2];
	long n = 0;

	if (!b || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds))
		bench_die("socketpair: %s", strerror(errno));
	if (unix_set_sndbuf(fds[1], sndbuf))
		n = -1;
	while (n >= 0 && n < 1000000 &&
	       send(fds[1], b, size, MSG_DONTWAIT) == (ssize_t)size)
		n++;
	close(fds[0]);
	close(fds[1]);
	free(b);
	return n;
}

/*
 * SO_SNDBUF (SO_SNDBUFFORCE as root) set so that about depth messages fit,
 * measured by filling a socket without a reader.
 */
static void unix_size_setup(size_t size, unsigned int depth, char *note,
			    size_t len)
{
	int sb = (int)(((long)depth * (size + 1024)) / 2), i;
	long scap = unix_capacity(sb, size);

	for (i = 0; i < 3 && scap > 0 && labs(scap - (long)depth) > 1; i++) {
		long nsb = (long)sb * depth / scap + 256;

		if (nsb > INT_MAX / 2)
			break;
		sb = (int)nsb;
		scap = unix_capacity(sb, size);
	}
	unix_sndbuf = sb;
	snprintf(note, len, "seqpacket %s=%d holds %ld msgs", unix_sndbuf_how,
		 sb, scap);
}

static int unix_chan_create(struct bench_chan *c)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fds))
		bench_die("socketpair: %s", strerror(errno));
	if (unix_sndbuf)
		unix_set_sndbuf(c->fds[1], unix_sndbuf);
	return 0;
}

/* write() the message in @from's buffer whole through @e, on any
 * descriptor that keeps message boundaries. */
int unix_resend(struct bench_ep *e, const struct bench_ep *from)
{
	for (;;) {
		ssize_t r = write(e->fd, from->buf, e->size);

		if (r == (ssize_t)e->size)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		bench_fail("%s write: %zd (%s)", e->t->name, r,
			   r < 0 ? strerror(errno) : "short");
		return -1;
	}
}

/* Fill and write() message @seq whole, likewise. */
int unix_send_one(struct bench_ep *e, uint64_t seq)
{
	bench_fill(e->buf, e->size, seq);
	return unix_resend(e, e);
}

/* read() one whole message and check it, likewise. */
int unix_recv_one(struct bench_ep *e, uint64_t *seq)
{
	ssize_t r;

	do
		r = read(e->fd, e->buf, e->size);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		bench_fail("%s read: %s", e->t->name, strerror(errno));
		return -1;
	}
	if (bench_check(e->buf, r, e->size, seq)) {
		bench_fail("%s: bad message (len %zd, want %zu)", e->t->name, r,
			   e->size);
		return -1;
	}
	return 0;
}

const struct bench_transport unix_transport = {
	.name = "seqpacket",
	.size_setup = unix_size_setup,
	.chan_create = unix_chan_create,
	.chan_destroy = pipe_chan_close,
	.ep_open = pipe_ep_open,
	.send_one = unix_send_one,
	.recv_one = unix_recv_one,
	.try_send = runner_try_send_poll,
};
