// SPDX-License-Identifier: GPL-2.0
/*
 * Description: kmsgq ring queues under load: many in-place and copy-mode
 * producers and consumers at once (nothing lost, duplicated, corrupted or
 * reordered), and honest users sharing a ring with a process that
 * scribbles over every byte of its mapping (the kernel and the honest
 * users come through; only payloads may be garbage).
 *
 * Workers are forked processes.  They never use ASSERT or EXPECT (that
 * would run the fixture teardown in the child): they count what they saw
 * in a shared struct, exit 0, and the test judges once it has reaped them
 * all.  Every sleep of a worker has a deadline far beyond any legitimate
 * wait, so a lost wakeup fails the test instead of hanging it.  Teardown
 * kills and reaps any worker left over.
 */
#include "kmsgq_test.h"

/* A worker that waits this long for its ring has lost a wakeup. */
#define STALL_NS		(30 * NSEC_PER_SEC)
#define STALL_MS		30000

/* A ring queue unique to this process (create_own_queue()). */
static int create_ring(char *name, const char *tag, __u32 depth,
		       __u32 msgsize)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING | RING_TEST_QFLAGS,
		.max_msgs = depth,
		.max_msgsize = msgsize,
	};

	return create_own_queue(name, tag, 0, &attr);
}

/* ==== mpmc: checksummed messages through in-place and copy workers ==== */

#define MPMC_DEPTH		64
#define MPMC_MSGSIZE		256
#define MPMC_TOTAL		120000	/* messages of all producers */
#define MPMC_MAX_PROD		4	/* in place; one copy producer more */
#define MPMC_MAX_CONS		4	/* in place; one copy consumer more */
#define MPMC_PER_MAX		(MPMC_TOTAL / 2 + 1)
#define MPMC_BATCH		8
#define MPMC_STOP		0xffffffffU	/* producer id of a stop message */

/* Header of every stress message; the payload after it is checked too. */
struct mpmc_hdr {
	__u32 producer;
	__u32 seq;
	__u32 len;	/* whole message, header included */
	__u32 sum;	/* over the fields above and the payload */
};

/* What the workers tell the test; in shared memory. */
struct mpmc_shared {
	__u8 seen[MPMC_MAX_PROD + 1][MPMC_PER_MAX];
	unsigned long long taken[MPMC_MAX_CONS + 1];
	unsigned long long copy_sent, copy_recvd;
	unsigned int corrupt, misordered, duplicated, empty_slots, stalls,
		     failures;
	char first_error[160];
};

struct mpmc_ctx {
	int fd;
	struct kmsgq_ring r;
	unsigned int nr_prod;	/* in place; producer nr_prod is the copy one */
	unsigned int nr_cons;	/* in place; consumer nr_cons is the copy one */
	__u32 per_prod;
	bool use_poll;
	struct mpmc_shared *sh;
};

static __u32 mpmc_len(__u32 producer, __u32 seq)
{
	uint64_t s = ((uint64_t)producer << 32 | seq) + 0x9e3779b97f4a7c15ULL;

	return sizeof(struct mpmc_hdr) +
	       rnd(&s) % (MPMC_MSGSIZE - sizeof(struct mpmc_hdr) + 1);
}

static __u32 mpmc_sum(const struct mpmc_hdr *h, const unsigned char *payload,
		      __u32 n)
{
	__u32 sum = 2166136261U, i;

	sum = (sum ^ h->producer) * 16777619U;
	sum = (sum ^ h->seq) * 16777619U;
	sum = (sum ^ h->len) * 16777619U;
	for (i = 0; i < n; i++)
		sum = (sum ^ payload[i]) * 16777619U;
	return sum;
}

/* Build message @seq of @producer in @buf: its length. */
static __u32 mpmc_build(void *buf, __u32 producer, __u32 seq)
{
	struct mpmc_hdr h = { .producer = producer, .seq = seq };
	unsigned char *payload = (unsigned char *)buf + sizeof(h);
	__u32 i, n;

	h.len = producer == MPMC_STOP ? sizeof(h) : mpmc_len(producer, seq);
	n = h.len - sizeof(h);
	for (i = 0; i < n; i++)
		payload[i] = (unsigned char)(producer * 31 + seq * 7 + i);
	h.sum = mpmc_sum(&h, payload, n);
	memcpy(buf, &h, sizeof(h));
	return h.len;
}

static void mpmc_error(struct mpmc_shared *sh, unsigned int *counter,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void mpmc_error(struct mpmc_shared *sh, unsigned int *counter,
		       const char *fmt, ...)
{
	static const char none[sizeof(sh->first_error)];
	va_list ap;

	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	if (memcmp(sh->first_error, none, sizeof(none)))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->first_error, sizeof(sh->first_error), fmt, ap);
	va_end(ap);
}

/*
 * In a consumer: judge one message.  @last holds, per producer, the last
 * sequence this consumer took (or -1).  Returns true for a stop message.
 */
static bool mpmc_check(struct mpmc_ctx *c, unsigned int cons,
		       long long *last, const void *buf, __u32 len)
{
	struct mpmc_shared *sh = c->sh;
	struct mpmc_hdr h;

	if (len < sizeof(h)) {
		mpmc_error(sh, &sh->corrupt, "consumer %u: %u-byte message",
			   cons, len);
		return false;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.producer == MPMC_STOP && h.len == sizeof(h))
		return true;
	if (h.len != len || h.producer > c->nr_prod ||
	    h.seq >= c->per_prod || h.len != mpmc_len(h.producer, h.seq) ||
	    h.sum != mpmc_sum(&h, (const unsigned char *)buf + sizeof(h),
			      len - sizeof(h))) {
		mpmc_error(sh, &sh->corrupt,
			   "consumer %u: corrupt message (producer %u seq %u len %u/%u)",
			   cons, h.producer, h.seq, h.len, len);
		return false;
	}
	if ((long long)h.seq <= last[h.producer])
		mpmc_error(sh, &sh->misordered,
			   "consumer %u: producer %u seq %u after %lld",
			   cons, h.producer, h.seq, last[h.producer]);
	last[h.producer] = h.seq;
	if (__atomic_fetch_add(&sh->seen[h.producer][h.seq], 1,
			       __ATOMIC_RELAXED))
		mpmc_error(sh, &sh->duplicated,
			   "consumer %u: producer %u seq %u seen twice",
			   cons, h.producer, h.seq);
	sh->taken[cons]++;
	return false;
}

