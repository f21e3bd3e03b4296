// SPDX-License-Identifier: GPL-2.0
/*
 * Description: mapped fan-out queues (KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING):
 * subscribers map the store read-only and read messages in place; every
 * one reads every message once, in order; with OVERFLOW_DROP a lapped
 * subscriber finds out from the slot numbers and received + lost =
 * published, and nothing it accepted was torn; nobody can write the
 * mapping (mmap, mprotect, also after fork, /proc/self/mem, a store
 * faults); mremap never grows it and moves it whole; only subscribers of
 * a mapped fan-out queue may map (EOPNOTSUPP for other queues);
 * KMSGQ_IOC_FANOUT_ACK moves positions forward only, counts the messages
 * and bytes it passes, frees slots for publishers, and waits (woken by a
 * publish, timed out, interrupted, restarted after SA_RESTART); a
 * SIGKILLed or unmapping subscriber releases publishers; the mapping
 * outlives close and unlink; access modes, nobody, IPC namespaces.
 */
#include "kmsgq_test.h"

#include <sched.h>
#include <setjmp.h>

#define MAP_DEPTH	8
#define MAP_MSGSIZE	64
#define MAP_SUBS	3
/* Messages a concurrent test publishes. */
#define MAP_MSGS	3000

FIXTURE(fmap) {
	char name[KMSGQ_NAME_MAX];
	int pub;
	struct kids kids;
};

FIXTURE_SETUP(fmap)
{
	struct kmsgq_info info;

	self->pub = -1;
	self->kids.nr = 0;
	snprintf(self->name, sizeof(self->name), "fmap-%d", getpid());
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	ASSERT_EQ(0, kmsgq_info(-1, &info));
	if (!(info.features & KMSGQ_FEAT_FANOUT_MAP))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_MAP");
}

FIXTURE_TEARDOWN(fmap)
{
	kids_kill(&self->kids);
	if (self->pub >= 0)
		close(self->pub);
	kmsgq_unlink(self->name);
}

/*
 * Create this test's mapped fan-out queue with policy @policy (0: block)
 * and depth @depth; self->pub is a write-only publisher of it.
 */
static int fmap_create(FIXTURE_DATA(fmap) *self, __u32 policy, __u32 depth)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | policy,
		.max_msgs = depth,
		.max_msgsize = MAP_MSGSIZE,
	};

	kmsgq_unlink(self->name);
	self->pub = kmsgq_open(self->name, O_WRONLY | O_CREAT | O_EXCL, 0600,
			       &attr);
	return self->pub < 0 ? self->pub : 0;
}

/* A new non-blocking subscriber of @name, mapped into *@v: its fd. */
static int fmap_view(const char *name, struct kmsgq_fanout_view *v)
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

static void fmap_unview(struct kmsgq_fanout_view *v, int fd)
{
	kmsgq_fanout_unmap(v);
	close(fd);
}

/* Message @tag: the tag, then a pattern of it; @tag % 48 + 4 bytes. */
static int fmap_send(int fd, unsigned int tag, unsigned int flags)
{
	unsigned char buf[MAP_MSGSIZE];
	struct kmsgq_msg m = { .buf = (uintptr_t)buf,
			       .len = tag % 48 + sizeof(tag) };
	int ret;

	memcpy(buf, &tag, sizeof(tag));
	pattern(buf + sizeof(tag), m.len - sizeof(tag), tag);
	ret = kmsgq_send_batch(fd, &m, 1, flags, CLOCK_MONOTONIC, NULL);
	return ret == 1 ? 0 : ret < 0 ? ret : -EPROTO;
}

/* Send tags @from .. @to - 1 without waiting: 0 or the first -errno. */
static int fmap_send_tags(int fd, unsigned int from, unsigned int to)
{
	unsigned int tag;
	int ret;

	for (tag = from; tag < to; tag++) {
		ret = fmap_send(fd, tag, KMSGQ_XFER_NONBLOCK);
		if (ret)
			return ret;
	}
	return 0;
}

/* Is this in-place payload message @tag, whole? */
static bool fmap_msg_ok(const void *p, uint32_t len, unsigned int tag)
{
	unsigned int got;

	if (len != tag % 48 + sizeof(tag))
		return false;
	memcpy(&got, p, sizeof(got));
	return got == tag &&
	       pattern_ok((const char *)p + sizeof(got), len - sizeof(got),
			  tag);
}

/*
 * Read what @v has now, in place: -1 if a message is not the tag that
 * *@next says comes next (then counted on), else the messages read; a
 * lapped view moves on with an acknowledgment, its losses counted in
 * @v->lost (and *@next moved past them).
 */
static int fmap_read_now(struct kmsgq_fanout_view *v, unsigned int *next)
{
	const void *p;
	uint32_t len;
	int n = 0, r;
	uint64_t was;

	while ((r = kmsgq_fanout_next(v, &p, &len)) != 0) {
		if (r < 0) {
			was = v->lost;
			r = kmsgq_fanout_ack(v, 0, CLOCK_MONOTONIC, NULL);
			if (r) {
				fprintf(stderr, "ack at %llu: %d\n",
					(unsigned long long)v->pos, r);
				return -1;
			}
			*next += v->lost - was;
			continue;
		}
		if (!fmap_msg_ok(p, len, *next)) {
			/* Torn is fine only if the check says overwritten. */
			if (kmsgq_fanout_done(v)) {
				fprintf(stderr, "message %llu (want %u) torn: "
					"len %u tag %u\n",
					(unsigned long long)v->pos - 1, *next,
					len, *(const unsigned int *)p);
				return -1;
			}
			continue;
		}
		if (!kmsgq_fanout_done(v))
			continue;
		(*next)++;
		n++;
	}
	return n;
}

