/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kselftest programs of selftests/ share: the headers they all
 * need, kselftest_harness.h, and small helpers for time, random numbers,
 * pseudo-files (module parameters, debugfs), raw transfers, forked helper
 * processes and the tasks that sleep in a queue.
 *
 * Include it before any other header: it defines _GNU_SOURCE.  Helpers
 * return -errno where a call can fail, as libkmsgq does, and never use
 * ASSERT or EXPECT: helper processes call some of them, and an assertion
 * failing in a child would run the fixture's teardown there.
 */
#ifndef KMSGQ_TEST_H
#define KMSGQ_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmsgq.h>
#include <kmsgq.h>

/*
 * The harness does not build clean with -Wextra: its SIGALRM handler
 * leaves a parameter unused, and each TEST_F() wrapper keeps a local
 * across setjmp().  No test program calls setjmp() itself.
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define NSEC_PER_SEC		1000000000LL
#define NSEC_PER_MSEC		1000000LL

#define PARAM_DIR		"/sys/module/kmsgq/parameters/"
#define DEBUGFS_DIR		"/sys/kernel/debug"
#define DEBUGFS_QUEUES		DEBUGFS_DIR "/kmsgq/queues"

/* uid and gid of nobody. */
#define NOBODY			65534

/* Looks before giving up on a task going to sleep, 1 ms apart. */
#define SLEEP_POLL_TRIES	5000

/* Helper processes one test may have at once. */
#define KIDS_MAX		16

/* ---- time ---- */

/* @clock's time now, in nanoseconds. */
static inline __s64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* The absolute time @ns nanoseconds from now on @clock. */
static inline struct timespec deadline_in(clockid_t clock, long long ns)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ns += ts.tv_nsec;
	ts.tv_sec += ns / NSEC_PER_SEC;
	ts.tv_nsec = ns % NSEC_PER_SEC;
	return ts;
}

/* ---- numbers and payloads ---- */

/* xorshift64*: cheap and good enough to choose sizes and scribble. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A 32-bit mixer: every input bit flips about half the output bits. */
static inline __u32 mix32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	return x ^ (x >> 16);
}

/* Fill @buf with bytes that depend on @seed and on each byte's offset. */
static inline void pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

/* Whether @buf holds what pattern() wrote with @seed. */
static inline bool pattern_ok(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + 1))
			return false;
	return true;
}

/* A page no access is allowed to: any copy to or from it faults. */
static inline void *fault_page(void)
{
	return mmap(NULL, getpagesize(), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---- files and pseudo-files ---- */

/*
 * The start of @path (at most @size - 1 bytes) in @buf, cut at its first
 * newline: 0, or -errno.
 */
static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Threads of this process whose name (comm) starts with @prefix, or all of
 * them with a NULL @prefix; -errno if /proc/self/task cannot be read.
 */
static inline int self_threads(const char *prefix)
{
	char path[300], comm[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (prefix) {
			snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
				 d->d_name);
			if (read_file(path, comm, sizeof(comm)) ||
			    strncmp(comm, prefix, strlen(prefix)))
				continue;
		}
		n++;
	}
	closedir(dir);
	return n;
}

/*
 * Write @text to @path in one write(), as "echo -n text > path" does
 * (O_TRUNC: clears a tracefs buffer): 0, or -errno (-EIO for a short
 * write).
 */
static inline int write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text), n;
	int fd;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	return close(fd) ? -errno : 0;
}

/* Module parameter @name of kmsgq.ko in *@val: 0, or -errno. */
static inline int read_param(const char *name, unsigned long *val)
{
	char path[128], buf[64], *end;
	int ret;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	ret = read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoul(buf, &end, 0);
	return errno || end == buf ? -EIO : 0;
}

/* Set module parameter @name of kmsgq.ko to @val: 0, or -errno. */
static inline int write_param(const char *name, unsigned long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	snprintf(buf, sizeof(buf), "%lu", val);
	return write_file(path, buf);
}

/*
 * Queues the module lists in debugfs (mounted here if nobody has), and in
 * *@ours, unless @ours is NULL, those whose names start with @prefix.
 * Returns the count, or -errno if the list cannot be read (-EIO: no
 * header line).
 */
