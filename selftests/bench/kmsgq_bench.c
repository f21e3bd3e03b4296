// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq_bench - kmsgq against POSIX mqueue, a pipe, an AF_UNIX
 * SOCK_SEQPACKET socket and a user-space shared-memory ring with futex
 * sleeps, in one run, interleaved.
 *
 * A benchmark, not a test: it reports figures and never fails on timing.
 * The exit status is non-zero only for a functional error (a payload whose
 * checksum, length or order is wrong, a lost or duplicated message, a
 * failed system call, a run that hangs).
 *
 * Transports: the table below, one file each (transport_*.c).  Each moves
 * whole messages, with one queue depth and one maximum message size for
 * all of them.
 *
 * Fair work: for every transport the producer writes every payload byte
 * (8-byte sequence number, then a byte pattern derived from it) and the
 * consumer reads every payload byte (a 64-bit word sum checked against the
 * sequence number), in its own buffer or, for zero-copy, in place.
 *
 * This file: the options, the environment, the transport table and main();
 * runner.c runs the workloads, report.c prints the results.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "bench.h"

/* Every transport, in the order of the tables: a new one is a line here. */
extern const struct bench_transport mqueue_transport, pipe_transport,
	unix_transport, shm_transport, kcopy_transport, kcopy_batch_transport,
	ring_transport, ring_reclaim_transport, uring_transport,
	fanout_transport, fanout_zc_transport, fanout_inplace_transport;
const struct bench_transport *const bench_transports[] = {
	&mqueue_transport,
	&pipe_transport,
	&unix_transport,
	&shm_transport,
	&kcopy_transport,
	&kcopy_batch_transport,
	&ring_transport,
	&ring_reclaim_transport,
	&uring_transport,
	&fanout_transport,
	&fanout_zc_transport,
	&fanout_inplace_transport,
};
const int bench_nt = sizeof(bench_transports) / sizeof(bench_transports[0]);

_Static_assert(sizeof(bench_transports) / sizeof(bench_transports[0]) <=
	       BENCH_MAX_T, "more transports than BENCH_MAX_T");

/* Fan-out cells are named by their subscribers too (runner_add_cell()). */
const char *const bench_wname[] = {
	"stream_1to1", "pingpong", "stream_4to4", "fanout",
	"stream_1to1_1cpu", "pingpong_1cpu", "stream_4to4_1cpu", "fanout_1cpu",
	"stream_1to1_oversub", "pingpong_oversub", "stream_4to4_oversub",
	"fanout_oversub",
};

_Static_assert(sizeof(bench_wname) / sizeof(bench_wname[0]) ==
	       BENCH_W_NBASE * BENCH_V_NVAR, "a name per workload and variant");

static const char *const pin_name[] = { "split", "same", "none" };

struct bench_config bench_cfg = {
	.rounds = 5,
	.budget = 0.5,
	.depth = 64,
	.fanout_depth = 1024,
	.pp_iters = 10000,
	.pp_cap = 2.0,
	.mpmc_n = 4,
	.run_timeout = 120,
	.sizes = { 8, 64, 512, 4096, 8192, 65536 },
	.nsizes = 6,
	.pp_sizes = { 64, 4096 },
	.npp_sizes = 2,
	.mpmc_size = 64,
	.fanout_sizes = { 64, 4096 },
	.nfanout_sizes = 2,
	.fanout_subs = { 1, 2, 4, 8 },
	.nfanout_subs = 4,
};

struct bench_sys bench_sys;
int bench_errors;
char bench_setup_err[200];
struct bench_child_res *bench_self;

void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kmsgq_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* In a child: record the first functional error of this run. */
void bench_fail(const char *fmt, ...)
{
	va_list ap;

	if (bench_self->failed)
		return;
	bench_self->failed = 1;
	va_start(ap, fmt);
	vsnprintf(bench_self->err, sizeof(bench_self->err), fmt, ap);
	va_end(ap);
}

/* The index of transport @name in the table, or -1. */
int bench_transport_find(const char *name)
{
	for (int t = 0; t < bench_nt; t++)
		if (!strcmp(bench_transports[t]->name, name))
			return t;
	return -1;
}

/* ------------------------------------------------------ environment */

