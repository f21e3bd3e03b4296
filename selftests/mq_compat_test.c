// SPDX-License-Identifier: GPL-2.0
/*
 * Description: libkmsgq-mq, <mqueue.h> on kmsgq: mqueue's errnos and rules
 * through mq_*(), every notification rule, priority order across all
 * 32768 priorities under MPMC stress, and each documented difference from
 * Linux mqueue (kmsgq_mq(7)).  Linked with libkmsgq-mq.a before -lrt, so
 * mq_*() here are kmsgq's, not glibc's.
 */
#include "kmsgq_test.h"

#include <limits.h>
#include <mqueue.h>
#include <pthread.h>

#define MSGSIZE		64

/* A queue of this process: its mqueue name and descriptor. */
FIXTURE(mq) {
	char name[KMSGQ_NAME_MAX + 1];
	mqd_t q;
};

/* "/mqc-<pid>", removed first if a killed run of the same pid left it. */
static void mq_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/mqc%s-%d", tag, getpid());
	mq_unlink(buf);
}

static mqd_t mq_create(const char *name, int oflag, long maxmsg, long msgsize)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };

	return mq_open(name, O_RDWR | O_CREAT | O_EXCL | oflag, 0600, &attr);
}

FIXTURE_SETUP(mq)
{
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	mq_name(self->name, sizeof(self->name), "");
	self->q = mq_create(self->name, 0, 8, MSGSIZE);
	ASSERT_LE(0, self->q) TH_LOG("mq_open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(mq)
{
	if (self->q >= 0)
		mq_close(self->q);
	mq_unlink(self->name);
}

/* -1 with errno @err, as mq_*() fail. */
#define EXPECT_ERRNO(err, call) do {				\
		errno = 0;					\
		EXPECT_EQ(-1, (long)(call));			\
		EXPECT_EQ(err, errno) TH_LOG("%s", strerror(errno)); \
	} while (0)

/* ==== names and mq_open() ==== */

TEST_F(mq, names_are_checked_as_mqueue_checks_them)
{
	EXPECT_ERRNO(EINVAL, mq_open("noslash", O_RDWR));
	EXPECT_ERRNO(ENOENT, mq_open("/", O_RDWR));
	EXPECT_ERRNO(EACCES, mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL));
	EXPECT_ERRNO(EACCES, mq_open("/.", O_RDWR));
	EXPECT_ERRNO(EACCES, mq_open("/..", O_RDWR));
	EXPECT_ERRNO(ENOENT, mq_open("/mqc-no-such-queue", O_RDWR));
	EXPECT_ERRNO(EINVAL, mq_unlink("noslash"));
	EXPECT_ERRNO(ENOENT, mq_unlink("/mqc-no-such-queue"));
}

/* Differences: kmsgq names are shorter and of fewer bytes. */
TEST_F(mq, names_beyond_kmsgq_limits_differ_from_mqueue)
{
	char name[NAME_MAX + 3];

	name[0] = '/';
	memset(name + 1, 'a', NAME_MAX + 1);
	name[NAME_MAX + 2] = 0;
	EXPECT_ERRNO(ENAMETOOLONG, mq_open(name, O_RDWR | O_CREAT, 0600, NULL));
	/* mqueue takes up to NAME_MAX bytes; kmsgq KMSGQ_NAME_MAX - 1. */
	name[KMSGQ_NAME_MAX + 1] = 0;
	EXPECT_ERRNO(ENAMETOOLONG, mq_open(name, O_RDWR | O_CREAT, 0600, NULL));
	name[KMSGQ_NAME_MAX] = 0;
	EXPECT_ERRNO(ENOENT, mq_open(name, O_RDWR));
	/* mqueue takes any byte but '/'; kmsgq [A-Za-z0-9._-]. */
	EXPECT_ERRNO(EINVAL, mq_open("/a b", O_RDWR | O_CREAT, 0600, NULL));
}

