// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the kmsgqctl command-line tool, run as a program against
 * live queues: what it creates, sends and receives is checked through
 * libkmsgq and the other way round; what it prints (text and JSON), its
 * messages and its exit statuses are checked against kmsgqctl(1).
 *
 * The binary is $KMSGQCTL, or /kmsgq/bin/kmsgqctl (the guest's copy); the
 * tests skip if it is missing.
 */
#include "kmsgq_test.h"

#include <sched.h>

#define CTL_DEFAULT	"/kmsgq/bin/kmsgqctl"
#define OUT_MAX		(64 * 1024)
#define ERR_MAX		4096
#define MAX_ARGS	16
#define LINE_WAIT_MS	20000	/* longest wait for a line from watch */

/* How the tool is run. */
enum who {
	AS_ROOT,	/* as the test runs */
	AS_NOBODY,	/* uid/gid 65534, no supplementary groups */
	NO_DEVICE,	/* in a mount namespace whose /dev is empty */
};

/* What a run of the tool did. */
struct run {
	int status;		/* exit status, or 128 + signal */
	size_t out_len;
	char out[OUT_MAX];	/* stdout, NUL-terminated */
	char err[ERR_MAX];	/* stderr, NUL-terminated */
};

struct child {
	pid_t pid;
	int in, out, err;	/* our ends of its stdin, stdout, stderr */
};

/* Start @path with @argv (argv[0] included) as @who. */
static int spawn(const char *path, enum who who, char *const argv[],
		 struct child *c)
{
	int in[2], out[2], err[2];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(126);
		if (who == AS_NOBODY && become(NOBODY, NOBODY)) {
			dprintf(2, "test: cannot become nobody: %m\n");
			_exit(126);
		}
		if (who == NO_DEVICE &&
		    (unshare(CLONE_NEWNS) ||
		     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		     mount("none", "/dev", "tmpfs", 0, NULL))) {
			dprintf(2, "test: cannot hide /dev: %m\n");
			_exit(126);
		}
		execv(path, argv);
		dprintf(2, "test: exec %s: %m\n", path);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
	return 0;
}

/* Feed @in to the child, gather its output until it exits. */
static int finish(struct child *c, const void *in, size_t in_len,
		  struct run *r)
{
	struct pollfd pfd[2] = {
		{ .fd = c->out, .events = POLLIN },
		{ .fd = c->err, .events = POLLIN },
	};
	size_t err_len = 0, done = 0;
	char sink[4096];
	int status;
	ssize_t n;

	/* Small inputs only: they fit the pipe, so this cannot deadlock. */
	while (done < in_len) {
		n = write(c->in, (const char *)in + done, in_len - done);
		if (n < 0)
			break;	/* EPIPE: the tool did not read it all */
		done += n;
	}
	close(c->in);

	r->out_len = 0;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < 2; i++) {
			char *buf = i ? r->err : r->out;
			size_t *len = i ? &err_len : &r->out_len;
			size_t room = (i ? ERR_MAX : OUT_MAX) - 1 - *len;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, room ? buf + *len : sink,
				 room ? room : sizeof(sink));
			if (n > 0 && room) {
				*len += n;
			} else if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	r->out[r->out_len] = '\0';
	r->err[err_len] = '\0';
	if (waitpid(c->pid, &status, 0) != c->pid)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		128 + WTERMSIG(status);
	return 0;
}

/*
 * Run the tool with the arguments after @in_len, up to a NULL, as @who,
 * with @in on its stdin.  Returns its exit status, or -1 if it could not
 * be run.
 */
static int ctl(const char *path, struct run *r, enum who who, const char *in,
	       size_t in_len, ...)
{
	char *argv[MAX_ARGS + 2] = { (char *)path };
	struct child c;
	va_list ap;
	int i;

	va_start(ap, in_len);
	for (i = 1; i <= MAX_ARGS; i++) {
		argv[i] = va_arg(ap, char *);
		if (!argv[i])
			break;
	}
	va_end(ap);
	if (i > MAX_ARGS || spawn(path, who, argv, &c) ||
	    finish(&c, in, in_len, r))
		return -1;
	return r->status;
}

/* The usual case: as root, nothing on stdin. */
#define CTL(self, ...) \
	ctl((self)->path, (self)->r, AS_ROOT, NULL, 0, __VA_ARGS__, NULL)

/* Read one line of @fd into @buf (without its newline); false on EOF. */
static bool read_line(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;

	while (len + 1 < size) {
		if (poll(&pfd, 1, LINE_WAIT_MS) <= 0 ||
		    read(fd, buf + len, 1) != 1)
			return false;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return true;
}

/*
 * A small JSON syntax checker (RFC 8259), so that every JSON output is
 * checked to parse, escapes included.
 */
struct jp {
	const char *p, *end;
};

static bool jp_value(struct jp *j);

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p))
		j->p++;
}

static bool jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

static bool jp_string(struct jp *j)
{
	if (!jp_lit(j, "\""))
		return false;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p++;

		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (j->p == j->end)
			return false;
		c = *j->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, j->p++)
				if (j->p == j->end ||
				    !strchr("0123456789abcdefABCDEF", *j->p))
					return false;
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return false;
		}
	}
	return jp_lit(j, "\"");
}

static bool jp_digits(struct jp *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

static bool jp_number(struct jp *j)
{
	jp_lit(j, "-");
	if (!jp_lit(j, "0") && !jp_digits(j))
		return false;
	if (jp_lit(j, ".") && !jp_digits(j))
		return false;
	if (jp_lit(j, "e") || jp_lit(j, "E")) {
		if (!jp_lit(j, "+"))
			jp_lit(j, "-");
		return jp_digits(j);
	}
	return true;
}

static bool jp_list(struct jp *j, char close, bool members)
{
	jp_ws(j);
	if (j->p < j->end && *j->p == close)
		return j->p++, true;
	for (;;) {
		if (members) {
			jp_ws(j);
			if (!jp_string(j))
				return false;
			jp_ws(j);
			if (!jp_lit(j, ":"))
				return false;
		}
		if (!jp_value(j))
			return false;
		if (j->p < j->end && *j->p == close)
			return j->p++, true;
		if (!jp_lit(j, ","))
			return false;
	}
}

static bool jp_value(struct jp *j)
{
	bool ok;

	jp_ws(j);
	if (j->p == j->end)
		return false;
	switch (*j->p) {
	case '{':
		j->p++;
		ok = jp_list(j, '}', true);
		break;
	case '[':
		j->p++;
		ok = jp_list(j, ']', false);
		break;
	case '"':
		ok = jp_string(j);
		break;
	case 't':
		ok = jp_lit(j, "true");
		break;
	case 'f':
		ok = jp_lit(j, "false");
		break;
	case 'n':
		ok = jp_lit(j, "null");
		break;
	default:
		ok = jp_number(j);
	}
	jp_ws(j);
	return ok;
}

/* @s is exactly one JSON value (and white space). */
static bool json_valid(const char *s)
{
	struct jp j = { s, s + strlen(s) };

	return jp_value(&j) && j.p == j.end;
}

/*
 * The queue object for @name in @out (list, show or watch output), copied
 * into @obj; false if there is none.  Queue objects nest nothing, and no
 * name in them contains a brace.
 */
static bool json_queue(const char *out, const char *name, char *obj,
		       size_t size)
{
	char key[KMSGQ_NAME_MAX + 16];
	const char *p, *end;

	snprintf(key, sizeof(key), "{\"name\":\"%s\",", name);
	p = strstr(out, key);
	if (!p)
		return false;
	end = strchr(p, '}');
	if (!end || (size_t)(end - p) + 2 > size)
		return false;
	memcpy(obj, p, end - p + 1);
	obj[end - p + 1] = '\0';
	return true;
}

/* The number after "@key": in @obj; false if absent or null. */
static bool json_number(const char *obj, const char *key, double *v)
{
	char k[64];
	const char *p;
	char *end;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	if (!p)
		return false;
	p += strlen(k);
	*v = strtod(p, &end);
	return end != p;
}

/*
 * The whitespace-separated fields of the first line of @out whose first
 * field is @first (from line @from on); the number of fields, 0 if none.
 */
static int row(const char *out, const char *first, int from,
	       char fields[][80], int max)
{
	char line[512], *save, *tok;
	const char *p = out;
	int n, nr = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		if (nr++ < from)
			continue;
		n = 0;
		for (tok = strtok_r(line, " ", &save); tok && n < max;
		     tok = strtok_r(NULL, " ", &save))
			snprintf(fields[n++], 80, "%s", tok);
		if (n && !strcmp(fields[0], first))
			return n;
	}
	return 0;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Lines of @out that start with @prefix ("": every line). */
static int count_lines(const char *out, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p = out;
	int n = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, len))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

FIXTURE(ctl) {
	const char *path;
	char q[KMSGQ_NAME_MAX];		/* names this test may use */
	char q2[KMSGQ_NAME_MAX];
	char missing[KMSGQ_NAME_MAX];	/* a name that never exists */
	char err[256];			/* an expected stderr */
	int fd;				/* a queue the test holds open */
	struct run *r;
};

FIXTURE_SETUP(ctl)
{
	int dev;

	self->fd = -1;
	self->r = NULL;
	self->path = getenv("KMSGQCTL");
	if (!self->path)
		self->path = CTL_DEFAULT;
	if (access(self->path, X_OK))
		SKIP(return, "no %s (set KMSGQCTL)", self->path);
	dev = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev) TH_LOG("open %s: %s", KMSGQ_DEVICE_PATH,
				 strerror(errno));
	close(dev);

	self->r = malloc(sizeof(*self->r));
	ASSERT_NE(NULL, self->r);
	/* Each test runs in its own process: the pid makes the names unique. */
	snprintf(self->q, sizeof(self->q), "kctl-%d", getpid());
	snprintf(self->q2, sizeof(self->q2), "kctl-%d-2", getpid());
	snprintf(self->missing, sizeof(self->missing), "kctl-%d-none",
		 getpid());
	kmsgq_unlink(self->q);
	kmsgq_unlink(self->q2);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
	kmsgq_unlink(self->q);
	kmsgq_unlink(self->q2);
	free(self->r);
}