/* --- layout --------------------------------------------------------------- */

TEST_F(fmap, the_head_describes_a_store_inside_the_mapping)
{
	struct kmsgq_fanout_view v;
	const struct kmsgq_fanout_map *m;
	struct kmsgq_attr attr;
	long pg = sysconf(_SC_PAGESIZE);
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, 5));
	ASSERT_EQ(0, kmsgq_getattr(self->pub, &attr));
	EXPECT_EQ(KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING, attr.qflags);
	EXPECT_EQ(8, attr.max_msgs);
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	m = v.map;
	EXPECT_EQ(8, m->nr_slots);
	EXPECT_EQ(MAP_MSGSIZE, m->slot_size);
	EXPECT_EQ(0, m->map_size % pg);
	EXPECT_EQ(v.map_size, m->map_size);
	EXPECT_EQ(0, m->seq_off % 8);
	EXPECT_LE(sizeof(*m), m->seq_off);
	EXPECT_LE(m->seq_off + 8 * 8, m->len_off);
	EXPECT_LE(m->len_off + 8 * 4, m->data_off);
	EXPECT_LE(m->data_off + 8 * MAP_MSGSIZE, m->map_size);
	EXPECT_EQ(0, m->tail);
	EXPECT_EQ(0, m->reserve);
	EXPECT_EQ(0, m->reserved);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 3));
	EXPECT_EQ(3, m->tail);
	EXPECT_EQ(3, m->reserve);
	EXPECT_EQ(2, v.seq[2]);
	EXPECT_EQ(2 % 48 + 4, v.len[2]);
	fmap_unview(&v, s);
}

static __u32 fmap_mappings(int fd)
{
	struct kmsgq_stats st = { 0 };

	return kmsgq_stats(fd, &st) ? ~0U : st.mappings;
}

TEST_F(fmap, a_mapping_is_counted_and_pages_come_back_after_a_drop)
{
	struct kmsgq_fanout_view v;
	long pg = sysconf(_SC_PAGESIZE);
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, 8));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	EXPECT_EQ(1, fmap_mappings(self->pub));
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 3));
	EXPECT_EQ(3, v.map->tail);
	/* Dropped pages are faulted in again, with what the kernel wrote. */
	ASSERT_EQ(0, madvise((void *)v.map, v.map_size & ~(pg - 1),
			     MADV_DONTNEED));
	EXPECT_EQ(3, v.map->tail);
	EXPECT_EQ(2, v.seq[2]);
	EXPECT_EQ(2 % 48 + 4, v.len[2]);
	fmap_unview(&v, s);
	EXPECT_EQ(0, fmap_mappings(self->pub));
}

/* --- reading in place ---------------------------------------------------- */

TEST_F(fmap, every_subscriber_reads_every_message_once_in_order)
{
	struct kmsgq_fanout_view v[MAP_SUBS];
	unsigned int next[MAP_SUBS] = { 0 };
	unsigned int sent = 0, round, i;
	int s[MAP_SUBS];

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	for (i = 0; i < MAP_SUBS; i++) {
		s[i] = fmap_view(self->name, &v[i]);
		ASSERT_LE(0, s[i]);
	}
	for (round = 0; round < 5; round++) {
		/* A depth, then no room until every view acknowledges. */
		ASSERT_EQ(0, fmap_send_tags(self->pub, sent, sent + MAP_DEPTH));
		sent += MAP_DEPTH;
		EXPECT_EQ(-EAGAIN, fmap_send(self->pub, sent,
					     KMSGQ_XFER_NONBLOCK));
		for (i = 0; i < MAP_SUBS; i++) {
			EXPECT_EQ(MAP_DEPTH, fmap_read_now(&v[i], &next[i]));
			EXPECT_EQ(sent, next[i]);
			if (i + 1 < MAP_SUBS)
				EXPECT_EQ(-EAGAIN,
					  fmap_send(self->pub, sent,
						    KMSGQ_XFER_NONBLOCK));
			EXPECT_EQ(0, kmsgq_fanout_ack(&v[i], 0,
						      CLOCK_MONOTONIC, NULL));
			EXPECT_EQ(sent, v[i].tail);
			EXPECT_EQ(0, v[i].lost);
		}
	}
	for (i = 0; i < MAP_SUBS; i++) {
		EXPECT_EQ(0, fmap_read_now(&v[i], &next[i]));
		fmap_unview(&v[i], s[i]);
	}
}

/*
 * A child subscriber: says on @bound that it is one, then reads @want
 * messages in place, waiting by ACK.
 */
static int fmap_reader(const char *name, unsigned int want, bool lossy,
		       int bound)
{
	struct kmsgq_fanout_view v;
	unsigned int next = 0, got = 0;
	uint64_t was;
	int s, n;

	s = fmap_view(name, &v);
	if (s < 0)
		return 10;
	if (write(bound, "b", 1) != 1)
		return 11;
	while (next < want) {
		n = fmap_read_now(&v, &next);
		if (n < 0)
			return 12;
		got += n;
		/* Slow subscribers: let the publisher lap them. */
		if (lossy && n)
			usleep(2000);
		if (next == want)
			break;
		/* Lapped meanwhile: it goes on past what it lost. */
		was = v.lost;
		if (kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT, CLOCK_MONOTONIC,
				     NULL))
			return 13;
		next += v.lost - was;
	}
	if (next != want || got + v.lost != want)
		return 14;
	if (!lossy && v.lost)
		return 15;
	fmap_unview(&v, s);
	return 0;
}