static void bench_detect_env(void)
{
	unsigned int a, b, c, d, regs[12];
	char hv[13] = "", brand[49] = "";
	struct utsname u;
	const char *load;
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
	bench_sys.is_tcg = !strcmp(hv, "TCGTCGTCGTCG") || strstr(brand, "QEMU TCG");
	if (bench_sys.is_tcg)
		snprintf(bench_sys.env, sizeof(bench_sys.env), "QEMU TCG guest");
	else
		snprintf(bench_sys.env, sizeof(bench_sys.env),
			 "NOT a QEMU TCG guest (hypervisor '%s', cpu '%s')",
			 hv[0] ? hv : "none", brand);
	uname(&u);
	snprintf(bench_sys.kernel, sizeof(bench_sys.kernel), "%s", u.release);
	bench_sys.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", bench_sys.clocksource) != 1)
			strcpy(bench_sys.clocksource, "?");
		fclose(f);
	} else {
		strcpy(bench_sys.clocksource, "?");
	}
	{
		uint64_t t0 = bench_now_ns();

		for (i = 0; i < 10000; i++)
			bench_now_ns();
		bench_sys.clock_ns = (bench_now_ns() - t0) / 10000.0;
	}
	bench_sys.is_root = geteuid() == 0;
	/* make bench LOAD=N passes KMSGQ_HOST_LOAD=N on the guest's command line. */
	load = getenv("KMSGQ_HOST_LOAD");
	if (load && *load && strspn(load, "0123456789") == strlen(load))
		snprintf(bench_sys.host_load, sizeof(bench_sys.host_load), "%s",
			 load);
	strcpy(bench_sys.idle, "halt (default)");
	f = fopen("/proc/cmdline", "r");
	if (f) {
		char line[1024], *p;

		if (fgets(line, sizeof(line), f) && (p = strstr(line, "idle="))) {
			p[strcspn(p, " \n")] = 0;
			snprintf(bench_sys.idle, sizeof(bench_sys.idle), "%s", p);
		}
		fclose(f);
	}
}

/* ------------------------------------------------------------- main */

/* A comma list of message sizes (multiples of 8) into @out: how many. */
static int bench_parse_sizes(const char *list, size_t *out, int max)
{
	char *s = strdup(list), *tok, *save;
	int n = 0;

	for (tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t sz = strtoul(tok, NULL, 0);

		if (sz < 8 || sz % 8)
			bench_die("sizes must be multiples of 8: %s", tok);
		out[n++] = sz;
	}
	free(s);
	if (!n)
		bench_die("no message size in '%s'", list);
	return n;
}

/* A comma list of fan-out subscriber counts into bench_cfg.fanout_subs. */
static void bench_parse_subs(const char *list)
{
	char *s = strdup(list), *tok, *save;
	int n = 0;

	for (tok = strtok_r(s, ",", &save); tok && n < 8;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned long k = strtoul(tok, NULL, 0);

		if (k < 1 || k >= BENCH_MAX_CHILDREN)
			bench_die("subscribers: 1..%d, not %s",
				  BENCH_MAX_CHILDREN - 1, tok);
		bench_cfg.fanout_subs[n++] = k;
	}
	free(s);
	bench_cfg.nfanout_subs = n;
}

/*
 * The fan-out cells of variant @base: fanout_1to4 at every fan-out size,
 * then the sweep's other subscriber counts at the first size.
 */
static void bench_fanout_cells(int base)
{
	int i;

	for (i = 0; i < bench_cfg.nfanout_sizes; i++)
		runner_add_cell(base + BENCH_W_FANOUT, bench_cfg.fanout_sizes[i],
				BENCH_FANOUT_SUBS);
	for (i = 0; i < bench_cfg.nfanout_subs; i++)
		if (bench_cfg.fanout_subs[i] != BENCH_FANOUT_SUBS)
			runner_add_cell(base + BENCH_W_FANOUT,
					bench_cfg.fanout_sizes[0],
					bench_cfg.fanout_subs[i]);
}

/* A depth every transport can have: a power of two, at least 2. */
static int bench_pow2(unsigned int n)
{
	return n >= 2 && !(n & (n - 1));
}

