// SPDX-License-Identifier: GPL-2.0
/*
 * Names, namespaces, lifetime and limits: names scoped by IPC namespace as
 * POSIX mqueue's are; a dead namespace's queues freed and their charges
 * returned without rmmod; per-user queue counts and byte budgets that one
 * user cannot exhaust for another and that a user namespace cannot
 * multiply; and KMSGQ_IOC_SETOWNER (chmod/chown) by the owner only.
 *
 * Driven through the uapi header and raw ioctls, as root, as unprivileged
 * users and from other namespaces.  Every test restores the module
 * parameters it changes from the harness parent.
 */
#include "kmsgq_test.h"

#include <sched.h>

#define OTHER_UID	65533

FIXTURE(ns) {
	unsigned long max_queues;
	unsigned long user_bytes_max;
	unsigned long user_queues_max;
	char name[KMSGQ_NAME_MAX];
	char name2[KMSGQ_NAME_MAX];
};

FIXTURE_SETUP(ns)
{
	if (access(KMSGQ_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing: kmsgq module not loaded",
		     KMSGQ_DEVICE_PATH);
	if (geteuid() != 0)
		SKIP(return, "namespaces and module parameters need root");
	ASSERT_EQ(0, read_param("max_queues", &self->max_queues));
	ASSERT_EQ(0, read_param("user_bytes_max", &self->user_bytes_max));
	/* A module without per-user queue counts fails the tests that set it. */
	if (read_param("user_queues_max", &self->user_queues_max))
		self->user_queues_max = 0;
	snprintf(self->name, sizeof(self->name), "nst-%d", getpid());
	snprintf(self->name2, sizeof(self->name2), "nst2-%d", getpid());
}

/* In the parent, which outlives a test process that an ASSERT ended. */
FIXTURE_TEARDOWN_PARENT(ns)
{
	kmsgq_unlink(self->name);
	kmsgq_unlink(self->name2);
	EXPECT_EQ(0, write_param("max_queues", self->max_queues));
	EXPECT_EQ(0, write_param("user_bytes_max", self->user_bytes_max));
	if (self->user_queues_max)
		EXPECT_EQ(0, write_param("user_queues_max",
					 self->user_queues_max));
}

/* KMSGQ_IOC_OPEN of @name on a new file: the fd, or -errno. */
static int ns_open(const char *name, unsigned int flags, unsigned int msgs,
		   unsigned int msgsize)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.mode = 0666,
		.max_msgs = msgs,
		.max_msgsize = msgsize,
	};
	int fd, ret;

	fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(op.name, sizeof(op.name), "%s", name);
	ret = xioctl(fd, KMSGQ_IOC_OPEN, &op);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* KMSGQ_IOC_SETOWNER of @name: 0 or -errno. */