/* In a worker: sleep until the ring is @events, or count a stall. */
static bool mpmc_sleep(struct mpmc_ctx *c, unsigned int events)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, STALL_NS);
	struct pollfd pfd = { .fd = c->fd };
	int ret;

	if (c->use_poll) {
		pfd.events = events == KMSGQ_RING_READABLE ? POLLIN : POLLOUT;
		ret = poll(&pfd, 1, STALL_MS);
		if (ret > 0)
			return true;
		ret = ret ? -errno : -ETIMEDOUT;
	} else {
		ret = kmsgq_ring_wait(&c->r, events, CLOCK_MONOTONIC, &dl);
		if (ret > 0)
			return true;
	}
	if (ret == -EINTR)
		return true;
	mpmc_error(c->sh, &c->sh->stalls, "pid %d: waiting for %s: %s",
		   getpid(), events == KMSGQ_RING_READABLE ? "a message" :
		   "a free slot", strerror(-ret));
	return false;
}

static void __attribute__((noreturn))
mpmc_producer_in_place(struct mpmc_ctx *c, unsigned int id)
{
	struct kmsgq_ring *r = &c->r;
	uint64_t s = 0x1234 + id;
	uint32_t pos, i, n;
	__u32 seq = 0, len;
	int ret;

	while (seq < c->per_prod) {
		n = 1 + rnd(&s) % MPMC_BATCH;
		if (n > c->per_prod - seq)
			n = c->per_prod - seq;
		n = kmsgq_ring_reserve(r, n, &pos);
		if (!n) {
			if (!mpmc_sleep(c, KMSGQ_RING_WRITABLE))
				_exit(1);
			continue;
		}
		for (i = 0; i < n; i++, seq++) {
			len = mpmc_build(kmsgq_ring_slot(r, pos + i), id, seq);
			kmsgq_ring_commit(r, pos + i, len);
		}
		ret = kmsgq_ring_commit_done(r);
		if (ret) {
			mpmc_error(c->sh, &c->sh->failures,
				   "producer %u: commit_done: %s", id,
				   strerror(-ret));
			_exit(1);
		}
	}
	_exit(0);
}

static void __attribute__((noreturn))
mpmc_consumer_in_place(struct mpmc_ctx *c, unsigned int id)
{
	struct kmsgq_ring *r = &c->r;
	long long last[MPMC_MAX_PROD + 1];
	uint64_t s = 0x5678 + id;
	bool stop = false;
	const void *p;
	uint32_t pos, len, i, n;
	int ret;

	for (i = 0; i <= MPMC_MAX_PROD; i++)
		last[i] = -1;
	while (!stop) {
		n = kmsgq_ring_claim(r, 1 + rnd(&s) % MPMC_BATCH, &pos);
		if (!n) {
			if (!mpmc_sleep(c, KMSGQ_RING_READABLE))
				_exit(1);
			continue;
		}
		for (i = 0; i < n; i++) {
			p = kmsgq_ring_msg(r, pos + i, &len);
			if (!p)
				mpmc_error(c->sh, &c->sh->empty_slots,
					   "consumer %u: slot without a message",
					   id);
			else if (mpmc_check(c, id, last, p, len))
				stop = true;
		}
		kmsgq_ring_release(r, pos, n);
		ret = kmsgq_ring_release_done(r);
		if (ret) {
			mpmc_error(c->sh, &c->sh->failures,
				   "consumer %u: release_done: %s", id,
				   strerror(-ret));
			_exit(1);
		}
	}
	_exit(0);
}

/* Copy mode: kmsgq_send_batch() with a deadline, as many as it takes. */
static void __attribute__((noreturn))
mpmc_producer_copy(struct mpmc_ctx *c, unsigned int id)
{
	static unsigned char bufs[MPMC_BATCH][MPMC_MSGSIZE];
	struct kmsgq_msg m[MPMC_BATCH];
	uint64_t s = 0x9abc;
	struct timespec dl;
	__u32 seq = 0, i, n;
	int ret;

	while (seq < c->per_prod) {
		n = 1 + rnd(&s) % MPMC_BATCH;
		if (n > c->per_prod - seq)
			n = c->per_prod - seq;
		for (i = 0; i < n; i++)
			m[i] = (struct kmsgq_msg){
				.buf = (uintptr_t)bufs[i],
				.len = mpmc_build(bufs[i], id, seq + i),
			};
		dl = deadline_in(CLOCK_MONOTONIC, STALL_NS);
		if (n == 1)
			ret = kmsgq_timedsend(c->fd, bufs[0], m[0].len, 0,
					      CLOCK_MONOTONIC, &dl) ?: 1;
		else
			ret = kmsgq_send_batch(c->fd, m, n, 0,
					       CLOCK_MONOTONIC, &dl);
		if (ret < 0) {
			mpmc_error(c->sh, ret == -ETIMEDOUT ? &c->sh->stalls :
				   &c->sh->failures,
				   "copy producer: send: %s", strerror(-ret));
			_exit(1);
		}
		seq += ret;
		c->sh->copy_sent += ret;
	}
	_exit(0);
}

