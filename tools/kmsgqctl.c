// SPDX-License-Identifier: MIT
/*
 * kmsgqctl - list, inspect, create, remove, feed, drain and watch kmsgq
 * queues from the shell: the kmsgq counterpart of ipcs(1), ipcmk(1) and
 * ipcrm(1).  Everything goes through libkmsgq; the manual is kmsgqctl(1).
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error, 3 a send
 * or receive found the queue full or empty (--nonblock) or timed out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#ifdef KMSGQ_TOOLS_SHARED
#include <grp.h>
#include <pwd.h>
#endif

#include <kmsgq.h>

#define KMSGQCTL_VERSION	"0.1"

#define EXIT_USAGE	2
#define EXIT_AGAIN	3	/* queue full/empty with --nonblock, or timed out */

#define SYSFS_MODULE	"/sys/module/kmsgq/"
#define LIST_BATCH	64	/* entries fetched per kmsgq_list() call */
#define SECONDS_MAX	1000000000ULL	/* longest --timeout / --interval */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command *cur_cmd;	/* the command being parsed */
static bool opt_json;
static int dev_fd = -1;			/* /dev/kmsgq, once dev_open() ran */

/* "kmsgqctl: CONTEXT: MESSAGE" on stderr; returns EXIT_FAILURE. */
static int __attribute__((format(printf, 2, 3)))
fail(const char *context, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kmsgqctl: %s: ", context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

/* fail() with the text of errno value @err. */
static int fail_errno(const char *context, int err)
{
	return fail(context, "%s", strerror(err));
}

/* A usage error: the message, the command's synopsis, exit status 2. */
static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kmsgqctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_cmd)
		fprintf(stderr, "Usage: kmsgqctl %s %s\n"
			"Try 'kmsgqctl %s --help' for more information.\n",
			cur_cmd->name, cur_cmd->synopsis, cur_cmd->name);
	else
		fputs("Try 'kmsgqctl --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/*
 * Numbers are parsed strictly: decimal digits only (no sign, no blanks),
 * within [@min, @max]; @sizes also takes a K or M suffix (x1024, x1048576).
 */
static unsigned long long parse_uint(const char *opt, const char *s,
				     unsigned long long min,
				     unsigned long long max, bool sizes)
{
	unsigned long long v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		usage_error("%s: '%s' is not a number", opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (sizes && (*end == 'K' || *end == 'k'))
		mult = 1024, end++;
	else if (sizes && (*end == 'M' || *end == 'm'))
		mult = 1024 * 1024, end++;
	if (*end)
		usage_error("%s: '%s' is not a number", opt, s);
	if (errno == ERANGE || v > max / mult || v * mult < min)
		usage_error("%s: %s is out of range (%llu..%llu)", opt, s, min,
			    max);
	return v * mult;
}

/* Permission bits in octal, 0..0777. */
static unsigned int parse_mode(const char *s)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "01234567") != strlen(s))
		usage_error("--mode: '%s' is not an octal mode", s);
	v = strtoul(s, &end, 8);
	if (v > 0777)
		usage_error("--mode: %s is out of range (0..0777)", s);
	return v;
}

/* Seconds as DIGITS[.DIGITS] (nanosecond resolution), at most SECONDS_MAX. */
static struct timespec parse_seconds(const char *opt, const char *s)
{
	struct timespec ts = { 0, 0 };
	unsigned long long sec = 0;
	long scale = 100000000;
	const char *p = s;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		sec = sec * 10 + (*p - '0');
		if (sec > SECONDS_MAX)
			usage_error("%s: %s is out of range (0..%llu seconds)",
				    opt, s, SECONDS_MAX);
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			ts.tv_nsec += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits || *p)
		usage_error("%s: '%s' is not a number of seconds", opt, s);
	ts.tv_sec = sec;
	return ts;
}

static struct timespec ts_add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000;
	}
	return a;
}

static double ts_diff(struct timespec a, struct timespec b)
{
	return (double)(a.tv_sec - b.tv_sec) + (a.tv_nsec - b.tv_nsec) / 1e9;
}

/*
 * The next option of the current command.  --json and --help are every
 * command's and are handled here, as are unknown or incomplete options.
 * @shortopts must start with ':'.
 */
static int next_opt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		switch (c) {
		case 'j':
			opt_json = true;
			continue;
		case 'h':
			printf("Usage: kmsgqctl %s %s\n\n%s", cur_cmd->name,
			       cur_cmd->synopsis, cur_cmd->help);
			exit(fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS);
		case ':':
			usage_error("%s: option '%s' needs an argument",
				    cur_cmd->name, argv[optind - 1]);
		case '?':
			if (optopt)
				usage_error("%s: unknown option '-%c'",
					    cur_cmd->name, optopt);
			usage_error("%s: unknown option '%s'", cur_cmd->name,
				    argv[optind - 1]);
		default:
			return c;
		}
	}
}

/* Options every command takes (next_opt() handles them); a table's end. */
#define OPT_JSON	{ "json", no_argument, NULL, 'j' }
#define OPT_HELP	{ "help", no_argument, NULL, 'h' }
#define OPT_END		{ NULL, 0, NULL, 0 }

/* The arguments left after the options: none, at least one name, one name. */
static void no_args(int argc, char **argv)
{
	if (optind < argc)
		usage_error("%s: unexpected argument '%s'", cur_cmd->name,
			    argv[optind]);
}

