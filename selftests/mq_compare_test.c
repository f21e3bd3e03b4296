// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the same test bodies run on POSIX message queues and on
 * kmsgq, in the spirit of tools/testing/selftests/mqueue/mq_open_tests.c.
 *
 * Each variant supplies an adapter (struct mq_ops) that maps a small common
 * API onto mq_*() or kmsgq_*() and returns -errno on failure.  Where the two
 * differ on purpose, the difference is a field of the variant, set with a
 * comment in FIXTURE_VARIANT_ADD(), so every divergence is visible in one
 * place and checked rather than papered over.
 *
 * Built a second time as mq_compare_lib_test, with libkmsgq-mq linked before
 * -lrt: there the POSIX variant's mq_*() are kmsgq's, and the same bodies
 * and the same POSIX expectations judge the library on kmsgq.
 */
#include "kmsgq_test.h"

#include <mqueue.h>

/* ipc/mqueue.c: limits for CAP_SYS_RESOURCE, and the sysctls' ceilings. */
#define POSIX_HARD_MSGMAX	65536
#define POSIX_HARD_MSGSIZEMAX	(16 * 1024 * 1024)

#define NAME_SIZE		96

#ifndef MQ_COMPARE_ON_KMSGQ
#define MQ_COMPARE_ON_KMSGQ	false
#endif

/* Queue attributes in the common API; longs, like struct mq_attr. */
struct q_attr {
	long maxmsg;
	long msgsize;
	long curmsgs;
	bool nonblock;
};

/*
 * The adapter.  Every call returns 0 (or a count or length) on success and
 * -errno on failure.  @open takes O_* flags and NULL attributes for the
 * defaults, and returns a descriptor.
 */
struct mq_ops {
	void (*make_name)(char *buf, size_t size, const char *base);
	int (*open)(const char *name, int oflag, mode_t mode,
		    const struct q_attr *attr);
	int (*send)(int q, const void *buf, size_t len, unsigned int prio);
	ssize_t (*receive)(int q, void *buf, size_t len, unsigned int *prio);
	ssize_t (*timedreceive_realtime)(int q, void *buf, size_t len,
					 unsigned int *prio,
					 const struct timespec *deadline);
	int (*getattr)(int q, struct q_attr *attr);
	int (*unlink)(const char *name);
	int (*close)(int q);
	long (*maxmsg_over_limit)(void);
	long (*msgsize_over_limit)(void);
};

/* --- POSIX message queues ------------------------------------------------ */

static void posix_make_name(char *buf, size_t size, const char *base)
{
	/* mq_open() names start with a single '/'. */
	snprintf(buf, size, "/%s", base);
}

static int posix_open(const char *name, int oflag, mode_t mode,
		      const struct q_attr *qa)
{
	struct mq_attr attr = {
		.mq_maxmsg = qa ? qa->maxmsg : 0,
		.mq_msgsize = qa ? qa->msgsize : 0,
	};
	mqd_t q = mq_open(name, oflag, mode, qa ? &attr : NULL);

	return q == (mqd_t)-1 ? -errno : q;
}

static int posix_send(int q, const void *buf, size_t len, unsigned int prio)
{
	return mq_send(q, buf, len, prio) ? -errno : 0;
}

static ssize_t posix_receive(int q, void *buf, size_t len, unsigned int *prio)
{
	ssize_t n = mq_receive(q, buf, len, prio);

	return n < 0 ? -errno : n;
}

static ssize_t posix_timedreceive(int q, void *buf, size_t len,
				  unsigned int *prio,
				  const struct timespec *deadline)
{
	ssize_t n = mq_timedreceive(q, buf, len, prio, deadline);

	return n < 0 ? -errno : n;
}

static int posix_getattr(int q, struct q_attr *qa)
{
	struct mq_attr attr;

	if (mq_getattr(q, &attr))
		return -errno;
	qa->maxmsg = attr.mq_maxmsg;
	qa->msgsize = attr.mq_msgsize;
	qa->curmsgs = attr.mq_curmsgs;
	qa->nonblock = attr.mq_flags & O_NONBLOCK;
	return 0;
}

static int posix_unlink(const char *name)
{
	return mq_unlink(name) ? -errno : 0;
}

