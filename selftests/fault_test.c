// SPDX-License-Identifier: GPL-2.0
/*
 * Description: every allocation and user copy that kmsgq makes for a system
 * call is made to fail, one at a time, on each path: create (copy, ring,
 * fan-out and in-place fan-out queues, kmalloc'd and vmalloc'd storage, new
 * and existing users), subscribing to a fan-out queue, binding an in-place
 * publisher to one and its commits, list, send, receive, the control
 * ioctls, mmap and epoll.  Each failure must end in a clean result (ENOMEM,
 * EFAULT, or a batch cut short), leave no half-made queue, subscriber,
 * publisher or charge behind, and keep every other message of the queue,
 * in order, for every subscriber of a fan-out queue.  A fan-out
 * publisher's copy that faults leaves a hole its subscribers skip and is
 * tried again, a bounded number of times; an in-place commit whose lengths
 * cannot be copied in commits nothing, and its slot stays reserved.
 * Needs a kernel with fault injection (vm/debug.config); skips on others,
 * and skips what needs in-place publishing on modules without it.
 *
 * Method: writing N to /proc/thread-self/fail-nth fails the Nth fault point
 * this thread passes; reading back 0 says it was reached.  N = 1, 2, ...
 * thus fails each fault point of a call in turn, until a call passes fewer
 * than N.  The stack filter of every fault attribute (/sys/kernel/debug/
 * fail*) is set to the module's text, so only allocations and copies made
 * with a kmsgq frame on the stack count, and failslab and fail_page_alloc
 * are told to fail sleeping and order-0 allocations too.  Each injected
 * failure dumps its stack (verbose 2); the first kmsgq frame of the dump,
 * read back from /dev/kmsg, names the call site.  The tests print the sites
 * they failed, and check that every allocation of the module failed, and
 * that the kernel logged no report (bug, warning, kmemleak switched off)
 * besides the dumps.
 *
 * Faults inside vmalloc() are left out (a reject range): when kvmalloc()
 * falls back to vmalloc() and that fails, warn_alloc() dumps a stack that no
 * fault-injection header announces (vm/results.sh would count it as a
 * kernel splat), and the module sees the same NULL as when kmalloc() fails,
 * which the small queue shapes cover.  kvmalloc()'s kmalloc() attempt is
 * still failed, so the large shapes get vmalloc'd storage.
 */
#include "kmsgq_test.h"

#include <glob.h>
#include <sys/epoll.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* kvmalloc()'s fallback; every vmalloc() allocation is made under it. */
#define VMALLOC_FN	"__vmalloc_node_range_noprof"

#define MSG_SIZE	64	/* max_msgsize of the send/receive queues */
#define DEPTH		64	/* their max_msgs */
#define PREFILL_SEND	6	/* messages queued before each send */
#define PREFILL_RECV	24	/* ... before each receive */
#define SEND_BATCH	20	/* more than the module's chunk of 16 */
#define RECV_BATCH	18
#define LIST_QUEUES	20	/* more than LIST gathers per chunk (16) */
#define LIST_MAX	256	/* entries one LIST call may return here */
#define MAX_KNOBS	64
#define MAX_SITES	128
#define MAX_NAMES	(LIST_QUEUES + 16)
#define UID_BASE	61000	/* real uids the create loops are charged to */
/* Copies a fan-out publish tries (the module's KMSGQ_FANOUT_FAULT_TRIES). */
#define FANOUT_FAULT_TRIES	4
/* fail-nth of a call meant to count its fault points, not to fail one. */
#define COUNT_ONLY	1000000
/*
 * A call with more than 2 * EXHAUSTIVE fault points has only its first and
 * last EXHAUSTIVE failed one by one, and every STRIDE-th in between (the
 * 515 page allocations of the large ring).
 */
#define EXHAUSTIVE	40
#define STRIDE		29
/* Sweeps over one call's fault points while its op->cover sites wait. */
#define MAX_PASSES	12

struct knob {
	char path[128];
	char val[48];
};

/* A call site in the module that a fault injection failed. */
struct site {
	char attr[24];		/* failslab, fail_page_alloc, fail_usercopy */
	char where[96];		/* first kmsgq frame of the dump: func+0xoff */
	unsigned int failed;	/* injections there that failed the call */
	unsigned int absorbed;	/* injections there that the call survived */
};

/* What /dev/kmsg said about one injection. */
struct dump {
	int count;		/* fault-injection dumps */
	char attr[24];
	char where[96];
	char report[200];	/* a kernel report outside them */
};

FIXTURE(fault) {
	int nth;		/* /proc/thread-self/fail-nth */
	int kmsg;		/* /dev/kmsg, read from where it stood */
	int dev;		/* unbound /dev/kmsgq file: INFO, UNLINK, LIST */
	__u64 features;		/* the module's (KMSGQ_FEAT_*) */
	struct knob knobs[MAX_KNOBS];
	int nr_knobs;
	char names[MAX_NAMES][KMSGQ_NAME_MAX];
	int nr_names;
	struct site sites[MAX_SITES];
	int nr_sites;
};

struct msg {
	char data[MSG_SIZE];
	__u32 len;
	__u32 prio;
};

/* What a queue must hold, in the order receivers must get it. */
struct model {
	struct msg m[DEPTH];
	unsigned int n;
};

/* State shared by an operation's prepare, call and check. */
struct run {
	FIXTURE_DATA(fault) *self;
	const char *kind;	/* "copy", "ring", "fanout" or "inplace" */
	bool ring;
	bool fanout;
	int fd;			/* the queue; on a fan-out one, a subscriber */
	int sub2;		/* a fan-out queue's second subscriber, or -1 */
	int fd2;		/* a second file: OPEN, SETATTR, epoll, publish */
	const char *name;
	const char *name2;
	struct model model;
	struct model model2;	/* what sub2 has to receive */
	unsigned long long published;	/* messages sent to a fan-out queue */
	unsigned long long delivered;	/* ... and received by subscribers */
	unsigned int seq;	/* messages made so far */
	struct msg out[SEND_BATCH];
	struct kmsgq_msg xmsgs[SEND_BATCH];
	char in[RECV_BATCH][MSG_SIZE];
	long raw;		/* a call's result before it was normalised */
	/* create */
	__u32 qflags, msgs, msgsize;
	/* map */
	struct kmsgq_ring map;
	struct msg seen;
	/* list */
	struct kmsgq_queue_entry *ents;
	int list_first;		/* self->names[] index of the first queue */
	/* in-place publishing, by fd2: message out[0] in its reserved slot */
	struct kmsgq_fanout_pub pub;
	__u32 lens[1];
	unsigned int kept;	/* failed commits that kept the slot reserved */
	unsigned int done;	/* ... that committed (the copy-out failed) */
};

/* Allocation call sites of the module, in the functions they may sit in. */
struct alloc_site {
	const char *what;
	const char *funcs;	/* once inlined */
	unsigned int sites;
};

/*
 * One system call (or two, for map) under test.  @call returns the number
 * of messages moved, 0 for calls that move none, or -errno.
 */
struct op {
	const char *what;
	long full;		/* what an uninjected call returns */
	bool batch;		/* may stop short after a failed copy */
	bool allocates;		/* may fail with ENOMEM, or survive one */
	unsigned int min_points;	/* fault points it must pass */
	unsigned int passes;	/* sweeps over its fault points (default 1) */
	/*
	 * Allocation sites that must have failed a call: more sweeps, up to
	 * MAX_PASSES, until they have (an entry of alloc_sites[]).
	 */
	const struct alloc_site *cover;
	void (*prepare)(struct __test_metadata *_metadata, struct run *r);
	long (*call)(struct run *r);
	/* Check what a call that returned @ret left, injected or not. */
	void (*check)(struct __test_metadata *_metadata, struct run *r,
		      long ret);
};

/* Kernel addresses: 64-bit, also in a 32-bit build of this test. */
struct range {
	unsigned long long start, end;
};

/* Remember @path's value for the teardown, then write @val (if any). */
static int knob_set(FIXTURE_DATA(fault) *self, const char *path,
		    const char *val)
{
	int i, err;

	for (i = 0; i < self->nr_knobs; i++)
		if (!strcmp(self->knobs[i].path, path))
			break;
	if (i == self->nr_knobs) {
		struct knob *k = &self->knobs[i];

		if (i == MAX_KNOBS)
			return -ENOSPC;
		snprintf(k->path, sizeof(k->path), "%s", path);
		err = read_file(path, k->val, sizeof(k->val));
		if (err)
			return err;
		self->nr_knobs++;
	}
	return val ? write_file(path, val) : 0;
}

static int knob_setf(FIXTURE_DATA(fault) *self, const char *dir,
		     const char *file, const char *fmt, unsigned long long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(val, sizeof(val), fmt, v);
	return knob_set(self, path, val);
}

static const char *track_name(FIXTURE_DATA(fault) *self, const char *tag)
{
	char *name;

	if (self->nr_names == MAX_NAMES)
		abort();
	name = self->names[self->nr_names++];
	snprintf(name, KMSGQ_NAME_MAX, "fault-%d-%s", getpid(), tag);
	return name;
}

/* Fan-out queues whose publishers write in place: the module has them. */
static bool has_inplace(FIXTURE_DATA(fault) *self)
{
	return self->features & KMSGQ_FEAT_FANOUT_INPLACE;
}

