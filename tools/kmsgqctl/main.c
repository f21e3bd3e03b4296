// SPDX-License-Identifier: MIT
/*
 * kmsgqctl - list, inspect, create, remove, feed, drain and watch kmsgq
 * queues from the shell: the kmsgq counterpart of ipcs(1), ipcmk(1) and
 * ipcrm(1).  Everything goes through libkmsgq; the manual is kmsgqctl(1).
 *
 * This file parses the command line, reports errors and runs the command
 * named; kmsgqctl.h says which file does the rest.
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

#include <kmsgq.h>

#include "kmsgqctl.h"
#include "output.h"

#define KMSGQCTL_VERSION	"0.1"

#define SECONDS_MAX	1000000000ULL	/* longest --timeout / --interval */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command *cur_cmd;	/* the command being parsed */
bool kmsgqctl_json;

int kmsgqctl_fail(const char *context, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kmsgqctl: %s: ", context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

int kmsgqctl_fail_errno(const char *context, int err)
{
	return kmsgqctl_fail(context, "%s", strerror(err));
}

int kmsgqctl_fail_queue(const char *name, int err)
{
	switch (-err) {
	case ENOENT:
		return kmsgqctl_fail(name, "no such queue");
	case EINVAL:
		return kmsgqctl_fail(name, "invalid queue name (1 to %d bytes of A-Z a-z 0-9 . _ -, not . or ..)",
				     KMSGQ_NAME_MAX - 1);
	case ENAMETOOLONG:
		return kmsgqctl_fail(name, "queue name too long (at most %d bytes)",
				     KMSGQ_NAME_MAX - 1);
	default:
		return kmsgqctl_fail_errno(name, -err);
	}
}

void kmsgqctl_usage_error(const char *fmt, ...)
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

unsigned long long kmsgqctl_parse_uint(const char *opt, const char *s,
				       unsigned long long min,
				       unsigned long long max, bool sizes)
{
	unsigned long long v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		kmsgqctl_usage_error("%s: '%s' is not a number", opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (sizes && (*end == 'K' || *end == 'k'))
		mult = 1024, end++;
	else if (sizes && (*end == 'M' || *end == 'm'))
		mult = 1024 * 1024, end++;
	if (*end)
		kmsgqctl_usage_error("%s: '%s' is not a number", opt, s);
	if (errno == ERANGE || v > max / mult || v * mult < min)
		kmsgqctl_usage_error("%s: %s is out of range (%llu..%llu)",
				     opt, s, min, max);
	return v * mult;
}

unsigned int kmsgqctl_parse_mode(const char *s)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "01234567") != strlen(s))
		kmsgqctl_usage_error("--mode: '%s' is not an octal mode", s);
	v = strtoul(s, &end, 8);
	if (v > 0777)
		kmsgqctl_usage_error("--mode: %s is out of range (0..0777)", s);
	return v;
}

struct timespec kmsgqctl_parse_seconds(const char *opt, const char *s)
{
	struct timespec ts = { 0, 0 };
	unsigned long long sec = 0;
	long scale = 100000000;
	const char *p = s;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		sec = sec * 10 + (*p - '0');
		if (sec > SECONDS_MAX)
			kmsgqctl_usage_error("%s: %s is out of range (0..%llu seconds)",
					     opt, s, SECONDS_MAX);
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			ts.tv_nsec += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits || *p)
		kmsgqctl_usage_error("%s: '%s' is not a number of seconds",
				     opt, s);
	ts.tv_sec = sec;
	return ts;
}

int kmsgqctl_next_opt(int argc, char **argv, const char *shortopts,
		      const struct option *longopts)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		switch (c) {
		case 'j':
			kmsgqctl_json = true;
			continue;
		case 'h':
			printf("Usage: kmsgqctl %s %s\n\n%s", cur_cmd->name,
			       cur_cmd->synopsis, cur_cmd->help);
			exit(fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS);
		case ':':
			kmsgqctl_usage_error("%s: option '%s' needs an argument",
					     cur_cmd->name, argv[optind - 1]);
		case '?':
			if (optopt)
				kmsgqctl_usage_error("%s: unknown option '-%c'",
						     cur_cmd->name, optopt);
			kmsgqctl_usage_error("%s: unknown option '%s'",
					     cur_cmd->name, argv[optind - 1]);
		default:
			return c;
		}
	}
}

void kmsgqctl_no_args(int argc, char **argv)
{
	if (optind < argc)
		kmsgqctl_usage_error("%s: unexpected argument '%s'",
				     cur_cmd->name, argv[optind]);
}

void kmsgqctl_need_name(int argc)
{
	if (optind == argc)
		kmsgqctl_usage_error("%s: missing queue name", cur_cmd->name);
}

