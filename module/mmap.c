// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq mmap: mapping a ring queue's pages into user space, a mappable
 * fan-out queue's store, read-only, and an in-place fan-out queue's
 * payloads, writable, for its publishers.
 *
 * The whole ring is mapped shared at offset 0; pages are inserted by the
 * fault handler from the ring's page array.  The mapping's file reference
 * keeps the queue alive after close().
 *
 * The kernel reaches the same pages through a vmap() alias.  On a CPU whose
 * data cache can alias (virtually indexed), the two views would need
 * flushing between them; kmsgq builds only for architectures without such
 * caches.
 */

#if !(defined(CONFIG_X86) || defined(CONFIG_ARM64) || defined(CONFIG_RISCV) || \
	defined(CONFIG_S390) || defined(CONFIG_PPC64))
#error "kmsgq: the ring's kernel and user mappings may alias in this data cache"
#endif
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "internal.h"

static void kmsgq_mmap_open(struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = vma->vm_private_data;

	atomic_inc(&q->mappings);
	/* fork(): another process can now commit in place. */
	if (q->is_ring && (vma->vm_flags & VM_MAYWRITE) &&
	    vma->vm_mm != current->mm)
		kmsgq_sender_inherited(q);
}

static void kmsgq_mmap_close(struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = vma->vm_private_data;

	atomic_dec(&q->mappings);
	/* A process that could commit or release in place: see there. */
	if (q->is_ring && (vma->vm_flags & VM_MAYWRITE))
		kmsgq_queue_ring_unmapped(q);
}

static vm_fault_t kmsgq_mmap_fault(struct vm_fault *vmf)
{
	struct kmsgq_queue *q = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= q->ring.nr_pages)
		return VM_FAULT_SIGBUS;
	page = q->ring.pages[vmf->pgoff];
	get_page(page);
	vmf->page = page;
	return 0;
}

/* Page @n of the @nr_pages from @base of a fan-out store (vmalloc()ed). */
static vm_fault_t kmsgq_mmap_store_page(struct vm_fault *vmf, void *base,
					pgoff_t n, pgoff_t nr_pages)
{
	struct page *page;

	if (n >= nr_pages)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(base + (n << PAGE_SHIFT));
	get_page(page);
	vmf->page = page;
	return 0;
}

/* A page of a mappable fan-out queue's store (whole pages). */
static vm_fault_t kmsgq_mmap_fanout_fault(struct vm_fault *vmf)
{
	struct kmsgq_queue *q = vmf->vma->vm_private_data;

	return kmsgq_mmap_store_page(vmf, q->fan.map, vmf->pgoff,
				     q->fan.map_size >> PAGE_SHIFT);
}

/* The first page of an in-place fan-out queue's payloads, and their pages. */
static pgoff_t kmsgq_mmap_payload_first(const struct kmsgq_fanout *f)
{
	return ((u8 *)f->data - (u8 *)f->map) >> PAGE_SHIFT;
}

static pgoff_t kmsgq_mmap_payload_pages(const struct kmsgq_fanout *f)
{
	return (f->map_size >> PAGE_SHIFT) - kmsgq_mmap_payload_first(f);
}

/* A page of the payloads, at KMSGQ_FANOUT_PAYLOAD_OFFSET. */
static vm_fault_t kmsgq_mmap_payload_fault(struct vm_fault *vmf)
{
	struct kmsgq_queue *q = vmf->vma->vm_private_data;
	/* Wraps to a huge index below the offset: out of range. */
	pgoff_t n = vmf->pgoff - (KMSGQ_FANOUT_PAYLOAD_OFFSET >> PAGE_SHIFT);

	return kmsgq_mmap_store_page(vmf, q->fan.data, n,
				     kmsgq_mmap_payload_pages(&q->fan));
}

static const struct vm_operations_struct kmsgq_mmap_payload_ops = {
	.open = kmsgq_mmap_open,
	.close = kmsgq_mmap_close,
	.fault = kmsgq_mmap_payload_fault,
};

static const struct vm_operations_struct kmsgq_mmap_fanout_ops = {
	.open = kmsgq_mmap_open,
	.close = kmsgq_mmap_close,
	.fault = kmsgq_mmap_fanout_fault,
};

