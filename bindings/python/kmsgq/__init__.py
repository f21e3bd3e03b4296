# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""kmsgq: named kernel message queues (/dev/kmsgq) from Python.

    import kmsgq

    with kmsgq.Queue("jobs", create=True, max_msgs=64, max_msgsize=1024) as q:
        q.send(b"hello", prio=3)
        data, prio = q.receive(timeout=1.0)

peek() copies out a message at any index of the receive order and leaves
it queued.  A fan-out queue (fanout=True) gives every reader every
message: subscribe() joins one, with history, and receive(lost=True)
reports the messages a slow subscriber lost; one created with ring=True
as well may be mapped by its subscribers, Queue.fanout_view(), which
reads each message in place (FanoutView); one created with inplace=True
besides lets its publishers write each payload into its slot in the
store, Queue.fanout_publisher() (FanoutPublisher).  Batches move up to
BATCH_MAX messages in one call (send_batch, receive_batch); receive_async
and send_async wait in an asyncio event loop; Queue.ring() maps a ring
queue, whose slots are filled and read in place through memoryviews
(Ring, Slot).

Errors are OSError with the kernel's errno, so the usual subclasses apply:
BlockingIOError (queue full or empty, non-blocking), TimeoutError (the
timeout passed), FileNotFoundError (no such queue, or no /dev/kmsgq),
FileExistsError (exclusive create of an existing queue), PermissionError.
Timeouts are seconds (int or float) from the call; None waits for ever.
A Queue is a file descriptor: fileno() works with select, selectors and
asyncio's loop.add_reader().
"""

import asyncio
import errno
import os
from typing import (Any, Callable, Dict, Iterable, List,
                    NamedTuple, Optional, Tuple, TypeVar, Union)

from . import _kmsgq
from ._kmsgq import FanoutPublisher, FanoutView, Ring, Slot

__all__ = ["Queue", "Ring", "Slot", "FanoutView", "FanoutPublisher", "Attr",
           "Stats", "Sender", "unlink", "subscribe", "NAME_MAX", "PRIO_MAX",
           "BATCH_MAX", "HISTORY_ALL"]

NAME_MAX = _kmsgq.NAME_MAX
PRIO_MAX = _kmsgq.PRIO_MAX
BATCH_MAX = _kmsgq.BATCH_MAX
# subscribe(history=HISTORY_ALL): every message a fan-out queue still stores
HISTORY_ALL = _kmsgq.HISTORY_ALL

# What send() takes: bytes, bytearray, memoryview, ...
Buffer = Union[bytes, bytearray, memoryview]
_T = TypeVar("_T")


class Attr(NamedTuple):
    """A queue's attributes, as Queue.attr returns them; overflow is the
    policy it was created with ("block", "fail" or "drop"), reclaim whether
    it is a reclaiming ring, sender whether it records who sends each
    message, fanout whether it is a fan-out queue, inplace whether it is
    one its publishers write in place (created with inplace=True).  On a
    fan-out queue cur_msgs is the slowest subscriber's count of unread
    messages."""

    ring: bool
    max_msgs: int
    max_msgsize: int
    cur_msgs: int
    mode: int
    uid: int
    gid: int
    nonblock: bool
    overflow: str
    reclaim: bool
    sender: bool
    fanout: bool = False
    inplace: bool = False


class Stats(NamedTuple):
    """A queue's counters since its creation, and its state now.

    On a fan-out queue msgs_recv and bytes_recv count a message once per
    subscriber that received it, and msgs_lost once per subscriber that
    lost it; sub_lost and sub_lag are those of the handle's own subscriber
    (the messages it lost since it subscribed, and those published that it
    has not received yet), subscribers the subscribers bound now.  All
    three are 0 on other queues."""

    msgs_sent: int
    msgs_recv: int
    bytes_sent: int
    bytes_recv: int
    cur_msgs: int
    send_waiters: int
    recv_waiters: int
    mappings: int
    msgs_lost: int
    sub_lost: int = 0
    sub_lag: int = 0
    subscribers: int = 0


class Sender(NamedTuple):
    """Who sent a message, as the kernel took it when the message was
    queued and as this process's namespaces see it: pid (0 if this PID
    namespace cannot see the sender), real uid and gid (65534 if unmapped
    here), and kind: "kernel" (sent through the kernel), "mapper"
    (committed in place on a ring by the one process that mapped it
    writable), or None if the sender is unknown (then pid 0, uid and gid
    65534); shared: the message is on a ring some process has mapped
    writable, which can rewrite or replay it, so the rest proves nothing."""

    pid: int
    uid: int
    gid: int
    kind: Optional[str]
    shared: bool = False


_ACCESS = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}
_OVERFLOW = {"block": 0, "fail": _kmsgq.OPEN_OVERFLOW_FAIL,
             "drop": _kmsgq.OPEN_OVERFLOW_DROP}


def _sender_kind(flags: int) -> Optional[str]:
    """Sender.kind of a message whose sender_flags are flags."""
    if flags & _kmsgq.SENDER_KERNEL:
        return "kernel"
    if flags & _kmsgq.SENDER_MAPPER:
        return "mapper"
    return None


def unlink(name: str) -> None:
    """Remove the queue called name; open Queues keep working."""
    _kmsgq.unlink(name)


def subscribe(name: str, history: int = 0, access: str = "r", *,
              nonblock: bool = False) -> "Queue":
    """Subscribe to the existing fan-out queue called name: a Queue that
    receives every message published from now on, after the history
    newest messages the queue still stores (HISTORY_ALL: all of them).

    access is "r", or "rw" to publish too.  A history other than 0 on a
    queue that is not a fan-out queue: OSError EINVAL.
    """
    return Queue(name, access, history=history, nonblock=nonblock)


class Queue:
    """A handle on a named queue: open it, or create it with create=True.

    access is "r", "w" or "rw".  With create=True the queue is made if it
    does not exist (exclusive=True: FileExistsError if it does), with
    permission bits perm and max_msgs messages of up to max_msgsize bytes
    (0: the module's defaults); ring=True makes a zero-copy ring queue,
    and reclaim=True with it a reclaiming ring: when the last reference to
    a process's file goes away (its Queue and Ring closed, or the process
    dead, even killed), the kernel finishes the slots reserved or claimed
    through it and never committed or released, counting the messages so
    released unread in stats().msgs_lost (see kmsgq(7), Crash safety; a
    module without the reclaim feature refuses it: OSError EINVAL).
    overflow says what a send to the full queue does: "block" waits for
    room; "fail" raises BlockingIOError at once, even without nonblock;
    "drop" discards the oldest message of the lowest priority queued to
    make room, counted in stats().msgs_lost (a module without the overflow
    feature refuses "fail" and "drop": OSError EINVAL).  sender=True makes
    a queue that records who sends each message, for receive(sender=True)
    (a module without the sender feature refuses it: OSError EINVAL).
    fanout=True makes a fan-out queue: every handle opened "r" or "rw" on
    it is a subscriber that receives every message published after it
    opened, in order (history=n: the n newest still stored first; see
    subscribe()); its messages have priority 0; the slowest subscriber
    is what makes it full, and with overflow="drop" subscribers that far
    behind lose their oldest messages instead, which receive(lost=True)
    reports (a module without the fan-out feature refuses it: OSError
    EINVAL).  fanout=True with ring=True makes a fan-out queue its
    subscribers may also map, to read each message in place: see
    fanout_view() (a module without the fanout_map feature refuses it:
    OSError EINVAL; not with reclaim=True).  inplace=True with fanout=True
    and ring=True makes one its publishers may also write in place: see
    fanout_publisher() (a module without the fanout_inplace feature
    refuses it: OSError EINVAL; not with sender=True: a payload written in
    place has no one sender).  Every such publisher can rewrite any slot,
    one already published too: on this queue write access is power over
    what every subscriber reads.  publisher=True opens a fan-out queue to
    publish only (access "w" or "rw"): the handle is no subscriber, even
    with read access, so it receives nothing and holds no publisher back;
    with create=True the queue is created first, then opened so (a module
    without the fanout_inplace feature, or a queue of another kind:
    OSError EINVAL).  nonblock=True makes send and receive raise
    BlockingIOError instead of waiting.
    """

    def __init__(self, name: str, access: str = "rw", *, create: bool = False,
                 exclusive: bool = False, perm: int = 0o600,
                 max_msgs: int = 0, max_msgsize: int = 0, ring: bool = False,
                 reclaim: bool = False, overflow: str = "block",
                 sender: bool = False, fanout: bool = False,
                 inplace: bool = False, publisher: bool = False,
                 history: int = 0, nonblock: bool = False):
        try:
            oflag = _ACCESS[access]
        except KeyError:
            raise ValueError(f"access must be 'r', 'w' or 'rw', not {access!r}")
        try:
            qflags = _OVERFLOW[overflow]
        except KeyError:
            raise ValueError("overflow must be 'block', 'fail' or 'drop', "
                             f"not {overflow!r}")
        if ring:
            qflags |= _kmsgq.OPEN_RING
        if reclaim:
            if not ring:
                raise ValueError("reclaim=True needs ring=True")
            if fanout:
                raise ValueError("reclaim=True cannot be fanout=True")
            qflags |= _kmsgq.OPEN_RECLAIM
        if sender:
            qflags |= _kmsgq.OPEN_SENDER
        if fanout:
            qflags |= _kmsgq.OPEN_FANOUT
        if inplace:
            if not (fanout and ring):
                raise ValueError("inplace=True needs fanout=True and ring=True")
            if sender:
                raise ValueError("inplace=True cannot be sender=True")
            qflags |= _kmsgq.OPEN_INPLACE
        if publisher:
            if access == "r":
                raise ValueError("publisher=True needs access 'w' or 'rw'")
            if history:
                raise ValueError("publisher=True takes no history")
        if not 0 <= history <= HISTORY_ALL:
            raise ValueError("history must be 0..HISTORY_ALL")
        if history and create:
            raise ValueError("history needs an existing queue: no create")
        if nonblock:
            oflag |= os.O_NONBLOCK
        create_flags = 0
        if create:
            create_flags = os.O_CREAT | (os.O_EXCL if exclusive else 0)
        elif exclusive:
            raise ValueError("exclusive=True needs create=True")
        self._fd = -1
        # Futures of receive_async (False) and send_async (True) callers
        # waiting for the descriptor, and the loop that watches it for them.
        self._waiters: Dict[bool, List["asyncio.Future[None]"]] = {
            False: [], True: []}
        # Losses a failed receive(lost=True) took, for the next one.
        self._lost = 0
        if history:
            self._fd = _kmsgq.subscribe(name, oflag | os.O_CLOEXEC, history)
        elif publisher:
            if create:
                # Created by a write-only file, which subscribes to nothing.
                _kmsgq.close(_kmsgq.open(
                    name, os.O_WRONLY | create_flags | os.O_CLOEXEC, perm,
                    qflags, max_msgs, max_msgsize))
            self._fd = _kmsgq.open_publisher(name, oflag | os.O_CLOEXEC)
        else:
            self._fd = _kmsgq.open(name, oflag | create_flags | os.O_CLOEXEC,
                                   perm, qflags, max_msgs, max_msgsize)
        self.name = name
        self._msgsize = self.attr.max_msgsize

    def fileno(self) -> int:
        """The file descriptor: readable when a message waits, writable
        when there is room."""
        if self._fd < 0:
            raise ValueError("I/O operation on closed queue")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def close(self) -> None:
        """Close the handle (the queue itself stays until unlinked)."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _kmsgq.close(fd)

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<kmsgq.Queue {getattr(self, 'name', '?')!r} {state}>"

    def send(self, data: Buffer, prio: int = 0,
             timeout: Optional[float] = None) -> None:
        """Queue one message (bytes-like) at priority prio (higher first).

        Waits for room for at most timeout seconds (TimeoutError after);
        BlockingIOError if the queue is full and the handle non-blocking.
        """
        _kmsgq.send(self.fileno(), data, prio, timeout)

    def receive(self, timeout: Optional[float] = None, *,
                sender: bool = False, lost: bool = False
                ) -> Union[Tuple[bytes, int], Tuple[bytes, int, Sender]]:
        """Take the oldest message of the highest priority: (data, prio),
        or with sender=True (data, prio, Sender): who sent it, known on a
        queue created with sender=True (a module without the sender
        feature: OSError EINVAL); or with lost=True (data, lost), without
        the priority (a fan-out queue's messages have none): lost is how
        many messages this subscriber of a fan-out queue lost since the
        last receive(lost=True) (0 on other queues; a module
        without the fan-out feature: OSError EINVAL).  Losses that a
        receive which raises learns of are counted in the next one's.
        Not both.

        Waits for a message for at most timeout seconds (TimeoutError
        after); BlockingIOError if the queue is empty and the handle
        non-blocking.
        """
        if lost:
            if sender:
                raise ValueError("sender=True and lost=True: one or the other")
            return self._receive_lost(timeout)
        if not sender:
            return _kmsgq.receive(self.fileno(), self._msgsize, timeout)
        data, prio, pid, uid, gid, flags = _kmsgq.receive_from(
            self.fileno(), self._msgsize, timeout)
        return data, prio, Sender(pid, uid, gid, _sender_kind(flags),
                                  bool(flags & _kmsgq.SENDER_SHARED))

    def _receive_lost(self, timeout: Optional[float]) -> Tuple[bytes, int]:
        try:
            data, n = _kmsgq.receive_lost(self.fileno(), self._msgsize,
                                          timeout)
        except BaseException as e:
            self._lost += getattr(e, "lost", 0)
            raise
        n, self._lost = n + self._lost, 0
        return data, n

    def peek(self, index: int = 0,
             timeout: Optional[float] = None) -> Tuple[bytes, int]:
        """Copy out the message at index of the receive order (0: the one
        receive() would take next), leaving the queue as it was:
        (data, prio).

        Waits for a message at index for at most timeout seconds
        (TimeoutError after); BlockingIOError if there is none and the
        handle is non-blocking.  Needs a module with the peek feature
        (older ones: OSError EINVAL or E2BIG).
        """
        return _kmsgq.peek(self.fileno(), index, self._msgsize, timeout)

    @property
    def attr(self) -> Attr:
        """The queue's attributes now (cur_msgs changes as messages move)."""
        (flags, qflags, max_msgs, max_msgsize, cur_msgs, mode, uid,
         gid) = _kmsgq.getattr(self.fileno())
        overflow = next((name for name, bit in _OVERFLOW.items()
                         if bit and qflags & bit), "block")
        return Attr(bool(qflags & _kmsgq.OPEN_RING), max_msgs, max_msgsize,
                    cur_msgs, mode, uid, gid,
                    bool(flags & _kmsgq.ATTR_NONBLOCK), overflow,
                    bool(qflags & _kmsgq.OPEN_RECLAIM),
                    bool(qflags & _kmsgq.OPEN_SENDER),
                    bool(qflags & _kmsgq.OPEN_FANOUT),
                    bool(qflags & _kmsgq.OPEN_INPLACE))

    @property
    def nonblock(self) -> bool:
        return self.attr.nonblock

    @nonblock.setter
    def nonblock(self, on: bool) -> None:
        _kmsgq.setattr(self.fileno(), _kmsgq.ATTR_NONBLOCK if on else 0)

    def stats(self) -> Stats:
        """The queue's counters (every handle on the queue sees the same,
        but for a fan-out subscriber's own sub_lost and sub_lag)."""
        return Stats(*_kmsgq.stats(self.fileno()))

    def send_batch(self, msgs: Iterable[Union[Buffer, Tuple[Buffer, int]]],
                   timeout: Optional[float] = None) -> int:
        """Queue up to BATCH_MAX messages in one call: each bytes-like
        (priority 0) or (data, prio).  Returns how many were queued.

        Waits (for at most timeout seconds) only until the first fits,
        then queues as many as fit, in order; the caller sends the rest
        again.  Errors as send(), for the first message.
        """
        batch = [m if isinstance(m, tuple) else (m, 0) for m in msgs]
        return _kmsgq.send_batch(self.fileno(), batch, 0, timeout)

    def receive_batch(self, n: int,
                      timeout: Optional[float] = None
                      ) -> List[Tuple[bytes, int]]:
        """Take up to n (1..BATCH_MAX) messages in one call, in the order
        receive() would: [(data, prio), ...].

        Waits (for at most timeout seconds) only until one message waits,
        then takes as many as wait.  Errors as receive().
        """
        return _kmsgq.receive_batch(self.fileno(), n, self._msgsize, 0,
                                    timeout)

    def ring(self) -> Ring:
        """Map the queue's ring (a queue created with ring=True, opened
        "rw"): a Ring, to reserve and commit, or claim and release, slots
        in place.  Close it (or use it in a with block) when done; it has
        a descriptor of its own, so it outlives the Queue.  That descriptor
        shares the Queue's open file, and with it, on a reclaiming ring,
        its claims: each process should open its own Queue rather than use
        one inherited over fork, so that its death alone is enough.
        """
        return Ring(self.fileno())

    def fanout_view(self) -> FanoutView:
        """Map the store of the fan-out queue this handle subscribes to (a
        queue created with fanout=True and ring=True, opened "r" or "rw";
        another queue: OSError EOPNOTSUPP): a FanoutView, which reads each
        message in place from this subscriber's position and acknowledges
        what it read.  Close it (or use it in a with block) when done; it
        has a descriptor of its own, and the subscriber stays while it is
        mapped, even once the Queue is closed.
        """
        return FanoutView(self.fileno())

    def fanout_publisher(self) -> FanoutPublisher:
        """Map the payload slots of the in-place fan-out queue this handle
        publishes to (a queue created with fanout=True, ring=True and
        inplace=True, opened "rw": mapping needs read access too, so a
        handle opened "w" gets PermissionError; another queue: OSError
        EOPNOTSUPP): a FanoutPublisher, whose publish() copies each
        payload into the slot the kernel reserved for it and commits
        them, a batch per system call.

        Open the Queue with publisher=True: a handle opened "rw" without
        it is also a subscriber, and one that never reads holds every
        publisher back once it is a depth behind.  The slots reserved are
        the open file's, which the FanoutPublisher shares with this Queue
        through a descriptor of its own (it outlives the Queue): use one
        FanoutPublisher per Queue, and a Queue per publishing thread or
        process.  Close it (or use it in a with block) when done.
        """
        return FanoutPublisher(self.fileno())

    async def receive_async(self, timeout: Optional[float] = None
                            ) -> Tuple[bytes, int]:
        """receive() for asyncio: waits in the running event loop (for at
        most timeout seconds: TimeoutError), not in the kernel."""
        return await self._async(False, timeout, lambda: _kmsgq.receive_batch(
            self.fileno(), 1, self._msgsize, _kmsgq.XFER_NONBLOCK, None)[0])

    async def send_async(self, data: Buffer, prio: int = 0,
                         timeout: Optional[float] = None) -> None:
        """send() for asyncio: waits for room in the running event loop
        (for at most timeout seconds: TimeoutError), not in the kernel."""
        await self._async(True, timeout, lambda: _kmsgq.send_batch(
            self.fileno(), [(data, prio)], _kmsgq.XFER_NONBLOCK, None))

    async def _async(self, writable: bool, timeout: Optional[float],
                     attempt: Callable[[], _T]) -> _T:
        """attempt() until it does not raise BlockingIOError, waiting for
        the descriptor in between."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            try:
                return attempt()
            except BlockingIOError:
                pass
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise TimeoutError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))
            await self._ready(loop, writable, left)

    async def _ready(self, loop: asyncio.AbstractEventLoop, writable: bool,
                     timeout: Optional[float]) -> None:
        """Until the descriptor is readable (writable), or timeout passes.
        Any number of callers may wait at once: one watch wakes them all."""
        fd = self.fileno()
        waiters = self._waiters[writable]
        fut: "asyncio.Future[None]" = loop.create_future()
        if not waiters:
            watch = loop.add_writer if writable else loop.add_reader
            watch(fd, self._wake, loop, fd, writable)
        waiters.append(fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            pass                        # the caller's loop says TimeoutError
        finally:
            # A wakeup has handed the futures it woke over already.
            waiters = self._waiters[writable]
            if fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    self._unwatch(loop, fd, writable)

    def _wake(self, loop: asyncio.AbstractEventLoop, fd: int,
              writable: bool) -> None:
        waiters = self._waiters[writable]
        self._waiters[writable] = []
        self._unwatch(loop, fd, writable)
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    @staticmethod
    def _unwatch(loop: asyncio.AbstractEventLoop, fd: int,
                 writable: bool) -> None:
        (loop.remove_writer if writable else loop.remove_reader)(fd)