/*
 * The module's core text: from its base (/proc/modules) for coresize
 * bytes, cut at its first non-text symbol above the base; every text
 * symbol of the module must lie inside.  And the text of VMALLOC_FN, up to
 * the next symbol.  Return: NULL, or why they could not be found.
 */
static const char *find_ranges(struct range *text, struct range *vm)
{
	unsigned long long base = 0, addr, tmin = ~0ULL, tmax = 0, vm_fn = 0;
	char line[512], name[256], mod[64], type;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		return "cannot open /proc/modules";
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kmsgq %*u %*u %*s %*s %llx", &base) == 1)
			break;
	fclose(f);
	if (!base)
		return "kmsgq's address is missing or hidden in /proc/modules";
	if (read_file("/sys/module/kmsgq/coresize", line, sizeof(line)))
		return "cannot read /sys/module/kmsgq/coresize";
	text->start = base;
	text->end = base + strtoull(line, NULL, 10);
	vm->start = 0;
	vm->end = 0;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return "cannot open /proc/kallsyms";
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		if (sscanf(line, "%llx %c %255s %63s", &addr, &type, name,
			   mod) < 3)
			continue;
		if (!strcmp(mod, "[kmsgq]")) {
			if (type == 't' || type == 'T') {
				if (addr < tmin)
					tmin = addr;
				if (addr > tmax)
					tmax = addr;
			} else if (addr > base && addr < text->end) {
				text->end = addr;
			}
		} else if (!mod[0] && !vm_fn && !strcmp(name, VMALLOC_FN)) {
			vm_fn = addr;
		} else if (!mod[0] && vm_fn && !vm->end && addr > vm_fn) {
			/* vmlinux's symbols are listed in address order. */
			vm->start = vm_fn;
			vm->end = addr;
		}
	}
	fclose(f);
	if (tmin < text->start || tmax >= text->end)
		return "kmsgq's text symbols lie outside its text range";
	if (!vm->end)
		return "no " VMALLOC_FN " in /proc/kallsyms";
	return NULL;
}

/*
 * Aim every fault attribute at the module: count only fault points with a
 * kmsgq frame and no vmalloc() frame on the stack, fail sleeping and
 * order-0 allocations, dump the stack of each failure without rate limit.
 */
static int aim_faults(FIXTURE_DATA(fault) *self, const struct range *text,
		      const struct range *vm)
{
	static const char *const bools[] = {
		"ignore-gfp-wait", "ignore-gfp-highmem",
	};
	glob_t g;
	size_t i, j;
	int err = 0;

	if (glob(DEBUGFS_DIR "/*/require-start", 0, NULL, &g))
		return -ENOENT;
	for (i = 0; i < g.gl_pathc && !err; i++) {
		char *dir = g.gl_pathv[i], path[160];

		*strrchr(dir, '/') = '\0';
		err = knob_setf(self, dir, "require-start", "0x%llx", text->start) ?:
		      knob_setf(self, dir, "require-end", "0x%llx", text->end) ?:
		      knob_setf(self, dir, "reject-start", "0x%llx", vm->start) ?:
		      knob_setf(self, dir, "reject-end", "0x%llx", vm->end) ?:
		      knob_setf(self, dir, "stacktrace-depth", "%llu", 32ULL) ?:
		      knob_setf(self, dir, "verbose", "%llu", 2ULL) ?:
		      knob_setf(self, dir, "verbose_ratelimit_interval_ms",
				"%llu", 0ULL);
		/* A failure counts down "times"; give it back at the end. */
		snprintf(path, sizeof(path), "%s/times", dir);
		err = err ?: knob_set(self, path, NULL);
		for (j = 0; j < ARRAY_SIZE(bools) && !err; j++) {
			snprintf(path, sizeof(path), "%s/%s", dir, bools[j]);
			if (!access(path, F_OK))
				err = knob_set(self, path, "N");
		}
		snprintf(path, sizeof(path), "%s/min-order", dir);
		if (!err && !access(path, F_OK))
			err = knob_set(self, path, "0");
	}
	globfree(&g);
	return err;
}

/* Give @path back the value the fixture found there. */
static int knob_reset(FIXTURE_DATA(fault) *self, const char *path)
{
	int i;

	for (i = 0; i < self->nr_knobs; i++)
		if (!strcmp(self->knobs[i].path, path))
			return write_file(path, self->knobs[i].val);
	return -ENOENT;
}

static void restore_knobs(FIXTURE_DATA(fault) *self)
{
	while (self->nr_knobs > 0) {
		struct knob *k = &self->knobs[--self->nr_knobs];

		if (write_file(k->path, k->val))
			ksft_print_msg("cannot restore %s to %s\n", k->path,
				       k->val);
	}
}

FIXTURE_SETUP(fault)
{
	static const char *const needed[] = {
		DEBUGFS_DIR "/failslab",
		DEBUGFS_DIR "/fail_page_alloc",
		DEBUGFS_DIR "/fail_usercopy",
		DEBUGFS_DIR "/failslab/require-start",
	};
	struct kmsgq_info info;
	struct range text, vm;
	const char *why;
	size_t i;
	int err;

	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no " FAIL_NTH ": kernel without CONFIG_FAULT_INJECTION");
	for (i = 0; i < ARRAY_SIZE(needed); i++)
		if (access(needed[i], F_OK))
			SKIP(return, "no %s: see vm/debug.config", needed[i]);

	self->dev = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", KMSGQ_DEVICE_PATH,
				       strerror(errno));
	ASSERT_EQ(0, kmsgq_info(self->dev, &info));
	self->features = info.features;
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth) TH_LOG("open %s: %s", FAIL_NTH, strerror(errno));
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->kmsg) TH_LOG("open /dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END));

	why = find_ranges(&text, &vm);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	err = aim_faults(self, &text, &vm) ?:
	      knob_set(self, PARAM_DIR "user_bytes_max", NULL);
	if (err)
		restore_knobs(self);
	ASSERT_EQ(0, err) TH_LOG("setting up %s/fail*: %s", DEBUGFS_DIR,
				 strerror(-err));
}

/*
 * Run by the process that forked the test's: in the 6.12 harness a failed
 * ASSERT skips a teardown in the test's own process when built with -O2
 * (longjmp() clobbers the harness's "child" variable), which would leave
 * the fault attributes aimed at the module.  The test's files are closed
 * by then, so unlinking its names frees its queues.
 */
FIXTURE_TEARDOWN_PARENT(fault)
{
	int i;

	restore_knobs(self);
	for (i = 0; i < self->nr_names; i++)
		kmsgq_unlink(self->names[i]);
}

static int nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* fail-nth left: 0 if the armed fault point was reached, or -errno. */
static long nth_left(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * What, outside fault-injection dumps, is a kernel report: a bug, a
 * warning, kmemleak turned off (it is when it cannot allocate its own
 * objects), or an allocation failure warning (which a vmalloc() failure
 * would print, were it not left out).  kmemleak's "Cannot allocate a scan
 * area" is not one: it then scans the whole object.
 */
static const char *const reports[] = {
	"BUG:", "WARNING:", "KASAN", "UBSAN", "INFO:", "Oops",
	"general protection", "circular locking", "Call Trace",
	"leak detector disabled", "kmemleak_object", "Memory pool empty",
	"allocation failure", "vmalloc error",
};

/*
 * Read the kernel log printed since the last read and describe it: the
 * fault-injection dumps in it, which attribute failed and the first
 * reliable kmsgq frame of the stack (e.g. "kmsgq_store_init+0x5e"), and
 * the first kernel report outside them.
 */
static void read_kmsg(int fd, struct dump *d)
{
	char rec[4096], *msg, *p;
	bool in_dump = false;
	size_t i;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		/* /dev/kmsg shows a newline inside a record as \x0a. */
		if (strstr(msg, "FAULT_INJECTION: forcing a failure")) {
			in_dump = true;
			if (d->count++)
				continue;
			p = strstr(msg, "name ");
			if (p)
				sscanf(p + 5, "%23[^,]", d->attr);
			continue;
		}
		if (!in_dump) {
			for (i = 0; i < ARRAY_SIZE(reports); i++)
				if (!d->report[0] && strstr(msg, reports[i]))
					snprintf(d->report, sizeof(d->report),
						 "%s", msg);
			continue;
		}
		if (!strncmp(msg, "name ", 5)) {
			if (d->count == 1)
				sscanf(msg + 5, "%23[^,]", d->attr);
		} else if (strstr(msg, "</TASK>")) {
			in_dump = false;
		} else if (d->count == 1 && !d->where[0] &&
			   strstr(msg, " [kmsgq")) {
			p = msg + strspn(msg, " ");
			if (strncmp(p, "? ", 2))
				snprintf(d->where, sizeof(d->where), "%.*s",
					 (int)strcspn(p, "/ "), p);
		}
	}
}

static void add_site(FIXTURE_DATA(fault) *self, const struct dump *d,
		     bool failed)
{
	const char *attr = d->count ? d->attr : "(no dump: __GFP_NOWARN)";
	const char *where = d->where[0] ? d->where : "?";
	struct site *s;
	int i;

	for (i = 0; i < self->nr_sites; i++)
		if (!strcmp(self->sites[i].attr, attr) &&
		    !strcmp(self->sites[i].where, where))
			break;
	if (i == self->nr_sites) {
		if (i == MAX_SITES)
			return;
		self->nr_sites++;
		s = &self->sites[i];
		snprintf(s->attr, sizeof(s->attr), "%s", attr);
		snprintf(s->where, sizeof(s->where), "%s", where);
		s->failed = 0;
		s->absorbed = 0;
	}
	s = &self->sites[i];
	if (failed)
		s->failed++;
	else
		s->absorbed++;
}

