// SPDX-License-Identifier: GPL-2.0
/*
 * Description: naming, binding, attributes, permissions, limits, statistics
 * and namespaces of kmsgq queues, checked against doc/semantics.md.
 *
 * Message ordering, timeouts, signals, poll and stress live in xfer_test.c
 * and stress_test.c.  Raw ioctls are used where the library cannot express
 * the input (struct sizes, reserved fields, names without a NUL, unbound
 * files); everything else goes through libkmsgq.
 */
#include "kmsgq_test.h"

#include <sched.h>

#define NR_MANY		64	/* queues of many_queues_... */
#define MAX_FDS		(NR_MANY + 16)
#define MAX_NAMES	(NR_MANY + 16)

/*
 * What a test must undo: descriptors it opened and queue names it may have
 * created.  Both fixtures embed one and release it in their teardown.
 */
struct cleanup {
	int fds[MAX_FDS];
	int nr_fds;
	char names[MAX_NAMES][KMSGQ_NAME_MAX];
	int nr_names;
};

/*
 * What a forked child (another uid, another user namespace) tells its
 * parent.  It lives in a shared mapping; the parent reads it after
 * waitpid(), so no other synchronisation is needed.  The child never uses
 * ASSERT_*: that would run the fixture teardown in the child.
 */
struct report {
	int dev_err;	/* -errno of open("/dev/kmsgq") in the child, or 0 */
	int setup_err;	/* -errno of the step preparing the child, or 0 */
	int res[16];	/* results of the calls under test, in order */
	struct kmsgq_attr attr;
};

static const char *track_name(struct cleanup *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *track_name(struct cleanup *c, const char *fmt, ...)
{
	va_list ap;
	char *name;

	if (c->nr_names == MAX_NAMES)
		abort();
	name = c->names[c->nr_names++];
	va_start(ap, fmt);
	vsnprintf(name, KMSGQ_NAME_MAX, fmt, ap);
	va_end(ap);
	return name;
}

static int track_fd(struct cleanup *c, int fd)
{
	if (fd >= 0) {
		if (c->nr_fds == MAX_FDS)
			abort();
		c->fds[c->nr_fds++] = fd;
	}
	return fd;
}

/* Forget @fd (the test closed it itself). */
static void untrack_fd(struct cleanup *c, int fd)
{
	int i;

	for (i = 0; i < c->nr_fds; i++)
		if (c->fds[i] == fd)
			c->fds[i] = -1;
}

static void release(struct cleanup *c)
{
	int i;

	for (i = 0; i < c->nr_fds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	for (i = 0; i < c->nr_names; i++)
		kmsgq_unlink(c->names[i]);
	c->nr_fds = 0;
	c->nr_names = 0;
}

/* kmsgq_open() of a queue with explicit depth and message size. */
static int qopen(struct cleanup *c, const char *name, int oflag, mode_t mode,
		 __u32 max_msgs, __u32 max_msgsize)
{
	struct kmsgq_attr attr = {
		.max_msgs = max_msgs,
		.max_msgsize = max_msgsize,
	};

	return track_fd(c, kmsgq_open(name, oflag, mode, &attr));
}

static int dev_open(struct cleanup *c, int oflag)
{
	int fd = open(KMSGQ_DEVICE_PATH, oflag | O_CLOEXEC);

	return track_fd(c, fd < 0 ? -errno : fd);
}

static void fill_name(char dst[KMSGQ_NAME_MAX], const char *name)
{
	memset(dst, 0, KMSGQ_NAME_MAX);
	memcpy(dst, name, strnlen(name, KMSGQ_NAME_MAX - 1));
}

/* KMSGQ_IOC_OPEN on @fd, bypassing the library. */
static int bind_raw(int fd, const char *name, __u32 flags, __u32 mode,
		    __u32 max_msgs, __u32 max_msgsize)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.mode = mode,
		.max_msgs = max_msgs,
		.max_msgsize = max_msgsize,
	};

	fill_name(op.name, name);
	return xioctl(fd, KMSGQ_IOC_OPEN, &op);
}

/* kmsgq_open() without O_CREAT, only to learn whether @name exists. */
static int probe(const char *name)
{
	int fd = kmsgq_open(name, O_RDONLY | O_NONBLOCK, 0, NULL);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * A receive that may sleep at most @ms milliseconds (KMSGQ_XFER_TIMEOUT |
 * KMSGQ_XFER_RELATIVE): it tells a blocking file (-ETIMEDOUT) from a
 * non-blocking one (-EAGAIN) on an empty queue without hanging.
 */
static int recv_relative(int fd, void *buf, __u32 len, long ms)
{
	struct kmsgq_msg msg = { .buf = (uintptr_t)buf, .len = len };
	struct kmsgq_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = ms % 1000 * NSEC_PER_MSEC,
	};

	return xfer_ioctl(fd, KMSGQ_IOC_RECV, (uintptr_t)&msg, 1,
			  KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE,
			  CLOCK_MONOTONIC, &ts);
}

/*
 * Run @fn(@name, @r) in a forked child, as @uid/@gid unless @uid is STAY.
 * Returns 0 once the child has exited normally, -ECHILD otherwise.
 */
#define STAY	((uid_t)-1)

static int run_child(struct report *r, uid_t uid, gid_t gid,
		     void (*fn)(const char *name, struct report *r),
		     const char *name)
{
	int status, fd;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (uid != STAY) {
			r->setup_err = become(uid, gid);
			if (r->setup_err)
				_exit(0);
			fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			if (fd < 0) {
				r->dev_err = -errno;
				_exit(0);
			}
			close(fd);
		}
		fn(name, r);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return exited_ok(status) ? 0 : -ECHILD;
}

