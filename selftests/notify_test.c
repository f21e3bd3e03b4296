// SPDX-License-Identifier: GPL-2.0
/*
 * Description: KMSGQ_IOC_NOTIFY through the uapi alone: which requests it
 * rejects and why, the eventfd delivery libkmsgq-mq's SIGEV_THREAD waits
 * on, and unbound and ring files.  The notification rules themselves are
 * mq_compat_test's, through mq_notify().
 */
#include "kmsgq_test.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

FIXTURE(notify) {
	char name[KMSGQ_NAME_MAX];
	int q;
};

FIXTURE_SETUP(notify)
{
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	self->q = create_own_queue(self->name, "notify", 0, NULL);
	ASSERT_LE(0, self->q) TH_LOG("%s", strerror(-self->q));
}

FIXTURE_TEARDOWN(notify)
{
	if (self->q >= 0)
		close(self->q);
	kmsgq_unlink(self->name);
}

static int notify_ioctl(int fd, const struct kmsgq_notify *n)
{
	struct kmsgq_notify copy = *n;

	return xioctl(fd, KMSGQ_IOC_NOTIFY, &copy);
}

TEST_F(notify, malformed_requests_are_einval)
{
	const struct kmsgq_notify bad[] = {
		{ .size = sizeof(bad[0]), .notify = 3 },
		{ .size = sizeof(bad[0]), .flags = 2 },
		{ .size = sizeof(bad[0]), .reserved = 1 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_SIGNAL,
		  .signo = 65 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_SIGNAL,
		  .signo = -1 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_NONE,
		  .signo = SIGUSR1 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_NONE,
		  .value = 1 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_SIGNAL,
		  .signo = SIGUSR1, .fd = 1 },
		{ .size = sizeof(bad[0]), .notify = KMSGQ_NOTIFY_EVENTFD,
		  .value = 1 },
		{ .size = sizeof(bad[0]), .flags = KMSGQ_NOTIFY_REMOVE,
		  .notify = KMSGQ_NOTIFY_SIGNAL },
		{ .size = KMSGQ_NOTIFY_SIZE_VER0 - 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, notify_ioctl(self->q, &bad[i]))
			TH_LOG("request %u", i);
}

TEST_F(notify, eventfd_must_be_an_open_eventfd)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_EVENTFD, .fd = -1 };
	int devnull = open("/dev/null", O_RDONLY);

	EXPECT_EQ(-EBADF, notify_ioctl(self->q, &n));
	n.fd = devnull;
	EXPECT_EQ(-EINVAL, notify_ioctl(self->q, &n));
	close(devnull);
}

TEST_F(notify, eventfd_counts_one_arrival_on_the_empty_queue)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_EVENTFD };
	uint64_t count = 0;
	char buf[8];
	int efd;

	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	n.fd = efd;
	ASSERT_EQ(0, notify_ioctl(self->q, &n));
	/* The registration holds its own reference to the eventfd. */
	ASSERT_EQ(0, close(efd));
	efd = eventfd(0, EFD_NONBLOCK);
	n.fd = efd;
	EXPECT_EQ(-EBUSY, notify_ioctl(self->q, &n));
	ASSERT_EQ(0, kmsgq_send(self->q, "a", 1, 0));
	/* Fired: registering again works, and this one counts. */
	ASSERT_EQ(0, notify_ioctl(self->q, &n));
	ASSERT_EQ(0, kmsgq_send(self->q, "b", 1, 0));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, kmsgq_receive(self->q, buf, sizeof(buf), NULL));
	ASSERT_EQ(1, kmsgq_receive(self->q, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kmsgq_send(self->q, "c", 1, 0));
	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(1, count);
	close(efd);
}