/* Copy mode: kmsgq_receive_batch() or kmsgq_timedreceive(). */
static void __attribute__((noreturn))
mpmc_consumer_copy(struct mpmc_ctx *c, unsigned int id)
{
	static unsigned char bufs[MPMC_BATCH][MPMC_MSGSIZE];
	long long last[MPMC_MAX_PROD + 1];
	struct kmsgq_msg m[MPMC_BATCH];
	uint64_t s = 0xdef0;
	struct timespec dl;
	bool stop = false;
	__u32 i, n;
	int ret;

	for (i = 0; i <= MPMC_MAX_PROD; i++)
		last[i] = -1;
	while (!stop) {
		n = 1 + rnd(&s) % MPMC_BATCH;
		for (i = 0; i < n; i++)
			m[i] = (struct kmsgq_msg){
				.buf = (uintptr_t)bufs[i],
				.len = MPMC_MSGSIZE,
			};
		dl = deadline_in(CLOCK_MONOTONIC, STALL_NS);
		if (n == 1) {
			ret = kmsgq_timedreceive(c->fd, bufs[0], MPMC_MSGSIZE,
						 NULL, CLOCK_MONOTONIC, &dl);
			if (ret >= 0) {
				m[0].len = ret;
				ret = 1;
			}
		} else {
			ret = kmsgq_receive_batch(c->fd, m, n, 0,
						  CLOCK_MONOTONIC, &dl);
		}
		if (ret < 0) {
			mpmc_error(c->sh, ret == -ETIMEDOUT ? &c->sh->stalls :
				   &c->sh->failures,
				   "copy consumer: receive: %s", strerror(-ret));
			_exit(1);
		}
		c->sh->copy_recvd += ret;
		for (i = 0; i < (__u32)ret; i++)
			if (mpmc_check(c, id, last, bufs[i], m[i].len))
				stop = true;
	}
	_exit(0);
}

FIXTURE(mpmc) {
	char name[KMSGQ_NAME_MAX];
	struct mpmc_ctx c;
	struct kids w;
};

FIXTURE_VARIANT(mpmc) {
	unsigned int nr_prod;
	unsigned int nr_cons;
	bool use_poll;
};

FIXTURE_VARIANT_ADD(mpmc, two_by_two_with_ring_wait) {
	.nr_prod = 2, .nr_cons = 2, .use_poll = false,
};

FIXTURE_VARIANT_ADD(mpmc, four_by_four_with_ring_wait) {
	.nr_prod = 4, .nr_cons = 4, .use_poll = false,
};

FIXTURE_VARIANT_ADD(mpmc, three_by_three_with_poll) {
	.nr_prod = 3, .nr_cons = 3, .use_poll = true,
};

FIXTURE_SETUP(mpmc)
{
	struct mpmc_ctx *c = &self->c;
	int ret;

	c->fd = -1;
	c->r.map = NULL;
	c->sh = MAP_FAILED;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);
	c->fd = create_ring(self->name, "kmsgq-mpmc", MPMC_DEPTH,
			    MPMC_MSGSIZE);
	ASSERT_LE(0, c->fd) TH_LOG("creating the ring: %s", strerror(-c->fd));
	ret = kmsgq_ring_map(c->fd, &c->r);
	ASSERT_EQ(0, ret) TH_LOG("kmsgq_ring_map: %s", strerror(-ret));
	c->sh = mmap(NULL, sizeof(*c->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c->sh);
	c->nr_prod = variant->nr_prod;
	c->nr_cons = variant->nr_cons;
	c->use_poll = variant->use_poll;
	c->per_prod = (MPMC_TOTAL + c->nr_prod) / (c->nr_prod + 1);
	ASSERT_GE(MPMC_PER_MAX, c->per_prod);
}

FIXTURE_TEARDOWN(mpmc)
{
	kids_kill(&self->w);
	if (self->c.sh != MAP_FAILED)
		munmap(self->c.sh, sizeof(*self->c.sh));
	if (self->c.r.map)
		kmsgq_ring_unmap(&self->c.r);
	if (self->c.fd >= 0) {
		close(self->c.fd);
		kmsgq_unlink(self->name);
	}
}