static struct report *report_map(void)
{
	void *p = mmap(NULL, sizeof(struct report), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Result of opening @name with @oflag: 0 if it opened, else -errno. */
static int try_open(const char *name, int oflag)
{
	int fd = kmsgq_open(name, oflag | O_NONBLOCK, 0, NULL);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------------ */

FIXTURE(queue) {
	struct cleanup c;
	struct kmsgq_info info;
	struct report *r;
	char name[KMSGQ_NAME_MAX];	/* unique to this test */
};

FIXTURE_SETUP(queue)
{
	int ret;

	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	memset(&self->info, 0, sizeof(self->info));
	ret = kmsgq_info(-1, &self->info);
	ASSERT_EQ(0, ret);
	self->r = report_map();
	ASSERT_NE(NULL, self->r);
	/* The pid makes the name unique; the test name makes it readable. */
	snprintf(self->name, sizeof(self->name), "%s",
		 track_name(&self->c, "qt%d-%.40s", getpid(), _metadata->name));
}

FIXTURE_TEARDOWN(queue)
{
	release(&self->c);
	if (self->r)
		munmap(self->r, sizeof(*self->r));
}

/* --- create, open, exclusive, missing ----------------------------------- */

TEST_F(queue, create_then_open_existing_reaches_the_same_queue)
{
	char buf[16];
	int a, b;

	a = qopen(&self->c, self->name, O_WRONLY | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, a);
	b = qopen(&self->c, self->name, O_RDONLY | O_NONBLOCK, 0, 0, 0);
	ASSERT_LE(0, b);

	ASSERT_EQ(0, kmsgq_send(a, "hello", 5, 0));
	EXPECT_EQ(5, kmsgq_receive(b, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_F(queue, create_without_excl_of_existing_opens_it_and_ignores_attributes)
{
	struct kmsgq_attr attr;
	int a, b;

	a = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, a);
	b = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0644, 8, 32);
	ASSERT_LE(0, b);

	ASSERT_EQ(0, kmsgq_getattr(b, &attr));
	EXPECT_EQ(4U, attr.max_msgs);
	EXPECT_EQ(16U, attr.max_msgsize);
	EXPECT_EQ(0600U, attr.mode);
}

TEST_F(queue, exclusive_create_of_existing_fails_with_eexist)
{
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL,
			   0600, 4, 16));
	EXPECT_EQ(-EEXIST, qopen(&self->c, self->name,
				 O_RDWR | O_CREAT | O_EXCL, 0600, 4, 16));
}

TEST_F(queue, open_of_missing_queue_fails_with_enoent)
{
	EXPECT_EQ(-ENOENT, qopen(&self->c, self->name, O_RDWR, 0, 0, 0));
	EXPECT_EQ(-ENOENT, bind_raw(dev_open(&self->c, O_RDWR), self->name,
				    0, 0, 0, 0));
}

/* --- names ---------------------------------------------------------------- */

TEST_F(queue, empty_dot_and_dotdot_names_fail_with_einval)
{
	static const char *const names[] = { "", ".", ".." };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, bind_raw(fd, names[i], KMSGQ_OPEN_CREATE,
					    0600, 0, 0))
			TH_LOG("name \"%s\"", names[i]);
	}
}

TEST_F(queue, name_with_a_byte_outside_the_allowed_set_fails_with_einval)
{
	static const char *const bad[] = {
		"/", "/abs", "a/b", " ", "a b", "a\nb", "\n", "a*", "a:b",
		"a\\b", "\xc3\xa9", "a\x7f", "a\tb", "a+b",
	};
	char name[KMSGQ_NAME_MAX];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Prefix with a unique stem so a wrong success harms nobody. */
		snprintf(name, sizeof(name), "%.20s%s", self->name, bad[i]);
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, bind_raw(fd, name, KMSGQ_OPEN_CREATE,
					    0600, 0, 0))
			TH_LOG("bad name #%u", i);
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, bind_raw(fd, bad[i], KMSGQ_OPEN_CREATE,
					    0600, 0, 0))
			TH_LOG("bad name #%u alone", i);
	}
}

TEST_F(queue, name_of_every_allowed_character_class_is_accepted)
{
	const char *names[] = {
		track_name(&self->c, "%.40s-AZaz09._-", self->name),
		track_name(&self->c, "..%.40s", self->name),
		track_name(&self->c, ".%.40s.", self->name),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_LE(0, qopen(&self->c, names[i],
				   O_RDWR | O_CREAT | O_EXCL, 0600, 1, 1))
			TH_LOG("name \"%s\"", names[i]);
		EXPECT_EQ(0, probe(names[i]));
	}
}

TEST_F(queue, name_of_63_bytes_is_accepted)
{
	char name[KMSGQ_NAME_MAX];
	const char *n;

	snprintf(name, sizeof(name), "qt%d-", getpid());
	memset(name + strlen(name), 'x', KMSGQ_NAME_MAX - 1 - strlen(name));
	name[KMSGQ_NAME_MAX - 1] = '\0';
	n = track_name(&self->c, "%s", name);
	ASSERT_EQ((size_t)KMSGQ_NAME_MAX - 1, strlen(n));

	EXPECT_LE(0, qopen(&self->c, n, O_RDWR | O_CREAT | O_EXCL, 0600, 1, 1));
	EXPECT_EQ(0, probe(n));
	EXPECT_EQ(0, kmsgq_unlink(n));
}

TEST_F(queue, name_without_nul_in_64_bytes_fails_with_enametoolong)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_CREATE,
		.mode = 0600,
	};
	struct kmsgq_unlink ul = { .size = sizeof(ul) };
	int fd;

	memset(op.name, 'x', sizeof(op.name));
	memset(ul.name, 'x', sizeof(ul.name));
	fd = dev_open(&self->c, O_RDWR);
	ASSERT_LE(0, fd);

	EXPECT_EQ(-ENAMETOOLONG, xioctl(fd, KMSGQ_IOC_OPEN, &op));
	EXPECT_EQ(-ENAMETOOLONG, xioctl(fd, KMSGQ_IOC_UNLINK, &ul));
}

TEST_F(queue, library_open_of_64_byte_name_fails_with_enametoolong)
{
	char name[KMSGQ_NAME_MAX + 1];

	memset(name, 'y', KMSGQ_NAME_MAX);
	name[KMSGQ_NAME_MAX] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, qopen(&self->c, name,
				       O_RDWR | O_CREAT, 0600, 1, 1));
	EXPECT_EQ(-ENAMETOOLONG, kmsgq_unlink(name));
}

/* --- flags, reserved, mode, limits ---------------------------------------- */

TEST_F(queue, excl_without_create_fails_with_einval)
{
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	/* The queue does not exist: EINVAL must win over ENOENT. */
	EXPECT_EQ(-EINVAL, bind_raw(fd, self->name, KMSGQ_OPEN_EXCL, 0600, 0, 0));
}

TEST_F(queue, ring_without_create_fails_with_einval)
{
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16));
	EXPECT_EQ(-EINVAL, bind_raw(fd, self->name, KMSGQ_OPEN_RING, 0600, 0, 0));
}