TEST_F(mq, create_rejects_nonpositive_attributes)
{
	char name[KMSGQ_NAME_MAX + 1];

	mq_name(name, sizeof(name), "attr");
	EXPECT_ERRNO(EINVAL, mq_create(name, 0, 0, 16));
	EXPECT_ERRNO(EINVAL, mq_create(name, 0, 4, 0));
	EXPECT_ERRNO(EINVAL, mq_create(name, 0, -1, 16));
	EXPECT_ERRNO(EINVAL, mq_create(name, 0, 4, -5));
	EXPECT_ERRNO(ENOENT, mq_open(name, O_RDWR));
}

TEST_F(mq, open_of_existing_queue_ignores_attributes)
{
	struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = -1 }, attr;
	mqd_t q;

	q = mq_open(self->name, O_RDWR | O_CREAT, 0600, &bad);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, mq_getattr(q, &attr));
	EXPECT_EQ(8, attr.mq_maxmsg);
	EXPECT_EQ(MSGSIZE, attr.mq_msgsize);
	mq_close(q);
	EXPECT_ERRNO(EEXIST, mq_open(self->name, O_RDWR | O_CREAT | O_EXCL,
				     0600, &bad));
	EXPECT_ERRNO(EEXIST, mq_create(self->name, 0, 4, 16));
}

/* Difference: limits are kmsgq's module parameters, not fs/mqueue's. */
TEST_F(mq, limits_are_the_module_parameters)
{
	unsigned long max_msgs, max_msgsize;
	char name[KMSGQ_NAME_MAX + 1];
	mqd_t q;

	ASSERT_EQ(0, read_param("max_msgs", &max_msgs));
	ASSERT_EQ(0, read_param("max_msgsize", &max_msgsize));
	mq_name(name, sizeof(name), "lim");

	EXPECT_ERRNO(EINVAL, mq_create(name, 0, max_msgs + 1, 1));
	EXPECT_ERRNO(EINVAL, mq_create(name, 0, 1, max_msgsize + 1));
	q = mq_create(name, 0, 1, max_msgsize);
	ASSERT_LE(0, q);
	mq_close(q);
	mq_unlink(name);
}

static long mq_sysctl(const char *name)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	return read_file(path, buf, sizeof(buf)) ? -1 : atol(buf);
}

/* Defaults are mqueue's: the least of msg_default and msg_max, ... */
TEST_F(mq, defaults_are_the_mqueue_sysctls)
{
	long def = mq_sysctl("msg_default"), max = mq_sysctl("msg_max");
	long sdef = mq_sysctl("msgsize_default");
	long smax = mq_sysctl("msgsize_max");
	char name[KMSGQ_NAME_MAX + 1];
	struct mq_attr attr;
	mqd_t q;

	if (def < 0 || max < 0 || sdef < 0 || smax < 0)
		SKIP(return, "no /proc/sys/fs/mqueue");
	mq_name(name, sizeof(name), "def");
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, mq_getattr(q, &attr));
	EXPECT_EQ(def < max ? def : max, attr.mq_maxmsg);
	EXPECT_EQ(sdef < smax ? sdef : smax, attr.mq_msgsize);
	mq_close(q);
	mq_unlink(name);
}

/* ==== send and receive ==== */

TEST_F(mq, receive_buffer_below_msgsize_is_emsgsize_and_keeps_message)
{
	char buf[MSGSIZE];
	unsigned int prio;
	struct mq_attr attr;

	ASSERT_EQ(0, mq_send(self->q, "hi", 2, 7));
	EXPECT_ERRNO(EMSGSIZE, mq_receive(self->q, buf, MSGSIZE - 1, &prio));
	ASSERT_EQ(0, mq_getattr(self->q, &attr));
	EXPECT_EQ(1, attr.mq_curmsgs);
	EXPECT_EQ(2, mq_receive(self->q, buf, sizeof(buf), &prio));
	EXPECT_EQ(7, prio);
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
}

TEST_F(mq, send_checks_priority_then_size)
{
	char big[MSGSIZE + 1] = "";

	EXPECT_ERRNO(EINVAL, mq_send(self->q, "x", 1, 32768));
	EXPECT_ERRNO(EINVAL, mq_send(self->q, big, sizeof(big), 32768));
	EXPECT_ERRNO(EMSGSIZE, mq_send(self->q, big, sizeof(big), 0));
	EXPECT_EQ(0, mq_send(self->q, "x", 1, 32767));
}

