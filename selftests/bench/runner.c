// SPDX-License-Identifier: GPL-2.0
/*
 * runner.c - the workloads: the children of a run (producer, consumer,
 * pinger, ponger), one run of one transport, and a cell (workload x size)
 * of interleaved rounds over every transport.
 *
 *   stream 1:1   a producer process and a consumer process (fork), pinned to
 *                CPU 0 and CPU 1; msgs/s for each message size
 *   pingpong     round trips between two processes (pinned likewise) over
 *                two queues; median and p99 of the round-trip time
 *   stream 4:4   4 producers and 4 consumers on one queue, not pinned;
 *                aggregate msgs/s
 *   fan-out 1:S  a publisher and S subscribers, not pinned; each subscriber
 *                receives every message (a fan-out queue, or a channel per
 *                subscriber that the publisher sends each message to);
 *                msgs/s published, and the publisher's own CPU per message
 * Each also with every process on CPU 0 (*_1cpu) and, on request, placed as
 * above with a busy process per CPU beside the run (*_oversub).
 * Every cell runs all transports in turn, A B C ... A B C ..., for several
 * rounds; the median round is reported.  Within a cell every transport
 * moves the same number of messages, chosen from a calibration pass so that
 * the slowest transport takes about --time seconds per round (or --msgs).
 * CPU time is user + system time of the children (getrusage RUSAGE_CHILDREN)
 * divided by the messages moved (round trips for pingpong).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench.h"

struct runner_shared {
	atomic_uint prod_done;
	atomic_uint cons_done;
	struct bench_child_res res[BENCH_MAX_CHILDREN];
};

static struct runner_shared *sh;

struct runner_cell runner_cells[BENCH_MAX_CELLS];
int runner_ncells;

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

/* --------------------------------------------------------- endpoints */

struct job {
	const struct runner_cell *c;
	int wl;
	int t;
	size_t size;
	uint64_t n;		/* messages per producer, or round trips */
	unsigned int subs;	/* fan-out: subscribers */
	struct bench_chan ch[BENCH_MAX_CHILDREN];
	int nchan;
};

/* Set up @c for transport @t; -1 with bench_setup_err set if it cannot. */
static int chan_create(struct bench_chan *c, int t, size_t size,
		       unsigned int depth)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	c->depth = depth;
	c->fds[0] = c->fds[1] = -1;
	return bench_transports[t]->chan_create(c);
}

/* In a child: open the producer (@prod) or consumer end of @c. */
static int ep_open(struct bench_ep *e, int t, const struct bench_chan *c,
		   int prod, int whole)
{
	memset(e, 0, sizeof(*e));
	e->t = bench_transports[t];
	e->size = c->size;
	e->whole_records = whole;
	e->stride = (c->size + BENCH_HDR_ROOM + 63) & ~(size_t)63;
	e->buf = aligned_alloc(64, e->stride * BENCH_BATCH);
	if (!e->buf) {
		bench_fail("out of memory");
		return -1;
	}
	memset(e->buf, 0, e->stride * BENCH_BATCH);	/* fault it in now */
	return bench_transports[t]->ep_open(e, c, prod);
}

/* -------------------------------------------------------- stream loops */

/* Producer of a stream: messages first_seq .. first_seq + n - 1. */
static int produce(const struct bench_transport *tr, struct bench_ep *e,
		   uint64_t seq, uint64_t left)
{
	if (tr->produce)
		return tr->produce(e, seq, left);
	for (; left; left--, seq++)
		if (tr->send_one(e, seq))
			return -1;
	return 0;
}

/* Consumer of a stream: @left messages (ordered) or up to a marker. */
static int consume(const struct bench_transport *tr, struct bench_ep *e,
		   uint64_t left, struct bench_cons *cs)
{
	uint64_t seq;
	int r, stop = 0;

	if (tr->consume)
		return tr->consume(e, left, cs);
	while (left && !stop) {
		if (tr->recv_one(e, &seq))
			return -1;
		r = bench_account(cs, seq);
		if (r < 0)
			return -1;
		stop |= r;
		if (cs->ordered)
			left--;
	}
	return 0;
}

