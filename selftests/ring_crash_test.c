// SPDX-License-Identifier: GPL-2.0
/*
 * Description: in-place ring producers and consumers SIGKILLed at any point
 * of reserve, fill, commit and of claim, read, release, hundreds of times,
 * on a ring queue that reclaims what a dead process held
 * (KMSGQ_OPEN_RECLAIM): the survivors and the replacements, each with a
 * file of its own, keep moving messages, and every message a producer
 * committed is received exactly once or counted in msgs_lost.
 *
 * Workers are forked processes; each binds its own file to the queue and
 * maps it, as separate programs would, so that its death is the end of
 * that file and mapping.  The test kills one worker at a time: half the
 * time after a random delay, else at a point of its loop where the worker
 * parks on the test's request (crash_stop_here()), so that every window
 * between a claim and its end is hit on purpose.  After every kill a new
 * worker takes the dead one's place, and every worker must then move on
 * (commit or release a batch) within the stall deadline; one that does not
 * is a stall, which fails the test and ends the run.  Workers never use
 * ASSERT or EXPECT; they count what they saw in shared memory and the test
 * judges.  Every wait has a deadline, and workers die with the test
 * (PR_SET_PDEATHSIG) if teardown does not get to kill them.
 *
 * What is checked, messages being (producer id, sequence) pairs, each
 * producer process having an id of its own and counting from 0:
 * - a producer records a message sent right after committing it, so a
 *   killed producer may have committed one message it did not record;
 * - consumers (and at the end the test, draining the queue with copy-mode
 *   receives) record each message they read before releasing it;
 * - no message is ever received twice, and none arrives intact that was
 *   not sent;
 * - a received message not recorded sent is the one its producer was
 *   committing when it was killed;
 * - every message recorded sent but not received is counted in msgs_lost:
 *   missing <= lost;
 * - received + lost <= recorded sent + what the kills leave unknown: one
 *   message per producer killed between commit and record, and the batch a
 *   consumer held when it was killed (read and recorded, then released and
 *   counted lost by the kernel);
 * - once every worker is gone and the queue drained, it is empty and a
 *   full lap of messages goes through it.
 *
 * Environment:
 *   KMSGQ_CRASH_KILLS=N	kills per test (default 200, at most 2000)
 *   KMSGQ_CRASH_STALL_SECS=N	seconds without progress that make a stall
 *				(default 30)
 *   KMSGQ_CRASH_SEED=N		seed of the choices of victims and points
 *   KMSGQ_CRASH_CLASSIC=1	a ring created without KMSGQ_OPEN_RECLAIM,
 *				whatever the module offers: shows the stall
 *				that reclaim cures (the test then fails)
 * Without KMSGQ_CRASH_CLASSIC, a module or <linux/kmsgq.h> without
 * KMSGQ_FEAT_RECLAIM / KMSGQ_OPEN_RECLAIM skips the test.
 */
#include "ring_test.h"

#include <sched.h>
#include <sys/prctl.h>

#ifdef KMSGQ_OPEN_RECLAIM
#define CRASH_OPEN_RECLAIM	KMSGQ_OPEN_RECLAIM
#define CRASH_FEAT_RECLAIM	KMSGQ_FEAT_RECLAIM
#else
#define CRASH_OPEN_RECLAIM	0
#define CRASH_FEAT_RECLAIM	0ULL
#endif

#define CRASH_DEPTH		16
#define CRASH_MSGSIZE		128
#define CRASH_BATCH_MAX		8
#define CRASH_WORKERS_MAX	4	/* their pids live in struct kids */
#define CRASH_IDS		4096	/* producer processes of one test */
#define CRASH_SEQS		8192	/* messages of one producer process */
#define CRASH_KILLS		200
#define CRASH_KILLS_MAX		2000
/*
 * As ring_stress_test's STALL_MS: a TCG guest on a busy host can leave a
 * runnable worker without a CPU for seconds; a real stall lasts forever.
 */
#define CRASH_STALL_SECS	30
/* Longest random delay before a kill at no particular point. */
#define CRASH_DELAY_US		3000

_Static_assert(CRASH_WORKERS_MAX <= KIDS_MAX, "workers are kids");

enum crash_role {
	CRASH_PRODUCER,
	CRASH_CONSUMER,
};

