// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq_bench - kmsgq against POSIX mqueue, a pipe and an AF_UNIX
 * SOCK_SEQPACKET socket, in one run, interleaved.
 *
 * A benchmark, not a test: it reports figures and never fails on timing.
 * The exit status is non-zero only for a functional error (a payload whose
 * checksum, length or order is wrong, a lost or duplicated message, a
 * failed system call, a run that hangs).
 *
 * Transports (each moves whole messages, one queue depth and one maximum
 * message size for all of them):
 *   mqueue       mq_send / mq_receive
 *   pipe         write(4-byte length + payload) in one call; read(length),
 *                then read(payload).  In the 4:4 workload, where several
 *                readers share the pipe, each reader reads a whole record in
 *                one read() instead (records are <= PIPE_BUF, so written and
 *                read atomically); that is the only correct framing there.
 *   seqpacket    AF_UNIX SOCK_SEQPACKET socketpair, write / read
 *   kmsgq-copy   write / read on a /dev/kmsgq queue (one message per call)
 *   kmsgq-batch  kmsgq_send_batch / kmsgq_receive_batch, BATCH per call
 *   kmsgq-zc     ring queue: kmsgq_ring_reserve + fill in place + commit,
 *                kmsgq_ring_peek + checksum in place + release, up to BATCH
 *                slots per reserve/peek, kmsgq_ring_wait() when full/empty
 *
 * Fair work: for every transport the producer writes every payload byte
 * (8-byte sequence number, then a byte pattern derived from it) and the
 * consumer reads every payload byte (a 64-bit word sum checked against the
 * sequence number), in its own buffer or, for kmsgq-zc, in place.
 *
 * Workloads:
 *   stream 1:1   a producer process and a consumer process (fork), pinned to
 *                CPU 0 and CPU 1; msgs/s for each message size
 *   pingpong     round trips between two processes (pinned likewise) over
 *                two queues; median and p99 of the round-trip time
 *   stream 4:4   4 producers and 4 consumers on one queue, not pinned;
 *                aggregate msgs/s
 * Every cell runs all transports in turn, A B C ... A B C ..., for several
 * rounds; the median round is reported.  Within a cell every transport
 * moves the same number of messages, chosen from a calibration pass so that
 * the slowest transport takes about --time seconds per round.
 * CPU time is user + system time of the children (getrusage RUSAGE_CHILDREN)
 * divided by the messages moved (round trips for pingpong).
 *
 * Output: a human table with ratios against mqueue (and against pipe for
 * kmsgq), the targets of the benchmark issue with MET/MISSED (information
 * only), and a CSV between the lines KMSGQ-CSV-BEGIN and KMSGQ-CSV-END.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <kmsgq.h>

#define BATCH		32		/* messages per batch call / reserve / peek */
#define MAX_CHILDREN	16
#define MARKER		UINT64_MAX	/* sequence number of an end marker (4:4) */
#define PIPE_HDR	4		/* pipe framing: __u32 length */

enum { T_MQ, T_PIPE, T_SEQ, T_KCOPY, T_KBATCH, T_KZC, NT };
static const char *const tname[NT] = {
	"mqueue", "pipe", "seqpacket", "kmsgq-copy", "kmsgq-batch", "kmsgq-zc",
};

/*
 * Workloads; each also in a variant with every process pinned to CPU 0
 * (W_ONECPU + base): see the README on cross-vCPU wakeups under TCG.
 */
enum { W_STREAM, W_PINGPONG, W_MPMC, W_ONECPU };
#define BASE(wl)	((wl) % W_ONECPU)
#define ONECPU(wl)	((wl) >= W_ONECPU)
#define IS_PP(wl)	(BASE(wl) == W_PINGPONG)
#define IS_MPMC(wl)	(BASE(wl) == W_MPMC)

/* Where the two processes of 1:1 and pingpong run. */
enum { PIN_SPLIT, PIN_SAME, PIN_NONE };
static const char *const pin_name[] = { "split", "same", "none" };
static const char *const wname[] = {
	"stream_1to1", "pingpong", "stream_4to4",
	"stream_1to1_1cpu", "pingpong_1cpu", "stream_4to4_1cpu",
};

/* ---------------------------------------------------------------- config */

static struct {
	int short_mode;
	int rounds;
	double budget;		/* seconds per run of the slowest transport */
	unsigned int depth;	/* queue depth, every transport */
	unsigned int pp_iters;	/* round trips per pingpong run */
	double pp_cap;		/* ... or fewer, if a run takes longer than this */
	unsigned int mpmc_n;	/* producers = consumers in the N:N workload */
	unsigned int run_timeout; /* seconds before a run counts as hung */
	int placement;		/* 1:1 and pingpong: PIN_* */
	int verbose;		/* a line per run */
	int use[NT];
	size_t sizes[16];
	int nsizes;
	size_t pp_sizes[4];
	int npp_sizes;
	size_t mpmc_size;
} cfg = {
	.rounds = 5,
	.budget = 0.5,
	.depth = 64,
	.pp_iters = 10000,
	.pp_cap = 2.0,
	.mpmc_n = 4,
	.run_timeout = 120,
	.use = { 1, 1, 1, 1, 1, 1 },
	.sizes = { 8, 64, 512, 4096, 8192, 65536 },
	.nsizes = 6,
	.pp_sizes = { 64, 4096 },
	.npp_sizes = 2,
	.mpmc_size = 64,
};

static struct {
	char env[160];		/* "QEMU TCG guest" or what we found */
	int is_tcg;
	char kernel[128];
	int ncpus;
	char clocksource[64];
	char idle[64];		/* idle= from the kernel command line */
	double clock_ns;	/* cost of one clock_gettime() */
	int have_kmsgq;
	char kmsgq_why[128];
	char mq_note[256];
	int is_root;
} sys;

static int functional_errors;

/* --------------------------------------------------------------- helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kmsgq_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_d(double *v, int n)
{
	double tmp[64];
	int i, k = 0;

	for (i = 0; i < n && k < 64; i++)
		if (v[i] >= 0)
			tmp[k++] = v[i];
	if (!k)
		return -1;
	qsort(tmp, k, sizeof(tmp[0]), cmp_dbl);
	return k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
}

/* ---------------------------------------------------- payload fill/check */

/* The byte that fills message @seq after its sequence number, times 8. */
static inline uint64_t pattern(uint64_t seq)
{
	uint64_t b = (uint8_t)(seq * 0x9d + 0x5b);

	return b * 0x0101010101010101ull;
}

/* Write every byte of a @size-byte message (size: a multiple of 8, >= 8). */
static inline void fill(void *p, size_t size, uint64_t seq)
{
	memcpy(p, &seq, 8);
	memset((char *)p + 8, (int)(pattern(seq) & 0xff), size - 8);
}

/* Read every byte: the wrapping sum of the message's 64-bit words. */
static inline uint64_t sum_words(const void *p, size_t size)
{
	const unsigned char *c = p;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	size_t i = 0, nw = size / 8;

	for (; i + 4 <= nw; i += 4) {
		uint64_t w[4];

		memcpy(w, c + i * 8, sizeof(w));
		a0 += w[0];
		a1 += w[1];
		a2 += w[2];
		a3 += w[3];
	}
	for (; i < nw; i++) {
		uint64_t w;

		memcpy(&w, c + i * 8, 8);
		a0 += w;
	}
	return a0 + a1 + a2 + a3;
}

/* Check a received message; 0 and its sequence number, or -1. */
static inline int check(const void *p, size_t len, size_t size, uint64_t *seq)
{
	uint64_t s;

	if (len != size)
		return -1;
	memcpy(&s, p, 8);
	*seq = s;
	return sum_words(p, size) == s + (size / 8 - 1) * pattern(s) ? 0 : -1;
}

/* ------------------------------------------------- shared result memory */

struct child_res {
	double t_start;		/* after the start barrier */
	double t_end;		/* after the last message */
	uint64_t count;		/* messages received (consumers) */
	uint64_t seqsum;	/* sum of the sequence numbers received */
	uint64_t lat_med_ns, lat_p99_ns, lat_mean_ns;	/* pinger */
	uint64_t sleeps;	/* kmsgq_ring_wait() calls (kmsgq-zc) */
	uint64_t calls;		/* send/receive calls or reserve/peek batches */
	int failed;
	char err[200];
};

struct shared {
	atomic_uint prod_done;
	atomic_uint cons_done;
	struct child_res res[MAX_CHILDREN];
};

static struct shared *sh;

static struct child_res *my_res;

