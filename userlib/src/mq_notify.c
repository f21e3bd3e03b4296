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
#include <poll.h>
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
	struct pollfd pfd = { .fd = h->efd, .events = POLLIN };
	int cancelled;

	/*
	 * Wait without taking the count: while it is there, a removal can
	 * tell that this helper fired (kmsgq_mq_helper_fired()).
	 */
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
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
 * fork() in another thread must not copy a list half-edited: it waits for
 * the lock.  The child inherits neither the registrations nor the helper
 * threads, but would share their eventfds: it drops them.
 */
static void kmsgq_mq_atfork_prepare(void)
{
	pthread_mutex_lock(&kmsgq_mq_lock);
}

static void kmsgq_mq_atfork_parent(void)
{
	pthread_mutex_unlock(&kmsgq_mq_lock);
}

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
	pthread_atfork(kmsgq_mq_atfork_prepare, kmsgq_mq_atfork_parent,
		       kmsgq_mq_atfork_child);
}

/*
 * Unlist the helper *@p and end it: it wakes, sees it is cancelled and
 * leaves without calling.  Called with kmsgq_mq_lock held.
 */
static void kmsgq_mq_helper_cancel(struct kmsgq_mq_helper **p)
{
	struct kmsgq_mq_helper *h = *p;
	const uint64_t one = 1;
	ssize_t n;

	*p = h->next;
	h->cancelled = 1;
	/* An eventfd write fails only at a count near 2^64. */
	n = write(h->efd, &one, sizeof(one));
	(void)n;
}

/* Whether @h's notification has fired: the kernel counted on its eventfd. */
static int kmsgq_mq_helper_fired(const struct kmsgq_mq_helper *h)
{
	struct pollfd pfd = { .fd = h->efd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

void kmsgq_mq_notify_forget(int fd)
{
	struct kmsgq_mq_helper *h, **p;
	int saved = errno;

	pthread_mutex_lock(&kmsgq_mq_lock);
	for (p = &kmsgq_mq_helpers; (h = *p);) {
		if (h->mqdes == fd)
			kmsgq_mq_helper_cancel(p);
		else
			p = &h->next;
	}
	pthread_mutex_unlock(&kmsgq_mq_lock);
	errno = saved;
}

/*
 * Remove this process's registration with @fd's queue, made through any
 * descriptor, and end its helper if it had one; with @closing, @fd is
 * about to be closed, and helpers that fired keep no claim on its number.
 *
 * Under kmsgq_mq_lock from the kernel's answer to the cancel, which
 * registrations hold too: no other thread's registration can come between.
 * The kernel says 1 if it removed a registration.  A process has at most
 * one per queue, so it is the helper of that queue id whose eventfd has no
 * count, if any (else it was a signal's, or none's); helpers whose count is
 * there fired before, and call, as glibc's would.
 */
static int kmsgq_mq_notify_remove(int fd, int closing)
{
	struct kmsgq_notify rm = {
		.size = sizeof(rm),
		.flags = KMSGQ_NOTIFY_REMOVE,
	};
	struct kmsgq_mq_helper *h, **p;
	int ret;

	pthread_mutex_lock(&kmsgq_mq_lock);
	/* A close when nothing is listed: no system call, for most programs. */
	ret = closing && !kmsgq_mq_helpers ? 0 :
	      kmsgq_ioctl(fd, KMSGQ_IOC_NOTIFY, &rm);
	for (p = &kmsgq_mq_helpers; ret >= 0 && (h = *p);) {
		if (ret > 0 && h->id == rm.id && !kmsgq_mq_helper_fired(h)) {
			kmsgq_mq_helper_cancel(p);
			ret = 0;
			continue;
		}
		if (closing && h->mqdes == fd)
			h->mqdes = -1;
		p = &h->next;
	}
	pthread_mutex_unlock(&kmsgq_mq_lock);
	return ret < 0 ? ret : 0;
}

void kmsgq_mq_notify_close(int fd)
{
	int saved = errno;

	kmsgq_mq_notify_remove(fd, 1);
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

/*
 * Register through the kernel, list the helper and start it, all under
 * kmsgq_mq_lock (see kmsgq_mq_notify_remove()); listed before it starts,
 * so that it always finds itself.
 */
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

	pthread_mutex_lock(&kmsgq_mq_lock);
	ret = kmsgq_ioctl(mqdes, KMSGQ_IOC_NOTIFY, n);
	if (ret)
		goto out_unlock;
	h->id = n->id;
	h->next = kmsgq_mq_helpers;
	kmsgq_mq_helpers = h;
	ret = kmsgq_mq_helper_start(h, sev->sigev_notify_attributes);
	if (!ret) {
		pthread_mutex_unlock(&kmsgq_mq_lock);
		return 0;
	}
	kmsgq_mq_unlist(h);
	kmsgq_ioctl(mqdes, KMSGQ_IOC_NOTIFY, &rm);
out_unlock:
	pthread_mutex_unlock(&kmsgq_mq_lock);
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
		return kmsgq_mq_ret(kmsgq_mq_notify_remove(mqdes, 0));

	switch (sevp->sigev_notify) {
	case SIGEV_NONE:
		n.notify = KMSGQ_NOTIFY_NONE;
		break;
	case SIGEV_SIGNAL:
		/* 0 registers and sends nothing, as with mqueue. */
		if (sevp->sigev_signo < 0 || sevp->sigev_signo > SIGRTMAX)
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
