// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the kmsgq tracepoints fire through tracefs: kmsgq_send and
 * kmsgq_recv once per message with queue, length and priority, kmsgq_block
 * when a receiver or a ring waiter sleeps and kmsgq_wake when a sender
 * wakes it.  Skips where the kernel has no tracing.
 *
 * The fixture turns tracefs's record-cmd option off while kmsgq's events
 * are on, and back as it was after.  With it on, enabling an event also
 * hooks sched_switch and sched_wakeup to record task names, which patches
 * __schedule() and try_to_wake_up() with int3 while the other CPUs run
 * them; under QEMU TCG with a thread per vCPU, a vCPU can then execute a
 * stale int3 after the patching ended and the kernel dies ("Oops: int3"
 * in __schedule; 6.12 did within 100 enable/disable pairs with two busy
 * CPUs).  The tests read no task names, and kmsgq's own tracepoints are
 * in the module, which only the test runs while they are switched.
 */
#include "kmsgq_test.h"

#define TRACEFS		"/sys/kernel/tracing"
#define EVENTS		TRACEFS "/events/kmsgq"
#define RECORD_CMD	TRACEFS "/options/record-cmd"

/* The trace buffer as text, NUL-terminated, in a malloc()ed buffer. */
static char *read_trace(void)
{
	size_t len = 0, room = 1 << 16;
	char *buf = malloc(room);
	int fd = open(TRACEFS "/trace", O_RDONLY);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, room - len - 1)) > 0) {
		len += n;
		if (room - len < 4096) {
			char *more = realloc(buf, room *= 2);

			if (!more)
				break;
			buf = more;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Lines of @trace that contain both @a and @b. */
static int count_lines(const char *trace, const char *a, const char *b)
{
	const char *line = trace;
	int n = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (memmem(line, len, a, strlen(a)) &&
		    memmem(line, len, b, strlen(b)))
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}

FIXTURE(trace) {
	char name[KMSGQ_NAME_MAX];
	char tag[KMSGQ_NAME_MAX + 8];
	char record_cmd[8];	/* the option's value before, or "" */
	int fd;
};

FIXTURE_SETUP(trace)
{
	struct stat st;

	self->fd = -1;
	self->record_cmd[0] = '\0';
	if (stat(TRACEFS "/trace", &st))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (stat(TRACEFS "/trace", &st))
		SKIP(return, "no tracefs at " TRACEFS);
	if (stat(EVENTS, &st))
		SKIP(return, "no kmsgq events in tracefs (kernel without tracing)");

	ASSERT_EQ(0, write_file(EVENTS "/enable", "0"));
	if (read_file(RECORD_CMD, self->record_cmd, sizeof(self->record_cmd)))
		self->record_cmd[0] = '\0';
	else
		ASSERT_EQ(0, write_file(RECORD_CMD, "0"));
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_file(EVENTS "/enable", "1"));

	self->fd = create_own_queue(self->name, "trace", 0, NULL);
	snprintf(self->tag, sizeof(self->tag), "q=%s ", self->name);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(trace)
{
	write_file(EVENTS "/enable", "0");
	if (self->record_cmd[0])
		write_file(RECORD_CMD, self->record_cmd);
	if (self->fd >= 0) {
		close(self->fd);
		kmsgq_unlink(self->name);
	}
}

TEST_F(trace, events_are_listed_in_tracefs)
{
	static const char *const events[] = {
		"kmsgq_send", "kmsgq_recv", "kmsgq_block", "kmsgq_wake",
	};
	char path[128];
	struct stat st;

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), EVENTS "/%s/format", events[i]);
		EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
	}
}

TEST_F(trace, send_and_recv_fire_once_per_message)
{
	struct kmsgq_msg msgs[3] = {
		{ .buf = (uintptr_t)"abc", .len = 3, .prio = 2 },
		{ .buf = (uintptr_t)"defgh", .len = 5, .prio = 7 },
		{ .buf = (uintptr_t)"", .len = 0, .prio = 0 },
	};
	char buf[64];
	unsigned int prio;
	char *trace;

	ASSERT_EQ(0, kmsgq_send(self->fd, "hello", 5, 1));
	ASSERT_EQ(3, kmsgq_send_batch(self->fd, msgs, 3, 0,
					    CLOCK_MONOTONIC, NULL));
	for (int i = 0; i < 4; i++)
		ASSERT_LE(0, kmsgq_receive(self->fd, buf, sizeof(buf), &prio));

	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_EQ(4, count_lines(trace, "kmsgq_send:", self->tag))
		TH_LOG("%s", trace);
	EXPECT_EQ(4, count_lines(trace, "kmsgq_recv:", self->tag));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_send:", "len=5 prio=1"));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_send:", "len=5 prio=7"));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_send:", "len=0 prio=0"));
	/* Highest priority first. */
	EXPECT_EQ(1, count_lines(trace, "kmsgq_recv:", "len=5 prio=7"));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_recv:", "len=3 prio=2"));
	/* Nobody slept. */
	EXPECT_EQ(0, count_lines(trace, "kmsgq_block:", self->tag));
	free(trace);
}