static inline int debugfs_count_queues(const char *prefix, int *ours)
{
	char line[512];
	int n = 0, mine = 0;
	FILE *f;

	if (access(DEBUGFS_QUEUES, R_OK))
		mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL);
	f = fopen(DEBUGFS_QUEUES, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (prefix && !strncmp(line, prefix, strlen(prefix)))
			mine++;
	}
	fclose(f);
	if (ours)
		*ours = mine;
	return n;
}

/* ---- queues ---- */

/*
 * Create a queue for this process alone: @name, of KMSGQ_NAME_MAX bytes,
 * becomes "@tag-<pid>", and a queue of that name a killed run of the same
 * pid left is removed first.  It is opened O_RDWR | O_CREAT | O_EXCL and
 * @oflag, mode 0600, with @attr (NULL: the module's defaults).  Returns
 * the descriptor, or -errno.
 */
static inline int create_own_queue(char *name, const char *tag, int oflag,
				   const struct kmsgq_attr *attr)
{
	snprintf(name, KMSGQ_NAME_MAX, "%s-%d", tag, getpid());
	kmsgq_unlink(name);
	return kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL | oflag, 0600, attr);
}

/*
 * KMSGQ_IOC_LIST's entry for the queue named @name in the caller's IPC
 * namespace, into *@out unless NULL: 1 if listed, 0 if not, or -errno.
 */
static inline int listed_entry(const char *name,
			       struct kmsgq_queue_entry *out)
{
	struct kmsgq_queue_entry e[16];
	uint64_t cursor = 0;
	int n, i;

	while ((n = kmsgq_list(-1, &cursor, e, 16)) > 0)
		for (i = 0; i < n; i++)
			if (!strcmp(e[i].name, name)) {
				if (out)
					*out = e[i];
				return 1;
			}
	return n;
}

/* ioctl() with the library's convention: its result, or -errno. */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * One raw KMSGQ_IOC_SEND or KMSGQ_IOC_RECV of @nr messages at user
 * address @msgs, past the library: the messages moved, or -errno.
 */
static inline int xfer_ioctl(int fd, unsigned long cmd, __u64 msgs, __u32 nr,
			     __u32 flags, __s32 clockid,
			     const struct kmsgq_timespec *timeout)
{
	struct kmsgq_xfer x = {
		.size = sizeof(x),
		.flags = flags,
		.msgs = msgs,
		.nr = nr,
		.clockid = clockid,
	};

	if (timeout)
		x.timeout = *timeout;
	return xioctl(fd, cmd, &x);
}

/*
 * One raw KMSGQ_IOC_RING_WAIT or KMSGQ_IOC_RING_WAKE, past the library:
 * its result, or -errno.
 */
static inline int ring_ioctl(int fd, unsigned long cmd, __u32 flags,
			     __u32 events, __s32 clockid, __s64 sec, __s64 nsec)
{
	struct kmsgq_ring_wait w = {
		.size = sizeof(w),
		.flags = flags,
		.events = events,
		.clockid = clockid,
		.timeout = { .tv_sec = sec, .tv_nsec = nsec },
	};

	return xioctl(fd, cmd, &w);
}

/* Messages queued now, or -errno. */
static inline int queued(int fd)
{
	struct kmsgq_attr attr;
	int ret;

	ret = kmsgq_getattr(fd, &attr);
	return ret < 0 ? ret : (int)attr.cur_msgs;
}

/*
 * Wait until @n tasks sleep in @fd's queue to send (@send) or to receive,
 * as its counters say, looking SLEEP_POLL_TRIES times 1 ms apart; then
 * 100 ms more, so that the last one is on the wait queue, not just
 * counted.  Returns 0, -ETIMEDOUT, or the -errno of kmsgq_stats().
 */
