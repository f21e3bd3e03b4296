# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue.fanout_view(): a subscriber of a fan-out queue created with
ring=True maps its store and reads each message in place (FanoutView),
acknowledging what it read; what keeps a message's memoryview from
outliving the mapping.

Every test but the argument checks needs /dev/kmsgq and skips without it,
or with a module whose fan-out queues cannot be mapped (it refuses
fanout=True with ring=True with EINVAL).
"""
import errno
import threading

import pytest

import kmsgq
from conftest import needs_device
from test_fanout import fanout_queue, publish


def mappable_queue(name, max_msgs=4, **kw):
    """A new fan-out queue its subscribers may map, max_msgs messages of
    up to 64 bytes, opened "w" (a publisher only)."""
    return fanout_queue(name, max_msgs, ring=True, **kw)


def test_a_fanout_queue_has_no_claims_to_reclaim(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, create=True, fanout=True, ring=True, reclaim=True)


@needs_device
def test_mappable_fanout_queue_attributes(name):
    with mappable_queue(name, max_msgs=3) as pub:
        a = pub.attr
        assert a.fanout and a.ring and not a.reclaim
        assert a.max_msgs == 4                  # a power of two


@needs_device
def test_messages_are_read_in_place(name):
    with mappable_queue(name) as pub, kmsgq.subscribe(name) as sub, \
            sub.fanout_view() as view:
        assert (view.nr_slots, view.slot_size) == (4, 64)
        first = view.pos
        assert view.next() is None
        publish(pub, 0, 2)
        data = view.next()
        assert data.readonly and bytes(data) == b"m0"
        assert view.pos == first                # until done()
        assert view.done()
        assert view.pos == first + 1
        assert bytes(view.next()) == b"m1" and view.done()
        assert view.next() is None
        assert view.tail == first + 2 and view.lost == 0


@needs_device
def test_iterating_gives_checked_copies_of_what_is_there(name):
    with mappable_queue(name) as pub, kmsgq.subscribe(name) as sub, \
            sub.fanout_view() as view:
        publish(pub, 0, 3)
        assert list(view) == [b"m0", b"m1", b"m2"]
        assert list(view) == []
        publish(pub, 3, 1)
        assert list(view) == [b"m3"]


@needs_device
def test_every_view_reads_every_message(name):
    with mappable_queue(name) as pub, kmsgq.subscribe(name) as a, \
            kmsgq.subscribe(name) as b, a.fanout_view() as va, \
            b.fanout_view() as vb:
        publish(pub, 0, 2)
        assert list(va) == [b"m0", b"m1"]
        assert list(vb) == [b"m0", b"m1"]
        # A copy-mode receive on the same subscriber starts where the
        # kernel has it: nothing acknowledged, nothing received.
        assert b.receive(timeout=0) == (b"m0", 0)


@needs_device
def test_ack_frees_the_slots_read(name):
    with mappable_queue(name, overflow="fail") as pub, \
            kmsgq.subscribe(name) as sub, sub.fanout_view() as view:
        publish(pub, 0, 4)
        with pytest.raises(BlockingIOError):
            pub.send(b"full")
        assert len(list(view)) == 4
        assert sub.stats().sub_lag == 4         # read, not acknowledged
        with pytest.raises(BlockingIOError):
            pub.send(b"full")
        view.ack()
        assert sub.stats().sub_lag == 0
        pub.send(b"room")
        assert list(view) == [b"room"]


@needs_device
def test_ack_waits_for_a_message(name):
    with mappable_queue(name) as pub, kmsgq.subscribe(name) as sub, \
            sub.fanout_view() as view:
        with pytest.raises(TimeoutError):
            view.ack(wait=True, timeout=0)
        t = threading.Thread(target=pub.send, args=(b"later",))
        t.start()
        view.ack(wait=True)
        t.join()
        assert list(view) == [b"later"]


@needs_device
def test_a_lapped_view_counts_what_it_lost(name):
    with mappable_queue(name, overflow="drop") as pub, \
            kmsgq.subscribe(name) as sub, sub.fanout_view() as view:
        publish(pub, 0, 6)
        assert list(view) == [b"m2", b"m3", b"m4", b"m5"]
        assert view.lost == 2
        view.ack()
        assert view.lost == 2 and sub.stats().sub_lag == 0


@needs_device
def test_history_is_where_a_view_starts(name):
    with mappable_queue(name) as pub:
        publish(pub, 0, 3)
        with kmsgq.subscribe(name, history=2) as late, \
                late.fanout_view() as view:
            assert list(view) == [b"m1", b"m2"]


@needs_device
def test_argument_and_order_errors(name):
    with mappable_queue(name) as pub, kmsgq.subscribe(name) as sub, \
            sub.fanout_view() as view:
        with pytest.raises(ValueError):
            view.done()                         # no message from next()
        with pytest.raises(ValueError):
            view.ack(timeout=1.0)               # a timeout needs wait=True
        publish(pub, 0, 1)
        assert view.next() is not None and view.done()
        with pytest.raises(ValueError):
            view.done()                         # once per message
    assert view.closed
    with pytest.raises(ValueError):
        view.next()
    with pytest.raises(ValueError):
        list(view)


@needs_device
def test_a_copy_queue_is_not_mappable(queue):
    with pytest.raises(OSError) as e:
        queue.fanout_view()
    assert e.value.errno == errno.EOPNOTSUPP


@needs_device
def test_a_publisher_may_not_map(name):
    with mappable_queue(name) as pub:
        with pytest.raises(PermissionError):
            pub.fanout_view()                   # opened "w": no reader


@needs_device
def test_a_plain_fanout_queue_is_not_mappable(name):
    with fanout_queue(name) as pub, kmsgq.subscribe(name) as sub:
        with pytest.raises(OSError) as e:
            sub.fanout_view()
        assert e.value.errno == errno.EOPNOTSUPP


@needs_device
def test_a_message_view_keeps_the_mapping(name):
    with mappable_queue(name) as pub:
        sub = kmsgq.subscribe(name)
        view = sub.fanout_view()
        sub.close()                             # the view has its own fd
        publish(pub, 0, 1)
        data = view.next()
        assert pub.stats().mappings == 1
        view.close()
        assert view.closed and pub.stats().mappings == 1
        assert bytes(data) == b"m0"             # still mapped
        del data
        assert pub.stats().mappings == 0
        assert pub.stats().subscribers == 0