/* A queue made through the library, held open O_RDWR in self->fd. */
static int make_queue(FIXTURE_DATA(ctl) *self, unsigned int depth,
		      unsigned int msgsize, unsigned int qflags)
{
	struct kmsgq_attr attr = {
		.qflags = qflags,
		.max_msgs = depth,
		.max_msgsize = msgsize,
	};

	self->fd = kmsgq_open(self->q, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK,
			      0600, &attr);
	return self->fd < 0 ? self->fd : 0;
}

/* "kmsgqctl: @ctx: @msg\n", the tool's one-line error. */
static const char *err_line(FIXTURE_DATA(ctl) *self, const char *ctx,
			    const char *msg)
{
	snprintf(self->err, sizeof(self->err), "kmsgqctl: %s: %s\n", ctx, msg);
	return self->err;
}

/* Receive one message through the library into @buf (NUL-terminated). */
static ssize_t lib_recv(int fd, char *buf, size_t size, unsigned int *prio)
{
	ssize_t n = kmsgq_receive(fd, buf, size - 1, prio);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

TEST_F(ctl, create_sets_the_attributes_given)
{
	struct kmsgq_attr attr;
	int fd;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--depth", "8",
			 "--msgsize", "128", "--mode", "0640"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ("", self->r->err);

	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0, attr.qflags);
	EXPECT_EQ(8, attr.max_msgs);
	EXPECT_EQ(128, attr.max_msgsize);
	EXPECT_EQ(0640, attr.mode);
	EXPECT_EQ(getuid(), attr.uid);
	EXPECT_EQ(getgid(), attr.gid);
	close(fd);
}

TEST_F(ctl, create_ring_rounds_the_depth_up)
{
	struct kmsgq_attr attr;
	int fd;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--ring", "--depth", "5",
			 "--msgsize", "1K"))
		TH_LOG("stderr: %s", self->r->err);
	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_RING, attr.qflags);
	EXPECT_EQ(8, attr.max_msgs);
	EXPECT_EQ(1024, attr.max_msgsize);
	close(fd);

	/* The same command again accepts the queue it made. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--ring", "--depth", "5",
			 "--msgsize", "1K"))
		TH_LOG("stderr: %s", self->r->err);
}

TEST_F(ctl, create_mode_is_applied_as_given)
{
	struct kmsgq_attr attr;
	mode_t old = umask(0077);
	int fd;

	EXPECT_EQ(0, CTL(self, "create", self->q, "--mode", "0666"));
	EXPECT_EQ(0, CTL(self, "create", self->q2));
	umask(old);

	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0666, attr.mode);
	close(fd);
	fd = kmsgq_open(self->q2, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0600, attr.mode);
	close(fd);
}

TEST_F(ctl, create_accepts_an_existing_queue_only_if_it_matches)
{
	ASSERT_EQ(0, CTL(self, "create", self->q, "--depth", "4",
			 "--msgsize", "64"));

	EXPECT_EQ(1, CTL(self, "create", self->q, "--excl"));
	EXPECT_STREQ(err_line(self, self->q, "queue exists"), self->r->err);

	EXPECT_EQ(0, CTL(self, "create", self->q, "--depth", "4"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(0, CTL(self, "create", self->q));

	EXPECT_EQ(1, CTL(self, "create", self->q, "--depth", "5"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type copy, overflow block, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--ring"));
	EXPECT_EQ(1, CTL(self, "create", self->q, "--mode", "0644"));
	EXPECT_EQ(1, CTL(self, "create", self->q, "--overflow", "drop"));
	EXPECT_EQ(0, CTL(self, "create", self->q, "--overflow", "block"));
	EXPECT_STREQ("", self->r->err);
}

TEST_F(ctl, create_accepts_an_existing_policy_only_if_it_matches)
{
	ASSERT_EQ(0, CTL(self, "create", self->q, "--depth", "4",
			 "--msgsize", "64", "--overflow", "drop"));

	/* Not given: any policy will do, as for the depth. */
	EXPECT_EQ(0, CTL(self, "create", self->q));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(0, CTL(self, "create", self->q, "--overflow", "drop"));

	EXPECT_EQ(1, CTL(self, "create", self->q, "--overflow", "fail"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type copy, overflow drop, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--overflow", "block"));
	EXPECT_EQ(1, CTL(self, "create", self->q, "--excl",
			 "--overflow", "drop"));
	EXPECT_STREQ(err_line(self, self->q, "queue exists"), self->r->err);
}

TEST_F(ctl, create_sets_each_overflow_policy)
{
	static const struct {
		const char *policy;
		const char *ring;	/* "--ring", or another harmless option */
		unsigned int qflags;
	} cases[] = {
		{ "block", "--excl", 0 },
		{ "fail", "--excl", KMSGQ_OPEN_OVERFLOW_FAIL },
		{ "drop", "--excl", KMSGQ_OPEN_OVERFLOW_DROP },
		{ "fail", "--ring", KMSGQ_OPEN_RING | KMSGQ_OPEN_OVERFLOW_FAIL },
		{ "drop", "--ring", KMSGQ_OPEN_RING | KMSGQ_OPEN_OVERFLOW_DROP },
	};
	struct kmsgq_attr attr;
	int fd;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, CTL(self, "create", self->q, cases[i].ring,
				 "--overflow", cases[i].policy))
			TH_LOG("%s: %s", cases[i].policy, self->r->err);
		fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
		EXPECT_EQ(cases[i].qflags, attr.qflags)
			TH_LOG("%s %s", cases[i].ring, cases[i].policy);
		close(fd);
		ASSERT_EQ(0, kmsgq_unlink(self->q));
	}
}

TEST_F(ctl, create_reclaim_makes_a_reclaiming_ring)
{
	char f[14][80], obj[1024];
	struct kmsgq_attr attr;
	int fd;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--ring", "--reclaim",
			 "--depth", "4", "--msgsize", "64"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->err);
	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM, attr.qflags);
	EXPECT_EQ(4, attr.max_msgs);
	close(fd);

	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("ring+reclaim", f[1]);
	EXPECT_STREQ("block", f[2]);
	EXPECT_EQ(0, CTL(self, "list", "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
	EXPECT_NE(NULL, strstr(obj, "\"type\":\"ring\",\"reclaim\":true,"))
		TH_LOG("%s", obj);

	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "type", 0, f, 14));
	EXPECT_STREQ("ring", f[1]);
	ASSERT_EQ(2, row(self->r->out, "reclaim", 0, f, 14));
	EXPECT_STREQ("yes", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\"reclaim\":true,"));

	/* Reclaiming is part of the type: an existing queue must match. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--ring", "--reclaim"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--ring"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type ring+reclaim, overflow block, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);
}

TEST_F(ctl, create_ring_is_not_reclaiming_unless_asked)
{
	char f[14][80];
	struct kmsgq_attr attr;
	int fd;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--ring", "--depth", "4",
			 "--msgsize", "64"));
	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_RING, attr.qflags);
	close(fd);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "reclaim", 0, f, 14));
	EXPECT_STREQ("no", f[1]);

	EXPECT_EQ(1, CTL(self, "create", self->q, "--ring", "--reclaim"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type ring, overflow block, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);
}

TEST_F(ctl, create_reclaim_without_ring_is_a_usage_error)
{
	EXPECT_EQ(2, CTL(self, "create", self->q, "--reclaim"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: create: --reclaim makes a reclaiming ring: give --ring with it\n"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->err, "\nUsage: kmsgqctl create NAME "));
	EXPECT_STREQ("", self->r->out);
	EXPECT_EQ(2, CTL(self, "create", self->q, "--reclaim", "--overflow",
			 "drop"));
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q, O_RDONLY, 0, NULL));
}

TEST_F(ctl, create_sender_makes_a_queue_that_records_senders)
{
	char f[14][80], obj[1024];
	struct kmsgq_attr attr;
	int fd;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--sender", "--depth", "4",
			 "--msgsize", "64"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->err);
	fd = kmsgq_open(self->q, O_RDONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_SENDER, attr.qflags);
	close(fd);

	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("copy+sender", f[1]);
	EXPECT_EQ(0, CTL(self, "list", "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
	EXPECT_NE(NULL, strstr(obj, "\"type\":\"copy\",\"reclaim\":false,\"sender\":true,"))
		TH_LOG("%s", obj);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "type", 0, f, 14));
	EXPECT_STREQ("copy", f[1]);
	ASSERT_EQ(2, row(self->r->out, "sender", 0, f, 14));
	EXPECT_STREQ("yes", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\"sender\":true,"));

	/* Recording senders is part of the type: an existing queue must match. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--sender"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type copy+sender, overflow block, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);
}

TEST_F(ctl, create_sender_goes_with_every_type)
{
	char f[14][80];

	ASSERT_EQ(0, CTL(self, "create", self->q, "--ring", "--reclaim",
			 "--sender", "--depth", "4", "--msgsize", "64"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("ring+reclaim+sender", f[1]);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--ring", "--reclaim"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type ring+reclaim+sender, overflow block, depth 4, msgsize 64, mode 0600)"),
		     self->r->err);

	/* Without --sender a queue records none. */
	ASSERT_EQ(0, CTL(self, "create", self->q2, "--ring"));
	EXPECT_EQ(0, CTL(self, "show", self->q2));
	ASSERT_EQ(2, row(self->r->out, "sender", 0, f, 14));
	EXPECT_STREQ("no", f[1]);
	EXPECT_EQ(1, CTL(self, "create", self->q2, "--ring", "--sender"));
}

