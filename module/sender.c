// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq sender: who queued each message, on a queue created with
 * KMSGQ_OPEN_SENDER, and its report to a receiver (KMSGQ_XFER_SENDER).
 *
 * A record per slot holds the sending thread group's struct pid (counted)
 * and its real uid and gid, taken from the sending task by the kernel, so
 * that no sender can choose them; a receiver gets them translated into its
 * own PID and user namespaces, as SCM_CREDENTIALS are.  A ring's record
 * also holds the position it is for: in-place producers make no record, so
 * a slot whose record is of another lap was committed in place, and gets
 * the identity of the process that mapped the ring writable
 * (kmsgq_sender_mapped()), when only one process ever has.
 *
 * Locking: q->lock protects the records and the mapper's identity.  The
 * struct pid a record holds is put when the kernel receives or drops the
 * message, the record is overwritten, or the queue is freed; a reader
 * outside the lock holds its own reference (kmsgq_sender_get()).  The
 * kernel's own state never depends on the ring's shared words: a record is
 * matched to a ring message by the position the kernel read, which a
 * mapper can rewind, so every message of a ring mapped writable is
 * reported KMSGQ_SENDER_SHARED.
 */
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "internal.h"

/**
 * kmsgq_sender_init() - give a queue that records senders its records
 * @q: new queue, of @q->max_msgs slots
 *
 * Return: 0 or -ENOMEM.
 */
int kmsgq_sender_init(struct kmsgq_queue *q)
{
	q->senders = kvcalloc(q->max_msgs, sizeof(*q->senders),
			      GFP_KERNEL_ACCOUNT);
	return q->senders ? 0 : -ENOMEM;
}

/**
 * kmsgq_sender_destroy() - drop a queue's records
 * @q: queue being freed
 */
void kmsgq_sender_destroy(struct kmsgq_queue *q)
{
	u32 i;

	if (!q->senders)
		return;
	for (i = 0; i < q->max_msgs; i++)
		put_pid(q->senders[i].pid);
	kvfree(q->senders);
	q->senders = NULL;
	put_pid(q->mapper.pid);
	q->mapper.pid = NULL;
}

/* Who the current task is, as a record: its own reference on its pid. */
static void kmsgq_sender_set_current(struct kmsgq_sender *rec, u32 pos)
{
	put_pid(rec->pid);
	rec->pid = get_pid(task_tgid(current));
	rec->uid = current_uid();
	rec->gid = current_gid();
	rec->pos = pos;
	rec->flags = KMSGQ_SENDER_KERNEL;
}

/**
 * kmsgq_sender_set() - record the current task as a message's sender
 * @q: queue created with KMSGQ_OPEN_SENDER (kmsgq_sender_record())
 * @slot: the message's slot, which the caller has filled and not queued
 *	yet (a ring's: its position masked)
 * @pos: a ring message's position; 0 for a copy queue
 *
 * Context: @q->lock held.
 */
void kmsgq_sender_set(struct kmsgq_queue *q, u32 slot, u32 pos)
{
	lockdep_assert_held(&q->lock);
	kmsgq_sender_set_current(&q->senders[slot], pos);
}

/**
 * kmsgq_sender_clear() - forget a message's sender once it is taken
 * @q: queue created with KMSGQ_OPEN_SENDER (kmsgq_sender_forget())
 * @slot: the message's slot
 * @pos: a ring message's position: a record of another is left alone
 *
 * A record kept would pin the sender's struct pid, and on a ring could be
 * matched to a message committed in place at that position later.
 *
 * Context: @q->lock held.
 */
void kmsgq_sender_clear(struct kmsgq_queue *q, u32 slot, u32 pos)
{
	struct kmsgq_sender *rec = &q->senders[slot];

	lockdep_assert_held(&q->lock);
	if (q->is_ring && rec->pos != pos)
		return;
	put_pid(rec->pid);
	rec->pid = NULL;
}

/**
 * kmsgq_sender_ring() - record or forget the sender of a ring message
 * @q: ring queue created with KMSGQ_OPEN_SENDER
 *	(kmsgq_sender_ring_sent(), kmsgq_sender_ring_taken())
 * @pos: the message's position
 * @sent: record the current task, before the message is published; else
 *	forget it, once the kernel has claimed the message
 *
 * Context: takes @q->lock.
 */