/* Fork MAP_SUBS readers of @want messages each, and wait until bound. */
static int fmap_fork_readers(FIXTURE_DATA(fmap) *self, unsigned int want,
			     bool lossy)
{
	char bound[MAP_SUBS];
	unsigned int i;
	int p[2], ret = 0;
	pid_t kid;

	if (pipe(p))
		return -errno;
	for (i = 0; i < MAP_SUBS && !ret; i++) {
		kid = kids_fork(&self->kids);
		if (!kid)
			_exit(fmap_reader(self->name, want, lossy, p[1]));
		if (kid < 0)
			ret = -errno;
	}
	close(p[1]);
	if (!ret && !read_all(p[0], bound, sizeof(bound)))
		ret = -ECHILD;
	close(p[0]);
	return ret;
}

/* Reap every reader: 0 if all exited 0, else the first bad status. */
static int fmap_reap_readers(FIXTURE_DATA(fmap) *self)
{
	unsigned int i;
	int status, bad = 0;

	for (i = 0; i < self->kids.nr; i++) {
		if (!self->kids.pid[i])
			continue;
		status = kids_reap(&self->kids, self->kids.pid[i]);
		if (!bad && !exited_ok(status))
			bad = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	return bad;
}

TEST_F_TIMEOUT(fmap, concurrent_readers_each_read_every_message_lossless, 600)
{
	unsigned int tag;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	ASSERT_EQ(0, fmap_fork_readers(self, MAP_MSGS, false));
	for (tag = 0; tag < MAP_MSGS; tag++)
		ASSERT_EQ(0, fmap_send(self->pub, tag, 0));
	EXPECT_EQ(0, fmap_reap_readers(self));
}

TEST_F_TIMEOUT(fmap, lapped_readers_count_what_they_lost, 600)
{
	struct kmsgq_stats st;
	unsigned int tag;

	ASSERT_EQ(0, fmap_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 4));
	ASSERT_EQ(0, fmap_fork_readers(self, MAP_MSGS, true));
	for (tag = 0; tag < MAP_MSGS; tag++) {
		ASSERT_EQ(0, fmap_send(self->pub, tag, KMSGQ_XFER_NONBLOCK));
		if (tag % 64 == 0)
			sched_yield();
	}
	/* Each reader checks received + lost == published itself. */
	EXPECT_EQ(0, fmap_reap_readers(self));
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(MAP_MSGS, st.msgs_sent);
}

TEST_F(fmap, a_lapped_view_sees_its_slot_reused_and_skips_the_lost)
{
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	struct kmsgq_stats st;
	const void *p;
	uint32_t len;
	int s;

	ASSERT_EQ(0, fmap_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 4));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 2));
	ASSERT_EQ(1, kmsgq_fanout_next(&v, &p, &len));
	EXPECT_TRUE(fmap_msg_ok(p, len, 0));
	/* Overwritten while it was being read: not to be trusted. */
	ASSERT_EQ(0, fmap_send_tags(self->pub, 2, 10));
	EXPECT_EQ(0, kmsgq_fanout_done(&v));
	EXPECT_EQ(-ESTALE, kmsgq_fanout_next(&v, &p, &len));
	/* The kernel moved it past 0 .. 5, whose slots hold 6 .. 9. */
	EXPECT_EQ(0, kmsgq_fanout_ack(&v, 0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(6, v.pos);
	EXPECT_EQ(6, v.lost);
	next = 6;
	EXPECT_EQ(4, fmap_read_now(&v, &next));
	EXPECT_EQ(10, next);
	ASSERT_EQ(0, kmsgq_stats(s, &st));
	EXPECT_EQ(6, st.sub_lost);
	fmap_unview(&v, s);
}

/* Are the @n bytes at @p zero? */
static bool fmap_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * A mapping shows each message and nothing of what its slot held before:
 * a reader that may map a queue now (a mode or owner changed since) sees
 * no tail of an older, longer message.
 */
TEST_F(fmap, a_slot_shows_nothing_of_the_message_it_held_before)
{
	unsigned char buf[MAP_MSGSIZE];
	struct kmsgq_msg m = { .buf = (uintptr_t)buf, .len = MAP_MSGSIZE };
	struct kmsgq_fanout_view v;
	unsigned int i;
	uint64_t p;
	int s;

	ASSERT_EQ(0, fmap_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 4));
	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(1, kmsgq_send_batch(self->pub, &m, 1,
					      KMSGQ_XFER_NONBLOCK,
					      CLOCK_MONOTONIC, NULL));
	/* Shorter ones in the same slots. */
	m.len = 3;
	for (i = 0; i < 4; i++)
		ASSERT_EQ(1, kmsgq_send_batch(self->pub, &m, 1,
					      KMSGQ_XFER_NONBLOCK,
					      CLOCK_MONOTONIC, NULL));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	for (p = 4; p < 8; p++) {
		const unsigned char *d = v.data + (p & v.mask) * v.slot_size;

		ASSERT_EQ(p, v.seq[p & v.mask]);
		ASSERT_EQ(3, v.len[p & v.mask]);
		EXPECT_EQ(0xa5, d[0]);
		EXPECT_TRUE(fmap_zero(d + 3, v.slot_size - 3))
			TH_LOG("slot of message %llu", (unsigned long long)p);
	}
	fmap_unview(&v, s);
}

