// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - what a run prints at the end: a human table with ratios
 * against mqueue (and against pipe and shm-futex for kmsgq), for fan-out
 * also the publisher's CPU per message by subscriber count, the targets
 * of the benchmark issues with MET/MISSED (information only), and a CSV
 * between the lines KMSGQ-CSV-BEGIN and KMSGQ-CSV-END (vm/bench-plot.sh
 * reads it).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Zero-copy fan-out, whose targets issue 17 sets. */
#define REPORT_FANOUT_ZC	"kmsgq-fanout-zc"
/* And with the publisher writing in place too. */
#define REPORT_FANOUT_INPLACE	"kmsgq-fanout-inplace"

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

/* @t against @ref in @c: msgs/s ratio, or latency ratio for pingpong. */
static double ratio(const struct runner_cell *c, int t, int ref)
{
	if (t < 0 || ref < 0 || !c->med[t].ok || !c->med[ref].ok)
		return -1;
	if (BENCH_IS_PP(c->wl))
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

void report_banner(FILE *f, const char *prefix)
{
	fprintf(f, "%skmsgq benchmark: figures from: %s, kernel %s, %d CPUs\n",
		prefix, bench_sys.env, bench_sys.kernel, bench_sys.ncpus);
	fprintf(f, "%sCompare only within this run (ratios); absolute numbers under TCG\n"
		"%smean little: copies are relatively far dearer than system calls.\n",
		prefix, prefix);
	if (bench_sys.host_load[0])
		fprintf(f, "%shost load: %s busy processes on the host beside this guest\n",
			prefix, bench_sys.host_load);
}

/* Round-to-round spread of a transport in a cell: (fastest / slowest - 1). */
static double spread(const struct runner_cell *c, int t)
{
	return c->rmin[t] > 0 && c->rmax[t] > 0 ? c->rmax[t] / c->rmin[t] - 1 : -1;
}

static int stalls_seen;

/* Whether this run had fan-out cells. */
static int fanout_run(void)
{
	for (int i = 0; i < runner_ncells; i++)
		if (BENCH_IS_FANOUT(runner_cells[i].wl))
			return 1;
	return 0;
}

/* Whether this run had the oversub variant. */
static int oversub_run(void)
{
	for (int i = 0; i < runner_ncells; i++)
		if (BENCH_OVERSUB(runner_cells[i].wl))
			return 1;
	return 0;
}

/* Where the fan-out cells but 1cpu's run (--fanout-pin). */
static const char *fanout_where(void)
{
	return bench_cfg.fanout_pin ? "publisher CPU 0, subscribers CPU 1" :
				      "not pinned";
}

static void table_head(const struct runner_cell *c)
{
	char where[64];

	snprintf(where, sizeof(where), "%s%s",
		 BENCH_ONECPU(c->wl) ? "all on CPU 0" :
		 BENCH_IS_FANOUT(c->wl) ? fanout_where() :
		 BENCH_IS_MPMC(c->wl) ? "not pinned" :
		 "CPU 0 -> CPU 1",
		 BENCH_OVERSUB(c->wl) ? ", busy processes beside" : "");

	if (BENCH_BASE(c->wl) == BENCH_W_STREAM)
		printf("\n== %s: 1:1 streaming throughput, %s (higher is better) ==\n",
		       c->wname, where);
	else if (BENCH_IS_MPMC(c->wl))
		printf("\n== %s: %u:%u streaming throughput, aggregate, %s"
		       " (higher is better) ==\n", c->wname,
		       bench_cfg.mpmc_n, bench_cfg.mpmc_n, where);
	else if (BENCH_IS_FANOUT(c->wl))
		printf("\n== %s: 1 publisher -> %u subscriber%s, messages published,"
		       " %s (higher is better) ==\n", c->wname, c->subs,
		       c->subs == 1 ? "" : "s", where);
	else
		printf("\n== %s: ping-pong round trip, %s (lower is better;"
		       " x = latency ratio) ==\n", c->wname, where);
	if (BENCH_IS_FANOUT(c->wl))
		printf("%6s  %-20s %9s %8s %9s %10s %10s %7s %8s %7s\n", "size",
		       "transport", "msgs/s", "MB/s", "ns/msg", "cpu ns/msg",
		       "pub ns/msg", "spread", "x mqueue", "x pipe");
	else if (BENCH_IS_PP(c->wl))
		printf("%6s  %-12s %7s %9s %9s %10s %7s %8s %7s %7s\n", "size",
		       "transport", "rt", "median us", "p99 us",
		       "cpu ns/rt", "spread", "x mqueue", "x pipe", "x shm");
	else
		printf("%6s  %-12s %9s %8s %9s %10s %7s %8s %7s %7s\n", "size",
		       "transport", "msgs/s", "MB/s", "ns/msg",
		       "cpu ns/msg", "spread", "x mqueue", "x pipe", "x shm");
}

static void table_row(const struct runner_cell *c, int t, int mq, int pipe,
		      int shm)
{
	const struct bench_transport *tr = bench_transports[t];
	const struct runner_res *m = &c->med[t];
	int kmsgq = tr->flags & BENCH_T_KMSGQ;
	double sp = spread(c, t);
	char b1[32], b2[32], b3[32], b4[32], hb[32];

	if (c->skip[t][0]) {
		printf("%6s  %-12s %9s  %s\n", "", tr->name, "skipped",
		       c->skip[t]);
		return;
	}
	if (!c->have[t])
		return;
	if (!m->ok) {
		printf("%6s  %-12s %9s\n", "", tr->name, "FAILED");
		return;
	}
	snprintf(b1, sizeof(b1), sp < 0 ? "-" : "%.0f%%", sp * 100);
	if (BENCH_IS_FANOUT(c->wl)) {
		printf("%6s  %-20s %9s %8.1f %9.0f %10.0f %10.0f %7s %8s %7s\n",
		       "", tr->name, human(m->rate, hb), m->rate * c->size / 1e6,
		       1e9 / m->rate, m->cpu_ns, m->pub_cpu_ns, b1,
		       fmt_ratio(ratio(c, t, mq), b2),
		       kmsgq ? fmt_ratio(ratio(c, t, pipe), b3) : "");
	} else if (BENCH_IS_PP(c->wl)) {
		if (m->lat_med >= 1e6)
			stalls_seen = 1;
		printf("%6s  %-12s %7" PRIu64 " %9.1f %9.1f %10.0f %7s %8s %7s %7s\n",
		       "", tr->name, m->msgs, m->lat_med / 1e3,
		       m->lat_p99 / 1e3, m->cpu_ns, b1,
		       fmt_ratio(ratio(c, t, mq), b2),
		       kmsgq ? fmt_ratio(ratio(c, t, pipe), b3) : "",
		       kmsgq ? fmt_ratio(ratio(c, t, shm), b4) : "");
	} else {
		printf("%6s  %-12s %9s %8.1f %9.0f %10.0f %7s %8s %7s %7s\n", "",
		       tr->name, human(m->rate, hb), m->rate * c->size / 1e6,
		       1e9 / m->rate, m->cpu_ns, b1,
		       fmt_ratio(ratio(c, t, mq), b2),
		       kmsgq ? fmt_ratio(ratio(c, t, pipe), b3) : "",
		       kmsgq ? fmt_ratio(ratio(c, t, shm), b4) : "");
	}
}

static int cmp_subs(const void *a, const void *b)
{
	const struct runner_cell *x = *(const struct runner_cell *const *)a;
	const struct runner_cell *y = *(const struct runner_cell *const *)b;

	return (x->subs > y->subs) - (x->subs < y->subs);
}

/*
 * The fan-out cells of workload @wl at @size, by subscriber count: how many
 * (at most @max) in @out.
 */
static int fanout_sweep(int wl, size_t size, struct runner_cell **out, int max)
{
	int i, n = 0;

	for (i = 0; i < runner_ncells && n < max; i++)
		if (runner_cells[i].wl == wl && runner_cells[i].size == size)
			out[n++] = &runner_cells[i];
	qsort(out, n, sizeof(*out), cmp_subs);
	return n;
}

/*
 * The publisher's own CPU per message against the subscriber count, at the
 * first fan-out size, for each placement that ran fan-out: zero-copy's
 * should not grow with the subscribers (issue 17).
 */
static void fanout_cpu_table(int v)
{
	int wl = BENCH_W_FANOUT + v * BENCH_W_NBASE, n, i, t;
	size_t size = bench_cfg.fanout_sizes[0];
	struct runner_cell *sw[8];
	char b[32];

	n = fanout_sweep(wl, size, sw, 8);
	if (n < 2)
		return;
	printf("\n== %s: publisher CPU ns per message by subscribers, %zu B"
	       " (lower is better) ==\n%-20s", bench_wname[wl], size,
	       "transport");
	for (i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "1:%u", sw[i]->subs);
		printf(" %8s", b);
	}
	printf(" %10s\n", "last/first");
	for (t = 0; t < bench_nt; t++) {
		const struct runner_res *lo = NULL, *hi = NULL;

		if (!sw[0]->have[t])
			continue;
		printf("%-20s", bench_transports[t]->name);
		for (i = 0; i < n; i++) {
			const struct runner_res *m = &sw[i]->med[t];

			if (!sw[i]->have[t] || !m->ok) {
				printf(" %8s", "-");
				continue;
			}
			printf(" %8.0f", m->pub_cpu_ns);
			if (!lo)
				lo = m;
			hi = m;
		}
		printf(" %10s\n", lo && hi != lo && lo->pub_cpu_ns > 0 ?
		       fmt_ratio(hi->pub_cpu_ns / lo->pub_cpu_ns, b) : "-");
	}
}

