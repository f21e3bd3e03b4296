/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmsgq tracepoints: messages through the kernel, and sleeps and wakeups.
 *
 *   echo 1 > /sys/kernel/tracing/events/kmsgq/enable
 *   cat /sys/kernel/tracing/trace_pipe
 *
 * In-place ring producers and consumers do not enter the kernel and are
 * not traced, except for their KMSGQ_IOC_RING_WAIT sleeps and
 * KMSGQ_IOC_RING_WAKE wakeups.  In-place fan-out publishers are, per
 * message at their commit (KMSGQ_IOC_FANOUT_PUBLISH).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kmsgq

#if !defined(_KMSGQ_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KMSGQ_TRACE_H

#include <linux/tracepoint.h>

#include "internal.h"

#define kmsgq_show_events(e)					\
	__print_flags(e, "|",					\
		      { KMSGQ_RING_READABLE, "recv" },		\
		      { KMSGQ_RING_WRITABLE, "send" })

DECLARE_EVENT_CLASS(kmsgq_msg_class,
		    TP_PROTO(const struct kmsgq_queue *q, u32 len, u32 prio),
		    TP_ARGS(q, len, prio),
		    TP_STRUCT__entry(__field(u64, id)
				     __array(char, name, KMSGQ_NAME_MAX)
				     __field(u32, len)
				     __field(u32, prio)),
		    TP_fast_assign(__entry->id = q->id;
				   memcpy(__entry->name, q->name,
					  KMSGQ_NAME_MAX);
				   __entry->len = len;
				   __entry->prio = prio;),
		    TP_printk("q=%s id=%llu len=%u prio=%u", __entry->name,
			      __entry->id, __entry->len, __entry->prio)
);

/* A message was queued by write() or KMSGQ_IOC_SEND. */
DEFINE_EVENT(kmsgq_msg_class, kmsgq_send,
	     TP_PROTO(const struct kmsgq_queue *q, u32 len, u32 prio),
	     TP_ARGS(q, len, prio)
);

/* A message was taken by read() or KMSGQ_IOC_RECV. */
DEFINE_EVENT(kmsgq_msg_class, kmsgq_recv,
	     TP_PROTO(const struct kmsgq_queue *q, u32 len, u32 prio),
	     TP_ARGS(q, len, prio)
);

DECLARE_EVENT_CLASS(kmsgq_wait_class,
		    TP_PROTO(const struct kmsgq_queue *q, u32 events),
		    TP_ARGS(q, events),
		    TP_STRUCT__entry(__field(u64, id)
				     __array(char, name, KMSGQ_NAME_MAX)
				     __field(u32, events)),
		    TP_fast_assign(__entry->id = q->id;
				   memcpy(__entry->name, q->name,
					  KMSGQ_NAME_MAX);
				   __entry->events = events;),
		    TP_printk("q=%s id=%llu for=%s", __entry->name,
			      __entry->id, kmsgq_show_events(__entry->events))
);

/*
 * A task goes to sleep until it may receive (for=recv) or send (for=send),
 * or either (a ring wait); once per sleep.
 */
DEFINE_EVENT(kmsgq_wait_class, kmsgq_block,
	     TP_PROTO(const struct kmsgq_queue *q, u32 events),
	     TP_ARGS(q, events)
);

/* Tasks sleeping to receive (for=recv) or to send (for=send) are woken. */
DEFINE_EVENT(kmsgq_wait_class, kmsgq_wake,
	     TP_PROTO(const struct kmsgq_queue *q, u32 events),
	     TP_ARGS(q, events)
);

#endif /* _KMSGQ_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
