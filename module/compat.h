/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmsgq compat: the few kernel interfaces that differ between the kernels
 * kmsgq supports (Debian's 6.1 and 6.12).  Kbuild probes the target
 * kernel's headers and defines KMSGQ_HAVE_*; keep every such test here.
 */
#ifndef _KMSGQ_COMPAT_H
#define _KMSGQ_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>

#ifndef KMSGQ_HAVE_VM_FLAGS_SET
/* vm_flags became read-only behind accessors in 6.3. */
static inline void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/* eventfd_signal() lost its count argument in 6.8. */
#ifdef KMSGQ_HAVE_EVENTFD_SIGNAL_N
#define kmsgq_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#else
#define kmsgq_eventfd_signal(ctx)	eventfd_signal(ctx)
#endif

/*
 * KMSGQ_HAVE_URING_CMD: Kbuild builds uring.c, the .uring_cmd handler, only
 * where io_uring can cancel a parked command (IO_URING_F_CANCEL, 6.7 on);
 * elsewhere /dev/kmsgq has none and KMSGQ_FEAT_URING_CMD is not reported.
 */

#endif /* _KMSGQ_COMPAT_H */
