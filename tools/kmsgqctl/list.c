// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's queue list, and the commands that read it: list, show and
 * watch; and info, the module's version, features and limits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmsgqctl.h"
#include "output.h"

#define SYSFS_MODULE	"/sys/module/kmsgq/"
#define LIST_BATCH	64	/* entries fetched per kmsgq_list() call */

/* The queue list */

int list_fetch(struct qlist *l)
{
	uint64_t cursor = 0;
	size_t cap = 0;
	int fd, n;

	l->e = NULL;
	l->nr = 0;
	fd = dev_open();
	if (fd < 0)
		return EXIT_FAILURE;
	for (;;) {
		if (cap - l->nr < LIST_BATCH) {
			struct kmsgq_queue_entry *e;

			cap += LIST_BATCH;
			e = realloc(l->e, cap * sizeof(*e));
			if (!e)
				return kmsgqctl_fail_errno("list", ENOMEM);
			l->e = e;
		}
		n = kmsgq_list(fd, &cursor, l->e + l->nr, LIST_BATCH);
		if (n == -ENOTTY)
			return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
					     "the loaded kmsgq module cannot list queues");
		if (n < 0)
			return kmsgqctl_fail(KMSGQ_DEVICE_PATH, "list: %s",
					     strerror(-n));
		if (!n)
			return 0;
		l->nr += n;
	}
}

const struct kmsgq_queue_entry *list_find(const struct qlist *l,
					  const char *name)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strncmp(l->e[i].name, name, KMSGQ_NAME_MAX))
			return &l->e[i];
	return NULL;
}

const char *list_queue_type(const struct kmsgq_queue_entry *e)
{
	if (e->qflags & KMSGQ_OPEN_FANOUT)
		return "fanout";
	return e->qflags & KMSGQ_OPEN_RING ? "ring" : "copy";
}

const char *list_queue_kind(const struct kmsgq_queue_entry *e)
{
	static char kind[sizeof("fanout+inplace+reclaim+sender")];
	bool fanout_ring = (e->qflags & KMSGQ_OPEN_FANOUT) &&
			   (e->qflags & KMSGQ_OPEN_RING);
	const char *map = "";

	/* An in-place queue is a mapped one whose publishers write too. */
	if (fanout_ring)
		map = e->qflags & KMSGQ_OPEN_INPLACE ? "+inplace" : "+ring";
	snprintf(kind, sizeof(kind), "%s%s%s%s", list_queue_type(e), map,
		 e->qflags & KMSGQ_OPEN_RECLAIM ? "+reclaim" : "",
		 e->qflags & KMSGQ_OPEN_SENDER ? "+sender" : "");
	return kind;
}

/* The overflow policies, by the KMSGQ_OPEN_OVERFLOW_* bit that asks for each. */
static const struct {
	unsigned int qflag;
	const char *name;
} overflows[] = {
	{ 0, "block" },
	{ KMSGQ_OPEN_OVERFLOW_FAIL, "fail" },
	{ KMSGQ_OPEN_OVERFLOW_DROP, "drop" },
};

#define NR_OVERFLOWS	(sizeof(overflows) / sizeof(overflows[0]))

const char *list_queue_overflow(const struct kmsgq_queue_entry *e)
{
	size_t i;

	for (i = 1; i < NR_OVERFLOWS; i++)
		if (e->qflags & overflows[i].qflag)
			return overflows[i].name;
	return overflows[0].name;
}

int list_overflow_qflag(const char *name)
{
	size_t i;

	for (i = 0; i < NR_OVERFLOWS; i++)
		if (!strcmp(overflows[i].name, name))
			return overflows[i].qflag;
	return -1;
}

/* A queue's limits and counters, in the order show and JSON print them. */
#define NR_COUNTERS	12

struct counter {
	const char *name;
	unsigned long long v;
};

