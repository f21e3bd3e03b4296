# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue(sender=True), Attr.sender and receive(sender=True): who the kernel
says sent each message, as a Sender.

Every test needs /dev/kmsgq and skips without it; those of queues that
record senders skip with a module that has none (it refuses them with
EINVAL).
"""
import errno
import os

import pytest

import kmsgq
from conftest import needs_device

NOBODY = 65534
UNKNOWN = kmsgq.Sender(0, NOBODY, NOBODY, None)


def sender_queue(name, **kw):
    """A new queue of 4 messages of up to 64 bytes that records senders,
    opened "rw"; the test skips if the module records none."""
    try:
        return kmsgq.Queue(name, create=True, exclusive=True, sender=True,
                           max_msgs=4, max_msgsize=64, **kw)
    except OSError as e:
        if e.errno == errno.EINVAL:
            pytest.skip("kmsgq.ko records no senders")
        raise


def in_child(fn):
    """Run fn() in a child process, which exits 0 if it returns; its pid."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return pid


@needs_device
def test_queues_record_no_senders_unless_asked(queue):
    assert not queue.attr.sender
    queue.send(b"who", prio=1)
    assert queue.receive(timeout=0, sender=True) == (b"who", 1, UNKNOWN)


@needs_device
def test_receive_names_this_process(name):
    with sender_queue(name) as q:
        assert q.attr.sender and not q.attr.ring
        q.send(b"me", prio=2)
        data, prio, sender = q.receive(timeout=0, sender=True)
        assert (data, prio) == (b"me", 2)
        assert sender == kmsgq.Sender(os.getpid(), os.getuid(), os.getgid(),
                                      "kernel")
        # Without sender=True, the pair as always.
        q.send(b"plain")
        assert q.receive(timeout=0) == (b"plain", 0)


@needs_device
def test_receive_names_a_child_that_has_exited(name):
    with sender_queue(name) as q:
        def send():
            with kmsgq.Queue(name, "w") as w:
                w.send(b"from the child")
        pid = in_child(send)
        data, _, sender = q.receive(timeout=0, sender=True)
        assert data == b"from the child"
        assert sender == kmsgq.Sender(pid, os.getuid(), os.getgid(), "kernel")


@needs_device
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_receive_names_the_user_as_it_was_when_it_sent(name):
    with sender_queue(name, perm=0o666) as q:
        def send_as_nobody():
            q.send(b"root")
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            q.send(b"nobody")
        pid = in_child(send_as_nobody)
        assert q.receive(timeout=0, sender=True) == (
            b"root", 0, kmsgq.Sender(pid, 0, 0, "kernel"))
        assert q.receive(timeout=0, sender=True) == (
            b"nobody", 0, kmsgq.Sender(pid, NOBODY, NOBODY, "kernel"))


@needs_device
def test_an_in_place_commit_names_the_mapper(name):
    with sender_queue(name, ring=True) as q:
        def commit():
            with kmsgq.Queue(name) as own, own.ring() as ring:
                [slot] = ring.reserve(timeout=0)
                slot.data[:8] = b"in place"
                slot.commit(8)
        pid = in_child(commit)
        data, _, sender = q.receive(timeout=0, sender=True)
        assert data == b"in place"
        # Mapped writable: any mapper could have written it.
        assert sender == kmsgq.Sender(pid, os.getuid(), os.getgid(), "mapper",
                                      True)

        # A second process has mapped it writable: in place is unknown.
        in_child(commit)
        assert q.receive(timeout=0, sender=True) == (
            b"in place", 0, UNKNOWN._replace(shared=True))


@needs_device
def test_receive_with_sender_waits_as_receive_does(name):
    with sender_queue(name) as q:
        with pytest.raises(TimeoutError):
            q.receive(timeout=0.01, sender=True)
        q.nonblock = True
        with pytest.raises(BlockingIOError):
            q.receive(sender=True)
