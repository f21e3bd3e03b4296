// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the ABI is one for 32-bit and 64-bit processes.  Every uapi
 * structure has its fixed size and field offsets and every ioctl the number
 * of ABI version 1, whatever width this program is built for (checked as
 * it is compiled: it does not build otherwise); and the 64-bit fields a
 * 32-bit caller fills (user addresses, deadlines) reach the module whole,
 * not cut to 32 bits.
 *
 * Built twice: compat_test (x86_64) and compat_m32_test (i386, with
 * -DKMSGQ_TEST_BITS=32), which a 64-bit kernel serves through compat_ioctl.
 * The plain TEST() needs no module: "compat_test -f global" runs it
 * anywhere.
 */
#include "kmsgq_test.h"

#include <elf.h>
#include <pthread.h>

/* The width the Makefile built this program for. */
#ifndef KMSGQ_TEST_BITS
#define KMSGQ_TEST_BITS		64
#endif

_Static_assert(sizeof(long) == KMSGQ_TEST_BITS / 8, "sizeof(long)");
_Static_assert(sizeof(void *) == KMSGQ_TEST_BITS / 8, "sizeof(void *)");

/*
 * A size or an offset as compiled must be the one the ABI fixes.  A
 * structure that grows appends fields: add them here with its new size; no
 * other line may change.
 */