TEST_F(ctl, create_above_the_module_limit_fails)
{
	struct kmsgq_info info;
	char depth[16], msg[128];

	ASSERT_EQ(0, kmsgq_info(-1, &info));
	snprintf(depth, sizeof(depth), "%u", info.max_msgs + 1);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--depth", depth));
	snprintf(msg, sizeof(msg),
		 "--depth %u is above the module's limit max_msgs %u",
		 info.max_msgs + 1, info.max_msgs);
	EXPECT_STREQ(err_line(self, self->q, msg), self->r->err);
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q, O_RDONLY, 0, NULL));
}

TEST_F(ctl, create_with_a_bad_name_fails)
{
	char longname[KMSGQ_NAME_MAX + 1];

	EXPECT_EQ(1, CTL(self, "create", "bad/name"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: bad/name: invalid queue name ("))
		TH_LOG("stderr: %s", self->r->err);

	memset(longname, 'a', KMSGQ_NAME_MAX);
	longname[KMSGQ_NAME_MAX] = '\0';
	EXPECT_EQ(1, CTL(self, "create", longname));
	EXPECT_STREQ(err_line(self, longname,
			      "queue name too long (at most 63 bytes)"),
		     self->r->err);
}

TEST_F(ctl, send_sends_each_argument_as_a_message)
{
	static const char *const want[] = { "hello", "a", "bb", "ccc" };
	unsigned int prio;
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	EXPECT_EQ(0, CTL(self, "send", self->q, "--prio", "5", "hello"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->out);
	EXPECT_EQ(0, CTL(self, "send", self->q, "a", "bb", "ccc"));

	for (int i = 0; i < 4; i++) {
		ASSERT_EQ((ssize_t)strlen(want[i]),
			  lib_recv(self->fd, buf, sizeof(buf), &prio));
		EXPECT_STREQ(want[i], buf);
		EXPECT_EQ(i ? 0 : 5, prio);
	}
	EXPECT_EQ(-EAGAIN, lib_recv(self->fd, buf, sizeof(buf), &prio));
}

TEST_F(ctl, send_without_message_sends_all_of_stdin)
{
	static const char in[] = "line1\nline2\n";
	struct kmsgq_stats st;
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_ROOT, in, strlen(in),
			 "send", self->q, NULL));
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(1, st.msgs_sent);
	EXPECT_EQ((ssize_t)strlen(in), lib_recv(self->fd, buf, sizeof(buf),
						NULL));
	EXPECT_STREQ(in, buf);
}

TEST_F(ctl, send_lines_sends_one_message_per_line)
{
	static const char *const want[] = { "a", "", "ccc" };
	static const char in[] = "a\n\nccc";
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_ROOT, in, strlen(in),
			 "send", self->q, "--lines", NULL));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ((ssize_t)strlen(want[i]),
			  lib_recv(self->fd, buf, sizeof(buf), NULL));
		EXPECT_STREQ(want[i], buf);
	}
	EXPECT_EQ(-EAGAIN, lib_recv(self->fd, buf, sizeof(buf), NULL));

	EXPECT_EQ(2, ctl(self->path, self->r, AS_ROOT, NULL, 0, "send",
			 self->q, "--lines", "x", NULL));
}

TEST_F(ctl, send_refuses_stdin_larger_than_a_message)
{
	char buf[16];

	ASSERT_EQ(0, make_queue(self, 8, 8, 0));
	EXPECT_EQ(1, ctl(self->path, self->r, AS_ROOT, "123456789", 9,
			 "send", self->q, NULL));
	EXPECT_STREQ(err_line(self, self->q,
			      "standard input is larger than the queue's max_msgsize 8"),
		     self->r->err);
	EXPECT_EQ(-EAGAIN, lib_recv(self->fd, buf, sizeof(buf), NULL));

	EXPECT_EQ(1, CTL(self, "send", self->q, "a", "123456789"));
	EXPECT_STREQ(err_line(self, self->q,
			      "message of 9 bytes is larger than the queue's max_msgsize 8 (after 1 sent)"),
		     self->r->err);

	EXPECT_EQ(0, ctl(self->path, self->r, AS_ROOT, "12345678", 8,
			 "send", self->q, NULL));
	EXPECT_EQ(1, lib_recv(self->fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(8, lib_recv(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("12345678", buf);
}

TEST_F(ctl, send_to_a_full_queue_exits_3)
{
	struct kmsgq_stats st;

	ASSERT_EQ(0, make_queue(self, 2, 16, 0));
	EXPECT_EQ(3, CTL(self, "send", self->q, "--nonblock", "a", "b", "c"));
	EXPECT_STREQ(err_line(self, self->q, "queue full (after 2 sent)"),
		     self->r->err);
	EXPECT_EQ(3, CTL(self, "send", self->q, "--nonblock", "d"));
	EXPECT_STREQ(err_line(self, self->q, "queue full"), self->r->err);
	EXPECT_EQ(3, CTL(self, "send", self->q, "--timeout", "0.1", "d"));
	EXPECT_STREQ(err_line(self, self->q, "timed out waiting for room"),
		     self->r->err);
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(2, st.msgs_sent);
}

TEST_F(ctl, send_to_a_full_fail_queue_exits_3_without_waiting)
{
	struct kmsgq_stats st;

	ASSERT_EQ(0, make_queue(self, 2, 16, KMSGQ_OPEN_OVERFLOW_FAIL));
	/* No --nonblock, no --timeout: the policy alone says no. */
	EXPECT_EQ(3, CTL(self, "send", self->q, "a", "b", "c"));
	EXPECT_STREQ(err_line(self, self->q, "queue full (after 2 sent)"),
		     self->r->err);
	EXPECT_EQ(3, CTL(self, "send", self->q, "d"));
	EXPECT_STREQ(err_line(self, self->q, "queue full"), self->r->err);
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(2, st.msgs_sent);
	EXPECT_EQ(2, st.cur_msgs);
	EXPECT_EQ(0, st.msgs_lost);
}

/*
 * Six messages sent with kmsgqctl to a drop queue of depth 4 (@ring or
 * not): show, list and their JSON count 2 lost, and recv finds the last 4.
 */
static void overflow_drop(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ctl) *self, bool ring)
{
	char f[14][80], obj[1024];
	double lost;

	ASSERT_EQ(0, CTL(self, "create", self->q, ring ? "--ring" : "--excl",
			 "--depth", "4", "--msgsize", "16",
			 "--overflow", "drop"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(0, CTL(self, "send", self->q, "m1", "m2", "m3", "m4", "m5",
			 "m6"))
		TH_LOG("stderr: %s", self->r->err);

	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "overflow", 0, f, 14));
	EXPECT_STREQ("drop", f[1]);
	ASSERT_EQ(2, row(self->r->out, "msgs_lost", 0, f, 14));
	EXPECT_STREQ("2", f[1]);
	ASSERT_EQ(2, row(self->r->out, "msgs_sent", 0, f, 14));
	EXPECT_STREQ("6", f[1]);
	ASSERT_EQ(2, row(self->r->out, "cur_msgs", 0, f, 14));
	EXPECT_STREQ("4", f[1]);

	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ(ring ? "ring" : "copy", f[1]);
	EXPECT_STREQ("drop", f[2]);
	EXPECT_STREQ("4/4", f[6]);
	EXPECT_STREQ("6", f[9]);
	EXPECT_STREQ("2", f[11]);

	EXPECT_EQ(0, CTL(self, "list", "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
	EXPECT_NE(NULL, strstr(obj, "\"overflow\":\"drop\"")) TH_LOG("%s", obj);
	ASSERT_TRUE(json_number(obj, "msgs_lost", &lost));
	EXPECT_EQ(2, (int)lost);
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\"overflow\":\"drop\""));
	EXPECT_NE(NULL, strstr(self->r->out, "\"msgs_lost\":2}"));

	/* The two oldest went. */
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all"));
	EXPECT_STREQ("m3\nm4\nm5\nm6\n", self->r->out);
}

TEST_F(ctl, send_to_a_full_drop_queue_loses_the_oldest)
{
	overflow_drop(_metadata, self, false);
}

TEST_F(ctl, send_to_a_full_drop_ring_loses_the_oldest)
{
	overflow_drop(_metadata, self, true);
}

TEST_F(ctl, send_to_a_full_drop_queue_loses_the_lowest_priority)
{
	ASSERT_EQ(0, CTL(self, "create", self->q, "--depth", "3",
			 "--overflow", "drop"));
	EXPECT_EQ(0, CTL(self, "send", self->q, "--prio", "5", "high"));
	EXPECT_EQ(0, CTL(self, "send", self->q, "low1", "low2"));
	EXPECT_EQ(0, CTL(self, "send", self->q, "--prio", "5", "high2"));

	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all", "--prio"));
	EXPECT_STREQ("5 high\n5 high2\n0 low2\n", self->r->out);
}

TEST_F(ctl, send_priority_to_a_ring_fails)
{
	struct kmsgq_stats st;

	ASSERT_EQ(0, make_queue(self, 4, 16, KMSGQ_OPEN_RING));
	EXPECT_EQ(1, CTL(self, "send", self->q, "--prio", "1", "x"));
	EXPECT_STREQ(err_line(self, self->q, "ring queues take priority 0 only"),
		     self->r->err);
	EXPECT_EQ(0, CTL(self, "send", self->q, "x"));
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(1, st.msgs_sent);
}

TEST_F(ctl, recv_prints_messages_by_priority)
{
	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "hi", 2, 2));
	ASSERT_EQ(0, kmsgq_send(self->fd, "there", 5, 7));
	ASSERT_EQ(0, kmsgq_send(self->fd, "last", 4, 0));

	EXPECT_EQ(0, CTL(self, "recv", self->q, "--count", "2", "--prio"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("7 there\n2 hi\n", self->r->out);
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(0, CTL(self, "recv", self->q));
	EXPECT_STREQ("last\n", self->r->out);
}

TEST_F(ctl, recv_raw_prints_the_bytes_alone)
{
	static const char msg[] = { 0, 1, '\n', (char)0xff };

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, msg, sizeof(msg), 0));
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--raw"));
	ASSERT_EQ(sizeof(msg), self->r->out_len);
	EXPECT_EQ(0, memcmp(msg, self->r->out, sizeof(msg)));

	EXPECT_EQ(2, CTL(self, "recv", self->q, "--raw", "--prio"));
}

TEST_F(ctl, recv_json_gives_text_and_base64)
{
	static const char tricky[] = "a\"b\\c\nd\te\001\xc3\xa9";
	static const char want[] =
		"[\n"
		"{\"prio\":3,\"size\":5,\"text\":\"hello\",\"data\":\"aGVsbG8=\"},\n"
		"{\"prio\":0,\"size\":2,\"data\":\"/wA=\"},\n"
		"{\"prio\":0,\"size\":12,\"text\":\"a\\\"b\\\\c\\nd\\te\\u0001\xc3\xa9\",\"data\":\"YSJiXGMKZAllAcOp\"},\n"
		"{\"prio\":0,\"size\":0,\"text\":\"\",\"data\":\"\"}\n"
		"]\n";

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "hello", 5, 3));
	ASSERT_EQ(0, kmsgq_send(self->fd, "\xff", 2, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, tricky, strlen(tricky), 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "", 0, 0));

	EXPECT_EQ(0, CTL(self, "recv", self->q, "--count", "4", "--json"));
	EXPECT_STREQ(want, self->r->out);
	EXPECT_TRUE(json_valid(self->r->out));
}