/*
 * Fan-out publisher: @n messages, each to every subscriber.  One endpoint
 * (a fan-out queue): a stream's producer.  One per subscriber: every
 * message is filled once and sent through each.
 */
static int publish(const struct bench_transport *tr, struct bench_ep *ep,
		   unsigned int nep, uint64_t n)
{
	uint64_t seq;
	unsigned int k;

	if (nep == 1)
		return produce(tr, ep, 0, n);
	for (seq = 0; seq < n; seq++) {
		if (tr->send_one(&ep[0], seq))
			return -1;
		for (k = 1; k < nep; k++)
			if (tr->resend(&ep[k], &ep[0]))
				return -1;
	}
	return 0;
}

/* An end marker if the descriptor has room within a millisecond. */
int runner_try_send_poll(struct bench_ep *e, uint64_t seq)
{
	struct pollfd pfd = { .fd = e->fd, .events = POLLOUT };
	int ret = poll(&pfd, 1, 1);

	if (ret < 0 && errno != EINTR) {
		bench_fail("poll: %s", strerror(errno));
		return -1;
	}
	if (ret <= 0)
		return 0;
	return e->t->send_one(e, seq) ? -1 : 1;
}

/*
 * 4:4: the last producer to finish sends end markers until every consumer
 * has seen one (a consumer leaves at the first marker it meets, and a batch
 * consumer may swallow several).  Never blocks for long: the queue may be
 * full of markers nobody will read.
 */
static int send_markers(const struct bench_transport *tr, struct bench_ep *e)
{
	while (atomic_load(&sh->cons_done) < bench_cfg.mpmc_n)
		if (tr->try_send(e, BENCH_MARKER) < 0)
			return -1;
	return 0;
}

/* ----------------------------------------------------------- children */

enum { R_PROD, R_CONS, R_PING, R_PONG, R_PUB, R_SUB };

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= bench_sys.ncpus)
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
static int ping(const struct bench_transport *tr, struct bench_ep *tx,
		struct bench_ep *rx, uint64_t n)
{
	unsigned int warm = n / 20 < 100 ? n / 20 : 100;
	uint64_t *lat, i, seq, sum = 0, done;
	struct bench_child_res *me = bench_self;
	double deadline;

