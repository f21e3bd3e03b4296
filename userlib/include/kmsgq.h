/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkmsgq - the C library for kmsgq message queues (/dev/kmsgq).
 *
 * Error convention: every call that can fail returns a negative errno value
 * (-EAGAIN, -ETIMEDOUT, ...) and leaves errno alone.  Success is 0, or the
 * count or length the call describes.  A queue handle is a plain file
 * descriptor: poll it, epoll it, dup it, pass it over a unix socket.
 *
 * Timeouts are absolute deadlines on the clock passed with them
 * (CLOCK_MONOTONIC or CLOCK_REALTIME), like mq_timedsend(); a NULL deadline
 * sleeps without limit.
 */
#ifndef KMSGQ_H
#define KMSGQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/kmsgq.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * kmsgq_open() - open (and perhaps create) a named queue
 * @name: queue name, 1..KMSGQ_NAME_MAX-1 bytes of [A-Za-z0-9._-]
 * @oflag: O_RDONLY, O_WRONLY or O_RDWR, or'ed with O_CREAT, O_EXCL,
 *	O_NONBLOCK, O_CLOEXEC
 * @mode: permission bits of a queue this call creates (umask applies)
 * @attr: with O_CREAT: qflags (KMSGQ_OPEN_RING), max_msgs, max_msgsize
 *	(0 = module default), other fields ignored; NULL for all defaults
 *
 * Return: a file descriptor bound to the queue, or -errno.
 */
int kmsgq_open(const char *name, int oflag, mode_t mode,
	       const struct kmsgq_attr *attr);

/** kmsgq_close() - close a queue descriptor. Return: 0 or -errno. */
int kmsgq_close(int fd);

/** kmsgq_unlink() - remove a queue's name. Return: 0 or -errno. */
int kmsgq_unlink(const char *name);

/**
 * kmsgq_send() - queue one message
 * @fd: queue descriptor opened for writing
 * @buf: payload
 * @len: payload length, 0..max_msgsize
 * @prio: priority, 0..KMSGQ_PRIO_MAX-1 (0 only on ring queues)
 *
 * Return: 0, or -EAGAIN (full, non-blocking), -EMSGSIZE, -EINTR, -errno.
 */
int kmsgq_send(int fd, const void *buf, size_t len, unsigned int prio);

/**
 * kmsgq_timedsend() - kmsgq_send() that gives up at @deadline on @clock
 *
 * Return: as kmsgq_send(), and -ETIMEDOUT.
 */
int kmsgq_timedsend(int fd, const void *buf, size_t len, unsigned int prio,
		    clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_receive() - take the oldest message of the highest priority
 * @fd: queue descriptor opened for reading
 * @buf: where to put the payload
 * @len: size of @buf
 * @prio: if not NULL, receives the message's priority
 *
 * Return: the message length, or -EMSGSIZE (@len too small; the message
 * stays queued), -EAGAIN, -EINTR, -errno.
 */
ssize_t kmsgq_receive(int fd, void *buf, size_t len, unsigned int *prio);

/**
 * kmsgq_timedreceive() - kmsgq_receive() that gives up at @deadline on @clock
 *
 * Return: as kmsgq_receive(), and -ETIMEDOUT.
 */
ssize_t kmsgq_timedreceive(int fd, void *buf, size_t len, unsigned int *prio,
			   clockid_t clock, const struct timespec *deadline);

/**
 * kmsgq_send_batch() - queue up to @nr messages in one call
 * @msgs: buf, len and prio of each message
 * @nr: 1..KMSGQ_BATCH_MAX
 * @flags: KMSGQ_XFER_NONBLOCK or 0
 * @clock, @deadline: as kmsgq_timedsend(); @deadline may be NULL
 *
 * Sleeps only until the first message fits, then queues as many as fit.
 * Return: messages queued (1..@nr), or -errno for the first one.
 */
int kmsgq_send_batch(int fd, const struct kmsgq_msg *msgs, unsigned int nr,
		     unsigned int flags, clockid_t clock,
		     const struct timespec *deadline);

/**
 * kmsgq_receive_batch() - take up to @nr messages in one call
 * @msgs: in: buf and len (buffer size) of each slot; out: len and prio
 *
 * Sleeps only until one message waits, then takes as many as wait.
 * Return: messages taken (1..@nr), or -errno for the first one (with
 * -EMSGSIZE, msgs[0].len is set to the length needed).
 */
int kmsgq_receive_batch(int fd, struct kmsgq_msg *msgs, unsigned int nr,
			unsigned int flags, clockid_t clock,
			const struct timespec *deadline);

/** kmsgq_getattr() - read the queue's attributes. Return: 0 or -errno. */
int kmsgq_getattr(int fd, struct kmsgq_attr *attr);

/**
 * kmsgq_setattr() - set the descriptor's flags (KMSGQ_ATTR_NONBLOCK)
 * @old: if not NULL, receives the attributes before the change
 *
 * Return: 0 or -errno.
 */
int kmsgq_setattr(int fd, unsigned int flags, struct kmsgq_attr *old);

/** kmsgq_stats() - read the queue's counters. Return: 0 or -errno. */
int kmsgq_stats(int fd, struct kmsgq_stats *stats);

/**
 * kmsgq_info() - the module's version, features and limits
 * @fd: any /dev/kmsgq descriptor, or -1 to open one for the call
 *
 * Return: 0 or -errno (-ENOENT: the module is not loaded).
 */
int kmsgq_info(int fd, struct kmsgq_info *info);

#ifdef __cplusplus
}
#endif

#endif /* KMSGQ_H */