/* --- nobody writes the mapping ------------------------------------------- */

TEST_F(fmap, no_file_maps_it_writable_nor_makes_it_so)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fds[2], i;
	void *m;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	fds[0] = kmsgq_subscribe(self->name, O_RDONLY, 0);
	fds[1] = kmsgq_subscribe(self->name, O_RDWR, 0);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fds[i], 0));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_EXEC,
					   MAP_SHARED, fds[i], 0));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_PRIVATE,
					   fds[i], 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED,
					   fds[i], pg));
		EXPECT_EQ(EINVAL, errno);
		m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fds[i], 0);
		ASSERT_NE(MAP_FAILED, m);
		EXPECT_EQ(-1, mprotect(m, pg, PROT_READ | PROT_WRITE));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(-1, mprotect(m, pg, PROT_READ | PROT_EXEC));
		EXPECT_EQ(EACCES, errno);
		munmap(m, pg);
		close(fds[i]);
	}
}

TEST_F(fmap, a_publisher_without_read_access_cannot_map)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct kmsgq_fanout_view v;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED,
				   self->pub, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EACCES, kmsgq_fanout_map(self->pub, &v));
}

static sigjmp_buf fmap_fault_jmp;

static void fmap_on_segv(int sig)
{
	(void)sig;
	siglongjmp(fmap_fault_jmp, 1);
}

/* In a child: every store into the mapping faults; 0 if so. */
static int fmap_scribble(const void *arg)
{
	const char *name = arg;
	struct sigaction sa = { .sa_handler = fmap_on_segv };
	struct kmsgq_fanout_view v;
	volatile char *w;
	int s;

	s = fmap_view(name, &v);
	if (s < 0)
		return 10;
	if (sigaction(SIGSEGV, &sa, NULL))
		return 11;
	w = (volatile char *)v.map;
	if (!sigsetjmp(fmap_fault_jmp, 1)) {
		/* The tail: a lie about it would fool every subscriber. */
		w[0] = 0x7f;
		return 12;
	}
	if (!sigsetjmp(fmap_fault_jmp, 1)) {
		w[v.map_size - 1] = 1;
		return 13;
	}
	return 0;
}

TEST_F(fmap, a_subscriber_that_scribbles_faults_and_changes_nothing)
{
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 3));
	EXPECT_EQ(0, child_int(fmap_scribble, self->name));
	EXPECT_EQ(3, v.map->tail);
	EXPECT_EQ(3, fmap_read_now(&v, &next));
	fmap_unview(&v, s);
}

TEST_F(fmap, proc_self_mem_cannot_write_the_store)
{
	struct kmsgq_fanout_view v, w;
	const unsigned char junk[8] = { 0x7f, 0x7f, 0x7f, 0x7f,
					0x7f, 0x7f, 0x7f, 0x7f };
	const void *at[3];
	unsigned int next = 0, i;
	int s, t, mem;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	t = fmap_view(self->name, &w);
	ASSERT_LE(0, t);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 3));
	/* The tail, a length and a payload: the words readers trust. */
	at[0] = v.map;
	at[1] = &v.len[1];
	at[2] = v.data;
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	for (i = 0; i < 3; i++) {
		errno = 0;
		/* ptrace's forced write, which may break a private COW. */
		EXPECT_EQ(-1, pwrite64(mem, junk, sizeof(junk),
				       (off64_t)(uintptr_t)at[i]));
		EXPECT_EQ(EIO, errno) TH_LOG("word %u", i);
	}
	close(mem);
	/* Neither this process's view nor another subscriber's changed. */
	EXPECT_EQ(3, v.map->tail);
	EXPECT_EQ(3, fmap_read_now(&v, &next));
	next = 0;
	EXPECT_EQ(3, fmap_read_now(&w, &next));
	fmap_unview(&w, t);
	fmap_unview(&v, s);
}

/* In a child that inherited the mapping @arg: mprotect(PROT_WRITE). */
static int fmap_child_mprotect(const void *arg)
{
	const struct kmsgq_fanout_view *v = arg;

	if (!mprotect((void *)v->map, v->map_size, PROT_READ | PROT_WRITE))
		return 0;
	return -errno;
}

TEST_F(fmap, a_forked_child_cannot_make_it_writable)
{
	struct kmsgq_fanout_view v;
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EACCES, child_int(fmap_child_mprotect, &v));
	EXPECT_EQ(1, fmap_mappings(self->pub));
	fmap_unview(&v, s);
}

/* @v's view moved to @to (a mapping of the same store). */
static void fmap_view_moved(struct kmsgq_fanout_view *v, void *to)
{
	ptrdiff_t d = (const char *)to - (const char *)v->map;

	v->map = to;
	v->seq = (const __u64 *)((const char *)v->seq + d);
	v->len = (const __u32 *)((const char *)v->len + d);
	v->data += d;
}

