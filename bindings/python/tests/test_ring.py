# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue.ring(): slots reserved and committed, claimed and released in
place as memoryviews, and what keeps those views from outliving a slot or
the mapping."""
import os

import pytest

import kmsgq
from conftest import needs_device


@needs_device
def test_reserve_commit_then_receive(ring_queue):
    with ring_queue.ring() as ring:
        assert (ring.nr_slots, ring.slot_size) == (4, 64)
        [slot] = ring.reserve()
        assert len(slot.data) == 64 and not slot.data.readonly
        slot.data[:5] = b"hello"
        slot.commit(5)
    assert ring_queue.receive(timeout=0) == (b"hello", 0)


@needs_device
def test_send_then_claim_release(ring_queue):
    ring_queue.send(b"in place")
    with ring_queue.ring() as ring:
        [msg] = ring.claim(timeout=0)
        assert msg.data.readonly and bytes(msg.data) == b"in place"
        msg.release()
        assert not msg.open
    assert ring_queue.attr.cur_msgs == 0


@needs_device
def test_batches_of_slots_in_order(ring_queue):
    with ring_queue.ring() as ring:
        slots = ring.reserve(8)
        assert [s.pos for s in slots] == list(range(slots[0].pos,
                                                     slots[0].pos + 4))
        for i, s in enumerate(slots):
            s.data[0] = i
            s.commit(1)
        msgs = ring.claim(8, timeout=0)
        assert [bytes(m.data) for m in msgs] == [bytes([i]) for i in range(4)]
        for m in msgs:
            m.release()


@needs_device
def test_full_and_empty_time_out(ring_queue):
    with ring_queue.ring() as ring:
        with pytest.raises(TimeoutError):
            ring.claim(timeout=0.05)
        slots = ring.reserve(4)
        with pytest.raises(TimeoutError):
            ring.reserve(timeout=0)
        for s in slots:
            s.commit(0)


@needs_device
def test_data_is_released_at_commit(ring_queue):
    with ring_queue.ring() as ring:
        [slot] = ring.reserve()
        view = slot.data
        slot.commit(0)
        with pytest.raises(ValueError):
            view[0] = 1
        with pytest.raises(ValueError):
            slot.commit(0)
        [msg] = ring.claim(timeout=0)
        view = msg.data
        msg.release()
        with pytest.raises(ValueError):
            bytes(view)


@needs_device
def test_commit_refuses_while_other_views_live(ring_queue):
    with ring_queue.ring() as ring:
        [slot] = ring.reserve()
        part = slot.data[2:4]
        part[:] = b"ab"
        with pytest.raises(BufferError):
            slot.commit(4)
        with pytest.raises(BufferError):
            ring.close()
        part.release()
        slot.commit(4)
        [msg] = ring.claim(timeout=0)
        assert bytes(msg.data)[2:] == b"ab"


@needs_device
def test_no_new_view_of_a_committed_slot(ring_queue):
    with ring_queue.ring() as ring:
        [slot] = ring.reserve()
        exporter = slot.data.obj
        slot.commit(0)
    with pytest.raises(BufferError):
        memoryview(exporter)


@needs_device
def test_abort_and_unfinished_slots_are_skipped(ring_queue):
    with ring_queue.ring() as ring:
        a, b, c = ring.reserve(3)
        a.abort()
        with b:
            pass                        # left open: no message
        c.data[0] = 42
        c.commit(1)
        [msg] = ring.claim(4, timeout=0)
        assert bytes(msg.data) == b"\x2a"
        msg.release()


@needs_device
def test_dropped_slots_are_given_back(ring_queue):
    with ring_queue.ring() as ring:
        ring.reserve(4)                 # dropped: slots without a message
        with pytest.raises(TimeoutError):
            ring.claim(4, timeout=0)    # which consumers skip
        for s in ring.reserve(4, timeout=0):
            s.commit(0)
        ring.claim(4, timeout=0)        # dropped: released
        assert len(ring.reserve(4, timeout=0)) == 4


@needs_device
def test_a_dropped_slot_releases_its_view(ring_queue):
    with ring_queue.ring() as ring:
        view = ring.reserve()[0].data
        with pytest.raises(ValueError):
            view[0] = 1


@needs_device
def test_close_gives_back_open_slots_and_unmaps(ring_queue):
    ring = ring_queue.ring()
    [slot] = ring.reserve()
    view = slot.data
    fd = ring.fileno()
    ring.close()
    assert ring.closed and not slot.open
    with pytest.raises(ValueError):
        view[0]
    with pytest.raises(ValueError):
        ring.reserve()
    with pytest.raises(OSError):
        os.fstat(fd)
    ring.close()                        # twice is fine
    with pytest.raises(TimeoutError):   # the slot carried no message
        ring_queue.receive(timeout=0)


@needs_device
def test_ring_outlives_its_queue(name):
    with kmsgq.Queue(name, create=True, ring=True, max_msgs=2) as q:
        ring = q.ring()
    with ring:
        [slot] = ring.reserve()
        slot.data[:2] = b"ok"
        slot.commit(2)
        [msg] = ring.claim(timeout=0)
        assert bytes(msg.data) == b"ok"


@needs_device
def test_ring_needs_a_ring_queue(queue):
    with pytest.raises(OSError):
        queue.ring()


@needs_device
def test_ring_needs_a_queue_opened_rw(ring_queue, name):
    for access in ("r", "w"):
        with kmsgq.Queue(name, access) as q:
            with pytest.raises(OSError):
                q.ring()


@needs_device
def test_commit_length_bounds(ring_queue):
    with ring_queue.ring() as ring:
        [slot] = ring.reserve()
        with pytest.raises(ValueError):
            slot.commit(65)
        with pytest.raises(ValueError):
            slot.release()              # a reserved slot is committed
        slot.commit(64)
