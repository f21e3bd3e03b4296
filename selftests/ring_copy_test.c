// SPDX-License-Identifier: GPL-2.0
/*
 * Description: copy-mode calls on a kmsgq ring queue (KMSGQ_OPEN_RING):
 * read(), write(), kmsgq_send(), kmsgq_receive() and their batch and
 * timed forms, and how they mix with in-place peers: one FIFO order, full
 * and empty rings without sleeping, short buffers, priorities, bad
 * addresses, statistics, and one message of each size through every way
 * in and out.
 *
 * What every ring test shares, and the rules its helper processes keep:
 * ring_test.h.
 */
#include "ring_test.h"

/* ==== ring: an 8-slot ring mapped read-write through q.fd ==== */

FIXTURE(ring) {
	struct rctx q;
};

FIXTURE_SETUP(ring)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(ring)
{
	rctx_teardown(&self->q);
}

/* -- ring: full and empty, without sleeping -- */

TEST_F(ring, nonblocking_write_on_full_ring_fails_with_eagain)
{
	int fd;

	fd = rctx_open(&self->q, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, kmsgq_send(fd, "x", 1, 0));
	EXPECT_EQ(RING_DEPTH, stats(self->q.fd).cur_msgs);
}

TEST_F(ring, per_call_nonblock_send_on_full_ring_fails_with_eagain)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)"x", .len = 1 };

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	EXPECT_EQ(-EAGAIN, kmsgq_send_batch(self->q.fd, &m, 1,
					    KMSGQ_XFER_NONBLOCK,
					    CLOCK_MONOTONIC, NULL));
}

TEST_F(ring, nonblocking_read_on_empty_ring_fails_with_eagain)
{
	char buf[RING_MSGSIZE];
	int fd;

	fd = rctx_open(&self->q, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, kmsgq_receive(fd, buf, sizeof(buf), NULL));
}

TEST_F(ring, timed_send_on_full_ring_fails_with_etimedout)
{
	struct timespec dl;

	ASSERT_EQ(RING_DEPTH, fill_ring(&self->q.r, 0));
	dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedsend(self->q.fd, "x", 1, 0,
					      CLOCK_MONOTONIC, &dl));
}

TEST_F(ring, timed_receive_on_empty_ring_fails_with_etimedout)
{
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, TIMEOUT_NS);
	char buf[RING_MSGSIZE];

	EXPECT_EQ(-ETIMEDOUT, kmsgq_timedreceive(self->q.fd, buf, sizeof(buf),
						 NULL, CLOCK_MONOTONIC, &dl));
}

/* -- ring: batches -- */

TEST_F(ring, batch_of_copy_sends_is_peeked_in_place_in_order)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_msg m[5];
	__u32 seq[5], i, len;
	uint32_t pos;
	const void *p;

	for (i = 0; i < 5; i++) {
		seq[i] = 100 + i;
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&seq[i],
					   .len = sizeof(seq[i]) };
	}
	ASSERT_EQ(5, kmsgq_send_batch(self->q.fd, m, 5, 0, CLOCK_MONOTONIC,
				      NULL));
	ASSERT_EQ(5, kmsgq_ring_claim(r, RING_DEPTH, &pos));
	for (i = 0; i < 5; i++) {
		p = kmsgq_ring_msg(r, pos + i, &len);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(sizeof(__u32), len);
		EXPECT_EQ(0, memcmp(p, &seq[i], sizeof(seq[i])));
	}
	kmsgq_ring_release(r, pos, 5);
}

TEST_F(ring, batch_of_in_place_commits_is_received_in_one_copy_call)
{
	struct kmsgq_ring *r = &self->q.r;
	struct kmsgq_msg m[RING_DEPTH];
	__u32 got[RING_DEPTH], i;
	uint32_t pos;

	ASSERT_EQ(6, kmsgq_ring_reserve(r, 6, &pos));
	for (i = 0; i < 6; i++) {
		memcpy(kmsgq_ring_slot(r, pos + i), &i, sizeof(i));
		kmsgq_ring_commit(r, pos + i, sizeof(i));
	}
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
	for (i = 0; i < RING_DEPTH; i++)
		m[i] = (struct kmsgq_msg){ .buf = (uintptr_t)&got[i],
					   .len = sizeof(got[i]) };
	ASSERT_EQ(6, kmsgq_receive_batch(self->q.fd, m, RING_DEPTH, 0,
					 CLOCK_MONOTONIC, NULL));
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(sizeof(__u32), m[i].len);
		EXPECT_EQ(0, m[i].prio);
		EXPECT_EQ(i, got[i]);
	}
}

/* -- ring: interplay with copy mode -- */

