// SPDX-License-Identifier: GPL-2.0
/*
 * Description: kmsgq soak: forked workers run random operations on a few
 * shared queue names (so that they collide) while a supervisor signals them
 * and SIGKILLs them mid-operation.  Every result must be one that
 * doc/semantics.md allows for the call, and every message received must
 * arrive intact, once, and in order.
 *
 *	soak_test [--seconds N] [--soak] [--seed S] [harness options]
 *
 * Without arguments it is a fixed-size run: SOAK_WORKERS workers finish
 * SOAK_OPS operations each, from a fixed seed.  --seconds N, or
 * KMSGQ_SOAK_SECONDS=N in the environment, runs for N seconds instead;
 * --soak runs for KMSGQ_SOAK_SECONDS, or SOAK_DEFAULT_SECONDS without it.
 * --seed S (or KMSGQ_SOAK_SEED) picks the seed; a timed run without one
 * takes a fresh seed.  The seed is printed so that a failure can be rerun
 * with it (the interleaving still differs from run to run).
 *
 * The operations: create (copy or ring queue, random depth and message
 * size, mode and access, O_EXCL and O_NONBLOCK sometimes, and large queues
 * that meet the per-user byte cap), open, unlink, close (with the ring
 * still mapped, or keeping the mapping after the close); send and receive
 * one message or a batch, by ioctl or read()/write(), non-blocking or
 * blocking with an absolute deadline on either clock, a relative timeout,
 * a deadline already past, or no timeout but an interval timer's signal;
 * poll and epoll; ring map and unmap, in-place produce and consume with
 * libkmsgq's ring helpers, ring waits; GETATTR, SETATTR, STATS; calls that
 * must fail with one exact errno (priority, size, batch count, timespec,
 * clock, buffer address, access mode, rebinding, bad names, unbound
 * files); a close while another thread sleeps on the descriptor; and an
 * exit while one sleeps.  The supervisor sends SIGUSR1, whose handler does
 * nothing and which each worker installs with or without SA_RESTART as it
 * goes, and SIGKILLs a worker every SOAK_KILL_EVERY operations; a
 * replacement carries on the dead worker's count of operations.
 *
 * Checked: every errno (a blocking call never returns EAGAIN, a
 * non-blocking one never anything but EAGAIN, and EINTR only where no
 * restart applies); every message's header, length, priority and payload,
 * that none arrives twice, and that a descriptor sees one sender's messages
 * of one priority in the order they were sent; attributes and counters.
 * max_queues and user_bytes_max are lowered during the run so that ENOSPC
 * and EMFILE happen, and a probe before and after the run (how many small
 * queues fit until ENOSPC, how many large ones until EMFILE) must give the
 * same answers: no queue and no charged byte leaked.  debugfs must then
 * list no queue of the run.  Kernel splats and kmemleak reports are judged
 * by the guest harness (vm/results.sh).
 *
 * Workers never use ASSERT or EXPECT (that would run the fixture teardown
 * in the child): the first failure is written to shared memory and the
 * worker exits 1.  Every sleep of a worker is bounded, so a supervisor that
 * sees no operation finish for SOAK_STALL_S seconds reports a hang, with
 * the kernel stacks of the workers.
 */
#include "kmsgq_test.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/time.h>

#define SOAK_WORKERS		6
#define SOAK_OPS		3000	/* per worker, in the fixed-size run */
#define SOAK_SEED		0x6b6d736771ULL
#define SOAK_DEFAULT_SECONDS	300	/* --soak without KMSGQ_SOAK_SECONDS */
#define SOAK_NAMES		8	/* shared queue names */
#define SOAK_HANDLES		4	/* queues one worker holds at once */
#define SOAK_ORPHANS		2	/* mappings one worker keeps after close */
#define SOAK_MSGSIZE_MAX	4096	/* largest max_msgsize of a queue */
#define SOAK_OVERSIZE		128	/* bytes past it a too-long send goes */
#define SOAK_BATCH_MAX		40	/* crosses the kernel's 16-message chunks */
#define SOAK_WAIT_MS		20	/* longest timeout of a blocking call */
#define SOAK_KILL_EVERY		300	/* operations between two SIGKILLs */
/* Module limits during the run, so that ENOSPC and EMFILE happen. */
#define SOAK_MAX_QUEUES		15
#define SOAK_USER_BYTES		(2UL << 20)
#define SOAK_PROBE_MAX		512
/* Seconds without any worker finishing an operation: a hang. */
#define SOAK_STALL_S		120
/* Seconds the harness allows the fixed run, and a timed run past its end. */
#define SOAK_FIXED_TIMEOUT	900
#define SOAK_TIMED_SLACK	600
/* Exit status of a worker that exits on purpose mid-operation. */
#define SOAK_EXIT_MIDOP		3
/* Duplicate detection covers this many generations and messages of each. */
#define SOAK_GENS		1024
#define SOAK_SEQS		(1U << 18)
/* Entries of a descriptor's table of last sequence numbers seen. */
#define SOAK_ORDER_SLOTS	64
/* Priority of a message received by read(), which does not report it. */
#define SOAK_NO_PRIO		(~0U)

#define SOAK_MAGIC		0x6b6d7167U

/* Set by main() from the command line and the environment. */
static unsigned long soak_seconds;
static __u64 soak_seed = SOAK_SEED;

/* ---- operations and errnos ---- */

enum soak_op {
	OP_CREATE, OP_CREATE_BIG, OP_OPEN, OP_UNLINK, OP_CLOSE,
	OP_SEND, OP_RECV, OP_SEND_BATCH, OP_RECV_BATCH, OP_WRITE, OP_READ,
	OP_POLL, OP_EPOLL_CTL, OP_EPOLL_WAIT,
	OP_MAP, OP_UNMAP, OP_RING_PRODUCE, OP_RING_CONSUME, OP_RING_WAIT,
	OP_GETATTR, OP_SETATTR, OP_STATS, OP_MISUSE,
	OP_CLOSE_MIDOP, OP_EXIT_MIDOP,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"create", "create-big", "open", "unlink", "close",
	"send", "recv", "send-batch", "recv-batch", "write", "read",
	"poll", "epoll-ctl", "epoll-wait",
	"map", "unmap", "ring-produce", "ring-consume", "ring-wait",
	"getattr", "setattr", "stats", "misuse",
	"close-midop", "exit-midop",
};

/* How often each operation is chosen, relative to the others. */
static const unsigned int op_weight[OP_NR] = {
	[OP_CREATE] = 60, [OP_CREATE_BIG] = 8, [OP_OPEN] = 50,
	[OP_UNLINK] = 40, [OP_CLOSE] = 40,
	[OP_SEND] = 100, [OP_RECV] = 100, [OP_SEND_BATCH] = 60,
	[OP_RECV_BATCH] = 60, [OP_WRITE] = 40, [OP_READ] = 40,
	[OP_POLL] = 30, [OP_EPOLL_CTL] = 25, [OP_EPOLL_WAIT] = 25,
	[OP_MAP] = 50, [OP_UNMAP] = 15, [OP_RING_PRODUCE] = 100,
	[OP_RING_CONSUME] = 100, [OP_RING_WAIT] = 30,
	[OP_GETATTR] = 20, [OP_SETATTR] = 20, [OP_STATS] = 20,
	[OP_MISUSE] = 40, [OP_CLOSE_MIDOP] = 20, [OP_EXIT_MIDOP] = 1,
};

/* The errnos the histogram counts; bit i of an allowed mask is errnos[i]. */
static const int soak_errnos[] = {
	EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE, EBADF, EINVAL, EFAULT, ENOENT,
	EEXIST, ENOSPC, EMFILE, EOPNOTSUPP, EACCES, EBUSY, ENOTCONN,
};

#define SOAK_NR_ERRNOS	ARRAY_SIZE(soak_errnos)

enum {
	A_EAGAIN = 1 << 0, A_ETIMEDOUT = 1 << 1, A_EINTR = 1 << 2,
	A_EMSGSIZE = 1 << 3, A_EBADF = 1 << 4, A_EINVAL = 1 << 5,
	A_EFAULT = 1 << 6, A_ENOENT = 1 << 7, A_EEXIST = 1 << 8,
	A_ENOSPC = 1 << 9, A_EMFILE = 1 << 10, A_EOPNOTSUPP = 1 << 11,
	A_EACCES = 1 << 12, A_EBUSY = 1 << 13, A_ENOTCONN = 1 << 14,
};

