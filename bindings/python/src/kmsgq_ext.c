// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kmsgq._kmsgq - the C part of the Python binding: one function per
 * libkmsgq call, on plain file descriptors.  The Queue class
 * (kmsgq/__init__.py) is built on these.
 *
 * Errors are OSError with the errno libkmsgq returned, so Python picks the
 * subclass (BlockingIOError for EAGAIN, TimeoutError for ETIMEDOUT,
 * FileNotFoundError for ENOENT, ...).  Blocking calls drop the GIL; a call
 * that a signal interrupts runs the Python handlers and, if they do not
 * raise, is retried with the same absolute deadline (PEP 475).  The
 * mapped rings are ring_ext.c's, the mapped fan-out queues (subscribers'
 * and in-place publishers') fanout_ext.c's.
 */
#include "kmsgq_ext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <time.h>

#include <kmsgq.h>

PyObject *kmsgq_ext_error(int err)
{
	errno = err;
	return PyErr_SetFromErrno(PyExc_OSError);
}

int kmsgq_ext_deadline(PyObject *obj, struct timespec *ts,
		       const struct timespec **deadline)
{
	double secs, whole;

	*deadline = NULL;
	if (obj == Py_None)
		return 0;
	secs = PyFloat_AsDouble(obj);
	if (secs == -1.0 && PyErr_Occurred())
		return -1;
	if (!isfinite(secs) || secs < 0 || secs > 1e9) {
		PyErr_SetString(PyExc_ValueError,
				"timeout must be None or 0..1e9 seconds");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, ts);
	secs = modf(secs, &whole);
	ts->tv_sec += (time_t)whole;
	ts->tv_nsec += (long)(secs * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
	*deadline = ts;
	return 0;
}

int kmsgq_ext_interrupted(void)
{
	return PyErr_CheckSignals() < 0 ? -1 : 0;
}

int kmsgq_ext_dup(int fd)
{
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dup < 0)
		PyErr_SetFromErrno(PyExc_OSError);
	return dup;
}

PyObject *kmsgq_ext_enter(PyObject *obj, PyObject *args)
{
	(void)args;
	Py_INCREF(obj);
	return obj;
}

PyObject *kmsgq_ext_exit_close(PyObject *obj, PyObject *args)
{
	PyObject *ret;

	(void)args;
	ret = PyObject_CallMethod(obj, "close", NULL);
	if (!ret)
		return NULL;
	Py_DECREF(ret);
	Py_RETURN_FALSE;
}

/* open(name, oflag, mode, qflags, max_msgs, max_msgsize) -> fd */
static PyObject *kmsgq_ext_open(PyObject *self, PyObject *args)
{
	struct kmsgq_attr attr = { .size = sizeof(attr) };
	unsigned int mode;
	const char *name;
	int oflag, fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "siIIII", &name, &oflag, &mode,
			      &attr.qflags, &attr.max_msgs, &attr.max_msgsize))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	fd = kmsgq_open(name, oflag, (mode_t)mode, &attr);
	Py_END_ALLOW_THREADS
	if (fd < 0)
		return kmsgq_ext_error(-fd);
	return PyLong_FromLong(fd);
}

/* subscribe(name, oflag, history) -> fd */
static PyObject *kmsgq_ext_subscribe(PyObject *self, PyObject *args)
{
	unsigned int history;
	const char *name;
	int oflag, fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "siI", &name, &oflag, &history))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	fd = kmsgq_subscribe(name, oflag, history);
	Py_END_ALLOW_THREADS
	if (fd < 0)
		return kmsgq_ext_error(-fd);
	return PyLong_FromLong(fd);
}

/* open_publisher(name, oflag) -> fd */
static PyObject *kmsgq_ext_open_publisher(PyObject *self, PyObject *args)
{
	const char *name;
	int oflag, fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "si", &name, &oflag))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	fd = kmsgq_open_publisher(name, oflag);
	Py_END_ALLOW_THREADS
	if (fd < 0)
		return kmsgq_ext_error(-fd);
	return PyLong_FromLong(fd);
}

