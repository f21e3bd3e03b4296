// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a seeded random-syscall fuzzer over /dev/kmsgq.  Workers
 * (one of them unprivileged) open the device in every access mode, bind
 * and unlink a few shared queue names, and throw every ioctl at their
 * files with structures of random sizes, flags, reserved fields and
 * pointers (NULL, guard pages, kernel addresses, straddling the end of a
 * mapping); read and write with random sizes and buffers; map, protect,
 * scribble over and unmap rings; produce and consume in place; create
 * fan-out queues of every kind, map their stores and payloads, read them
 * in place and acknowledge, publish in place and list their subscribers;
 * poll, epoll and close.  It asserts only what must always hold:
 *
 *  - every error is one doc/semantics.md (or the system call's own manual
 *    page, for what the VFS checks first) lists for that call, and every
 *    success returns what the call may return;
 *  - nothing hangs: no call sleeps longer than its timeout allows, and a
 *    worker that makes no progress for HANG_S seconds is killed by its
 *    alarm and reported with the call it was in (a worker's own files on
 *    a lossless fan-out queue are subscribers that may hold its
 *    publishers back: every call that may wait for room has a deadline or
 *    is interrupted);
 *  - once the workers are gone and the names unlinked, none of the run's
 *    queues is left.
 *
 * Kernel reports (oops, KASAN, lockdep, kmemleak) fail the guest run as
 * they do for every program.
 *
 * KMSGQ_FUZZ_SEED and KMSGQ_FUZZ_CALLS choose the run; the default is a
 * short run from a fixed seed.  With --soak (vm/suites/soak) it is a
 * million calls from a fresh seed, unless KMSGQ_SOAK_SEED (which "make soak
 * SEED=S" sets) or KMSGQ_FUZZ_SEED names one.  The seed is printed: a
 * worker's sequence of calls depends on it alone, though the workers'
 * interleaving does not.
 *
 * Everything a call may write lands in a worker's scratch area, between
 * guard pages: the kernel's writes run upwards from a pointer the worker
 * chose and fault on a guard before they could reach anything else.
 */
#include "kmsgq_test.h"

#include <sys/eventfd.h>

#include <limits.h>
#include <sys/epoll.h>

#define WORKERS			3
#define NOBODY_WORKER		2	/* this one runs as nobody */
#define NAMES			4	/* queue names the workers share */
#define MAX_FDS			6	/* open files per worker */
#define MAX_MAPS		6	/* live mappings per worker */
#define SCRATCH_SIZE		(256 * 1024)
#define HANG_S			30
#define ALARM_EVERY		256	/* calls between re-arming the alarm */
#define MAX_ODD			32	/* distinct surprises kept per worker */
#define INTR_NS			(10 * NSEC_PER_MSEC)
#define SHORT_NS		(2 * NSEC_PER_MSEC)
#define DEFAULT_SEED		0x6b6d7367667a7a31ULL
#define DEFAULT_CALLS		20000UL
#define SOAK_CALLS		1000000UL	/* with --soak */

/* The calls, as counted and reported. */
enum op {
	OP_OPEN, OP_CLOSE, OP_INFO, OP_BIND, OP_UNLINK, OP_LIST, OP_SEND,
	OP_RECV, OP_GETATTR, OP_SETATTR, OP_STATS, OP_RING_INFO, OP_RING_WAIT,
	OP_RING_WAKE, OP_IOCTL_OTHER, OP_READ, OP_WRITE, OP_MMAP, OP_MUNMAP,
	OP_MPROTECT, OP_SCRIBBLE, OP_IN_PLACE, OP_POLL, OP_EPOLL_CTL,
	OP_EPOLL_WAIT, OP_SETOWNER, OP_NOTIFY, OP_FANOUT_ACK, OP_SUBSCRIBERS,
	OP_FANOUT_PUBLISH, NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"open", "close", "INFO", "OPEN", "UNLINK", "LIST", "SEND", "RECV",
	"GETATTR", "SETATTR", "STATS", "RING_INFO", "RING_WAIT", "RING_WAKE",
	"ioctl(other)", "read", "write", "mmap", "munmap", "mprotect",
	"scribble", "in-place", "poll", "epoll_ctl", "epoll_wait", "SETOWNER",
	"NOTIFY", "FANOUT_ACK", "SUBSCRIBERS", "FANOUT_PUBLISH",
};

/* How often each call is made, out of the sum. */
static const unsigned char op_weight[NR_OPS] = {
	[OP_OPEN] = 5, [OP_CLOSE] = 3, [OP_INFO] = 2, [OP_BIND] = 9,
	[OP_UNLINK] = 3, [OP_LIST] = 3, [OP_SEND] = 12, [OP_RECV] = 12,
	[OP_GETATTR] = 3, [OP_SETATTR] = 3, [OP_STATS] = 3,
	[OP_RING_INFO] = 3, [OP_RING_WAIT] = 4, [OP_RING_WAKE] = 4,
	[OP_IOCTL_OTHER] = 2, [OP_READ] = 6, [OP_WRITE] = 6, [OP_MMAP] = 4,
	[OP_MUNMAP] = 2, [OP_MPROTECT] = 1, [OP_SCRIBBLE] = 4,
	[OP_IN_PLACE] = 4, [OP_POLL] = 2, [OP_EPOLL_CTL] = 2,
	[OP_EPOLL_WAIT] = 2, [OP_SETOWNER] = 2, [OP_NOTIFY] = 2,
	[OP_FANOUT_ACK] = 3, [OP_SUBSCRIBERS] = 2, [OP_FANOUT_PUBLISH] = 5,
};

/* Errors each call may give; 0 ends a list. */
#define XFER_ERRS	ENOTCONN, EBADF, EFAULT, EINVAL, E2BIG, EAGAIN, \
			ETIMEDOUT, EINTR, EMSGSIZE, 0
#define QUEUE_ERRS	ENOTCONN, EBADF, EFAULT, EINVAL, E2BIG
#define RW_ERRS		ENOTCONN, EBADF, EFAULT, EAGAIN, EMSGSIZE, EINTR, \
			EINVAL, 0

static const int op_errs[NR_OPS][16] = {
	[OP_OPEN] = { EACCES, ENOMEM, EMFILE, ENFILE, 0 },
	[OP_INFO] = { EFAULT, EINVAL, E2BIG, 0 },
	/* EBADF: a file opened for neither reading nor writing. */
	[OP_BIND] = { EFAULT, EINVAL, E2BIG, ENAMETOOLONG, ENOENT, EEXIST,
		      ENOSPC, EMFILE, ENOMEM, EACCES, EBUSY, EBADF, 0 },
	[OP_UNLINK] = { EFAULT, EINVAL, E2BIG, ENAMETOOLONG, ENOENT, EPERM, 0 },
	[OP_SETOWNER] = { EFAULT, EINVAL, E2BIG, ENAMETOOLONG, ENOENT, EPERM, 0 },
	/* EBADF: an eventfd that is not open. */
	[OP_NOTIFY] = { QUEUE_ERRS, EOPNOTSUPP, EBUSY, ENOMEM, 0 },
	[OP_LIST] = { EFAULT, EINVAL, E2BIG, ENOMEM, 0 },
	[OP_SEND] = { XFER_ERRS },
	[OP_RECV] = { XFER_ERRS },
	[OP_GETATTR] = { QUEUE_ERRS, 0 },
	[OP_SETATTR] = { QUEUE_ERRS, 0 },
	[OP_STATS] = { QUEUE_ERRS, 0 },
	[OP_RING_INFO] = { QUEUE_ERRS, EOPNOTSUPP, 0 },
	[OP_RING_WAIT] = { QUEUE_ERRS, EOPNOTSUPP, ETIMEDOUT, EINTR, 0 },
	[OP_RING_WAKE] = { QUEUE_ERRS, EOPNOTSUPP, 0 },
	[OP_IOCTL_OTHER] = { ENOTTY, 0 },
	[OP_READ] = { RW_ERRS },
	[OP_WRITE] = { RW_ERRS },
	/* EPERM, EAGAIN: what mmap(2) says the VFS may refuse first. */
	[OP_MMAP] = { ENOTCONN, ENODEV, EINVAL, EACCES, ENOMEM, EPERM,
		      EOVERFLOW, EAGAIN, 0 },
	[OP_MPROTECT] = { EACCES, ENOMEM, EINVAL, 0 },
	[OP_POLL] = { EINTR, ENOMEM, 0 },
	[OP_EPOLL_CTL] = { EEXIST, ENOENT, EINVAL, ENOMEM, ENOSPC, 0 },
	[OP_EPOLL_WAIT] = { EINTR, 0 },
	[OP_FANOUT_ACK] = { QUEUE_ERRS, EOPNOTSUPP, ETIMEDOUT, EINTR, 0 },
	[OP_SUBSCRIBERS] = { ENOTCONN, EOPNOTSUPP, EFAULT, EINVAL, E2BIG,
			     ENOMEM, 0 },
	[OP_FANOUT_PUBLISH] = { QUEUE_ERRS, EOPNOTSUPP, EMSGSIZE, EAGAIN,
				ETIMEDOUT, EINTR, EBUSY, 0 },
};

/* The call a worker is making, kept where the test can read it. */
struct call {
	int op;
	int fd;
	__u32 cmd;
	__u32 size;
	__u32 flags;
	__u64 a;
	__u64 b;
};

/* A surprise: an undocumented error (err > 0) or result (err 0). */
struct odd {
	struct call call;
	int err;
	long long ret;
	unsigned long count;
};

/* Errnos counted one by one; the rest together. */
#define ERRNO_MAX		134

/* What a worker tells the test, in shared memory. */
struct report {
	unsigned long calls;
	unsigned long ok[NR_OPS];
	unsigned long failed[NR_OPS];
	unsigned long errs[NR_OPS][ERRNO_MAX];
	struct call last;
	unsigned int nr_odd;
	unsigned long odd_dropped;
	struct odd odd[MAX_ODD];
};

struct wfd {
	int fd;			/* -1: free */
	bool bound;		/* KMSGQ_IOC_OPEN succeeded on it */
	bool nonblock;		/* as the file's O_NONBLOCK stands */
	unsigned int gen;	/* opens of this entry so far */
	int held;		/* slots it holds reserved in place; -1: unknown */
	__u64 first;		/* the first of them */
	__u64 tail;		/* a fan-out tail FANOUT_ACK reported */
};

/* What a mapping maps. */
enum map_kind {
	MAP_RING,		/* a ring, or whatever a failed guess mapped */
	MAP_STORE,		/* a fan-out queue's store, at offset 0 */
	MAP_PAYLOAD,		/* its payloads, at KMSGQ_FANOUT_PAYLOAD_OFFSET */
};

struct wmap {
	char *addr;		/* NULL: free */
	size_t len;
	int prot;
	int fd;			/* the file mapped, and the entry it was in */
	unsigned int slot, gen;
	enum map_kind kind;
	struct kmsgq_ring_info ri;	/* zero if unknown */
};

struct worker {
	uint64_t rng;
	struct report *rep;
	char (*names)[KMSGQ_NAME_MAX];
	struct wfd fds[MAX_FDS];
	struct wmap maps[MAX_MAPS];
	int epfd;
	int efd;		/* an eventfd for NOTIFY */
	char *scratch;		/* SCRATCH_SIZE bytes ... */
	char *guard;		/* ... then a page no access is allowed to */
	timer_t intr;		/* interrupts a call that may sleep */
	size_t ps;
};

/* The whole run, set by main(). */
static uint64_t fuzz_seed = DEFAULT_SEED;
static unsigned long fuzz_calls = DEFAULT_CALLS;

/* ---- random choices ---- */

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static uint32_t rn(struct worker *w, uint32_t n)
{
	return n ? rnd(&w->rng) % n : 0;
}

static bool chance(struct worker *w, unsigned int percent)
{
	return rn(w, 100) < percent;
}

static uint32_t any32(struct worker *w)
{
	return rnd(&w->rng) >> 32;
}

/* One of @n values in @vals. */
static uint32_t pick(struct worker *w, const uint32_t *vals, unsigned int n)
{
	return vals[rn(w, n)];
}

#define PICK(w, ...) ({							\
	const uint32_t _vals[] = { __VA_ARGS__ };			\
	pick(w, _vals, sizeof(_vals) / sizeof(_vals[0]));		\
})