static void need_name(int argc)
{
	if (optind == argc)
		usage_error("%s: missing queue name", cur_cmd->name);
}

static const char *one_name(int argc, char **argv)
{
	need_name(argc);
	if (argc - optind > 1)
		usage_error("%s: one queue name at a time", cur_cmd->name);
	return argv[optind];
}

/* JSON output: strings escaped, bytes that are not UTF-8 as \u00XX. */

/* Length of the valid UTF-8 sequence at @p (of @n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned int cp, min;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
	size_t k;

	for (; n; p += k, n -= k) {
		k = utf8_len(p, n);
		if (!k)
			return false;
	}
	return true;
}

static void json_string(const void *buf, size_t n)
{
	/* Characters with a short escape; the letter after the backslash. */
	static const char esc[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt";
	const unsigned char *p = buf;
	const char *e;
	size_t k;

	putchar('"');
	for (; n; p += k, n -= k) {
		k = 1;
		e = memchr(esc, *p, sizeof(esc) - 1);	/* not its NUL */
		if (e) {
			putchar('\\');
			putchar(letter[e - esc]);
		} else if (*p < 0x20) {
			printf("\\u%04x", *p);
		} else if (*p < 0x80) {
			putchar(*p);
		} else {
			k = utf8_len(p, n);
			if (k) {
				fwrite(p, 1, k, stdout);
			} else {
				printf("\\u%04x", *p);
				k = 1;
			}
		}
	}
	putchar('"');
}

/* @s as a JSON string, or null for none. */
static void json_cstring_or_null(const char *s)
{
	if (s)
		json_string(s, strlen(s));
	else
		fputs("null", stdout);
}

static void json_base64(const void *buf, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	unsigned long v;
	size_t i;

	putchar('"');
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(b64[v >> 6 & 63]);
		putchar(b64[v & 63]);
	}
	if (i < n) {
		v = (unsigned long)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0);
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(i + 1 < n ? b64[v >> 6 & 63] : '=');
		putchar('=');
	}
	putchar('"');
}

/* Arrays: "[", then each item on its own line, then "]". */
static void json_item(unsigned long long i)
{
	fputs(i ? ",\n" : "\n", stdout);
}

static void json_array_end(unsigned long long nr)
{
	fputs(nr ? "\n]\n" : "]\n", stdout);
}

/* The device and the queue list. */

/* Open /dev/kmsgq once, so that later ENOENTs are about queues. */
static int dev_open(void)
{
	if (dev_fd >= 0)
		return 0;
	dev_fd = open(KMSGQ_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (dev_fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		return fail(KMSGQ_DEVICE_PATH, "module not loaded (%s)",
			    strerror(errno));
	return fail_errno(KMSGQ_DEVICE_PATH, errno);
}

/* The module's limits and features: 0, or the exit status. */
static int dev_info(struct kmsgq_info *info)
{
	int ret;

	if (dev_open())
		return EXIT_FAILURE;
	ret = kmsgq_info(dev_fd, info);
	return ret < 0 ? fail_errno(KMSGQ_DEVICE_PATH, -ret) : 0;
}

/* Report @err (-errno) of opening or unlinking the queue @name. */
static int queue_fail(const char *name, int err)
{
	switch (-err) {
	case ENOENT:
		return fail(name, "no such queue");
	case EINVAL:
		return fail(name, "invalid queue name (1 to %d bytes of A-Z a-z 0-9 . _ -, not . or ..)",
			    KMSGQ_NAME_MAX - 1);
	case ENAMETOOLONG:
		return fail(name, "queue name too long (at most %d bytes)",
			    KMSGQ_NAME_MAX - 1);
	default:
		return fail_errno(name, -err);
	}
}

struct qlist {
	struct kmsgq_queue_entry *e;
	size_t nr;
};

/* Every queue of the caller's user namespace, in creation order. */
static int list_fetch(struct qlist *l)
{
	uint64_t cursor = 0;
	size_t cap = 0;
	int n;

	l->e = NULL;
	l->nr = 0;
	if (dev_open())
		return EXIT_FAILURE;
	for (;;) {
		if (cap - l->nr < LIST_BATCH) {
			struct kmsgq_queue_entry *e;

			cap += LIST_BATCH;
			e = realloc(l->e, cap * sizeof(*e));
			if (!e)
				return fail_errno("list", ENOMEM);
			l->e = e;
		}
		n = kmsgq_list(dev_fd, &cursor, l->e + l->nr, LIST_BATCH);
		if (n == -ENOTTY)
			return fail(KMSGQ_DEVICE_PATH,
				    "the loaded kmsgq module cannot list queues");
		if (n < 0)
			return fail(KMSGQ_DEVICE_PATH, "list: %s",
				    strerror(-n));
		if (!n)
			return 0;
		l->nr += n;
	}
}

static const struct kmsgq_queue_entry *list_find(const struct qlist *l,
						 const char *name)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strncmp(l->e[i].name, name, KMSGQ_NAME_MAX))
			return &l->e[i];
	return NULL;
}

static const char *queue_type(const struct kmsgq_queue_entry *e)
{
	return e->qflags & KMSGQ_OPEN_RING ? "ring" : "copy";
}

