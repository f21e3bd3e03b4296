// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq_kunit.ko: the KUnit suites of kmsgq's internals (store, ring,
 * registry), built as a module of their own where the kernel has KUnit, so
 * that loading kmsgq.ko never runs tests.  Its suites run when it is
 * loaded, after kmsgq.ko, whose internals it reaches through the
 * EXPORTED_FOR_KUNIT_TESTING namespace.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("KUnit tests of kmsgq's internals");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
