// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's view of a fan-out queue's subscribers: the subscribers
 * command, and the count show prints.
 *
 * Listing needs a descriptor of the queue.  kmsgqctl opens it write-only
 * if it may, so as not to become a subscriber itself; otherwise read-only,
 * and then leaves its own subscriber (KMSGQ_SUBSCRIBER_SELF) out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsgqctl.h"
#include "output.h"

#define SUBS_BATCH	64	/* entries fetched per kmsgq_subscribers() call */

/* Open @name for listing its subscribers: the descriptor or -errno. */
static int subs_open(const char *name)
{
	int fd;

	fd = kmsgq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0, NULL);
	if (fd == -EACCES)
		fd = kmsgq_open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0,
				NULL);
	return fd;
}

/* Report @err of listing @name's subscribers; the exit status. */
static int subs_fail(const char *name, int err)
{
	if (err == -EOPNOTSUPP)
		return kmsgqctl_fail(name, "not a fan-out queue");
	if (err == -ENOTTY)
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module cannot list subscribers");
	if (err == -EACCES)
		return kmsgqctl_fail(name, "%s (listing subscribers needs read or write permission)",
				     strerror(EACCES));
	return kmsgqctl_fail_queue(name, err);
}

int subs_collect(const char *name, struct subs_list *l)
{
	uint64_t cursor = 0;
	size_t cap = 0, i, kept;
	int fd, n;

	l->s = NULL;
	l->nr = 0;
	fd = subs_open(name);
	if (fd < 0)
		return fd;
	for (;;) {
		if (cap - l->nr < SUBS_BATCH) {
			struct kmsgq_subscriber *s;

			cap += SUBS_BATCH;
			s = realloc(l->s, cap * sizeof(*s));
			if (!s) {
				n = -ENOMEM;
				break;
			}
			l->s = s;
		}
		n = kmsgq_subscribers(fd, &cursor, l->s + l->nr, SUBS_BATCH,
				      NULL);
		if (n <= 0)
			break;
		l->nr += n;
	}
	kmsgq_close(fd);
	if (n < 0) {
		free(l->s);
		l->s = NULL;
		l->nr = 0;
		return n;
	}
	/* kmsgqctl's own subscriber, if it had to read, is no one's. */
	for (i = 0, kept = 0; i < l->nr; i++)
		if (!(l->s[i].flags & KMSGQ_SUBSCRIBER_SELF))
			l->s[kept++] = l->s[i];
	l->nr = kept;
	return 0;
}

/* The command name of process @pid, into @buf; false if not known. */
static bool subs_comm(int pid, char *buf, size_t size)
{
	char path[32];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return kmsgqctl_read_line(path, buf, size);
}

int subs_cmd_subscribers(int argc, char **argv)
{
	static const char *const heads[] = {
		"ID", "PID", "COMMAND", "LAG", "LOST"
	};
	static const struct option longopts[] = {
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct output_row *rows;
	struct subs_list l;
	const char *name;
	char comm[64];
	size_t i;
	int ret;

	while (kmsgqctl_next_opt(argc, argv, ":jh", longopts) != -1)
		;
	name = kmsgqctl_one_name(argc, argv);
	if (dev_open() < 0)
		return EXIT_FAILURE;
	ret = subs_collect(name, &l);
	if (ret)
		return subs_fail(name, ret);

	if (kmsgqctl_json) {
		putchar('[');
		for (i = 0; i < l.nr; i++) {
			const struct kmsgq_subscriber *s = &l.s[i];
			bool known = subs_comm(s->pid, comm, sizeof(comm));

			output_json_item(i);
			printf("{\"id\":%llu,\"pid\":", (unsigned long long)s->id);
			if (s->pid > 0)
				printf("%d", s->pid);
			else
				fputs("null", stdout);
			fputs(",\"command\":", stdout);
			output_json_cstring_or_null(known ? comm : NULL);
			printf(",\"lag\":%llu,\"lost\":%llu}",
			       (unsigned long long)s->lag,
			       (unsigned long long)s->lost);
		}
		output_json_array_end(l.nr);
		free(l.s);
		return 0;
	}

	rows = calloc(l.nr ? l.nr : 1, sizeof(*rows));
	if (!rows) {
		free(l.s);
		return kmsgqctl_fail_errno(name, ENOMEM);
	}
	for (i = 0; i < l.nr; i++) {
		const struct kmsgq_subscriber *s = &l.s[i];
		char (*cell)[OUTPUT_TABLE_CELL] = rows[i].cell;

		output_cellf(cell[0], "%llu", (unsigned long long)s->id);
		if (s->pid > 0)
			output_cellf(cell[1], "%d", s->pid);
		else
			strcpy(cell[1], "-");
		if (subs_comm(s->pid, comm, sizeof(comm)))
			output_cellf(cell[2], "%s", comm);
		else
			strcpy(cell[2], "-");
		output_cellf(cell[3], "%llu", (unsigned long long)s->lag);
		output_cellf(cell[4], "%llu", (unsigned long long)s->lost);
	}
	output_table_print(heads, "rrlrr", rows, l.nr);
	free(rows);
	free(l.s);
	return 0;
}
