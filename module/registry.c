// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq registry: the names of queues, who may open and unlink them, and
 * what their storage is charged to.
 *
 * Names are scoped by IPC namespace, as POSIX mqueue's: a process sees the
 * queues named in its own IPC namespace.  A module cannot drop a reference
 * to an IPC namespace on every supported kernel (put_ipc_ns() is exported
 * from 6.12 on only), so the registry holds one the way user space would:
 * through the namespace's nsfs file, /proc/thread-self/ns/ipc, opened when
 * the first queue is named there and closed when the last name goes.  When
 * that file is all that holds the namespace (no process in it, no other open
 * or bind-mounted nsfs file), nothing can reach its queues any more: the
 * reaper unlinks them, which frees them once their files are closed too.
 *
 * Storage is charged, before it is allocated, to the creator's real uid and
 * to the owner of every user namespace between the creator's and the
 * initial one, as ucounts charge RLIMIT_MSGQUEUE: a user inside user
 * namespaces it owns is held to its own budget.  Each account may hold
 * kmsgq_user_queues_max queues and kmsgq_user_bytes_max bytes; all queues
 * together are bounded by kmsgq_max_queues.  The final put of a queue
 * returns every charge.
 *
 * Locking: kmsgq_registry_lock (a mutex) protects the name table, the lists
 * of named queues and of namespaces, the queue count and the per-user
 * accounts.  Open, unlink, setowner, the final put, LIST, the reaper and
 * debugfs take it; no send or receive does.  Storage is allocated and freed
 * with it dropped.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/lockdep.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "internal.h"

/* How often the reaper looks for IPC namespaces nothing else holds. */
#define KMSGQ_REAP_INTERVAL	(2 * HZ)

/**
 * struct kmsgq_ns - an IPC namespace that has named queues
 * @node: link in kmsgq_namespaces
 * @ns: the namespace, as its nsfs file names it
 * @user_ns: the user namespace owning it, where CAP_IPC_OWNER and
 *	CAP_FOWNER are checked (counted reference)
 * @pin: its nsfs file (an O_PATH one), which keeps it alive; NULL for the
 *	initial one
 * @queues: queues named in it; the entry goes with the last
 * @dead: nothing else can reach it: the reaper unlinks its queues
 *
 * Protected by kmsgq_registry_lock.
 */
struct kmsgq_ns {
	struct list_head node;
	struct ns_common *ns;
	struct user_namespace *user_ns;
	struct file *pin;
	unsigned int queues;
	bool dead;
};

/**
 * struct kmsgq_user - queue storage charged to one user
 * @node: link in kmsgq_users
 * @uid: the user
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
static LIST_HEAD(kmsgq_namespaces);		/* by kmsgq_registry_lock */
static unsigned int kmsgq_nr_queues;		/* by kmsgq_registry_lock */
static u64 kmsgq_last_id;			/* by kmsgq_registry_lock */

static void kmsgq_registry_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kmsgq_registry_reaper, kmsgq_registry_reap_fn);

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

/* The caller's IPC namespace. */
static struct ns_common *kmsgq_registry_current_ns(void)
{
	return &current->nsproxy->ipc_ns->ns;
}

static u32 kmsgq_registry_hash(const char *name, const struct ns_common *ns)
{
	return jhash(name, strlen(name), hash_ptr(ns, 32));
}

static struct kmsgq_queue *kmsgq_registry_lookup(const char *name,
						 const struct ns_common *ns)
{
	struct kmsgq_queue *q;

	lockdep_assert_held(&kmsgq_registry_lock);
	hash_for_each_possible(kmsgq_names, q, node,
			       kmsgq_registry_hash(name, ns))
		if (q->kns->ns == ns && !strcmp(q->name, name))
			return q;
	return NULL;
}

static struct kmsgq_ns *kmsgq_registry_ns_find(const struct ns_common *ns)
{
	struct kmsgq_ns *kns;

	lockdep_assert_held(&kmsgq_registry_lock);
	list_for_each_entry(kns, &kmsgq_namespaces, node)
		if (kns->ns == ns)
			return kns;
	return NULL;
}