static bool is_alloc_attr(const char *attr)
{
	return !strcmp(attr, "failslab") || !strcmp(attr, "fail_page_alloc");
}

/*
 * Is @s the first site of its kind (allocation or copy) at its place?  An
 * allocation site may fail in the slab and in the page allocator.
 */
static bool first_at(FIXTURE_DATA(fault) *self, const struct site *s)
{
	const struct site *t;

	for (t = self->sites; t < s; t++)
		if (t->failed && !strcmp(t->where, s->where) &&
		    is_alloc_attr(t->attr) == is_alloc_attr(s->attr))
			return false;
	return true;
}

/*
 * Is the function of @where ("func+0xoff") one of the words of @funcs?  A
 * compiler's clone of a function ("func.constprop.0+0xoff", ".isra.0",
 * ".part.0") counts as the function.
 */
static bool in_funcs(const char *where, const char *funcs)
{
	size_t len = strcspn(where, ".+"), n;

	for (; *funcs; funcs += n + strspn(funcs + n, " ")) {
		n = strcspn(funcs, " ");
		if (n == len && !strncmp(funcs, where, len))
			return true;
	}
	return false;
}

/* Allocation call sites in one of @funcs that failed a call. */
static unsigned int failed_alloc_sites(FIXTURE_DATA(fault) *self,
				       const char *funcs)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < self->nr_sites; i++) {
		struct site *s = &self->sites[i];

		if (s->failed && is_alloc_attr(s->attr) && first_at(self, s) &&
		    in_funcs(s->where, funcs))
			n++;
	}
	return n;
}

/* End of a test: no kernel report since the last call; the sites failed. */
static void finish(struct __test_metadata *_metadata,
		   FIXTURE_DATA(fault) *self)
{
	unsigned int alloc = 0, copy = 0;
	struct dump d;
	int i;

	read_kmsg(self->kmsg, &d);
	EXPECT_EQ(0, d.report[0]) TH_LOG("%s", d.report);

	for (i = 0; i < self->nr_sites; i++) {
		struct site *s = &self->sites[i];

		ksft_print_msg("site %-15s %-32s failed %u, survived %u\n",
			       s->attr, s->where, s->failed, s->absorbed);
		if (!s->failed || !first_at(self, s))
			continue;
		if (is_alloc_attr(s->attr))
			alloc++;
		else if (!strcmp(s->attr, "fail_usercopy"))
			copy++;
	}
	ksft_print_msg("%u allocation sites and %u user-copy sites failed a call\n",
		       alloc, copy);
}

/* The next fault point to fail after @n, of a call that passes @points. */
static unsigned int next_point(unsigned int n, unsigned int points)
{
	if (points <= 2 * EXHAUSTIVE || n < EXHAUSTIVE ||
	    n + EXHAUSTIVE >= points)
		return n + 1;
	return n + STRIDE < points - EXHAUSTIVE ? n + STRIDE :
						  points - EXHAUSTIVE;
}

/*
 * A copy the module retries when it fails: a small message's, made under
 * the queue lock with page faults off (kmsgq_queue_copy_in_locked() and
 * kmsgq_queue_copy_out_locked()), which then goes the long way; and a
 * fan-out publisher's, made with page faults off too, the only user copy
 * of kmsgq_fanout_send() (or of kmsgq_fanout_publish() or
 * kmsgq_queue_copy_in(), if not inlined) on a fan-out queue, after which
 * the slot is a hole and the message is copied again.
 */
static bool is_retried_copy(const struct run *r, const struct dump *d)
{
	if (!d->count || strcmp(d->attr, "fail_usercopy"))
		return false;
	if (r->fanout && in_funcs(d->where, "kmsgq_fanout_send "
				  "kmsgq_fanout_publish kmsgq_queue_copy_in"))
		return true;
	return in_funcs(d->where, "kmsgq_queue_copy_in_locked "
			"kmsgq_queue_copy_out_locked");
}

/* Outcomes of the injections into one operation. */
struct tally {
	unsigned int injected, enomem, efault, cut, survived;
};

/*
 * Fail fault point @n of @op's call, and check the outcome.  Return: false
 * once the call passes fewer than @n points (then nothing failed).
 */
static bool inject_at(struct __test_metadata *_metadata, struct run *r,
		      const struct op *op, unsigned int n, struct tally *t)
{
	FIXTURE_DATA(fault) *self = r->self;
	struct dump d;
	long ret, left;

	if (op->prepare)
		op->prepare(_metadata, r);
	read_kmsg(self->kmsg, &d);
	ASSERT_EQ(0, d.report[0])
		TH_LOG("[%s] %s: before fault point %u: %s", r->kind,
		       op->what, n, d.report);
	ASSERT_EQ(0, nth_arm(self->nth, n));
	ret = op->call(r);
	left = nth_left(self->nth);
	ASSERT_EQ(0, nth_arm(self->nth, 0));
	ASSERT_LE(0, left);
	read_kmsg(self->kmsg, &d);
	ASSERT_EQ(0, d.report[0])
		TH_LOG("[%s] %s: fault point %u: %s", r->kind, op->what, n,
		       d.report);
	if (left) {
		ASSERT_EQ(0, d.count);
		ASSERT_EQ(op->full, ret);
		if (op->check)
			op->check(_metadata, r, ret);
		return false;
	}

	t->injected++;
	ASSERT_GE(1, d.count) TH_LOG("%d fault dumps for one injection",
				     d.count);
	if (d.count && !is_alloc_attr(d.attr))
		ASSERT_EQ(0, strcmp(d.attr, "fail_usercopy"))
			TH_LOG("unexpected fault attribute %s", d.attr);
	if (ret == -EFAULT) {
		/* A failed copy is reported, and only a copy fails so. */
		ASSERT_EQ(0, strcmp(d.attr, "fail_usercopy"))
			TH_LOG("[%s] %s: EFAULT at point %u after %s",
			       r->kind, op->what, n, d.attr);
		t->efault++;
	} else if (ret == -ENOMEM) {
		ASSERT_TRUE(op->allocates && (!d.count || is_alloc_attr(d.attr)))
			TH_LOG("[%s] %s: ENOMEM at point %u after %s",
			       r->kind, op->what, n, d.attr);
		t->enomem++;
	} else if (op->batch && ret > 0 && ret < op->full) {
		/* A batch stops at a failed copy, after the first. */
		ASSERT_EQ(0, strcmp(d.attr, "fail_usercopy"))
			TH_LOG("[%s] %s: %ld of %ld at point %u after %s",
			       r->kind, op->what, ret, op->full, n, d.attr);
		t->cut++;
	} else if (ret == op->full) {
		/*
		 * Only an allocation can fail and leave the call whole: a
		 * kvmalloc() whose kmalloc() attempt failed took vmalloc(),
		 * or a debug allocation (kmemleak, memcg, KASAN) nested in
		 * the module's failed.  Or the copy of a small message made
		 * under the queue lock, which a failure sends the long way.
		 */
		ASSERT_TRUE((op->allocates &&
			     (!d.count || is_alloc_attr(d.attr))) ||
			    is_retried_copy(r, &d))
			TH_LOG("[%s] %s: point %u (%s at %s) failed without effect",
			       r->kind, op->what, n, d.attr, d.where);
		t->survived++;
	} else {
		ASSERT_EQ(op->full, ret)
			TH_LOG("[%s] %s: unexpected result at point %u (%s at %s)",
			       r->kind, op->what, n, d.attr, d.where);
	}
	add_site(self, &d, ret != op->full);
	if (op->check)
		op->check(_metadata, r, ret);
	return true;
}

/*
 * After @pass sweeps: has one of the sites @op covers not failed yet?  A
 * debug allocation's fault point that comes and goes before it can leave
 * one of them between two failed Ns in every sweep.
 */
static bool sweep_again(FIXTURE_DATA(fault) *self, const struct op *op,
			unsigned int pass)
{
	return pass < MAX_PASSES && op->cover &&
	       failed_alloc_sites(self, op->cover->funcs) < op->cover->sites;
}

/*
 * Fail each fault point of @op's call in turn, after one uninjected call
 * that counts them.  The fault points of debug allocations nested in the
 * module's (kmemleak's objects, and new slab pages, which KASAN's
 * quarantine makes come and go) vary from call to call and shift the
 * module's own points: calls that allocate are swept op->passes times, so
 * that each of their points falls on a failed N, and more times while a
 * site op->cover names has not failed (three sweeps once missed one).
 */