TEST_F_TIMEOUT(mpmc, every_message_arrives_once_intact_and_in_producer_order,
	       600)
{
	struct mpmc_ctx *c = &self->c;
	struct mpmc_shared *sh = c->sh;
	unsigned char stop[sizeof(struct mpmc_hdr)];
	unsigned long long taken = 0;
	struct kmsgq_stats st;
	struct timespec dl;
	unsigned int i, p, missing = 0;
	__u32 seq, len;
	pid_t pid, who;
	int status;

	/* Consumers first, then producers: ids are fixed by their roles. */
	for (i = 0; i <= c->nr_cons; i++) {
		pid = kids_fork(&self->w);
		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (i < c->nr_cons)
				mpmc_consumer_in_place(c, i);
			mpmc_consumer_copy(c, i);
		}
	}
	for (i = 0; i <= c->nr_prod; i++) {
		pid = kids_fork(&self->w);
		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (i < c->nr_prod)
				mpmc_producer_in_place(c, i);
			mpmc_producer_copy(c, i);
		}
	}
	for (i = 0; i <= c->nr_prod; i++) {
		pid = self->w.pid[c->nr_cons + 1 + i];
		EXPECT_TRUE(exited_ok(kids_reap(&self->w, pid)))
			TH_LOG("producer %u failed: %s", i, sh->first_error);
	}

	/*
	 * Every message is in; stop the consumers one at a time, so that no
	 * batch can take two stop messages.
	 */
	len = mpmc_build(stop, MPMC_STOP, 0);
	for (i = 0; i <= c->nr_cons; i++) {
		dl = deadline_in(CLOCK_MONOTONIC, STALL_NS);
		ASSERT_EQ(0, kmsgq_timedsend(c->fd, stop, len, 0,
					     CLOCK_MONOTONIC, &dl));
		who = kids_wait(&self->w, -1, &status);
		EXPECT_TRUE(who > 0 && exited_ok(status))
			TH_LOG("consumer %d failed: %s", who, sh->first_error);
		ASSERT_LT(0, who);
	}

	EXPECT_EQ(0, sh->corrupt) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->misordered) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->duplicated) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->empty_slots) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->stalls) TH_LOG("%s", sh->first_error);
	EXPECT_EQ(0, sh->failures) TH_LOG("%s", sh->first_error);
	for (p = 0; p <= c->nr_prod; p++)
		for (seq = 0; seq < c->per_prod; seq++)
			if (sh->seen[p][seq] != 1 && missing++ < 5)
				TH_LOG("producer %u seq %u seen %u times", p,
				       seq, sh->seen[p][seq]);
	EXPECT_EQ(0, missing);
	for (i = 0; i <= c->nr_cons; i++)
		taken += sh->taken[i];
	EXPECT_EQ((unsigned long long)c->per_prod * (c->nr_prod + 1), taken);
	/* Both the copy consumer and at least one in-place one did work. */
	EXPECT_LT(0, sh->taken[c->nr_cons]);

	ASSERT_EQ(0, kmsgq_stats(c->fd, &st));
	EXPECT_EQ(0, st.cur_msgs);
	EXPECT_EQ(0, st.send_waiters);
	EXPECT_EQ(0, st.recv_waiters);
	EXPECT_EQ(sh->copy_sent + c->nr_cons + 1, st.msgs_sent);
	EXPECT_EQ(sh->copy_recvd, st.msgs_recv);
	EXPECT_EQ(c->per_prod, sh->copy_sent);
}

/* ==== hostile: a mapper that scribbles over everything ==== */

/*
 * A new ring queue starts empty, with every slot at its index, and moves
 * messages in place and in copy mode.
 */
static void fresh_ring_works(struct __test_metadata *_metadata)
{
	char name[KMSGQ_NAME_MAX], buf[64];
	uint32_t pos = 0, len = 0;
	struct kmsgq_ring r;
	int fd, i;

	fd = create_ring(name, "kmsgq-fresh", 8, 64);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_ring_map(fd, &r));
	EXPECT_EQ(0, *r.prod);
	EXPECT_EQ(0, *r.cons);
	EXPECT_EQ(0, *r.wakeup);
	for (i = 0; i < (int)r.nr_slots; i++) {
		EXPECT_EQ(i, *desc_seq(&r, i));
	}
	EXPECT_EQ(0, kmsgq_send(fd, "fresh", 5, 0));
	EXPECT_EQ(1, kmsgq_ring_claim(&r, 1, &pos));
	EXPECT_EQ(r.data, kmsgq_ring_msg(&r, pos, &len));
	EXPECT_EQ(5, len);
	EXPECT_EQ(0, memcmp(r.data, "fresh", 5));
	kmsgq_ring_release(&r, pos, 1);
	EXPECT_EQ(1, kmsgq_ring_reserve(&r, 1, &pos));
	memcpy(kmsgq_ring_slot(&r, pos), "again", 5);
	kmsgq_ring_commit(&r, pos, 5);
	EXPECT_EQ(0, kmsgq_ring_commit_done(&r));
	EXPECT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "again", 5));
	kmsgq_ring_unmap(&r);
	kmsgq_unlink(name);
	close(fd);
}

#define HOSTILE_DEPTH		16
#define HOSTILE_MSGSIZE		100	/* asked for; slots are 128 bytes */
#define HOSTILE_SLOTSIZE	128	/* max_msgsize after rounding */
#define HOSTILE_PASSES		2000	/* over the whole mapping */
#define HOSTILE_SHORT_NS	(5 * NSEC_PER_MSEC)
/* A worker still running this long after the scribbler is done is stuck. */
#define HOSTILE_REAP_MS		60000
#define HOSTILE_CANARY		0x5a

enum hostile_role {
	ROLE_SCRIBBLER,
	ROLE_COPY_PRODUCER,
	ROLE_COPY_CONSUMER,
	ROLE_WAITER,
	ROLE_IN_PLACE,
	NR_ROLES,
};

static const char *const role_name[NR_ROLES] = {
	"scribbler", "copy producer", "copy consumer", "waiter", "in-place",
};

struct hostile_shared {
	unsigned int enough;		/* HOSTILE_PASSES done: wind down */
	unsigned int workers_started;	/* workers set up, in their loops */
	unsigned int in_place_done;	/* in-place workers finished */
	unsigned int scribbler_done;	/* the scribbler stopped */
	unsigned long long passes;
	unsigned long long calls[NR_ROLES];
	unsigned long long ok[NR_ROLES];	/* calls that moved something */
	unsigned int bad;
	char first_error[160];
};

FIXTURE(hostile) {
	char name[KMSGQ_NAME_MAX];
	int fd;
	struct hostile_shared *sh;
	struct kids w;
};

FIXTURE_SETUP(hostile)
{
	self->fd = -1;
	self->sh = MAP_FAILED;
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);
	self->fd = create_ring(self->name, "kmsgq-hostile", HOSTILE_DEPTH,
			       HOSTILE_MSGSIZE);
	ASSERT_LE(0, self->fd) TH_LOG("creating the ring: %s",
				      strerror(-self->fd));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(hostile)
{
	kids_kill(&self->w);
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
	if (self->fd >= 0) {
		close(self->fd);
		kmsgq_unlink(self->name);
	}
}

