# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue(reclaim=True): a reclaiming ring, Attr.reclaim, and what the kernel
does with the slots of a process killed while it held them.

Every test but the first needs /dev/kmsgq and skips without it, or with a
module that has no reclaiming rings (it refuses them with EINVAL).
"""
import errno
import os
import signal

import pytest

import kmsgq
from conftest import needs_device


def reclaim_ring(name):
    """A new reclaiming ring of 4 slots of 64 bytes, opened "rw"; the test
    skips if the module has no reclaiming rings."""
    try:
        return kmsgq.Queue(name, create=True, exclusive=True, ring=True,
                           reclaim=True, max_msgs=4, max_msgsize=64)
    except OSError as e:
        if e.errno == errno.EINVAL:
            pytest.skip("kmsgq.ko has no reclaiming rings")
        raise


def killed_holding(name, hold):
    """Fork a child that opens queue name itself, maps its ring, calls
    hold(ring) and is killed by SIGKILL with the slots hold returns still
    open (a Slot dropped would give its slot back)."""
    pid = os.fork()
    if pid == 0:
        try:
            q = kmsgq.Queue(name)
            ring = q.ring()
            held = hold(ring)
            assert held
            os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_reclaim_without_ring_raises_value_error(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, create=True, reclaim=True)


@needs_device
def test_queues_do_not_reclaim_unless_asked(queue):
    assert not queue.attr.reclaim


@needs_device
def test_rings_do_not_reclaim_unless_asked(ring_queue):
    assert ring_queue.attr.ring and not ring_queue.attr.reclaim


@needs_device
def test_reclaim_ring_says_so(name):
    with reclaim_ring(name) as q:
        a = q.attr
        assert a.ring and a.reclaim and a.overflow == "block"
        with kmsgq.Queue(name, "r") as again:
            assert again.attr.reclaim


@needs_device
def test_reclaim_ring_works_in_place(name):
    with reclaim_ring(name) as q, q.ring() as ring:
        [slot] = ring.reserve()
        slot.data[:2] = b"hi"
        slot.commit(2)
        [msg] = ring.claim(timeout=0)
        assert bytes(msg.data) == b"hi"
        msg.release()
        q.send(b"copy")
        assert q.receive(timeout=0) == (b"copy", 0)


@needs_device
def test_killed_consumers_message_is_counted_lost(name):
    with reclaim_ring(name) as q:
        q.send(b"taken")
        q.send(b"next")
        killed_holding(name, lambda ring: ring.claim(timeout=5.0))
        assert q.stats().msgs_lost == 1
        assert q.receive(timeout=5.0) == (b"next", 0)
        for i in range(4):                  # every slot free again
            q.send(b"%d" % i, timeout=5.0)
        assert [q.receive(timeout=0)[0] for _ in range(4)] == [
            b"0", b"1", b"2", b"3"]


@needs_device
def test_killed_producers_slot_carries_no_message(name):
    def fill(ring):
        [slot] = ring.reserve(timeout=5.0)
        slot.data[:4] = b"half"
        return [slot]

    with reclaim_ring(name) as q:
        killed_holding(name, fill)
        q.send(b"after")
        assert q.receive(timeout=5.0) == (b"after", 0)
        assert q.stats().msgs_lost == 0
        assert q.attr.cur_msgs == 0