void report_tables(void)
{
	int mq = bench_transport_find("mqueue");
	int pipe = bench_transport_find("pipe");
	int shm = bench_transport_find("shm-futex");
	int i, t;

	printf("\n");
	report_banner(stdout, "");
	printf("guest idle: %s; clocksource %s, clock_gettime %.0f ns\n"
	       "queue depth %u for every transport (fan-out cells: %u), max message size =\n"
	       "the size under test;\n"
	       "%d rounds, interleaved (A B C .. A B C ..), median round shown, spread =\n"
	       "fastest/slowest round - 1; batch and zero-copy: up to %d messages per\n"
	       "call / reserve / peek\n",
	       bench_sys.idle, bench_sys.clocksource, bench_sys.clock_ns,
	       bench_cfg.depth, bench_cfg.fanout_depth, bench_cfg.rounds,
	       BENCH_BATCH);
	printf("mqueue: %s\n", bench_sys.mq_note);
	printf("kmsgq: %s\n", bench_sys.kmsgq_why);
	printf("1:1 and pingpong: %s;\n"
	       "*_1cpu: every process pinned to CPU 0; 4:4: %u producers + %u consumers,\n"
	       "otherwise not pinned. cpu = user+sys of the children (RUSAGE_CHILDREN) per message\n"
	       "(per round trip for pingpong). Pingpong runs stop after %.1f s (rt = round\n"
	       "trips actually timed, median over rounds).\n"
	       "x shm: kmsgq against shm-futex, a user-space memfd ring with futex sleeps.\n",
	       bench_cfg.placement == BENCH_PIN_SPLIT ?
	       "producer/pinger pinned to CPU 0, consumer/ponger to CPU 1" :
	       bench_cfg.placement == BENCH_PIN_SAME ? "both processes pinned to CPU 0" :
	       "not pinned", bench_cfg.mpmc_n, bench_cfg.mpmc_n, bench_cfg.pp_cap);
	if (oversub_run())
		printf("*_oversub: placed as the first tables, with %u busy processes beside\n"
		       "(one pinned to each CPU in turn).\n", bench_cfg.oversub_n);
	if (fanout_run())
		printf("fanout_1toS: a publisher and S subscribers, %s; each subscriber\n"
		       "receives and checksums every message; msgs/s = messages published, MB/s\n"
		       "the bytes published. mqueue, pipe, kmsgq-copy: a queue (pipe) per\n"
		       "subscriber, the publisher fills a message once and sends it S times;\n"
		       "kmsgq-fanout: one fan-out queue (copy mode, blocking), one write per\n"
		       "message. cpu = every process, pub = the publisher's publishing loop\n"
		       "(CLOCK_PROCESS_CPUTIME_ID), per message published. Depth %u: a\n"
		       "fan-out queue stores each message once for all subscribers; the queues\n"
		       "(pipes) of the others hold %u each, S times the messages.\n",
		       fanout_where(), bench_cfg.fanout_depth,
		       bench_cfg.fanout_depth);

	for (i = 0; i < runner_ncells; i++) {
		struct runner_cell *c = &runner_cells[i];

		if (i == 0 || strcmp(runner_cells[i - 1].wname, c->wname))
			table_head(c);
		printf("%6zu  (%" PRIu64 " %s per run; %s)\n", c->size,
		       c->n * (BENCH_IS_MPMC(c->wl) ? bench_cfg.mpmc_n : 1),
		       BENCH_IS_PP(c->wl) ? "round trips at most" : "msgs", c->note);
		for (t = 0; t < bench_nt; t++)
			table_row(c, t, mq, pipe, shm);
	}
	for (i = 0; i < BENCH_V_NVAR; i++)
		fanout_cpu_table(i);
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
		       bench_sys.kernel);
}