TEST_F(notify, write_fires_it_too)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_EVENTFD };
	uint64_t count = 0;

	n.fd = eventfd(0, 0);
	ASSERT_LE(0, n.fd);
	ASSERT_EQ(0, notify_ioctl(self->q, &n));
	ASSERT_EQ(1, write(self->q, "a", 1));
	ASSERT_EQ(sizeof(count), read(n.fd, &count, sizeof(count)));
	EXPECT_EQ(1, count);
	close(n.fd);
}

/* The id KMSGQ_IOC_LIST reports for the queue named @name, or 0. */
static __u64 listed_id(const char *name)
{
	struct kmsgq_queue_entry e;

	return listed_entry(name, &e) == 1 ? e.id : 0;
}

TEST_F(notify, every_call_reports_the_queue_id_list_reports)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_NONE, .id = 12345 };
	struct kmsgq_notify rm = { .size = sizeof(rm),
				   .flags = KMSGQ_NOTIFY_REMOVE };
	__u64 id = listed_id(self->name);
	int other = kmsgq_open(self->name, O_RDONLY, 0, NULL);

	ASSERT_NE(0, id);
	ASSERT_LE(0, other);
	/* An out field: in, it must be zero, as every reserved field. */
	EXPECT_EQ(-EINVAL, xioctl(self->q, KMSGQ_IOC_NOTIFY, &n));
	n.id = 0;
	ASSERT_EQ(0, xioctl(self->q, KMSGQ_IOC_NOTIFY, &n));
	EXPECT_EQ(id, n.id);
	/* A removal through another file names the same queue... */
	ASSERT_EQ(1, xioctl(other, KMSGQ_IOC_NOTIFY, &rm));
	EXPECT_EQ(id, rm.id);
	/* ...and says whether there was a registration to remove. */
	rm.id = 0;
	EXPECT_EQ(0, xioctl(self->q, KMSGQ_IOC_NOTIFY, &rm));
	EXPECT_EQ(id, rm.id);
	/* And it removed the registration: registering works again. */
	n.id = 0;
	EXPECT_EQ(0, xioctl(other, KMSGQ_IOC_NOTIFY, &n));
	EXPECT_EQ(id, n.id);
	close(other);
}

/* A result that cannot be written back leaves nothing registered. */
TEST_F(notify, unwritable_request_registers_nothing)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_NONE };
	struct kmsgq_notify *ro;

	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = n;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->q, KMSGQ_IOC_NOTIFY, ro));
	EXPECT_EQ(0, notify_ioctl(self->q, &n));
	munmap(ro, 4096);
}

/* A receiver thread: one kmsgq_receive() into a buffer of @size bytes. */
struct sleeper {
	int q;
	size_t size;
	int ret;
};

static void *sleeper_receive(void *arg)
{
	struct sleeper *r = arg;
	char buf[64];

	r->ret = kmsgq_receive(r->q, buf, r->size, NULL);
	return NULL;
}

/* An eventfd registered with @q, or -1. */
static int eventfd_registered(int q)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_EVENTFD };

	n.fd = eventfd(0, EFD_NONBLOCK);
	if (n.fd >= 0 && notify_ioctl(q, &n)) {
		close(n.fd);
		return -1;
	}
	return n.fd;
}

/*
 * Register an eventfd, let a receiver with a @size-byte buffer fall
 * asleep, send @msgs in one call, and wait for the receiver, whose result
 * goes to *@received: what the eventfd counted (0 for none), or -1.
 */
