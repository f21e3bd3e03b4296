// SPDX-License-Identifier: GPL-2.0
/*
 * Description: /dev/kmsgq as an attacker drives it, through the uapi header
 * and raw system calls only: files opened with every access mode (0-3)
 * against every ioctl, as root and as nobody; ioctl arguments of every
 * wrong size, bad pointers, reserved fields and unknown flag bits; a size
 * rewritten by another thread while the kernel reads the argument
 * (userfaultfd); edge-triggered epoll against each in-place and copy-mode
 * wake path; a mapper that clears the shared wakeup word under the
 * kernel's own sleepers, or scribbles over every shared word while others
 * use the queue; executable mappings; rmmod with a file open; KUnit
 * suites in the production module.
 *
 * Every test gets a ring queue of its own (8 slots of 64 bytes, mode 0600,
 * owned by root), unlinked in teardown.  Helper processes never use ASSERT
 * or EXPECT: they report through a pipe or their exit status, and the test
 * judges.  Every call expected to be woken or to return is waited for with
 * a bounded, generous deadline (HQ_WAKE_MS), so a lost wakeup fails the
 * test instead of hanging it.
 *
 * The harness's EXPECT and ASSERT are two statements each (the check, then
 * a loop that reports), so every if, else and loop whose body is one of
 * them has braces.
 */
#include "kmsgq_test.h"

#include <dirent.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/time.h>

/* How long a sleeper may take to wake, or a helper to answer: far too long. */
#define HQ_WAKE_MS		5000

/* The test's ring queue. */
#define HQ_SLOTS		8
#define HQ_MSGSIZE		64
/* The message hq_reset() leaves queued. */
#define HQ_MSGLEN		8

/* open(2) access mode 3: O_WRONLY | O_RDWR, neither read nor write. */
#define HQ_NOACCESS		(O_WRONLY | O_RDWR)

/* Names a test may create besides its queue; teardown unlinks them. */
#define HQ_NAMES_MAX		4

/* An ioctl argument never needs more room than this (sizes above a page). */
#define ABI_BUF_PAGES		3

/* A ring's shared words and slots, as the mapping shows them. */
struct hq_ring {
	unsigned char *map;
	size_t map_size;
	__u32 nr_slots;
	__u32 slot_size;
	__u32 *prod;
	__u32 *cons;
	__u32 *wakeup;
	struct kmsgq_ring_desc *desc;
	unsigned char *data;
};

/*
 * A test's ring queue @name, bound to @fd (O_RDWR); @unbound is an O_RDWR
 * file that is never bound.  @smsg and @rmsg are the message arrays the
 * SEND and RECV arguments point to.
 */
struct hctx {
	char name[KMSGQ_NAME_MAX];
	int fd;
	int unbound;
	struct hq_ring r;		/* @fd's mapping, if the test makes one */
	char names[HQ_NAMES_MAX][KMSGQ_NAME_MAX];
	struct kmsgq_msg smsg;
	struct kmsgq_msg rmsg;
	char sbuf[HQ_MSGSIZE];
	char rbuf[HQ_MSGSIZE];
	struct kmsgq_queue_entry list_entry;	/* what LIST fills */
	struct kids kids;
};

/* ---- helpers: raw calls ---- */

/* KMSGQ_IOC_OPEN of @name on @fd: 0, or -errno. */
static int hq_bind(int fd, const char *name, __u32 flags, __u32 mode)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.mode = mode,
		.max_msgs = HQ_SLOTS,
		.max_msgsize = HQ_MSGSIZE,
	};

	snprintf(op.name, sizeof(op.name), "%s", name);
	return xioctl(fd, KMSGQ_IOC_OPEN, &op);
}

/*
 * open(2) /dev/kmsgq with @oflag and bind the file to @name: the
 * descriptor, or -errno (the file is closed then).
 */
static int hq_open(const char *name, int oflag, __u32 flags, __u32 mode)
{
	int fd = open(KMSGQ_DEVICE_PATH, oflag | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = hq_bind(fd, name, flags, mode);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* KMSGQ_IOC_UNLINK of @name, on a file of its own: 0, or -errno. */
static int hq_unlink(const char *name)
{
	struct kmsgq_unlink ul = { .size = sizeof(ul) };
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	snprintf(ul.name, sizeof(ul.name), "%s", name);
	ret = xioctl(fd, KMSGQ_IOC_UNLINK, &ul);
	close(fd);
	return ret;
}

/* Whether a queue named @name exists (root may open any). */
static bool hq_exists(const char *name)
{
	int fd = hq_open(name, O_RDWR, 0, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* One KMSGQ_IOC_SEND or KMSGQ_IOC_RECV of @m, not sleeping: its result. */
static int hq_xfer_nonblock(int fd, unsigned long cmd, struct kmsgq_msg *m)
{
	return xfer_ioctl(fd, cmd, (uintptr_t)m, 1, KMSGQ_XFER_NONBLOCK, 0,
			  NULL);
}

/* A name for the test's @i-th extra queue, unlinked by teardown. */
static const char *hq_extra_name(struct hctx *h, unsigned int i)
{
	snprintf(h->names[i], KMSGQ_NAME_MAX, "%.48s-%u", h->name, i);
	return h->names[i];
}

/*
 * Empty the test's queue, then queue one HQ_MSGLEN-byte message: readable
 * and writable, so no call of a test sleeps.  Returns 0, or -errno.
 */
static int hq_reset(struct hctx *h)
{
	struct kmsgq_msg m = { .buf = (uintptr_t)h->rbuf };
	int i, ret;

	for (i = 0; i <= HQ_SLOTS; i++) {
		m.len = sizeof(h->rbuf);
		ret = hq_xfer_nonblock(h->fd, KMSGQ_IOC_RECV, &m);
		if (ret == -EAGAIN)
			break;
		if (ret < 0)
			return ret;
	}
	pattern(h->sbuf, HQ_MSGLEN, 1);
	return write(h->fd, h->sbuf, HQ_MSGLEN) == HQ_MSGLEN ? 0 : -errno;
}

/* ---- helpers: the mapping ---- */

/* Map the ring of @fd's queue with @prot: 0, or -errno. */
static int hq_map(int fd, int prot, struct hq_ring *r)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri) };
	void *map;

	if (ioctl(fd, KMSGQ_IOC_RING_INFO, &ri))
		return -errno;
	map = mmap(NULL, ri.map_size, prot, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r->map = map;
	r->map_size = ri.map_size;
	r->nr_slots = ri.nr_slots;
	r->slot_size = ri.slot_size;
	r->prod = (__u32 *)(r->map + ri.prod_off);
	r->cons = (__u32 *)(r->map + ri.cons_off);
	r->wakeup = (__u32 *)(r->map + ri.wakeup_off);
	r->desc = (struct kmsgq_ring_desc *)(r->map + ri.desc_off);
	r->data = r->map + ri.data_off;
	return 0;
}

static void hq_unmap(struct hq_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_size);
	r->map = NULL;
}

static struct kmsgq_ring_desc *hq_desc(struct hq_ring *r, __u32 pos)
{
	return &r->desc[pos & (r->nr_slots - 1)];
}

static unsigned char *hq_slot(struct hq_ring *r, __u32 pos)
{
	return r->data + (size_t)(pos & (r->nr_slots - 1)) * r->slot_size;
}

/*
 * After publishing or releasing in place: a full barrier, then a
 * KMSGQ_IOC_RING_WAKE of @events if the wakeup word has @bit.  Returns
 * 0, or the -errno of the wake.
 */
static int hq_wake_if_asked(int fd, struct hq_ring *r, __u32 bit,
			    __u32 events)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(r->wakeup, __ATOMIC_RELAXED) & bit))
		return 0;
	return ring_ioctl(fd, KMSGQ_IOC_RING_WAKE, 0, events, 0, 0, 0);
}

/*
 * Produce one message in place, by the protocol of struct kmsgq_ring_info:
 * claim the producer position by compare-and-swap, write payload and
 * length, publish with a store-release, wake consumers if they asked.
 * Returns 0, -EAGAIN if the ring is full, or the -errno of the wake.
 */
