// SPDX-License-Identifier: GPL-2.0
/*
 * Description: in-place publishing on fan-out rings (KMSGQ_OPEN_INPLACE):
 * creation rules; KMSGQ_OPEN_PUBLISHER files are no subscribers; who may
 * map the payload slots and how; KMSGQ_IOC_FANOUT_PUBLISH reserves and
 * commits, holes too, and refuses with clear errnos; copy and mapped
 * subscribers read the bytes written in place; a commit clears what a
 * longer message left; a scribbling publisher garbles payloads only;
 * publishers closed or killed between reserve and commit leave holes and
 * stall nothing; many publishers and subscribers lose nothing; DROP never
 * holds a publisher back; nobody, IPC namespaces.
 */
#include "kmsgq_test.h"

#include <sched.h>
#include <setjmp.h>

/* Slot size of every queue here: one cache line. */
#define FIP_MSGSIZE	64
#define FIP_DEPTH	8
/* How long anything may go without progress before it counts as a stall. */
#define FIP_STALL_NS	(20 * NSEC_PER_SEC)
/* A reservation with a deadline FIP_STALL_NS away. */
#define FIP_WAIT	(KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE)
#define FIP_HOLE	KMSGQ_FANOUT_LEN_HOLE
/* Most messages one publisher reserves at once in the concurrent tests. */
#define FIP_BATCH	16

FIXTURE(finp) {
	char name[KMSGQ_NAME_MAX];
	char other[KMSGQ_NAME_MAX];
	int q;
	struct kids kids;
};

FIXTURE_SETUP(finp)
{
	struct kmsgq_info info;

	self->q = -1;
	self->kids.nr = 0;
	snprintf(self->name, sizeof(self->name), "finp-%d", getpid());
	snprintf(self->other, sizeof(self->other), "finp-o-%d", getpid());
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_FANOUT_INPLACE))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_INPLACE");
}

FIXTURE_TEARDOWN(finp)
{
	kids_kill(&self->kids);
	if (self->q >= 0)
		close(self->q);
	kmsgq_unlink(self->name);
	kmsgq_unlink(self->other);
}

/*
 * Bind a new /dev/kmsgq file opened with @oflag (access mode and O_*
 * flags) to @name with KMSGQ_OPEN_* @flags and @history; a queue it
 * creates has depth @depth, FIP_MSGSIZE slots, mode 0600.  The fd, or
 * -errno.
 */
static int fip_bind(const char *name, int oflag, __u32 flags, __u32 depth,
		    __u32 history)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.history = history,
	};
	int fd, ret;

	if (flags & KMSGQ_OPEN_CREATE) {
		op.mode = 0600;
		op.max_msgs = depth;
		op.max_msgsize = FIP_MSGSIZE;
	}
	fd = open(KMSGQ_DEVICE_PATH, oflag | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(op.name, sizeof(op.name), "%s", name);
	ret = xioctl(fd, KMSGQ_IOC_OPEN, &op);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Create an in-place fan-out queue @name of policy @policy (0: lossless)
 * and depth @depth: its creator, a write-only file that is no subscriber.
 */
static int fip_create_named(const char *name, __u32 policy, __u32 depth)
{
	kmsgq_unlink(name);
	return fip_bind(name, O_WRONLY, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL |
			KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING |
			KMSGQ_OPEN_INPLACE | policy, depth, 0);
}

/* This test's queue; self->q is its creator.  0, or -errno. */
#define fip_create(self, policy, depth) \
	((self)->q = fip_create_named((self)->name, policy, depth), \
	 (self)->q < 0 ? (self)->q : 0)

/* Bytes of @fd's payload slots, in whole pages (0: GETATTR failed). */
static size_t fip_payload_bytes(int fd)
{
	struct kmsgq_attr attr;
	size_t pg = getpagesize();

	if (kmsgq_getattr(fd, &attr))
		return 0;
	return ((size_t)attr.max_msgs * attr.max_msgsize + pg - 1) & ~(pg - 1);
}

#define FIP_RW		(PROT_READ | PROT_WRITE)
#define FIP_OFF		KMSGQ_FANOUT_PAYLOAD_OFFSET

/* mmap() of @fd's payload slots as a publisher maps them: as mmap(). */
static void *fip_map(int fd, size_t size)
{
	return mmap(NULL, size, FIP_RW, MAP_SHARED, fd, FIP_OFF);
}

/* mmap(), then munmap() if it worked: 0, or mmap()'s -errno. */
static int fip_mmap_err(int fd, size_t len, int prot, int flags, off_t off)
{
	void *m = mmap(NULL, len, prot, flags, fd, off);

	if (m == MAP_FAILED)
		return -errno;
	munmap(m, len);
	return 0;
}

/* An in-place publisher: its file, its payload mapping, its reservation. */
struct fip_pub {
	int fd;
	unsigned char *pay;
	size_t pay_size;
	__u32 mask;
	__u32 slot_size;
	__u64 first;
	__u32 held;
};

/*
 * Open a publisher of @name, O_RDWR | KMSGQ_OPEN_PUBLISHER and @oflag,
 * and map its payload slots: 0, or -errno.
 */
static int fip_pub_open(const char *name, int oflag, struct fip_pub *p)
{
	struct kmsgq_attr attr;
	int ret;

	memset(p, 0, sizeof(*p));
	p->fd = fip_bind(name, O_RDWR | oflag, KMSGQ_OPEN_PUBLISHER, 0, 0);
	if (p->fd < 0)
		return p->fd;
	ret = kmsgq_getattr(p->fd, &attr);
	p->pay_size = fip_payload_bytes(p->fd);
	if (!ret && p->pay_size) {
		p->mask = attr.max_msgs - 1;
		p->slot_size = attr.max_msgsize;
		p->pay = fip_map(p->fd, p->pay_size);
		if (p->pay != MAP_FAILED)
			return 0;
	}
	ret = ret ? ret : p->pay_size ? -errno : -EIO;
	close(p->fd);
	return ret;
}

static void fip_pub_close(struct fip_pub *p)
{
	munmap(p->pay, p->pay_size);
	close(p->fd);
}

/* Where message @n is written in @p's payload mapping. */
static unsigned char *fip_slot(const struct fip_pub *p, __u64 n)
{
	return p->pay + (size_t)(n & p->mask) * p->slot_size;
}

/*
 * One raw KMSGQ_IOC_FANOUT_PUBLISH on @fd: commit @nr_commit messages of
 * lengths @lens, reserve up to @nr_reserve, with @flags and a relative
 * deadline @ns on CLOCK_MONOTONIC for FIP_WAIT; the structure as the
 * kernel left it in *@out unless NULL.  Its result, or -errno.
 */
static int fip_publish(int fd, const __u32 *lens, __u32 nr_commit,
		       __u32 nr_reserve, __u32 flags, long long ns,
		       struct kmsgq_fanout_publish *out)
{
	struct kmsgq_fanout_publish a = {
		.size = sizeof(a),
		.flags = flags,
		.lens = (uintptr_t)lens,
		.nr_commit = nr_commit,
		.nr_reserve = nr_reserve,
		.clockid = CLOCK_MONOTONIC,
		.timeout = { .tv_sec = ns / NSEC_PER_SEC,
			     .tv_nsec = ns % NSEC_PER_SEC },
	};
	int ret = xioctl(fd, KMSGQ_IOC_FANOUT_PUBLISH, &a);

	if (out)
		*out = a;
	return ret;
}

/*
 * Commit everything @p holds with lengths @lens, then reserve up to
 * @nr_reserve with @flags (FIP_WAIT: FIP_STALL_NS at most); @p follows.
 * The number reserved, or -errno.
 */
static int fip_next(struct fip_pub *p, const __u32 *lens, __u32 nr_reserve,
		    __u32 flags)
{
	struct kmsgq_fanout_publish a;
	int ret;

	ret = fip_publish(p->fd, lens, p->held, nr_reserve, flags,
			  FIP_STALL_NS, &a);
	if (ret >= 0) {
		p->first = a.first;
		p->held = a.nr_reserved;
	} else if (ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EINTR) {
		/* The commit holds: only the reservation failed. */
		p->held = 0;
	}
	return ret;
}

/*
 * Reserve one slot (without waiting on an O_NONBLOCK file), write @len
 * bytes of pattern @seed, commit: 0, or -errno.
 */
static int fip_publish_one(struct fip_pub *p, __u32 len, unsigned int seed)
{
	int ret = fip_next(p, NULL, 1, 0);

	if (ret < 0)
		return ret;
	pattern(fip_slot(p, p->first), len, seed);
	ret = fip_next(p, &len, 0, 0);
	return ret < 0 ? ret : 0;
}

/*
 * One raw receive of a message of at most FIP_MSGSIZE bytes into @buf,
 * with @flags and, for @ns >= 0, a relative deadline; the losses reported
 * added to *@lost unless NULL.  Its length, or -errno.
 */
static int fip_recv(int fd, void *buf, __u32 flags, long long ns,
		    __u64 *lost)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)buf, .len = FIP_MSGSIZE };
	struct kmsgq_xfer x = {
		.size = sizeof(x),
		.flags = flags | (lost ? KMSGQ_XFER_LOST : 0),
		.msgs = (uintptr_t)&m,
		.nr = 1,
		.clockid = CLOCK_MONOTONIC,
	};
	int ret;

	if (ns >= 0) {
		x.flags |= FIP_WAIT;
		x.timeout.tv_sec = ns / NSEC_PER_SEC;
		x.timeout.tv_nsec = ns % NSEC_PER_SEC;
	}
	ret = xioctl(fd, KMSGQ_IOC_RECV, &x);
	if (lost)
		*lost += x.lost;
	return ret == 1 ? (int)m.len : ret < 0 ? ret : -EPROTO;
}

