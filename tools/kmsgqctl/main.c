// SPDX-License-Identifier: MIT
/*
 * kmsgqctl - list, inspect, create, remove, change, feed, drain and watch
 * kmsgq queues from the shell: the kmsgq counterpart of ipcs(1), ipcmk(1)
 * and ipcrm(1).  Everything goes through libkmsgq; the manual is kmsgqctl(1).
 *
 * This file parses the command line, reports errors and runs the command
 * named; kmsgqctl.h says which file does the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsgqctl.h"

#define KMSGQCTL_VERSION	KMSGQ_VERSION	/* VERSION, from the Makefile */

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

bool kmsgqctl_read_line(const char *path, char *buf, size_t size)
{
	FILE *f;
	bool ok;

	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && *buf;
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

unsigned int kmsgqctl_parse_mode(const char *opt, const char *s)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "01234567") != strlen(s))
		kmsgqctl_usage_error("%s: '%s' is not an octal mode", opt, s);
	v = strtoul(s, &end, 8);
	if (v > 0777)
		kmsgqctl_usage_error("%s: %s is out of range (0..0777)", opt, s);
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

static const struct command commands[] = {
	{ "list", list_cmd_list, "[--numeric] [--json]",
	  "Every queue of this IPC namespace, one line each, whatever its\n"
	  "permissions: NAME TYPE OVERFLOW MODE OWNER GROUP DEPTH MSGSIZE FILES SENT\n"
	  "RECV LOST.  TYPE is copy, ring, ring+reclaim, fanout, fanout+ring (one\n"
	  "its subscribers may map) or fanout+inplace (one its publishers also\n"
	  "write in place), with +sender if the queue records senders.\n\n"
	  "  -n, --numeric  user and group ids, not names\n"
	  "  -j, --json     a JSON array of queue objects\n" },
	{ "show", list_cmd_show, "NAME [--numeric] [--json]",
	  "Every attribute and counter of one queue, one 'key value' per line;\n"
	  "for a fan-out queue also its subscribers (- if kmsgqctl may not open\n"
	  "the queue).\n\n"
	  "  -n, --numeric  user and group ids, not names\n"
	  "  -j, --json     one JSON queue object\n" },
	{ "create", admin_cmd_create,
	  "NAME [--ring [--reclaim] | --fanout [--ring [--inplace]]] [--sender] [--overflow block|fail|drop] [--depth N] [--msgsize N[K|M]] [--mode OCTAL] [--excl]",
	  "Create a queue.  Without --excl an existing queue is accepted if it has\n"
	  "the type and every attribute given.\n\n"
	  "  -r, --ring         zero-copy ring queue (FIFO, depth a power of two)\n"
	  "  -R, --reclaim      with --ring: a reclaiming ring; the slots a process\n"
	  "                     claimed and had not finished when it died, the\n"
	  "                     kernel finishes (unread messages counted as lost)\n"
	  "  -F, --fanout       fan-out (publish/subscribe) queue: every reader\n"
	  "                     receives every message (depth a power of two);\n"
	  "                     with --ring, its subscribers may map it and read\n"
	  "                     the messages in place\n"
	  "  -I, --inplace      with --fanout --ring: its publishers may also map\n"
	  "                     the payload slots and write messages in place\n"
	  "                     (any of them can rewrite what subscribers read;\n"
	  "                     not with --sender)\n"
	  "  -S, --sender       record who sends each message (recv --sender)\n"
	  "  -o, --overflow P   what a send to the full queue does: block (the\n"
	  "                     default: wait for room), fail (at once, as queue\n"
	  "                     full) or drop (discard the oldest message of the\n"
	  "                     lowest priority, counted as lost)\n"
	  "  -d, --depth N      most messages queued (default: module's default_msgs)\n"
	  "  -s, --msgsize N    largest message in bytes, K/M suffixes (default:\n"
	  "                     module's default_msgsize)\n"
	  "  -m, --mode OCTAL   permission bits, applied as given (default 0600)\n"
	  "  -x, --excl         fail if the queue exists\n" },
	{ "unlink", admin_cmd_unlink, "[--force] NAME...",
	  "Remove queues' names; open users keep the queue until they close it.\n\n"
	  "  -f, --force  ignore names that do not exist\n" },
	{ "chmod", admin_cmd_chmod, "MODE NAME...",
	  "Set queues' permission bits to MODE, in octal (0 to 0777).  Only a\n"
	  "queue's owner may, or a holder of CAP_FOWNER or CAP_IPC_OWNER; later\n"
	  "opens are checked against the new mode.\n" },
	{ "chown", admin_cmd_chown, "[OWNER][:GROUP] NAME...",
	  "Set queues' owner, group or both, each a name or a numeric id.  Only a\n"
	  "queue's owner may, or a holder of CAP_FOWNER or CAP_IPC_OWNER; later\n"
	  "opens are checked against the new owner and group.\n" },
	{ "send", xfer_cmd_send,
	  "NAME [--prio N] [--timeout SECONDS] [--nonblock] [--lines] [MESSAGE...]",
	  "Send each MESSAGE argument as one message or, with none, all of standard\n"
	  "input as one message.\n\n"
	  "  -p, --prio N         priority 0..32767 (default 0)\n"
	  "  -t, --timeout S      wait at most S seconds for room, per message\n"
	  "  -n, --nonblock       do not wait for room\n"
	  "  -l, --lines          one message per line of standard input\n" },
	{ "recv", xfer_cmd_recv,
	  "NAME [--count N | --all] [--timeout SECONDS] [--nonblock] [--prio] [--sender] [--raw] [--json]",
	  "Receive messages and print each, followed by a newline.\n\n"
	  "  -c, --count N        receive N messages (default 1)\n"
	  "  -a, --all            receive every message queued, waiting for none\n"
	  "  -t, --timeout S      wait at most S seconds for each message\n"
	  "  -n, --nonblock       do not wait for a message\n"
	  "  -p, --prio           print each message's priority and a space first\n"
	  "  -S, --sender         print who sent each message and a space before it:\n"
	  "                       pid=P,uid=U,gid=G (,mapper if committed in place\n"
	  "                       on a ring), or unknown\n"
	  "  -r, --raw            print the payloads only, no newlines\n"
	  "  -j, --json           a JSON array of {prio, size, sender, text, data}\n" },
	{ "peek", xfer_cmd_peek,
	  "NAME [--index N] [--count N | --all] [--timeout SECONDS] [--nonblock] [--prio] [--sender] [--raw] [--json]",
	  "Print messages as recv does, but leave them queued: the message at\n"
	  "index N of the receive order (0: the one recv would take next), then\n"
	  "the next index, and so on.  Each is copied by a call of its own.\n\n"
	  "  -i, --index N        the first index to print (default 0)\n"
	  "  -c, --count N        print N messages (default 1)\n"
	  "  -a, --all            print every message from the index on, waiting for\n"
	  "                       none\n"
	  "  -t, --timeout S      wait at most S seconds for each message\n"
	  "  -n, --nonblock       do not wait for a message\n"
	  "  -p, --prio           print each message's priority and a space first\n"
	  "  -S, --sender         print who sent each message and a space before it:\n"
	  "                       pid=P,uid=U,gid=G (,mapper if committed in place\n"
	  "                       on a ring), or unknown\n"
	  "  -r, --raw            print the payloads only, no newlines\n"
	  "  -j, --json           a JSON array of {prio, size, sender, text, data}\n" },
	{ "subscribers", subs_cmd_subscribers, "NAME [--json]",
	  "The subscribers of a fan-out queue, in the order they subscribed:\n"
	  "ID PID COMMAND LAG LOST.  PID is the process that subscribed (- if\n"
	  "it is not in this PID namespace), LAG the messages published that it\n"
	  "has not received yet, LOST the messages it lost to --overflow drop.\n"
	  "Needs read or write permission on the queue.\n\n"
	  "  -j, --json  a JSON array of {id, pid, command, lag, lost}\n" },
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
	     "List, inspect, create, remove, change, feed, drain and watch kmsgq\n"
	     "message queues.  The default command is list.\n\n"
	     "Commands:");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %s %s\n", commands[i].name, commands[i].synopsis);
	puts("\nOptions:\n"
	     "  -j, --json     machine-readable output\n"
	     "  -h, --help     this help; 'kmsgqctl COMMAND --help' for a command's\n"
	     "  -V, --version  the version\n\n"
	     "Exit status: 0 success, 1 failure, 2 usage error, 3 queue full or empty\n"
	     "or no message at the index peeked (--nonblock), or timed out.  See\n"
	     "kmsgqctl(1).");
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