/* close(fd) */
static PyObject *kmsgq_ext_close(PyObject *self, PyObject *args)
{
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	ret = kmsgq_close(fd);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	Py_RETURN_NONE;
}

/* unlink(name) */
static PyObject *kmsgq_ext_unlink(PyObject *self, PyObject *args)
{
	const char *name;
	int ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "s", &name))
		return NULL;
	ret = kmsgq_unlink(name);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	Py_RETURN_NONE;
}

/* send(fd, data, prio, timeout) */
static PyObject *kmsgq_ext_send(PyObject *self, PyObject *args)
{
	const struct timespec *deadline;
	struct timespec ts;
	PyObject *timeout;
	unsigned int prio;
	Py_buffer data;
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "iy*IO", &fd, &data, &prio, &timeout))
		return NULL;
	if (kmsgq_ext_deadline(timeout, &ts, &deadline) < 0) {
		PyBuffer_Release(&data);
		return NULL;
	}
	do {
		Py_BEGIN_ALLOW_THREADS
		ret = kmsgq_timedsend(fd, data.buf, (size_t)data.len, prio,
				      CLOCK_MONOTONIC, deadline);
		Py_END_ALLOW_THREADS
	} while (ret == -EINTR && !kmsgq_ext_interrupted());
	PyBuffer_Release(&data);
	if (ret == -EINTR)
		return NULL;
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	Py_RETURN_NONE;
}

void kmsgq_ext_raise_count(const char *attr, uint64_t count)
{
	PyObject *type, *value, *tb, *n;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	n = PyLong_FromUnsignedLongLong(count);
	if (!n || PyObject_SetAttrString(value, attr, n) < 0) {
		Py_XDECREF(n);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		return;
	}
	Py_DECREF(n);
	PyErr_Restore(type, value, tb);
}

/*
 * One message of at most @size bytes, received, or with @peek copied from
 * @index of the receive order and left queued: (bytes, prio); received
 * with its sender into @from (not with @peek) if @from is not NULL, or
 * with the losses reported added to *@lost if @lost is not NULL (then
 * also when it fails: see kmsgq_ext_raise_count()).
 */
static PyObject *kmsgq_ext_copy_out(int fd, bool peek, unsigned int index,
				    Py_ssize_t size, PyObject *timeout,
				    struct kmsgq_sender *from, uint64_t *lost)
{
	const struct timespec *deadline;
	unsigned int prio = 0;
	struct timespec ts;
	uint64_t reported;
	PyObject *buf;
	ssize_t n;

	if (size < 0) {
		PyErr_SetString(PyExc_ValueError, "negative buffer size");
		return NULL;
	}
	if (kmsgq_ext_deadline(timeout, &ts, &deadline) < 0)
		return NULL;
	buf = PyBytes_FromStringAndSize(NULL, size);
	if (!buf)
		return NULL;
	/* Each try takes the losses it reports: add them up. */
	do {
		reported = 0;
		Py_BEGIN_ALLOW_THREADS
		if (peek)
			n = kmsgq_peek(fd, index, PyBytes_AS_STRING(buf),
				       (size_t)size, &prio, 0,
				       CLOCK_MONOTONIC, deadline);
		else if (lost)
			n = kmsgq_receive_lost(fd, PyBytes_AS_STRING(buf),
					       (size_t)size, &reported, 0,
					       CLOCK_MONOTONIC, deadline);
		else if (from)
			n = kmsgq_receive_from(fd, PyBytes_AS_STRING(buf),
					       (size_t)size, &prio, from, 0,
					       CLOCK_MONOTONIC, deadline);
		else
			n = kmsgq_timedreceive(fd, PyBytes_AS_STRING(buf),
					       (size_t)size, &prio,
					       CLOCK_MONOTONIC, deadline);
		Py_END_ALLOW_THREADS
		if (lost)
			*lost += reported;
	} while (n == -EINTR && !kmsgq_ext_interrupted());
	if (n < 0) {
		Py_DECREF(buf);
		if (n != -EINTR)
			kmsgq_ext_error((int)-n);
		if (lost && *lost)
			/* Losses the kernel will not report again. */
			kmsgq_ext_raise_count("lost", *lost);
		return NULL;
	}
	if (_PyBytes_Resize(&buf, n) < 0)
		return NULL;
	return Py_BuildValue("(NI)", buf, prio);
}