TEST_F(ring, copy_and_in_place_messages_keep_one_fifo_order)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 seq, got;
	unsigned int prio;
	ssize_t n;

	/* Producers alternate write, kmsgq_send, in place, ... */
	for (seq = 0; seq < 6; seq++) {
		if (seq % 3 == 0) {
			ASSERT_EQ(sizeof(seq), write(self->q.fd, &seq,
						     sizeof(seq)));
		} else if (seq % 3 == 1) {
			ASSERT_EQ(0, kmsgq_send(self->q.fd, &seq, sizeof(seq),
						0));
		} else {
			ASSERT_EQ(0, put_seq(r, seq));
		}
	}
	/* ... and consumers in place, read, kmsgq_receive. */
	for (seq = 0; seq < 6; seq++) {
		if (seq % 3 == 0) {
			EXPECT_EQ(seq, get_seq(r));
			continue;
		}
		prio = 99;
		if (seq % 3 == 1)
			n = read(self->q.fd, &got, sizeof(got));
		else
			n = kmsgq_receive(self->q.fd, &got, sizeof(got), &prio);
		EXPECT_EQ(sizeof(got), n);
		EXPECT_EQ(seq, got);
		if (seq % 3 == 2) {
			EXPECT_EQ(0, prio);
		}
	}
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(ring, read_into_short_buffer_fails_with_emsgsize_and_keeps_message)
{
	char msg[100], buf[RING_MSGSIZE];

	pattern(msg, sizeof(msg), 3);
	ASSERT_EQ(0, put_in_place(&self->q.r, msg, sizeof(msg)));
	EXPECT_EQ(-1, read(self->q.fd, buf, sizeof(msg) - 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive(self->q.fd, buf, 1, NULL));
	EXPECT_EQ(1, stats(self->q.fd).cur_msgs);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(sizeof(msg), get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_TRUE(pattern_ok(buf, sizeof(msg), 3));
}

TEST_F(ring, receive_ioctl_into_short_buffer_reports_needed_length)
{
	char msg[77], buf[8];
	struct kmsgq_msg m = { .buf = (uintptr_t)buf, .len = sizeof(buf) };

	pattern(msg, sizeof(msg), 4);
	ASSERT_EQ(0, put_in_place(&self->q.r, msg, sizeof(msg)));
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive_batch(self->q.fd, &m, 1, 0,
						 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(sizeof(msg), m.len);
	EXPECT_TRUE(ring_readable(&self->q.r));
}

TEST_F(ring, nonzero_priority_on_ring_fails_with_einval)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)"x", .len = 1, .prio = 1 };

	EXPECT_EQ(-EINVAL, kmsgq_send(self->q.fd, "x", 1, 1));
	EXPECT_EQ(-EINVAL, kmsgq_send(self->q.fd, "x", 1, KMSGQ_PRIO_MAX - 1));
	EXPECT_EQ(-EINVAL, kmsgq_send_batch(self->q.fd, &m, 1, 0,
					    CLOCK_MONOTONIC, NULL));
	EXPECT_FALSE(ring_readable(&self->q.r));
	EXPECT_EQ(0, stats(self->q.fd).msgs_sent);
}