/* A new non-blocking subscriber of @name, mapped into *@v: its fd. */
static int fip_view(const char *name, struct kmsgq_fanout_view *v)
{
	int fd, ret;

	fd = kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	ret = kmsgq_fanout_map(fd, v);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static void fip_unview(struct kmsgq_fanout_view *v, int fd)
{
	kmsgq_fanout_unmap(v);
	close(fd);
}

/*
 * The next message of @v copied into @buf (FIP_MSGSIZE bytes), its length
 * in *@len: 1, 0 for none yet, -ESTALE if the view was lapped or the
 * slot reused while it was read.
 */
static int fip_view_next(struct kmsgq_fanout_view *v, void *buf, __u32 *len)
{
	const void *p;
	uint32_t l;
	int r;

	r = kmsgq_fanout_next(v, &p, &l);
	if (r <= 0)
		return r;
	if (l > FIP_MSGSIZE)
		return -EPROTO;
	memcpy(buf, p, l);
	*len = l;
	return kmsgq_fanout_done(v) ? 1 : -ESTALE;
}

static struct kmsgq_stats fip_stats(int fd)
{
	struct kmsgq_stats st = { 0 };

	if (kmsgq_stats(fd, &st))
		st.msgs_sent = ~0ULL;
	return st;
}

/* --- what the concurrent tests publish ------------------------------------ */

/* Who published a message, its number among that publisher's, a check. */
struct fip_head {
	__u32 id;
	__u32 cnt;
	__u32 len;
	__u32 check;
};

static unsigned int fip_seed(__u32 id, __u32 cnt)
{
	return mix32(id * 0x10001u + cnt * 0x9e3779b9u);
}

/* Message @cnt of publisher @id, @len bytes (a head at least), at @slot. */
static void fip_fill(void *slot, __u32 id, __u32 cnt, __u32 len)
{
	struct fip_head h = { id, cnt, len, fip_seed(id, cnt) ^ len };

	memcpy(slot, &h, sizeof(h));
	pattern((char *)slot + sizeof(h), len - sizeof(h), fip_seed(id, cnt));
}

/* Is @buf, @len bytes, a whole message fip_fill() wrote?  Its head in *@h. */
static bool fip_ok(const void *buf, __u32 len, struct fip_head *h)
{
	if (len < sizeof(*h) || len > FIP_MSGSIZE)
		return false;
	memcpy(h, buf, sizeof(*h));
	return h->len == len && h->check == (fip_seed(h->id, h->cnt) ^ len) &&
	       pattern_ok((const char *)buf + sizeof(*h), len - sizeof(*h),
			  fip_seed(h->id, h->cnt));
}

/* A random length for a fip_fill() message. */
static __u32 fip_len(uint64_t *r)
{
	return sizeof(struct fip_head) +
	       rnd(r) % (FIP_MSGSIZE - sizeof(struct fip_head) + 1);
}

/* --- creation and binding ------------------------------------------------- */

TEST_F(finp, inplace_needs_a_fan_out_ring_without_reclaim)
{
	static const __u32 bad[] = {
		0, KMSGQ_OPEN_FANOUT, KMSGQ_OPEN_RING,
		KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM,
		KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM,
	};
	struct kmsgq_info info;
	struct kmsgq_attr attr;
	unsigned int i;

	ASSERT_EQ(0, kmsgq_info(-1, &info));
	EXPECT_TRUE(info.features & KMSGQ_FEAT_FANOUT_MAP);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL,
			  fip_bind(self->name, O_RDWR, KMSGQ_OPEN_CREATE |
				   KMSGQ_OPEN_INPLACE | bad[i], 8, 0))
			TH_LOG("qflags %#x", bad[i]);
	EXPECT_EQ(-ENOENT, kmsgq_unlink(self->name));
	/* Every overflow policy goes with it. */
	ASSERT_EQ(0, fip_create(self, KMSGQ_OPEN_OVERFLOW_FAIL, 8));
	close(self->q);
	ASSERT_EQ(0, fip_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 8));
	close(self->q);
	ASSERT_EQ(0, fip_create(self, 0, 5));
	ASSERT_EQ(0, kmsgq_getattr(self->q, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING,
		  attr.qflags & (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING));
	EXPECT_EQ(8, attr.max_msgs);
	EXPECT_EQ(FIP_MSGSIZE, attr.max_msgsize);
	EXPECT_EQ(0, fip_payload_bytes(self->q) % getpagesize());
}