static void child_fail(const char *fmt, ...)
{
	va_list ap;

	if (my_res->failed)
		return;
	my_res->failed = 1;
	va_start(ap, fmt);
	vsnprintf(my_res->err, sizeof(my_res->err), fmt, ap);
	va_end(ap);
}

/* -------------------------------------------------------------- channels */

/*
 * A channel is one queue (or pipe, or socketpair) carrying messages one way,
 * set up by the parent before it forks; children open endpoints on it.
 */
struct chan {
	int t;
	size_t size;
	char name[64];		/* mqueue: "/name"; kmsgq: "name" */
	int fds[2];		/* pipe, socketpair: [0] consumer, [1] producer */
};

struct ep {
	int t;
	size_t size;
	int fd;
	int whole_records;	/* pipe with several readers */
	struct kmsgq_ring ring;
	unsigned char *buf;	/* BATCH buffers of stride bytes */
	size_t stride;
	struct kmsgq_msg msgs[BATCH];
};

static int chan_seq;
static int pipe_bytes[2];	/* per current size: requested, got */
static int sock_sndbuf;		/* per current size: value set */

static char setup_err[200];
static const char *sndbuf_how = "SO_SNDBUF";

/* SO_SNDBUFFORCE where permitted (root), else SO_SNDBUF (capped by wmem_max). */
static int set_sndbuf(int fd, int v)
{
	if (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v))) {
		sndbuf_how = "SO_SNDBUFFORCE";
		return 0;
	}
	sndbuf_how = "SO_SNDBUF";
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* Set up @c; -1 with setup_err set if this transport cannot have it. */
static int chan_create(struct chan *c, int t, size_t size)
{
	struct kmsgq_attr ka = { .size = sizeof(ka) };
	int fd;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->size = size;
	c->fds[0] = c->fds[1] = -1;
	switch (t) {
	case T_MQ: {
		struct mq_attr ma = { .mq_maxmsg = cfg.depth, .mq_msgsize = size };
		mqd_t q;

		snprintf(c->name, sizeof(c->name), "/kmsgq-bench-%d-%d",
			 (int)getpid(), chan_seq++);
		mq_unlink(c->name);
		q = mq_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
		if (q == (mqd_t)-1) {
			snprintf(setup_err, sizeof(setup_err),
				 "mq_open(depth %u, msgsize %zu): %s", cfg.depth,
				 size, strerror(errno));
			return -1;
		}
		mq_close(q);
		return 0;
	}
	case T_PIPE:
		if (pipe(c->fds))
			die("pipe: %s", strerror(errno));
		if (pipe_bytes[0])
			fcntl(c->fds[1], F_SETPIPE_SZ, pipe_bytes[0]);
		return 0;
	case T_SEQ:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fds))
			die("socketpair: %s", strerror(errno));
		if (sock_sndbuf)
			set_sndbuf(c->fds[1], sock_sndbuf);
		return 0;
	case T_KCOPY:
	case T_KBATCH:
	case T_KZC:
		snprintf(c->name, sizeof(c->name), "kmsgq-bench-%d-%d",
			 (int)getpid(), chan_seq++);
		kmsgq_unlink(c->name);
		ka.max_msgs = cfg.depth;
		ka.max_msgsize = size;
		if (t == T_KZC)
			ka.qflags = KMSGQ_OPEN_RING;
		fd = kmsgq_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600, &ka);
		if (fd < 0) {
			snprintf(setup_err, sizeof(setup_err),
				 "kmsgq_open(depth %u, msgsize %zu%s): %s",
				 cfg.depth, size, t == T_KZC ? ", ring" : "",
				 strerror(-fd));
			return -1;
		}
		if (kmsgq_getattr(fd, &ka) == 0 && ka.max_msgs != cfg.depth) {
			snprintf(setup_err, sizeof(setup_err),
				 "kmsgq queue depth %u, asked for %u", ka.max_msgs,
				 cfg.depth);
			close(fd);
			kmsgq_unlink(c->name);
			return -1;
		}
		close(fd);
		return 0;
	}
	return -1;
}

static void chan_destroy(struct chan *c)
{
	switch (c->t) {
	case T_MQ:
		mq_unlink(c->name);
		break;
	case T_PIPE:
	case T_SEQ:
		close(c->fds[0]);
		close(c->fds[1]);
		break;
	default:
		kmsgq_unlink(c->name);
		break;
	}
}

