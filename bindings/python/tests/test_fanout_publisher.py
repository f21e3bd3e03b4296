# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue(inplace=True), Queue(publisher=True) and Queue.fanout_publisher():
a publisher of a fan-out queue created with ring=True and inplace=True
writes each payload into its slot of the store (FanoutPublisher) and
commits them, in batches; copy and mapped subscribers read them as any.

Every test but the argument checks needs /dev/kmsgq and skips without it,
or with a module that has no in-place fan-out queues (it refuses
inplace=True, and publisher=True, with EINVAL).
"""
import errno
import threading

import pytest

import kmsgq
from conftest import needs_device
from test_fanout import drain, fanout_queue, publish


def inplace_queue(name, max_msgs=4, **kw):
    """A new in-place fan-out queue, max_msgs messages of up to 64 bytes,
    opened "rw" to publish only (publisher=True)."""
    return fanout_queue(name, max_msgs, access="rw", ring=True, inplace=True,
                        publisher=True, **kw)


def payloads(first, n):
    """b"p<first>" .. b"p<first + n - 1>"."""
    return [b"p%d" % i for i in range(first, first + n)]


def test_inplace_needs_a_fanout_ring_without_sender(name):
    for kw in ({}, {"fanout": True}, {"ring": True}):
        with pytest.raises(ValueError):
            kmsgq.Queue(name, create=True, inplace=True, **kw)
    with pytest.raises(ValueError):
        kmsgq.Queue(name, create=True, fanout=True, ring=True, inplace=True,
                    sender=True)


def test_a_publisher_writes_and_asks_for_no_history(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, "r", publisher=True)
    with pytest.raises(ValueError):
        kmsgq.Queue(name, "rw", publisher=True, history=1)


@needs_device
def test_inplace_queue_attributes(name):
    with inplace_queue(name, max_msgs=3) as pub:
        a = pub.attr
        assert a.fanout and a.ring and a.inplace and not a.sender
        assert a.max_msgs == 4                  # a power of two
    with fanout_queue(name + "2", ring=True) as other:
        try:
            assert not other.attr.inplace
        finally:
            kmsgq.unlink(name + "2")


@needs_device
def test_a_publisher_is_no_subscriber(name):
    with inplace_queue(name) as pub:
        assert pub.stats().subscribers == 0
        with kmsgq.Queue(name, "rw", publisher=True) as other:
            assert other.stats().subscribers == 0
        with kmsgq.subscribe(name):
            assert pub.stats().subscribers == 1


@needs_device
def test_publish_writes_in_place_for_every_subscriber(name):
    with inplace_queue(name) as q, kmsgq.subscribe(name) as sub, \
            kmsgq.subscribe(name) as mapped, mapped.fanout_view() as view, \
            q.fanout_publisher() as pub:
        assert (pub.nr_slots, pub.slot_size) == (4, 64)
        assert not pub.closed and pub.fileno() != q.fileno()
        msgs = [b"p0", bytearray(b"p1"), memoryview(b"xp2x")[1:3]]
        assert pub.publish(msgs) == 3
        assert drain(sub) == [b"p0", b"p1", b"p2"]
        assert list(view) == [b"p0", b"p1", b"p2"]
        view.ack()                              # else the view holds it full
        s = q.stats()
        assert (s.msgs_sent, s.bytes_sent) == (3, 6)
        # Copies still go to the queue as to any fan-out queue.
        q.send(b"copy")
        assert pub.publish(iter([b"", b"x" * 64])) == 2
        assert drain(sub) == [b"copy", b"", b"x" * 64]
        assert pub.publish([]) == 0


@needs_device
def test_publish_batches_and_loops(name):
    # With no subscriber bound, publishing overwrites the oldest stored.
    with inplace_queue(name) as q, q.fanout_publisher() as pub:
        assert pub.publish(payloads(0, 600)) == 600
        assert q.stats().msgs_sent == 600
        with kmsgq.subscribe(name, history=kmsgq.HISTORY_ALL) as late:
            assert drain(late) == payloads(596, 4)


@needs_device
def test_a_drop_queue_never_holds_the_publisher_back(name):
    with inplace_queue(name, overflow="drop") as q, \
            kmsgq.subscribe(name) as sub, q.fanout_publisher() as pub:
        assert pub.publish(payloads(0, 10)) == 10
        data, lost = sub.receive(timeout=0, lost=True)
        assert (data, lost) == (b"p6", 6)
        assert drain(sub) == payloads(7, 3)


@needs_device
def test_a_payload_too_long_publishes_nothing(name):
    with inplace_queue(name) as q, kmsgq.subscribe(name) as sub, \
            q.fanout_publisher() as pub:
        with pytest.raises(OSError) as e:
            pub.publish([b"ok", b"x" * 65])
        assert e.value.errno == errno.EMSGSIZE
        with pytest.raises(TypeError):
            pub.publish(["not bytes"])
        assert q.stats().msgs_sent == 0
        assert pub.publish([b"ok"]) == 1
        assert drain(sub) == [b"ok"]


@needs_device
def test_a_full_queue_publishes_what_fits(name):
    with inplace_queue(name, overflow="fail") as q, \
            kmsgq.subscribe(name) as sub, q.fanout_publisher() as pub:
        assert pub.publish(payloads(0, 6)) == 4
        with pytest.raises(BlockingIOError) as e:
            pub.publish(payloads(4, 2))
        assert e.value.published == 0
        assert drain(sub) == payloads(0, 4)
        assert pub.publish(payloads(4, 2)) == 2
        assert drain(sub) == payloads(4, 2)


@needs_device
def test_publish_waits_for_room(name):
    with inplace_queue(name) as q, kmsgq.subscribe(name) as sub, \
            q.fanout_publisher() as pub:
        assert pub.publish(payloads(0, 4)) == 4
        with pytest.raises(TimeoutError) as e:
            pub.publish([b"late"], timeout=0)
        assert e.value.published == 0
        got = []
        t = threading.Thread(target=lambda: got.append(
            pub.publish(payloads(4, 2), timeout=30)))
        t.start()
        t.join(0.1)
        assert t.is_alive()                     # asleep for room
        seen = drain(sub)
        t.join()
        assert got == [2]
        assert seen + drain(sub) == payloads(0, 6)


@needs_device
def test_only_an_inplace_queue_has_slots_to_publish(name, queue):
    with pytest.raises(OSError) as e:
        queue.fanout_publisher()
    assert e.value.errno == errno.EOPNOTSUPP
    with fanout_queue(name + "2", access="rw", ring=True,
                      publisher=True) as mapped:
        try:
            with pytest.raises(OSError) as e:
                mapped.fanout_publisher()
            assert e.value.errno == errno.EOPNOTSUPP
        finally:
            kmsgq.unlink(name + "2")


@needs_device
def test_a_publisher_maps_with_read_and_write_access(name):
    with inplace_queue(name):
        with kmsgq.Queue(name, "w", publisher=True) as w:
            with pytest.raises(PermissionError):
                w.fanout_publisher()            # mmap wants read access
        with kmsgq.subscribe(name) as r:
            with pytest.raises(OSError) as e:
                r.fanout_publisher()            # no write access
            assert e.value.errno == errno.EBADF


@needs_device
def test_a_publisher_outlives_its_queue_and_closes(name):
    with inplace_queue(name) as q, kmsgq.subscribe(name) as sub:
        pub = q.fanout_publisher()
        q.close()                               # the publisher has its own fd
        assert pub.publish([b"after"]) == 1
        assert sub.receive(timeout=0) == (b"after", 0)
        pub.close()
        assert pub.closed
        pub.close()                             # twice is fine
        with pytest.raises(ValueError):
            pub.publish([b"x"])
        with pytest.raises(ValueError):
            pub.fileno()


@needs_device
def test_create_as_a_publisher(name):
    with inplace_queue(name) as q:
        with pytest.raises(FileExistsError):
            kmsgq.Queue(name, "rw", create=True, exclusive=True,
                        fanout=True, ring=True, inplace=True,
                        publisher=True)
        # Without exclusive=True the queue there is opened, to publish.
        with kmsgq.Queue(name, "rw", create=True, fanout=True, ring=True,
                         inplace=True, publisher=True) as again, \
                kmsgq.subscribe(name) as sub, \
                again.fanout_publisher() as pub:
            assert q.stats().subscribers == 1
            publish(again, 0, 1)
            assert pub.publish([b"p1"]) == 1
            assert drain(sub) == [b"m0", b"p1"]