TEST_F(queue, unknown_open_flag_fails_with_einval_and_creates_nothing)
{
	unsigned int bit;
	int fd;

	/*
	 * Bits 3 and 4 are the overflow policies (overflow_test), bit 6 a
	 * queue that records senders (sender_test), bit 7 a fan-out queue
	 * (fanout_test).
	 */
	for (bit = 5; bit < 32; bit++) {
		if (1U << bit == KMSGQ_OPEN_SENDER ||
		    1U << bit == KMSGQ_OPEN_FANOUT)
			continue;
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, bind_raw(fd, self->name,
					    KMSGQ_OPEN_CREATE | 1U << bit,
					    0600, 0, 0))
			TH_LOG("flag bit %u", bit);
	}
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, nonzero_reserved_fails_with_einval_and_creates_nothing)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_CREATE,
		.mode = 0600,
		.reserved = 1,
	};
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	fill_name(op.name, self->name);
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_OPEN, &op));
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, mode_outside_0777_fails_with_einval_and_creates_nothing)
{
	static const __u32 modes[] = { 01000, 02600, 04600, 0100600, ~0U };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, bind_raw(fd, self->name, KMSGQ_OPEN_CREATE,
					    modes[i], 0, 0))
			TH_LOG("mode %#o", modes[i]);
	}
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, depth_above_module_limit_fails_with_einval)
{
	__u32 too_deep = self->info.max_msgs + 1;

	ASSERT_GT(self->info.max_msgs, 0U);
	EXPECT_EQ(-EINVAL, qopen(&self->c, self->name, O_RDWR | O_CREAT,
				 0600, too_deep, 1));
	EXPECT_EQ(-EINVAL, qopen(&self->c, self->name, O_RDWR | O_CREAT,
				 0600, ~0U, 1));
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, message_size_above_module_limit_fails_with_einval)
{
	__u32 too_big = self->info.max_msgsize + 1;

	ASSERT_GT(self->info.max_msgsize, 0U);
	EXPECT_EQ(-EINVAL, qopen(&self->c, self->name, O_RDWR | O_CREAT,
				 0600, 1, too_big));
	EXPECT_EQ(-EINVAL, qopen(&self->c, self->name, O_RDWR | O_CREAT,
				 0600, 1, ~0U));
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, message_size_at_module_limit_is_accepted)
{
	struct kmsgq_attr attr;
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600,
		   1, self->info.max_msgsize);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(self->info.max_msgsize, attr.max_msgsize);
}

TEST_F(queue, info_reports_abi_version_and_limits)
{
	unsigned long max_msgs, max_msgsize, max_queues;

	EXPECT_EQ((__u32)KMSGQ_ABI_VERSION, self->info.abi_version);
	EXPECT_EQ((__u32)KMSGQ_NAME_MAX, self->info.name_max);
	EXPECT_EQ((__u32)KMSGQ_PRIO_MAX, self->info.prio_max);
	EXPECT_EQ((__u32)KMSGQ_BATCH_MAX, self->info.batch_max);
	if (read_param("max_msgs", &max_msgs) ||
	    read_param("max_msgsize", &max_msgsize) ||
	    read_param("max_queues", &max_queues))
		SKIP(return, "module parameters not readable in " PARAM_DIR);
	EXPECT_EQ(max_msgs, self->info.max_msgs);
	EXPECT_EQ(max_msgsize, self->info.max_msgsize);
	EXPECT_EQ(max_queues, self->info.max_queues);
}

TEST_F(queue, zero_depth_and_size_take_the_module_defaults)
{
	unsigned long def_msgs, def_msgsize;
	struct kmsgq_attr attr;
	int fd;

	if (read_param("default_msgs", &def_msgs) ||
	    read_param("default_msgsize", &def_msgsize))
		SKIP(return, "default_msgs/default_msgsize not readable");
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(def_msgs, attr.max_msgs);
	EXPECT_EQ(def_msgsize, attr.max_msgsize);
}

TEST_F(queue, ring_queue_rounds_depth_up_to_a_power_of_two)
{
	static const __u32 asked[] = { 1, 2, 3, 5, 8, 9, 100 };
	/* At least 2: one slot cannot tell full from free in the ring. */
	static const __u32 got[] = { 2, 2, 4, 8, 8, 16, 128 };
	struct kmsgq_attr attr;
	const char *name;
	unsigned int i;
	int fd;

	if (!(self->info.features & KMSGQ_FEAT_RING))
		SKIP(return, "module has no ring queues");
	for (i = 0; i < ARRAY_SIZE(asked); i++) {
		name = track_name(&self->c, "%.40s-%u", self->name, asked[i]);
		attr = (struct kmsgq_attr){
			.qflags = KMSGQ_OPEN_RING,
			.max_msgs = asked[i],
			.max_msgsize = 64,
		};
		fd = track_fd(&self->c, kmsgq_open(name, O_RDWR | O_CREAT |
						   O_EXCL, 0600, &attr));
		ASSERT_LE(0, fd) TH_LOG("asked %u", asked[i]);
		ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
		EXPECT_EQ(got[i], attr.max_msgs) TH_LOG("asked %u", asked[i]);
		EXPECT_EQ(KMSGQ_OPEN_RING, attr.qflags);
	}
}

TEST_F(queue, copy_queue_keeps_the_depth_it_was_given)
{
	struct kmsgq_attr attr;
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 5, 24);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(5U, attr.max_msgs);
	EXPECT_EQ(24U, attr.max_msgsize);
	EXPECT_EQ(0U, attr.qflags);
}

TEST_F(queue, binding_an_already_bound_file_fails_with_ebusy)
{
	const char *other = track_name(&self->c, "%.40s-2", self->name);
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, bind_raw(fd, self->name, 0, 0, 0, 0));
	EXPECT_EQ(-EBUSY, bind_raw(fd, other, KMSGQ_OPEN_CREATE, 0600, 4, 16));
	EXPECT_EQ(-ENOENT, probe(other));
}

/* --- struct size versioning ----------------------------------------------- */

TEST_F(queue, open_struct_smaller_than_first_version_fails_with_einval)
{
	static const __u32 sizes[] = { 0, 4, KMSGQ_OPEN_SIZE_VER0 - 1 };
	struct kmsgq_open op = {
		.flags = KMSGQ_OPEN_CREATE,
		.mode = 0600,
	};
	unsigned int i;
	int fd;

	fill_name(op.name, self->name);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fd = dev_open(&self->c, O_RDWR);
		ASSERT_LE(0, fd);
		op.size = sizes[i];
		EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_OPEN, &op))
			TH_LOG("size %u", sizes[i]);
	}
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, open_struct_larger_with_nonzero_tail_fails_with_e2big)
{
	struct {
		struct kmsgq_open op;
		__u64 tail[2];
	} big = {
		.op = {
			.size = sizeof(big),
			.flags = KMSGQ_OPEN_CREATE,
			.mode = 0600,
		},
		.tail = { 0, 1 },
	};
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	fill_name(big.op.name, self->name);
	EXPECT_EQ(-E2BIG, xioctl(fd, KMSGQ_IOC_OPEN, &big));
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, open_struct_larger_with_zero_tail_is_accepted)
{
	struct {
		struct kmsgq_open op;
		__u64 tail[2];
	} big = {
		.op = {
			.size = sizeof(big),
			.flags = KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
			.mode = 0600,
		},
	};
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	fill_name(big.op.name, self->name);
	EXPECT_EQ(0, xioctl(fd, KMSGQ_IOC_OPEN, &big));
	EXPECT_EQ(0, probe(self->name));
}

TEST_F(queue, info_struct_size_is_checked_like_every_other)
{
	struct {
		struct kmsgq_info info;
		__u32 tail[2];
	} big = { .info = { .size = sizeof(big) } };
	struct kmsgq_info small = { .size = sizeof(small) - 4 };
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, xioctl(fd, KMSGQ_IOC_INFO, &big));
	EXPECT_EQ((__u32)KMSGQ_ABI_VERSION, big.info.abi_version);
	EXPECT_EQ(0U, big.tail[0]);
	EXPECT_EQ(0U, big.tail[1]);
	/* Output fields must be zero on input: start afresh. */
	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, xioctl(fd, KMSGQ_IOC_INFO, &big));
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_INFO, &small));
}

