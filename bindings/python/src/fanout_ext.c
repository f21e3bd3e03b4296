// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kmsgq._kmsgq.FanoutView: a zero-copy subscriber of a fan-out queue
 * created with qflags KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING, its store
 * mapped read-only with kmsgq_fanout_map(), each message read in place
 * (kmsgq_fanout_next(), kmsgq_fanout_done()) as a read-only memoryview,
 * and what was read acknowledged with kmsgq_fanout_ack().
 *
 * A memoryview must never outlive the memory under it.  So a message's
 * view is exported by a small object (FanoutMemory) that holds a reference
 * to the FanoutView, which stays mapped while any such object lives;
 * close() unmaps at once unless views of messages are alive, and then the
 * last of them to go unmaps.  The kernel never writes what the view shows
 * while it is read but for a publisher that reuses a slot under
 * OVERFLOW_DROP: a view's contents count only once done() said they were
 * intact.
 *
 * The view's position is the subscriber's, in this process: next() gives
 * the message at it, done() moves past it, and ack() tells the kernel,
 * which frees the slots for publishers that wait for them.  A FanoutView
 * is one reader's: calls from other threads while one waits in ack()
 * raise RuntimeError.
 *
 * kmsgq._kmsgq.FanoutPublisher: the other side of an in-place fan-out
 * queue (KMSGQ_OPEN_INPLACE), whose payload slots a publisher maps
 * writable (kmsgq_fanout_pub_map()), fills and commits
 * (kmsgq_fanout_publish()); see below.
 */
#include "kmsgq_ext.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

typedef struct {
	PyObject_HEAD
	struct kmsgq_fanout_view v;	/* v.fd is our own dup */
	int mapped, inited;
	int closed;		/* close() ran; unmapped once exports are 0 */
	int pending;		/* next() gave a message done() has not ended */
	Py_ssize_t exports;	/* live buffer exports of FanoutMemory objects */
	int waiting;		/* threads in kmsgq_fanout_ack() */
} FanoutViewObject;

/* The exporter of one message's memoryview. */
typedef struct {
	PyObject_HEAD
	FanoutViewObject *view;
	const void *buf;
	Py_ssize_t len;
} FanoutMemoryObject;

static PyTypeObject fanout_ext_view_type;
static PyTypeObject fanout_ext_memory_type;

/* Unmap and close our descriptor. */
static void fanout_ext_unmap(FanoutViewObject *fv)
{
	if (!fv->mapped)
		return;
	kmsgq_fanout_unmap(&fv->v);
	close(fv->v.fd);
	fv->mapped = 0;
}

/* --- FanoutMemory -------------------------------------------------------- */

static int fanout_ext_memory_getbuffer(PyObject *obj, Py_buffer *view,
				       int flags)
{
	FanoutMemoryObject *m = (FanoutMemoryObject *)obj;

	if (!m->view->mapped) {
		PyErr_SetString(PyExc_BufferError, "the view was unmapped");
		return -1;
	}
	if (PyBuffer_FillInfo(view, obj, (void *)m->buf, m->len, 1,
			      flags) < 0)
		return -1;
	m->view->exports++;
	return 0;
}

static void fanout_ext_memory_releasebuffer(PyObject *obj, Py_buffer *view)
{
	FanoutViewObject *fv = ((FanoutMemoryObject *)obj)->view;

	(void)view;
	/* A close() that found views alive left the unmapping to the last. */
	if (!--fv->exports && fv->closed)
		fanout_ext_unmap(fv);
}

static PyBufferProcs fanout_ext_memory_as_buffer = {
	.bf_getbuffer = fanout_ext_memory_getbuffer,
	.bf_releasebuffer = fanout_ext_memory_releasebuffer,
};

static void fanout_ext_memory_dealloc(PyObject *obj)
{
	FanoutMemoryObject *m = (FanoutMemoryObject *)obj;

	Py_DECREF(m->view);
	Py_TYPE(obj)->tp_free(obj);
}

