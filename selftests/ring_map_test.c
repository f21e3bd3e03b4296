// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the mapping of a kmsgq ring queue (KMSGQ_OPEN_RING): the
 * layout KMSGQ_IOC_RING_INFO reports and the arguments it takes, what
 * mmap() accepts, ring calls on a copy queue and on an unbound file,
 * read-only and write-only openers, how mappings are counted, and how long
 * a mapping keeps its queue alive (munmap, fork, close).
 *
 * What every ring test shares, and the rules its helper processes keep:
 * ring_test.h.
 */
#include "ring_test.h"

#define PARAM_MAX_QUEUES	PARAM_DIR "max_queues"

/* ==== layout: what RING_INFO reports, over several shapes ==== */

FIXTURE(layout) {
	struct rctx q;
};

FIXTURE_VARIANT(layout) {
	__u32 max_msgs;
	__u32 max_msgsize;
	__u32 nr_slots;		/* expected */
};

FIXTURE_VARIANT_ADD(layout, depth_1_rounds_to_2) {
	.max_msgs = 1, .max_msgsize = 64, .nr_slots = 2,
};

FIXTURE_VARIANT_ADD(layout, depth_10_rounds_to_16) {
	.max_msgs = 10, .max_msgsize = 100, .nr_slots = 16,
};

FIXTURE_VARIANT_ADD(layout, depth_16_stays_16) {
	.max_msgs = 16, .max_msgsize = 4096, .nr_slots = 16,
};

FIXTURE_VARIANT_ADD(layout, depth_17_rounds_to_32) {
	.max_msgs = 17, .max_msgsize = 1, .nr_slots = 32,
};

FIXTURE_VARIANT_ADD(layout, depth_1000_rounds_to_1024) {
	.max_msgs = 1000, .max_msgsize = 65, .nr_slots = 1024,
};

FIXTURE_VARIANT_ADD(layout, msgsize_64k) {
	.max_msgs = 3, .max_msgsize = 65536, .nr_slots = 4,
};

FIXTURE_SETUP(layout)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, variant->max_msgs,
		   variant->max_msgsize, false);
}

FIXTURE_TEARDOWN(layout)
{
	rctx_teardown(&self->q);
}

TEST_F(layout, depth_is_rounded_up_to_a_power_of_two)
{
	struct kmsgq_attr attr;

	EXPECT_EQ(variant->nr_slots, self->q.ri.nr_slots);
	ASSERT_EQ(0, kmsgq_getattr(self->q.fd, &attr));
	EXPECT_EQ(KMSGQ_OPEN_RING | RING_TEST_QFLAGS, attr.qflags);
	EXPECT_EQ(variant->nr_slots, attr.max_msgs);
	/* The message size is rounded up to the slot size, whole lines. */
	EXPECT_EQ(self->q.ri.slot_size, attr.max_msgsize);
}

TEST_F(layout, slot_holds_a_largest_message)
{
	EXPECT_LE(variant->max_msgsize, self->q.ri.slot_size);
	EXPECT_GT(variant->max_msgsize + 64, self->q.ri.slot_size);
	EXPECT_EQ(0, self->q.ri.slot_size % 64);
}