static unsigned int errno_index(int err)
{
	unsigned int i;

	for (i = 0; i < SOAK_NR_ERRNOS; i++)
		if (soak_errnos[i] == err)
			return i;
	return SOAK_NR_ERRNOS;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

/* ---- shared between the supervisor and the workers ---- */

struct soak_slot {
	pid_t pid;
	unsigned int gen;		/* processes forked for the slot, less 1 */
	unsigned long long ops;		/* operations finished, all generations */
};

struct soak_shared {
	char names[SOAK_NAMES][KMSGQ_NAME_MAX];
	__u64 seed;
	bool timed;
	int stop;			/* a timed run is over: exit now */
	struct soak_slot slot[SOAK_WORKERS];
	unsigned long long op_count[OP_NR];
	unsigned long long err_count[SOAK_NR_ERRNOS + 1];
	unsigned long long sent;	/* messages queued or committed */
	unsigned long long verified;	/* messages received and checked */
	unsigned long long in_place;	/* of which read in a mapped ring */
	unsigned long long empty_slots;	/* ring slots carrying no message */
	unsigned long long unchecked;	/* beyond the duplicate bitmap */
	unsigned long long midop_closes;
	int failed;		/* claimed by the first failure */
	int failure_done;	/* @failure is complete */
	char failure[640];
};

static void count(unsigned long long *counter, unsigned long long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* ---- random numbers and time ---- */

static __u64 mix64(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static struct timespec ts_from_ns(__s64 ns)
{
	struct timespec ts;

	if (ns < 0)
		ns = 0;
	ts.tv_sec = ns / NSEC_PER_SEC;
	ts.tv_nsec = ns % NSEC_PER_SEC;
	return ts;
}

/* Sleep; a signal may cut it short. */
static void sleep_us(long us)
{
	struct timespec ts = ts_from_ns(us * 1000LL);

	nanosleep(&ts, NULL);
}

/* ---- what a message is ---- */

/* Messages shorter than the header are a pattern of their length only. */
struct soak_hdr {
	__u32 magic;
	__u32 len;	/* whole message */
	__u32 sender;	/* worker slot << 16 | generation */
	__u32 seq;	/* counts the sender's messages */
	__u32 prio;	/* the priority it was sent with */
	__u32 sum;	/* FNV-1a over the fields above */
};

static __u32 hdr_sum(const struct soak_hdr *h)
{
	const unsigned char *p = (const unsigned char *)h;
	__u32 sum = 2166136261U;
	size_t i;

	for (i = 0; i < offsetof(struct soak_hdr, sum); i++)
		sum = (sum ^ p[i]) * 16777619U;
	return sum;
}

static unsigned char tiny_byte(__u32 len, __u32 i)
{
	return (unsigned char)(0xa5 ^ (len * 37) ^ (i * 11));
}

static void payload_fill(unsigned char *p, __u32 n, __u32 sender, __u32 seq)
{
	__u32 x = mix32(sender * 0x9e3779b9U ^ mix32(seq)) | 1, i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static void msg_fill(void *buf, __u32 len, __u32 sender, __u32 seq, __u32 prio)
{
	struct soak_hdr h = {
		.magic = SOAK_MAGIC, .len = len, .sender = sender, .seq = seq,
		.prio = prio,
	};
	unsigned char *p = buf;
	__u32 i;

	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			p[i] = tiny_byte(len, i);
		return;
	}
	h.sum = hdr_sum(&h);
	memcpy(p, &h, sizeof(h));
	payload_fill(p + sizeof(h), len - sizeof(h), sender, seq);
}

/* ---- a worker's state ---- */

/* Last sequence number a descriptor saw, per (sender, priority). */
struct order_table {
	struct {
		__u64 key;	/* (sender << 16 | prio) + 1; 0: unused */
		__u32 seq;
	} e[SOAK_ORDER_SLOTS];
};
_Static_assert(KMSGQ_PRIO_MAX <= 1 << 16, "the order key holds a priority in 16 bits");

/* A queue descriptor a worker holds. */
struct handle {
	int fd;			/* -1: unused */
	unsigned int name;
	int acc;		/* O_RDONLY, O_WRONLY or O_RDWR */
	bool nonblock;		/* the file's O_NONBLOCK, as we set it */
	bool ring;
	bool mapped;
	bool in_epoll;
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u64 tag;		/* epoll data */
	struct kmsgq_ring r;
	struct order_table order;
};

/* A ring still mapped after its descriptor was closed. */
struct orphan {
	bool used;
	__u32 max_msgsize;
	struct kmsgq_ring r;	/* r.fd is -1: wakes fail with EBADF */
	struct order_table order;
};

/* How one call may block, chosen at random. */
enum tmode { T_NONBLOCK, T_UNTIMED, T_ABS_MONO, T_ABS_REAL, T_REL, T_PAST };

struct call {
	enum tmode t;
	unsigned int flags;		/* KMSGQ_XFER_NONBLOCK, _RELATIVE */
	clockid_t clock;
	struct timespec ts;
	const struct timespec *dl;	/* deadline or interval, or NULL */
	bool may_sleep;
	bool restartable;		/* SA_RESTART restarts it */
};

/* Which modes a call takes: read/write, SEND/RECV, ring waits, threads. */
enum call_kind { CALL_RW, CALL_XFER, CALL_WAIT, CALL_THREAD };

struct worker {
	struct soak_shared *sh;
	__u64 *seen;
	unsigned int slot;
	unsigned int gen;
	__u32 sender;
	__u32 seq;		/* next sequence number to send */
	__u64 seed;
	uint64_t rnd;
	bool sa_restart;	/* SIGUSR1's handler has SA_RESTART */
	bool alarm_armed;	/* an interval timer's SIGALRM may come */
	int epfd;
	__u64 next_tag;
	mode_t umask;
	enum soak_op op;
	unsigned long long opno;
	void *badbuf;		/* a PROT_NONE page */
	struct handle h[SOAK_HANDLES];
	struct orphan o[SOAK_ORPHANS];
};

/* A call made by a second thread while the worker closes or exits. */
enum midop_kind { MID_RECV, MID_SEND, MID_WAIT, MID_POLL };

struct midop {
	int fd;
	enum midop_kind kind;
	struct kmsgq_ring *r;
	struct call c;
	int poll_ms;
	__u32 events;
	__u32 len;	/* send: length; receive: in: buffer size, out: length */
	__u32 prio;
	long ret;
	short revents;
	unsigned char buf[SOAK_MSGSIZE_MAX];
};

static struct worker soak_worker;
static unsigned char sbuf[SOAK_BATCH_MAX][SOAK_MSGSIZE_MAX + SOAK_OVERSIZE];
static unsigned char rbuf[SOAK_BATCH_MAX][SOAK_MSGSIZE_MAX];
static unsigned char scratch[SOAK_MSGSIZE_MAX];
static struct midop soak_midop;

static __u32 below(struct worker *w, __u32 n)
{
	return n ? rnd(&w->rnd) % n : 0;
}

static bool chance(struct worker *w, unsigned int percent)
{
	return below(w, 100) < percent;
}

static const char *acc_name(int acc)
{
	return acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" :
	       "O_RDWR";
}

static const char *handle_desc(struct worker *w, const struct handle *h)
{
	static char desc[200];

	if (!h)
		return "no queue";
	snprintf(desc, sizeof(desc),
		 "%s queue %s (fd %d %s%s, depth %u, msgsize %u%s)",
		 h->ring ? "ring" : "copy", w->sh->names[h->name], h->fd,
		 acc_name(h->acc), h->nonblock ? "|O_NONBLOCK" : "",
		 h->max_msgs, h->max_msgsize, h->mapped ? ", mapped" : "");
	return desc;
}

static const char *allowed_desc(unsigned int allowed)
{
	static char desc[160];
	size_t n = 0;
	unsigned int i;

	desc[0] = 0;
	for (i = 0; i < SOAK_NR_ERRNOS; i++)
		if (allowed & (1U << i))
			n += snprintf(desc + n, sizeof(desc) - n, "%s%s",
				      n ? " " : "", errname(soak_errnos[i]));
	return n ? desc : "none";
}

/* Record the first failure of the run and end this worker. */
static void __printf(2, 3) __noreturn
worker_fail(struct worker *w, const char *fmt, ...)
{
	char what[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&w->sh->failed, 1, __ATOMIC_SEQ_CST)) {
		snprintf(w->sh->failure, sizeof(w->sh->failure),
			 "worker %u (pid %d, generation %u, seed %#llx), operation %llu (%s): %s",
			 w->slot, getpid(), w->gen,
			 (unsigned long long)w->seed, w->opno,
			 op_names[w->op], what);
		__atomic_store_n(&w->sh->failure_done, 1, __ATOMIC_RELEASE);
	}
	_exit(1);
}

/* Count a failed call's errno; fail unless it is one of @allowed. */
static void check_err(struct worker *w, const struct handle *h,
		      const char *call, long ret, unsigned int allowed)
{
	unsigned int i;

	if (ret >= 0)
		return;
	i = errno_index(-ret);
	count(&w->sh->err_count[i], 1);
	if (i < SOAK_NR_ERRNOS && (allowed & (1U << i)))
		return;
	worker_fail(w, "%s on %s: %s (%ld); allowed: %s", call,
		    handle_desc(w, h), errname(-ret), -ret,
		    allowed_desc(allowed));
}

/* As check_err(), for a call that must fail. */
static void expect_err(struct worker *w, const struct handle *h,
		       const char *call, long ret, unsigned int allowed)
{
	if (ret >= 0)
		worker_fail(w, "%s on %s returned %ld; it must fail with %s",
			    call, handle_desc(w, h), ret,
			    allowed_desc(allowed));
	check_err(w, h, call, ret, allowed);
}

/* A system call's result as the library gives it: -errno on failure. */
static long sys_ret(long ret)
{
	return ret < 0 ? -errno : ret;
}

/* ---- signals and blocking modes ---- */

static void soak_nop(int sig)
{
	(void)sig;
}

static void set_usr1(struct worker *w, bool restart)
{
	struct sigaction sa = {
		.sa_handler = soak_nop,
		.sa_flags = restart ? SA_RESTART : 0,
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (w)
		w->sa_restart = restart;
}

static void call_pick(struct worker *w, struct call *c, bool file_nonblock,
		      enum call_kind kind)
{
	static const enum tmode rw[] = { T_UNTIMED };
	static const enum tmode xfer[] = {
		T_NONBLOCK, T_UNTIMED, T_ABS_MONO, T_ABS_REAL, T_REL, T_PAST,
	};
	static const enum tmode wait[] = {
		T_UNTIMED, T_ABS_MONO, T_ABS_REAL, T_REL, T_PAST,
	};
	static const enum tmode thread[] = {
		T_NONBLOCK, T_ABS_MONO, T_ABS_REAL, T_REL,
	};
	const enum tmode *modes;
	unsigned int nr;
	__s64 ns = below(w, SOAK_WAIT_MS * 1000) * 1000LL;

	switch (kind) {
	case CALL_RW:
		modes = rw, nr = ARRAY_SIZE(rw);
		break;
	case CALL_XFER:
		modes = xfer, nr = ARRAY_SIZE(xfer);
		break;
	case CALL_WAIT:
		modes = wait, nr = ARRAY_SIZE(wait);
		break;
	default:
		modes = thread, nr = ARRAY_SIZE(thread);
		break;
	}
	memset(c, 0, sizeof(*c));
	c->t = modes[below(w, nr)];
	c->clock = CLOCK_MONOTONIC;
	c->restartable = true;
	switch (c->t) {
	case T_NONBLOCK:
		c->flags = KMSGQ_XFER_NONBLOCK;
		break;
	case T_UNTIMED:
		break;
	case T_ABS_REAL:
		c->clock = CLOCK_REALTIME;
		/* fall through */
	case T_ABS_MONO:
		c->ts = ts_from_ns(now_ns(c->clock) + ns);
		c->dl = &c->ts;
		break;
	case T_REL:
		c->clock = chance(w, 50) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		c->flags = KMSGQ_XFER_RELATIVE;
		c->ts = ts_from_ns(ns);
		c->dl = &c->ts;
		/* A relative timeout is never restarted: EINTR. */
		c->restartable = false;
		break;
	case T_PAST:
		c->ts = ts_from_ns(now_ns(c->clock) - NSEC_PER_MSEC);
		c->dl = &c->ts;
		break;
	}
	/* An explicit ring wait ignores O_NONBLOCK. */
	c->may_sleep = c->t != T_NONBLOCK &&
		       (kind == CALL_WAIT || !file_nonblock);
}

/* The errnos a call of mode @c may give, whatever it does. */
static unsigned int call_allowed(struct worker *w, const struct call *c)
{
	unsigned int allowed = 0;

	if (!c->may_sleep)
		return A_EAGAIN;
	if (c->dl)
		allowed |= A_ETIMEDOUT;
	/* Untimed calls that may sleep get a SIGALRM, never restarted. */
	if (c->t == T_UNTIMED || !c->restartable || !w->sa_restart)
		allowed |= A_EINTR;
	return allowed;
}

/*
 * Before a call: an untimed one that may sleep gets SIGALRMs to end it,
 * repeated in case the first comes before the call sleeps.
 */
static void call_begin(struct worker *w, const struct call *c)
{
	struct itimerval it = {
		.it_value.tv_usec = 2000 + below(w, SOAK_WAIT_MS * 1000),
		.it_interval.tv_usec = 5000,
	};

	if (c->t != T_UNTIMED || !c->may_sleep)
		return;
	setitimer(ITIMER_REAL, &it, NULL);
	w->alarm_armed = true;
}

static void call_end(struct worker *w)
{
	struct itimerval it = { 0 };

	if (!w->alarm_armed)
		return;
	setitimer(ITIMER_REAL, &it, NULL);
	w->alarm_armed = false;
}

/* ---- receiving ---- */

/* Mark (sender, seq) received: true if it had been already. */
static bool seen_before(struct worker *w, __u32 slot, __u32 gen, __u32 seq)
{
	__u64 bit, old;

	if (gen >= SOAK_GENS || seq >= SOAK_SEQS) {
		count(&w->sh->unchecked, 1);
		return false;
	}
	bit = ((__u64)slot * SOAK_GENS + gen) * SOAK_SEQS + seq;
	old = __atomic_fetch_or(&w->seen[bit / 64], 1ULL << (bit % 64),
				__ATOMIC_RELAXED);
	return old & (1ULL << (bit % 64));
}

/*
 * Check a received message: its shape, its payload, that no one received
 * it before, and that @ord saw nothing later of its sender and priority.
 */
static void accept_msg(struct worker *w, struct order_table *ord,
		       const struct handle *h, const void *buf, __u32 len,
		       __u32 prio, __u32 max_msgsize, bool ring, bool in_place)
{
	const unsigned char *p = buf;
	struct soak_hdr hdr;
	__u32 i, n;
	__u64 key;

	if (len > max_msgsize)
		worker_fail(w, "a %u-byte message from %s", len,
			    handle_desc(w, h));
	if (ring && prio != 0 && prio != SOAK_NO_PRIO)
		worker_fail(w, "priority %u from %s", prio, handle_desc(w, h));
	if (len < sizeof(hdr)) {
		for (i = 0; i < len; i++)
			if (p[i] != tiny_byte(len, i))
				worker_fail(w, "%u-byte message from %s: byte %u is %#x, want %#x",
					    len, handle_desc(w, h), i, p[i],
					    tiny_byte(len, i));
		goto ok;
	}
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.magic != SOAK_MAGIC || hdr.sum != hdr_sum(&hdr))
		worker_fail(w, "%u-byte message from %s: bad header %08x %08x %08x %08x %08x %08x",
			    len, handle_desc(w, h), hdr.magic, hdr.len,
			    hdr.sender, hdr.seq, hdr.prio, hdr.sum);
	if (hdr.len != len || (hdr.sender >> 16) >= SOAK_WORKERS ||
	    hdr.prio >= KMSGQ_PRIO_MAX)
		worker_fail(w, "%u-byte message from %s: header says %u bytes, sender %#x, priority %u",
			    len, handle_desc(w, h), hdr.len, hdr.sender,
			    hdr.prio);
	if (prio != SOAK_NO_PRIO && prio != hdr.prio)
		worker_fail(w, "sender %#x seq %u from %s: priority %u, sent with %u",
			    hdr.sender, hdr.seq, handle_desc(w, h), prio,
			    hdr.prio);
	n = len - sizeof(hdr);
	payload_fill(scratch, n, hdr.sender, hdr.seq);
	if (memcmp(scratch, p + sizeof(hdr), n)) {
		for (i = 0; scratch[i] == p[sizeof(hdr) + i]; i++)
			;
		worker_fail(w, "sender %#x seq %u from %s: payload byte %u of %u is %#x, want %#x",
			    hdr.sender, hdr.seq, handle_desc(w, h), i, n,
			    p[sizeof(hdr) + i], scratch[i]);
	}
	if (seen_before(w, hdr.sender >> 16, hdr.sender & 0xffff, hdr.seq))
		worker_fail(w, "sender %#x seq %u received twice (now from %s)",
			    hdr.sender, hdr.seq, handle_desc(w, h));

	key = ((__u64)hdr.sender << 16 | hdr.prio) + 1;
	i = mix32(key ^ key >> 32) % SOAK_ORDER_SLOTS;
	if (ord->e[i].key == key && hdr.seq <= ord->e[i].seq)
		worker_fail(w, "sender %#x priority %u: seq %u after seq %u on one descriptor of %s",
			    hdr.sender, hdr.prio, hdr.seq, ord->e[i].seq,
			    handle_desc(w, h));
	ord->e[i].key = key;
	ord->e[i].seq = hdr.seq;
ok:
	count(&w->sh->verified, 1);
	if (in_place)
		count(&w->sh->in_place, 1);
}

static void accept_from(struct worker *w, struct handle *h, const void *buf,
			__u32 len, __u32 prio)
{
	accept_msg(w, &h->order, h, buf, len, prio, h->max_msgsize, h->ring,
		   false);
}

static __u32 pick_len(struct worker *w, __u32 max)
{
	__u32 r = below(w, 100), len;

	if (r < 10)
		len = below(w, sizeof(struct soak_hdr));
	else if (r < 60)
		len = sizeof(struct soak_hdr) + below(w, 41);
	else if (r < 90)
		len = sizeof(struct soak_hdr) + below(w, 489);
	else
		len = below(w, max + 1);
	return len < max ? len : max;
}

static void sent(struct worker *w, unsigned int n)
{
	w->seq += n;
	count(&w->sh->sent, n);
}

/* ---- descriptors ---- */

static bool can_read(const struct handle *h)
{
	return h->acc != O_WRONLY;
}

static bool can_write(const struct handle *h)
{
	return h->acc != O_RDONLY;
}

static bool is_held(const struct handle *h)
{
	return h->fd >= 0;
}

static bool is_writable(const struct handle *h)
{
	return h->fd >= 0 && can_write(h);
}

static bool is_readable(const struct handle *h)
{
	return h->fd >= 0 && can_read(h);
}

static bool is_mapped(const struct handle *h)
{
	return h->fd >= 0 && h->mapped;
}

static bool is_unmapped(const struct handle *h)
{
	return h->fd >= 0 && !h->mapped;
}

static bool is_mappable(const struct handle *h)
{
	return h->fd >= 0 && h->ring && !h->mapped && can_read(h);
}

static bool is_rw_mapped(const struct handle *h)
{
	return h->fd >= 0 && h->mapped && h->acc == O_RDWR;
}

static struct handle *pick_handle(struct worker *w,
				  bool (*ok)(const struct handle *h))
{
	unsigned int i, start = below(w, SOAK_HANDLES);

	for (i = 0; i < SOAK_HANDLES; i++) {
		struct handle *h = &w->h[(start + i) % SOAK_HANDLES];

		if (ok(h))
			return h;
	}
	return NULL;
}

static struct orphan *pick_orphan(struct worker *w, bool used)
{
	unsigned int i, start = below(w, SOAK_ORPHANS);

	for (i = 0; i < SOAK_ORPHANS; i++) {
		struct orphan *o = &w->o[(start + i) % SOAK_ORPHANS];

		if (o->used == used)
			return o;
	}
	return NULL;
}

static void unmap(struct worker *w, const struct handle *h,
		  struct kmsgq_ring *r)
{
	check_err(w, h, "kmsgq_ring_unmap", kmsgq_ring_unmap(r), 0);
}

/*
 * Close @h: drop it from the epoll set first, or not (the set forgets it
 * with the file); unmap its ring before or after the close, or keep the
 * mapping as an orphan that goes on working in place.
 */
static void handle_close(struct worker *w, struct handle *h)
{
	struct orphan *o;
	bool unmap_after = false;

	if (h->in_epoll && below(w, 4))
		check_err(w, h, "EPOLL_CTL_DEL",
			  sys_ret(epoll_ctl(w->epfd, EPOLL_CTL_DEL, h->fd,
					    NULL)), 0);
	if (h->mapped) {
		switch (below(w, 3)) {
		case 0:
			unmap(w, h, &h->r);
			break;
		case 1:
			o = h->acc == O_RDWR ? pick_orphan(w, false) : NULL;
			if (o) {
				o->used = true;
				o->r = h->r;
				o->r.fd = -1;
				o->max_msgsize = h->max_msgsize;
				memset(&o->order, 0, sizeof(o->order));
				break;
			}
			/* fall through */
		default:
			unmap_after = true;
			break;
		}
	}
	check_err(w, h, "close", sys_ret(close(h->fd)), 0);
	if (unmap_after)
		unmap(w, h, &h->r);
	h->fd = -1;
	h->mapped = false;
	h->in_epoll = false;
}

/* A free handle, closing one if all are held. */
static struct handle *free_handle(struct worker *w)
{
	struct handle *h;
	unsigned int i;

	for (i = 0; i < SOAK_HANDLES; i++)
		if (w->h[i].fd < 0)
			return &w->h[i];
	h = &w->h[below(w, SOAK_HANDLES)];
	handle_close(w, h);
	count(&w->sh->op_count[OP_CLOSE], 1);
	return h;
}

/* Fill in @h for @fd, just bound; checks what GETATTR says. */
static void handle_bind(struct worker *w, struct handle *h, int fd,
			unsigned int name, int acc, bool nonblock)
{
	struct kmsgq_attr a;
	int ret;

	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->name = name;
	h->acc = acc;
	h->nonblock = nonblock;
	h->tag = ++w->next_tag;
	ret = kmsgq_getattr(fd, &a);
	check_err(w, h, "GETATTR after open", ret, 0);
	h->ring = a.qflags & KMSGQ_OPEN_RING;
	h->max_msgs = a.max_msgs;
	h->max_msgsize = a.max_msgsize;
	h->mode = a.mode;
	h->uid = a.uid;
	h->gid = a.gid;
	if (!!(a.flags & KMSGQ_ATTR_NONBLOCK) != nonblock ||
	    (a.qflags & ~KMSGQ_OPEN_RING) || !a.max_msgs || !a.max_msgsize ||
	    a.max_msgsize > SOAK_MSGSIZE_MAX || a.cur_msgs > a.max_msgs ||
	    (h->ring && (a.max_msgs < 2 || (a.max_msgs & (a.max_msgs - 1)))))
		worker_fail(w, "GETATTR of %s: flags %#x qflags %#x max_msgs %u max_msgsize %u cur_msgs %u",
			    handle_desc(w, h), a.flags, a.qflags, a.max_msgs,
			    a.max_msgsize, a.cur_msgs);
}

static int pick_acc(struct worker *w)
{
	__u32 r = below(w, 100);

	return r < 80 ? O_RDWR : r < 90 ? O_RDONLY : O_WRONLY;
}

/* ---- operations ---- */

static void op_create(struct worker *w, bool big)
{
	static const __u32 depths[] = { 0, 1, 2, 3, 4, 5, 8, 16, 31, 64 };
	static const __u32 sizes[] = { 1, 8, 23, 24, 64, 100, 256, 1000, 4096 };
	static const mode_t modes[] = { 0600, 0640, 0660, 0666 };
	struct kmsgq_attr attr = { 0 };
	unsigned int name = below(w, SOAK_NAMES);
	bool excl = chance(w, 25), nb = chance(w, 20);
	mode_t mode = modes[below(w, ARRAY_SIZE(modes))];
	int acc = pick_acc(w);
	struct handle *h = free_handle(w);
	__u32 want;
	int fd;

	attr.qflags = chance(w, 40) ? KMSGQ_OPEN_RING : 0;
	attr.max_msgs = big ? 256 : depths[below(w, ARRAY_SIZE(depths))];
	attr.max_msgsize = big ? SOAK_MSGSIZE_MAX :
			   sizes[below(w, ARRAY_SIZE(sizes))];
	fd = kmsgq_open(w->sh->names[name],
			acc | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : 0) |
			(nb ? O_NONBLOCK : 0), mode, &attr);
	if (fd < 0) {
		if (fd == -EEXIST || fd == -ENOSPC || fd == -EMFILE)
			check_err(w, NULL, "create", fd,
				  A_ENOSPC | A_EMFILE | (excl ? A_EEXIST : 0));
		else
			worker_fail(w, "creating %s (%s%s, depth %u, msgsize %u): %s (%d)",
				    w->sh->names[name],
				    attr.qflags ? "ring" : "copy",
				    excl ? ", O_EXCL" : "", attr.max_msgs,
				    attr.max_msgsize, errname(-fd), -fd);
		return;
	}
	handle_bind(w, h, fd, name, acc, nb);
	if (!excl)
		return;
	/* Ours for sure: it has what was asked for. */
	want = attr.max_msgs;
	if (attr.qflags && want) {
		want = want < 2 ? 2 : want;
		while (want & (want - 1))
			want += want & -want;
	}
	/* A ring rounds its message size up to whole cache lines. */
	if (h->ring != !!attr.qflags || (want && h->max_msgs != want) ||
	    h->max_msgsize < attr.max_msgsize ||
	    (!h->ring && h->max_msgsize != attr.max_msgsize) ||
	    h->max_msgsize >= attr.max_msgsize + 128 ||
	    h->mode != (mode & ~w->umask))
		worker_fail(w, "created %s asking for %s, depth %u, msgsize %u, mode %#o",
			    handle_desc(w, h), attr.qflags ? "ring" : "copy",
			    attr.max_msgs, attr.max_msgsize, mode & ~w->umask);
}

static void op_open(struct worker *w)
{
	unsigned int name = below(w, SOAK_NAMES);
	bool nb = chance(w, 20);
	int acc = pick_acc(w);
	struct handle *h = free_handle(w);
	int fd;

	fd = kmsgq_open(w->sh->names[name],
			acc | O_CLOEXEC | (nb ? O_NONBLOCK : 0), 0, NULL);
	if (fd < 0) {
		check_err(w, NULL, "open", fd, A_ENOENT);
		return;
	}
	handle_bind(w, h, fd, name, acc, nb);
}

static void op_unlink(struct worker *w)
{
	check_err(w, NULL, "unlink",
		  kmsgq_unlink(w->sh->names[below(w, SOAK_NAMES)]), A_ENOENT);
}

/* One message, by KMSGQ_IOC_SEND or write(). */
static void op_send(struct worker *w, struct handle *h, bool use_write)
{
	__u32 len = pick_len(w, h->max_msgsize);
	__u32 prio = h->ring || use_write ? 0 : below(w, KMSGQ_PRIO_MAX);
	struct kmsgq_msg m = { (uintptr_t)sbuf[0], len, prio };
	unsigned int allowed;
	struct call c;
	long ret;

	msg_fill(sbuf[0], len, w->sender, w->seq, prio);
	call_pick(w, &c, h->nonblock, use_write ? CALL_RW : CALL_XFER);
	allowed = can_write(h) ? call_allowed(w, &c) : A_EBADF;
	call_begin(w, &c);
	if (use_write) {
		ret = sys_ret(write(h->fd, sbuf[0], len));
		if (ret >= 0 && ret != (long)len)
			worker_fail(w, "write of %u bytes to %s returned %ld",
				    len, handle_desc(w, h), ret);
	} else if (c.flags) {
		ret = kmsgq_send_batch(h->fd, &m, 1, c.flags, c.clock, c.dl);
	} else {
		ret = kmsgq_timedsend(h->fd, sbuf[0], len, prio, c.clock, c.dl);
	}
	call_end(w);
	if (!can_write(h))
		expect_err(w, h, use_write ? "write" : "send", ret, allowed);
	check_err(w, h, use_write ? "write" : "send", ret, allowed);
	if (ret >= 0)
		sent(w, 1);
}

/* One message, by KMSGQ_IOC_RECV or read(). */
static void op_recv(struct worker *w, struct handle *h, bool use_read)
{
	__u32 size = chance(w, 80) ? h->max_msgsize : SOAK_MSGSIZE_MAX;
	struct kmsgq_msg m = { (uintptr_t)rbuf[0], size, 0 };
	unsigned int allowed, prio = SOAK_NO_PRIO;
	struct call c;
	long ret;

	call_pick(w, &c, h->nonblock, use_read ? CALL_RW : CALL_XFER);
	allowed = can_read(h) ? call_allowed(w, &c) : A_EBADF;
	call_begin(w, &c);
	if (use_read) {
		ret = sys_ret(read(h->fd, rbuf[0], size));
	} else if (c.flags) {
		ret = kmsgq_receive_batch(h->fd, &m, 1, c.flags, c.clock, c.dl);
		if (ret == 1) {
			ret = m.len;
			prio = m.prio;
		}
	} else {
		ret = kmsgq_timedreceive(h->fd, rbuf[0], size, &prio, c.clock,
					 c.dl);
	}
	call_end(w);
	if (!can_read(h))
		expect_err(w, h, use_read ? "read" : "receive", ret, allowed);
	check_err(w, h, use_read ? "read" : "receive", ret, allowed);
	if (ret >= 0)
		accept_from(w, h, rbuf[0], ret, prio);
}

static void op_send_batch(struct worker *w, struct handle *h)
{
	unsigned int nr = 1 + below(w, chance(w, 25) ? SOAK_BATCH_MAX : 8);
	/* The index of a message too long for the queue, or nr for none. */
	unsigned int bad = chance(w, 10) ? below(w, nr) : nr;
	struct kmsgq_msg m[SOAK_BATCH_MAX];
	unsigned int i, allowed;
	struct call c;
	long ret;

	for (i = 0; i < nr; i++) {
		m[i].buf = (uintptr_t)sbuf[i];
		m[i].len = i == bad ?
			   h->max_msgsize + 1 + below(w, SOAK_OVERSIZE - 1) :
			   pick_len(w, h->max_msgsize);
		m[i].prio = h->ring ? 0 : below(w, KMSGQ_PRIO_MAX);
		msg_fill(sbuf[i], m[i].len, w->sender, w->seq + i, m[i].prio);
	}
	call_pick(w, &c, h->nonblock, CALL_XFER);
	if (!can_write(h))
		allowed = A_EBADF;
	else if (bad == 0)
		allowed = A_EMSGSIZE;	/* checked before any sleep */
	else
		allowed = call_allowed(w, &c);
	call_begin(w, &c);
	ret = kmsgq_send_batch(h->fd, m, nr, c.flags, c.clock, c.dl);
	call_end(w);
	if (!can_write(h) || bad == 0)
		expect_err(w, h, "send batch", ret, allowed);
	check_err(w, h, "send batch", ret, allowed);
	if (ret == 0 || ret > (long)nr || (ret > 0 && ret > (long)bad))
		worker_fail(w, "send batch of %u (too long at %u) to %s returned %ld",
			    nr, bad, handle_desc(w, h), ret);
	if (ret > 0)
		sent(w, ret);
}

static void op_recv_batch(struct worker *w, struct handle *h)
{
	unsigned int nr = 1 + below(w, chance(w, 25) ? SOAK_BATCH_MAX : 8);
	/* The index of a buffer too small for some messages, or nr. */
	unsigned int small = chance(w, 10) ? below(w, nr) : nr;
	struct kmsgq_msg m[SOAK_BATCH_MAX];
	__u32 size[SOAK_BATCH_MAX];
	unsigned int i, allowed;
	struct call c;
	long ret;

	for (i = 0; i < nr; i++) {
		size[i] = i == small ? below(w, h->max_msgsize) :
			  h->max_msgsize;
		m[i].buf = (uintptr_t)rbuf[i];
		m[i].len = size[i];
		m[i].prio = 0;
	}
	call_pick(w, &c, h->nonblock, CALL_XFER);
	allowed = can_read(h) ? call_allowed(w, &c) |
				(small == 0 ? A_EMSGSIZE : 0) : A_EBADF;
	call_begin(w, &c);
	ret = kmsgq_receive_batch(h->fd, m, nr, c.flags, c.clock, c.dl);
	call_end(w);
	if (!can_read(h))
		expect_err(w, h, "receive batch", ret, allowed);
	check_err(w, h, "receive batch", ret, allowed);
	if (ret == -EMSGSIZE && (m[0].len <= size[0] ||
				 m[0].len > h->max_msgsize))
		worker_fail(w, "receive batch from %s: EMSGSIZE for a %u-byte buffer says %u bytes are needed",
			    handle_desc(w, h), size[0], m[0].len);
	if (ret == 0 || ret > (long)nr)
		worker_fail(w, "receive batch of %u from %s returned %ld", nr,
			    handle_desc(w, h), ret);
	for (i = 0; ret > 0 && i < (unsigned long)ret; i++) {
		if (m[i].len > size[i])
			worker_fail(w, "receive batch from %s: %u bytes into a %u-byte buffer",
				    handle_desc(w, h), m[i].len, size[i]);
		accept_from(w, h, rbuf[i], m[i].len, m[i].prio);
	}
}

static void op_poll(struct worker *w, struct handle *h)
{
	static const short evs[] = { POLLIN, POLLOUT, POLLIN | POLLOUT };
	struct pollfd pfd = { .fd = h->fd, .events = evs[below(w, 3)] };
	int timeout = below(w, 3) ? 0 : (int)below(w, SOAK_WAIT_MS);
	long ret;

	/*
	 * poll() says EINTR when a handled signal is pending and nothing is
	 * ready, even with a zero timeout (fs/select.c, do_poll()).
	 */
	ret = sys_ret(poll(&pfd, 1, timeout));
	check_err(w, h, "poll", ret, A_EINTR);
	if (ret > 0 && (pfd.revents & ~pfd.events))
		worker_fail(w, "poll of %s for %#x: revents %#x", handle_desc(w, h),
			    pfd.events, pfd.revents);
}

static void op_epoll_ctl(struct worker *w, struct handle *h)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | (chance(w, 30) ? EPOLLET : 0),
		.data.u64 = h->tag,
	};
	long ret;

	if (chance(w, 5)) {
		/* The wrong one on purpose. */
		ret = sys_ret(epoll_ctl(w->epfd, h->in_epoll ? EPOLL_CTL_ADD :
					EPOLL_CTL_DEL, h->fd, &ev));
		expect_err(w, h, "epoll_ctl", ret,
			   h->in_epoll ? A_EEXIST : A_ENOENT);
	} else if (!h->in_epoll) {
		ret = sys_ret(epoll_ctl(w->epfd, EPOLL_CTL_ADD, h->fd, &ev));
		check_err(w, h, "EPOLL_CTL_ADD", ret, 0);
		h->in_epoll = true;
	} else if (chance(w, 50)) {
		ret = sys_ret(epoll_ctl(w->epfd, EPOLL_CTL_MOD, h->fd, &ev));
		check_err(w, h, "EPOLL_CTL_MOD", ret, 0);
	} else {
		ret = sys_ret(epoll_ctl(w->epfd, EPOLL_CTL_DEL, h->fd, NULL));
		check_err(w, h, "EPOLL_CTL_DEL", ret, 0);
		h->in_epoll = false;
	}
}

