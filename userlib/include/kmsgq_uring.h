/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * kmsgq_uring.h - kmsgq's io_uring commands for liburing programs.
 *
 * KMSGQ_IOC_SEND and KMSGQ_IOC_RECV as IORING_OP_URING_CMD entries
 * (KMSGQ_FEAT_URING_CMD, Linux 6.12): what IORING_OP_READ and WRITE cannot
 * say (priorities, batches, KMSGQ_XFER_* flags, peeks, deadlines), with no
 * thread per waiting call.  Header only: these helpers fill an entry, as
 * liburing's io_uring_prep_*() do, and libkmsgq exports nothing for them.
 * See kmsgq_prep_send(3) and kmsgq(7).
 */
#ifndef KMSGQ_URING_H
#define KMSGQ_URING_H

#include <liburing.h>

#include <linux/kmsgq.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One command: @op is KMSGQ_IOC_SEND or KMSGQ_IOC_RECV. */
static inline void __kmsgq_prep_cmd(struct io_uring_sqe *sqe, int fd,
				    unsigned int op, struct kmsgq_xfer *x)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, x, 0, 0);
	sqe->cmd_op = op;
}

/**
 * kmsgq_prep_send() - fill @sqe with a KMSGQ_IOC_SEND command
 * @sqe: a submission queue entry (io_uring_get_sqe())
 * @fd: a queue descriptor with write access (or its fixed-file index,
 *	with IOSQE_FIXED_FILE set afterwards)
 * @x: the transfer, filled as for the ioctl, @x->size included; it, its
 *	message array and their buffers stay in use until the completion
 *
 * The completion's res is the number of messages sent, or -errno.
 */
static inline void kmsgq_prep_send(struct io_uring_sqe *sqe, int fd,
				   struct kmsgq_xfer *x)
{
	__kmsgq_prep_cmd(sqe, fd, KMSGQ_IOC_SEND, x);
}

/**
 * kmsgq_prep_receive() - fill @sqe with a KMSGQ_IOC_RECV command
 * @sqe: a submission queue entry
 * @fd: a queue descriptor with read access (or its fixed-file index)
 * @x: the transfer, as for kmsgq_prep_send(); KMSGQ_XFER_PEEK peeks
 *
 * The completion's res is the number of messages received, or -errno;
 * each message's length and priority are in its struct kmsgq_msg.
 */
static inline void kmsgq_prep_receive(struct io_uring_sqe *sqe, int fd,
				      struct kmsgq_xfer *x)
{
	__kmsgq_prep_cmd(sqe, fd, KMSGQ_IOC_RECV, x);
}

#ifdef __cplusplus
}
#endif

#endif /* KMSGQ_URING_H */
