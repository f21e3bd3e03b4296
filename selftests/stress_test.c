// SPDX-License-Identifier: GPL-2.0
/*
 * Many producers, many consumers, one shallow kmsgq queue.
 *
 * NR_PRODUCERS processes each send MSGS_PER_PRODUCER messages through a
 * queue only QUEUE_DEPTH deep, so that senders and receivers both sleep
 * often, to NR_CONSUMERS processes.  Every message carries its producer, a
 * per-producer sequence number, its priority and a payload of 0..MAX_PAYLOAD
 * bytes, all derived from (producer, sequence) so that a consumer can tell
 * what it should have been, and an FNV-1a checksum over header and payload.
 *
 * Consumers check each message and count it in memory shared with the test
 * (MAP_SHARED); the test then asserts that every (producer, sequence) came
 * out exactly once, that nothing came out corrupt, and that no consumer saw
 * two messages of one producer and one priority out of sequence order, which
 * FIFO-within-priority promises whoever else is receiving.
 *
 * The end of the stream: once every producer has exited, the test sends one
 * end marker at priority 0, behind all data, and waits for the consumer that
 * takes it to exit before sending the next; so each consumer takes exactly
 * one, even with batch receives.
 *
 * Messages go through libkmsgq, as an application would send them.
 */
#include "kmsgq_test.h"

#define NR_PRODUCERS		4
#define NR_CONSUMERS		4
#define MSGS_PER_PRODUCER	25000
#define TOTAL_MSGS		(NR_PRODUCERS * MSGS_PER_PRODUCER)
#define QUEUE_DEPTH		16
#define MAX_PAYLOAD		256
/* Most messages a producer sends, a consumer takes, in one batch call. */
#define SEND_BATCH		8
#define RECV_BATCH		QUEUE_DEPTH
/* Seconds one variant may take; TCG guests are slow. */
#define STRESS_TIMEOUT		600

/* The producer number of an end marker. */
#define MARKER			0xffffffffU

struct stress_hdr {
	__u32 producer;
	__u32 seq;
	__u32 prio;	/* the priority it was sent with */
	__u32 len;	/* payload bytes after the header */
	__u32 sum;	/* FNV-1a over the header (with sum 0) and payload */
};

#define MSG_MAX		(sizeof(struct stress_hdr) + MAX_PAYLOAD)

/* What one consumer saw, and the first problem of each kind in words. */
struct consumer_result {
	__u64 received;		/* data messages, whatever their state */
	__u64 bad_len;		/* length not what the header says */
	__u64 bad_sum;		/* checksum mismatch */
	__u64 bad_id;		/* producer or sequence out of range */
	__u64 bad_content;	/* checksum fine, yet not what was sent */
	__u64 bad_prio;		/* received priority not the one sent */
	__u64 out_of_order;	/* sequence not above the last of its kind */
	__u64 markers;
	int error;		/* -errno of a failed call, or 0 */
	char bad[160];		/* the first bad_* message */
	char order[160];	/* the first out-of-order message */
};

/* Shared between the test and every child. */
struct stress_shared {
	/* Times each (producer, sequence) was received, by any consumer. */
	__u16 seen[NR_PRODUCERS][MSGS_PER_PRODUCER];
	struct consumer_result cons[NR_CONSUMERS];
	int producer_error[NR_PRODUCERS];	/* -errno, or 0 */
};

enum role { ROLE_NONE, ROLE_PRODUCER, ROLE_CONSUMER };

FIXTURE(stress) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct stress_shared *shm;
	pid_t pid[NR_PRODUCERS + NR_CONSUMERS];
	enum role role[NR_PRODUCERS + NR_CONSUMERS];
};

FIXTURE_VARIANT(stress) {
	bool random_prio;	/* priorities 0..KMSGQ_PRIO_MAX - 1, else all 0 */
	bool batch;		/* send_batch and receive_batch */
	bool nonblock;		/* O_NONBLOCK files, sleeping in poll() */
};

FIXTURE_VARIANT_ADD(stress, fifo) {
	.random_prio = false,
};

FIXTURE_VARIANT_ADD(stress, priorities) {
	.random_prio = true,
};

FIXTURE_VARIANT_ADD(stress, batches) {
	.random_prio = true,
	.batch = true,
};

FIXTURE_VARIANT_ADD(stress, nonblocking_poll) {
	.random_prio = true,
	.nonblock = true,
};

FIXTURE_SETUP(stress)
{
	struct kmsgq_attr attr = {
		.max_msgs = QUEUE_DEPTH,
		.max_msgsize = MSG_MAX,
	};

	self->fd = -1;
	self->shm = MAP_FAILED;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);

	self->shm = mmap(NULL, sizeof(*self->shm), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shm);

	self->fd = create_own_queue(self->name, "kmsgq-stress", 0, &attr);
	ASSERT_LE(0, self->fd) TH_LOG("creating %s: %s", self->name,
				      strerror(-self->fd));
}

