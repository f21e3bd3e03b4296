// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's send, recv and peek: messages from the command line or
 * standard input into a queue, and out of it, or copied out of it, onto
 * standard output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kmsgqctl.h"
#include "output.h"

/* --timeout and --nonblock, which send, recv and peek share. */
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
 * Report @err (-errno) of a send, receive or peek on @name, @after
 * appended.  EAGAIN, said as @again ("queue full", "queue empty"), or a
 * timed-out wait for @what is EXIT_AGAIN; anything else EXIT_FAILURE.
 */
static int xfer_fail(const char *name, int err, const char *again,
		     const char *what, const char *after)
{
	switch (-err) {
	case EAGAIN:
		kmsgqctl_fail(name, "%s%s", again, after);
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
static int xfer_send_one(struct sender *s, const void *buf, size_t len)
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
	return xfer_fail(s->name, ret, "queue full", "room", after);
}

/* All of stdin, one message; at most max_msgsize bytes. */
static int xfer_send_stdin(struct sender *s)
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
	ret = xfer_send_one(s, buf, len);
	free(buf);
	return ret;
}

/* One message per line of stdin, without its newline. */
static int xfer_send_lines(struct sender *s)
{
	size_t cap = 0;
	char *line = NULL;
	ssize_t n;
	int ret = 0;

	errno = 0;
	while (!ret && (n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		ret = xfer_send_one(s, line, n);
	}
	if (!ret && ferror(stdin))
		ret = kmsgqctl_fail_errno("stdin", errno);
	free(line);
	return ret;
}

int xfer_cmd_send(int argc, char **argv)
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
		ret = xfer_send_lines(&s);
	else if (optind == argc)
		ret = xfer_send_stdin(&s);
	for (; !ret && optind < argc; optind++)
		ret = xfer_send_one(&s, argv[optind], strlen(argv[optind]));
	kmsgq_close(s.fd);
	return ret;
}

/* "kernel" or "mapper": how @from queued its message; NULL if unknown. */
static const char *xfer_sender_kind(const struct kmsgq_sender *from)
{
	if (from->flags & KMSGQ_SENDER_KERNEL)
		return "kernel";
	if (from->flags & KMSGQ_SENDER_MAPPER)
		return "mapper";
	return NULL;
}

/*
 * A message's sender, @from, on stdout: a JSON object or null, or one
 * word, "pid=P,uid=U,gid=G" (",mapper" added for a message committed in
 * place on a ring, ",shared" for one on a ring mapped writable, whose
 * mappers could have written it) or "unknown", and a space.
 */
static void xfer_sender_print(const struct kmsgq_sender *from)
{
	const char *kind = xfer_sender_kind(from);
	bool shared = from->flags & KMSGQ_SENDER_SHARED;

	if (kmsgqctl_json && !kind)
		fputs("null", stdout);
	else if (kmsgqctl_json)
		printf("{\"pid\":%d,\"uid\":%u,\"gid\":%u,\"kind\":\"%s\",\"shared\":%s}",
		       (int)from->pid, (unsigned int)from->uid,
		       (unsigned int)from->gid, kind,
		       shared ? "true" : "false");
	else if (!kind)
		fputs(shared ? "unknown,shared " : "unknown ", stdout);
	else
		printf("pid=%d,uid=%u,gid=%u%s%s ", (int)from->pid,
		       (unsigned int)from->uid, (unsigned int)from->gid,
		       from->flags & KMSGQ_SENDER_KERNEL ? "" : ",mapper",
		       shared ? ",shared" : "");
}

/*
 * One received or peeked message on stdout; @from, its sender, if not
 * NULL (--sender).
 */