TEST_F(queue, unlink_with_nonzero_flags_fails_with_einval)
{
	struct kmsgq_unlink ul = { .size = sizeof(ul), .flags = 1 };
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 1, 1));
	fill_name(ul.name, self->name);
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_UNLINK, &ul));
	EXPECT_EQ(0, probe(self->name));
}

/* --- unbound files -------------------------------------------------------- */

TEST_F(queue, unbound_file_send_receive_read_and_write_fail_with_enotconn)
{
	char buf[16] = "x";
	struct kmsgq_msg msg = { .buf = (uintptr_t)buf, .len = 1 };
	/* O_NONBLOCK: a module that wrongly waits must not hang the test. */
	int fd = dev_open(&self->c, O_RDWR | O_NONBLOCK);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, xfer_ioctl(fd, KMSGQ_IOC_SEND, (uintptr_t)&msg, 1,
					0, 0, NULL));
	msg.len = sizeof(buf);
	EXPECT_EQ(-ENOTCONN, xfer_ioctl(fd, KMSGQ_IOC_RECV, (uintptr_t)&msg, 1,
					0, 0, NULL));
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(queue, unbound_file_getattr_setattr_and_stats_fail_with_enotconn)
{
	struct kmsgq_attr attr = { .size = sizeof(attr) };
	struct kmsgq_stats st = { .size = sizeof(st) };
	int fd = dev_open(&self->c, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, xioctl(fd, KMSGQ_IOC_GETATTR, &attr));
	attr = (struct kmsgq_attr){ .size = sizeof(attr) };
	EXPECT_EQ(-ENOTCONN, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));
	EXPECT_EQ(-ENOTCONN, xioctl(fd, KMSGQ_IOC_STATS, &st));
	EXPECT_EQ(-ENOTCONN, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(-ENOTCONN, kmsgq_stats(fd, &st));
}

TEST_F(queue, unbound_file_polls_as_error)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };

	pfd.fd = dev_open(&self->c, O_RDWR);
	ASSERT_LE(0, pfd.fd);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_FALSE(pfd.revents & (POLLIN | POLLOUT));
}

TEST_F(queue, info_works_on_an_unbound_file)
{
	struct kmsgq_info info = { .size = sizeof(info) };
	int fd = dev_open(&self->c, O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, xioctl(fd, KMSGQ_IOC_INFO, &info));
	EXPECT_EQ((__u32)KMSGQ_ABI_VERSION, info.abi_version);
	EXPECT_EQ(self->info.max_msgs, info.max_msgs);
}

/* --- access mode of the file ---------------------------------------------- */

TEST_F(queue, write_and_send_on_read_only_file_fail_with_ebadf)
{
	struct kmsgq_attr attr;
	int rd, rw;

	rw = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, rw);
	rd = qopen(&self->c, self->name, O_RDONLY | O_NONBLOCK, 0, 0, 0);
	ASSERT_LE(0, rd);

	EXPECT_EQ(-1, write(rd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, kmsgq_send(rd, "x", 1, 0));
	ASSERT_EQ(0, kmsgq_getattr(rw, &attr));
	EXPECT_EQ(0U, attr.cur_msgs);
}

TEST_F(queue, read_and_receive_on_write_only_file_fail_with_ebadf)
{
	struct kmsgq_attr attr;
	char buf[16];
	int wr, rw;

	rw = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, rw);
	wr = qopen(&self->c, self->name, O_WRONLY | O_NONBLOCK, 0, 0, 0);
	ASSERT_LE(0, wr);
	/* A message waits, so a wrong receive returns it instead of waiting. */
	ASSERT_EQ(0, kmsgq_send(rw, "x", 1, 0));

	EXPECT_EQ(-1, read(wr, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, kmsgq_receive(wr, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kmsgq_getattr(rw, &attr));
	EXPECT_EQ(1U, attr.cur_msgs);
}

/* --- unlink --------------------------------------------------------------- */

TEST_F(queue, unlink_removes_the_name)
{
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16));
	ASSERT_EQ(0, probe(self->name));
	EXPECT_EQ(0, kmsgq_unlink(self->name));
	EXPECT_EQ(-ENOENT, probe(self->name));
}

TEST_F(queue, open_file_keeps_working_after_unlink)
{
	char buf[16];
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_NONBLOCK,
		   0600, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_send(fd, "before", 6, 0));
	ASSERT_EQ(0, kmsgq_unlink(self->name));

	EXPECT_EQ(0, kmsgq_send(fd, "after", 5, 0));
	EXPECT_EQ(6, kmsgq_receive(fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "before", 6));
	EXPECT_EQ(5, kmsgq_receive(fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "after", 5));
	EXPECT_EQ(5, write(fd, "write", 5));
	EXPECT_EQ(5, read(fd, buf, sizeof(buf)));
}

TEST_F(queue, recreated_name_is_an_independent_new_queue)
{
	struct kmsgq_attr attr;
	int old, new;
	char buf[16];

	old = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_NONBLOCK,
		    0600, 4, 16);
	ASSERT_LE(0, old);
	ASSERT_EQ(0, kmsgq_send(old, "old", 3, 0));
	ASSERT_EQ(0, kmsgq_unlink(self->name));

	new = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK,
		    0640, 8, 32);
	ASSERT_LE(0, new);
	ASSERT_EQ(0, kmsgq_getattr(new, &attr));
	EXPECT_EQ(8U, attr.max_msgs);
	EXPECT_EQ(0U, attr.cur_msgs);
	EXPECT_EQ(-EAGAIN, kmsgq_receive(new, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kmsgq_send(new, "new", 3, 0));

	ASSERT_EQ(0, kmsgq_getattr(old, &attr));
	EXPECT_EQ(4U, attr.max_msgs);
	EXPECT_EQ(1U, attr.cur_msgs);
	EXPECT_EQ(3, kmsgq_receive(old, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "old", 3));
	EXPECT_EQ(-EAGAIN, kmsgq_receive(old, buf, sizeof(buf), NULL));
	EXPECT_EQ(3, kmsgq_receive(new, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "new", 3));
}

TEST_F(queue, unlink_of_missing_queue_fails_with_enoent)
{
	EXPECT_EQ(-ENOENT, kmsgq_unlink(self->name));
}

TEST_F(queue, unlink_of_bad_name_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, kmsgq_unlink(""));
	EXPECT_EQ(-EINVAL, kmsgq_unlink(".."));
	EXPECT_EQ(-EINVAL, kmsgq_unlink("a/b"));
}

/* --- permissions ---------------------------------------------------------- */