static struct runner_cell *find_cell(int wl, size_t size)
{
	for (int i = 0; i < runner_ncells; i++)
		if (runner_cells[i].wl == wl && runner_cells[i].size == size)
			return &runner_cells[i];
	return NULL;
}

/* One target line: the figure @r against @goal; @r < 0: not measured. */
static void target_line(const char *what, double r, double goal,
			int lower_better, const char *note)
{
	if (r < 0) {
		printf("  %-57s %8s  %-6s  (not measured)\n", what, "-", "-");
		return;
	}
	printf("  %-57s %7.3fx  %s (goal %s %.*fx%s)\n", what, r,
	       (lower_better ? r <= goal : r >= goal) ? "MET   " : "MISSED",
	       lower_better ? "<=" : ">=",
	       goal * 10 == (int)(goal * 10) ? 1 : 2, goal, note);
}

/*
 * Transport @t against @ref in cell @c: ratio(), or with @cpu the ratio of
 * their CPU per message; -1 if either is not measured.
 */
static double target_ratio_cell(const struct runner_cell *c, int t, int ref,
				int cpu)
{
	if (!c || t < 0 || ref < 0 || !c->have[t] || !c->have[ref])
		return -1;
	if (!cpu)
		return ratio(c, t, ref);
	if (!c->med[t].ok || !c->med[ref].ok || c->med[ref].cpu_ns <= 0)
		return -1;
	return c->med[t].cpu_ns / c->med[ref].cpu_ns;
}