static int ns_setowner(const char *name, unsigned int flags, unsigned int mode,
		       unsigned int uid, unsigned int gid)
{
	struct kmsgq_setowner so = {
		.size = sizeof(so),
		.flags = flags,
		.mode = mode,
		.uid = uid,
		.gid = gid,
	};
	int fd, ret;

	fd = open(KMSGQ_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(so.name, sizeof(so.name), "%s", name);
	ret = xioctl(fd, KMSGQ_IOC_SETOWNER, &so);
	close(fd);
	return ret;
}

/* Whether this IPC namespace lists @name: 1 or 0, or -errno. */
static int ns_lists(const char *name)
{
	return listed_entry(name, NULL);
}

/*
 * A byte budget for @n queues of @msgs messages of @size bytes, and not
 * one more: their payload, and half a queue for the slots' bookkeeping,
 * whatever it takes per slot.
 */
static unsigned long ns_budget(unsigned long n, unsigned long msgs,
			       unsigned long size)
{
	return n * msgs * size + msgs * size / 2;
}

/* Run @fn(@arg) in a child; its exit status, or -1 if it did not exit. */
static int ns_child(int (*fn)(const void *arg), const void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define NS_SKIP		77

/* Enter a new user namespace mapping our ids to themselves, and a new IPC one. */
static int ns_enter_user_ipc(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return -errno;
	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny"))
		return -EIO;
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	return write_file("/proc/self/gid_map", map) ? -EIO : 0;
}

/* In a new IPC namespace: the parent's queue is invisible; ours is ours. */
static int ns_other_ipc_ns(const void *arg)
{
	const char *name = arg;
	char buf[8];
	int fd;

	if (unshare(CLONE_NEWIPC))
		return NS_SKIP;
	if (ns_open(name, 0, 0, 0) != -ENOENT)
		return 10;
	if (ns_lists(name) != 0)
		return 11;
	if (kmsgq_unlink(name) != -ENOENT)
		return 12;
	if (ns_setowner(name, KMSGQ_SETOWNER_MODE, 0600, 0, 0) != -ENOENT)
		return 13;
	fd = ns_open(name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 4, 8);
	if (fd < 0)
		return 14;
	if (write(fd, "inner", 5) != 5)
		return 15;
	if (ns_lists(name) != 1)
		return 16;
	if (read(fd, buf, sizeof(buf)) != 5)
		return 17;
	close(fd);
	return kmsgq_unlink(name) ? 18 : 0;
}

TEST_F(ns, ipc_namespaces_neither_see_nor_touch_each_others_names)
{
	char buf[8];
	int fd, ret;

	fd = ns_open(self->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 4, 8);
	ASSERT_LE(0, fd);
	ret = ns_child(ns_other_ipc_ns, self->name);
	if (ret == NS_SKIP)
		SKIP(return, "no IPC namespaces here");
	EXPECT_EQ(0, ret);
	/* Ours is still there, untouched by the other namespace's sends. */
	EXPECT_EQ(1, ns_lists(self->name));
	EXPECT_EQ(-EAGAIN, (int)(read(fd, buf, sizeof(buf)) < 0 ? -errno : 0));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(self->name));
}

/* As a user namespace does not change the IPC namespace, mqueue's rule. */
static int ns_user_ns_only(const void *arg)
{
	int fd;

	if (unshare(CLONE_NEWUSER))
		return NS_SKIP;
	fd = ns_open(arg, 0, 0, 0);
	/* Its ids are unmapped there: only "other" bits (0666) apply. */
	if (fd < 0)
		return 20;
	close(fd);
	return ns_lists(arg) == 1 ? 0 : 21;
}

TEST_F(ns, a_new_user_namespace_alone_shares_the_ipc_namespaces_names)
{
	int fd, ret;

	fd = ns_open(self->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 4, 8);
	ASSERT_LE(0, fd);
	ret = ns_child(ns_user_ns_only, self->name);
	if (ret == NS_SKIP)
		SKIP(return, "no user namespaces here");
	EXPECT_EQ(0, ret);
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(self->name));
}

struct ns_big {
	const char *name;
	unsigned int msgs;
	unsigned int size;
};

/* In a new user and IPC namespace: create @big and leave it named. */
static int ns_create_and_die(const void *arg)
{
	const struct ns_big *big = arg;
	int fd;

	if (ns_enter_user_ipc())
		return NS_SKIP;
	fd = ns_open(big->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
		     big->msgs, big->size);
	return fd < 0 ? 30 : 0;
}

TEST_F(ns, a_dead_namespaces_queues_are_freed_and_their_charge_returned)
{
	struct ns_big big = { self->name2, 16, 4096 };
	int fd, ret, ours;

	/* Exactly one such queue fits the budget. */
	ASSERT_EQ(0, write_param("user_bytes_max",
				 ns_budget(1, big.msgs, big.size)));
	ret = ns_child(ns_create_and_die, &big);
	if (ret == NS_SKIP)
		SKIP(return, "no user or IPC namespaces here");
	ASSERT_EQ(0, ret);
	/*
	 * Its namespace died with the child: nothing can reach the queue, so
	 * the same user can create a full budget again, here.
	 */
	fd = ns_open(self->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
		     big.msgs, big.size);
	EXPECT_LE(0, fd) TH_LOG("create after the namespace died: %s",
				strerror(-fd));
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, kmsgq_unlink(self->name));
	ASSERT_LE(0, debugfs_count_queues(self->name2, &ours));
	EXPECT_EQ(0, ours);
}