static inline int wait_sleepers(int fd, bool send, unsigned int n)
{
	struct kmsgq_stats st;
	int i, ret;

	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		ret = kmsgq_stats(fd, &st);
		if (ret)
			return ret;
		if ((send ? st.send_waiters : st.recv_waiters) == n) {
			usleep(100000);
			return 0;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* Send one message of a single unsigned int, @tag: 0 or -errno. */
static inline int send_tag(int fd, unsigned int tag, unsigned int prio)
{
	return kmsgq_send(fd, &tag, sizeof(tag), prio);
}

/*
 * Receive one message of a single unsigned int, a tag, from @fd (@prio:
 * its priority, unless NULL): the tag, -EPROTO for another length, or
 * -errno.
 */
static inline int recv_tag(int fd, unsigned int *prio)
{
	unsigned int tag;
	ssize_t n = kmsgq_receive(fd, &tag, sizeof(tag), prio);

	if (n < 0)
		return n;
	return n == sizeof(tag) ? (int)tag : -EPROTO;
}

/* ---- pipes and processes ---- */

/* Read exactly @len bytes of @fd, through EINTR: false on EOF or error. */
static inline bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* In a helper process: write all of @buf to @fd, or exit with status 2. */
static inline void child_write(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(2);
}

/*
 * Run @fn(@arg) in a child process (which may drop privileges or change
 * namespaces on its way) and return the int it returns, or -ECHILD if the
 * child died first.
 */
static inline int child_int(int (*fn)(const void *arg), const void *arg)
{
	int p[2], ret;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (!pid) {
		ret = fn(arg);
		child_write(p[1], &ret, sizeof(ret));
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || !read_all(p[0], &ret, sizeof(ret)))
		ret = -ECHILD;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ret;
}

/* Whether @fd reports @events right now. */
static inline bool ready_now(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & events);
}

/* Drop root for @uid/@gid with no supplementary groups: 0, or -errno. */
static inline int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

/* Whether wait status @status is that of an exit with status 0. */
static inline bool exited_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Reap child @pid if it exits within @ms milliseconds: its wait status;
 * -ETIMEDOUT if it still runs (it is left running), or -errno.
 */
static inline int reap_within(pid_t pid, int ms)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int status, i;
	pid_t got;

	if (pidfd >= 0) {
		i = poll(&pfd, 1, ms);
		close(pidfd);
		if (i == 0)
			return -ETIMEDOUT;
		got = waitpid(pid, &status, 0);
	} else {
		/* No pidfd_open(): look every 10 ms. */
		for (i = 0; (got = waitpid(pid, &status, WNOHANG)) == 0; i++) {
			if (i >= ms / 10)
				return -ETIMEDOUT;
			usleep(10000);
		}
	}
	return got == pid ? status : -errno;
}

/* Helper processes of the current test, killed and reaped by teardown. */
struct kids {
	pid_t pid[KIDS_MAX];
	unsigned int nr;
};

/* fork() a helper that kids_kill() ends if it is left: as fork() does. */
static inline pid_t kids_fork(struct kids *k)
{
	pid_t pid;

	if (k->nr == KIDS_MAX)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid > 0)
		k->pid[k->nr++] = pid;
	return pid;
}

/* Forget @pid, which the caller reaped. */
static inline void kids_forget(struct kids *k, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < k->nr; i++)
		if (k->pid[i] == pid)
			k->pid[i] = 0;
}

/*
 * Reap helper @pid, or any child if @pid is -1, and forget it: the pid
 * reaped, or -1; its wait status in *@status.
 */
static inline pid_t kids_wait(struct kids *k, pid_t pid, int *status)
{
	pid = waitpid(pid, status, 0);
	if (pid > 0)
		kids_forget(k, pid);
	return pid;
}

/* Reap helper @pid: its wait status, or -1. */
static inline int kids_reap(struct kids *k, pid_t pid)
{
	int status;

	return kids_wait(k, pid, &status) == pid ? status : -1;
}

/* Kill and reap every helper left. */
static inline void kids_kill(struct kids *k)
{
	unsigned int i;

	for (i = 0; i < k->nr; i++) {
		if (k->pid[i] <= 0)
			continue;
		kill(k->pid[i], SIGKILL);
		waitpid(k->pid[i], NULL, 0);
		k->pid[i] = 0;
	}
	k->nr = 0;
}

