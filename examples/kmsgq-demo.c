// SPDX-License-Identifier: MIT
/*
 * kmsgq-demo - kmsgq at work: one queue, a producer and a consumer process.
 *
 * The producer queues every message of demo_msgs[] and only then lets the
 * consumer start, through a pipe, so the consumer finds them all waiting and
 * must receive them highest priority first, FIFO within a priority.  The
 * queue's counters must then add up.  Exit status 0 if everything came out
 * as expected, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kmsgq.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define DEMO_DEPTH	16	/* room for every message at once */
#define DEMO_MSGSIZE	256

/* A payload is @text, then zero bytes up to @len (0: just the text). */
struct demo_msg {
	unsigned int prio;
	unsigned int len;
	const char *text;
};

static const struct demo_msg demo_msgs[] = {
	{ 1,   0, "log: service started" },
	{ 5,  64, "alert: temperature above 70 C" },
	{ 1,   0, "log: 12 jobs queued" },
	{ 9, 256, "urgent: disk 98% full" },
	{ 5,  64, "alert: fan 2 slow" },
	{ 3, 128, "notice: configuration reloaded" },
	{ 1,   0, "log: job 7 done" },
	{ 9, 256, "urgent: running on battery" },
	{ 3, 128, "notice: alice logged in" },
	{ 1,   0, "log: job 8 done" },
	{ 0,   0, "end" },		/* lowest priority: always last */
};

#define DEMO_NR		ARRAY_SIZE(demo_msgs)

static const struct {
	__u64 bit;
	const char *name;
} demo_features[] = {
	{ KMSGQ_FEAT_PRIO, "prio" },
	{ KMSGQ_FEAT_BATCH, "batch" },
	{ KMSGQ_FEAT_TIMEOUT, "timeout" },
	{ KMSGQ_FEAT_STATS, "stats" },
	{ KMSGQ_FEAT_RING, "ring" },
};

static int demo_fail(const char *what, long err)
{
	fprintf(stderr, "kmsgq-demo: %s: %s\n", what, strerror(-err));
	return 1;
}

/* Build @m's payload in @buf (DEMO_MSGSIZE bytes); return its length. */
static size_t demo_payload(const struct demo_msg *m, char *buf)
{
	size_t tlen = strlen(m->text);
	size_t len = m->len ? m->len : tlen;

	memset(buf, 0, len);
	memcpy(buf, m->text, tlen);
	return len;
}

/* An absolute CLOCK_MONOTONIC deadline @ms milliseconds from now. */
static void demo_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += ms % 1000 * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static int demo_producer(const char *name, int go)
{
	char buf[DEMO_MSGSIZE];
	size_t i, len;
	int fd, ret;

	fd = kmsgq_open(name, O_WRONLY, 0, NULL);
	if (fd < 0)
		return demo_fail("producer: kmsgq_open", fd);
	printf("producer: sending %zu messages\n", DEMO_NR);
	for (i = 0; i < DEMO_NR; i++) {
		len = demo_payload(&demo_msgs[i], buf);
		ret = kmsgq_send(fd, buf, len, demo_msgs[i].prio);
		if (ret)
			return demo_fail("producer: kmsgq_send", ret);
		printf("  sent  prio %u  len %3zu  \"%s\"\n",
		       demo_msgs[i].prio, len, demo_msgs[i].text);
	}
	kmsgq_close(fd);
	if (write(go, "", 1) != 1)
		return demo_fail("producer: write", -errno);
	return 0;
}

static int demo_consumer(const char *name, int go)
{
	char buf[DEMO_MSGSIZE], want[DEMO_MSGSIZE];
	const struct demo_msg *m;
	struct timespec deadline;
	unsigned int p, prio;
	size_t i, wlen;
	int fd, ok, bad = 0;
	ssize_t len;

	fd = kmsgq_open(name, O_RDONLY, 0, NULL);
	if (fd < 0)
		return demo_fail("consumer: kmsgq_open", fd);
	if (read(go, buf, 1) != 1) {
		fprintf(stderr, "kmsgq-demo: consumer: producer gave up\n");
		return 1;
	}

	printf("consumer: receiving, highest priority first\n");
	for (p = KMSGQ_PRIO_MAX; p-- > 0; ) {
		for (i = 0; i < DEMO_NR; i++) {
			m = &demo_msgs[i];
			if (m->prio != p)
				continue;
			wlen = demo_payload(m, want);
			demo_deadline(&deadline, 5000);
			len = kmsgq_timedreceive(fd, buf, sizeof(buf), &prio,
						 CLOCK_MONOTONIC, &deadline);
			if (len < 0)
				return demo_fail("consumer: kmsgq_timedreceive",
						 len);
			ok = prio == p && (size_t)len == wlen &&
			     !memcmp(buf, want, wlen);
			printf("  recv  prio %u  len %3zd  \"%.*s\"\n", prio,
			       len, (int)strnlen(buf, len), buf);
			if (!ok) {
				printf("  MISMATCH: expected prio %u  len %3zu  \"%s\"\n",
				       p, wlen, m->text);
				bad++;
			}
		}
	}

	demo_deadline(&deadline, 100);
	len = kmsgq_timedreceive(fd, buf, sizeof(buf), &prio, CLOCK_MONOTONIC,
				 &deadline);
	if (len == -ETIMEDOUT) {
		printf("consumer: queue empty, timed receive: ETIMEDOUT after 100 ms\n");
	} else {
		printf("  MISMATCH: receive on the empty queue returned %zd, expected -ETIMEDOUT\n",
		       len);
		bad++;
	}
	kmsgq_close(fd);
	return bad ? 1 : 0;
}