static void op_epoll_wait(struct worker *w)
{
	struct epoll_event ev[8];
	int timeout = below(w, 3) ? 0 : (int)below(w, SOAK_WAIT_MS);
	long ret, i;

	ret = sys_ret(epoll_wait(w->epfd, ev, ARRAY_SIZE(ev), timeout));
	check_err(w, NULL, "epoll_wait", ret, timeout ? A_EINTR : 0);
	for (i = 0; i < ret; i++)
		if (ev[i].events & ~(EPOLLIN | EPOLLOUT))
			worker_fail(w, "epoll_wait: events %#x for tag %llu",
				    ev[i].events,
				    (unsigned long long)ev[i].data.u64);
}

static void op_map(struct worker *w, struct handle *h)
{
	int ret = kmsgq_ring_map(h->fd, &h->r);

	if (!h->ring || h->acc == O_WRONLY) {
		expect_err(w, h, "kmsgq_ring_map", ret,
			   h->ring ? A_EACCES : A_EOPNOTSUPP);
		return;
	}
	check_err(w, h, "kmsgq_ring_map", ret, 0);
	h->mapped = true;
	if (h->r.nr_slots != h->max_msgs || h->r.slot_size < h->max_msgsize)
		worker_fail(w, "ring of %s maps %u slots of %u bytes",
			    handle_desc(w, h), h->r.nr_slots, h->r.slot_size);
}