/*
 * An address no call may use: NULL, the guard page, kernel space, or past
 * what a 32-bit task can reach.
 */
static __u64 bad_addr(struct worker *w)
{
	switch (rn(w, 4)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)w->guard;
	case 2:
		return sizeof(void *) == 4 ? 0xfffff000ULL : 0xffffffff81000000ULL;
	}
	return sizeof(void *) == 4 ? 0x100000000ULL << rn(w, 8) :
				     0x8000000000000000ULL;
}

/* A live mapping of this worker, or NULL. */
static struct wmap *any_map(struct worker *w)
{
	unsigned int i, start = rn(w, MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++) {
		struct wmap *m = &w->maps[(start + i) % MAX_MAPS];

		if (m->addr)
			return m;
	}
	return NULL;
}

/*
 * A user buffer of @len bytes for the kernel to read or write: mostly in
 * scratch, sometimes running into the guard, sometimes NULL, a guard page,
 * a kernel address or a ring mapping.
 */
static __u64 any_buf(struct worker *w, size_t len)
{
	struct wmap *m;
	size_t off;

	switch (rn(w, 60)) {
	case 0 ... 2:
		return bad_addr(w);
	case 3:
		m = any_map(w);
		if (m)
			return (uintptr_t)m->addr + rn(w, m->len);
		break;
	case 4:		/* ends at the guard, or crosses into it */
		return (uintptr_t)w->guard - rn(w, 256);
	}
	off = len < SCRATCH_SIZE ? rn(w, SCRATCH_SIZE - len + 1) :
				   rn(w, SCRATCH_SIZE);
	if (chance(w, 80))
		off &= ~(size_t)7;
	return (uintptr_t)w->scratch + off;
}

/* A struct size: mostly right, sometimes every edge the ABI has. */
static __u32 any_size(struct worker *w, __u32 real)
{
	switch (rn(w, 64)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return real - 1;	/* one short of the first version */
	case 3: return real + 8;	/* one field longer */
	case 4: return w->ps;
	case 5: return w->ps + 1;
	case 6: return UINT32_MAX;
	case 7: return any32(w);
	case 8: return real + rn(w, 64);
	}
	return real;
}

/*
 * Put ioctl argument @arg (@real bytes, its size field already chosen) in
 * scratch, followed by a tail up to its size of zeros or noise, and return
 * its address; or return a bad address.
 */
static __u64 place_arg(struct worker *w, const void *arg, size_t real)
{
	__u32 size = *(const __u32 *)arg;
	size_t tail, off, i;

	switch (rn(w, 80)) {
	case 0 ... 2:
		return bad_addr(w);
	case 3:		/* the struct fits; whatever follows is the guard */
		off = SCRATCH_SIZE - real;
		break;
	case 4:		/* the struct itself runs into the guard */
		off = SCRATCH_SIZE - rn(w, real);
		break;
	default:
		off = rn(w, SCRATCH_SIZE - 2 * w->ps) & ~(size_t)7;
		if (chance(w, 5))
			off |= rn(w, 8);
	}
	memcpy(w->scratch + off, arg, min_sz(real, SCRATCH_SIZE - off));
	tail = size > real ? min_sz(size - real, w->ps) : 0;
	tail = min_sz(tail, SCRATCH_SIZE - min_sz(off + real, SCRATCH_SIZE));
	if (chance(w, 70))
		memset(w->scratch + off + real, 0, tail);
	else
		for (i = 0; i < tail; i++)
			w->scratch[off + real + i] = chance(w, 90) ? 0 : any32(w);
	return (uintptr_t)w->scratch + off;
}

/* A queue name: mostly one the workers share, sometimes a bad one. */
static void any_name(struct worker *w, char *name)
{
	memset(name, 0, KMSGQ_NAME_MAX);
	switch (rn(w, 40)) {
	case 0:
		break;				/* empty */
	case 1:
		strcpy(name, rn(w, 2) ? "." : "..");
		break;
	case 2:
		memset(name, 'x', KMSGQ_NAME_MAX);	/* no NUL */
		break;
	case 3:
		strcpy(name, rn(w, 2) ? "bad/name" : "bad\xc3\xa9");
		break;
	default:
		strcpy(name, w->names[rn(w, NAMES)]);
	}
}

/* Pick a noisy value for a field that must be zero. */
static __u32 must_be_zero(struct worker *w)
{
	return chance(w, 93) ? 0 : 1U << rn(w, 32);
}

/* ---- bookkeeping ---- */

static struct wfd *any_fd(struct worker *w)
{
	unsigned int i, start = rn(w, MAX_FDS);

	for (i = 0; i < MAX_FDS; i++) {
		struct wfd *f = &w->fds[(start + i) % MAX_FDS];

		if (f->fd >= 0)
			return f;
	}
	return NULL;
}

/* A file for a call on a queue: a bound one, mostly. */
static struct wfd *queue_fd(struct worker *w)
{
	unsigned int i, start = rn(w, MAX_FDS);

	if (chance(w, 85))
		for (i = 0; i < MAX_FDS; i++) {
			struct wfd *f = &w->fds[(start + i) % MAX_FDS];

			if (f->fd >= 0 && f->bound)
				return f;
		}
	return any_fd(w);
}

static void begin(struct worker *w, int op, int fd, __u32 cmd, __u32 size,
		  __u32 flags, __u64 a, __u64 b)
{
	struct call *c = &w->rep->last;

	c->op = op;
	c->fd = fd;
	c->cmd = cmd;
	c->size = size;
	c->flags = flags;
	c->a = a;
	c->b = b;
	if (!(++w->rep->calls % ALARM_EVERY))
		alarm(HANG_S);
}

static void note_odd(struct worker *w, int err, long long ret)
{
	struct report *r = w->rep;
	unsigned int i;

	for (i = 0; i < r->nr_odd; i++) {
		if (r->odd[i].call.op == r->last.op && r->odd[i].err == err &&
		    (err || r->odd[i].ret == ret)) {
			r->odd[i].count++;
			return;
		}
	}
	if (r->nr_odd == MAX_ODD) {
		r->odd_dropped++;
		return;
	}
	r->odd[r->nr_odd].call = r->last;
	r->odd[r->nr_odd].err = err;
	r->odd[r->nr_odd].ret = ret;
	r->odd[r->nr_odd].count = 1;
	r->nr_odd++;
}

/*
 * Judge the call begin() described: @ret its result, -1 with errno for a
 * failure; @ok whether a success returned what it may.  Returns @ret.
 */
static long long judge(struct worker *w, long long ret, bool ok)
{
	int op = w->rep->last.op, err = errno;
	const int *e;

	if (ret >= 0) {
		w->rep->ok[op]++;
		if (!ok)
			note_odd(w, 0, ret);
		return ret;
	}
	w->rep->failed[op]++;
	w->rep->errs[op][err > 0 && err < ERRNO_MAX ? err : 0]++;
	for (e = op_errs[op]; *e; e++)
		if (*e == err)
			break;
	if (!*e)
		note_odd(w, err, ret);
	errno = err;
	return ret;
}

/*
 * Arm (@ns > 0) or disarm the timer that interrupts a sleeping call.  It
 * fires every @ns: the first signal may come before the call sleeps.
 */
