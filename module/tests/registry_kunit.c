// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the registry (registry.c): name validation (1 to
 * KMSGQ_NAME_MAX - 1 bytes of [A-Za-z0-9._-], NUL-terminated within the
 * buffer, neither "." nor ".."), lookup, create and unlink, and the limits a
 * create is charged against.  Part of kmsgq_kunit.ko.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/fs.h>

#include "../internal.h"

#define KMSGQ_TEST_NAME_32	"abcdefghijklmnopqrstuvwxyzABCDEF"
#define KMSGQ_TEST_NAME_31	"GHIJKLMNOPQRSTUVWXYZ0123456789_"

/* @name fills a KMSGQ_NAME_MAX buffer from its start; the rest is zero. */
struct kmsgq_name_case {
	const char *desc;
	const char *name;
	int err;
};

static const struct kmsgq_name_case kmsgq_name_cases[] = {
	{ "empty", "", -EINVAL },
	{ "dot", ".", -EINVAL },
	{ "dot dot", "..", -EINVAL },
	{ "three dots", "...", 0 },
	{ "leading dot", ".a", 0 },
	{ "one letter", "a", 0 },
	{ "every allowed class", "a.b-c_d", 0 },
	{ "digits and capitals", "Q0-9Z", 0 },
	{ "63 bytes", KMSGQ_TEST_NAME_32 KMSGQ_TEST_NAME_31, 0 },
	{ "64 bytes, no NUL", KMSGQ_TEST_NAME_32 KMSGQ_TEST_NAME_32,
	  -ENAMETOOLONG },
	{ "slash", "/", -EINVAL },
	{ "leading slash", "/a", -EINVAL },
	{ "inner slash", "a/b", -EINVAL },
	{ "space", " ", -EINVAL },
	{ "inner space", "a b", -EINVAL },
	{ "newline", "\n", -EINVAL },
	{ "tab", "a\tb", -EINVAL },
	{ "DEL", "\x7f", -EINVAL },
	{ "colon", "a:b", -EINVAL },
	{ "UTF-8 e-acute", "\xc3\xa9", -EINVAL },
	{ "Latin-1 e-acute", "caf\xe9", -EINVAL },
	{ "byte 0xff", "\xff", -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(kmsgq_name, kmsgq_name_cases, desc);

static void kmsgq_registry_name_table(struct kunit *test)
{
	const struct kmsgq_name_case *c = test->param_value;
	char buf[KMSGQ_NAME_MAX] = {};

	memcpy(buf, c->name, strnlen(c->name, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name(buf, sizeof(buf)), c->err);
}

/* Only the bytes up to the NUL count, whatever follows it. */
static void kmsgq_registry_name_ignores_bytes_after_nul(struct kunit *test)
{
	char buf[KMSGQ_NAME_MAX];

	memset(buf, '/', sizeof(buf));
	memcpy(buf, "ok", 3);
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name(buf, sizeof(buf)), 0);
}

/* The NUL must lie within @size, even if the buffer goes on. */
static void kmsgq_registry_name_honours_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name("abc", 3), -ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name("abc", 4), 0);
}

/* Opens @name for reading and writing, creating it with @flags if asked. */
static struct kmsgq_queue *kmsgq_test_open(const char *name, u32 flags)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = flags,
		.mode = 0600,
		.max_msgs = 4,
		.max_msgsize = 64,
	};
	bool created;

	strscpy(op.name, name, sizeof(op.name));
	return kmsgq_registry_open(&op, FMODE_READ | FMODE_WRITE, &created);
}

/* Unlink @name and drop the test's reference to @q. */
static void kmsgq_test_remove(struct kunit *test, const char *name,
			      struct kmsgq_queue *q)
{
	KUNIT_EXPECT_EQ(test, kmsgq_registry_unlink(name), 0);
	kmsgq_registry_put(q);
}

static void kmsgq_registry_finds_what_it_created(struct kunit *test)
{
	struct kmsgq_queue *q, *again;

	q = kmsgq_test_open("kunit-find", KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(q));
	again = kmsgq_test_open("kunit-find", 0);
	KUNIT_EXPECT_PTR_EQ(test, again, q);
	if (!IS_ERR(again))
		kmsgq_registry_put(again);
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-find",
						  KMSGQ_OPEN_CREATE |
						  KMSGQ_OPEN_EXCL),
			    ERR_PTR(-EEXIST));
	kmsgq_test_remove(test, "kunit-find", q);
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-find", 0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, kmsgq_registry_unlink("kunit-find"), -ENOENT);
}

/* An unlinked queue lives on for its holders; the name is free at once. */
static void kmsgq_registry_unlink_frees_the_name(struct kunit *test)
{
	struct kmsgq_queue *old, *new;

	old = kmsgq_test_open("kunit-reuse", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(old));
	KUNIT_EXPECT_EQ(test, kmsgq_registry_unlink("kunit-reuse"), 0);
	new = kmsgq_test_open("kunit-reuse", KMSGQ_OPEN_CREATE |
			      KMSGQ_OPEN_EXCL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(new));
	KUNIT_EXPECT_PTR_NE(test, new, old);
	kmsgq_registry_put(old);
	kmsgq_test_remove(test, "kunit-reuse", new);
}