/*
 * Open the caller's IPC namespace's nsfs file, which holds the namespace
 * for as long as it is open, or NULL for the initial namespace, which
 * needs no holding.  Called without the registry lock: the walk of the
 * caller's /proc may take as long as the caller's mounts make it.  O_PATH:
 * nothing is opened but the path, so no ->open of whatever is found there
 * runs or blocks.  Return: the file, NULL, or an ERR_PTR: the caller's
 * /proc may be missing or may not show its own namespace.
 */
static struct file *kmsgq_registry_ns_pin(void)
{
	struct ns_common *ns = kmsgq_registry_current_ns();
	struct file *f;

	if (ns->inum == PROC_IPC_INIT_INO)
		return NULL;
	f = filp_open("/proc/thread-self/ns/ipc", O_PATH, 0);
	if (IS_ERR(f))
		return f;
	/*
	 * Whatever is mounted there, it must be this namespace's file, as
	 * the magic link gives it: on nsfs's own mount, not on a bind mount
	 * of it, which the pin would then keep alive for ever.
	 */
	if (file_inode(f)->i_sb->s_magic != NSFS_MAGIC ||
	    get_proc_ns(file_inode(f)) != ns ||
	    f->f_path.dentry == f->f_path.mnt->mnt_root) {
		fput(f);
		return ERR_PTR(-ENOENT);
	}
	return f;
}

/*
 * The registry's entry for the caller's IPC namespace, made if it has none,
 * with *@pin (from kmsgq_registry_ns_pin()) to hold the namespace: then
 * *@pin is the entry's, and NULL.  Return: the entry or an ERR_PTR.
 */
static struct kmsgq_ns *kmsgq_registry_ns_get(struct file **pin)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct ns_common *ns = &ipc_ns->ns;
	struct kmsgq_ns *kns;

	lockdep_assert_held(&kmsgq_registry_lock);
	kns = kmsgq_registry_ns_find(ns);
	if (kns)
		return kns;
	if (ns->inum != PROC_IPC_INIT_INO && !*pin)
		return ERR_PTR(-ENOENT);

	kns = kzalloc(sizeof(*kns), GFP_KERNEL_ACCOUNT);
	if (!kns)
		return ERR_PTR(-ENOMEM);
	kns->ns = ns;
	kns->pin = *pin;
	*pin = NULL;
	kns->user_ns = get_user_ns(ipc_ns->user_ns);
	list_add_tail(&kns->node, &kmsgq_namespaces);
	/* Not mod_delayed_work(): new namespaces must not postpone it. */
	if (kns->pin)
		queue_delayed_work(system_wq, &kmsgq_registry_reaper,
				   KMSGQ_REAP_INTERVAL);
	return kns;
}

/* Forget an IPC namespace that has no named queue left, and let it go. */
static void kmsgq_registry_ns_put(struct kmsgq_ns *kns)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	if (kns->queues)
		return;
	list_del(&kns->node);
	put_user_ns(kns->user_ns);
	if (kns->pin)
		fput(kns->pin);
	kfree(kns);
}

/*
 * Whether nothing but the registry can reach @kns's namespace: the
 * namespace is held by our nsfs dentry alone (no task's nsproxy), and that
 * dentry by our file alone (no other open file, no bind mount).  Neither
 * count can grow again then, since only a holder of one could make
 * another; but a task may trade one for the other (open the nsfs file,
 * then leave the namespace), so the namespace's count is read again after
 * the dentry's and must not have moved.
 */
static bool kmsgq_registry_ns_unreachable(struct kmsgq_ns *kns)
{
	unsigned int refs;

	lockdep_assert_held(&kmsgq_registry_lock);
	if (!kns->pin)
		return false;
	refs = refcount_read(&kns->ns->count);
	/* Pairs with the full barriers of the refcount and lockref changes. */
	smp_rmb();
	if (refs != 1 || d_count(kns->pin->f_path.dentry) != 1)
		return false;
	/* The dentry's count before the namespace's second reading. */
	smp_rmb();
	return refcount_read(&kns->ns->count) == 1;
}