/*
 * The pipes helpers talk to their test through: a byte on @ready just
 * before the call that is to block, a report on @result once it returns,
 * a byte on @note from a signal handler.
 */
struct kid_pipes {
	int ready[2];
	int result[2];
	int note[2];
};

/* Mark every end closed, before kid_pipes_open() or a SKIP. */
static inline void kid_pipes_init(struct kid_pipes *p)
{
	p->ready[0] = p->ready[1] = -1;
	p->result[0] = p->result[1] = -1;
	p->note[0] = p->note[1] = -1;
}

/* Make the pipes, close-on-exec: 0, or -errno. */
static inline int kid_pipes_open(struct kid_pipes *p)
{
	if (pipe2(p->ready, O_CLOEXEC) || pipe2(p->result, O_CLOEXEC) ||
	    pipe2(p->note, O_CLOEXEC))
		return -errno;
	return 0;
}

/* Close every end still open. */
static inline void kid_pipes_close(struct kid_pipes *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p->ready[i] >= 0)
			close(p->ready[i]);
		if (p->result[i] >= 0)
			close(p->result[i]);
		if (p->note[i] >= 0)
			close(p->note[i]);
	}
	kid_pipes_init(p);
}

/* In the test, once every helper is forked: EOF now means one died. */
static inline void close_child_ends(struct kid_pipes *p)
{
	close(p->ready[1]);
	close(p->result[1]);
	close(p->note[1]);
	p->ready[1] = p->result[1] = p->note[1] = -1;
}

/* In a helper: say the next call is the one that blocks. */
static inline void child_ready(struct kid_pipes *p)
{
	child_write(p->ready[1], "r", 1);
}

/* Whether a report is waiting to be read. */
static inline bool report_pending(struct kid_pipes *p)
{
	return ready_now(p->result[0], POLLIN);
}

/* ---- tasks asleep ---- */

/* The state letter of @stat_path, a /proc .../stat file ('S': asleep), or 0. */
static inline char task_state_at(const char *stat_path)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	fd = open(stat_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* The state letter of process @pid, or 0. */
static inline char task_state(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return task_state_at(path);
}

/* Whether the task of @stat_path is seen asleep in SLEEP_POLL_TRIES looks. */
static inline bool wait_until_asleep_at(const char *stat_path)
{
	int i;

	for (i = 0; i < SLEEP_POLL_TRIES; i++) {
		if (task_state_at(stat_path) == 'S')
			return true;
		usleep(1000);
	}
	return false;
}

/* Whether process @pid is seen asleep within SLEEP_POLL_TRIES looks. */
static inline bool wait_until_sleeping(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return wait_until_asleep_at(path);
}

/*
 * Wait for @nr helpers to say they are about to block, then until /proc
 * shows each of @pid asleep.
 */
static inline bool wait_until_blocked(struct kid_pipes *p, const pid_t *pid,
				      unsigned int nr)
{
	unsigned int i;
	char c;

	for (i = 0; i < nr; i++)
		if (!read_all(p->ready[0], &c, 1))
			return false;
	for (i = 0; i < nr; i++)
		if (!wait_until_sleeping(pid[i]))
			return false;
	return true;
}

/*
 * Built as ring_*_reclaim_test (Makefile), every ring a ring test creates is a
 * reclaiming one: the same tests then run the other protocol.
 */
#ifdef RING_TEST_RECLAIM
#define RING_TEST_QFLAGS	KMSGQ_OPEN_RECLAIM
#else
#define RING_TEST_QFLAGS	0
#endif

/* Slot @pos's descriptor words, in whichever layout the ring has. */
static inline __u32 *desc_seq(const struct kmsgq_ring *r, __u32 pos)
{
	return r->desc ? &r->desc[pos & r->mask].seq :
			 &r->rdesc[pos & r->mask].seq;
}

static inline __u32 *desc_len(const struct kmsgq_ring *r, __u32 pos)
{
	return r->desc ? &r->desc[pos & r->mask].len :
			 &r->rdesc[pos & r->mask].len;
}

#endif /* KMSGQ_TEST_H */