TEST_F(fmap, mremap_never_grows_the_mapping_and_moves_it_whole)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	void *m, *to;
	int s;

	/* A store of more than a page. */
	ASSERT_EQ(0, fmap_create(self, 0, 64));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	ASSERT_LT(pg, v.map_size);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 3));
	/* Not past the store, nor within it: a larger view is a new mmap. */
	EXPECT_EQ(MAP_FAILED, mremap((void *)v.map, v.map_size,
				     v.map_size + pg, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(MAP_FAILED, mremap((void *)v.map, v.map_size,
				     v.map_size + pg, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	m = mmap(NULL, pg, PROT_READ, MAP_SHARED, s, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(MAP_FAILED, mremap(m, pg, v.map_size, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	munmap(m, pg);
	EXPECT_EQ(1, fmap_mappings(self->pub));
	/* Moved whole: the same messages, still one mapping. */
	to = mmap(NULL, v.map_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, to);
	ASSERT_EQ(to, mremap((void *)v.map, v.map_size, v.map_size,
			     MREMAP_MAYMOVE | MREMAP_FIXED, to));
	fmap_view_moved(&v, to);
	EXPECT_EQ(1, fmap_mappings(self->pub));
	EXPECT_EQ(3, v.map->tail);
	EXPECT_EQ(3, fmap_read_now(&v, &next));
	fmap_unview(&v, s);
	EXPECT_EQ(0, fmap_mappings(self->pub));
}

/* --- acknowledgments ----------------------------------------------------- */

/* A raw KMSGQ_IOC_FANOUT_ACK; *@a in and out. */
static int fmap_ack(int fd, struct kmsgq_fanout_ack *a)
{
	a->size = sizeof(*a);
	return xioctl(fd, KMSGQ_IOC_FANOUT_ACK, a);
}

TEST_F(fmap, ack_moves_forward_only_and_never_past_the_tail)
{
	struct kmsgq_fanout_ack a = { 0 };
	char buf[MAP_MSGSIZE];
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 5));
	a.pos = 6;
	EXPECT_EQ(-EINVAL, fmap_ack(s, &a));
	a.pos = 3;
	EXPECT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(3, a.pos);
	EXPECT_EQ(5, a.tail);
	EXPECT_EQ(0, a.lost);
	/* Behind the position: it stays; 0 only asks. */
	a.pos = 1;
	EXPECT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(3, a.pos);
	a.pos = 0;
	EXPECT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(3, a.pos);
	a.pos = 5;
	EXPECT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(5, a.pos);
	/* A copy receive goes on from there. */
	EXPECT_EQ(0, fmap_send_tags(self->pub, 5, 6));
	EXPECT_EQ(5 % 48 + 4, kmsgq_receive(s, buf, sizeof(buf), NULL));
	EXPECT_TRUE(fmap_msg_ok(buf, 5 % 48 + 4, 5));
	close(s);
}

/* STATS' receive counters of @fd's queue into *@msgs and *@bytes. */
static int fmap_recv_counts(int fd, __u64 *msgs, __u64 *bytes)
{
	struct kmsgq_stats st = { 0 };
	int ret = kmsgq_stats(fd, &st);

	*msgs = st.msgs_recv;
	*bytes = st.bytes_recv;
	return ret;
}

/* The payload bytes of tags @from .. @to - 1 (fmap_send()). */
static __u64 fmap_tag_bytes(unsigned int from, unsigned int to)
{
	__u64 n = 0;

	for (; from < to; from++)
		n += from % 48 + sizeof(from);
	return n;
}

TEST_F(fmap, ack_counts_the_messages_and_bytes_it_passes)
{
	struct kmsgq_fanout_ack a = { 0 };
	__u64 msgs, bytes;
	int s;

	/* More than the kernel walks under its lock at once (256). */
	ASSERT_EQ(0, fmap_create(self, 0, 1024));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 600));
	a.pos = 3;
	ASSERT_EQ(0, fmap_ack(s, &a));
	ASSERT_EQ(0, fmap_recv_counts(self->pub, &msgs, &bytes));
	EXPECT_EQ(3, msgs);
	EXPECT_EQ(fmap_tag_bytes(0, 3), bytes);
	/* Behind the position: nothing passed, nothing counted. */
	a.pos = 1;
	ASSERT_EQ(0, fmap_ack(s, &a));
	a.pos = 600;
	ASSERT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(600, a.pos);
	ASSERT_EQ(0, fmap_recv_counts(self->pub, &msgs, &bytes));
	EXPECT_EQ(600, msgs);
	EXPECT_EQ(fmap_tag_bytes(0, 600), bytes);
	close(s);
}

TEST_F(fmap, ack_frees_slots_and_wakes_a_waiting_publisher)
{
	struct kmsgq_fanout_ack a = { 0 };
	int s, status;
	pid_t pub;

	ASSERT_EQ(0, fmap_create(self, 0, 2));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 2));
	pub = kids_fork(&self->kids);
	ASSERT_LE(0, pub);
	if (!pub)
		_exit(fmap_send(self->pub, 2, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_sleepers(self->pub, true, 1));
	a.pos = 1;
	EXPECT_EQ(0, fmap_ack(s, &a));
	status = kids_reap(&self->kids, pub);
	EXPECT_TRUE(exited_ok(status));
	EXPECT_EQ(1, a.pos);
	a.pos = 0;
	EXPECT_EQ(0, fmap_ack(s, &a));
	EXPECT_EQ(1, a.pos);
	EXPECT_EQ(3, a.tail);
	close(s);
}

TEST_F(fmap, bad_acks_fail_with_clear_errnos)
{
	struct kmsgq_fanout_ack a = { 0 };
	struct kmsgq_attr attr = { .qflags = KMSGQ_OPEN_FANOUT,
				   .max_msgs = 4, .max_msgsize = 8 };
	char other[KMSGQ_NAME_MAX];
	int s, c;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = kmsgq_subscribe(self->name, O_RDONLY | O_NONBLOCK, 0);
	ASSERT_LE(0, s);
	a.flags = KMSGQ_XFER_TIMEOUT;
	EXPECT_EQ(-EINVAL, fmap_ack(s, &a));
	a.flags = KMSGQ_XFER_NONBLOCK;
	EXPECT_EQ(-EINVAL, fmap_ack(s, &a));
	a.flags = KMSGQ_FANOUT_ACK_WAIT | KMSGQ_XFER_RELATIVE;
	EXPECT_EQ(-EINVAL, fmap_ack(s, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, fmap_ack(s, &a));
	a.reserved = 0;
	/* A publisher has no position. */
	EXPECT_EQ(-EBADF, fmap_ack(self->pub, &a));
	/* Not a mapped fan-out queue. */
	snprintf(other, sizeof(other), "fmap-o-%d", getpid());
	kmsgq_unlink(other);
	c = kmsgq_open(other, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, c);
	EXPECT_EQ(-EOPNOTSUPP, fmap_ack(c, &a));
	close(c);
	kmsgq_unlink(other);
	attr.qflags = 0;
	c = kmsgq_open(other, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, c);
	EXPECT_EQ(-EOPNOTSUPP, fmap_ack(c, &a));
	close(c);
	kmsgq_unlink(other);
	/* Reclaiming is no fan-out queue's. */
	attr.qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM;
	EXPECT_EQ(-EINVAL, kmsgq_open(other, O_RDWR | O_CREAT, 0600, &attr));
	close(s);
}

/* Written to by fmap_on_usr1(), when not -1: the handler ran. */
static int fmap_usr1_pipe = -1;

static void fmap_on_usr1(int sig)
{
	(void)sig;
	/* Nobody may read it (a handler without SA_RESTART): no matter. */
	if (fmap_usr1_pipe >= 0 && write(fmap_usr1_pipe, "", 1) != 1)
		return;
}

/* What ends a child's ACK wait in fmap_wait_ended_by(). */
enum fmap_ender {
	FMAP_BY_PUBLISH,	/* a publish: success, the tail at 1 */
	FMAP_BY_SIGNAL,		/* a handler without SA_RESTART: -EINTR */
	FMAP_BY_RESTART,	/* one with SA_RESTART, then a publish */
};

/*
 * A child sleeps in an ACK wait of a new view (blocking despite
 * O_NONBLOCK: the wait is explicit); the parent ends it as @by says.
 * After a restarting handler the parent waits for the handler to have
 * run and the call to sleep again, then publishes: the call must then
 * succeed as if never interrupted.  True if the child saw what @by says.
 */
static bool fmap_wait_ended_by(FIXTURE_DATA(fmap) *self, enum fmap_ender by)
{
	struct sigaction sa = { .sa_handler = fmap_on_usr1 };
	struct kmsgq_fanout_view v;
	int s, ret, status, p[2];
	pid_t kid;
	char c;

	if (fmap_create(self, 0, MAP_DEPTH) || pipe(p))
		return false;
	s = fmap_view(self->name, &v);
	if (s < 0)
		return false;
	kid = kids_fork(&self->kids);
	if (!kid) {
		close(p[0]);
		fmap_usr1_pipe = p[1];
		if (by == FMAP_BY_RESTART)
			sa.sa_flags = SA_RESTART;
		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(1);
		ret = kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT,
				       CLOCK_MONOTONIC, NULL);
		_exit(by == FMAP_BY_SIGNAL ? ret != -EINTR :
		      ret || v.tail != 1);
	}
	close(p[1]);
	if (kid > 0 && !wait_sleepers(s, false, 1)) {
		if (by != FMAP_BY_PUBLISH)
			kill(kid, SIGUSR1);
		if (by == FMAP_BY_RESTART &&
		    (!read_all(p[0], &c, 1) || wait_sleepers(s, false, 1)))
			kill(kid, SIGKILL);
		if (by != FMAP_BY_SIGNAL)
			fmap_send_tags(self->pub, 0, 1);
	}
	status = kid > 0 ? kids_reap(&self->kids, kid) : -1;
	close(p[0]);
	fmap_unview(&v, s);
	return exited_ok(status);
}

TEST_F(fmap, ack_wait_sleeps_until_a_publish)
{
	EXPECT_TRUE(fmap_wait_ended_by(self, FMAP_BY_PUBLISH));
}

TEST_F(fmap, ack_wait_is_interrupted_by_a_signal)
{
	EXPECT_TRUE(fmap_wait_ended_by(self, FMAP_BY_SIGNAL));
}

TEST_F(fmap, ack_wait_is_restarted_after_an_sa_restart_handler)
{
	EXPECT_TRUE(fmap_wait_ended_by(self, FMAP_BY_RESTART));
}

TEST_F(fmap, ack_wait_times_out)
{
	struct timespec rel = { .tv_nsec = 20 * NSEC_PER_MSEC };
	struct timespec abs = deadline_in(CLOCK_REALTIME, 20 * NSEC_PER_MSEC);
	struct kmsgq_fanout_view v;
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	EXPECT_EQ(-ETIMEDOUT, kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT |
					       KMSGQ_XFER_RELATIVE,
					       CLOCK_MONOTONIC, &rel));
	EXPECT_EQ(-ETIMEDOUT, kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT,
					       CLOCK_REALTIME, &abs));
	/* Something there: no sleep. */
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 1));
	EXPECT_EQ(0, kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT |
				      KMSGQ_XFER_RELATIVE, CLOCK_MONOTONIC,
				      &rel));
	EXPECT_EQ(1, v.tail);
	fmap_unview(&v, s);
}