static void list_counters(const struct kmsgq_queue_entry *e,
			  struct counter c[NR_COUNTERS])
{
	const struct counter all[NR_COUNTERS] = {
		{ "max_msgs", e->max_msgs },
		{ "max_msgsize", e->max_msgsize },
		{ "cur_msgs", e->cur_msgs },
		{ "files", e->files },
		{ "send_waiters", e->send_waiters },
		{ "recv_waiters", e->recv_waiters },
		{ "mappings", e->mappings },
		{ "msgs_sent", e->msgs_sent },
		{ "msgs_recv", e->msgs_recv },
		{ "bytes_sent", e->bytes_sent },
		{ "bytes_recv", e->bytes_recv },
		{ "msgs_lost", e->msgs_lost },
	};

	memcpy(c, all, sizeof(all));
}

/*
 * A fan-out queue's subscribers, but kmsgqctl's, or -1 if it may not
 * count them (or the queue is another kind).
 */
static long list_subscribers(const struct kmsgq_queue_entry *e)
{
	struct subs_list l;

	if (!(e->qflags & KMSGQ_OPEN_FANOUT) || subs_collect(e->name, &l))
		return -1;
	free(l.s);
	return l.nr;
}

/* One queue as a JSON object, left open for callers to add fields. */
static void list_json_entry_open(const struct kmsgq_queue_entry *e,
				 bool numeric)
{
	struct counter c[NR_COUNTERS];
	struct names_owner o;
	size_t i;

	names_owner(e, numeric, &o);
	fputs("{\"name\":", stdout);
	output_json_string(e->name, strnlen(e->name, KMSGQ_NAME_MAX));
	printf(",\"id\":%llu,\"type\":\"%s\",\"reclaim\":%s,\"sender\":%s,\"ring\":%s,\"inplace\":%s,\"overflow\":\"%s\",\"mode\":\"%04o\",\"uid\":%u,\"user\":",
	       (unsigned long long)e->id, list_queue_type(e),
	       e->qflags & KMSGQ_OPEN_RECLAIM ? "true" : "false",
	       e->qflags & KMSGQ_OPEN_SENDER ? "true" : "false",
	       e->qflags & KMSGQ_OPEN_RING ? "true" : "false",
	       e->qflags & KMSGQ_OPEN_INPLACE ? "true" : "false",
	       list_queue_overflow(e), e->mode, e->uid);
	output_json_cstring_or_null(o.has_user ? o.user : NULL);
	printf(",\"gid\":%u,\"group\":", e->gid);
	output_json_cstring_or_null(o.has_group ? o.group : NULL);
	list_counters(e, c);
	for (i = 0; i < NR_COUNTERS; i++)
		printf(",\"%s\":%llu", c[i].name, c[i].v);
}

/* list and show */

/* The options of list and show: whether --numeric was given. */
static bool list_numeric_opt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "numeric", no_argument, NULL, 'n' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	bool numeric = false;

	while (kmsgqctl_next_opt(argc, argv, ":njh", longopts) != -1)
		numeric = true;		/* 'n', the only other option */
	return numeric;
}