#define SIZE(type, n) \
	_Static_assert(sizeof(struct type) == (n), "sizeof(struct " #type ")")
#define FIELD(type, member, n) \
	_Static_assert(offsetof(struct type, member) == (n), \
		       "offsetof(struct " #type ", " #member ")")

SIZE(kmsgq_timespec, 16);
FIELD(kmsgq_timespec, tv_sec, 0);
FIELD(kmsgq_timespec, tv_nsec, 8);

SIZE(kmsgq_info, 40);
FIELD(kmsgq_info, size, 0);
FIELD(kmsgq_info, abi_version, 4);
FIELD(kmsgq_info, features, 8);
FIELD(kmsgq_info, max_queues, 16);
FIELD(kmsgq_info, max_msgs, 20);
FIELD(kmsgq_info, max_msgsize, 24);
FIELD(kmsgq_info, name_max, 28);
FIELD(kmsgq_info, prio_max, 32);
FIELD(kmsgq_info, batch_max, 36);

SIZE(kmsgq_open, 96);
FIELD(kmsgq_open, size, 0);
FIELD(kmsgq_open, flags, 4);
FIELD(kmsgq_open, mode, 8);
FIELD(kmsgq_open, max_msgs, 12);
FIELD(kmsgq_open, max_msgsize, 16);
FIELD(kmsgq_open, reserved, 20);
FIELD(kmsgq_open, name, 24);
FIELD(kmsgq_open, history, 88);
FIELD(kmsgq_open, reserved2, 92);

SIZE(kmsgq_unlink, 72);
FIELD(kmsgq_unlink, size, 0);
FIELD(kmsgq_unlink, flags, 4);
FIELD(kmsgq_unlink, name, 8);

SIZE(kmsgq_msg, 16);
FIELD(kmsgq_msg, buf, 0);
FIELD(kmsgq_msg, len, 8);
FIELD(kmsgq_msg, prio, 12);

SIZE(kmsgq_xfer, 56);
FIELD(kmsgq_xfer, size, 0);
FIELD(kmsgq_xfer, flags, 4);
FIELD(kmsgq_xfer, msgs, 8);
FIELD(kmsgq_xfer, nr, 16);
FIELD(kmsgq_xfer, clockid, 20);
FIELD(kmsgq_xfer, timeout, 24);
FIELD(kmsgq_xfer, index, 40);
FIELD(kmsgq_xfer, reserved, 44);
FIELD(kmsgq_xfer, lost, 48);

SIZE(kmsgq_attr, 40);
FIELD(kmsgq_attr, size, 0);
FIELD(kmsgq_attr, flags, 4);
FIELD(kmsgq_attr, qflags, 8);
FIELD(kmsgq_attr, max_msgs, 12);
FIELD(kmsgq_attr, max_msgsize, 16);
FIELD(kmsgq_attr, cur_msgs, 20);
FIELD(kmsgq_attr, mode, 24);
FIELD(kmsgq_attr, uid, 28);
FIELD(kmsgq_attr, gid, 32);
FIELD(kmsgq_attr, reserved, 36);

SIZE(kmsgq_stats, 80);
FIELD(kmsgq_stats, size, 0);
FIELD(kmsgq_stats, flags, 4);
FIELD(kmsgq_stats, msgs_sent, 8);
FIELD(kmsgq_stats, msgs_recv, 16);
FIELD(kmsgq_stats, bytes_sent, 24);
FIELD(kmsgq_stats, bytes_recv, 32);
FIELD(kmsgq_stats, cur_msgs, 40);
FIELD(kmsgq_stats, send_waiters, 44);
FIELD(kmsgq_stats, recv_waiters, 48);
FIELD(kmsgq_stats, mappings, 52);
FIELD(kmsgq_stats, msgs_lost, 56);
FIELD(kmsgq_stats, sub_lost, 64);
FIELD(kmsgq_stats, sub_lag, 72);
FIELD(kmsgq_stats, subscribers, 76);

SIZE(kmsgq_ring_desc, 8);
FIELD(kmsgq_ring_desc, seq, 0);
FIELD(kmsgq_ring_desc, len, 4);

SIZE(kmsgq_ring_rdesc, 16);
FIELD(kmsgq_ring_rdesc, seq, 0);
FIELD(kmsgq_ring_rdesc, owner, 4);
FIELD(kmsgq_ring_rdesc, len, 8);
FIELD(kmsgq_ring_rdesc, reserved, 12);

SIZE(kmsgq_ring_info, 64);
FIELD(kmsgq_ring_info, size, 0);
FIELD(kmsgq_ring_info, flags, 4);
FIELD(kmsgq_ring_info, map_size, 8);
FIELD(kmsgq_ring_info, nr_slots, 16);
FIELD(kmsgq_ring_info, slot_size, 20);
FIELD(kmsgq_ring_info, prod_off, 24);
FIELD(kmsgq_ring_info, cons_off, 28);
FIELD(kmsgq_ring_info, wakeup_off, 32);
FIELD(kmsgq_ring_info, reserved, 36);
FIELD(kmsgq_ring_info, desc_off, 40);
FIELD(kmsgq_ring_info, data_off, 48);
FIELD(kmsgq_ring_info, desc_size, 56);
FIELD(kmsgq_ring_info, owner, 60);

SIZE(kmsgq_ring_wait, 32);
FIELD(kmsgq_ring_wait, size, 0);
FIELD(kmsgq_ring_wait, flags, 4);
FIELD(kmsgq_ring_wait, events, 8);
FIELD(kmsgq_ring_wait, clockid, 12);
FIELD(kmsgq_ring_wait, timeout, 16);

_Static_assert(KMSGQ_QUEUE_ENTRY_SIZE_VER0 == 152, "KMSGQ_QUEUE_ENTRY_SIZE_VER0");
SIZE(kmsgq_queue_entry, 160);
FIELD(kmsgq_queue_entry, name, 0);
FIELD(kmsgq_queue_entry, id, 64);
FIELD(kmsgq_queue_entry, qflags, 72);
FIELD(kmsgq_queue_entry, mode, 76);
FIELD(kmsgq_queue_entry, uid, 80);
FIELD(kmsgq_queue_entry, gid, 84);
FIELD(kmsgq_queue_entry, max_msgs, 88);
FIELD(kmsgq_queue_entry, max_msgsize, 92);
FIELD(kmsgq_queue_entry, cur_msgs, 96);
FIELD(kmsgq_queue_entry, files, 100);
FIELD(kmsgq_queue_entry, send_waiters, 104);
FIELD(kmsgq_queue_entry, recv_waiters, 108);
FIELD(kmsgq_queue_entry, mappings, 112);
FIELD(kmsgq_queue_entry, reserved, 116);
FIELD(kmsgq_queue_entry, msgs_sent, 120);
FIELD(kmsgq_queue_entry, msgs_recv, 128);
FIELD(kmsgq_queue_entry, bytes_sent, 136);
FIELD(kmsgq_queue_entry, bytes_recv, 144);
FIELD(kmsgq_queue_entry, msgs_lost, 152);

SIZE(kmsgq_list, 32);
FIELD(kmsgq_list, size, 0);
FIELD(kmsgq_list, flags, 4);
FIELD(kmsgq_list, cursor, 8);
FIELD(kmsgq_list, entries, 16);
FIELD(kmsgq_list, entry_size, 24);
FIELD(kmsgq_list, nr, 28);

SIZE(kmsgq_notify, 40);
FIELD(kmsgq_notify, size, 0);
FIELD(kmsgq_notify, flags, 4);
FIELD(kmsgq_notify, notify, 8);
FIELD(kmsgq_notify, signo, 12);
FIELD(kmsgq_notify, value, 16);
FIELD(kmsgq_notify, fd, 24);
FIELD(kmsgq_notify, reserved, 28);
FIELD(kmsgq_notify, id, 32);

SIZE(kmsgq_subscriber, 32);
FIELD(kmsgq_subscriber, id, 0);
FIELD(kmsgq_subscriber, lag, 8);
FIELD(kmsgq_subscriber, lost, 16);
FIELD(kmsgq_subscriber, pid, 24);
FIELD(kmsgq_subscriber, flags, 28);

SIZE(kmsgq_subscribers, 40);
FIELD(kmsgq_subscribers, size, 0);
FIELD(kmsgq_subscribers, flags, 4);
FIELD(kmsgq_subscribers, cursor, 8);
FIELD(kmsgq_subscribers, subs, 16);
FIELD(kmsgq_subscribers, entry_size, 24);
FIELD(kmsgq_subscribers, nr, 28);
FIELD(kmsgq_subscribers, total, 32);
FIELD(kmsgq_subscribers, reserved, 36);

SIZE(kmsgq_fanout_ack, 56);
FIELD(kmsgq_fanout_ack, size, 0);
FIELD(kmsgq_fanout_ack, flags, 4);
FIELD(kmsgq_fanout_ack, pos, 8);
FIELD(kmsgq_fanout_ack, tail, 16);
FIELD(kmsgq_fanout_ack, lost, 24);
FIELD(kmsgq_fanout_ack, clockid, 32);
FIELD(kmsgq_fanout_ack, reserved, 36);
FIELD(kmsgq_fanout_ack, timeout, 40);

SIZE(kmsgq_fanout_publish, 56);
FIELD(kmsgq_fanout_publish, size, 0);
FIELD(kmsgq_fanout_publish, flags, 4);
FIELD(kmsgq_fanout_publish, lens, 8);
FIELD(kmsgq_fanout_publish, nr_commit, 16);
FIELD(kmsgq_fanout_publish, nr_reserve, 20);
FIELD(kmsgq_fanout_publish, first, 24);
FIELD(kmsgq_fanout_publish, nr_reserved, 32);
FIELD(kmsgq_fanout_publish, clockid, 36);
FIELD(kmsgq_fanout_publish, timeout, 40);

/* Constants the ABI fixes: as many priorities as mqueue's MQ_PRIO_MAX. */
_Static_assert(KMSGQ_PRIO_MAX == 32768, "KMSGQ_PRIO_MAX");
_Static_assert(KMSGQ_NOTIFY_SIZE_VER0 == 40, "KMSGQ_NOTIFY_SIZE_VER0");
_Static_assert(KMSGQ_FANOUT_ACK_SIZE_VER0 == 56, "KMSGQ_FANOUT_ACK_SIZE_VER0");
_Static_assert(KMSGQ_FANOUT_PUBLISH_SIZE_VER0 == 56,
	       "KMSGQ_FANOUT_PUBLISH_SIZE_VER0");
/* The payload mapping's offset, in pages of any size up to 1 GiB. */
_Static_assert(KMSGQ_FANOUT_PAYLOAD_OFFSET == 0x40000000ULL,
	       "KMSGQ_FANOUT_PAYLOAD_OFFSET");
_Static_assert(KMSGQ_FANOUT_RESERVE_MAX == 256, "KMSGQ_FANOUT_RESERVE_MAX");

/* An ioctl number as compiled must be the one ABI version 1 fixes. */
#define IOC(name, n)		_Static_assert(name == (n), #name)

IOC(KMSGQ_IOC_INFO,	 0xc028b900);
IOC(KMSGQ_IOC_OPEN,	 0x4058b901);
IOC(KMSGQ_IOC_UNLINK,	 0x4048b902);
IOC(KMSGQ_IOC_SEND,	 0x4028b903);
IOC(KMSGQ_IOC_RECV,	 0x4028b904);
IOC(KMSGQ_IOC_GETATTR,	 0xc028b905);
IOC(KMSGQ_IOC_SETATTR,	 0x4028b906);
IOC(KMSGQ_IOC_STATS,	 0xc038b907);
IOC(KMSGQ_IOC_RING_INFO, 0xc038b908);
IOC(KMSGQ_IOC_RING_WAIT, 0x4020b909);
IOC(KMSGQ_IOC_RING_WAKE, 0x4020b90a);
IOC(KMSGQ_IOC_LIST,	 0xc020b90b);
IOC(KMSGQ_IOC_NOTIFY,	 0xc028b90d);
IOC(KMSGQ_IOC_SUBSCRIBERS, 0xc028b90e);
IOC(KMSGQ_IOC_FANOUT_ACK, 0xc038b90f);
IOC(KMSGQ_IOC_FANOUT_PUBLISH, 0xc038b910);

TEST(program_is_built_for_the_width_in_its_name)
{
	Elf32_Ehdr eh;	/* e_ident and e_machine sit alike in both classes */
	int fd;

	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("/proc/self/exe: %s", strerror(errno));
	ASSERT_EQ(sizeof(eh), read(fd, &eh, sizeof(eh)));
	close(fd);
	ASSERT_EQ(0, memcmp(eh.e_ident, ELFMAG, SELFMAG));
	EXPECT_EQ(KMSGQ_TEST_BITS == 32 ? ELFCLASS32 : ELFCLASS64,
		  eh.e_ident[EI_CLASS]);
	EXPECT_EQ(KMSGQ_TEST_BITS == 32 ? EM_386 : EM_X86_64, eh.e_machine);
}

/*
 * The user address @p with a bit set above those a pointer of this program
 * holds: bit 32 for a 32-bit program (no compat task can map memory there),
 * bit 63 for a 64-bit one.  A kernel that dropped the high half of a __u64
 * address would reach @p's memory.
 */
static __u64 high_bit_set(const void *p)
{
	return (uintptr_t)p | (sizeof(p) == 4 ? 1ULL << 32 : 1ULL << 63);
}

FIXTURE(compat) {
	char name[KMSGQ_NAME_MAX];
	int fd;
};

FIXTURE_SETUP(compat)
{
	self->fd = create_own_queue(self->name, "compat", 0, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("creating %s: %s", self->name,
				      strerror(-self->fd));
}

FIXTURE_TEARDOWN(compat)
{
	if (self->fd >= 0) {
		kmsgq_close(self->fd);
		kmsgq_unlink(self->name);
	}
}

TEST_F(compat, send_with_high_bits_in_the_message_array_address_fails_with_efault)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)"hi", .len = 3 };

	EXPECT_EQ(-EFAULT, xfer_ioctl(self->fd, KMSGQ_IOC_SEND,
				      high_bit_set(&m), 1, 0, 0, NULL));
	EXPECT_EQ(0, queued(self->fd));
	/* The same array without the high bit is good. */
	EXPECT_EQ(1, xfer_ioctl(self->fd, KMSGQ_IOC_SEND, (uintptr_t)&m, 1,
				0, 0, NULL));
	EXPECT_EQ(1, queued(self->fd));
}