static void interrupt_in(struct worker *w, long long ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = 0, .tv_nsec = ns },
		.it_interval = { .tv_sec = 0, .tv_nsec = ns },
	};

	timer_settime(w->intr, 0, &its, NULL);
}

static void on_intr(int sig)
{
	(void)sig;
}

/* ---- the calls ---- */

static void fuzz_open(struct worker *w)
{
	struct wfd *f = NULL;
	int i, flags, fd;

	for (i = 0; i < MAX_FDS && !f; i++)
		if (w->fds[i].fd < 0)
			f = &w->fds[i];
	if (!f) {
		f = &w->fds[rn(w, MAX_FDS)];
		begin(w, OP_CLOSE, f->fd, 0, 0, 0, 0, 0);
		judge(w, close(f->fd), true);
		f->fd = -1;
	}
	flags = rn(w, 4) | O_CLOEXEC;	/* mode 3 too */
	if (chance(w, 60))
		flags |= O_NONBLOCK;
	begin(w, OP_OPEN, -1, 0, 0, flags, 0, 0);
	fd = judge(w, open(KMSGQ_DEVICE_PATH, flags), true);
	if (fd < 0)
		return;
	f->fd = fd;
	f->bound = false;
	f->nonblock = flags & O_NONBLOCK;
	f->gen++;
	f->held = 0;
	f->first = 0;
	f->tail = 0;
}

static void fuzz_close(struct worker *w)
{
	struct wfd *f = any_fd(w);

	if (!f)
		return;
	begin(w, OP_CLOSE, f->fd, 0, 0, 0, 0, 0);
	judge(w, close(f->fd), true);
	f->fd = -1;
}