TEST_F(ring, send_batch_stops_before_nonzero_priority)
{
	struct kmsgq_msg m[3] = {
		{ .buf = (uintptr_t)"a", .len = 1 },
		{ .buf = (uintptr_t)"b", .len = 1, .prio = 2 },
		{ .buf = (uintptr_t)"c", .len = 1 },
	};
	char buf[4];

	EXPECT_EQ(1, kmsgq_send_batch(self->q.fd, m, 3, 0, CLOCK_MONOTONIC,
				      NULL));
	EXPECT_EQ(1, get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_EQ('a', buf[0]);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(ring, send_longer_than_max_msgsize_fails_with_emsgsize)
{
	char buf[RING_MSGSIZE + 1] = { 0 };

	EXPECT_EQ(-EMSGSIZE, kmsgq_send(self->q.fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, write(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_FALSE(ring_readable(&self->q.r));
}

TEST_F(ring, send_from_bad_address_fails_before_taking_a_slot)
{
	struct kmsgq_ring *r = &self->q.r;
	void *bad = fault_page();
	uint32_t pos, len;

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, kmsgq_send(self->q.fd, bad, 16, 0));
	EXPECT_EQ(0, stats(self->q.fd).msgs_sent);
	EXPECT_FALSE(ring_readable(r));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "good", 4, 0));
	/* The payload was faulted in first: no empty slot precedes "good". */
	ASSERT_EQ(1, kmsgq_ring_claim(r, 1, &pos));
	ASSERT_NE(NULL, kmsgq_ring_msg(r, pos, &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, memcmp(kmsgq_ring_slot(r, pos), "good", 4));
	kmsgq_ring_release(r, pos, 1);
	munmap(bad, getpagesize());
}

TEST_F(ring, send_from_bad_address_leaves_nothing_read_returns)
{
	void *bad = fault_page();
	char buf[RING_MSGSIZE];

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, kmsgq_send(self->q.fd, bad, 16, 0));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "good", 4, 0));
	EXPECT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, receive_into_bad_address_fails_with_efault_and_keeps_message)
{
	void *bad = fault_page();
	char buf[RING_MSGSIZE];

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, put_in_place(&self->q.r, "kept", 4));
	EXPECT_EQ(-1, read(self->q.fd, bad, RING_MSGSIZE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, stats(self->q.fd).msgs_recv);
	ASSERT_EQ(0, put_in_place(&self->q.r, "next", 4));
	/* The kernel copies out before it claims: nothing was lost. */
	ASSERT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	ASSERT_EQ(4, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "next", 4));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, batch_receive_stops_at_a_bad_buffer_and_keeps_the_rest)
{
	char b0[RING_MSGSIZE], b2[RING_MSGSIZE];
	void *bad = fault_page();
	struct kmsgq_msg msgs[3] = {
		{ .buf = (uintptr_t)b0, .len = sizeof(b0) },
		{ .buf = (uintptr_t)bad, .len = RING_MSGSIZE },
		{ .buf = (uintptr_t)b2, .len = sizeof(b2) },
	};

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, put_in_place(&self->q.r, "one", 3));
	ASSERT_EQ(0, put_in_place(&self->q.r, "two", 3));
	ASSERT_EQ(0, put_in_place(&self->q.r, "three", 5));
	EXPECT_EQ(1, kmsgq_receive_batch(self->q.fd, msgs, 3, 0,
					 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(0, memcmp(b0, "one", 3));
	/* The next call meets the bad buffer first and reports it. */
	EXPECT_EQ(-EFAULT, kmsgq_receive_batch(self->q.fd, &msgs[1], 2, 0,
					       CLOCK_MONOTONIC, NULL));
	msgs[1].buf = (uintptr_t)b0;
	msgs[1].len = sizeof(b0);
	EXPECT_EQ(2, kmsgq_receive_batch(self->q.fd, &msgs[1], 2, 0,
					 CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(3, msgs[1].len);
	EXPECT_EQ(0, memcmp(b0, "two", 3));
	EXPECT_EQ(5, msgs[2].len);
	EXPECT_EQ(0, memcmp(b2, "three", 5));
	EXPECT_FALSE(ring_readable(&self->q.r));
	munmap(bad, getpagesize());
}

TEST_F(ring, send_from_the_ring_mapping_itself_is_copied_intact)
{
	struct kmsgq_ring *r = &self->q.r;
	unsigned char *src = kmsgq_ring_slot(r, RING_DEPTH - 1);
	char buf[RING_MSGSIZE];

	pattern(src, 200, 9);
	ASSERT_EQ(0, kmsgq_send(self->q.fd, src, 200, 0));
	EXPECT_EQ(200, get_in_place(r, buf, sizeof(buf)));
	EXPECT_TRUE(pattern_ok(buf, 200, 9));
}

/* -- ring: statistics -- */

TEST_F(ring, copy_mode_calls_on_a_ring_are_counted_and_in_place_ones_not)
{
	struct kmsgq_stats st;
	char buf[RING_MSGSIZE];

	ASSERT_EQ(3, write(self->q.fd, "abc", 3));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "defgh", 5, 0));
	ASSERT_EQ(0, put_in_place(&self->q.r, "ij", 2));
	st = stats(self->q.fd);
	EXPECT_EQ(2, st.msgs_sent);
	EXPECT_EQ(8, st.bytes_sent);
	EXPECT_EQ(3, st.cur_msgs);
	EXPECT_EQ(3, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(5, get_in_place(&self->q.r, buf, sizeof(buf)));
	EXPECT_EQ(2, kmsgq_receive(self->q.fd, buf, sizeof(buf), NULL));
	st = stats(self->q.fd);
	EXPECT_EQ(2, st.msgs_sent);
	EXPECT_EQ(2, st.msgs_recv);
	EXPECT_EQ(5, st.bytes_recv);
	EXPECT_EQ(0, st.cur_msgs);
}

/* ==== roundtrip: one message of each size, every way in and out ==== */

#define RT_DEPTH	4
#define RT_MSGSIZE	65536

FIXTURE(roundtrip) {
	struct rctx q;
	unsigned char *out;	/* the message sent */
	unsigned char *in;	/* where it is received */
};

FIXTURE_VARIANT(roundtrip) {
	__u32 len;
};

FIXTURE_VARIANT_ADD(roundtrip, len_0) { .len = 0, };
FIXTURE_VARIANT_ADD(roundtrip, len_1) { .len = 1, };
FIXTURE_VARIANT_ADD(roundtrip, len_63) { .len = 63, };
FIXTURE_VARIANT_ADD(roundtrip, len_64) { .len = 64, };
FIXTURE_VARIANT_ADD(roundtrip, len_65) { .len = 65, };
FIXTURE_VARIANT_ADD(roundtrip, len_4095) { .len = 4095, };
FIXTURE_VARIANT_ADD(roundtrip, len_4096) { .len = 4096, };
FIXTURE_VARIANT_ADD(roundtrip, len_max_msgsize) { .len = RT_MSGSIZE, };

FIXTURE_SETUP(roundtrip)
{
	self->out = NULL;
	self->in = NULL;
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RT_DEPTH, RT_MSGSIZE,
		   true);
	self->out = malloc(RT_MSGSIZE + 1);
	self->in = malloc(RT_MSGSIZE + 1);
	ASSERT_NE(NULL, self->out);
	ASSERT_NE(NULL, self->in);
	pattern(self->out, RT_MSGSIZE + 1, variant->len);
	memset(self->in, 0xee, RT_MSGSIZE + 1);
}

FIXTURE_TEARDOWN(roundtrip)
{
	free(self->out);
	free(self->in);
	rctx_teardown(&self->q);
}

/* In place into the ring: what each variant sends. */
static void rt_put(struct __test_metadata *_metadata,
		   FIXTURE_DATA(roundtrip) *self, __u32 len)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos;

	ASSERT_EQ(1, kmsgq_ring_reserve(r, 1, &pos));
	memcpy(kmsgq_ring_slot(r, pos), self->out, len);
	kmsgq_ring_commit(r, pos, len);
	ASSERT_EQ(0, kmsgq_ring_commit_done(r));
}