	lat = malloc(n * sizeof(*lat));
	if (!lat) {
		bench_fail("out of memory");
		return -1;
	}
	memset(lat, 0, n * sizeof(*lat));
	for (i = 0; i < warm; i++)
		if (tr->send_one(tx, i) || tr->recv_one(rx, &seq))
			return -1;
	me->warm = warm;
	me->t_start = bench_now_s();
	deadline = me->t_start + bench_cfg.pp_cap;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		if (tr->send_one(tx, warm + i) || tr->recv_one(rx, &seq))
			return -1;
		t1 = bench_now_ns();
		if (seq != warm + i) {
			bench_fail("pong answered %" PRIu64 " to %" PRIu64, seq,
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
	me->t_end = bench_now_s();
	done = i;
	if (tr->send_one(tx, BENCH_MARKER))
		return -1;
	me->count = done;
	qsort(lat, done, sizeof(*lat), cmp_u64);
	me->lat_med_ns = done % 2 ? lat[done / 2] :
			 (lat[done / 2 - 1] + lat[done / 2]) / 2;
	me->lat_p99_ns = lat[(done * 99) / 100 < done ? (done * 99) / 100 :
			     done - 1];
	me->lat_mean_ns = sum / done;
	free(lat);
	return 0;
}

static int pong(const struct bench_transport *tr, struct bench_ep *rx,
		struct bench_ep *tx)
{
	uint64_t i, seq;

	bench_self->t_start = bench_now_s();
	for (i = 0;; i++) {
		if (tr->recv_one(rx, &seq))
			return -1;
		if (seq == BENCH_MARKER)
			break;
		if (seq != i) {
			bench_fail("ping sent %" PRIu64 ", expected %" PRIu64,
				   seq, i);
			return -1;
		}
		if (tr->send_one(tx, seq))
			return -1;
	}
	bench_self->t_end = bench_now_s();
	return 0;
}

/* Voluntary context switches so far: a sleep in the kernel is one. */
static uint64_t nvcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw;
}

/* CPU time of this process so far, in ns. */
static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* CPU time of this thread so far, in ns. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Are the waits' CPU times taken (--verbose, not --no-spin-time)? */
static int runner_spin_time(void)
{
	return bench_cfg.verbose && !bench_cfg.no_spin_time;
}

uint64_t bench_wait_begin(void)
{
	bench_self->waits++;
	return runner_spin_time() ? thread_cpu_ns() : 0;
}

void bench_wait_end(uint64_t begin)
{
	if (runner_spin_time())
		bench_self->wait_cpu_ns += thread_cpu_ns() - begin;
}

static void child(const struct job *j, int role, int idx, int ready_w, int go_r)
{
	static struct bench_ep pub[BENCH_MAX_CHILDREN];
	const struct bench_transport *tr = bench_transports[j->t];
	int mpmc = BENCH_IS_MPMC(j->wl), fanout = BENCH_IS_FANOUT(j->wl);
	struct bench_cons cs = { 0 };
	struct bench_ep a, b;
	int ret = -1, k;
	char c;

	bench_self = &sh->res[idx];
	if (BENCH_ONECPU(j->wl))
		pin(0);
	else if (fanout && bench_cfg.fanout_pin)
		pin(role == R_PUB ? 0 : 1);
	else if (!mpmc && !fanout && bench_cfg.placement != BENCH_PIN_NONE)
		pin(role == R_PROD || role == R_PING ||
		    bench_cfg.placement == BENCH_PIN_SAME ? 0 : 1);

	switch (role) {
	case R_PROD:
		ret = ep_open(&a, j->t, &j->ch[0], 1, 0);
		break;
	case R_CONS:
		ret = ep_open(&a, j->t, &j->ch[0], 0, mpmc);
		break;
	case R_PING:
		ret = ep_open(&a, j->t, &j->ch[0], 1, 0);
		if (!ret)
			ret = ep_open(&b, j->t, &j->ch[1], 0, 0);
		break;
	case R_PONG:
		ret = ep_open(&a, j->t, &j->ch[0], 0, 0);
		if (!ret)
			ret = ep_open(&b, j->t, &j->ch[1], 1, 0);
		break;
	case R_PUB:
		for (k = 0, ret = 0; k < j->nchan && !ret; k++)
			ret = ep_open(&pub[k], j->t, &j->ch[k], 1, 0);
		break;
	case R_SUB:	/* idx 1.. */
		ret = ep_open(&a, j->t, &j->ch[j->nchan > 1 ? idx - 1 : 0], 0,
			      0);
		break;
	}
	if (write(ready_w, "r", 1) != 1)
		_exit(3);
	if (read(go_r, &c, 1) != 0)	/* EOF: the parent closed its end */
		_exit(3);
	if (ret)
		_exit(1);

	if (role != R_PING && role != R_PONG)
		bench_self->t_start = bench_now_s();
	bench_self->slept = nvcsw();
	switch (role) {
	case R_PROD: {
		uint64_t first = mpmc ? (uint64_t)idx << 40 : 0;

		ret = produce(tr, &a, first, j->n);
		bench_self->slept = nvcsw() - bench_self->slept;
		if (!ret && mpmc &&
		    atomic_fetch_add(&sh->prod_done, 1) + 1 == bench_cfg.mpmc_n)
			ret = send_markers(tr, &a);
		bench_self->t_end = bench_now_s();
		break;
	}
	case R_PUB: {
		uint64_t cpu0 = cpu_now_ns();

		ret = publish(tr, pub, j->nchan, j->n);
		bench_self->cpu_ns = cpu_now_ns() - cpu0;
		bench_self->slept = nvcsw() - bench_self->slept;
		bench_self->t_end = bench_now_s();
		break;
	}
	case R_SUB:
	case R_CONS:
		cs.ordered = !mpmc;
		ret = consume(tr, &a, cs.ordered ? j->n : UINT64_MAX, &cs);
		bench_self->t_end = bench_now_s();
		bench_self->slept = nvcsw() - bench_self->slept;
		bench_self->count = cs.count;
		bench_self->seqsum = cs.seqsum;
		if (mpmc)
			atomic_fetch_add(&sh->cons_done, 1);
		break;
	case R_PING:
		ret = ping(tr, &a, &b, j->n);
		bench_self->slept = nvcsw() - bench_self->slept;
		break;
	case R_PONG:
		ret = pong(tr, &a, &b);
		bench_self->slept = nvcsw() - bench_self->slept;
		break;
	}
	_exit(ret ? 1 : 0);
}

/* ------------------------------------------------------------- parent */

static pid_t kids[BENCH_MAX_CHILDREN];
static int nkids;

static void on_alarm(int sig)
{
	(void)sig;
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
}

/* Shared memory for the children's results, the alarm for hung runs. */
void runner_init(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die("mmap: %s", strerror(errno));
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
	bench_errors++;
	printf("FUNCTIONAL ERROR: %s %s size %zu: %s\n", j->c->wname,
	       bench_transports[j->t]->name, j->size, msg);
	fflush(stdout);
}

/* Fan-out: whether every subscriber got the @n messages, in order. */
static int fanout_check(const struct job *j)
{
	uint64_t n = j->n;

	for (unsigned int i = 1; i <= j->subs; i++) {
		char msg[160];

		if (sh->res[i].count == n &&
		    sh->res[i].seqsum == n * (n - 1) / 2)
			continue;
		snprintf(msg, sizeof(msg), "subscriber %u of %u got %" PRIu64
			 " messages (want %" PRIu64 "), sequence sum %s", i,
			 j->subs, sh->res[i].count, n,
			 sh->res[i].seqsum == n * (n - 1) / 2 ? "ok" : "WRONG");
		report_error(j, msg);
		return -1;
	}
	return 0;
}

/* One run: 0, -1 after a functional error, -2 if @t cannot be set up. */
static int run_once(const struct runner_cell *cell, int t, uint64_t n,
		    struct runner_res *rr)
{
	const struct bench_transport *tr = bench_transports[t];
	int wl = cell->wl;
	size_t size = cell->size;
	struct job j = { .c = cell, .wl = wl, .t = t, .size = size, .n = n,
			 .subs = cell->subs };
	int ready[2], go[2], roles[BENCH_MAX_CHILDREN];
	double cpu0, cpu1, t0 = 1e300, t1 = 0;
	int i, status, bad = 0, timed_out = 0;
	uint64_t msgs;
	char c;