/* An ioctl on @f's file (any file if NULL); its result, -1 with errno. */
static long long fuzz_ioctl(struct worker *w, int op, struct wfd *f,
			    unsigned long cmd, const void *arg, size_t real)
{
	__u32 size = *(const __u32 *)arg;
	__u64 uarg;
	int fd;

	if (!f)
		f = any_fd(w);
	if (!f)
		return -1;
	fd = f->fd;
	/* The size bits of the number do not matter; the direction does. */
	if (chance(w, 5))
		cmd = (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		      ((unsigned long)rn(w, _IOC_SIZEMASK + 1) << _IOC_SIZESHIFT);
	uarg = place_arg(w, arg, real);
	begin(w, op, fd, cmd, size, ((const __u32 *)arg)[1], uarg, 0);
	return ioctl(fd, cmd, (uintptr_t)uarg);
}

static void fuzz_info(struct worker *w)
{
	struct kmsgq_info in = { .size = any_size(w, sizeof(in)) };

	if (chance(w, 10))
		in.features = 1ULL << rn(w, 64);
	judge(w, fuzz_ioctl(w, OP_INFO, NULL, KMSGQ_IOC_INFO, &in, sizeof(in)),
	      true);
}

static void fuzz_bind(struct worker *w)
{
	struct kmsgq_open op = { .size = any_size(w, sizeof(op)) };
	struct wfd *f = any_fd(w);
	bool fan;
	long long ret;

	any_name(w, op.name);
	/* The last name is mostly a fan-out queue, in place mostly. */
	fan = !strcmp(op.name, w->names[NAMES - 1]);
	if (chance(w, 70))
		op.flags |= KMSGQ_OPEN_CREATE;
	if (chance(w, 20))
		op.flags |= KMSGQ_OPEN_EXCL;
	if (chance(w, fan ? 85 : 45))
		op.flags |= KMSGQ_OPEN_RING;
	/* Fan-out: copy, mapped (RING) or in place; any policy. */
	if (chance(w, !(op.flags & KMSGQ_OPEN_CREATE) ? 3 : fan ? 80 : 25)) {
		op.flags |= KMSGQ_OPEN_FANOUT;
		if ((op.flags & KMSGQ_OPEN_RING) && chance(w, 65))
			op.flags |= KMSGQ_OPEN_INPLACE;
		if (chance(w, 60))
			op.flags |= PICK(w, KMSGQ_OPEN_OVERFLOW_FAIL,
					 KMSGQ_OPEN_OVERFLOW_DROP);
	}
	if (chance(w, 2))
		op.flags |= KMSGQ_OPEN_INPLACE;
	if (chance(w, op.flags & KMSGQ_OPEN_INPLACE ? 40 : fan ? 25 :
		      op.flags & KMSGQ_OPEN_FANOUT ? 15 : 3))
		op.flags |= KMSGQ_OPEN_PUBLISHER;
	op.flags |= must_be_zero(w);
	op.mode = chance(w, 95) ? PICK(w, 0600, 0666, 0644, 0622, 0, 0777) :
				  any32(w);
	/* Small queues mostly: a few of every limit's edges. */
	op.max_msgs = chance(w, 90) ? PICK(w, 0, 1, 2, 3, 4, 8, 16, 64) :
		      PICK(w, 65536, 65537, 4096, UINT32_MAX, any32(w));
	op.max_msgsize = chance(w, 90) ?
		PICK(w, 0, 1, 8, 63, 64, 100, 256, 4096, 8192) :
		PICK(w, 65536, 1U << 20, (1U << 20) + 1, 4U << 20, any32(w));
	op.reserved = must_be_zero(w);
	op.history = chance(w, op.flags & KMSGQ_OPEN_FANOUT ? 75 : 97) ? 0 :
		PICK(w, 1, 4, 64, KMSGQ_HISTORY_ALL, any32(w));
	op.reserved2 = must_be_zero(w);
	ret = fuzz_ioctl(w, OP_BIND, f, KMSGQ_IOC_OPEN, &op, sizeof(op));
	if (!judge(w, ret, ret == 0))
		f->bound = true;
}

static void fuzz_unlink(struct worker *w)
{
	struct kmsgq_unlink ul = { .size = any_size(w, sizeof(ul)) };
	long long ret;

	ul.flags = must_be_zero(w);
	any_name(w, ul.name);
	ret = fuzz_ioctl(w, OP_UNLINK, NULL, KMSGQ_IOC_UNLINK, &ul, sizeof(ul));
	judge(w, ret, ret == 0);
}

static void fuzz_setowner(struct worker *w)
{
	struct kmsgq_setowner so = { .size = any_size(w, sizeof(so)) };
	long long ret;

	so.flags = chance(w, 80) ? 1 + rn(w, 7) : any32(w);
	so.mode = chance(w, 80) ? rn(w, 01000) : any32(w);
	so.uid = chance(w, 80) ? PICK(w, 0, NOBODY, 1000) : any32(w);
	so.gid = chance(w, 80) ? PICK(w, 0, NOBODY, 1000) : any32(w);
	so.reserved = must_be_zero(w);
	any_name(w, so.name);
	ret = fuzz_ioctl(w, OP_SETOWNER, NULL, KMSGQ_IOC_SETOWNER, &so,
			 sizeof(so));
	judge(w, ret, ret == 0);
}

static void fuzz_list(struct worker *w)
{
	struct kmsgq_list l = { .size = any_size(w, sizeof(l)) };
	long long ret;

	l.flags = must_be_zero(w);
	l.cursor = chance(w, 70) ? 0 : chance(w, 50) ? rn(w, 1000) :
						       rnd(&w->rng);
	l.entry_size = chance(w, 80) ? sizeof(struct kmsgq_queue_entry) :
		PICK(w, 0, KMSGQ_QUEUE_ENTRY_SIZE_VER0 - 1,
		     sizeof(struct kmsgq_queue_entry) + 8, 4096, 4097,
		     any32(w));
	l.nr = chance(w, 80) ? 1 + rn(w, 20) :
	       PICK(w, 0, KMSGQ_BATCH_MAX, KMSGQ_BATCH_MAX + 1, any32(w));
	l.entries = any_buf(w, (size_t)min_sz(l.nr, 64) * 160);
	ret = fuzz_ioctl(w, OP_LIST, NULL, KMSGQ_IOC_LIST, &l, sizeof(l));
	judge(w, ret, ret >= 0 && ret <= l.nr);
}

/*
 * A timeout for a call that may sleep: *@flags gets its TIMEOUT,
 * RELATIVE and (if @nonblock_ok) NONBLOCK bits.  Returns whether the call
 * could sleep past a short while, so it needs interrupting.
 */
static bool any_timeout(struct worker *w, bool nonblock_ok, __u32 *flags,
			__s32 *clockid, struct kmsgq_timespec *ts)
{
	__s64 t;

	*clockid = chance(w, 50) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
	switch (rn(w, 20)) {
	case 0 ... 6:
		if (nonblock_ok) {
			*flags |= KMSGQ_XFER_NONBLOCK;
			return false;
		}
		/* fall through */
	case 7 ... 13:
		*flags |= KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE;
		ts->tv_sec = 0;
		ts->tv_nsec = rn(w, SHORT_NS);
		return false;
	case 14 ... 16:		/* a deadline just ahead, or gone by */
		*flags |= KMSGQ_XFER_TIMEOUT;
		t = now_ns(*clockid) + rn(w, SHORT_NS) -
		    (chance(w, 50) ? rn(w, NSEC_PER_SEC) : 0);
		ts->tv_sec = t / NSEC_PER_SEC;
		ts->tv_nsec = t % NSEC_PER_SEC;
		return false;
	}
	/* Noise: bad bits, clocks and times; perhaps a long sleep. */
	*flags |= any32(w) & (chance(w, 80) ? 7 : ~0U);
	*clockid = chance(w, 50) ? (__s32)rn(w, 16) - 2 : (__s32)any32(w);
	ts->tv_sec = chance(w, 50) ? (__s64)rn(w, 3) - 1 : (__s64)rnd(&w->rng);
	ts->tv_nsec = chance(w, 50) ? rn(w, NSEC_PER_SEC + 2) :
				      (__s64)rnd(&w->rng);
	return true;
}

static void fuzz_xfer(struct worker *w, bool send)
{
	struct kmsgq_xfer x = { .size = any_size(w, sizeof(x)) };
	struct wfd *f = queue_fd(w);
	struct kmsgq_msg *m;
	unsigned int i, n;
	bool may_sleep;
	long long ret;
	__u64 arr;

	if (!f)
		return;
	x.nr = chance(w, 60) ? 1 : chance(w, 80) ? 1 + rn(w, 40) :
	       PICK(w, 0, KMSGQ_BATCH_MAX, KMSGQ_BATCH_MAX + 1, any32(w));
	n = min_sz(x.nr, KMSGQ_BATCH_MAX);
	arr = any_buf(w, (size_t)n * sizeof(*m));
	x.msgs = arr;
	/* Fill the array where it is ours to fill. */
	if (arr >= (uintptr_t)w->scratch &&
	    arr + (__u64)n * sizeof(*m) <= (uintptr_t)w->guard) {
		m = (struct kmsgq_msg *)(uintptr_t)arr;
		for (i = 0; i < n; i++) {
			m[i].len = chance(w, 85) ?
				PICK(w, 0, 1, 8, 64, 100, 256, 4096, 8192) :
				PICK(w, 65536, 1U << 20, (1U << 20) + 1,
				     any32(w));
			m[i].buf = any_buf(w, m[i].len);
			m[i].prio = chance(w, 90) ? 0 :
				    PICK(w, 1, 31, 32, any32(w));
		}
	}
	may_sleep = any_timeout(w, true, &x.flags, &x.clockid, &x.timeout);
	may_sleep = may_sleep && !f->nonblock;
	if (may_sleep)
		interrupt_in(w, INTR_NS);
	ret = fuzz_ioctl(w, send ? OP_SEND : OP_RECV, f,
			 send ? KMSGQ_IOC_SEND : KMSGQ_IOC_RECV, &x, sizeof(x));
	if (may_sleep)
		interrupt_in(w, 0);
	judge(w, ret, ret >= 1 && ret <= x.nr);
}

/* GETATTR, STATS or RING_INFO: outputs, all fields but size zero. */
static void fuzz_query(struct worker *w, int op)
{
	static const unsigned long cmds[NR_OPS] = {
		[OP_GETATTR] = KMSGQ_IOC_GETATTR,
		[OP_STATS] = KMSGQ_IOC_STATS,
		[OP_RING_INFO] = KMSGQ_IOC_RING_INFO,
	};
	union {
		__u32 size;
		struct kmsgq_attr attr;
		struct kmsgq_stats st;
		struct kmsgq_ring_info ri;
	} u;
	size_t real = op == OP_GETATTR ? sizeof(u.attr) :
		      op == OP_STATS ? sizeof(u.st) : sizeof(u.ri);
	long long ret;

	memset(&u, 0, sizeof(u));
	u.size = any_size(w, real);
	if (chance(w, 10))
		((__u32 *)&u)[1 + rn(w, real / 4 - 1)] = any32(w);
	ret = fuzz_ioctl(w, op, queue_fd(w), cmds[op], &u, real);
	judge(w, ret, ret == 0);
}

/*
 * mq_notify()'s kernel side: register (nothing, SIGURG, whose default
 * action, ignoring it, interrupts no call, or an eventfd) or remove,
 * through any file.
 */
static void fuzz_notify(struct worker *w)
{
	struct kmsgq_notify n = { .size = any_size(w, sizeof(n)) };
	long long ret;

	n.flags = chance(w, 90) ? PICK(w, 0, 0, KMSGQ_NOTIFY_REMOVE) :
		  any32(w);
	if (!n.flags) {
		n.notify = chance(w, 90) ? rn(w, 3) : any32(w);
		if (n.notify == KMSGQ_NOTIFY_SIGNAL)
			/* Else never a signal: 65 and up, or negative. */
			n.signo = chance(w, 90) ? (int)PICK(w, 0, SIGURG) :
				  chance(w, 50) ? 65 + (int)rn(w, 1000) :
				  -1 - (int)rn(w, 1000);
		if (n.notify == KMSGQ_NOTIFY_EVENTFD)
			n.fd = chance(w, 90) ? w->efd : (int)any32(w);
		if (chance(w, 5))
			n.value = any32(w);
	}
	n.reserved = must_be_zero(w);
	n.id = must_be_zero(w);
	ret = fuzz_ioctl(w, OP_NOTIFY, queue_fd(w), KMSGQ_IOC_NOTIFY, &n,
			 sizeof(n));
	judge(w, ret, ret == 0 || (ret == 1 && n.flags == KMSGQ_NOTIFY_REMOVE));
}

static void fuzz_setattr(struct worker *w)
{
	struct kmsgq_attr a = { .size = any_size(w, sizeof(a)) };
	struct wfd *f = queue_fd(w);
	long long ret;

	if (!f)
		return;
	a.flags = chance(w, 90) ? rn(w, 2) * KMSGQ_ATTR_NONBLOCK : any32(w);
	if (chance(w, 10))
		a.max_msgs = any32(w);
	ret = fuzz_ioctl(w, OP_SETATTR, f, KMSGQ_IOC_SETATTR, &a, sizeof(a));
	/* What it took is what the kernel read: ask the file. */
	if (judge(w, ret, ret == 0) == 0)
		f->nonblock = fcntl(f->fd, F_GETFL) & O_NONBLOCK;
}

static __u32 any_events(struct worker *w)
{
	if (chance(w, 90))
		return PICK(w, KMSGQ_RING_READABLE, KMSGQ_RING_WRITABLE,
			    KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE);
	return PICK(w, 0, any32(w), 0x002, 0x100);
}

static void fuzz_ring_wait(struct worker *w, bool wake)
{
	struct kmsgq_ring_wait rw = { .size = any_size(w, sizeof(rw)) };
	bool may_sleep = false;
	long long ret;

	rw.events = any_events(w);
	if (wake) {
		rw.flags = must_be_zero(w);
		rw.clockid = must_be_zero(w);
	} else {
		/* RING_WAIT ignores O_NONBLOCK and refuses the NONBLOCK bit. */
		may_sleep = any_timeout(w, chance(w, 3), &rw.flags, &rw.clockid,
					&rw.timeout);
		if (chance(w, 30))
			rw.flags |= KMSGQ_RING_WAIT_WAKER;
	}
	if (may_sleep)
		interrupt_in(w, INTR_NS);
	ret = fuzz_ioctl(w, wake ? OP_RING_WAKE : OP_RING_WAIT, queue_fd(w),
			 wake ? KMSGQ_IOC_RING_WAKE : KMSGQ_IOC_RING_WAIT,
			 &rw, sizeof(rw));
	if (may_sleep)
		interrupt_in(w, 0);
	/* A hint the caller asked for, not an event. */
	if (ret > 0 && (rw.flags & KMSGQ_RING_WAIT_WAKER))
		ret &= ~(long long)KMSGQ_RING_WOKEN_LOCAL;
	judge(w, ret, wake ? ret == 0 :
		      ret > 0 && !(ret & ~(long long)rw.events));
}

/* A number no one answers: another driver's, or ours with a wrong direction. */
static void fuzz_ioctl_other(struct worker *w)
{
	/* Types the VFS itself answers for any file: never these. */
	static const unsigned char vfs_types[] = { 0x00, 0x02, 0x15, 'T',
						   'X', 'f', 0x94 };
	struct wfd *f = any_fd(w);
	unsigned long cmd;
	unsigned int i, type;

	if (!f)
		return;
	switch (rn(w, 3)) {
	case 0:
		/* Past the numbers in use and those the next ones will take. */
		cmd = _IOC(rn(w, 4), KMSGQ_IOC_MAGIC, 0x40 + rn(w, 0xc0),
			   rn(w, 512));
		break;
	case 1:		/* one of ours, but _IO or the other direction */
		cmd = _IOC(PICK(w, _IOC_NONE, _IOC_READ), KMSGQ_IOC_MAGIC,
			   rn(w, 0x11), sizeof(struct kmsgq_xfer));
		break;
	default:
		do {
			type = rn(w, 256);
			for (i = 0; i < sizeof(vfs_types); i++)
				if (type == vfs_types[i] ||
				    type == KMSGQ_IOC_MAGIC)
					break;
		} while (i < sizeof(vfs_types));
		cmd = _IOC(rn(w, 4), type, rn(w, 256), rn(w, 1 << 14));
	}
	begin(w, OP_IOCTL_OTHER, f->fd, cmd, 0, 0, 0, 0);
	judge(w, ioctl(f->fd, cmd, (uintptr_t)any_buf(w, 64)), false);
}

/* A read() or write() count: above SSIZE_MAX is EINVAL. */
static size_t any_count(struct worker *w)
{
	if (chance(w, 85))
		return PICK(w, 0, 1, 8, 64, 100, 256, 4096, 8192, 65536);
	switch (rn(w, 4)) {
	case 0: return (1U << 20) + rn(w, 2);
	case 1: return SSIZE_MAX;
	case 2: return (size_t)SSIZE_MAX + 1 + rn(w, 2);
	}
	return rnd(&w->rng);
}

static void fuzz_rw(struct worker *w, bool write_)
{
	struct wfd *f = queue_fd(w);
	size_t count = any_count(w);
	__u64 ubuf = any_buf(w, count);
	void *buf;
	ssize_t ret;

	if (!f)
		return;
	/* A 32-bit pointer cannot hold every bad address. */
	buf = ubuf > UINTPTR_MAX ? w->guard : (void *)(uintptr_t)ubuf;
	if (!f->nonblock)
		interrupt_in(w, INTR_NS);
	begin(w, write_ ? OP_WRITE : OP_READ, f->fd, 0, 0, f->nonblock,
	      (uintptr_t)buf, count);
	ret = write_ ? write(f->fd, buf, count) : read(f->fd, buf, count);
	if (!f->nonblock)
		interrupt_in(w, 0);
	judge(w, ret, write_ ? (size_t)ret == count : (size_t)ret <= count);
}

/* A ring's layout, through a valid RING_INFO: 0, or -1 (not a ring...). */
static int ring_layout(int fd, struct kmsgq_ring_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	if (!ioctl(fd, KMSGQ_IOC_RING_INFO, ri))
		return 0;
	memset(ri, 0, sizeof(*ri));
	return -1;
}

/* The bound queue's attributes, through a valid GETATTR: 0, or -1. */
static int queue_attr(int fd, struct kmsgq_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	if (!ioctl(fd, KMSGQ_IOC_GETATTR, a))
		return 0;
	memset(a, 0, sizeof(*a));
	return -1;
}

static bool is_mapped_fanout(const struct kmsgq_attr *a)
{
	return (a->qflags & (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING)) ==
	       (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING);
}

static size_t page_up(struct worker *w, size_t len)
{
	return (len + w->ps - 1) & ~(w->ps - 1);
}

/*
 * A mapped fan-out queue's payloads and (a guess at) its whole store:
 * the head and the seq[] and len[] arrays, then the payloads from a page
 * boundary.
 */
static size_t payload_size(struct worker *w, const struct kmsgq_attr *a)
{
	return page_up(w, (size_t)a->max_msgs * a->max_msgsize);
}

static size_t store_size(struct worker *w, const struct kmsgq_attr *a)
{
	return page_up(w, sizeof(struct kmsgq_fanout_map) +
			  (size_t)a->max_msgs * 12) + payload_size(w, a);
}

/*
 * The file's queue's layout, and what to map: a ring at offset 0; a
 * mapped fan-out queue's store at offset 0 (read-only) or, mostly if it
 * is in place, its payloads at KMSGQ_FANOUT_PAYLOAD_OFFSET (writable).
 */
static size_t map_plan(struct worker *w, struct wfd *f,
		       struct kmsgq_ring_info *ri, enum map_kind *kind,
		       off_t *off, int *prot)
{
	struct kmsgq_attr a;

	*kind = MAP_RING;
	*off = 0;
	*prot = chance(w, 60) ? PROT_READ | PROT_WRITE :
		chance(w, 50) ? PROT_READ : rn(w, 8);
	if (!ring_layout(f->fd, ri))
		return ri->map_size;
	if (queue_attr(f->fd, &a) || !is_mapped_fanout(&a) ||
	    a.max_msgs > 65536 || a.max_msgsize > (4U << 20))
		return w->ps * (1 + rn(w, 8));
	if (chance(w, a.qflags & KMSGQ_OPEN_INPLACE ? 50 : 10)) {
		*kind = MAP_PAYLOAD;
		*off = KMSGQ_FANOUT_PAYLOAD_OFFSET;
		return chance(w, 80) ? payload_size(w, &a) :
				       w->ps * (1 + rn(w, 4));
	}
	*kind = MAP_STORE;
	if (chance(w, 80))
		*prot = PROT_READ;
	return chance(w, 70) ? store_size(w, &a) : w->ps;
}

static void fuzz_mmap(struct worker *w)
{
	struct wfd *f = queue_fd(w);
	struct kmsgq_ring_info ri;
	struct wmap *m = NULL;
	enum map_kind kind;
	size_t len;
	int i, prot, flags;
	off_t off;
	char *p;

	if (!f)
		return;
	for (i = 0; i < MAX_MAPS && !m; i++)
		if (!w->maps[i].addr)
			m = &w->maps[i];
	if (!m) {
		m = &w->maps[rn(w, MAX_MAPS)];
		begin(w, OP_MUNMAP, -1, 0, 0, 0, (uintptr_t)m->addr, m->len);
		judge(w, munmap(m->addr, m->len), true);
		m->addr = NULL;
	}
	len = map_plan(w, f, &ri, &kind, &off, &prot);
	switch (rn(w, 12)) {
	case 0: len = 0; break;
	case 1: len += w->ps; break;
	case 2: len -= w->ps; break;
	case 3: len = sizeof(void *) == 4 ? 0xfffff000UL : 1UL << 40; break;
	}
	flags = chance(w, 85) ? MAP_SHARED :
		PICK(w, MAP_PRIVATE, MAP_SHARED | MAP_POPULATE);
	if (chance(w, 10))
		off = (off_t)w->ps * PICK(w, 1, 2, 255,
					  (KMSGQ_FANOUT_PAYLOAD_OFFSET >> 12) + 1);
	begin(w, OP_MMAP, f->fd, 0, 0, flags, len, prot);
	p = mmap(NULL, len, prot, flags, f->fd, off);
	if (judge(w, p == MAP_FAILED ? -1 : 0, true) < 0)
		return;
	m->addr = p;
	m->len = len;
	m->prot = prot;
	m->fd = f->fd;
	m->slot = f - w->fds;
	m->gen = f->gen;
	m->kind = off == KMSGQ_FANOUT_PAYLOAD_OFFSET ? MAP_PAYLOAD :
		  off ? MAP_RING : kind;
	m->ri = ri;
}

static void fuzz_munmap(struct worker *w)
{
	struct wmap *m = any_map(w);

	if (!m)
		return;
	if (m->len > w->ps && chance(w, 20)) {
		/* Split it first: the mapping count must follow. */
		begin(w, OP_MUNMAP, -1, 0, 0, 0, (uintptr_t)m->addr, w->ps);
		judge(w, munmap(m->addr, w->ps), true);
		begin(w, OP_MUNMAP, -1, 0, 0, 0, (uintptr_t)m->addr + w->ps,
		      m->len - w->ps);
		judge(w, munmap(m->addr + w->ps, m->len - w->ps), true);
	} else {
		begin(w, OP_MUNMAP, -1, 0, 0, 0, (uintptr_t)m->addr, m->len);
		judge(w, munmap(m->addr, m->len), true);
	}
	m->addr = NULL;
}

static void fuzz_mprotect(struct worker *w)
{
	struct wmap *m = any_map(w);
	int prot = rn(w, 8);

	if (!m)
		return;
	begin(w, OP_MPROTECT, m->fd, 0, 0, prot, (uintptr_t)m->addr, m->len);
	if (judge(w, mprotect(m->addr, m->len, prot), true) == 0)
		m->prot = prot;
}

/* A word of a mapping worth scribbling on: positions, wakeup, descriptors. */
static __u32 *ring_word(struct worker *w, struct wmap *m)
{
	const struct kmsgq_ring_info *ri = &m->ri;
	size_t off;

	if (!ri->nr_slots)
		return (__u32 *)(m->addr + (rn(w, m->len) & ~(size_t)3));
	switch (rn(w, 4)) {
	case 0:
		off = PICK(w, ri->prod_off, ri->cons_off, ri->wakeup_off);
		break;
	case 1:
	case 2:
		off = ri->desc_off + (size_t)rn(w, ri->nr_slots) * 8 +
		      4 * rn(w, 2);
		break;
	default:
		off = ri->data_off + (rn(w, ri->nr_slots * ri->slot_size) &
				      ~(size_t)3);
	}
	return (__u32 *)(m->addr + off);
}

/* Rewrite a few shared words of a writable mapping, or read some. */
static void fuzz_scribble(struct worker *w)
{
	struct wmap *m = any_map(w);
	volatile __u32 *p;
	unsigned int i, n;
	__u32 v;

	if (!m || !(m->prot & PROT_READ) || m->len < w->ps)
		return;
	begin(w, OP_SCRIBBLE, m->fd, 0, 0, m->prot, (uintptr_t)m->addr, m->len);
	n = 1 + rn(w, 8);
	for (i = 0; i < n; i++) {
		p = ring_word(w, m);
		v = *p;
		if (!(m->prot & PROT_WRITE))
			continue;
		switch (rn(w, 4)) {
		case 0: v += rn(w, 5) - 2; break;
		case 1: v = PICK(w, 0, UINT32_MAX, 1, 0x80000000U); break;
		default: v = any32(w);
		}
		*p = v;
	}
	w->rep->ok[OP_SCRIBBLE]++;
}

/* After in-place work: wake the other side's sleepers if they asked. */
static void in_place_done(struct worker *w, struct kmsgq_ring *r,
			  int (*done)(struct kmsgq_ring *r))
{
	int ret;

	begin(w, OP_RING_WAKE, r->fd, KMSGQ_IOC_RING_WAKE, 0, 0, 0, 0);
	ret = done(r);
	if (ret < 0)
		errno = -ret;
	judge(w, ret < 0 ? -1 : 0, true);
}

/* The file @m maps, if it is still open: else NULL. */
static struct wfd *map_file(struct worker *w, struct wmap *m)
{
	struct wfd *f = &w->fds[m->slot];

	return f->fd == m->fd && f->gen == m->gen ? f : NULL;
}

/* A writable mapping of @f's queue's payloads through @f, or NULL. */
static struct wmap *payload_map(struct worker *w, struct wfd *f)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct wmap *m = &w->maps[i];

		if (m->addr && m->kind == MAP_PAYLOAD &&
		    (m->prot & PROT_WRITE) && map_file(w, m) == f)
			return m;
	}
	return NULL;
}

