// SPDX-License-Identifier: GPL-2.0
/*
 * Description: KMSGQ_IOC_LIST and kmsgq_list() enumerate the named queues
 * of the caller's user namespace in creation order, in batches with a
 * cursor, with their attributes and counters, whatever their permissions;
 * bad arguments fail with EINVAL, E2BIG or EFAULT.
 */
#include "kmsgq_test.h"

#include <sched.h>

#define NR_QUEUES	5

/* struct kmsgq_queue_entry as a later, larger ABI version might know it. */
struct entry_v2 {
	struct kmsgq_queue_entry v1;
	__u64 tail[3];
};

/* Every queue listed, one batch of @batch at a time; returns how many. */
static int list_all(int fd, struct kmsgq_queue_entry *out, int room,
		    unsigned int batch)
{
	struct kmsgq_queue_entry buf[16];
	uint64_t cursor = 0;
	int n = 0, got, i;

	for (;;) {
		got = kmsgq_list(fd, &cursor, buf, batch);
		if (got < 0)
			return got;
		if (!got)
			return n;
		for (i = 0; i < got && n < room; i++)
			out[n++] = buf[i];
	}
}

/* The entry named @name among @n entries, or NULL. */
static const struct kmsgq_queue_entry *
find(const struct kmsgq_queue_entry *e, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

FIXTURE(list) {
	int dev;
	int fds[NR_QUEUES];
	char names[NR_QUEUES][KMSGQ_NAME_MAX];
};

FIXTURE_SETUP(list)
{
	self->dev = open(KMSGQ_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", KMSGQ_DEVICE_PATH,
				       strerror(errno));
	for (int i = 0; i < NR_QUEUES; i++) {
		struct kmsgq_attr attr = {
			.max_msgs = 4 + i,
			.max_msgsize = 100 + i,
		};

		snprintf(self->names[i], KMSGQ_NAME_MAX, "list-%d-%d",
			 getpid(), i);
		kmsgq_unlink(self->names[i]);
		self->fds[i] = kmsgq_open(self->names[i],
					  O_RDWR | O_CREAT | O_EXCL, 0640,
					  &attr);
		ASSERT_LE(0, self->fds[i]) TH_LOG("%s: %s", self->names[i],
						  strerror(-self->fds[i]));
	}
}

FIXTURE_TEARDOWN(list)
{
	for (int i = 0; i < NR_QUEUES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		kmsgq_unlink(self->names[i]);
	}
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(list, info_reports_the_feature)
{
	struct kmsgq_info info;

	ASSERT_EQ(0, kmsgq_info(self->dev, &info));
	EXPECT_TRUE(info.features & KMSGQ_FEAT_LIST);
}

TEST_F(list, every_queue_once_in_creation_order_whatever_the_batch)
{
	static const unsigned int batches[] = { 1, 2, 3, 16 };
	struct kmsgq_queue_entry e[512];

	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		int n = list_all(self->dev, e, 512, batches[b]);
		int last = -1;

		ASSERT_LE(NR_QUEUES, n) TH_LOG("batch %u: %d", batches[b], n);
		for (int i = 1; i < n; i++)
			EXPECT_LT(e[i - 1].id, e[i].id);
		for (int q = 0; q < NR_QUEUES; q++) {
			int at = -1;

			for (int i = 0; i < n; i++) {
				if (strcmp(e[i].name, self->names[q]))
					continue;
				EXPECT_EQ(-1, at) TH_LOG("%s twice",
							 self->names[q]);
				at = i;
			}
			ASSERT_LE(0, at) TH_LOG("batch %u: %s missing",
						batches[b], self->names[q]);
			EXPECT_LT(last, at);
			last = at;
		}
	}
}

TEST_F(list, reports_attributes_and_counters)
{
	struct kmsgq_queue_entry e[512];
	const struct kmsgq_queue_entry *q;
	char buf[128] = "hello";
	unsigned int prio;
	mode_t mask = umask(0);
	int extra, n;

	umask(mask);
	ASSERT_EQ(0, kmsgq_send(self->fds[2], buf, 5, 3));
	ASSERT_EQ(0, kmsgq_send(self->fds[2], buf, 7, 1));
	/* The priority-3 message, 5 bytes, comes out first. */
	ASSERT_EQ(5, kmsgq_receive(self->fds[2], buf, sizeof(buf), &prio));
	ASSERT_EQ(3, prio);
	extra = kmsgq_open(self->names[2], O_RDONLY, 0, NULL);
	ASSERT_LE(0, extra);

	n = list_all(-1, e, 512, 16);
	close(extra);
	ASSERT_LE(NR_QUEUES, n);
	q = find(e, n, self->names[2]);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, q->qflags);
	EXPECT_EQ(0640 & ~mask, q->mode);
	EXPECT_EQ(getuid(), q->uid);
	EXPECT_EQ(getgid(), q->gid);
	EXPECT_EQ(6, q->max_msgs);
	EXPECT_EQ(102, q->max_msgsize);
	EXPECT_EQ(1, q->cur_msgs);
	EXPECT_EQ(2, q->files);
	EXPECT_EQ(0, q->send_waiters);
	EXPECT_EQ(0, q->recv_waiters);
	EXPECT_EQ(0, q->mappings);
	EXPECT_EQ(0, q->reserved);
	EXPECT_EQ(2, q->msgs_sent);
	EXPECT_EQ(1, q->msgs_recv);
	EXPECT_EQ(12, q->bytes_sent);
	EXPECT_EQ(5, q->bytes_recv);

	q = find(e, n, self->names[0]);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(1, q->files);
	EXPECT_EQ(0, q->msgs_sent);
}