/* Where a worker parks, when the test asks, to be killed there. */
enum crash_point {
	CRASH_ANYWHERE,		/* no parking: killed after a random delay */
	CRASH_RESERVED,		/* producer: slots reserved, none written */
	CRASH_FILLED,		/* producer: all written, none committed */
	CRASH_COMMITTING,	/* producer: half the batch committed */
	CRASH_UNRECORDED,	/* producer: a message committed, not recorded */
	CRASH_CLAIMED,		/* consumer: slots claimed, none read */
	CRASH_READ,		/* consumer: all read and recorded, none released */
	CRASH_RELEASING,	/* consumer: half the batch released */
	CRASH_NR_POINTS
};

static const char *const crash_point_name[CRASH_NR_POINTS] = {
	"anywhere", "reserved", "filled", "committing", "unrecorded",
	"claimed", "read", "releasing",
};

/* One worker's place; its process changes with every kill. */
struct crash_worker {
	__u32 role;
	__u32 id;		/* a producer's id */
	__u32 stop_at;		/* the test: park at this point */
	__u32 parked;		/* the worker: parked at this point */
	/*
	 * What a kill now would leave unknown: for a producer 1 while a
	 * message may be committed and not recorded; for a consumer the
	 * slots it holds, which may be recorded and then counted lost.
	 */
	__u32 unsettled;
	__u32 owner;		/* the worker's claimant token (reclaiming) */
	unsigned long long progress;	/* batches committed or released */
};

/* What the workers and the test share. */
struct crash_shared {
	struct crash_worker w[CRASH_WORKERS_MAX];
	__u32 sent[CRASH_IDS];		/* messages recorded sent, per id */
	__u8 killed[CRASH_IDS];		/* the producer of this id was killed */
	__u32 seen[CRASH_IDS][CRASH_SEQS / 32];	/* received, a bit each */
	unsigned int stop;
	unsigned int duplicates, corrupt, failures, empties, wait_timeouts;
	char first_error[160];
};

/* The message header; a pattern() of its own follows. */
struct crash_msg {
	__u32 id;
	__u32 seq;
};

/* The test's side of a run. */
struct crash_run {
	struct crash_shared *sh;
	char *name;			/* the queue's */
	int fd;				/* the test's file of it: never mapped */
	unsigned int nr;		/* workers */
	pid_t *pid;			/* each worker's, in rctx.kids */
	__u32 next_id;
	uint64_t rnd;
	unsigned int kills_asked;
	int stall_ms;
	bool classic;
	/* What the kills so far leave unknown (struct crash_worker). */
	unsigned long long unrecorded_allowed, released_allowed;
	unsigned int kills[2][CRASH_NR_POINTS];	/* by role and point */
	unsigned int retired;
};

/* A worker's side. */
struct crash_ctx {
	struct crash_shared *sh;
	struct crash_worker *w;
	struct kmsgq_ring r;
	uint64_t rnd;
	int stall_ms;
};

/* ---- both sides ---- */

static __u32 crash_len(__u32 id, __u32 seq)
{
	return sizeof(struct crash_msg) +
	       mix32(id << 16 ^ seq) %
	       (CRASH_MSGSIZE - sizeof(struct crash_msg) + 1);
}

static void crash_fill(void *slot, __u32 id, __u32 seq)
{
	struct crash_msg m = { .id = id, .seq = seq };

	memcpy(slot, &m, sizeof(m));
	pattern((char *)slot + sizeof(m), crash_len(id, seq) - sizeof(m),
		id * CRASH_SEQS + seq);
}