/*
 * A valid FANOUT_ACK on @f, judged: acknowledge every message below @pos
 * (0 just asks), perhaps waiting a short while for more.  Returns the
 * position the kernel reports, or -1.
 */
static long long ack_sane(struct worker *w, struct wfd *f, __u64 pos)
{
	struct kmsgq_fanout_ack *ack = (void *)(w->guard - w->ps);
	long long ret;

	memset(ack, 0, sizeof(*ack));
	ack->size = sizeof(*ack);
	ack->pos = pos;
	if (chance(w, 20)) {
		ack->flags = KMSGQ_FANOUT_ACK_WAIT | KMSGQ_XFER_TIMEOUT |
			     KMSGQ_XFER_RELATIVE;
		ack->clockid = CLOCK_MONOTONIC;
		ack->timeout.tv_nsec = rn(w, SHORT_NS);
	}
	begin(w, OP_FANOUT_ACK, f->fd, KMSGQ_IOC_FANOUT_ACK, ack->size,
	      ack->flags, (uintptr_t)ack, pos);
	ret = ioctl(f->fd, KMSGQ_IOC_FANOUT_ACK, ack);
	judge(w, ret, ret == 0 && ack->pos >= pos && ack->tail >= pos);
	/* The acknowledgment holds when the wait times out. */
	if (ret < 0 && errno != ETIMEDOUT)
		return -1;
	f->tail = ack->tail;
	return ack->pos;
}