/* --- subscribers that go -------------------------------------------------- */

TEST_F(fmap, a_sigkilled_mapping_subscriber_releases_publishers)
{
	struct kmsgq_stats st;
	int i, status;
	pid_t kid, pub;

	ASSERT_EQ(0, fmap_create(self, 0, 2));
	kid = kids_fork(&self->kids);
	ASSERT_LE(0, kid);
	if (!kid) {
		struct kmsgq_fanout_view v;
		int s = fmap_view(self->name, &v);

		/* Only the mapping holds the subscriber now. */
		if (s < 0)
			_exit(1);
		close(s);
		pause();
		_exit(0);
	}
	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		if (!kmsgq_stats(self->pub, &st) && st.subscribers == 1)
			break;
		usleep(1000);
	}
	ASSERT_EQ(1, st.subscribers);
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 2));
	pub = kids_fork(&self->kids);
	ASSERT_LE(0, pub);
	if (!pub)
		_exit(fmap_send(self->pub, 2, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_sleepers(self->pub, true, 1));
	kill(kid, SIGKILL);
	kids_reap(&self->kids, kid);
	status = kids_reap(&self->kids, pub);
	EXPECT_TRUE(exited_ok(status));
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(0, st.subscribers);
}

TEST_F(fmap, readers_killed_in_an_ack_wait_leave_no_subscriber_behind)
{
	struct kmsgq_stats st;
	unsigned int i;
	pid_t kid[MAP_SUBS];

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	for (i = 0; i < MAP_SUBS; i++) {
		kid[i] = kids_fork(&self->kids);
		ASSERT_LE(0, kid[i]);
		if (!kid[i]) {
			struct kmsgq_fanout_view v;

			if (fmap_view(self->name, &v) < 0)
				_exit(1);
			kmsgq_fanout_ack(&v, KMSGQ_FANOUT_ACK_WAIT,
					 CLOCK_MONOTONIC, NULL);
			_exit(2);
		}
	}
	ASSERT_EQ(0, wait_sleepers(self->pub, false, MAP_SUBS));
	for (i = 0; i < MAP_SUBS; i++) {
		kill(kid[i], SIGKILL);
		kids_reap(&self->kids, kid[i]);
	}
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(0, st.subscribers);
	EXPECT_EQ(0, st.recv_waiters);
	/* Nobody holds the publisher back. */
	EXPECT_EQ(0, fmap_send_tags(self->pub, 0, 2 * MAP_DEPTH));
}