int list_cmd_list(int argc, char **argv)
{
	static const char *const heads[] = {
		"NAME", "TYPE", "OVERFLOW", "MODE", "OWNER", "GROUP", "DEPTH",
		"MSGSIZE", "FILES", "SENT", "RECV", "LOST"
	};
	struct output_row *rows;
	struct qlist l;
	bool numeric;
	size_t i;

	numeric = list_numeric_opt(argc, argv);
	kmsgqctl_no_args(argc, argv);
	if (list_fetch(&l))
		return EXIT_FAILURE;

	if (kmsgqctl_json) {
		putchar('[');
		for (i = 0; i < l.nr; i++) {
			output_json_item(i);
			list_json_entry_open(&l.e[i], numeric);
			putchar('}');
		}
		output_json_array_end(l.nr);
		free(l.e);
		return 0;
	}

	rows = calloc(l.nr ? l.nr : 1, sizeof(*rows));
	if (!rows)
		return kmsgqctl_fail_errno("list", ENOMEM);
	for (i = 0; i < l.nr; i++) {
		const struct kmsgq_queue_entry *e = &l.e[i];
		char (*cell)[OUTPUT_TABLE_CELL] = rows[i].cell;
		struct names_owner o;

		names_owner(e, numeric, &o);
		output_cellf(cell[0], "%.*s", KMSGQ_NAME_MAX, e->name);
		output_cellf(cell[1], "%s", list_queue_kind(e));
		output_cellf(cell[2], "%s", list_queue_overflow(e));
		output_cellf(cell[3], "%04o", e->mode);
		output_cellf(cell[4], "%s", o.user);
		output_cellf(cell[5], "%s", o.group);
		output_cellf(cell[6], "%u/%u", e->cur_msgs, e->max_msgs);
		output_cellf(cell[7], "%u", e->max_msgsize);
		output_cellf(cell[8], "%u", e->files);
		output_cellf(cell[9], "%llu", (unsigned long long)e->msgs_sent);
		output_cellf(cell[10], "%llu", (unsigned long long)e->msgs_recv);
		output_cellf(cell[11], "%llu", (unsigned long long)e->msgs_lost);
	}
	output_table_print(heads, "llllllrrrrrr", rows, l.nr);
	free(rows);
	free(l.e);
	return 0;
}

int list_cmd_show(int argc, char **argv)
{
	const struct kmsgq_queue_entry *e;
	struct counter c[NR_COUNTERS];
	const char *name;
	struct names_owner o;
	struct qlist l;
	bool numeric;
	long subs;
	size_t i;

	numeric = list_numeric_opt(argc, argv);
	name = kmsgqctl_one_name(argc, argv);
	if (list_fetch(&l))
		return EXIT_FAILURE;
	e = list_find(&l, name);
	if (!e) {
		free(l.e);
		return kmsgqctl_fail(name, "no such queue");
	}

	subs = list_subscribers(e);
	if (kmsgqctl_json) {
		list_json_entry_open(e, numeric);
		if ((e->qflags & KMSGQ_OPEN_FANOUT) && subs >= 0)
			printf(",\"subscribers\":%ld", subs);
		else if (e->qflags & KMSGQ_OPEN_FANOUT)
			fputs(",\"subscribers\":null", stdout);
		puts("}");
		free(l.e);
		return 0;
	}
	names_owner(e, numeric, &o);
	printf("name          %.*s\n", KMSGQ_NAME_MAX, e->name);
	printf("id            %llu\n", (unsigned long long)e->id);
	printf("type          %s\n", list_queue_type(e));
	printf("reclaim       %s\n",
	       e->qflags & KMSGQ_OPEN_RECLAIM ? "yes" : "no");
	printf("sender        %s\n",
	       e->qflags & KMSGQ_OPEN_SENDER ? "yes" : "no");
	printf("ring          %s\n",
	       e->qflags & KMSGQ_OPEN_RING ? "yes" : "no");
	printf("inplace       %s\n",
	       e->qflags & KMSGQ_OPEN_INPLACE ? "yes" : "no");
	printf("overflow      %s\n", list_queue_overflow(e));
	printf("mode          %04o\n", e->mode);
	printf("owner         %s\n", o.user);
	printf("group         %s\n", o.group);
	list_counters(e, c);
	for (i = 0; i < NR_COUNTERS; i++)
		printf("%-14s%llu\n", c[i].name, c[i].v);
	if ((e->qflags & KMSGQ_OPEN_FANOUT) && subs >= 0)
		printf("subscribers   %ld\n", subs);
	else if (e->qflags & KMSGQ_OPEN_FANOUT)
		printf("subscribers   -\n");
	free(l.e);
	return 0;
}

/* watch */

/* @e's figure in the previous sample, if it was there (same id). */
static const struct kmsgq_queue_entry *
list_watch_prev(const struct qlist *prev, const struct kmsgq_queue_entry *e)
{
	size_t i;

	for (i = 0; i < prev->nr; i++)
		if (prev->e[i].id == e->id)
			return &prev->e[i];
	return NULL;
}