static void inject_each(struct __test_metadata *_metadata, struct run *r,
			const struct op *op)
{
	FIXTURE_DATA(fault) *self = r->self;
	unsigned int points, n, pass, passes;
	struct tally t = { 0 };
	struct dump d;
	long ret, left;

	if (op->prepare)
		op->prepare(_metadata, r);
	read_kmsg(self->kmsg, &d);
	ASSERT_EQ(0, d.report[0]) TH_LOG("before %s: %s", op->what, d.report);
	ASSERT_EQ(0, nth_arm(self->nth, COUNT_ONLY));
	ret = op->call(r);
	left = nth_left(self->nth);
	ASSERT_EQ(0, nth_arm(self->nth, 0));
	ASSERT_LT(0, left);
	read_kmsg(self->kmsg, &d);
	ASSERT_EQ(0, d.count);
	ASSERT_EQ(0, d.report[0]) TH_LOG("%s: %s", op->what, d.report);
	points = COUNT_ONLY - left;
	ASSERT_EQ(op->full, ret) TH_LOG("[%s] %s without a fault", r->kind,
					op->what);
	if (op->check)
		op->check(_metadata, r, ret);
	ASSERT_LE(op->min_points, points)
		TH_LOG("[%s] %s passed %u fault points under kmsgq frames: is the stack filter aimed at the module?",
		       r->kind, op->what, points);

	passes = points > 2 * EXHAUSTIVE ? 1 : op->passes ?: 1;
	for (pass = 0; pass < passes || sweep_again(self, op, pass); pass++) {
		n = 1;
		while (inject_at(_metadata, r, op, n, &t))
			n = next_point(n, points);
	}
	passes = pass;
	ksft_print_msg("[%s] %s: %u fault points, %u failed in %u sweeps: ENOMEM %u, EFAULT %u, batch cut short %u, call survived %u\n",
		       r->kind, op->what, points, t.injected, passes, t.enomem,
		       t.efault, t.cut, t.survived);
}

/* Messages */

static struct msg make_msg(struct run *r, unsigned int prio)
{
	unsigned int id = r->seq++, i;
	struct msg m;

	m.len = 1 + (id * 13) % MSG_SIZE;
	m.prio = r->ring || r->fanout ? 0 : prio;
	for (i = 0; i < MSG_SIZE; i++)
		m.data[i] = (char)(id * 31 + i);
	return m;
}

/* Queue @m in the model: after every message of its priority or higher. */
static void model_add(struct model *mo, const struct msg *m)
{
	unsigned int pos = mo->n;

	while (pos > 0 && mo->m[pos - 1].prio < m->prio)
		pos--;
	memmove(&mo->m[pos + 1], &mo->m[pos], (mo->n - pos) * sizeof(*m));
	mo->m[pos] = *m;
	mo->n++;
}

/* @m was sent: every subscriber has it to receive. */
static void model_sent(struct run *r, const struct msg *m)
{
	model_add(&r->model, m);
	if (r->sub2 >= 0)
		model_add(&r->model2, m);
	r->published++;
}

static void model_drop(struct model *mo, unsigned int k)
{
	memmove(&mo->m[0], &mo->m[k], (mo->n - k) * sizeof(mo->m[0]));
	mo->n -= k;
}

static bool same_msg(const struct msg *want, const void *data, __u32 len)
{
	return len == want->len && !memcmp(data, want->data, len);
}

static void send_one(struct __test_metadata *_metadata, struct run *r,
		     unsigned int prio)
{
	struct msg m = make_msg(r, prio);

	ASSERT_EQ(0, kmsgq_send(r->fd, m.data, m.len, m.prio));
	model_sent(r, &m);
}

/* Empty @fd's queue into @got; return how many messages it held. */
static unsigned int drain(struct __test_metadata *_metadata, struct run *r,
			  int fd, struct msg *got, unsigned int room)
{
	unsigned int n = 0;
	ssize_t len;

	for (;;) {
		ASSERT_GT(room, n) TH_LOG("[%s] the queue holds more than %u",
					  r->kind, room);
		len = kmsgq_receive(fd, got[n].data, MSG_SIZE, &got[n].prio);
		if (len == -EAGAIN)
			return n;
		ASSERT_LE(0, len) TH_LOG("[%s] draining: %s", r->kind,
					 strerror(-len));
		got[n++].len = len;
	}
}

/* Empty @fd's queue and check that it held @mo, in order. */
static void drain_model(struct __test_metadata *_metadata, struct run *r,
			int fd, struct model *mo)
{
	struct msg got[DEPTH + 1];
	unsigned int n, i;

	n = drain(_metadata, r, fd, got, DEPTH + 1);
	ASSERT_EQ(mo->n, n) TH_LOG("[%s] the queue holds %u messages, not %u",
				   r->kind, n, mo->n);
	for (i = 0; i < n; i++) {
		const struct msg *want = &mo->m[i];

		ASSERT_TRUE(same_msg(want, got[i].data, got[i].len))
			TH_LOG("[%s] message %u of %u differs", r->kind, i, n);
		ASSERT_EQ(want->prio, got[i].prio);
	}
	r->delivered += n;
	mo->n = 0;
}

/*
 * A fan-out queue's counters add up: it counts every message published
 * (holes are none) and every delivery to a subscriber; both subscribers
 * have read all, lost none, and no other subscriber is left.
 */
static void check_fanout_counts(struct __test_metadata *_metadata,
				struct run *r)
{
	struct kmsgq_stats st;
	int fds[] = { r->fd, r->sub2 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		ASSERT_EQ(0, kmsgq_stats(fds[i], &st));
		EXPECT_EQ(r->published, st.msgs_sent);
		EXPECT_EQ(r->delivered, st.msgs_recv);
		EXPECT_EQ(0, st.msgs_lost);
		EXPECT_EQ(0, st.cur_msgs);
		EXPECT_EQ(0, st.sub_lag);
		EXPECT_EQ(0, st.sub_lost);
		EXPECT_EQ(2, st.subscribers);
	}
}

/*
 * Empty the queue and check that it held the model, in order; on a
 * fan-out queue, for both subscribers, and that the counts add up.
 */
static void drain_check(struct __test_metadata *_metadata, struct run *r)
{
	drain_model(_metadata, r, r->fd, &r->model);
	if (r->sub2 < 0)
		return;
	drain_model(_metadata, r, r->sub2, &r->model2);
	check_fanout_counts(_metadata, r);
}

static long xfer(struct run *r, unsigned long req, unsigned int nr)
{
	return xfer_ioctl(r->fd, req, (uintptr_t)r->xmsgs, nr,
			  KMSGQ_XFER_NONBLOCK, 0, NULL);
}

/* Send */

static void prepare_send(struct __test_metadata *_metadata, struct run *r,
			 unsigned int nr)
{
	static const unsigned int prios[] = { 0, 3, 1, 3, 0, 2, 7, 1 };
	unsigned int i;

	for (i = 0; i < PREFILL_SEND; i++)
		send_one(_metadata, r, prios[i % 8]);
	for (i = 0; i < nr; i++) {
		r->out[i] = make_msg(r, prios[(i + 3) % 8]);
		r->xmsgs[i] = (struct kmsgq_msg){
			.buf = (__u64)(uintptr_t)r->out[i].data,
			.len = r->out[i].len,
			.prio = r->out[i].prio,
		};
	}
}

static void prepare_send1(struct __test_metadata *_metadata, struct run *r)
{
	prepare_send(_metadata, r, 1);
}

/* write() sends at priority 0. */
static void prepare_write(struct __test_metadata *_metadata, struct run *r)
{
	prepare_send(_metadata, r, 1);
	r->out[0].prio = 0;
	r->xmsgs[0].prio = 0;
}

static void prepare_send_batch(struct __test_metadata *_metadata,
			       struct run *r)
{
	prepare_send(_metadata, r, SEND_BATCH);
}

static long call_write(struct run *r)
{
	ssize_t n = write(r->fd, r->out[0].data, r->out[0].len);

	if (n < 0)
		return -errno;
	return (size_t)n == r->out[0].len ? 1 : -EIO;
}

static long call_send1(struct run *r)
{
	return xfer(r, KMSGQ_IOC_SEND, 1);
}

static long call_send_batch(struct run *r)
{
	return xfer(r, KMSGQ_IOC_SEND, SEND_BATCH);
}

/* The queue holds what it held, then the messages the call reports sent. */
static void check_send(struct __test_metadata *_metadata, struct run *r,
		       long ret)
{
	long i;

	for (i = 0; i < ret; i++)
		model_sent(r, &r->out[i]);
	drain_check(_metadata, r);
}

/* Receive */

static void prepare_recv(struct __test_metadata *_metadata, struct run *r)
{
	static const unsigned int prios[] = { 0, 5, 2, 5, 1, 0, 9 };
	unsigned int i;

	for (i = 0; i < PREFILL_RECV; i++)
		send_one(_metadata, r, prios[i % 7]);
	for (i = 0; i < RECV_BATCH; i++) {
		memset(r->in[i], 0, MSG_SIZE);
		r->xmsgs[i] = (struct kmsgq_msg){
			.buf = (__u64)(uintptr_t)r->in[i],
			.len = MSG_SIZE,
		};
	}
}

static long call_read(struct run *r)
{
	ssize_t n = read(r->fd, r->in[0], MSG_SIZE);

	if (n < 0)
		return -errno;
	r->xmsgs[0].len = n;
	r->xmsgs[0].prio = r->model.m[0].prio;	/* read() reports none */
	return 1;
}

static long call_recv1(struct run *r)
{
	return xfer(r, KMSGQ_IOC_RECV, 1);
}

static long call_recv_batch(struct run *r)
{
	return xfer(r, KMSGQ_IOC_RECV, RECV_BATCH);
}

/*
 * The call got the model's first messages, as many as it reports; the
 * queue keeps the rest in order, the one whose copy-out failed included.
 */