static void child_open_rd_wr_rdwr(const char *name, struct report *r)
{
	r->res[0] = try_open(name, O_RDONLY);
	r->res[1] = try_open(name, O_WRONLY);
	r->res[2] = try_open(name, O_RDWR);
}

/*
 * Create self->name as root with @mode (umask 0) and report how nobody
 * fares opening it read-only, write-only and read-write.
 */
static int open_as_nobody(FIXTURE_DATA(queue) *self, mode_t mode)
{
	int fd;

	umask(0);
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, mode, 4, 16);
	if (fd < 0)
		return fd;
	return run_child(self->r, NOBODY, NOBODY, child_open_rd_wr_rdwr,
			 self->name);
}

/* Tests that switch to another user need root to do it. */
#define REQUIRE_ROOT() do { \
	if (geteuid() != 0) \
		SKIP(return, "needs root to become uid %d", NOBODY); \
	} while (0)

/* Why another user cannot reach the device: the modes on its path. */
static const char *path_modes(void)
{
	static const char *const paths[] = { "/", "/dev", KMSGQ_DEVICE_PATH };
	static char buf[128];
	struct stat st;
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(paths); i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %s %04o", paths[i],
				stat(paths[i], &st) ? 0 : st.st_mode & 07777);
	return buf;
}

/*
 * The child of run_child() ran: fail on a broken set-up, skip if the new
 * user cannot reach the device at all (that is the host's doing).
 */
#define CHECK_CHILD(r, ret) do { \
	ASSERT_EQ(0, ret); \
	ASSERT_EQ(0, (r)->setup_err); \
	if ((r)->dev_err) \
		SKIP(return, "uid %d cannot open %s (%s); modes:%s", NOBODY, \
		     KMSGQ_DEVICE_PATH, strerror(-(r)->dev_err), path_modes()); \
	} while (0)

TEST_F(queue, mode_0600_denies_every_access_to_other_users)
{
	int ret;

	REQUIRE_ROOT();
	ret = open_as_nobody(self, 0600);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(-EACCES, self->r->res[0]);
	EXPECT_EQ(-EACCES, self->r->res[1]);
	EXPECT_EQ(-EACCES, self->r->res[2]);
}

TEST_F(queue, mode_0644_lets_other_users_read_but_not_write)
{
	int ret;

	REQUIRE_ROOT();
	ret = open_as_nobody(self, 0644);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(0, self->r->res[0]);
	EXPECT_EQ(-EACCES, self->r->res[1]);
	EXPECT_EQ(-EACCES, self->r->res[2]);
}

TEST_F(queue, mode_0622_lets_other_users_write_but_not_read)
{
	int ret;

	REQUIRE_ROOT();
	ret = open_as_nobody(self, 0622);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(-EACCES, self->r->res[0]);
	EXPECT_EQ(0, self->r->res[1]);
	EXPECT_EQ(-EACCES, self->r->res[2]);
}

TEST_F(queue, mode_0666_lets_other_users_read_and_write)
{
	int ret;

	REQUIRE_ROOT();
	ret = open_as_nobody(self, 0666);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(0, self->r->res[0]);
	EXPECT_EQ(0, self->r->res[1]);
	EXPECT_EQ(0, self->r->res[2]);
}

TEST_F(queue, group_bits_apply_to_a_member_of_the_queue_group)
{
	int ret;

	REQUIRE_ROOT();
	umask(0);
	/* Owned by root:root; the child is nobody in group root. */
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL,
			   0640, 4, 16));
	ret = run_child(self->r, NOBODY, getegid(), child_open_rd_wr_rdwr,
			self->name);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(0, self->r->res[0]);
	EXPECT_EQ(-EACCES, self->r->res[1]);
	EXPECT_EQ(-EACCES, self->r->res[2]);
}

/* res[3]: the create; res[0..2]: the owner's opens; res[4]: the unlink. */
static void child_create_0200_then_open(const char *name, struct report *r)
{
	int fd;

	umask(0);
	fd = kmsgq_open(name, O_WRONLY | O_CREAT | O_EXCL, 0200, NULL);
	r->res[3] = fd < 0 ? fd : 0;
	if (fd < 0)
		return;
	child_open_rd_wr_rdwr(name, r);
	r->res[4] = kmsgq_unlink(name);
	close(fd);
}

TEST_F(queue, owner_is_held_to_the_owner_bits)
{
	int ret;

	REQUIRE_ROOT();
	ret = run_child(self->r, NOBODY, NOBODY, child_create_0200_then_open,
			self->name);
	CHECK_CHILD(self->r, ret);
	ASSERT_EQ(0, self->r->res[3]);
	EXPECT_EQ(-EACCES, self->r->res[0]);
	EXPECT_EQ(0, self->r->res[1]);
	EXPECT_EQ(-EACCES, self->r->res[2]);
	EXPECT_EQ(0, self->r->res[4]);
}

static void child_unlink(const char *name, struct report *r)
{
	r->res[0] = kmsgq_unlink(name);
}

TEST_F(queue, unlink_by_a_user_other_than_the_owner_fails_with_eperm)
{
	int ret;

	REQUIRE_ROOT();
	umask(0);
	/* Even full access to the queue does not allow unlinking it. */
	ASSERT_LE(0, qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL,
			   0666, 4, 16));
	ret = run_child(self->r, NOBODY, NOBODY, child_unlink, self->name);
	CHECK_CHILD(self->r, ret);
	EXPECT_EQ(-EPERM, self->r->res[0]);
	EXPECT_EQ(0, probe(self->name));
}

static void child_create_getattr_unlink(const char *name, struct report *r)
{
	int fd;

	umask(022);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
	r->res[0] = fd < 0 ? fd : 0;
	if (fd < 0)
		return;
	r->attr.uid = ~0U;
	r->res[1] = kmsgq_getattr(fd, &r->attr);
	r->res[2] = kmsgq_unlink(name);
	r->res[3] = probe(name);
	close(fd);
}

TEST_F(queue, queue_created_by_a_user_is_owned_by_it_and_it_may_unlink_it)
{
	int ret;

	REQUIRE_ROOT();
	ret = run_child(self->r, NOBODY, NOBODY, child_create_getattr_unlink,
			self->name);
	CHECK_CHILD(self->r, ret);
	ASSERT_EQ(0, self->r->res[0]);
	ASSERT_EQ(0, self->r->res[1]);
	EXPECT_EQ((__u32)NOBODY, self->r->attr.uid);
	EXPECT_EQ((__u32)NOBODY, self->r->attr.gid);
	EXPECT_EQ(0640U, self->r->attr.mode);
	EXPECT_EQ(0, self->r->res[2]);
	EXPECT_EQ(-ENOENT, self->r->res[3]);
}

TEST_F(queue, queue_created_by_root_is_owned_by_root_and_reports_its_mode)
{
	struct kmsgq_attr attr;
	int fd;

	umask(0);
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0640, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ((__u32)getegid(), attr.gid);
	EXPECT_EQ((__u32)geteuid(), attr.uid);
	EXPECT_EQ(0640U, attr.mode);
}

