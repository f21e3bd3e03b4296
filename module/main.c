// SPDX-License-Identifier: GPL-2.0
/*
 * kmsgq - kernel message queues behind /dev/kmsgq.
 *
 * This file loads and unloads the module: its parameters (the limits every
 * queue is created under), the misc device, and the debugfs listing.  The
 * file operations are in file.c, the ioctls in ioctl.c.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "internal.h"

unsigned int kmsgq_max_queues = 4096;
module_param_named(max_queues, kmsgq_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues, "Most queues that may exist at once, all users");
EXPORT_SYMBOL_IF_KUNIT(kmsgq_max_queues);

unsigned int kmsgq_max_msgs = KMSGQ_MSGS_HARD_MAX;
module_param_named(max_msgs, kmsgq_max_msgs, uint, 0644);
MODULE_PARM_DESC(max_msgs, "Largest queue depth (at most 65536)");

unsigned int kmsgq_max_msgsize = 1U << 20;
module_param_named(max_msgsize, kmsgq_max_msgsize, uint, 0644);
MODULE_PARM_DESC(max_msgsize, "Largest message size (at most 4 MiB)");

unsigned int kmsgq_default_msgs = 64;
module_param_named(default_msgs, kmsgq_default_msgs, uint, 0644);
MODULE_PARM_DESC(default_msgs, "Depth of a queue created with max_msgs 0");

unsigned int kmsgq_default_msgsize = 8192;
module_param_named(default_msgsize, kmsgq_default_msgsize, uint, 0644);
MODULE_PARM_DESC(default_msgsize,
		 "Message size of a queue created with max_msgsize 0");

unsigned long kmsgq_user_bytes_max = 64UL << 20;
module_param_named(user_bytes_max, kmsgq_user_bytes_max, ulong, 0644);
MODULE_PARM_DESC(user_bytes_max, "Bytes of queue storage one user may hold");
EXPORT_SYMBOL_IF_KUNIT(kmsgq_user_bytes_max);

unsigned int kmsgq_user_queues_max = 256;
module_param_named(user_queues_max, kmsgq_user_queues_max, uint, 0644);
MODULE_PARM_DESC(user_queues_max, "Queues one user may hold");
EXPORT_SYMBOL_IF_KUNIT(kmsgq_user_queues_max);

unsigned int kmsgq_max_subscribers = 256;
module_param_named(max_subscribers, kmsgq_max_subscribers, uint, 0644);
MODULE_PARM_DESC(max_subscribers,
		 "Most subscribers one fan-out queue may have at once");

unsigned int kmsgq_max_subscribers_per_user = 64;
module_param_named(max_subscribers_per_user, kmsgq_max_subscribers_per_user,
		   uint, 0644);
MODULE_PARM_DESC(max_subscribers_per_user,
		 "Most subscribers of one fan-out queue one user may have, but its owner");

static struct dentry *kmsgq_debugfs;

static struct miscdevice kmsgq_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kmsgq",
	.fops = &kmsgq_file_ops,
	/* Anyone may open; each queue's own mode decides what they may do. */
	.mode = 0666,
};

static int kmsgq_debugfs_queues_show(struct seq_file *m, void *v)
{
	kmsgq_registry_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmsgq_debugfs_queues);

static int __init kmsgq_init(void)
{
	int err;

	err = misc_register(&kmsgq_misc);
	if (err)
		return err;
	kmsgq_debugfs = debugfs_create_dir("kmsgq", NULL);
	debugfs_create_file("queues", 0444, kmsgq_debugfs, NULL,
			    &kmsgq_debugfs_queues_fops);
	return 0;
}

static void __exit kmsgq_exit(void)
{
	debugfs_remove_recursive(kmsgq_debugfs);
	misc_deregister(&kmsgq_misc);
	kmsgq_registry_unlink_all();
}

module_init(kmsgq_init);
module_exit(kmsgq_exit);

MODULE_DESCRIPTION("kmsgq: kernel message queues with zero-copy rings");
MODULE_AUTHOR("kmsgq developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KMSGQ_VERSION);