/* Run @fn(@name, @fd) in a child that closes @other, the pipe's far end. */
static pid_t demo_spawn(int (*fn)(const char *, int), const char *name,
			int fd, int other)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(other);
		exit(fn(name, fd));
	}
	return pid;
}

static int demo_wait(pid_t pid, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return demo_fail("waitpid", -errno);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "kmsgq-demo: %s failed (wait status 0x%x)\n", who,
		status);
	return 1;
}

static void demo_print_info(const struct kmsgq_info *info)
{
	size_t i;

	printf("kmsgq: ABI %u, features:", info->abi_version);
	for (i = 0; i < ARRAY_SIZE(demo_features); i++)
		if (info->features & demo_features[i].bit)
			printf(" %s", demo_features[i].name);
	printf("\nkmsgq: limits: %u queues, depth %u, message %u B, name %u B, %u priorities, batch %u\n",
	       info->max_queues, info->max_msgs, info->max_msgsize,
	       info->name_max - 1, info->prio_max, info->batch_max);
}

/* The queue's counters after the run; return the number of mismatches. */
static int demo_check_stats(int fd)
{
	struct kmsgq_stats st;
	__u64 bytes = 0;
	char buf[DEMO_MSGSIZE];
	size_t i;
	int ret;

	for (i = 0; i < DEMO_NR; i++)
		bytes += demo_payload(&demo_msgs[i], buf);
	ret = kmsgq_stats(fd, &st);
	if (ret)
		return demo_fail("kmsgq_stats", ret);
	printf("stats: sent %llu msgs / %llu B, received %llu msgs / %llu B, queued %u, waiters %u/%u\n",
	       (unsigned long long)st.msgs_sent,
	       (unsigned long long)st.bytes_sent,
	       (unsigned long long)st.msgs_recv,
	       (unsigned long long)st.bytes_recv, st.cur_msgs,
	       st.send_waiters, st.recv_waiters);
	if (st.msgs_sent == DEMO_NR && st.msgs_recv == DEMO_NR &&
	    st.bytes_sent == bytes && st.bytes_recv == bytes && !st.cur_msgs)
		return 0;
	printf("  MISMATCH: expected %zu msgs / %llu B each way, none queued\n",
	       DEMO_NR, (unsigned long long)bytes);
	return 1;
}

int main(void)
{
	struct kmsgq_attr attr = {
		.max_msgs = DEMO_DEPTH,
		.max_msgsize = DEMO_MSGSIZE,
	};
	struct kmsgq_info info;
	char name[KMSGQ_NAME_MAX];
	pid_t consumer, producer;
	int fd, ret, go[2];
	int bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);

	ret = kmsgq_info(-1, &info);
	if (ret == -ENOENT) {
		fprintf(stderr, "kmsgq-demo: FAIL: no " KMSGQ_DEVICE_PATH
			": is kmsgq.ko loaded?\n");
		return 1;
	}
	if (ret)
		return demo_fail("kmsgq_info", ret);
	demo_print_info(&info);
	if (info.max_msgs < DEMO_DEPTH || info.max_msgsize < DEMO_MSGSIZE) {
		fprintf(stderr, "kmsgq-demo: FAIL: the module's limits are below depth %d, message %d B\n",
			DEMO_DEPTH, DEMO_MSGSIZE);
		return 1;
	}

	snprintf(name, sizeof(name), "demo-%d", (int)getpid());
	fd = kmsgq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (fd < 0)
		return demo_fail("kmsgq_open", fd);
	ret = kmsgq_getattr(fd, &attr);
	if (ret) {
		bad = demo_fail("kmsgq_getattr", ret);
		goto out_unlink;
	}
	printf("queue \"%s\": created, depth %u, message %u B, mode %04o, uid %u\n",
	       name, attr.max_msgs, attr.max_msgsize, attr.mode, attr.uid);

	if (pipe(go)) {
		bad = demo_fail("pipe", -errno);
		goto out_unlink;
	}
	consumer = demo_spawn(demo_consumer, name, go[0], go[1]);
	producer = demo_spawn(demo_producer, name, go[1], go[0]);
	close(go[0]);
	close(go[1]);
	if (consumer < 0 || producer < 0) {
		bad = demo_fail("fork", -errno);
		goto out_unlink;
	}
	bad += demo_wait(producer, "producer");
	bad += demo_wait(consumer, "consumer");
	bad += demo_check_stats(fd);

out_unlink:
	ret = kmsgq_unlink(name);
	if (ret)
		bad += demo_fail("kmsgq_unlink", ret);
	else
		printf("queue \"%s\": unlinked\n", name);
	kmsgq_close(fd);
	if (bad) {
		printf("kmsgq-demo: FAIL\n");
		return 1;
	}
	printf("kmsgq-demo: PASS\n");
	return 0;
}