TEST_F(queue, create_applies_the_umask_to_the_mode)
{
	struct kmsgq_attr attr;
	int fd;

	umask(077);
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0666, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0600U, attr.mode);
}

/* --- attributes ----------------------------------------------------------- */

TEST_F(queue, getattr_reports_depth_size_and_queued_messages)
{
	struct kmsgq_attr attr;
	char buf[32];
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 7, 32);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(7U, attr.max_msgs);
	EXPECT_EQ(32U, attr.max_msgsize);
	EXPECT_EQ(0U, attr.cur_msgs);
	EXPECT_EQ(0U, attr.flags);
	EXPECT_EQ(0U, attr.qflags);
	EXPECT_EQ(0U, attr.reserved);

	ASSERT_EQ(0, kmsgq_send(fd, "a", 1, 0));
	ASSERT_EQ(0, kmsgq_send(fd, "bb", 2, 3));
	ASSERT_EQ(0, kmsgq_send(fd, "ccc", 3, 0));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(3U, attr.cur_msgs);

	ASSERT_EQ(2, kmsgq_receive(fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(2U, attr.cur_msgs);
}

TEST_F(queue, getattr_reports_nonblock_of_the_file_not_of_the_queue)
{
	struct kmsgq_attr attr;
	int nb, bl;

	nb = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_NONBLOCK,
		   0600, 4, 16);
	ASSERT_LE(0, nb);
	bl = qopen(&self->c, self->name, O_RDWR, 0, 0, 0);
	ASSERT_LE(0, bl);

	ASSERT_EQ(0, kmsgq_getattr(nb, &attr));
	EXPECT_EQ(KMSGQ_ATTR_NONBLOCK, attr.flags);
	ASSERT_EQ(0, kmsgq_getattr(bl, &attr));
	EXPECT_EQ(0U, attr.flags);
}

TEST_F(queue, setattr_nonblock_makes_receive_on_empty_queue_fail_with_eagain)
{
	struct kmsgq_attr attr, old;
	char buf[16];
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, fd);
	/* Blocking: the bounded wait runs out. */
	ASSERT_EQ(-ETIMEDOUT, recv_relative(fd, buf, sizeof(buf), 20));

	memset(&old, 0xff, sizeof(old));
	EXPECT_EQ(0, kmsgq_setattr(fd, KMSGQ_ATTR_NONBLOCK, &old));
	EXPECT_EQ(0U, old.flags);
	EXPECT_EQ(4U, old.max_msgs);
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(KMSGQ_ATTR_NONBLOCK, attr.flags);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);

	EXPECT_EQ(-EAGAIN, recv_relative(fd, buf, sizeof(buf), 20));
	EXPECT_EQ(-EAGAIN, kmsgq_receive(fd, buf, sizeof(buf), NULL));
}

TEST_F(queue, setattr_clearing_nonblock_makes_receive_wait_again)
{
	struct kmsgq_attr attr;
	char buf[16];
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_NONBLOCK,
		   0600, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EAGAIN, recv_relative(fd, buf, sizeof(buf), 20));

	EXPECT_EQ(0, kmsgq_setattr(fd, 0, NULL));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0U, attr.flags);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-ETIMEDOUT, recv_relative(fd, buf, sizeof(buf), 20));
}

TEST_F(queue, setattr_of_anything_but_nonblock_fails_with_einval)
{
	struct kmsgq_attr attr;
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, fd);

	attr = (struct kmsgq_attr){ .size = sizeof(attr), .flags = 1U << 1 };
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));
	attr = (struct kmsgq_attr){ .size = sizeof(attr), .flags = 1U << 31 };
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));
	attr = (struct kmsgq_attr){
		.size = sizeof(attr),
		.flags = KMSGQ_ATTR_NONBLOCK,
		.max_msgs = 8,
	};
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));
	attr = (struct kmsgq_attr){
		.size = sizeof(attr),
		.flags = KMSGQ_ATTR_NONBLOCK,
		.mode = 0666,
	};
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));
	attr = (struct kmsgq_attr){
		.size = sizeof(attr),
		.flags = KMSGQ_ATTR_NONBLOCK,
		.reserved = 1,
	};
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_SETATTR, &attr));

	/* Nothing of the rejected calls took effect. */
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0U, attr.flags);
	EXPECT_EQ(4U, attr.max_msgs);
	EXPECT_EQ(0600U, attr.mode);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/* --- statistics ----------------------------------------------------------- */

TEST_F(queue, stats_count_messages_and_bytes_exactly)
{
	static const size_t sizes[] = { 0, 1, 10, 100, 1000, 7 };
	unsigned int i, sent = 6, recvd = 4;
	__u64 bytes_sent = 0, bytes_recv = 0;
	struct kmsgq_stats st;
	char buf[1024];

	int fd = qopen(&self->c, self->name,
		       O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, 8, 1024);
	ASSERT_LE(0, fd);
	memset(buf, 'z', sizeof(buf));
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, kmsgq_send(fd, buf, sizes[i], 0));
		bytes_sent += sizes[i];
	}
	/* All priority 0: the first @recvd come back in order. */
	for (i = 0; i < recvd; i++) {
		ASSERT_EQ((ssize_t)sizes[i],
			  kmsgq_receive(fd, buf, sizeof(buf), NULL));
		bytes_recv += sizes[i];
	}

	memset(&st, 0xff, sizeof(st));
	ASSERT_EQ(0, kmsgq_stats(fd, &st));
	EXPECT_EQ(sent, st.msgs_sent);
	EXPECT_EQ(recvd, st.msgs_recv);
	EXPECT_EQ(bytes_sent, st.bytes_sent);
	EXPECT_EQ(bytes_recv, st.bytes_recv);
	EXPECT_EQ(sent - recvd, st.cur_msgs);
	EXPECT_EQ(0U, st.send_waiters);
	EXPECT_EQ(0U, st.recv_waiters);
	EXPECT_EQ(0U, st.mappings);
	EXPECT_EQ(0U, st.flags);
}

TEST_F(queue, stats_are_per_queue_and_start_at_zero)
{
	const char *other = track_name(&self->c, "%.40s-2", self->name);
	struct kmsgq_stats st;
	int a, b;

	a = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, a);
	b = qopen(&self->c, other, O_RDWR | O_CREAT | O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, kmsgq_send(a, "abc", 3, 0));

	ASSERT_EQ(0, kmsgq_stats(b, &st));
	EXPECT_EQ(0U, st.msgs_sent);
	EXPECT_EQ(0U, st.bytes_sent);
	EXPECT_EQ(0U, st.cur_msgs);
	ASSERT_EQ(0, kmsgq_stats(a, &st));
	EXPECT_EQ(1U, st.msgs_sent);
	EXPECT_EQ(3U, st.bytes_sent);
}