TEST_F(finp, a_publisher_file_is_no_subscriber)
{
	char buf[FIP_MSGSIZE];
	struct fip_pub p;
	unsigned int i;
	int s;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	/* Nothing to receive, so no history to ask for. */
	EXPECT_EQ(-EINVAL, fip_bind(self->name, O_RDWR, KMSGQ_OPEN_PUBLISHER,
				    0, 1));
	EXPECT_EQ(-EINVAL, fip_bind(self->name, O_RDWR, KMSGQ_OPEN_PUBLISHER,
				    0, KMSGQ_HISTORY_ALL));
	/* A publisher writes. */
	EXPECT_EQ(-EINVAL, fip_bind(self->name, O_RDONLY, KMSGQ_OPEN_PUBLISHER,
				    0, 0));
	/* No CREATE needed; readable, yet no subscriber. */
	ASSERT_EQ(0, fip_pub_open(self->name, O_NONBLOCK, &p));
	EXPECT_EQ(0, fip_stats(self->q).subscribers);
	EXPECT_EQ(-EBADF, fip_recv(p.fd, buf, KMSGQ_XFER_NONBLOCK, -1, NULL));
	/* Nor does it map the store, as a subscriber would, out of its share. */
	EXPECT_EQ(-EACCES, fip_mmap_err(p.fd, getpagesize(), PROT_READ,
					MAP_SHARED, 0));
	/* Three depths, nobody to hold it back. */
	for (i = 0; i < 3 * FIP_DEPTH; i++)
		ASSERT_EQ(0, fip_publish_one(&p, 4, i)) TH_LOG("message %u", i);
	/* An O_RDWR file without the flag is a subscriber, and holds it. */
	s = fip_bind(self->name, O_RDWR | O_NONBLOCK, 0, 0, 0);
	ASSERT_LE(0, s);
	EXPECT_EQ(1, fip_stats(self->q).subscribers);
	for (i = 0; i < FIP_DEPTH; i++)
		ASSERT_EQ(0, fip_publish_one(&p, 4, i));
	EXPECT_EQ(-EAGAIN, fip_publish_one(&p, 4, i));
	EXPECT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, 4, 0));
	EXPECT_EQ(0, fip_publish_one(&p, 4, i));
	close(s);
	fip_pub_close(&p);
}

/* --- publishing in place -------------------------------------------------- */

TEST_F(finp, copy_and_mapped_subscribers_read_what_was_written_in_place)
{
	static const __u32 lens[4] = { 5, FIP_MSGSIZE, 1, 33 };
	__u32 more[3] = { 10, FIP_HOLE, 20 }, len, i;
	struct kmsgq_fanout_view v;
	char buf[FIP_MSGSIZE];
	struct kmsgq_stats st;
	struct fip_pub p;
	int s, m;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	EXPECT_EQ(0, v.map->data_off % getpagesize());
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	EXPECT_EQ(v.slot_size, p.slot_size);
	EXPECT_EQ(v.mask, p.mask);
	ASSERT_EQ(4, fip_next(&p, NULL, 4, 0));
	EXPECT_EQ(0, p.first);
	for (i = 0; i < 4; i++)
		pattern(fip_slot(&p, i), lens[i], i + 1);
	/* Reserved, not yet committed: nothing to read. */
	EXPECT_EQ(4, v.map->reserve);
	EXPECT_EQ(0, v.map->tail);
	EXPECT_EQ(-EAGAIN, fip_recv(s, buf, 0, -1, NULL));
	ASSERT_EQ(0, fip_next(&p, lens, 0, 0));
	EXPECT_EQ(0, p.held);
	EXPECT_EQ(4, v.map->tail);
	for (i = 0; i < 4; i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ((int)lens[i], read(s, buf, sizeof(buf)));
		EXPECT_TRUE(pattern_ok(buf, lens[i], i + 1));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(1, fip_view_next(&v, buf, &len));
		EXPECT_EQ(lens[i], len);
		EXPECT_TRUE(pattern_ok(buf, len, i + 1)) TH_LOG("message %u", i);
	}
	/* One store: the payload mapping shows the subscribers' bytes. */
	EXPECT_EQ(0, memcmp(p.pay, v.data, (size_t)v.slot_size * (v.mask + 1)));
	st = fip_stats(self->q);
	EXPECT_EQ(4, st.msgs_sent);
	EXPECT_EQ(5 + FIP_MSGSIZE + 1 + 33, st.bytes_sent);
	/* A hole amid a batch: skipped, counted nowhere. */
	ASSERT_EQ(3, fip_next(&p, NULL, 3, 0));
	EXPECT_EQ(4, p.first);
	pattern(fip_slot(&p, 4), more[0], 40);
	pattern(fip_slot(&p, 6), more[2], 60);
	ASSERT_EQ(0, fip_next(&p, more, 0, 0));
	EXPECT_EQ(7, v.map->tail);
	EXPECT_EQ(FIP_HOLE, v.len[5 & v.mask]);
	EXPECT_EQ(10, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, 10, 40));
	EXPECT_EQ(20, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, 20, 60));
	EXPECT_EQ(-EAGAIN, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(fip_view_next(&v, buf, &len) == 1 && len == 10);
	EXPECT_TRUE(fip_view_next(&v, buf, &len) == 1 && len == 20);
	EXPECT_TRUE(pattern_ok(buf, 20, 60));
	EXPECT_EQ(0, fip_view_next(&v, buf, &len));
	st = fip_stats(self->q);
	EXPECT_EQ(6, st.msgs_sent);
	EXPECT_EQ(5 + FIP_MSGSIZE + 1 + 33 + 30, st.bytes_sent);
	fip_pub_close(&p);
	fip_unview(&v, m);
	close(s);
}

/*
 * A commit clears what the slot's longer message left past the new
 * length, and a hole's whole slot: a reader sees nothing of what it held.
 */
TEST_F(finp, a_commit_clears_what_a_longer_message_left)
{
	unsigned char want[FIP_MSGSIZE] = { 0 };
	struct kmsgq_fanout_view v;
	struct fip_pub p;
	int m;

	ASSERT_EQ(0, fip_create(self, 0, 2));
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	memset(fip_slot(&p, 0), 0xa5, 2 * FIP_MSGSIZE);
	ASSERT_EQ(0, fip_next(&p, (__u32[]){ FIP_MSGSIZE, FIP_MSGSIZE }, 0,
			      0));
	v.pos = 2;
	ASSERT_EQ(0, kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL));
	/* Message 2, three bytes in slot 0; message 3 a hole in slot 1. */
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	ASSERT_EQ(2, p.first);
	memset(fip_slot(&p, 2), 0x11, 3);
	memset(fip_slot(&p, 3), 0x22, FIP_MSGSIZE);
	ASSERT_EQ(0, fip_next(&p, (__u32[]){ 3, FIP_HOLE }, 0, 0));
	ASSERT_EQ(4, v.map->tail);
	EXPECT_EQ(2, v.seq[0]);
	EXPECT_EQ(3, v.len[0]);
	EXPECT_EQ(3, v.seq[1]);
	EXPECT_EQ(FIP_HOLE, v.len[1]);
	memset(want, 0x11, 3);
	EXPECT_EQ(0, memcmp(v.data, want, FIP_MSGSIZE));
	memset(want, 0, 3);
	EXPECT_EQ(0, memcmp(v.data + v.slot_size, want, FIP_MSGSIZE));
	/* The publisher's mapping is the same store. */
	EXPECT_EQ(0, memcmp(p.pay, v.data, 2 * FIP_MSGSIZE));
	fip_pub_close(&p);
	fip_unview(&v, m);
}

/* --- who maps what, and how ----------------------------------------------- */