/*
 * A creator that cannot bind takes its queue back, unless another open
 * found it meanwhile, even one closed again since (it may have left
 * messages there).
 */
static void kmsgq_registry_unlink_created_keeps_found(struct kunit *test)
{
	struct kmsgq_queue *q, *other;

	q = kmsgq_test_open("kunit-taken", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(q));
	kmsgq_registry_unlink_created(q);
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-taken", 0),
			    ERR_PTR(-ENOENT));
	kmsgq_registry_put(q);

	q = kmsgq_test_open("kunit-found", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(q));
	other = kmsgq_test_open("kunit-found", KMSGQ_OPEN_CREATE);
	KUNIT_EXPECT_PTR_EQ(test, other, q);
	if (!IS_ERR(other))
		kmsgq_registry_put(other);
	kmsgq_registry_unlink_created(q);
	other = kmsgq_test_open("kunit-found", 0);
	KUNIT_EXPECT_PTR_EQ(test, other, q);
	if (!IS_ERR(other))
		kmsgq_registry_put(other);
	kmsgq_test_remove(test, "kunit-found", q);
}

static void kmsgq_test_restore_ulong(void *arg)
{
	unsigned long *saved = arg;

	*(unsigned long *)saved[0] = saved[1];
}

/* Set *@var to @val until the test ends. */
static void kmsgq_test_set_ulong(struct kunit *test, unsigned long *var,
				 unsigned long val)
{
	unsigned long *saved = kunit_kmalloc_array(test, 2, sizeof(*saved),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, saved);
	saved[0] = (unsigned long)var;
	saved[1] = *var;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							kmsgq_test_restore_ulong,
							saved), 0);
	*var = val;
}

static void kmsgq_test_restore_uint(void *arg)
{
	unsigned int *saved = arg;

	kmsgq_max_queues = *saved;
}

/*
 * A user's byte budget bounds its queues; the final put of a queue gives
 * its charge back.
 */
static void kmsgq_registry_charges_the_byte_budget(struct kunit *test)
{
	struct kmsgq_queue *a, *b;

	/* Exactly one queue of kmsgq_test_open()'s shape. */
	kmsgq_test_set_ulong(test, &kmsgq_user_bytes_max,
			     kmsgq_store_bytes(4, 64));
	a = kmsgq_test_open("kunit-budget-a", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-budget-b",
						  KMSGQ_OPEN_CREATE),
			    ERR_PTR(-EMFILE));
	/* Unlinked but still held: still charged. */
	KUNIT_EXPECT_EQ(test, kmsgq_registry_unlink("kunit-budget-a"), 0);
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-budget-b",
						  KMSGQ_OPEN_CREATE),
			    ERR_PTR(-EMFILE));
	kmsgq_registry_put(a);
	b = kmsgq_test_open("kunit-budget-b", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	kmsgq_test_remove(test, "kunit-budget-b", b);
}

/* max_queues bounds the queues that exist, a failed create takes none. */
static void kmsgq_registry_counts_queues(struct kunit *test)
{
	unsigned int *saved = kunit_kmalloc(test, sizeof(*saved), GFP_KERNEL);
	struct kmsgq_queue *a, *b;

	KUNIT_ASSERT_NOT_NULL(test, saved);
	*saved = kmsgq_max_queues;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							kmsgq_test_restore_uint,
							saved), 0);
	kmsgq_max_queues = 1;
	a = kmsgq_test_open("kunit-count-a", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_PTR_EQ(test, kmsgq_test_open("kunit-count-b",
						  KMSGQ_OPEN_CREATE),
			    ERR_PTR(-ENOSPC));
	kmsgq_test_remove(test, "kunit-count-a", a);
	b = kmsgq_test_open("kunit-count-b", KMSGQ_OPEN_CREATE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	kmsgq_test_remove(test, "kunit-count-b", b);
}

static struct kunit_case kmsgq_registry_test_cases[] = {
	KUNIT_CASE_PARAM(kmsgq_registry_name_table, kmsgq_name_gen_params),
	KUNIT_CASE(kmsgq_registry_name_ignores_bytes_after_nul),
	KUNIT_CASE(kmsgq_registry_name_honours_size),
	KUNIT_CASE(kmsgq_registry_finds_what_it_created),
	KUNIT_CASE(kmsgq_registry_unlink_frees_the_name),
	KUNIT_CASE(kmsgq_registry_unlink_created_keeps_found),
	KUNIT_CASE(kmsgq_registry_charges_the_byte_budget),
	KUNIT_CASE(kmsgq_registry_counts_queues),
	{}
};

static struct kunit_suite kmsgq_registry_suite = {
	.name = "kmsgq_registry",
	.test_cases = kmsgq_registry_test_cases,
};

kunit_test_suite(kmsgq_registry_suite);
