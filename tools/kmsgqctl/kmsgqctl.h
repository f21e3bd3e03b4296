/* SPDX-License-Identifier: MIT */
/*
 * What kmsgqctl's files share.  main.c parses the command line, reports
 * errors and runs one command; list.c fetches the queue list and runs the
 * commands that read it (list, show, watch) and info; xfer.c sends,
 * receives and peeks (send, recv, peek); admin.c creates, unlinks and changes queues
 * (create, unlink, chmod, chown); subs.c lists a fan-out queue's
 * subscribers (subscribers); dev.c holds /dev/kmsgq; names.c maps
 * user and group ids to names and back; output.h writes JSON and tables.
 *
 * Exit status: 0 success, EXIT_FAILURE (1) the operation failed,
 * EXIT_USAGE (2) usage error, EXIT_AGAIN (3) a send or receive found the
 * queue full or empty, or a peek no message at its index (--nonblock), or
 * timed out.
 */
#ifndef KMSGQCTL_H
#define KMSGQCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <kmsgq.h>

#define EXIT_USAGE	2
#define EXIT_AGAIN	3

/* main.c: diagnostics and the command line */

/* --json, given before or after the command's name. */
extern bool kmsgqctl_json;

/**
 * kmsgqctl_fail - report a failure: "kmsgqctl: CONTEXT: MESSAGE" on stderr
 * @context: what failed: a queue's name, a file, a command
 * @fmt: printf() format of the message, then its arguments
 *
 * Return: EXIT_FAILURE.
 */
int __attribute__((format(printf, 2, 3)))
kmsgqctl_fail(const char *context, const char *fmt, ...);

/**
 * kmsgqctl_fail_errno - kmsgqctl_fail() with the text of an errno value
 * @context: what failed
 * @err: the errno value (positive)
 *
 * Return: EXIT_FAILURE.
 */
int kmsgqctl_fail_errno(const char *context, int err);

/*
 * The first line of file @path, without its newline, into @buf of @size
 * bytes: false if it cannot be read or is empty.
 */
bool kmsgqctl_read_line(const char *path, char *buf, size_t size);

/**
 * kmsgqctl_fail_queue - report an error of opening or unlinking a queue
 * @name: the queue's name
 * @err: the error, -errno
 *
 * Return: EXIT_FAILURE.
 */
int kmsgqctl_fail_queue(const char *name, int err);

/**
 * kmsgqctl_usage_error - report a usage error and exit with EXIT_USAGE
 * @fmt: printf() format of the message, then its arguments
 *
 * The message is followed by the current command's synopsis.
 */
void __attribute__((format(printf, 1, 2), noreturn))
kmsgqctl_usage_error(const char *fmt, ...);

/**
 * kmsgqctl_parse_uint - an option's number, or a usage error
 * @opt: the option, for the message
 * @s: its argument: decimal digits only (no sign, no blanks)
 * @min: the least value allowed
 * @max: the greatest value allowed
 * @sizes: whether a K or M suffix (x1024, x1048576) is allowed
 */
unsigned long long kmsgqctl_parse_uint(const char *opt, const char *s,
				       unsigned long long min,
				       unsigned long long max, bool sizes);

/**
 * kmsgqctl_parse_mode - permission bits (octal, 0..0777), or a usage error
 * @opt: the option or command, for the message
 * @s: the argument
 */
unsigned int kmsgqctl_parse_mode(const char *opt, const char *s);

/**
 * kmsgqctl_parse_seconds - an option's seconds, or a usage error
 * @opt: the option, for the message
 * @s: its argument: DIGITS[.DIGITS], at most 10^9 seconds, read to the
 *	nanosecond
 */
struct timespec kmsgqctl_parse_seconds(const char *opt, const char *s);

/**
 * kmsgqctl_next_opt - the next option of the current command
 * @argc: the command's argument count
 * @argv: the command's arguments, its name first
 * @shortopts: getopt_long()'s short options; must start with ':'
 * @longopts: getopt_long()'s long options, ending with OPT_END
 *
 * --json and --help are every command's and handled here (--help prints
 * the command's help and exits), as are unknown and incomplete options
 * (a usage error).
 *
 * Return: the option's character as getopt_long() gives it, or -1 after
 * the last one (optind then indexes the first argument).
 */
int kmsgqctl_next_opt(int argc, char **argv, const char *shortopts,
		      const struct option *longopts);

/* Options every command takes (kmsgqctl_next_opt() handles them); the end. */
#define OPT_JSON	{ "json", no_argument, NULL, 'j' }
#define OPT_HELP	{ "help", no_argument, NULL, 'h' }
#define OPT_END		{ NULL, 0, NULL, 0 }

/*
 * The arguments left after the options, or a usage error: none; at least
 * one queue name; exactly one queue name (returned).
 */
void kmsgqctl_no_args(int argc, char **argv);
void kmsgqctl_need_name(int argc);
const char *kmsgqctl_one_name(int argc, char **argv);