/* target_ratio_cell() in the cell (@wl, @size). */
static double target_ratio(int wl, size_t size, int t, int ref, int cpu)
{
	return target_ratio_cell(find_cell(wl, size), t, ref, cpu);
}

static void target(const char *what, int wl, size_t size, const char *tname,
		   const char *refname, double goal, int lower_better)
{
	target_line(what, target_ratio(wl, size, bench_transport_find(tname),
				       bench_transport_find(refname), 0),
		    goal, lower_better, "");
}

/* CPU per message of @tname against @refname's: lower is better. */
static void target_cpu(const char *what, int wl, size_t size,
		       const char *tname, const char *refname, double goal)
{
	target_line(what, target_ratio(wl, size, bench_transport_find(tname),
				       bench_transport_find(refname), 1),
		    goal, 1, "");
}

/* @t against @ref at every 1:1 size (higher is better): the worst size. */
static void target_every_size(const char *what, int wl, int t, int ref,
			      double goal)
{
	double worst = -1;
	size_t at = 0;
	int i, n = 0;
	char note[64];

	for (i = 0; i < bench_cfg.nsizes; i++) {
		double r = target_ratio(wl, bench_cfg.sizes[i], t, ref, 0);

		if (r < 0)
			continue;
		n++;
		if (worst < 0 || r < worst) {
			worst = r;
			at = bench_cfg.sizes[i];
		}
	}
	snprintf(note, sizeof(note), "; worst of %d sizes: %zu B", n, at);
	target_line(what, worst, goal, 0, note);
}