static int posix_close(int q)
{
	return mq_close(q) ? -errno : 0;
}

/*
 * mq_open() checks against the hard limits for CAP_SYS_RESOURCE and the
 * fs.mqueue sysctls otherwise; the sysctls cannot exceed the hard limits,
 * so one past a hard limit is over the limit for everyone.
 */
static long posix_maxmsg_over_limit(void)
{
	return POSIX_HARD_MSGMAX + 1;
}

static long posix_msgsize_over_limit(void)
{
	return POSIX_HARD_MSGSIZEMAX + 1;
}

static const struct mq_ops posix_ops = {
	.make_name = posix_make_name,
	.open = posix_open,
	.send = posix_send,
	.receive = posix_receive,
	.timedreceive_realtime = posix_timedreceive,
	.getattr = posix_getattr,
	.unlink = posix_unlink,
	.close = posix_close,
	.maxmsg_over_limit = posix_maxmsg_over_limit,
	.msgsize_over_limit = posix_msgsize_over_limit,
};

/* --- kmsgq --------------------------------------------------------------- */

static void kmsgq_make_name(char *buf, size_t size, const char *base)
{
	/* kmsgq names are plain: '/' is not in [A-Za-z0-9._-]. */
	snprintf(buf, size, "%s", base);
}

static int kmsgq_adapter_open(const char *name, int oflag, mode_t mode,
			      const struct q_attr *qa)
{
	/*
	 * kmsgq depths and sizes are __u32: a negative long becomes a huge
	 * value, which is above the module limits and so still EINVAL.
	 */
	struct kmsgq_attr attr = {
		.max_msgs = qa ? (__u32)qa->maxmsg : 0,
		.max_msgsize = qa ? (__u32)qa->msgsize : 0,
	};

	return kmsgq_open(name, oflag, mode, qa ? &attr : NULL);
}

static int kmsgq_adapter_send(int q, const void *buf, size_t len,
			      unsigned int prio)
{
	return kmsgq_send(q, buf, len, prio);
}

static ssize_t kmsgq_adapter_receive(int q, void *buf, size_t len,
				     unsigned int *prio)
{
	return kmsgq_receive(q, buf, len, prio);
}

static ssize_t kmsgq_adapter_timedreceive(int q, void *buf, size_t len,
					  unsigned int *prio,
					  const struct timespec *deadline)
{
	return kmsgq_timedreceive(q, buf, len, prio, CLOCK_REALTIME, deadline);
}

static int kmsgq_adapter_getattr(int q, struct q_attr *qa)
{
	struct kmsgq_attr attr;
	int ret = kmsgq_getattr(q, &attr);

	if (ret)
		return ret;
	qa->maxmsg = attr.max_msgs;
	qa->msgsize = attr.max_msgsize;
	qa->curmsgs = attr.cur_msgs;
	qa->nonblock = attr.flags & KMSGQ_ATTR_NONBLOCK;
	return 0;
}

static int kmsgq_adapter_unlink(const char *name)
{
	return kmsgq_unlink(name);
}

static int kmsgq_adapter_close(int q)
{
	return kmsgq_close(q);
}

/* kmsgq's limits are module parameters, reported by KMSGQ_IOC_INFO. */
static long kmsgq_maxmsg_over_limit(void)
{
	struct kmsgq_info info = { 0 };

	return kmsgq_info(-1, &info) ? -1 : (long)info.max_msgs + 1;
}

static long kmsgq_msgsize_over_limit(void)
{
	struct kmsgq_info info = { 0 };

	return kmsgq_info(-1, &info) ? -1 : (long)info.max_msgsize + 1;
}

static const struct mq_ops kmsgq_ops = {
	.make_name = kmsgq_make_name,
	.open = kmsgq_adapter_open,
	.send = kmsgq_adapter_send,
	.receive = kmsgq_adapter_receive,
	.timedreceive_realtime = kmsgq_adapter_timedreceive,
	.getattr = kmsgq_adapter_getattr,
	.unlink = kmsgq_adapter_unlink,
	.close = kmsgq_adapter_close,
	.maxmsg_over_limit = kmsgq_maxmsg_over_limit,
	.msgsize_over_limit = kmsgq_msgsize_over_limit,
};