static bool list_watch_wanted(char **names, int nr, const char *name)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strncmp(names[i], name, KMSGQ_NAME_MAX))
			return true;
	return !nr;
}

struct rates {
	double sent, recv, bytes_sent, bytes_recv;
};

/*
 * @e's rates over the @dt seconds since the sample @prev (NULL: none);
 * false if @e was not in it.
 */
static bool list_watch_rates(const struct kmsgq_queue_entry *e,
			     const struct qlist *prev, double dt,
			     struct rates *r)
{
	const struct kmsgq_queue_entry *p;

	p = prev ? list_watch_prev(prev, e) : NULL;

	if (!p)
		return false;
	r->sent = (double)(e->msgs_sent - p->msgs_sent) / dt;
	r->recv = (double)(e->msgs_recv - p->msgs_recv) / dt;
	r->bytes_sent = (double)(e->bytes_sent - p->bytes_sent) / dt;
	r->bytes_recv = (double)(e->bytes_recv - p->bytes_recv) / dt;
	return true;
}

static void list_watch_json(const struct qlist *cur, const struct qlist *prev,
			    double dt, char **names, int nr_names)
{
	unsigned long long n = 0;
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &now);
	printf("{\"time\":%lld.%03ld,\"queues\":[", (long long)now.tv_sec,
	       now.tv_nsec / 1000000);
	for (i = 0; i < cur->nr; i++) {
		const struct kmsgq_queue_entry *e = &cur->e[i];
		struct rates r;

		if (!list_watch_wanted(names, nr_names, e->name))
			continue;
		if (n++)
			putchar(',');
		list_json_entry_open(e, false);
		if (list_watch_rates(e, prev, dt, &r)) {
			printf(",\"sent_per_s\":%.3f,\"recv_per_s\":%.3f,"
			       "\"bytes_sent_per_s\":%.3f,\"bytes_recv_per_s\":%.3f}",
			       r.sent, r.recv, r.bytes_sent, r.bytes_recv);
		} else {
			fputs(",\"sent_per_s\":null,\"recv_per_s\":null,"
			      "\"bytes_sent_per_s\":null,\"bytes_recv_per_s\":null}",
			      stdout);
		}
	}
	puts("]}");
}