void kmsgq_sender_ring(struct kmsgq_queue *q, u32 pos, bool sent)
{
	u32 slot = pos & q->ring.mask;

	spin_lock(&q->lock);
	if (sent)
		kmsgq_sender_set(q, slot, pos);
	else
		kmsgq_sender_clear(q, slot, pos);
	spin_unlock(&q->lock);
}

/**
 * kmsgq_sender_mapped() - note who maps a ring writable
 * @q: ring queue
 *
 * The first process is the identity of messages committed in place; once
 * another (pid, uid or gid differ) has, they are of unknown sender.
 *
 * Context: mmap_lock held (the mapping is being made); takes @q->lock.
 */
void kmsgq_sender_mapped(struct kmsgq_queue *q)
{
	struct kmsgq_sender me = {};

	if (!q->senders)
		return;
	kmsgq_sender_set_current(&me, 0);
	me.flags = KMSGQ_SENDER_MAPPER;
	spin_lock(&q->lock);
	if (!q->mapper.pid && !q->mappers_many)
		swap(q->mapper, me);	/* the first */
	else if (q->mapper.pid != me.pid || !uid_eq(q->mapper.uid, me.uid) ||
		 !gid_eq(q->mapper.gid, me.gid))
		q->mappers_many = true;
	spin_unlock(&q->lock);
	/* Ours, unless it became the queue's. */
	put_pid(me.pid);
}

/**
 * kmsgq_sender_inherited() - a writable mapping was copied into a child
 * @q: ring queue
 *
 * The child commits in place as the first mapper would: from now on, in
 * place messages are of unknown sender.
 *
 * Context: mmap_lock held; takes @q->lock.
 */
void kmsgq_sender_inherited(struct kmsgq_queue *q)
{
	if (!q->senders)
		return;
	spin_lock(&q->lock);
	q->mappers_many = true;
	spin_unlock(&q->lock);
}

/**
 * kmsgq_sender_get() - who sent the message in a slot, for a receiver
 * @q: queue
 * @slot: the message's slot
 * @pos: on a ring, the message's position, as the kernel read it
 * @out: the sender, with a reference on its pid for the caller to
 *	kmsgq_sender_copy_out(); flags 0 if unknown
 *
 * Context: @q->lock held.
 */
void kmsgq_sender_get(struct kmsgq_queue *q, u32 slot, u32 pos,
		      struct kmsgq_sender *out)
{
	const struct kmsgq_sender *rec = NULL;

	lockdep_assert_held(&q->lock);
	*out = (struct kmsgq_sender) {};
	if (!q->senders)
		return;
	rec = &q->senders[slot];
	if (q->is_ring && (!rec->pid || rec->pos != pos))
		rec = q->mappers_many ? NULL : &q->mapper;
	if (rec && rec->pid) {
		*out = *rec;
		get_pid(out->pid);
	}
	/* Mapped writable: what the ring holds, a mapper may have written. */
	if (q->is_ring && (q->mapper.pid || q->mappers_many))
		out->flags |= KMSGQ_SENDER_SHARED;
}

/**
 * kmsgq_sender_copy_out() - report a sender to the receiver, and forget it
 * @from: from kmsgq_sender_get(); its pid reference is put
 * @u: the receiver's struct kmsgq_msg_sender
 *
 * The pid is the one the receiver's PID namespace sees (0 if none); uid
 * and gid are those of the receiver's user namespace (the overflow IDs if
 * unmapped).
 *
 * Context: process context of the receiver; may fault.
 *
 * Return: 0 or -EFAULT.
 */
int kmsgq_sender_copy_out(struct kmsgq_sender *from,
			  struct kmsgq_msg_sender __user *u)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_msg_sender k = {};
	bool known = from->pid;
	int err;

	k.pid = known ? pid_vnr(from->pid) : 0;
	k.uid = from_kuid_munged(ns, known ? from->uid : INVALID_UID);
	k.gid = from_kgid_munged(ns, known ? from->gid : INVALID_GID);
	k.sender_flags = known ? from->flags :
				 from->flags & KMSGQ_SENDER_SHARED;
	/* From @pid on: the struct kmsgq_msg before it is the caller's. */
	err = copy_to_user(&u->pid, &k.pid,
			   sizeof(k) - offsetof(struct kmsgq_msg_sender, pid));
	put_pid(from->pid);
	from->pid = NULL;
	return err ? -EFAULT : 0;
}