TEST_F(ctl, recv_all_takes_what_is_queued)
{
	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "b", 1, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "c", 1, 0));

	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all"));
	EXPECT_STREQ("a\nb\nc\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all"));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all", "--json"));
	EXPECT_STREQ("[]\n", self->r->out);

	EXPECT_EQ(2, CTL(self, "recv", self->q, "--all", "--count", "2"));
	EXPECT_EQ(2, CTL(self, "recv", self->q, "--all", "--timeout", "1"));
}

TEST_F(ctl, recv_from_an_empty_queue_exits_3)
{
	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	EXPECT_EQ(3, CTL(self, "recv", self->q, "--timeout", "0.2"));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ(err_line(self, self->q, "timed out waiting for a message"),
		     self->r->err);
	EXPECT_EQ(3, CTL(self, "recv", self->q, "--nonblock"));
	EXPECT_STREQ(err_line(self, self->q, "queue empty"), self->r->err);

	/* What came before the timeout is printed; JSON stays whole. */
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));
	EXPECT_EQ(3, CTL(self, "recv", self->q, "--count", "3", "--nonblock"));
	EXPECT_STREQ("a\n", self->r->out);
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));
	EXPECT_EQ(3, CTL(self, "recv", self->q, "--count", "3", "--json",
			 "--timeout", "0.1"));
	EXPECT_STREQ("[\n{\"prio\":0,\"size\":1,\"text\":\"a\",\"data\":\"YQ==\"}\n]\n",
		     self->r->out);
}

TEST_F(ctl, send_and_recv_round_trip_lines)
{
	static const char in[] = "first line\nsecond line\n";

	ASSERT_EQ(0, CTL(self, "create", self->q));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_ROOT, in, strlen(in),
			 "send", self->q, "--lines", NULL));
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--count", "2"));
	EXPECT_STREQ(in, self->r->out);
}

TEST_F(ctl, recv_waits_for_a_message)
{
	struct child c;
	/* Bounded, so that a failure leaves no receiver behind. */
	char *argv[] = { (char *)self->path, "recv", self->q, "--timeout",
			 "30", NULL };
	char line[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, spawn(self->path, AS_ROOT, argv, &c));
	/* Whether it sleeps already or not, it must get the message. */
	ASSERT_EQ(0, kmsgq_send(self->fd, "late", 4, 0));
	ASSERT_TRUE(read_line(c.out, line, sizeof(line)));
	EXPECT_STREQ("late", line);
	ASSERT_EQ(0, finish(&c, NULL, 0, self->r));
	EXPECT_EQ(0, self->r->status);
}

