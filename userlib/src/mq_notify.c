// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkmsgq-mq: mq_notify().
 *
 * The kernel keeps the registration and its rules (KMSGQ_IOC_NOTIFY: one
 * process per queue, fired once by a message arriving on the empty queue
 * while no receiver sleeps, dropped at any close in that process) and sends
 * SIGEV_SIGNAL's signal itself, with the sender's pid and uid.  SIGEV_NONE
 * is a registration that delivers nothing.  SIGEV_THREAD is done here, as
 * glibc does it over mqueue's netlink cookie: the kernel counts on an
 * eventfd, and a helper thread, created with the caller's
 * sigev_notify_attributes and every signal blocked, waits on it and calls
 * sigev_notify_function(sigev_value).  mq_notify(NULL) and mq_close()
 * through any descriptor of the queue end a helper that has not fired (the
 * registration is the process's, and the kernel names the queue by its id);
 * so does fork() in the child, which inherits no registration.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <kmsgq.h>

#include "internal.h"
#include "mq_internal.h"

/**
 * struct kmsgq_mq_helper - one SIGEV_THREAD registration of this process
 * @next: link in kmsgq_mq_helpers
 * @mqdes: the queue descriptor it was made through
 * @id: the queue's id, as KMSGQ_IOC_NOTIFY reported it
 * @efd: the eventfd the kernel counts on, and mq_notify(NULL) to cancel
 * @cancelled: set (under kmsgq_mq_lock) when the helper must not call
 * @fn: sigev_notify_function
 * @value: sigev_value
 *
 * Listed while the helper thread waits; the thread unlists and frees it.
 */
struct kmsgq_mq_helper {
	struct kmsgq_mq_helper *next;
	int mqdes;
	__u64 id;
	int efd;
	int cancelled;
	void (*fn)(union sigval);
	union sigval value;
};

static pthread_mutex_t kmsgq_mq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmsgq_mq_helper *kmsgq_mq_helpers;	/* by kmsgq_mq_lock */
static pthread_once_t kmsgq_mq_once = PTHREAD_ONCE_INIT;

/* Unlist @h if it is still listed. Called with kmsgq_mq_lock held. */
static void kmsgq_mq_unlist(struct kmsgq_mq_helper *h)
{
	struct kmsgq_mq_helper **p;

	for (p = &kmsgq_mq_helpers; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			return;
		}
	}
}