static void xfer_recv_print(const unsigned char *buf, size_t len,
			    unsigned int prio,
			    const struct kmsgq_sender *from,
			    unsigned long long i, bool show_prio, bool raw)
{
	if (kmsgqctl_json) {
		output_json_item(i);
		printf("{\"prio\":%u,\"size\":%zu,", prio, len);
		if (from) {
			fputs("\"sender\":", stdout);
			xfer_sender_print(from);
			putchar(',');
		}
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
	if (from)
		xfer_sender_print(from);
	fwrite(buf, 1, len, stdout);
	if (!raw)
		putchar('\n');
}

/* Report @err of a receive, or of a peek at @index; the exit status. */
static int xfer_read_fail(const char *name, int err, bool peek,
			  unsigned long long index)
{
	char again[48], what[48];

	if (!peek)
		return xfer_fail(name, err, "queue empty", "a message", "");
	snprintf(again, sizeof(again), "no message at index %llu", index);
	snprintf(what, sizeof(what), "a message at index %llu", index);
	return xfer_fail(name, err, again, what, "");
}

/*
 * kmsgq_peek() that also says who sent the message: KMSGQ_IOC_RECV with
 * KMSGQ_XFER_PEEK and KMSGQ_XFER_SENDER, for which libkmsgq has no call.
 */
static ssize_t xfer_peek_from(int fd, unsigned int index, void *buf,
			      size_t len, unsigned int *prio,
			      struct kmsgq_sender *from,
			      const struct timespec *deadline)
{
	struct kmsgq_msg_sender ms = {
		.msg.buf = (uintptr_t)buf,
		.msg.len = len,
	};
	struct kmsgq_xfer xfer = {
		.size = sizeof(xfer),
		.flags = KMSGQ_XFER_PEEK | KMSGQ_XFER_SENDER,
		.msgs = (uintptr_t)&ms,
		.nr = 1,
		.index = index,
	};

	if (deadline) {
		xfer.flags |= KMSGQ_XFER_TIMEOUT;
		xfer.clockid = CLOCK_MONOTONIC;
		xfer.timeout.tv_sec = deadline->tv_sec;
		xfer.timeout.tv_nsec = deadline->tv_nsec;
	}
	if (ioctl(fd, KMSGQ_IOC_RECV, &xfer) < 0)
		return -errno;
	*prio = ms.msg.prio;
	from->pid = ms.pid;
	from->uid = ms.uid;
	from->gid = ms.gid;
	from->flags = ms.sender_flags;
	return ms.msg.len;
}

/*
 * recv and peek: receive messages, or copy them out from @peek_index on
 * and leave them queued (@peek), and print each.  They share their options
 * but for peek's --index, and their output.
 */
static int xfer_read(int argc, char **argv, bool peek)
{
	/* peek's --index first: recv's options are the rest. */
	static const struct option longopts[] = {
		{ "index", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "prio", no_argument, NULL, 'p' },
		{ "sender", no_argument, NULL, 'S' },
		{ "raw", no_argument, NULL, 'r' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	const char *cmd = peek ? "peek" : "recv";
	bool all = false, has_count = false, show_prio = false, raw = false;
	bool sender = false;
	unsigned long long count = 1, i;
	unsigned int peek_index = 0;
	struct xfer_opts x = { 0 };
	struct kmsgq_info info;
	struct kmsgq_attr attr;
	unsigned char *buf;
	const char *name;
	int c, fd, ret = 0;

	while ((c = kmsgqctl_next_opt(argc, argv,
				      peek ? ":i:c:at:npSrjh" : ":c:at:npSrjh",
				      peek ? longopts : longopts + 1)) != -1) {
		switch (c) {
		case 'i':
			peek_index = kmsgqctl_parse_uint("--index", optarg, 0,
							 UINT32_MAX, false);
			break;
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
		case 'S':
			sender = true;
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
		kmsgqctl_usage_error("%s: --all takes what is queued and waits for nothing: no --count or --timeout with it",
				     cmd);
	if (raw && (show_prio || sender || kmsgqctl_json))
		kmsgqctl_usage_error("%s: --raw goes with none of --prio, --sender and --json",
				     cmd);
	/* Peek's indexes are 32-bit: the last must be one. */
	if (peek && count - 1 > UINT32_MAX - peek_index)
		kmsgqctl_usage_error("peek: --index plus --count passes the last index, %u",
				     UINT32_MAX);
	if (all)
		x.nonblock = true;

	if (peek || sender) {
		ret = dev_info(&info);
		if (ret)
			return ret;
		if (peek && !(info.features & KMSGQ_FEAT_PEEK))
			return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
					     "the module cannot peek (no KMSGQ_FEAT_PEEK)");
		if (sender && !(info.features & KMSGQ_FEAT_SENDER))
			return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
					     "the module reports no senders (no KMSGQ_FEAT_SENDER)");
	}
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
		struct kmsgq_sender from;
		unsigned int prio;
		ssize_t n;

		/* The kernel refuses an index at or past the depth: none there. */
		if (peek && peek_index + i >= attr.max_msgs)
			n = -EAGAIN;
		else if (peek && sender)
			n = xfer_peek_from(fd, peek_index + i, buf,
					   attr.max_msgsize, &prio, &from,
					   deadline);
		else if (sender)
			n = kmsgq_receive_from(fd, buf, attr.max_msgsize,
					       &prio, &from, 0,
					       CLOCK_MONOTONIC, deadline);
		else if (peek)
			n = kmsgq_peek(fd, peek_index + i, buf,
				       attr.max_msgsize, &prio, 0,
				       CLOCK_MONOTONIC, deadline);
		else
			n = kmsgq_timedreceive(fd, buf, attr.max_msgsize,
					       &prio, CLOCK_MONOTONIC,
					       deadline);
		if (n == -EAGAIN && all)
			break;
		if (n < 0) {
			fflush(stdout);	/* what was printed comes first */
			ret = xfer_read_fail(name, n, peek, peek_index + i);
			break;
		}
		xfer_recv_print(buf, n, prio, sender ? &from : NULL, i,
				show_prio, raw);
		/* A received message has left the queue: make sure it is seen. */
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

int xfer_cmd_recv(int argc, char **argv)
{
	return xfer_read(argc, argv, false);
}

int xfer_cmd_peek(int argc, char **argv)
{
	return xfer_read(argc, argv, true);
}