#ifdef KMSGQ_TOOLS_SHARED
/* Linked dynamically (make tools-shared): names come through NSS. */
static bool user_name(unsigned int uid, char *buf, size_t size)
{
	const struct passwd *pw = getpwuid(uid);

	return pw && snprintf(buf, size, "%s", pw->pw_name) > 0;
}

static bool group_name(unsigned int gid, char *buf, size_t size)
{
	const struct group *gr = getgrgid(gid);

	return gr && snprintf(buf, size, "%s", gr->gr_name) > 0;
}
#else
/*
 * Name of user or group @id from @file (/etc/passwd or /etc/group) into
 * @buf, or false.  Linked statically (the guest's tool), glibc cannot load
 * NSS modules, so the tool reads the files itself.
 */
static bool id_name(const char *file, unsigned int id, char *buf,
		    size_t size)
{
	bool found = false;
	size_t cap = 0;
	char *line = NULL;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *name = line, *idstr, *end;
		unsigned long v;

		idstr = strchr(line, ':');
		if (!idstr)
			continue;
		*idstr++ = '\0';
		idstr = strchr(idstr, ':');
		if (!idstr || idstr[1] < '0' || idstr[1] > '9')
			continue;
		v = strtoul(idstr + 1, &end, 10);
		if (*end == ':' && v == id && *name) {
			snprintf(buf, size, "%s", name);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

static bool user_name(unsigned int uid, char *buf, size_t size)
{
	return id_name("/etc/passwd", uid, buf, size);
}

static bool group_name(unsigned int gid, char *buf, size_t size)
{
	return id_name("/etc/group", gid, buf, size);
}
#endif

struct owner {
	char user[64];
	char group[64];
	bool has_user;
	bool has_group;
};

static void owner_names(const struct kmsgq_queue_entry *e, bool numeric,
			struct owner *o)
{
	o->has_user = !numeric && user_name(e->uid, o->user, sizeof(o->user));
	o->has_group = !numeric &&
		group_name(e->gid, o->group, sizeof(o->group));
	if (!o->has_user)
		snprintf(o->user, sizeof(o->user), "%u", e->uid);
	if (!o->has_group)
		snprintf(o->group, sizeof(o->group), "%u", e->gid);
}

/* A queue's limits and counters, in the order show and JSON print them. */
#define NR_COUNTERS	11

struct counter {
	const char *name;
	unsigned long long v;
};

static void entry_counters(const struct kmsgq_queue_entry *e,
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
	};

	memcpy(c, all, sizeof(all));
}

/* One queue as a JSON object, left open for callers to add fields. */
static void json_entry_open(const struct kmsgq_queue_entry *e, bool numeric)
{
	struct counter c[NR_COUNTERS];
	struct owner o;
	size_t i;

	owner_names(e, numeric, &o);
	fputs("{\"name\":", stdout);
	json_string(e->name, strnlen(e->name, KMSGQ_NAME_MAX));
	printf(",\"id\":%llu,\"type\":\"%s\",\"mode\":\"%04o\",\"uid\":%u,\"user\":",
	       (unsigned long long)e->id, queue_type(e), e->mode, e->uid);
	json_cstring_or_null(o.has_user ? o.user : NULL);
	printf(",\"gid\":%u,\"group\":", e->gid);
	json_cstring_or_null(o.has_group ? o.group : NULL);
	entry_counters(e, c);
	for (i = 0; i < NR_COUNTERS; i++)
		printf(",\"%s\":%llu", c[i].name, c[i].v);
}

/* Human tables: columns as wide as their widest cell, two spaces apart. */

#define TABLE_COLS	10
#define TABLE_CELL	80

struct row {
	char cell[TABLE_COLS][TABLE_CELL];
};

/* snprintf() into one table cell. */
static void __attribute__((format(printf, 2, 3)))
cellf(char *cell, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cell, TABLE_CELL, fmt, ap);
	va_end(ap);
}

/* @align: one 'l' or 'r' per column. */
static void table_print(const char *const *heads, const char *align,
			const struct row *rows, size_t nr)
{
	size_t ncols = strlen(align), w[TABLE_COLS], c, r;

	for (c = 0; c < ncols; c++) {
		w[c] = strlen(heads[c]);
		for (r = 0; r < nr; r++)
			if (strlen(rows[r].cell[c]) > w[c])
				w[c] = strlen(rows[r].cell[c]);
	}
	for (r = 0; r <= nr; r++) {
		for (c = 0; c < ncols; c++) {
			const char *s = r ? rows[r - 1].cell[c] : heads[c];
			int width = (int)w[c];

			if (c + 1 == ncols && align[c] == 'l')
				width = 0;	/* no trailing blanks */
			printf("%s%*s", c ? "  " : "",
			       align[c] == 'l' ? -width : width, s);
		}
		putchar('\n');
	}
}

/* list and show */

/* The options of list and show: whether --numeric was given. */
static bool numeric_opt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "numeric", no_argument, NULL, 'n' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	bool numeric = false;

	while (next_opt(argc, argv, ":njh", longopts) != -1)
		numeric = true;		/* 'n', the only other option */
	return numeric;
}