TEST_F(finp, each_access_mode_maps_the_payload_as_it_may)
{
	static const int want[3] = { -EACCES, -EACCES, 0 };
	size_t size;
	int mode, fd, n;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	size = fip_payload_bytes(self->q);
	ASSERT_NE(0, size);
	/* Granted nothing (access mode 3): not bound. */
	EXPECT_EQ(-EACCES, fip_bind(self->name, 3, 0, 0, 0));
	for (mode = 0; mode < 3; mode++) {
		fd = fip_bind(self->name, mode | O_NONBLOCK, 0, 0, 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(want[mode], fip_mmap_err(fd, size, FIP_RW,
						   MAP_SHARED, FIP_OFF))
			TH_LOG("open mode %d", mode);
		/* Write access publishes, mapped or not (O_WRONLY: the VFS). */
		n = fip_publish(fd, NULL, 0, 1, 0, 0, NULL);
		EXPECT_EQ(mode ? 1 : -EBADF, n) TH_LOG("open mode %d", mode);
		if (n == 1)
			EXPECT_EQ(0, fip_publish(fd, (__u32[]){ FIP_HOLE }, 1,
						 0, 0, 0, NULL));
		close(fd);
	}
}

TEST_F(finp, the_payload_maps_shared_writable_never_executable)
{
	size_t pg = getpagesize(), size;
	struct kmsgq_fanout_view v;
	struct fip_pub p;
	int s, m;
	void *a;

	/* More than a page of slots. */
	ASSERT_EQ(0, fip_create(self, 0, 128));
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	size = p.pay_size;
	ASSERT_LT(pg, size);
	EXPECT_EQ(-EPERM, fip_mmap_err(p.fd, size, FIP_RW | PROT_EXEC,
				       MAP_SHARED, FIP_OFF));
	EXPECT_EQ(-EINVAL, fip_mmap_err(p.fd, size, FIP_RW, MAP_PRIVATE,
					FIP_OFF));
	EXPECT_EQ(-EINVAL, fip_mmap_err(p.fd, size + pg, FIP_RW, MAP_SHARED,
					FIP_OFF));
	EXPECT_EQ(-EINVAL, fip_mmap_err(p.fd, pg, FIP_RW, MAP_SHARED, pg));
	EXPECT_EQ(-EINVAL, fip_mmap_err(p.fd, pg, FIP_RW, MAP_SHARED,
					FIP_OFF + pg));
	EXPECT_EQ(-EINVAL, fip_mmap_err(p.fd, pg, FIP_RW, MAP_SHARED,
					FIP_OFF - pg));
	/* The store's head stays the kernel's, for everyone. */
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	s = fip_bind(self->name, O_RDWR, 0, 0, 0);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EACCES, fip_mmap_err(p.fd, pg, FIP_RW, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, fip_mmap_err(s, pg, FIP_RW, MAP_SHARED, 0));
	EXPECT_EQ(-1, mprotect((void *)v.map, v.map_size, FIP_RW));
	/* Nor may execute rights come later. */
	EXPECT_EQ(-1, mprotect(p.pay, size, FIP_RW | PROT_EXEC));
	/* No growing, neither past the slots nor within them. */
	EXPECT_EQ(MAP_FAILED, mremap(p.pay, size, size + pg, MREMAP_MAYMOVE));
	a = fip_map(p.fd, pg);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(MAP_FAILED, mremap(a, pg, size, MREMAP_MAYMOVE));
	munmap(a, pg);
	/* Still the same bytes both ways. */
	ASSERT_EQ(0, fip_publish_one(&p, 40, 7));
	EXPECT_EQ(0, memcmp(p.pay, v.data, 40));
	close(s);
	fip_unview(&v, m);
	fip_pub_close(&p);
}

TEST_F(finp, only_an_inplace_queue_has_payload_to_map_or_publish)
{
	static const __u32 kinds[] = {
		KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING, KMSGQ_OPEN_FANOUT,
		KMSGQ_OPEN_RING, 0,
	};
	struct kmsgq_attr attr = { .max_msgs = 4, .max_msgsize = 64 };
	unsigned int i;
	int fd, pub;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		attr.qflags = kinds[i];
		kmsgq_unlink(self->other);
		fd = kmsgq_open(self->other, O_RDWR | O_CREAT | O_EXCL, 0600,
				&attr);
		ASSERT_LE(0, fd);
		if (kinds[i] == (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING))
			EXPECT_EQ(-EINVAL, fip_mmap_err(fd, getpagesize(),
							PROT_READ, MAP_SHARED,
							FIP_OFF));
		EXPECT_EQ(-EOPNOTSUPP, fip_publish(fd, NULL, 0, 1, 0, 0, NULL))
			TH_LOG("qflags %#x", kinds[i]);
		/* Publisher files: on fan-out queues only. */
		pub = fip_bind(self->other, O_RDWR, KMSGQ_OPEN_PUBLISHER, 0, 0);
		EXPECT_EQ(kinds[i] & KMSGQ_OPEN_FANOUT ? 0 : -EINVAL,
			  pub < 0 ? pub : 0) TH_LOG("qflags %#x", kinds[i]);
		if (pub >= 0)
			close(pub);
		close(fd);
	}
	fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, fip_publish(fd, NULL, 0, 1, 0, 0, NULL));
	close(fd);
}

/* --- what KMSGQ_IOC_FANOUT_PUBLISH refuses -------------------------------- */

TEST_F(finp, bad_publishes_fail_with_clear_errnos)
{
	struct kmsgq_fanout_publish a;
	__u32 lens[2] = { 8, FIP_MSGSIZE + 1 };
	char buf[FIP_MSGSIZE];
	struct fip_pub p;
	int s;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBADF, fip_publish(s, NULL, 0, 1, 0, 0, NULL));
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	/* Nothing held, nothing to commit. */
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, lens, 1, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, NULL, 0, KMSGQ_BATCH_MAX + 1, 0,
				       0, NULL));
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, NULL, 0, 1, KMSGQ_XFER_PEEK, 0,
				       NULL));
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, NULL, 0, 1, KMSGQ_XFER_LOST, 0,
				       NULL));
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, NULL, 0, 1, 0x80000000U, 0,
				       NULL));
	memset(&a, 0, sizeof(a));
	a.size = KMSGQ_FANOUT_PUBLISH_SIZE_VER0 - 8;
	a.nr_reserve = 1;
	EXPECT_EQ(-EINVAL, xioctl(p.fd, KMSGQ_IOC_FANOUT_PUBLISH, &a));
	EXPECT_EQ(0, fip_stats(self->q).msgs_sent);
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	/* More than held; more while some stay held. */
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, lens, 3, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, NULL, 0, 1, 0, 0, NULL));
	/* A length past the slot: nothing committed, the two still held. */
	pattern(fip_slot(&p, 0), 8, 1);
	pattern(fip_slot(&p, 1), FIP_MSGSIZE, 2);
	EXPECT_EQ(-EMSGSIZE, fip_publish(p.fd, lens, 2, 0, 0, 0, NULL));
	lens[1] = KMSGQ_FANOUT_LEN_PENDING;
	EXPECT_EQ(-EMSGSIZE, fip_publish(p.fd, lens, 2, 0, 0, 0, NULL));
	/* An unreadable array: nothing committed either. */
	EXPECT_EQ(-EFAULT, fip_publish(p.fd, fault_page(), 2, 0, 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_EQ(0, fip_stats(self->q).msgs_sent);
	lens[1] = FIP_MSGSIZE;
	ASSERT_EQ(1, fip_publish(p.fd, lens, 2, 1, 0, 0, &a));
	EXPECT_EQ(2, a.first);
	EXPECT_EQ(1, a.nr_reserved);
	EXPECT_EQ(8, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, 8, 1));
	EXPECT_EQ(FIP_MSGSIZE, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, FIP_MSGSIZE, 2));
	EXPECT_EQ(2, fip_stats(self->q).msgs_sent);
	EXPECT_EQ(8 + FIP_MSGSIZE, fip_stats(self->q).bytes_sent);
	/* A commit of some that would leave others held cannot reserve. */
	ASSERT_EQ(2, fip_publish(p.fd, lens, 1, 2, 0, 0, &a));
	EXPECT_EQ(3, a.first);
	EXPECT_EQ(-EINVAL, fip_publish(p.fd, lens, 1, 1, 0, 0, NULL));
	fip_pub_close(&p);
	close(s);
}