TEST_F(trace, sleeping_receiver_blocks_and_is_woken)
{
	char buf[16];
	pid_t pid;
	int status;
	char *trace;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int prio;

		_exit(kmsgq_receive(self->fd, buf, sizeof(buf), &prio) == 2 ?
		      0 : 1);
	}
	/* Wait until the child sleeps in the kernel, then wake it. */
	ASSERT_EQ(0, wait_sleepers(self->fd, false, 1));
	ASSERT_EQ(0, kmsgq_send(self->fd, "hi", 2, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_LE(1, count_lines(trace, "kmsgq_block:", self->tag))
		TH_LOG("%s", trace);
	EXPECT_EQ(count_lines(trace, "kmsgq_block:", self->tag),
		  count_lines(trace, "kmsgq_block:", "for=recv"));
	EXPECT_LE(1, count_lines(trace, "kmsgq_wake:", "for=recv"));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_recv:", self->tag));
	free(trace);
}

TEST_F(trace, ring_waiter_blocks_and_in_place_commit_wakes_it)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING,
		.max_msgs = 4,
		.max_msgsize = 32,
	};
	char name[KMSGQ_NAME_MAX], tag[KMSGQ_NAME_MAX + 8];
	struct kmsgq_ring ring;
	uint32_t pos;
	pid_t pid;
	int fd, status;
	char *trace;

	fd = create_own_queue(name, "trace-ring", 0, &attr);
	snprintf(tag, sizeof(tag), "q=%s ", name);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, kmsgq_ring_map(fd, &ring));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(kmsgq_ring_wait(&ring, KMSGQ_RING_READABLE,
				      CLOCK_MONOTONIC, NULL) ==
		      KMSGQ_RING_READABLE ? 0 : 1);
	ASSERT_EQ(0, wait_sleepers(fd, false, 1));
	ASSERT_EQ(1, kmsgq_ring_reserve(&ring, 1, &pos));
	memcpy(kmsgq_ring_slot(&ring, pos), "zc", 2);
	kmsgq_ring_commit(&ring, pos, 2);
	ASSERT_EQ(0, kmsgq_ring_commit_done(&ring));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_LE(1, count_lines(trace, "kmsgq_block:", tag))
		TH_LOG("%s", trace);
	EXPECT_LE(1, count_lines(trace, "kmsgq_wake:", tag));
	/* In-place commits do not pass through the kernel. */
	EXPECT_EQ(0, count_lines(trace, "kmsgq_send:", tag));
	free(trace);

	EXPECT_EQ(0, kmsgq_ring_unmap(&ring));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(name));
}

/* An in-place publisher's commit fires kmsgq_send per message, not per hole. */
TEST_F(trace, in_place_commit_fires_send_per_message)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING |
			  KMSGQ_OPEN_INPLACE,
		.max_msgs = 8,
		.max_msgsize = 64,
	};
	uint32_t lens[3] = { 3, KMSGQ_FANOUT_LEN_HOLE, 6 };
	char name[KMSGQ_NAME_MAX], tag[KMSGQ_NAME_MAX + 8];
	struct kmsgq_fanout_pub pub;
	char *trace;
	int q, fd;

	q = create_own_queue(name, "trace-inplace", 0, &attr);
	if (q == -EINVAL)
		SKIP(return, "no in-place fan-out queues");
	ASSERT_LE(0, q);
	fd = kmsgq_open_publisher(name, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_fanout_pub_map(fd, &pub));
	ASSERT_EQ(3, kmsgq_fanout_publish(&pub, NULL, 0, 3, 0, CLOCK_MONOTONIC,
					  NULL));
	memcpy(kmsgq_fanout_pub_slot(&pub, pub.first), "abc", 3);
	memcpy(kmsgq_fanout_pub_slot(&pub, pub.first + 2), "defghi", 6);
	ASSERT_EQ(0, kmsgq_fanout_publish(&pub, lens, 3, 0, 0, CLOCK_MONOTONIC,
					  NULL));

	snprintf(tag, sizeof(tag), "q=%s ", name);
	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_EQ(2, count_lines(trace, "kmsgq_send:", tag))
		TH_LOG("%s", trace);
	EXPECT_EQ(1, count_lines(trace, "kmsgq_send:", "len=3 prio=0"));
	EXPECT_EQ(1, count_lines(trace, "kmsgq_send:", "len=6 prio=0"));
	free(trace);
	kmsgq_fanout_pub_unmap(&pub);
	close(fd);
	close(q);
	kmsgq_unlink(name);
}

TEST_F(trace, disabled_events_stay_silent)
{
	char *trace;

	ASSERT_EQ(0, write_file(EVENTS "/enable", "0"));
	ASSERT_EQ(0, kmsgq_send(self->fd, "x", 1, 0));
	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_EQ(0, count_lines(trace, "kmsgq_send:", self->tag));
	free(trace);
}

TEST_HARNESS_MAIN
