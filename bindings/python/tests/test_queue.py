# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""kmsgq.Queue against the loaded module.

Every test but the first two needs /dev/kmsgq (the module loaded) and
skips without it (conftest.py).
"""
import errno
import os
import select
import signal
import threading

import pytest

import kmsgq
from conftest import needs_device


def test_open_missing_raises_file_not_found(name):
    # No such queue, or no /dev/kmsgq at all: ENOENT either way.
    with pytest.raises(FileNotFoundError):
        kmsgq.Queue(name)


def test_bad_arguments_raise_value_error(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, "x")
    with pytest.raises(ValueError):
        kmsgq.Queue(name, exclusive=True)


@needs_device
def test_send_receive_round_trip(queue):
    queue.send(b"hello", prio=3)
    assert queue.receive() == (b"hello", 3)


@needs_device
def test_bytes_like_payloads(queue):
    queue.send(bytearray(b"ab"))
    queue.send(memoryview(b"xcdx")[1:3])
    assert queue.receive()[0] == b"ab"
    assert queue.receive()[0] == b"cd"


@needs_device
def test_empty_message(queue):
    queue.send(b"")
    assert queue.receive() == (b"", 0)


@needs_device
def test_priority_order_then_fifo(queue):
    for data, prio in ((b"a", 1), (b"b", 5), (b"c", 1), (b"d", 5)):
        queue.send(data, prio)
    got = [queue.receive() for _ in range(4)]
    assert got == [(b"b", 5), (b"d", 5), (b"a", 1), (b"c", 1)]


@needs_device
def test_attr(queue):
    a = queue.attr
    assert (a.max_msgs, a.max_msgsize, a.cur_msgs) == (4, 64, 0)
    assert a.mode & 0o777 == 0o600
    assert (a.uid, a.gid) == (os.geteuid(), os.getegid())
    assert not a.ring and not a.nonblock
    queue.send(b"x")
    assert queue.attr.cur_msgs == 1


@needs_device
def test_ring_queue(name):
    with kmsgq.Queue(name, create=True, ring=True, max_msgs=8,
                     max_msgsize=32) as q:
        assert q.attr.ring
        q.send(b"in a ring")
        assert q.receive() == (b"in a ring", 0)


@needs_device
def test_stats_count_messages_and_bytes(queue):
    queue.send(b"abc")
    queue.send(b"de")
    queue.receive()
    s = queue.stats()
    assert (s.msgs_sent, s.msgs_recv) == (2, 1)
    assert (s.bytes_sent, s.bytes_recv) == (5, 3)
    assert s.cur_msgs == 1


@needs_device
def test_nonblock_empty_and_full(queue):
    queue.nonblock = True
    assert queue.nonblock
    with pytest.raises(BlockingIOError):
        queue.receive()
    for i in range(4):
        queue.send(bytes([i]))
    with pytest.raises(BlockingIOError):
        queue.send(b"one too many")
    queue.nonblock = False
    assert not queue.nonblock


@needs_device
def test_nonblock_at_open(name):
    with kmsgq.Queue(name, create=True, nonblock=True) as q:
        assert q.nonblock
        with pytest.raises(BlockingIOError):
            q.receive()


@needs_device
def test_timeouts(queue):
    with pytest.raises(TimeoutError):
        queue.receive(timeout=0.05)
    for i in range(4):
        queue.send(bytes([i]), timeout=0)
    with pytest.raises(TimeoutError):
        queue.send(b"full", timeout=0.05)
    with pytest.raises(ValueError):
        queue.receive(timeout=-1)


@needs_device
def test_blocking_receive_wakes_on_send(queue, name):
    def producer():
        with kmsgq.Queue(name, "w") as w:
            w.send(b"late", prio=2)

    t = threading.Thread(target=producer)
    t.start()
    assert queue.receive() == (b"late", 2)   # the GIL is free meanwhile
    t.join()


@needs_device
def test_signal_handler_exception_interrupts_receive(queue):
    class Interrupted(Exception):
        pass

    def handler(signum, frame):
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Interrupted):
            queue.receive()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@needs_device
def test_message_too_long(queue):
    with pytest.raises(OSError) as e:
        queue.send(b"x" * 65)
    assert e.value.errno == errno.EMSGSIZE


@needs_device
def test_exclusive_create_of_existing_queue(queue, name):
    with pytest.raises(FileExistsError):
        kmsgq.Queue(name, create=True, exclusive=True)


@needs_device
def test_access_mode_is_enforced(queue, name):
    with kmsgq.Queue(name, "r") as r:
        with pytest.raises(OSError):
            r.send(b"read-only handle")
    with kmsgq.Queue(name, "w") as w:
        with pytest.raises(OSError):
            w.receive(timeout=0)


@needs_device
def test_fileno_polls_readable_and_writable(queue):
    p = select.poll()
    p.register(queue, select.POLLIN | select.POLLOUT)
    events = dict(p.poll(0))[queue.fileno()]
    assert events & select.POLLOUT and not events & select.POLLIN
    queue.send(b"x")
    assert dict(p.poll(0))[queue.fileno()] & select.POLLIN


@needs_device
def test_context_manager_closes(name):
    with kmsgq.Queue(name, create=True) as q:
        fd = q.fileno()
    assert q.closed
    with pytest.raises(ValueError):
        q.fileno()
    with pytest.raises(OSError):
        os.fstat(fd)
    q.close()                                # twice is fine


@needs_device
def test_unlink_keeps_open_handles(queue, name):
    kmsgq.unlink(name)
    with pytest.raises(FileNotFoundError):
        kmsgq.Queue(name)
    queue.send(b"still here")
    assert queue.receive() == (b"still here", 0)


@needs_device
def test_asyncio_add_reader(queue):
    import asyncio

    async def wait_readable():
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(queue.fileno(), ready.set_result, None)
        try:
            loop.call_soon(queue.send, b"async")
            await asyncio.wait_for(ready, 10)
        finally:
            loop.remove_reader(queue.fileno())
        return queue.receive(timeout=0)

    assert asyncio.run(wait_readable()) == (b"async", 0)