static int cmd_list(int argc, char **argv)
{
	static const char *const heads[] = {
		"NAME", "TYPE", "MODE", "OWNER", "GROUP", "DEPTH", "MSGSIZE",
		"FILES", "SENT", "RECV"
	};
	struct row *rows;
	struct qlist l;
	bool numeric;
	size_t i;

	numeric = numeric_opt(argc, argv);
	no_args(argc, argv);
	if (list_fetch(&l))
		return EXIT_FAILURE;

	if (opt_json) {
		putchar('[');
		for (i = 0; i < l.nr; i++) {
			json_item(i);
			json_entry_open(&l.e[i], numeric);
			putchar('}');
		}
		json_array_end(l.nr);
		free(l.e);
		return 0;
	}

	rows = calloc(l.nr ? l.nr : 1, sizeof(*rows));
	if (!rows)
		return fail_errno("list", ENOMEM);
	for (i = 0; i < l.nr; i++) {
		const struct kmsgq_queue_entry *e = &l.e[i];
		char (*cell)[TABLE_CELL] = rows[i].cell;
		struct owner o;

		owner_names(e, numeric, &o);
		cellf(cell[0], "%.*s", KMSGQ_NAME_MAX, e->name);
		cellf(cell[1], "%s", queue_type(e));
		cellf(cell[2], "%04o", e->mode);
		cellf(cell[3], "%s", o.user);
		cellf(cell[4], "%s", o.group);
		cellf(cell[5], "%u/%u", e->cur_msgs, e->max_msgs);
		cellf(cell[6], "%u", e->max_msgsize);
		cellf(cell[7], "%u", e->files);
		cellf(cell[8], "%llu", (unsigned long long)e->msgs_sent);
		cellf(cell[9], "%llu", (unsigned long long)e->msgs_recv);
	}
	table_print(heads, "lllllrrrrr", rows, l.nr);
	free(rows);
	free(l.e);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	const struct kmsgq_queue_entry *e;
	struct counter c[NR_COUNTERS];
	const char *name;
	struct owner o;
	struct qlist l;
	bool numeric;
	size_t i;

	numeric = numeric_opt(argc, argv);
	name = one_name(argc, argv);
	if (list_fetch(&l))
		return EXIT_FAILURE;
	e = list_find(&l, name);
	if (!e) {
		free(l.e);
		return fail(name, "no such queue");
	}

	if (opt_json) {
		json_entry_open(e, numeric);
		puts("}");
		free(l.e);
		return 0;
	}
	owner_names(e, numeric, &o);
	printf("name          %.*s\n", KMSGQ_NAME_MAX, e->name);
	printf("id            %llu\n", (unsigned long long)e->id);
	printf("type          %s\n", queue_type(e));
	printf("mode          %04o\n", e->mode);
	printf("owner         %s\n", o.user);
	printf("group         %s\n", o.group);
	entry_counters(e, c);
	for (i = 0; i < NR_COUNTERS; i++)
		printf("%-14s%llu\n", c[i].name, c[i].v);
	free(l.e);
	return 0;
}

/* create */

/* Depth a queue created with @depth gets: rings round up to 2^n >= 2. */
static unsigned int real_depth(unsigned int depth, bool ring)
{
	unsigned int d = 2;

	if (!ring)
		return depth;
	while (d < depth && d <= 0x80000000U / 2)
		d *= 2;
	return d < depth ? depth : d;
}

/*
 * @name existed before a create without --excl: fine if it has every
 * attribute the command gave (its type always, the rest when given).
 */
static int create_existing(const char *name, bool ring, unsigned int depth,
			   unsigned int msgsize, int mode)
{
	const struct kmsgq_queue_entry *e;
	struct qlist l;
	int ret = 0;

	if (list_fetch(&l))
		return EXIT_FAILURE;
	e = list_find(&l, name);
	if (!e)		/* unlinked in between */
		ret = fail(name, "queue exists but vanished; try again");
	else if (!!(e->qflags & KMSGQ_OPEN_RING) != ring ||
		 (depth && e->max_msgs != real_depth(depth, ring)) ||
		 (msgsize && e->max_msgsize != msgsize) ||
		 (mode >= 0 && e->mode != (unsigned int)mode))
		ret = fail(name, "queue exists with other attributes (type %s, depth %u, msgsize %u, mode %04o)",
			   queue_type(e), e->max_msgs, e->max_msgsize,
			   e->mode);
	free(l.e);
	return ret;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ring", no_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'd' },
		{ "msgsize", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "excl", no_argument, NULL, 'x' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct kmsgq_attr attr = { 0 };
	struct kmsgq_info info;
	bool ring = false, excl = false;
	const char *name;
	int mode = -1;
	mode_t umask_was;
	int c, fd, ret;

	while ((c = next_opt(argc, argv, ":rd:s:m:xjh", longopts)) != -1) {
		switch (c) {
		case 'r':
			ring = true;
			break;
		case 'd':
			attr.max_msgs = parse_uint("--depth", optarg, 1,
						   UINT32_MAX, false);
			break;
		case 's':
			attr.max_msgsize = parse_uint("--msgsize", optarg, 1,
						      UINT32_MAX, true);
			break;
		case 'm':
			mode = parse_mode(optarg);
			break;
		case 'x':
			excl = true;
			break;
		}
	}
	name = one_name(argc, argv);

	/* The kernel says EINVAL for both; tell a bad limit from a bad name. */
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (attr.max_msgs > info.max_msgs)
		return fail(name, "--depth %u is above the module's limit max_msgs %u",
			    attr.max_msgs, info.max_msgs);
	if (attr.max_msgsize > info.max_msgsize)
		return fail(name, "--msgsize %u is above the module's limit max_msgsize %u",
			    attr.max_msgsize, info.max_msgsize);
	if (ring)
		attr.qflags = KMSGQ_OPEN_RING;

	/* The mode is applied as given, as mkdir -m does. */
	umask_was = umask(0);
	fd = kmsgq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			mode >= 0 ? mode : 0600, &attr);
	umask(umask_was);
	if (fd >= 0) {
		ret = kmsgq_close(fd);
		return ret ? fail_errno(name, -ret) : 0;
	}

	switch (-fd) {
	case EEXIST:
		if (excl)
			return fail(name, "queue exists");
		return create_existing(name, ring, attr.max_msgs,
				       attr.max_msgsize, mode);
	case ENOSPC:
		return fail(name, "too many queues (module limit max_queues %u)",
			    info.max_queues);
	case EMFILE:
		return fail(name, "over this user's queue storage limit (module parameter user_bytes_max)");
	default:
		return queue_fail(name, fd);
	}
}