static PyTypeObject fanout_ext_memory_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq._kmsgq.FanoutMemory",
	.tp_basicsize = sizeof(FanoutMemoryObject),
	.tp_dealloc = fanout_ext_memory_dealloc,
	.tp_as_buffer = &fanout_ext_memory_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "The memory of one fan-out message, exported to its "
		  "memoryview.",
};

/* A read-only memoryview of @len bytes at @buf in @fv's mapping. */
static PyObject *fanout_ext_memoryview(FanoutViewObject *fv, const void *buf,
				       uint32_t len)
{
	FanoutMemoryObject *m;
	PyObject *data;

	m = PyObject_New(FanoutMemoryObject, &fanout_ext_memory_type);
	if (!m)
		return NULL;
	Py_INCREF(fv);
	m->view = fv;
	m->buf = buf;
	m->len = len;
	data = PyMemoryView_FromObject((PyObject *)m);
	Py_DECREF(m);		/* the memoryview holds it */
	return data;
}

/* --- FanoutView ---------------------------------------------------------- */

/* Open, and no other thread waits in ack(); else -1 with an exception. */
static int fanout_ext_check(FanoutViewObject *fv)
{
	if (fv->closed || !fv->inited) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed view");
		return -1;
	}
	if (fv->waiting) {
		PyErr_SetString(PyExc_RuntimeError,
				"another thread waits on the view");
		return -1;
	}
	return 0;
}

/* FanoutView(fd): map the fan-out queue @fd subscribes to. */
static int fanout_ext_view_init(PyObject *obj, PyObject *args, PyObject *kwds)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;
	static char *kwlist[] = { "fd", NULL };
	int fd, dup, ret;

	if (fv->inited) {
		PyErr_SetString(PyExc_ValueError, "the view was mapped already");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "i:FanoutView", kwlist,
					 &fd))
		return -1;
	/* Our own descriptor, for kmsgq_fanout_ack(), whatever the queue's does. */
	dup = kmsgq_ext_dup(fd);
	if (dup < 0)
		return -1;
	ret = kmsgq_fanout_map(dup, &fv->v);
	if (ret < 0) {
		close(dup);
		kmsgq_ext_error(-ret);
		return -1;
	}
	fv->mapped = fv->inited = 1;
	return 0;
}

/*
 * kmsgq_fanout_ack() of what the view read, sleeping (@flags
 * KMSGQ_FANOUT_ACK_WAIT) until the deadline.  0, or -1 with an exception
 * set (TimeoutError, a signal handler's, OSError).
 */
static int fanout_ext_ack_wait(FanoutViewObject *fv, unsigned int flags,
			       const struct timespec *deadline)
{
	int ret;

	do {
		fv->waiting++;
		Py_BEGIN_ALLOW_THREADS
		ret = kmsgq_fanout_ack(&fv->v, flags, CLOCK_MONOTONIC,
				       deadline);
		Py_END_ALLOW_THREADS
		fv->waiting--;
	} while (ret == -EINTR && !kmsgq_ext_interrupted());
	if (ret == -EINTR)
		return -1;
	if (ret < 0) {
		kmsgq_ext_error(-ret);
		return -1;
	}
	return 0;
}

/*
 * The next message in place: 1 and *@msg, *@len; 0 if none is there yet.
 * A view that was lapped acknowledges, which moves it past what it lost
 * (counted in v.lost), and goes on.  -1 with an exception set.
 */
static int fanout_ext_next_msg(FanoutViewObject *fv, const void **msg,
			       uint32_t *len)
{
	int ret;

	while ((ret = kmsgq_fanout_next(&fv->v, msg, len)) < 0) {
		fv->pending = 0;
		ret = kmsgq_fanout_ack(&fv->v, 0, CLOCK_MONOTONIC, NULL);
		if (ret < 0) {
			kmsgq_ext_error(-ret);
			return -1;
		}
	}
	fv->pending = ret;
	return ret;
}