/* receive(fd, bufsize, timeout) -> (bytes, prio) */
static PyObject *kmsgq_ext_receive(PyObject *self, PyObject *args)
{
	PyObject *timeout;
	Py_ssize_t size;
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "inO", &fd, &size, &timeout))
		return NULL;
	return kmsgq_ext_copy_out(fd, false, 0, size, timeout, NULL, NULL);
}

/*
 * receive_from(fd, bufsize, timeout) -> (bytes, prio, pid, uid, gid,
 * sender_flags)
 */
static PyObject *kmsgq_ext_receive_from(PyObject *self, PyObject *args)
{
	PyObject *timeout, *msg, *ret;
	struct kmsgq_sender from;
	Py_ssize_t size;
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "inO", &fd, &size, &timeout))
		return NULL;
	msg = kmsgq_ext_copy_out(fd, false, 0, size, timeout, &from, NULL);
	if (!msg)
		return NULL;
	ret = Py_BuildValue("(OOiIII)", PyTuple_GET_ITEM(msg, 0),
			    PyTuple_GET_ITEM(msg, 1), (int)from.pid,
			    (unsigned int)from.uid, (unsigned int)from.gid,
			    from.flags);
	Py_DECREF(msg);
	return ret;
}

/*
 * receive_lost(fd, bufsize, timeout) -> (bytes, lost)
 * A message, and the messages the subscriber lost since the last report.
 * Losses are reported by failed calls too: an exception raised after the
 * kernel reported some carries them in its attribute "lost".
 */
static PyObject *kmsgq_ext_receive_lost(PyObject *self, PyObject *args)
{
	PyObject *timeout, *msg, *ret;
	uint64_t lost = 0;
	Py_ssize_t size;
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "inO", &fd, &size, &timeout))
		return NULL;
	msg = kmsgq_ext_copy_out(fd, false, 0, size, timeout, NULL, &lost);
	if (!msg)
		return NULL;
	ret = Py_BuildValue("(OK)", PyTuple_GET_ITEM(msg, 0),
			    (unsigned long long)lost);
	Py_DECREF(msg);
	return ret;
}

/* peek(fd, index, bufsize, timeout) -> (bytes, prio) */
static PyObject *kmsgq_ext_peek(PyObject *self, PyObject *args)
{
	PyObject *timeout, *obj;
	unsigned long index;
	Py_ssize_t size;
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "iO!nO", &fd, &PyLong_Type, &obj, &size,
			      &timeout))
		return NULL;
	/* Negative or too large: OverflowError, said as a ValueError. */
	index = PyLong_AsUnsignedLong(obj);
	if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_OverflowError))
		return NULL;
	if (PyErr_Occurred() || index > UINT_MAX) {
		PyErr_Clear();
		PyErr_SetString(PyExc_ValueError, "index must be 0..4294967295");
		return NULL;
	}
	return kmsgq_ext_copy_out(fd, true, (unsigned int)index, size,
				  timeout, NULL, NULL);
}

/* Release the first @n buffers of @bufs, then the array. */
static void kmsgq_ext_release_all(Py_buffer *bufs, Py_ssize_t n)
{
	Py_ssize_t i;

	for (i = 0; i < n; i++)
		PyBuffer_Release(&bufs[i]);
	PyMem_Free(bufs);
}

/*
 * What a batch of @n messages starts with: @n checked (1..BATCH_MAX),
 * @timeout's deadline, and @n zeroed struct kmsgq_msg to PyMem_Free().
 * NULL with an exception set.
 */
