// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's create, unlink, chmod and chown: queues made, removed and
 * given another mode or owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmsgqctl.h"

/* create */

/* The qflags of an overflow policy. */
#define ADMIN_OVERFLOW	(KMSGQ_OPEN_OVERFLOW_FAIL | KMSGQ_OPEN_OVERFLOW_DROP)
/* The qflags that an existing queue must have as asked, given or not. */
#define ADMIN_KIND	(KMSGQ_OPEN_RING | KMSGQ_OPEN_RECLAIM | KMSGQ_OPEN_SENDER | \
			 KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_INPLACE)

/*
 * Depth a queue created with @depth gets: rings and fan-out queues
 * (@pow2) round up to 2^n >= 2.
 */
static unsigned int admin_real_depth(unsigned int depth, bool pow2)
{
	unsigned int d = 2;

	if (!pow2)
		return depth;
	while (d < depth && d <= 0x80000000U / 2)
		d *= 2;
	return d < depth ? depth : d;
}

/*
 * @name existed before a create without --excl: fine if it has every
 * attribute the command gave (its type, reclaiming or not and recording
 * senders or not, always; the rest when given; an @overflow of -1 was not
 * given).  @kind holds the KMSGQ_OPEN_RING, _RECLAIM, _SENDER, _FANOUT
 * and _INPLACE asked for.
 */
static int admin_create_existing(const char *name, unsigned int kind,
				 int overflow, unsigned int depth,
				 unsigned int msgsize, int mode)
{
	const struct kmsgq_queue_entry *e;
	struct qlist l;
	int ret = 0;

	if (list_fetch(&l))
		return EXIT_FAILURE;
	e = list_find(&l, name);
	if (!e)		/* unlinked in between */
		ret = kmsgqctl_fail(name,
				    "queue exists but vanished; try again");
	else if ((e->qflags & ADMIN_KIND) != kind ||
		 (overflow >= 0 && (e->qflags & ADMIN_OVERFLOW) !=
				   (unsigned int)overflow) ||
		 (depth && e->max_msgs !=
			   admin_real_depth(depth, kind & (KMSGQ_OPEN_RING |
						   KMSGQ_OPEN_FANOUT))) ||
		 (msgsize && e->max_msgsize != msgsize) ||
		 (mode >= 0 && e->mode != (unsigned int)mode))
		ret = kmsgqctl_fail(name, "queue exists with other attributes (type %s, overflow %s, depth %u, msgsize %u, mode %04o)",
				    list_queue_kind(e), list_queue_overflow(e),
				    e->max_msgs, e->max_msgsize, e->mode);
	free(l.e);
	return ret;
}