static void kmsgq_registry_link(struct kmsgq_queue *q, struct kmsgq_ns *kns)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	q->id = ++kmsgq_last_id;
	q->kns = kns;
	kns->queues++;
	hash_add(kmsgq_names, &q->node, kmsgq_registry_hash(q->name, kns->ns));
	list_add_tail(&q->all, &kmsgq_all);
}

/* Remove @q's name; the caller then drops the name's reference. */
static void kmsgq_registry_unlink_name(struct kmsgq_queue *q)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	hash_del(&q->node);
	list_del(&q->all);
	q->kns->queues--;
	kmsgq_registry_ns_put(q->kns);
	q->kns = NULL;
}

/*
 * Unlink every queue of the namespaces nothing else can reach.  Their
 * name references are moved to @dead, for the caller to drop once it has
 * released the lock.  Return: whether namespaces with queues remain pinned.
 */
static bool kmsgq_registry_reap(struct list_head *dead)
{
	struct kmsgq_queue *q, *tmp;
	struct kmsgq_ns *kns;
	bool pinned = false;

	lockdep_assert_held(&kmsgq_registry_lock);
	/* Each namespace is judged once a pass. */
	list_for_each_entry(kns, &kmsgq_namespaces, node)
		kns->dead = kmsgq_registry_ns_unreachable(kns);
	list_for_each_entry_safe(q, tmp, &kmsgq_all, all) {
		if (!q->kns->dead)
			continue;
		kmsgq_registry_unlink_name(q);
		/* The name's reference is now the caller's: reuse the link. */
		list_add_tail(&q->all, dead);
	}
	list_for_each_entry(kns, &kmsgq_namespaces, node)
		pinned |= !!kns->pin;
	return pinned;
}

static void kmsgq_registry_put_all(struct list_head *dead)
{
	struct kmsgq_queue *q, *tmp;

	list_for_each_entry_safe(q, tmp, dead, all) {
		list_del_init(&q->all);
		kmsgq_registry_put(q);
	}
}

static void kmsgq_registry_reap_fn(struct work_struct *work)
{
	LIST_HEAD(dead);
	bool pinned;

	mutex_lock(&kmsgq_registry_lock);
	pinned = kmsgq_registry_reap(&dead);
	mutex_unlock(&kmsgq_registry_lock);
	kmsgq_registry_put_all(&dead);
	if (pinned)
		schedule_delayed_work(&kmsgq_registry_reaper,
				      KMSGQ_REAP_INTERVAL);
}

/*
 * Reap now, before an operation whose outcome depends on what dead
 * namespaces hold: a create (their charges), LIST.
 */