static void check_recv(struct __test_metadata *_metadata, struct run *r,
		       long ret)
{
	long i;

	for (i = 0; i < ret; i++) {
		ASSERT_TRUE(same_msg(&r->model.m[i], r->in[i],
				     r->xmsgs[i].len))
			TH_LOG("[%s] received message %ld differs", r->kind, i);
		ASSERT_EQ(r->model.m[i].prio, r->xmsgs[i].prio);
	}
	if (ret > 0) {
		model_drop(&r->model, ret);
		r->delivered += ret;
	}
	drain_check(_metadata, r);
}

/* Create and list */

/*
 * Call sites each allocation of the module must have failed at, by the
 * functions they may sit in once inlined.
 */
enum {
	ALLOC_REGISTRY, ALLOC_STORE, ALLOC_RING, ALLOC_FANOUT,
	ALLOC_SUBSCRIBER, ALLOC_PUBLISHER, ALLOC_LIST, NR_ALLOC_SITES
};

static const struct alloc_site alloc_sites[NR_ALLOC_SITES] = {
	[ALLOC_REGISTRY] = { "user account, queue, namespace entry",
	  "kmsgq_registry_user_get kmsgq_registry_charge kmsgq_registry_charge_one kmsgq_queue_alloc kmsgq_registry_ns_get kmsgq_registry_create kmsgq_registry_open",
	  3 },
	[ALLOC_STORE] = { "store arrays free, next, len, prio, data", "kmsgq_store_init", 5 },
	[ALLOC_RING] = { "ring page array, pages, vmap", "kmsgq_ring_init", 3 },
	[ALLOC_FANOUT] = { "fan-out store seq, len, data", "kmsgq_fanout_init", 3 },
	/*
	 * Not its xarray entry's node: xa_store() first tries with the
	 * xarray's lock held and __GFP_NOWARN, and a failure there sends it
	 * to allocate again, a fault point no call reaches uninjected.
	 */
	[ALLOC_SUBSCRIBER] = { "subscriber", "kmsgq_fanout_subscribe", 1 },
	/* Nor its xarray entry's node, for the same reason. */
	[ALLOC_PUBLISHER] = { "in-place publisher", "kmsgq_inplace_bind", 1 },
	[ALLOC_LIST] = { "LIST buffer", "kmsgq_ioctl_list kmsgq_ioctl", 1 },
};

static const struct shape {
	const char *what;
	__u32 qflags;
	__u32 msgs, msgsize;
	bool existing_user;	/* the creator already has a queue */
	/* its storage's allocation sites (op.cover) */
	const struct alloc_site *cover;
} shapes[] = {
	{ "create copy queue 4 x 64 B, new user", 0, 4, 64, false,
	  &alloc_sites[ALLOC_STORE] },
	{ "create copy queue 4 x 64 B, user with a queue", 0, 4, 64, true,
	  NULL },
	/* Every store array above PAGE_SIZE: kvmalloc() takes vmalloc(). */
	{ "create copy queue 5000 x 16 B (vmalloc'd arrays)", 0, 5000, 16,
	  false, NULL },
	{ "create ring queue 4 x 64 B, new user", KMSGQ_OPEN_RING, 4, 64,
	  false, &alloc_sites[ALLOC_RING] },
	/* 515 pages: the page array is above PAGE_SIZE. */
	{ "create ring queue 1024 x 2 KiB (vmalloc'd page array)",
	  KMSGQ_OPEN_RING, 1024, 2048, false, NULL },
	/* The creating file reads: it subscribes once the queue exists. */
	{ "create fan-out queue 4 x 64 B, subscribing", KMSGQ_OPEN_FANOUT,
	  4, 64, false, &alloc_sites[ALLOC_FANOUT] },
	/*
	 * Its store is one vmalloc() area, left out (see the top); the
	 * creating file also writes: it binds as a publisher, then
	 * subscribes.  Only where the module has in-place publishing.
	 */
	{ "create in-place fan-out queue 4 x 64 B, publishing",
	  KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_INPLACE, 4, 64,
	  false, &alloc_sites[ALLOC_PUBLISHER] },
};

/* Bind @fd to a new queue @name of the run's shape: 0 or -errno. */
static int create_on(struct run *r, int fd, const char *name)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_CREATE | KMSGQ_OPEN_EXCL | r->qflags,
		.mode = 0600,
		.max_msgs = r->msgs,
		.max_msgsize = r->msgsize,
	};

	snprintf(op.name, sizeof(op.name), "%s", name);
	return xioctl(fd, KMSGQ_IOC_OPEN, &op);
}

/* Create @name and close the file: 0 or -errno; the name stays. */
static int create(struct run *r, const char *name)
{
	int fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = create_on(r, fd, name);
	close(fd);
	return ret;
}

static int exists(const char *name)
{
	int fd = kmsgq_open(name, O_RDONLY, 0, NULL);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

/*
 * Set user_bytes_max to the least that lets the run's user create one
 * queue of the run's shape (beside the queues it has): then a leaked
 * charge would make the next create fail.
 */
static void cap_to_one(struct __test_metadata *_metadata, struct run *r)
{
	unsigned long lo = 1, hi = 16UL << 20, mid;	/* the shapes need far less */
	int ret;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		ASSERT_EQ(0, write_param("user_bytes_max", mid));
		ret = create(r, r->name);
		if (ret) {
			ASSERT_EQ(-EMFILE, ret);
			lo = mid + 1;
		} else {
			ASSERT_EQ(0, kmsgq_unlink(r->name));
			hi = mid;
		}
	}
	ASSERT_EQ(0, write_param("user_bytes_max", lo));
}

static void prepare_create(struct __test_metadata *_metadata, struct run *r)
{
	r->fd = open(KMSGQ_DEVICE_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, r->fd);
}

static long call_create(struct run *r)
{
	return create_on(r, r->fd, r->name);
}

/*
 * A queue was made whole, or not at all: no name, an unbound file, no
 * charge (the same file creates it now, under a cap that fits just one).
 */
static void check_create(struct __test_metadata *_metadata, struct run *r,
			 long ret)
{
	__u32 depth = r->msgs;
	struct kmsgq_attr attr;
	unsigned int prio;
	char buf[64];

	if (ret) {
		EXPECT_EQ(-ENOENT, exists(r->name));
		EXPECT_EQ(-ENOTCONN, kmsgq_getattr(r->fd, &attr));
		ASSERT_EQ(0, create_on(r, r->fd, r->name))
			TH_LOG("creating again after %s", strerror(-ret));
	}
	if (r->qflags & KMSGQ_OPEN_RING)
		while (depth & (depth - 1))
			depth++;
	ASSERT_EQ(0, kmsgq_getattr(r->fd, &attr));
	EXPECT_EQ(depth, attr.max_msgs);
	EXPECT_EQ(r->msgsize, attr.max_msgsize);
	EXPECT_EQ(r->qflags, attr.qflags);
	ASSERT_EQ(0, kmsgq_send(r->fd, "fault", 5, 0));
	ASSERT_EQ(5, kmsgq_receive(r->fd, buf, sizeof(buf), &prio));
	/* The cap fits one: a second queue of the shape does not. */
	EXPECT_EQ(-EMFILE, create(r, r->name2));
	close(r->fd);
	r->fd = -1;
	ASSERT_EQ(0, kmsgq_unlink(r->name));
}

static long call_list(struct run *r)
{
	struct kmsgq_list l = {
		.size = sizeof(l),
		.entries = (__u64)(uintptr_t)r->ents,
		.entry_size = sizeof(r->ents[0]),
		.nr = LIST_MAX,
	};
	long ret;

	memset(r->ents, 0, LIST_MAX * sizeof(r->ents[0]));
	ret = ioctl(r->self->dev, KMSGQ_IOC_LIST, &l);
	r->raw = ret;
	return ret < 0 ? -errno : 0;
}

/* An uninjected LIST names every queue the test made. */
static void check_list(struct __test_metadata *_metadata, struct run *r,
		       long ret)
{
	FIXTURE_DATA(fault) *self = r->self;
	int i, j, found = 0;

	if (ret)
		ASSERT_EQ(0, call_list(r));
	ASSERT_GT(LIST_MAX, r->raw) TH_LOG("too many queues to list");
	for (i = r->list_first; i < self->nr_names; i++)
		for (j = 0; j < r->raw; j++)
			if (!strcmp(self->names[i], r->ents[j].name))
				found++;
	EXPECT_EQ(LIST_QUEUES, found);
}