static PyObject *fanout_ext_view_next(PyObject *obj, PyObject *args)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;
	const void *msg;
	uint32_t len;
	int ret;

	(void)args;
	if (fanout_ext_check(fv) < 0)
		return NULL;
	ret = fanout_ext_next_msg(fv, &msg, &len);
	if (ret < 0)
		return NULL;
	if (!ret)
		Py_RETURN_NONE;
	return fanout_ext_memoryview(fv, msg, len);
}

static PyObject *fanout_ext_view_done(PyObject *obj, PyObject *args)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;

	(void)args;
	if (fanout_ext_check(fv) < 0)
		return NULL;
	if (!fv->pending) {
		PyErr_SetString(PyExc_ValueError,
				"no message from next() to finish");
		return NULL;
	}
	fv->pending = 0;
	return PyBool_FromLong(kmsgq_fanout_done(&fv->v));
}

/* Iterating: a copy of each message there is, checked; none: the end. */
static PyObject *fanout_ext_view_iternext(PyObject *obj)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;
	const void *msg;
	PyObject *data;
	uint32_t len;
	int ret;

	if (fanout_ext_check(fv) < 0)
		return NULL;
	for (;;) {
		ret = fanout_ext_next_msg(fv, &msg, &len);
		if (ret <= 0)
			return NULL;	/* StopIteration, or the error */
		data = PyBytes_FromStringAndSize(msg, len);
		if (!data)
			return NULL;
		fv->pending = 0;
		if (kmsgq_fanout_done(&fv->v))
			return data;
		/* Overwritten while copied: the next try says lapped. */
		Py_DECREF(data);
	}
}

static PyObject *fanout_ext_view_iter(PyObject *obj)
{
	if (fanout_ext_check((FanoutViewObject *)obj) < 0)
		return NULL;
	Py_INCREF(obj);
	return obj;
}

/* ack(wait=False, timeout=None) */
static PyObject *fanout_ext_view_ack(PyObject *obj, PyObject *args,
				     PyObject *kwds)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;
	static char *kwlist[] = { "wait", "timeout", NULL };
	const struct timespec *deadline;
	PyObject *timeout = Py_None;
	struct timespec ts;
	int wait = 0;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|pO:ack", kwlist, &wait,
					 &timeout))
		return NULL;
	if (timeout != Py_None && !wait) {
		PyErr_SetString(PyExc_ValueError, "a timeout needs wait=True");
		return NULL;
	}
	if (kmsgq_ext_deadline(timeout, &ts, &deadline) < 0 ||
	    fanout_ext_check(fv) < 0)
		return NULL;
	if (fanout_ext_ack_wait(fv, wait ? KMSGQ_FANOUT_ACK_WAIT : 0,
				deadline) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *fanout_ext_view_close(PyObject *obj, PyObject *args)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;

	(void)args;
	if (fv->closed || !fv->inited)
		Py_RETURN_NONE;
	if (fv->waiting) {
		PyErr_SetString(PyExc_BufferError,
				"another thread waits on the view");
		return NULL;
	}
	fv->closed = 1;
	if (!fv->exports)
		fanout_ext_unmap(fv);
	Py_RETURN_NONE;
}

static void fanout_ext_view_dealloc(PyObject *obj)
{
	/* Every FanoutMemory holds a reference: none is left. */
	fanout_ext_unmap((FanoutViewObject *)obj);
	Py_TYPE(obj)->tp_free(obj);
}

static PyObject *fanout_ext_view_fileno(PyObject *obj, PyObject *args)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;

	(void)args;
	if (fanout_ext_check(fv) < 0)
		return NULL;
	return PyLong_FromLong(fv->v.fd);
}

/* The getters: closure is the field, 'p'os, 't'ail, 'l'ost, 'n'r_slots, 's'lot_size. */
static PyObject *fanout_ext_view_get(PyObject *obj, void *closure)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;

	if (fv->closed || !fv->inited) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed view");
		return NULL;
	}
	switch (*(const char *)closure) {
	case 'p':
		return PyLong_FromUnsignedLongLong(fv->v.pos);
	case 't':
		return PyLong_FromUnsignedLongLong(fv->v.tail);
	case 'l':
		return PyLong_FromUnsignedLongLong(fv->v.lost);
	case 'n':
		return PyLong_FromUnsignedLongLong((uint64_t)fv->v.mask + 1);
	default:
		return PyLong_FromUnsignedLong(fv->v.slot_size);
	}
}