static int hq_produce(int fd, struct hq_ring *r, const void *buf, __u32 len)
{
	__u32 p = __atomic_load_n(r->prod, __ATOMIC_RELAXED), seq;
	struct kmsgq_ring_desc *d;

	for (;;) {
		d = hq_desc(r, p);
		seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
		if ((__s32)(seq - p) < 0)
			return -EAGAIN;
		if (seq != p)
			p = __atomic_load_n(r->prod, __ATOMIC_RELAXED);
		else if (__atomic_compare_exchange_n(r->prod, &p, p + 1, false,
						     __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
			break;
	}
	memcpy(hq_slot(r, p), buf, len);
	__atomic_store_n(&d->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->seq, p + 1, __ATOMIC_RELEASE);
	return hq_wake_if_asked(fd, r, KMSGQ_RING_WAKE_CONSUMER,
				KMSGQ_RING_READABLE);
}

/*
 * Consume one message in place: claim the consumer position by
 * compare-and-swap, release the slot with a store-release, wake producers
 * if they asked.  Returns 0, -EAGAIN if the ring is empty, or the -errno
 * of the wake.
 */
static int hq_consume(int fd, struct hq_ring *r)
{
	__u32 c = __atomic_load_n(r->cons, __ATOMIC_RELAXED), seq;
	struct kmsgq_ring_desc *d;

	for (;;) {
		d = hq_desc(r, c);
		seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
		if ((__s32)(seq - (c + 1)) < 0)
			return -EAGAIN;
		if (seq != c + 1)
			c = __atomic_load_n(r->cons, __ATOMIC_RELAXED);
		else if (__atomic_compare_exchange_n(r->cons, &c, c + 1, false,
						     __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&d->seq, c + r->nr_slots, __ATOMIC_RELEASE);
	return hq_wake_if_asked(fd, r, KMSGQ_RING_WAKE_PRODUCER,
				KMSGQ_RING_WRITABLE);
}

/* ---- helpers: processes ---- */

/* Reap helper @pid within HQ_WAKE_MS: its wait status, or -ETIMEDOUT. */
static int hq_reap(struct hctx *h, pid_t pid)
{
	int status = reap_within(pid, HQ_WAKE_MS);

	if (status != -ETIMEDOUT)
		kids_forget(&h->kids, pid);
	return status;
}

/* A call a helper process makes on queue @name. */
typedef int (*hq_call_fn)(const char *name, __u32 flags);

/*
 * Run @fn(@name, @flags) in a helper process as nobody: its result,
 * -ECHILD if the helper died or gave no answer within HQ_WAKE_MS, or the
 * -errno of dropping root.
 */
static int hq_as_nobody(struct hctx *h, hq_call_fn fn, const char *name,
			__u32 flags)
{
	struct pollfd pfd = { .events = POLLIN };
	int p[2], ret = -ECHILD;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = kids_fork(&h->kids);
	if (!pid) {
		ret = become(NOBODY, NOBODY);
		if (!ret)
			ret = fn(name, flags);
		child_write(p[1], &ret, sizeof(ret));
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	if (pid < 0 || poll(&pfd, 1, HQ_WAKE_MS) != 1 ||
	    !read_all(p[0], &ret, sizeof(ret)))
		ret = -ECHILD;
	close(p[0]);
	if (pid > 0)
		hq_reap(h, pid);
	return ret;
}

/* A file opened with access mode 3 binding to @name with @flags. */
static int hq_noaccess_bind(const char *name, __u32 flags)
{
	int fd = hq_open(name, HQ_NOACCESS, flags, 0600);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* A file opened with access mode 3 unlinking @name. */
static int hq_noaccess_unlink(const char *name, __u32 flags)
{
	struct kmsgq_unlink ul = { .size = sizeof(ul), .flags = flags };
	int fd = open(KMSGQ_DEVICE_PATH, HQ_NOACCESS | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	snprintf(ul.name, sizeof(ul.name), "%s", name);
	ret = xioctl(fd, KMSGQ_IOC_UNLINK, &ul);
	close(fd);
	return ret;
}

/* Create @name with an O_RDWR file, then unlink it with a mode 3 file. */
static int hq_create_then_noaccess_unlink(const char *name, __u32 flags)
{
	int fd = hq_open(name, O_RDWR, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
			 0600);

	if (fd < 0)
		return fd;
	close(fd);
	return hq_noaccess_unlink(name, flags);
}

/* epoll_wait() for @ms on @ep's one file: the events reported, 0, -errno. */
static int hq_epoll_events(int ep, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, ms);

	if (n < 0)
		return -errno;
	return n ? (int)ev.events : 0;
}

/* An epoll instance watching @fd for @events: its descriptor, or -errno. */
static int hq_epoll(int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(ep);
		return -errno;
	}
	return ep;
}

/* ---- the fixture ---- */

/* The test's ring queue, owned by root, mode 0600, and an unbound file. */
static int hctx_setup(struct hctx *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = h->unbound = -1;
	snprintf(h->name, sizeof(h->name), "hostile-%d", getpid());
	hq_unlink(h->name);
	h->fd = hq_open(h->name, O_RDWR, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL |
			KMSGQ_OPEN_RING, 0600);
	if (h->fd < 0)
		return h->fd;
	h->unbound = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (h->unbound < 0)
		return -errno;
	h->smsg.buf = (uintptr_t)h->sbuf;
	h->rmsg.buf = (uintptr_t)h->rbuf;
	return 0;
}

static void hctx_teardown(struct hctx *h)
{
	int i;

	kids_kill(&h->kids);
	hq_unmap(&h->r);
	if (h->fd >= 0)
		close(h->fd);
	if (h->unbound >= 0)
		close(h->unbound);
	for (i = 0; i < HQ_NAMES_MAX; i++)
		if (h->names[i][0])
			hq_unlink(h->names[i]);
	hq_unlink(h->name);
}

FIXTURE(hq) {
	struct hctx h;
};

FIXTURE_SETUP(hq)
{
	int ret = hctx_setup(&self->h);

	ASSERT_EQ(0, ret) TH_LOG("ring queue %s: %s", self->h.name,
				 strerror(-ret));
}

FIXTURE_TEARDOWN(hq)
{
	hctx_teardown(&self->h);
}

/* ==== the ioctl table ==== */

/* Which file a call of the ABI tests is made on. */
enum hq_file {
	HQ_BOUND,	/* the test's queue, O_RDWR */
	HQ_UNBOUND,	/* an O_RDWR file never bound */
	HQ_FRESH,	/* a new O_RDWR file for each call, closed after */
};

/*
 * One ioctl with a good argument (hq_call_fill()); on @file, after
 * hq_reset(), the call returns @ok.  @events: those of RING_WAIT and
 * RING_WAKE.
 */
struct hq_call {
	const char *what;
	unsigned long cmd;
	__u32 size;
	__u32 events;
	__u32 wflags;	/* RING_WAIT: flags beyond its timeout's */
	enum hq_file file;
	int ok;
};

#define HQ_CALL(name, c, type, ev, on, res) \
	static const struct hq_call name = { \
		.what = #c, .cmd = KMSGQ_IOC_##c, \
		.size = sizeof(struct type), .events = ev, .file = on, \
		.ok = res, \
	}

#define HQ_R	KMSGQ_RING_READABLE
#define HQ_W	KMSGQ_RING_WRITABLE

HQ_CALL(hc_info, INFO, kmsgq_info, 0, HQ_UNBOUND, 0);
HQ_CALL(hc_open, OPEN, kmsgq_open, 0, HQ_FRESH, 0);
/* Of a name no queue has: ENOENT once the argument is accepted. */
HQ_CALL(hc_unlink, UNLINK, kmsgq_unlink, 0, HQ_UNBOUND, -ENOENT);
HQ_CALL(hc_send, SEND, kmsgq_xfer, 0, HQ_BOUND, 1);
HQ_CALL(hc_recv, RECV, kmsgq_xfer, 0, HQ_BOUND, 1);
HQ_CALL(hc_getattr, GETATTR, kmsgq_attr, 0, HQ_BOUND, 0);
HQ_CALL(hc_setattr, SETATTR, kmsgq_attr, 0, HQ_BOUND, 0);
HQ_CALL(hc_stats, STATS, kmsgq_stats, 0, HQ_BOUND, 0);
HQ_CALL(hc_ring_info, RING_INFO, kmsgq_ring_info, 0, HQ_BOUND, 0);
HQ_CALL(hc_wait_r, RING_WAIT, kmsgq_ring_wait, HQ_R, HQ_BOUND, HQ_R);
HQ_CALL(hc_wait_w, RING_WAIT, kmsgq_ring_wait, HQ_W, HQ_BOUND, HQ_W);
HQ_CALL(hc_wait_rw, RING_WAIT, kmsgq_ring_wait, HQ_R | HQ_W, HQ_BOUND,
	HQ_R | HQ_W);
/* RING_WAIT asking where its waker ran, as libkmsgq's kmsgq_ring_wait() does */
static const struct hq_call hc_wait_r_waker = {
	.what = "RING_WAIT+WAKER", .cmd = KMSGQ_IOC_RING_WAIT,
	.size = sizeof(struct kmsgq_ring_wait), .events = HQ_R,
	.wflags = KMSGQ_RING_WAIT_WAKER, .file = HQ_BOUND, .ok = HQ_R,
};
static const struct hq_call hc_wait_w_waker = {
	.what = "RING_WAIT+WAKER", .cmd = KMSGQ_IOC_RING_WAIT,
	.size = sizeof(struct kmsgq_ring_wait), .events = HQ_W,
	.wflags = KMSGQ_RING_WAIT_WAKER, .file = HQ_BOUND, .ok = HQ_W,
};
HQ_CALL(hc_wake_r, RING_WAKE, kmsgq_ring_wait, HQ_R, HQ_BOUND, 0);
HQ_CALL(hc_wake_w, RING_WAKE, kmsgq_ring_wait, HQ_W, HQ_BOUND, 0);
HQ_CALL(hc_wake_rw, RING_WAKE, kmsgq_ring_wait, HQ_R | HQ_W, HQ_BOUND, 0);
HQ_CALL(hc_list, LIST, kmsgq_list, 0, HQ_UNBOUND, 1);

/* Every ioctl once: the ABI tests' table. */
static const struct hq_call *const hq_calls[] = {
	&hc_info, &hc_open, &hc_unlink, &hc_send, &hc_recv, &hc_getattr,
	&hc_setattr, &hc_stats, &hc_ring_info, &hc_wait_w, &hc_wake_r,
	&hc_list,
};

/* Any ioctl argument. */
union hq_arg {
	__u32 size;
	struct kmsgq_info info;
	struct kmsgq_open op;
	struct kmsgq_unlink ul;
	struct kmsgq_xfer x;
	struct kmsgq_attr attr;
	struct kmsgq_stats st;
	struct kmsgq_ring_info ri;
	struct kmsgq_ring_wait w;
	struct kmsgq_list l;
};

/*
 * @c's good argument in @arg, for a call of @size bytes: zeroed (and so
 * is anything up to @size past it), then filled in.  SEND and RECV move
 * one message without sleeping; RING_WAIT sleeps 1 s at most.
 */
static void hq_call_fill(struct hctx *h, const struct hq_call *c, void *arg,
			 __u32 size)
{
	union hq_arg *a = arg;

	memset(arg, 0, size > c->size ? size : c->size);
	switch (c->cmd) {
	case KMSGQ_IOC_OPEN:
		snprintf(a->op.name, sizeof(a->op.name), "%s", h->name);
		break;
	case KMSGQ_IOC_UNLINK:
		snprintf(a->ul.name, sizeof(a->ul.name), "%.48s-absent",
			 h->name);
		break;
	case KMSGQ_IOC_SEND:
	case KMSGQ_IOC_RECV:
		h->smsg.len = HQ_MSGLEN;
		h->rmsg.len = sizeof(h->rbuf);
		a->x.flags = KMSGQ_XFER_NONBLOCK;
		a->x.msgs = (uintptr_t)(c->cmd == KMSGQ_IOC_SEND ? &h->smsg :
					&h->rmsg);
		a->x.nr = 1;
		break;
	case KMSGQ_IOC_RING_WAIT:
		a->w.flags = KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE |
			     c->wflags;
		a->w.clockid = CLOCK_MONOTONIC;
		a->w.timeout.tv_sec = 1;
		/* fall through */
	case KMSGQ_IOC_RING_WAKE:
		a->w.events = c->events;
		break;
	case KMSGQ_IOC_LIST:
		a->l.entries = (uintptr_t)&h->list_entry;
		a->l.entry_size = sizeof(h->list_entry);
		a->l.nr = 1;
		break;
	}
	a->size = size;
}

/* The file a call of the ABI tests is made on; hq_call_put() it after. */
static int hq_call_file(struct hctx *h, const struct hq_call *c)
{
	switch (c->file) {
	case HQ_BOUND:
		return h->fd;
	case HQ_UNBOUND:
		return h->unbound;
	default:
		return open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	}
}

static void hq_call_put(const struct hq_call *c, int fd)
{
	if (c->file == HQ_FRESH && fd >= 0)
		close(fd);
}

/*
 * hq_reset(), then the ioctl @c with argument @arg (already filled) on its
 * file: the result, or -errno.
 */
static int hq_call_run(struct hctx *h, const struct hq_call *c, void *arg)
{
	int fd, ret;

	ret = hq_reset(h);
	if (ret)
		return ret;
	fd = hq_call_file(h, c);
	ret = xioctl(fd, c->cmd, arg);
	hq_call_put(c, fd);
	return ret;
}

/* ==== 1: access mode 3 grants nothing ==== */

TEST_F(hq, noaccess_open_of_roots_own_queue_fails_with_eacces)
{
	EXPECT_EQ(-EACCES, hq_noaccess_bind(self->h.name, 0));
}

TEST_F(hq, noaccess_open_create_of_an_existing_queue_fails_with_eacces)
{
	EXPECT_EQ(-EACCES, hq_noaccess_bind(self->h.name, KMSGQ_OPEN_CREATE));
}

TEST_F(hq, noaccess_open_create_of_a_new_name_fails_and_creates_nothing)
{
	const char *name = hq_extra_name(&self->h, 0);

	EXPECT_EQ(-EACCES, hq_noaccess_bind(name, KMSGQ_OPEN_CREATE));
	EXPECT_FALSE(hq_exists(name));
	EXPECT_EQ(-EACCES, hq_noaccess_bind(name, KMSGQ_OPEN_CREATE |
					    KMSGQ_OPEN_EXCL |
					    KMSGQ_OPEN_RING));
	EXPECT_FALSE(hq_exists(name));
}

TEST_F(hq, noaccess_open_by_nobody_of_roots_0600_queue_fails_with_eacces)
{
	EXPECT_EQ(-EACCES, hq_as_nobody(&self->h, hq_noaccess_bind,
					self->h.name, 0));
	EXPECT_EQ(-EACCES, hq_as_nobody(&self->h, hq_noaccess_bind,
					self->h.name, KMSGQ_OPEN_CREATE));
}

TEST_F(hq, noaccess_open_create_by_nobody_fails_and_creates_nothing)
{
	const char *name = hq_extra_name(&self->h, 0);

	EXPECT_EQ(-EACCES, hq_as_nobody(&self->h, hq_noaccess_bind, name,
					KMSGQ_OPEN_CREATE));
	EXPECT_FALSE(hq_exists(name));
}

TEST_F(hq, noaccess_unlink_by_the_owner_works)
{
	const char *name = hq_extra_name(&self->h, 0);
	int fd;

	fd = hq_open(name, O_RDWR, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, hq_noaccess_unlink(name, 0));
	EXPECT_FALSE(hq_exists(name));
	EXPECT_EQ(0, hq_as_nobody(&self->h, hq_create_then_noaccess_unlink,
				  hq_extra_name(&self->h, 1), 0));
	EXPECT_FALSE(hq_exists(self->h.names[1]));
}

TEST_F(hq, noaccess_unlink_by_nobody_of_roots_queue_fails_with_eperm)
{
	EXPECT_EQ(-EPERM, hq_as_nobody(&self->h, hq_noaccess_unlink,
				       self->h.name, 0));
	EXPECT_TRUE(hq_exists(self->h.name));
}

/* ==== 2: every ioctl needs the access it uses ==== */

#define ACC_R	1U
#define ACC_W	2U

/*
 * One row of the access matrix: the ioctl @call (NULL: read() or write(),
 * as @needs says), the access it @needs, what it returns on a bound file
 * that has it (@ok; else EBADF), and on a mode 3 file whose OPEN was
 * refused (@noaccess).
 */
struct acc_row {
	const struct hq_call *call;
	unsigned int needs;
	int ok;
	int noaccess;
};

static const struct acc_row acc_rows[] = {
	{ &hc_info, 0, 0, 0 },
	{ &hc_open, 0, -EBUSY, -EACCES },
	{ &hc_unlink, 0, -ENOENT, -ENOENT },
	{ &hc_list, 0, 1, 1 },
	{ &hc_send, ACC_W, 1, -ENOTCONN },
	{ &hc_recv, ACC_R, 1, -ENOTCONN },
	{ &hc_getattr, 0, 0, -ENOTCONN },
	{ &hc_setattr, 0, 0, -ENOTCONN },
	{ &hc_stats, 0, 0, -ENOTCONN },
	{ &hc_ring_info, 0, 0, -ENOTCONN },
	{ &hc_wait_r, ACC_R, KMSGQ_RING_READABLE, -ENOTCONN },
	{ &hc_wait_w, ACC_W, KMSGQ_RING_WRITABLE, -ENOTCONN },
	{ &hc_wait_rw, ACC_R | ACC_W,
	  KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE, -ENOTCONN },
	{ &hc_wait_r_waker, ACC_R, KMSGQ_RING_READABLE, -ENOTCONN },
	{ &hc_wait_w_waker, ACC_W, KMSGQ_RING_WRITABLE, -ENOTCONN },
	/* Waking consumers is a producer's call, and the other way round. */
	{ &hc_wake_r, ACC_W, 0, -ENOTCONN },
	{ &hc_wake_w, ACC_R, 0, -ENOTCONN },
	{ &hc_wake_rw, ACC_R | ACC_W, 0, -ENOTCONN },
	{ NULL, ACC_R, HQ_MSGLEN, -EBADF },	/* read() */
	{ NULL, ACC_W, HQ_MSGLEN, -EBADF },	/* write() */
};

static const char *acc_row_name(const struct acc_row *row)
{
	static const char *const events[] = {
		[HQ_R] = "(READABLE)", [HQ_W] = "(WRITABLE)",
		[HQ_R | HQ_W] = "(READABLE|WRITABLE)",
	};
	static char buf[64];

	if (!row->call)
		return row->needs == ACC_R ? "read()" : "write()";
	snprintf(buf, sizeof(buf), "%s%s", row->call->what,
		 events[row->call->events] ?: "");
	return buf;
}

/* hq_reset(), then @row's call on @fd (with the exact size): its result. */
static int acc_row_run(struct hctx *h, const struct acc_row *row, int fd)
{
	union hq_arg arg;
	ssize_t n;
	int ret;

	ret = hq_reset(h);
	if (ret)
		return ret;
	if (row->call) {
		hq_call_fill(h, row->call, &arg, row->call->size);
		return xioctl(fd, row->call->cmd, &arg);
	}
	if (row->needs == ACC_R)
		n = read(fd, h->rbuf, sizeof(h->rbuf));
	else
		n = write(fd, h->sbuf, HQ_MSGLEN);
	return n < 0 ? -errno : (int)n;
}

/* Access a file of open(2) access mode @mode has: ACC_* bits. */
static unsigned int acc_granted(int mode)
{
	switch (mode) {
	case O_RDONLY:
		return ACC_R;
	case O_WRONLY:
		return ACC_W;
	case O_RDWR:
		return ACC_R | ACC_W;
	default:
		return 0;
	}
}

FIXTURE(access) {
	struct hctx h;
	int file;		/* bound to h's queue with the variant's mode */
};

FIXTURE_VARIANT(access) {
	int mode;
};

FIXTURE_VARIANT_ADD(access, rdonly) {
	.mode = O_RDONLY,
};

FIXTURE_VARIANT_ADD(access, wronly) {
	.mode = O_WRONLY,
};

FIXTURE_VARIANT_ADD(access, rdwr) {
	.mode = O_RDWR,
};

FIXTURE_SETUP(access)
{
	int ret = hctx_setup(&self->h);

	self->file = -1;
	ASSERT_EQ(0, ret) TH_LOG("ring queue %s: %s", self->h.name,
				 strerror(-ret));
	self->file = hq_open(self->h.name, variant->mode, 0, 0);
	ASSERT_LE(0, self->file) TH_LOG("open mode %d: %s", variant->mode,
					strerror(-self->file));
}

FIXTURE_TEARDOWN(access)
{
	if (self->file >= 0)
		close(self->file);
	hctx_teardown(&self->h);
}

TEST_F(access, every_call_needs_the_access_it_uses)
{
	unsigned int granted = acc_granted(variant->mode), i;
	int want, got;

	for (i = 0; i < ARRAY_SIZE(acc_rows); i++) {
		const struct acc_row *row = &acc_rows[i];

		want = (row->needs & granted) == row->needs ? row->ok : -EBADF;
		got = acc_row_run(&self->h, row, self->file);
		EXPECT_EQ(want, got) {
			TH_LOG("%s on open mode %d: %d (%s), want %d",
			       acc_row_name(row), variant->mode, got,
			       got < 0 ? strerror(-got) : "success", want);
		}
	}
}

TEST_F(hq, noaccess_file_stays_unbound_after_its_open_is_refused)
{
	int fd, want, got;
	unsigned int i;

	fd = open(KMSGQ_DEVICE_PATH, HQ_NOACCESS | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open mode 3: %s", strerror(errno));
	hq_bind(fd, self->h.name, 0, 0);
	for (i = 0; i < ARRAY_SIZE(acc_rows); i++) {
		const struct acc_row *row = &acc_rows[i];

		want = row->noaccess;
		got = acc_row_run(&self->h, row, fd);
		EXPECT_EQ(want, got) {
			TH_LOG("%s on open mode 3: %d (%s), want %d",
			       acc_row_name(row), got,
			       got < 0 ? strerror(-got) : "success", want);
		}
	}
	close(fd);
}

/* ==== 3: edge-triggered epoll on a ring ==== */

/* Fill the test's empty ring with write(): 0, or -errno. */
static int hq_fill(struct hctx *h)
{
	int i;

	h->smsg.len = HQ_MSGLEN;
	for (i = 0; i < HQ_SLOTS; i++)
		if (write(h->fd, h->sbuf, HQ_MSGLEN) != HQ_MSGLEN)
			return -errno;
	/* Not poll(): on a full ring it would arm the producer bit. */
	return hq_xfer_nonblock(h->fd, KMSGQ_IOC_SEND, &h->smsg) == -EAGAIN ?
	       0 : -ENOSPC;
}

/*
 * An edge-triggered epoll instance on the test's queue, registered for
 * @event while it holds; its first epoll_wait() reports it, then the event
 * stops holding: the one message is read (EPOLLIN), or the ring filled
 * (EPOLLOUT).  Returns the epoll descriptor.
 */
static int hq_epollet_spent(struct __test_metadata *_metadata,
			    struct hctx *h, int event)
{
	int ep;

	if (event == EPOLLIN) {
		ASSERT_EQ(0, hq_reset(h));
	}
	ep = hq_epoll(h->fd, event | EPOLLET);
	ASSERT_LE(0, ep);
	ASSERT_EQ(event, hq_epoll_events(ep, HQ_WAKE_MS) & event);
	if (event == EPOLLIN) {
		ASSERT_EQ(HQ_MSGLEN, read(h->fd, h->rbuf, HQ_MSGSIZE));
	} else {
		ASSERT_EQ(0, hq_fill(h));
	}
	return ep;
}

/* The next epoll_wait() on @ep reports @event; then @ep is closed. */
static void hq_expect_epoll(struct __test_metadata *_metadata,
			    struct hctx *h, int ep, int event)
{
	int events = hq_epoll_events(ep, HQ_WAKE_MS);

	EXPECT_EQ(event, events & event) {
		TH_LOG("epoll_wait: %d, wakeup word %#x", events,
		       h->r.map ? *h->r.wakeup : 0);
	}
	close(ep);
}

/* In another process, one write() (@writes) or read(): whether it worked. */
static bool hq_peer_moves_one(struct hctx *h, bool writes)
{
	pid_t pid = kids_fork(&h->kids);
	ssize_t n;

	if (!pid) {
		n = writes ? write(h->fd, h->sbuf, HQ_MSGLEN) :
			    read(h->fd, h->rbuf, HQ_MSGSIZE);
		_exit(n != HQ_MSGLEN);
	}
	return pid > 0 && exited_ok(hq_reap(h, pid));
}

TEST_F(hq, epollet_reports_a_message_produced_in_place_after_a_drain)
{
	int ep;

	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, &self->h.r));
	ep = hq_epollet_spent(_metadata, &self->h, EPOLLIN);
	ASSERT_EQ(0, hq_produce(self->h.fd, &self->h.r, self->h.sbuf,
				HQ_MSGLEN));
	hq_expect_epoll(_metadata, &self->h, ep, EPOLLIN);
}

TEST_F(hq, epollet_reports_a_message_another_process_writes_after_a_drain)
{
	int ep = hq_epollet_spent(_metadata, &self->h, EPOLLIN);

	ASSERT_TRUE(hq_peer_moves_one(&self->h, true));
	hq_expect_epoll(_metadata, &self->h, ep, EPOLLIN);
}

TEST_F(hq, epollet_reports_a_slot_released_in_place_after_a_fill)
{
	int ep;

	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, &self->h.r));
	ep = hq_epollet_spent(_metadata, &self->h, EPOLLOUT);
	ASSERT_EQ(0, hq_consume(self->h.fd, &self->h.r));
	hq_expect_epoll(_metadata, &self->h, ep, EPOLLOUT);
}

TEST_F(hq, epollet_reports_a_slot_another_process_reads_after_a_fill)
{
	int ep = hq_epollet_spent(_metadata, &self->h, EPOLLOUT);

	ASSERT_TRUE(hq_peer_moves_one(&self->h, false));
	hq_expect_epoll(_metadata, &self->h, ep, EPOLLOUT);
}

/*
 * An epoll entry made for EPOLLIN alone, changed by EPOLL_CTL_MOD to
 * EPOLLOUT while the ring is full (as event loops toggle EPOLLOUT), hears
 * the next slot made free: by a read() of another process (@in_place
 * false) or released in place.
 */
static void hq_epoll_mod_to_out(struct __test_metadata *_metadata,
				struct hctx *h, bool in_place)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = h->fd };
	int ep;

	if (in_place) {
		ASSERT_EQ(0, hq_map(h->fd, PROT_READ | PROT_WRITE, &h->r));
	}
	ASSERT_EQ(0, hq_fill(h));
	ep = hq_epoll(h->fd, EPOLLIN);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &ev));
	ASSERT_EQ(0, hq_epoll_events(ep, 0) & EPOLLOUT);
	if (in_place) {
		ASSERT_EQ(0, hq_consume(h->fd, &h->r));
	} else {
		ASSERT_TRUE(hq_peer_moves_one(h, false));
	}
	hq_expect_epoll(_metadata, h, ep, EPOLLOUT);
}