/*
 * Read a mapped fan-out store in place, as struct kmsgq_fanout_map says,
 * from the file's position (or anywhere, once the file is closed), then
 * acknowledge what was read.  Someone may have scribbled on the payloads,
 * and a publisher may be reusing slots: nothing read is trusted.
 */
static void fanout_read(struct worker *w, struct wmap *m)
{
	const struct kmsgq_fanout_map *h = (const void *)m->addr;
	struct wfd *f = map_file(w, m);
	const volatile unsigned char *data;
	const __u64 *seq;
	const __u32 *lens;
	__u64 tail, pos, s;
	__u32 nr, size, len, i, n, back;
	long long at;

	if (!(m->prot & PROT_READ))
		return;
	begin(w, OP_IN_PLACE, f ? f->fd : -1, 0, 0, 0, (uintptr_t)m->addr,
	      m->len);
	nr = h->nr_slots;
	size = h->slot_size;
	w->rep->ok[OP_IN_PLACE]++;
	/* Only the head is mapped, or the head is not what it says. */
	if (!nr || (nr & (nr - 1)) || h->seq_off + (__u64)nr * 8 > m->len ||
	    h->len_off + (__u64)nr * 4 > m->len ||
	    h->data_off + (__u64)nr * size > m->len)
		return;
	seq = (const __u64 *)(m->addr + h->seq_off);
	lens = (const __u32 *)(m->addr + h->len_off);
	data = (const volatile unsigned char *)m->addr + h->data_off;
	tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
	at = f ? ack_sane(w, f, 0) : -1;
	back = rn(w, nr + 1);
	pos = at >= 0 ? (__u64)at : tail > back ? tail - back : 0;
	n = 1 + rn(w, 16);
	for (i = 0; i < n && pos < tail; i++, pos++) {
		s = pos & (nr - 1);
		if (__atomic_load_n(&seq[s], __ATOMIC_ACQUIRE) != pos)
			break;		/* lapped */
		len = __atomic_load_n(&lens[s], __ATOMIC_RELAXED);
		if (len == KMSGQ_FANOUT_LEN_HOLE)
			continue;
		if (len > size)
			break;		/* being reused */
		if (len)
			(void)data[s * size + len - 1];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&seq[s], __ATOMIC_RELAXED) != pos)
			break;
	}
	if (f && at >= 0)
		ack_sane(w, f, chance(w, 90) ? pos : f->tail);
}

/*
 * A valid FANOUT_PUBLISH on @f, judged: commit what the file holds, with
 * payloads written through @m if it is given, then reserve a few slots
 * without waiting long.  What the file holds is learnt from the result.
 */
static void publish_sane(struct worker *w, struct wfd *f, struct wmap *m,
			 const struct kmsgq_attr *a)
{
	struct kmsgq_fanout_publish *p = (void *)(w->guard - w->ps);
	__u32 *lens = (__u32 *)(w->guard - w->ps / 2);
	__u32 i, n, held = f->held > 0 ? f->held : 0;
	size_t off;
	long long ret;
	bool ok;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->lens = (uintptr_t)lens;
	p->nr_commit = chance(w, 90) ? held : rn(w, held + 1);
	for (i = 0; i < p->nr_commit; i++) {
		lens[i] = chance(w, 90) ? rn(w, a->max_msgsize + 1) :
					  KMSGQ_FANOUT_LEN_HOLE;
		off = ((f->first + i) & (a->max_msgs - 1)) *
		      (size_t)a->max_msgsize;
		if (m && lens[i] != KMSGQ_FANOUT_LEN_HOLE &&
		    off + lens[i] <= m->len)
			memset(m->addr + off, 'p', lens[i]);
	}
	/* Unknown holdings: ask. */
	if (f->held >= 0 && p->nr_commit == held)
		p->nr_reserve = chance(w, 80) ? 1 + rn(w, 8) :
				rn(w, KMSGQ_FANOUT_RESERVE_MAX + 1);
	if (chance(w, 50)) {
		p->flags = KMSGQ_XFER_NONBLOCK;
	} else {
		p->flags = KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE;
		p->clockid = chance(w, 50) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		p->timeout.tv_nsec = rn(w, SHORT_NS);
	}
	n = p->nr_reserve;
	p->nr_reserved = UINT32_MAX;	/* not written, unless it is */
	begin(w, OP_FANOUT_PUBLISH, f->fd, KMSGQ_IOC_FANOUT_PUBLISH, p->size,
	      p->flags, (uintptr_t)p, p->nr_commit | (__u64)n << 32);
	ret = ioctl(f->fd, KMSGQ_IOC_FANOUT_PUBLISH, p);
	ok = ret >= 0 && ret <= KMSGQ_FANOUT_RESERVE_MAX &&
	     ret == p->nr_reserved && (n ? ret >= 1 && ret <= n :
				      f->held < 0 || ret == held - p->nr_commit);
	judge(w, ret, ok);
	f->held = p->nr_reserved <= KMSGQ_FANOUT_RESERVE_MAX ?
		  (int)p->nr_reserved : -1;
	f->first = p->first;
}

/*
 * Produce or consume in place through <kmsgq.h>, as a peer of the kernel,
 * on a ring someone may have scribbled on; wake the kernel's sleepers
 * through the mapped file if it is still open.  On a fan-out queue, read
 * its store in place, or publish what its payloads hold.
 */
static void fuzz_in_place(struct worker *w)
{
	struct wmap *m = any_map(w);
	struct kmsgq_attr a;
	struct wfd *f;
	struct kmsgq_ring r;
	const void *p;
	unsigned int n, i;
	__u32 pos = 0, len;

	if (m && m->kind == MAP_STORE) {
		fanout_read(w, m);
		return;
	}
	if (m && m->kind == MAP_PAYLOAD) {
		f = map_file(w, m);
		if (f && (m->prot & PROT_WRITE) && !queue_attr(f->fd, &a) &&
		    (a.qflags & KMSGQ_OPEN_INPLACE))
			publish_sane(w, f, m, &a);
		return;
	}
	if (!m || !m->ri.nr_slots || (m->prot & (PROT_READ | PROT_WRITE)) !=
				     (PROT_READ | PROT_WRITE))
		return;
	f = &w->fds[m->slot];
	memset(&r, 0, sizeof(r));
	r.fd = f->fd == m->fd && f->gen == m->gen ? m->fd : -1;
	r.nr_slots = m->ri.nr_slots;
	r.mask = m->ri.nr_slots - 1;
	r.slot_size = m->ri.slot_size;
	r.prod = (__u32 *)(m->addr + m->ri.prod_off);
	r.cons = (__u32 *)(m->addr + m->ri.cons_off);
	r.wakeup = (__u32 *)(m->addr + m->ri.wakeup_off);
	r.desc = (struct kmsgq_ring_desc *)(m->addr + m->ri.desc_off);
	r.data = (unsigned char *)m->addr + m->ri.data_off;
	r.map = m->addr;
	r.map_size = m->len;

	begin(w, OP_IN_PLACE, r.fd, 0, 0, 0, (uintptr_t)m->addr, m->len);
	if (chance(w, 50)) {
		n = kmsgq_ring_reserve(&r, 1 + rn(w, 4), &pos);
		for (i = 0; i < n; i++) {
			len = chance(w, 95) ? rn(w, r.slot_size + 1) : UINT32_MAX;
			if (len <= r.slot_size)
				memset(kmsgq_ring_slot(&r, pos + i), 'i', len);
			kmsgq_ring_commit(&r, pos + i, len);
		}
		w->rep->ok[OP_IN_PLACE]++;
		if (n && r.fd >= 0)
			in_place_done(w, &r, kmsgq_ring_commit_done);
	} else {
		n = kmsgq_ring_claim(&r, 1 + rn(w, 4), &pos);
		for (i = 0; i < n; i++) {
			p = kmsgq_ring_msg(&r, pos + i, &len);
			if (p && len)
				(void)*(volatile const char *)p;
		}
		kmsgq_ring_release(&r, pos, n);
		w->rep->ok[OP_IN_PLACE]++;
		if (n && r.fd >= 0)
			in_place_done(w, &r, kmsgq_ring_release_done);
	}
}

/* An in-place fan-out queue's file with write access, or NULL. */
static struct wfd *publisher_fd(struct worker *w, struct kmsgq_attr *a)
{
	unsigned int i, start = rn(w, MAX_FDS);

	for (i = 0; i < MAX_FDS; i++) {
		struct wfd *f = &w->fds[(start + i) % MAX_FDS];

		if (f->fd >= 0 && f->bound &&
		    (fcntl(f->fd, F_GETFL) & O_ACCMODE) != O_RDONLY &&
		    !queue_attr(f->fd, a) && (a->qflags & KMSGQ_OPEN_INPLACE))
			return f;
	}
	return NULL;
}