TEST_F(mq, bad_descriptors_are_ebadf)
{
	struct mq_attr attr;
	char buf[MSGSIZE];
	mqd_t wo;
	int null;

	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);
	EXPECT_ERRNO(EBADF, mq_send(null, "x", 1, 0));
	EXPECT_ERRNO(EBADF, mq_receive(null, buf, sizeof(buf), NULL));
	EXPECT_ERRNO(EBADF, mq_getattr(null, &attr));
	EXPECT_ERRNO(EBADF, mq_notify(null, NULL));
	close(null);
	EXPECT_ERRNO(EBADF, mq_send(null, "x", 1, 0));
	EXPECT_ERRNO(EBADF, mq_close(null));

	/* EBADF before EMSGSIZE: the descriptor cannot read. */
	wo = mq_open(self->name, O_WRONLY);
	ASSERT_LE(0, wo);
	EXPECT_ERRNO(EBADF, mq_receive(wo, buf, 1, NULL));
	mq_close(wo);
	wo = mq_open(self->name, O_RDONLY);
	ASSERT_LE(0, wo);
	EXPECT_ERRNO(EBADF, mq_send(wo, "x", 1, 0));
	mq_close(wo);
}

TEST_F(mq, nonblocking_calls_are_eagain)
{
	struct mq_attr attr = { .mq_flags = O_NONBLOCK }, old;
	char buf[MSGSIZE];
	int i;

	ASSERT_EQ(0, mq_setattr(self->q, &attr, &old));
	EXPECT_EQ(0, old.mq_flags);
	EXPECT_ERRNO(EAGAIN, mq_receive(self->q, buf, sizeof(buf), NULL));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, mq_send(self->q, "x", 1, 0));
	EXPECT_ERRNO(EAGAIN, mq_send(self->q, "x", 1, 0));
	ASSERT_EQ(0, mq_getattr(self->q, &attr));
	EXPECT_EQ(O_NONBLOCK, attr.mq_flags);
	EXPECT_EQ(8, attr.mq_curmsgs);
}

TEST_F(mq, setattr_changes_only_o_nonblock)
{
	struct mq_attr attr = { .mq_flags = O_NONBLOCK, .mq_maxmsg = 99,
				.mq_msgsize = 99 }, now;

	ASSERT_EQ(0, mq_setattr(self->q, &attr, NULL));
	ASSERT_EQ(0, mq_getattr(self->q, &now));
	EXPECT_EQ(O_NONBLOCK, now.mq_flags);
	EXPECT_EQ(8, now.mq_maxmsg);
	EXPECT_EQ(MSGSIZE, now.mq_msgsize);
	attr.mq_flags = O_NONBLOCK | O_APPEND;
	EXPECT_ERRNO(EINVAL, mq_setattr(self->q, &attr, NULL));
	attr.mq_flags = 0;
	ASSERT_EQ(0, mq_setattr(self->q, &attr, &now));
	EXPECT_EQ(O_NONBLOCK, now.mq_flags);
	ASSERT_EQ(0, mq_getattr(self->q, &now));
	EXPECT_EQ(0, now.mq_flags);
}

TEST_F(mq, mqd_is_a_pollable_descriptor)
{
	struct pollfd p = { .fd = self->q, .events = POLLIN | POLLOUT };

	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	ASSERT_EQ(0, mq_send(self->q, "x", 1, 0));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p.revents);
}

TEST_F(mq, timeouts_are_absolute_realtime_and_checked_first)
{
	struct timespec past, bad = { .tv_sec = 0, .tv_nsec = 1000000000 };
	char buf[MSGSIZE];

	clock_gettime(CLOCK_REALTIME, &past);
	past.tv_sec -= 1;
	EXPECT_ERRNO(ETIMEDOUT, mq_timedreceive(self->q, buf, sizeof(buf),
						NULL, &past));
	ASSERT_EQ(0, mq_send(self->q, "x", 1, 0));
	/* A bad timeout is EINVAL even when nothing would wait. */
	EXPECT_ERRNO(EINVAL, mq_timedreceive(self->q, buf, sizeof(buf), NULL,
					     &bad));
	EXPECT_ERRNO(EINVAL, mq_timedsend(self->q, "x", 1, 0, &bad));
	bad.tv_nsec = -1;
	EXPECT_ERRNO(EINVAL, mq_timedsend(self->q, "x", 1, 0, &bad));
	EXPECT_EQ(1, mq_timedreceive(self->q, buf, sizeof(buf), NULL, &past));
}