TEST_F(hq, epoll_mod_to_epollout_hears_a_slot_another_process_reads)
{
	hq_epoll_mod_to_out(_metadata, &self->h, false);
}

TEST_F(hq, epoll_mod_to_epollout_hears_a_slot_released_in_place)
{
	hq_epoll_mod_to_out(_metadata, &self->h, true);
}

/* ==== 4: a mapper cannot keep the kernel's sleepers asleep ==== */

TEST_F(hq, reader_wakes_for_a_write_although_a_mapper_cleared_the_word)
{
	char buf[HQ_MSGSIZE];
	int status;
	pid_t pid;

	pid = kids_fork(&self->h.kids);
	ASSERT_LE(0, pid);
	if (!pid) {	/* never maps the ring */
		ssize_t n = read(self->h.fd, buf, sizeof(buf));

		_exit(n != HQ_MSGLEN || !pattern_ok(buf, HQ_MSGLEN, 3));
	}
	ASSERT_EQ(0, wait_sleepers(self->h.fd, false, 1));
	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, &self->h.r));
	__atomic_store_n(self->h.r.wakeup, 0, __ATOMIC_SEQ_CST);

	pattern(self->h.sbuf, HQ_MSGLEN, 3);
	ASSERT_EQ(HQ_MSGLEN, write(self->h.fd, self->h.sbuf, HQ_MSGLEN));
	status = hq_reap(&self->h, pid);
	EXPECT_TRUE(exited_ok(status)) {
		TH_LOG("the reader %s", status == -ETIMEDOUT ?
		       "sleeps on" : "got the wrong message");
	}
}