TEST_F(compat, send_with_high_bits_in_the_payload_address_fails_with_efault)
{
	struct kmsgq_msg m = { .buf = high_bit_set("hi"), .len = 3 };

	EXPECT_EQ(-EFAULT, xfer_ioctl(self->fd, KMSGQ_IOC_SEND, (uintptr_t)&m,
				      1, 0, 0, NULL));
	EXPECT_EQ(0, queued(self->fd));
	m.buf = (uintptr_t)"hi";
	EXPECT_EQ(1, xfer_ioctl(self->fd, KMSGQ_IOC_SEND, (uintptr_t)&m, 1,
				0, 0, NULL));
	EXPECT_EQ(1, queued(self->fd));
}

TEST_F(compat, receive_with_high_bits_in_the_message_array_address_fails_with_efault)
{
	char in[16] = "";
	struct kmsgq_msg m = { .buf = (uintptr_t)in, .len = sizeof(in) };

	ASSERT_EQ(0, kmsgq_send(self->fd, "kept", 5, 0));
	EXPECT_EQ(-EFAULT, xfer_ioctl(self->fd, KMSGQ_IOC_RECV,
				      high_bit_set(&m), 1, 0, 0, NULL));
	EXPECT_EQ(1, queued(self->fd));
	EXPECT_EQ(1, xfer_ioctl(self->fd, KMSGQ_IOC_RECV, (uintptr_t)&m, 1,
				0, 0, NULL));
	EXPECT_EQ(5, m.len);
	EXPECT_STREQ("kept", in);
}