static int list_watch_human(const struct qlist *cur, const struct qlist *prev,
			    double dt, char **names, int nr_names,
			    const char *interval)
{
	static const char *const heads[] = {
		"NAME", "DEPTH", "SENT", "RECV", "SENT/s", "RECV/s",
		"SWAIT", "RWAIT"
	};
	struct output_row *rows;
	size_t i, n = 0;
	char when[64];
	struct tm tm;
	time_t now;

	rows = calloc(cur->nr ? cur->nr : 1, sizeof(*rows));
	if (!rows)
		return kmsgqctl_fail_errno("watch", ENOMEM);
	for (i = 0; i < cur->nr; i++) {
		const struct kmsgq_queue_entry *e = &cur->e[i];
		char (*cell)[OUTPUT_TABLE_CELL] = rows[n].cell;
		struct rates r;

		if (!list_watch_wanted(names, nr_names, e->name))
			continue;
		n++;
		output_cellf(cell[0], "%.*s", KMSGQ_NAME_MAX, e->name);
		output_cellf(cell[1], "%u/%u", e->cur_msgs, e->max_msgs);
		output_cellf(cell[2], "%llu", (unsigned long long)e->msgs_sent);
		output_cellf(cell[3], "%llu", (unsigned long long)e->msgs_recv);
		if (list_watch_rates(e, prev, dt, &r)) {
			output_cellf(cell[4], "%.1f", r.sent);
			output_cellf(cell[5], "%.1f", r.recv);
		} else {
			strcpy(cell[4], "-");
			strcpy(cell[5], "-");
		}
		output_cellf(cell[6], "%u", e->send_waiters);
		output_cellf(cell[7], "%u", e->recv_waiters);
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S %Z", &tm);
	printf("%s, every %s s\n", when, interval);
	output_table_print(heads, "lrrrrrrr", rows, n);
	free(rows);
	return 0;
}

int list_cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct timespec interval = { 1, 0 }, next, t_prev = { 0, 0 }, t;
	struct qlist cur, prev = { NULL, 0 };
	const char *interval_str = "1";
	unsigned long long count = 0, i;
	bool tty = isatty(STDOUT_FILENO);
	char **names;
	int c, nr_names, ret = 0;

	while ((c = kmsgqctl_next_opt(argc, argv, ":i:c:jh", longopts)) != -1) {
		switch (c) {
		case 'i':
			interval = kmsgqctl_parse_seconds("--interval", optarg);
			interval_str = optarg;
			if (!interval.tv_sec && !interval.tv_nsec)
				kmsgqctl_usage_error("--interval: must be above 0");
			break;
		case 'c':
			count = kmsgqctl_parse_uint("--count", optarg, 1,
						    UINT64_MAX, false);
			break;
		}
	}
	names = argv + optind;
	nr_names = argc - optind;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; !count || i < count; i++) {
		if (i) {
			next = kmsgqctl_ts_add(next, interval);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					       &next, NULL) == EINTR)
				;
		}
		if (list_fetch(&cur)) {
			ret = EXIT_FAILURE;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!i) {
			int k;

			for (k = 0; k < nr_names; k++)
				if (!list_find(&cur, names[k]))
					ret = kmsgqctl_fail(names[k],
							    "no such queue");
			if (ret) {
				free(cur.e);
				break;
			}
		}
		if (kmsgqctl_json) {
			list_watch_json(&cur, i ? &prev : NULL,
					kmsgqctl_ts_diff(t, t_prev), names,
					nr_names);
		} else {
			if (tty)
				fputs("\033[H\033[J", stdout);
			else if (i)
				putchar('\n');
			ret = list_watch_human(&cur, i ? &prev : NULL,
					       kmsgqctl_ts_diff(t, t_prev),
					       names, nr_names, interval_str);
		}
		free(prev.e);
		prev = cur;
		t_prev = t;
		if (ret || fflush(stdout)) {
			ret = ret ? ret : kmsgqctl_fail_errno("stdout", errno);
			break;
		}
	}
	free(prev.e);
	return ret;
}

/* info */

static const struct {
	__u64 bit;
	const char *name;
} features[] = {
	{ KMSGQ_FEAT_PRIO, "prio" },
	{ KMSGQ_FEAT_BATCH, "batch" },
	{ KMSGQ_FEAT_TIMEOUT, "timeout" },
	{ KMSGQ_FEAT_STATS, "stats" },
	{ KMSGQ_FEAT_RING, "ring" },
	{ KMSGQ_FEAT_LIST, "list" },
	{ KMSGQ_FEAT_IPC_NS, "ipc_ns" },
	{ KMSGQ_FEAT_SETOWNER, "setowner" },
	{ KMSGQ_FEAT_PRIO32K, "prio32k" },
	{ KMSGQ_FEAT_NOTIFY, "notify" },
	{ KMSGQ_FEAT_NOWAIT, "nowait" },
	{ KMSGQ_FEAT_PEEK, "peek" },
	{ KMSGQ_FEAT_OVERFLOW, "overflow" },
	{ KMSGQ_FEAT_RECLAIM, "reclaim" },
	{ KMSGQ_FEAT_URING_CMD, "uring_cmd" },
	{ KMSGQ_FEAT_SENDER, "sender" },
	{ KMSGQ_FEAT_FANOUT, "fanout" },
	{ KMSGQ_FEAT_RING_WAKER, "ring_waker" },
	{ KMSGQ_FEAT_FANOUT_MAP, "fanout_map" },
	{ KMSGQ_FEAT_URING_FANOUT, "uring_fanout" },
	{ KMSGQ_FEAT_FANOUT_INPLACE, "fanout_inplace" },
};