TEST_F(ctl, peek_prints_messages_and_leaves_them_queued)
{
	struct kmsgq_stats st;
	unsigned int prio;
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "hi", 2, 2));
	ASSERT_EQ(0, kmsgq_send(self->fd, "there", 5, 7));
	ASSERT_EQ(0, kmsgq_send(self->fd, "last", 4, 0));

	EXPECT_EQ(0, CTL(self, "peek", self->q, "--prio"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("7 there\n", self->r->out);
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--index", "1", "--count",
			 "2", "--prio"));
	EXPECT_STREQ("2 hi\n0 last\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--all"));
	EXPECT_STREQ("there\nhi\nlast\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--index", "2", "--json"));
	EXPECT_STREQ("[\n{\"prio\":0,\"size\":4,\"text\":\"last\",\"data\":\"bGFzdA==\"}\n]\n",
		     self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--index", "1", "--raw"));
	EXPECT_STREQ("hi", self->r->out);

	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(3, st.cur_msgs);
	EXPECT_EQ(0, st.msgs_recv);
	/* The receive order is what it was before the peeks. */
	EXPECT_EQ(0, CTL(self, "recv", self->q));
	EXPECT_STREQ("there\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q));
	EXPECT_STREQ("hi\n", self->r->out);
	EXPECT_EQ(2, lib_recv(self->fd, buf, sizeof(buf), &prio));
	EXPECT_STREQ("hi", buf);
	EXPECT_EQ(2, prio);
}

TEST_F(ctl, peek_on_a_ring_leaves_the_slots_to_the_consumers)
{
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 4, 16, KMSGQ_OPEN_RING));
	ASSERT_EQ(0, CTL(self, "send", self->q, "a", "bb", "ccc"));
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--index", "1", "--prio"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("0 bb\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--all"));
	EXPECT_STREQ("a\nbb\nccc\n", self->r->out);

	EXPECT_EQ(1, lib_recv(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("a", buf);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--all"));
	EXPECT_STREQ("bb\nccc\n", self->r->out);
}

TEST_F(ctl, peek_past_the_last_message_exits_3)
{
	char buf[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));

	EXPECT_EQ(3, CTL(self, "peek", self->q, "--index", "1",
			 "--nonblock"));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ(err_line(self, self->q, "no message at index 1"),
		     self->r->err);
	EXPECT_EQ(3, CTL(self, "peek", self->q, "--index", "1", "--timeout",
			 "0.1"));
	EXPECT_STREQ(err_line(self, self->q,
			      "timed out waiting for a message at index 1"),
		     self->r->err);
	/* What came before is printed; JSON stays whole. */
	EXPECT_EQ(3, CTL(self, "peek", self->q, "--count", "3",
			 "--nonblock"));
	EXPECT_STREQ("a\n", self->r->out);
	EXPECT_STREQ(err_line(self, self->q, "no message at index 1"),
		     self->r->err);
	EXPECT_EQ(3, CTL(self, "peek", self->q, "--count", "2", "--json",
			 "--nonblock"));
	EXPECT_STREQ("[\n{\"prio\":0,\"size\":1,\"text\":\"a\",\"data\":\"YQ==\"}\n]\n",
		     self->r->out);
	/* The last index is one. */
	EXPECT_EQ(3, CTL(self, "peek", self->q, "--index", "4294967295",
			 "--nonblock"));
	EXPECT_STREQ(err_line(self, self->q,
			      "no message at index 4294967295"),
		     self->r->err);
	/* --all stops there and succeeds. */
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--index", "1", "--all"));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ("", self->r->err);

	EXPECT_EQ(1, lib_recv(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("a", buf);
}

TEST_F(ctl, peek_waits_for_a_message_at_its_index)
{
	struct kmsgq_stats st;
	struct child c;
	/* Bounded, so that a failure leaves no peeker behind. */
	char *argv[] = { (char *)self->path, "peek", self->q, "--index", "1",
			 "--timeout", "30", NULL };
	char line[64];

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, spawn(self->path, AS_ROOT, argv, &c));
	/* Whether it sleeps already or not, it must see the second. */
	ASSERT_EQ(0, kmsgq_send(self->fd, "first", 5, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "second", 6, 0));
	ASSERT_TRUE(read_line(c.out, line, sizeof(line)));
	EXPECT_STREQ("second", line);
	ASSERT_EQ(0, finish(&c, NULL, 0, self->r));
	EXPECT_EQ(0, self->r->status);
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(2, st.cur_msgs);
}

TEST_F(ctl, peek_bad_arguments_are_usage_errors)
{
	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));

	EXPECT_EQ(2, CTL(self, "peek"));
	EXPECT_TRUE(starts(self->r->err, "kmsgqctl: peek: missing queue name\n"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(2, CTL(self, "peek", self->q, self->q2));
	EXPECT_EQ(2, CTL(self, "peek", self->q, "--all", "--count", "2"));
	EXPECT_EQ(2, CTL(self, "peek", self->q, "--all", "--timeout", "1"));
	EXPECT_EQ(2, CTL(self, "peek", self->q, "--raw", "--json"));
	EXPECT_EQ(2, CTL(self, "peek", self->q, "--index", "4294967295",
			 "--count", "2"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: peek: --index plus --count passes the last index, 4294967295\n"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->err, "\nUsage: kmsgqctl peek NAME "));
	EXPECT_EQ(2, CTL(self, "recv", self->q, "--index", "1"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: recv: unknown option '--index'\n"));
	EXPECT_STREQ("", self->r->out);
}

/* A queue of the test's, recording senders (make_queue()), and a message. */
static void sender_queue(struct __test_metadata *_metadata,
			 FIXTURE_DATA(ctl) *self, unsigned int qflags)
{
	ASSERT_EQ(0, make_queue(self, 8, 64, qflags));
	ASSERT_EQ(0, kmsgq_send(self->fd, "hello", 5, 0));
}

TEST_F(ctl, recv_sender_prints_who_sent)
{
	char want[256];

	sender_queue(_metadata, self, KMSGQ_OPEN_SENDER);
	ASSERT_EQ(0, kmsgq_send(self->fd, "again", 5, 2));
	ASSERT_EQ(0, kmsgq_send(self->fd, "third", 5, 0));

	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender", "--prio"))
		TH_LOG("stderr: %s", self->r->err);
	snprintf(want, sizeof(want), "2 pid=%d,uid=0,gid=0 again\n", getpid());
	EXPECT_STREQ(want, self->r->out);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender"));
	snprintf(want, sizeof(want), "pid=%d,uid=0,gid=0 hello\n", getpid());
	EXPECT_STREQ(want, self->r->out);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender", "--json"));
	snprintf(want, sizeof(want),
		 "[\n{\"prio\":0,\"size\":5,\"sender\":{\"pid\":%d,\"uid\":0,\"gid\":0,\"kind\":\"kernel\",\"shared\":false},\"text\":\"third\",\"data\":\"dGhpcmQ=\"}\n]\n",
		 getpid());
	EXPECT_STREQ(want, self->r->out);
	EXPECT_TRUE(json_valid(self->r->out));
}

TEST_F(ctl, peek_sender_prints_who_sent_and_leaves_the_message)
{
	struct kmsgq_stats st;
	char want[256];

	sender_queue(_metadata, self, KMSGQ_OPEN_SENDER);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--sender"))
		TH_LOG("stderr: %s", self->r->err);
	snprintf(want, sizeof(want), "pid=%d,uid=0,gid=0 hello\n", getpid());
	EXPECT_STREQ(want, self->r->out);
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--sender", "--json"));
	EXPECT_NE(NULL, strstr(self->r->out, "\"kind\":\"kernel\",\"shared\":false}"))
		TH_LOG("%s", self->r->out);
	EXPECT_TRUE(json_valid(self->r->out));
	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(1, st.cur_msgs);
}

TEST_F(ctl, recv_sender_names_the_user_that_sent)
{
	ASSERT_EQ(0, CTL(self, "create", self->q, "--sender", "--mode",
			 "0666"));
	ASSERT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "send",
			 self->q, "hi", NULL))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender"));
	EXPECT_TRUE(starts(self->r->out, "pid="));
	EXPECT_NE(NULL, strstr(self->r->out, ",uid=65534,gid=65534 hi\n"))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_EQ(NULL, strstr(self->r->out, "pid=0,"));
}

TEST_F(ctl, recv_sender_without_a_record_says_unknown)
{
	sender_queue(_metadata, self, 0);
	ASSERT_EQ(0, kmsgq_send(self->fd, "again", 5, 0));
	EXPECT_EQ(0, CTL(self, "peek", self->q, "--sender"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("unknown hello\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender"));
	EXPECT_STREQ("unknown hello\n", self->r->out);
	EXPECT_EQ(0, CTL(self, "recv", self->q, "--sender", "--json"));
	EXPECT_STREQ("[\n{\"prio\":0,\"size\":5,\"sender\":null,\"text\":\"again\",\"data\":\"YWdhaW4=\"}\n]\n",
		     self->r->out);
}

TEST_F(ctl, recv_sender_with_raw_is_a_usage_error)
{
	sender_queue(_metadata, self, KMSGQ_OPEN_SENDER);
	EXPECT_EQ(2, CTL(self, "recv", self->q, "--sender", "--raw"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: recv: --raw goes with none of --prio, --sender and --json\n"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(2, CTL(self, "peek", self->q, "--sender", "--raw"));
	EXPECT_STREQ("", self->r->out);
}

/* Three sent, one received, one file open: the figures list must show. */
static void traffic(struct __test_metadata *_metadata,
		    FIXTURE_DATA(ctl) *self)
{
	char buf[16];

	ASSERT_EQ(0, CTL(self, "create", self->q, "--depth", "16",
			 "--msgsize", "256", "--mode", "0640"));
	self->fd = kmsgq_open(self->q, O_RDWR, 0, NULL);
	ASSERT_LE(0, self->fd);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, kmsgq_send(self->fd, "abcd", 4, 0));
	ASSERT_EQ(4, lib_recv(self->fd, buf, sizeof(buf), NULL));
}

TEST_F(ctl, list_shows_the_queue_and_its_counters)
{
	static const char *const heads[] = {
		"NAME", "TYPE", "OVERFLOW", "MODE", "OWNER", "GROUP", "DEPTH",
		"MSGSIZE", "FILES", "SENT", "RECV", "LOST"
	};
	char f[14][80], want[14][80];

	traffic(_metadata, self);
	EXPECT_EQ(0, CTL(self, "list", "--numeric"));
	ASSERT_EQ(12, row(self->r->out, "NAME", 0, f, 14));
	for (int i = 0; i < 12; i++)
		EXPECT_STREQ(heads[i], f[i]);
	EXPECT_TRUE(starts(self->r->out, "NAME "));

	snprintf(want[0], 80, "%s", self->q);
	snprintf(want[4], 80, "%u", getuid());
	snprintf(want[5], 80, "%u", getgid());
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ(want[0], f[0]);
	EXPECT_STREQ("copy", f[1]);
	EXPECT_STREQ("block", f[2]);
	EXPECT_STREQ("0640", f[3]);
	EXPECT_STREQ(want[4], f[4]);
	EXPECT_STREQ(want[5], f[5]);
	EXPECT_STREQ("2/16", f[6]);
	EXPECT_STREQ("256", f[7]);
	EXPECT_STREQ("1", f[8]);
	EXPECT_STREQ("3", f[9]);
	EXPECT_STREQ("1", f[10]);
	EXPECT_STREQ("0", f[11]);
}

TEST_F(ctl, list_json_shows_the_queue_and_its_counters)
{
	static const char *const want[] = {
		"\"type\":\"copy\",", "\"reclaim\":false,", "\"sender\":false,",
		"\"ring\":false,", "\"inplace\":false,", "\"overflow\":\"block\"",
		"\"mode\":\"0640\"", "\"user\":null",
		"\"group\":null", "\"max_msgs\":16,", "\"max_msgsize\":256,",
		"\"cur_msgs\":2,", "\"files\":1,", "\"send_waiters\":0,",
		"\"recv_waiters\":0,", "\"mappings\":0,", "\"msgs_sent\":3,",
		"\"msgs_recv\":1,", "\"bytes_sent\":12,", "\"bytes_recv\":4,",
		"\"msgs_lost\":0}",
	};
	char obj[1024], uid[32];

	traffic(_metadata, self);
	EXPECT_EQ(0, CTL(self, "list", "--json", "--numeric"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_EQ('[', self->r->out[0]);
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		EXPECT_NE(NULL, strstr(obj, want[i]))
			TH_LOG("no %s in %s", want[i], obj);
	}
	snprintf(uid, sizeof(uid), "\"uid\":%u,", getuid());
	EXPECT_NE(NULL, strstr(obj, uid));

	/* The global option before the command says the same. */
	EXPECT_EQ(0, CTL(self, "--json", "list", "--numeric"));
	EXPECT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
}

TEST_F(ctl, show_prints_every_attribute_and_counter)
{
	static const char *const lines[][2] = {
		{ "type", "copy" }, { "reclaim", "no" }, { "sender", "no" },
		{ "ring", "no" }, { "inplace", "no" }, { "overflow", "block" },
		{ "mode", "0640" },
		{ "max_msgs", "16" },
		{ "max_msgsize", "256" }, { "cur_msgs", "2" },
		{ "files", "1" }, { "send_waiters", "0" },
		{ "recv_waiters", "0" }, { "mappings", "0" },
		{ "msgs_sent", "3" }, { "msgs_recv", "1" },
		{ "bytes_sent", "12" }, { "bytes_recv", "4" },
		{ "msgs_lost", "0" },
	};
	char f[4][80], obj[1024];

	traffic(_metadata, self);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "name", 0, f, 4));
	EXPECT_STREQ(self->q, f[1]);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		EXPECT_EQ(2, row(self->r->out, lines[i][0], 0, f, 4))
			TH_LOG("no line %s", lines[i][0]);
		EXPECT_STREQ(lines[i][1], f[1]) TH_LOG("%s", lines[i][0]);
	}
	EXPECT_EQ(23, count_lines(self->r->out, ""));

	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out));
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)));
	EXPECT_TRUE(starts(self->r->out, obj));
	EXPECT_STREQ("}\n", self->r->out + strlen(obj) - 1);
	EXPECT_NE(NULL, strstr(obj, "\"cur_msgs\":2,"));
	EXPECT_NE(NULL, strstr(obj, "\"msgs_sent\":3,"));
}

/* --- fan-out queues ------------------------------------------------------ */

/* Skip unless the module has fan-out queues. */
#define NEED_FANOUT() do { \
	struct kmsgq_info info_; \
	if (kmsgq_info(-1, &info_) || \
	    !(info_.features & KMSGQ_FEAT_FANOUT)) \
		SKIP(return, "module without KMSGQ_FEAT_FANOUT"); \
} while (0)