/* --- the fixture ---------------------------------------------------------- */

FIXTURE(mq) {
	char name[NAME_SIZE];	/* this test's queue, in the variant's form */
	char foreign[NAME_SIZE];	/* the same in the other API's form */
	int q[4];
	int nr_q;
};

FIXTURE_VARIANT(mq) {
	const struct mq_ops *ops;
	bool needs_kmsgq;
	/* Highest priority + 1. */
	unsigned int prio_max;
	/* An attribute of 0 selects the default instead of failing. */
	bool zero_attr_means_default;
	/* A receive buffer must hold mq_msgsize, not just the message. */
	bool receive_needs_msgsize_buffer;
};

FIXTURE_VARIANT_ADD(mq, posix_mq) {
	.ops = &posix_ops,
	/* In mq_compare_lib_test, mq_*() run on kmsgq. */
	.needs_kmsgq = MQ_COMPARE_ON_KMSGQ,
	/* MQ_PRIO_MAX; glibc's sysconf(_SC_MQ_PRIO_MAX). */
	.prio_max = 32768,
	/* ipc/mqueue.c mq_attr_ok(): mq_maxmsg <= 0 || mq_msgsize <= 0. */
	.zero_attr_means_default = false,
	/* ipc/mqueue.c do_mq_timedreceive(): msg_len < mq_msgsize. */
	.receive_needs_msgsize_buffer = true,
};

FIXTURE_VARIANT_ADD(mq, kmsgq) {
	.ops = &kmsgq_ops,
	.needs_kmsgq = true,
	/* KMSGQ_PRIO_MAX, as many as MQ_PRIO_MAX. */
	.prio_max = KMSGQ_PRIO_MAX,
	/* uapi: "0 = module default" for max_msgs and max_msgsize. */
	.zero_attr_means_default = true,
	/* Only the message must fit; the length needed is reported. */
	.receive_needs_msgsize_buffer = false,
};

FIXTURE_SETUP(mq)
{
	char base[64];

	if (variant->needs_kmsgq && access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	snprintf(base, sizeof(base), "mqc%d-%.40s", getpid(), _metadata->name);
	variant->ops->make_name(self->name, sizeof(self->name), base);
	/* The other variant's naming convention. */
	if (variant->ops == &posix_ops)
		kmsgq_make_name(self->foreign, sizeof(self->foreign), base);
	else
		posix_make_name(self->foreign, sizeof(self->foreign), base);
	self->nr_q = 0;
}

FIXTURE_TEARDOWN(mq)
{
	int i;

	for (i = 0; i < self->nr_q; i++)
		variant->ops->close(self->q[i]);
	variant->ops->unlink(self->name);
}

/* Open self->name with @oflag and, if @maxmsg, those attributes. */
static int qopen(FIXTURE_DATA(mq) *self, const FIXTURE_VARIANT(mq) *variant,
		 int oflag, long maxmsg, long msgsize)
{
	struct q_attr attr = { .maxmsg = maxmsg, .msgsize = msgsize };
	int q;

	q = variant->ops->open(self->name, oflag, 0600,
			       maxmsg || msgsize ? &attr : NULL);
	if (q >= 0 && self->nr_q < 4)
		self->q[self->nr_q++] = q;
	return q;
}

/* --- create and open ------------------------------------------------------ */

TEST_F(mq, open_of_missing_queue_fails_with_enoent)
{
	EXPECT_EQ(-ENOENT, qopen(self, variant, O_RDWR, 0, 0));
}

TEST_F(mq, exclusive_create_of_existing_fails_with_eexist)
{
	ASSERT_LE(0, qopen(self, variant, O_RDWR | O_CREAT | O_EXCL, 4, 16));
	EXPECT_EQ(-EEXIST, qopen(self, variant, O_RDWR | O_CREAT | O_EXCL,
				 4, 16));
}

TEST_F(mq, create_of_existing_opens_it_and_ignores_the_attributes)
{
	struct q_attr attr;
	char buf[16];
	int a, b;

	a = qopen(self, variant, O_RDWR | O_CREAT | O_EXCL, 4, 16);
	ASSERT_LE(0, a);
	b = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 8, 32);
	ASSERT_LE(0, b);

	ASSERT_EQ(0, variant->ops->getattr(b, &attr));
	EXPECT_EQ(4, attr.maxmsg);
	EXPECT_EQ(16, attr.msgsize);
	ASSERT_EQ(0, variant->ops->send(a, "shared", 6, 0));
	EXPECT_EQ(6, variant->ops->receive(b, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "shared", 6));
}