TEST_F(hq, writer_wakes_for_a_read_although_a_mapper_cleared_the_word)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, hq_fill(&self->h));
	pid = kids_fork(&self->h.kids);
	ASSERT_LE(0, pid);
	if (!pid)	/* never maps the ring */
		_exit(write(self->h.fd, self->h.sbuf, HQ_MSGLEN) != HQ_MSGLEN);
	ASSERT_EQ(0, wait_sleepers(self->h.fd, true, 1));
	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, &self->h.r));
	__atomic_store_n(self->h.r.wakeup, 0, __ATOMIC_SEQ_CST);

	ASSERT_EQ(HQ_MSGLEN, read(self->h.fd, self->h.rbuf, HQ_MSGSIZE));
	status = hq_reap(&self->h, pid);
	EXPECT_TRUE(exited_ok(status)) {
		TH_LOG("the writer %s", status == -ETIMEDOUT ?
		       "sleeps on" : "failed");
	}
}

/* ==== 5: ABI growth, bad pointers, reserved bits ==== */

/*
 * ABI_BUF_PAGES zeroed pages for an ioctl argument, followed by a page no
 * access is allowed to.  Returns the first page, or NULL.
 */
static unsigned char *abi_buf(void)
{
	size_t ps = getpagesize();
	unsigned char *p;

	p = mmap(NULL, (ABI_BUF_PAGES + 1) * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + ABI_BUF_PAGES * ps, ps, PROT_NONE)) {
		munmap(p, (ABI_BUF_PAGES + 1) * ps);
		return NULL;
	}
	return p;
}

