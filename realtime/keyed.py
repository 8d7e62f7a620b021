"""One channel per process for many small groups: a group per user, a group
per room's members (realtime.user_events, chat.activity).

realtime.relay gives each group a channel, a queue and a task of its own,
which suits a few busy groups (a room's messages). Groups by user or by
membership are many and mostly quiet: here a process has one channel, adds
it to the group of every key that has members in this process, and routes
each event by the key it carries. A key costs a Redis SUBSCRIBE and a set.
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

logger = logging.getLogger(__name__)
T = TypeVar("T")


class KeyedRelay:
    """Subclasses set `event_key` (the event field holding the key) and
    implement `handle(key, event, members)`; `group_of(key)` names a group."""

    event_key = "key"

    def __init__(self, group_of: Callable[[Any], str]) -> None:
        self.group_of = group_of
        self.members: dict[Hashable, set[Any]] = {}
        self._live: dict[Hashable, asyncio.Future] = {}
        self._channel: asyncio.Future | None = None
        self.task: asyncio.Task | None = None

    async def handle(self, key: Hashable, event: dict, members: set[Any]) -> None:
        raise NotImplementedError

    async def _channel_name(self) -> str:
        if self._channel is None:
            self._channel = asyncio.get_running_loop().create_future()
            try:
                name = await get_channel_layer().new_channel()
            except BaseException as error:
                self._channel.set_exception(error)
                self._channel.exception()  # retrieved: the next join retries
                self._channel = None
                raise
            self.task = asyncio.ensure_future(self._run(name))
            self._channel.set_result(name)
        return await asyncio.shield(self._channel)

    async def join(self, key: Hashable, member: object) -> None:
        """`member` hears the key's events once this returns (the group's
        subscription is live)."""
        channel = await self._channel_name()
        members = self.members.get(key)
        if members is not None:
            members.add(member)
            await asyncio.shield(self._live[key])
            return
        members = self.members[key] = {member}
        live = self._live[key] = asyncio.get_running_loop().create_future()
        try:
            await get_channel_layer().group_add(self.group_of(key), channel)
        except BaseException as error:
            live.set_exception(error)
            live.exception()
            if self.members.get(key) is members:
                del self.members[key]
                del self._live[key]
            raise
        live.set_result(None)

    async def leave(self, key: Hashable, member: object) -> None:
        members = self.members.get(key)
        if members is None or member not in members:
            return
        members.discard(member)
        if members:
            return
        del self.members[key]
        del self._live[key]
        channel = await self._channel_name()
        with contextlib.suppress(Exception):
            await get_channel_layer().group_discard(self.group_of(key), channel)

    async def _run(self, channel: str) -> None:
        layer = get_channel_layer()
        while True:
            event = await layer.receive(channel)
            canary.heard()
            key = event.get(self.event_key)
            members = self.members.get(key)
            if not members:
                continue  # left since it was published
            try:
                await self.handle(key, event, members)
            except Exception:
                logger.exception("%s failed on %s", type(self).__name__, event["type"])


class PerLoop(Generic[T]):
    """One `make()` per running event loop (as the Redis clients): a relay,
    or a module's per-loop state (realtime.liveness, realtime.socketcap)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = self.make()
        return found
