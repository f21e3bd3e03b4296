# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""What the tests share: needs_device, and the fixtures name (a queue name
of the test's own, unlinked afterwards), queue (a copy queue of 4 messages
of up to 64 bytes) and ring_queue (a ring queue of 4 slots of 64 bytes,
opened "rw")."""
import os

import pytest

import kmsgq

needs_device = pytest.mark.skipif(not os.path.exists("/dev/kmsgq"),
                                  reason="no /dev/kmsgq: kmsgq.ko not loaded")


@pytest.fixture
def name(request):
    n = f"py-{os.getpid()}-{request.node.name}"[:kmsgq.NAME_MAX - 1]
    n = "".join(c if c.isalnum() or c in "._-" else "-" for c in n)
    yield n
    try:
        kmsgq.unlink(n)
    except FileNotFoundError:
        pass


@pytest.fixture
def queue(name):
    with kmsgq.Queue(name, create=True, max_msgs=4, max_msgsize=64) as q:
        yield q


@pytest.fixture
def ring_queue(name):
    with kmsgq.Queue(name, create=True, ring=True, max_msgs=4,
                     max_msgsize=64) as q:
        yield q
