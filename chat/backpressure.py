"""A bound on each socket's outbound backlog (PROTOCOL.md, close code 1013).

uvicorn applies TCP flow control: a client that stops reading fills the
kernel and transport buffers (a few MB on loopback), then the consumer's
`send` waits. Meanwhile the room's events wait for that socket in the
channel layer's per-channel queue, which the pub/sub layer leaves unbounded.
So one watchdog per process and event loop looks at this process's own
sockets once a second; a socket more than settings.CHAT_SOCKET_BACKLOG events
behind loses its backlog, leaves its room group (nothing more piles up), and
finds a `chat.overflow` event next in its queue, on which it closes with
1013 ("reconnect and resume with ?after=<seq>"). The others never wait.

This reads the queue that channels_redis.pubsub keeps per channel
(`RedisPubSubLoopLayer.channels`); tests/chat/test_backpressure.py fails if
an upgrade moves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds
OVERFLOW_EVENT = {"type": "chat.overflow"}


class Watched(Protocol):
    channel_layer: object
    channel_name: str

    async def fell_behind(self) -> None:
        """Stop receiving the events that piled up (leave the room group)."""


_watched: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet]
_watched = weakref.WeakKeyDictionary()
_tasks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task]
_tasks = weakref.WeakKeyDictionary()


def _queue(consumer: Watched) -> asyncio.Queue | None:
    get_layer = getattr(consumer.channel_layer, "_get_layer", None)
    if get_layer is None:
        return None
    return get_layer().channels.get(consumer.channel_name)


def backlog(consumer: Watched) -> int:
    """How many events wait for this socket."""
    queue = _queue(consumer)
    return queue.qsize() if queue is not None else 0


def watch(consumer: Watched) -> None:
    """Bound this socket's backlog for as long as it lives."""
    loop = asyncio.get_running_loop()
    _watched.setdefault(loop, weakref.WeakSet()).add(consumer)
    task = _tasks.get(loop)
    if task is None or task.done():
        _tasks[loop] = loop.create_task(_watchdog(loop), name="chat-backpressure")


def unwatch(consumer: Watched) -> None:
    with contextlib.suppress(RuntimeError, KeyError):
        _watched[asyncio.get_running_loop()].discard(consumer)


def shed(consumer: Watched) -> bool:
    """Over the bound: drop the backlog and queue the overflow event instead."""
    queue = _queue(consumer)
    if queue is None or queue.qsize() <= settings.CHAT_SOCKET_BACKLOG:
        return False
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(consumer.channel_layer.serialize(OVERFLOW_EVENT))
    return True


async def _watchdog(loop: asyncio.AbstractEventLoop) -> None:
    # Ends when this loop has no sockets left; watch() starts it again.
    while _watched.get(loop):
        await asyncio.sleep(CHECK_INTERVAL)
        watched = _watched.get(loop, ())
        for consumer in list(watched):
            try:
                if shed(consumer):
                    watched.discard(consumer)
                    logger.info("Socket %s fell behind: 1013", consumer.channel_name)
                    await consumer.fell_behind()
            except Exception:
                logger.exception("Backpressure check failed")