int admin_cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ring", no_argument, NULL, 'r' },
		{ "reclaim", no_argument, NULL, 'R' },
		{ "sender", no_argument, NULL, 'S' },
		{ "fanout", no_argument, NULL, 'F' },
		{ "inplace", no_argument, NULL, 'I' },
		{ "overflow", required_argument, NULL, 'o' },
		{ "depth", required_argument, NULL, 'd' },
		{ "msgsize", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "excl", no_argument, NULL, 'x' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct kmsgq_attr attr = { 0 };
	struct kmsgq_info info;
	bool ring = false, reclaim = false, sender = false, excl = false;
	bool fanout = false, inplace = false;
	const char *name;
	int mode = -1, overflow = -1;
	mode_t umask_was;
	int c, fd, ret;

	while ((c = kmsgqctl_next_opt(argc, argv, ":rRSFIo:d:s:m:xjh",
				      longopts)) != -1) {
		switch (c) {
		case 'r':
			ring = true;
			break;
		case 'R':
			reclaim = true;
			break;
		case 'S':
			sender = true;
			break;
		case 'F':
			fanout = true;
			break;
		case 'I':
			inplace = true;
			break;
		case 'o':
			overflow = list_overflow_qflag(optarg);
			if (overflow < 0)
				kmsgqctl_usage_error("--overflow: '%s' is not block, fail or drop",
						     optarg);
			break;
		case 'd':
			attr.max_msgs = kmsgqctl_parse_uint("--depth", optarg,
							    1, UINT32_MAX,
							    false);
			break;
		case 's':
			attr.max_msgsize = kmsgqctl_parse_uint("--msgsize",
							       optarg, 1,
							       UINT32_MAX,
							       true);
			break;
		case 'm':
			mode = kmsgqctl_parse_mode("--mode", optarg);
			break;
		case 'x':
			excl = true;
			break;
		}
	}
	name = kmsgqctl_one_name(argc, argv);
	if (reclaim && !ring)
		kmsgqctl_usage_error("create: --reclaim makes a reclaiming ring: give --ring with it");
	if (reclaim && fanout)
		kmsgqctl_usage_error("create: a fan-out queue has no claims to reclaim: --reclaim or --fanout");
	if (inplace && !(fanout && ring))
		kmsgqctl_usage_error("create: --inplace makes a fan-out queue publishers write in place: give --fanout --ring with it");
	if (inplace && sender)
		kmsgqctl_usage_error("create: a payload written in place has no one sender: --sender or --inplace");

	/* The kernel says EINVAL for both; tell a bad limit from a bad name. */
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (attr.max_msgs > info.max_msgs)
		return kmsgqctl_fail(name, "--depth %u is above the module's limit max_msgs %u",
				     attr.max_msgs, info.max_msgs);
	if (attr.max_msgsize > info.max_msgsize)
		return kmsgqctl_fail(name, "--msgsize %u is above the module's limit max_msgsize %u",
				     attr.max_msgsize, info.max_msgsize);
	if (overflow > 0 && !(info.features & KMSGQ_FEAT_OVERFLOW))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module has no overflow policies");
	if (reclaim && !(info.features & KMSGQ_FEAT_RECLAIM))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module has no reclaiming rings");
	if (sender && !(info.features & KMSGQ_FEAT_SENDER))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module records no senders");
	if (fanout && !(info.features & KMSGQ_FEAT_FANOUT))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module has no fan-out queues");
	if (fanout && ring && !(info.features & KMSGQ_FEAT_FANOUT_MAP))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module has no fan-out queues that subscribers map (--fanout --ring)");
	if (inplace && !(info.features & KMSGQ_FEAT_FANOUT_INPLACE))
		return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
				     "the loaded kmsgq module has no fan-out queues that publishers write in place (--inplace)");
	if (ring)
		attr.qflags = KMSGQ_OPEN_RING;
	if (reclaim)
		attr.qflags |= KMSGQ_OPEN_RECLAIM;
	if (sender)
		attr.qflags |= KMSGQ_OPEN_SENDER;
	if (fanout)
		attr.qflags |= KMSGQ_OPEN_FANOUT;
	if (inplace)
		attr.qflags |= KMSGQ_OPEN_INPLACE;
	if (overflow > 0)
		attr.qflags |= overflow;

	/* The mode is applied as given, as mkdir -m does. */
	umask_was = umask(0);
	fd = kmsgq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			mode >= 0 ? mode : 0600, &attr);
	umask(umask_was);
	if (fd >= 0) {
		ret = kmsgq_close(fd);
		return ret ? kmsgqctl_fail_errno(name, -ret) : 0;
	}

	switch (-fd) {
	case EEXIST:
		if (excl)
			return kmsgqctl_fail(name, "queue exists");
		return admin_create_existing(name, attr.qflags & ADMIN_KIND,
					     overflow, attr.max_msgs,
					     attr.max_msgsize, mode);
	case ENOSPC:
		return kmsgqctl_fail(name,
				     "too many queues (module limits user_queues_max per user, max_queues %u in all)",
				     info.max_queues);
	case EMFILE:
		return kmsgqctl_fail(name, "over this user's queue storage limit (module parameter user_bytes_max)");
	default:
		return kmsgqctl_fail_queue(name, fd);
	}
}

/* unlink */