	memset(rr, 0, sizeof(*rr));
	j.nchan = BENCH_IS_PP(wl) ? 2 : 1;
	if (BENCH_IS_FANOUT(wl) && !(tr->flags & BENCH_T_PUBSUB))
		j.nchan = j.subs;
	for (i = 0; i < j.nchan; i++) {
		if (chan_create(&j.ch[i], t, size, cell->depth)) {
			while (i--)
				tr->chan_destroy(&j.ch[i]);
			return -2;
		}
	}
	memset(sh, 0, sizeof(*sh));

	nkids = 0;
	if (BENCH_BASE(wl) == BENCH_W_STREAM) {
		roles[nkids++] = R_PROD;
		roles[nkids++] = R_CONS;
	} else if (BENCH_IS_PP(wl)) {
		roles[nkids++] = R_PING;
		roles[nkids++] = R_PONG;
	} else if (BENCH_IS_FANOUT(wl)) {
		roles[nkids++] = R_PUB;
		for (i = 0; i < (int)j.subs; i++)
			roles[nkids++] = R_SUB;
	} else {
		for (i = 0; i < (int)bench_cfg.mpmc_n; i++)
			roles[nkids++] = R_PROD;
		for (i = 0; i < (int)bench_cfg.mpmc_n; i++)
			roles[nkids++] = R_CONS;
	}