TEST_F_TIMEOUT(fault, every_allocation_of_create_and_list_fails_cleanly, 900)
{
	static const struct op create_op = {
		.full = 0, .allocates = true, .passes = 3,
		/* the copy-in, the account, the queue and its storage */
		.min_points = 4,
		.prepare = prepare_create, .call = call_create,
		.check = check_create,
	};
	static const struct op list_op = {
		.what = "LIST", .full = 0, .allocates = true, .passes = 3,
		/* the copy-in, the buffer, an entry, the copy-out */
		.min_points = 4,
		.cover = &alloc_sites[ALLOC_LIST],
		.call = call_list,
		.check = check_list,
	};
	struct run r = {
		.self = self, .kind = "create", .fd = -1, .sub2 = -1,
	};
	const char *holder = track_name(self, "holder");
	size_t i;

	r.name = track_name(self, "c");
	r.name2 = track_name(self, "c2");
	r.ents = calloc(LIST_MAX, sizeof(r.ents[0]));
	ASSERT_NE(NULL, r.ents);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		const struct shape *s = &shapes[i];
		struct op op = create_op;

		if ((s->qflags & KMSGQ_OPEN_INPLACE) && !has_inplace(self))
			continue;
		op.what = s->what;
		op.cover = s->cover;
		r.qflags = s->qflags;
		r.msgs = s->msgs;
		r.msgsize = s->msgsize;
		/* Charge a user of our own: the queues it has are ours. */
		ASSERT_EQ(0, setresuid(UID_BASE + i, 0, 0));
		ASSERT_EQ(0, knob_reset(self, PARAM_DIR "user_bytes_max"));
		if (s->existing_user)
			ASSERT_EQ(0, create(&r, holder));
		cap_to_one(_metadata, &r);
		inject_each(_metadata, &r, &op);
		if (s->existing_user)
			ASSERT_EQ(0, kmsgq_unlink(holder));
		ASSERT_EQ(0, setresuid(0, 0, 0));
	}

	ASSERT_EQ(0, knob_reset(self, PARAM_DIR "user_bytes_max"));
	r.kind = "list";
	r.qflags = 0;
	r.msgs = 1;
	r.msgsize = 1;
	r.list_first = self->nr_names;
	for (i = 0; i < LIST_QUEUES; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "l%zu", i);
		ASSERT_EQ(0, create(&r, track_name(self, tag)));
	}
	inject_each(_metadata, &r, &list_op);
	free(r.ents);

	finish(_metadata, self);
	for (i = 0; i < ARRAY_SIZE(alloc_sites); i++) {
		unsigned int n = failed_alloc_sites(self, alloc_sites[i].funcs);

		if (i == ALLOC_PUBLISHER && !has_inplace(self))
			continue;
		ksft_print_msg("%s: %u of %u call sites failed\n",
			       alloc_sites[i].what, n, alloc_sites[i].sites);
		EXPECT_LE(alloc_sites[i].sites, n)
			TH_LOG("not every allocation of %s failed: %s",
			       alloc_sites[i].what, alloc_sites[i].funcs);
	}
}

/* Send, receive */

/*
 * The kinds of queue every transfer is tried on; and an in-place fan-out
 * queue, which only the tests of in-place publishing make.
 */
enum kind {
	KIND_COPY, KIND_RING, KIND_FANOUT, NR_KINDS,
	KIND_INPLACE = NR_KINDS
};

/*
 * Create a queue of @kind, bound to r->fd (read and write); a fan-out one
 * gets a second subscriber, r->sub2, which must see every message too.
 */
static void open_queue(struct __test_metadata *_metadata, struct run *r,
		       enum kind kind)
{
	static const char *const kinds[] = {
		"copy", "ring", "fanout", "inplace",
	};
	static const __u32 qflags[] = {
		0, KMSGQ_OPEN_RING, KMSGQ_OPEN_FANOUT,
		KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_INPLACE,
	};
	struct kmsgq_attr attr = {
		.qflags = qflags[kind],
		.max_msgs = DEPTH,
		.max_msgsize = MSG_SIZE,
	};

	r->ring = kind == KIND_RING;
	r->fanout = kind == KIND_FANOUT || kind == KIND_INPLACE;
	r->kind = kinds[kind];
	r->name = track_name(r->self, r->kind);
	r->fd = kmsgq_open(r->name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK,
			   0600, &attr);
	ASSERT_LE(0, r->fd) TH_LOG("creating %s: %s", r->name,
				   strerror(-r->fd));
	r->sub2 = -1;
	if (r->fanout) {
		r->sub2 = kmsgq_subscribe(r->name, O_RDONLY | O_NONBLOCK, 0);
		ASSERT_LE(0, r->sub2);
	}
	r->model.n = 0;
	r->model2.n = 0;
	r->published = 0;
	r->delivered = 0;
}

static void close_queue(struct run *r)
{
	close(r->fd);
	if (r->sub2 >= 0)
		close(r->sub2);
	r->fd = -1;
	r->sub2 = -1;
}

/* Every op of @ops, each fault point in turn, on a queue of every kind. */
static void inject_on_every_kind(struct __test_metadata *_metadata,
				 FIXTURE_DATA(fault) *self,
				 const struct op *ops, size_t nr)
{
	struct run r = { .self = self };
	size_t i;
	int kind;

	for (kind = 0; kind < NR_KINDS; kind++) {
		open_queue(_metadata, &r, kind);
		for (i = 0; i < nr; i++)
			inject_each(_metadata, &r, &ops[i]);
		close_queue(&r);
	}
	finish(_metadata, self);
}

TEST_F_TIMEOUT(fault, failed_copies_in_send_keep_every_other_message, 600)
{
	static const struct op ops[] = {
		{ .what = "write()", .full = 1, .min_points = 1,
		  .prepare = prepare_write, .call = call_write,
		  .check = check_send },
		{ .what = "SEND of 1", .full = 1, .min_points = 3,
		  .prepare = prepare_send1, .call = call_send1,
		  .check = check_send },
		{ .what = "SEND of 20", .full = SEND_BATCH, .batch = true,
		  .min_points = SEND_BATCH + 3,
		  .prepare = prepare_send_batch, .call = call_send_batch,
		  .check = check_send },
	};

	inject_on_every_kind(_metadata, self, ops, ARRAY_SIZE(ops));
}

TEST_F_TIMEOUT(fault, failed_copies_in_receive_keep_every_other_message, 600)
{
	static const struct op ops[] = {
		{ .what = "read()", .full = 1, .min_points = 1,
		  .prepare = prepare_recv, .call = call_read,
		  .check = check_recv },
		{ .what = "RECV of 1", .full = 1, .min_points = 3,
		  .prepare = prepare_recv, .call = call_recv1,
		  .check = check_recv },
		{ .what = "RECV of 18", .full = RECV_BATCH, .batch = true,
		  .min_points = RECV_BATCH + 3,
		  .prepare = prepare_recv, .call = call_recv_batch,
		  .check = check_recv },
	};

	inject_on_every_kind(_metadata, self, ops, ARRAY_SIZE(ops));
}

/* Control ioctls and mmap, on a queue holding CONTROL_MSGS messages. */
#define CONTROL_MSGS	3

static void prepare_control(struct __test_metadata *_metadata, struct run *r)
{
	struct kmsgq_attr attr;

	ASSERT_EQ(0, kmsgq_getattr(r->fd, &attr));
	ASSERT_EQ(r->model.n, attr.cur_msgs);
}

static long call_info(struct run *r)
{
	struct kmsgq_info info = { .size = sizeof(info) };
	int ret = xioctl(r->self->dev, KMSGQ_IOC_INFO, &info);

	return ret ?: (info.abi_version == KMSGQ_ABI_VERSION ? 0 : -EPROTO);
}

static void prepare_open(struct __test_metadata *_metadata, struct run *r)
{
	r->fd2 = open(KMSGQ_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r->fd2);
}

static long call_open(struct run *r)
{
	struct kmsgq_open op = { .size = sizeof(op) };

	snprintf(op.name, sizeof(op.name), "%s", r->name);
	return xioctl(r->fd2, KMSGQ_IOC_OPEN, &op);
}

/* A failed OPEN leaves the file unbound, free to bind. */
static void check_open(struct __test_metadata *_metadata, struct run *r,
		       long ret)
{
	struct kmsgq_attr attr;

	if (ret) {
		EXPECT_EQ(-ENOTCONN, kmsgq_getattr(r->fd2, &attr));
		ASSERT_EQ(0, call_open(r));
	}
	ASSERT_EQ(0, kmsgq_getattr(r->fd2, &attr));
	EXPECT_EQ(r->model.n, attr.cur_msgs);
	close(r->fd2);
}

static long call_getattr(struct run *r)
{
	struct kmsgq_attr attr = { .size = sizeof(attr) };
	int ret = xioctl(r->fd, KMSGQ_IOC_GETATTR, &attr);

	if (ret)
		return ret;
	return attr.cur_msgs == r->model.n && attr.max_msgs == DEPTH &&
	       attr.max_msgsize == MSG_SIZE ? 0 : -EPROTO;
}

static void prepare_setattr(struct __test_metadata *_metadata, struct run *r)
{
	prepare_open(_metadata, r);
	ASSERT_EQ(0, call_open(r));
}

/* SETATTR makes the second file non-blocking. */
static long call_setattr(struct run *r)
{
	struct kmsgq_attr attr = {
		.size = sizeof(attr),
		.flags = KMSGQ_ATTR_NONBLOCK,
	};

	return xioctl(r->fd2, KMSGQ_IOC_SETATTR, &attr);
}

static void check_setattr(struct __test_metadata *_metadata, struct run *r,
			  long ret)
{
	int fl = fcntl(r->fd2, F_GETFL);

	ASSERT_LE(0, fl);
	EXPECT_EQ(ret ? 0 : O_NONBLOCK, fl & O_NONBLOCK);
	close(r->fd2);
}

static long call_stats(struct run *r)
{
	struct kmsgq_stats st = { .size = sizeof(st) };
	int ret = xioctl(r->fd, KMSGQ_IOC_STATS, &st);

	return ret ?: (st.cur_msgs == r->model.n ? 0 : -EPROTO);
}

