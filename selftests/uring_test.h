/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the io_uring test programs share (uring_test, uring_cmd_test):
 * numbered, checkable messages, the io-wq worker and sleeper counts that
 * show a request waiting without a thread, the module's reference count,
 * and waiting for completions with a bound.  Include after kmsgq_test.h.
 */
#ifndef URING_TEST_H
#define URING_TEST_H

#include <liburing.h>

/* Largest message of the tests' queues. */
#define UQ_MSGSIZE	64
/* How long a completion may take to come: far too long. */
#define UQ_WAIT_MS	10000

/* ---- messages ---- */

/* Length of message @seed: 4 to UQ_MSGSIZE bytes. */
static inline size_t msg_len(unsigned int seed)
{
	return 4 + seed % (UQ_MSGSIZE - 3);
}

/* Message @seed in @buf: its number, then pattern() bytes. */
static inline void msg_fill(void *buf, unsigned int seed)
{
	memcpy(buf, &seed, 4);
	pattern((char *)buf + 4, msg_len(seed) - 4, seed);
}

/* The number of the @len-byte message in @buf, or -1 if it is garbled. */
static inline long msg_seed(const void *buf, long len)
{
	unsigned int seed;

	if (len < 4)
		return -1;
	memcpy(&seed, buf, 4);
	if ((size_t)len != msg_len(seed) ||
	    !pattern_ok((const char *)buf + 4, len - 4, seed))
		return -1;
	return seed;
}

/* Send message @seed, blocking: 0, or -errno. */
static inline int msg_send(int fd, unsigned int seed)
{
	char buf[UQ_MSGSIZE];

	msg_fill(buf, seed);
	return kmsgq_send(fd, buf, msg_len(seed), 0);
}

/* ---- the process and the module ---- */

/* Threads of this process that are io-wq workers (iou-wrk-*), or -errno. */
static inline int iowq_workers(void)
{
	return self_threads("iou-wrk");
}

/*
 * Tasks asleep, and io_uring commands parked, in @fd's queue to send
 * (@send) or to receive, or -errno.
 */
static inline int sleepers(int fd, bool send)
{
	struct kmsgq_stats st;
	int ret = kmsgq_stats(fd, &st);

	if (ret)
		return ret;
	return send ? st.send_waiters : st.recv_waiters;
}

/* The module's reference count (one per open /dev/kmsgq file), or -1. */
static inline long module_refs(void)
{
	char buf[32];

	if (read_file("/sys/module/kmsgq/refcnt", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Whether the module's reference count comes back to @base within
 * SLEEP_POLL_TRIES looks, 1 ms apart: io_uring puts the files of a ring
 * that is gone from a kernel worker, a little later.
 */
static inline bool module_refs_back_to(long base)
{
	int i;

	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		if (module_refs() == base)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- io_uring ---- */

/* A free submission entry, submitting what is queued if there is none. */
static inline struct io_uring_sqe *uq_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

/*
 * The next completion, waited for at most @ms milliseconds: its result in
 * *@res and its user data in *@data; 0, or -errno (-ETIME: none came).
 */
static inline int uq_next_within(struct io_uring *ring, int ms, int *res,
				 __u64 *data)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * NSEC_PER_MSEC,
	};
	struct io_uring_cqe *cqe;
	int ret;

	do
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	while (ret == -EINTR);
	if (ret)
		return ret;
	*res = cqe->res;
	if (data)
		*data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

static inline int uq_next(struct io_uring *ring, int *res, __u64 *data)
{
	return uq_next_within(ring, UQ_WAIT_MS, res, data);
}

/*
 * Whether a completion is there now, after the kernel has run what its
 * wakeups queued for this task: a test of nothing having completed.
 */
static inline bool uq_completed_now(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { 0 };

	return !io_uring_wait_cqe_timeout(ring, &cqe, &ts);
}

/*
 * Submit the one entry queued on @ring and wait for its completion: its
 * result, or -errno.
 */
static inline int uq_submit_one(struct io_uring *ring)
{
	int ret, res;

	ret = io_uring_submit(ring);
	if (ret == 1)
		return uq_next(ring, &res, NULL) ?: res;
	return ret < 0 ? ret : -EIO;
}

#endif /* URING_TEST_H */