static void bench_usage(void)
{
	printf("usage: kmsgq_bench [--short] [--rounds N] [--time SEC] [--depth N]\n"
	       "                   [--fanout-depth N] [--pp-iters N] [--msgs N]\n"
	       "                   [--transports LIST]\n"
	       "                   [--sizes LIST] [--pp-sizes LIST] [--workloads LIST]\n"
	       "                   [--fanout-sizes LIST] [--fanout-subs LIST]\n"
	       "  --short       the quick version (make demo): 3 rounds, 0.08 s, 2000 round\n"
	       "                trips, no fan-out unless --workloads names it\n"
	       "  --rounds N    rounds per cell (default 5)\n"
	       "  --time SEC    per-run time of the slowest transport (default 0.5)\n"
	       "  --depth N     queue depth of every transport (default 64)\n"
	       "  --fanout-depth N  ... in the fan-out cells, per subscriber for the\n"
	       "                transports with a queue per subscriber (default 1024)\n"
	       "  --pp-iters N  round trips per pingpong run (default 10000)\n"
	       "  --msgs N      messages per stream run (4:4: per producer), no\n"
	       "                calibration pass (default: calibrated to --time)\n"
	       "  --transports  comma list of:");
	for (int t = 0; t < bench_nt; t++)
		printf("%s%s", t ? "," : " ", bench_transports[t]->name);
	printf("\n"
	       "  --sizes       comma list of 1:1 message sizes (multiples of 8)\n"
	       "  --pp-sizes    comma list of pingpong message sizes (default 64,4096)\n"
	       "  --workloads   comma list of: stream,pingpong,mpmc,fanout (default: all;\n"
	       "                --short: all but fanout)\n"
	       "  --fanout-sizes comma list of fan-out message sizes (default 64,4096):\n"
	       "                1 publisher, %d subscribers at each\n"
	       "  --fanout-subs comma list of subscriber counts (default 1,2,4,8): the\n"
	       "                publisher-CPU sweep, at the first fan-out size\n"
	       "  --variants    comma list of: split (the issue's placement), 1cpu (every\n"
	       "                process on CPU 0), oversub (split, plus a busy process\n"
	       "                per CPU beside it); default split,1cpu\n"
	       "  --verbose     a line per run (batch calls, ring waits and sleeps per\n"
	       "                message) and per cell (how zero-copy waits ended,\n"
	       "                their spin time)\n"
	       "  --no-spin-time  --verbose without the spin time (its clock reads\n"
	       "                are two system calls per wait, which a profile sees)\n"
	       "  --pin WHERE   1:1 and pingpong placement: split (default: CPU 0 and\n"
	       "                CPU 1), same (both on CPU 0), none (not pinned)\n"
	       "  --fanout-pin WHERE  fan-out placement but 1cpu's: none (default: not\n"
	       "                pinned), split (publisher on CPU 0, subscribers on CPU 1)\n"
	       "Exit status: 0, or 1 after a functional error (never for timing).\n",
	       BENCH_FANOUT_SUBS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "short", no_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "depth", required_argument, NULL, 'd' },
		{ "fanout-depth", required_argument, NULL, 'D' },
		{ "pp-iters", required_argument, NULL, 'p' },
		{ "msgs", required_argument, NULL, 'n' },
		{ "pp-sizes", required_argument, NULL, 'Q' },
		{ "transports", required_argument, NULL, 'T' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "workloads", required_argument, NULL, 'W' },
		{ "fanout-sizes", required_argument, NULL, 'F' },
		{ "fanout-subs", required_argument, NULL, 'U' },
		{ "pin", required_argument, NULL, 'P' },
		{ "fanout-pin", required_argument, NULL, 'A' },
		{ "variants", required_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-spin-time", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int wl_on[BENCH_W_NBASE] = { 1, 1, 1, 1 }, wl_given = 0;
	int var_on[BENCH_V_NVAR] = { 1, 1, 0 };
	int rounds = 0, pp = 0, o, i, t, v;
	double budget = 0;
	double t_all = bench_now_s();

	for (t = 0; t < bench_nt; t++)
		bench_cfg.use[t] = 1;
	while ((o = getopt_long(argc, argv, "sr:t:d:D:p:n:T:S:Q:W:F:U:P:A:V:vNh", opts, NULL)) != -1) {
		char *s, *tok, *save;

		switch (o) {
		case 's':
			bench_cfg.short_mode = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			budget = atof(optarg);
			break;
		case 'd':
			bench_cfg.depth = atoi(optarg);
			break;
		case 'D':
			bench_cfg.fanout_depth = atoi(optarg);
			break;
		case 'p':
			pp = atoi(optarg);
			break;
		case 'n':
			bench_cfg.msgs = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			memset(bench_cfg.use, 0, sizeof(bench_cfg.use));
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				t = bench_transport_find(tok);
				if (t >= 0)
					bench_cfg.use[t] = 1;
			}
			free(s);
			break;
		case 'S':
			bench_cfg.nsizes = bench_parse_sizes(optarg,
				bench_cfg.sizes, 16);
			break;
		case 'Q':
			bench_cfg.npp_sizes = bench_parse_sizes(optarg,
				bench_cfg.pp_sizes, 4);
			break;
		case 'W':
			wl_given = 1;
			memset(wl_on, 0, sizeof(wl_on));
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				wl_on[BENCH_W_STREAM] |= !strcmp(tok, "stream");
				wl_on[BENCH_W_PINGPONG] |= !strcmp(tok, "pingpong");
				wl_on[BENCH_W_MPMC] |= !strcmp(tok, "mpmc");
				wl_on[BENCH_W_FANOUT] |= !strcmp(tok, "fanout");
			}
			free(s);
			break;
		case 'F':
			bench_cfg.nfanout_sizes = bench_parse_sizes(optarg,
				bench_cfg.fanout_sizes, 4);
			break;
		case 'U':
			bench_parse_subs(optarg);
			break;
		case 'P':
			for (t = 0; t < 3; t++)
				if (!strcmp(optarg, pin_name[t]))
					bench_cfg.placement = t;
			break;
		case 'A':
			bench_cfg.fanout_pin = !strcmp(optarg, "split");
			break;
		case 'v':
			bench_cfg.verbose = 1;
			break;
		case 'N':
			bench_cfg.no_spin_time = 1;
			break;
		case 'V':
			var_on[BENCH_V_SPLIT] = !!strstr(optarg, "split");
			var_on[BENCH_V_ONECPU] = !!strstr(optarg, "1cpu");
			var_on[BENCH_V_OVERSUB] = !!strstr(optarg, "oversub");
			break;
		case 'h':
			bench_usage();
			return 0;
		default:
			bench_usage();
			return 2;
		}
	}
	if (bench_cfg.short_mode) {
		/* make demo's time: fan-out only when asked for */
		if (!wl_given)
			wl_on[BENCH_W_FANOUT] = 0;
		bench_cfg.rounds = 3;
		bench_cfg.budget = 0.08;
		bench_cfg.pp_iters = 2000;
		bench_cfg.pp_cap = 0.4;
	}
	if (rounds > 0)
		bench_cfg.rounds = rounds > 63 ? 63 : rounds;
	if (budget > 0)
		bench_cfg.budget = budget;
	if (pp > 0)
		bench_cfg.pp_iters = pp;
	if (!bench_pow2(bench_cfg.depth))
		bench_die("--depth must be a power of two >= 2 (ring queues round up)");
	if (!bench_pow2(bench_cfg.fanout_depth))
		bench_die("--fanout-depth must be a power of two >= 2");

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	runner_init();

	bench_detect_env();
	bench_cfg.oversub_n = bench_sys.ncpus;
	for (t = 0; t < bench_nt; t++)
		if (bench_transports[t]->init && bench_transports[t]->init())
			bench_cfg.use[t] = 0;
	report_banner(stdout, "# ");
	printf("# %s mode: %d rounds, %.2f s per run of the slowest transport, "
	       "%u round trips per pingpong run\n# %s\n# kmsgq: %s\n",
	       bench_cfg.short_mode ? "short" : "full", bench_cfg.rounds,
	       bench_cfg.budget, bench_cfg.pp_iters, bench_sys.mq_note,
	       bench_sys.kmsgq_why);

	for (v = 0; v < BENCH_V_NVAR; v++) {
		int base = v * BENCH_W_NBASE;

		if (!var_on[v])
			continue;
		if (wl_on[BENCH_W_STREAM])
			for (i = 0; i < bench_cfg.nsizes; i++)
				runner_add_cell(base + BENCH_W_STREAM,
						bench_cfg.sizes[i], 0);
		if (wl_on[BENCH_W_PINGPONG])
			for (i = 0; i < bench_cfg.npp_sizes; i++)
				runner_add_cell(base + BENCH_W_PINGPONG,
						bench_cfg.pp_sizes[i], 0);
		if (wl_on[BENCH_W_MPMC])
			runner_add_cell(base + BENCH_W_MPMC, bench_cfg.mpmc_size,
					0);
		if (wl_on[BENCH_W_FANOUT])
			bench_fanout_cells(base);
	}
	for (i = 0; i < runner_ncells; i++)
		runner_run_cell(&runner_cells[i]);

	report_tables();
	report_targets();
	report_csv();
	printf("\n# total %.0f s; functional errors: %d\n",
	       bench_now_s() - t_all, bench_errors);
	if (!bench_sys.is_tcg)
		printf("# note: %s\n", bench_sys.env);
	return bench_errors ? 1 : 0;
}
