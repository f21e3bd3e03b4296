// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kmsgq._kmsgq.Ring and Slot: a ring queue mapped with kmsgq_ring_map(),
 * its slots reserved and committed, or claimed and released, in place,
 * each slot's payload a memoryview of the mapping.
 *
 * A memoryview must never outlive the memory under it.  So a slot's view
 * is exported by a small object (SlotMemory) that holds a reference to the
 * Ring, which stays mapped while any such object lives; a Ring is unmapped
 * only by its close() or its deallocation, and close() refuses (BufferError,
 * as mmap.close() does) while any view of a slot other than the slot's own
 * is alive.  Committing or releasing a slot releases its own view, so
 * slot.data raises ValueError afterwards; it too refuses while other views
 * of the slot are alive, since the slot then belongs to other processes.
 *
 * A slot must be committed or released, and soon: slots are taken in
 * position order, so an open one holds back the ring.  A Slot dropped
 * open, or left open by a with block, gives its slot back: a reserved one
 * as a slot without a message (kmsgq_ring_commit() with a length above the
 * slot size, which consumers skip), a claimed one released.
 */
#include "kmsgq_ext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <kmsgq.h>

typedef struct ring_ext_slot SlotObject;

typedef struct {
	PyObject_HEAD
	struct kmsgq_ring r;	/* valid while mapped; r.fd is our own dup */
	int mapped, inited;
	Py_ssize_t exports;	/* live buffer exports of SlotMemory objects */
	int waiting;		/* threads in kmsgq_ring_wait() */
	SlotObject *slots;	/* open slots, a doubly linked list */
} RingObject;

/* The exporter of one slot's memoryview. */
typedef struct {
	PyObject_HEAD
	RingObject *ring;
	void *buf;
	Py_ssize_t len;
	int readonly;
	int valid;		/* the slot is still open: views may be made */
	Py_ssize_t exports;
} SlotMemoryObject;

enum ring_ext_kind { RING_EXT_RESERVED, RING_EXT_CLAIMED };

struct ring_ext_slot {
	PyObject_HEAD
	RingObject *ring;
	SlotObject *prev, *next;	/* in ring->slots while open */
	uint32_t pos;
	enum ring_ext_kind kind;
	int open;
	SlotMemoryObject *mem;
	PyObject *data;			/* memoryview of mem */
};

static PyTypeObject ring_ext_ring_type;
static PyTypeObject ring_ext_memory_type;
static PyTypeObject ring_ext_slot_type;

/* --- SlotMemory ---------------------------------------------------------- */

static int ring_ext_memory_getbuffer(PyObject *obj, Py_buffer *view,
				     int flags)
{
	SlotMemoryObject *m = (SlotMemoryObject *)obj;

	if (!m->valid) {
		PyErr_SetString(PyExc_BufferError,
				"the slot was committed or released");
		return -1;
	}
	if (PyBuffer_FillInfo(view, obj, m->buf, m->len, m->readonly,
			      flags) < 0)
		return -1;
	m->exports++;
	m->ring->exports++;
	return 0;
}

static void ring_ext_memory_releasebuffer(PyObject *obj, Py_buffer *view)
{
	SlotMemoryObject *m = (SlotMemoryObject *)obj;

	(void)view;
	m->exports--;
	m->ring->exports--;
}

static PyBufferProcs ring_ext_memory_as_buffer = {
	.bf_getbuffer = ring_ext_memory_getbuffer,
	.bf_releasebuffer = ring_ext_memory_releasebuffer,
};

static void ring_ext_memory_dealloc(PyObject *obj)
{
	SlotMemoryObject *m = (SlotMemoryObject *)obj;

	Py_DECREF(m->ring);
	Py_TYPE(obj)->tp_free(obj);
}

static PyTypeObject ring_ext_memory_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq._kmsgq.SlotMemory",
	.tp_basicsize = sizeof(SlotMemoryObject),
	.tp_dealloc = ring_ext_memory_dealloc,
	.tp_as_buffer = &ring_ext_memory_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "The memory of one ring slot, exported to its memoryview.",
};

/* --- Slot ---------------------------------------------------------------- */

/*
 * A new open Slot at @pos over @len bytes of its payload, in ring->slots.
 * NULL with an exception set: then the slot is still the caller's to give
 * back.
 */