TEST_F(layout, regions_are_aligned_disjoint_and_inside_the_mapping)
{
	const struct kmsgq_ring_info *ri = &self->q.ri;
	unsigned long page = getpagesize();
	struct {
		__u64 off, len;
	} reg[] = {
		{ ri->prod_off, sizeof(__u32) },
		{ ri->cons_off, sizeof(__u32) },
		{ ri->wakeup_off, sizeof(__u32) },
		{ ri->desc_off, (__u64)ri->nr_slots * ri->desc_size },
		{ ri->data_off, (__u64)ri->nr_slots * ri->slot_size },
	};
	unsigned int i, j;

	EXPECT_NE(0, ri->map_size);
	EXPECT_EQ(0, ri->map_size % page);
	EXPECT_EQ(0, ri->data_off % page);
	EXPECT_EQ(0, ri->prod_off % sizeof(__u32));
	EXPECT_EQ(0, ri->cons_off % sizeof(__u32));
	EXPECT_EQ(0, ri->wakeup_off % sizeof(__u32));
	EXPECT_EQ(RING_TEST_QFLAGS ? sizeof(struct kmsgq_ring_rdesc) :
				     sizeof(struct kmsgq_ring_desc),
		  ri->desc_size);
	if (RING_TEST_QFLAGS) {
		EXPECT_LT(0, ri->owner);
		EXPECT_GE(0x7fffffffU, ri->owner);
	} else {
		EXPECT_EQ(0, ri->owner);
	}
	EXPECT_EQ(0, ri->desc_off % ri->desc_size);
	EXPECT_EQ(0, ri->reserved);
	EXPECT_EQ(0, ri->flags);
	for (i = 0; i < ARRAY_SIZE(reg); i++) {
		EXPECT_LE(reg[i].off + reg[i].len, ri->map_size)
			TH_LOG("region %u at %llu+%llu, map_size %llu", i,
			       (unsigned long long)reg[i].off,
			       (unsigned long long)reg[i].len,
			       (unsigned long long)ri->map_size);
		for (j = 0; j < i; j++) {
			EXPECT_TRUE(reg[i].off + reg[i].len <= reg[j].off ||
				    reg[j].off + reg[j].len <= reg[i].off)
				TH_LOG("regions %u and %u overlap", i, j);
		}
	}
}

TEST_F(layout, fresh_ring_is_empty_with_each_slot_sequence_at_its_index)
{
	struct kmsgq_ring *r = &self->q.r;
	__u32 i;

	ASSERT_EQ(0, kmsgq_ring_map(self->q.fd, r));
	EXPECT_EQ(self->q.ri.map_size, r->map_size);
	EXPECT_EQ(0, *r->prod);
	EXPECT_EQ(0, *r->cons);
	EXPECT_EQ(0, *r->wakeup);
	for (i = 0; i < r->nr_slots; i++) {
		EXPECT_EQ(i, *desc_seq(r, i));
	}
}

TEST_F(layout, whole_mapping_can_be_read_and_written)
{
	struct kmsgq_ring *r = &self->q.r;
	volatile unsigned char *p;
	size_t i;

	ASSERT_EQ(0, kmsgq_ring_map(self->q.fd, r));
	p = r->data;
	for (i = 0; i < (size_t)r->nr_slots * r->slot_size; i++)
		p[i] = (unsigned char)i;
	for (i = 0; i < (size_t)r->nr_slots * r->slot_size; i++)
		if (p[i] != (unsigned char)i)
			break;
	EXPECT_EQ((size_t)r->nr_slots * r->slot_size, i);
}

/*
 * A ring asked for one slot gets two: with one, a committed slot's sequence
 * (pos + 1) reads as free to the next producer, which would overwrite it.
 */
TEST(ring_asked_for_one_slot_never_overwrites_an_unread_message)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING, .max_msgs = 1, .max_msgsize = 8,
	};
	unsigned int i, v;
	char name[KMSGQ_NAME_MAX];
	int fd;

	fd = create_own_queue(name, "ring-one", O_NONBLOCK, &attr);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_unlink(name));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	for (i = 0; i < attr.max_msgs; i++)
		ASSERT_EQ(0, kmsgq_send(fd, &i, sizeof(i), 0));
	EXPECT_EQ(-EAGAIN, kmsgq_send(fd, &i, sizeof(i), 0));
	for (i = 0; i < attr.max_msgs; i++) {
		EXPECT_EQ(sizeof(v), kmsgq_receive(fd, &v, sizeof(v), NULL));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(-EAGAIN, kmsgq_receive(fd, &v, sizeof(v), NULL));
	close(fd);
}

/* ==== copyq: ring calls on a copy queue and on an unbound file ==== */