static const struct vm_operations_struct kmsgq_mmap_ops = {
	.open = kmsgq_mmap_open,
	.close = kmsgq_mmap_close,
	.fault = kmsgq_mmap_fault,
};

/*
 * An in-place fan-out queue's payloads (KMSGQ_OPEN_INPLACE): shared and
 * writable, for files with write access, which publish there; the head,
 * seq[] and len[] stay out of reach.  The kernel never reads the bytes for
 * a decision of its own.
 */
static int kmsgq_mmap_payload(struct kmsgq_queue *q, struct file *file,
			      struct vm_area_struct *vma)
{
	if (!q->fan.inplace)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EACCES;
	if (vma_pages(vma) > kmsgq_mmap_payload_pages(&q->fan) ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYEXEC);
	vma->vm_ops = &kmsgq_mmap_payload_ops;
	vma->vm_private_data = q;
	kmsgq_mmap_open(vma);
	return 0;
}

/*
 * A mappable fan-out queue's store: read-only for every file, writer or
 * not, since the kernel is its only writer (but for an in-place queue's
 * publishers, through their own mapping of the payloads); and only for a
 * subscriber, which a file that publishes only is not, though it may read.
 * The pages go in as they are touched, as a ring's do; the mapping's file
 * keeps the queue, and so the store, until munmap, and is counted in the
 * queue's mappings.
 */
static int kmsgq_mmap_fanout(struct kmsgq_queue *q, struct file *file,
			     struct vm_area_struct *vma)
{
	if (vma->vm_pgoff == KMSGQ_FANOUT_PAYLOAD_OFFSET >> PAGE_SHIFT)
		return kmsgq_mmap_payload(q, file, vma);
	if (vma->vm_pgoff)
		return -EINVAL;
	if (!kmsgq_fanout_sub(q, file))
		return -EACCES;
	if (vma_pages(vma) > q->fan.map_size >> PAGE_SHIFT ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	/* Nor made writable or executable by mprotect(). */
	vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &kmsgq_mmap_fanout_ops;
	vma->vm_private_data = q;
	kmsgq_mmap_open(vma);
	return 0;
}

/**
 * kmsgq_mmap() - map the ring of the file's queue
 * @file: a bound /dev/kmsgq file
 * @vma: the whole ring, shared, at offset 0
 *
 * A file opened without FMODE_WRITE gets a mapping the VFS refuses to make
 * (or mprotect) writable; no mapping is ever executable.
 *
 * A reclaiming ring is mapped only through a file that has its claimant
 * token (KMSGQ_IOC_RING_INFO of KMSGQ_RING_INFO_SIZE_VER1 or more): any
 * other would speak the protocol without owners.
 *
 * A fan-out queue created with KMSGQ_OPEN_RING is mapped read-only by its
 * subscribers instead (struct kmsgq_fanout_map), and one created with
 * KMSGQ_OPEN_INPLACE has its payloads mapped writable by publishers at
 * KMSGQ_FANOUT_PAYLOAD_OFFSET.
 *
 * Return: 0, -ENOTCONN (unbound), -ENODEV (not a ring queue), -EPERM
 * (PROT_EXEC), -EACCES (a reclaiming ring, no token; a writable mapping
 * of the store or a file that is no subscriber on a fan-out queue; the
 * payloads without write access) or -EINVAL.
 */
int kmsgq_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kmsgq_queue *q = kmsgq_file_queue(file);
	u32 owner;
	int err;

	if (!q)
		return -ENOTCONN;
	if (q->fan.map)
		return kmsgq_mmap_fanout(q, file, vma);
	if (!q->is_ring)
		return -ENODEV;
	if (q->ring.reclaim) {
		err = kmsgq_queue_ring_owner(q, file, false, &owner);
		if (err)
			return err;
		if (!owner)
			return -EACCES;
	}
	/* VM_MAYSHARE: the VFS clears VM_SHARED for read-only files. */
	if (vma->vm_pgoff || vma_pages(vma) != q->ring.nr_pages ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* Messages are data: never executable, nor made so by mprotect(). */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	/* Who commits in place, for receivers that ask who sent. */
	if (vma->vm_flags & VM_MAYWRITE)
		kmsgq_sender_mapped(q);
	vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYEXEC);
	vma->vm_ops = &kmsgq_mmap_ops;
	vma->vm_private_data = q;
	kmsgq_mmap_open(vma);
	return 0;
}