/* In a child: open the producer (@prod) or consumer end of @c. */
static int ep_open(struct ep *e, const struct chan *c, int prod, int whole)
{
	int acc = prod ? O_WRONLY : O_RDONLY;
	int ret;

	memset(e, 0, sizeof(*e));
	e->t = c->t;
	e->size = c->size;
	e->whole_records = whole;
	e->stride = (c->size + PIPE_HDR + 63) & ~(size_t)63;
	e->buf = aligned_alloc(64, e->stride * BATCH);
	if (!e->buf) {
		child_fail("out of memory");
		return -1;
	}
	memset(e->buf, 0, e->stride * BATCH);	/* fault it in now */
	switch (c->t) {
	case T_MQ:
		e->fd = mq_open(c->name, acc);
		if (e->fd < 0) {
			child_fail("mq_open: %s", strerror(errno));
			return -1;
		}
		break;
	case T_PIPE:
	case T_SEQ:
		e->fd = c->fds[prod ? 1 : 0];
		break;
	case T_KCOPY:
	case T_KBATCH:
	case T_KZC:
		/* Ring users claim slots, which needs a writable mapping. */
		e->fd = kmsgq_open(c->name, c->t == T_KZC ? O_RDWR : acc, 0, NULL);
		if (e->fd < 0) {
			child_fail("kmsgq_open: %s", strerror(-e->fd));
			return -1;
		}
		if (c->t == T_KZC) {
			ret = kmsgq_ring_map(e->fd, &e->ring);
			if (ret) {
				child_fail("kmsgq_ring_map: %s", strerror(-ret));
				return -1;
			}
			if (e->ring.slot_size < c->size) {
				child_fail("ring slot_size %u < %zu",
					   e->ring.slot_size, c->size);
				return -1;
			}
			/* Touch the mapping before the clock starts. */
			for (size_t o = 0; o < e->ring.map_size; o += 4096)
				(void)*(volatile unsigned char *)
					((unsigned char *)e->ring.map + o);
		}
		break;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
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

static int read_full(int fd, void *p, size_t n)
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

/* kmsgq_ring_wait(), counted: how often the ring users sleep. */
static int kmsgq_ring_wait_counted(struct kmsgq_ring *r, unsigned int events,
				   clockid_t clock, const struct timespec *dl)
{
	my_res->sleeps++;
	return kmsgq_ring_wait(r, events, clock, dl);
}

/* Send one message @seq (fill + send). 0 or -1. */
static int send_one(struct ep *e, uint64_t seq)
{
	unsigned char *b = e->buf;
	size_t size = e->size;
	uint32_t pos;
	int ret;

	switch (e->t) {
	case T_MQ:
		fill(b, size, seq);
		while (mq_send(e->fd, (char *)b, size, 0)) {
			if (errno != EINTR) {
				child_fail("mq_send: %s", strerror(errno));
				return -1;
			}
		}
		return 0;
	case T_PIPE: {
		uint32_t hdr = size;

		memcpy(b, &hdr, PIPE_HDR);
		fill(b + PIPE_HDR, size, seq);
		if (write_all(e->fd, b, PIPE_HDR + size)) {
			child_fail("pipe write: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	case T_SEQ:
	case T_KCOPY:
	case T_KBATCH:
		fill(b, size, seq);
		for (;;) {
			ssize_t r = write(e->fd, b, size);

			if (r == (ssize_t)size)
				return 0;
			if (r < 0 && errno == EINTR)
				continue;
			child_fail("%s write: %zd (%s)", tname[e->t], r,
				   r < 0 ? strerror(errno) : "short");
			return -1;
		}
	case T_KZC:
		while (!kmsgq_ring_reserve(&e->ring, 1, &pos)) {
			ret = kmsgq_ring_wait_counted(&e->ring, KMSGQ_RING_WRITABLE,
					      CLOCK_MONOTONIC, NULL);
			if (ret < 0 && ret != -EINTR) {
				child_fail("kmsgq_ring_wait: %s", strerror(-ret));
				return -1;
			}
		}
		fill(kmsgq_ring_slot(&e->ring, pos), size, seq);
		kmsgq_ring_commit(&e->ring, pos, size);
		ret = kmsgq_ring_commit_done(&e->ring);
		if (ret) {
			child_fail("kmsgq_ring_wake: %s", strerror(-ret));
			return -1;
		}
		return 0;
	}
	return -1;
}

/* Receive one message (receive + check). 0 and its seq, or -1. */
static int recv_one(struct ep *e, uint64_t *seq)
{
	unsigned char *b = e->buf;
	size_t size = e->size;
	const void *p;
	uint32_t pos, len;
	ssize_t r;
	int ret;

	switch (e->t) {
	case T_MQ:
		do
			r = mq_receive(e->fd, (char *)b, size, NULL);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			child_fail("mq_receive: %s", strerror(errno));
			return -1;
		}
		break;
	case T_PIPE:
		if (e->whole_records) {
			do
				r = read(e->fd, b, PIPE_HDR + size);
			while (r < 0 && errno == EINTR);
			if (r != (ssize_t)(PIPE_HDR + size)) {
				child_fail("pipe record read: %zd (%s)", r,
					   r < 0 ? strerror(errno) : "short");
				return -1;
			}
			memcpy(&len, b, PIPE_HDR);
			if (len != size) {
				child_fail("pipe record length %u", len);
				return -1;
			}
			b += PIPE_HDR;	/* checked where it landed */
			r = size;
			break;
		}
		if (read_full(e->fd, &len, PIPE_HDR)) {
			child_fail("pipe read header: %s", strerror(errno));
			return -1;
		}
		if (len > size) {
			child_fail("pipe header says %u bytes", len);
			return -1;
		}
		if (read_full(e->fd, b, len)) {
			child_fail("pipe read payload: %s", strerror(errno));
			return -1;
		}
		r = len;
		break;
	case T_SEQ:
	case T_KCOPY:
	case T_KBATCH:
		do
			r = read(e->fd, b, size);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			child_fail("%s read: %s", tname[e->t], strerror(errno));
			return -1;
		}
		break;
	case T_KZC:
		while (!kmsgq_ring_peek(&e->ring, 1, &pos)) {
			ret = kmsgq_ring_wait_counted(&e->ring, KMSGQ_RING_READABLE,
					      CLOCK_MONOTONIC, NULL);
			if (ret < 0 && ret != -EINTR) {
				child_fail("kmsgq_ring_wait: %s", strerror(-ret));
				return -1;
			}
		}
		p = kmsgq_ring_msg(&e->ring, pos, &len);
		ret = p ? check(p, len, size, seq) : -1;
		kmsgq_ring_release(&e->ring, pos, 1);
		if (kmsgq_ring_release_done(&e->ring) < 0) {
			child_fail("kmsgq_ring_wake failed");
			return -1;
		}
		if (ret) {
			child_fail("bad message in ring slot %u (len %u)", pos,
				   p ? len : ~0u);
			return -1;
		}
		return 0;
	default:
		return -1;
	}
	if (check(b, r, size, seq)) {
		child_fail("%s: bad message (len %zd, want %zu)", tname[e->t], r,
			   size);
		return -1;
	}
	return 0;
}

/*
 * Consumer bookkeeping: @ordered: a 1:1 stream, sequence numbers must come
 * as expect, expect+1, ...; otherwise count and sum them, and stop at an
 * end marker.  Returns 1 at a marker, 0 to go on, -1 on error.
 */
struct cons_state {
	int ordered;
	uint64_t expect;
	uint64_t count, seqsum;
};

static inline int account(struct cons_state *cs, uint64_t seq)
{
	if (seq == MARKER && !cs->ordered)
		return 1;
	if (cs->ordered && seq != cs->expect) {
		child_fail("out of order: got seq %" PRIu64 ", expected %" PRIu64,
			   seq, cs->expect);
		return -1;
	}
	cs->expect++;
	cs->count++;
	cs->seqsum += seq;
	return 0;
}

/* Producer of a stream: messages first_seq .. first_seq + n - 1. */
static int produce(struct ep *e, uint64_t first_seq, uint64_t n)
{
	uint64_t seq = first_seq, left = n;
	size_t size = e->size;
	unsigned int i, k;
	uint32_t pos;
	int ret;

	switch (e->t) {
	case T_KBATCH:
		while (left) {
			k = left < BATCH ? left : BATCH;
			for (i = 0; i < k; i++) {
				unsigned char *b = e->buf + i * e->stride;

				fill(b, size, seq + i);
				e->msgs[i].buf = (uintptr_t)b;
				e->msgs[i].len = size;
				e->msgs[i].prio = 0;
			}
			for (i = 0; i < k;) {
				ret = kmsgq_send_batch(e->fd, e->msgs + i, k - i, 0,
						       CLOCK_MONOTONIC, NULL);
				my_res->calls++;
				if (ret == -EINTR)
					continue;
				if (ret <= 0) {
					child_fail("kmsgq_send_batch: %s",
						   strerror(-ret));
					return -1;
				}
				i += ret;
			}
			seq += k;
			left -= k;
		}
		return 0;
	case T_KZC:
		while (left) {
			k = kmsgq_ring_reserve(&e->ring,
					       left < BATCH ? left : BATCH, &pos);
			if (!k) {
				ret = kmsgq_ring_wait_counted(&e->ring, KMSGQ_RING_WRITABLE,
						      CLOCK_MONOTONIC, NULL);
				if (ret < 0 && ret != -EINTR) {
					child_fail("kmsgq_ring_wait: %s",
						   strerror(-ret));
					return -1;
				}
				continue;
			}
			my_res->calls++;
			for (i = 0; i < k; i++) {
				fill(kmsgq_ring_slot(&e->ring, pos + i), size,
				     seq + i);
				kmsgq_ring_commit(&e->ring, pos + i, size);
			}
			ret = kmsgq_ring_commit_done(&e->ring);
			if (ret) {
				child_fail("kmsgq_ring_wake: %s", strerror(-ret));
				return -1;
			}
			seq += k;
			left -= k;
		}
		return 0;
	default:
		for (; left; left--, seq++)
			if (send_one(e, seq))
				return -1;
		return 0;
	}
}

/* Consumer of a stream: @n messages (ordered) or up to a marker. */
static int consume(struct ep *e, uint64_t n, struct cons_state *cs)
{
	uint64_t left = n, seq;
	size_t size = e->size;
	unsigned int i, k;
	int ret, r, stop = 0;
	const void *p;
	uint32_t pos, len;

	switch (e->t) {
	case T_KBATCH:
		while (left && !stop) {
			k = left < BATCH ? left : BATCH;
			for (i = 0; i < k; i++) {
				e->msgs[i].buf = (uintptr_t)(e->buf + i * e->stride);
				e->msgs[i].len = size;
				e->msgs[i].prio = 0;
			}
			ret = kmsgq_receive_batch(e->fd, e->msgs, k, 0,
						  CLOCK_MONOTONIC, NULL);
			my_res->calls++;
			if (ret == -EINTR)
				continue;
			if (ret <= 0) {
				child_fail("kmsgq_receive_batch: %s", strerror(-ret));
				return -1;
			}
			for (i = 0; i < (unsigned int)ret; i++) {
				if (check(e->buf + i * e->stride, e->msgs[i].len,
					  size, &seq)) {
					child_fail("kmsgq-batch: bad message (len %u)",
						   e->msgs[i].len);
					return -1;
				}
				r = account(cs, seq);
				if (r < 0)
					return -1;
				stop |= r;
			}
			if (cs->ordered)
				left -= ret;
		}
		return 0;
	case T_KZC:
		while (left && !stop) {
			k = kmsgq_ring_peek(&e->ring, left < BATCH ? left : BATCH,
					    &pos);
			if (!k) {
				ret = kmsgq_ring_wait_counted(&e->ring, KMSGQ_RING_READABLE,
						      CLOCK_MONOTONIC, NULL);
				if (ret < 0 && ret != -EINTR) {
					child_fail("kmsgq_ring_wait: %s",
						   strerror(-ret));
					return -1;
				}
				continue;
			}
			my_res->calls++;
			for (i = 0; i < k; i++) {
				p = kmsgq_ring_msg(&e->ring, pos + i, &len);
				if (!p || check(p, len, size, &seq)) {
					child_fail("kmsgq-zc: bad message at %u",
						   pos + i);
					return -1;
				}
				r = account(cs, seq);
				if (r < 0)
					return -1;
				stop |= r;
			}
			kmsgq_ring_release(&e->ring, pos, k);
			ret = kmsgq_ring_release_done(&e->ring);
			if (ret) {
				child_fail("kmsgq_ring_wake: %s", strerror(-ret));
				return -1;
			}
			if (cs->ordered)
				left -= k;
		}
		return 0;
	default:
		while (left && !stop) {
			if (recv_one(e, &seq))
				return -1;
			r = account(cs, seq);
			if (r < 0)
				return -1;
			stop |= r;
			if (cs->ordered)
				left--;
		}
		return 0;
	}
}

/*
 * 4:4: the last producer to finish sends end markers until every consumer
 * has seen one (a consumer leaves at the first marker it meets, and a batch
 * consumer may swallow several).  Never blocks for long: the queue may be
 * full of markers nobody will read.
 */
static int send_markers(struct ep *e)
{
	struct pollfd pfd = { .fd = e->fd, .events = POLLOUT };
	uint32_t pos;
	int ret;

	while (atomic_load(&sh->cons_done) < cfg.mpmc_n) {
		if (e->t == T_KZC) {
			if (!kmsgq_ring_reserve(&e->ring, 1, &pos)) {
				usleep(200);
				continue;
			}
			fill(kmsgq_ring_slot(&e->ring, pos), e->size, MARKER);
			kmsgq_ring_commit(&e->ring, pos, e->size);
			ret = kmsgq_ring_commit_done(&e->ring);
			if (ret) {
				child_fail("kmsgq_ring_wake: %s", strerror(-ret));
				return -1;
			}
			continue;
		}
		ret = poll(&pfd, 1, 1);
		if (ret < 0 && errno != EINTR) {
			child_fail("poll: %s", strerror(errno));
			return -1;
		}
		if (ret > 0 && send_one(e, MARKER))
			return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- children */

enum { R_PROD, R_CONS, R_PING, R_PONG };

struct job {
	int wl;
	int t;
	size_t size;
	uint64_t n;		/* messages per producer, or round trips */
	struct chan ch[2];
	int nchan;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= sys.ncpus)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Round trips: send @seq, wait for the same @seq back.  Stops after @n, or
 * after cfg.pp_cap seconds (a transport stuck in tick-long wakeups must not
 * eat the time budget), then sends MARKER so that the ponger leaves.
 */
static int ping(struct ep *tx, struct ep *rx, uint64_t n)
{
	unsigned int warm = n / 20 < 100 ? n / 20 : 100;
	uint64_t *lat, i, seq, sum = 0, done;
	double deadline;

	lat = malloc(n * sizeof(*lat));
	if (!lat) {
		child_fail("out of memory");
		return -1;
	}
	memset(lat, 0, n * sizeof(*lat));
	for (i = 0; i < warm; i++)
		if (send_one(tx, i) || recv_one(rx, &seq))
			return -1;
	my_res->t_start = now_s();
	deadline = my_res->t_start + cfg.pp_cap;
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns(), t1;

		if (send_one(tx, warm + i) || recv_one(rx, &seq))
			return -1;
		t1 = now_ns();
		if (seq != warm + i) {
			child_fail("pong answered %" PRIu64 " to %" PRIu64, seq,
				   warm + i);
			return -1;
		}
		lat[i] = t1 - t0;
		sum += t1 - t0;
		if (!(i & 15) && i + 1 < n && t1 * 1e-9 > deadline) {
			i++;
			break;
		}
	}
	my_res->t_end = now_s();
	done = i;
	if (send_one(tx, MARKER))
		return -1;
	my_res->count = done;
	qsort(lat, done, sizeof(*lat), cmp_u64);
	my_res->lat_med_ns = done % 2 ? lat[done / 2] :
			     (lat[done / 2 - 1] + lat[done / 2]) / 2;
	my_res->lat_p99_ns = lat[(done * 99) / 100 < done ? (done * 99) / 100 :
				 done - 1];
	my_res->lat_mean_ns = sum / done;
	free(lat);
	return 0;
}

static int pong(struct ep *rx, struct ep *tx)
{
	uint64_t i, seq;

	my_res->t_start = now_s();
	for (i = 0;; i++) {
		if (recv_one(rx, &seq))
			return -1;
		if (seq == MARKER)
			break;
		if (seq != i) {
			child_fail("ping sent %" PRIu64 ", expected %" PRIu64, seq,
				   i);
			return -1;
		}
		if (send_one(tx, seq))
			return -1;
	}
	my_res->t_end = now_s();
	return 0;
}

static void child(const struct job *j, int role, int idx, int ready_w, int go_r)
{
	struct ep a, b;
	struct cons_state cs = { 0 };
	char c;
	int ret = -1;

	my_res = &sh->res[idx];
	if (ONECPU(j->wl))
		pin(0);
	else if (!IS_MPMC(j->wl) && cfg.placement != PIN_NONE)
		pin(role == R_PROD || role == R_PING || cfg.placement == PIN_SAME ?
		    0 : 1);

	switch (role) {
	case R_PROD:
		ret = ep_open(&a, &j->ch[0], 1, 0);
		break;
	case R_CONS:
		ret = ep_open(&a, &j->ch[0], 0, IS_MPMC(j->wl));
		break;
	case R_PING:
		ret = ep_open(&a, &j->ch[0], 1, 0);
		if (!ret)
			ret = ep_open(&b, &j->ch[1], 0, 0);
		break;
	case R_PONG:
		ret = ep_open(&a, &j->ch[0], 0, 0);
		if (!ret)
			ret = ep_open(&b, &j->ch[1], 1, 0);
		break;
	}
	if (write(ready_w, "r", 1) != 1)
		_exit(3);
	if (read(go_r, &c, 1) != 0)	/* EOF: the parent closed its end */
		_exit(3);
	if (ret)
		_exit(1);

	if (role != R_PING && role != R_PONG)
		my_res->t_start = now_s();
	switch (role) {
	case R_PROD: {
		uint64_t first = IS_MPMC(j->wl) ? (uint64_t)idx << 40 : 0;

		ret = produce(&a, first, j->n);
		if (!ret && IS_MPMC(j->wl) &&
		    atomic_fetch_add(&sh->prod_done, 1) + 1 == cfg.mpmc_n)
			ret = send_markers(&a);
		my_res->t_end = now_s();
		break;
	}
	case R_CONS:
		cs.ordered = !IS_MPMC(j->wl);
		ret = consume(&a, cs.ordered ? j->n : UINT64_MAX, &cs);
		my_res->t_end = now_s();
		my_res->count = cs.count;
		my_res->seqsum = cs.seqsum;
		if (IS_MPMC(j->wl))
			atomic_fetch_add(&sh->cons_done, 1);
		break;
	case R_PING:
		ret = ping(&a, &b, j->n);
		break;
	case R_PONG:
		ret = pong(&a, &b);
		break;
	}
	_exit(ret ? 1 : 0);
}

/* ------------------------------------------------------------- parent */

struct runres {
	double rate;		/* msgs/s (round trips/s for pingpong) */
	double cpu_ns;		/* children's CPU per message / round trip */
	double lat_med, lat_p99; /* ns, pingpong */
	uint64_t msgs;		/* messages (round trips) this run moved */
	int ok;
};

static pid_t kids[MAX_CHILDREN];
static int nkids;

static void on_alarm(int sig)
{
	(void)sig;
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
}

static double rusage_children_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void report_error(const struct job *j, const char *msg)
{
	functional_errors++;
	printf("FUNCTIONAL ERROR: %s %s size %zu: %s\n", wname[j->wl],
	       tname[j->t], j->size, msg);
	fflush(stdout);
}

static int run_once(int wl, int t, size_t size, uint64_t n, struct runres *rr)
{
	struct job j = { .wl = wl, .t = t, .size = size, .n = n };
	int ready[2], go[2], roles[MAX_CHILDREN];
	double cpu0, cpu1, t0 = 1e300, t1 = 0;
	int i, status, bad = 0, timed_out = 0;
	uint64_t msgs;
	char c;

	memset(rr, 0, sizeof(*rr));
	j.nchan = IS_PP(wl) ? 2 : 1;
	for (i = 0; i < j.nchan; i++) {
		if (chan_create(&j.ch[i], t, size)) {
			while (i--)
				chan_destroy(&j.ch[i]);
			return -2;
		}
	}
	memset(sh, 0, sizeof(*sh));

	nkids = 0;
	if (BASE(wl) == W_STREAM) {
		roles[nkids++] = R_PROD;
		roles[nkids++] = R_CONS;
	} else if (IS_PP(wl)) {
		roles[nkids++] = R_PING;
		roles[nkids++] = R_PONG;
	} else {
		for (i = 0; i < (int)cfg.mpmc_n; i++)
			roles[nkids++] = R_PROD;
		for (i = 0; i < (int)cfg.mpmc_n; i++)
			roles[nkids++] = R_CONS;
	}

	if (pipe(ready) || pipe(go))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	cpu0 = rusage_children_ns();
	for (i = 0; i < nkids; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!kids[i]) {
			close(ready[0]);
			close(go[1]);
			child(&j, roles[i], i, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < nkids; i++)
		if (read(ready[0], &c, 1) != 1)
			break;
	close(ready[0]);
	close(go[1]);		/* go */

	/*
	 * Reap in any order; once one child fails, the others would wait
	 * forever for it (a full queue, a missing reply): kill them.
	 */
	alarm(cfg.run_timeout);
	for (int left = nkids; left;) {
		pid_t pid = waitpid(-1, &status, 0);
		int k;

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("waitpid: %s", strerror(errno));
		}
		for (k = 0; k < nkids && kids[k] != pid; k++)
			;
		if (k == nkids)
			continue;
		kids[k] = 0;
		left--;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !bad)
			timed_out = 1;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (!bad)
				for (k = 0; k < nkids; k++)
					if (kids[k] > 0)
						kill(kids[k], SIGKILL);
			bad = 1;
		}
	}
	alarm(0);
	cpu1 = rusage_children_ns();
	for (i = 0; i < j.nchan; i++)
		chan_destroy(&j.ch[i]);

	if (bad) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", timed_out ?
			 "run hung, killed after the time limit" : "a child failed");
		for (i = 0; i < nkids; i++)
			if (sh->res[i].failed) {
				snprintf(msg, sizeof(msg), "%s", sh->res[i].err);
				break;
			}
		report_error(&j, msg);
		return -1;
	}

	for (i = 0; i < nkids; i++) {
		if (sh->res[i].t_start < t0)
			t0 = sh->res[i].t_start;
		if (sh->res[i].t_end > t1)
			t1 = sh->res[i].t_end;
	}
	if (IS_PP(wl)) {
		t0 = sh->res[0].t_start;
		t1 = sh->res[0].t_end;
		msgs = sh->res[0].count;
		rr->lat_med = sh->res[0].lat_med_ns;
		rr->lat_p99 = sh->res[0].lat_p99_ns;
	} else if (BASE(wl) == W_STREAM) {
		msgs = n;
		if (sh->res[1].count != n) {
			report_error(&j, "consumer count mismatch");
			return -1;
		}
	} else {
		uint64_t cnt = 0, sum = 0, want = 0;

		for (i = cfg.mpmc_n; i < nkids; i++) {
			cnt += sh->res[i].count;
			sum += sh->res[i].seqsum;
		}
		for (i = 0; i < (int)cfg.mpmc_n; i++)
			want += n * ((uint64_t)i << 40) + n * (n - 1) / 2;
		msgs = n * cfg.mpmc_n;
		if (cnt != msgs || sum != want) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "consumers got %" PRIu64 " messages (want %" PRIu64
				 "), sequence sum %s", cnt, msgs,
				 sum == want ? "ok" : "WRONG (lost/duplicated)");
			report_error(&j, msg);
			return -1;
		}
	}
	rr->rate = msgs / (t1 - t0);
	rr->msgs = msgs;
	if (cfg.verbose) {
		uint64_t ps = 0, cs = 0, pc = 0, cc = 0;

		for (i = 0; i < nkids; i++) {
			int prod = roles[i] == R_PROD || roles[i] == R_PING;

			*(prod ? &ps : &cs) += sh->res[i].sleeps;
			*(prod ? &pc : &cc) += sh->res[i].calls;
		}
		printf("# run %s %s %zu: %" PRIu64 " msgs, %.0f msgs/s, cpu %.0f ns/msg;"
		       " per 1000 msgs: producer %.1f calls %.1f sleeps, consumer"
		       " %.1f calls %.1f sleeps\n", wname[wl], tname[t], size, msgs,
		       rr->rate, (cpu1 - cpu0) / msgs, pc * 1e3 / msgs,
		       ps * 1e3 / msgs, cc * 1e3 / msgs, cs * 1e3 / msgs);
	}
	rr->cpu_ns = (cpu1 - cpu0) / msgs;
	rr->ok = 1;
	return 0;
}