/*
 * Run @fn(@arg) in a child whose stdin and stdout are pipes to us (@to,
 * @from), and wait for its first byte.  Return: its pid, with @to[1] and
 * @from[0] ours; or -1 if it could not start or ended first, its wait
 * status then in *@status (NS_SKIP: no such namespaces here).
 */
static pid_t ns_child_talking(int (*fn)(const void *arg), const void *arg,
			      int to[2], int from[2], int *status)
{
	pid_t pid;
	char c;

	*status = -1;
	if (pipe(to) || pipe(from))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		_exit(fn(arg));
	}
	close(to[0]);
	close(from[1]);
	if (read(from[0], &c, 1) != 1) {
		waitpid(pid, status, 0);
		return -1;
	}
	return pid;
}

/* A bind-mount-free namespace kept alive by a process: its queue stays. */
static int ns_create_and_wait(const void *arg)
{
	const struct ns_big *big = arg;
	char c;
	int fd;

	if (ns_enter_user_ipc())
		return NS_SKIP;
	fd = ns_open(big->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL,
		     big->msgs, big->size);
	if (fd < 0)
		return 40;
	close(fd);
	/* Stay in the namespace until the parent has looked. */
	if (write(1, "r", 1) != 1 || read(0, &c, 1) != 1)
		return 41;
	return 0;
}

