"""One channel-layer subscription per group per process, shared by that
process's sockets, and the socket end that relays write frames to.

A subscription per socket costs every socket a queue, a Redis SUBSCRIBE and a
task waiting on it (about 8 KB of the server's memory per idle socket,
bench/RESULTS.md, scenario 5), and every event a decode per socket. A relay
subscribes once, decodes each event once, and hands it to `handle`, which
knows this process's own sockets. So a socket has no channel of its own
(project.sockets): the rooms (chat.fanout), the site's presence
(presence.consumers) and account changes (accounts.live) each reach it
through one relay.

Relays and their members are this process's state about its own sockets
only; what users see across processes travels through Redis. They are kept
per event loop, like the Redis clients they use (project.redis_pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

Send = Callable[[dict], Awaitable[None]]


class GroupRelay:
    """This process's one subscription to `group`, while it has members.

    Subclasses implement `handle(event)`, and may implement `subscribed()`,
    which runs once the subscription is live and before any event is handled.
    """

    def __init__(self, group: str) -> None:
        self.group = group
        self.members: set[Any] = set()
        self.started = asyncio.get_running_loop().create_future()
        self.channel_name: str | None = None
        self.task: asyncio.Task | None = None

    async def subscribed(self) -> None:
        pass

    async def handle(self, event: dict) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        layer = get_channel_layer()
        try:
            self.channel_name = await layer.new_channel()
            await layer.group_add(self.group, self.channel_name)
            await self.subscribed()
            self.task = asyncio.ensure_future(self._run(layer))
        except BaseException as error:
            self.started.set_exception(error)
            self.started.exception()  # retrieved: joiners re-raise it themselves
            raise
        self.started.set_result(None)

    async def stop(self) -> None:
        if self.task is not None:
            # Cancelling the receive unsubscribes the channel (channels_redis).
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.channel_name is not None:
            with contextlib.suppress(Exception):
                await get_channel_layer().group_discard(self.group, self.channel_name)

    async def _run(self, layer) -> None:
        while True:
            event = await layer.receive(self.channel_name)
            try:
                await self.handle(event)
            except Exception:
                logger.exception("Relay of %s failed on %s", self.group, event["type"])


R = TypeVar("R", bound=GroupRelay)


class Relays(Generic[R]):
    """The relays of one kind in this process, by key, each kept while it
    has members: the first member starts it, the last one to leave stops it."""

    def __init__(self, make: Callable[[Hashable], R]) -> None:
        self.make = make
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, R]
        ] = weakref.WeakKeyDictionary()

    def _relays(self) -> dict[Hashable, R]:
        return self._by_loop.setdefault(asyncio.get_running_loop(), {})

    async def join(self, key: Hashable, member: object) -> R:
        relays = self._relays()
        relay = relays.get(key)
        if relay is None:
            relay = relays[key] = self.make(key)
            relay.members.add(member)
            try:
                await relay.start()
            except BaseException:
                relays.pop(key, None)
                raise
            return relay
        relay.members.add(member)
        await asyncio.shield(relay.started)
        return relay

    async def leave(self, key: Hashable, member: object) -> None:
        relays = self._relays()
        relay = relays.get(key)
        if relay is None or member not in relay.members:
            return
        relay.members.discard(member)
        if not relay.members:
            del relays[key]
            await relay.stop()


def transport_send(send: Send) -> tuple[Send, asyncio.Event | None]:
    """The ASGI server's own send under channels' wrappers, and its
    `writable` event where the server has one (uvicorn's WebSocket protocol).

    channels' session middleware wraps `send` only to save sessions on HTTP
    responses; a WebSocket frame needs none of that.
    """
    while hasattr(getattr(send, "__self__", None), "real_send"):
        send = send.__self__.real_send
    writable = getattr(getattr(send, "__self__", None), "writable", None)
    if not isinstance(writable, asyncio.Event):
        writable = None
    return send, writable


class LocalSocket:
    """One socket of this process, as a relay sees it.

    A socket whose transport is writable gets a frame at once (uvicorn's send
    then returns without suspending). One that is not writable (a slow
    reader) gets a queue of its own and one task draining it; past
    settings.CHAT_SOCKET_BACKLOG waiting frames it loses them and
    `on_overflow` closes it (1013). So no socket waits for another.

    Frames that arrive before `start()` are held: the socket is still
    sending its first state (presence.state, history).
    """

    __slots__ = (
        "closer",
        "drainer",
        "gone",
        "held",
        "last_seq",
        "on_overflow",
        "queue",
        "ready",
        "send",
        "user_id",
        "writable",
    )

    def __init__(
        self, *, user_id: int, send: Send, on_overflow: Callable[[], Awaitable[None]]
    ) -> None:
        self.user_id = user_id
        self.send, self.writable = transport_send(send)
        self.on_overflow = on_overflow
        self.last_seq = 0
        self.ready = False
        self.held: list[tuple[int | None, str]] = []
        # Made when first needed: most sockets never wait for their transport.
        self.queue: deque[str] | None = None
        self.drainer: asyncio.Task | None = None
        self.closer: asyncio.Task | None = None
        self.gone = False

    def start(self, last_seq: int = 0) -> None:
        """The client has its first state (and history up to last_seq): send
        what was held since the socket joined that it still needs, then
        everything live."""
        self.last_seq = last_seq
        self.ready = True
        held, self.held = self.held, []
        for seq, frame in held:
            if seq is None:
                self._enqueue(frame)
            elif seq > self.last_seq:
                self.last_seq = seq
                self._enqueue(frame)
        # Through the queue: frames fanned out meanwhile go behind these.
        if self.queue and self.drainer is None:
            self.drainer = asyncio.ensure_future(self._drain())

    def _enqueue(self, frame: str) -> None:
        if self.queue is None:
            self.queue = deque()
        self.queue.append(frame)

    async def push(self, frame: str) -> None:
        if self.gone:
            return
        if not self.ready:
            self.held.append((None, frame))
            return
        if self.queue or (self.writable is not None and not self.writable.is_set()):
            self._enqueue(frame)
            if len(self.queue) > settings.CHAT_SOCKET_BACKLOG:
                self._overflow()
            elif self.drainer is None:
                self.drainer = asyncio.ensure_future(self._drain())
            return
        try:
            await self.send({"type": "websocket.send", "text": frame})
        except Exception:
            self.gone = True  # disconnected; the consumer unregisters it

    async def _drain(self) -> None:
        try:
            while self.queue and not self.gone:
                frame = self.queue.popleft()
                await self.send({"type": "websocket.send", "text": frame})
        except Exception:
            self.gone = True
        finally:
            self.drainer = None
            if not self.queue:
                self.queue = None  # most sockets never need it again

    def _overflow(self) -> None:
        logger.info("A socket fell %d frames behind: 1013", len(self.queue))
        self.gone = True
        self.queue.clear()
        self.closer = asyncio.ensure_future(self.on_overflow())

    def cancel(self) -> None:
        self.gone = True
        if self.drainer is not None:
            self.drainer.cancel()


async def fan(
    sockets: set[LocalSocket], frame: str, skip_user: int | None = None
) -> None:
    """`frame` to every socket (held by those still sending their first
    state), except the sockets of `skip_user`."""
    for sock in list(sockets):
        if sock.user_id != skip_user:
            await sock.push(frame)