FIXTURE(copyq) {
	struct rctx q;
};

FIXTURE_SETUP(copyq)
{
	rctx_setup(_metadata, &self->q, 0, RING_DEPTH, RING_MSGSIZE, false);
}

FIXTURE_TEARDOWN(copyq)
{
	rctx_teardown(&self->q);
}

TEST_F(copyq, ring_info_on_copy_queue_fails_with_eopnotsupp)
{
	struct kmsgq_ring_info ri;

	EXPECT_EQ(-EOPNOTSUPP, ring_info(self->q.fd, &ri));
}

TEST_F(copyq, ring_wait_on_copy_queue_fails_with_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAIT, 0,
					  KMSGQ_RING_READABLE, 0, 0, 0));
}

TEST_F(copyq, ring_wake_on_copy_queue_fails_with_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, ring_ioctl(self->q.fd, KMSGQ_IOC_RING_WAKE, 0,
					  KMSGQ_RING_READABLE, 0, 0, 0));
}

TEST_F(copyq, mmap_of_copy_queue_fails_with_enodev)
{
	void *p = rctx_mmap(&self->q, self->q.fd, getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(copyq, ring_map_of_copy_queue_fails_with_eopnotsupp)
{
	struct kmsgq_ring r;

	EXPECT_EQ(-EOPNOTSUPP, kmsgq_ring_map(self->q.fd, &r));
}

TEST_F(copyq, mmap_of_unbound_file_fails_with_enotconn)
{
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	void *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENOTCONN, errno);
	if (p != MAP_FAILED)
		munmap(p, getpagesize());
	close(fd);
}

TEST_F(copyq, ring_ioctls_on_unbound_file_fail_with_enotconn)
{
	struct kmsgq_ring_info ri;
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, ring_info(fd, &ri));
	EXPECT_EQ(-ENOTCONN, ring_ioctl(fd, KMSGQ_IOC_RING_WAIT, 0,
					KMSGQ_RING_READABLE, 0, 0, 0));
	EXPECT_EQ(-ENOTCONN, ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0,
					KMSGQ_RING_READABLE, 0, 0, 0));
	close(fd);
}

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

/* -- ring: what mmap() accepts -- */

TEST_F(ring, mmap_at_nonzero_offset_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_SHARED, getpagesize());

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mmap_shorter_than_map_size_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd,
			    self->q.ri.map_size - getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mmap_longer_than_map_size_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd,
			    self->q.ri.map_size + getpagesize(),
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, private_mmap_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, read_only_private_mmap_fails_with_einval)
{
	void *p = rctx_mmap(&self->q, self->q.fd, self->q.ri.map_size,
			    PROT_READ, MAP_PRIVATE, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, mapping_cannot_be_grown_with_mremap)
{
	struct kmsgq_ring *r = &self->q.r;
	void *p;

	p = mremap(r->map, r->map_size, r->map_size + getpagesize(),
		   MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED) {
		munmap(p, r->map_size + getpagesize());
		r->map = NULL;
	}
}

TEST_F(ring, two_mappings_of_one_file_share_the_ring)
{
	struct kmsgq_ring r2;
	char buf[16];

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r2));
	EXPECT_NE(self->q.r.map, r2.map);
	ASSERT_EQ(0, put_in_place(&self->q.r, "shared", 6));
	EXPECT_EQ(6, get_in_place(&r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "shared", 6));
	EXPECT_FALSE(ring_readable(&self->q.r));
}

/* -- ring: arguments of RING_INFO -- */

TEST_F(ring, ring_info_with_nonzero_flags_fails_with_einval)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri), .flags = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, ring_info_with_nonzero_reserved_fails_with_einval)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri), .reserved = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ring, ring_info_accepts_a_larger_struct_with_zero_tail)
{
	struct {
		struct kmsgq_ring_info ri;
		__u64 tail[2];
	} big = { .ri.size = sizeof(big) };

	ASSERT_EQ(0, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &big));
	EXPECT_EQ(self->q.ri.map_size, big.ri.map_size);
	EXPECT_EQ(self->q.ri.nr_slots, big.ri.nr_slots);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[1]);
}

