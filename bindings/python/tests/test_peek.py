# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue.peek: a message copied out at an index of the receive order."""
import errno
import threading

import pytest

import kmsgq
from conftest import needs_device


@needs_device
def test_peek_leaves_the_receive_order_as_it_was(queue):
    for data, prio in ((b"a", 1), (b"b", 5), (b"c", 1)):
        queue.send(data, prio)
    assert queue.peek() == (b"b", 5)
    assert [queue.peek(i) for i in range(3)] == [(b"b", 5), (b"a", 1),
                                                 (b"c", 1)]
    s = queue.stats()
    assert (s.cur_msgs, s.msgs_recv) == (3, 0)
    assert queue.receive() == (b"b", 5)
    assert queue.peek() == (b"a", 1)
    assert queue.receive() == (b"a", 1)


@needs_device
def test_peek_on_a_ring_claims_nothing(ring_queue):
    ring_queue.send(b"x")
    ring_queue.send(b"y")
    assert ring_queue.peek(1) == (b"y", 0)
    assert ring_queue.receive() == (b"x", 0)
    assert ring_queue.peek() == (b"y", 0)


@needs_device
def test_peek_past_the_last_message(queue):
    queue.send(b"only")
    with pytest.raises(TimeoutError):
        queue.peek(1, timeout=0.05)
    queue.nonblock = True
    with pytest.raises(BlockingIOError):
        queue.peek(1)
    # At or past the queue's depth no message can ever stand.
    with pytest.raises(OSError) as err:
        queue.peek(2**32 - 1)
    assert err.value.errno == errno.EINVAL
    assert queue.receive() == (b"only", 0)


@needs_device
def test_peek_index_out_of_range_raises_value_error(queue):
    for index in (-1, 2**32):
        with pytest.raises(ValueError):
            queue.peek(index)


@needs_device
def test_peek_into_a_write_only_handle_fails(queue, name):
    with kmsgq.Queue(name, "w") as w:
        w.send(b"x")
        with pytest.raises(OSError) as e:
            w.peek()
        assert e.value.errno == errno.EBADF


@needs_device
def test_blocking_peek_wakes_when_a_message_reaches_its_index(queue, name):
    def producer():
        with kmsgq.Queue(name, "w") as w:
            w.send(b"first")
            w.send(b"second", prio=0)

    t = threading.Thread(target=producer)
    t.start()
    assert queue.peek(1, timeout=30) == (b"second", 0)   # GIL free meanwhile
    t.join()
    assert queue.attr.cur_msgs == 2