static struct kmsgq_msg *kmsgq_ext_batch_start(Py_ssize_t n,
					       PyObject *timeout,
					       struct timespec *ts,
					       const struct timespec **deadline)
{
	struct kmsgq_msg *msgs;

	if (n < 1 || n > KMSGQ_BATCH_MAX) {
		PyErr_Format(PyExc_ValueError, "a batch is 1..%d messages",
			     KMSGQ_BATCH_MAX);
		return NULL;
	}
	if (kmsgq_ext_deadline(timeout, ts, deadline) < 0)
		return NULL;
	msgs = PyMem_Calloc((size_t)n, sizeof(*msgs));
	if (!msgs)
		PyErr_NoMemory();
	return msgs;
}

/*
 * send_batch(fd, msgs, flags, timeout) -> messages queued
 * @msgs: a list of (bytes-like, prio), 1..BATCH_MAX of them
 */
static PyObject *kmsgq_ext_send_batch(PyObject *self, PyObject *args)
{
	const struct timespec *deadline;
	struct kmsgq_msg *msgs;
	struct timespec ts;
	PyObject *list, *timeout;
	Py_ssize_t n, i;
	unsigned int flags;
	Py_buffer *bufs;
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "iO!IO", &fd, &PyList_Type, &list, &flags,
			      &timeout))
		return NULL;
	n = PyList_GET_SIZE(list);
	msgs = kmsgq_ext_batch_start(n, timeout, &ts, &deadline);
	if (!msgs)
		return NULL;
	bufs = PyMem_Calloc((size_t)n, sizeof(*bufs));
	if (!bufs) {
		PyMem_Free(msgs);
		return PyErr_NoMemory();
	}
	for (i = 0; i < n; i++) {
		if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "y*I;a message "
				      "is (bytes-like, prio)", &bufs[i],
				      &msgs[i].prio))
			break;
		if ((size_t)bufs[i].len > UINT32_MAX) {
			PyBuffer_Release(&bufs[i]);
			PyErr_SetString(PyExc_OverflowError, "message too long");
			break;
		}
		msgs[i].buf = (uint64_t)(uintptr_t)bufs[i].buf;
		msgs[i].len = (uint32_t)bufs[i].len;
	}
	if (i < n) {
		kmsgq_ext_release_all(bufs, i);
		PyMem_Free(msgs);
		return NULL;
	}
	do {
		Py_BEGIN_ALLOW_THREADS
		ret = kmsgq_send_batch(fd, msgs, (unsigned int)n, flags,
				       CLOCK_MONOTONIC, deadline);
		Py_END_ALLOW_THREADS
	} while (ret == -EINTR && !kmsgq_ext_interrupted());
	kmsgq_ext_release_all(bufs, n);
	PyMem_Free(msgs);
	if (ret == -EINTR)
		return NULL;
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	return PyLong_FromLong(ret);
}

/*
 * receive_batch(fd, n, bufsize, flags, timeout) -> [(bytes, prio), ...]
 * 1..n messages, as many as wait once the first does.
 */
static PyObject *kmsgq_ext_receive_batch(PyObject *self, PyObject *args)
{
	const struct timespec *deadline;
	PyObject *timeout, *list = NULL, *item;
	struct kmsgq_msg *msgs;
	struct timespec ts;
	Py_ssize_t n, size, i;
	unsigned int flags;
	PyObject **bufs;
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "innIO", &fd, &n, &size, &flags, &timeout))
		return NULL;
	if (size < 0 || (size_t)size > UINT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "bad buffer size");
		return NULL;
	}
	msgs = kmsgq_ext_batch_start(n, timeout, &ts, &deadline);
	if (!msgs)
		return NULL;
	bufs = PyMem_Calloc((size_t)n, sizeof(*bufs));
	if (!bufs) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < n; i++) {
		bufs[i] = PyBytes_FromStringAndSize(NULL, size);
		if (!bufs[i])
			goto out;
		msgs[i].buf = (uint64_t)(uintptr_t)PyBytes_AS_STRING(bufs[i]);
		msgs[i].len = (uint32_t)size;
	}
	do {
		Py_BEGIN_ALLOW_THREADS
		ret = kmsgq_receive_batch(fd, msgs, (unsigned int)n, flags,
					  CLOCK_MONOTONIC, deadline);
		Py_END_ALLOW_THREADS
	} while (ret == -EINTR && !kmsgq_ext_interrupted());
	if (ret < 0) {
		if (ret != -EINTR)
			kmsgq_ext_error(-ret);
		goto out;
	}
	list = PyList_New(ret);
	if (!list)
		goto out;
	for (i = 0; i < ret; i++) {
		if (_PyBytes_Resize(&bufs[i], msgs[i].len) < 0)
			goto fail;
		item = Py_BuildValue("(OI)", bufs[i], msgs[i].prio);
		if (!item)
			goto fail;
		PyList_SET_ITEM(list, i, item);
	}
	goto out;