TEST_F(ring, ring_info_from_larger_struct_with_nonzero_tail_fails_with_e2big)
{
	struct {
		struct kmsgq_ring_info ri;
		__u64 tail;
	} big = { .ri.size = sizeof(big), .tail = 1 };

	EXPECT_EQ(-1, ioctl(self->q.fd, KMSGQ_IOC_RING_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
}

/* -- ring: mappings counted -- */

TEST_F(ring, each_mapping_counts_until_unmapped)
{
	struct kmsgq_ring r2, r3;

	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_map(&self->q, self->q.fd, &r3));
	EXPECT_EQ(3, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r3));
	EXPECT_EQ(0, mappings(self->q.fd));
}

TEST_F(ring, mapping_split_by_partial_munmap_counts_once_per_piece)
{
	struct kmsgq_ring *r = &self->q.r;
	unsigned char *map = r->map;
	size_t page = getpagesize(), len = r->map_size;

	ASSERT_LE(3 * page, len);
	/* Punch a hole: two pieces remain. */
	ASSERT_EQ(0, munmap(map + page, page));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(0, munmap(map, page));
	EXPECT_EQ(1, mappings(self->q.fd));
	ASSERT_EQ(0, munmap(map + 2 * page, len - 2 * page));
	EXPECT_EQ(0, mappings(self->q.fd));
	r->map = NULL;
}

/* ==== lifetime: fork and close with a live mapping ==== */

FIXTURE(lifetime) {
	struct rctx q;
};

FIXTURE_SETUP(lifetime)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
}

FIXTURE_TEARDOWN(lifetime)
{
	rctx_teardown(&self->q);
}

#define FORK_MSGS	(5 * RING_DEPTH)

TEST_F(lifetime, forked_child_produces_into_the_inherited_mapping)
{
	struct kmsgq_ring *r = &self->q.r;
	struct timespec dl;
	long long got;
	int status;
	__u32 seq;
	pid_t pid;
	char c;

	ASSERT_EQ(0, put_seq(r, 0xfeed));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret = 0;

		/* Same ring: the parent's message is here. */
		if (get_seq(r) != 0xfeed)
			_exit(10);
		child_ready(&self->q.p);
		for (seq = 0; seq < FORK_MSGS && !ret; seq++) {
			dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
			while ((ret = put_seq(r, seq)) == -EAGAIN) {
				ret = kmsgq_ring_wait(r, KMSGQ_RING_WRITABLE,
						      CLOCK_MONOTONIC, &dl);
				if (ret < 0)
					break;
			}
		}
		if (ret)
			_exit(11);
		child_ready(&self->q.p);
		/* Stay mapped until the parent has counted. */
		if (read(self->q.p.note[0], &c, 1) != 1)
			_exit(12);
		_exit(0);
	}
	close(self->q.p.ready[1]);
	self->q.p.ready[1] = -1;
	/* The child has taken the message sent before the fork. */
	ASSERT_TRUE(read_all(self->q.p.ready[0], &c, 1));
	for (seq = 0; seq < FORK_MSGS; seq++) {
		dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);
		while ((got = get_seq(r)) == -EAGAIN) {
			ASSERT_EQ(KMSGQ_RING_READABLE,
				  kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
						  CLOCK_MONOTONIC, &dl));
		}
		ASSERT_EQ(seq, got);
	}
	ASSERT_TRUE(read_all(self->q.p.ready[0], &c, 1));
	EXPECT_EQ(2, mappings(self->q.fd));
	ASSERT_EQ(1, write(self->q.p.note[1], "x", 1));
	status = kids_reap(&self->q.kids, pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(1, mappings(self->q.fd));
	EXPECT_FALSE(ring_readable(r));
}