/* In place out of the ring: check it against what was sent. */
static void rt_check_in_place(struct __test_metadata *_metadata,
			      FIXTURE_DATA(roundtrip) *self, __u32 len)
{
	struct kmsgq_ring *r = &self->q.r;
	uint32_t pos, got = ~0U;
	const void *p;

	ASSERT_EQ(1, kmsgq_ring_claim(r, RT_DEPTH, &pos));
	p = kmsgq_ring_msg(r, pos, &got);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(len, got);
	EXPECT_EQ(0, memcmp(p, self->out, len));
	kmsgq_ring_release(r, pos, 1);
	EXPECT_EQ(0, kmsgq_ring_release_done(r));
	EXPECT_FALSE(ring_readable(r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

static void rt_check_copied(struct __test_metadata *_metadata,
			    FIXTURE_DATA(roundtrip) *self, ssize_t got,
			    __u32 len)
{
	EXPECT_EQ(len, got);
	EXPECT_EQ(0, memcmp(self->in, self->out, len));
	EXPECT_EQ(0xee, self->in[len]);		/* not one byte more */
	EXPECT_FALSE(ring_readable(&self->q.r));
	EXPECT_EQ(0, stats(self->q.fd).cur_msgs);
}

TEST_F(roundtrip, in_place_commit_is_peeked_intact)
{
	rt_put(_metadata, self, variant->len);
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, write_is_peeked_intact)
{
	ASSERT_EQ(variant->len, write(self->q.fd, self->out, variant->len));
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, kmsgq_send_is_peeked_intact)
{
	ASSERT_EQ(0, kmsgq_send(self->q.fd, self->out, variant->len, 0));
	rt_check_in_place(_metadata, self, variant->len);
}

TEST_F(roundtrip, in_place_commit_is_read_intact)
{
	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			read(self->q.fd, self->in, RT_MSGSIZE + 1),
			variant->len);
}

TEST_F(roundtrip, in_place_commit_is_received_by_kmsgq_receive_intact)
{
	unsigned int prio = 99;

	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			kmsgq_receive(self->q.fd, self->in, RT_MSGSIZE, &prio),
			variant->len);
	EXPECT_EQ(0, prio);
}

TEST_F(roundtrip, in_place_commit_is_received_into_exact_buffer)
{
	rt_put(_metadata, self, variant->len);
	rt_check_copied(_metadata, self,
			kmsgq_receive(self->q.fd, self->in, variant->len,
				      NULL),
			variant->len);
}

TEST_HARNESS_MAIN