static long call_ring_info(struct run *r)
{
	struct kmsgq_ring_info ri = { .size = sizeof(ri) };
	int ret = xioctl(r->fd, KMSGQ_IOC_RING_INFO, &ri);

	return ret ?: (ri.nr_slots == DEPTH && ri.slot_size == MSG_SIZE &&
		       ri.map_size >= ri.data_off + DEPTH * MSG_SIZE ?
		       0 : -EPROTO);
}

static long call_ring_wait(struct run *r)
{
	long ret = ring_ioctl(r->fd, KMSGQ_IOC_RING_WAIT, 0,
			      KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE,
			      0, 0, 0);

	if (ret < 0)
		return ret;
	/* A queue holding some messages and room for more: both hold. */
	return ret == (KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE) ? 0 : -EPROTO;
}

static long call_ring_wake(struct run *r)
{
	return ring_ioctl(r->fd, KMSGQ_IOC_RING_WAKE, 0,
			  KMSGQ_RING_READABLE | KMSGQ_RING_WRITABLE, 0, 0, 0);
}

static void prepare_unlink(struct __test_metadata *_metadata, struct run *r)
{
	struct kmsgq_attr attr = { .max_msgs = 1, .max_msgsize = 1 };
	int fd;

	fd = kmsgq_open(r->name2, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, fd);
	close(fd);
}

static long call_unlink(struct run *r)
{
	struct kmsgq_unlink ul = { .size = sizeof(ul) };

	snprintf(ul.name, sizeof(ul.name), "%s", r->name2);
	return xioctl(r->self->dev, KMSGQ_IOC_UNLINK, &ul);
}

/* A failed UNLINK leaves the name. */
static void check_unlink(struct __test_metadata *_metadata, struct run *r,
			 long ret)
{
	if (ret) {
		ASSERT_EQ(0, exists(r->name2));
		ASSERT_EQ(0, kmsgq_unlink(r->name2));
	}
	EXPECT_EQ(-ENOENT, exists(r->name2));
}

/* Map the ring and read its next message in place, without taking it. */
static long call_map(struct run *r)
{
	const struct kmsgq_ring_desc *d;
	int ret = kmsgq_ring_map(r->fd, &r->map);
	__u32 pos;

	if (ret)
		return ret;
	pos = *r->map.cons;
	d = &r->map.desc[pos & r->map.mask];
	r->seen.len = d->len;
	if (d->seq != pos + 1 || d->len > MSG_SIZE)
		return -EPROTO;
	memcpy(r->seen.data, kmsgq_ring_slot(&r->map, pos), d->len);
	return 0;
}

static void check_map(struct __test_metadata *_metadata, struct run *r,
		      long ret)
{
	if (ret)
		return;
	EXPECT_TRUE(same_msg(&r->model.m[0], r->seen.data, r->seen.len));
	ASSERT_EQ(0, kmsgq_ring_unmap(&r->map));
}

static void prepare_epoll(struct __test_metadata *_metadata, struct run *r)
{
	prepare_control(_metadata, r);
	r->fd2 = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, r->fd2);
}

/* epoll allocates an entry for each wait queue kmsgq_poll() names. */
static long call_epoll(struct run *r)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };

	return epoll_ctl(r->fd2, EPOLL_CTL_ADD, r->fd, &ev) ? -errno : 0;
}

/* A failed ADD leaves nothing registered; the queue polls as before. */
static void check_epoll(struct __test_metadata *_metadata, struct run *r,
			long ret)
{
	struct epoll_event ev;

	if (ret) {
		EXPECT_EQ(-1, epoll_ctl(r->fd2, EPOLL_CTL_DEL, r->fd, NULL));
		EXPECT_EQ(ENOENT, errno);
		ASSERT_EQ(0, call_epoll(r));
	}
	ASSERT_EQ(1, epoll_wait(r->fd2, &ev, 1, 0));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, ev.events);
	close(r->fd2);
}

TEST_F_TIMEOUT(fault, control_calls_fail_cleanly_and_change_nothing, 600)
{
	static const struct op ops[] = {
		{ .what = "INFO", .min_points = 2, .call = call_info },
		{ .what = "OPEN of an existing queue", .min_points = 1,
		  .prepare = prepare_open, .call = call_open,
		  .check = check_open },
		{ .what = "GETATTR", .min_points = 2, .call = call_getattr },
		{ .what = "SETATTR", .min_points = 1,
		  .prepare = prepare_setattr, .call = call_setattr,
		  .check = check_setattr },
		{ .what = "STATS", .min_points = 2, .call = call_stats },
		{ .what = "UNLINK", .min_points = 1,
		  .prepare = prepare_unlink, .call = call_unlink,
		  .check = check_unlink },
		{ .what = "epoll_ctl() ADD", .allocates = true, .passes = 3,
		  .min_points = 2, .prepare = prepare_epoll,
		  .call = call_epoll, .check = check_epoll },
	};
	static const struct op ring_ops[] = {
		{ .what = "RING_INFO", .min_points = 2,
		  .call = call_ring_info },
		{ .what = "RING_WAIT", .min_points = 1,
		  .call = call_ring_wait },
		{ .what = "RING_WAKE", .min_points = 1,
		  .call = call_ring_wake },
		{ .what = "mmap() and reading in place", .min_points = 2,
		  .call = call_map, .check = check_map },
	};
	struct run r = { .self = self };
	unsigned int i;
	int ring;

	for (ring = 0; ring <= 1; ring++) {
		open_queue(_metadata, &r, ring);
		r.name2 = track_name(self, ring ? "ur" : "uc");
		for (i = 0; i < CONTROL_MSGS; i++)
			send_one(_metadata, &r, i);
		for (i = 0; i < ARRAY_SIZE(ops); i++) {
			struct op op = ops[i];

			op.prepare = op.prepare ?: prepare_control;
			inject_each(_metadata, &r, &op);
		}
		for (i = 0; ring && i < ARRAY_SIZE(ring_ops); i++) {
			struct op op = ring_ops[i];

			op.prepare = prepare_control;
			inject_each(_metadata, &r, &op);
		}
		/* Nothing above took or lost a message. */
		drain_check(_metadata, &r);
		close_queue(&r);
	}
	finish(_metadata, self);
}

/* Subscribing to a fan-out queue, and its publishers' faulting copies */

static void prepare_subscribe(struct __test_metadata *_metadata,
			      struct run *r)
{
	struct kmsgq_stats st;

	ASSERT_EQ(0, kmsgq_stats(r->fd, &st));
	ASSERT_EQ(2, st.subscribers);
	prepare_open(_metadata, r);
}

/*
 * A failed subscribe leaves the file unbound, and the queue as it was:
 * named, with its two subscribers.  Then the file subscribes, and its
 * close takes the subscriber away again.
 */
static void check_subscribe(struct __test_metadata *_metadata, struct run *r,
			    long ret)
{
	struct kmsgq_attr attr;
	struct kmsgq_stats st;

	if (ret) {
		EXPECT_EQ(-ENOTCONN, kmsgq_getattr(r->fd2, &attr));
		EXPECT_EQ(0, exists(r->name));
		ASSERT_EQ(0, kmsgq_stats(r->fd, &st));
		EXPECT_EQ(2, st.subscribers);
		ASSERT_EQ(0, call_open(r));
	}
	ASSERT_EQ(0, kmsgq_stats(r->fd2, &st));
	EXPECT_EQ(3, st.subscribers);
	close(r->fd2);
	ASSERT_EQ(0, kmsgq_stats(r->fd, &st));
	EXPECT_EQ(2, st.subscribers);
}

TEST_F_TIMEOUT(fault, failed_subscribes_leave_the_fanout_queue_as_it_was, 600)
{
	static const struct op op = {
		.what = "OPEN of an existing fan-out queue, subscribing",
		.allocates = true, .passes = 3,
		/* the copy-in, the subscriber (and its xarray entry's nodes) */
		.min_points = 2,
		.cover = &alloc_sites[ALLOC_SUBSCRIBER],
		.prepare = prepare_subscribe, .call = call_open,
		.check = check_subscribe,
	};
	const struct alloc_site *site = op.cover;
	struct run r = { .self = self };
	unsigned int i, n;

	open_queue(_metadata, &r, KIND_FANOUT);
	for (i = 0; i < CONTROL_MSGS; i++)
		send_one(_metadata, &r, 0);
	inject_each(_metadata, &r, &op);
	/* Nothing above took or lost a message. */
	drain_check(_metadata, &r);
	close_queue(&r);
	finish(_metadata, self);
	/* Not the xarray's nodes: see alloc_sites[]. */
	n = failed_alloc_sites(self, site->funcs);
	ksft_print_msg("%s: %u of %u call sites failed\n", site->what, n,
		       site->sites);
	EXPECT_LE(site->sites, n);
}

/* Binding an in-place publisher to a fan-out queue, and its commits */

/*
 * One KMSGQ_IOC_FANOUT_PUBLISH on r->fd2 that never sleeps: commit its
 * first @nr_commit reserved messages with r->lens, then reserve up to
 * @nr_reserve slots.  Its result; r->pub follows what the call reports.
 */
