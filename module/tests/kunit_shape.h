/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the store and ring KUnit suites share: the description of a case
 * by the shape of the storage it makes.
 */
#ifndef _KMSGQ_KUNIT_SHAPE_H
#define _KMSGQ_KUNIT_SHAPE_H

#include <kunit/test.h>

/* "N slots of S bytes", a parameterised case's description. */
static inline void kmsgq_kunit_shape_desc(u32 nr_slots, u32 slot_size,
					  char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u slots of %u bytes",
		 nr_slots, slot_size);
}

#endif /* _KMSGQ_KUNIT_SHAPE_H */