static SlotObject *ring_ext_slot_new(RingObject *ring, uint32_t pos,
				     enum ring_ext_kind kind, uint32_t len)
{
	SlotMemoryObject *m;
	PyObject *data;
	SlotObject *s;

	m = PyObject_New(SlotMemoryObject, &ring_ext_memory_type);
	if (!m)
		return NULL;
	Py_INCREF(ring);
	m->ring = ring;
	m->buf = kmsgq_ring_slot(&ring->r, pos);
	m->len = len;
	m->readonly = kind == RING_EXT_CLAIMED;
	m->valid = 1;
	m->exports = 0;
	data = PyMemoryView_FromObject((PyObject *)m);
	if (!data) {
		Py_DECREF(m);
		return NULL;
	}
	s = PyObject_New(SlotObject, &ring_ext_slot_type);
	if (!s) {
		Py_DECREF(data);
		Py_DECREF(m);
		return NULL;
	}
	Py_INCREF(ring);
	s->ring = ring;
	s->pos = pos;
	s->kind = kind;
	s->open = 1;
	s->mem = m;
	s->data = data;
	s->prev = NULL;
	s->next = ring->slots;
	if (ring->slots)
		ring->slots->prev = s;
	ring->slots = s;
	return s;
}

/*
 * Release the slot's own view, then check that no other view of its
 * memory is alive.  0, or -1 with an exception set (BufferError).
 */
static int ring_ext_slot_unview(SlotObject *s)
{
	PyObject *ret;

	ret = PyObject_CallMethod(s->data, "release", NULL);
	if (!ret)
		return -1;
	Py_DECREF(ret);
	if (s->mem->exports) {
		PyErr_SetString(PyExc_BufferError,
				"views of the slot's memory are alive "
				"(slices of slot.data, arrays over it)");
		return -1;
	}
	return 0;
}

/*
 * Hand an open slot on: commit @len bytes (a reserved slot; above the slot
 * size, no message) or release it (a claimed one).  Out of the open list.
 * The caller calls kmsgq_ring_commit_done() or kmsgq_ring_release_done().
 */