/* unlink */

static int cmd_unlink(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	bool force = false;
	int c, err, ret = 0;

	while ((c = next_opt(argc, argv, ":fjh", longopts)) != -1)
		force = true;
	need_name(argc);
	if (dev_open())
		return EXIT_FAILURE;
	for (; optind < argc; optind++) {
		err = kmsgq_unlink(argv[optind]);
		if (err == -ENOENT && force)
			continue;
		if (err == -EPERM)
			ret = fail(argv[optind], "%s (only the owner may unlink)",
				   strerror(EPERM));
		else if (err)
			ret = queue_fail(argv[optind], err);
	}
	return ret;
}

/* send and recv */

/* --timeout and --nonblock, which send and recv share. */
struct xfer_opts {
	bool nonblock;
	bool has_timeout;
	struct timespec timeout;
};

/* Take option @c into @x if it is --timeout ('t') or --nonblock ('n'). */
static void xfer_opt(struct xfer_opts *x, int c)
{
	switch (c) {
	case 't':
		x->timeout = parse_seconds("--timeout", optarg);
		x->has_timeout = true;
		break;
	case 'n':
		x->nonblock = true;
		break;
	}
}

/* The deadline of one message: now + --timeout, or NULL for none. */
static const struct timespec *xfer_deadline(const struct xfer_opts *x,
					    struct timespec *ts)
{
	if (!x->has_timeout)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, ts);
	*ts = ts_add(*ts, x->timeout);
	return ts;
}

/* Open @name for a send or receive: 0 and *@fd, *@attr, or exit status. */
static int xfer_open(const char *name, int oflag, const struct xfer_opts *x,
		     int *fd, struct kmsgq_attr *attr)
{
	int ret;

	if (dev_open())
		return EXIT_FAILURE;
	*fd = kmsgq_open(name, oflag | O_CLOEXEC |
			 (x->nonblock ? O_NONBLOCK : 0), 0, NULL);
	if (*fd < 0)
		return queue_fail(name, *fd);
	ret = kmsgq_getattr(*fd, attr);
	if (ret < 0) {
		kmsgq_close(*fd);
		return fail_errno(name, -ret);
	}
	return 0;
}

/*
 * Report @err (-errno) of a send or receive on @name, @after appended.  A
 * queue @state ("full", "empty") or a timed-out wait for @what is
 * EXIT_AGAIN; anything else EXIT_FAILURE.
 */
static int xfer_fail(const char *name, int err, const char *state,
		     const char *what, const char *after)
{
	switch (-err) {
	case EAGAIN:
		fail(name, "queue %s%s", state, after);
		return EXIT_AGAIN;
	case ETIMEDOUT:
		fail(name, "timed out waiting for %s%s", what, after);
		return EXIT_AGAIN;
	default:
		return fail(name, "%s%s", strerror(-err), after);
	}
}

struct sender {
	const char *name;
	int fd;
	unsigned int prio;
	unsigned int max_msgsize;
	const struct xfer_opts *x;
	unsigned long long sent;
};

/* Send one message; 0 or the exit status, having said why. */
static int send_one(struct sender *s, const void *buf, size_t len)
{
	struct timespec ts;
	const struct timespec *deadline = xfer_deadline(s->x, &ts);
	char after[48] = "";
	int ret;

	if (len > s->max_msgsize) {
		ret = -EMSGSIZE;
	} else {
		ret = kmsgq_timedsend(s->fd, buf, len, s->prio,
				      CLOCK_MONOTONIC, deadline);
		if (!ret) {
			s->sent++;
			return 0;
		}
	}
	if (s->sent)
		snprintf(after, sizeof(after), " (after %llu sent)", s->sent);
	if (ret == -EMSGSIZE)
		return fail(s->name, "message of %zu bytes is larger than the queue's max_msgsize %u%s",
			    len, s->max_msgsize, after);
	return xfer_fail(s->name, ret, "full", "room", after);
}

/* All of stdin, one message; at most max_msgsize bytes. */
static int send_stdin(struct sender *s)
{
	size_t cap = (size_t)s->max_msgsize + 1, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int ret;

	if (!buf)
		return fail_errno("stdin", ENOMEM);
	while (len < cap) {
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return fail_errno("stdin", errno);
		}
		if (!n)
			break;
		len += n;
	}
	if (len == cap) {
		free(buf);
		return fail(s->name, "standard input is larger than the queue's max_msgsize %u",
			    s->max_msgsize);
	}
	ret = send_one(s, buf, len);
	free(buf);
	return ret;
}