TEST_F(mq, name_in_the_other_apis_form_fails_with_einval)
{
	/* POSIX wants "/name"; kmsgq rejects '/', so each refuses the other. */
	EXPECT_EQ(-EINVAL, variant->ops->open(self->foreign,
					      O_RDWR | O_CREAT, 0600, NULL));
}

TEST_F(mq, getattr_reports_the_attributes_and_the_queued_count)
{
	struct q_attr attr;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 5, 100);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->send(q, "one", 3, 0));
	ASSERT_EQ(0, variant->ops->send(q, "two", 3, 0));

	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_EQ(5, attr.maxmsg);
	EXPECT_EQ(100, attr.msgsize);
	EXPECT_EQ(2, attr.curmsgs);
	EXPECT_TRUE(attr.nonblock);
}

/* --- attributes ----------------------------------------------------------- */

TEST_F(mq, zero_depth_or_size_is_rejected_or_means_the_default)
{
	struct q_attr attr;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_EXCL, 0, 16);
	if (!variant->zero_attr_means_default) {
		EXPECT_EQ(-EINVAL, q);
		EXPECT_EQ(-EINVAL, qopen(self, variant,
					 O_RDWR | O_CREAT | O_EXCL, 4, 0));
		return;
	}
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_LT(0, attr.maxmsg);
	EXPECT_EQ(16, attr.msgsize);
}

TEST_F(mq, negative_depth_or_size_fails_with_einval)
{
	EXPECT_EQ(-EINVAL, qopen(self, variant, O_RDWR | O_CREAT, -1, 16));
	EXPECT_EQ(-EINVAL, qopen(self, variant, O_RDWR | O_CREAT, 4, -1));
	EXPECT_EQ(-ENOENT, qopen(self, variant, O_RDWR, 0, 0));
}

TEST_F(mq, depth_over_the_limit_fails_with_einval)
{
	long over = variant->ops->maxmsg_over_limit();

	ASSERT_LT(0, over);
	EXPECT_EQ(-EINVAL, qopen(self, variant, O_RDWR | O_CREAT, over, 16));
	EXPECT_EQ(-ENOENT, qopen(self, variant, O_RDWR, 0, 0));
}

TEST_F(mq, message_size_over_the_limit_fails_with_einval)
{
	long over = variant->ops->msgsize_over_limit();

	ASSERT_LT(0, over);
	EXPECT_EQ(-EINVAL, qopen(self, variant, O_RDWR | O_CREAT, 1, over));
	EXPECT_EQ(-ENOENT, qopen(self, variant, O_RDWR, 0, 0));
}

/* --- message sizes -------------------------------------------------------- */

TEST_F(mq, send_larger_than_message_size_fails_with_emsgsize)
{
	char buf[65] = { 0 };
	struct q_attr attr;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 4, 64);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EMSGSIZE, variant->ops->send(q, buf, 65, 0));
	EXPECT_EQ(0, variant->ops->send(q, buf, 64, 0));
	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_EQ(1, attr.curmsgs);
}

TEST_F(mq, receive_buffer_smaller_than_the_message_fails_with_emsgsize_and_keeps_it)
{
	unsigned int prio = 0;
	struct q_attr attr;
	char buf[64];
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 4, 64);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->send(q, "low", 3, 1));
	ASSERT_EQ(0, variant->ops->send(q, "0123456789", 10, 3));

	EXPECT_EQ(-EMSGSIZE, variant->ops->receive(q, buf, 9, NULL));
	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_EQ(2, attr.curmsgs);
	/* Both stay queued, in their order. */
	EXPECT_EQ(10, variant->ops->receive(q, buf, sizeof(buf), &prio));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	EXPECT_EQ(3U, prio);
	EXPECT_EQ(3, variant->ops->receive(q, buf, sizeof(buf), &prio));
	EXPECT_EQ(0, memcmp(buf, "low", 3));
	EXPECT_EQ(1U, prio);
}