/* The quiet host's targets for placement variant @v; @w tags the lines. */
static void targets_quiet(int v, const char *w)
{
	int stream = BENCH_W_STREAM + v * BENCH_W_NBASE;
	int pp = BENCH_W_PINGPONG + v * BENCH_W_NBASE;
	int mpmc = BENCH_W_MPMC + v * BENCH_W_NBASE;
	int copy = bench_transport_find("kmsgq-copy");
	char what[96];

	snprintf(what, sizeof(what), "kmsgq-copy 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, stream, 64, "kmsgq-copy", "mqueue", 1.5, 0);
	snprintf(what, sizeof(what), "kmsgq-copy 1:1 every size vs mqueue%s", w);
	target_every_size(what, stream, copy, bench_transport_find("mqueue"), 1);
	snprintf(what, sizeof(what), "kmsgq-copy 1:1 every size vs pipe%s", w);
	target_every_size(what, stream, copy, bench_transport_find("pipe"), 1);
	snprintf(what, sizeof(what), "kmsgq-batch 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, stream, 64, "kmsgq-batch", "mqueue", 5, 0);
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, stream, 64, "kmsgq-zc", "mqueue", 20, 0);
	snprintf(what, sizeof(what),
		 "kmsgq-zc-reclaim 1:1 64 B msgs/s vs mqueue%s", w);
	target(what, stream, 64, "kmsgq-zc-reclaim", "mqueue", 20, 0);
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 B msgs/s vs shm-futex%s", w);
	target(what, stream, 64, "kmsgq-zc", "shm-futex", 1.0, 0);
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 KiB msgs/s vs mqueue%s", w);
	target(what, stream, 65536, "kmsgq-zc", "mqueue", 3, 0);
	snprintf(what, sizeof(what), "kmsgq-copy ping-pong 64 B median vs mqueue%s", w);
	target(what, pp, 64, "kmsgq-copy", "mqueue", 1.0, 1);
	/* Split: <= 0.2x; on one CPU <= 1.0x, listed with the split ones. */
	if (v != BENCH_V_ONECPU) {
		snprintf(what, sizeof(what),
			 "kmsgq-zc ping-pong 64 B median vs mqueue%s", w);
		target(what, pp, 64, "kmsgq-zc", "mqueue", 0.2, 1);
	}
	if (v == BENCH_V_SPLIT)
		target("kmsgq-zc ping-pong 64 B median vs mqueue [1cpu]",
		       BENCH_W_PINGPONG + BENCH_V_ONECPU * BENCH_W_NBASE, 64,
		       "kmsgq-zc", "mqueue", 1.0, 1);
	snprintf(what, sizeof(what), "kmsgq-copy %u:%u 64 B msgs/s vs mqueue%s",
		 bench_cfg.mpmc_n, bench_cfg.mpmc_n, w);
	target(what, mpmc, 64, "kmsgq-copy", "mqueue", 1.0, 0);
	snprintf(what, sizeof(what), "kmsgq-copy 1:1 64 B CPU/msg vs mqueue%s", w);
	target_cpu(what, stream, 64, "kmsgq-copy", "mqueue", 0.8);
	snprintf(what, sizeof(what), "kmsgq-batch 1:1 64 B CPU/msg vs mqueue%s", w);
	target_cpu(what, stream, 64, "kmsgq-batch", "mqueue", 0.25);
}

/* The loaded host's targets for placement variant @v. */
static void targets_loaded(int v, const char *w)
{
	int stream = BENCH_W_STREAM + v * BENCH_W_NBASE;
	int mq = bench_transport_find("mqueue");
	char what[96];
	int t;

	for (t = 0; t < bench_nt; t++) {
		if (!(bench_transports[t]->flags & BENCH_T_KMSGQ) ||
		    !bench_cfg.use[t])
			continue;
		snprintf(what, sizeof(what), "%s 1:1 every size vs mqueue%s",
			 bench_transports[t]->name, w);
		target_every_size(what, stream, t, mq, 1);
	}
	snprintf(what, sizeof(what), "kmsgq-zc 1:1 64 B CPU/msg vs mqueue%s", w);
	target_cpu(what, stream, 64, "kmsgq-zc", "mqueue", 1.0);
}

/* The fan-out cell (@wl, @size) with @subs subscribers, or NULL. */
static struct runner_cell *find_fanout_cell(int wl, size_t size,
					    unsigned int subs)
{
	for (int i = 0; i < runner_ncells; i++)
		if (runner_cells[i].wl == wl && runner_cells[i].size == size &&
		    runner_cells[i].subs == subs)
			return &runner_cells[i];
	return NULL;
}

/* Fan-out 1:4 msgs/s of @tname against mqueue's at @size. */
static void target_fanout(const char *what, int wl, size_t size,
			  const char *tname, double goal)
{
	int t = bench_transport_find(tname);

	target_line(what, t < 0 ? -1 :
		    target_ratio_cell(find_fanout_cell(wl, size,
						       BENCH_FANOUT_SUBS),
				      t, bench_transport_find("mqueue"), 0),
		    goal, 0, "");
}

/*
 * The publisher's CPU per message of @tname with the most subscribers of
 * the sweep against the fewest (lower is better, 1.0: independent).
 */
static void target_fanout_cpu(const char *what, int wl, const char *tname,
			      double goal, const char *note)
{
	struct runner_cell *sw[8];
	int t = bench_transport_find(tname);
	int n = fanout_sweep(wl, bench_cfg.fanout_sizes[0], sw, 8);
	double r = -1;

	if (t >= 0 && n >= 2 && sw[0]->have[t] && sw[n - 1]->have[t] &&
		 sw[0]->med[t].ok && sw[n - 1]->med[t].ok &&
		 sw[0]->med[t].pub_cpu_ns > 0)
		r = sw[n - 1]->med[t].pub_cpu_ns / sw[0]->med[t].pub_cpu_ns;
	target_line(what, r, goal, 1, note);
}

/* Issue 17's zero-copy fan-out goals, for transport @tname. */
static void targets_fanout_zc(int wl, const char *w, const char *tname)
{
	char what[96];

	snprintf(what, sizeof(what), "%s 1:4 64 B msgs/s vs mqueue%s", tname, w);
	target_fanout(what, wl, 64, tname, 20);
	snprintf(what, sizeof(what), "%s 1:4 4096 B msgs/s vs mqueue%s", tname,
		 w);
	target_fanout(what, wl, 4096, tname, 4);
	snprintf(what, sizeof(what), "%s pub CPU/msg most/fewest subs%s", tname,
		 w);
	target_fanout_cpu(what, wl, tname, 1.25, "");
}

/* Issue 17's fan-out targets for placement variant @v. */
static void targets_fanout(int v, const char *w)
{
	int wl = BENCH_W_FANOUT + v * BENCH_W_NBASE;
	char what[96];

	snprintf(what, sizeof(what), "kmsgq-fanout 1:4 64 B msgs/s vs mqueue%s", w);
	target_fanout(what, wl, 64, "kmsgq-fanout", 3);
	targets_fanout_zc(wl, w, REPORT_FANOUT_ZC);
	/* Zero-copy on both sides: the same goals, with an in-place publisher. */
	targets_fanout_zc(wl, w, REPORT_FANOUT_INPLACE);
	snprintf(what, sizeof(what), "kmsgq-fanout pub CPU/msg most/fewest subs%s",
		 w);
	target_fanout_cpu(what, wl, "kmsgq-fanout", 1.25,
			  "; information: the goal is zero-copy's");
}

/* Whether the run was told of busy processes on the host (make bench LOAD=N). */
static int host_loaded(void)
{
	return bench_sys.host_load[0] && strspn(bench_sys.host_load, "0") !=
	       strlen(bench_sys.host_load);
}

static void targets_for(int v)
{
	const char *w = v == BENCH_V_ONECPU ? " [1cpu]" :
			v == BENCH_V_OVERSUB ? " [oversub]" : "";

	if (host_loaded())
		targets_loaded(v, w);
	else
		targets_quiet(v, w);
	if (fanout_run())
		targets_fanout(v, w);
}

void report_targets(void)
{
	printf("\n== targets (information only: timing never fails the run) ==\n");
	if (host_loaded())
		printf("Loaded host (host_load %s): every kmsgq mode >= 1.0x mqueue at every\n"
		       "size, zero-copy CPU per message <= mqueue's\n",
		       bench_sys.host_load);
	else
		printf("Quiet host (CPU/msg: children's CPU per message, 1:1 64 B)\n");
	printf("The issue's placement: 1:1 and ping-pong on CPU 0 -> CPU 1, 4:4 not pinned\n");
	if (fanout_run())
		printf("Fan-out (issue 17, %s): 1:4 msgs/s against mqueue (a queue per\n"
		       "subscriber); publisher CPU per message with the sweep's most subscribers\n"
		       "against its fewest (1:8 vs 1:1 by default), goal: independent (<= 1.25x)\n",
		       fanout_where());
	targets_for(BENCH_V_SPLIT);
	printf("The same with every process on CPU 0 (no cross-vCPU wakeups)\n");
	targets_for(BENCH_V_ONECPU);
	if (oversub_run()) {
		printf("The issue's placement with %u busy processes beside\n",
		       bench_cfg.oversub_n);
		targets_for(BENCH_V_OVERSUB);
	}
}

/* A ratio column, after the one before it: empty if not measured. */
static void csv_ratio(double r)
{
	if (r < 0)
		printf(",");
	else
		printf(",%.3f", r);
}

void report_csv(void)
{
	int mq = bench_transport_find("mqueue");
	int pipe = bench_transport_find("pipe");
	int shm = bench_transport_find("shm-futex");
	char env[32];
	int i, t;

	snprintf(env, sizeof(env), "%s",
		 bench_sys.is_tcg ? "qemu-tcg-guest" : "not-tcg");
	printf("\nKMSGQ-CSV-BEGIN\n");
	report_banner(stdout, "# ");
	printf("# guest idle: %s; depth %u (fan-out %u), rounds %d (median round), batch %d\n"
	       "# pingpong*: msgs = round trips (msgs_per_run = those timed, median),\n"
	       "# ns_per_msg = mean round trip, lat_* = round-trip median/p99,\n"
	       "# MB_per_s counts both directions; ratio_vs_*: msgs/s ratio, or\n"
	       "# latency ratio (median) for pingpong*; rate_min/max: slowest/fastest round;\n"
	       "# host_load: busy processes on the host beside the guest (empty: not told)\n"
	       "# fanout_1toS*: a publisher and S (subscribers) subscribers; msgs = messages\n"
	       "# published (each delivered to every subscriber), MB_per_s published,\n"
	       "# cpu_ns_per_msg every process, pub_cpu_ns_per_msg the publisher's own\n",
	       bench_sys.idle, bench_cfg.depth, bench_cfg.fanout_depth,
	       bench_cfg.rounds, BENCH_BATCH);
	printf("env,kernel,cpus,workload,transport,size,depth,msgs_per_run,"
	       "msgs_per_s,MB_per_s,ns_per_msg,cpu_ns_per_msg,lat_median_ns,"
	       "lat_p99_ns,ratio_vs_mqueue,ratio_vs_pipe,rate_min,rate_max,"
	       "ratio_vs_shm_futex,host_load,subscribers,pub_cpu_ns_per_msg\n");
	for (i = 0; i < runner_ncells; i++) {
		struct runner_cell *c = &runner_cells[i];
		int pp = BENCH_IS_PP(c->wl);

		for (t = 0; t < bench_nt; t++) {
			struct runner_res *m = &c->med[t];

			if (!c->have[t] || !m->ok)
				continue;
			printf("%s,%s,%d,%s,%s,%zu,%u,%" PRIu64 ",%.0f,%.3f,%.0f,%.0f,",
			       env, bench_sys.kernel, bench_sys.ncpus,
			       c->wname, bench_transports[t]->name,
			       c->size, c->depth,
			       pp ? m->msgs : c->n * (BENCH_IS_MPMC(c->wl) ?
						      bench_cfg.mpmc_n : 1),
			       m->rate, pp ? 2 * m->rate * c->size / 1e6 :
			       m->rate * c->size / 1e6, 1e9 / m->rate, m->cpu_ns);
			if (pp)
				printf("%.0f,%.0f", m->lat_med, m->lat_p99);
			else
				printf(",");
			csv_ratio(ratio(c, t, mq));
			csv_ratio(ratio(c, t, pipe));
			printf(",%.0f,%.0f", c->rmin[t], c->rmax[t]);
			csv_ratio(ratio(c, t, shm));
			printf(",%s", bench_sys.host_load);
			if (c->subs)
				printf(",%u,%.0f", c->subs, m->pub_cpu_ns);
			else
				printf(",,");
			printf("\n");
		}
	}
	printf("KMSGQ-CSV-END\n");
}