static void kmsgq_registry_reap_now(void)
{
	LIST_HEAD(dead);

	mutex_lock(&kmsgq_registry_lock);
	kmsgq_registry_reap(&dead);
	mutex_unlock(&kmsgq_registry_lock);
	kmsgq_registry_put_all(&dead);
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
 * The next account up the owner chain from (@ns, @uid): the owner of @ns,
 * in its parent; false at the initial user namespace.
 */
static bool kmsgq_registry_chain_next(struct user_namespace **ns, kuid_t *uid)
{
	if (*ns == &init_user_ns)
		return false;
	*uid = (*ns)->owner;
	*ns = (*ns)->parent;
	return true;
}

/* Take one queue and @charge bytes from the account of @uid, or -errno. */
static int kmsgq_registry_charge_one(kuid_t uid, size_t charge)
{
	struct kmsgq_user *u;

	u = kmsgq_registry_user_get(uid);
	if (!u)
		return -ENOMEM;
	if (u->queues >= READ_ONCE(kmsgq_user_queues_max)) {
		kmsgq_registry_user_put(u);
		return -ENOSPC;
	}
	size_t max = READ_ONCE(kmsgq_user_bytes_max);

	if (charge > max || u->bytes > max - charge) {
		kmsgq_registry_user_put(u);
		return -EMFILE;
	}
	u->queues++;
	u->bytes += charge;
	return 0;
}

static void kmsgq_registry_uncharge_one(kuid_t uid, size_t charge)
{
	struct kmsgq_user *u = kmsgq_registry_user_get(uid);

	if (WARN_ON_ONCE(!u || !u->queues || u->bytes < charge))
		return;
	u->bytes -= charge;
	u->queues--;
	kmsgq_registry_user_put(u);
}

/*
 * Give back @charge bytes and one queue to the accounts from (@ns, @uid) up
 * the owner chain, stopping before (@stop_ns, @stop_uid) if given.  An
 * owner met twice in a row (a user in a namespace it owns) was charged once.
 */
static void kmsgq_registry_uncharge_chain(struct user_namespace *ns,
					  kuid_t uid, size_t charge,
					  struct user_namespace *stop_ns,
					  kuid_t stop_uid)
{
	kuid_t last = INVALID_UID;

	do {
		if (ns == stop_ns && uid_eq(uid, stop_uid))
			return;
		if (!uid_eq(uid, last))
			kmsgq_registry_uncharge_one(uid, charge);
		last = uid;
	} while (kmsgq_registry_chain_next(&ns, &uid));
}

/*
 * Charge one queue of @charge bytes to the caller's real uid and up its
 * user namespaces' owner chain, and to the global count, before the
 * storage exists.  Return: 0, -ENOSPC (a queue count), -EMFILE (a byte
 * budget) or -ENOMEM.
 */
static int kmsgq_registry_charge(struct user_namespace *ns, kuid_t uid,
				 size_t charge)
{
	struct user_namespace *at = ns;
	kuid_t last = INVALID_UID;
	kuid_t cur = uid;
	int err;

	lockdep_assert_held(&kmsgq_registry_lock);
	if (kmsgq_nr_queues >= READ_ONCE(kmsgq_max_queues))
		return -ENOSPC;
	do {
		if (!uid_eq(cur, last)) {
			err = kmsgq_registry_charge_one(cur, charge);
			if (err) {
				kmsgq_registry_uncharge_chain(ns, uid, charge,
							      at, cur);
				return err;
			}
		}
		last = cur;
	} while (kmsgq_registry_chain_next(&at, &cur));
	kmsgq_nr_queues++;
	return 0;
}

/* Give back what kmsgq_registry_charge() took. */
static void kmsgq_registry_uncharge(struct user_namespace *ns, kuid_t uid,
				    size_t charge)
{
	lockdep_assert_held(&kmsgq_registry_lock);
	kmsgq_registry_uncharge_chain(ns, uid, charge, NULL, INVALID_UID);
	kmsgq_nr_queues--;
}

/* Whether the caller may act as @q's owner: it is, or has the capability. */
static bool kmsgq_registry_owner_or(struct kmsgq_queue *q, int cap)
{
	return uid_eq(current_fsuid(), q->uid) ||
	       ns_capable(q->ipc_user_ns, cap);
}

/**
 * kmsgq_registry_owner_or_cap() - is the caller @q's owner, or privileged
 * @q: a queue the caller holds a reference to
 *
 * Context: process context; takes kmsgq_registry_lock (the owner may
 * change).
 * Return: true if its fsuid owns @q or it has CAP_IPC_OWNER in the user
 * namespace of @q's IPC namespace.
 */
bool kmsgq_registry_owner_or_cap(struct kmsgq_queue *q)
{
	bool ret;

	mutex_lock(&kmsgq_registry_lock);
	ret = kmsgq_registry_owner_or(q, CAP_IPC_OWNER);
	mutex_unlock(&kmsgq_registry_lock);
	return ret;
}

static int kmsgq_registry_permission(struct kmsgq_queue *q, fmode_t fmode)
{
	umode_t mode = q->mode;
	umode_t want = 0;

	lockdep_assert_held(&kmsgq_registry_lock);
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
	if (ns_capable(q->ipc_user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/*
 * Final put: called with kmsgq_registry_lock held (kref_put_mutex()),
 * releases it before freeing the storage.
 */
static void kmsgq_registry_release(struct kref *ref)
{
	struct kmsgq_queue *q = container_of(ref, struct kmsgq_queue, ref);

	kmsgq_registry_uncharge(q->charge_ns, q->charge_uid, q->charge);
	mutex_unlock(&kmsgq_registry_lock);

	put_user_ns(q->ipc_user_ns);
	put_user_ns(q->charge_ns);
	kmsgq_queue_free(q);
}

/**
 * kmsgq_registry_put() - drop a reference to a queue
 * @q: queue; freed with its storage, and its charges returned, when this
 *	was the last reference
 *
 * Context: process context; takes kmsgq_registry_lock for the last put.
 */
void kmsgq_registry_put(struct kmsgq_queue *q)
{
	kref_put_mutex(&q->ref, kmsgq_registry_release, &kmsgq_registry_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_put);

/**
 * kmsgq_registry_assert_unlocked() - the caller does not hold the registry lock
 *
 * For work that must never stall every open and close on the system, such
 * as allocating a queue's storage (up to 64 MiB of pages and a vmap).  A
 * kernel with lockdep warns when it is called under the lock; others check
 * nothing.
 */
void kmsgq_registry_assert_unlocked(void)
{
	lockdep_assert_not_held(&kmsgq_registry_lock);
}

static bool kmsgq_registry_attr_ok(u32 msgs, u32 msgsize)
{
	return msgs && msgs <= min(kmsgq_max_msgs, KMSGQ_MSGS_HARD_MAX) &&
	       msgsize &&
	       msgsize <= min(kmsgq_max_msgsize, KMSGQ_MSGSIZE_HARD_MAX);
}

/*
 * Create the queue @op names in the caller's IPC namespace: check the
 * attributes, charge the caller, allocate with the registry lock dropped,
 * and link the name unless a racing creator linked it first.  Called and
 * returns with the lock held.  Return: the new queue, or an ERR_PTR;
 * *@raced is set, and the racing creator's queue returned, when the name
 * was found after the allocation.  A queue allocated but not linked is
 * left in *@spare, for the caller to free once it has dropped the lock;
 * *@pin holds the caller's IPC namespace if the registry has no entry for
 * it yet, and is taken for that entry (kmsgq_registry_ns_get()).
 */
static struct kmsgq_queue *kmsgq_registry_create(const struct kmsgq_open *op,
						 struct file **pin, bool *raced,
						 struct kmsgq_queue **spare)
{
	u32 msgs = op->max_msgs ?: kmsgq_default_msgs;
	u32 msgsize = op->max_msgsize ?: kmsgq_default_msgsize;
	struct user_namespace *user_ns = current_user_ns();
	bool ring = (op->flags & (KMSGQ_OPEN_RING | KMSGQ_OPEN_FANOUT)) ==
		    KMSGQ_OPEN_RING;
	struct kmsgq_queue *q, *other;
	kuid_t uid = current_uid();
	struct kmsgq_ns *kns;
	size_t charge;
	int err;

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
		charge = kmsgq_ring_bytes(msgs, msgsize,
					  op->flags & KMSGQ_OPEN_RECLAIM);
	} else if (op->flags & KMSGQ_OPEN_FANOUT) {
		/* Message n in slot n & (depth - 1). */
		msgs = roundup_pow_of_two(max(msgs, 2U));
		if (!kmsgq_registry_attr_ok(msgs, msgsize))
			return ERR_PTR(-EINVAL);
		charge = op->flags & KMSGQ_OPEN_RING ?
			 kmsgq_fanout_map_bytes(msgs, msgsize,
						op->flags & KMSGQ_OPEN_INPLACE) :
			 kmsgq_fanout_bytes(msgs, msgsize);
	} else {
		charge = kmsgq_store_bytes(msgs, msgsize);
	}
	/* Who sent each message: a record per slot (sender.c). */
	if (op->flags & KMSGQ_OPEN_SENDER)
		charge = size_add(charge,
				  size_mul(msgs, sizeof(struct kmsgq_sender)));

	err = kmsgq_registry_charge(user_ns, uid, charge);
	if (err)
		return ERR_PTR(err);

	/* Up to 64 MiB of pages and a vmap: not under the registry lock. */
	mutex_unlock(&kmsgq_registry_lock);
	q = kmsgq_queue_alloc(op->flags, msgs, msgsize);
	mutex_lock(&kmsgq_registry_lock);
	if (IS_ERR(q))
		goto out_uncharge;

	other = kmsgq_registry_lookup(op->name, kmsgq_registry_current_ns());
	if (other) {
		*raced = true;
		*spare = q;
		q = other;
		goto out_uncharge;
	}
	kns = kmsgq_registry_ns_get(pin);
	if (IS_ERR(kns)) {
		*spare = q;
		q = ERR_CAST(kns);
		goto out_uncharge;
	}

	q->overflow = op->flags & KMSGQ_OPEN_OVERFLOW;
	q->mode = op->mode & ~current_umask() & 0777;
	q->uid = current_fsuid();
	q->gid = current_fsgid();
	q->ipc_user_ns = get_user_ns(kns->user_ns);
	q->charge_ns = get_user_ns(user_ns);
	q->charge_uid = uid;
	q->charge = charge;
	strscpy(q->name, op->name, sizeof(q->name));
	kmsgq_registry_link(q, kns);
	return q;

out_uncharge:
	kmsgq_registry_uncharge(user_ns, uid, charge);
	return q;
}

/**
 * kmsgq_registry_open() - find or create the queue a KMSGQ_IOC_OPEN names
 * @op: the request, flags and reserved fields already checked
 * @fmode: access the file was opened for
 * @created: out: whether this call created the queue it returns
 *
 * The name is looked up in the caller's IPC namespace.  A caller that
 * cannot bind to a queue it created takes it back with
 * kmsgq_registry_unlink_created().
 *
 * Return: the queue with a reference for the file, or an ERR_PTR.
 */
struct kmsgq_queue *kmsgq_registry_open(const struct kmsgq_open *op,
					fmode_t fmode, bool *created)
{
	bool create = op->flags & KMSGQ_OPEN_CREATE;
	bool excl = op->flags & KMSGQ_OPEN_EXCL;
	struct kmsgq_queue *q, *spare = NULL;
	struct file *pin = NULL;
	bool raced = false;
	int err;

	*created = false;
	err = kmsgq_registry_check_name(op->name, sizeof(op->name));
	if (err)
		return ERR_PTR(err);

	if (create) {
		/* The charges of dead namespaces' queues come back first. */
		kmsgq_registry_reap_now();
		/* Outside the lock: the walk is the caller's to make slow. */
		pin = kmsgq_registry_ns_pin();
		if (IS_ERR(pin))
			return ERR_CAST(pin);
	}

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_registry_lookup(op->name, kmsgq_registry_current_ns());
	if (!q && create) {
		/*
		 * History and publishing only are for fan-out queues: create
		 * nothing else with them.
		 */
		if ((op->history || (op->flags & KMSGQ_OPEN_PUBLISHER)) &&
		    !(op->flags & KMSGQ_OPEN_FANOUT))
			err = -EINVAL;
		else
			q = kmsgq_registry_create(op, &pin, &raced, &spare);
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
	if (!err && (op->history || (op->flags & KMSGQ_OPEN_PUBLISHER)) &&
	    !q->is_fanout)
		err = -EINVAL;
	if (!err) {
		kref_get(&q->ref);
		*created = !raced;
		q->found |= raced;
	}
	mutex_unlock(&kmsgq_registry_lock);
	if (spare)
		kmsgq_queue_free(spare);
	if (pin)
		fput(pin);
	return err ? ERR_PTR(err) : q;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_open);

/**
 * kmsgq_registry_unlink_created() - take back a queue an open created
 * @q: the queue, as kmsgq_registry_open() created and returned it; the
 *	caller still holds the reference it got
 *
 * For an open that created @q and then could not bind to it: its name
 * goes, as by kmsgq_registry_unlink() (and without its permission check:
 * the caller made the queue), unless it went already (an unlink, the
 * reaper), whatever queue has the name by now, or another open found @q
 * meanwhile: then the queue is in use under its name, which stays, as
 * another creator's open without KMSGQ_OPEN_EXCL expects.
 *
 * Context: process context; takes kmsgq_registry_lock.
 */
void kmsgq_registry_unlink_created(struct kmsgq_queue *q)
{
	bool named;

	mutex_lock(&kmsgq_registry_lock);
	/* Still in the table, under its name: a queue has one name or none. */
	named = q->kns && kmsgq_registry_lookup(q->name, q->kns->ns) == q;
	/*
	 * Nobody else's open has had it, even one that has closed since:
	 * it may have left messages there, or be about to use the name.
	 */
	named = named && !q->found;
	if (named)
		kmsgq_registry_unlink_name(q);
	mutex_unlock(&kmsgq_registry_lock);
	/* The name's reference; the caller's keeps @q until it drops it. */
	if (named)
		kmsgq_registry_put(q);
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_unlink_created);

/**
 * kmsgq_registry_unlink() - remove a name from the caller's IPC namespace
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
	q = kmsgq_registry_lookup(name, kmsgq_registry_current_ns());
	if (!q)
		err = -ENOENT;
	else if (!kmsgq_registry_owner_or(q, CAP_IPC_OWNER))
		err = -EPERM;
	else
		kmsgq_registry_unlink_name(q);
	mutex_unlock(&kmsgq_registry_lock);

	if (!err)
		kmsgq_registry_put(q);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kmsgq_registry_unlink);

/*
 * Whether the caller may make the changes @so asks of @q, as chmod(2) and
 * chown(2) allow them on a file: the mode by the owner (or CAP_FOWNER), the
 * group by the owner to a group it is in, the owner and any group by a
 * holder of CAP_CHOWN; CAP_IPC_OWNER allows all three.  Capabilities count
 * in the user namespace owning the IPC namespace, and are asked for only
 * when the change needs them (an ns_capable() that succeeds marks the task
 * as having used its privilege).
 */
static bool kmsgq_registry_may_setowner(struct kmsgq_queue *q,
					const struct kmsgq_setowner *so,
					kuid_t uid, kgid_t gid)
{
	struct user_namespace *ns = q->ipc_user_ns;
	bool owner = uid_eq(current_fsuid(), q->uid);
	bool need_chown, need_owner;

	lockdep_assert_held(&kmsgq_registry_lock);
	need_chown = ((so->flags & KMSGQ_SETOWNER_UID) &&
		      !uid_eq(uid, q->uid)) ||
		     ((so->flags & KMSGQ_SETOWNER_GID) && !gid_eq(gid, q->gid) &&
		      !(owner && in_group_p(gid)));
	need_owner = so->flags;

	if (need_chown)
		return ns_capable(ns, CAP_CHOWN) || ns_capable(ns, CAP_IPC_OWNER);
	if (need_owner && !owner)
		return ns_capable(ns, CAP_FOWNER) ||
		       ns_capable(ns, CAP_IPC_OWNER);
	return true;
}

/**
 * kmsgq_registry_setowner() - change a queue's mode, owner or group
 * @so: the request (KMSGQ_IOC_SETOWNER), flags and reserved fields checked
 *
 * As chmod(2) and chown(2) on a file; new opens see the change, and the
 * storage stays charged to the creator.
 *
 * Return: 0, -ENOENT, -EPERM, -EINVAL (an id the caller's user namespace
 * does not map), or a name error.
 */
int kmsgq_registry_setowner(const struct kmsgq_setowner *so)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid = make_kuid(ns, so->uid);
	kgid_t gid = make_kgid(ns, so->gid);
	struct kmsgq_queue *q;
	int err;

	err = kmsgq_registry_check_name(so->name, sizeof(so->name));
	if (err)
		return err;
	if (((so->flags & KMSGQ_SETOWNER_UID) && !uid_valid(uid)) ||
	    ((so->flags & KMSGQ_SETOWNER_GID) && !gid_valid(gid)))
		return -EINVAL;

	mutex_lock(&kmsgq_registry_lock);
	q = kmsgq_registry_lookup(so->name, kmsgq_registry_current_ns());
	if (!q) {
		err = -ENOENT;
	} else if (!kmsgq_registry_may_setowner(q, so, uid, gid)) {
		err = -EPERM;
	} else {
		/* GETATTR reads them under the queue's lock. */
		spin_lock(&q->lock);
		if (so->flags & KMSGQ_SETOWNER_MODE)
			q->mode = so->mode & 0777;
		if (so->flags & KMSGQ_SETOWNER_UID)
			q->uid = uid;
		if (so->flags & KMSGQ_SETOWNER_GID)
			q->gid = gid;
		spin_unlock(&q->lock);
	}
	mutex_unlock(&kmsgq_registry_lock);
	return err;
}

/**
 * kmsgq_registry_unlink_all() - drop every name, at module exit
 *
 * No file can be open then, so every queue is freed, and every namespace
 * let go.
 */
void kmsgq_registry_unlink_all(void)
{
	struct kmsgq_queue *q;

	cancel_delayed_work_sync(&kmsgq_registry_reaper);
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
	e->qflags = kmsgq_queue_qflags(q);
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
	e->msgs_lost = atomic64_read(&q->msgs_lost);
}

/**
 * kmsgq_registry_show() - one line per named queue, for debugfs
 * @m: seq_file to print to
 *
 * Every IPC namespace's queues; the last column is the namespace's inode
 * number, as /proc/PID/ns/ipc shows it.
 */
void kmsgq_registry_show(struct seq_file *m)
{
	struct kmsgq_queue_entry e;
	struct kmsgq_queue *q;

	seq_puts(m, "name depth max_msgs max_msgsize sent recv bytes_sent bytes_recv send_waiters recv_waiters mode uid gid type ipcns\n");
	mutex_lock(&kmsgq_registry_lock);
	list_for_each_entry(q, &kmsgq_all, all) {
		kmsgq_registry_describe(q, &init_user_ns, &e);
		seq_printf(m, "%s %u %u %u %llu %llu %llu %llu %u %u %04o %u %u %s %u\n",
			   e.name, e.cur_msgs, e.max_msgs, e.max_msgsize,
			   e.msgs_sent, e.msgs_recv, e.bytes_sent,
			   e.bytes_recv, e.send_waiters, e.recv_waiters,
			   e.mode, e.uid, e.gid,
			   e.qflags & KMSGQ_OPEN_FANOUT ? "fanout" :
			   e.qflags & KMSGQ_OPEN_RING ? "ring" : "copy",
			   q->kns->ns->inum);
	}
	mutex_unlock(&kmsgq_registry_lock);
}

/**
 * kmsgq_registry_list() - describe named queues of the caller's IPC namespace
 * @cursor: in: report queues with a greater id; out: id of the last reported
 * @ents: room for @nr entries, filled in
 * @nr: entries wanted
 *
 * Return: entries filled, fewer than @nr only at the end of the list.
 */
unsigned int kmsgq_registry_list(u64 *cursor, struct kmsgq_queue_entry *ents,
				 unsigned int nr)
{
	struct ns_common *ns = kmsgq_registry_current_ns();
	struct kmsgq_queue *q;
	unsigned int n = 0;

	kmsgq_registry_reap_now();
	mutex_lock(&kmsgq_registry_lock);
	list_for_each_entry(q, &kmsgq_all, all) {
		if (q->id <= *cursor || q->kns->ns != ns)
			continue;
		kmsgq_registry_describe(q, current_user_ns(), &ents[n]);
		*cursor = q->id;
		if (++n == nr)
			break;
	}
	mutex_unlock(&kmsgq_registry_lock);
	return n;
}