static int sleeper_run(int q, size_t size, const struct kmsgq_msg *msgs,
		       unsigned int nr, int *received)
{
	struct sleeper r = { .q = q, .size = size };
	uint64_t count = 0;
	pthread_t t;
	int efd = eventfd_registered(q);

	if (efd < 0 || pthread_create(&t, NULL, sleeper_receive, &r))
		return -1;
	if (wait_sleepers(q, false, 1) ||
	    kmsgq_send_batch(q, msgs, nr, 0, CLOCK_MONOTONIC, NULL) != (int)nr)
		return -1;
	pthread_join(t, NULL);
	*received = r.ret;
	if (read(efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		count = -1;
	close(efd);
	return (int)count;
}

/*
 * A message sent while a receiver sleeps does not fire: that receiver is
 * to take it.  If it leaves without it (here its buffer is too small), the
 * message stays queued, and the registration fires then.
 */
TEST_F(notify, receiver_that_leaves_the_message_fires_it)
{
	struct kmsgq_msg ten = { .buf = (__u64)(uintptr_t)"0123456789",
				 .len = 10 };
	int received;

	EXPECT_EQ(1, sleeper_run(self->q, 1, &ten, 1, &received));
	EXPECT_EQ(-EMSGSIZE, received);
	EXPECT_EQ(1, queued(self->q));
}

/*
 * Two messages arrive at once while one receiver sleeps for one: it takes
 * the first, and the second, which nobody else was told of, fires.
 */
TEST_F(notify, receiver_that_slept_and_left_more_fires_it)
{
	struct kmsgq_msg two[2] = {
		{ .buf = (__u64)(uintptr_t)"a", .len = 1 },
		{ .buf = (__u64)(uintptr_t)"b", .len = 1 },
	};
	int received;

	EXPECT_EQ(1, sleeper_run(self->q, 64, two, 2, &received));
	EXPECT_EQ(1, received);
	EXPECT_EQ(1, queued(self->q));
}

/* A receiver that never slept fires nothing, whatever it leaves queued. */
TEST_F(notify, receiver_that_never_slept_fires_nothing)
{
	uint64_t count = 0;
	char buf[1];
	int efd;

	ASSERT_EQ(0, kmsgq_send(self->q, "0123456789", 10, 0));
	ASSERT_EQ(0, kmsgq_send(self->q, "x", 1, 0));
	efd = eventfd_registered(self->q);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-EMSGSIZE, kmsgq_receive(self->q, buf, sizeof(buf), NULL));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	close(efd);
}

/* A process sharing this one's files: registers through @arg's fd, exits. */
static int register_and_exit(void *arg)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_NONE };

	return notify_ioctl(*(int *)arg, &n) ? 1 : 0;
}

/*
 * A process that shares its files with this one (clone(CLONE_FILES))
 * registers and exits: no close ends its registration, but the next
 * registration replaces it instead of getting EBUSY forever.
 */
TEST_F(notify, registration_of_an_exited_process_is_replaced)
{
	struct kmsgq_notify n = { .size = sizeof(n),
				  .notify = KMSGQ_NOTIFY_NONE };
	size_t stack_size = 64 * 1024;
	char *stack = malloc(stack_size);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, stack);
	pid = clone(register_and_exit, stack + stack_size,
		    CLONE_FILES | SIGCHLD, &self->q);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(exited_ok(status));
	EXPECT_EQ(0, notify_ioctl(self->q, &n));
	/* A live registrant, this process, still holds its place. */
	pid = clone(register_and_exit, stack + stack_size,
		    CLONE_FILES | SIGCHLD, &self->q);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	free(stack);
}

TEST(unbound_file_is_enotconn)
{
	struct kmsgq_notify n = { .size = sizeof(n) };
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR);

	if (fd < 0)
		SKIP(return, "kmsgq module not loaded");
	EXPECT_EQ(-ENOTCONN, notify_ioctl(fd, &n));
	close(fd);
}

TEST(ring_queue_is_eopnotsupp)
{
	struct kmsgq_attr attr = { .qflags = KMSGQ_OPEN_RING };
	struct kmsgq_notify n = { .size = sizeof(n) };
	char name[KMSGQ_NAME_MAX];
	int q;

	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "kmsgq module not loaded");
	q = create_own_queue(name, "notifyring", 0, &attr);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EOPNOTSUPP, notify_ioctl(q, &n));
	close(q);
	kmsgq_unlink(name);
}

TEST_HARNESS_MAIN