FIXTURE_TEARDOWN(stress)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->pid); i++) {
		if (self->pid[i] <= 0)
			continue;
		kill(self->pid[i], SIGKILL);
		waitpid(self->pid[i], NULL, 0);
	}
	if (self->fd >= 0) {
		kmsgq_close(self->fd);
		kmsgq_unlink(self->name);
	}
	if (self->shm != MAP_FAILED)
		munmap(self->shm, sizeof(*self->shm));
}

/* ---- what a message is ---- */

static __u32 fnv1a(__u32 hash, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len--) {
		hash ^= *p++;
		hash *= 16777619U;
	}
	return hash;
}

static __u32 msg_sum(const struct stress_hdr *hdr, const void *payload)
{
	struct stress_hdr h = *hdr;

	h.sum = 0;
	return fnv1a(fnv1a(2166136261U, &h, sizeof(h)), payload, h.len);
}

/*
 * Build message @seq of @producer in @buf: returns its length.  Length,
 * priority and payload are a pure function of (producer, seq).
 */
static __u32 msg_build(void *buf, __u32 producer, __u32 seq, bool random_prio)
{
	struct stress_hdr hdr = { .producer = producer, .seq = seq };
	unsigned char *payload = (unsigned char *)buf + sizeof(hdr);
	__u32 h = mix32(producer * 0x9e3779b9U ^ mix32(seq));
	__u32 x = h | 1, i;

	hdr.len = h % (MAX_PAYLOAD + 1);
	hdr.prio = random_prio ? (h >> 16) % KMSGQ_PRIO_MAX : 0;
	for (i = 0; i < hdr.len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		payload[i] = (unsigned char)x;
	}
	hdr.sum = msg_sum(&hdr, payload);
	memcpy(buf, &hdr, sizeof(hdr));
	return sizeof(hdr) + hdr.len;
}

static __u32 marker_build(void *buf)
{
	struct stress_hdr hdr = { .producer = MARKER };

	hdr.sum = msg_sum(&hdr, NULL);
	memcpy(buf, &hdr, sizeof(hdr));
	return sizeof(hdr);
}

/* ---- children ---- */