TEST_F(list, ring_queue_reports_its_type_and_mappings)
{
	struct kmsgq_attr attr = {
		.qflags = KMSGQ_OPEN_RING,
		.max_msgs = 8,
		.max_msgsize = 64,
	};
	struct kmsgq_queue_entry e[512];
	const struct kmsgq_queue_entry *q;
	struct kmsgq_ring ring;
	char name[KMSGQ_NAME_MAX];
	int fd, n;

	fd = create_own_queue(name, "list-ring", 0, &attr);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, kmsgq_ring_map(fd, &ring));

	n = list_all(self->dev, e, 512, 16);
	q = find(e, n, name);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(KMSGQ_OPEN_RING, q->qflags);
	EXPECT_EQ(1, q->mappings);
	EXPECT_EQ(8, q->max_msgs);

	EXPECT_EQ(0, kmsgq_ring_unmap(&ring));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(name));
}

TEST_F(list, unlinked_queue_disappears_and_cursor_survives_it)
{
	struct kmsgq_queue_entry e[512], one;
	uint64_t cursor = 0;
	int n, got;

	/* Walk up to queue 1, unlink it and queue 2, then continue. */
	do {
		got = kmsgq_list(self->dev, &cursor, &one, 1);
		ASSERT_EQ(1, got) TH_LOG("%s not listed", self->names[1]);
	} while (strcmp(one.name, self->names[1]));
	EXPECT_EQ(one.id, cursor);
	ASSERT_EQ(0, kmsgq_unlink(self->names[1]));
	ASSERT_EQ(0, kmsgq_unlink(self->names[2]));
	got = kmsgq_list(self->dev, &cursor, &one, 1);
	ASSERT_EQ(1, got);
	EXPECT_STREQ(self->names[3], one.name);

	n = list_all(self->dev, e, 512, 16);
	EXPECT_EQ(NULL, find(e, n, self->names[1]));
	EXPECT_EQ(NULL, find(e, n, self->names[2]));
	EXPECT_NE(NULL, find(e, n, self->names[0]));
}

TEST_F(list, end_of_list_is_zero_and_keeps_the_cursor)
{
	struct kmsgq_queue_entry e[16];
	uint64_t cursor = 0, at_end;
	int got;

	while ((got = kmsgq_list(self->dev, &cursor, e, 16)) > 0)
		;
	ASSERT_EQ(0, got);
	at_end = cursor;
	EXPECT_EQ(0, kmsgq_list(self->dev, &cursor, e, 16));
	EXPECT_EQ(at_end, cursor);
	EXPECT_EQ(0, kmsgq_list(self->dev, &(uint64_t){ UINT64_MAX }, e, 1));
}

