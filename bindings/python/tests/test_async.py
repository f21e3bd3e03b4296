# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Queue.receive_async and Queue.send_async in an asyncio event loop."""
import asyncio

import pytest

import kmsgq
from conftest import needs_device


@needs_device
def test_receive_async_waits_for_a_sender(queue, name):
    async def main():
        loop = asyncio.get_running_loop()
        waiting = asyncio.ensure_future(queue.receive_async(timeout=10))
        await asyncio.sleep(0)
        assert not waiting.done()
        with kmsgq.Queue(name, "w") as w:
            loop.call_soon(w.send, b"ping", 4)
            return await waiting

    assert asyncio.run(main()) == (b"ping", 4)


@needs_device
def test_many_receivers_on_one_queue(queue):
    async def main():
        tasks = [asyncio.ensure_future(queue.receive_async(timeout=10))
                 for _ in range(3)]
        await asyncio.sleep(0)
        for i in range(3):
            await queue.send_async(bytes([i]))
        return sorted(data for data, _ in await asyncio.gather(*tasks))

    assert asyncio.run(main()) == [b"\0", b"\1", b"\2"]


@needs_device
def test_send_async_waits_for_room(queue):
    async def main():
        for i in range(4):
            await queue.send_async(bytes([i]))
        sending = asyncio.ensure_future(queue.send_async(b"late", 1, 10))
        await asyncio.sleep(0)
        assert not sending.done()
        asyncio.get_running_loop().call_soon(queue.receive)
        await sending
        return queue.receive_batch(4)

    assert asyncio.run(main())[0] == (b"late", 1)


@needs_device
def test_async_timeouts(queue):
    async def main():
        with pytest.raises(TimeoutError):
            await queue.receive_async(timeout=0.05)
        with pytest.raises(TimeoutError):
            await queue.receive_async(timeout=0)
        for i in range(4):
            queue.send(bytes([i]))
        with pytest.raises(TimeoutError):
            await queue.send_async(b"full", timeout=0.05)

    asyncio.run(main())


@needs_device
def test_async_leaves_the_handle_blocking(queue):
    asyncio.run(queue.send_async(b"x"))
    assert not queue.nonblock
    assert asyncio.run(queue.receive_async()) == (b"x", 0)