static void abi_buf_free(unsigned char *p)
{
	munmap(p, (ABI_BUF_PAGES + 1) * getpagesize());
}

/* Log @c's result @got when it is not @want; whether it was. */
static bool abi_check(struct __test_metadata *_metadata,
		      const struct hq_call *c, const char *how, int want,
		      int got)
{
	EXPECT_EQ(want, got) {
		TH_LOG("%s with %s: %d (%s), want %d", c->what, how, got,
		       got < 0 ? strerror(-got) : "success", want);
	}
	return want == got;
}

/* abi_expect_size()'s @want for what a call returns with a good argument. */
#define ABI_OK			1

/* What abi_expect_size()'s @size counts from. */
enum abi_base {
	ABI_BYTES,	/* nothing: @size is the size */
	ABI_SIZEOF,	/* the structure's size in this header */
	ABI_VER0,	/* its first published size, the ioctl number's */
};

/*
 * Make every call of hq_calls with an argument of @size bytes more than
 * @base that is good but for its size, whose tail (if any) is zero: each
 * must fail with errno @want, or with ABI_OK work.
 */
static void abi_expect_size(struct __test_metadata *_metadata, struct hctx *h,
			    long size, enum abi_base base, int want)
{
	unsigned char *buf = abi_buf();
	unsigned int i;
	char how[64];
	__u32 usize;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(hq_calls); i++) {
		const struct hq_call *c = hq_calls[i];

		usize = size + (base == ABI_SIZEOF ? (long)c->size :
				base == ABI_VER0 ? (long)_IOC_SIZE(c->cmd) : 0);
		hq_call_fill(h, c, buf, usize);
		snprintf(how, sizeof(how), "size %u", usize);
		abi_check(_metadata, c, how, want == ABI_OK ? c->ok : -want,
			  hq_call_run(h, c, buf));
	}
	abi_buf_free(buf);
}

TEST_F(hq, argument_of_exactly_its_size_works)
{
	abi_expect_size(_metadata, &self->h, 0, ABI_SIZEOF, ABI_OK);
	/* A structure that grew still takes its first version. */
	abi_expect_size(_metadata, &self->h, 0, ABI_VER0, ABI_OK);
}

