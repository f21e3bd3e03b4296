# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""kmsgq: named kernel message queues (/dev/kmsgq) from Python.

    import kmsgq

    with kmsgq.Queue("jobs", create=True, max_msgs=64, max_msgsize=1024) as q:
        q.send(b"hello", prio=3)
        data, prio = q.receive(timeout=1.0)

Errors are OSError with the kernel's errno, so the usual subclasses apply:
BlockingIOError (queue full or empty, non-blocking), TimeoutError (the
timeout passed), FileNotFoundError (no such queue, or no /dev/kmsgq),
FileExistsError (exclusive create of an existing queue), PermissionError.
Timeouts are seconds (int or float) from the call; None waits for ever.
A Queue is a file descriptor: fileno() works with select, selectors and
asyncio's loop.add_reader().
"""

import os
from typing import NamedTuple, Optional, Tuple

from . import _kmsgq

__all__ = ["Queue", "Attr", "Stats", "unlink", "NAME_MAX", "PRIO_MAX"]

NAME_MAX = _kmsgq.NAME_MAX
PRIO_MAX = _kmsgq.PRIO_MAX


class Attr(NamedTuple):
    """A queue's attributes, as Queue.attr returns them."""

    ring: bool
    max_msgs: int
    max_msgsize: int
    cur_msgs: int
    mode: int
    uid: int
    gid: int
    nonblock: bool


class Stats(NamedTuple):
    """A queue's counters since its creation, and its state now."""

    msgs_sent: int
    msgs_recv: int
    bytes_sent: int
    bytes_recv: int
    cur_msgs: int
    send_waiters: int
    recv_waiters: int
    mappings: int


_ACCESS = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}


def unlink(name: str) -> None:
    """Remove the queue called name; open Queues keep working."""
    _kmsgq.unlink(name)


class Queue:
    """A handle on a named queue: open it, or create it with create=True.

    access is "r", "w" or "rw".  With create=True the queue is made if it
    does not exist (exclusive=True: FileExistsError if it does), with
    permission bits perm and max_msgs messages of up to max_msgsize bytes
    (0: the module's defaults); ring=True makes a zero-copy ring queue.
    nonblock=True makes send and receive raise BlockingIOError instead of
    waiting.
    """

    def __init__(self, name: str, access: str = "rw", *, create: bool = False,
                 exclusive: bool = False, perm: int = 0o600,
                 max_msgs: int = 0, max_msgsize: int = 0, ring: bool = False,
                 nonblock: bool = False):
        try:
            oflag = _ACCESS[access]
        except KeyError:
            raise ValueError(f"access must be 'r', 'w' or 'rw', not {access!r}")
        if create:
            oflag |= os.O_CREAT | (os.O_EXCL if exclusive else 0)
        elif exclusive:
            raise ValueError("exclusive=True needs create=True")
        if nonblock:
            oflag |= os.O_NONBLOCK
        self._fd = -1
        self._fd = _kmsgq.open(name, oflag | os.O_CLOEXEC, perm,
                               _kmsgq.OPEN_RING if ring else 0,
                               max_msgs, max_msgsize)
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

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<kmsgq.Queue {getattr(self, 'name', '?')!r} {state}>"

    def send(self, data, prio: int = 0,
             timeout: Optional[float] = None) -> None:
        """Queue one message (bytes-like) at priority prio (higher first).

        Waits for room for at most timeout seconds (TimeoutError after);
        BlockingIOError if the queue is full and the handle non-blocking.
        """
        _kmsgq.send(self.fileno(), data, prio, timeout)

    def receive(self, timeout: Optional[float] = None) -> Tuple[bytes, int]:
        """Take the oldest message of the highest priority: (data, prio).

        Waits for a message for at most timeout seconds (TimeoutError
        after); BlockingIOError if the queue is empty and the handle
        non-blocking.
        """
        return _kmsgq.receive(self.fileno(), self._msgsize, timeout)

    @property
    def attr(self) -> Attr:
        """The queue's attributes now (cur_msgs changes as messages move)."""
        (flags, qflags, max_msgs, max_msgsize, cur_msgs, mode, uid,
         gid) = _kmsgq.getattr(self.fileno())
        return Attr(bool(qflags & _kmsgq.OPEN_RING), max_msgs, max_msgsize,
                    cur_msgs, mode, uid, gid,
                    bool(flags & _kmsgq.ATTR_NONBLOCK))

    @property
    def nonblock(self) -> bool:
        return self.attr.nonblock

    @nonblock.setter
    def nonblock(self, on: bool) -> None:
        _kmsgq.setattr(self.fileno(), _kmsgq.ATTR_NONBLOCK if on else 0)

    def stats(self) -> Stats:
        """The queue's counters (every handle on the queue sees the same)."""
        return Stats(*_kmsgq.stats(self.fileno()))