#define NR_FEATURES	(sizeof(features) / sizeof(features[0]))

/* The first line of sysfs file @name of the module, or false. */
static bool list_sysfs_read(const char *name, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS_MODULE "%s", name);
	return kmsgqctl_read_line(path, buf, size);
}

static const char *const params[] = {
	"default_msgs", "default_msgsize", "user_queues_max", "user_bytes_max"
};

#define NR_PARAMS	(sizeof(params) / sizeof(params[0]))

int list_cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		OPT_JSON, OPT_HELP, OPT_END
	};
	char version[64], param[NR_PARAMS][32], path[64], unknown[32];
	bool has_version, has_param[NR_PARAMS], has_queues = false;
	struct kmsgq_info info;
	struct qlist l = { NULL, 0 };
	__u64 rest;
	size_t i;
	int n;

	while (kmsgqctl_next_opt(argc, argv, ":jh", longopts) != -1)
		;
	kmsgqctl_no_args(argc, argv);
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (info.features & KMSGQ_FEAT_LIST) {
		if (list_fetch(&l))
			return EXIT_FAILURE;
		free(l.e);
		has_queues = true;
	}
	has_version = list_sysfs_read("version", version, sizeof(version));
	for (i = 0; i < NR_PARAMS; i++) {
		snprintf(path, sizeof(path), "parameters/%s", params[i]);
		has_param[i] = list_sysfs_read(path, param[i],
					       sizeof(param[i])) &&
			strspn(param[i], "0123456789") == strlen(param[i]);
	}
	rest = info.features;
	for (i = 0; i < NR_FEATURES; i++)
		rest &= ~features[i].bit;
	snprintf(unknown, sizeof(unknown), "0x%llx", (unsigned long long)rest);

	if (kmsgqctl_json) {
		fputs("{\"module_version\":", stdout);
		output_json_cstring_or_null(has_version ? version : NULL);
		printf(",\"abi_version\":%u,\"features\":[", info.abi_version);
		for (i = 0, n = 0; i < NR_FEATURES; i++)
			if (info.features & features[i].bit)
				printf("%s\"%s\"", n++ ? "," : "",
				       features[i].name);
		if (rest)
			printf("%s\"%s\"", n ? "," : "", unknown);
		printf("],\"max_queues\":%u,\"queues\":", info.max_queues);
		if (has_queues)
			printf("%zu", l.nr);
		else
			fputs("null", stdout);
		printf(",\"max_msgs\":%u,\"max_msgsize\":%u", info.max_msgs,
		       info.max_msgsize);
		for (i = 0; i < NR_PARAMS; i++)
			printf(",\"%s\":%s", params[i],
			       has_param[i] ? param[i] : "null");
		printf(",\"name_max\":%u,\"prio_max\":%u,\"batch_max\":%u}\n",
		       info.name_max, info.prio_max, info.batch_max);
		return 0;
	}
	printf("module_version   %s\n", has_version ? version : "-");
	printf("abi_version      %u\n", info.abi_version);
	fputs("features        ", stdout);
	for (i = 0; i < NR_FEATURES; i++)
		if (info.features & features[i].bit)
			printf(" %s", features[i].name);
	if (rest)
		printf(" %s", unknown);
	putchar('\n');
	printf("max_queues       %u\n", info.max_queues);
	if (has_queues)
		printf("queues           %zu\n", l.nr);
	else
		printf("queues           -\n");
	printf("max_msgs         %u\n", info.max_msgs);
	printf("max_msgsize      %u\n", info.max_msgsize);
	for (i = 0; i < NR_PARAMS; i++)
		printf("%-16s %s\n", params[i], has_param[i] ? param[i] : "-");
	printf("name_max         %u\n", info.name_max);
	printf("prio_max         %u\n", info.prio_max);
	printf("batch_max        %u\n", info.batch_max);
	return 0;
}