static void hostile_bad(struct hostile_shared *sh, enum hostile_role role,
			const char *what, long long ret)
{
	if (__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED))
		return;
	snprintf(sh->first_error, sizeof(sh->first_error),
		 "%s: %s returned %lld (%s)", role_name[role], what, ret,
		 ret < 0 ? strerror((int)-ret) : "out of range");
}

/* A plausible lie about a length: around every bound that matters. */
static __u32 hostile_len(uint64_t *s)
{
	static const __u32 lens[] = {
		0, 1, HOSTILE_MSGSIZE, HOSTILE_MSGSIZE + 1, 127, 128, 129,
		0x7fffffff, 0x80000000, 0xffffffff,
	};

	if (rnd(s) % 4 == 0)
		return (__u32)rnd(s);
	return lens[rnd(s) % ARRAY_SIZE(lens)];
}

/*
 * Scribble HOSTILE_PASSES passes, and at least a quarter of that since
 * all @nr_workers other workers started (on a slow kernel the last forked
 * may start after the passes are done), then on until every in-place
 * worker has noticed and finished, so that none is left alone with a
 * frozen lie.
 *
 * A pass writes random words over every byte of the mapping (header,
 * positions, wakeup word, descriptors, payloads), then sets up a state
 * that looks plausible: usually lies (positions near each other, slots
 * that look free, ready or a lap ahead, lengths around every bound), every
 * eighth pass an honest empty ring at a random position so that honest
 * users get some work done.  It lets that state stand while it scribbles
 * over the payloads only.  Now and then it also asks the kernel to wake
 * and to wait, and drops its pages (MADV_DONTNEED) to fault them back.
 */