int admin_cmd_unlink(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	bool force = false;
	int c, err, ret = 0;

	while ((c = kmsgqctl_next_opt(argc, argv, ":fjh", longopts)) != -1)
		force = true;
	kmsgqctl_need_name(argc);
	if (dev_open() < 0)
		return EXIT_FAILURE;
	for (; optind < argc; optind++) {
		err = kmsgq_unlink(argv[optind]);
		if (err == -ENOENT && force)
			continue;
		if (err == -EPERM)
			ret = kmsgqctl_fail(argv[optind],
					    "%s (only the owner may unlink)",
					    strerror(EPERM));
		else if (err)
			ret = kmsgqctl_fail_queue(argv[optind], err);
	}
	return ret;
}

/* chmod and chown */

/* What chmod or chown sets: a mode, or an owner and a group (-1: kept). */
struct admin_change {
	bool chown;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/*
 * Report that changing queue @name failed with @err.  A chown's EINVAL is
 * about an id rather than the name if the queue exists.
 */
static int admin_change_failed(const char *name, int err, bool chown)
{
	struct qlist l;
	bool exists;

	if (err == -EPERM)
		return kmsgqctl_fail(name, "%s (not the owner, or a new owner without CAP_CHOWN)",
				     strerror(EPERM));
	if (err == -EINVAL && chown && !list_fetch(&l)) {
		exists = list_find(&l, name);
		free(l.e);
		if (exists)
			return kmsgqctl_fail(name, "user or group id not mapped in this user namespace");
	}
	return kmsgqctl_fail_queue(name, err);
}

/* Apply @c to each queue named on the command line, from optind on. */
static int admin_change(int argc, char **argv, const struct admin_change *c)
{
	const char *name;
	int err, ret = 0;

	kmsgqctl_need_name(argc);
	if (dev_open() < 0)
		return EXIT_FAILURE;
	for (; optind < argc; optind++) {
		name = argv[optind];
		err = c->chown ? kmsgq_chown(name, c->uid, c->gid) :
				 kmsgq_chmod(name, c->mode);
		if (err == -ENOTTY)
			return kmsgqctl_fail(KMSGQ_DEVICE_PATH,
					     "the loaded kmsgq module cannot change a queue's mode or owner");
		if (err)
			ret = admin_change_failed(name, err, c->chown);
	}
	return ret;
}

/* The first argument after the options: chmod's mode, chown's owner. */
static char *admin_first_arg(int argc, char **argv, const char *what)
{
	static const struct option longopts[] = {
		OPT_JSON, OPT_HELP, OPT_END
	};

	while (kmsgqctl_next_opt(argc, argv, ":jh", longopts) != -1)
		;
	if (optind == argc)
		kmsgqctl_usage_error("%s: missing %s", argv[0], what);
	return argv[optind++];
}

int admin_cmd_chmod(int argc, char **argv)
{
	struct admin_change c = { .chown = false };

	c.mode = kmsgqctl_parse_mode("chmod",
				     admin_first_arg(argc, argv, "mode"));
	return admin_change(argc, argv, &c);
}

/* chown's user (@group false) or group: a name, else a decimal id. */
static unsigned int admin_parse_id(const char *s, bool group)
{
	unsigned int id;

	if (group ? names_group_id(s, &id) : names_user_id(s, &id))
		return id;
	if (*s && strspn(s, "0123456789") == strlen(s))
		return kmsgqctl_parse_uint("chown", s, 0, UINT32_MAX - 1,
					   false);
	kmsgqctl_usage_error("chown: no such %s '%s'",
			     group ? "group" : "user", s);
}

int admin_cmd_chown(int argc, char **argv)
{
	struct admin_change c = {
		.chown = true, .uid = (uid_t)-1, .gid = (gid_t)-1
	};
	char *owner, *group;

	/* OWNER, OWNER:GROUP or :GROUP */
	owner = admin_first_arg(argc, argv, "owner");
	group = strchr(owner, ':');
	if (group) {
		*group++ = '\0';
		if (!*group)
			kmsgqctl_usage_error("chown: no group after '%s:'",
					     owner);
	} else if (!*owner) {
		kmsgqctl_usage_error("chown: missing owner");
	}
	if (*owner)
		c.uid = admin_parse_id(owner, false);
	if (group)
		c.gid = admin_parse_id(group, true);
	return admin_change(argc, argv, &c);
}