static void op_unmap(struct worker *w)
{
	struct orphan *o = pick_orphan(w, true);
	struct handle *h = pick_handle(w, is_mapped);

	if (o && (!h || chance(w, 50))) {
		unmap(w, NULL, &o->r);
		o->used = false;
	} else if (h) {
		unmap(w, h, &h->r);
		h->mapped = false;
	}
}

/* A ring wait of mode @c: the events that hold, or -errno. */
static long ring_wait(struct kmsgq_ring *r, __u32 events,
		      const struct call *c)
{
	if (c->flags & KMSGQ_XFER_RELATIVE)
		return ring_ioctl(r->fd, KMSGQ_IOC_RING_WAIT,
				  KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE,
				  events, c->clock, c->ts.tv_sec,
				  c->ts.tv_nsec);
	return kmsgq_ring_wait(r, events, c->clock, c->dl);
}

static void op_ring_wait(struct worker *w, struct handle *h, __u32 events)
{
	unsigned int allowed;
	struct call c;
	long ret;

	static const __u32 evs[] = {
		KMSGQ_RING_READABLE, KMSGQ_RING_WRITABLE,
		KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
	};

	if (!events)
		events = evs[below(w, ARRAY_SIZE(evs))];
	call_pick(w, &c, h->nonblock, CALL_WAIT);
	/* Waiting for a message is a reader's call, for room a writer's. */
	if (((events & KMSGQ_RING_READABLE) && !can_read(h)) ||
	    ((events & KMSGQ_RING_WRITABLE) && !can_write(h)))
		allowed = A_EBADF;
	else
		allowed = call_allowed(w, &c);
	call_begin(w, &c);
	ret = ring_wait(&h->r, events, &c);
	call_end(w);
	check_err(w, h, "ring wait", ret, allowed);
	if (ret == 0 || (ret > 0 && (ret & ~(long)events)))
		worker_fail(w, "ring wait of %s for %#x returned %#lx",
			    handle_desc(w, h), events, ret);
}