static void __attribute__((noreturn))
hostile_scribbler(struct hostile_shared *sh, const char *name,
		  unsigned int nr_workers, unsigned int nr_in_place)
{
	struct kmsgq_ring r;
	uint64_t s = 0xbad5eed, *w;
	uint32_t p, c, i, pos, seq;
	size_t k, data, words;
	unsigned int live = 0;		/* passes since the last one started */
	struct timespec dl;
	int fd, round;

	fd = kmsgq_open(name, O_RDWR, 0, NULL);
	if (fd < 0 || kmsgq_ring_map(fd, &r))
		_exit(1);
	w = r.map;
	words = r.map_size / sizeof(*w);
	data = (r.data - (unsigned char *)r.map) / sizeof(*w);
	while (sh->passes < HOSTILE_PASSES ||
	       __atomic_load_n(&sh->in_place_done, __ATOMIC_ACQUIRE) <
	       nr_in_place) {
		if (sh->passes >= HOSTILE_PASSES &&
		    live >= HOSTILE_PASSES / 4)
			__atomic_store_n(&sh->enough, 1, __ATOMIC_RELEASE);
		if (__atomic_load_n(&sh->workers_started, __ATOMIC_ACQUIRE) ==
		    nr_workers)
			live++;
		for (k = 0; k < words; k++)
			__atomic_store_n(&w[k], rnd(&s), __ATOMIC_RELAXED);

		p = (uint32_t)rnd(&s);
		c = sh->passes % 8 ? p - rnd(&s) % (r.nr_slots + 2) : p;
		for (i = 0; i < r.nr_slots; i++) {
			pos = (sh->passes % 8 && rnd(&s) & 1 ? c : p) + i;
			seq = pos;				/* free */
			if (sh->passes % 8) {
				switch (rnd(&s) % 4) {
				case 0:
					seq = pos + 1;		/* ready */
					break;
				case 1:
					seq = pos + r.nr_slots;	/* a lap on */
					break;
				case 2:
					seq = (uint32_t)rnd(&s);
					break;
				}
			}
			__atomic_store_n(desc_len(&r, pos), hostile_len(&s),
					 __ATOMIC_RELAXED);
			__atomic_store_n(desc_seq(&r, pos), seq,
					 __ATOMIC_RELEASE);
			/* A reclaiming ring's claims, made up too. */
			if (r.rdesc)
				__atomic_store_n(&r.rdesc[pos & r.mask].owner,
						 rnd(&s) % 3 ? 0 :
						 (uint32_t)rnd(&s),
						 __ATOMIC_RELEASE);
		}
		__atomic_store_n(r.wakeup,
				 sh->passes % 8 ? (uint32_t)rnd(&s) & 3 : 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(r.cons, c, __ATOMIC_RELAXED);
		__atomic_store_n(r.prod, p, __ATOMIC_RELAXED);

		for (round = 0; round < 8; round++)
			for (k = data; k < words; k++)
				__atomic_store_n(&w[k], rnd(&s),
						 __ATOMIC_RELAXED);

		if (sh->passes % 64 == 0) {
			kmsgq_ring_wake(&r, KMSGQ_RING_READABLE |
					    KMSGQ_RING_WRITABLE);
			dl = deadline_in(CLOCK_MONOTONIC, NSEC_PER_MSEC);
			kmsgq_ring_wait(&r, rnd(&s) & 1 ? KMSGQ_RING_READABLE :
					    KMSGQ_RING_WRITABLE,
					CLOCK_MONOTONIC, &dl);
		}
		if (sh->passes % 256 == 128)
			madvise(r.map, r.map_size, MADV_DONTNEED);
		sh->passes++;
	}
	__atomic_store_n(&sh->scribbler_done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

/* A worker is set up: the scribbler's last passes are with it. */
static void hostile_started(struct hostile_shared *sh)
{
	__atomic_fetch_add(&sh->workers_started, 1, __ATOMIC_RELEASE);
}

static bool scribbler_done(struct hostile_shared *sh)
{
	return __atomic_load_n(&sh->scribbler_done, __ATOMIC_ACQUIRE);
}

/*
 * Copy-mode sends with short deadlines, KMSGQ_XFER_NONBLOCK, or write() on
 * @nbfd (O_NONBLOCK): only clean outcomes.
 */
static void __attribute__((noreturn))
hostile_copy_producer(struct hostile_shared *sh, int fd, int nbfd)
{
	unsigned char buf[HOSTILE_MSGSIZE];
	struct kmsgq_msg m[4];
	uint64_t s = 0x1111 + getpid();
	struct timespec dl;
	unsigned int i, n;
	__u32 len;
	int ret;

	memset(buf, 'p', sizeof(buf));
	hostile_started(sh);
	while (!scribbler_done(sh)) {
		len = rnd(&s) % (HOSTILE_MSGSIZE + 1);
		dl = deadline_in(CLOCK_MONOTONIC, HOSTILE_SHORT_NS);
		switch (rnd(&s) % 3) {
		case 0:
			ret = kmsgq_timedsend(fd, buf, len, 0,
					      CLOCK_MONOTONIC, &dl);
			n = 1;
			break;
		case 1:
			n = 1 + rnd(&s) % 4;
			for (i = 0; i < n; i++)
				m[i] = (struct kmsgq_msg){
					.buf = (uintptr_t)buf, .len = len };
			ret = kmsgq_send_batch(fd, m, n, KMSGQ_XFER_NONBLOCK,
					       CLOCK_MONOTONIC, NULL);
			break;
		default:
			ret = write(nbfd, buf, len);
			ret = ret < 0 ? -errno : ret == (int)len ? 0 : -EIO;
			n = 1;
			break;
		}
		sh->calls[ROLE_COPY_PRODUCER]++;
		if (ret >= 0 && ret <= (int)n)
			sh->ok[ROLE_COPY_PRODUCER]++;
		else if (ret != -EAGAIN && ret != -ETIMEDOUT)
			hostile_bad(sh, ROLE_COPY_PRODUCER, "send", ret);
	}
	_exit(0);
}

/*
 * Copy-mode receives with short deadlines, KMSGQ_XFER_NONBLOCK, or read()
 * on @nbfd (O_NONBLOCK).  Garbage payloads are allowed, and so are bytes
 * past the message but inside the buffer (a ring receive copies out before
 * it claims, and may lose the claim); a length beyond the buffer, a write
 * past it, or an error other than EAGAIN, ETIMEDOUT or EMSGSIZE is not.
 */
static void __attribute__((noreturn))
hostile_copy_consumer(struct hostile_shared *sh, int fd, int nbfd)
{
	/* The buffer, then canary bytes the kernel must not touch. */
	unsigned char buf[2 * 128];
	uint64_t s = 0x2222 + getpid();
	struct kmsgq_msg m;
	struct timespec dl;
	__u32 size;
	long long ret;
	unsigned int i;

	hostile_started(sh);
	while (!scribbler_done(sh)) {
		size = rnd(&s) & 1 ? HOSTILE_MSGSIZE : 128;
		memset(buf, HOSTILE_CANARY, sizeof(buf));
		dl = deadline_in(CLOCK_MONOTONIC, HOSTILE_SHORT_NS);
		switch (rnd(&s) % 3) {
		case 0:
			ret = kmsgq_timedreceive(fd, buf, size, NULL,
						 CLOCK_MONOTONIC, &dl);
			break;
		case 1:
			m = (struct kmsgq_msg){ .buf = (uintptr_t)buf,
						.len = size };
			ret = kmsgq_receive_batch(fd, &m, 1,
						  KMSGQ_XFER_NONBLOCK,
						  CLOCK_MONOTONIC, NULL);
			if (ret == 1)
				ret = m.len;
			else if (ret >= 0)
				ret = -EPROTO;
			break;
		default:
			ret = read(nbfd, buf, size);
			if (ret < 0)
				ret = -errno;
			break;
		}
		sh->calls[ROLE_COPY_CONSUMER]++;
		if (ret >= 0 && ret <= size) {
			sh->ok[ROLE_COPY_CONSUMER]++;
		} else if (ret != -EAGAIN && ret != -ETIMEDOUT &&
			   ret != -EMSGSIZE) {
			hostile_bad(sh, ROLE_COPY_CONSUMER, "receive", ret);
			continue;
		}
		for (i = size; i < sizeof(buf); i++) {
			if (buf[i] != HOSTILE_CANARY) {
				hostile_bad(sh, ROLE_COPY_CONSUMER,
					    "receive wrote past the buffer, it",
					    ret);
				break;
			}
		}
	}
	_exit(0);
}

/*
 * KMSGQ_IOC_RING_WAIT itself: kmsgq_ring_wait() would first poll the
 * (scribbled) mapping, and this worker is here to drive the kernel's sleep.
 */
static int raw_ring_wait(int fd, unsigned int events,
			 const struct timespec *dl)
{
	return ring_ioctl(fd, KMSGQ_IOC_RING_WAIT, KMSGQ_XFER_TIMEOUT, events,
			  CLOCK_MONOTONIC, dl->tv_sec, dl->tv_nsec);
}

/* Sleeps with short deadlines in ring_wait and poll: events or ETIMEDOUT. */
static void __attribute__((noreturn))
hostile_waiter(struct hostile_shared *sh, int fd)
{
	uint64_t s = 0x3333;
	struct pollfd pfd = { .fd = fd };
	struct timespec dl;
	unsigned int ev;
	int ret;

	hostile_started(sh);
	while (!scribbler_done(sh)) {
		ev = 1 + rnd(&s) % 3;	/* READABLE, WRITABLE or both */
		ev = (ev & 1 ? KMSGQ_RING_READABLE : 0) |
		     (ev & 2 ? KMSGQ_RING_WRITABLE : 0);
		if (rnd(&s) & 1) {
			dl = deadline_in(CLOCK_MONOTONIC, HOSTILE_SHORT_NS);
			ret = raw_ring_wait(fd, ev, &dl);
			if (ret > 0 && (ret & ~ev))
				ret = -EPROTO;
		} else {
			pfd.events = (ev & KMSGQ_RING_READABLE ? POLLIN : 0) |
				     (ev & KMSGQ_RING_WRITABLE ? POLLOUT : 0);
			ret = poll(&pfd, 1, 5);
			if (ret < 0)
				ret = -errno;
			else if (!ret)
				ret = -ETIMEDOUT;
			else if (pfd.revents & ~pfd.events)
				ret = -EPROTO;
		}
		sh->calls[ROLE_WAITER]++;
		if (ret > 0)
			sh->ok[ROLE_WAITER]++;
		else if (ret != -ETIMEDOUT)
			hostile_bad(sh, ROLE_WAITER, "wait", ret);
	}
	_exit(0);
}

/*
 * An honest in-place producer and consumer in one: it must not crash,
 * whatever it reads.  Lengths it is given must be within the slot.
 */
static void __attribute__((noreturn))
hostile_in_place(struct hostile_shared *sh, int fd)
{
	struct kmsgq_ring r;
	uint64_t s = 0x4444 + getpid();
	volatile unsigned char sink = 0;
	const unsigned char *p;
	uint32_t pos, len, k, n;
	int ret;

	if (kmsgq_ring_map(fd, &r))
		_exit(1);
	hostile_started(sh);
	do {
		n = kmsgq_ring_reserve(&r, 1 + rnd(&s) % 4, &pos);
		for (k = 0; k < n; k++) {
			memset(kmsgq_ring_slot(&r, pos + k), 'i', r.slot_size);
			kmsgq_ring_commit(&r, pos + k,
					  rnd(&s) % (HOSTILE_MSGSIZE + 1));
		}
		ret = kmsgq_ring_commit_done(&r);
		if (ret)
			hostile_bad(sh, ROLE_IN_PLACE, "commit_done", ret);
		n = kmsgq_ring_claim(&r, 1 + rnd(&s) % 4, &pos);
		for (k = 0; k < n; k++) {
			p = kmsgq_ring_msg(&r, pos + k, &len);
			if (!p)
				continue;
			if (len > r.slot_size)
				hostile_bad(sh, ROLE_IN_PLACE,
					    "kmsgq_ring_msg length", len);
			else
				sink ^= p[0] ^ p[len ? len - 1 : 0];
		}
		kmsgq_ring_release(&r, pos, n);
		ret = kmsgq_ring_release_done(&r);
		if (ret)
			hostile_bad(sh, ROLE_IN_PLACE, "release_done", ret);
		sh->calls[ROLE_IN_PLACE]++;
		if (n)
			sh->ok[ROLE_IN_PLACE]++;
	} while (!__atomic_load_n(&sh->enough, __ATOMIC_ACQUIRE));
	(void)sink;
	__atomic_fetch_add(&sh->in_place_done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

#define HOSTILE_IN_PLACE_WORKERS	2

/* Log one /proc/<pid>/@what file of a stuck worker. */
static void log_proc(struct __test_metadata *_metadata, pid_t pid,
		     const char *what)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		TH_LOG("%s: %s", path, buf);
	}
}

/*
 * Reap a worker that should exit by itself within @ms: true if it exited
 * with status 0.  If it does not, say where it is stuck (teardown kills it).
 */
static bool reap_worker_within(struct __test_metadata *_metadata,
			       struct kids *w, pid_t pid, int ms,
			       const char *who)
{
	int status = reap_within(pid, ms);

	if (status == -ETIMEDOUT) {
		TH_LOG("%s (pid %d) still running after %d ms", who, pid, ms);
		log_proc(_metadata, pid, "stat");
		log_proc(_metadata, pid, "syscall");
		log_proc(_metadata, pid, "stack");
		return false;
	}
	if (status >= 0)
		kids_forget(w, pid);
	return exited_ok(status);
}

TEST_F_TIMEOUT(hostile, honest_users_and_kernel_survive_a_scribbling_mapper,
	       300)
{
	static const enum hostile_role roles[] = {
		ROLE_SCRIBBLER, ROLE_COPY_PRODUCER, ROLE_COPY_PRODUCER,
		ROLE_COPY_CONSUMER, ROLE_COPY_CONSUMER, ROLE_WAITER,
		ROLE_IN_PLACE, ROLE_IN_PLACE,
	};
	struct hostile_shared *sh = self->sh;
	unsigned int i, nr = ARRAY_SIZE(roles);
	pid_t pid[ARRAY_SIZE(roles)];
	int fd, nbfd;

	for (i = 0; i < nr; i++) {
		pid[i] = kids_fork(&self->w);
		ASSERT_LE(0, pid[i]);
		if (pid[i])
			continue;
		/* Each worker binds its own file, as separate programs would. */
		fd = kmsgq_open(self->name, O_RDWR, 0, NULL);
		nbfd = kmsgq_open(self->name, O_RDWR | O_NONBLOCK, 0, NULL);
		if (fd < 0 || nbfd < 0)
			_exit(1);
		switch (roles[i]) {
		case ROLE_SCRIBBLER:
			close(fd);
			close(nbfd);
			hostile_scribbler(sh, self->name, nr - 1,
					  HOSTILE_IN_PLACE_WORKERS);
		case ROLE_COPY_PRODUCER:
			hostile_copy_producer(sh, fd, nbfd);
		case ROLE_COPY_CONSUMER:
			hostile_copy_consumer(sh, fd, nbfd);
		case ROLE_WAITER:
			hostile_waiter(sh, fd);
		default:
			hostile_in_place(sh, fd);
		}
	}
	/* The scribbler first: it ends the others' work. */
	for (i = 0; i < nr; i++) {
		EXPECT_TRUE(reap_worker_within(_metadata, &self->w, pid[i],
					       i ? HOSTILE_REAP_MS :
					       2 * HOSTILE_REAP_MS,
					       role_name[roles[i]]));
	}
	EXPECT_EQ(0, sh->bad) TH_LOG("%s", sh->first_error);
	EXPECT_LE(HOSTILE_PASSES, sh->passes);
	for (i = ROLE_COPY_PRODUCER; i < NR_ROLES; i++)
		TH_LOG("%s: %llu calls, %llu moved something", role_name[i],
		       sh->calls[i], sh->ok[i]);
	EXPECT_LT(0, sh->calls[ROLE_COPY_PRODUCER]);
	EXPECT_LT(0, sh->calls[ROLE_COPY_CONSUMER]);
	EXPECT_LT(0, sh->calls[ROLE_IN_PLACE]);
	EXPECT_LT(0, sh->calls[ROLE_WAITER]);

	/* The scribbled queue goes; a fresh one starts clean and works. */
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	fresh_ring_works(_metadata);
}

TEST_F_TIMEOUT(hostile, scribbled_ring_leaves_kernel_calls_bounded_and_sane,
	       120)
{
	unsigned char buf[2 * 128];
	struct kmsgq_stats st;
	struct kmsgq_attr attr;
	struct kmsgq_msg m;
	struct kmsgq_ring r;
	struct timespec dl;
	uint64_t s = 0x5555, *w;
	long long ret;
	size_t k;
	int round, i;

	ASSERT_EQ(0, kmsgq_ring_map(self->fd, &r));
	/* Many frozen states of lies: every kernel call must come back. */
	for (round = 0; round < 200; round++) {
		w = r.map;
		for (k = 0; k < r.map_size / sizeof(*w); k++)
			w[k] = rnd(&s);
		if (round % 2) {
			/* Positions close together: more paths are taken. */
			*r.prod = (uint32_t)rnd(&s);
			*r.cons = *r.prod - rnd(&s) % (r.nr_slots + 2);
			for (i = 0; i < (int)r.nr_slots; i++) {
				*desc_seq(&r, i) = *r.cons + i + rnd(&s) % 2;
				*desc_len(&r, i) = hostile_len(&s);
			}
		}
		ret = kmsgq_send_batch(self->fd, &(struct kmsgq_msg){
			.buf = (uintptr_t)"abc", .len = 3 }, 1,
			KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL);
		EXPECT_TRUE(ret == 1 || ret == -EAGAIN) TH_LOG("send %lld", ret);
		memset(buf, HOSTILE_CANARY, sizeof(buf));
		m = (struct kmsgq_msg){ .buf = (uintptr_t)buf, .len = 128 };
		ret = kmsgq_receive_batch(self->fd, &m, 1, KMSGQ_XFER_NONBLOCK,
					  CLOCK_MONOTONIC, NULL);
		EXPECT_TRUE(ret == 1 || ret == -EAGAIN || ret == -EMSGSIZE)
			TH_LOG("receive %lld", ret);
		if (ret == 1) {
			EXPECT_GE(128, m.len);
			EXPECT_EQ(HOSTILE_CANARY, buf[128]);
		}
		dl = deadline_in(CLOCK_MONOTONIC, NSEC_PER_MSEC);
		ret = kmsgq_timedreceive(self->fd, buf, 128, NULL,
					 CLOCK_MONOTONIC, &dl);
		EXPECT_TRUE((ret >= 0 && ret <= 128) || ret == -ETIMEDOUT ||
			    ret == -EMSGSIZE) TH_LOG("timed receive %lld", ret);
		dl = deadline_in(CLOCK_MONOTONIC, NSEC_PER_MSEC);
		ret = kmsgq_timedsend(self->fd, "abc", 3, 0, CLOCK_MONOTONIC,
				      &dl);
		EXPECT_TRUE(ret == 0 || ret == -ETIMEDOUT)
			TH_LOG("timed send %lld", ret);
		dl = deadline_in(CLOCK_MONOTONIC, NSEC_PER_MSEC);
		ret = kmsgq_ring_wait(&r, KMSGQ_RING_READABLE |
					  KMSGQ_RING_WRITABLE,
				      CLOCK_MONOTONIC, &dl);
		EXPECT_TRUE(ret > 0 || ret == -ETIMEDOUT)
			TH_LOG("ring wait %lld", ret);
		ASSERT_EQ(0, kmsgq_stats(self->fd, &st));
		EXPECT_GE(HOSTILE_DEPTH, st.cur_msgs);
		ASSERT_EQ(0, kmsgq_getattr(self->fd, &attr));
		EXPECT_GE(HOSTILE_DEPTH, attr.cur_msgs);
		EXPECT_EQ(HOSTILE_DEPTH, attr.max_msgs);
		EXPECT_EQ(HOSTILE_SLOTSIZE, attr.max_msgsize);
	}
	ASSERT_EQ(0, kmsgq_ring_unmap(&r));
}

TEST(fresh_ring_works_after_a_scribbled_one_is_gone)
{
	char name[KMSGQ_NAME_MAX];
	struct kmsgq_ring r;
	uint64_t s = 1, *w;
	size_t k;
	int fd;

	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s is missing: kmsgq.ko is not loaded",
		     KMSGQ_DEVICE_PATH);
	fd = create_ring(name, "kmsgq-scribbled", 8, 64);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_ring_map(fd, &r));
	w = r.map;
	for (k = 0; k < r.map_size / sizeof(*w); k++)
		w[k] = rnd(&s);
	ASSERT_EQ(0, kmsgq_ring_unmap(&r));
	ASSERT_EQ(0, kmsgq_unlink(name));
	ASSERT_EQ(0, close(fd));
	fresh_ring_works(_metadata);
}

TEST_HARNESS_MAIN