static void ring_ext_slot_finish(SlotObject *s, uint32_t len)
{
	RingObject *ring = s->ring;

	if (s->kind == RING_EXT_RESERVED)
		kmsgq_ring_commit(&ring->r, s->pos, len);
	else
		kmsgq_ring_release(&ring->r, s->pos, 1);
	s->open = 0;
	s->mem->valid = 0;
	if (s->prev)
		s->prev->next = s->next;
	else
		ring->slots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

/* kmsgq_ring_commit_done() or kmsgq_ring_release_done(), for @kind. */
static int ring_ext_done(RingObject *ring, enum ring_ext_kind kind)
{
	return kind == RING_EXT_RESERVED ? kmsgq_ring_commit_done(&ring->r) :
					   kmsgq_ring_release_done(&ring->r);
}

/* The length that marks a slot as carrying no message. */
static uint32_t ring_ext_no_message(const RingObject *ring)
{
	return ring->r.slot_size + 1;
}

/* Slot is open and of @kind; else an exception (ValueError), -1. */
static int ring_ext_slot_check(SlotObject *s, enum ring_ext_kind kind,
			       const char *what)
{
	if (!s->open) {
		PyErr_SetString(PyExc_ValueError,
				"the slot was committed or released already");
		return -1;
	}
	if (s->kind != kind) {
		PyErr_Format(PyExc_ValueError, "%s: the slot was %s", what,
			     s->kind == RING_EXT_RESERVED ? "reserved" :
							   "claimed");
		return -1;
	}
	return 0;
}

/* Give an open slot back (no message, or released), then wake a peer. */
static PyObject *ring_ext_slot_give_back(SlotObject *s)
{
	int ret;

	if (ring_ext_slot_unview(s) < 0)
		return NULL;
	ring_ext_slot_finish(s, ring_ext_no_message(s->ring));
	ret = ring_ext_done(s->ring, s->kind);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	Py_RETURN_NONE;
}

static PyObject *ring_ext_slot_commit(PyObject *obj, PyObject *args)
{
	SlotObject *s = (SlotObject *)obj;
	Py_ssize_t len;
	int ret;

	if (!PyArg_ParseTuple(args, "n:commit", &len))
		return NULL;
	if (ring_ext_slot_check(s, RING_EXT_RESERVED, "commit") < 0)
		return NULL;
	if (len < 0 || len > (Py_ssize_t)s->ring->r.slot_size) {
		PyErr_Format(PyExc_ValueError, "length %zd outside 0..%u", len,
			     s->ring->r.slot_size);
		return NULL;
	}
	if (ring_ext_slot_unview(s) < 0)
		return NULL;
	ring_ext_slot_finish(s, (uint32_t)len);
	ret = kmsgq_ring_commit_done(&s->ring->r);
	if (ret < 0)
		return kmsgq_ext_error(-ret);
	Py_RETURN_NONE;
}

static PyObject *ring_ext_slot_abort(PyObject *obj, PyObject *args)
{
	SlotObject *s = (SlotObject *)obj;

	(void)args;
	if (ring_ext_slot_check(s, RING_EXT_RESERVED, "abort") < 0)
		return NULL;
	return ring_ext_slot_give_back(s);
}

static PyObject *ring_ext_slot_release(PyObject *obj, PyObject *args)
{
	SlotObject *s = (SlotObject *)obj;

	(void)args;
	if (ring_ext_slot_check(s, RING_EXT_CLAIMED, "release") < 0)
		return NULL;
	return ring_ext_slot_give_back(s);
}

/* Leaving a with block: an open slot is given back (see the top). */
static PyObject *ring_ext_slot_exit(PyObject *obj, PyObject *args)
{
	SlotObject *s = (SlotObject *)obj;

	(void)args;
	if (s->open && !ring_ext_slot_give_back(s))
		return NULL;
	Py_RETURN_FALSE;
}

/* memoryview @view released if it can be, any exception kept as it was. */
static void ring_ext_release_quietly(PyObject *view)
{
#if PY_VERSION_HEX >= 0x030C0000
	PyObject *exc = PyErr_GetRaisedException();

	Py_XDECREF(PyObject_CallMethod(view, "release", NULL));
	PyErr_SetRaisedException(exc);
#else
	PyObject *type, *value, *tb;

	PyErr_Fetch(&type, &value, &tb);
	Py_XDECREF(PyObject_CallMethod(view, "release", NULL));
	PyErr_Restore(type, value, tb);
#endif
}

static void ring_ext_slot_dealloc(PyObject *obj)
{
	SlotObject *s = (SlotObject *)obj;

	if (s->open) {
		/*
		 * Give it back.  Views of its memory that are not its own may
		 * live on (a release() that fails says so), and the mapping
		 * under them with them.
		 */
		ring_ext_release_quietly(s->data);
		ring_ext_slot_finish(s, ring_ext_no_message(s->ring));
		ring_ext_done(s->ring, s->kind);
	}
	Py_DECREF(s->data);
	Py_DECREF(s->mem);
	Py_DECREF(s->ring);
	Py_TYPE(obj)->tp_free(obj);
}

static PyObject *ring_ext_slot_get_data(PyObject *obj, void *closure)
{
	SlotObject *s = (SlotObject *)obj;

	(void)closure;
	Py_INCREF(s->data);
	return s->data;
}

static PyObject *ring_ext_slot_get_pos(PyObject *obj, void *closure)
{
	(void)closure;
	return PyLong_FromUnsignedLong(((SlotObject *)obj)->pos);
}

static PyObject *ring_ext_slot_get_open(PyObject *obj, void *closure)
{
	(void)closure;
	return PyBool_FromLong(((SlotObject *)obj)->open);
}

static PyObject *ring_ext_slot_repr(PyObject *obj)
{
	SlotObject *s = (SlotObject *)obj;

	return PyUnicode_FromFormat("<kmsgq.Slot %s pos=%lu%s>",
				    s->kind == RING_EXT_RESERVED ? "reserved" :
								  "claimed",
				    (unsigned long)s->pos,
				    s->open ? "" : " done");
}

static PyMethodDef ring_ext_slot_methods[] = {
	{ "commit", ring_ext_slot_commit, METH_VARARGS,
	  "commit(length): publish a reserved slot holding length bytes" },
	{ "abort", ring_ext_slot_abort, METH_NOARGS,
	  "abort(): give a reserved slot back without a message" },
	{ "release", ring_ext_slot_release, METH_NOARGS,
	  "release(): hand a claimed slot back to the producers" },
	{ "__enter__", kmsgq_ext_enter, METH_NOARGS, NULL },
	{ "__exit__", ring_ext_slot_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef ring_ext_slot_getset[] = {
	{ "data", ring_ext_slot_get_data, NULL,
	  "memoryview of the payload: writable, slot_size bytes, in a reserved "
	  "slot; read-only, the message, in a claimed one; released once the "
	  "slot is committed or released", NULL },
	{ "pos", ring_ext_slot_get_pos, NULL, "the slot's ring position",
	  NULL },
	{ "open", ring_ext_slot_get_open, NULL,
	  "not yet committed, aborted or released", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyTypeObject ring_ext_slot_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq.Slot",
	.tp_basicsize = sizeof(SlotObject),
	.tp_dealloc = ring_ext_slot_dealloc,
	.tp_repr = ring_ext_slot_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A reserved or claimed slot of a Ring (from Ring.reserve() "
		  "or Ring.claim()).",
	.tp_methods = ring_ext_slot_methods,
	.tp_getset = ring_ext_slot_getset,
};

/* --- Ring ---------------------------------------------------------------- */

static int ring_ext_check_mapped(RingObject *ring)
{
	if (!ring->mapped) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed ring");
		return -1;
	}
	return 0;
}

/* Ring(fd): map the ring of the queue @fd (opened "rw") is bound to. */
static int ring_ext_ring_init(PyObject *obj, PyObject *args, PyObject *kwds)
{
	RingObject *ring = (RingObject *)obj;
	static char *kwlist[] = { "fd", NULL };
	int fd, dup, fl, ret;

	if (ring->inited) {
		PyErr_SetString(PyExc_ValueError, "the ring was mapped already");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "i:Ring", kwlist, &fd))
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
	/* A read-only mapping would fault at the first reserve or claim. */
	if ((fl & O_ACCMODE) != O_RDWR) {
		errno = EBADF;
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
	/* Our own descriptor, for kmsgq_ring_wait(), whatever the queue's does. */
	dup = kmsgq_ext_dup(fd);
	if (dup < 0)
		return -1;
	ret = kmsgq_ring_map(dup, &ring->r);
	if (ret < 0) {
		close(dup);
		kmsgq_ext_error(-ret);
		return -1;
	}
	ring->mapped = ring->inited = 1;
	return 0;
}

/* Unmap and close; the caller made sure no slot or view is left. */
static void ring_ext_unmap(RingObject *ring)
{
	int fd = ring->r.fd;

	kmsgq_ring_unmap(&ring->r);
	close(fd);
	ring->mapped = 0;
}

static PyObject *ring_ext_ring_close(PyObject *obj, PyObject *args)
{
	RingObject *ring = (RingObject *)obj;
	SlotObject *s;
	int kinds = 0;

	(void)args;
	if (!ring->mapped)
		Py_RETURN_NONE;
	if (ring->waiting) {
		PyErr_SetString(PyExc_BufferError,
				"another thread waits on the ring");
		return NULL;
	}
	for (s = ring->slots; s; s = s->next)
		if (ring_ext_slot_unview(s) < 0)
			return NULL;
	if (ring->exports) {
		PyErr_SetString(PyExc_BufferError,
				"views of the ring's slots are alive");
		return NULL;
	}
	while ((s = ring->slots)) {
		kinds |= 1 << s->kind;
		ring_ext_slot_finish(s, ring_ext_no_message(ring));
	}
	if (kinds & (1 << RING_EXT_RESERVED))
		ring_ext_done(ring, RING_EXT_RESERVED);
	if (kinds & (1 << RING_EXT_CLAIMED))
		ring_ext_done(ring, RING_EXT_CLAIMED);
	ring_ext_unmap(ring);
	Py_RETURN_NONE;
}

static void ring_ext_ring_dealloc(PyObject *obj)
{
	RingObject *ring = (RingObject *)obj;

	/* Every Slot and SlotMemory holds a reference: none is left. */
	if (ring->mapped)
		ring_ext_unmap(ring);
	Py_TYPE(obj)->tp_free(obj);
}

/*
 * Sleep until the ring has @events, or the deadline.  0, or -1 with an
 * exception set (TimeoutError, or a signal handler's).
 */
static int ring_ext_wait(RingObject *ring, unsigned int events,
			 const struct timespec *deadline)
{
	int ret;

	do {
		ring->waiting++;
		Py_BEGIN_ALLOW_THREADS
		ret = kmsgq_ring_wait(&ring->r, events, CLOCK_MONOTONIC,
				      deadline);
		Py_END_ALLOW_THREADS
		ring->waiting--;
	} while (ret == -EINTR && !kmsgq_ext_interrupted());
	if (ret == -EINTR)
		return -1;
	if (ret < 0) {
		kmsgq_ext_error(-ret);
		return -1;
	}
	return 0;
}

/* Parse (n, timeout) of reserve() and claim(): 0, or -1 with an error. */
static int ring_ext_parse(PyObject *args, PyObject *kwds, const char *fmt,
			  unsigned int *n, struct timespec *ts,
			  const struct timespec **deadline)
{
	static char *kwlist[] = { "n", "timeout", NULL };
	PyObject *timeout = Py_None;
	Py_ssize_t want = 1;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &want,
					 &timeout))
		return -1;
	if (want < 1 || (size_t)want > UINT_MAX) {
		PyErr_SetString(PyExc_ValueError, "n must be at least 1");
		return -1;
	}
	*n = (unsigned int)want;
	return kmsgq_ext_deadline(timeout, ts, deadline);
}

/*
 * reserve(n=1, timeout=None) -> [Slot, ...]: 1..n free slots, each
 * slot_size bytes to write in place.
 */
static PyObject *ring_ext_ring_reserve(PyObject *obj, PyObject *args,
				       PyObject *kwds)
{
	RingObject *ring = (RingObject *)obj;
	const struct timespec *deadline;
	struct timespec ts;
	unsigned int n, got, i;
	PyObject *list;
	SlotObject *s;
	uint32_t pos;

	if (ring_ext_parse(args, kwds, "|nO:reserve", &n, &ts, &deadline) < 0 ||
	    ring_ext_check_mapped(ring) < 0)
		return NULL;
	while (!(got = kmsgq_ring_reserve(&ring->r, n, &pos)))
		if (ring_ext_wait(ring, KMSGQ_RING_WRITABLE, deadline) < 0)
			return NULL;
	list = PyList_New(got);
	for (i = 0; list && i < got; i++) {
		s = ring_ext_slot_new(ring, pos + i, RING_EXT_RESERVED,
				      ring->r.slot_size);
		if (!s)
			break;
		PyList_SET_ITEM(list, i, (PyObject *)s);
	}
	if (i < got) {
		/* The slots made give theirs back, then those not made. */
		Py_CLEAR(list);
		for (; i < got; i++)
			kmsgq_ring_commit(&ring->r, pos + i,
					  ring_ext_no_message(ring));
		kmsgq_ring_commit_done(&ring->r);
	}
	return list;
}

/*
 * claim(n=1, timeout=None) -> [Slot, ...]: 1..n committed slots in
 * order, each with its message to read in place.  Slots that carry no
 * message are released and skipped.
 */
static PyObject *ring_ext_ring_claim(PyObject *obj, PyObject *args,
				     PyObject *kwds)
{
	RingObject *ring = (RingObject *)obj;
	const struct timespec *deadline;
	PyObject *list = NULL;
	struct timespec ts;
	unsigned int n, got, i;
	uint32_t pos, len;
	SlotObject *s;
	int skipped;

	if (ring_ext_parse(args, kwds, "|nO:claim", &n, &ts, &deadline) < 0 ||
	    ring_ext_check_mapped(ring) < 0)
		return NULL;
	while (!list) {
		while (!(got = kmsgq_ring_claim(&ring->r, n, &pos)))
			if (ring_ext_wait(ring, KMSGQ_RING_READABLE,
					  deadline) < 0)
				return NULL;
		list = PyList_New(0);
		skipped = 0;
		for (i = 0; i < got; i++) {
			if (list && kmsgq_ring_msg(&ring->r, pos + i, &len)) {
				s = ring_ext_slot_new(ring, pos + i,
						      RING_EXT_CLAIMED, len);
				if (s) {
					/* On failure, s gives its slot back. */
					if (PyList_Append(list,
							  (PyObject *)s) < 0)
						Py_CLEAR(list);
					Py_DECREF(s);
					continue;
				}
				Py_CLEAR(list);
			}
			/* No message, or an error: give it back now. */
			kmsgq_ring_release(&ring->r, pos + i, 1);
			skipped = 1;
		}
		if (skipped)
			kmsgq_ring_release_done(&ring->r);
		if (!list && PyErr_Occurred())
			return NULL;
		if (list && !PyList_GET_SIZE(list))
			Py_CLEAR(list);
	}
	return list;
}

static PyObject *ring_ext_ring_fileno(PyObject *obj, PyObject *args)
{
	RingObject *ring = (RingObject *)obj;

	(void)args;
	if (ring_ext_check_mapped(ring) < 0)
		return NULL;
	return PyLong_FromLong(ring->r.fd);
}

static PyObject *ring_ext_ring_get_nr_slots(PyObject *obj, void *closure)
{
	RingObject *ring = (RingObject *)obj;

	(void)closure;
	if (ring_ext_check_mapped(ring) < 0)
		return NULL;
	return PyLong_FromUnsignedLong(ring->r.nr_slots);
}

static PyObject *ring_ext_ring_get_slot_size(PyObject *obj, void *closure)
{
	RingObject *ring = (RingObject *)obj;

	(void)closure;
	if (ring_ext_check_mapped(ring) < 0)
		return NULL;
	return PyLong_FromUnsignedLong(ring->r.slot_size);
}

static PyObject *ring_ext_ring_get_closed(PyObject *obj, void *closure)
{
	(void)closure;
	return PyBool_FromLong(!((RingObject *)obj)->mapped);
}

static PyMethodDef ring_ext_ring_methods[] = {
	{ "reserve", (PyCFunction)(void (*)(void))ring_ext_ring_reserve,
	  METH_VARARGS | METH_KEYWORDS,
	  "reserve(n=1, timeout=None) -> [Slot, ...]: 1..n free slots to "
	  "fill and commit; TimeoutError if none is free in time" },
	{ "claim", (PyCFunction)(void (*)(void))ring_ext_ring_claim,
	  METH_VARARGS | METH_KEYWORDS,
	  "claim(n=1, timeout=None) -> [Slot, ...]: 1..n messages, in order, "
	  "to read in place and release; TimeoutError if none comes in time" },
	{ "close", ring_ext_ring_close, METH_NOARGS,
	  "close(): give back the open slots and unmap; BufferError while "
	  "views of slots are alive" },
	{ "fileno", ring_ext_ring_fileno, METH_NOARGS,
	  "the ring's own descriptor on the queue" },
	{ "__enter__", kmsgq_ext_enter, METH_NOARGS, NULL },
	{ "__exit__", kmsgq_ext_exit_close, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef ring_ext_ring_getset[] = {
	{ "nr_slots", ring_ext_ring_get_nr_slots, NULL,
	  "slots in the ring", NULL },
	{ "slot_size", ring_ext_ring_get_slot_size, NULL,
	  "payload bytes per slot: the longest message", NULL },
	{ "closed", ring_ext_ring_get_closed, NULL, "unmapped", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyTypeObject ring_ext_ring_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kmsgq.Ring",
	.tp_basicsize = sizeof(RingObject),
	.tp_dealloc = ring_ext_ring_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Ring(fd): the mapped ring of a ring queue opened \"rw\" "
		  "(use Queue.ring()).",
	.tp_methods = ring_ext_ring_methods,
	.tp_getset = ring_ext_ring_getset,
	.tp_init = ring_ext_ring_init,
	.tp_new = PyType_GenericNew,
};

int ring_ext_add_types(PyObject *m)
{
	if (PyType_Ready(&ring_ext_ring_type) < 0 ||
	    PyType_Ready(&ring_ext_memory_type) < 0 ||
	    PyType_Ready(&ring_ext_slot_type) < 0)
		return -1;
	Py_INCREF(&ring_ext_ring_type);
	if (PyModule_AddObject(m, "Ring", (PyObject *)&ring_ext_ring_type) < 0) {
		Py_DECREF(&ring_ext_ring_type);
		return -1;
	}
	Py_INCREF(&ring_ext_slot_type);
	if (PyModule_AddObject(m, "Slot", (PyObject *)&ring_ext_slot_type) < 0) {
		Py_DECREF(&ring_ext_slot_type);
		return -1;
	}
	return 0;
}