/* A lengths array for FANOUT_PUBLISH, with every length that matters. */
static __u64 any_lens(struct worker *w, __u32 nr, __u32 slot_size)
{
	__u64 arr;
	__u32 *lens;
	unsigned int i, n = min_sz(nr, 512);

	if (chance(w, 8))
		return chance(w, 50) ? bad_addr(w) :
		       (uintptr_t)w->guard - 4 * rn(w, n + 1);
	arr = any_buf(w, (size_t)n * 4) & ~(__u64)3;
	if (arr < (uintptr_t)w->scratch ||
	    arr + (__u64)n * 4 > (uintptr_t)w->guard)
		return arr;
	lens = (__u32 *)(uintptr_t)arr;
	for (i = 0; i < n; i++)
		lens[i] = chance(w, 70) ? rn(w, slot_size + 1) :
			  PICK(w, 0, slot_size, slot_size + 1,
			       KMSGQ_FANOUT_LEN_HOLE, KMSGQ_FANOUT_LEN_PENDING,
			       any32(w));
	return arr;
}

/*
 * FANOUT_PUBLISH: often a valid one on an in-place queue's publisher, so
 * that slots are really reserved and committed; else random sizes, flags,
 * counts (up to past KMSGQ_FANOUT_RESERVE_MAX) and lengths arrays, on any
 * file.  Neither waits for room longer than a short deadline or the
 * interrupting timer.
 */
static void fuzz_fanout_publish(struct worker *w)
{
	struct kmsgq_fanout_publish p = { .size = any_size(w, sizeof(p)) };
	struct kmsgq_attr a;
	struct wfd *f;
	bool may_sleep;
	long long ret;

	if (chance(w, 50)) {
		f = publisher_fd(w, &a);
		if (f) {
			publish_sane(w, f, payload_map(w, f), &a);
			return;
		}
	}
	f = queue_fd(w);
	if (!f)
		return;
	queue_attr(f->fd, &a);
	p.nr_commit = chance(w, 50) && f->held >= 0 ? (__u32)f->held :
		      rn(w, chance(w, 80) ? 8 : 301);
	p.nr_reserve = chance(w, 80) ? rn(w, 9) : rn(w, 301);
	p.lens = any_lens(w, p.nr_commit, a.max_msgsize ?: 64);
	may_sleep = any_timeout(w, true, &p.flags, &p.clockid, &p.timeout);
	may_sleep = may_sleep && !f->nonblock;
	if (chance(w, 10))
		p.first = rnd(&w->rng);
	if (may_sleep)
		interrupt_in(w, INTR_NS);
	ret = fuzz_ioctl(w, OP_FANOUT_PUBLISH, f, KMSGQ_IOC_FANOUT_PUBLISH,
			 &p, sizeof(p));
	if (may_sleep)
		interrupt_in(w, 0);
	judge(w, ret, ret >= 0 && ret <= KMSGQ_FANOUT_RESERVE_MAX);
	f->held = ret >= 0 ? (int)ret : -1;
}

/*
 * FANOUT_ACK with random sizes, flags, positions (around the tail last
 * seen) and, with KMSGQ_FANOUT_ACK_WAIT, timeouts: no wait outlives the
 * interrupting timer.
 */
static void fuzz_fanout_ack(struct worker *w)
{
	struct kmsgq_fanout_ack ack = { .size = any_size(w, sizeof(ack)) };
	struct kmsgq_fanout_ack *out;
	struct wfd *f = queue_fd(w);
	bool may_sleep = false;
	long long ret;

	if (!f)
		return;
	if (chance(w, 30)) {
		/* ACK_WAIT ignores O_NONBLOCK and refuses the NONBLOCK bit. */
		ack.flags = KMSGQ_FANOUT_ACK_WAIT;
		may_sleep = any_timeout(w, chance(w, 3), &ack.flags,
					&ack.clockid, &ack.timeout);
	} else if (chance(w, 10)) {
		ack.flags = PICK(w, KMSGQ_XFER_TIMEOUT, KMSGQ_XFER_NONBLOCK,
				 any32(w));
	}
	switch (rn(w, 8)) {
	case 0: ack.pos = rn(w, 1000); break;
	case 1: ack.pos = f->tail + 1 + rn(w, 2); break;
	case 2: ack.pos = rnd(&w->rng); break;
	case 3: ack.pos = f->tail > 8 ? f->tail - rn(w, 8) : 0; break;
	case 4:
	case 5: ack.pos = f->tail; break;
	}
	if (chance(w, 10))
		ack.tail = rnd(&w->rng);
	ack.reserved = must_be_zero(w);
	if (may_sleep)
		interrupt_in(w, INTR_NS);
	ret = fuzz_ioctl(w, OP_FANOUT_ACK, f, KMSGQ_IOC_FANOUT_ACK, &ack,
			 sizeof(ack));
	if (may_sleep)
		interrupt_in(w, 0);
	/* Where the kernel wrote the results, they are whole. */
	if (!judge(w, ret, ret == 0)) {
		out = (void *)(uintptr_t)w->rep->last.a;
		f->tail = out->tail;
	}
}

static void fuzz_subscribers(struct worker *w)
{
	struct kmsgq_subscribers sl = { .size = any_size(w, sizeof(sl)) };
	long long ret;

	sl.flags = must_be_zero(w);
	sl.cursor = chance(w, 70) ? 0 : chance(w, 50) ? rn(w, 100) :
						       rnd(&w->rng);
	sl.entry_size = chance(w, 80) ? sizeof(struct kmsgq_subscriber) :
		PICK(w, 0, KMSGQ_SUBSCRIBER_SIZE_VER0 - 1,
		     sizeof(struct kmsgq_subscriber) + 8, 4096, 4097,
		     any32(w));
	sl.nr = chance(w, 80) ? rn(w, 20) :
		PICK(w, KMSGQ_BATCH_MAX, KMSGQ_BATCH_MAX + 1, any32(w));
	sl.subs = any_buf(w, (size_t)min_sz(sl.nr, 64) *
			     min_sz(sl.entry_size, 4096));
	if (chance(w, 10))
		sl.total = any32(w);
	sl.reserved = must_be_zero(w);
	ret = fuzz_ioctl(w, OP_SUBSCRIBERS, queue_fd(w), KMSGQ_IOC_SUBSCRIBERS,
			 &sl, sizeof(sl));
	judge(w, ret, ret >= 0 && ret <= sl.nr);
}

static void fuzz_poll(struct worker *w)
{
	struct pollfd pfd[MAX_FDS + 1];
	unsigned int i, n = 0;
	int ms = chance(w, 80) ? 0 : 1;

	for (i = 0; i < MAX_FDS; i++) {
		if (w->fds[i].fd < 0 && chance(w, 80))
			continue;
		pfd[n].fd = w->fds[i].fd;
		pfd[n].events = chance(w, 80) ?
			PICK(w, POLLIN, POLLOUT, POLLIN | POLLOUT) : any32(w);
		n++;
	}
	begin(w, OP_POLL, -1, 0, n, 0, ms, 0);
	judge(w, poll(pfd, n, ms), true);
}

static void fuzz_epoll(struct worker *w)
{
	struct epoll_event ev = { 0 }, evs[8];
	struct wfd *f = any_fd(w);
	int op, ms;

	if (!f || chance(w, 50)) {
		ms = chance(w, 80) ? 0 : 1;
		begin(w, OP_EPOLL_WAIT, w->epfd, 0, 0, 0, ms, 0);
		judge(w, epoll_wait(w->epfd, evs, 8, ms), true);
		return;
	}
	op = PICK(w, EPOLL_CTL_ADD, EPOLL_CTL_ADD, EPOLL_CTL_MOD,
		  EPOLL_CTL_DEL);
	ev.events = PICK(w, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT) |
		    (chance(w, 40) ? EPOLLET : 0) |
		    (chance(w, 10) ? EPOLLONESHOT : 0) |
		    (chance(w, 10) ? EPOLLEXCLUSIVE : 0);
	begin(w, OP_EPOLL_CTL, f->fd, op, 0, ev.events, 0, 0);
	judge(w, epoll_ctl(w->epfd, op, f->fd, &ev), true);
}

/* ---- a worker ---- */

static int worker_setup(struct worker *w)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR1,
	};
	struct sigaction sa = { .sa_handler = on_intr };	/* no SA_RESTART */
	char *area;
	int i;

	w->ps = getpagesize();
	area = mmap(NULL, SCRATCH_SIZE + 2 * w->ps, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	w->scratch = area + w->ps;
	w->guard = w->scratch + SCRATCH_SIZE;
	if (mprotect(w->scratch, SCRATCH_SIZE, PROT_READ | PROT_WRITE))
		return -errno;
	for (i = 0; i < MAX_FDS; i++)
		w->fds[i].fd = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || sigaction(SIGUSR1, &sa, NULL) ||
	    timer_create(CLOCK_MONOTONIC, &sev, &w->intr))
		return -errno;
	return 0;
}