static inline struct timespec kmsgqctl_ts_add(struct timespec a,
					      struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000;
	}
	return a;
}

/* a - b in seconds. */
static inline double kmsgqctl_ts_diff(struct timespec a, struct timespec b)
{
	return (double)(a.tv_sec - b.tv_sec) + (a.tv_nsec - b.tv_nsec) / 1e9;
}

/* dev.c: /dev/kmsgq */

/**
 * dev_open - open /dev/kmsgq, once, so that later ENOENTs are about queues
 *
 * Return: the descriptor, or -1 having reported why.
 */
int dev_open(void);

/**
 * dev_info - the module's limits and features
 * @info: filled in
 *
 * Return: 0, or the exit status having reported why.
 */
int dev_info(struct kmsgq_info *info);

/* dev_close - close /dev/kmsgq if dev_open() opened it. */
void dev_close(void);

/* names.c: user and group names */

/* A queue's owner and group: names, or ids as decimal strings. */
struct names_owner {
	char user[64];
	char group[64];
	bool has_user;		/* user is a name */
	bool has_group;		/* group is a name */
};

/**
 * names_owner - the names of queue @e's owner and group
 * @e: the queue
 * @numeric: ids only, no names looked up
 * @o: filled in
 */
void names_owner(const struct kmsgq_queue_entry *e, bool numeric,
		 struct names_owner *o);

/**
 * names_user_id - the id of the user named @name
 * @name: a user name
 * @uid: filled in when the user is known
 *
 * Return: whether it is.
 */
bool names_user_id(const char *name, unsigned int *uid);

/* names_group_id - the id of the group named @name, as names_user_id() */
bool names_group_id(const char *name, unsigned int *gid);

/* list.c: the queue list; list, show, watch and info */

/* Queues, as kmsgq_list() gives them; e is malloc()ed. */
struct qlist {
	struct kmsgq_queue_entry *e;
	size_t nr;
};

/**
 * list_fetch - every queue of the caller's IPC namespace, in creation order
 * @l: filled in
 *
 * Return: 0, the caller then freeing l->e; or the exit status having
 * reported why.
 */
int list_fetch(struct qlist *l);

/**
 * list_find - the queue named @name in @l, or NULL
 * @l: the list
 * @name: the queue's name
 */
const struct kmsgq_queue_entry *list_find(const struct qlist *l,
					  const char *name);

/* list_queue_type - "copy", "ring" or "fanout": queue @e's kind */
const char *list_queue_type(const struct kmsgq_queue_entry *e);

/*
 * list_queue_kind - "copy", "ring", "ring+reclaim", "fanout",
 * "fanout+ring" (one its subscribers may map) or "fanout+inplace" (one
 * whose publishers also write in place), and "+sender" if it records
 * senders: queue @e's type, whether it is a reclaiming ring, a mappable
 * or in-place fan-out queue and whether it records senders, as list's
 * TYPE column says it (a static buffer, until the next call)
 */
const char *list_queue_kind(const struct kmsgq_queue_entry *e);

/*
 * list_queue_overflow - "block", "fail" or "drop": what a send to queue
 * @e does when it is full
 */
const char *list_queue_overflow(const struct kmsgq_queue_entry *e);

/*
 * list_overflow_qflag - the KMSGQ_OPEN_OVERFLOW_* bit of the policy named
 * @name as list_queue_overflow() names it (0 for "block"), or -1
 */
int list_overflow_qflag(const char *name);

/*
 * The commands, here and below: each parses its options and arguments
 * with kmsgqctl_next_opt() (@argv[0] is the command's name) and returns
 * the exit status.
 */
int list_cmd_list(int argc, char **argv);
int list_cmd_show(int argc, char **argv);
int list_cmd_watch(int argc, char **argv);
int list_cmd_info(int argc, char **argv);

/* subs.c: a fan-out queue's subscribers; the subscribers command */

/* Subscribers, as kmsgq_subscribers() gives them; s is malloc()ed. */
struct subs_list {
	struct kmsgq_subscriber *s;
	size_t nr;
};

/**
 * subs_collect - every subscriber of fan-out queue @name, but kmsgqctl's
 * @name: the queue's name
 * @l: filled in
 *
 * Return: 0, the caller then freeing l->s; or -errno (-EOPNOTSUPP: not a
 * fan-out queue; -EACCES: neither read nor write permission), nothing
 * reported.
 */
int subs_collect(const char *name, struct subs_list *l);

int subs_cmd_subscribers(int argc, char **argv);

/* xfer.c: send, recv and peek */
int xfer_cmd_send(int argc, char **argv);
int xfer_cmd_recv(int argc, char **argv);
int xfer_cmd_peek(int argc, char **argv);

/* admin.c: create, unlink, chmod and chown */
int admin_cmd_create(int argc, char **argv);
int admin_cmd_unlink(int argc, char **argv);
int admin_cmd_chmod(int argc, char **argv);
int admin_cmd_chown(int argc, char **argv);

#endif /* KMSGQCTL_H */