TEST_F(ctl, create_fanout_makes_a_fanout_queue)
{
	struct kmsgq_attr attr;
	char f[14][80];
	int fd;

	NEED_FANOUT();
	ASSERT_EQ(0, CTL(self, "create", self->q, "--fanout", "--depth", "5",
			 "--msgsize", "64"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->err);
	fd = kmsgq_open(self->q, O_WRONLY, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT, attr.qflags);
	EXPECT_EQ(8, attr.max_msgs);
	close(fd);
	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("fanout", f[1]);

	/* The kind is part of the type; the depth given is rounded alike. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--fanout", "--depth", "7"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type fanout, overflow block, depth 8, msgsize 64, mode 0600)"),
		     self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--fanout", "--ring"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type fanout, overflow block, depth 8, msgsize 64, mode 0600)"),
		     self->r->err);
}

/* Skip unless fan-out queues' subscribers may map them. */
#define NEED_FANOUT_MAP() do { \
	struct kmsgq_info info_; \
	if (kmsgq_info(-1, &info_) || \
	    !(info_.features & KMSGQ_FEAT_FANOUT_MAP)) \
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_MAP"); \
} while (0)

TEST_F(ctl, create_fanout_ring_makes_a_queue_subscribers_map)
{
	struct kmsgq_fanout_view v;
	struct kmsgq_attr attr;
	char f[14][80], obj[1024];
	const void *msg;
	uint32_t len;
	int fd;

	NEED_FANOUT_MAP();
	ASSERT_EQ(0, CTL(self, "create", self->q, "--fanout", "--ring",
			 "--depth", "3", "--msgsize", "32"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->err);
	fd = kmsgq_subscribe(self->q, O_RDONLY, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING, attr.qflags);
	EXPECT_EQ(4, attr.max_msgs);

	/* A subscriber maps it and reads what kmsgqctl sends, in place. */
	ASSERT_EQ(0, kmsgq_fanout_map(fd, &v));
	EXPECT_EQ(0, CTL(self, "send", self->q, "in place"))
		TH_LOG("stderr: %s", self->r->err);
	ASSERT_EQ(1, kmsgq_fanout_next(&v, &msg, &len));
	ASSERT_EQ(8, len);
	EXPECT_EQ(0, memcmp(msg, "in place", 8));
	EXPECT_EQ(1, kmsgq_fanout_done(&v));
	EXPECT_EQ(0, kmsgq_fanout_next(&v, &msg, &len));
	EXPECT_EQ(0, kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL));

	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("fanout+ring", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "type", 0, f, 14));
	EXPECT_STREQ("fanout", f[1]);
	ASSERT_EQ(2, row(self->r->out, "ring", 0, f, 14));
	EXPECT_STREQ("yes", f[1]);
	ASSERT_EQ(2, row(self->r->out, "mappings", 0, f, 14));
	EXPECT_STREQ("1", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)))
		TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(obj, "\"type\":\"fanout\",\"reclaim\":false,\"sender\":false,\"ring\":true,\"inplace\":false,"))
		TH_LOG("%s", obj);
	EXPECT_NE(NULL, strstr(obj, ",\"subscribers\":1}"));
	EXPECT_EQ(0, kmsgq_fanout_unmap(&v));
	close(fd);

	/* The ring is part of the type, both ways. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--fanout", "--ring"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--fanout"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type fanout+ring, overflow block, depth 4, msgsize 32, mode 0600)"),
		     self->r->err);
}

TEST_F(ctl, create_fanout_ring_refuses_reclaim)
{
	EXPECT_EQ(2, CTL(self, "create", self->q, "--fanout", "--ring",
			 "--reclaim"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: create: a fan-out queue has no claims to reclaim: --reclaim or --fanout\n"))
		TH_LOG("%s", self->r->err);
	EXPECT_EQ(2, CTL(self, "create", self->q, "--fanout", "--reclaim"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: create: --reclaim makes a reclaiming ring: give --ring with it\n"))
		TH_LOG("%s", self->r->err);
	EXPECT_EQ(-ENOENT, kmsgq_unlink(self->q));
}

/* Skip unless fan-out queues' publishers may write them in place. */
#define NEED_FANOUT_INPLACE() do { \
	struct kmsgq_info info_; \
	if (kmsgq_info(-1, &info_) || \
	    !(info_.features & KMSGQ_FEAT_FANOUT_INPLACE)) \
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_INPLACE"); \
} while (0)

TEST_F(ctl, create_fanout_ring_inplace_makes_a_queue_publishers_write)
{
	struct kmsgq_fanout_view v;
	struct kmsgq_fanout_pub pub;
	struct kmsgq_attr attr;
	char f[14][80], obj[1024];
	const void *msg;
	uint32_t len;
	int fd, pfd;

	NEED_FANOUT_INPLACE();
	ASSERT_EQ(0, CTL(self, "create", self->q, "--fanout", "--ring",
			 "--inplace", "--depth", "3", "--msgsize", "32"))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_STREQ("", self->r->err);
	fd = kmsgq_subscribe(self->q, O_RDONLY, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_INPLACE,
		  attr.qflags);
	EXPECT_EQ(4, attr.max_msgs);
	EXPECT_EQ(32, attr.max_msgsize);
	ASSERT_EQ(0, kmsgq_fanout_map(fd, &v));

	/* A publisher writes one in place, and kmsgqctl sends a copy. */
	pfd = kmsgq_open_publisher(self->q, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, kmsgq_fanout_pub_map(pfd, &pub));
	EXPECT_EQ(4, pub.nr_slots);
	EXPECT_EQ(32, pub.slot_size);
	ASSERT_EQ(1, kmsgq_fanout_publish(&pub, NULL, 0, 1, 0,
					  CLOCK_MONOTONIC, NULL));
	memcpy(kmsgq_fanout_pub_slot(&pub, pub.first), "written", 7);
	len = 7;
	EXPECT_EQ(0, kmsgq_fanout_publish(&pub, &len, 1, 0, 0,
					  CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(0, CTL(self, "send", self->q, "copied"))
		TH_LOG("stderr: %s", self->r->err);
	ASSERT_EQ(1, kmsgq_fanout_next(&v, &msg, &len));
	ASSERT_EQ(7, len);
	EXPECT_EQ(0, memcmp(msg, "written", 7));
	EXPECT_EQ(1, kmsgq_fanout_done(&v));
	ASSERT_EQ(1, kmsgq_fanout_next(&v, &msg, &len));
	ASSERT_EQ(6, len);
	EXPECT_EQ(0, memcmp(msg, "copied", 6));
	EXPECT_EQ(1, kmsgq_fanout_done(&v));
	EXPECT_EQ(0, kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL));

	EXPECT_EQ(0, CTL(self, "list"));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("fanout+inplace", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "type", 0, f, 14));
	EXPECT_STREQ("fanout", f[1]);
	ASSERT_EQ(2, row(self->r->out, "ring", 0, f, 14));
	EXPECT_STREQ("yes", f[1]);
	ASSERT_EQ(2, row(self->r->out, "inplace", 0, f, 14));
	EXPECT_STREQ("yes", f[1]);
	ASSERT_EQ(2, row(self->r->out, "subscribers", 0, f, 14));
	EXPECT_STREQ("1", f[1]);		/* the publisher is none */
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)))
		TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(obj, "\"type\":\"fanout\",\"reclaim\":false,\"sender\":false,\"ring\":true,\"inplace\":true,"))
		TH_LOG("%s", obj);
	EXPECT_NE(NULL, strstr(obj, ",\"subscribers\":1}"));
	EXPECT_EQ(0, CTL(self, "list", "--json"));
	ASSERT_TRUE(json_queue(self->r->out, self->q, obj, sizeof(obj)))
		TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(obj, "\"ring\":true,\"inplace\":true,"))
		TH_LOG("%s", obj);
	EXPECT_EQ(0, kmsgq_fanout_pub_unmap(&pub));
	close(pfd);
	EXPECT_EQ(0, kmsgq_fanout_unmap(&v));
	close(fd);

	/* In place is part of the type, both ways. */
	EXPECT_EQ(0, CTL(self, "create", self->q, "--fanout", "--ring",
			 "--inplace"));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(1, CTL(self, "create", self->q, "--fanout", "--ring"));
	EXPECT_STREQ(err_line(self, self->q,
			      "queue exists with other attributes (type fanout+inplace, overflow block, depth 4, msgsize 32, mode 0600)"),
		     self->r->err);
	ASSERT_EQ(0, CTL(self, "create", self->q2, "--fanout", "--ring",
			 "--depth", "4", "--msgsize", "32"));
	EXPECT_EQ(1, CTL(self, "create", self->q2, "--fanout", "--ring",
			 "--inplace"));
	EXPECT_STREQ(err_line(self, self->q2,
			      "queue exists with other attributes (type fanout+ring, overflow block, depth 4, msgsize 32, mode 0600)"),
		     self->r->err);
}

TEST_F(ctl, create_inplace_needs_a_fanout_ring_without_sender)
{
	static const char *const ring_fanout[][4] = {
		{ "--inplace" }, { "--ring", "--inplace" },
		{ "--fanout", "--inplace" },
	};
	static const char want[] =
		"kmsgqctl: create: --inplace makes a fan-out queue publishers write in place: give --fanout --ring with it\n";
	size_t i;

	for (i = 0; i < sizeof(ring_fanout) / sizeof(ring_fanout[0]); i++) {
		const char *const *a = ring_fanout[i];

		EXPECT_EQ(2, CTL(self, "create", self->q, a[0], a[1]));
		EXPECT_TRUE(starts(self->r->err, want))
			TH_LOG("%zu: %s", i, self->r->err);
	}
	EXPECT_EQ(2, CTL(self, "create", self->q, "--fanout", "--ring",
			 "--inplace", "--sender"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: create: a payload written in place has no one sender: --sender or --inplace\n"))
		TH_LOG("%s", self->r->err);
	EXPECT_EQ(-ENOENT, kmsgq_unlink(self->q));
}

/*
 * A fan-out queue that drops, depth 4, whose two subscribers (self->fd,
 * which also publishes, and *@b) lost 2 of 6 messages; *@b then read one.
 */
static void fanout_traffic(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ctl) *self, int *b)
{
	char buf[16];
	int i;

	ASSERT_EQ(0, make_queue(self, 4, 16, KMSGQ_OPEN_FANOUT |
				KMSGQ_OPEN_OVERFLOW_DROP));
	*b = kmsgq_subscribe(self->q, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, *b);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, kmsgq_send(self->fd, "m", 1, 0));
	ASSERT_EQ(1, lib_recv(*b, buf, sizeof(buf), NULL));
}