static void crash_error(struct crash_shared *sh, unsigned int *counter,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Count an error in *@counter; the first of the run is kept in words. */
static void crash_error(struct crash_shared *sh, unsigned int *counter,
			const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	if (sh->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(sh->first_error, sizeof(sh->first_error), fmt, ap);
	va_end(ap);
}

/* Check a message read by @who and mark it received, once. */
static void crash_record(struct crash_shared *sh, const void *p, __u32 len,
			 const char *who)
{
	const char *payload = (const char *)p + sizeof(struct crash_msg);
	struct crash_msg m;
	__u32 bit;

	if (len < sizeof(m)) {
		crash_error(sh, &sh->corrupt, "%s: %u-byte message", who, len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	if (m.id >= CRASH_IDS || m.seq >= CRASH_SEQS ||
	    len != crash_len(m.id, m.seq) ||
	    !pattern_ok(payload, len - sizeof(m), m.id * CRASH_SEQS + m.seq)) {
		crash_error(sh, &sh->corrupt,
			    "%s: corrupt message (id %u seq %u len %u)", who,
			    m.id, m.seq, len);
		return;
	}
	bit = 1U << (m.seq % 32);
	if (__atomic_fetch_or(&sh->seen[m.id][m.seq / 32], bit,
			      __ATOMIC_SEQ_CST) & bit)
		crash_error(sh, &sh->duplicates,
			    "%s: id %u seq %u received twice", who, m.id, m.seq);
}

/* ---- workers ---- */

static void crash_on_signal(int sig)
{
	(void)sig;
}

/* Park here if the test asked: until killed, or until it stops the run. */
static void crash_stop_here(struct crash_worker *w, enum crash_point at)
{
	if (__atomic_load_n(&w->stop_at, __ATOMIC_ACQUIRE) != at)
		return;
	__atomic_store_n(&w->parked, at, __ATOMIC_RELEASE);
	while (__atomic_load_n(&w->stop_at, __ATOMIC_ACQUIRE) == at)
		sched_yield();
	__atomic_store_n(&w->parked, CRASH_ANYWHERE, __ATOMIC_RELEASE);
}

/* A point of the loop: park if asked, and now and then linger a little. */
static void crash_point(struct crash_ctx *c, enum crash_point at)
{
	uint64_t x = rnd(&c->rnd);
	unsigned int i;

	crash_stop_here(c->w, at);
	if (x % 8 == 0)
		usleep(x >> 8 & 255);
	else if (x % 8 == 1)
		for (i = 0; i < (x >> 8) % 32; i++)
			sched_yield();
}

static bool crash_stopping(const struct crash_ctx *c)
{
	return __atomic_load_n(&c->sh->stop, __ATOMIC_ACQUIRE);
}

/* A batch size: 1 a quarter of the time, else 1..@max. */
static unsigned int crash_batch(struct crash_ctx *c, unsigned int max)
{
	uint64_t x = rnd(&c->rnd);
	unsigned int n = x % 4 ? 1 + (x >> 8) % CRASH_BATCH_MAX : 1;

	return n < max ? n : max;
}

/*
 * Sleep until the ring is @events; a signal or the deadline ends it too.
 * The deadline is three stall times away, so that a lost wakeup stalls
 * the run, with every worker asleep when it is logged, instead of ending
 * as the stall is found.
 */
static void crash_wait(struct crash_ctx *c, unsigned int events)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC,
					 3LL * c->stall_ms * NSEC_PER_MSEC);
	int ret = kmsgq_ring_wait(&c->r, events, CLOCK_MONOTONIC, &dl);

	if (ret == -ETIMEDOUT) {
		__atomic_fetch_add(&c->sh->wait_timeouts, 1, __ATOMIC_RELAXED);
	} else if (ret < 0 && ret != -EINTR) {
		crash_error(c->sh, &c->sh->failures, "pid %d: ring wait: %s",
			    getpid(), strerror(-ret));
		_exit(1);
	}
}

static void __attribute__((noreturn)) crash_producer(struct crash_ctx *c)
{
	struct crash_worker *w = c->w;
	__u32 id = w->id, seq = 0, i, n;
	uint32_t pos;
	int ret;

	while (!crash_stopping(c) && seq < CRASH_SEQS) {
		n = kmsgq_ring_reserve(&c->r, crash_batch(c, CRASH_SEQS - seq),
				       &pos);
		if (!n) {
			crash_wait(c, KMSGQ_RING_WRITABLE);
			continue;
		}
		crash_point(c, CRASH_RESERVED);
		for (i = 0; i < n; i++)
			crash_fill(kmsgq_ring_slot(&c->r, pos + i), id, seq + i);
		crash_point(c, CRASH_FILLED);
		for (i = 0; i < n; i++, seq++) {
			if (i && i == n / 2)
				crash_point(c, CRASH_COMMITTING);
			__atomic_store_n(&w->unsettled, 1, __ATOMIC_SEQ_CST);
			kmsgq_ring_commit(&c->r, pos + i, crash_len(id, seq));
			crash_point(c, CRASH_UNRECORDED);
			__atomic_store_n(&c->sh->sent[id], seq + 1,
					 __ATOMIC_SEQ_CST);
			__atomic_store_n(&w->unsettled, 0, __ATOMIC_SEQ_CST);
		}
		ret = kmsgq_ring_commit_done(&c->r);
		if (ret) {
			crash_error(c->sh, &c->sh->failures,
				    "producer %u: commit_done: %s", id,
				    strerror(-ret));
			_exit(1);
		}
		__atomic_fetch_add(&w->progress, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

static void __attribute__((noreturn)) crash_consumer(struct crash_ctx *c)
{
	struct crash_worker *w = c->w;
	uint32_t pos, len, i, n, half;
	const void *p;
	int ret;

	while (!crash_stopping(c)) {
		n = kmsgq_ring_claim(&c->r, crash_batch(c, CRASH_BATCH_MAX),
				     &pos);
		if (!n) {
			crash_wait(c, KMSGQ_RING_READABLE);
			continue;
		}
		__atomic_store_n(&w->unsettled, n, __ATOMIC_SEQ_CST);
		crash_point(c, CRASH_CLAIMED);
		for (i = 0; i < n; i++) {
			p = kmsgq_ring_msg(&c->r, pos + i, &len);
			if (p)
				crash_record(c->sh, p, len, "consumer");
			else
				__atomic_fetch_add(&c->sh->empties, 1,
						   __ATOMIC_RELAXED);
		}
		crash_point(c, CRASH_READ);
		half = n / 2;
		if (half) {
			kmsgq_ring_release(&c->r, pos, half);
			crash_point(c, CRASH_RELEASING);
		}
		kmsgq_ring_release(&c->r, pos + half, n - half);
		__atomic_store_n(&w->unsettled, 0, __ATOMIC_SEQ_CST);
		ret = kmsgq_ring_release_done(&c->r);
		if (ret) {
			crash_error(c->sh, &c->sh->failures,
				    "consumer: release_done: %s",
				    strerror(-ret));
			_exit(1);
		}
		__atomic_fetch_add(&w->progress, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

/*
 * A worker process: it dies with the test, binds and maps a file of its
 * own (the test's stays the test's), and works until the run stops.
 */
static void __attribute__((noreturn))
crash_worker(struct crash_run *t, unsigned int slot, pid_t test)
{
	struct crash_ctx c = {
		.sh = t->sh,
		.w = &t->sh->w[slot],
		.rnd = t->rnd ^ (uint64_t)getpid() << 32,
		.stall_ms = t->stall_ms,
	};
	int fd, ret;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != test)
		_exit(1);
	close(t->fd);
	fd = kmsgq_open(t->name, O_RDWR, 0, NULL);
	if (fd < 0) {
		crash_error(c.sh, &c.sh->failures, "worker: open: %s",
			    strerror(-fd));
		_exit(1);
	}
	ret = kmsgq_ring_map(fd, &c.r);
	if (ret) {
		crash_error(c.sh, &c.sh->failures, "worker: map: %s",
			    strerror(-ret));
		_exit(1);
	}
	__atomic_store_n(&c.w->owner, c.r.owner, __ATOMIC_RELAXED);
	if (c.w->role == CRASH_PRODUCER)
		crash_producer(&c);
	crash_consumer(&c);
}

/* ---- the test's side ---- */

/* Environment variable @name as a number up to @max, else @def. */
static unsigned long crash_env(const char *name, unsigned long def,
			       unsigned long max)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end)
		return def;
	return v < max ? v : max;
}

/* Start a worker in @slot, a producer with an id of its own: 0 or -errno. */
static int crash_spawn(struct crash_run *t, unsigned int slot)
{
	struct crash_worker *w = &t->sh->w[slot];
	pid_t test = getpid(), pid;

	if (w->role == CRASH_PRODUCER) {
		if (t->next_id == CRASH_IDS)
			return -ENOSPC;
		w->id = t->next_id++;
	}
	w->stop_at = CRASH_ANYWHERE;
	w->parked = CRASH_ANYWHERE;
	w->unsettled = 0;
	w->owner = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		crash_worker(t, slot, test);
	t->pid[slot] = pid;
	return 0;
}

/*
 * Worker @slot has ended with wait status @status while the run goes on:
 * account for a kill, or for a producer that used up its sequence numbers,
 * and start its replacement.  Any other end fails the run: false.
 */
static bool crash_replace(struct __test_metadata *_metadata,
			  struct crash_run *t, unsigned int slot, int status,
			  enum crash_point at)
{
	struct crash_worker *w = &t->sh->w[slot];
	bool producer = w->role == CRASH_PRODUCER;
	int ret;

	t->pid[slot] = 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		t->kills[w->role][at]++;
		if (producer) {
			t->sh->killed[w->id] = 1;
			t->unrecorded_allowed += w->unsettled;
		} else {
			t->released_allowed += w->unsettled;
		}
	} else if (producer && exited_ok(status) &&
		   t->sh->sent[w->id] == CRASH_SEQS) {
		t->retired++;
	} else {
		TH_LOG("worker %u ended (status %#x): %s", slot, status,
		       t->sh->first_error);
		return false;
	}
	ret = crash_spawn(t, slot);
	if (ret) {
		TH_LOG("starting a worker: %s", strerror(-ret));
		return false;
	}
	return true;
}

/* Replace the workers that ended by themselves: false if one failed. */
static bool crash_tend(struct __test_metadata *_metadata, struct crash_run *t)
{
	unsigned int i;
	int status;

	for (i = 0; i < t->nr; i++)
		if (t->pid[i] > 0 &&
		    waitpid(t->pid[i], &status, WNOHANG) == t->pid[i] &&
		    !crash_replace(_metadata, t, i, status, CRASH_ANYWHERE))
			return false;
	return true;
}

static unsigned long long crash_progress(const struct crash_run *t,
					 unsigned int slot)
{
	return __atomic_load_n(&t->sh->w[slot].progress, __ATOMIC_ACQUIRE);
}

/* Say where every worker and the ring stand: a stall was found. */
static void crash_log_stall(struct __test_metadata *_metadata,
			    struct crash_run *t, const unsigned long long *since)
{
	struct kmsgq_stats st = stats(t->fd);
	struct kmsgq_ring r;
	unsigned int i, kills = 0;
	uint32_t prod, cons;

	for (i = 0; i < CRASH_NR_POINTS; i++)
		kills += t->kills[CRASH_PRODUCER][i] +
			 t->kills[CRASH_CONSUMER][i];
	TH_LOG("stall after %u kills: no progress for %d ms", kills,
	       t->stall_ms);
	for (i = 0; i < t->nr; i++)
		TH_LOG("  %s %u (pid %d, state %c, token %u): %llu batches, %llu before, parked at %s",
		       t->sh->w[i].role == CRASH_PRODUCER ? "producer" :
		       "consumer", i, t->pid[i], task_state(t->pid[i]) ?: '?',
		       t->sh->w[i].owner, crash_progress(t, i), since[i],
		       crash_point_name[t->sh->w[i].parked % CRASH_NR_POINTS]);
	TH_LOG("  queue: %u messages, %llu lost", st.cur_msgs, st.msgs_lost);
	/* The ring's state, seen through a mapping made only now. */
	if (kmsgq_ring_map(t->fd, &r))
		return;
	prod = __atomic_load_n(r.prod, __ATOMIC_ACQUIRE);
	cons = __atomic_load_n(r.cons, __ATOMIC_ACQUIRE);
	TH_LOG("  ring: prod %u (slot seq %u owner %u), cons %u (slot seq %u owner %u)",
	       prod, *desc_seq(&r, prod),
	       r.rdesc ? r.rdesc[prod & r.mask].owner : 0, cons,
	       *desc_seq(&r, cons), r.rdesc ? r.rdesc[cons & r.mask].owner : 0);
	for (i = 0; i < r.nr_slots; i++)
		TH_LOG("  slot %2u: seq %u owner %u len %u", i,
		       *desc_seq(&r, i), r.rdesc ? r.rdesc[i].owner : 0,
		       r.rdesc ? r.rdesc[i].len : r.desc[i].len);
	kmsgq_ring_unmap(&r);
}

/*
 * Wait until every worker has moved on since the call: false, with the
 * stall logged, if one has not within the stall deadline.
 */
static bool crash_all_progress(struct __test_metadata *_metadata,
			       struct crash_run *t)
{
	unsigned long long since[CRASH_WORKERS_MAX];
	__s64 end = now_ns(CLOCK_MONOTONIC) + t->stall_ms * NSEC_PER_MSEC;
	unsigned int i, moved;

	for (i = 0; i < t->nr; i++)
		since[i] = crash_progress(t, i);
	for (;;) {
		for (i = 0, moved = 0; i < t->nr; i++)
			moved += crash_progress(t, i) != since[i];
		if (moved == t->nr)
			return true;
		if (!crash_tend(_metadata, t))
			return false;
		if (now_ns(CLOCK_MONOTONIC) > end) {
			crash_log_stall(_metadata, t, since);
			return false;
		}
		usleep(1000);
	}
}

/*
 * SIGKILL worker @slot at point @at, or after a random delay, and start
 * its replacement: 1 once done; 0 if the worker ended by itself first (and
 * was replaced); -1 if the run fails (a stall, or a worker that failed).
 */
static int crash_kill(struct __test_metadata *_metadata, struct crash_run *t,
		      unsigned int slot, enum crash_point at)
{
	struct crash_worker *w = &t->sh->w[slot];
	__s64 end = now_ns(CLOCK_MONOTONIC) + t->stall_ms * NSEC_PER_MSEC;
	unsigned long long since[CRASH_WORKERS_MAX];
	pid_t pid = t->pid[slot];
	unsigned int i;
	int status;

	if (at == CRASH_ANYWHERE)
		usleep(rnd(&t->rnd) % CRASH_DELAY_US);
	else
		__atomic_store_n(&w->stop_at, at, __ATOMIC_SEQ_CST);
	for (i = 0; i < t->nr; i++)
		since[i] = crash_progress(t, i);
	while (at != CRASH_ANYWHERE &&
	       __atomic_load_n(&w->parked, __ATOMIC_ACQUIRE) != at) {
		if (!crash_tend(_metadata, t))
			return -1;
		if (t->pid[slot] != pid)
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end) {
			TH_LOG("%s %u never got to point \"%s\"",
			       w->role == CRASH_PRODUCER ? "producer" :
			       "consumer", slot, crash_point_name[at]);
			crash_log_stall(_metadata, t, since);
			return -1;
		}
		usleep(1000);
	}
	if (kill(pid, SIGKILL))
		return -1;
	status = reap_within(pid, t->stall_ms);
	if (status < 0) {
		TH_LOG("worker %u (pid %d) still there %d ms after SIGKILL",
		       slot, pid, t->stall_ms);
		return -1;
	}
	return crash_replace(_metadata, t, slot, status, at) ? 1 : -1;
}

/* A point in @role's loop to kill it at; CRASH_ANYWHERE half the time. */
static enum crash_point crash_pick_point(struct crash_run *t,
					 enum crash_role role)
{
	uint64_t x = rnd(&t->rnd);

	if (x % 2)
		return CRASH_ANYWHERE;
	x >>= 8;
	if (role == CRASH_PRODUCER)
		return CRASH_RESERVED + x % (CRASH_UNRECORDED - CRASH_RESERVED + 1);
	return CRASH_CLAIMED + x % (CRASH_RELEASING - CRASH_CLAIMED + 1);
}

/*
 * End the run: every worker finishes its batch and exits 0 within the
 * stall deadline (SIGUSR1 interrupts its waits), or is killed and logged.
 * Returns whether all exited so.
 */
static bool crash_stop_all(struct __test_metadata *_metadata,
			   struct crash_run *t)
{
	__s64 end = now_ns(CLOCK_MONOTONIC) + t->stall_ms * NSEC_PER_MSEC;
	unsigned int i, left;
	bool ok = true;
	int status;

	__atomic_store_n(&t->sh->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < t->nr; i++)
		__atomic_store_n(&t->sh->w[i].stop_at, CRASH_ANYWHERE,
				 __ATOMIC_SEQ_CST);
	do {
		for (i = 0, left = 0; i < t->nr; i++) {
			if (t->pid[i] <= 0)
				continue;
			if (waitpid(t->pid[i], &status, WNOHANG) != t->pid[i]) {
				kill(t->pid[i], SIGUSR1);
				left++;
				continue;
			}
			t->pid[i] = 0;
			if (!exited_ok(status)) {
				TH_LOG("worker %u ended (status %#x): %s", i,
				       status, t->sh->first_error);
				ok = false;
			}
		}
		if (left)
			usleep(10000);
	} while (left && now_ns(CLOCK_MONOTONIC) < end);
	for (i = 0; i < t->nr; i++) {
		if (t->pid[i] <= 0)
			continue;
		TH_LOG("worker %u (pid %d) did not stop", i, t->pid[i]);
		kill(t->pid[i], SIGKILL);
		waitpid(t->pid[i], NULL, 0);
		t->pid[i] = 0;
		ok = false;
	}
	return ok;
}

/* Take every message left through the kernel: how many. */
static unsigned long long crash_drain(struct __test_metadata *_metadata,
				      struct crash_run *t)
{
	static unsigned char bufs[CRASH_BATCH_MAX][CRASH_MSGSIZE];
	struct kmsgq_msg m[CRASH_BATCH_MAX];
	unsigned long long n = 0;
	int ret, i;

	for (;;) {
		for (i = 0; i < CRASH_BATCH_MAX; i++)
			m[i] = (struct kmsgq_msg){
				.buf = (uintptr_t)bufs[i],
				.len = CRASH_MSGSIZE,
			};
		ret = kmsgq_receive_batch(t->fd, m, CRASH_BATCH_MAX,
					  KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC,
					  NULL);
		if (ret < 0)
			break;
		for (i = 0; i < ret; i++)
			crash_record(t->sh, bufs[i], m[i].len, "drain");
		n += ret;
	}
	EXPECT_EQ(-EAGAIN, ret);
	return n;
}

/* The receipts set against what was recorded sent. */
struct crash_tally {
	unsigned long long sent;	/* recorded sent */
	unsigned long long received;	/* of those, received */
	unsigned long long missing;	/* of those, not received */
	unsigned long long unrecorded;	/* received, committed at a kill */
	unsigned long long invented;	/* received, never committed */
};

static struct crash_tally crash_count(struct __test_metadata *_metadata,
				      const struct crash_run *t)
{
	const struct crash_shared *sh = t->sh;
	struct crash_tally n = { 0 };
	__u32 id, seq, sent, word;

	for (id = 0; id < CRASH_IDS; id++) {
		sent = id < t->next_id ? sh->sent[id] : 0;
		n.sent += sent;
		for (seq = 0; seq < sent; seq++) {
			if (sh->seen[id][seq / 32] & 1U << (seq % 32))
				n.received++;
			else
				n.missing++;
		}
		/* Past what was recorded sent: whole words, mostly zero. */
		for (seq = sent & ~31U; seq < CRASH_SEQS; seq += 32) {
			word = sh->seen[id][seq / 32];
			if (seq < sent)
				word &= ~0U << (sent - seq);
			if (!word)
				continue;
			if (sh->killed[id] && word & 1U << (sent % 32) &&
			    sent / 32 == seq / 32) {
				n.unrecorded++;
				word &= ~(1U << (sent % 32));
			}
			n.invented += __builtin_popcount(word);
			if (word)
				TH_LOG("id %u, seq %u and on: %#x received, not sent",
				       id, seq, word);
		}
	}
	return n;
}

FIXTURE(crash) {
	struct rctx q;
	struct crash_run t;
};

FIXTURE_VARIANT(crash) {
	unsigned int nr_prod;
	unsigned int nr_cons;
};

FIXTURE_VARIANT_ADD(crash, one_by_one) {
	.nr_prod = 1, .nr_cons = 1,
};

FIXTURE_VARIANT_ADD(crash, two_by_two) {
	.nr_prod = 2, .nr_cons = 2,
};

FIXTURE_SETUP(crash)
{
	struct sigaction sa = { .sa_handler = crash_on_signal };
	struct crash_run *t = &self->t;
	__u32 qflags = KMSGQ_OPEN_RING;
	struct kmsgq_info info;
	unsigned int i;
	int ret;

	t->sh = MAP_FAILED;
	t->classic = crash_env("KMSGQ_CRASH_CLASSIC", 0, 1);
	if (!t->classic) {
		if (!CRASH_OPEN_RECLAIM)
			SKIP(return, "<linux/kmsgq.h> has no KMSGQ_OPEN_RECLAIM");
		ret = kmsgq_info(-1, &info);
		if (ret)
			SKIP(return, "kmsgq_info: %s", strerror(-ret));
		if (!(info.features & CRASH_FEAT_RECLAIM))
			SKIP(return, "the module lacks KMSGQ_FEAT_RECLAIM");
		qflags |= CRASH_OPEN_RECLAIM;
	}
	rctx_setup(_metadata, &self->q, qflags, CRASH_DEPTH, CRASH_MSGSIZE,
		   false);
	if (self->q.fd < 0)
		return;
	t->sh = mmap(NULL, sizeof(*t->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->sh);
	t->name = self->q.name;
	t->fd = self->q.fd;
	t->nr = variant->nr_prod + variant->nr_cons;
	ASSERT_GE(CRASH_WORKERS_MAX, t->nr);
	/* Slot for slot, so that teardown kills the workers left. */
	t->pid = self->q.kids.pid;
	self->q.kids.nr = t->nr;
	for (i = 0; i < t->nr; i++)
		t->sh->w[i].role = i < variant->nr_prod ? CRASH_PRODUCER :
				   CRASH_CONSUMER;
	t->kills_asked = crash_env("KMSGQ_CRASH_KILLS", CRASH_KILLS,
				   CRASH_KILLS_MAX);
	t->stall_ms = 1000 * crash_env("KMSGQ_CRASH_STALL_SECS",
				       CRASH_STALL_SECS, 600);
	t->rnd = crash_env("KMSGQ_CRASH_SEED", 0x5eed, ~0UL) | 1;
	/* Inherited by the workers: it only interrupts their waits. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(crash)
{
	rctx_teardown(&self->q);
	if (self->t.sh != MAP_FAILED)
		munmap(self->t.sh, sizeof(*self->t.sh));
}

TEST_F_TIMEOUT(crash, killed_workers_stall_nobody_and_lose_no_message, 1800)
{
	struct crash_run *t = &self->t;
	struct crash_shared *sh = t->sh;
	unsigned int i, kills = 0, attempts = 0, lap, tag;
	unsigned long long drained;
	struct timespec dl;
	struct crash_tally n;
	struct kmsgq_stats st;
	__s64 start = now_ns(CLOCK_MONOTONIC);
	enum crash_point at;
	bool going, stopped;
	int ret;

	TH_LOG("%s ring, %u producers, %u consumers, %u kills, stall %d ms, seed %#llx",
	       t->classic ? "classic" : "reclaiming", variant->nr_prod,
	       variant->nr_cons, t->kills_asked, t->stall_ms,
	       (unsigned long long)t->rnd);
	for (i = 0; i < t->nr; i++)
		ASSERT_EQ(0, crash_spawn(t, i));
	going = crash_all_progress(_metadata, t);
	while (going && kills < t->kills_asked) {
		/* A worker that keeps exiting by itself is a failure too. */
		ASSERT_GT(4 * t->kills_asked + 100, attempts++);
		i = rnd(&t->rnd) % t->nr;
		at = crash_pick_point(t, t->sh->w[i].role);
		ret = crash_kill(_metadata, t, i, at);
		if (ret > 0)
			kills++;
		going = ret >= 0 && crash_all_progress(_metadata, t);
	}
	stopped = crash_stop_all(_metadata, t);
	EXPECT_TRUE(going) TH_LOG("the run ended after %u of %u kills", kills,
				  t->kills_asked);
	EXPECT_TRUE(stopped);
	EXPECT_EQ(0, sh->failures) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->corrupt) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->duplicates) TH_LOG("%s", sh->first_error);
	for (i = 0; i < CRASH_NR_POINTS; i++)
		TH_LOG("killed at %-10s: %4u producers, %4u consumers",
		       crash_point_name[i], t->kills[CRASH_PRODUCER][i],
		       t->kills[CRASH_CONSUMER][i]);
	if (!going || !stopped)
		return;

	drained = crash_drain(_metadata, t);
	EXPECT_EQ(0, sh->corrupt) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->duplicates) TH_LOG("%s", sh->first_error);
	n = crash_count(_metadata, t);
	st = stats(t->fd);
	TH_LOG("%llu sent, %llu received (%llu drained), %llu committed at a kill, %llu lost, %u empty slots, %u producers retired, %u wait timeouts, %lld s",
	       n.sent, n.received + n.unrecorded, drained, n.unrecorded,
	       st.msgs_lost, sh->empties, t->retired, sh->wait_timeouts,
	       (now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_SEC);
	EXPECT_EQ(0, n.invented);
	EXPECT_LE(n.unrecorded, t->unrecorded_allowed);
	EXPECT_LE(n.missing, st.msgs_lost)
		TH_LOG("recorded sent, neither received nor counted lost");
	EXPECT_LE(n.received + n.unrecorded + st.msgs_lost,
		  n.sent + t->unrecorded_allowed + t->released_allowed);
	EXPECT_LT(0, n.received);

	/* Nothing is held any more: empty, and a whole lap goes through. */
	EXPECT_EQ(0, st.cur_msgs);
	for (lap = 0; lap < CRASH_DEPTH; lap++) {
		ret = kmsgq_send_batch(t->fd, &(struct kmsgq_msg){
			.buf = (uintptr_t)&lap, .len = sizeof(lap) }, 1,
			KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL);
		if (ret != 1)
			break;
	}
	EXPECT_EQ(CRASH_DEPTH, lap) TH_LOG("send: %s", strerror(-ret));
	for (i = 0; i < lap; i++) {
		dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
		EXPECT_EQ(sizeof(tag), kmsgq_timedreceive(t->fd, &tag,
				sizeof(tag), NULL, CLOCK_MONOTONIC, &dl));
		EXPECT_EQ(i, tag);
	}
}

TEST_HARNESS_MAIN
