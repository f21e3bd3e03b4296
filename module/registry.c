// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq registry: the names of queues, who may open and unlink them, and
 * what their storage is charged to.
 *
 * A queue's name lives in a table keyed by the name and the user namespace
 * of its creator; a process sees the queues of its own user namespace.
 * Storage is charged, before it is allocated, to the creating user's
 * account (at most kmsgq_user_bytes_max bytes) and counted against
 * kmsgq_max_queues; the final put of a queue returns both.
 *
 * Locking: kmsgq_registry_lock (a mutex) protects the name table, the list
 * of named queues, the queue count and the per-user accounts.  Open,
 * unlink, the final put, LIST and debugfs take it; no send or receive does.
 * Storage is allocated and freed with it dropped.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include <kunit/visibility.h>

#include "internal.h"

/**
 * struct kmsgq_user - queue storage charged to one user
 * @node: link in kmsgq_users
 * @uid: the user (real uid of the creators)
 * @queues: queues charged here, created or being created
 * @bytes: storage bytes charged here, at most kmsgq_user_bytes_max
 *
 * Protected by kmsgq_registry_lock; freed when @queues drops to 0.
 */
struct kmsgq_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int queues;
	size_t bytes;
};

static DEFINE_MUTEX(kmsgq_registry_lock);
static DEFINE_HASHTABLE(kmsgq_names, 6);	/* by kmsgq_registry_lock */
static DEFINE_HASHTABLE(kmsgq_users, 4);	/* by kmsgq_registry_lock */
static LIST_HEAD(kmsgq_all);			/* by kmsgq_registry_lock */
static unsigned int kmsgq_nr_queues;		/* by kmsgq_registry_lock */
static u64 kmsgq_last_id;			/* by kmsgq_registry_lock */

/**
 * kmsgq_registry_check_name() - validate a queue name
 * @name: buffer holding the name
 * @size: bytes in @name
 *
 * Return: 0, -ENAMETOOLONG if there is no NUL within @size bytes, or -EINVAL
 * for an empty name, "." or "..", or a byte outside [A-Za-z0-9._-].
 */
int kmsgq_registry_check_name(const char *name, size_t size)
{
	size_t len = strnlen(name, size);
	size_t i;

	if (len == size)
		return -ENAMETOOLONG;
	if (!len || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* isalnum() takes Latin-1 letters too: ASCII only. */
		if (!isascii(c) ||
		    (!isalnum(c) && c != '.' && c != '_' && c != '-'))
			return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_check_name);

static u32 kmsgq_registry_hash(const char *name, struct user_namespace *ns)
{
	return jhash(name, strlen(name), hash_ptr(ns, 32));
}

static struct kmsgq_queue *kmsgq_registry_lookup(const char *name,
						 struct user_namespace *ns)
{
	struct kmsgq_queue *q;

	lockdep_assert_held(&kmsgq_registry_lock);
	hash_for_each_possible(kmsgq_names, q, node,
			       kmsgq_registry_hash(name, ns))
		if (q->ns == ns && !strcmp(q->name, name))
			return q;
	return NULL;
}

static void kmsgq_registry_link(struct kmsgq_queue *q)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	q->id = ++kmsgq_last_id;
	hash_add(kmsgq_names, &q->node, kmsgq_registry_hash(q->name, q->ns));
	list_add_tail(&q->all, &kmsgq_all);
	q->linked = true;
}

static void kmsgq_registry_unlink_name(struct kmsgq_queue *q)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	hash_del(&q->node);
	list_del(&q->all);
	q->linked = false;
}

static struct kmsgq_user *kmsgq_registry_user_get(kuid_t uid)
{
	struct kmsgq_user *u;

	lockdep_assert_held(&kmsgq_registry_lock);
	hash_for_each_possible(kmsgq_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	u->uid = uid;
	hash_add(kmsgq_users, &u->node, __kuid_val(uid));
	return u;
}

/* Frees an account with no queues. */
static void kmsgq_registry_user_put(struct kmsgq_user *u)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	if (u->queues)
		return;
	hash_del(&u->node);
	kfree(u);
}