/* ------------------------------------------------------- per-size setup */

/* Messages that fit in a pipe of @bytes, written one (header+payload) each. */
static long pipe_capacity(int bytes, size_t size)
{
	unsigned char *b = calloc(1, size + PIPE_HDR);
	int fds[2];
	long n = 0;

	if (!b || pipe2(fds, O_NONBLOCK))
		die("pipe: %s", strerror(errno));
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

static long sock_capacity(int sndbuf, size_t size)
{
	unsigned char *b = calloc(1, size);
	int fds[2];
	long n = 0;

	if (!b || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds))
		die("socketpair: %s", strerror(errno));
	if (set_sndbuf(fds[1], sndbuf))
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
 * Pipe: raise (never lower) its size to about depth * (header + message)
 * bytes, the largest power of two not above that (F_SETPIPE_SZ rounds up
 * to one).  Socket: SO_SNDBUF (SO_SNDBUFFORCE as root) set so that about
 * depth messages fit, measured by filling a socket without a reader.
 */
static void setup_size(size_t size, char *note, size_t notesz)
{
	long want = (long)cfg.depth * (size + PIPE_HDR), p2 = 4096;
	long pcap, scap;
	int sb, i;

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

		if (pcap2 > 0 && labs(pcap2 - (long)cfg.depth) <
				 labs(pcap - (long)cfg.depth)) {
			pipe_bytes[0] = (int)(p2 * 2);
			pcap = pcap2;
		}
	}
	{
		int fds[2];

		if (pipe(fds))
			die("pipe: %s", strerror(errno));
		if (pipe_bytes[0])
			fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes[0]);
		pipe_bytes[1] = fcntl(fds[1], F_GETPIPE_SZ);
		close(fds[0]);
		close(fds[1]);
	}

	sb = (int)(((long)cfg.depth * (size + 1024)) / 2);
	scap = sock_capacity(sb, size);
	for (i = 0; i < 3 && scap > 0 && labs(scap - (long)cfg.depth) > 1; i++) {
		long nsb = (long)sb * cfg.depth / scap + 256;

		if (nsb > INT_MAX / 2)
			break;
		sb = (int)nsb;
		scap = sock_capacity(sb, size);
	}
	sock_sndbuf = sb;

	snprintf(note, notesz,
		 "pipe %d B (%s) holds %ld msgs; seqpacket %s=%d holds %ld msgs",
		 pipe_bytes[1], pipe_bytes[0] ? "F_SETPIPE_SZ" : "default",
		 pcap, sndbuf_how, sb, scap);
}