TEST_F(queue, stats_with_nonzero_flags_fails_with_einval)
{
	struct kmsgq_stats st = { .size = sizeof(st), .flags = 1 };
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT, 0600, 4, 16);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, xioctl(fd, KMSGQ_IOC_STATS, &st));
	st = (struct kmsgq_stats){ .size = sizeof(st) };
	EXPECT_EQ(0, xioctl(fd, KMSGQ_IOC_STATS, &st));
}

TEST_F(queue, debugfs_lists_the_queue_with_its_depth_and_counters)
{
	unsigned int depth, max_msgs, max_msgsize, sent, recv, bsent, brecv;
	unsigned int swait, rwait, uid, gid;
	char line[512], name[KMSGQ_NAME_MAX + 1], mode[16], type[32];
	char match[512] = "";
	char buf[16];
	int fd, found = 0, fields = 0;
	FILE *f;

	if (geteuid() != 0 || debugfs_count_queues(NULL, NULL) < 0)
		SKIP(return, "%s not readable", DEBUGFS_QUEUES);
	umask(0);
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0640, 16, 256);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_send(fd, "12345", 5, 0));
	ASSERT_EQ(0, kmsgq_send(fd, "123456", 6, 1));
	ASSERT_EQ(0, kmsgq_send(fd, "1234567", 7, 0));
	ASSERT_EQ(6, kmsgq_receive(fd, buf, sizeof(buf), NULL));

	f = fopen(DEBUGFS_QUEUES, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%64s", name) != 1 ||
		    strcmp(name, self->name))
			continue;
		found++;
		snprintf(match, sizeof(match), "%s", line);
		fields = sscanf(line, "%64s %u %u %u %u %u %u %u %u %u %15s %u %u %31s",
				name, &depth, &max_msgs, &max_msgsize, &sent,
				&recv, &bsent, &brecv, &swait, &rwait, mode,
				&uid, &gid, type);
	}
	fclose(f);

	ASSERT_EQ(1, found);
	ASSERT_EQ(14, fields) TH_LOG("line: %s", match);
	EXPECT_EQ(2U, depth);
	EXPECT_EQ(16U, max_msgs);
	EXPECT_EQ(256U, max_msgsize);
	EXPECT_EQ(3U, sent);
	EXPECT_EQ(1U, recv);
	EXPECT_EQ(18U, bsent);
	EXPECT_EQ(6U, brecv);
	EXPECT_EQ(0U, swait);
	EXPECT_EQ(0U, rwait);
	EXPECT_EQ(0640UL, strtoul(mode, NULL, 8)) TH_LOG("mode \"%s\"", mode);
	EXPECT_EQ(0U, uid);
	EXPECT_EQ(0U, gid);
}

TEST_F(queue, debugfs_drops_the_queue_once_unlinked_and_closed)
{
	char line[512], name[KMSGQ_NAME_MAX + 1];
	int fd, found = 0;
	FILE *f;

	if (geteuid() != 0 || debugfs_count_queues(NULL, NULL) < 0)
		SKIP(return, "%s not readable", DEBUGFS_QUEUES);
	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL, 0600, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	untrack_fd(&self->c, fd);
	ASSERT_EQ(0, close(fd));

	f = fopen(DEBUGFS_QUEUES, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%64s", name) == 1 && !strcmp(name, self->name))
			found++;
	fclose(f);
	EXPECT_EQ(0, found);
}

/* --- many queues ---------------------------------------------------------- */

TEST_F(queue, many_queues_hold_their_own_messages_without_crosstalk)
{
	const char *names[NR_MANY];
	int fds[NR_MANY], i, round;
	char buf[64], want[64];
	struct kmsgq_attr attr;

	for (i = 0; i < NR_MANY; i++) {
		names[i] = track_name(&self->c, "%.40s-%d", self->name, i);
		fds[i] = qopen(&self->c, names[i], O_RDWR | O_CREAT | O_EXCL |
			       O_NONBLOCK, 0600, 4, 64);
		ASSERT_LE(0, fds[i]) TH_LOG("queue %d", i);
	}
	/* Interleave the sends so that every queue sees its neighbours busy. */
	for (round = 0; round < 3; round++)
		for (i = 0; i < NR_MANY; i++) {
			snprintf(buf, sizeof(buf), "queue %d message %d", i, round);
			ASSERT_EQ(0, kmsgq_send(fds[i], buf, strlen(buf) + 1, 0));
		}
	for (i = NR_MANY - 1; i >= 0; i--) {
		ASSERT_EQ(0, kmsgq_getattr(fds[i], &attr));
		EXPECT_EQ(3U, attr.cur_msgs) TH_LOG("queue %d", i);
		for (round = 0; round < 3; round++) {
			snprintf(want, sizeof(want), "queue %d message %d", i, round);
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ((ssize_t)strlen(want) + 1,
				  kmsgq_receive(fds[i], buf, sizeof(buf), NULL));
			EXPECT_STREQ(want, buf);
		}
		EXPECT_EQ(-EAGAIN, kmsgq_receive(fds[i], buf, sizeof(buf), NULL));
	}
}

/* --- namespaces ----------------------------------------------------------- */

static void child_in_new_userns(const char *name, struct report *r)
{
	char map[64], buf[16];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int fd;

	/* Names are scoped by IPC namespace, as mqueue's: a new one of each. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC)) {
		r->setup_err = -errno;
		return;
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	r->setup_err = write_file("/proc/self/uid_map", map);
	if (!r->setup_err)
		r->setup_err = write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (!r->setup_err)
		r->setup_err = write_file("/proc/self/gid_map", map);
	if (r->setup_err)
		return;

	r->res[0] = probe(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, NULL);
	r->res[1] = fd < 0 ? fd : 0;
	if (fd < 0)
		return;
	r->res[2] = kmsgq_send(fd, "inner", 5, 0);
	r->res[3] = kmsgq_receive(fd, buf, sizeof(buf), NULL);
	r->res[4] = memcmp(buf, "inner", 5);
	r->res[5] = kmsgq_receive(fd, buf, sizeof(buf), NULL);
	r->res[6] = kmsgq_getattr(fd, &r->attr);
	/* Leave a message behind: the outer queue must not see it. */
	r->res[7] = kmsgq_send(fd, "inner2", 6, 0);
	r->res[8] = kmsgq_unlink(name);
	close(fd);
}

TEST_F(queue, new_user_and_ipc_namespace_sees_its_own_queues_only)
{
	struct kmsgq_attr attr;
	char buf[16];
	int fd;

	fd = qopen(&self->c, self->name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK,
		   0600, 4, 16);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_send(fd, "outer", 5, 0));

	ASSERT_EQ(0, run_child(self->r, STAY, 0, child_in_new_userns,
			       self->name));
	if (self->r->setup_err == -EPERM || self->r->setup_err == -EINVAL)
		SKIP(return, "no user namespace: %s",
		     strerror(-self->r->setup_err));
	ASSERT_EQ(0, self->r->setup_err);

	EXPECT_EQ(-ENOENT, self->r->res[0]);
	ASSERT_EQ(0, self->r->res[1]);
	EXPECT_EQ(0, self->r->res[2]);
	EXPECT_EQ(5, self->r->res[3]);
	EXPECT_EQ(0, self->r->res[4]);
	EXPECT_EQ(-EAGAIN, self->r->res[5]);
	EXPECT_EQ(0, self->r->res[6]);
	EXPECT_EQ(0U, self->r->attr.uid);
	EXPECT_EQ(0U, self->r->attr.cur_msgs);
	EXPECT_EQ(0, self->r->res[7]);
	EXPECT_EQ(0, self->r->res[8]);

	/* The outer queue kept exactly its own message. */
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(1U, attr.cur_msgs);
	EXPECT_EQ(5, kmsgq_receive(fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "outer", 5));
	EXPECT_EQ(0, probe(self->name));
}

