// SPDX-License-Identifier: GPL-2.0
/*
 * transport_pipe.c - a pipe carrying records: write(4-byte length +
 * payload) in one call; read(length), then read(payload).  In the 4:4
 * workload, where several readers share the pipe, each reader reads a whole
 * record in one read() instead (records are <= PIPE_BUF, so written and
 * read atomically); that is the only correct framing there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PIPE_HDR	4		/* framing: __u32 length */

static int pipe_bytes[2];	/* per current size: requested, got */

static int pipe_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t r = write(fd, c, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= r;
	}
	return 0;
}

static int pipe_read_full(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		c += r;
		n -= r;
	}
	return 0;
}

/* Messages that fit in a pipe of @bytes, written one (header+payload) each. */
static long pipe_capacity(int bytes, size_t size)
{
	unsigned char *b = calloc(1, size + PIPE_HDR);
	int fds[2];
	long n = 0;

	if (!b || pipe2(fds, O_NONBLOCK))
		bench_die("pipe: %s", strerror(errno));
	if (bytes && fcntl(fds[1], F_SETPIPE_SZ, bytes) < 0)
		n = -1;
	while (n >= 0 && n < 1000000 &&
	       write(fds[1], b, size + PIPE_HDR) == (ssize_t)(size + PIPE_HDR))
		n++;
	close(fds[0]);
	close(fds[1]);
	free(b);
	return n;
}

/*
 * Raise (never lower) the pipe's size to about depth * (header + message)
 * bytes, the largest power of two not above that (F_SETPIPE_SZ rounds up
 * to one).
 */
static void pipe_size_setup(size_t size, unsigned int depth, char *note,
			    size_t len)
{
	long want = (long)depth * (size + PIPE_HDR), p2 = 4096;
	long pcap;
	int fds[2];

	while (p2 * 2 <= want)
		p2 *= 2;
	/*
	 * Of the two powers of two around depth * record, the one whose
	 * measured capacity is nearer depth messages; never below the default.
	 */
	pipe_bytes[0] = p2 > 65536 ? (int)p2 : 0;
	pcap = pipe_capacity(pipe_bytes[0], size);
	if (pcap < 0) {		/* not permitted: leave the default */
		pipe_bytes[0] = 0;
		pcap = pipe_capacity(0, size);
	} else if (p2 < want && p2 * 2 > 65536 && p2 * 2 <= INT_MAX) {
		long pcap2 = pipe_capacity((int)(p2 * 2), size);

		if (pcap2 > 0 && labs(pcap2 - (long)depth) <
				 labs(pcap - (long)depth)) {
			pipe_bytes[0] = (int)(p2 * 2);
			pcap = pcap2;
		}
	}
	if (pipe(fds))
		bench_die("pipe: %s", strerror(errno));
	if (pipe_bytes[0])
		fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes[0]);
	pipe_bytes[1] = fcntl(fds[1], F_GETPIPE_SZ);
	close(fds[0]);
	close(fds[1]);

	snprintf(note, len, "pipe %d B (%s) holds %ld msgs", pipe_bytes[1],
		 pipe_bytes[0] ? "F_SETPIPE_SZ" : "default", pcap);
}

static int pipe_chan_create(struct bench_chan *c)
{
	if (pipe(c->fds))
		bench_die("pipe: %s", strerror(errno));
	if (pipe_bytes[0])
		fcntl(c->fds[1], F_SETPIPE_SZ, pipe_bytes[0]);
	return 0;
}

/* Pipes and socketpairs: [0] the consumer's end, [1] the producer's. */
void pipe_chan_close(struct bench_chan *c)
{
	close(c->fds[0]);
	close(c->fds[1]);
}

int pipe_ep_open(struct bench_ep *e, const struct bench_chan *c, int prod)
{
	e->fd = c->fds[prod ? 1 : 0];
	return 0;
}

/* Write the record in @from's buffer (length, payload) through @e. */
static int pipe_resend(struct bench_ep *e, const struct bench_ep *from)
{
	if (pipe_write_all(e->fd, from->buf, PIPE_HDR + e->size)) {
		bench_fail("pipe write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int pipe_send_one(struct bench_ep *e, uint64_t seq)
{
	uint32_t hdr = e->size;

	memcpy(e->buf, &hdr, PIPE_HDR);
	bench_fill(e->buf + PIPE_HDR, e->size, seq);
	return pipe_resend(e, e);
}

static int pipe_recv_one(struct bench_ep *e, uint64_t *seq)
{
	unsigned char *b = e->buf;
	size_t size = e->size;
	uint32_t len;
	ssize_t r;

	if (e->whole_records) {
		do
			r = read(e->fd, b, PIPE_HDR + size);
		while (r < 0 && errno == EINTR);
		if (r != (ssize_t)(PIPE_HDR + size)) {
			bench_fail("pipe record read: %zd (%s)", r,
				   r < 0 ? strerror(errno) : "short");
			return -1;
		}
		memcpy(&len, b, PIPE_HDR);
		if (len != size) {
			bench_fail("pipe record length %u", len);
			return -1;
		}
		b += PIPE_HDR;	/* checked where it landed */
		r = size;
	} else {
		if (pipe_read_full(e->fd, &len, PIPE_HDR)) {
			bench_fail("pipe read header: %s", strerror(errno));
			return -1;
		}
		if (len > size) {
			bench_fail("pipe header says %u bytes", len);
			return -1;
		}
		if (pipe_read_full(e->fd, b, len)) {
			bench_fail("pipe read payload: %s", strerror(errno));
			return -1;
		}
		r = len;
	}
	if (bench_check(b, r, size, seq)) {
		bench_fail("pipe: bad message (len %zd, want %zu)", r, size);
		return -1;
	}
	return 0;
}

const struct bench_transport pipe_transport = {
	.name = "pipe",
	.flags = BENCH_T_FANOUT,
	.size_setup = pipe_size_setup,
	.chan_create = pipe_chan_create,
	.chan_destroy = pipe_chan_close,
	.ep_open = pipe_ep_open,
	.send_one = pipe_send_one,
	.recv_one = pipe_recv_one,
	.try_send = runner_try_send_poll,
	.resend = pipe_resend,
};