TEST_F(ns, a_live_namespaces_queue_outlives_its_files)
{
	struct ns_big big = { self->name2, 4, 64 };
	int to[2], from[2], status, ours;
	pid_t pid;

	pid = ns_child_talking(ns_create_and_wait, &big, to, from, &status);
	if (pid < 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == NS_SKIP)
			SKIP(return, "no user or IPC namespaces here");
		ASSERT_TRUE(false) TH_LOG("child status %#x", status);
	}
	/* The reaper runs every 2 s: give it two rounds. */
	sleep(5);
	ASSERT_LE(0, debugfs_count_queues(self->name2, &ours));
	EXPECT_EQ(1, ours);
	ASSERT_EQ(1, write(to[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(exited_ok(status));
	/* Now dead: the next LIST (or the reaper) frees it. */
	EXPECT_EQ(0, ns_lists(self->name2));
	ASSERT_LE(0, debugfs_count_queues(self->name2, &ours));
	EXPECT_EQ(0, ours);
	close(to[1]);
	close(from[0]);
}

/* As @uid: create queues @name-0.. until one fails; that -errno. */
static int ns_fill(const char *name, uid_t uid, int most, int *made)
{
	char qname[KMSGQ_NAME_MAX];
	int fd;

	for (*made = 0; *made < most; (*made)++) {
		snprintf(qname, sizeof(qname), "%.40s-%d-%d", name, uid, *made);
		fd = ns_open(qname, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 2, 4096);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static void ns_unfill(const char *name, uid_t uid, int made)
{
	char qname[KMSGQ_NAME_MAX];

	for (int i = 0; i < made; i++) {
		snprintf(qname, sizeof(qname), "%.40s-%d-%d", name, uid, i);
		kmsgq_unlink(qname);
	}
}

struct ns_fill_arg {
	const char *name;
	uid_t uid;
	int most;
	int expect;
	int made;
};

static int ns_fill_as(const void *arg)
{
	const struct ns_fill_arg *f = arg;
	int made, ret;

	if (become(f->uid, f->uid))
		return 50;
	ret = ns_fill(f->name, f->uid, f->most, &made);
	if (ret != f->expect)
		return 51;
	return made == f->made ? 0 : 52;
}

TEST_F(ns, one_user_at_its_queue_count_leaves_others_free_to_create)
{
	struct ns_fill_arg nobody = { self->name, NOBODY, 10, -ENOSPC, 3 };
	struct ns_fill_arg other = { self->name, OTHER_UID, 2, 0, 2 };

	ASSERT_EQ(0, write_param("user_queues_max", 3));
	EXPECT_EQ(0, ns_child(ns_fill_as, &nobody));
	EXPECT_EQ(0, ns_child(ns_fill_as, &other));
	ns_unfill(self->name, NOBODY, 3);
	ns_unfill(self->name, OTHER_UID, 2);
}

TEST_F(ns, one_user_at_its_byte_budget_leaves_others_free_to_create)
{
	struct ns_fill_arg nobody = { self->name, NOBODY, 10, -EMFILE, 4 };
	struct ns_fill_arg other = { self->name, OTHER_UID, 3, 0, 3 };

	ASSERT_EQ(0, write_param("user_bytes_max", ns_budget(4, 2, 4096)));
	EXPECT_EQ(0, ns_child(ns_fill_as, &nobody));
	EXPECT_EQ(0, ns_child(ns_fill_as, &other));
	ns_unfill(self->name, NOBODY, 4);
	ns_unfill(self->name, OTHER_UID, 3);
}

/*
 * A user namespace owned by nobody that maps a range of other ids (as a
 * rootless container's subuid range does): each inner id creates one queue,
 * and all of them are charged to nobody too, whose budget ends the run.
 */
static int ns_inner_ids(const void *arg)
{
	const struct ns_fill_arg *f = arg;
	char c, qname[KMSGQ_NAME_MAX];
	int i, fd;

	if (become(NOBODY, NOBODY))
		return 60;
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return NS_SKIP;
	/* Wait for the parent to write our id maps. */
	if (write(1, "u", 1) != 1 || read(0, &c, 1) != 1)
		return 61;
	for (i = 0; i < f->most; i++) {
		/* Real uid i, which is charged; saved uid 0 keeps the way back. */
		if (seteuid(0) || setresuid(i, i, 0))
			return 62;
		snprintf(qname, sizeof(qname), "%.40s-in-%d", f->name, i);
		fd = ns_open(qname, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 2, 4096);
		if (fd < 0)
			return i == f->made && fd == f->expect ? 0 : 63;
		close(fd);
	}
	return 64;
}

TEST_F(ns, a_user_namespace_is_held_to_its_owners_budget)
{
	struct ns_fill_arg f = { self->name, 0, 8, -EMFILE, 3 };
	int to[2], from[2], status;
	char path[64];
	pid_t pid;

	ASSERT_EQ(0, write_param("user_bytes_max", ns_budget(3, 2, 4096)));
	pid = ns_child_talking(ns_inner_ids, &f, to, from, &status);
	if (pid < 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == NS_SKIP)
			SKIP(return, "no user namespaces for nobody here");
		ASSERT_TRUE(false) TH_LOG("child status %#x", status);
	}
	/* Inner 0..999 are outer 200000..200999: none of them is nobody. */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	ASSERT_EQ(0, write_file(path, "0 200000 1000"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	ASSERT_EQ(0, write_file(path, "0 200000 1000"));
	ASSERT_EQ(1, write(to[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(exited_ok(status)) TH_LOG("status %#x", status);
	close(to[1]);
	close(from[0]);
}

/* As another user: neither chmod nor open of nobody's 0600 queue. */
static int ns_not_the_owner(const void *arg)
{
	if (become(OTHER_UID, OTHER_UID))
		return 70;
	if (ns_setowner(arg, KMSGQ_SETOWNER_MODE, 0666, 0, 0) != -EPERM)
		return 71;
	if (ns_setowner(arg, KMSGQ_SETOWNER_UID, 0, OTHER_UID, 0) != -EPERM)
		return 72;
	return ns_open(arg, 0, 0, 0) == -EACCES ? 0 : 73;
}

/*
 * As nobody, the owner: chmod, and chgrp to its own group, work; as with
 * chown(2), giving the queue away or to a group it is not in does not; an
 * unmapped id is EINVAL.
 */
static int ns_the_owner(const void *arg)
{
	if (become(NOBODY, NOBODY))
		return 80;
	if (ns_setowner(arg, KMSGQ_SETOWNER_MODE, 0606, 0, 0))
		return 81;
	if (ns_setowner(arg, KMSGQ_SETOWNER_GID, 0, 0, NOBODY))
		return 82;
	if (ns_setowner(arg, KMSGQ_SETOWNER_UID, 0, NOBODY, 0))
		return 83;
	if (ns_setowner(arg, KMSGQ_SETOWNER_UID, 0, OTHER_UID, 0) != -EPERM)
		return 84;
	if (ns_setowner(arg, KMSGQ_SETOWNER_GID, 0, 0, OTHER_UID) != -EPERM)
		return 85;
	return ns_setowner(arg, KMSGQ_SETOWNER_UID, 0, (unsigned int)-1,
			   0) == -EINVAL ? 0 : 86;
}

/* As another user again: the new mode lets it in (other: rw). */
static int ns_let_in(const void *arg)
{
	int fd;

	if (become(OTHER_UID, OTHER_UID))
		return 90;
	fd = ns_open(arg, 0, 0, 0);
	if (fd < 0)
		return 91;
	close(fd);
	return 0;
}

TEST_F(ns, the_owner_changes_mode_and_group_others_get_eperm)
{
	struct kmsgq_attr attr;
	int fd;

	fd = ns_open(self->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 4, 8);
	ASSERT_LE(0, fd);
	/* Root gives it to nobody, mode 0600. */
	ASSERT_EQ(0, ns_setowner(self->name, KMSGQ_SETOWNER_UID |
				 KMSGQ_SETOWNER_GID | KMSGQ_SETOWNER_MODE,
				 0600, NOBODY, NOBODY));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(NOBODY, attr.uid);
	EXPECT_EQ(NOBODY, attr.gid);
	EXPECT_EQ(0600U, attr.mode);

	EXPECT_EQ(0, ns_child(ns_not_the_owner, self->name));
	EXPECT_EQ(0, ns_child(ns_the_owner, self->name));
	EXPECT_EQ(0, ns_child(ns_let_in, self->name));
	ASSERT_EQ(0, kmsgq_getattr(fd, &attr));
	EXPECT_EQ(0606U, attr.mode);
	/* The file bound before keeps the access it was granted. */
	EXPECT_EQ(5, write(fd, "still", 5));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(self->name));
}

TEST_F(ns, setowner_checks_its_arguments)
{
	int fd;

	fd = ns_open(self->name, KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL, 4, 8);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, ns_setowner(self->name, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, ns_setowner(self->name, 0x8, 0, 0, 0));
	EXPECT_EQ(-EINVAL, ns_setowner(self->name, KMSGQ_SETOWNER_MODE,
				       01777, 0, 0));
	/* A field without its flag must be zero. */
	EXPECT_EQ(-EINVAL, ns_setowner(self->name, KMSGQ_SETOWNER_MODE,
				       0600, 5, 0));
	EXPECT_EQ(-EINVAL, ns_setowner("", KMSGQ_SETOWNER_MODE, 0600, 0, 0));
	EXPECT_EQ(-ENOENT, ns_setowner(self->name2, KMSGQ_SETOWNER_MODE,
				       0600, 0, 0));
	EXPECT_EQ(0, ns_setowner(self->name, KMSGQ_SETOWNER_MODE, 0640, 0,
				 0));
	close(fd);
	EXPECT_EQ(0, kmsgq_unlink(self->name));
}

TEST_F(ns, info_reports_namespaces_and_setowner)
{
	struct kmsgq_info info;
	int fd = open(KMSGQ_DEVICE_PATH, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsgq_info(fd, &info));
	EXPECT_TRUE(info.features & KMSGQ_FEAT_IPC_NS);
	EXPECT_TRUE(info.features & KMSGQ_FEAT_SETOWNER);
	close(fd);
}

TEST_HARNESS_MAIN