TEST_F(ctl, subscribers_lists_pid_lag_and_lost)
{
	char f[6][80], pid[32], obj[256];
	int b;

	NEED_FANOUT();
	fanout_traffic(_metadata, self, &b);
	snprintf(pid, sizeof(pid), "%d", getpid());
	EXPECT_EQ(0, CTL(self, "subscribers", self->q))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(3, count_lines(self->r->out, ""));
	ASSERT_EQ(5, row(self->r->out, "ID", 0, f, 6))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("PID", f[1]);
	EXPECT_STREQ("COMMAND", f[2]);
	EXPECT_STREQ("LAG", f[3]);
	EXPECT_STREQ("LOST", f[4]);
	ASSERT_EQ(5, row(self->r->out, "1", 1, f, 6))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ(pid, f[1]);
	EXPECT_STREQ("4", f[3]);
	EXPECT_STREQ("2", f[4]);
	ASSERT_EQ(5, row(self->r->out, "2", 1, f, 6));
	EXPECT_STREQ(pid, f[1]);
	EXPECT_STREQ("3", f[3]);
	EXPECT_STREQ("2", f[4]);

	EXPECT_EQ(0, CTL(self, "subscribers", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	snprintf(obj, sizeof(obj), "{\"id\":2,\"pid\":%d,\"command\":",
		 getpid());
	EXPECT_NE(NULL, strstr(self->r->out, obj)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, ",\"lag\":3,\"lost\":2}"));

	/* Gone with its descriptor. */
	close(b);
	EXPECT_EQ(0, CTL(self, "subscribers", self->q));
	EXPECT_EQ(2, count_lines(self->r->out, ""));
}

TEST_F(ctl, subscribers_as_a_reader_leaves_itself_out)
{
	char f[6][80];
	int b;

	NEED_FANOUT();
	fanout_traffic(_metadata, self, &b);
	ASSERT_EQ(0, kmsgq_chmod(self->q, 0604));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0,
			 "subscribers", self->q, NULL))
		TH_LOG("stderr: %s", self->r->err);
	EXPECT_EQ(3, count_lines(self->r->out, ""));
	EXPECT_EQ(5, row(self->r->out, "2", 1, f, 6));
	ASSERT_EQ(0, kmsgq_chmod(self->q, 0600));
	EXPECT_EQ(1, ctl(self->path, self->r, AS_NOBODY, NULL, 0,
			 "subscribers", self->q, NULL));
	EXPECT_STREQ(err_line(self, self->q,
			      "Permission denied (listing subscribers needs read or write permission)"),
		     self->r->err);
	close(b);
}

TEST_F(ctl, subscribers_of_other_queues_fail)
{
	NEED_FANOUT();
	ASSERT_EQ(0, make_queue(self, 4, 16, 0));
	EXPECT_EQ(1, CTL(self, "subscribers", self->q));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ(err_line(self, self->q, "not a fan-out queue"),
		     self->r->err);
	EXPECT_EQ(1, CTL(self, "subscribers", self->missing));
	EXPECT_STREQ(err_line(self, self->missing, "no such queue"),
		     self->r->err);
	EXPECT_EQ(2, CTL(self, "subscribers"));
}

TEST_F(ctl, show_counts_a_fanout_queues_subscribers)
{
	char f[4][80];
	int b;

	NEED_FANOUT();
	fanout_traffic(_metadata, self, &b);
	EXPECT_EQ(0, CTL(self, "show", self->q));
	ASSERT_EQ(2, row(self->r->out, "type", 0, f, 4));
	EXPECT_STREQ("fanout", f[1]);
	ASSERT_EQ(2, row(self->r->out, "subscribers", 0, f, 4))
		TH_LOG("stdout: %s", self->r->out);
	EXPECT_STREQ("2", f[1]);
	ASSERT_EQ(2, row(self->r->out, "msgs_lost", 0, f, 4));
	EXPECT_STREQ("4", f[1]);
	EXPECT_EQ(0, CTL(self, "show", self->q, "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, ",\"subscribers\":2}"));
	close(b);
}

TEST_F(ctl, commands_on_a_missing_queue_fail)
{
	const char *want = err_line(self, self->missing, "no such queue");

	EXPECT_EQ(1, CTL(self, "show", self->missing));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, CTL(self, "send", self->missing, "x"));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, CTL(self, "recv", self->missing));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, CTL(self, "peek", self->missing));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, CTL(self, "watch", self->missing, "--count", "1"));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, CTL(self, "unlink", self->missing));
	EXPECT_STREQ(want, self->r->err);
}

TEST_F(ctl, unlink_removes_every_name_given)
{
	ASSERT_EQ(0, CTL(self, "create", self->q));
	ASSERT_EQ(0, CTL(self, "create", self->q2));
	EXPECT_EQ(0, CTL(self, "unlink", self->q, self->q2));
	EXPECT_STREQ("", self->r->err);
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q, O_RDONLY, 0, NULL));
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q2, O_RDONLY, 0, NULL));

	EXPECT_EQ(0, CTL(self, "unlink", "--force", self->q));
	EXPECT_STREQ("", self->r->err);

	/* One missing name fails the command, but the others go. */
	ASSERT_EQ(0, CTL(self, "create", self->q2));
	EXPECT_EQ(1, CTL(self, "unlink", self->q, self->q2));
	EXPECT_STREQ(err_line(self, self->q, "no such queue"), self->r->err);
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q2, O_RDONLY, 0, NULL));
}

TEST_F(ctl, bad_numbers_are_usage_errors)
{
	static const char *const cases[][4] = {
		{ "create", "--depth", "abc", "is not a number" },
		{ "create", "--depth", "-1", "is not a number" },
		{ "create", "--depth", " 1", "is not a number" },
		{ "create", "--depth", "12x", "is not a number" },
		{ "create", "--depth", "0", "is out of range" },
		{ "create", "--depth", "99999999999999999999", "is out of range" },
		{ "create", "--msgsize", "4096M", "is out of range" },
		{ "create", "--msgsize", "1G", "is not a number" },
		{ "create", "--mode", "0999", "is not an octal mode" },
		{ "create", "--mode", "1777", "is out of range" },
		{ "create", "--mode", "", "is not an octal mode" },
		{ "create", "--overflow", "wait", "is not block, fail or drop" },
		{ "create", "--overflow", "", "is not block, fail or drop" },
		{ "send", "--prio", "32768", "is out of range" },
		{ "send", "--prio", "-1", "is not a number" },
		{ "recv", "--timeout", "1x", "is not a number of seconds" },
		{ "recv", "--timeout", "-1", "is not a number of seconds" },
		{ "recv", "--timeout", ".", "is not a number of seconds" },
		{ "recv", "--count", "0", "is out of range" },
		{ "peek", "--index", "x", "is not a number" },
		{ "peek", "--index", "4294967296", "is out of range" },
		{ "peek", "--count", "0", "is out of range" },
		{ "peek", "--timeout", "-1", "is not a number of seconds" },
		{ "watch", "--interval", "0", "must be above 0" },
		{ "watch", "--count", "x", "is not a number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *c = cases[i];
		char want[128];

		EXPECT_EQ(2, CTL(self, c[0], self->q, c[1], c[2]))
			TH_LOG("%s %s %s", c[0], c[1], c[2]);
		snprintf(want, sizeof(want), "kmsgqctl: %s: ", c[1]);
		EXPECT_TRUE(starts(self->r->err, want))
			TH_LOG("%s %s: %s", c[1], c[2], self->r->err);
		EXPECT_NE(NULL, strstr(self->r->err, c[3]))
			TH_LOG("%s %s: %s", c[1], c[2], self->r->err);
		EXPECT_NE(NULL, strstr(self->r->err, "\nUsage: kmsgqctl "));
		EXPECT_STREQ("", self->r->out);
	}
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q, O_RDONLY, 0, NULL));
}