/* One message per line of stdin, without its newline. */
static int send_lines(struct sender *s)
{
	size_t cap = 0;
	char *line = NULL;
	ssize_t n;
	int ret = 0;

	errno = 0;
	while (!ret && (n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		ret = send_one(s, line, n);
	}
	if (!ret && ferror(stdin))
		ret = fail_errno("stdin", errno);
	free(line);
	return ret;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prio", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "lines", no_argument, NULL, 'l' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct xfer_opts x = { 0 };
	struct sender s = { 0 };
	struct kmsgq_attr attr;
	bool lines = false;
	int c, ret;

	while ((c = next_opt(argc, argv, ":p:t:nljh", longopts)) != -1) {
		switch (c) {
		case 'p':
			s.prio = parse_uint("--prio", optarg, 0,
					    KMSGQ_PRIO_MAX - 1, false);
			break;
		case 'l':
			lines = true;
			break;
		default:
			xfer_opt(&x, c);
		}
	}
	need_name(argc);
	if (lines && argc - optind > 1)
		usage_error("send: --lines reads standard input: give no MESSAGE");
	s.name = argv[optind++];
	s.x = &x;

	ret = xfer_open(s.name, O_WRONLY, &x, &s.fd, &attr);
	if (ret)
		return ret;
	s.max_msgsize = attr.max_msgsize;
	if (s.prio && (attr.qflags & KMSGQ_OPEN_RING)) {
		kmsgq_close(s.fd);
		return fail(s.name, "ring queues take priority 0 only");
	}

	if (lines)
		ret = send_lines(&s);
	else if (optind == argc)
		ret = send_stdin(&s);
	for (; !ret && optind < argc; optind++)
		ret = send_one(&s, argv[optind], strlen(argv[optind]));
	kmsgq_close(s.fd);
	return ret;
}

/* One received message on stdout. */
static void recv_print(const unsigned char *buf, size_t len, unsigned int prio,
		       unsigned long long i, bool show_prio, bool raw)
{
	if (opt_json) {
		json_item(i);
		printf("{\"prio\":%u,\"size\":%zu,", prio, len);
		if (utf8_valid(buf, len)) {
			fputs("\"text\":", stdout);
			json_string(buf, len);
			putchar(',');
		}
		fputs("\"data\":", stdout);
		json_base64(buf, len);
		putchar('}');
		return;
	}
	if (show_prio)
		printf("%u ", prio);
	fwrite(buf, 1, len, stdout);
	if (!raw)
		putchar('\n');
}

static int cmd_recv(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "prio", no_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	bool all = false, has_count = false, show_prio = false, raw = false;
	unsigned long long count = 1, i;
	struct xfer_opts x = { 0 };
	struct kmsgq_attr attr;
	unsigned char *buf;
	const char *name;
	int c, fd, ret = 0;

	while ((c = next_opt(argc, argv, ":c:at:nprjh", longopts)) != -1) {
		switch (c) {
		case 'c':
			count = parse_uint("--count", optarg, 1, UINT64_MAX,
					   false);
			has_count = true;
			break;
		case 'a':
			all = true;
			break;
		case 'p':
			show_prio = true;
			break;
		case 'r':
			raw = true;
			break;
		default:
			xfer_opt(&x, c);
		}
	}
	name = one_name(argc, argv);
	if (all && (has_count || x.has_timeout))
		usage_error("recv: --all takes what is queued and waits for nothing: no --count or --timeout with it");
	if (raw && (show_prio || opt_json))
		usage_error("recv: --raw goes with neither --prio nor --json");
	if (all)
		x.nonblock = true;

	ret = xfer_open(name, O_RDONLY, &x, &fd, &attr);
	if (ret)
		return ret;
	buf = malloc(attr.max_msgsize ? attr.max_msgsize : 1);
	if (!buf) {
		kmsgq_close(fd);
		return fail_errno(name, ENOMEM);
	}

	if (opt_json)
		putchar('[');
	for (i = 0; all || i < count; i++) {
		struct timespec ts;
		const struct timespec *deadline = xfer_deadline(&x, &ts);
		unsigned int prio;
		ssize_t n;

		n = kmsgq_timedreceive(fd, buf, attr.max_msgsize, &prio,
				       CLOCK_MONOTONIC, deadline);
		if (n == -EAGAIN && all)
			break;
		if (n < 0) {
			fflush(stdout);	/* what was received comes first */
			ret = xfer_fail(name, n, "empty", "a message", "");
			break;
		}
		recv_print(buf, n, prio, i, show_prio, raw);
		/* The message has left the queue: make sure it is seen. */
		if (fflush(stdout)) {
			ret = fail_errno("stdout", errno);
			break;
		}
	}
	if (opt_json)
		json_array_end(i);
	free(buf);
	kmsgq_close(fd);
	return ret;
}

/* watch */

/* @e's figure in the previous sample, if it was there (same id). */
static const struct kmsgq_queue_entry *
watch_prev(const struct qlist *prev, const struct kmsgq_queue_entry *e)
{
	size_t i;

	for (i = 0; i < prev->nr; i++)
		if (prev->e[i].id == e->id)
			return &prev->e[i];
	return NULL;
}

static bool watch_wanted(char **names, int nr, const char *name)
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
static bool watch_rates(const struct kmsgq_queue_entry *e,
			const struct qlist *prev, double dt, struct rates *r)
{
	const struct kmsgq_queue_entry *p = prev ? watch_prev(prev, e) : NULL;

	if (!p)
		return false;
	r->sent = (double)(e->msgs_sent - p->msgs_sent) / dt;
	r->recv = (double)(e->msgs_recv - p->msgs_recv) / dt;
	r->bytes_sent = (double)(e->bytes_sent - p->bytes_sent) / dt;
	r->bytes_recv = (double)(e->bytes_recv - p->bytes_recv) / dt;
	return true;
}

static void watch_json(const struct qlist *cur, const struct qlist *prev,
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

		if (!watch_wanted(names, nr_names, e->name))
			continue;
		if (n++)
			putchar(',');
		json_entry_open(e, false);
		if (watch_rates(e, prev, dt, &r)) {
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

static int watch_human(const struct qlist *cur, const struct qlist *prev,
		       double dt, char **names, int nr_names,
		       const char *interval)
{
	static const char *const heads[] = {
		"NAME", "DEPTH", "SENT", "RECV", "SENT/s", "RECV/s",
		"SWAIT", "RWAIT"
	};
	struct row *rows;
	size_t i, n = 0;
	char when[64];
	struct tm tm;
	time_t now;

	rows = calloc(cur->nr ? cur->nr : 1, sizeof(*rows));
	if (!rows)
		return fail_errno("watch", ENOMEM);
	for (i = 0; i < cur->nr; i++) {
		const struct kmsgq_queue_entry *e = &cur->e[i];
		char (*cell)[TABLE_CELL] = rows[n].cell;
		struct rates r;

		if (!watch_wanted(names, nr_names, e->name))
			continue;
		n++;
		cellf(cell[0], "%.*s", KMSGQ_NAME_MAX, e->name);
		cellf(cell[1], "%u/%u", e->cur_msgs, e->max_msgs);
		cellf(cell[2], "%llu", (unsigned long long)e->msgs_sent);
		cellf(cell[3], "%llu", (unsigned long long)e->msgs_recv);
		if (watch_rates(e, prev, dt, &r)) {
			cellf(cell[4], "%.1f", r.sent);
			cellf(cell[5], "%.1f", r.recv);
		} else {
			strcpy(cell[4], "-");
			strcpy(cell[5], "-");
		}
		cellf(cell[6], "%u", e->send_waiters);
		cellf(cell[7], "%u", e->recv_waiters);
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S %Z", &tm);
	printf("%s, every %s s\n", when, interval);
	table_print(heads, "lrrrrrrr", rows, n);
	free(rows);
	return 0;
}

static int cmd_watch(int argc, char **argv)
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

	while ((c = next_opt(argc, argv, ":i:c:jh", longopts)) != -1) {
		switch (c) {
		case 'i':
			interval = parse_seconds("--interval", optarg);
			interval_str = optarg;
			if (!interval.tv_sec && !interval.tv_nsec)
				usage_error("--interval: must be above 0");
			break;
		case 'c':
			count = parse_uint("--count", optarg, 1, UINT64_MAX,
					   false);
			break;
		}
	}
	names = argv + optind;
	nr_names = argc - optind;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; !count || i < count; i++) {
		if (i) {
			next = ts_add(next, interval);
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
					ret = fail(names[k], "no such queue");
			if (ret) {
				free(cur.e);
				break;
			}
		}
		if (opt_json) {
			watch_json(&cur, i ? &prev : NULL, ts_diff(t, t_prev),
				   names, nr_names);
		} else {
			if (tty)
				fputs("\033[H\033[J", stdout);
			else if (i)
				putchar('\n');
			ret = watch_human(&cur, i ? &prev : NULL,
					  ts_diff(t, t_prev), names, nr_names,
					  interval_str);
		}
		free(prev.e);
		prev = cur;
		t_prev = t;
		if (ret || fflush(stdout)) {
			ret = ret ? ret : fail_errno("stdout", errno);
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
};

#define NR_FEATURES	(sizeof(features) / sizeof(features[0]))

/* The first line of sysfs file @name of the module, or false. */
static bool sysfs_read(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), SYSFS_MODULE "%s", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && *buf;
}

static const char *const params[] = {
	"default_msgs", "default_msgsize", "user_bytes_max"
};

#define NR_PARAMS	(sizeof(params) / sizeof(params[0]))

static int cmd_info(int argc, char **argv)
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

	while (next_opt(argc, argv, ":jh", longopts) != -1)
		;
	no_args(argc, argv);
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (info.features & KMSGQ_FEAT_LIST) {
		if (list_fetch(&l))
			return EXIT_FAILURE;
		free(l.e);
		has_queues = true;
	}
	has_version = sysfs_read("version", version, sizeof(version));
	for (i = 0; i < NR_PARAMS; i++) {
		snprintf(path, sizeof(path), "parameters/%s", params[i]);
		has_param[i] = sysfs_read(path, param[i], sizeof(param[i])) &&
			strspn(param[i], "0123456789") == strlen(param[i]);
	}
	rest = info.features;
	for (i = 0; i < NR_FEATURES; i++)
		rest &= ~features[i].bit;
	snprintf(unknown, sizeof(unknown), "0x%llx", (unsigned long long)rest);

	if (opt_json) {
		fputs("{\"module_version\":", stdout);
		json_cstring_or_null(has_version ? version : NULL);
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

static const struct command commands[] = {
	{ "list", cmd_list, "[--numeric] [--json]",
	  "Every queue of this user namespace, one line each, whatever its\n"
	  "permissions: NAME TYPE MODE OWNER GROUP DEPTH MSGSIZE FILES SENT RECV.\n\n"
	  "  -n, --numeric  user and group ids, not names\n"
	  "  -j, --json     a JSON array of queue objects\n" },
	{ "show", cmd_show, "NAME [--numeric] [--json]",
	  "Every attribute and counter of one queue, one 'key value' per line.\n\n"
	  "  -n, --numeric  user and group ids, not names\n"
	  "  -j, --json     one JSON queue object\n" },
	{ "create", cmd_create,
	  "NAME [--ring] [--depth N] [--msgsize N[K|M]] [--mode OCTAL] [--excl]",
	  "Create a queue.  Without --excl an existing queue is accepted if it has\n"
	  "the type and every attribute given.\n\n"
	  "  -r, --ring         zero-copy ring queue (FIFO, depth a power of two)\n"
	  "  -d, --depth N      most messages queued (default: module's default_msgs)\n"
	  "  -s, --msgsize N    largest message in bytes, K/M suffixes (default:\n"
	  "                     module's default_msgsize)\n"
	  "  -m, --mode OCTAL   permission bits, applied as given (default 0600)\n"
	  "  -x, --excl         fail if the queue exists\n" },
	{ "unlink", cmd_unlink, "[--force] NAME...",
	  "Remove queues' names; open users keep the queue until they close it.\n\n"
	  "  -f, --force  ignore names that do not exist\n" },
	{ "send", cmd_send,
	  "NAME [--prio N] [--timeout SECONDS] [--nonblock] [--lines] [MESSAGE...]",
	  "Send each MESSAGE argument as one message or, with none, all of standard\n"
	  "input as one message.\n\n"
	  "  -p, --prio N         priority 0..31 (default 0)\n"
	  "  -t, --timeout S      wait at most S seconds for room, per message\n"
	  "  -n, --nonblock       do not wait for room\n"
	  "  -l, --lines          one message per line of standard input\n" },
	{ "recv", cmd_recv,
	  "NAME [--count N | --all] [--timeout SECONDS] [--nonblock] [--prio] [--raw] [--json]",
	  "Receive messages and print each, followed by a newline.\n\n"
	  "  -c, --count N        receive N messages (default 1)\n"
	  "  -a, --all            receive every message queued, waiting for none\n"
	  "  -t, --timeout S      wait at most S seconds for each message\n"
	  "  -n, --nonblock       do not wait for a message\n"
	  "  -p, --prio           print each message's priority and a space first\n"
	  "  -r, --raw            print the payloads only, no newlines\n"
	  "  -j, --json           a JSON array of {prio, size, text, data}\n" },
	{ "watch", cmd_watch, "[NAME...] [--interval SECONDS] [--count N] [--json]",
	  "Print the queues' depth, counters and rates every interval.\n\n"
	  "  -i, --interval S  seconds between samples (default 1)\n"
	  "  -c, --count N     stop after N samples (default: never)\n"
	  "  -j, --json        one JSON object per sample and line\n" },
	{ "info", cmd_info, "[--json]",
	  "The module's version, features and limits.\n\n"
	  "  -j, --json  one JSON object\n" },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void help(void)
{
	size_t i;

	puts("Usage: kmsgqctl [--json] [COMMAND [ARGS...]]\n\n"
	     "List, inspect, create, remove, feed, drain and watch kmsgq message\n"
	     "queues.  The default command is list.\n\n"
	     "Commands:");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %s %s\n", commands[i].name, commands[i].synopsis);
	puts("\nOptions:\n"
	     "  -j, --json     machine-readable output\n"
	     "  -h, --help     this help; 'kmsgqctl COMMAND --help' for a command's\n"
	     "  -V, --version  the version\n\n"
	     "Exit status: 0 success, 1 failure, 2 usage error, 3 queue full or empty\n"
	     "(--nonblock) or timed out.  See kmsgqctl(1).");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		OPT_JSON, OPT_HELP,
		{ "version", no_argument, NULL, 'V' },
		OPT_END
	};
	static char *list_argv[] = { "list", NULL };
	const char *name;
	size_t i;
	int c, ret;

	opterr = 0;
	/* '+': global options stop at the command's name. */
	while ((c = getopt_long(argc, argv, "+:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'h':
			help();
			return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
		case 'V':
			printf("kmsgqctl %s (kmsgq ABI %d)\n", KMSGQCTL_VERSION,
			       KMSGQ_ABI_VERSION);
			return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
		default:
			if (optopt && c == '?')
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	argv += optind;
	argc -= optind;
	if (!argc) {
		argv = list_argv;
		argc = 1;
	}
	name = argv[0];
	for (i = 0; i < NR_COMMANDS && strcmp(commands[i].name, name); i++)
		;
	if (i == NR_COMMANDS)
		usage_error("unknown command '%s'", name);
	cur_cmd = &commands[i];
	optind = 0;	/* restart getopt on the command's arguments */
	ret = cur_cmd->run(argc, argv);
	if (fflush(stdout) && !ret)
		ret = fail_errno("stdout", errno);
	if (dev_fd >= 0)
		close(dev_fd);
	return ret;
}