/* --- module lifetime ------------------------------------------------------ */

TEST_F(queue, open_device_file_holds_a_module_reference)
{
	char line[256], name[64];
	unsigned long size;
	int refs = -1, fd;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		SKIP(return, "no /proc/modules");
	fd = dev_open(&self->c, O_RDWR);
	ASSERT_LE(0, fd);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu %d", name, &size, &refs) == 3 &&
		    !strcmp(name, "kmsgq"))
			break;
		refs = -1;
	}
	fclose(f);
	if (refs == -1)
		SKIP(return, "kmsgq is not a loadable module here");
	EXPECT_LE(1, refs);
}

/* ------------------------------------------------------------------------ */

/*
 * Tests that change module parameters.  The parameters are global, so the
 * fixture restores them even when a test fails half-way.
 */
FIXTURE(limits) {
	struct cleanup c;
	unsigned long max_queues;
	unsigned long user_bytes_max;
	char name[KMSGQ_NAME_MAX];
};

FIXTURE_SETUP(limits)
{
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	if (geteuid() != 0)
		SKIP(return, "changing module parameters needs root");
	ASSERT_EQ(0, read_param("max_queues", &self->max_queues));
	ASSERT_EQ(0, read_param("user_bytes_max", &self->user_bytes_max));
	snprintf(self->name, sizeof(self->name), "lt%d-%.40s", getpid(),
		 _metadata->name);
}

/*
 * In the parent, which outlives a test process that an ASSERT ended (the
 * harness then skips an in-process teardown): the module parameters must
 * come back whatever happened.  The test's descriptors closed with it.
 */
FIXTURE_TEARDOWN_PARENT(limits)
{
	int i;

	for (i = 0; i < self->c.nr_names; i++)
		kmsgq_unlink(self->c.names[i]);
	EXPECT_EQ(0, write_param("max_queues", self->max_queues));
	EXPECT_EQ(0, write_param("user_bytes_max", self->user_bytes_max));
}

/* Create queue @i of this test: depth 1, size 1. */
static int create_nth(FIXTURE_DATA(limits) *self, int i)
{
	const char *name = track_name(&self->c, "%.40s-%d", self->name, i);

	return qopen(&self->c, name, O_RDWR | O_CREAT | O_EXCL, 0600, 1, 1);
}

TEST_F(limits, create_beyond_max_queues_fails_with_enospc)
{
	int i, existing, ret;

	ASSERT_LE(0, create_nth(self, 0));
	/* At or below the current count, no further queue may appear. */
	ASSERT_EQ(0, write_param("max_queues", 1));
	EXPECT_EQ(-ENOSPC, create_nth(self, 1));

	/* Exactly max_queues - existing more fit. */
	existing = debugfs_count_queues(NULL, NULL);
	if (existing < 0)
		SKIP(return, "cannot count queues without %s", DEBUGFS_QUEUES);
	ASSERT_EQ(0, write_param("max_queues", existing + 3));
	for (i = 0; i < 3; i++)
		EXPECT_LE(0, create_nth(self, 2 + i)) TH_LOG("queue %d", i);
	ret = create_nth(self, 5);
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(limits, unlinked_and_closed_queue_frees_its_slot_under_max_queues)
{
	int fd, i, existing, limit, ret = 0;
	const char *first;

	fd = create_nth(self, 0);
	ASSERT_LE(0, fd);
	first = self->c.names[self->c.nr_names - 1];
	/* Room for ours and two more, or 4 in all if we cannot count. */
	existing = debugfs_count_queues(NULL, NULL);
	limit = existing > 0 ? existing + 2 : 4;
	ASSERT_EQ(0, write_param("max_queues", limit));
	for (i = 1; i <= 5 && ret >= 0; i++)
		ret = create_nth(self, i);
	ASSERT_EQ(-ENOSPC, ret);

	ASSERT_EQ(0, kmsgq_unlink(first));
	untrack_fd(&self->c, fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_LE(0, create_nth(self, 6));
	EXPECT_EQ(-ENOSPC, create_nth(self, 7));
}

TEST_F(limits, create_beyond_user_bytes_max_fails_with_emfile_while_a_small_queue_fits)
{
	const char *big = track_name(&self->c, "%.40s-big", self->name);
	const char *small = track_name(&self->c, "%.40s-small", self->name);

	ASSERT_EQ(0, write_param("user_bytes_max", 1 << 20));
	/* 64 x 64 KiB = 4 MiB of storage, four times the cap. */
	EXPECT_EQ(-EMFILE, qopen(&self->c, big, O_RDWR | O_CREAT | O_EXCL,
				 0600, 64, 64 << 10));
	EXPECT_EQ(-ENOENT, probe(big));
	EXPECT_LE(0, qopen(&self->c, small, O_RDWR | O_CREAT | O_EXCL,
			   0600, 4, 1024));
}

TEST_F(limits, storage_returns_to_the_user_budget_when_the_queue_is_freed)
{
	const char *a = track_name(&self->c, "%.40s-a", self->name);
	const char *b = track_name(&self->c, "%.40s-b", self->name);
	int fd;

	/* Room for one 512 KiB queue, not for two. */
	ASSERT_EQ(0, write_param("user_bytes_max", 768 << 10));
	fd = qopen(&self->c, a, O_RDWR | O_CREAT | O_EXCL, 0600, 8, 64 << 10);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EMFILE, qopen(&self->c, b, O_RDWR | O_CREAT | O_EXCL,
				 0600, 8, 64 << 10));

	/* Unlinked but still open: still charged. */
	ASSERT_EQ(0, kmsgq_unlink(a));
	EXPECT_EQ(-EMFILE, qopen(&self->c, b, O_RDWR | O_CREAT | O_EXCL,
				 0600, 8, 64 << 10));

	/* Freed by the last close: the budget is back. */
	untrack_fd(&self->c, fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_LE(0, qopen(&self->c, b, O_RDWR | O_CREAT | O_EXCL,
			   0600, 8, 64 << 10));
}

TEST_HARNESS_MAIN