TEST_F(ctl, unknown_commands_and_options_are_usage_errors)
{
	EXPECT_EQ(2, CTL(self, "frob"));
	EXPECT_STREQ("kmsgqctl: unknown command 'frob'\n"
		     "Try 'kmsgqctl --help' for more information.\n",
		     self->r->err);
	EXPECT_EQ(2, CTL(self, "list", "--frob"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: list: unknown option '--frob'\n"));
	EXPECT_EQ(2, CTL(self, "--frob"));
	EXPECT_EQ(2, CTL(self, "create"));
	EXPECT_TRUE(starts(self->r->err,
			   "kmsgqctl: create: missing queue name\n"));
	EXPECT_EQ(2, CTL(self, "create", "--depth"));
	EXPECT_EQ(2, CTL(self, "show", self->q, self->q2));
	EXPECT_EQ(2, CTL(self, "list", "extra"));
	EXPECT_EQ(2, CTL(self, "info", "extra"));
	EXPECT_EQ(-ENOENT, kmsgq_open(self->q, O_RDONLY, 0, NULL));
}

TEST_F(ctl, no_command_means_list)
{
	static char listed[OUT_MAX];

	ASSERT_EQ(0, CTL(self, "create", self->q));
	ASSERT_EQ(0, CTL(self, "list"));
	memcpy(listed, self->r->out, self->r->out_len + 1);
	ASSERT_EQ(0, ctl(self->path, self->r, AS_ROOT, NULL, 0, NULL));
	EXPECT_STREQ(listed, self->r->out);
	EXPECT_NE(NULL, strstr(listed, self->q));
}

TEST_F(ctl, help_and_version)
{
	static const char *const cmds[] = {
		"list", "show", "create", "unlink", "send", "recv", "peek",
		"watch", "info"
	};
	char want[64];

	EXPECT_EQ(0, CTL(self, "--help"));
	EXPECT_TRUE(starts(self->r->out, "Usage: kmsgqctl "));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(want, sizeof(want), "\n  %s ", cmds[i]);
		EXPECT_NE(NULL, strstr(self->r->out, want)) TH_LOG("%s", want);
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(0, CTL(self, cmds[i], "--help"));
		snprintf(want, sizeof(want), "Usage: kmsgqctl %s ", cmds[i]);
		EXPECT_TRUE(starts(self->r->out, want));
	}
	EXPECT_EQ(0, CTL(self, "--version"));
	EXPECT_TRUE(starts(self->r->out, "kmsgqctl "));
	EXPECT_NE(NULL, strstr(self->r->out, "(kmsgq ABI 1)\n"));
}

TEST_F(ctl, another_user_gets_what_the_mode_allows)
{
	char f[14][80], depth[32];
	struct kmsgq_stats st;
	struct kmsgq_attr attr;

	ASSERT_EQ(0, CTL(self, "create", self->q, "--mode", "0600"));
	self->fd = kmsgq_open(self->q, O_RDWR, 0, NULL);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kmsgq_send(self->fd, "secret", 6, 0));
	ASSERT_EQ(0, kmsgq_getattr(self->fd, &attr));
	snprintf(depth, sizeof(depth), "1/%u", attr.max_msgs);

	EXPECT_EQ(1, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "recv",
			 self->q, "--nonblock", NULL));
	EXPECT_STREQ("", self->r->out);
	EXPECT_STREQ(err_line(self, self->q, "Permission denied"),
		     self->r->err);
	EXPECT_EQ(1, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "peek",
			 self->q, "--nonblock", NULL));
	EXPECT_STREQ(err_line(self, self->q, "Permission denied"),
		     self->r->err);
	EXPECT_EQ(1, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "send",
			 self->q, "x", NULL));
	EXPECT_STREQ(err_line(self, self->q, "Permission denied"),
		     self->r->err);
	EXPECT_EQ(1, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "unlink",
			 self->q, NULL));
	EXPECT_STREQ(err_line(self, self->q,
			      "Operation not permitted (only the owner may unlink)"),
		     self->r->err);

	/* Listing needs no permission on the queue. */
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "list",
			 "--numeric", NULL));
	ASSERT_EQ(12, row(self->r->out, self->q, 1, f, 14));
	EXPECT_STREQ(depth, f[6]);
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "show",
			 self->q, NULL));

	ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
	EXPECT_EQ(1, st.cur_msgs);

	/* What the mode grants works. */
	ASSERT_EQ(0, CTL(self, "create", self->q2, "--mode", "0606"));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "send",
			 self->q2, "hi", NULL));
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "peek",
			 self->q2, NULL));
	EXPECT_STREQ("hi\n", self->r->out);
	EXPECT_EQ(0, ctl(self->path, self->r, AS_NOBODY, NULL, 0, "recv",
			 self->q2, NULL));
	EXPECT_STREQ("hi\n", self->r->out);
}

TEST_F(ctl, watch_prints_count_samples)
{
	char f[10][80];
	const char *second;

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "a", 1, 0));
	ASSERT_EQ(0, kmsgq_send(self->fd, "b", 1, 0));

	EXPECT_EQ(0, CTL(self, "watch", self->q, "--count", "2",
			 "--interval", "0.1"));
	/* Twice a title, a header and our queue; an empty line between. */
	EXPECT_EQ(7, count_lines(self->r->out, "")) TH_LOG("%s", self->r->out);
	EXPECT_EQ(2, count_lines(self->r->out, "NAME "));
	EXPECT_EQ(2, count_lines(self->r->out, self->q));
	EXPECT_NE(NULL, strstr(self->r->out, ", every 0.1 s\n"));

	/* Sample 1: no rates yet. */
	ASSERT_EQ(8, row(self->r->out, self->q, 0, f, 10));
	EXPECT_STREQ("2/8", f[1]);
	EXPECT_STREQ("2", f[2]);
	EXPECT_STREQ("0", f[3]);
	EXPECT_STREQ("-", f[4]);
	EXPECT_STREQ("-", f[5]);
	EXPECT_STREQ("0", f[6]);
	EXPECT_STREQ("0", f[7]);
	/* Sample 2, after an empty line: nothing moved in between. */
	second = strstr(self->r->out, "\n\n");
	ASSERT_NE(NULL, second);
	ASSERT_EQ(8, row(second, self->q, 0, f, 10));
	EXPECT_STREQ("2/8", f[1]);
	EXPECT_STREQ("0.0", f[4]);
	EXPECT_STREQ("0.0", f[5]);

	EXPECT_EQ(0, CTL(self, "watch", self->q, "--count", "2", "--json",
			 "--interval", "0.1"));
	EXPECT_EQ(2, count_lines(self->r->out, "{\"time\":"));
}

TEST_F(ctl, watch_json_reports_new_traffic_as_a_rate)
{
	char *argv[] = { (char *)self->path, "watch", self->q, "--json",
			 "--interval", "0.2", "--count", "500", NULL };
	char line[4096], obj[2048];
	double sent, rate;
	long long prev_sent = 0;
	bool saw_rate = false;
	struct child c;
	int i;

	ASSERT_EQ(0, make_queue(self, 8, 64, 0));
	ASSERT_EQ(0, spawn(self->path, AS_ROOT, argv, &c));

	ASSERT_TRUE(read_line(c.out, line, sizeof(line)));
	EXPECT_TRUE(json_valid(line)) TH_LOG("%s", line);
	ASSERT_TRUE(json_queue(line, self->q, obj, sizeof(obj)));
	EXPECT_TRUE(json_number(obj, "msgs_sent", &sent));
	EXPECT_EQ(0, (long long)sent);
	EXPECT_NE(NULL, strstr(obj, "\"sent_per_s\":null"));

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kmsgq_send(self->fd, "x", 1, 0));

	/* Each later sample shows a rate exactly when the count moved. */
	for (i = 0; i < 100 && prev_sent < 5; i++) {
		ASSERT_TRUE(read_line(c.out, line, sizeof(line)));
		EXPECT_TRUE(json_valid(line)) TH_LOG("%s", line);
		ASSERT_TRUE(json_queue(line, self->q, obj, sizeof(obj)));
		ASSERT_TRUE(json_number(obj, "msgs_sent", &sent));
		ASSERT_TRUE(json_number(obj, "sent_per_s", &rate))
			TH_LOG("%s", obj);
		EXPECT_EQ(sent > prev_sent, rate > 0);
		saw_rate |= rate > 0;
		prev_sent = (long long)sent;
	}
	EXPECT_EQ(5, prev_sent);
	EXPECT_TRUE(saw_rate);

	kill(c.pid, SIGTERM);
	ASSERT_EQ(0, finish(&c, NULL, 0, self->r));
	EXPECT_EQ(128 + SIGTERM, self->r->status);
}

TEST_F(ctl, info_reports_the_module)
{
	struct kmsgq_info info;
	char f[10][80], want[256];
	bool ucmd;

	ASSERT_EQ(0, kmsgq_info(-1, &info));
	/* The one feature whose presence depends on the kernel (6.12, not 6.1). */
	ucmd = info.features & KMSGQ_FEAT_URING_CMD;
	ASSERT_EQ(0, CTL(self, "create", self->q));

	EXPECT_EQ(0, CTL(self, "info"));
	ASSERT_EQ(2, row(self->r->out, "abi_version", 0, f, 10));
	EXPECT_STREQ("1", f[1]);
	ASSERT_EQ(2, row(self->r->out, "max_queues", 0, f, 10));
	EXPECT_EQ(info.max_queues, strtoul(f[1], NULL, 10));
	ASSERT_EQ(2, row(self->r->out, "max_msgsize", 0, f, 10));
	EXPECT_EQ(info.max_msgsize, strtoul(f[1], NULL, 10));
	ASSERT_EQ(2, row(self->r->out, "queues", 0, f, 10));
	EXPECT_LE(1, strtoul(f[1], NULL, 10));
	snprintf(want, sizeof(want), "\nfeatures         prio batch timeout stats ring list ipc_ns setowner prio32k notify nowait peek overflow reclaim%s sender fanout ring_waker fanout_map%s fanout_inplace\n",
		 ucmd ? " uring_cmd" : "", ucmd ? " uring_fanout" : "");
	EXPECT_NE(NULL, strstr(self->r->out, want)) TH_LOG("%s", self->r->out);

	EXPECT_EQ(0, CTL(self, "info", "--json"));
	EXPECT_TRUE(json_valid(self->r->out)) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\"abi_version\":1,"));
	snprintf(want, sizeof(want), "\"features\":[\"prio\",\"batch\",\"timeout\",\"stats\",\"ring\",\"list\",\"ipc_ns\",\"setowner\",\"prio32k\",\"notify\",\"nowait\",\"peek\",\"overflow\",\"reclaim\"%s,\"sender\",\"fanout\",\"ring_waker\",\"fanout_map\"%s,\"fanout_inplace\"]",
		 ucmd ? ",\"uring_cmd\"" : "",
		 ucmd ? ",\"uring_fanout\"" : "");
	EXPECT_NE(NULL, strstr(self->r->out, want)) TH_LOG("%s", self->r->out);
	snprintf(want, sizeof(want), "\"max_msgs\":%u,", info.max_msgs);
	EXPECT_NE(NULL, strstr(self->r->out, want));
}

TEST_F(ctl, without_the_device_says_module_not_loaded)
{
	static const char want[] =
		"kmsgqctl: /dev/kmsgq: module not loaded (No such file or directory)\n";

	EXPECT_EQ(1, ctl(self->path, self->r, NO_DEVICE, NULL, 0, "list",
			 NULL));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_STREQ("", self->r->out);
	EXPECT_EQ(1, ctl(self->path, self->r, NO_DEVICE, NULL, 0, "send",
			 self->q, "x", NULL));
	EXPECT_STREQ(want, self->r->err);
	EXPECT_EQ(1, ctl(self->path, self->r, NO_DEVICE, NULL, 0, "unlink",
			 self->q, NULL));
	EXPECT_STREQ(want, self->r->err);
}

TEST_HARNESS_MAIN