TEST_F(fmap, readers_killed_while_lapped_leave_no_subscriber_behind)
{
	struct kmsgq_stats st;
	unsigned int tag, i;

	ASSERT_EQ(0, fmap_create(self, KMSGQ_OPEN_OVERFLOW_DROP, 4));
	/* Readers of more than will come: killed reading, acking, asleep. */
	ASSERT_EQ(0, fmap_fork_readers(self, 2 * MAP_MSGS, true));
	for (tag = 0; tag < MAP_MSGS / 4; tag++)
		ASSERT_EQ(0, fmap_send(self->pub, tag, KMSGQ_XFER_NONBLOCK));
	for (i = 0; i < self->kids.nr; i++)
		if (self->kids.pid[i] > 0)
			kill(self->kids.pid[i], SIGKILL);
	kids_kill(&self->kids);
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(0, st.subscribers);
	EXPECT_EQ(0, st.recv_waiters);
}

TEST_F(fmap, the_mapping_outlives_close_and_unlink_until_munmap)
{
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	struct kmsgq_stats st;
	const void *p;
	uint32_t len;
	int s;

	ASSERT_EQ(0, fmap_create(self, 0, 2));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, kmsgq_unlink(self->name));
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 2));
	/* Still a subscriber: it holds the publisher back. */
	EXPECT_EQ(-EAGAIN, fmap_send(self->pub, 2, KMSGQ_XFER_NONBLOCK));
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(1, st.subscribers);
	ASSERT_EQ(1, kmsgq_fanout_next(&v, &p, &len));
	EXPECT_TRUE(fmap_msg_ok(p, len, 0));
	EXPECT_EQ(1, kmsgq_fanout_done(&v));
	next = 1;
	EXPECT_EQ(1, fmap_read_now(&v, &next));
	ASSERT_EQ(0, kmsgq_fanout_unmap(&v));
	/* Gone with the mapping. */
	ASSERT_EQ(0, kmsgq_stats(self->pub, &st));
	EXPECT_EQ(0, st.subscribers);
	EXPECT_EQ(0, fmap_send(self->pub, 2, KMSGQ_XFER_NONBLOCK));
}

/* --- who may map ---------------------------------------------------------- */