TEST_F(mq, unlink_by_another_user_is_eacces)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		if (become(NOBODY, NOBODY))
			_exit(2);
		_exit(mq_unlink(self->name) == -1 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(exited_ok(status));
}

/* ==== priorities ==== */

#define PRIO_N		KMSGQ_PRIO_MAX
#define PRODUCERS	2
#define CONSUMERS	2

struct prio_msg {
	__u32 producer;
	__u32 prio;
	__u32 round;
	__u32 check;
};

static __u32 prio_check(const struct prio_msg *m)
{
	return mix32(m->producer * 0x10001 ^ m->prio * 31 ^ m->round);
}

struct prio_run {
	const char *name;
	unsigned int rounds;	/* messages per priority per producer */
	unsigned int id;
	bool drain_order;	/* each consumer must see priorities fall */
	unsigned int *seen;	/* [PRODUCERS][PRIO_N] a bit per round */
	unsigned int total;	/* messages to receive */
	unsigned int received;
	int errors;
	pthread_mutex_t lock;
};

static void *prio_producer(void *arg)
{
	struct prio_run *r = arg;
	struct prio_msg m;
	unsigned int id, i, round;
	mqd_t q;

	pthread_mutex_lock(&r->lock);
	id = r->id++;
	pthread_mutex_unlock(&r->lock);
	q = mq_open(r->name, O_WRONLY);
	if (q < 0)
		return (void *)1;
	for (round = 0; round < r->rounds; round++) {
		for (i = 0; i < PRIO_N; i++) {
			/* 7919 is odd: a permutation of 0..32767 per round. */
			m.producer = id;
			m.prio = (i * 7919 + id * 4099 + round) % PRIO_N;
			m.round = round;
			m.check = prio_check(&m);
			if (mq_send(q, (char *)&m, sizeof(m), m.prio))
				return (void *)1;
		}
	}
	mq_close(q);
	return NULL;
}

static void *prio_consumer(void *arg)
{
	struct prio_run *r = arg;
	unsigned int prio, last = PRIO_N, *next, bit, key;
	struct prio_msg m;
	int errors = 0;
	mqd_t q;

	/* Per producer and priority, the round this consumer may see next. */
	next = calloc(PRODUCERS * PRIO_N, sizeof(*next));
	if (!next)
		return (void *)1;
	q = mq_open(r->name, O_RDONLY);
	if (q < 0) {
		free(next);
		return (void *)1;
	}
	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->received == r->total) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		r->received++;
		pthread_mutex_unlock(&r->lock);
		if (mq_receive(q, (char *)&m, sizeof(m), &prio) != sizeof(m)) {
			errors++;
			break;
		}
		if (m.producer >= PRODUCERS || m.prio != prio ||
		    m.round >= r->rounds || m.check != prio_check(&m)) {
			errors++;
			continue;
		}
		if (r->drain_order && prio > last)
			errors++;
		last = prio;
		key = m.producer * PRIO_N + prio;
		/*
		 * FIFO within a priority: one producer's rounds in order, as
		 * this consumer sees them.  Across consumers the order of
		 * two receives is not the order in which each looks at its
		 * message, so only that every round comes once is checked.
		 */
		if (m.round < next[key])
			errors++;
		next[key] = m.round + 1;
		bit = 1u << m.round;
		if (__atomic_fetch_or(&r->seen[key], bit, __ATOMIC_RELAXED) & bit)
			errors++;
	}
	free(next);
	mq_close(q);
	pthread_mutex_lock(&r->lock);
	r->errors += errors;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * On a queue "@tag" of @depth messages, @rounds messages of every priority
 * from each producer.  @drain_order: producers fill the queue first, then
 * the consumers drain it together, so each consumer's priorities can only
 * fall; otherwise all run at once.
 */