TEST_F(finp, a_full_queue_refuses_the_reservation_but_keeps_the_commit)
{
	struct kmsgq_fanout_publish a;
	__u32 lens[4] = { 4, 4, 4, 4 };
	char buf[FIP_MSGSIZE];
	struct fip_pub p, nb;
	int s, c;

	ASSERT_EQ(0, fip_create(self, 0, 4));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fip_pub_open(self->name, O_NONBLOCK, &nb));
	ASSERT_EQ(4, fip_next(&nb, NULL, 4, 0));
	EXPECT_EQ(-EAGAIN, fip_publish(nb.fd, lens, 4, 1, 0, 0, &a));
	EXPECT_EQ(0, a.nr_reserved);
	EXPECT_EQ(4, fip_stats(self->q).msgs_sent);
	EXPECT_EQ(-EAGAIN, fip_publish(nb.fd, NULL, 0, 1, 0, 0, NULL));
	/* A publisher that may sleep, until its deadline. */
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	EXPECT_EQ(-ETIMEDOUT, fip_publish(p.fd, NULL, 0, 1, FIP_WAIT,
					  20 * NSEC_PER_MSEC, NULL));
	/* One read: room for one, fewer than asked. */
	EXPECT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
	ASSERT_EQ(1, fip_publish(p.fd, NULL, 0, 2, 0, 0, &a));
	EXPECT_EQ(4, a.first);
	EXPECT_EQ(1, a.nr_reserved);
	EXPECT_EQ(0, fip_publish(p.fd, (__u32[]){ FIP_HOLE }, 1, 0, 0, 0,
				 NULL));
	fip_pub_close(&nb);
	fip_pub_close(&p);
	close(s);
	/* OVERFLOW_FAIL: EAGAIN even for a publisher that may sleep. */
	c = fip_create_named(self->other, KMSGQ_OPEN_OVERFLOW_FAIL, 2);
	ASSERT_LE(0, c);
	s = kmsgq_subscribe(self->other, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fip_pub_open(self->other, 0, &p));
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	EXPECT_EQ(-EAGAIN, fip_next(&p, lens, 1, 0));
	EXPECT_EQ(2, fip_stats(c).msgs_sent);
	fip_pub_close(&p);
	close(s);
	close(c);
}

/* Calls on one file go on while another of them sleeps for room. */
TEST_F(finp, a_call_does_not_wait_for_another_calls_room)
{
	struct kmsgq_fanout_publish a;
	__u32 lens[2] = { 4, 4 };
	char buf[FIP_MSGSIZE];
	struct fip_pub p;
	pid_t kid;
	int s;

	ASSERT_EQ(0, fip_create(self, 0, 2));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	ASSERT_EQ(0, fip_next(&p, lens, 0, 0));
	/* Full: the child, on the same file, sleeps for room. */
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid)
		_exit(fip_publish(p.fd, NULL, 0, 1, FIP_WAIT, FIP_STALL_NS,
				  NULL) == 1 ? 0 : 1);
	ASSERT_EQ(0, wait_sleepers(s, true, 1));
	EXPECT_EQ(0, fip_publish(p.fd, NULL, 0, 0, KMSGQ_XFER_NONBLOCK, 0, &a));
	EXPECT_EQ(0, fip_publish(p.fd, NULL, 0, 0, 0, 0, &a));
	EXPECT_EQ(0, a.nr_reserved);
	/* Room: the sleeper reserves it, for the file. */
	EXPECT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, kid)));
	EXPECT_EQ(1, fip_publish(p.fd, NULL, 0, 0, 0, 0, &a));
	EXPECT_EQ(2, a.first);
	p.first = a.first;
	p.held = a.nr_reserved;
	EXPECT_EQ(0, fip_next(&p, lens, 0, 0));
	EXPECT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
	fip_pub_close(&p);
	close(s);
}

/*
 * A call that sleeps for room and another on the same file that reserves
 * the room it was woken for: one of them holds the range, never both.
 */
TEST_F(finp, two_calls_on_one_file_never_both_hold_a_range)
{
	struct kmsgq_fanout_publish a, b;
	unsigned int round, busy = 0;
	int s, ret, theirs, rep[2];
	char buf[FIP_MSGSIZE];
	__u32 four = 4;
	struct fip_pub p;
	pid_t kid;

	ASSERT_EQ(0, fip_create(self, 0, 2));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	ASSERT_EQ(2, fip_next(&p, NULL, 2, 0));
	ASSERT_EQ(0, fip_next(&p, (__u32[]){ 4, 4 }, 0, 0));
	for (round = 0; round < 10; round++) {
		ASSERT_EQ(0, pipe(rep));
		kid = kids_fork(&self->kids);
		ASSERT_LE(0, kid);
		if (!kid) {
			ret = fip_publish(p.fd, NULL, 0, 1, FIP_WAIT,
					  FIP_STALL_NS, &a);
			child_write(rep[1], &ret, sizeof(ret));
			child_write(rep[1], &a, sizeof(a));
			_exit(0);
		}
		close(rep[1]);
		ASSERT_EQ(0, wait_sleepers(s, true, 1));
		/* Room for one, and at once a reservation of it here. */
		ASSERT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
		ret = fip_publish(p.fd, NULL, 0, 1, KMSGQ_XFER_NONBLOCK, 0, &b);
		/* Ours: the sleeper sleeps on until there is room again. */
		if (ret == 1)
			ASSERT_EQ(4, fip_recv(s, buf, 0, -1, NULL));
		ASSERT_TRUE(read_all(rep[0], &theirs, sizeof(theirs)));
		ASSERT_TRUE(read_all(rep[0], &a, sizeof(a)));
		close(rep[0]);
		EXPECT_TRUE(exited_ok(kids_reap(&self->kids, kid)));
		if (theirs == -EBUSY) {
			/* Ours, which theirs reports as the file's. */
			busy++;
			EXPECT_EQ(1, ret);
			EXPECT_EQ(b.first, a.first);
			EXPECT_EQ(1, a.nr_reserved);
		} else {
			/* Theirs; ours found no room, or the file's range. */
			EXPECT_EQ(1, theirs);
			EXPECT_TRUE(ret == -EAGAIN || ret == -EINVAL)
				TH_LOG("ours: %d", ret);
		}
		/* The file holds one, whoever reserved it. */
		EXPECT_EQ(1, fip_publish(p.fd, NULL, 0, 0, 0, 0, &a));
		EXPECT_EQ(0, fip_publish(p.fd, &four, 1, 0, 0, 0, NULL));
		/* Full again. */
		if (ret == 1) {
			ASSERT_EQ(1, fip_publish(p.fd, NULL, 0, 1, 0, 0, NULL));
			ASSERT_EQ(0, fip_publish(p.fd, &four, 1, 0, 0, 0,
						 NULL));
		}
	}
	TH_LOG("the call that did not sleep reserved first in %u of 10 rounds",
	       busy);
	fip_pub_close(&p);
	close(s);
}

/* --- permissions and namespaces ------------------------------------------- */

/* As nobody: publish one message of 9 bytes, pattern 77, on @arg. */
static int fip_nobody_publishes(const void *arg)
{
	struct fip_pub p;
	int ret;

	if (become(NOBODY, NOBODY))
		return -EPERM;
	ret = fip_pub_open(arg, 0, &p);
	if (ret)
		return ret;
	ret = fip_publish_one(&p, 9, 77);
	fip_pub_close(&p);
	return ret;
}

