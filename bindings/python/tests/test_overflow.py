# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue(overflow=...): what a send to a full queue does, Attr.overflow and
Stats.msgs_lost.

Every test but the first needs /dev/kmsgq and skips without it, or with a
module that has no overflow policies (it refuses them with EINVAL).
"""
import errno

import pytest

import kmsgq
from conftest import needs_device


def overflow_queue(name, overflow, max_msgs=4, ring=False):
    """A new queue of max_msgs messages of up to 64 bytes with the policy
    overflow, opened "rw"; the test skips if the module has no policies."""
    try:
        return kmsgq.Queue(name, create=True, exclusive=True, ring=ring,
                           max_msgs=max_msgs, max_msgsize=64,
                           overflow=overflow)
    except OSError as e:
        if e.errno == errno.EINVAL:
            pytest.skip("kmsgq.ko has no overflow policies")
        raise


def test_bad_overflow_raises_value_error(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, create=True, overflow="wait")


@needs_device
def test_a_queue_blocks_by_default(queue):
    assert queue.attr.overflow == "block"
    assert queue.stats().msgs_lost == 0


@needs_device
def test_fail_queue_refuses_a_send_that_may_wait(name):
    with overflow_queue(name, "fail", max_msgs=2) as q:
        assert q.attr.overflow == "fail"
        assert not q.attr.nonblock
        q.send(b"a")
        q.send(b"b")
        with pytest.raises(BlockingIOError):
            q.send(b"c")
        with pytest.raises(BlockingIOError):
            q.send(b"c", timeout=5.0)
        s = q.stats()
        assert (s.msgs_sent, s.cur_msgs, s.msgs_lost) == (2, 2, 0)
        assert q.receive() == (b"a", 0)


@needs_device
def test_fail_queue_batch_sends_what_fits(name):
    with overflow_queue(name, "fail", max_msgs=2) as q:
        assert q.send_batch([b"a", b"b", b"c"]) == 2
        with pytest.raises(BlockingIOError):
            q.send_batch([b"c"])


@needs_device
def test_drop_queue_loses_the_oldest(name):
    with overflow_queue(name, "drop") as q:
        assert q.attr.overflow == "drop"
        for i in range(6):
            q.send(b"m%d" % i)
        s = q.stats()
        assert (s.msgs_sent, s.msgs_lost, s.cur_msgs) == (6, 2, 4)
        assert [q.receive()[0] for _ in range(4)] == [b"m2", b"m3", b"m4",
                                                      b"m5"]
        s = q.stats()
        assert s.msgs_sent == s.msgs_recv + s.msgs_lost + s.cur_msgs


@needs_device
def test_drop_queue_loses_the_lowest_priority_first(name):
    with overflow_queue(name, "drop", max_msgs=3) as q:
        q.send(b"high", 5)
        q.send(b"low1", 0)
        q.send(b"low2", 0)
        q.send(b"high2", 5)
        assert q.stats().msgs_lost == 1
        assert [q.receive() for _ in range(3)] == [(b"high", 5),
                                                   (b"high2", 5),
                                                   (b"low2", 0)]


@needs_device
def test_drop_queue_makes_room_for_a_whole_batch(name):
    with overflow_queue(name, "drop") as q:
        assert q.send_batch([b"a", b"b", b"c", b"d"]) == 4
        assert q.send_batch([b"e", b"f", b"g"]) == 3
        assert q.stats().msgs_lost == 3
        assert q.receive_batch(4) == [(b"d", 0), (b"e", 0), (b"f", 0),
                                      (b"g", 0)]


@needs_device
def test_drop_ring_loses_the_oldest(name):
    with overflow_queue(name, "drop", ring=True) as q:
        a = q.attr
        assert a.ring and a.overflow == "drop"
        for i in range(6):
            q.send(b"m%d" % i)
        assert q.stats().msgs_lost == 2
        assert [q.receive()[0] for _ in range(4)] == [b"m2", b"m3", b"m4",
                                                      b"m5"]


@needs_device
def test_policy_is_fixed_at_creation(name):
    with overflow_queue(name, "drop"):
        with kmsgq.Queue(name, create=True, overflow="fail") as again:
            assert again.attr.overflow == "drop"
        with kmsgq.Queue(name) as plain:
            assert plain.attr.overflow == "drop"