/* ------------------------------------------------------ environment */

static void detect_env(void)
{
	unsigned int a, b, c, d, regs[12];
	char hv[13] = "", brand[49] = "";
	struct utsname u;
	FILE *f;
	int i;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31))) {
		__cpuid(0x40000000, a, b, c, d);
		memcpy(hv, &b, 4);
		memcpy(hv + 4, &c, 4);
		memcpy(hv + 8, &d, 4);
	}
	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
		for (i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, regs[i * 4], regs[i * 4 + 1],
				regs[i * 4 + 2], regs[i * 4 + 3]);
		memcpy(brand, regs, 48);
	}
	sys.is_tcg = !strcmp(hv, "TCGTCGTCGTCG") || strstr(brand, "QEMU TCG");
	if (sys.is_tcg)
		snprintf(sys.env, sizeof(sys.env), "QEMU TCG guest");
	else
		snprintf(sys.env, sizeof(sys.env),
			 "NOT a QEMU TCG guest (hypervisor '%s', cpu '%s')",
			 hv[0] ? hv : "none", brand);
	uname(&u);
	snprintf(sys.kernel, sizeof(sys.kernel), "%s", u.release);
	sys.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", sys.clocksource) != 1)
			strcpy(sys.clocksource, "?");
		fclose(f);
	} else {
		strcpy(sys.clocksource, "?");
	}
	{
		uint64_t t0 = now_ns();

		for (i = 0; i < 10000; i++)
			now_ns();
		sys.clock_ns = (now_ns() - t0) / 10000.0;
	}
	sys.is_root = geteuid() == 0;
	strcpy(sys.idle, "halt (default)");
	f = fopen("/proc/cmdline", "r");
	if (f) {
		char line[1024], *p;

		if (fgets(line, sizeof(line), f) && (p = strstr(line, "idle="))) {
			p[strcspn(p, " \n")] = 0;
			snprintf(sys.idle, sizeof(sys.idle), "%s", p);
		}
		fclose(f);
	}
}

static long read_long(const char *path)
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

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static long mq_saved[2] = { -1, -1 };

/* Put back the mqueue limits we raised (matters on a host, not in a guest). */
static void restore_mqueue(void)
{
	if (mq_saved[0] >= 0)
		write_long("/proc/sys/fs/mqueue/msg_max", mq_saved[0]);
	if (mq_saved[1] >= 0)
		write_long("/proc/sys/fs/mqueue/msgsize_max", mq_saved[1]);
}