const char *kmsgqctl_one_name(int argc, char **argv)
{
	kmsgqctl_need_name(argc);
	if (argc - optind > 1)
		kmsgqctl_usage_error("%s: one queue name at a time",
				     cur_cmd->name);
	return argv[optind];
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
		ret = kmsgqctl_fail(name,
				    "queue exists but vanished; try again");
	else if (!!(e->qflags & KMSGQ_OPEN_RING) != ring ||
		 (depth && e->max_msgs != real_depth(depth, ring)) ||
		 (msgsize && e->max_msgsize != msgsize) ||
		 (mode >= 0 && e->mode != (unsigned int)mode))
		ret = kmsgqctl_fail(name, "queue exists with other attributes (type %s, depth %u, msgsize %u, mode %04o)",
				    list_queue_type(e), e->max_msgs,
				    e->max_msgsize, e->mode);
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

	while ((c = kmsgqctl_next_opt(argc, argv, ":rd:s:m:xjh",
				      longopts)) != -1) {
		switch (c) {
		case 'r':
			ring = true;
			break;
		case 'd':
			attr.max_msgs = kmsgqctl_parse_uint("--depth", optarg,
							    1, UINT32_MAX,
							    false);
			break;
		case 's':
			attr.max_msgsize = kmsgqctl_parse_uint("--msgsize",
							       optarg, 1,
							       UINT32_MAX,
							       true);
			break;
		case 'm':
			mode = kmsgqctl_parse_mode(optarg);
			break;
		case 'x':
			excl = true;
			break;
		}
	}
	name = kmsgqctl_one_name(argc, argv);

	/* The kernel says EINVAL for both; tell a bad limit from a bad name. */
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (attr.max_msgs > info.max_msgs)
		return kmsgqctl_fail(name, "--depth %u is above the module's limit max_msgs %u",
				     attr.max_msgs, info.max_msgs);
	if (attr.max_msgsize > info.max_msgsize)
		return kmsgqctl_fail(name, "--msgsize %u is above the module's limit max_msgsize %u",
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
		return ret ? kmsgqctl_fail_errno(name, -ret) : 0;
	}

	switch (-fd) {
	case EEXIST:
		if (excl)
			return kmsgqctl_fail(name, "queue exists");
		return create_existing(name, ring, attr.max_msgs,
				       attr.max_msgsize, mode);
	case ENOSPC:
		return kmsgqctl_fail(name,
				     "too many queues (module limit max_queues %u)",
				     info.max_queues);
	case EMFILE:
		return kmsgqctl_fail(name, "over this user's queue storage limit (module parameter user_bytes_max)");
	default:
		return kmsgqctl_fail_queue(name, fd);
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

	while ((c = kmsgqctl_next_opt(argc, argv, ":fjh", longopts)) != -1)
		force = true;
	kmsgqctl_need_name(argc);
	if (dev_open() < 0)
		return EXIT_FAILURE;
	for (; optind < argc; optind++) {
		err = kmsgq_unlink(argv[optind]);
		if (err == -ENOENT && force)
			continue;
		if (err == -EPERM)
			ret = kmsgqctl_fail(argv[optind],
					    "%s (only the owner may unlink)",
					    strerror(EPERM));
		else if (err)
			ret = kmsgqctl_fail_queue(argv[optind], err);
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
		x->timeout = kmsgqctl_parse_seconds("--timeout", optarg);
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
	*ts = kmsgqctl_ts_add(*ts, x->timeout);
	return ts;
}

/* Open @name for a send or receive: 0 and *@fd, *@attr, or exit status. */
static int xfer_open(const char *name, int oflag, const struct xfer_opts *x,
		     int *fd, struct kmsgq_attr *attr)
{
	int ret;

	if (dev_open() < 0)
		return EXIT_FAILURE;
	*fd = kmsgq_open(name, oflag | O_CLOEXEC |
			 (x->nonblock ? O_NONBLOCK : 0), 0, NULL);
	if (*fd < 0)
		return kmsgqctl_fail_queue(name, *fd);
	ret = kmsgq_getattr(*fd, attr);
	if (ret < 0) {
		kmsgq_close(*fd);
		return kmsgqctl_fail_errno(name, -ret);
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
		kmsgqctl_fail(name, "queue %s%s", state, after);
		return EXIT_AGAIN;
	case ETIMEDOUT:
		kmsgqctl_fail(name, "timed out waiting for %s%s", what, after);
		return EXIT_AGAIN;
	default:
		return kmsgqctl_fail(name, "%s%s", strerror(-err), after);
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
		return kmsgqctl_fail(s->name, "message of %zu bytes is larger than the queue's max_msgsize %u%s",
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
		return kmsgqctl_fail_errno("stdin", ENOMEM);
	while (len < cap) {
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return kmsgqctl_fail_errno("stdin", errno);
		}
		if (!n)
			break;
		len += n;
	}
	if (len == cap) {
		free(buf);
		return kmsgqctl_fail(s->name, "standard input is larger than the queue's max_msgsize %u",
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
		ret = kmsgqctl_fail_errno("stdin", errno);
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

	while ((c = kmsgqctl_next_opt(argc, argv, ":p:t:nljh",
				      longopts)) != -1) {
		switch (c) {
		case 'p':
			s.prio = kmsgqctl_parse_uint("--prio", optarg, 0,
						     KMSGQ_PRIO_MAX - 1, false);
			break;
		case 'l':
			lines = true;
			break;
		default:
			xfer_opt(&x, c);
		}
	}
	kmsgqctl_need_name(argc);
	if (lines && argc - optind > 1)
		kmsgqctl_usage_error("send: --lines reads standard input: give no MESSAGE");
	s.name = argv[optind++];
	s.x = &x;

	ret = xfer_open(s.name, O_WRONLY, &x, &s.fd, &attr);
	if (ret)
		return ret;
	s.max_msgsize = attr.max_msgsize;
	if (s.prio && (attr.qflags & KMSGQ_OPEN_RING)) {
		kmsgq_close(s.fd);
		return kmsgqctl_fail(s.name,
				     "ring queues take priority 0 only");
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
	if (kmsgqctl_json) {
		output_json_item(i);
		printf("{\"prio\":%u,\"size\":%zu,", prio, len);
		if (output_utf8_valid(buf, len)) {
			fputs("\"text\":", stdout);
			output_json_string(buf, len);
			putchar(',');
		}
		fputs("\"data\":", stdout);
		output_json_base64(buf, len);
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

	while ((c = kmsgqctl_next_opt(argc, argv, ":c:at:nprjh",
				      longopts)) != -1) {
		switch (c) {
		case 'c':
			count = kmsgqctl_parse_uint("--count", optarg, 1,
						    UINT64_MAX, false);
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
	name = kmsgqctl_one_name(argc, argv);
	if (all && (has_count || x.has_timeout))
		kmsgqctl_usage_error("recv: --all takes what is queued and waits for nothing: no --count or --timeout with it");
	if (raw && (show_prio || kmsgqctl_json))
		kmsgqctl_usage_error("recv: --raw goes with neither --prio nor --json");
	if (all)
		x.nonblock = true;

	ret = xfer_open(name, O_RDONLY, &x, &fd, &attr);
	if (ret)
		return ret;
	buf = malloc(attr.max_msgsize ? attr.max_msgsize : 1);
	if (!buf) {
		kmsgq_close(fd);
		return kmsgqctl_fail_errno(name, ENOMEM);
	}

	if (kmsgqctl_json)
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
			ret = kmsgqctl_fail_errno("stdout", errno);
			break;
		}
	}
	if (kmsgqctl_json)
		output_json_array_end(i);
	free(buf);
	kmsgq_close(fd);
	return ret;
}

static const struct command commands[] = {
	{ "list", list_cmd_list, "[--numeric] [--json]",
	  "Every queue of this user namespace, one line each, whatever its\n"
	  "permissions: NAME TYPE MODE OWNER GROUP DEPTH MSGSIZE FILES SENT RECV.\n\n"
	  "  -n, --numeric  user and group ids, not names\n"
	  "  -j, --json     a JSON array of queue objects\n" },
	{ "show", list_cmd_show, "NAME [--numeric] [--json]",
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
	{ "watch", list_cmd_watch, "[NAME...] [--interval SECONDS] [--count N] [--json]",
	  "Print the queues' depth, counters and rates every interval.\n\n"
	  "  -i, --interval S  seconds between samples (default 1)\n"
	  "  -c, --count N     stop after N samples (default: never)\n"
	  "  -j, --json        one JSON object per sample and line\n" },
	{ "info", list_cmd_info, "[--json]",
	  "The module's version, features and limits.\n\n"
	  "  -j, --json  one JSON object\n" },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void kmsgqctl_help(void)
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
			kmsgqctl_json = true;
			break;
		case 'h':
			kmsgqctl_help();
			return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
		case 'V':
			printf("kmsgqctl %s (kmsgq ABI %d)\n", KMSGQCTL_VERSION,
			       KMSGQ_ABI_VERSION);
			return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
		default:
			if (optopt && c == '?')
				kmsgqctl_usage_error("unknown option '-%c'",
						     optopt);
			kmsgqctl_usage_error("unknown option '%s'",
					     argv[optind - 1]);
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
		kmsgqctl_usage_error("unknown command '%s'", name);
	cur_cmd = &commands[i];
	optind = 0;	/* restart getopt on the command's arguments */
	ret = cur_cmd->run(argc, argv);
	if (fflush(stdout) && !ret)
		ret = kmsgqctl_fail_errno("stdout", errno);
	dev_close();
	return ret;
}