/* Bind a new /dev/kmsgq file of open mode @mode to @name: fd or -errno. */
static int fmap_bind(int mode, const char *name)
{
	struct kmsgq_open op = { .size = sizeof(op) };
	int fd, ret;

	fd = open(KMSGQ_DEVICE_PATH, mode | O_CLOEXEC);
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

TEST_F(fmap, each_access_mode_maps_as_it_may)
{
	long pg = sysconf(_SC_PAGESIZE);
	static const int want[4] = { 0, -EACCES, 0, -EACCES };
	int mode, fd, u;
	void *m;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	for (mode = 0; mode < 4; mode++) {
		fd = fmap_bind(mode, self->name);
		if (mode == 3) {
			/* Granted nothing: not bound, nothing to map. */
			EXPECT_EQ(-EACCES, fd);
			u = open(KMSGQ_DEVICE_PATH, 3);
			ASSERT_LE(0, u);
			/* Not readable: the VFS refuses before kmsgq. */
			EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ,
						   MAP_SHARED, u, 0));
			EXPECT_EQ(EACCES, errno);
			close(u);
			continue;
		}
		ASSERT_LE(0, fd);
		m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
		EXPECT_EQ(want[mode], m == MAP_FAILED ? -errno : 0)
			TH_LOG("open mode %d", mode);
		if (m != MAP_FAILED)
			munmap(m, pg);
		close(fd);
	}
}

/* Map @qflags' kind of queue, bound O_RDWR, as a fan-out store: -errno. */
static int fmap_map_other(const char *name, __u32 qflags)
{
	struct kmsgq_attr attr = { .qflags = qflags, .max_msgs = 4,
				   .max_msgsize = 8 };
	struct kmsgq_fanout_view v;
	int fd, ret;

	kmsgq_unlink(name);
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (fd < 0)
		return fd;
	ret = kmsgq_fanout_map(fd, &v);
	if (!ret)
		kmsgq_fanout_unmap(&v);
	close(fd);
	kmsgq_unlink(name);
	return ret;
}

TEST_F(fmap, only_a_mapped_fan_out_queue_maps_as_one)
{
	static const __u32 kinds[] = {
		0, KMSGQ_OPEN_FANOUT, KMSGQ_OPEN_RING,
		KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM,
	};
	struct kmsgq_fanout_view v;
	char other[KMSGQ_NAME_MAX];
	unsigned int i;
	int u;

	snprintf(other, sizeof(other), "fmap-o-%d", getpid());
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		EXPECT_EQ(-EOPNOTSUPP, fmap_map_other(other, kinds[i]))
			TH_LOG("qflags %#x", kinds[i]);
	/* Bound to nothing: no queue to map. */
	u = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, u);
	EXPECT_EQ(-ENOTCONN, kmsgq_fanout_map(u, &v));
	close(u);
}

/* As nobody: subscribe to @arg, map, and read the message there. */
static int fmap_nobody_reads(const void *arg)
{
	const char *name = arg;
	struct kmsgq_fanout_view v;
	int fd, ret;

	if (become(NOBODY, NOBODY))
		return -EPERM;
	fd = kmsgq_subscribe(name, O_RDONLY | O_NONBLOCK, KMSGQ_HISTORY_ALL);
	if (fd < 0)
		return fd;
	ret = kmsgq_fanout_map(fd, &v);
	if (!ret) {
		unsigned int next = 0;

		ret = fmap_read_now(&v, &next) == 1 ? 0 : -EPROTO;
		kmsgq_fanout_unmap(&v);
	}
	close(fd);
	return ret;
}

TEST_F(fmap, an_unprivileged_reader_maps_only_with_read_permission)
{
	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 1));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0604));
	EXPECT_EQ(0, child_int(fmap_nobody_reads, self->name));
	ASSERT_EQ(0, kmsgq_chmod(self->name, 0602));
	EXPECT_EQ(-EACCES, child_int(fmap_nobody_reads, self->name));
}

/* In a new IPC namespace: not the parent's queue; one of its own maps. */
static int fmap_other_ns(const void *arg)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING,
		.max_msgs = 4,
		.max_msgsize = MAP_MSGSIZE,
	};
	const char *name = arg;
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	int pub, s, ret;

	if (unshare(CLONE_NEWIPC))
		return -ENOSYS;
	if (kmsgq_subscribe(name, O_RDONLY, 0) != -ENOENT)
		return -EEXIST;
	pub = kmsgq_open(name, O_WRONLY | O_CREAT | O_EXCL, 0600, &attr);
	if (pub < 0)
		return pub;
	s = fmap_view(name, &v);
	if (s < 0)
		return s;
	ret = fmap_send_tags(pub, 0, 2);
	if (!ret)
		ret = fmap_read_now(&v, &next) == 2 ? 0 : -EPROTO;
	fmap_unview(&v, s);
	close(pub);
	kmsgq_unlink(name);
	return ret;
}

TEST_F(fmap, another_ipc_namespace_maps_its_own_queues_only)
{
	struct kmsgq_fanout_view v;
	unsigned int next = 0;
	int s, ret;

	ASSERT_EQ(0, fmap_create(self, 0, MAP_DEPTH));
	s = fmap_view(self->name, &v);
	ASSERT_LE(0, s);
	ret = child_int(fmap_other_ns, self->name);
	if (ret == -ENOSYS)
		SKIP(goto out, "no IPC namespaces here");
	EXPECT_EQ(0, ret);
	/* Its messages were its queue's, none ours. */
	EXPECT_EQ(0, fmap_read_now(&v, &next));
	ASSERT_EQ(0, fmap_send_tags(self->pub, 0, 1));
	EXPECT_EQ(1, fmap_read_now(&v, &next));
out:
	fmap_unview(&v, s);
}

TEST_HARNESS_MAIN