TEST_F(compat, receive_with_high_bits_in_the_payload_address_fails_with_efault)
{
	char in[16] = "";
	struct kmsgq_msg m = { .buf = high_bit_set(in), .len = sizeof(in) };

	ASSERT_EQ(0, kmsgq_send(self->fd, "kept", 5, 0));
	EXPECT_EQ(-EFAULT, xfer_ioctl(self->fd, KMSGQ_IOC_RECV, (uintptr_t)&m,
				      1, 0, 0, NULL));
	EXPECT_EQ(1, queued(self->fd));
	EXPECT_STREQ("", in);
	m.buf = (uintptr_t)in;
	EXPECT_EQ(1, xfer_ioctl(self->fd, KMSGQ_IOC_RECV, (uintptr_t)&m, 1,
				0, 0, NULL));
	EXPECT_EQ(5, m.len);
	EXPECT_STREQ("kept", in);
}

/* A receive with an absolute deadline, run on its own thread. */
struct timed_recv {
	int fd;
	struct kmsgq_timespec deadline;
	char buf[16];
	int ret;	/* message length, or -errno */
	int done;	/* set (release) once @ret is */
};

static void *timed_recv_thread(void *arg)
{
	struct timed_recv *t = arg;
	struct kmsgq_msg m = { .buf = (uintptr_t)t->buf, .len = sizeof(t->buf) };
	int ret;

	ret = xfer_ioctl(t->fd, KMSGQ_IOC_RECV, (uintptr_t)&m, 1,
			 KMSGQ_XFER_TIMEOUT, CLOCK_REALTIME, &t->deadline);
	t->ret = ret < 0 ? ret : (int)m.len;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A deadline 2^32 s (136 years) from a minute ago: past the 32-bit time_t
 * of an i386 libc, and in the past if its seconds were cut to 32 bits
 * (signed or not), so that the receive would fail at once with ETIMEDOUT.
 * Whole, it lets the receive sleep until a message comes.
 */
TEST_F(compat, deadline_beyond_32_bit_seconds_is_not_truncated)
{
	struct timed_recv t = { .fd = self->fd };
	struct timespec now;
	pthread_t thread;

	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &now));
	ASSERT_LT(60, now.tv_sec) TH_LOG("the realtime clock is not set");
	t.deadline.tv_sec = (1LL << 32) + now.tv_sec - 60;
	ASSERT_EQ(0, pthread_create(&thread, NULL, timed_recv_thread, &t));

	EXPECT_EQ(0, wait_sleepers(self->fd, false, 1));
	if (__atomic_load_n(&t.done, __ATOMIC_ACQUIRE))
		TH_LOG("the receive returned %d (%s) before any message came",
		       t.ret, strerror(-t.ret));

	/* Wakes the sleeper; after an early return, just stays queued. */
	EXPECT_EQ(0, kmsgq_send(self->fd, "late", 5, 0));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(5, t.ret);
	EXPECT_STREQ("late", t.buf);
}

TEST_HARNESS_MAIN