static void worker_step(struct worker *w)
{
	static unsigned int total;
	unsigned int i, r;

	if (!total)
		for (i = 0; i < NR_OPS; i++)
			total += op_weight[i];
	r = rn(w, total);
	for (i = 0; r >= op_weight[i]; i++)
		r -= op_weight[i];
	/* Most calls need a file: open one if there is none. */
	if (!any_fd(w) || i == OP_OPEN) {
		fuzz_open(w);
		return;
	}
	switch (i) {
	case OP_CLOSE: fuzz_close(w); break;
	case OP_INFO: fuzz_info(w); break;
	case OP_BIND: fuzz_bind(w); break;
	case OP_UNLINK: fuzz_unlink(w); break;
	case OP_SETOWNER: fuzz_setowner(w); break;
	case OP_NOTIFY: fuzz_notify(w); break;
	case OP_LIST: fuzz_list(w); break;
	case OP_SEND: fuzz_xfer(w, true); break;
	case OP_RECV: fuzz_xfer(w, false); break;
	case OP_GETATTR:
	case OP_STATS:
	case OP_RING_INFO: fuzz_query(w, i); break;
	case OP_SETATTR: fuzz_setattr(w); break;
	case OP_RING_WAIT: fuzz_ring_wait(w, false); break;
	case OP_RING_WAKE: fuzz_ring_wait(w, true); break;
	case OP_IOCTL_OTHER: fuzz_ioctl_other(w); break;
	case OP_READ: fuzz_rw(w, false); break;
	case OP_WRITE: fuzz_rw(w, true); break;
	case OP_MMAP: fuzz_mmap(w); break;
	case OP_MUNMAP: fuzz_munmap(w); break;
	case OP_MPROTECT: fuzz_mprotect(w); break;
	case OP_SCRIBBLE: fuzz_scribble(w); break;
	case OP_IN_PLACE: fuzz_in_place(w); break;
	case OP_POLL: fuzz_poll(w); break;
	case OP_EPOLL_CTL:
	case OP_EPOLL_WAIT: fuzz_epoll(w); break;
	case OP_FANOUT_ACK: fuzz_fanout_ack(w); break;
	case OP_SUBSCRIBERS: fuzz_subscribers(w); break;
	case OP_FANOUT_PUBLISH: fuzz_fanout_publish(w); break;
	}
}

/* A worker process: @calls random calls, then close everything.  Exits. */
static void worker_run(unsigned int idx, struct report *rep,
		       char (*names)[KMSGQ_NAME_MAX], unsigned long calls)
{
	struct worker w = { .rep = rep, .names = names };
	int i;

	w.rng = fuzz_seed ^ (0x9e3779b97f4a7c15ULL * (idx + 1));
	if (!w.rng)
		w.rng = 1;
	for (i = 0; i < 8; i++)
		rnd(&w.rng);
	/* The harness's SIGALRM handler is not for workers. */
	signal(SIGALRM, SIG_DFL);
	if (idx == NOBODY_WORKER && become(NOBODY, NOBODY))
		_exit(2);
	if (worker_setup(&w))
		_exit(3);
	alarm(HANG_S);
	while (rep->calls < calls)
		worker_step(&w);
	for (i = 0; i < MAX_FDS; i++)
		if (w.fds[i].fd >= 0)
			close(w.fds[i].fd);
	for (i = 0; i < MAX_MAPS; i++)
		if (w.maps[i].addr)
			munmap(w.maps[i].addr, w.maps[i].len);
	_exit(0);
}

/* ---- the test ---- */

FIXTURE(fuzz) {
	char prefix[24];
	char names[NAMES][KMSGQ_NAME_MAX];
	struct report *rep;	/* WORKERS of them, shared */
	struct kids kids;
};

FIXTURE_SETUP(fuzz)
{
	int i;

	snprintf(self->prefix, sizeof(self->prefix), "fz%d-", getpid());
	for (i = 0; i < NAMES; i++) {
		snprintf(self->names[i], KMSGQ_NAME_MAX, "%s%d", self->prefix, i);
		kmsgq_unlink(self->names[i]);
	}
	self->rep = mmap(NULL, WORKERS * sizeof(*self->rep),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	ASSERT_NE(MAP_FAILED, self->rep);
	memset(self->rep, 0, WORKERS * sizeof(*self->rep));
	self->kids.nr = 0;
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	kids_kill(&self->kids);
	for (i = 0; i < NAMES; i++)
		kmsgq_unlink(self->names[i]);
	munmap(self->rep, WORKERS * sizeof(*self->rep));
}

static void print_call(const char *what, const struct call *c)
{
	ksft_print_msg("fuzz:   %s%s fd %d cmd %#x size %u flags %#x args %#llx %#llx\n",
		       what, op_name[c->op], c->fd, c->cmd, c->size, c->flags,
		       (unsigned long long)c->a, (unsigned long long)c->b);
}

/* Per call: successes, then failures by errno, most frequent first. */
static void print_totals(const struct report *rep)
{
	unsigned long ok, errs[ERRNO_MAX], most;
	char line[512];
	int op, e, top, len;
	unsigned int i;

	for (op = 0; op < NR_OPS; op++) {
		ok = 0;
		memset(errs, 0, sizeof(errs));
		for (i = 0; i < WORKERS; i++) {
			ok += rep[i].ok[op];
			for (e = 0; e < ERRNO_MAX; e++)
				errs[e] += rep[i].errs[op][e];
		}
		len = snprintf(line, sizeof(line), "%-12s %7lu ok", op_name[op],
			       ok);
		for (;;) {
			for (most = 0, top = -1, e = 0; e < ERRNO_MAX; e++) {
				if (errs[e] > most) {
					most = errs[e];
					top = e;
				}
			}
			if (top < 0 || len >= (int)sizeof(line) - 32)
				break;
			len += snprintf(line + len, sizeof(line) - len, ", %s %lu",
					top ? strerrorname_np(top) : "other",
					errs[top]);
			errs[top] = 0;
		}
		ksft_print_msg("fuzz:   %s\n", line);
	}
}

/*
 * Random calls by WORKERS processes, one unprivileged, on shared names:
 * every error documented, no hang, nothing left behind.
 */
TEST_F_TIMEOUT(fuzz, random_calls_fail_only_as_documented, 600)
{
	unsigned long calls = 0;
	unsigned int i, j, odd = 0, hung = 0;
	int before, after, ours = 0, status;
	pid_t pid, pids[WORKERS];
	__s64 start, ns;

	ksft_print_msg("fuzz: seed %#llx, %lu calls by %d workers (KMSGQ_FUZZ_SEED, KMSGQ_FUZZ_CALLS)\n",
		       (unsigned long long)fuzz_seed, fuzz_calls, WORKERS);
	before = debugfs_count_queues(self->prefix, &ours);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, ours);

	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = kids_fork(&self->kids);
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			worker_run(i, &self->rep[i], self->names,
				   (fuzz_calls + WORKERS - 1) / WORKERS);
	}
	for (i = 0; i < WORKERS; i++) {
		pid = kids_wait(&self->kids, -1, &status);
		ASSERT_LT(0, pid);
		for (j = 0; pids[j] != pid; j++)
			;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			hung++;
			ksft_print_msg("fuzz: worker %u made no progress for %d s, in:\n",
				       j, HANG_S);
		} else if (!exited_ok(status)) {
			hung++;
			ksft_print_msg("fuzz: worker %u ended with status %#x, last in:\n",
				       j, status);
		} else {
			continue;
		}
		print_call("", &self->rep[j].last);
	}
	ns = now_ns(CLOCK_MONOTONIC) - start;

	for (i = 0; i < WORKERS; i++) {
		const struct report *r = &self->rep[i];

		calls += r->calls;
		for (j = 0; j < r->nr_odd; j++) {
			const struct odd *o = &r->odd[j];

			if (o->err)
				ksft_print_msg("fuzz: worker %u: %s failed with %s (%d), %lu times; first:\n",
					       i, op_name[o->call.op],
					       strerror(o->err), o->err,
					       o->count);
			else
				ksft_print_msg("fuzz: worker %u: %s returned %lld, %lu times; first:\n",
					       i, op_name[o->call.op], o->ret,
					       o->count);
			print_call("", &o->call);
			odd++;
		}
		odd += r->odd_dropped;
	}
	ksft_print_msg("fuzz: %lu calls in %.1f s: %.0f calls/s\n", calls,
		       ns / 1e9, calls / (ns / 1e9));
	print_totals(self->rep);

	for (i = 0; i < NAMES; i++)
		kmsgq_unlink(self->names[i]);
	after = debugfs_count_queues(self->prefix, &ours);
	EXPECT_EQ(0, hung);
	EXPECT_EQ(0, odd);
	EXPECT_EQ(0, ours);
	EXPECT_EQ(before, after);
}

/*
 * Environment variable @name as a number in *@val, if it is set: false if
 * it is set to something else.
 */
static bool env_number(const char *name, unsigned long long *val)
{
	const char *text = getenv(name);
	char *end;

	if (!text || !*text)
		return true;
	errno = 0;
	*val = strtoull(text, &end, 0);
	if (!errno && !*end)
		return true;
	fprintf(stderr, "fuzz_test: %s: not a number: '%s'\n", name, text);
	return false;
}

/*
 * KMSGQ_FUZZ_SEED and KMSGQ_FUZZ_CALLS, or the defaults.  A last argument
 * --soak makes the defaults SOAK_CALLS and a fresh seed, unless
 * KMSGQ_SOAK_SEED gives one.
 */
int main(int argc, char **argv)
{
	bool soak = argc > 1 && !strcmp(argv[argc - 1], "--soak");
	unsigned long long seed = DEFAULT_SEED, calls = DEFAULT_CALLS;

	if (soak) {
		argv[--argc] = NULL;
		seed = now_ns(CLOCK_REALTIME) ^ ((__u64)getpid() << 32);
		calls = SOAK_CALLS;
		if (!env_number("KMSGQ_SOAK_SEED", &seed))
			return KSFT_FAIL;
	}
	if (!env_number("KMSGQ_FUZZ_SEED", &seed) ||
	    !env_number("KMSGQ_FUZZ_CALLS", &calls))
		return KSFT_FAIL;
	fuzz_seed = seed;
	fuzz_calls = calls ?: 1;
	/* Allow 200 calls a second, the slowest a debug kernel should go. */
	_fuzz_random_calls_fail_only_as_documented_object->timeout =
		120 + fuzz_calls / 200;
	return test_harness_run(argc, argv);
}