static void *kmsgq_mq_helper_main(void *arg)
{
	struct kmsgq_mq_helper *h = arg;
	uint64_t count;
	int cancelled;

	while (read(h->efd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&kmsgq_mq_lock);
	kmsgq_mq_unlist(h);
	cancelled = h->cancelled;
	pthread_mutex_unlock(&kmsgq_mq_lock);
	close(h->efd);
	if (!cancelled)
		h->fn(h->value);
	free(h);
	return NULL;
}

/*
 * The child of fork() inherits neither the registrations nor the helper
 * threads, but would share their eventfds: drop them.
 */
static void kmsgq_mq_atfork_child(void)
{
	struct kmsgq_mq_helper *h;

	while ((h = kmsgq_mq_helpers)) {
		kmsgq_mq_helpers = h->next;
		close(h->efd);
		free(h);
	}
	pthread_mutex_init(&kmsgq_mq_lock, NULL);
}

static void kmsgq_mq_init(void)
{
	pthread_atfork(NULL, NULL, kmsgq_mq_atfork_child);
}

/* End the helpers made through @fd or for the queue of id @id (0: none). */
static void kmsgq_mq_notify_cancel(int fd, __u64 id)
{
	struct kmsgq_mq_helper *h, **p;
	const uint64_t one = 1;
	int saved = errno;
	ssize_t n;

	pthread_mutex_lock(&kmsgq_mq_lock);
	for (p = &kmsgq_mq_helpers; (h = *p);) {
		if (h->mqdes != fd && (!id || h->id != id)) {
			p = &h->next;
			continue;
		}
		*p = h->next;
		h->cancelled = 1;
		/*
		 * Wakes the helper, which sees it is cancelled and leaves.
		 * An eventfd write fails only at a count near 2^64.
		 */
		n = write(h->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&kmsgq_mq_lock);
	(void)n;
	errno = saved;
}

void kmsgq_mq_notify_forget(int fd)
{
	kmsgq_mq_notify_cancel(fd, 0);
}

/* Remove this process's registration with @fd's queue, and its helper. */
static int kmsgq_mq_notify_remove(int fd)
{
	struct kmsgq_notify rm = {
		.size = sizeof(rm),
		.flags = KMSGQ_NOTIFY_REMOVE,
	};
	int ret;

	/*
	 * 1: a registration was removed, and its helper must not call.  0:
	 * none was left, and a helper still listed has fired or is about to
	 * (its count is on the eventfd): it calls, as glibc's would.
	 */
	ret = kmsgq_ioctl(fd, KMSGQ_IOC_NOTIFY, &rm);
	if (ret > 0)
		kmsgq_mq_notify_cancel(-1, rm.id);
	return ret < 0 ? ret : 0;
}

void kmsgq_mq_notify_close(int fd)
{
	int saved = errno;

	/* Most programs never register: no system call for them. */
	if (__atomic_load_n(&kmsgq_mq_helpers, __ATOMIC_RELAXED))
		kmsgq_mq_notify_remove(fd);
	errno = saved;
}

/* Start the helper of @h, all signals blocked, with the caller's @attr. */
static int kmsgq_mq_helper_start(struct kmsgq_mq_helper *h,
				 pthread_attr_t *attr)
{
	sigset_t all, old;
	pthread_t thread;
	int detach = PTHREAD_CREATE_JOINABLE;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&thread, attr, kmsgq_mq_helper_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	if (attr)
		pthread_attr_getdetachstate(attr, &detach);
	if (detach == PTHREAD_CREATE_JOINABLE)
		pthread_detach(thread);
	return 0;
}

static int kmsgq_mq_notify_thread(mqd_t mqdes, const struct sigevent *sev,
				  struct kmsgq_notify *n)
{
	struct kmsgq_mq_helper *h;
	struct kmsgq_notify rm = {
		.size = sizeof(rm),
		.flags = KMSGQ_NOTIFY_REMOVE,
	};
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->mqdes = mqdes;
	h->fn = sev->sigev_notify_function;
	h->value = sev->sigev_value;
	h->efd = eventfd(0, EFD_CLOEXEC);
	if (h->efd < 0) {
		ret = -errno;
		goto out_free;
	}
	n->notify = KMSGQ_NOTIFY_EVENTFD;
	n->fd = h->efd;
	ret = kmsgq_ioctl(mqdes, KMSGQ_IOC_NOTIFY, n);
	if (ret)
		goto out_close;
	h->id = n->id;

	/* Listed before it starts, so that it always finds itself. */
	pthread_mutex_lock(&kmsgq_mq_lock);
	h->next = kmsgq_mq_helpers;
	kmsgq_mq_helpers = h;
	ret = kmsgq_mq_helper_start(h, sev->sigev_notify_attributes);
	if (ret)
		kmsgq_mq_unlist(h);
	pthread_mutex_unlock(&kmsgq_mq_lock);
	if (!ret)
		return 0;
	kmsgq_ioctl(mqdes, KMSGQ_IOC_NOTIFY, &rm);
out_close:
	close(h->efd);
out_free:
	free(h);
	return ret;
}

int mq_notify(mqd_t mqdes, const struct sigevent *sevp)
{
	struct kmsgq_notify n = { .size = sizeof(n) };

	pthread_once(&kmsgq_mq_once, kmsgq_mq_init);
	if (!sevp)
		return kmsgq_mq_ret(kmsgq_mq_notify_remove(mqdes));

	switch (sevp->sigev_notify) {
	case SIGEV_NONE:
		n.notify = KMSGQ_NOTIFY_NONE;
		break;
	case SIGEV_SIGNAL:
		/* 0 registers and sends nothing, as with mqueue. */
		if (sevp->sigev_signo < 0 || sevp->sigev_signo > 64)
			return kmsgq_mq_ret(-EINVAL);
		n.notify = KMSGQ_NOTIFY_SIGNAL;
		n.signo = sevp->sigev_signo;
		n.value = (uintptr_t)sevp->sigev_value.sival_ptr;
		break;
	case SIGEV_THREAD:
		return kmsgq_mq_ret(kmsgq_mq_notify_thread(mqdes, sevp, &n));
	default:
		return kmsgq_mq_ret(-EINVAL);
	}
	return kmsgq_mq_ret(kmsgq_ioctl(mqdes, KMSGQ_IOC_NOTIFY, &n));
}