TEST_F(lifetime, mapping_outlives_close_of_its_file)
{
	struct kmsgq_ring r2;
	char buf[RING_MSGSIZE];
	int fd2;

	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd2, &r2));
	EXPECT_EQ(2, mappings(self->q.fd));
	rctx_close(&self->q, fd2);
	EXPECT_EQ(2, mappings(self->q.fd));

	/* In place through the orphaned mapping, copy mode through q.fd. */
	ASSERT_EQ(0, put_in_place(&r2, "via r2", 6));
	EXPECT_EQ(6, read(self->q.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "via r2", 6));
	ASSERT_EQ(0, kmsgq_send(self->q.fd, "via fd", 6, 0));
	EXPECT_EQ(6, get_in_place(&r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "via fd", 6));
	/* And between the two mappings. */
	ASSERT_EQ(0, put_in_place(&self->q.r, "r to r2", 7));
	EXPECT_EQ(7, get_in_place(&r2, buf, sizeof(buf)));

	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(1, mappings(self->q.fd));
}

/* Create and remove a throwaway queue: 0, or -errno of the create. */
static int probe_create(const char *name)
{
	struct kmsgq_attr attr = { .max_msgs = 1, .max_msgsize = 1 };
	int fd;

	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (fd < 0)
		return fd;
	close(fd);
	kmsgq_unlink(name);
	return 0;
}

TEST_F(lifetime, unlinked_queue_lives_while_mapped_and_dies_with_last_munmap)
{
	struct kmsgq_ring r2;
	char probe[KMSGQ_NAME_MAX];
	unsigned long saved;
	int fd2, ret;
	long nr;

	if (read_param("max_queues", &saved) ||
	    access(PARAM_MAX_QUEUES, W_OK))
		SKIP(return, "cannot change %s", PARAM_MAX_QUEUES);
	snprintf(probe, sizeof(probe), "kmsgq-ring-probe-%d", getpid());

	/* Leave the queue alive through one mapping of a closed file. */
	fd2 = rctx_open(&self->q, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rctx_ring_map(&self->q, fd2, &r2));
	rctx_close(&self->q, fd2);
	ASSERT_EQ(0, kmsgq_ring_unmap(&self->q.r));
	ASSERT_EQ(0, kmsgq_unlink(self->q.name));
	ASSERT_EQ(0, kmsgq_close(self->q.fd));
	self->q.fd = -1;
	ASSERT_EQ(0, put_in_place(&r2, "alone", 5));

	/* Count the queues alive: the lowest max_queues that admits one more. */
	self->q.saved_max_queues = saved;
	self->q.restore_max_queues = true;
	for (nr = 0; nr < 4096; nr++) {
		ASSERT_EQ(0, write_param("max_queues", nr + 1));
		ret = probe_create(probe);
		if (!ret)
			break;
		ASSERT_EQ(-ENOSPC, ret);
	}
	ASSERT_GT(4096, nr);
	ASSERT_LT(0, nr) TH_LOG("the mapped queue is not counted");

	/* With exactly that many allowed, the mapping pins one of them ... */
	ASSERT_EQ(0, write_param("max_queues", nr));
	EXPECT_EQ(-ENOSPC, probe_create(probe));
	/* ... until it goes. */
	ASSERT_EQ(0, rctx_ring_unmap(&self->q, &r2));
	EXPECT_EQ(0, probe_create(probe))
		TH_LOG("the queue outlived its last mapping");
}

/* ==== rdonly: read-only and write-only openers ==== */

FIXTURE(rdonly) {
	struct rctx q;
	int rfd;	/* O_RDONLY on the queue */
	int wfd;	/* O_WRONLY on the queue */
};

FIXTURE_SETUP(rdonly)
{
	rctx_setup(_metadata, &self->q, KMSGQ_OPEN_RING, RING_DEPTH,
		   RING_MSGSIZE, true);
	struct kmsgq_ring_info ri;

	self->rfd = rctx_open(&self->q, O_RDONLY);
	ASSERT_LE(0, self->rfd);
	self->wfd = rctx_open(&self->q, O_WRONLY);
	ASSERT_LE(0, self->wfd);
	/* What a reclaiming ring asks of a file before it maps. */
	ASSERT_EQ(0, ring_info(self->rfd, &ri));
}