TEST_F(list, lists_queues_the_caller_may_not_open)
{
	char name[KMSGQ_NAME_MAX];
	pid_t pid;
	int fd, status;

	fd = create_own_queue(name, "list-private", 0, NULL);
	ASSERT_LE(0, fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kmsgq_queue_entry e[512];
		int n, other;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		other = kmsgq_open(name, O_RDONLY, 0, NULL);
		if (other != -EACCES)
			_exit(11);
		n = list_all(-1, e, 512, 16);
		if (n < 0 || !find(e, n, name))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(name));
}

TEST_F(list, another_ipc_namespace_sees_only_its_own_queues)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kmsgq_queue_entry e[512];
		uint64_t cursor = 0;
		int n, fd;

		/* Names are scoped by IPC namespace, as mqueue's. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
			_exit(errno == EINVAL || errno == EPERM ? 4 : 10);
		n = list_all(-1, e, 512, 16);
		if (n != 0)
			_exit(11);
		fd = kmsgq_open("list-ns-own", O_RDWR | O_CREAT, 0600, NULL);
		if (fd < 0)
			_exit(12);
		n = kmsgq_list(-1, &cursor, e, 16);
		if (n != 1 || strcmp(e[0].name, "list-ns-own"))
			_exit(13);
		/* Our ids are mapped nowhere in the new namespace. */
		if (e[0].uid != 65534 || e[0].gid != 65534)
			_exit(14);
		close(fd);
		_exit(kmsgq_unlink("list-ns-own") ? 15 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no user namespaces here");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(list, larger_entries_get_a_zero_tail_and_keep_their_stride)
{
	struct entry_v2 e[4];
	struct kmsgq_list l = {
		.size = sizeof(l),
		.entries = (uintptr_t)e,
		.entry_size = sizeof(e[0]),
		.nr = 4,
	};
	int ret;

	memset(e, 0xa5, sizeof(e));
	ret = ioctl(self->dev, KMSGQ_IOC_LIST, &l);
	ASSERT_LE(1, ret);
	EXPECT_EQ(ret, (int)l.nr);
	for (int i = 0; i < ret; i++) {
		EXPECT_NE(0, e[i].v1.id);
		EXPECT_EQ(0, e[i].tail[0]);
		EXPECT_EQ(0, e[i].tail[2]);
		if (i)
			EXPECT_LT(e[i - 1].v1.id, e[i].v1.id);
	}
	EXPECT_EQ(e[ret - 1].v1.id, l.cursor);
}

TEST_F(list, bad_arguments_fail)
{
	struct kmsgq_queue_entry e[2];
	struct kmsgq_list l;
	struct {
		__u32 flags, nr, entry_size;
		int err;
	} cases[] = {
		{ 1, 2, sizeof(e[0]), EINVAL },
		{ 0, 0, sizeof(e[0]), EINVAL },
		{ 0, KMSGQ_BATCH_MAX + 1, sizeof(e[0]), EINVAL },
		{ 0, 2, 0, EINVAL },
		{ 0, 2, KMSGQ_QUEUE_ENTRY_SIZE_VER0 - 1, EINVAL },
		{ 0, 2, 1 << 20, E2BIG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.flags = cases[i].flags;
		l.entries = (uintptr_t)e;
		l.nr = cases[i].nr;
		l.entry_size = cases[i].entry_size;
		EXPECT_EQ(-1, ioctl(self->dev, KMSGQ_IOC_LIST, &l))
			TH_LOG("case %zu", i);
		EXPECT_EQ(cases[i].err, errno) TH_LOG("case %zu", i);
	}

	/* A smaller struct than the first version. */
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l) - 4;
	EXPECT_EQ(-1, ioctl(self->dev, KMSGQ_IOC_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(list, unwritable_entries_are_efault)
{
	struct kmsgq_list l = {
		.size = sizeof(l),
		.entry_size = sizeof(struct kmsgq_queue_entry),
		.nr = 4,
	};
	void *ro;

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	l.entries = (uintptr_t)ro;
	EXPECT_EQ(-1, ioctl(self->dev, KMSGQ_IOC_LIST, &l));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);

	l.entries = 0;
	EXPECT_EQ(-1, ioctl(self->dev, KMSGQ_IOC_LIST, &l));
	EXPECT_EQ(EFAULT, errno);
}

TEST_HARNESS_MAIN
