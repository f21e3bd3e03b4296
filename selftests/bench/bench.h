/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the files of kmsgq_bench share: the configuration, the
 * transport operations, channels and endpoints, the payload every transport
 * moves, and the child's result record.
 *
 * kmsgq_bench.c  options, environment, the transport table, main()
 * runner.c       workloads: children, one run, a cell of rounds
 * report.c       the table, the targets and the CSV
 * transport_*.c  one transport family each, behind struct bench_transport
 */
#ifndef KMSGQ_BENCH_H
#define KMSGQ_BENCH_H

#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define BENCH_BATCH	32	/* messages per batch call / reserve / peek */
#define BENCH_MAX_T	12	/* transports in the table, at most */
#define BENCH_MAX_CHILDREN 16
#define BENCH_MAX_CELLS	64
#define BENCH_FANOUT_SUBS 4	/* subscribers of fanout_1to4, every size */
#define BENCH_MARKER	UINT64_MAX /* sequence number of an end marker (4:4) */
#define BENCH_HDR_ROOM	4	/* bytes before a payload in an endpoint's
				   buffer: a pipe's length header */

/*
 * Workloads (fan-out: one publisher, every message to each of S
 * subscribers); each also in variants (wl = base + BENCH_W_NBASE * variant):
 * the placement, every process pinned to CPU 0 (see the README on
 * cross-vCPU wakeups under TCG), and the placement with busy
 * processes beside it in the guest (more runnable processes than vCPUs).
 */
enum { BENCH_W_STREAM, BENCH_W_PINGPONG, BENCH_W_MPMC, BENCH_W_FANOUT,
       BENCH_W_NBASE };
enum { BENCH_V_SPLIT, BENCH_V_ONECPU, BENCH_V_OVERSUB, BENCH_V_NVAR };
#define BENCH_BASE(wl)		((wl) % BENCH_W_NBASE)
#define BENCH_VARIANT(wl)	((wl) / BENCH_W_NBASE)
#define BENCH_ONECPU(wl)	(BENCH_VARIANT(wl) == BENCH_V_ONECPU)
#define BENCH_OVERSUB(wl)	(BENCH_VARIANT(wl) == BENCH_V_OVERSUB)
#define BENCH_IS_PP(wl)		(BENCH_BASE(wl) == BENCH_W_PINGPONG)
#define BENCH_IS_MPMC(wl)	(BENCH_BASE(wl) == BENCH_W_MPMC)
#define BENCH_IS_FANOUT(wl)	(BENCH_BASE(wl) == BENCH_W_FANOUT)

/* Where the two processes of 1:1 and pingpong run. */
enum { BENCH_PIN_SPLIT, BENCH_PIN_SAME, BENCH_PIN_NONE };

extern const char *const bench_wname[];

struct bench_config {
	int short_mode;
	int rounds;
	double budget;		/* seconds per run of the slowest transport */
	unsigned int depth;	/* queue depth, every transport */
	unsigned int fanout_depth; /* ... in the fan-out cells */
	unsigned int pp_iters;	/* round trips per pingpong run */
	uint64_t msgs;		/* messages per stream run (per producer),
				   0: calibrated to budget */
	double pp_cap;		/* ... or fewer, if a run takes longer than this */
	unsigned int mpmc_n;	/* producers = consumers in the N:N workload */
	unsigned int oversub_n;	/* busy processes beside an oversub run */
	unsigned int run_timeout; /* seconds before a run counts as hung */
	int placement;		/* 1:1 and pingpong: BENCH_PIN_* */
	int fanout_pin;		/* fan-out, but 1cpu: publisher on CPU 0,
				   subscribers on CPU 1 (else not pinned) */
	int verbose;		/* a line per run */
	int no_spin_time;	/* --verbose without the waits' CPU time */
	int use[BENCH_MAX_T];
	size_t sizes[16];
	int nsizes;
	size_t pp_sizes[4];
	int npp_sizes;
	size_t mpmc_size;
	size_t fanout_sizes[4];	/* fanout_1to4 at each */
	int nfanout_sizes;
	unsigned int fanout_subs[8]; /* the sweep's subscriber counts, at
					fanout_sizes[0] */
	int nfanout_subs;
};

struct bench_sys {
	char env[160];		/* "QEMU TCG guest" or what we found */
	int is_tcg;
	char kernel[128];
	int ncpus;
	char clocksource[64];
	char idle[64];		/* idle= from the kernel command line */
	double clock_ns;	/* cost of one clock_gettime() */
	char kmsgq_why[256];	/* what transport_kcopy.c found, and which
				   transports the module's features skip */
	char mq_note[256];	/* what transport_mqueue.c did to the limits */
	char host_load[16];	/* busy processes on the host, "" if not told */
	int is_root;
};