TEST_F(finp, an_unprivileged_publisher_needs_write_permission)
{
	char buf[FIP_MSGSIZE];
	int s;

	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0644));
	EXPECT_EQ(-EACCES, child_int(fip_nobody_publishes, self->name));
	EXPECT_EQ(-EAGAIN, fip_recv(s, buf, 0, -1, NULL));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0666));
	EXPECT_EQ(0, child_int(fip_nobody_publishes, self->name));
	EXPECT_EQ(9, fip_recv(s, buf, 0, -1, NULL));
	EXPECT_TRUE(pattern_ok(buf, 9, 77));
	close(s);
}

/* In a new IPC namespace: a publisher of queue @arg, or -errno. */
static int fip_other_ns(const void *arg)
{
	int fd;

	if (unshare(CLONE_NEWIPC))
		return -ENOSYS;
	fd = fip_bind(arg, O_RDWR, KMSGQ_OPEN_PUBLISHER, 0, 0);
	return fd < 0 ? fd : 0;
}

TEST_F(finp, another_ipc_namespace_does_not_see_the_queue)
{
	char buf[FIP_MSGSIZE];
	int s, ret;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ret = child_int(fip_other_ns, self->name);
	if (ret == -ENOSYS) {
		close(s);
		SKIP(return, "no IPC namespaces here");
	}
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(-EAGAIN, fip_recv(s, buf, 0, -1, NULL));
	close(s);
}

/* --- hostile publishers --------------------------------------------------- */

static sigjmp_buf fip_fault_jmp;

static void fip_on_segv(int sig)
{
	(void)sig;
	siglongjmp(fip_fault_jmp, 1);
}

/* In a child that inherited the view @arg: every store into it faults. */
/*
 * Whether a store at @w faults.  A function of its own: nothing it keeps
 * in a local is modified between the sigsetjmp() and the siglongjmp().
 */
static __attribute__((noinline)) bool fip_store_faults(volatile unsigned char *w)
{
	if (!sigsetjmp(fip_fault_jmp, 1)) {
		*w = 0x7f;
		return false;
	}
	return true;
}

static int fip_view_store_faults(const void *arg)
{
	const struct kmsgq_fanout_view *v = arg;
	struct sigaction sa = { .sa_handler = fip_on_segv };

	if (sigaction(SIGSEGV, &sa, NULL))
		return 10;
	if (!fip_store_faults((volatile unsigned char *)v->data))
		return 11;
	if (!fip_store_faults((volatile unsigned char *)v->map))
		return 12;
	return 0;
}

/*
 * The scribbler: garbage over every slot, committed or reserved by
 * anyone, until @stop reads EOF; now and then a message of its own, of a
 * random length or a hole.  Reports its messages and bytes on @report.
 */
static void __attribute__((noreturn))
fip_scribbler(const char *name, int stop, int report)
{
	__u64 out[2] = { 0, 0 };
	uint64_t r = 0x5eed, *w;
	struct fip_pub p;
	unsigned int it;
	__u32 len;
	size_t i;
	char c;

	if (fip_pub_open(name, O_NONBLOCK, &p))
		_exit(10);
	w = (uint64_t *)p.pay;
	for (it = 0; read(stop, &c, 1) < 0 && errno == EAGAIN; it++) {
		for (i = 0; i < p.pay_size / sizeof(*w); i++)
			w[i] = rnd(&r);
		if (it % 16 || fip_next(&p, NULL, 1, 0) != 1)
			continue;
		len = rnd(&r) % 4 ? rnd(&r) % (p.slot_size + 1) : FIP_HOLE;
		if (fip_next(&p, &len, 0, 0))
			_exit(11);
		if (len != FIP_HOLE) {
			out[0]++;
			out[1] += len;
		}
	}
	child_write(report, out, sizeof(out));
	_exit(0);
}

/* What a subscriber saw: messages, bytes, and a hash of the lengths in order. */
struct fip_seen {
	__u64 nr, bytes, hash;
};

static void fip_saw(struct fip_seen *w, __u32 len)
{
	w->nr++;
	w->bytes += len;
	w->hash = w->hash * 1000003 + len + 1;
}

/* Drain copy subscriber @s into @ws and view @v into @wv: 0, or -errno. */
static int fip_drain_both(int s, struct kmsgq_fanout_view *v,
			  struct fip_seen *ws, struct fip_seen *wv)
{
	char buf[FIP_MSGSIZE];
	__u32 len;
	int n;

	while ((n = fip_recv(s, buf, 0, -1, NULL)) >= 0)
		fip_saw(ws, n);
	if (n != -EAGAIN)
		return n;
	/* Lossless, and it acknowledges only what it read: never lapped. */
	while ((n = fip_view_next(v, buf, &len)) == 1)
		fip_saw(wv, len);
	return n ? n : kmsgq_fanout_ack(v, 0, CLOCK_MONOTONIC, NULL);
}

TEST_F_TIMEOUT(finp, a_scribbling_publisher_garbles_payloads_only, 300)
{
	struct fip_seen ws = { 0 }, wv = { 0 };
	__u64 sent = 0, bytes = 0, theirs[2];
	struct kmsgq_fanout_view v;
	int s, m, n, stop[2], rep[2];
	unsigned int round, i, want, tries;
	struct kmsgq_stats st;
	struct fip_pub p;
	uint64_t r = 1;
	__u32 lens[4];
	pid_t kid;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, pipe2(stop, O_NONBLOCK));
	ASSERT_EQ(0, pipe(rep));
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid) {
		close(stop[1]);
		fip_scribbler(self->name, stop[0], rep[1]);
	}
	close(stop[0]);
	close(rep[1]);
	/* This thread drains the subscribers: it must never sleep for room. */
	ASSERT_EQ(0, fip_pub_open(self->name, O_NONBLOCK, &p));
	for (round = 0; round < 300; round++) {
		want = rnd(&r) % 4 + 1;
		for (tries = 0; (n = fip_next(&p, lens, want, 0)) == -EAGAIN;
		     tries++) {
			ASSERT_LT(tries, 100000) TH_LOG("round %u: no room", round);
			ASSERT_EQ(0, fip_drain_both(s, &v, &ws, &wv));
			usleep(100);
		}
		ASSERT_LE(1, n) TH_LOG("round %u: refused", round);
		for (i = 0; i < (unsigned int)n; i++) {
			lens[i] = rnd(&r) % (FIP_MSGSIZE + 1);
			pattern(fip_slot(&p, p.first + i), lens[i], round);
			sent++;
			bytes += lens[i];
		}
		ASSERT_EQ(0, fip_drain_both(s, &v, &ws, &wv));
	}
	ASSERT_EQ(0, fip_next(&p, lens, 0, 0));
	close(stop[1]);
	ASSERT_TRUE(read_all(rep[0], theirs, sizeof(theirs)));
	close(rep[0]);
	EXPECT_TRUE(exited_ok(kids_reap(&self->kids, kid)));
	ASSERT_EQ(0, fip_drain_both(s, &v, &ws, &wv));
	TH_LOG("%llu messages of ours, %llu of the scribbler's",
	       (unsigned long long)sent, (unsigned long long)theirs[0]);
	/* Every message, once; the same lengths to both, as committed. */
	EXPECT_EQ(sent + theirs[0], ws.nr);
	EXPECT_EQ(bytes + theirs[1], ws.bytes);
	EXPECT_EQ(ws.nr, wv.nr);
	EXPECT_EQ(ws.bytes, wv.bytes);
	EXPECT_EQ(ws.hash, wv.hash);
	st = fip_stats(self->q);
	EXPECT_EQ(ws.nr, st.msgs_sent);
	EXPECT_EQ(ws.bytes, st.bytes_sent);
	EXPECT_EQ(v.map->tail, v.map->reserve);
	/* Subscribers' read-only view: a store faults. */
	EXPECT_EQ(0, child_int(fip_view_store_faults, &v));
	fip_pub_close(&p);
	fip_unview(&v, m);
	close(s);
}

