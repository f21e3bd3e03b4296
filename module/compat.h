/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmsgq compat: the few kernel interfaces that differ between the kernels
 * kmsgq supports (Debian's 6.1 and 6.12).  Keep every version test here.
 */
#ifndef _KMSGQ_COMPAT_H
#define _KMSGQ_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
/* vm_flags became read-only behind accessors in 6.3. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#endif /* _KMSGQ_COMPAT_H */