/*
 * In place: the ring of a read-write handle or of an orphan; a wake on an
 * orphan's ring has no descriptor and fails with EBADF.
 */
static void op_ring_produce(struct worker *w, struct handle *h)
{
	struct orphan *o = chance(w, 30) ? pick_orphan(w, true) : NULL;
	struct kmsgq_ring *r = o ? &o->r : &h->r;
	__u32 max = o ? o->max_msgsize : h->max_msgsize;
	unsigned int n, k, i;
	__u32 pos, len;

	if (o)
		h = NULL;
	n = 1 + below(w, 8);
	k = kmsgq_ring_reserve(r, n, &pos);
	if (k > n)
		worker_fail(w, "kmsgq_ring_reserve of %u gave %u", n, k);
	if (!k) {
		if (h && chance(w, 50))
			op_ring_wait(w, h, KMSGQ_RING_WRITABLE);
		return;
	}
	for (i = 0; i < k; i++) {
		len = pick_len(w, max);
		msg_fill(kmsgq_ring_slot(r, pos + i), len, w->sender,
			 w->seq + i, 0);
		kmsgq_ring_commit(r, pos + i, len);
	}
	sent(w, k);
	check_err(w, h, "kmsgq_ring_commit_done", kmsgq_ring_commit_done(r),
		  o ? A_EBADF : 0);
}

static void op_ring_consume(struct worker *w, struct handle *h)
{
	struct orphan *o = chance(w, 30) ? pick_orphan(w, true) : NULL;
	struct kmsgq_ring *r = o ? &o->r : &h->r;
	struct order_table *ord = o ? &o->order : &h->order;
	__u32 max = o ? o->max_msgsize : h->max_msgsize;
	unsigned int n, k, i;
	const void *p;
	__u32 pos, len;

	if (o)
		h = NULL;
	n = 1 + below(w, 8);
	k = kmsgq_ring_claim(r, n, &pos);
	if (k > n)
		worker_fail(w, "kmsgq_ring_claim of %u gave %u", n, k);
	if (!k) {
		if (h && chance(w, 50))
			op_ring_wait(w, h, KMSGQ_RING_READABLE);
		return;
	}
	for (i = 0; i < k; i++) {
		p = kmsgq_ring_msg(r, pos + i, &len);
		if (p)
			accept_msg(w, ord, h, p, len, 0, max, true, true);
		else
			count(&w->sh->empty_slots, 1);
	}
	kmsgq_ring_release(r, pos, k);
	check_err(w, h, "kmsgq_ring_release_done", kmsgq_ring_release_done(r),
		  o ? A_EBADF : 0);
}

static void op_getattr(struct worker *w, struct handle *h)
{
	struct kmsgq_attr a;

	check_err(w, h, "GETATTR", kmsgq_getattr(h->fd, &a), 0);
	if (!!(a.flags & KMSGQ_ATTR_NONBLOCK) != h->nonblock ||
	    !!(a.qflags & KMSGQ_OPEN_RING) != h->ring ||
	    a.max_msgs != h->max_msgs || a.max_msgsize != h->max_msgsize ||
	    a.mode != h->mode || a.uid != h->uid || a.gid != h->gid ||
	    a.cur_msgs > a.max_msgs || a.reserved)
		worker_fail(w, "GETATTR of %s: flags %#x qflags %#x depth %u msgsize %u cur %u mode %#o",
			    handle_desc(w, h), a.flags, a.qflags, a.max_msgs,
			    a.max_msgsize, a.cur_msgs, a.mode);
}

static void op_setattr(struct worker *w, struct handle *h)
{
	bool nb = chance(w, 30);
	struct kmsgq_attr old;
	int fl;

	check_err(w, h, "SETATTR",
		  kmsgq_setattr(h->fd, nb ? KMSGQ_ATTR_NONBLOCK : 0, &old), 0);
	fl = fcntl(h->fd, F_GETFL);
	if (!!(old.flags & KMSGQ_ATTR_NONBLOCK) != h->nonblock || fl < 0 ||
	    !!(fl & O_NONBLOCK) != nb)
		worker_fail(w, "SETATTR of %s to %s: old flags %#x, F_GETFL %#x",
			    handle_desc(w, h), nb ? "NONBLOCK" : "0", old.flags,
			    fl);
	h->nonblock = nb;
}

static void op_stats(struct worker *w, struct handle *h)
{
	struct kmsgq_stats st;

	check_err(w, h, "STATS", kmsgq_stats(h->fd, &st), 0);
	/* Waiter counts far above the number of tasks: an underflow. */
	if (st.cur_msgs > h->max_msgs || st.flags ||
	    st.send_waiters > 1000 || st.recv_waiters > 1000 ||
	    st.mappings > 1000 || (h->mapped && !st.mappings) ||
	    (!h->ring && st.mappings))
		worker_fail(w, "STATS of %s: cur %u waiters %u/%u mappings %u",
			    handle_desc(w, h), st.cur_msgs, st.send_waiters,
			    st.recv_waiters, st.mappings);
}

/* A raw KMSGQ_IOC_SEND or _RECV of one message. */
static long xfer_raw(int fd, bool send, struct kmsgq_msg *m, __u32 nr,
		     __u32 flags, __s32 clockid, __s64 sec, __s64 nsec)
{
	struct kmsgq_timespec ts = { sec, nsec };

	return xfer_ioctl(fd, send ? KMSGQ_IOC_SEND : KMSGQ_IOC_RECV,
			  (uintptr_t)m, nr, flags, clockid, &ts);
}