TEST_F(mq, receive_buffer_fitting_the_message_but_not_the_message_size)
{
	char buf[64];
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 4, 64);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->send(q, "0123456789", 10, 0));

	if (variant->receive_needs_msgsize_buffer) {
		EXPECT_EQ(-EMSGSIZE, variant->ops->receive(q, buf, 32, NULL));
		EXPECT_EQ(10, variant->ops->receive(q, buf, 64, NULL));
	} else {
		EXPECT_EQ(10, variant->ops->receive(q, buf, 10, NULL));
	}
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
}

/* --- priorities ----------------------------------------------------------- */

TEST_F(mq, higher_priority_comes_first_and_fifo_within_a_priority)
{
	const unsigned int top = variant->prio_max - 1;
	const struct {
		const char *text;
		unsigned int prio;
	} sent[] = {
		{ "a1", 1 }, { "b5", 5 }, { "c1", 1 }, { "d0", 0 },
		{ "e5", 5 }, { "f-top", top }, { "g0", 0 }, { "h1", 1 },
	};
	static const char *const want[] = {
		"f-top", "b5", "e5", "a1", "c1", "h1", "d0", "g0",
	};
	unsigned int i, n = ARRAY_SIZE(sent), prio;
	char buf[16];
	ssize_t len;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, n, 16);
	ASSERT_LE(0, q);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, variant->ops->send(q, sent[i].text,
						strlen(sent[i].text),
						sent[i].prio));
	for (i = 0; i < n; i++) {
		len = variant->ops->receive(q, buf, sizeof(buf), &prio);
		ASSERT_EQ((ssize_t)strlen(want[i]), len) TH_LOG("#%u", i);
		buf[len] = '\0';
		EXPECT_STREQ(want[i], buf);
	}
}

TEST_F(mq, priority_at_the_maximum_fails_with_einval)
{
	struct q_attr attr;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 4, 16);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EINVAL, variant->ops->send(q, "x", 1, variant->prio_max));
	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_EQ(0, attr.curmsgs);
}

/* --- blocking ------------------------------------------------------------- */

TEST_F(mq, nonblocking_send_to_full_queue_fails_with_eagain)
{
	struct q_attr attr;
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 2, 16);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->send(q, "1", 1, 0));
	ASSERT_EQ(0, variant->ops->send(q, "2", 1, 0));
	EXPECT_EQ(-EAGAIN, variant->ops->send(q, "3", 1, 0));
	ASSERT_EQ(0, variant->ops->getattr(q, &attr));
	EXPECT_EQ(2, attr.curmsgs);
}

TEST_F(mq, nonblocking_receive_from_empty_queue_fails_with_eagain)
{
	char buf[16];
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 2, 16);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EAGAIN, variant->ops->receive(q, buf, sizeof(buf), NULL));
}

TEST_F(mq, timed_receive_with_a_past_realtime_deadline_fails_with_etimedout)
{
	struct timespec deadline;
	char buf[16];
	ssize_t ret;
	int q;

	/* Blocking: only the deadline can stop the wait. */
	q = qopen(self, variant, O_RDWR | O_CREAT, 2, 16);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &deadline));
	deadline.tv_sec -= 1;
	ret = variant->ops->timedreceive_realtime(q, buf, sizeof(buf), NULL,
						  &deadline);
	EXPECT_EQ(-ETIMEDOUT, ret);
}

/* --- unlink --------------------------------------------------------------- */

TEST_F(mq, unlink_while_open_keeps_the_queue_usable)
{
	char buf[16];
	int q;

	q = qopen(self, variant, O_RDWR | O_CREAT | O_NONBLOCK, 2, 16);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, variant->ops->unlink(self->name));
	EXPECT_EQ(-ENOENT, qopen(self, variant, O_RDWR, 0, 0));

	EXPECT_EQ(0, variant->ops->send(q, "still", 5, 0));
	EXPECT_EQ(5, variant->ops->receive(q, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "still", 5));
}

TEST_F(mq, unlink_of_missing_queue_fails_with_enoent)
{
	EXPECT_EQ(-ENOENT, variant->ops->unlink(self->name));
}

TEST_HARNESS_MAIN