extern struct bench_config bench_cfg;
extern struct bench_sys bench_sys;
extern int bench_errors;	/* functional errors so far */
extern char bench_setup_err[200]; /* why the last chan_create failed */

/* ------------------------------------------------------------ transports */

/*
 * A channel: one queue (or pipe, or socketpair, ...) carrying messages one
 * way, set up by the parent before it forks; children open endpoints on it.
 */
struct bench_chan {
	size_t size;
	unsigned int depth;	/* messages it holds: the cell's depth */
	char name[64];		/* a name the children open it by */
	int fds[2];		/* descriptors the children inherit, or -1 */
};

/* One process's end of a channel. */
struct bench_ep {
	const struct bench_transport *t;
	size_t size;
	int fd;
	int whole_records;	/* one of several consumers (4:4) */
	unsigned char *buf;	/* BENCH_BATCH buffers of stride bytes */
	size_t stride;
	void *priv;		/* the transport's own state */
};

/* Consumer bookkeeping, see bench_account(). */
struct bench_cons {
	int ordered;
	uint64_t expect;
	uint64_t count, seqsum;
};

#define BENCH_T_KMSGQ	0x1	/* a kmsgq transport: failing to set up is a
				   functional error; ratios to pipe shown */
#define BENCH_T_NO_PP	0x2	/* not in pingpong (a batch of one) */
#define BENCH_T_FANOUT	0x4	/* in the fan-out workload, a channel per
				   subscriber, the publisher sending to each
				   (needs @resend) */
#define BENCH_T_PUBSUB	0x8	/* a fan-out queue: one channel, every
				   consumer receives every message; only in
				   the fan-out workload */

/**
 * struct bench_transport - one transport, as the runner drives it
 * @name: as in the table, the CSV and --transports
 * @flags: BENCH_T_*
 * @init: optional; once, before any run: 0, or -1 to skip the transport
 * @size_setup: optional; before a cell: adjust what depends on its message
 *	size and depth and say so in @note (joined with "; " to the others)
 * @chan_create: in the parent: 0, or -1 with bench_setup_err set
 * @chan_destroy: in the parent, after the children are gone
 * @ep_open: in a child: open the producer (@prod) or consumer end of @c;
 *	@e->size, buf and stride are set.  0 or -1 (bench_fail() called)
 * @send_one: fill and send message @seq, blocking.  0 or -1
 * @recv_one: receive and check one message, blocking: 0 and its @seq, or -1
 * @try_send: send @seq if that is possible within about a millisecond:
 *	1 sent, 0 not now, -1 error (end markers, which must never block)
 * @produce: optional, for transports that move several messages per call:
 *	send @n messages @first.. (default: send_one in a loop)
 * @consume: optional, likewise: receive @n messages (ordered) or up to an
 *	end marker, bench_account() each (default: recv_one in a loop)
 * @resend: with BENCH_T_FANOUT: send through @e the message that
 *	send_one() just sent through @from, from @from's buffer as send_one()
 *	left it (fan-out by hand: filled once, sent to every subscriber)
 */
struct bench_transport {
	const char *name;
	unsigned int flags;
	int (*init)(void);
	void (*size_setup)(size_t size, unsigned int depth, char *note,
			   size_t len);
	int (*chan_create)(struct bench_chan *c);
	void (*chan_destroy)(struct bench_chan *c);
	int (*ep_open)(struct bench_ep *e, const struct bench_chan *c, int prod);
	int (*send_one)(struct bench_ep *e, uint64_t seq);
	int (*recv_one)(struct bench_ep *e, uint64_t *seq);
	int (*try_send)(struct bench_ep *e, uint64_t seq);
	int (*produce)(struct bench_ep *e, uint64_t first, uint64_t n);
	int (*consume)(struct bench_ep *e, uint64_t n, struct bench_cons *cs);
	int (*resend)(struct bench_ep *e, const struct bench_ep *from);
};

extern const struct bench_transport *const bench_transports[];
extern const int bench_nt;

int bench_transport_find(const char *name);

/* Shared by several transport files. */
int runner_try_send_poll(struct bench_ep *e, uint64_t seq);
void pipe_chan_close(struct bench_chan *c);
int pipe_ep_open(struct bench_ep *e, const struct bench_chan *c, int prod);
int unix_send_one(struct bench_ep *e, uint64_t seq);
int unix_recv_one(struct bench_ep *e, uint64_t *seq);
int unix_resend(struct bench_ep *e, const struct bench_ep *from);
int kcopy_init(void);
int kcopy_queue_create(struct bench_chan *c, unsigned int qflags);
void kcopy_chan_destroy(struct bench_chan *c);
struct kmsgq_msg;
int kcopy_produce_batches(struct bench_ep *e, struct kmsgq_msg *msgs,
			  uint64_t seq, uint64_t left);

/* ------------------------------------------------------- child results */