static PyObject *fanout_ext_view_get_closed(PyObject *obj, void *closure)
{
	FanoutViewObject *fv = (FanoutViewObject *)obj;

	(void)closure;
	return PyBool_FromLong(fv->closed || !fv->inited);
}

static PyMethodDef fanout_ext_view_methods[] = {
	{ "next", fanout_ext_view_next, METH_NOARGS,
	  "next() -> memoryview or None: the message at pos, read-only, in "
	  "place; None if there is none yet.  Its contents count once done() "
	  "returns True" },
	{ "done", fanout_ext_view_done, METH_NOARGS,
	  "done() -> bool: was the message next() gave intact while it was "
	  "read?  If so, pos moves past it; if not, discard what was read "
	  "(the view was lapped: next() moves on)" },
	{ "ack", (PyCFunction)(void (*)(void))fanout_ext_view_ack,
	  METH_VARARGS | METH_KEYWORDS,
	  "ack(wait=False, timeout=None): tell the kernel everything below "
	  "pos was read, freeing those slots; with wait=True, then sleep until "
	  "a message is there to read (TimeoutError after timeout seconds)" },
	{ "close", fanout_ext_view_close, METH_NOARGS,
	  "close(): unmap, at once or when the last memoryview of a message "
	  "goes" },
	{ "fileno", fanout_ext_view_fileno, METH_NOARGS,
	  "the view's own descriptor on the queue: readable when a message "
	  "waits" },
	{ "__enter__", kmsgq_ext_enter, METH_NOARGS, NULL },
	{ "__exit__", kmsgq_ext_exit_close, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef fanout_ext_view_getset[] = {
	{ "pos", fanout_ext_view_get, NULL,
	  "number of the next message to read (next() gives it)", "p" },
	{ "tail", fanout_ext_view_get, NULL,
	  "number of the next message to be published, as last seen", "t" },
	{ "lost", fanout_ext_view_get, NULL,
	  "messages overwritten before this view read them", "l" },
	{ "nr_slots", fanout_ext_view_get, NULL, "slots in the store", "n" },
	{ "slot_size", fanout_ext_view_get, NULL,
	  "payload bytes per slot: the longest message", "s" },
	{ "closed", fanout_ext_view_get_closed, NULL, "closed", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyTypeObject fanout_ext_view_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq.FanoutView",
	.tp_basicsize = sizeof(FanoutViewObject),
	.tp_dealloc = fanout_ext_view_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "FanoutView(fd): the mapped store of a fan-out queue created "
		  "with ring=True, for the subscriber fd (use "
		  "Queue.fanout_view()).  Iterating gives a checked copy of "
		  "each message there is now.",
	.tp_iter = fanout_ext_view_iter,
	.tp_iternext = fanout_ext_view_iternext,
	.tp_methods = fanout_ext_view_methods,
	.tp_getset = fanout_ext_view_getset,
	.tp_init = fanout_ext_view_init,
	.tp_new = PyType_GenericNew,
};

/* --- FanoutPublisher ----------------------------------------------------- */

/*
 * An in-place publisher of a fan-out queue created with qflags
 * KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_RING | KMSGQ_OPEN_INPLACE: the payload
 * slots mapped shared and writable with kmsgq_fanout_pub_map(), each
 * payload copied into the slot the kernel reserved for it, and a batch
 * committed, with the next one reserved, by one kmsgq_fanout_publish().
 * publish() never returns with slots reserved: a subscriber waits at a
 * reserved slot, and with it every publisher a depth later.
 */
typedef struct {
	PyObject_HEAD
	struct kmsgq_fanout_pub p;	/* p.fd is our own dup */
	int mapped, inited;
	int busy;		/* threads in publish() */
} FanoutPublisherObject;

static PyTypeObject fanout_ext_pub_type;

/*
 * Commit what the file holds reserved as holes, which subscribers skip:
 * libkmsgq's return value.  With the GIL or without.
 */
static int fanout_ext_pub_holes(struct kmsgq_fanout_pub *p)
{
	uint32_t holes[KMSGQ_FANOUT_RESERVE_MAX];
	unsigned int i, n = p->nr;

	if (!n)
		return 0;
	if (n > KMSGQ_FANOUT_RESERVE_MAX)
		return -EPROTO;
	for (i = 0; i < n; i++)
		holes[i] = KMSGQ_FANOUT_LEN_HOLE;
	return kmsgq_fanout_publish(p, holes, n, 0, 0, CLOCK_MONOTONIC, NULL);
}

/* Give up any reservation, unmap and close our descriptor. */
static void fanout_ext_pub_unmap(FanoutPublisherObject *fp)
{
	if (!fp->mapped)
		return;
	fanout_ext_pub_holes(&fp->p);
	kmsgq_fanout_pub_unmap(&fp->p);
	close(fp->p.fd);
	fp->mapped = 0;
}

/* Open, and no other thread publishes; else -1 with an exception. */
static int fanout_ext_pub_check(FanoutPublisherObject *fp)
{
	if (!fp->mapped) {
		PyErr_SetString(PyExc_ValueError,
				"operation on a closed publisher");
		return -1;
	}
	if (fp->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"another thread publishes through the publisher");
		return -1;
	}
	return 0;
}

/* FanoutPublisher(fd): map the payload slots of the queue @fd is bound to. */
static int fanout_ext_pub_init(PyObject *obj, PyObject *args, PyObject *kwds)
{
	FanoutPublisherObject *fp = (FanoutPublisherObject *)obj;
	static char *kwlist[] = { "fd", NULL };
	int fd, dup, ret;

	if (fp->inited) {
		PyErr_SetString(PyExc_ValueError,
				"the publisher was mapped already");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "i:FanoutPublisher",
					 kwlist, &fd))
		return -1;
	/* Our own descriptor, whatever becomes of the queue's. */
	dup = kmsgq_ext_dup(fd);
	if (dup < 0)
		return -1;
	ret = kmsgq_fanout_pub_map(dup, &fp->p);
	if (ret < 0) {
		close(dup);
		kmsgq_ext_error(-ret);
		return -1;
	}
	fp->mapped = fp->inited = 1;
	return 0;
}

/* The errors after which a kmsgq_fanout_publish() still committed. */
static int fanout_ext_pub_committed(int ret)
{
	return ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EINTR ||
	       ret == -EBUSY;
}

/*
 * Publish @n payloads @bufs, each at most a slot: the number published,
 * and *@ret 0, or fewer and *@ret the error that stopped it (-EINTR with
 * a signal handler's exception set).  Takes the GIL only to run signal
 * handlers.
 */
static Py_ssize_t fanout_ext_pub_loop(FanoutPublisherObject *fp,
				      const Py_buffer *bufs, Py_ssize_t n,
				      const struct timespec *deadline,
				      int *ret)
{
	uint32_t lens[KMSGQ_FANOUT_RESERVE_MAX];
	unsigned int k, want, j;
	Py_ssize_t done = 0, left;
	uint64_t first;
	int err = 0;

	while (done < n) {
		/* Fill what the file holds reserved, up to what is left. */
		k = fp->p.nr;
		if ((Py_ssize_t)k > n - done)
			k = (unsigned int)(n - done);
		first = fp->p.first;
		/* Reserve for the rest, when the commit leaves none reserved. */
		left = n - done - k;
		want = left > KMSGQ_FANOUT_RESERVE_MAX ?
		       KMSGQ_FANOUT_RESERVE_MAX : (unsigned int)left;
		if (k < fp->p.nr)
			want = 0;
		Py_BEGIN_ALLOW_THREADS
		for (j = 0; j < k; j++) {
			const Py_buffer *b = &bufs[done + j];

			if (b->len)
				memcpy(kmsgq_fanout_pub_slot(&fp->p, first + j),
				       b->buf, (size_t)b->len);
			lens[j] = (uint32_t)b->len;
		}
		err = kmsgq_fanout_publish(&fp->p, k ? lens : NULL, k, want, 0,
					   CLOCK_MONOTONIC, deadline);
		Py_END_ALLOW_THREADS
		if (err >= 0 || fanout_ext_pub_committed(err))
			done += k;
		if (err >= 0)
			continue;
		/* PEP 475: a handler that does not raise, and on. */
		if (err == -EINTR && !kmsgq_ext_interrupted())
			continue;
		break;
	}
	/* Slots reserved beyond the payloads (the file held them): holes. */
	if (err >= 0 && fp->p.nr) {
		Py_BEGIN_ALLOW_THREADS
		err = fanout_ext_pub_holes(&fp->p);
		Py_END_ALLOW_THREADS
	}
	*ret = err < 0 ? err : 0;
	return done;
}

/* publish(payloads, timeout=None) -> int */
static PyObject *fanout_ext_pub_publish(PyObject *obj, PyObject *args,
					PyObject *kwds)
{
	FanoutPublisherObject *fp = (FanoutPublisherObject *)obj;
	static char *kwlist[] = { "payloads", "timeout", NULL };
	PyObject *payloads, *seq, *timeout = Py_None, *result = NULL;
	const struct timespec *deadline;
	Py_ssize_t n, i, got = 0, done;
	Py_buffer *bufs = NULL;
	struct timespec ts;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:publish", kwlist,
					 &payloads, &timeout))
		return NULL;
	if (kmsgq_ext_deadline(timeout, &ts, &deadline) < 0 ||
	    fanout_ext_pub_check(fp) < 0)
		return NULL;
	seq = PySequence_Fast(payloads, "payloads must be an iterable of "
				       "bytes-like objects");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	if (!n) {
		result = PyLong_FromLong(0);
		goto out;
	}
	bufs = PyMem_Calloc((size_t)n, sizeof(*bufs));
	if (!bufs) {
		PyErr_NoMemory();
		goto out;
	}
	/* Every payload held, and checked, before the first is published. */
	for (i = 0; i < n; i++) {
		if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, i),
				       &bufs[i], PyBUF_SIMPLE) < 0)
			goto out;
		got = i + 1;
		if ((size_t)bufs[i].len > fp->p.slot_size) {
			kmsgq_ext_error(EMSGSIZE);
			goto out;
		}
	}
	/* The buffers above may have run code: check again. */
	if (fanout_ext_pub_check(fp) < 0)
		goto out;
	fp->busy++;
	done = fanout_ext_pub_loop(fp, bufs, n, deadline, &ret);
	fp->busy--;
	/* Time or room ran out after some: as send_batch(), the count. */
	if (!ret || (done && (ret == -EAGAIN || ret == -ETIMEDOUT))) {
		result = PyLong_FromSsize_t(done);
		goto out;
	}
	if (ret != -EINTR)
		kmsgq_ext_error(-ret);
	kmsgq_ext_raise_count("published", (uint64_t)done);
