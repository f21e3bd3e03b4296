# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue(fanout=True), subscribe(), receive(lost=True) and the subscriber
fields of Stats: every subscriber receives every message, history, and
the losses of slow subscribers under overflow="drop".

Every test but the argument checks needs /dev/kmsgq and skips without it,
or with a module that has no fan-out queues (it refuses them with EINVAL).
"""
import errno
import threading

import pytest

import kmsgq
from conftest import needs_device


def fanout_queue(name, max_msgs=4, access="w", **kw):
    """A new fan-out queue of max_msgs messages of up to 64 bytes, opened
    access ("w": a publisher only); the test skips if the module has no
    such fan-out queues (with ring=True: none its subscribers may map)."""
    try:
        return kmsgq.Queue(name, access, create=True, exclusive=True,
                           fanout=True, max_msgs=max_msgs, max_msgsize=64,
                           **kw)
    except OSError as e:
        if e.errno == errno.EINVAL:
            pytest.skip("kmsgq.ko has no such fan-out queues")
        raise


def publish(pub, first, n):
    """Messages b"m<first>" .. b"m<first + n - 1>", one send each."""
    for i in range(first, first + n):
        pub.send(b"m%d" % i)


def drain(sub):
    """Every message sub can receive now."""
    out = []
    while True:
        try:
            out.append(sub.receive(timeout=0)[0])
        except TimeoutError:
            return out


def test_history_needs_an_existing_queue(name):
    with pytest.raises(ValueError):
        kmsgq.Queue(name, create=True, fanout=True, history=1)
    with pytest.raises(ValueError):
        kmsgq.subscribe(name, history=-1)


def test_sender_and_lost_are_one_or_the_other(name):
    with pytest.raises(ValueError):
        kmsgq.Queue.receive(None, sender=True, lost=True)


@needs_device
def test_fanout_queue_attributes(name):
    with fanout_queue(name, max_msgs=3) as pub:
        a = pub.attr
        assert a.fanout and not a.ring and a.overflow == "block"
        assert a.max_msgs == 4                  # a power of two
        s = pub.stats()
        assert (s.subscribers, s.sub_lost, s.sub_lag) == (0, 0, 0)


@needs_device
def test_every_subscriber_receives_every_message(name):
    with fanout_queue(name) as pub, kmsgq.subscribe(name) as a, \
            kmsgq.Queue(name, "r") as b:
        assert pub.stats().subscribers == 2
        publish(pub, 0, 3)
        assert a.stats().sub_lag == 3
        assert [a.receive() for _ in range(3)] == [(b"m0", 0), (b"m1", 0),
                                                   (b"m2", 0)]
        assert (a.stats().sub_lag, b.stats().sub_lag) == (0, 3)
        assert drain(b) == [b"m0", b"m1", b"m2"]
        assert drain(a) == []
        s = pub.stats()
        assert (s.msgs_sent, s.msgs_recv, s.msgs_lost, s.cur_msgs) == (
            3, 6, 0, 0)


@needs_device
def test_a_writer_is_no_subscriber(name):
    with fanout_queue(name, access="rw") as rw, kmsgq.Queue(name, "w") as w:
        assert rw.stats().subscribers == 1
        w.send(b"x")
        assert rw.receive(timeout=0) == (b"x", 0)
        with pytest.raises(OSError) as e:
            w.receive(timeout=0)
        assert e.value.errno == errno.EBADF


@needs_device
def test_priorities_are_refused(name):
    with fanout_queue(name) as pub:
        with pytest.raises(OSError) as e:
            pub.send(b"x", prio=1)
        assert e.value.errno == errno.EINVAL


@needs_device
@pytest.mark.parametrize("history, expected", [
    (0, []),
    (2, [b"m4", b"m5"]),
    (4, [b"m2", b"m3", b"m4", b"m5"]),
    (100, [b"m2", b"m3", b"m4", b"m5"]),
    (kmsgq.HISTORY_ALL, [b"m2", b"m3", b"m4", b"m5"]),
])
def test_history(name, history, expected):
    with fanout_queue(name) as pub:
        # No subscriber: nothing waits, the oldest are overwritten.
        publish(pub, 0, 6)
        with kmsgq.subscribe(name, history=history) as sub:
            assert sub.stats().sub_lag == len(expected)
            assert drain(sub) == expected
            publish(pub, 6, 1)
            assert drain(sub) == [b"m6"]


@needs_device
def test_history_on_another_queue_is_refused(queue):
    with pytest.raises(OSError) as e:
        kmsgq.subscribe(queue.name, history=1)
    assert e.value.errno == errno.EINVAL
    with kmsgq.subscribe(queue.name) as plain:
        assert not plain.attr.fanout


@needs_device
def test_slowest_subscriber_holds_publishers_back(name):
    with fanout_queue(name, max_msgs=2) as pub, kmsgq.subscribe(name) as a, \
            kmsgq.subscribe(name) as slow:
        publish(pub, 0, 2)
        assert drain(a) == [b"m0", b"m1"]
        with pytest.raises(TimeoutError):
            pub.send(b"m2", timeout=0)
        assert pub.attr.cur_msgs == 2
        assert slow.receive() == (b"m0", 0)
        pub.send(b"m2", timeout=0)
        with pytest.raises(TimeoutError):
            pub.send(b"m3", timeout=0)
        # A subscriber that goes away holds nothing back.
        slow.close()
        pub.send(b"m3", timeout=0)
        assert drain(a) == [b"m2", b"m3"]
        s = pub.stats()
        assert (s.subscribers, s.msgs_lost) == (1, 0)


@needs_device
def test_fail_policy_refuses_a_send_that_may_wait(name):
    with fanout_queue(name, max_msgs=2, overflow="fail") as pub, \
            kmsgq.subscribe(name):
        publish(pub, 0, 2)
        with pytest.raises(BlockingIOError):
            pub.send(b"m2", timeout=5.0)


@needs_device
def test_drop_policy_counts_what_each_subscriber_lost(name):
    with fanout_queue(name, overflow="drop") as pub, \
            kmsgq.subscribe(name) as fast, kmsgq.subscribe(name) as slow:
        for i in range(10):
            publish(pub, i, 1)
            assert fast.receive(timeout=0, lost=True) == (b"m%d" % i, 0)
        assert slow.stats().sub_lost == 6
        assert slow.receive(lost=True) == (b"m6", 6)
        assert [slow.receive(lost=True) for _ in range(3)] == [
            (b"m7", 0), (b"m8", 0), (b"m9", 0)]
        fs, ss = fast.stats(), slow.stats()
        assert (fs.sub_lost, fs.sub_lag, ss.sub_lost, ss.sub_lag) == (
            0, 0, 6, 0)
        # Queue-wide, per delivery: 10 + 4 received, 6 lost.
        assert (ss.msgs_sent, ss.msgs_recv, ss.msgs_lost) == (10, 14, 6)


@needs_device
def test_losses_a_failed_receive_learns_of_are_kept(name):
    with fanout_queue(name, overflow="drop") as pub, \
            kmsgq.subscribe(name) as sub:
        publish(pub, 0, 6)
        # Receives without lost=True leave the count alone.
        assert drain(sub) == [b"m2", b"m3", b"m4", b"m5"]
        # The kernel reports the 2 to this one, which fails...
        with pytest.raises(TimeoutError):
            sub.receive(timeout=0, lost=True)
        # ... and the next one says so.
        publish(pub, 6, 1)
        assert sub.receive(timeout=0, lost=True) == (b"m6", 2)
        assert sub.stats().sub_lost == 2


@needs_device
def test_lost_is_zero_on_other_queues(queue):
    queue.send(b"x", prio=3)
    assert queue.receive(timeout=0, lost=True) == (b"x", 0)
    s = queue.stats()
    assert (s.sub_lost, s.sub_lag, s.subscribers) == (0, 0, 0)


def receive_until(sub, last, out, lost):
    """Receive with lost=True until message last: its number into out,
    what each receive reported lost into lost."""
    while True:
        data, n = sub.receive(timeout=60.0, lost=True)
        out.append(int(data[1:]))
        lost.append(n)
        if out[-1] == last:
            return


def run_subscribers(name, pub, count, nsubs):
    """nsubs subscriber threads receiving while pub publishes count
    messages: for each, (numbers received, losses reported, its Stats)."""
    subs = [kmsgq.subscribe(name) for _ in range(nsubs)]
    got = [([], []) for _ in subs]
    threads = [threading.Thread(target=receive_until,
                                args=(s, count - 1, *g))
               for s, g in zip(subs, got)]
    for t in threads:
        t.start()
    publish(pub, 0, count)
    for t in threads:
        t.join()
    stats = [s.stats() for s in subs]
    for s in subs:
        s.close()
    return [(out, lost, st) for (out, lost), st in zip(got, stats)]


@needs_device
def test_lossless_subscribers_receive_every_message_while_publishing(name):
    count = 500
    with fanout_queue(name) as pub:
        for out, lost, st in run_subscribers(name, pub, count, 3):
            assert out == list(range(count))
            assert sum(lost) == st.sub_lost == 0


@needs_device
def test_dropping_subscribers_lose_what_they_do_not_receive(name):
    count = 2000
    with fanout_queue(name, max_msgs=8, overflow="drop") as pub:
        results = run_subscribers(name, pub, count, 3)
        for out, lost, st in results:
            # In order, each message once; every one received or lost.
            assert out == sorted(set(out))
            assert len(out) + sum(lost) == count
            assert sum(lost) == st.sub_lost
            assert st.sub_lag == 0
        s = pub.stats()
        assert s.msgs_recv == sum(len(out) for out, _, _ in results)
        assert s.msgs_lost == sum(sum(lost) for _, lost, _ in results)