/* --- publishers that go --------------------------------------------------- */

/*
 * In a child: wait for the next message, by a receive on @s or (@v not
 * NULL) in place with ACK waits; it must be 21 bytes of pattern 3: 0 if so.
 */
static int fip_wait_next(int s, struct kmsgq_fanout_view *v)
{
	struct timespec rel = { .tv_sec = FIP_STALL_NS / NSEC_PER_SEC };
	char buf[FIP_MSGSIZE];
	__u32 len;
	int n;

	if (!v) {
		n = fip_recv(s, buf, 0, FIP_STALL_NS, NULL);
		return n == 21 && pattern_ok(buf, 21, 3) ? 0 : 10;
	}
	while ((n = fip_view_next(v, buf, &len)) == 0)
		if (kmsgq_fanout_ack(v, KMSGQ_FANOUT_ACK_WAIT |
				     KMSGQ_XFER_RELATIVE, CLOCK_MONOTONIC,
				     &rel))
			return 11;
	return n == 1 && len == 21 && pattern_ok(buf, 21, 3) ? 0 : 12;
}

/*
 * Two subscribers sleep at three reserved messages, one in a receive, one
 * in an ACK wait; their publisher closes and unmaps; the holes it leaves
 * move the tail on, and message 3, from a new publisher, wakes both.
 */
TEST_F(finp, a_closed_publishers_reservation_becomes_holes_sleepers_skip)
{
	struct kmsgq_fanout_view v;
	struct kmsgq_stats st;
	struct fip_pub p;
	pid_t kid[2];
	int m, s, i;

	ASSERT_EQ(0, fip_create(self, 0, FIP_DEPTH));
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	/* The view's file is O_NONBLOCK, which an ACK wait ignores. */
	s = kmsgq_subscribe(self->name, O_RDONLY, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	ASSERT_EQ(3, fip_next(&p, NULL, 3, 0));
	for (i = 0; i < 2; i++) {
		kid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, kid[i]);
		if (!kid[i]) {
			/* Only the parent holds the publisher. */
			fip_pub_close(&p);
			_exit(fip_wait_next(s, i ? &v : NULL));
		}
	}
	ASSERT_EQ(0, wait_sleepers(self->q, false, 2));
	fip_pub_close(&p);
	/* Holes: the tail moves on, though nothing is to be read. */
	for (i = 0; i < SLEEP_POLL_TRIES && v.map->tail < 3; i++)
		usleep(1000);
	ASSERT_EQ(3, v.map->tail);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i, v.seq[i]);
		EXPECT_EQ(FIP_HOLE, v.len[i]);
	}
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	ASSERT_EQ(1, fip_next(&p, NULL, 1, 0));
	EXPECT_EQ(3, p.first);
	pattern(fip_slot(&p, 3), 21, 3);
	ASSERT_EQ(0, fip_next(&p, (__u32[]){ 21 }, 0, 0));
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(exited_ok(kids_reap(&self->kids, kid[i])))
			TH_LOG("%s", i ? "ACK waiter" : "receiver");
	EXPECT_EQ(0, fip_wait_next(m, &v));
	st = fip_stats(self->q);
	EXPECT_EQ(1, st.msgs_sent);
	EXPECT_EQ(21, st.bytes_sent);
	fip_pub_close(&p);
	fip_unview(&v, m);
	close(s);
}

/* Publishers at once, and how many the SIGKILL test kills in all. */
#define KILL_PUBS	4
#define KILL_ROUNDS	40
/* fip_head.id of the message that closes the SIGKILL test. */
#define KILL_LAST	0xffff

/*
 * A publisher to be killed: batches of 1 to 8 messages of its own, forever,
 * each commit with the next reservation; one in 16 a hole.
 */
static void __attribute__((noreturn)) fip_doomed(const char *name, __u32 id)
{
	uint64_t r = id + 1;
	__u32 lens[8], cnt = 0;
	struct fip_pub p;
	int n, i;

	if (fip_pub_open(name, 0, &p))
		_exit(10);
	for (;;) {
		n = fip_next(&p, lens, rnd(&r) % 8 + 1, 0);
		if (n < 0)
			_exit(11);
		for (i = 0; i < n; i++) {
			lens[i] = fip_len(&r);
			fip_fill(fip_slot(&p, p.first + i), id, cnt++,
				 lens[i]);
			if (rnd(&r) % 16 == 0)
				lens[i] = FIP_HOLE;
		}
	}
}

/*
 * Check a received message: whole, of a publisher that was forked (@ids
 * of them), later than the last of its seen (@last): 0, or what is wrong.
 */
static const char *fip_check_doomed(const char *buf, int n, __u32 ids,
				    __s64 *last)
{
	struct fip_head h;

	if (n < 0)
		return n == -ETIMEDOUT ? "stalled" : "receive failed";
	if (!fip_ok(buf, n, &h))
		return "torn message";
	if (h.id == KILL_LAST)
		return NULL;
	if (h.id >= ids)
		return "unknown publisher";
	if ((__s64)h.cnt <= last[h.id])
		return "out of order";
	last[h.id] = h.cnt;
	return NULL;
}

TEST_F_TIMEOUT(finp, publishers_killed_between_reserve_and_commit_stall_nothing,
	       600)
{
	__s64 last[KILL_PUBS + KILL_ROUNDS];
	unsigned int seed = time(NULL) ^ getpid(), kills = 0, got = 0, ids;
	char buf[FIP_MSGSIZE];
	pid_t pid[KILL_PUBS];
	struct fip_head h;
	struct fip_pub p;
	const char *bad;
	int s, i, n;

	TH_LOG("seed %u", seed);
	srand(seed);
	for (i = 0; i < KILL_PUBS + KILL_ROUNDS; i++)
		last[i] = -1;
	ASSERT_EQ(0, fip_create(self, 0, 16));
	s = kmsgq_subscribe(self->name, O_RDONLY, 0);
	ASSERT_LE(0, s);
	for (ids = 0; ids < KILL_PUBS; ids++) {
		pid[ids] = kids_fork(&self->kids);
		ASSERT_LE(0, pid[ids]);
		if (!pid[ids])
			fip_doomed(self->name, ids);
	}
	while (kills < KILL_ROUNDS) {
		n = fip_recv(s, buf, 0, FIP_STALL_NS, NULL);
		bad = fip_check_doomed(buf, n, ids, last);
		ASSERT_TRUE(bad == NULL) TH_LOG("%s after %u messages, %u kills",
					    bad, got, kills);
		got++;
		if (rand() % 32)
			continue;
		i = rand() % KILL_PUBS;
		if (rand() % 2)
			usleep(rand() % 2000);
		kill(pid[i], SIGKILL);
		kids_reap(&self->kids, pid[i]);
		/* The helper list is short: reuse the slot of the dead. */
		self->kids.nr = 0;
		for (n = 0; n < KILL_PUBS; n++)
			if (n != i)
				self->kids.pid[self->kids.nr++] = pid[n];
		pid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			fip_doomed(self->name, ids);
		ids++;
		kills++;
	}
	kids_kill(&self->kids);
	/* A new publisher reserves, and its message comes after the rest. */
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	do {
		n = fip_recv(s, buf, KMSGQ_XFER_NONBLOCK, -1, NULL);
		if (n == -EAGAIN)
			break;
		bad = fip_check_doomed(buf, n, ids, last);
		ASSERT_TRUE(bad == NULL) TH_LOG("%s while draining", bad);
		got++;
	} while (1);
	ASSERT_LE(1, fip_next(&p, NULL, 1, FIP_WAIT));
	fip_fill(fip_slot(&p, p.first), KILL_LAST, 0, 20);
	ASSERT_EQ(0, fip_next(&p, (__u32[]){ 20 }, 0, 0));
	do {
		n = fip_recv(s, buf, 0, FIP_STALL_NS, NULL);
		bad = fip_check_doomed(buf, n, ids, last);
		ASSERT_TRUE(bad == NULL) TH_LOG("%s waiting for the last", bad);
	} while (!fip_ok(buf, n, &h) || h.id != KILL_LAST);
	TH_LOG("%u messages from %u publishers", got, ids);
	EXPECT_LT(0, got);
	EXPECT_EQ(0, fip_stats(s).sub_lag);
	fip_pub_close(&p);
	close(s);
}