/* Sleep in poll() until @fd reports @events: 0, or -errno. */
static int wait_for(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Send @m[0..nr): how many went, or -errno. */
static int produce(int fd, const FIXTURE_VARIANT(stress) *variant,
		   struct kmsgq_msg *m, unsigned int nr)
{
	int ret;

	for (;;) {
		if (variant->batch) {
			ret = kmsgq_send_batch(fd, m, nr, 0, CLOCK_MONOTONIC,
					       NULL);
		} else {
			ret = kmsgq_send(fd, (void *)(uintptr_t)m->buf, m->len,
					 m->prio);
			if (!ret)
				ret = 1;
		}
		if (ret != -EAGAIN || !variant->nonblock)
			return ret;
		ret = wait_for(fd, POLLOUT);
		if (ret)
			return ret;
	}
}

/* Receive into @m[0..nr): how many came, or -errno. */
static int consume(int fd, const FIXTURE_VARIANT(stress) *variant,
		   struct kmsgq_msg *m, unsigned int nr)
{
	unsigned int i;
	ssize_t len;
	int ret;

	for (;;) {
		if (variant->batch) {
			for (i = 0; i < nr; i++)
				m[i].len = MSG_MAX;
			ret = kmsgq_receive_batch(fd, m, nr, 0, CLOCK_MONOTONIC,
						  NULL);
		} else {
			len = kmsgq_receive(fd, (void *)(uintptr_t)m->buf,
					    MSG_MAX, &m->prio);
			if (len >= 0)
				m->len = len;
			ret = len < 0 ? (int)len : 1;
		}
		if (ret != -EAGAIN || !variant->nonblock)
			return ret;
		ret = wait_for(fd, POLLIN);
		if (ret)
			return ret;
	}
}

static void __noreturn
producer(FIXTURE_DATA(stress) *self, const FIXTURE_VARIANT(stress) *variant,
	 __u32 id)
{
	static unsigned char buf[SEND_BATCH][MSG_MAX];
	struct kmsgq_msg m[SEND_BATCH];
	unsigned int n, i, done;
	__u32 seq;
	int fd, ret;

	fd = kmsgq_open(self->name,
			O_WRONLY | (variant->nonblock ? O_NONBLOCK : 0), 0,
			NULL);
	if (fd < 0) {
		self->shm->producer_error[id] = fd;
		_exit(1);
	}
	for (seq = 0; seq < MSGS_PER_PRODUCER; seq += n) {
		n = variant->batch ? SEND_BATCH : 1;
		if (n > MSGS_PER_PRODUCER - seq)
			n = MSGS_PER_PRODUCER - seq;
		for (i = 0; i < n; i++) {
			m[i].buf = (uintptr_t)buf[i];
			m[i].len = msg_build(buf[i], id, seq + i,
					     variant->random_prio);
			m[i].prio = ((struct stress_hdr *)buf[i])->prio;
		}
		for (done = 0; done < n; done += ret) {
			ret = produce(fd, variant, &m[done], n - done);
			if (ret <= 0) {
				self->shm->producer_error[id] = ret ? ret : -EIO;
				_exit(1);
			}
		}
	}
	kmsgq_close(fd);
	_exit(0);
}

/* Count a problem in @counter; describe it in @what if it is the first. */
static void __printf(3, 4)
note_problem(char what[160], __u64 *counter, const char *fmt, ...)
{
	va_list ap;

	if (!what[0]) {
		va_start(ap, fmt);
		vsnprintf(what, 160, fmt, ap);
		va_end(ap);
	}
	(*counter)++;
}

/*
 * Check one received message against what its header says was sent, and
 * against the last one this consumer saw from the same producer at the
 * same priority.  Returns true for an end marker.
 */
static bool check_msg(FIXTURE_DATA(stress) *self,
		      const FIXTURE_VARIANT(stress) *variant,
		      struct consumer_result *res,
		      __s64 last[NR_PRODUCERS][KMSGQ_PRIO_MAX],
		      const void *buf, __u32 len, __u32 prio)
{
	static unsigned char want[MSG_MAX];
	const unsigned char *payload = (const unsigned char *)buf +
				       sizeof(struct stress_hdr);
	struct stress_hdr hdr;

	if (len < sizeof(hdr)) {
		res->received++;
		note_problem(res->bad, &res->bad_len, "a %u-byte message", len);
		return false;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.producer == MARKER && len == sizeof(hdr) &&
	    hdr.sum == msg_sum(&hdr, NULL)) {
		res->markers++;
		return true;
	}

	res->received++;
	if (hdr.len > MAX_PAYLOAD || len != sizeof(hdr) + hdr.len) {
		note_problem(res->bad, &res->bad_len,
			     "%u bytes, header says %zu + %u", len,
			     sizeof(hdr), hdr.len);
		return false;
	}
	if (hdr.sum != msg_sum(&hdr, payload)) {
		note_problem(res->bad, &res->bad_sum,
			     "checksum of producer %u seq %u: %#x, want %#x",
			     hdr.producer, hdr.seq, msg_sum(&hdr, payload),
			     hdr.sum);
		return false;
	}
	if (hdr.producer >= NR_PRODUCERS || hdr.seq >= MSGS_PER_PRODUCER) {
		note_problem(res->bad, &res->bad_id, "producer %u seq %u",
			     hdr.producer, hdr.seq);
		return false;
	}
	if (msg_build(want, hdr.producer, hdr.seq, variant->random_prio) !=
	    len || memcmp(want, buf, len)) {
		note_problem(res->bad, &res->bad_content,
			     "producer %u seq %u is not what was sent",
			     hdr.producer, hdr.seq);
		return false;
	}

	__atomic_fetch_add(&self->shm->seen[hdr.producer][hdr.seq], 1,
			   __ATOMIC_RELAXED);
	if (prio != hdr.prio)
		note_problem(res->bad, &res->bad_prio,
			     "producer %u seq %u: priority %u, sent with %u",
			     hdr.producer, hdr.seq, prio, hdr.prio);
	if (last[hdr.producer][hdr.prio] >= hdr.seq)
		note_problem(res->order, &res->out_of_order,
			     "producer %u priority %u: seq %u after %lld",
			     hdr.producer, hdr.prio, hdr.seq,
			     (long long)last[hdr.producer][hdr.prio]);
	last[hdr.producer][hdr.prio] = hdr.seq;
	return false;
}

static void __noreturn
consumer(FIXTURE_DATA(stress) *self, const FIXTURE_VARIANT(stress) *variant,
	 unsigned int id)
{
	static unsigned char buf[RECV_BATCH][MSG_MAX];
	static __s64 last[NR_PRODUCERS][KMSGQ_PRIO_MAX];
	struct consumer_result *res = &self->shm->cons[id];
	struct kmsgq_msg m[RECV_BATCH];
	bool done = false;
	unsigned int i;
	int fd, ret;

	for (i = 0; i < NR_PRODUCERS * KMSGQ_PRIO_MAX; i++)
		last[i / KMSGQ_PRIO_MAX][i % KMSGQ_PRIO_MAX] = -1;
	for (i = 0; i < RECV_BATCH; i++)
		m[i].buf = (uintptr_t)buf[i];

	fd = kmsgq_open(self->name,
			O_RDONLY | (variant->nonblock ? O_NONBLOCK : 0), 0,
			NULL);
	if (fd < 0) {
		res->error = fd;
		_exit(1);
	}
	while (!done) {
		ret = consume(fd, variant, m, variant->batch ? RECV_BATCH : 1);
		if (ret <= 0) {
			res->error = ret ? ret : -EIO;
			_exit(1);
		}
		for (i = 0; i < (unsigned int)ret; i++)
			if (check_msg(self, variant, res, last, buf[i],
				      m[i].len, m[i].prio))
				done = true;
	}
	kmsgq_close(fd);
	_exit(0);
}

/* ---- the test ---- */

static pid_t stress_fork(FIXTURE_DATA(stress) *self, unsigned int slot,
			 enum role role)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid > 0) {
		self->pid[slot] = pid;
		self->role[slot] = role;
	}
	return pid;
}