FIXTURE_TEARDOWN(rdonly)
{
	rctx_teardown(&self->q);
}

TEST_F(rdonly, read_only_file_can_learn_the_layout)
{
	struct kmsgq_ring_info ri;

	ASSERT_EQ(0, ring_info(self->rfd, &ri));
	EXPECT_EQ(self->q.ri.map_size, ri.map_size);
}

TEST_F(rdonly, writable_shared_mmap_of_read_only_file_fails_with_eacces)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, read_only_shared_mmap_of_read_only_file_succeeds)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ, MAP_SHARED, 0);

	EXPECT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
}

TEST_F(rdonly, mprotect_writable_on_read_only_mapping_fails_with_eacces)
{
	void *p = rctx_mmap(&self->q, self->rfd, self->q.ri.map_size,
			    PROT_READ, MAP_SHARED, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, mprotect(p, self->q.ri.map_size,
			       PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, ring_map_of_read_only_file_observes_the_ring)
{
	struct kmsgq_ring ro;
	char buf[RING_MSGSIZE];

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	ASSERT_EQ(0, put_in_place(&self->q.r, "seen", 4));
	EXPECT_EQ(1, *ro.prod);
	EXPECT_EQ(1, *desc_seq(&ro, 0));
	EXPECT_EQ(4, *desc_len(&ro, 0));
	EXPECT_EQ(0, memcmp(ro.data, "seen", 4));
	EXPECT_TRUE(ring_readable(&ro));
	/* It receives with read(). */
	EXPECT_EQ(4, read(self->rfd, buf, sizeof(buf)));
	EXPECT_FALSE(ring_readable(&ro));
}

TEST_F(rdonly, ring_map_of_read_only_file_cannot_be_written)
{
	struct kmsgq_ring ro;
	int status;
	pid_t pid;

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__atomic_store_n(ro.prod, 5, __ATOMIC_RELAXED);
		_exit(0);
	}
	status = kids_reap(&self->q.kids, pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(0, *self->q.r.prod);
}

TEST_F(rdonly, read_only_file_sleeps_in_ring_wait_until_a_commit)
{
	struct kmsgq_ring ro;
	struct report rep;
	pid_t pid;

	ASSERT_EQ(0, rctx_ring_map(&self->q, self->rfd, &ro));
	pid = kids_fork(&self->q.kids);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, SAFETY_NS);

		child_ready(&self->q.p);
		child_report(&self->q,
			     kmsgq_ring_wait(&ro, KMSGQ_RING_READABLE,
					     CLOCK_MONOTONIC, &dl), 0, NULL);
	}
	close_child_ends(&self->q.p);
	ASSERT_TRUE(wait_until_blocked(&self->q.p, &pid, 1));
	ASSERT_EQ(0, put_seq(&self->q.r, 3));
	ASSERT_TRUE(read_report(&self->q, &rep));
	EXPECT_EQ(KMSGQ_RING_READABLE, rep.ret);
}

TEST_F(rdonly, mmap_of_write_only_file_fails_with_eacces)
{
	void *p;

	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size,
		      PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size, PROT_READ,
		      MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = rctx_mmap(&self->q, self->wfd, self->q.ri.map_size, PROT_WRITE,
		      MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(rdonly, ring_map_of_write_only_file_fails_with_eacces)
{
	struct kmsgq_ring r;

	EXPECT_EQ(-EACCES, kmsgq_ring_map(self->wfd, &r));
}

TEST_F(rdonly, copy_mode_calls_keep_to_the_file_access_mode)
{
	char buf[RING_MSGSIZE];

	EXPECT_EQ(-1, write(self->rfd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(self->wfd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(1, read(self->rfd, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