fail:
	Py_CLEAR(list);
out:
	if (bufs)
		for (i = 0; i < n; i++)
			Py_XDECREF(bufs[i]);
	PyMem_Free(bufs);
	PyMem_Free(msgs);
	return list;
}

/*
 * getattr(fd) -> (flags, qflags, max_msgs, max_msgsize, cur_msgs, mode,
 * uid, gid)
 */
static PyObject *kmsgq_ext_getattr(PyObject *self, PyObject *args)
{
	struct kmsgq_attr a = { .size = sizeof(a) };
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	ret = kmsgq_getattr(fd, &a);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	return Py_BuildValue("(IIIIIIII)", a.flags, a.qflags, a.max_msgs,
			     a.max_msgsize, a.cur_msgs, a.mode, a.uid, a.gid);
}

/* setattr(fd, flags) -> old flags */
static PyObject *kmsgq_ext_setattr(PyObject *self, PyObject *args)
{
	struct kmsgq_attr old = { .size = sizeof(old) };
	unsigned int flags;
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "iI", &fd, &flags))
		return NULL;
	ret = kmsgq_setattr(fd, flags, &old);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	return PyLong_FromUnsignedLong(old.flags);
}

/*
 * stats(fd) -> (msgs_sent, msgs_recv, bytes_sent, bytes_recv, cur_msgs,
 * send_waiters, recv_waiters, mappings, msgs_lost, sub_lost, sub_lag,
 * subscribers)
 */
static PyObject *kmsgq_ext_stats(PyObject *self, PyObject *args)
{
	struct kmsgq_stats s = { .size = sizeof(s) };
	int fd, ret;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	ret = kmsgq_stats(fd, &s);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	return Py_BuildValue("(KKKKIIIIKKII)",
			     (unsigned long long)s.msgs_sent,
			     (unsigned long long)s.msgs_recv,
			     (unsigned long long)s.bytes_sent,
			     (unsigned long long)s.bytes_recv,
			     s.cur_msgs, s.send_waiters, s.recv_waiters,
			     s.mappings, (unsigned long long)s.msgs_lost,
			     (unsigned long long)s.sub_lost, s.sub_lag,
			     s.subscribers);
}