TEST_F(hq, larger_argument_with_a_zero_tail_works_and_its_tail_stays_zero)
{
	unsigned char *buf = abi_buf();
	unsigned int i;
	size_t j;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(hq_calls); i++) {
		const struct hq_call *c = hq_calls[i];
		unsigned char *tail = buf + c->size;

		hq_call_fill(&self->h, c, buf, c->size + 8);
		memset(tail, 0, 8);
		memset(tail + 8, 0xa5, 64);
		abi_check(_metadata, c, "size + 8, zero tail", c->ok,
			  hq_call_run(&self->h, c, buf));
		for (j = 0; j < 8; j++) {
			EXPECT_EQ(0, tail[j]) {
				TH_LOG("%s: tail byte %zu is %#x", c->what, j,
				       tail[j]);
			}
		}
		for (j = 8; j < 8 + 64; j++) {
			EXPECT_EQ(0xa5, tail[j]) {
				TH_LOG("%s: byte %zu past the argument is %#x",
				       c->what, j - 8, tail[j]);
			}
		}
	}
	abi_buf_free(buf);
}

TEST_F(hq, larger_argument_with_a_nonzero_tail_fails_with_e2big)
{
	static const size_t at[] = { 0, 7 };
	unsigned char *buf = abi_buf();
	unsigned int i, j;
	char how[64];

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(hq_calls); i++) {
		const struct hq_call *c = hq_calls[i];

		for (j = 0; j < ARRAY_SIZE(at); j++) {
			hq_call_fill(&self->h, c, buf, c->size + 8);
			memset(buf + c->size, 0, 8);
			buf[c->size + at[j]] = 0x80;
			snprintf(how, sizeof(how), "size + 8, tail byte %zu set",
				 at[j]);
			abi_check(_metadata, c, how, -E2BIG,
				  hq_call_run(&self->h, c, buf));
		}
	}
	abi_buf_free(buf);
}

TEST_F(hq, argument_shorter_than_its_first_version_fails_with_einval)
{
	abi_expect_size(_metadata, &self->h, 0, ABI_BYTES, EINVAL);
	abi_expect_size(_metadata, &self->h, 1, ABI_BYTES, EINVAL);
	abi_expect_size(_metadata, &self->h, -1, ABI_VER0, EINVAL);
}

/* The whole argument is readable and its tail zero. */
TEST_F(hq, argument_larger_than_a_page_fails_with_e2big)
{
	abi_expect_size(_metadata, &self->h, getpagesize() + 1, ABI_BYTES,
			E2BIG);
	abi_expect_size(_metadata, &self->h, 2 * getpagesize(), ABI_BYTES,
			E2BIG);
}

TEST_F(hq, argument_at_a_bad_address_fails_with_efault)
{
	size_t ps = getpagesize();
	unsigned char *buf = abi_buf(), *straddle;
	void *gone, *none = fault_page();
	unsigned int i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(MAP_FAILED, none);
	gone = fault_page();
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, ps));
	/* Only @size readable: the rest lies on the page that faults. */
	straddle = buf + ABI_BUF_PAGES * ps - sizeof(__u32);

	for (i = 0; i < ARRAY_SIZE(hq_calls); i++) {
		const struct hq_call *c = hq_calls[i];

		abi_check(_metadata, c, "NULL", -EFAULT,
			  hq_call_run(&self->h, c, NULL));
		abi_check(_metadata, c, "an unmapped address", -EFAULT,
			  hq_call_run(&self->h, c, gone));
		abi_check(_metadata, c, "a PROT_NONE page", -EFAULT,
			  hq_call_run(&self->h, c, none));
		*(__u32 *)straddle = c->size;
		abi_check(_metadata, c, "only its size readable", -EFAULT,
			  hq_call_run(&self->h, c, straddle));
	}
	munmap(none, ps);
	abi_buf_free(buf);
}

/* A must-be-zero __u32 of an argument: its @undefined bits. */
struct abi_word {
	const struct hq_call *call;
	const char *field;
	size_t off;
	__u32 undefined;
};

#define ABI_WORD(c, type, f, bits) \
	{ &c, #f, offsetof(struct type, f), bits }

static const struct abi_word abi_words[] = {
	ABI_WORD(hc_open, kmsgq_open, flags,
		 ~(KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL | KMSGQ_OPEN_RING |
		   KMSGQ_OPEN_OVERFLOW_FAIL | KMSGQ_OPEN_OVERFLOW_DROP)),
	ABI_WORD(hc_open, kmsgq_open, reserved, ~0U),
	ABI_WORD(hc_unlink, kmsgq_unlink, flags, ~0U),
	ABI_WORD(hc_send, kmsgq_xfer, flags,
		 ~(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_TIMEOUT |
		   KMSGQ_XFER_RELATIVE)),
	ABI_WORD(hc_send, kmsgq_xfer, index, ~0U),
	ABI_WORD(hc_send, kmsgq_xfer, reserved, ~0U),
	ABI_WORD(hc_recv, kmsgq_xfer, flags,
		 ~(KMSGQ_XFER_NONBLOCK | KMSGQ_XFER_TIMEOUT |
		   KMSGQ_XFER_RELATIVE | KMSGQ_XFER_PEEK |
		   KMSGQ_XFER_SENDER | KMSGQ_XFER_LOST)),
	ABI_WORD(hc_recv, kmsgq_xfer, index, ~0U),
	ABI_WORD(hc_recv, kmsgq_xfer, reserved, ~0U),
	ABI_WORD(hc_getattr, kmsgq_attr, flags, ~KMSGQ_ATTR_NONBLOCK),
	ABI_WORD(hc_getattr, kmsgq_attr, reserved, ~0U),
	ABI_WORD(hc_setattr, kmsgq_attr, flags, ~KMSGQ_ATTR_NONBLOCK),
	ABI_WORD(hc_setattr, kmsgq_attr, reserved, ~0U),
	ABI_WORD(hc_stats, kmsgq_stats, flags, ~0U),
	ABI_WORD(hc_ring_info, kmsgq_ring_info, flags, ~0U),
	ABI_WORD(hc_ring_info, kmsgq_ring_info, reserved, ~0U),
	ABI_WORD(hc_wait_w, kmsgq_ring_wait, flags,
		 ~(KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE |
		   KMSGQ_RING_WAIT_WAKER)),
	ABI_WORD(hc_wait_w, kmsgq_ring_wait, events,
		 ~(KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE)),
	ABI_WORD(hc_wake_r, kmsgq_ring_wait, flags, ~0U),
	ABI_WORD(hc_wake_r, kmsgq_ring_wait, events,
		 ~(KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE)),
	ABI_WORD(hc_list, kmsgq_list, flags, ~0U),
};

TEST_F(hq, every_reserved_field_and_unknown_flag_bit_fails_with_einval)
{
	unsigned char *buf = abi_buf();
	unsigned int i, bit;
	char how[64];

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(abi_words); i++) {
		const struct abi_word *w = &abi_words[i];
		const struct hq_call *c = w->call;

		for (bit = 0; bit < 32; bit++) {
			if (!(w->undefined & (1U << bit)))
				continue;
			hq_call_fill(&self->h, c, buf, c->size);
			*(__u32 *)(buf + w->off) |= 1U << bit;
			snprintf(how, sizeof(how), "%s bit %u", w->field, bit);
			if (!abi_check(_metadata, c, how, -EINVAL,
				       hq_call_run(&self->h, c, buf)))
				break;	/* one report per field */
		}
	}
	abi_buf_free(buf);
}

/* ==== 6: the argument's size is fetched once ==== */

/* The ioctl a thread makes while the test rewrites its argument. */
struct uffd_call {
	int fd;
	void *arg;
	int ret;
};

static void *uffd_call_thread(void *data)
{
	struct uffd_call *call = data;

	call->ret = xioctl(call->fd, KMSGQ_IOC_INFO, call->arg);
	return NULL;
}

/* A userfaultfd handling kernel faults too: its descriptor, or -errno. */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -errno;
	}
	return uffd;
}

/*
 * Page A (normal memory) ends with a struct kmsgq_info whose size says 8
 * more bytes follow, on page B, which is missing and registered with
 * userfaultfd; page C faults.  While the kernel waits for page B (it
 * checks that the tail is zero), the size on page A becomes 0xfffffff0;
 * page B then arrives with an 8-byte zero tail and a canary after it.
 * Whatever the call returns, it may not write past the 8 bytes.
 */