static void prio_run(struct __test_metadata *_metadata, const char *tag,
		     long depth, unsigned int rounds, bool drain_order)
{
	pthread_t prod[PRODUCERS], cons[CONSUMERS];
	char name[KMSGQ_NAME_MAX + 1];
	struct prio_run r = {
		.name = name,
		.rounds = rounds,
		.drain_order = drain_order,
		.total = PRODUCERS * PRIO_N * rounds,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	void *ret;
	mqd_t q;
	int i;

	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "kmsgq module not loaded");
	mq_name(name, sizeof(name), tag);
	q = mq_create(name, 0, depth, sizeof(struct prio_msg));
	ASSERT_LE(0, q);
	r.seen = calloc(PRODUCERS * PRIO_N, sizeof(*r.seen));
	ASSERT_NE(NULL, r.seen);
	for (i = 0; i < PRODUCERS; i++)
		ASSERT_EQ(0, pthread_create(&prod[i], NULL, prio_producer, &r));
	if (drain_order) {
		for (i = 0; i < PRODUCERS; i++) {
			ASSERT_EQ(0, pthread_join(prod[i], &ret));
			EXPECT_EQ(NULL, ret);
		}
	}
	for (i = 0; i < CONSUMERS; i++)
		ASSERT_EQ(0, pthread_create(&cons[i], NULL, prio_consumer, &r));
	for (i = 0; !drain_order && i < PRODUCERS; i++) {
		ASSERT_EQ(0, pthread_join(prod[i], &ret));
		EXPECT_EQ(NULL, ret);
	}
	for (i = 0; i < CONSUMERS; i++) {
		ASSERT_EQ(0, pthread_join(cons[i], &ret));
		EXPECT_EQ(NULL, ret);
	}
	EXPECT_EQ(0, r.errors);
	for (i = 0; i < PRODUCERS * PRIO_N; i++)
		if (r.seen[i] != (1u << rounds) - 1)
			break;
	EXPECT_EQ(PRODUCERS * PRIO_N, i)
		TH_LOG("producer %d priority %d: rounds %#x", i / PRIO_N,
		       i % PRIO_N, r.seen[i]);
	free(r.seen);
	mq_close(q);
	mq_unlink(name);
}

/* 196608 messages: minutes on the debug kernel under TCG. */
#define PRIO_TIMEOUT	600

FIXTURE(prio) {
};

FIXTURE_SETUP(prio)
{
}

FIXTURE_TEARDOWN(prio)
{
}

TEST_F_TIMEOUT(prio, every_priority_under_mpmc_stress_nothing_lost_fifo_within_one,
	       PRIO_TIMEOUT)
{
	prio_run(_metadata, "mpmc", 64, 2, false);
}

TEST_F_TIMEOUT(prio, every_priority_drains_highest_first_to_concurrent_consumers,
	       PRIO_TIMEOUT)
{
	prio_run(_metadata, "drain", PRODUCERS * PRIO_N, 1, true);
}

/* ==== mq_notify() ==== */