out:
	for (i = 0; i < got; i++)
		PyBuffer_Release(&bufs[i]);
	PyMem_Free(bufs);
	Py_DECREF(seq);
	return result;
}

static PyObject *fanout_ext_pub_close(PyObject *obj, PyObject *args)
{
	FanoutPublisherObject *fp = (FanoutPublisherObject *)obj;

	(void)args;
	if (fp->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"another thread publishes through the publisher");
		return NULL;
	}
	fanout_ext_pub_unmap(fp);
	Py_RETURN_NONE;
}

static void fanout_ext_pub_dealloc(PyObject *obj)
{
	fanout_ext_pub_unmap((FanoutPublisherObject *)obj);
	Py_TYPE(obj)->tp_free(obj);
}

static PyObject *fanout_ext_pub_fileno(PyObject *obj, PyObject *args)
{
	FanoutPublisherObject *fp = (FanoutPublisherObject *)obj;

	(void)args;
	if (!fp->mapped) {
		PyErr_SetString(PyExc_ValueError,
				"operation on a closed publisher");
		return NULL;
	}
	return PyLong_FromLong(fp->p.fd);
}

/* The getters: closure is the field, 'n'r_slots or 's'lot_size. */
static PyObject *fanout_ext_pub_get(PyObject *obj, void *closure)
{
	FanoutPublisherObject *fp = (FanoutPublisherObject *)obj;

	if (!fp->mapped) {
		PyErr_SetString(PyExc_ValueError,
				"operation on a closed publisher");
		return NULL;
	}
	if (*(const char *)closure == 'n')
		return PyLong_FromUnsignedLong(fp->p.nr_slots);
	return PyLong_FromUnsignedLong(fp->p.slot_size);
}