TEST_F(hq, info_copies_out_only_the_size_it_checked)
{
	size_t ps = getpagesize(), spoiled = 0, i;
	struct uffdio_register reg = { 0 };
	struct uffdio_copy copy = { 0 };
	struct pollfd pfd = { .events = POLLIN };
	struct uffd_msg msg;
	struct uffd_call call;
	unsigned char *a, *b, *src;
	struct kmsgq_info *info;
	bool faulted = false;
	pthread_t thread;
	int uffd;

	uffd = uffd_open();
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-uffd));
	a = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, src);
	b = a + ps;
	ASSERT_EQ(0, mprotect(b + ps, ps, PROT_NONE));
	reg.range.start = (uintptr_t)b;
	reg.range.len = ps;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		SKIP(return, "UFFDIO_REGISTER: %s", strerror(errno));
	memset(src + 8, 0xa5, ps - 8);

	info = (struct kmsgq_info *)(b - sizeof(*info));
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info) + 8;
	call.fd = self->h.unbound;
	call.arg = info;
	ASSERT_EQ(0, pthread_create(&thread, NULL, uffd_call_thread, &call));

	pfd.fd = uffd;
	if (poll(&pfd, 1, HQ_WAKE_MS) == 1 &&
	    read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT) {
		faulted = true;
		__atomic_store_n(&info->size, 0xfffffff0U, __ATOMIC_SEQ_CST);
	}
	/* Page B arrives either way, so the call cannot wait for ever. */
	copy.dst = (uintptr_t)b;
	copy.src = (uintptr_t)src;
	copy.len = ps;
	ioctl(uffd, UFFDIO_COPY, &copy);
	pthread_join(thread, NULL);

	for (i = 8; i < ps; i++)
		spoiled += b[i] != 0xa5;
	EXPECT_TRUE(faulted) TH_LOG("the call never read the tail on page B");
	EXPECT_EQ(0, spoiled) {
		TH_LOG("INFO returned %d (%s) and cleared %zu bytes past its tail",
		       call.ret, call.ret < 0 ? strerror(-call.ret) : "success",
		       spoiled);
	}
	close(uffd);
	munmap(a, 3 * ps);
	munmap(src, ps);
}

/* ==== 7: no executable mapping ==== */

TEST_F(hq, executable_mapping_of_the_ring_fails_with_eperm)
{
	static const int prots[] = {
		PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	struct kmsgq_ring_info ri = { .size = sizeof(ri) };
	unsigned int i;
	void *p;

	ASSERT_EQ(0, ioctl(self->h.fd, KMSGQ_IOC_RING_INFO, &ri));
	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		p = mmap(NULL, ri.map_size, prots[i], MAP_SHARED, self->h.fd,
			 0);
		EXPECT_EQ(MAP_FAILED, p) TH_LOG("prot %#x mapped", prots[i]);
		if (p == MAP_FAILED) {
			EXPECT_EQ(EPERM, errno) TH_LOG("prot %#x", prots[i]);
		} else {
			munmap(p, ri.map_size);
		}
	}
}

TEST_F(hq, mprotect_of_the_ring_to_exec_fails_with_eacces)
{
	struct hq_ring *r = &self->h.r;
	int ret;

	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, r));
	ret = mprotect(r->map, r->map_size, PROT_READ | PROT_EXEC);
	EXPECT_EQ(-1, ret);
	if (ret) {
		EXPECT_EQ(EACCES, errno);
	}
}

/* ==== 8: the module stays while a file is open ==== */

TEST_F(hq, rmmod_with_a_queue_file_open_fails_with_eagain)
{
	int ret = syscall(SYS_delete_module, "kmsgq", O_NONBLOCK);

	ASSERT_EQ(-1, ret) TH_LOG("the module is gone");
	EXPECT_EQ(EAGAIN, errno) TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_EQ(0, access("/sys/module/kmsgq", F_OK));
	/* The file still works. */
	EXPECT_EQ(0, hq_reset(&self->h));
	EXPECT_EQ(HQ_MSGLEN, read(self->h.fd, self->h.rbuf, HQ_MSGSIZE));
}

/* ==== 9: no KUnit in the production module ==== */

TEST(production_module_brings_no_kunit_suites)
{
	struct dirent *d;
	DIR *dir;

	if (access(DEBUGFS_DIR "/kunit", F_OK))
		mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL);
	dir = opendir(DEBUGFS_DIR "/kunit");
	if (!dir)
		SKIP(return, "no " DEBUGFS_DIR "/kunit: a kernel without KUnit");
	while ((d = readdir(dir))) {
		EXPECT_NE(0, strncmp(d->d_name, "kmsgq", 5)) {
			TH_LOG("KUnit suite %s came with the module", d->d_name);
		}
	}
	closedir(dir);
}

/* ==== 10: a mapper scribbling over everything ==== */

/* How long the scribbler scribbles. */
#define SCR_NS			(2 * NSEC_PER_SEC)
/* The deadline of every call a worker makes (and its itimer's). */
#define SCR_DEADLINE_MS		20
/* Past its deadline by this much, a call hangs. */
#define SCR_HANG_NS		(5 * NSEC_PER_SEC)
#define SCR_SEED		0x6b6d736771ULL

/* What each worker process does, over and over. */
enum scr_role {
	SCR_READ,	/* blocking read(), ended by an itimer */
	SCR_WRITE,	/* blocking write(), ended by an itimer */
	SCR_RECV,	/* KMSGQ_IOC_RECV batches, timed or non-blocking */
	SCR_SEND,	/* KMSGQ_IOC_SEND batches, timed or non-blocking */
	SCR_WAIT,	/* poll(), level and edge epoll, KMSGQ_IOC_RING_WAIT */
	SCR_NONBLOCK,	/* read() and write() on an O_NONBLOCK file */
	NR_SCR,
};

static const char *const scr_role_name[NR_SCR] = {
	"read", "write", "recv", "send", "wait", "nonblock",
};

/* What the workers saw, in memory they share with the test. */
struct scr_shared {
	int stop;
	struct {
		unsigned int calls;
		unsigned int bad;
		char first[96];		/* the first bad call */
	} w[NR_SCR];
};

static void scr_alarm(int sig)
{
	(void)sig;
}