/* Let mqueue have the same depth and message size as everyone else. */
static void setup_mqueue(void)
{
	const char *pm = "/proc/sys/fs/mqueue/msg_max";
	const char *ps = "/proc/sys/fs/mqueue/msgsize_max";
	size_t maxsz = 0;
	long mm, ms, mm2, ms2;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char rlnote[64];
	int i;

	for (i = 0; i < cfg.nsizes; i++)
		if (cfg.sizes[i] > maxsz)
			maxsz = cfg.sizes[i];
	for (i = 0; i < cfg.npp_sizes; i++)
		if (cfg.pp_sizes[i] > maxsz)
			maxsz = cfg.pp_sizes[i];
	mm = read_long(pm);
	ms = read_long(ps);
	if (mm >= 0 && mm < (long)cfg.depth && !write_long(pm, cfg.depth))
		mq_saved[0] = mm;
	if (ms >= 0 && ms < (long)maxsz && !write_long(ps, maxsz))
		mq_saved[1] = ms;
	atexit(restore_mqueue);
	mm2 = read_long(pm);
	ms2 = read_long(ps);
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
	snprintf(sys.mq_note, sizeof(sys.mq_note),
		 "fs.mqueue.msg_max %ld%s, msgsize_max %ld%s; %s", mm2,
		 mm2 != mm ? " (raised)" : " (already enough)", ms2,
		 ms2 != ms ? " (raised)" : " (already enough)", rlnote);
	if (mm2 < (long)cfg.depth || ms2 < (long)maxsz)
		die("mqueue limits too low for depth %u / size %zu (%s): run as root",
		    cfg.depth, maxsz, sys.mq_note);
}

static void setup_kmsgq(void)
{
	struct kmsgq_info info = { .size = sizeof(info) };
	int ret = kmsgq_info(-1, &info);

	if (ret) {
		snprintf(sys.kmsgq_why, sizeof(sys.kmsgq_why),
			 "/dev/kmsgq unavailable (%s): kmsgq transports skipped",
			 strerror(-ret));
		return;
	}
	sys.have_kmsgq = 1;
	snprintf(sys.kmsgq_why, sizeof(sys.kmsgq_why),
		 "kmsgq ABI %u, limits: %u msgs, %u B per message",
		 info.abi_version, info.max_msgs, info.max_msgsize);
}

/* ------------------------------------------------------------ cells */

struct cell {
	int wl;
	size_t size;
	uint64_t n;		/* messages per producer / round trips per run */
	struct runres r[NT][64];
	struct runres med[NT];	/* medians over rounds */
	double rmin[NT], rmax[NT]; /* slowest and fastest round, msgs/s */
	int have[NT];
	int failed[NT];		/* a functional error: not run again */
	char skip[NT][200];	/* why a transport could not be set up */
	char note[200];
};

static struct cell cells[32];
static int ncells;

static int transport_ok(int t, int wl)
{
	if (!cfg.use[t])
		return 0;
	if (t >= T_KCOPY && !sys.have_kmsgq)
		return 0;
	if (IS_PP(wl) && t == T_KBATCH)
		return 0;	/* a batch of one is not a batch */
	return 1;
}

