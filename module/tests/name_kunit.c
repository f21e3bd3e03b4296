// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of queue name validation (kmsgq_registry_check_name() in queue.c):
 * 1 to KMSGQ_NAME_MAX - 1 bytes of [A-Za-z0-9._-], NUL-terminated within
 * the buffer, and neither "." nor "..".  Built into kmsgq.ko when the kernel
 * has KUnit.
 */
#include <kunit/test.h>

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

static void kmsgq_name_check_table(struct kunit *test)
{
	const struct kmsgq_name_case *c = test->param_value;
	char buf[KMSGQ_NAME_MAX] = {};

	memcpy(buf, c->name, strnlen(c->name, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name(buf, sizeof(buf)), c->err);
}

/* Only the bytes up to the NUL count, whatever follows it. */
static void kmsgq_name_check_ignores_bytes_after_nul(struct kunit *test)
{
	char buf[KMSGQ_NAME_MAX];

	memset(buf, '/', sizeof(buf));
	memcpy(buf, "ok", 3);
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name(buf, sizeof(buf)), 0);
}

/* The NUL must lie within @size, even if the buffer goes on. */
static void kmsgq_name_check_honours_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name("abc", 3), -ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, kmsgq_registry_check_name("abc", 4), 0);
}

static struct kunit_case kmsgq_name_test_cases[] = {
	KUNIT_CASE_PARAM(kmsgq_name_check_table, kmsgq_name_gen_params),
	KUNIT_CASE(kmsgq_name_check_ignores_bytes_after_nul),
	KUNIT_CASE(kmsgq_name_check_honours_size),
	{}
};

static struct kunit_suite kmsgq_name_suite = {
	.name = "kmsgq_name",
	.test_cases = kmsgq_name_test_cases,
};

kunit_test_suite(kmsgq_name_suite);