/* Arm (or with 0, disarm) a one-shot SIGALRM @ms from now. */
static void scr_itimer(int ms)
{
	struct itimerval it = { .it_value.tv_usec = ms * 1000 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * Judge one call of a worker: @ret (-errno on failure) must be a result
 * or a documented errno, and the call, started at @t0, may not outlast
 * its deadline by SCR_HANG_NS.
 */
static void scr_judge(struct scr_shared *sh, enum scr_role role,
		      const char *what, long ret, __s64 t0)
{
	__s64 took = now_ns(CLOCK_MONOTONIC) - t0;
	bool ok = ret >= 0 || ret == -EAGAIN || ret == -ETIMEDOUT ||
		  ret == -EMSGSIZE || ret == -EINTR;

	sh->w[role].calls++;
	if (took > SCR_DEADLINE_MS * NSEC_PER_MSEC + SCR_HANG_NS)
		ok = false;
	if (ok)
		return;
	if (!sh->w[role].bad++)
		snprintf(sh->w[role].first, sizeof(sh->w[role].first),
			 "%s: %ld (%s) after %lld ms", what, ret,
			 ret < 0 ? strerror(-ret) : "success",
			 (long long)(took / NSEC_PER_MSEC));
}

/* A batch of 1..4 messages of random lengths up to one too many. */
static unsigned int scr_batch(uint64_t *s, struct kmsgq_msg *m,
			      char (*bufs)[HQ_MSGSIZE + 1])
{
	unsigned int nr = 1 + rnd(s) % 4, i;

	for (i = 0; i < nr; i++) {
		m[i].buf = (uintptr_t)bufs[i];
		m[i].len = 1 + rnd(s) % (HQ_MSGSIZE + 1);
		m[i].prio = 0;
	}
	return nr;
}

static const __u32 scr_events[] = {
	KMSGQ_RING_READABLE, KMSGQ_RING_WRITABLE,
	KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
};

/* One call of @role's kind on @fd (@nbfd: O_NONBLOCK), judged. */
static void scr_call(struct scr_shared *sh, enum scr_role role, int fd,
		     int nbfd, int ep_lt, int ep_et, uint64_t *s)
{
	static char bufs[4][HQ_MSGSIZE + 1];
	struct kmsgq_timespec rel = {
		.tv_nsec = SCR_DEADLINE_MS * NSEC_PER_MSEC,
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	struct kmsgq_msg m[4];
	struct epoll_event ev;
	__u32 flags = rnd(s) & 1 ? KMSGQ_XFER_NONBLOCK :
		      KMSGQ_XFER_TIMEOUT | KMSGQ_XFER_RELATIVE;
	size_t len = 1 + rnd(s) % (HQ_MSGSIZE + 1);
	__s64 t0 = now_ns(CLOCK_MONOTONIC);
	unsigned int nr;
	long ret;

	switch (role) {
	case SCR_READ:
	case SCR_WRITE:
		scr_itimer(SCR_DEADLINE_MS);
		ret = role == SCR_READ ? read(fd, bufs[0], len) :
					 write(fd, bufs[0], len);
		ret = ret < 0 ? -errno : ret;
		scr_itimer(0);
		scr_judge(sh, role, scr_role_name[role], ret, t0);
		break;
	case SCR_RECV:
	case SCR_SEND:
		nr = scr_batch(s, m, bufs);
		ret = xfer_ioctl(fd, role == SCR_RECV ? KMSGQ_IOC_RECV :
				 KMSGQ_IOC_SEND, (uintptr_t)m, nr, flags,
				 CLOCK_MONOTONIC, &rel);
		scr_judge(sh, role, scr_role_name[role], ret, t0);
		break;
	case SCR_WAIT:
		ret = poll(&pfd, 1, SCR_DEADLINE_MS);
		scr_judge(sh, role, "poll", ret < 0 ? -errno : ret, t0);
		t0 = now_ns(CLOCK_MONOTONIC);
		ret = epoll_wait(ep_lt, &ev, 1, SCR_DEADLINE_MS);
		scr_judge(sh, role, "epoll", ret < 0 ? -errno : ret, t0);
		t0 = now_ns(CLOCK_MONOTONIC);
		ret = epoll_wait(ep_et, &ev, 1, SCR_DEADLINE_MS);
		scr_judge(sh, role, "epoll edge", ret < 0 ? -errno : ret, t0);
		t0 = now_ns(CLOCK_MONOTONIC);
		ret = ring_ioctl(fd, KMSGQ_IOC_RING_WAIT, KMSGQ_XFER_TIMEOUT |
				 KMSGQ_XFER_RELATIVE, scr_events[rnd(s) % 3],
				 CLOCK_MONOTONIC, 0, rel.tv_nsec);
		scr_judge(sh, role, "RING_WAIT", ret, t0);
		break;
	default:
		ret = rnd(s) & 1 ? read(nbfd, bufs[0], len) :
				   write(nbfd, bufs[0], len);
		scr_judge(sh, role, "non-blocking read/write",
			  ret < 0 ? -errno : ret, t0);
		break;
	}
}

/* A worker process: calls of its kind until the test says stop. */
static void __attribute__((noreturn))
scr_worker(struct scr_shared *sh, enum scr_role role, const char *name,
	   int fd)
{
	struct sigaction sa = { .sa_handler = scr_alarm };	/* no SA_RESTART */
	uint64_t s = SCR_SEED + role;
	int nbfd, ep_lt, ep_et;

	sigaction(SIGALRM, &sa, NULL);
	nbfd = hq_open(name, O_RDWR | O_NONBLOCK, 0, 0);
	ep_lt = hq_epoll(fd, EPOLLIN | EPOLLOUT);
	ep_et = hq_epoll(fd, EPOLLIN | EPOLLOUT | EPOLLET);
	if (nbfd < 0 || ep_lt < 0 || ep_et < 0)
		_exit(2);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
		scr_call(sh, role, fd, nbfd, ep_lt, ep_et, &s);
	_exit(0);
}

/* The scribbler thread's ring and how long it goes on. */
struct scr_scribbler {
	struct hq_ring *r;
	__s64 until;
	unsigned long rounds;
};

/*
 * Rewrite the shared words with random values: positions, the wakeup
 * word, every descriptor; now and then a consistent state, so that calls
 * also get work done and the kernel's paths past the checks run.
 */
static void *scr_scribble(void *data)
{
	struct scr_scribbler *sc = data;
	struct hq_ring *r = sc->r;
	uint64_t s = SCR_SEED;
	__u32 i, x;

	while (now_ns(CLOCK_MONOTONIC) < sc->until) {
		x = rnd(&s);
		switch (rnd(&s) % 8) {
		case 0:
			__atomic_store_n(r->prod, x, __ATOMIC_RELAXED);
			break;
		case 1:
			__atomic_store_n(r->cons, x, __ATOMIC_RELAXED);
			break;
		case 2:
			__atomic_store_n(r->wakeup, x, __ATOMIC_RELAXED);
			break;
		case 3:
			__atomic_store_n(r->wakeup, 0, __ATOMIC_RELAXED);
			break;
		case 4:
			i = rnd(&s) % r->nr_slots;
			__atomic_store_n(&r->desc[i].seq, x, __ATOMIC_RELAXED);
			break;
		case 5:
			i = rnd(&s) % r->nr_slots;
			__atomic_store_n(&r->desc[i].len, x, __ATOMIC_RELAXED);
			break;
		case 6:
			for (i = 0; i < r->nr_slots; i++) {
				__atomic_store_n(&r->desc[i].seq, rnd(&s),
						 __ATOMIC_RELAXED);
				__atomic_store_n(&r->desc[i].len, rnd(&s),
						 __ATOMIC_RELAXED);
			}
			break;
		default:	/* empty and consistent, at position x */
			for (i = 0; i < r->nr_slots; i++)
				__atomic_store_n(&hq_desc(r, x + i)->seq, x + i,
						 __ATOMIC_RELAXED);
			__atomic_store_n(r->cons, x, __ATOMIC_RELAXED);
			__atomic_store_n(r->prod, x, __ATOMIC_RELEASE);
			usleep(1000);
			break;
		}
		if (!(++sc->rounds % 64))
			usleep(100);
	}
	return NULL;
}

TEST_F_TIMEOUT(hq, scribbled_ring_calls_return_documented_errnos_and_leak_nothing,
	       120)
{
	struct scr_scribbler sc = { .r = &self->h.r };
	struct scr_shared *sh;
	pid_t pid[NR_SCR];
	pthread_t thread;
	int before, after, ours = -1, status, i;
	unsigned int calls = 0, wake_bad = 0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	before = debugfs_count_queues(NULL, NULL);
	ASSERT_LE(1, before) TH_LOG("debugfs: %s", strerror(-before));

	for (i = 0; i < NR_SCR; i++) {
		pid[i] = kids_fork(&self->h.kids);
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			scr_worker(sh, i, self->h.name, self->h.fd);
	}
	ASSERT_EQ(0, hq_map(self->h.fd, PROT_READ | PROT_WRITE, &self->h.r));
	sc.until = now_ns(CLOCK_MONOTONIC) + SCR_NS;
	ASSERT_EQ(0, pthread_create(&thread, NULL, scr_scribble, &sc));
	/* The mapper's other tool: wakes for no reason. */
	while (now_ns(CLOCK_MONOTONIC) < sc.until) {
		wake_bad += ring_ioctl(self->h.fd, KMSGQ_IOC_RING_WAKE, 0,
				       KMSGQ_RING_READABLE |
				       KMSGQ_RING_WRITABLE, 0, 0, 0) != 0;
		usleep(10000);
	}
	pthread_join(thread, NULL);
	EXPECT_EQ(0, wake_bad);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);

	for (i = 0; i < NR_SCR; i++) {
		status = hq_reap(&self->h, pid[i]);
		EXPECT_TRUE(exited_ok(status)) {
			TH_LOG("%s worker: %s", scr_role_name[i],
			       status == -ETIMEDOUT ? "stuck" : "failed");
		}
		EXPECT_EQ(0, sh->w[i].bad) {
			TH_LOG("%s worker: %u of %u calls bad, first %s",
			       scr_role_name[i], sh->w[i].bad,
			       sh->w[i].calls, sh->w[i].first);
		}
		calls += sh->w[i].calls;
	}
	TH_LOG("%u calls over %lu scribbles", calls, sc.rounds);

	hq_unmap(&self->h.r);
	close(self->h.fd);
	self->h.fd = -1;
	EXPECT_EQ(0, hq_unlink(self->h.name));
	after = debugfs_count_queues(self->h.name, &ours);
	EXPECT_EQ(0, ours);
	EXPECT_EQ(before - 1, after);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