struct bench_child_res {
	double t_start;		/* after the start barrier */
	double t_end;		/* after the last message */
	uint64_t count;		/* messages received (consumers) */
	uint64_t seqsum;	/* sum of the sequence numbers received */
	uint64_t lat_med_ns, lat_p99_ns, lat_mean_ns;	/* pinger */
	uint64_t warm;		/* untimed round trips before those (pinger) */
	uint64_t waits;		/* calls to wait for a ring (zero-copy) */
	uint64_t slept;		/* voluntary context switches in the run */
	uint64_t wait_cpu_ns;	/* --verbose: CPU time inside those waits */
	uint64_t calls;		/* send/receive calls or reserve/peek batches */
	uint64_t cpu_ns;	/* CPU time of the publishing loop (fan-out) */
	int failed;
	char err[200];
};

/* The result record of the child this process is (runner.c sets it). */
extern struct bench_child_res *bench_self;

/*
 * Around a zero-copy transport's wait for its ring: counts the wait and,
 * with --verbose only (it costs two system calls) and unless
 * --no-spin-time, the CPU time spent in it, which is the time spent polling
 * before a sleep or instead of one.
 */
uint64_t bench_wait_begin(void);
void bench_wait_end(uint64_t begin);

void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------- runs, cells */

struct runner_res {
	double rate;		/* msgs/s (round trips/s for pingpong) */
	double cpu_ns;		/* children's CPU per message / round trip */
	double lat_med, lat_p99; /* ns, pingpong */
	uint64_t msgs;		/* messages (round trips) this run moved */
	uint64_t waits, slept;	/* of every child, see bench_child_res */
	uint64_t wait_cpu_ns;	/* likewise */
	double pub_cpu_ns;	/* fan-out: the publisher's CPU per message */
	int ok;
};

/* A workload at one message size, every transport, every round. */
struct runner_cell {
	int wl;
	size_t size;
	unsigned int subs;	/* fan-out: subscribers; 0 otherwise */
	unsigned int depth;	/* every transport's queue depth */
	char wname[32];		/* the workload's name, e.g. fanout_1to4_1cpu */
	uint64_t n;		/* messages per producer / round trips per run */
	struct runner_res r[BENCH_MAX_T][64];
	struct runner_res med[BENCH_MAX_T];	/* medians over rounds */
	double rmin[BENCH_MAX_T], rmax[BENCH_MAX_T]; /* slowest and fastest
							round, msgs/s */
	int have[BENCH_MAX_T];
	int failed[BENCH_MAX_T]; /* a functional error: not run again */
	char skip[BENCH_MAX_T][200]; /* why a transport could not be set up */
	char note[200];
};

extern struct runner_cell runner_cells[BENCH_MAX_CELLS];
extern int runner_ncells;

void runner_init(void);
void runner_add_cell(int wl, size_t size, unsigned int subs);
void runner_run_cell(struct runner_cell *c);

void report_banner(FILE *f, const char *prefix);
void report_tables(void);
void report_targets(void);
void report_csv(void);

/* ------------------------------------------------------------- helpers */

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ----------------------------------------------------- payload fill/check */

/* The byte that fills message @seq after its sequence number, times 8. */
static inline uint64_t bench_pattern(uint64_t seq)
{
	uint64_t b = (uint8_t)(seq * 0x9d + 0x5b);

	return b * 0x0101010101010101ull;
}

/* Write every byte of a @size-byte message (size: a multiple of 8, >= 8). */
static inline void bench_fill(void *p, size_t size, uint64_t seq)
{
	memcpy(p, &seq, 8);
	memset((char *)p + 8, (int)(bench_pattern(seq) & 0xff), size - 8);
}

/* Read every byte: the wrapping sum of the message's 64-bit words. */
static inline uint64_t bench_sum_words(const void *p, size_t size)
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
static inline int bench_check(const void *p, size_t len, size_t size,
			      uint64_t *seq)
{
	uint64_t s;

	if (len != size)
		return -1;
	memcpy(&s, p, 8);
	*seq = s;
	return bench_sum_words(p, size) == s + (size / 8 - 1) * bench_pattern(s) ?
	       0 : -1;
}

/*
 * Consumer bookkeeping: @cs->ordered: a 1:1 stream, sequence numbers must
 * come as expect, expect+1, ...; otherwise count and sum them, and stop at
 * an end marker.  Returns 1 at a marker, 0 to go on, -1 on error.
 */
static inline int bench_account(struct bench_cons *cs, uint64_t seq)
{
	if (seq == BENCH_MARKER && !cs->ordered)
		return 1;
	if (cs->ordered && seq != cs->expect) {
		bench_fail("out of order: got seq %" PRIu64 ", expected %" PRIu64,
			   seq, cs->expect);
		return -1;
	}
	cs->expect++;
	cs->count++;
	cs->seqsum += seq;
	return 0;
}

#endif /* KMSGQ_BENCH_H */
