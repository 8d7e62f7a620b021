"""One channel-layer subscription per group per process, shared by that
process's sockets (their outbound ends: realtime.outbound).

A subscription per socket costs every socket a queue, a Redis SUBSCRIBE and a
task waiting on it (about 8 KB of the server's memory per idle socket,
bench/RESULTS.md, scenario 5), and every event a decode per socket. A relay
subscribes once, decodes each event once, and hands it to `handle`, which
knows this process's own sockets. So a socket has no channel of its own
(realtime.sockets): the rooms (chat.fanout), the site's presence
(presence.consumers) and account changes (realtime.account_events) each
reach it
through one relay.

Relays and their members are this process's state about its own sockets
only; what users see across processes travels through Redis. They are kept
per event loop, like the Redis clients they use (realtime.redis_clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from channels.layers import get_channel_layer

from realtime import canary
from realtime.outbound import LocalSocket

logger = logging.getLogger(__name__)


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
            canary.heard()
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
        _every_kind.add(self)

    def _relays(self) -> dict[Hashable, R]:
        return self._by_loop.setdefault(asyncio.get_running_loop(), {})

    def current(self) -> dict[Hashable, R]:
        """The running loop's relays of this kind, by key (do not change it)."""
        return self._relays()

    async def join(self, key: Hashable, member: object) -> R:
        relays = self._relays()
        relay = relays.get(key)
        if relay is None:
            # Whoever has relays has sockets that must not go deaf.
            canary.ensure_running(has_relays)
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


_every_kind: weakref.WeakSet[Relays] = weakref.WeakSet()


def backlog() -> int:
    """Frames waiting for slow sockets of the running loop (/metrics)."""
    return sum(
        len(member.queue or ())
        for kind in list(_every_kind)
        for relay in list(kind.current().values())
        for member in list(relay.members)
        if isinstance(member, LocalSocket)
    )


def has_relays() -> bool:
    """Whether the running loop has any relay, of any kind."""
    return any(kind.current() for kind in _every_kind)


async def fan(
    sockets: set[LocalSocket], frame: str, skip_user: int | None = None
) -> None:
    """`frame` to every socket (held by those still sending their first
    state), except the sockets of `skip_user`."""
    for sock in list(sockets):
        if sock.user_id != skip_user:
            await sock.push(frame)