/* Reap the next child to exit: its slot, or -1.  *status gets its status. */
static int stress_reap(FIXTURE_DATA(stress) *self, int *status)
{
	unsigned int i;
	pid_t pid;

	pid = waitpid(-1, status, 0);
	if (pid <= 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(self->pid); i++) {
		if (self->pid[i] == pid) {
			self->pid[i] = 0;
			return i;
		}
	}
	return -1;
}

TEST_F_TIMEOUT(stress, every_message_arrives_once_intact_and_in_order,
	       STRESS_TIMEOUT)
{
	unsigned char marker[sizeof(struct stress_hdr)];
	__u64 received = 0, lost = 0, duplicated = 0;
	struct consumer_result *res;
	struct kmsgq_attr attr;
	unsigned int i, p, s;
	int slot, status;
	pid_t pid;

	for (i = 0; i < NR_CONSUMERS; i++) {
		pid = stress_fork(self, NR_PRODUCERS + i, ROLE_CONSUMER);
		ASSERT_LE(0, pid);
		if (!pid)
			consumer(self, variant, i);
	}
	for (i = 0; i < NR_PRODUCERS; i++) {
		pid = stress_fork(self, i, ROLE_PRODUCER);
		ASSERT_LE(0, pid);
		if (!pid)
			producer(self, variant, i);
	}

	/* Producers finish first; a consumer exiting now has failed. */
	for (i = 0; i < NR_PRODUCERS; i++) {
		slot = stress_reap(self, &status);
		ASSERT_LE(0, slot);
		ASSERT_TRUE(self->role[slot] == ROLE_PRODUCER)
			TH_LOG("consumer %d exited before the end: %s",
			       slot - NR_PRODUCERS,
			       strerror(-self->shm->cons[slot - NR_PRODUCERS].error));
		EXPECT_TRUE(exited_ok(status))
			TH_LOG("producer %d: %s", slot,
			       strerror(-self->shm->producer_error[slot]));
	}

	/* One marker at a time, so that no consumer can take two. */
	marker_build(marker);
	for (i = 0; i < NR_CONSUMERS; i++) {
		ASSERT_EQ(0, kmsgq_send(self->fd, marker, sizeof(marker), 0));
		slot = stress_reap(self, &status);
		ASSERT_LE(0, slot);
		ASSERT_TRUE(self->role[slot] == ROLE_CONSUMER);
		EXPECT_TRUE(exited_ok(status))
			TH_LOG("consumer %d: %s", slot - NR_PRODUCERS,
			       strerror(-self->shm->cons[slot - NR_PRODUCERS].error));
	}
	ASSERT_EQ(0, kmsgq_getattr(self->fd, &attr));
	EXPECT_EQ(0U, attr.cur_msgs);

	for (i = 0; i < NR_CONSUMERS; i++) {
		res = &self->shm->cons[i];
		received += res->received;
		EXPECT_EQ(1U, res->markers) TH_LOG("consumer %u", i);
		EXPECT_EQ(0U, res->bad_len + res->bad_sum + res->bad_id +
			      res->bad_content + res->bad_prio)
			TH_LOG("consumer %u: %s", i, res->bad);
		EXPECT_EQ(0U, res->out_of_order)
			TH_LOG("consumer %u: %s", i, res->order);
	}
	EXPECT_EQ((__u64)TOTAL_MSGS, received);

	for (p = 0; p < NR_PRODUCERS; p++) {
		for (s = 0; s < MSGS_PER_PRODUCER; s++) {
			if (!self->shm->seen[p][s] && !lost++)
				TH_LOG("first lost: producer %u seq %u", p, s);
			if (self->shm->seen[p][s] > 1 && !duplicated++)
				TH_LOG("first duplicated: producer %u seq %u, %u times",
				       p, s, self->shm->seen[p][s]);
		}
	}
	EXPECT_EQ(0U, lost);
	EXPECT_EQ(0U, duplicated);
}

TEST_HARNESS_MAIN