static const char *human(double v, char *buf)
{
	if (v >= 1e9)
		sprintf(buf, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		sprintf(buf, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		sprintf(buf, "%.1fk", v / 1e3);
	else
		sprintf(buf, "%.0f", v);
	return buf;
}

/*
 * A transport that cannot be set up at all: skipped with a note, except that
 * for kmsgq, creating a queue within the module's limits is part of what is
 * tested, so that is a functional error.
 */
static void cell_skip(struct cell *c, int t)
{
	snprintf(c->skip[t], sizeof(c->skip[t]), "%s", setup_err);
	printf("# %s %s %zu B: cannot set up: %s\n", wname[c->wl], tname[t],
	       c->size, setup_err);
	if (t >= T_KCOPY) {
		functional_errors++;
		printf("FUNCTIONAL ERROR: %s %s size %zu: %s\n", wname[c->wl],
		       tname[t], c->size, setup_err);
	}
}

static void run_cell(struct cell *c)
{
	int t, r, nt = 0;
	double slowest = 0;
	uint64_t n0, nprod;
	unsigned int np = IS_MPMC(c->wl) ? cfg.mpmc_n : 1;
	double t_cell = now_s();

	setup_size(c->size, c->note, sizeof(c->note));

	if (IS_PP(c->wl)) {
		c->n = cfg.pp_iters;
	} else {
		/* Calibrate: one short run each; the slowest sets the count. */
		n0 = (8u << 20) / c->size;
		n0 = n0 < 128 ? 128 : n0 > 2000 ? 2000 : n0;
		if (cfg.short_mode)
			n0 /= 2;
		nprod = (n0 + np - 1) / np;
		for (t = 0; t < NT; t++) {
			struct runres rr;
			int ret;

			if (!transport_ok(t, c->wl))
				continue;
			ret = run_once(c->wl, t, c->size, nprod, &rr);
			if (ret == 0 && 1.0 / rr.rate > slowest)
				slowest = 1.0 / rr.rate;
			if (ret == -1)
				c->failed[t] = 1;
			if (ret == -2)
				cell_skip(c, t);
		}
		if (slowest <= 0)
			slowest = 1e-5;
		c->n = (uint64_t)(cfg.budget / slowest / np);
		if (c->n * np < 4 * cfg.depth)
			c->n = (4 * cfg.depth + np - 1) / np;
		c->n = (c->n + BATCH - 1) / BATCH * BATCH;
	}

	for (r = 0; r < cfg.rounds; r++) {
		for (t = 0; t < NT; t++) {
			int ret;

			if (!transport_ok(t, c->wl) || c->skip[t][0])
				continue;
			c->have[t] = 1;
			if (c->failed[t])
				continue;
			ret = run_once(c->wl, t, c->size, c->n, &c->r[t][r]);
			if (ret == -1)
				c->failed[t] = 1;
			if (ret == -2) {
				c->have[t] = 0;
				cell_skip(c, t);
			}
		}
	}
	for (t = 0; t < NT; t++) {
		double v[64];

		if (!c->have[t])
			continue;
		nt++;
		for (r = 0; r < cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].rate : -1;
		c->med[t].rate = median_d(v, cfg.rounds);
		for (r = 0; r < cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].cpu_ns : -1;
		c->med[t].cpu_ns = median_d(v, cfg.rounds);
		for (r = 0; r < cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].lat_med : -1;
		c->med[t].lat_med = median_d(v, cfg.rounds);
		for (r = 0; r < cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].lat_p99 : -1;
		c->med[t].lat_p99 = median_d(v, cfg.rounds);
		c->med[t].ok = c->med[t].rate > 0;
		c->rmin[t] = 1e300;
		c->rmax[t] = 0;
		for (r = 0; r < cfg.rounds; r++) {
			if (!c->r[t][r].ok)
				continue;
			if (c->r[t][r].rate < c->rmin[t])
				c->rmin[t] = c->r[t][r].rate;
			if (c->r[t][r].rate > c->rmax[t])
				c->rmax[t] = c->r[t][r].rate;
		}
		for (r = 0; r < cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? (double)c->r[t][r].msgs : -1;
		c->med[t].msgs = (uint64_t)median_d(v, cfg.rounds);
	}
	printf("# done: %-12s %6zu B, %" PRIu64 " %s x %d transports x %d rounds, %.1f s\n",
	       wname[c->wl], c->size, c->n * np,
	       IS_PP(c->wl) ? "round trips" : "msgs", nt, cfg.rounds,
	       now_s() - t_cell);
	fflush(stdout);
}

static double ratio(const struct cell *c, int t, int ref)
{
	if (!c->med[t].ok || !c->med[ref].ok)
		return -1;
	if (IS_PP(c->wl))
		return c->med[t].lat_med / c->med[ref].lat_med;
	return c->med[t].rate / c->med[ref].rate;
}

static const char *fmt_ratio(double r, char *buf)
{
	if (r < 0)
		return strcpy(buf, "-");
	sprintf(buf, "%.2fx", r);
	return buf;
}

static void print_banner(FILE *f, const char *prefix)
{
	fprintf(f, "%skmsgq benchmark: figures from: %s, kernel %s, %d CPUs\n",
		prefix, sys.env, sys.kernel, sys.ncpus);
	fprintf(f, "%sCompare only within this run (ratios); absolute numbers under TCG\n"
		"%smean little: copies are relatively far dearer than system calls.\n",
		prefix, prefix);
}

/* Round-to-round spread of a transport in a cell: (fastest / slowest - 1). */
static double spread(const struct cell *c, int t)
{
	return c->rmin[t] > 0 && c->rmax[t] > 0 ? c->rmax[t] / c->rmin[t] - 1 : -1;
}

static int stalls_seen;

static void print_tables(void)
{
	char b1[32], b2[32], b3[32];
	int i, t;

	printf("\n");
	print_banner(stdout, "");
	printf("guest idle: %s; clocksource %s, clock_gettime %.0f ns\n"
	       "queue depth %u for every transport, max message size = the size under test;\n"
	       "%d rounds, interleaved (A B C .. A B C ..), median round shown, spread =\n"
	       "fastest/slowest round - 1; batch and zero-copy: up to %d messages per\n"
	       "call / reserve / peek\n",
	       sys.idle, sys.clocksource, sys.clock_ns, cfg.depth, cfg.rounds,
	       BATCH);
	printf("mqueue: %s\n", sys.mq_note);
	printf("kmsgq: %s\n", sys.kmsgq_why);
	printf("1:1 and pingpong: %s;\n"
	       "*_1cpu: every process pinned to CPU 0; 4:4: %u producers + %u consumers,\n"
	       "otherwise not pinned. cpu = user+sys of the children (RUSAGE_CHILDREN) per message\n"
	       "(per round trip for pingpong). Pingpong runs stop after %.1f s (rt = round\n"
	       "trips actually timed, median over rounds).\n",
	       cfg.placement == PIN_SPLIT ?
	       "producer/pinger pinned to CPU 0, consumer/ponger to CPU 1" :
	       cfg.placement == PIN_SAME ? "both processes pinned to CPU 0" :
	       "not pinned", cfg.mpmc_n, cfg.mpmc_n, cfg.pp_cap);

	for (i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];

		if (i == 0 || cells[i - 1].wl != c->wl) {
			const char *where = ONECPU(c->wl) ? "all on CPU 0" :
				IS_MPMC(c->wl) ? "not pinned" : "CPU 0 -> CPU 1";

			if (BASE(c->wl) == W_STREAM)
				printf("\n== %s: 1:1 streaming throughput, %s (higher is better) ==\n",
				       wname[c->wl], where);
			else if (IS_MPMC(c->wl))
				printf("\n== %s: %u:%u streaming throughput, aggregate, %s"
				       " (higher is better) ==\n", wname[c->wl],
				       cfg.mpmc_n, cfg.mpmc_n, where);
			else
				printf("\n== %s: ping-pong round trip, %s (lower is better;"
				       " x = latency ratio) ==\n", wname[c->wl], where);
			if (IS_PP(c->wl))
				printf("%6s  %-12s %7s %9s %9s %10s %7s %8s %7s\n", "size",
				       "transport", "rt", "median us", "p99 us",
				       "cpu ns/rt", "spread", "x mqueue", "x pipe");
			else
				printf("%6s  %-12s %9s %8s %9s %10s %7s %8s %7s\n", "size",
				       "transport", "msgs/s", "MB/s", "ns/msg",
				       "cpu ns/msg", "spread", "x mqueue", "x pipe");
		}
		printf("%6zu  (%" PRIu64 " %s per run; %s)\n", c->size,
		       c->n * (IS_MPMC(c->wl) ? cfg.mpmc_n : 1),
		       IS_PP(c->wl) ? "round trips at most" : "msgs", c->note);
		for (t = 0; t < NT; t++) {
			struct runres *m = &c->med[t];
			double sp = spread(c, t);

			if (c->skip[t][0]) {
				printf("%6s  %-12s %9s  %s\n", "", tname[t],
				       "skipped", c->skip[t]);
				continue;
			}
			if (!c->have[t])
				continue;
			if (!m->ok) {
				printf("%6s  %-12s %9s\n", "", tname[t], "FAILED");
				continue;
			}
			snprintf(b1, sizeof(b1), sp < 0 ? "-" : "%.0f%%", sp * 100);
			if (IS_PP(c->wl)) {
				if (m->lat_med >= 1e6)
					stalls_seen = 1;
				printf("%6s  %-12s %7" PRIu64 " %9.1f %9.1f %10.0f %7s %8s %7s\n",
				       "", tname[t], m->msgs, m->lat_med / 1e3,
				       m->lat_p99 / 1e3, m->cpu_ns, b1,
				       fmt_ratio(ratio(c, t, T_MQ), b2),
				       t >= T_KCOPY ? fmt_ratio(ratio(c, t, T_PIPE), b3) : "");
			} else {
				char hb[32];

				printf("%6s  %-12s %9s %8.1f %9.0f %10.0f %7s %8s %7s\n", "",
				       tname[t], human(m->rate, hb),
				       m->rate * c->size / 1e6, 1e9 / m->rate, m->cpu_ns,
				       b1, fmt_ratio(ratio(c, t, T_MQ), b2),
				       t >= T_KCOPY ? fmt_ratio(ratio(c, t, T_PIPE), b3) : "");
			}
		}
	}
	if (stalls_seen)
		printf("\nNOTE: some round trips took milliseconds (multiples of this %s\n"
		       "guest's 4 ms tick) with both vCPUs busy in the kernel: the signature\n"
		       "of a contended host (other VMs or builds competing for the host CPUs\n"
		       "that run this guest's vCPU threads). Under QEMU TCG a guest spin loop's\n"
		       "PAUSE makes the vCPU thread re-take QEMU's global lock, which the other\n"
		       "vCPU needs to deliver its wakeup IPI; with host CPUs scarce, a wakee\n"
		       "spinning on its waker can stall it for ticks. Transports that wake\n"
		       "inside a waitqueue lock the wakee takes next (pipe, unix socket, kmsgq)\n"
		       "are hit; mqueue (hand-off, wake after unlock) is not. The CPU 0 -> CPU 1\n"
		       "figures of this run are unreliable: rerun on an idle host, and compare\n"
		       "the *_1cpu tables. See selftests/bench/README.md.\n",
		       sys.kernel);
}

static struct cell *find_cell(int wl, size_t size)
{
	for (int i = 0; i < ncells; i++)
		if (cells[i].wl == wl && cells[i].size == size)
			return &cells[i];
	return NULL;
}

static void target(const char *what, int wl, size_t size, int t, int ref,
		   double goal, int lower_better)
{
	struct cell *c = find_cell(wl, size);
	double r = c && c->have[t] && c->have[ref] ? ratio(c, t, ref) : -1;

	if (r < 0) {
		printf("  %-52s %8s  %-6s  (not measured)\n", what, "-", "-");
		return;
	}
	printf("  %-52s %7.3fx  %s (goal %s %.1fx)\n", what, r,
	       (lower_better ? r <= goal : r >= goal) ? "MET   " : "MISSED",
	       lower_better ? "<=" : ">=", goal);
}

static void print_targets_for(int v)
{
	char what[96];
	const char *w = v ? " [1cpu]" : "";
	int i;

	snprintf(what, sizeof(what), "kmsgq-copy 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, W_STREAM + v, 64, T_KCOPY, T_MQ, 1.5, 0);
	for (i = 0; i < cfg.nsizes; i++) {
		snprintf(what, sizeof(what), "kmsgq-copy 1:1 %zu B vs mqueue%s",
			 cfg.sizes[i], w);
		target(what, W_STREAM + v, cfg.sizes[i], T_KCOPY, T_MQ, 1.0, 0);
		snprintf(what, sizeof(what), "kmsgq-copy 1:1 %zu B vs pipe%s",
			 cfg.sizes[i], w);
		target(what, W_STREAM + v, cfg.sizes[i], T_KCOPY, T_PIPE, 1.0, 0);
	}
	snprintf(what, sizeof(what), "kmsgq-batch 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, W_STREAM + v, 64, T_KBATCH, T_MQ, 5, 0);
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, W_STREAM + v, 64, T_KZC, T_MQ, 20, 0);
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 KiB msgs/s vs mqueue%s", w);
	target(what, W_STREAM + v, 65536, T_KZC, T_MQ, 3, 0);
	snprintf(what, sizeof(what), "kmsgq-copy ping-pong 64 B median vs mqueue%s", w);
	target(what, W_PINGPONG + v, 64, T_KCOPY, T_MQ, 1.0, 1);
	snprintf(what, sizeof(what), "kmsgq-copy %u:%u 64 B msgs/s vs mqueue%s",
		 cfg.mpmc_n, cfg.mpmc_n, w);
	target(what, W_MPMC + v, 64, T_KCOPY, T_MQ, 1.0, 0);
}

static void print_targets(void)
{
	printf("\n== targets (information only: timing never fails the run) ==\n"
	       "The issue's placement: 1:1 and ping-pong on CPU 0 -> CPU 1, 4:4 not pinned\n");
	print_targets_for(0);
	printf("The same with every process on CPU 0 (no cross-vCPU wakeups)\n");
	print_targets_for(W_ONECPU);
}

static void print_csv(void)
{
	char env[32];
	int i, t;

	snprintf(env, sizeof(env), "%s", sys.is_tcg ? "qemu-tcg-guest" : "not-tcg");
	printf("\nKMSGQ-CSV-BEGIN\n");
	print_banner(stdout, "# ");
	printf("# guest idle: %s; depth %u, rounds %d (median round), batch %d\n"
	       "# pingpong*: msgs = round trips (msgs_per_run = those timed, median),\n"
	       "# ns_per_msg = mean round trip, lat_* = round-trip median/p99,\n"
	       "# MB_per_s counts both directions; ratio_vs_*: msgs/s ratio, or\n"
	       "# latency ratio (median) for pingpong*; rate_min/max: slowest/fastest round\n",
	       sys.idle, cfg.depth, cfg.rounds, BATCH);
	printf("env,kernel,cpus,workload,transport,size,depth,msgs_per_run,"
	       "msgs_per_s,MB_per_s,ns_per_msg,cpu_ns_per_msg,lat_median_ns,"
	       "lat_p99_ns,ratio_vs_mqueue,ratio_vs_pipe,rate_min,rate_max\n");
	for (i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];

		for (t = 0; t < NT; t++) {
			struct runres *m = &c->med[t];
			double rm = ratio(c, t, T_MQ), rp = ratio(c, t, T_PIPE);

			if (!c->have[t] || !m->ok)
				continue;
			printf("%s,%s,%d,%s,%s,%zu,%u,%" PRIu64 ",%.0f,%.3f,%.0f,%.0f,",
			       env, sys.kernel, sys.ncpus, wname[c->wl], tname[t],
			       c->size, cfg.depth,
			       IS_PP(c->wl) ? m->msgs :
			       c->n * (IS_MPMC(c->wl) ? cfg.mpmc_n : 1), m->rate,
			       IS_PP(c->wl) ? 2 * m->rate * c->size / 1e6 :
			       m->rate * c->size / 1e6, 1e9 / m->rate, m->cpu_ns);
			if (IS_PP(c->wl))
				printf("%.0f,%.0f,", m->lat_med, m->lat_p99);
			else
				printf(",,");
			if (rm < 0)
				printf(",");
			else
				printf("%.3f,", rm);
			if (rp < 0)
				printf(",");
			else
				printf("%.3f,", rp);
			printf("%.0f,%.0f\n", c->rmin[t], c->rmax[t]);
		}
	}
	printf("KMSGQ-CSV-END\n");
}

/* ------------------------------------------------------------- main */

static void usage(void)
{
	printf("usage: kmsgq_bench [--short] [--rounds N] [--time SEC] [--depth N]\n"
	       "                   [--pp-iters N] [--transports LIST] [--sizes LIST]\n"
	       "                   [--workloads LIST]\n"
	       "  --short       the quick version (make demo): 3 rounds, 0.08 s, 2000 round trips\n"
	       "  --rounds N    rounds per cell (default 5)\n"
	       "  --time SEC    per-run time of the slowest transport (default 0.5)\n"
	       "  --depth N     queue depth of every transport (default 64)\n"
	       "  --pp-iters N  round trips per pingpong run (default 10000)\n"
	       "  --transports  comma list of: mqueue,pipe,seqpacket,kmsgq-copy,kmsgq-batch,kmsgq-zc\n"
	       "  --sizes       comma list of 1:1 message sizes (multiples of 8)\n"
	       "  --workloads   comma list of: stream,pingpong,mpmc (default: all)\n"
	       "  --variants    split,1cpu (default both): the issue's placement, and\n"
	       "                every process on CPU 0\n"
	       "  --verbose     a line per run (batch calls, ring sleeps per message)\n"
	       "  --pin WHERE   1:1 and pingpong placement: split (default: CPU 0 and\n"
	       "                CPU 1), same (both on CPU 0), none (not pinned)\n"
	       "Exit status: 0, or 1 after a functional error (never for timing).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "short", no_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "depth", required_argument, NULL, 'd' },
		{ "pp-iters", required_argument, NULL, 'p' },
		{ "transports", required_argument, NULL, 'T' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "workloads", required_argument, NULL, 'W' },
		{ "pin", required_argument, NULL, 'P' },
		{ "variants", required_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int wl_on[3] = { 1, 1, 1 };
	int split = 1, onecpu = 1, v;
	int rounds = 0, pp = 0, o, i, t;
	double budget = 0;
	struct sigaction sa = { .sa_handler = on_alarm };
	double t_all = now_s();

	while ((o = getopt_long(argc, argv, "sr:t:d:p:T:S:W:P:V:vh", opts, NULL)) != -1) {
		char *s, *tok, *save;

		switch (o) {
		case 's':
			cfg.short_mode = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			budget = atof(optarg);
			break;
		case 'd':
			cfg.depth = atoi(optarg);
			break;
		case 'p':
			pp = atoi(optarg);
			break;
		case 'T':
			memset(cfg.use, 0, sizeof(cfg.use));
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (t = 0; t < NT; t++)
					if (!strcmp(tok, tname[t]))
						cfg.use[t] = 1;
			}
			free(s);
			break;
		case 'S':
			cfg.nsizes = 0;
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok && cfg.nsizes < 16;
			     tok = strtok_r(NULL, ",", &save)) {
				size_t sz = strtoul(tok, NULL, 0);

				if (sz < 8 || sz % 8)
					die("sizes must be multiples of 8: %s", tok);
				cfg.sizes[cfg.nsizes++] = sz;
			}
			free(s);
			break;
		case 'W':
			memset(wl_on, 0, sizeof(wl_on));
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				wl_on[0] |= !strcmp(tok, "stream");
				wl_on[1] |= !strcmp(tok, "pingpong");
				wl_on[2] |= !strcmp(tok, "mpmc");
			}
			free(s);
			break;
		case 'P':
			for (t = 0; t < 3; t++)
				if (!strcmp(optarg, pin_name[t]))
					cfg.placement = t;
			break;
		case 'v':
			cfg.verbose = 1;
			break;
		case 'V':
			split = !!strstr(optarg, "split");
			onecpu = !!strstr(optarg, "1cpu");
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (cfg.short_mode) {
		cfg.rounds = 3;
		cfg.budget = 0.08;
		cfg.pp_iters = 2000;
		cfg.pp_cap = 0.4;
	}
	if (rounds > 0)
		cfg.rounds = rounds > 63 ? 63 : rounds;
	if (budget > 0)
		cfg.budget = budget;
	if (pp > 0)
		cfg.pp_iters = pp;
	if (cfg.depth < 2 || (cfg.depth & (cfg.depth - 1)))
		die("--depth must be a power of two >= 2 (ring queues round up)");

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	detect_env();
	setup_mqueue();
	setup_kmsgq();
	print_banner(stdout, "# ");
	printf("# %s mode: %d rounds, %.2f s per run of the slowest transport, "
	       "%u round trips per pingpong run\n# %s\n# kmsgq: %s\n",
	       cfg.short_mode ? "short" : "full", cfg.rounds, cfg.budget,
	       cfg.pp_iters, sys.mq_note, sys.kmsgq_why);

	for (v = 0; v <= W_ONECPU; v += W_ONECPU) {
		if (!(v ? onecpu : split))
			continue;
		if (wl_on[0])
			for (i = 0; i < cfg.nsizes; i++) {
				cells[ncells].wl = W_STREAM + v;
				cells[ncells++].size = cfg.sizes[i];
			}
		if (wl_on[1])
			for (i = 0; i < cfg.npp_sizes; i++) {
				cells[ncells].wl = W_PINGPONG + v;
				cells[ncells++].size = cfg.pp_sizes[i];
			}
		if (wl_on[2]) {
			cells[ncells].wl = W_MPMC + v;
			cells[ncells++].size = cfg.mpmc_size;
		}
	}
	for (i = 0; i < ncells; i++)
		run_cell(&cells[i]);

	print_tables();
	print_targets();
	print_csv();
	printf("\n# total %.0f s; functional errors: %d\n", now_s() - t_all,
	       functional_errors);
	if (!sys.is_tcg)
		printf("# note: %s\n", sys.env);
	return functional_errors ? 1 : 0;
}