/* Calls that must fail, each with one errno (or a few, when it may sleep). */
static void op_misuse(struct worker *w, struct handle *h)
{
	struct kmsgq_msg m = { (uintptr_t)sbuf[0], 0, 0 };
	bool send = chance(w, 50);
	unsigned int allowed = (send ? can_write(h) : can_read(h)) ? 0 : A_EBADF;
	struct kmsgq_open op = { .size = sizeof(op) };
	struct call c;
	long ret;
	void *p;
	int fd;

	switch (below(w, 10)) {
	case 0:		/* priority out of range */
		m.len = pick_len(w, h->max_msgsize);
		m.prio = h->ring ? 1 + below(w, 31) : KMSGQ_PRIO_MAX + below(w, 99);
		ret = kmsgq_send_batch(h->fd, &m, 1, KMSGQ_XFER_NONBLOCK, 0, NULL);
		expect_err(w, h, "send with a bad priority", ret,
			   can_write(h) ? A_EINVAL : A_EBADF);
		break;
	case 1:		/* message longer than max_msgsize */
		m.len = h->max_msgsize + 1 + below(w, SOAK_OVERSIZE - 1);
		ret = chance(w, 50) ? sys_ret(write(h->fd, sbuf[0], m.len)) :
		      kmsgq_send_batch(h->fd, &m, 1, 0, 0, NULL);
		expect_err(w, h, "too long a send", ret,
			   can_write(h) ? A_EMSGSIZE : A_EBADF);
		break;
	case 2:		/* batch count 0 or above KMSGQ_BATCH_MAX */
		ret = xfer_raw(h->fd, send, &m,
			       chance(w, 50) ? 0 : KMSGQ_BATCH_MAX + 1,
			       KMSGQ_XFER_NONBLOCK, 0, 0, 0);
		expect_err(w, h, "bad batch count", ret, allowed ?: A_EINVAL);
		break;
	case 3:		/* bad timespec or clock, even with nothing to wait for */
		m.len = send ? 0 : h->max_msgsize;
		switch (below(w, 4)) {
		case 0:
			ret = xfer_raw(h->fd, send, &m, 1, KMSGQ_XFER_TIMEOUT,
				       CLOCK_MONOTONIC, 0, NSEC_PER_SEC);
			break;
		case 1:
			ret = xfer_raw(h->fd, send, &m, 1, KMSGQ_XFER_TIMEOUT,
				       CLOCK_REALTIME, -1, 0);
			break;
		case 2:
			ret = xfer_raw(h->fd, send, &m, 1, KMSGQ_XFER_TIMEOUT,
				       CLOCK_BOOTTIME, 1, 0);
			break;
		default:
			ret = xfer_raw(h->fd, send, &m, 1, KMSGQ_XFER_RELATIVE,
				       CLOCK_MONOTONIC, 0, 0);
			break;
		}
		expect_err(w, h, "bad timeout", ret, allowed ?: A_EINVAL);
		break;
	case 4:		/* a payload address that faults */
	case 5:
		call_pick(w, &c, h->nonblock, CALL_THREAD);
		m.buf = (uintptr_t)w->badbuf;
		if (send) {
			m.len = 1 + below(w, h->max_msgsize);
			ret = kmsgq_send_batch(h->fd, &m, 1, c.flags, c.clock,
					       c.dl);
		} else {
			m.len = h->max_msgsize;
			ret = kmsgq_receive_batch(h->fd, &m, 1, c.flags,
						  c.clock, c.dl);
			/* An empty message copies nothing and arrives. */
			if (ret == 1 && m.len == 0)
				break;
		}
		expect_err(w, h, send ? "send from a bad address" :
			   "receive to a bad address", ret,
			   allowed ?: A_EFAULT | call_allowed(w, &c));
		break;
	case 6:		/* receive buffer too small */
		if (!can_read(h))
			break;
		call_pick(w, &c, h->nonblock, CALL_THREAD);
		m.buf = (uintptr_t)rbuf[0];
		m.len = below(w, h->max_msgsize);
		if (h->nonblock && chance(w, 30)) {
			ret = sys_ret(read(h->fd, rbuf[0], m.len));
			allowed = A_EAGAIN;
			m.prio = SOAK_NO_PRIO;
		} else {
			ret = kmsgq_receive_batch(h->fd, &m, 1, c.flags,
						  c.clock, c.dl);
			if (ret == 1)
				ret = m.len;
			allowed = call_allowed(w, &c);
		}
		check_err(w, h, "receive into a small buffer", ret,
			  A_EMSGSIZE | allowed);
		if (ret >= 0)
			accept_from(w, h, rbuf[0], ret, m.prio);
		break;
	case 7:		/* mappings the module refuses */
		if (!h->ring) {
			ret = chance(w, 50) ? kmsgq_ring_map(h->fd, &(struct kmsgq_ring){ 0 }) :
			      sys_ret(ioctl(h->fd, KMSGQ_IOC_RING_WAKE,
					    &(struct kmsgq_ring_wait){
						.size = sizeof(struct kmsgq_ring_wait),
						.events = KMSGQ_RING_READABLE }));
			expect_err(w, h, "ring call on a copy queue", ret,
				   A_EOPNOTSUPP);
			break;
		}
		/* Wrong length, or private. */
		p = mmap(NULL, getpagesize(), PROT_READ,
			 chance(w, 50) ? MAP_SHARED : MAP_PRIVATE, h->fd, 0);
		ret = p == MAP_FAILED ? -errno : 0;
		if (p != MAP_FAILED)
			munmap(p, getpagesize());
		expect_err(w, h, "mmap of one page", ret,
			   can_read(h) ? A_EINVAL : A_EACCES);
		break;
	case 8:		/* binding a bound file; EXCL without CREATE */
		memcpy(op.name, w->sh->names[h->name], sizeof(op.name));
		if (chance(w, 50)) {
			ret = sys_ret(ioctl(h->fd, KMSGQ_IOC_OPEN, &op));
			expect_err(w, h, "second OPEN", ret, A_EBUSY);
			break;
		}
		fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		check_err(w, h, "open " KMSGQ_DEVICE_PATH, sys_ret(fd), 0);
		op.flags = KMSGQ_OPEN_EXCL;
		ret = sys_ret(ioctl(fd, KMSGQ_IOC_OPEN, &op));
		close(fd);
		expect_err(w, h, "OPEN with EXCL alone", ret, A_EINVAL);
		break;
	default:	/* bad names; an unbound file */
		if (chance(w, 50)) {
			ret = kmsgq_unlink(chance(w, 50) ? "." : "a/b");
			expect_err(w, h, "unlink of a bad name", ret, A_EINVAL);
			break;
		}
		fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		check_err(w, h, "open " KMSGQ_DEVICE_PATH, sys_ret(fd), 0);
		ret = send ? sys_ret(write(fd, sbuf[0], 1)) :
		      sys_ret(read(fd, rbuf[0], sizeof(rbuf[0])));
		close(fd);
		expect_err(w, h, "I/O on an unbound file", ret, A_ENOTCONN);
		break;
	}
}

static void *midop_run(void *arg)
{
	struct midop *mo = arg;
	struct kmsgq_msg m = { (uintptr_t)mo->buf, mo->len, mo->prio };
	struct pollfd pfd = { .fd = mo->fd, .events = POLLIN | POLLOUT };

	switch (mo->kind) {
	case MID_RECV:
		mo->ret = kmsgq_receive_batch(mo->fd, &m, 1, mo->c.flags,
					      mo->c.clock, mo->c.dl);
		mo->len = m.len;
		mo->prio = m.prio;
		break;
	case MID_SEND:
		mo->ret = kmsgq_send_batch(mo->fd, &m, 1, mo->c.flags,
					   mo->c.clock, mo->c.dl);
		break;
	case MID_WAIT:
		mo->ret = ring_wait(mo->r, mo->events, &mo->c);
		break;
	case MID_POLL:
		mo->ret = sys_ret(poll(&pfd, 1, mo->poll_ms));
		mo->revents = pfd.revents;
		break;
	}
	return NULL;
}

/* Set up soak_midop for a call on @h; untimed if @forever. */
static struct midop *midop_prepare(struct worker *w, struct handle *h,
				   bool forever)
{
	struct midop *mo = &soak_midop;

	memset(mo, 0, offsetof(struct midop, buf));
	mo->fd = h->fd;
	mo->c.clock = CLOCK_MONOTONIC;
	mo->poll_ms = -1;
	if (!forever)
		call_pick(w, &mo->c, h->nonblock, CALL_THREAD);
	if (h->mapped && chance(w, 40)) {
		mo->kind = MID_WAIT;
		mo->r = &h->r;
		mo->events = chance(w, 50) ? KMSGQ_RING_READABLE :
					     KMSGQ_RING_WRITABLE;
		/* A ring wait has no non-blocking mode: give it a deadline. */
		while (!forever && mo->c.t == T_NONBLOCK)
			call_pick(w, &mo->c, h->nonblock, CALL_THREAD);
		mo->c.may_sleep = true;
	} else if (chance(w, 15)) {
		mo->kind = MID_POLL;
		if (!forever)
			mo->poll_ms = mo->c.t == T_NONBLOCK ? 0 : SOAK_WAIT_MS;
		mo->c.may_sleep = mo->poll_ms != 0;
		mo->c.restartable = false;
		mo->c.dl = NULL;
	} else if (can_read(h) && (!can_write(h) || chance(w, 50))) {
		mo->kind = MID_RECV;
		mo->len = h->max_msgsize;
	} else {
		mo->kind = MID_SEND;
		mo->len = pick_len(w, h->max_msgsize);
		mo->prio = h->ring ? 0 : below(w, KMSGQ_PRIO_MAX);
		msg_fill(mo->buf, mo->len, w->sender, w->seq, mo->prio);
	}
	return mo;
}

/* Close @h while a second thread may be sleeping in a call on it. */
static void op_close_midop(struct worker *w, struct handle *h)
{
	struct midop *mo = midop_prepare(w, h, false);
	unsigned int allowed = A_EBADF | call_allowed(w, &mo->c);
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, midop_run, mo);
	if (err)
		worker_fail(w, "pthread_create: %s", strerror(err));
	sleep_us(below(w, 5000));
	if (h->in_epoll)
		check_err(w, h, "EPOLL_CTL_DEL",
			  sys_ret(epoll_ctl(w->epfd, EPOLL_CTL_DEL, h->fd,
					    NULL)), 0);
	check_err(w, h, "close", sys_ret(close(h->fd)), 0);
	pthread_join(t, NULL);
	count(&w->sh->midop_closes, 1);

	if (mo->kind == MID_POLL) {
		/* POLLNVAL if the close came first. */
		check_err(w, h, "poll, closed meanwhile", mo->ret,
			  mo->poll_ms ? A_EINTR : 0);
		if (mo->ret > 0 && (mo->revents & ~(POLLIN | POLLOUT | POLLNVAL)))
			worker_fail(w, "poll of %s, closed meanwhile: revents %#x",
				    handle_desc(w, h), mo->revents);
	} else {
		check_err(w, h, "call on a descriptor closed meanwhile",
			  mo->ret, allowed);
	}
	if (mo->kind == MID_RECV && mo->ret > 0)
		accept_from(w, h, mo->buf, mo->len, mo->prio);
	if (mo->kind == MID_SEND && mo->ret > 0)
		sent(w, 1);
	if (mo->kind == MID_WAIT && (mo->ret == 0 ||
				     (mo->ret > 0 && (mo->ret & ~(long)mo->events))))
		worker_fail(w, "ring wait of %s for %#x, closed meanwhile: %#lx",
			    handle_desc(w, h), mo->events, mo->ret);
	if (h->mapped)
		unmap(w, h, &h->r);
	h->fd = -1;
	h->mapped = false;
	h->in_epoll = false;
}

/* Exit while a second thread sleeps in a call without a timeout. */
static void __noreturn op_exit_midop(struct worker *w, struct handle *h)
{
	struct midop *mo = midop_prepare(w, h, true);
	pthread_t t;

	if (!pthread_create(&t, NULL, midop_run, mo))
		sleep_us(below(w, 3000));
	count(&w->sh->op_count[OP_EXIT_MIDOP], 1);
	__atomic_fetch_add(&w->sh->slot[w->slot].ops, 1, __ATOMIC_RELAXED);
	_exit(SOAK_EXIT_MIDOP);
}

/* ---- the worker ---- */

static enum soak_op pick_op(struct worker *w)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < OP_NR; i++)
		total += op_weight[i];
	r = below(w, total);
	for (i = 0; r >= op_weight[i]; i++)
		r -= op_weight[i];
	return i;
}