static PyObject *fanout_ext_pub_get_closed(PyObject *obj, void *closure)
{
	(void)closure;
	return PyBool_FromLong(!((FanoutPublisherObject *)obj)->mapped);
}

static PyMethodDef fanout_ext_pub_methods[] = {
	{ "publish", (PyCFunction)(void (*)(void))fanout_ext_pub_publish,
	  METH_VARARGS | METH_KEYWORDS,
	  "publish(payloads, timeout=None) -> int: copy each bytes-like "
	  "payload (at most slot_size bytes: else OSError EMSGSIZE, nothing "
	  "published) into a slot the kernel reserved for it and commit them, "
	  "in batches, waiting for room for at most timeout seconds in all.  "
	  "Returns how many were published: all, or fewer if time or room "
	  "ran out after some (none: TimeoutError, BlockingIOError).  An "
	  "exception raised once the kernel was asked carries the number "
	  "published in its attribute published" },
	{ "close", fanout_ext_pub_close, METH_NOARGS,
	  "close(): unmap the slots and close the publisher's descriptor" },
	{ "fileno", fanout_ext_pub_fileno, METH_NOARGS,
	  "the publisher's own descriptor on the queue" },
	{ "__enter__", kmsgq_ext_enter, METH_NOARGS, NULL },
	{ "__exit__", kmsgq_ext_exit_close, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef fanout_ext_pub_getset[] = {
	{ "nr_slots", fanout_ext_pub_get, NULL, "slots in the store", "n" },
	{ "slot_size", fanout_ext_pub_get, NULL,
	  "payload bytes per slot: the longest message", "s" },
	{ "closed", fanout_ext_pub_get_closed, NULL, "closed", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyTypeObject fanout_ext_pub_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq.FanoutPublisher",
	.tp_basicsize = sizeof(FanoutPublisherObject),
	.tp_dealloc = fanout_ext_pub_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "FanoutPublisher(fd): the payload slots of a fan-out queue "
		  "created with ring=True and inplace=True, mapped writable "
		  "for fd, opened \"rw\" (use Queue.fanout_publisher()).  "
		  "publish() copies each payload into its slot and commits.",
	.tp_methods = fanout_ext_pub_methods,
	.tp_getset = fanout_ext_pub_getset,
	.tp_init = fanout_ext_pub_init,
	.tp_new = PyType_GenericNew,
};

int fanout_ext_add_types(PyObject *m)
{
	if (PyType_Ready(&fanout_ext_view_type) < 0 ||
	    PyType_Ready(&fanout_ext_memory_type) < 0 ||
	    PyType_Ready(&fanout_ext_pub_type) < 0)
		return -1;
	Py_INCREF(&fanout_ext_view_type);
	if (PyModule_AddObject(m, "FanoutView",
			       (PyObject *)&fanout_ext_view_type) < 0) {
		Py_DECREF(&fanout_ext_view_type);
		return -1;
	}
	Py_INCREF(&fanout_ext_pub_type);
	if (PyModule_AddObject(m, "FanoutPublisher",
			       (PyObject *)&fanout_ext_pub_type) < 0) {
		Py_DECREF(&fanout_ext_pub_type);
		return -1;
	}
	return 0;
}