static long publish(struct run *r, __u32 nr_commit, __u32 nr_reserve)
{
	struct kmsgq_fanout_publish p = {
		.size = sizeof(p),
		.flags = KMSGQ_XFER_NONBLOCK,
		.lens = (__u64)(uintptr_t)r->lens,
		.nr_commit = nr_commit,
		.nr_reserve = nr_reserve,
	};
	int ret = xioctl(r->fd2, KMSGQ_IOC_FANOUT_PUBLISH, &p);

	if (ret >= 0) {
		r->pub.first = p.first;
		r->pub.nr = p.nr_reserved;
	}
	return ret;
}

/* Reserve a slot for r->fd2 and write the next message, r->out[0], in it. */
static void reserve_one(struct __test_metadata *_metadata, struct run *r)
{
	ASSERT_EQ(1, publish(r, 0, 1));
	r->out[0] = make_msg(r, 0);
	memcpy(kmsgq_fanout_pub_slot(&r->pub, r->pub.first), r->out[0].data,
	       r->out[0].len);
	r->lens[0] = r->out[0].len;
}

static long call_commit(struct run *r)
{
	return publish(r, 1, 0);
}

static void prepare_publisher(struct __test_metadata *_metadata,
			      struct run *r)
{
	send_one(_metadata, r, 0);
	prepare_subscribe(_metadata, r);
}

static long call_open_publisher(struct run *r)
{
	struct kmsgq_open op = {
		.size = sizeof(op),
		.flags = KMSGQ_OPEN_PUBLISHER,
	};

	snprintf(op.name, sizeof(op.name), "%s", r->name);
	return xioctl(r->fd2, KMSGQ_IOC_OPEN, &op);
}

/*
 * A failed bind leaves the file unbound, and the queue as it was: named,
 * with its two subscribers.  Then the file binds, no subscriber, and
 * publishes a message in place; its close changes nothing else, and both
 * subscribers get every message, in order.
 */
static void check_publisher(struct __test_metadata *_metadata, struct run *r,
			    long ret)
{
	struct kmsgq_attr attr;
	struct kmsgq_stats st;

	if (ret) {
		EXPECT_EQ(-ENOTCONN, kmsgq_getattr(r->fd2, &attr));
		EXPECT_EQ(0, exists(r->name));
		ASSERT_EQ(0, kmsgq_stats(r->fd, &st));
		EXPECT_EQ(2, st.subscribers);
		ASSERT_EQ(0, call_open_publisher(r));
	}
	ASSERT_EQ(0, kmsgq_stats(r->fd2, &st));
	EXPECT_EQ(2, st.subscribers);
	ASSERT_EQ(0, kmsgq_fanout_pub_map(r->fd2, &r->pub));
	EXPECT_EQ(0, r->pub.nr);
	reserve_one(_metadata, r);
	ASSERT_EQ(0, call_commit(r));
	model_sent(r, &r->out[0]);
	ASSERT_EQ(0, kmsgq_fanout_pub_unmap(&r->pub));
	close(r->fd2);
	drain_check(_metadata, r);
}

TEST_F_TIMEOUT(fault, failed_inplace_publisher_binds_leave_the_queue_as_it_was,
	       600)
{
	static const struct op op = {
		.what = "OPEN of an existing in-place fan-out queue, publishing",
		.allocates = true, .passes = 3,
		/* the copy-in, the publisher (and its xarray entry's nodes) */
		.min_points = 2,
		.cover = &alloc_sites[ALLOC_PUBLISHER],
		.prepare = prepare_publisher, .call = call_open_publisher,
		.check = check_publisher,
	};
	const struct alloc_site *site = op.cover;
	struct run r = { .self = self };
	unsigned int i, n;

	if (!has_inplace(self))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_INPLACE");
	open_queue(_metadata, &r, KIND_INPLACE);
	for (i = 0; i < CONTROL_MSGS; i++)
		send_one(_metadata, &r, 0);
	inject_each(_metadata, &r, &op);
	/* Nothing above took or lost a message. */
	drain_check(_metadata, &r);
	close_queue(&r);
	finish(_metadata, self);
	/* Not the xarray's nodes: see alloc_sites[]. */
	n = failed_alloc_sites(self, site->funcs);
	ksft_print_msg("%s: %u of %u call sites failed\n", site->what, n,
		       site->sites);
	EXPECT_LE(site->sites, n);
}

/* A message queued before each commit, and the commit's slot reserved. */
static void prepare_commit(struct __test_metadata *_metadata, struct run *r)
{
	send_one(_metadata, r, 0);
	reserve_one(_metadata, r);
}

/*
 * A commit whose copy-in (of the call, or of its lengths) failed committed
 * nothing: the subscribers get the messages before it and wait at its
 * slot, which the file still holds reserved, and a retry commits.  One
 * whose results could not be copied out has committed.  Either way both
 * subscribers get the message once, in order, and nothing stays reserved.
 */
static void check_commit(struct __test_metadata *_metadata, struct run *r,
			 long ret)
{
	long held;

	if (ret == -EFAULT) {
		held = publish(r, 0, 0);
		ASSERT_LE(0, held);
		ASSERT_GE(1, held);
		if (held) {
			r->kept++;
			drain_model(_metadata, r, r->fd, &r->model);
			drain_model(_metadata, r, r->sub2, &r->model2);
			ASSERT_EQ(0, call_commit(r));
		} else {
			r->done++;
		}
	}
	ASSERT_EQ(0, publish(r, 0, 0));
	model_sent(r, &r->out[0]);
	drain_check(_metadata, r);
}

/*
 * Every user copy of an in-place commit fails in turn: the call's copy-in,
 * the lengths', and the copy-out of its results.
 */
TEST_F_TIMEOUT(fault, a_failed_inplace_commit_commits_nothing_or_all, 300)
{
	static const struct op op = {
		.what = "FANOUT_PUBLISH committing 1",
		/* the copy-in, the lengths, the copy-out */
		.min_points = 3,
		.prepare = prepare_commit, .call = call_commit,
		.check = check_commit,
	};
	struct run r = { .self = self };

	if (!has_inplace(self))
		SKIP(return, "module without KMSGQ_FEAT_FANOUT_INPLACE");
	open_queue(_metadata, &r, KIND_INPLACE);
	r.fd2 = kmsgq_open_publisher(r.name, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r.fd2);
	ASSERT_EQ(0, kmsgq_fanout_pub_map(r.fd2, &r.pub));
	inject_each(_metadata, &r, &op);
	/* Both copy-ins kept the slot reserved; the copy-out had committed. */
	EXPECT_LE(2, r.kept);
	EXPECT_LE(1, r.done);
	ASSERT_EQ(0, kmsgq_fanout_pub_unmap(&r.pub));
	close(r.fd2);
	drain_check(_metadata, &r);
	close_queue(&r);
	finish(_metadata, self);
}

#define FAIL_USERCOPY	DEBUGFS_DIR "/fail_usercopy/"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"

/* Fail the next @times user copies this thread makes under kmsgq frames. */
static void fail_copies(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self, unsigned int times)
{
	ASSERT_EQ(0, knob_set(self, FAIL_USERCOPY "task-filter", "Y"));
	ASSERT_EQ(0, knob_setf(self, FAIL_USERCOPY, "times", "%llu", times));
	ASSERT_EQ(0, knob_set(self, FAIL_USERCOPY "probability", "100"));
	ASSERT_EQ(0, write_file(MAKE_IT_FAIL, "1"));
}

static void stop_failing(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, write_file(MAKE_IT_FAIL, "0"));
	ASSERT_EQ(0, knob_reset(self, FAIL_USERCOPY "probability"));
}

/*
 * A fan-out publisher copies with page faults off: a copy that fails
 * leaves a hole and is tried again, up to FANOUT_FAULT_TRIES copies, and
 * then the publisher gets EFAULT.  Both subscribers skip the holes: they
 * get every message published once, in order, and nothing else, and the
 * counters add up (holes are no messages).
 */
TEST_F_TIMEOUT(fault, a_fanout_publisher_whose_copies_fault_gets_efault, 300)
{
	struct run r = { .self = self };
	unsigned int faults;
	struct dump d;
	struct msg m;
	ssize_t n;

	open_queue(_metadata, &r, KIND_FANOUT);
	for (faults = 1; faults <= FANOUT_FAULT_TRIES; faults++) {
		send_one(_metadata, &r, 0);
		m = make_msg(&r, 0);
		read_kmsg(self->kmsg, &d);
		ASSERT_EQ(0, d.report[0]) TH_LOG("%s", d.report);
		fail_copies(_metadata, self, faults);
		n = write(r.fd, m.data, m.len);
		if (n < 0)
			n = -errno;
		stop_failing(_metadata, self);
		read_kmsg(self->kmsg, &d);
		EXPECT_EQ(0, d.report[0]) TH_LOG("%s", d.report);
		EXPECT_EQ(faults, d.count);
		EXPECT_EQ(0, strcmp(d.attr, "fail_usercopy")) TH_LOG("%s", d.attr);
		if (faults < FANOUT_FAULT_TRIES) {
			EXPECT_EQ(m.len, n) TH_LOG("after %u faults: %s", faults,
						   strerror(-n));
			if (n == (ssize_t)m.len)
				model_sent(&r, &m);
		} else {
			EXPECT_EQ(-EFAULT, n);
		}
		send_one(_metadata, &r, 0);
		drain_check(_metadata, &r);
	}
	close_queue(&r);
	finish(_metadata, self);
}

TEST_HARNESS_MAIN