static void do_op(struct worker *w)
{
	enum soak_op op = pick_op(w);
	struct handle *h = NULL;

	/* Operations that need a descriptor, or a mapping, fall back. */
	switch (op) {
	case OP_CREATE:
	case OP_CREATE_BIG:
	case OP_OPEN:
	case OP_UNLINK:
	case OP_EPOLL_WAIT:
		break;
	case OP_MAP:
		h = pick_handle(w, is_mappable);
		if (!h && chance(w, 20))
			h = pick_handle(w, is_unmapped);
		break;
	case OP_UNMAP:
		if (!pick_orphan(w, true) && !pick_handle(w, is_mapped))
			op = OP_MAP;
		h = op == OP_MAP ? pick_handle(w, is_mappable) : NULL;
		break;
	case OP_RING_PRODUCE:
	case OP_RING_CONSUME:
		h = pick_handle(w, is_rw_mapped);
		if (!h)
			h = pick_handle(w, is_mappable);
		if (h && !h->mapped)
			op = OP_MAP;
		break;
	case OP_RING_WAIT:
		h = pick_handle(w, is_mapped);
		if (!h) {
			h = pick_handle(w, is_mappable);
			op = OP_MAP;
		}
		break;
	case OP_SEND:
	case OP_WRITE:
	case OP_SEND_BATCH:
		/* Mostly where it can succeed; EBADF otherwise. */
		h = pick_handle(w, chance(w, 90) ? is_writable : is_held);
		break;
	case OP_RECV:
	case OP_READ:
	case OP_RECV_BATCH:
		h = pick_handle(w, chance(w, 90) ? is_readable : is_held);
		break;
	default:
		h = pick_handle(w, is_held);
		break;
	}
	if (!h && op != OP_CREATE && op != OP_CREATE_BIG && op != OP_OPEN &&
	    op != OP_UNLINK && op != OP_EPOLL_WAIT && op != OP_UNMAP)
		op = chance(w, 50) ? OP_CREATE : OP_OPEN;
	w->op = op;

	switch (op) {
	case OP_CREATE:
		op_create(w, false);
		break;
	case OP_CREATE_BIG:
		op_create(w, true);
		break;
	case OP_OPEN:
		op_open(w);
		break;
	case OP_UNLINK:
		op_unlink(w);
		break;
	case OP_CLOSE:
		handle_close(w, h);
		break;
	case OP_SEND:
	case OP_WRITE:
		op_send(w, h, op == OP_WRITE);
		break;
	case OP_RECV:
	case OP_READ:
		op_recv(w, h, op == OP_READ);
		break;
	case OP_SEND_BATCH:
		op_send_batch(w, h);
		break;
	case OP_RECV_BATCH:
		op_recv_batch(w, h);
		break;
	case OP_POLL:
		op_poll(w, h);
		break;
	case OP_EPOLL_CTL:
		op_epoll_ctl(w, h);
		break;
	case OP_EPOLL_WAIT:
		op_epoll_wait(w);
		break;
	case OP_MAP:
		op_map(w, h);
		break;
	case OP_UNMAP:
		op_unmap(w);
		break;
	case OP_RING_PRODUCE:
		op_ring_produce(w, h);
		break;
	case OP_RING_CONSUME:
		op_ring_consume(w, h);
		break;
	case OP_RING_WAIT:
		op_ring_wait(w, h, 0);
		break;
	case OP_GETATTR:
		op_getattr(w, h);
		break;
	case OP_SETATTR:
		op_setattr(w, h);
		break;
	case OP_STATS:
		op_stats(w, h);
		break;
	case OP_MISUSE:
		op_misuse(w, h);
		break;
	case OP_CLOSE_MIDOP:
		op_close_midop(w, h);
		break;
	case OP_EXIT_MIDOP:
		op_exit_midop(w, h);
		break;
	case OP_NR:
		break;
	}
	count(&w->sh->op_count[op], 1);
}

static void __noreturn worker_main(struct soak_shared *sh, __u64 *seen,
				   unsigned int slot)
{
	struct worker *w = &soak_worker;
	struct sigaction sa = { .sa_handler = soak_nop };
	struct soak_slot *s = &sh->slot[slot];
	unsigned int i;

	w->sh = sh;
	w->seen = seen;
	w->slot = slot;
	w->gen = s->gen;
	w->sender = slot << 16 | (w->gen & 0xffff);
	w->seed = mix64(sh->seed ^ mix64((__u64)slot << 32 | w->gen));
	w->rnd = w->seed | 1;
	w->umask = 022;
	umask(w->umask);
	for (i = 0; i < SOAK_HANDLES; i++)
		w->h[i].fd = -1;

	/* SIGALRM ends untimed calls: never SA_RESTART. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	set_usr1(w, chance(w, 50));
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->badbuf = mmap(NULL, getpagesize(), PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->epfd < 0 || w->badbuf == MAP_FAILED)
		worker_fail(w, "setting up: %s", strerror(errno));

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		w->opno = __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
		if (!sh->timed && w->opno >= SOAK_OPS)
			break;
		if (chance(w, 5))
			set_usr1(w, chance(w, 50));
		do_op(w);
		__atomic_fetch_add(&s->ops, 1, __ATOMIC_RELAXED);
	}

	/* Half the time, leave the closing to exit(). */
	if (chance(w, 50)) {
		w->op = OP_CLOSE;
		for (i = 0; i < SOAK_HANDLES; i++)
			if (w->h[i].fd >= 0)
				handle_close(w, &w->h[i]);
		for (i = 0; i < SOAK_ORPHANS; i++)
			if (w->o[i].used)
				unmap(w, NULL, &w->o[i].r);
	}
	_exit(0);
}

/* ---- the supervisor ---- */

FIXTURE(soak) {
	struct soak_shared *sh;
	__u64 *seen;
	size_t seen_size;
	bool killed[SOAK_WORKERS];
	bool done[SOAK_WORKERS];
	char prefix[32];	/* of every name the run uses */
	unsigned long saved_queues;
	unsigned long saved_bytes;
	bool limits_set;
	int probe_small, probe_small_err;
	int probe_big, probe_big_err;
	int listed_before;	/* queues debugfs lists; < 0: no debugfs */
	unsigned long long signals, kills, exits;
};

/*
 * Create queues of one shape until a create fails, then remove them:
 * how many fitted, and *err the errno that stopped it.
 */
static int count_fitting(const char *prefix, __u32 depth, __u32 msgsize,
			 int *err)
{
	struct kmsgq_attr attr = { .max_msgs = depth, .max_msgsize = msgsize };
	static int fds[SOAK_PROBE_MAX];
	char name[KMSGQ_NAME_MAX];
	int n, i;

	*err = 0;
	for (n = 0; n < SOAK_PROBE_MAX; n++) {
		snprintf(name, sizeof(name), "%s-probe-%d", prefix, n);
		fds[n] = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				    0600, &attr);
		if (fds[n] < 0) {
			*err = -fds[n];
			break;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-probe-%d", prefix, i);
		kmsgq_unlink(name);
		close(fds[i]);
	}
	return n;
}

static void restore_limits(FIXTURE_DATA(soak) *self)
{
	if (!self->limits_set)
		return;
	write_param("max_queues", self->saved_queues);
	write_param("user_bytes_max", self->saved_bytes);
	self->limits_set = false;
}

FIXTURE_SETUP(soak)
{
	unsigned int i;
	int ours;

	self->sh = MAP_FAILED;
	self->seen = MAP_FAILED;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);

	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->seen_size = (size_t)SOAK_WORKERS * SOAK_GENS * SOAK_SEQS / 8;
	self->seen = mmap(NULL, self->seen_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->seen);

	snprintf(self->prefix, sizeof(self->prefix), "kmsgq-soak-%d-",
		 getpid());
	for (i = 0; i < SOAK_NAMES; i++) {
		snprintf(self->sh->names[i], KMSGQ_NAME_MAX, "%s%u",
			 self->prefix, i);
		kmsgq_unlink(self->sh->names[i]);
	}
	self->sh->seed = soak_seed;
	self->sh->timed = soak_seconds > 0;
	self->listed_before = debugfs_count_queues(self->prefix, &ours);

	/* Low limits, so that ENOSPC and EMFILE come up; root only. */
	if (!read_param("max_queues", &self->saved_queues) &&
	    !read_param("user_bytes_max", &self->saved_bytes)) {
		self->limits_set = true;
		if (write_param("max_queues", SOAK_MAX_QUEUES))
			restore_limits(self);
		if (self->limits_set &&
		    write_param("user_bytes_max", SOAK_USER_BYTES))
			restore_limits(self);
	}
	if (self->limits_set) {
		self->probe_small = count_fitting(self->prefix, 1, 1,
						  &self->probe_small_err);
		self->probe_big = count_fitting(self->prefix, 64,
						SOAK_MSGSIZE_MAX,
						&self->probe_big_err);
	}
}

/* Kill and reap every worker; give up on those that do not die in time. */
static void reap_all(FIXTURE_DATA(soak) *self)
{
	unsigned int i, left;
	int tries;

	for (i = 0; i < SOAK_WORKERS; i++)
		if (self->sh->slot[i].pid > 0)
			kill(self->sh->slot[i].pid, SIGKILL);
	for (tries = 0; tries < 1000; tries++) {
		for (i = 0, left = 0; i < SOAK_WORKERS; i++) {
			pid_t pid = self->sh->slot[i].pid;

			if (pid <= 0)
				continue;
			if (waitpid(pid, NULL, WNOHANG) == pid)
				self->sh->slot[i].pid = 0;
			else
				left++;
		}
		if (!left)
			return;
		sleep_us(10000);
	}
	ksft_print_msg("soak: %u workers would not die\n", left);
}

FIXTURE_TEARDOWN(soak)
{
	unsigned int i;

	if (self->sh == MAP_FAILED)
		return;
	reap_all(self);
	for (i = 0; i < SOAK_NAMES; i++)
		kmsgq_unlink(self->sh->names[i]);
	restore_limits(self);
	munmap(self->sh, sizeof(*self->sh));
	if (self->seen != MAP_FAILED)
		munmap(self->seen, self->seen_size);
}

static pid_t soak_spawn(FIXTURE_DATA(soak) *self, unsigned int slot)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		worker_main(self->sh, self->seen, slot);
	self->sh->slot[slot].pid = pid > 0 ? pid : 0;
	return pid;
}

static void soak_set_failure(FIXTURE_DATA(soak) *self, const char *fmt, ...)
	__printf(2, 3);

static void soak_set_failure(FIXTURE_DATA(soak) *self, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&self->sh->failed, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(self->sh->failure, sizeof(self->sh->failure), fmt, ap);
	va_end(ap);
	__atomic_store_n(&self->sh->failure_done, 1, __ATOMIC_RELEASE);
}

/*
 * A worker claims the failure before it writes the report: give it time
 * to finish before the workers are killed (up to 2 s; it only formats).
 */
static void wait_failure_report(struct soak_shared *sh)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (__atomic_load_n(&sh->failure_done, __ATOMIC_ACQUIRE))
			return;
		usleep(1000);
	}
}