static PyMethodDef kmsgq_ext_methods[] = {
	{ "open", kmsgq_ext_open, METH_VARARGS,
	  "open(name, oflag, mode, qflags, max_msgs, max_msgsize) -> fd" },
	{ "subscribe", kmsgq_ext_subscribe, METH_VARARGS,
	  "subscribe(name, oflag, history) -> fd" },
	{ "open_publisher", kmsgq_ext_open_publisher, METH_VARARGS,
	  "open_publisher(name, oflag) -> fd: publish only, no subscriber" },
	{ "close", kmsgq_ext_close, METH_VARARGS, "close(fd)" },
	{ "unlink", kmsgq_ext_unlink, METH_VARARGS, "unlink(name)" },
	{ "send", kmsgq_ext_send, METH_VARARGS,
	  "send(fd, data, prio, timeout): timeout None or seconds" },
	{ "receive", kmsgq_ext_receive, METH_VARARGS,
	  "receive(fd, bufsize, timeout) -> (bytes, prio)" },
	{ "receive_from", kmsgq_ext_receive_from, METH_VARARGS,
	  "receive_from(fd, bufsize, timeout) -> "
	  "(bytes, prio, pid, uid, gid, sender_flags)" },
	{ "receive_lost", kmsgq_ext_receive_lost, METH_VARARGS,
	  "receive_lost(fd, bufsize, timeout) -> (bytes, lost); "
	  "an exception carries what was lost in its attribute lost" },
	{ "peek", kmsgq_ext_peek, METH_VARARGS,
	  "peek(fd, index, bufsize, timeout) -> (bytes, prio)" },
	{ "send_batch", kmsgq_ext_send_batch, METH_VARARGS,
	  "send_batch(fd, [(data, prio), ...], flags, timeout) -> count" },
	{ "receive_batch", kmsgq_ext_receive_batch, METH_VARARGS,
	  "receive_batch(fd, n, bufsize, flags, timeout) -> "
	  "[(bytes, prio), ...]" },
	{ "getattr", kmsgq_ext_getattr, METH_VARARGS,
	  "getattr(fd) -> (flags, qflags, max_msgs, max_msgsize, cur_msgs, "
	  "mode, uid, gid)" },
	{ "setattr", kmsgq_ext_setattr, METH_VARARGS,
	  "setattr(fd, flags) -> old flags" },
	{ "stats", kmsgq_ext_stats, METH_VARARGS,
	  "stats(fd) -> (msgs_sent, msgs_recv, bytes_sent, bytes_recv, "
	  "cur_msgs, send_waiters, recv_waiters, mappings, msgs_lost, "
	  "sub_lost, sub_lag, subscribers)" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef kmsgq_ext_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "kmsgq._kmsgq",
	.m_doc = "libkmsgq calls on file descriptors (use kmsgq.Queue)",
	.m_size = -1,
	.m_methods = kmsgq_ext_methods,
};

PyMODINIT_FUNC PyInit__kmsgq(void)
{
	PyObject *m = PyModule_Create(&kmsgq_ext_module);

	if (!m)
		return NULL;
	if (PyModule_AddIntConstant(m, "OPEN_RING", KMSGQ_OPEN_RING) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_RECLAIM", KMSGQ_OPEN_RECLAIM) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_SENDER", KMSGQ_OPEN_SENDER) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_FANOUT", KMSGQ_OPEN_FANOUT) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_INPLACE", KMSGQ_OPEN_INPLACE) < 0 ||
	    PyModule_AddObject(m, "HISTORY_ALL",
			       PyLong_FromUnsignedLong(KMSGQ_HISTORY_ALL)) < 0 ||
	    PyModule_AddIntConstant(m, "SENDER_KERNEL",
				    KMSGQ_SENDER_KERNEL) < 0 ||
	    PyModule_AddIntConstant(m, "SENDER_MAPPER",
				    KMSGQ_SENDER_MAPPER) < 0 ||
	    PyModule_AddIntConstant(m, "SENDER_SHARED",
				    KMSGQ_SENDER_SHARED) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_OVERFLOW_FAIL",
				    KMSGQ_OPEN_OVERFLOW_FAIL) < 0 ||
	    PyModule_AddIntConstant(m, "OPEN_OVERFLOW_DROP",
				    KMSGQ_OPEN_OVERFLOW_DROP) < 0 ||
	    PyModule_AddIntConstant(m, "ATTR_NONBLOCK", KMSGQ_ATTR_NONBLOCK) < 0 ||
	    PyModule_AddIntConstant(m, "NAME_MAX", KMSGQ_NAME_MAX) < 0 ||
	    PyModule_AddIntConstant(m, "PRIO_MAX", KMSGQ_PRIO_MAX) < 0 ||
	    PyModule_AddIntConstant(m, "BATCH_MAX", KMSGQ_BATCH_MAX) < 0 ||
	    PyModule_AddIntConstant(m, "XFER_NONBLOCK",
				    KMSGQ_XFER_NONBLOCK) < 0 ||
	    ring_ext_add_types(m) < 0 || fanout_ext_add_types(m) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
