// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's create and unlink: queues made and removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmsgqctl.h"

/* create */

/* Depth a queue created with @depth gets: rings round up to 2^n >= 2. */
static unsigned int admin_real_depth(unsigned int depth, bool ring)
{
	unsigned int d = 2;

	if (!ring)
		return depth;
	while (d < depth && d <= 0x80000000U / 2)
		d *= 2;
	return d < depth ? depth : d;
}

/*
 * @name existed before a create without --excl: fine if it has every
 * attribute the command gave (its type always, the rest when given).
 */
static int admin_create_existing(const char *name, bool ring,
				 unsigned int depth, unsigned int msgsize,
				 int mode)
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
	else if (!!(e->qflags & KMSGQ_OPEN_RING) != ring ||
		 (depth && e->max_msgs != admin_real_depth(depth, ring)) ||
		 (msgsize && e->max_msgsize != msgsize) ||
		 (mode >= 0 && e->mode != (unsigned int)mode))
		ret = kmsgqctl_fail(name, "queue exists with other attributes (type %s, depth %u, msgsize %u, mode %04o)",
				    list_queue_type(e), e->max_msgs,
				    e->max_msgsize, e->mode);
	free(l.e);
	return ret;
}

int admin_cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ring", no_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'd' },
		{ "msgsize", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "excl", no_argument, NULL, 'x' },
		OPT_JSON, OPT_HELP, OPT_END
	};
	struct kmsgq_attr attr = { 0 };
	struct kmsgq_info info;
	bool ring = false, excl = false;
	const char *name;
	int mode = -1;
	mode_t umask_was;
	int c, fd, ret;

	while ((c = kmsgqctl_next_opt(argc, argv, ":rd:s:m:xjh",
				      longopts)) != -1) {
		switch (c) {
		case 'r':
			ring = true;
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
			mode = kmsgqctl_parse_mode(optarg);
			break;
		case 'x':
			excl = true;
			break;
		}
	}
	name = kmsgqctl_one_name(argc, argv);

	/* The kernel says EINVAL for both; tell a bad limit from a bad name. */
	if (dev_info(&info))
		return EXIT_FAILURE;
	if (attr.max_msgs > info.max_msgs)
		return kmsgqctl_fail(name, "--depth %u is above the module's limit max_msgs %u",
				     attr.max_msgs, info.max_msgs);
	if (attr.max_msgsize > info.max_msgsize)
		return kmsgqctl_fail(name, "--msgsize %u is above the module's limit max_msgsize %u",
				     attr.max_msgsize, info.max_msgsize);
	if (ring)
		attr.qflags = KMSGQ_OPEN_RING;

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
		return admin_create_existing(name, ring, attr.max_msgs,
					     attr.max_msgsize, mode);
	case ENOSPC:
		return kmsgqctl_fail(name,
				     "too many queues (module limit max_queues %u)",
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