/* What every thread of every worker is doing in the kernel. */
static void dump_workers(FIXTURE_DATA(soak) *self)
{
	char path[300], buf[2048];
	struct dirent *de;
	unsigned int i;
	ssize_t n;
	DIR *dir;
	int fd;

	for (i = 0; i < SOAK_WORKERS; i++) {
		if (self->sh->slot[i].pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task",
			 self->sh->slot[i].pid);
		dir = opendir(path);
		while (dir && (de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/stack",
				 self->sh->slot[i].pid, de->d_name);
			fd = open(path, O_RDONLY);
			n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
			if (fd >= 0)
				close(fd);
			buf[n > 0 ? n : 0] = 0;
			ksft_print_msg("soak: worker %u thread %s, kernel stack:\n%s",
				       i, de->d_name, n > 0 ? buf : "(unreadable)\n");
		}
		if (dir)
			closedir(dir);
	}
}

static unsigned long long total_ops(struct soak_shared *sh)
{
	unsigned long long n = 0;
	unsigned int i;

	for (i = 0; i < SOAK_WORKERS; i++)
		n += __atomic_load_n(&sh->slot[i].ops, __ATOMIC_RELAXED);
	return n;
}

/* Reap workers that ended; start replacements for those killed. */
static void reap_some(FIXTURE_DATA(soak) *self)
{
	struct soak_shared *sh = self->sh;
	unsigned int slot;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (slot = 0; slot < SOAK_WORKERS; slot++)
			if (sh->slot[slot].pid == pid)
				break;
		if (slot == SOAK_WORKERS)
			continue;
		sh->slot[slot].pid = 0;
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			self->done[slot] = true;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == SOAK_EXIT_MIDOP) {
			self->exits++;
		} else if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
			     self->killed[slot])) {
			soak_set_failure(self, "worker %u (pid %d, generation %u) %s %d",
					 slot, pid, sh->slot[slot].gen,
					 WIFEXITED(status) ? "exited" : "died of signal",
					 WIFEXITED(status) ? WEXITSTATUS(status) :
					 WTERMSIG(status));
			continue;
		}
		self->killed[slot] = false;
		if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			self->done[slot] = true;
			continue;
		}
		sh->slot[slot].gen++;
		if (soak_spawn(self, slot) < 0)
			soak_set_failure(self, "fork: %s", strerror(errno));
	}
}

/*
 * Let the workers run until each has done its operations (fixed size) or
 * time is up, sending signals all along and a SIGKILL every
 * SOAK_KILL_EVERY operations.
 */
static void supervise(FIXTURE_DATA(soak) *self, __u64 seed)
{
	struct soak_shared *sh = self->sh;
	__s64 start = now_ns(CLOCK_MONOTONIC), last_change = start, t;
	unsigned long long ops, last_ops = 0, next_kill = SOAK_KILL_EVERY;
	uint64_t r = mix64(seed ^ 0x5eed) | 1;
	unsigned int slot, i, live;

	for (;;) {
		reap_some(self);
		if (sh->failed) {
			wait_failure_report(sh);
			return;
		}
		for (i = 0, live = 0; i < SOAK_WORKERS; i++)
			live += !self->done[i];
		if (!live)
			return;

		t = now_ns(CLOCK_MONOTONIC);
		if (sh->timed && !sh->stop &&
		    t - start >= (__s64)soak_seconds * NSEC_PER_SEC)
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		ops = total_ops(sh);
		if (ops != last_ops) {
			last_ops = ops;
			last_change = t;
		} else if (t - last_change > SOAK_STALL_S * NSEC_PER_SEC) {
			dump_workers(self);
			soak_set_failure(self, "no operation finished in %d s, after %llu (seed %#llx)",
					 SOAK_STALL_S, ops,
					 (unsigned long long)seed);
			return;
		}

		slot = rnd(&r) % SOAK_WORKERS;
		if (sh->slot[slot].pid > 0 && !sh->stop) {
			if (ops >= next_kill && !self->killed[slot]) {
				next_kill = ops + SOAK_KILL_EVERY;
				self->killed[slot] = true;
				kill(sh->slot[slot].pid, SIGKILL);
				self->kills++;
			} else if (!self->killed[slot]) {
				kill(sh->slot[slot].pid, SIGUSR1);
				self->signals++;
			}
		}
		sleep_us(1000 + rnd(&r) % 9000);
	}
}

static void print_totals(FIXTURE_DATA(soak) *self, double secs)
{
	struct soak_shared *sh = self->sh;
	unsigned long long ops = total_ops(sh);
	char line[1024];
	size_t n;
	unsigned int i;

	ksft_print_msg("soak: %llu operations in %.1f s (%.0f/s), seed %#llx\n",
		       ops, secs, secs > 0 ? ops / secs : 0.0,
		       (unsigned long long)sh->seed);
	n = 0;
	for (i = 0; i < OP_NR; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %llu",
			      op_names[i], sh->op_count[i]);
	ksft_print_msg("soak: operations:%s\n", line);
	n = 0;
	for (i = 0; i <= SOAK_NR_ERRNOS; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %llu",
			      i < SOAK_NR_ERRNOS ? errname(soak_errnos[i]) :
			      "other", sh->err_count[i]);
	ksft_print_msg("soak: errnos:%s\n", line);
	ksft_print_msg("soak: messages: sent %llu, received and verified %llu (%llu in place), empty ring slots %llu, beyond the duplicate check %llu\n",
		       sh->sent, sh->verified, sh->in_place, sh->empty_slots,
		       sh->unchecked);
	ksft_print_msg("soak: chaos: signals %llu, kills %llu, exits mid-operation %llu, closes mid-operation %llu\n",
		       self->signals, self->kills, self->exits,
		       sh->midop_closes);
}

TEST_F_TIMEOUT(soak, random_operations_under_signals_and_kills,
	       SOAK_FIXED_TIMEOUT)
{
	struct soak_shared *sh = self->sh;
	int small = 0, small_err = 0, big = 0, big_err = 0;
	int listed, ours, ret;
	bool probed;
	struct sigaction sa = { .sa_handler = soak_nop };
	unsigned int i;
	__s64 start;
	double secs;

	if (sh->timed)
		ksft_print_msg("soak: %lu s, %d workers, seed %#llx\n",
			       soak_seconds, SOAK_WORKERS,
			       (unsigned long long)sh->seed);
	else
		ksft_print_msg("soak: fixed size, %d workers x %d operations, seed %#llx\n",
			       SOAK_WORKERS, SOAK_OPS,
			       (unsigned long long)sh->seed);
	if (self->limits_set)
		ksft_print_msg("soak: max_queues %d, user_bytes_max %lu; probe: %d small queues until %s, %d large until %s\n",
			       SOAK_MAX_QUEUES, SOAK_USER_BYTES,
			       self->probe_small, errname(self->probe_small_err),
			       self->probe_big, errname(self->probe_big_err));
	else
		ksft_print_msg("soak: cannot lower max_queues and user_bytes_max (not root?): no ENOSPC/EMFILE and no leak probe\n");
	if (self->limits_set &&
	    (self->probe_small_err != ENOSPC || self->probe_big_err != EMFILE)) {
		restore_limits(self);
		ASSERT_TRUE(false) TH_LOG("the probe ended on %s and %s",
					  errname(self->probe_small_err),
					  errname(self->probe_big_err));
	}

	/* Inherited by the workers until they install their own. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < SOAK_WORKERS && soak_spawn(self, i) > 0; i++)
		;
	if (i < SOAK_WORKERS)
		soak_set_failure(self, "fork: %s", strerror(errno));
	else
		supervise(self, sh->seed);
	reap_all(self);
	secs = (now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	print_totals(self, secs);

	/*
	 * Clean up before judging: after a failed ASSERT the harness does
	 * not run the teardown, and the tests after this one need the
	 * module's limits back.
	 */
	for (i = 0; i < SOAK_NAMES; i++) {
		ret = kmsgq_unlink(sh->names[i]);
		EXPECT_TRUE(ret == 0 || ret == -ENOENT)
			TH_LOG("unlink %s: %s", sh->names[i], strerror(-ret));
	}
	/* Every queue goes once its name and the last descriptor are gone. */
	listed = debugfs_count_queues(self->prefix, &ours);
	probed = self->limits_set;
	if (probed) {
		small = count_fitting(self->prefix, 1, 1, &small_err);
		big = count_fitting(self->prefix, 64, SOAK_MSGSIZE_MAX,
				    &big_err);
		restore_limits(self);
	}
	EXPECT_EQ(0, sh->failed) TH_LOG("%s", sh->failure);
	if (sh->failed)
		return;

	if (listed < 0) {
		ksft_print_msg("soak: no %s (not root, or no debugfs): not checked\n",
			       DEBUGFS_QUEUES);
	} else {
		ksft_print_msg("soak: debugfs lists %d queues of the run, %d in all (%d before)\n",
			       ours, listed, self->listed_before);
		EXPECT_EQ(0, ours);
		EXPECT_EQ(self->listed_before, listed);
	}
	if (probed) {
		ksft_print_msg("soak: probe after: %d small queues until %s, %d large until %s\n",
			       small, errname(small_err), big, errname(big_err));
		EXPECT_EQ(self->probe_small, small);
		EXPECT_EQ(ENOSPC, small_err);
		EXPECT_EQ(self->probe_big, big);
		EXPECT_EQ(EMFILE, big_err);
	}

	if (!sh->timed)
		EXPECT_EQ((unsigned long long)SOAK_WORKERS * SOAK_OPS,
			  total_ops(sh));
	/* A run that moved no message or killed no one tested little. */
	EXPECT_LT(0ULL, sh->verified);
	EXPECT_LT(0ULL, self->kills);
}

int main(int argc, char **argv)
{
	const char *env_secs = getenv("KMSGQ_SOAK_SECONDS");
	const char *env_seed = getenv("KMSGQ_SOAK_SEED");
	const char *secs = env_secs && *env_secs ? env_secs : NULL;
	const char *seed = env_seed && *env_seed ? env_seed : NULL;
	char **args = calloc(argc + 1, sizeof(*args));
	bool soak = false;
	int i, n = 0;
	char *end;

	if (!args)
		return KSFT_FAIL;
	args[n++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--soak"))
			soak = true;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = argv[++i];
		else
			args[n++] = argv[i];
	}
	if (secs) {
		errno = 0;
		soak_seconds = strtoul(secs, &end, 0);
		if (errno || *end || soak_seconds > 30UL * 24 * 3600) {
			fprintf(stderr, "soak_test: bad number of seconds '%s'\n",
				secs);
			return KSFT_FAIL;
		}
	}
	if (soak && !soak_seconds)
		soak_seconds = SOAK_DEFAULT_SECONDS;
	if (seed) {
		errno = 0;
		soak_seed = strtoull(seed, &end, 0);
		if (errno || *end) {
			fprintf(stderr, "soak_test: bad seed '%s'\n", seed);
			return KSFT_FAIL;
		}
	} else if (soak_seconds) {
		soak_seed = mix64(now_ns(CLOCK_REALTIME) ^ getpid());
	}
	if (soak_seconds)
		_soak_random_operations_under_signals_and_kills_object->timeout =
			soak_seconds + SOAK_TIMED_SLACK;
	return test_harness_run(n, args);
}