/* --- many at once ---------------------------------------------------------- */

#define STRESS_PUBS	4
#define STRESS_SUBS	8
#define STRESS_MSGS	2000

/* A lossless publisher: STRESS_MSGS messages in batches; exit status. */
static int fip_stress_pub(const char *name, __u32 id)
{
	__u32 lens[FIP_BATCH], cnt = 0, want;
	uint64_t r = id * 7 + 3;
	struct fip_pub p;
	int n, i;

	if (fip_pub_open(name, 0, &p))
		return 20;
	while (cnt < STRESS_MSGS) {
		want = rnd(&r) % FIP_BATCH + 1;
		if (want > STRESS_MSGS - cnt)
			want = STRESS_MSGS - cnt;
		n = fip_next(&p, lens, want, FIP_WAIT);
		if (n < 1 || (__u32)n > want)
			return n == -ETIMEDOUT ? 21 : 22;
		for (i = 0; i < n; i++) {
			lens[i] = fip_len(&r);
			fip_fill(fip_slot(&p, p.first + i), id, cnt++,
				 lens[i]);
		}
	}
	return fip_next(&p, lens, 0, 0) ? 23 : 0;
}

/*
 * A subscriber of every publisher's every message, in its order, by read()
 * (@mapped false) or in place; says on @bound that it is one.  Exit status.
 */
static int fip_stress_sub(const char *name, bool mapped, int bound)
{
	struct timespec rel = { .tv_sec = FIP_STALL_NS / NSEC_PER_SEC };
	__u32 next[STRESS_PUBS] = { 0 }, len, left;
	struct kmsgq_fanout_view v;
	char buf[FIP_MSGSIZE];
	struct fip_head h;
	int s, n;

	s = mapped ? fip_view(name, &v) : kmsgq_subscribe(name, O_RDONLY, 0);
	if (s < 0)
		return 30;
	child_write(bound, "b", 1);
	for (left = STRESS_PUBS * STRESS_MSGS; left; left--) {
		if (mapped) {
			while ((n = fip_view_next(&v, buf, &len)) == 0)
				if (kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT |
						     KMSGQ_XFER_RELATIVE,
						     CLOCK_MONOTONIC, &rel))
					return 31;
			if (n != 1)
				return 32;
			n = len;
		} else {
			struct pollfd pfd = { .fd = s, .events = POLLIN };

			if (poll(&pfd, 1, FIP_STALL_NS / NSEC_PER_MSEC) != 1)
				return 33;
			n = read(s, buf, sizeof(buf));
		}
		if (n < 0 || !fip_ok(buf, n, &h))
			return 34;
		if (h.id >= STRESS_PUBS || h.cnt != next[h.id])
			return 35;
		next[h.id]++;
	}
	return 0;
}

TEST_F_TIMEOUT(finp, publishers_and_subscribers_in_numbers_lose_nothing, 900)
{
	pid_t pid[STRESS_PUBS + STRESS_SUBS];
	char bound[STRESS_SUBS];
	unsigned int i;
	int p[2], status;

	ASSERT_EQ(0, fip_create(self, 0, 64));
	ASSERT_EQ(0, pipe(p));
	for (i = 0; i < STRESS_SUBS; i++) {
		pid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(fip_stress_sub(self->name, i % 2, p[1]));
	}
	close(p[1]);
	ASSERT_TRUE(read_all(p[0], bound, sizeof(bound)));
	close(p[0]);
	EXPECT_EQ(STRESS_SUBS, fip_stats(self->q).subscribers);
	for (i = STRESS_SUBS; i < STRESS_SUBS + STRESS_PUBS; i++) {
		pid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(fip_stress_pub(self->name, i - STRESS_SUBS));
	}
	for (i = 0; i < STRESS_SUBS + STRESS_PUBS; i++) {
		status = kids_reap(&self->kids, pid[i]);
		EXPECT_TRUE(exited_ok(status))
			TH_LOG("%s %u: status %#x",
			       i < STRESS_SUBS ? "subscriber" : "publisher",
			       i, status);
	}
	EXPECT_EQ(STRESS_PUBS * STRESS_MSGS, fip_stats(self->q).msgs_sent);
}

TEST_F_TIMEOUT(finp, a_drop_queue_never_holds_the_publisher_back, 300)
{
	__u64 lost = 0, published = 0, got = 0, vgot = 0;
	__u32 lens[4], round, i, len;
	struct kmsgq_fanout_view v;
	char buf[FIP_MSGSIZE];
	struct fip_head h;
	struct fip_pub p;
	__s64 last = -1;
	uint64_t r = 9;
	int s, m, n;

	ASSERT_EQ(0, fip_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 4));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	m = fip_view(self->name, &v);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, fip_pub_open(self->name, 0, &p));
	for (round = 0; round < 300; round++) {
		/* A wait would be a stall: nobody else frees a slot. */
		n = fip_next(&p, lens, 3, FIP_WAIT);
		ASSERT_LE(1, n) TH_LOG("round %u", round);
		for (i = 0; i < (__u32)n; i++) {
			lens[i] = fip_len(&r);
			fip_fill(fip_slot(&p, p.first + i), 0, published++,
				 lens[i]);
		}
		if (round % 7)
			continue;
		n = fip_recv(s, buf, 0, -1, &lost);
		if (n == -EAGAIN)
			continue;
		ASSERT_TRUE(n >= 0 && fip_ok(buf, n, &h));
		ASSERT_LT(last, (__s64)h.cnt);
		last = h.cnt;
		got++;
	}
	ASSERT_EQ(0, fip_next(&p, lens, 0, 0));
	while ((n = fip_recv(s, buf, 0, -1, &lost)) >= 0) {
		ASSERT_TRUE(fip_ok(buf, n, &h));
		ASSERT_LT(last, (__s64)h.cnt);
		last = h.cnt;
		got++;
	}
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_LT(0, lost);
	EXPECT_EQ(published, got + lost);
	EXPECT_EQ(lost, fip_stats(s).sub_lost);
	/* One that never read: moved on, it reads what is left. */
	ASSERT_EQ(0, kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL));
	while ((n = fip_view_next(&v, buf, &len)) == 1)
		vgot++;
	EXPECT_EQ(0, n);
	EXPECT_LT(0, v.lost);
	EXPECT_EQ(published, vgot + v.lost);
	EXPECT_EQ(v.lost, fip_stats(m).sub_lost);
	EXPECT_EQ(published, fip_stats(self->q).msgs_sent);
	fip_pub_close(&p);
	fip_unview(&v, m);
	close(s);
}

TEST_HARNESS_MAIN