static void block_signal(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Whether @sig is pending; takes it if so, into *@info. */
static bool take_signal(int sig, siginfo_t *info)
{
	struct timespec zero = { 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, info, &zero) == sig;
}

/*
 * mq_notify() in a child process on @name, of a sigevent of @notify (-1:
 * NULL, a removal): its errno, or 0.
 */
static int notify_in_child(const char *name, int notify)
{
	struct sigevent sev = { .sigev_notify = notify,
				.sigev_signo = SIGUSR2 };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		mqd_t q = mq_open(name, O_RDWR);

		if (q < 0)
			_exit(100);
		_exit(mq_notify(q, notify < 0 ? NULL : &sev) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Send one message from a child process, so that it is the sender. */
static pid_t send_in_child(const char *name)
{
	pid_t pid = fork();

	if (!pid) {
		mqd_t q = mq_open(name, O_WRONLY);

		_exit(q < 0 || mq_send(q, "n", 1, 0));
	}
	return pid;
}

TEST_F(mq, signal_fires_on_arrival_with_sender_and_value)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR1,
		.sigev_value.sival_int = 4242,
	};
	siginfo_t info;
	int status;
	pid_t pid;

	block_signal(SIGUSR1);
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	pid = send_in_child(self->name);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(exited_ok(status));
	ASSERT_TRUE(take_signal(SIGUSR1, &info));
	EXPECT_EQ(SI_MESGQ, info.si_code);
	EXPECT_EQ(4242, info.si_value.sival_int);
	EXPECT_EQ(pid, info.si_pid);
	EXPECT_EQ(getuid(), info.si_uid);
	/* Fired once, then unregistered: another process may register. */
	EXPECT_EQ(0, notify_in_child(self->name, SIGEV_NONE));
}

TEST_F(mq, one_process_per_queue_others_get_ebusy)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	ASSERT_EQ(0, mq_notify(self->q, &sev));
	EXPECT_ERRNO(EBUSY, mq_notify(self->q, &sev));
	EXPECT_EQ(EBUSY, notify_in_child(self->name, SIGEV_NONE));
	/* Another process's mq_notify(NULL) removes nothing. */
	EXPECT_EQ(0, notify_in_child(self->name, -1));
	EXPECT_EQ(EBUSY, notify_in_child(self->name, SIGEV_NONE));
	/* The registrant's does. */
	ASSERT_EQ(0, mq_notify(self->q, NULL));
	EXPECT_EQ(0, notify_in_child(self->name, SIGEV_NONE));
}

TEST_F(mq, no_notification_when_queue_was_not_empty)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	siginfo_t info;

	block_signal(SIGUSR1);
	ASSERT_EQ(0, mq_send(self->q, "a", 1, 0));
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	/* The signal would be pending when mq_send() returns. */
	ASSERT_EQ(0, mq_send(self->q, "b", 1, 0));
	EXPECT_FALSE(take_signal(SIGUSR1, &info));
	EXPECT_EQ(EBUSY, notify_in_child(self->name, SIGEV_NONE));
}

struct receiver {
	mqd_t q;
	ssize_t len;
};

static void *receive_one(void *arg)
{
	struct receiver *r = arg;
	char buf[MSGSIZE];

	r->len = mq_receive(r->q, buf, sizeof(buf), NULL);
	return NULL;
}

TEST_F(mq, no_notification_while_a_receiver_waits)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	struct receiver r = { .q = self->q };
	siginfo_t info;
	pthread_t t;

	block_signal(SIGUSR1);
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	ASSERT_EQ(0, pthread_create(&t, NULL, receive_one, &r));
	ASSERT_EQ(0, wait_sleepers(self->q, false, 1));
	ASSERT_EQ(0, mq_send(self->q, "a", 1, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(1, r.len);
	EXPECT_FALSE(take_signal(SIGUSR1, &info));
	/* Still registered: the next arrival on the empty queue fires. */
	ASSERT_EQ(0, mq_send(self->q, "b", 1, 0));
	EXPECT_TRUE(take_signal(SIGUSR1, &info));
}

TEST_F(mq, removed_registration_sends_nothing)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	siginfo_t info;

	block_signal(SIGUSR1);
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	ASSERT_EQ(0, mq_notify(self->q, NULL));
	ASSERT_EQ(0, mq_send(self->q, "a", 1, 0));
	EXPECT_FALSE(take_signal(SIGUSR1, &info));
}

TEST_F(mq, any_close_in_the_registrant_removes_it)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	mqd_t other = mq_open(self->name, O_RDONLY);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	EXPECT_EQ(EBUSY, notify_in_child(self->name, SIGEV_NONE));
	ASSERT_EQ(0, mq_close(other));
	EXPECT_EQ(0, notify_in_child(self->name, SIGEV_NONE));
}

TEST_F(mq, sigev_none_fires_silently_and_unregisters)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	ASSERT_EQ(0, mq_notify(self->q, &sev));
	ASSERT_EQ(0, mq_send(self->q, "a", 1, 0));
	EXPECT_EQ(0, notify_in_child(self->name, SIGEV_NONE));
}