/*
 * Take @charge bytes and one queue from the caller's account and the global
 * count, before the storage exists.  Return: the account, or an ERR_PTR.
 */
static struct kmsgq_user *kmsgq_registry_charge(size_t charge)
{
	struct kmsgq_user *u;

	lockdep_assert_held(&kmsgq_registry_lock);
	if (kmsgq_nr_queues >= kmsgq_max_queues)
		return ERR_PTR(-ENOSPC);
	u = kmsgq_registry_user_get(current_uid());
	if (!u)
		return ERR_PTR(-ENOMEM);
	if (charge > kmsgq_user_bytes_max ||
	    u->bytes > kmsgq_user_bytes_max - charge) {
		kmsgq_registry_user_put(u);
		return ERR_PTR(-EMFILE);
	}
	u->queues++;
	u->bytes += charge;
	kmsgq_nr_queues++;
	return u;
}

/* Give back what kmsgq_registry_charge() took. */
static void kmsgq_registry_uncharge(struct kmsgq_user *u, size_t charge)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	u->bytes -= charge;
	u->queues--;
	kmsgq_nr_queues--;
	kmsgq_registry_user_put(u);
}

static int kmsgq_registry_permission(struct kmsgq_queue *q, fmode_t fmode)
{
	umode_t mode = q->mode;
	umode_t want = 0;

	if (fmode & FMODE_READ)
		want |= 4;
	if (fmode & FMODE_WRITE)
		want |= 2;

	if (uid_eq(current_fsuid(), q->uid))
		mode >>= 6;
	else if (in_group_p(q->gid))
		mode >>= 3;
	if ((mode & want) == want)
		return 0;
	if (ns_capable(q->ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* Final put: called with kmsgq_registry_lock held, releases it. */
static void kmsgq_registry_release(struct kref *ref)
	__releases(&kmsgq_registry_lock)
{
	struct kmsgq_queue *q = container_of(ref, struct kmsgq_queue, ref);

	kmsgq_registry_uncharge(q->user, q->charge);
	mutex_unlock(&kmsgq_registry_lock);

	put_user_ns(q->ns);
	kmsgq_queue_free(q);
}

/**
 * kmsgq_registry_put() - drop a reference to a queue
 * @q: queue; freed with its storage, and its charge returned, when this was
 *	the last reference
 *
 * Context: process context; takes kmsgq_registry_lock for the last put.
 */
void kmsgq_registry_put(struct kmsgq_queue *q)
{
	kref_put_mutex(&q->ref, kmsgq_registry_release, &kmsgq_registry_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_put);

static bool kmsgq_registry_attr_ok(u32 msgs, u32 msgsize)
{
	return msgs && msgs <= min(kmsgq_max_msgs, KMSGQ_MSGS_HARD_MAX) &&
	       msgsize &&
	       msgsize <= min(kmsgq_max_msgsize, KMSGQ_MSGSIZE_HARD_MAX);
}

/*
 * Create the queue @op names in @ns: check the attributes, charge the
 * caller, allocate with the registry lock dropped, and link the name unless
 * a racing creator linked it first.  Called and returns with the lock held.
 * Return: the new queue, the racing creator's queue with -EEXIST, or an
 * ERR_PTR; *@raced is set when the name was found after the allocation.
 */
static struct kmsgq_queue *kmsgq_registry_create(const struct kmsgq_open *op,
						 struct user_namespace *ns,
						 bool *raced)
	__must_hold(&kmsgq_registry_lock)
{
	u32 msgs = op->max_msgs ?: kmsgq_default_msgs;
	u32 msgsize = op->max_msgsize ?: kmsgq_default_msgsize;
	bool ring = op->flags & KMSGQ_OPEN_RING;
	struct kmsgq_queue *q, *other;
	struct kmsgq_user *u;
	size_t charge;

	lockdep_assert_held(&kmsgq_registry_lock);
	if (!kmsgq_registry_attr_ok(msgs, msgsize))
		return ERR_PTR(-EINVAL);
	if (ring) {
		/*
		 * Whole slots: a power of two of them, each whole cache
		 * lines.  What GETATTR reports and the limits apply to.
		 */
		msgs = roundup_pow_of_two(max(msgs, 2U));
		msgsize = kmsgq_ring_slot_size(msgsize);
		if (!kmsgq_registry_attr_ok(msgs, msgsize))
			return ERR_PTR(-EINVAL);
		charge = kmsgq_ring_bytes(msgs, msgsize);
	} else {
		charge = kmsgq_store_bytes(msgs, msgsize);
	}

	u = kmsgq_registry_charge(charge);
	if (IS_ERR(u))
		return ERR_CAST(u);

	/* Up to 64 MiB of pages and a vmap: not under the registry lock. */
	mutex_unlock(&kmsgq_registry_lock);
	q = kmsgq_queue_alloc(ring, msgs, msgsize);
	mutex_lock(&kmsgq_registry_lock);
	if (IS_ERR(q))
		goto out_uncharge;

	other = kmsgq_registry_lookup(op->name, ns);
	if (other) {
		*raced = true;
		kmsgq_queue_free(q);
		q = other;
		goto out_uncharge;
	}

	q->mode = op->mode & ~current_umask() & 0777;
	q->uid = current_fsuid();
	q->gid = current_fsgid();
	q->ns = get_user_ns(ns);
	q->user = u;
	q->charge = charge;
	strscpy(q->name, op->name, sizeof(q->name));
	kmsgq_registry_link(q);
	return q;

out_uncharge:
	kmsgq_registry_uncharge(u, charge);
	return q;
}

/**
 * kmsgq_registry_open() - find or create the queue a KMSGQ_IOC_OPEN names
 * @op: the request, flags and reserved fields already checked
 * @fmode: access the file was opened for
 *
 * Return: the queue with a reference for the file, or an ERR_PTR.
 */
struct kmsgq_queue *kmsgq_registry_open(const struct kmsgq_open *op,
					fmode_t fmode)
{
	struct user_namespace *ns = current_user_ns();
	bool create = op->flags & KMSGQ_OPEN_CREATE;
	bool excl = op->flags & KMSGQ_OPEN_EXCL;
	bool raced = false;
	struct kmsgq_queue *q;
	int err = 0;

	err = kmsgq_registry_check_name(op->name, sizeof(op->name));
	if (err)
		return ERR_PTR(err);

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_registry_lookup(op->name, ns);
	if (!q && create) {
		q = kmsgq_registry_create(op, ns, &raced);
		if (IS_ERR(q))
			err = PTR_ERR(q);
	} else if (!q) {
		err = -ENOENT;
	} else {
		raced = true;
	}
	if (!err && raced)
		err = (create && excl) ? -EEXIST :
		      kmsgq_registry_permission(q, fmode);
	if (!err)
		kref_get(&q->ref);
	mutex_unlock(&kmsgq_registry_lock);
	return err ? ERR_PTR(err) : q;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_open);

/**
 * kmsgq_registry_unlink() - remove a name from the caller's user namespace
 * @name: NUL-terminated name, KMSGQ_NAME_MAX bytes of buffer
 *
 * Return: 0, -ENOENT, -EPERM, or a name error.
 */
int kmsgq_registry_unlink(const char *name)
{
	struct kmsgq_queue *q;
	int err;

	err = kmsgq_registry_check_name(name, KMSGQ_NAME_MAX);
	if (err)
		return err;

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_registry_lookup(name, current_user_ns());
	if (!q) {
		err = -ENOENT;
	} else if (!uid_eq(current_fsuid(), q->uid) &&
		   !ns_capable(q->ns, CAP_IPC_OWNER)) {
		err = -EPERM;
	} else {
		kmsgq_registry_unlink_name(q);
	}
	mutex_unlock(&kmsgq_registry_lock);

	if (!err)
		kmsgq_registry_put(q);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_unlink);

/**
 * kmsgq_registry_unlink_all() - drop every name, at module exit
 *
 * No file can be open then, so every queue is freed.
 */
void kmsgq_registry_unlink_all(void)
{
	struct kmsgq_queue *q;

	mutex_lock(&kmsgq_registry_lock);
	while ((q = list_first_entry_or_null(&kmsgq_all, struct kmsgq_queue,
					     all))) {
		kmsgq_registry_unlink_name(q);
		mutex_unlock(&kmsgq_registry_lock);
		kmsgq_registry_put(q);
		mutex_lock(&kmsgq_registry_lock);
	}
	mutex_unlock(&kmsgq_registry_lock);
}

/* Fill @e with @q's attributes and counters, ids as @ns sees them. */
static void kmsgq_registry_describe(struct kmsgq_queue *q,
				    struct user_namespace *ns,
				    struct kmsgq_queue_entry *e)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	memset(e, 0, sizeof(*e));
	strscpy(e->name, q->name, sizeof(e->name));
	e->id = q->id;
	e->qflags = q->is_ring ? KMSGQ_OPEN_RING : 0;
	e->mode = q->mode;
	e->uid = from_kuid_munged(ns, q->uid);
	e->gid = from_kgid_munged(ns, q->gid);
	e->max_msgs = q->max_msgs;
	e->max_msgsize = q->max_msgsize;
	e->cur_msgs = kmsgq_queue_count(q);
	/* The name holds one reference, each bound file one. */
	e->files = kref_read(&q->ref) - 1;
	e->send_waiters = atomic_read(&q->send_waiters);
	e->recv_waiters = atomic_read(&q->recv_waiters);
	e->mappings = atomic_read(&q->mappings);
	e->msgs_sent = atomic64_read(&q->msgs_sent);
	e->msgs_recv = atomic64_read(&q->msgs_recv);
	e->bytes_sent = atomic64_read(&q->bytes_sent);
	e->bytes_recv = atomic64_read(&q->bytes_recv);
}

/**
 * kmsgq_registry_show() - one line per named queue, for debugfs
 * @m: seq_file to print to
 */
void kmsgq_registry_show(struct seq_file *m)
{
	struct kmsgq_queue_entry e;
	struct kmsgq_queue *q;

	seq_puts(m, "name depth max_msgs max_msgsize sent recv bytes_sent bytes_recv send_waiters recv_waiters mode uid gid type\n");
	mutex_lock(&kmsgq_registry_lock);
	list_for_each_entry(q, &kmsgq_all, all) {
		kmsgq_registry_describe(q, &init_user_ns, &e);
		seq_printf(m, "%s %u %u %u %llu %llu %llu %llu %u %u %04o %u %u %s\n",
			   e.name, e.cur_msgs, e.max_msgs, e.max_msgsize,
			   e.msgs_sent, e.msgs_recv, e.bytes_sent,
			   e.bytes_recv, e.send_waiters, e.recv_waiters,
			   e.mode, e.uid, e.gid,
			   e.qflags & KMSGQ_OPEN_RING ? "ring" : "copy");
	}
	mutex_unlock(&kmsgq_registry_lock);
}

/**
 * kmsgq_registry_list() - describe named queues of the caller's user namespace
 * @cursor: in: report queues with a greater id; out: id of the last reported
 * @ents: room for @nr entries, filled in
 * @nr: entries wanted
 *
 * Return: entries filled, fewer than @nr only at the end of the list.
 */
unsigned int kmsgq_registry_list(u64 *cursor, struct kmsgq_queue_entry *ents,
				 unsigned int nr)
{
	struct user_namespace *ns = current_user_ns();
	struct kmsgq_queue *q;
	unsigned int n = 0;

	mutex_lock(&kmsgq_registry_lock);
	list_for_each_entry(q, &kmsgq_all, all) {
		if (q->id <= *cursor || q->ns != ns)
			continue;
		kmsgq_registry_describe(q, ns, &ents[n]);
		*cursor = q->id;
		if (++n == nr)
			break;
	}
	mutex_unlock(&kmsgq_registry_lock);
	return n;
}
