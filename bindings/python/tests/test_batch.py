# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue.send_batch and Queue.receive_batch."""
import errno

import pytest

import kmsgq
from conftest import needs_device


@needs_device
def test_batch_round_trip_in_priority_order(queue):
    assert queue.send_batch([b"a", (b"b", 7), (bytearray(b"c"), 7)]) == 3
    assert queue.receive_batch(4) == [(b"b", 7), (b"c", 7), (b"a", 0)]


@needs_device
def test_send_batch_queues_what_fits(queue):
    assert queue.send_batch([bytes([i]) for i in range(6)]) == 4
    assert queue.attr.cur_msgs == 4


@needs_device
def test_receive_batch_takes_what_waits(queue):
    queue.send(b"only")
    assert queue.receive_batch(4, timeout=0) == [(b"only", 0)]


@needs_device
def test_batch_timeouts_and_nonblock(queue):
    with pytest.raises(TimeoutError):
        queue.receive_batch(2, timeout=0.05)
    queue.send_batch([b"x"] * 4)
    with pytest.raises(TimeoutError):
        queue.send_batch([b"y"], timeout=0.05)
    queue.nonblock = True
    with pytest.raises(BlockingIOError):
        queue.send_batch([b"y"])


@needs_device
def test_batch_arguments(queue):
    for n in (0, kmsgq.BATCH_MAX + 1):
        with pytest.raises(ValueError):
            queue.receive_batch(n)
    with pytest.raises(ValueError):
        queue.send_batch([])
    with pytest.raises(TypeError):
        queue.send_batch([(b"a", 1, 2)])
    with pytest.raises(TypeError):
        queue.send_batch(["text is not bytes"])
    assert queue.attr.cur_msgs == 0


@needs_device
def test_batch_first_message_too_long(queue):
    with pytest.raises(OSError) as e:
        queue.send_batch([b"x" * 65, b"fits"])
    assert e.value.errno == errno.EMSGSIZE
