/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the C files of kmsgq._kmsgq share: kmsgq_ext.c (the module and the
 * queue calls), ring_ext.c (the Ring and Slot types) and fanout_ext.c (the
 * FanoutView and FanoutPublisher types).
 */
#ifndef KMSGQ_EXT_H
#define KMSGQ_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <time.h>

/* Raise OSError for a libkmsgq return value -errno; NULL. */
PyObject *kmsgq_ext_error(int err);

/*
 * Timeout @obj (None, or seconds as int or float) to an absolute deadline
 * on CLOCK_MONOTONIC in @ts; *@deadline is NULL for None.  0 on success,
 * -1 with an exception set.
 */
int kmsgq_ext_deadline(PyObject *obj, struct timespec *ts,
		       const struct timespec **deadline);

/*
 * Set the attribute @attr of the exception being raised to @count: what a
 * call that failed had done before (kmsgq_receive_lost()'s losses,
 * FanoutPublisher.publish()'s messages).  The exception stays set; one
 * that cannot take it (no memory) replaces it.
 */
void kmsgq_ext_raise_count(const char *attr, uint64_t count);

/* -EINTR: 0 to retry the call, -1 if a signal handler raised. */
int kmsgq_ext_interrupted(void);

/*
 * A descriptor of the caller's own on @fd's open file (close-on-exec), for
 * a mapping's calls whatever becomes of @fd: -1 with OSError set.
 */
int kmsgq_ext_dup(int fd);

/* __enter__ of a context manager: the object itself. */
PyObject *kmsgq_ext_enter(PyObject *obj, PyObject *args);

/* __exit__ of a context manager that closes: obj.close(), then False. */
PyObject *kmsgq_ext_exit_close(PyObject *obj, PyObject *args);

/* Add the Ring and Slot types to the module @m.  0, or -1 with an error. */
int ring_ext_add_types(PyObject *m);

/*
 * Add the FanoutView and FanoutPublisher types to the module @m.  0, or -1
 * with an error.
 */
int fanout_ext_add_types(PyObject *m);

#endif /* KMSGQ_EXT_H */