static int thread_pipe[2];

static void notified(union sigval v)
{
	int val = v.sival_int;

	if (write(thread_pipe[1], &val, sizeof(val)) != sizeof(val))
		abort();
}

TEST_F(mq, sigev_thread_calls_the_function_in_a_thread)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD,
		.sigev_notify_function = notified,
		.sigev_value.sival_int = 77,
	};
	int val = 0;

	ASSERT_EQ(0, pipe(thread_pipe));
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	EXPECT_ERRNO(EBUSY, mq_notify(self->q, &sev));
	ASSERT_EQ(0, mq_send(self->q, "a", 1, 0));
	ASSERT_EQ(sizeof(val), read(thread_pipe[0], &val, sizeof(val)));
	EXPECT_EQ(77, val);
	/* Fired: a new registration is taken, and mq_notify(NULL) ends it. */
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	ASSERT_EQ(0, mq_notify(self->q, NULL));
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	ASSERT_EQ(0, mq_close(self->q));
	self->q = -1;
	close(thread_pipe[0]);
	close(thread_pipe[1]);
}

/* Wait up to 10 s for this process to have @want threads; its count. */
static int thread_count_wait(int want)
{
	int i, n = self_threads(NULL);

	for (i = 0; n != want && i < 1000; i++) {
		usleep(10000);
		n = self_threads(NULL);
	}
	return n;
}

/*
 * The registration is the process's, not the descriptor's: removing it
 * through another descriptor of the queue, by mq_notify(NULL) or by
 * mq_close(), ends the SIGEV_THREAD helper made through the first.
 */
TEST_F(mq, sigev_thread_helper_ends_when_any_descriptor_removes_it)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD,
		.sigev_notify_function = notified,
	};
	mqd_t other = mq_open(self->name, O_RDONLY);
	int base = self_threads(NULL);

	ASSERT_LE(0, other);
	ASSERT_LT(0, base);
	ASSERT_EQ(0, mq_notify(self->q, &sev));
	EXPECT_EQ(base + 1, self_threads(NULL));
	ASSERT_EQ(0, mq_notify(other, NULL));
	EXPECT_EQ(base, thread_count_wait(base));

	ASSERT_EQ(0, mq_notify(self->q, &sev));
	EXPECT_EQ(base + 1, self_threads(NULL));
	ASSERT_EQ(0, mq_close(other));
	EXPECT_EQ(base, thread_count_wait(base));
	/* Nothing left registered: another process may register. */
	EXPECT_EQ(0, notify_in_child(self->name, SIGEV_NONE));
}

TEST_F(mq, bad_sigevent_is_einval)
{
	struct sigevent sev = { .sigev_notify = 12345 };

	EXPECT_ERRNO(EINVAL, mq_notify(self->q, &sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = 65;
	EXPECT_ERRNO(EINVAL, mq_notify(self->q, &sev));
	sev.sigev_signo = -1;
	EXPECT_ERRNO(EINVAL, mq_notify(self->q, &sev));
}

/* Difference: ring queues take no notification (in-place sends). */
TEST_F(mq, ring_queue_takes_no_notification)
{
	struct kmsgq_attr attr = { .qflags = KMSGQ_OPEN_RING, .max_msgs = 4,
				   .max_msgsize = 64 };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	char name[KMSGQ_NAME_MAX];
	mqd_t q;
	int fd;

	mq_close(self->q);
	self->q = -1;
	mq_unlink(self->name);
	fd = create_own_queue(name, "mqcring", 0, &attr);
	ASSERT_LE(0, fd);
	snprintf(self->name, sizeof(self->name), "/%s", name);
	q = mq_open(self->name, O_RDWR);
	ASSERT_LE(0, q);
	EXPECT_ERRNO(EOPNOTSUPP, mq_notify(q, &sev));
	EXPECT_ERRNO(EINVAL, mq_send(q, "x", 1, 1));
	EXPECT_EQ(0, mq_send(q, "x", 1, 0));
	mq_close(q);
	close(fd);
	mq_unlink(self->name);
}

TEST_HARNESS_MAIN