	if (pipe(ready) || pipe(go))
		bench_die("pipe: %s", strerror(errno));
	fflush(stdout);
	cpu0 = rusage_children_ns();
	for (i = 0; i < nkids; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			bench_die("fork: %s", strerror(errno));
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
	alarm(bench_cfg.run_timeout);
	for (int left = nkids; left;) {
		pid_t pid = waitpid(-1, &status, 0);
		int k;

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			bench_die("waitpid: %s", strerror(errno));
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
		tr->chan_destroy(&j.ch[i]);

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
	if (BENCH_IS_PP(wl)) {
		t0 = sh->res[0].t_start;
		t1 = sh->res[0].t_end;
		msgs = sh->res[0].count;
		rr->lat_med = sh->res[0].lat_med_ns;
		rr->lat_p99 = sh->res[0].lat_p99_ns;
	} else if (BENCH_BASE(wl) == BENCH_W_STREAM) {
		msgs = n;
		if (sh->res[1].count != n) {
			report_error(&j, "consumer count mismatch");
			return -1;
		}
	} else if (BENCH_IS_FANOUT(wl)) {
		msgs = n;
		if (fanout_check(&j))
			return -1;
		rr->pub_cpu_ns = (double)sh->res[0].cpu_ns / n;
	} else {
		uint64_t cnt = 0, sum = 0, want = 0;

		for (i = bench_cfg.mpmc_n; i < nkids; i++) {
			cnt += sh->res[i].count;
			sum += sh->res[i].seqsum;
		}
		for (i = 0; i < (int)bench_cfg.mpmc_n; i++)
			want += n * ((uint64_t)i << 40) + n * (n - 1) / 2;
		msgs = n * bench_cfg.mpmc_n;
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
	for (i = 0; i < nkids; i++) {
		rr->waits += sh->res[i].waits;
		rr->slept += sh->res[i].slept;
		rr->wait_cpu_ns += sh->res[i].wait_cpu_ns;
	}
	if (bench_cfg.verbose) {
		uint64_t pw = 0, cw = 0, pc = 0, cc = 0, ps = 0, cs = 0;
		char pp[96] = "";

		for (i = 0; i < nkids; i++) {
			int prod = roles[i] == R_PROD || roles[i] == R_PING ||
				   roles[i] == R_PUB;

			*(prod ? &pw : &cw) += sh->res[i].waits;
			*(prod ? &pc : &cc) += sh->res[i].calls;
			*(prod ? &ps : &cs) += sh->res[i].slept;
		}
		if (BENCH_IS_PP(wl))
			snprintf(pp, sizeof(pp), "; median %.1f us, p99 %.1f us,"
				 " after %" PRIu64 " untimed round trips",
				 rr->lat_med / 1e3, rr->lat_p99 / 1e3,
				 sh->res[0].warm);
		printf("# run %s %s %zu: %" PRIu64 " msgs, %.0f msgs/s, cpu %.0f ns/msg;"
		       " per 1000 msgs: producer %.1f calls %.1f waits %.1f slept,"
		       " consumer %.1f calls %.1f waits %.1f slept%s\n",
		       cell->wname, tr->name, size, msgs, rr->rate,
		       (cpu1 - cpu0) / msgs, pc * 1e3 / msgs, pw * 1e3 / msgs,
		       ps * 1e3 / msgs, cc * 1e3 / msgs, cw * 1e3 / msgs,
		       cs * 1e3 / msgs, pp);
	}
	rr->cpu_ns = (cpu1 - cpu0) / msgs;
	rr->ok = 1;
	return 0;
}

/* ------------------------------------------------------------ cells */

static int transport_ok(int t, int wl)
{
	const struct bench_transport *tr = bench_transports[t];

	if (!bench_cfg.use[t])
		return 0;
	if (BENCH_IS_PP(wl) && (tr->flags & BENCH_T_NO_PP))
		return 0;	/* a batch of one is not a batch */
	if (BENCH_IS_FANOUT(wl))
		return !!(tr->flags & (BENCH_T_FANOUT | BENCH_T_PUBSUB));
	return !(tr->flags & BENCH_T_PUBSUB);
}

/*
 * A transport that cannot be set up at all: skipped with a note, except that
 * for kmsgq, creating a queue within the module's limits is part of what is
 * tested, so that is a functional error.
 */
static void cell_skip(struct runner_cell *c, int t)
{
	const char *name = bench_transports[t]->name;

	snprintf(c->skip[t], sizeof(c->skip[t]), "%s", bench_setup_err);
	printf("# %s %s %zu B: cannot set up: %s\n", c->wname, name,
	       c->size, bench_setup_err);
	if (bench_transports[t]->flags & BENCH_T_KMSGQ) {
		bench_errors++;
		printf("FUNCTIONAL ERROR: %s %s size %zu: %s\n",
		       c->wname, name, c->size, bench_setup_err);
	}
}

/* Every transport's per-cell setup, and their notes joined. */
static void size_setup(size_t size, unsigned int depth, char *note,
		       size_t len)
{
	size_t used = 0;

	note[0] = 0;
	for (int t = 0; t < bench_nt; t++) {
		if (!bench_transports[t]->size_setup)
			continue;
		if (used && used + 2 < len)
			used += snprintf(note + used, len - used, "; ");
		if (used < len)
			bench_transports[t]->size_setup(size, depth,
							note + used,
							len - used);
		used = strlen(note);
	}
}

/* -------------------------------------------------- busy processes */

static pid_t busy[BENCH_MAX_CHILDREN];
static int nbusy;

/* The oversub variant: busy loops beside the run, one per CPU in turn. */
static void busy_start(void)
{
	for (unsigned int i = 0; i < bench_cfg.oversub_n &&
				 nbusy < BENCH_MAX_CHILDREN; i++) {
		pid_t pid = fork();

		if (pid < 0)
			bench_die("fork: %s", strerror(errno));
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pin(i % bench_sys.ncpus);
			for (;;)
				__asm__ volatile("" ::: "memory");
		}
		busy[nbusy++] = pid;
	}
}

static void busy_stop(void)
{
	for (int i = 0; i < nbusy; i++)
		kill(busy[i], SIGKILL);
	for (int i = 0; i < nbusy; i++)
		while (waitpid(busy[i], NULL, 0) < 0 && errno == EINTR)
			;
	nbusy = 0;
}

/*
 * --verbose: how the waits of a transport that polls before it sleeps
 * (kmsgq-zc, shm-futex) ended, over the cell's rounds.  A sleep is a
 * voluntary context switch; a wait without one was satisfied by the poll
 * before the system call (or, rarely, by the kernel's recheck).  The CPU
 * time inside the waits is the time spent polling (and entering the
 * sleeps): spin time against sleep count.
 */
static void cell_waits(const struct runner_cell *c)
{
	for (int t = 0; t < bench_nt; t++) {
		uint64_t waits = 0, slept = 0, msgs = 0, spin = 0;

		for (int r = 0; r < bench_cfg.rounds; r++) {
			if (!c->have[t] || !c->r[t][r].ok)
				continue;
			waits += c->r[t][r].waits;
			slept += c->r[t][r].slept;
			spin += c->r[t][r].wait_cpu_ns;
			msgs += c->r[t][r].msgs;
		}
		if (!waits)
			continue;
		if (slept > waits)
			slept = waits;
		printf("# waits: %-12s %6zu B %-10s %.1f per 1000 msgs: %.1f%% slept,"
		       " %.1f%% without sleeping", c->wname, c->size,
		       bench_transports[t]->name, waits * 1e3 / msgs,
		       slept * 100.0 / waits, (waits - slept) * 100.0 / waits);
		if (runner_spin_time())
			printf("; CPU in waits %.2f us per wait, %.0f us per 1000 msgs",
			       spin / 1e3 / waits, spin / 1e3 * 1e3 / msgs);
		putchar('\n');
	}
}

/* A cell to run: workload @wl at @size, with @subs subscribers (fan-out). */
void runner_add_cell(int wl, size_t size, unsigned int subs)
{
	struct runner_cell *c;

	if (runner_ncells == BENCH_MAX_CELLS)
		bench_die("more than %d cells", BENCH_MAX_CELLS);
	c = &runner_cells[runner_ncells++];
	c->wl = wl;
	c->size = size;
	c->subs = BENCH_IS_FANOUT(wl) ? subs : 0;
	c->depth = c->subs ? bench_cfg.fanout_depth : bench_cfg.depth;
	if (c->subs) {
		const char *variant = strchr(bench_wname[wl], '_');

		snprintf(c->wname, sizeof(c->wname), "fanout_1to%u%s", subs,
			 variant ? variant : "");
	} else
		snprintf(c->wname, sizeof(c->wname), "%s", bench_wname[wl]);
}

void runner_run_cell(struct runner_cell *c)
{
	int t, r, nt = 0;
	double slowest = 0;
	uint64_t n0, nprod;
	unsigned int np = BENCH_IS_MPMC(c->wl) ? bench_cfg.mpmc_n : 1;
	double t_cell = bench_now_s();

	size_setup(c->size, c->depth, c->note, sizeof(c->note));
	if (BENCH_OVERSUB(c->wl))
		busy_start();

	if (BENCH_IS_PP(c->wl)) {
		c->n = bench_cfg.pp_iters;
	} else if (bench_cfg.msgs) {
		c->n = bench_cfg.msgs;
	} else {
		/* Calibrate: one short run each; the slowest sets the count. */
		n0 = (8u << 20) / c->size;
		n0 = n0 > 2000 ? 2000 : n0;
		if (c->subs)	/* each message is delivered subs times */
			n0 /= c->subs;
		n0 = n0 < 128 ? 128 : n0;
		if (bench_cfg.short_mode)
			n0 /= 2;
		nprod = (n0 + np - 1) / np;
		for (t = 0; t < bench_nt; t++) {
			struct runner_res rr;
			int ret;

			if (!transport_ok(t, c->wl))
				continue;
			ret = run_once(c, t, nprod, &rr);
			if (ret == 0 && 1.0 / rr.rate > slowest)
				slowest = 1.0 / rr.rate;
			if (ret == -1)
				c->failed[t] = 1;
			if (ret == -2)
				cell_skip(c, t);
		}
		if (slowest <= 0)
			slowest = 1e-5;
		c->n = (uint64_t)(bench_cfg.budget / slowest / np);
		if (c->n * np < 4 * c->depth)
			c->n = (4 * c->depth + np - 1) / np;
		c->n = (c->n + BENCH_BATCH - 1) / BENCH_BATCH * BENCH_BATCH;
	}

	for (r = 0; r < bench_cfg.rounds; r++) {
		for (t = 0; t < bench_nt; t++) {
			int ret;

			if (!transport_ok(t, c->wl) || c->skip[t][0])
				continue;
			c->have[t] = 1;
			if (c->failed[t])
				continue;
			ret = run_once(c, t, c->n, &c->r[t][r]);
			if (ret == -1)
				c->failed[t] = 1;
			if (ret == -2) {
				c->have[t] = 0;
				cell_skip(c, t);
			}
		}
	}
	for (t = 0; t < bench_nt; t++) {
		double v[64];

		if (!c->have[t])
			continue;
		nt++;
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].rate : -1;
		c->med[t].rate = median_d(v, bench_cfg.rounds);
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].cpu_ns : -1;
		c->med[t].cpu_ns = median_d(v, bench_cfg.rounds);
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].lat_med : -1;
		c->med[t].lat_med = median_d(v, bench_cfg.rounds);
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].lat_p99 : -1;
		c->med[t].lat_p99 = median_d(v, bench_cfg.rounds);
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? c->r[t][r].pub_cpu_ns : -1;
		c->med[t].pub_cpu_ns = median_d(v, bench_cfg.rounds);
		c->med[t].ok = c->med[t].rate > 0;
		c->rmin[t] = 1e300;
		c->rmax[t] = 0;
		for (r = 0; r < bench_cfg.rounds; r++) {
			if (!c->r[t][r].ok)
				continue;
			if (c->r[t][r].rate < c->rmin[t])
				c->rmin[t] = c->r[t][r].rate;
			if (c->r[t][r].rate > c->rmax[t])
				c->rmax[t] = c->r[t][r].rate;
		}
		for (r = 0; r < bench_cfg.rounds; r++)
			v[r] = c->r[t][r].ok ? (double)c->r[t][r].msgs : -1;
		c->med[t].msgs = (uint64_t)median_d(v, bench_cfg.rounds);
	}
	busy_stop();
	if (bench_cfg.verbose)
		cell_waits(c);
	printf("# done: %-12s %6zu B, %" PRIu64 " %s x %d transports x %d rounds, %.1f s\n",
	       c->wname, c->size, c->n * np,
	       BENCH_IS_PP(c->wl) ? "round trips" : "msgs", nt, bench_cfg.rounds,
	       bench_now_s() - t_cell);
	fflush(stdout);
}
